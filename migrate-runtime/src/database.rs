//! One database, as a migrator reaches it: [`Migrator::at`] a URL or
//! [`Migrator::on`] a connection the caller holds. Every operation (run,
//! status, revert, stamp, adopt, repair) is a method of the handle, written
//! once for both ways in.
//!
//! [`Migrator::at`]: crate::Migrator::at
//! [`Migrator::on`]: crate::Migrator::on

use std::future::Future;
use std::marker::PhantomData;

use sealed::Operation;

use crate::driver::handover::Handover;
use crate::driver::Backend;
use crate::engine::{self, session::RevertTarget};
use crate::error::Error;
use crate::model::{Peer, Replica};
use crate::plan::adopt::Adoption;
use crate::plan::repair::{Repair, Repaired};
use crate::plan::Job;
use crate::report::{PendingSql, Report};
use crate::status::Status;
use crate::url::redact_url;

/// A migrator's operations on one database, reached by a URL
/// ([`Migrator::at`](crate::Migrator::at): one connection opened and closed
/// per call) or over a connection you hold
/// ([`Migrator::on`](crate::Migrator::on): a `&Pool`, a `&mut
/// PoolConnection` or `&mut` a connection; see [`Handover`]). Each method
/// consumes the handle: make another for the next operation.
///
/// ```
/// # async fn demo() -> Result<(), migrata::Error> {
/// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
///
/// # let dir = tempfile::tempdir().expect("a temporary directory");
/// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
/// let migrator = MIGRATIONS.migrator();
/// let before = migrator.at(&url).status().await?;
/// assert_eq!(before.pending().count(), MIGRATIONS.all().len());
/// migrator.run(&url).await?;
///
/// // The same, over the pool the app holds.
/// let pool = sqlx::SqlitePool::connect(&url).await.expect("a pool");
/// let after = migrator.on(&pool).status().await?;
/// assert_eq!(after.pending().count(), 0);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a Database handle does nothing until one of its methods is awaited"]
pub struct Database<'a, W> {
    job: &'a Job<'a>,
    reach: W,
}

/// How a [`Database`] handle reaches the database: a URL of its own
/// ([`AtUrl`]) or a connection handed over ([`OnConnection`]). Sealed.
pub trait Reach: sealed::Reach {}

impl<W: sealed::Reach> Reach for W {}

/// A [`Database`] reached through a URL (sqlx URL syntax; the scheme picks
/// the database): each call opens one connection and closes it.
#[derive(Clone, Copy)]
pub struct AtUrl<'a>(&'a str);

impl std::fmt::Debug for AtUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AtUrl").field(&redact_url(self.0)).finish()
    }
}

/// A [`Database`] reached over a connection the caller handed over.
#[derive(Debug, Clone, Copy)]
pub struct OnConnection<'c, C, H> {
    conn: H,
    connection: PhantomData<fn() -> &'c mut C>,
}

impl<'a> Database<'a, AtUrl<'a>> {
    pub(crate) fn at(job: &'a Job<'a>, url: &'a str) -> Self {
        Database {
            job,
            reach: AtUrl(url),
        }
    }
}

impl<'a, 'c, C: Backend, H: Handover<'c, C>> Database<'a, OnConnection<'c, C, H>> {
    pub(crate) fn on(job: &'a Job<'a>, conn: H) -> Self {
        Database {
            job,
            reach: OnConnection {
                conn,
                connection: PhantomData,
            },
        }
    }
}

impl<W: Reach> Database<'_, W> {
    /// Every operation: options the builder took unchecked are checked
    /// before anything connects.
    async fn perform<Op: Operation>(self, op: Op) -> Result<Op::Output, Error> {
        self.job.options.validate()?;
        self.reach.perform(self.job, op).await
    }

    /// Brings the database up to date: the same as
    /// [`Migrator::run`](crate::Migrator::run) and
    /// [`Migrator::run_on`](crate::Migrator::run_on).
    pub async fn run(self) -> Result<Report, Error> {
        self.perform(Apply).await
    }

    /// Reads where every migration stands, without changing anything.
    pub async fn status(self) -> Result<Status, Error> {
        self.perform(ReadStatus).await
    }

    /// Renders the SQL [`run`](Self::run) would execute on this database
    /// now: the pending migrations as its history and live replicas
    /// decide (the same refusals as `run`), as
    /// [`Offline::up`](crate::Offline::up) renders them, up to the first
    /// code migration. Reads the history; writes nothing, takes no lock.
    pub async fn pending_sql(self) -> Result<PendingSql, Error> {
        self.perform(RenderPending).await
    }

    /// Reverts applied migrations newer than `version`, newest first, with
    /// their `.down.sql` scripts; each script and the removal of its history
    /// row commit together. Everything is checked before anything runs: a
    /// migration without a down script is an [`Error::Irreversible`].
    pub async fn revert(self, version: i64) -> Result<Report, Error> {
        let target = RevertTarget::To(version);
        self.perform(Revert(target)).await
    }

    /// Reverts the newest applied migration with its down script, as
    /// `migrata down` without `--to` does. Which migration that is is read
    /// under the migration lock, so two concurrent calls revert one each,
    /// never both the same. Nothing applied: an empty report.
    pub async fn revert_last(self) -> Result<Report, Error> {
        let target = RevertTarget::Newest;
        self.perform(Revert(target)).await
    }

    /// Records every embedded migration up to and including `version` as
    /// applied without running it: for adopting a database whose schema
    /// already matches. Returns the versions stamped.
    pub async fn stamp(self, version: i64) -> Result<Vec<i64>, Error> {
        self.perform(Stamp(version)).await
    }

    /// Takes over the history another migration tool (`peer`) recorded in
    /// this database: every migration it applied is recorded in the version
    /// table as applied, without running it (the rows
    /// [`stamp`](Self::stamp) writes), under the migration lock and in one
    /// transaction. Returns what was recorded.
    ///
    /// Nothing is written unless the histories agree: each version the tool
    /// applied is embedded, with the name it records and the checksum it
    /// records (sqlx: description and SHA-384; refinery: name and its
    /// SipHash; diesel records versions only); no row is marked failed; no
    /// embedded migration older than its newest was skipped; and the version
    /// table records nothing that contradicts it. Otherwise the error,
    /// [`Error::AdoptionRefused`], lists every disagreement. Embedded
    /// migrations newer than the tool's newest are left pending, for
    /// [`run`](Self::run). Adopting again records nothing
    /// ([`Adoption::is_already_adopted`]). The tool's own table is only read.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// use migrata::Peer;
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// # let dir = tempfile::tempdir().expect("a temporary directory");
    /// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    /// # {
    /// #     use sqlx::Connection as _;
    /// #     let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connected");
    /// #     sqlx::raw_sql("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)").execute(&mut conn).await.expect("created");
    /// # }
    /// let migrator = MIGRATIONS.migrator();
    /// let adoption = migrator.at(&url).adopt(Peer::Sqlx).await?;
    /// println!("adopted {:?}; pending {:?}", adoption.adopted, adoption.pending);
    /// migrator.run(&url).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn adopt(self, peer: Peer) -> Result<Adoption, Error> {
        self.perform(Adopt(peer)).await
    }

    /// What [`adopt`](Self::adopt) would record, or the disagreements it
    /// would refuse with, without taking the lock or writing anything
    /// ([`Adoption::dry_run`] is set).
    pub async fn check_adoption(self, peer: Peer) -> Result<Adoption, Error> {
        self.perform(CheckAdoption(peer)).await
    }

    /// The processes registered by
    /// [`Migrator::run_with_presence`](crate::Migrator::run_with_presence)
    /// beside the version table, oldest release first: live ones, and dead
    /// ones ([`Replica::alive`] false: killed, or paused past their TTL)
    /// until a later registration prunes them. Empty while none ever
    /// registered. Changes nothing and takes no lock.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    /// let (_, presence) = MIGRATIONS.migrator().run_with_presence(&url).await?;
    /// let replicas = MIGRATIONS.migrator().at(&url).replicas().await?;
    /// assert_eq!(replicas.len(), 1);
    /// assert!(replicas[0].alive && replicas[0].pid == i64::from(std::process::id()));
    /// presence.shutdown().await?;
    /// assert!(MIGRATIONS.migrator().at(&url).replicas().await?.is_empty());
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    ///
    /// [`Replica::alive`]: crate::Replica::alive
    pub async fn replicas(self) -> Result<Vec<Replica>, Error> {
        self.perform(ListReplicas).await
    }

    /// Settles the rows of migrations marked as failed (scripts that ran
    /// outside a transaction and did not finish), once the schema was fixed
    /// by hand: [`Repair::AsFailureCallsFor`] clears a failed up script's row
    /// (it runs again) and marks a failed down script's row applied again
    /// (reverting can be retried); [`Repair::Clear`] and
    /// [`Repair::MarkApplied`] do one thing to every row. Takes the
    /// migration lock, so it never touches the row of a migration in
    /// progress elsewhere: until its owner's lease expires, this times out
    /// naming it.
    ///
    /// ```no_run
    /// # async fn example(migrator: migrata::Migrator<'_>) -> Result<(), migrata::Error> {
    /// use migrata::Repair;
    /// for repaired in migrator.at("sqlite:app.db").repair(Repair::AsFailureCallsFor).await? {
    ///     println!("{}: {:?} after a failed {:?} script", repaired.version, repaired.action, repaired.failed);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn repair(self, choice: Repair) -> Result<Vec<Repaired>, Error> {
        self.perform(SettleFailed(choice)).await
    }
}

#[cfg(feature = "schema")]
impl<'a, W: Reach> Database<'a, W> {
    /// Reads the database's schema from its catalog: every table, view,
    /// index, constraint, type, sequence, routine, trigger and event (see
    /// [`Schema`](crate::schema::Schema)), less the version and lease
    /// tables and the version tables of sqlx, refinery and diesel. Changes
    /// nothing and takes no lock.
    pub async fn inspect(self) -> Result<crate::schema::Schema, Error> {
        self.perform(Inspect).await.map(|(_, schema)| schema)
    }

    /// [`status`](Self::status) and [`inspect`](Self::inspect) over one
    /// connection, for drift: the schema as of the history read.
    pub(crate) async fn status_and_schema(
        self,
    ) -> Result<(&'a Job<'a>, Status, crate::schema::Schema), Error> {
        let job = self.job;
        let (status, schema) = self.perform(Inspect).await?;
        Ok((job, status, schema))
    }
}

#[cfg(feature = "schema")]
struct Inspect;

#[cfg(feature = "schema")]
impl Operation for Inspect {
    type Output = (Status, crate::schema::Schema);

    async fn perform<'a, B: Backend>(
        self,
        job: &'a Job<'a>,
        conn: &'a mut B,
        _url: Option<&'a str>,
    ) -> Result<Self::Output, Error> {
        let status = engine::status(job, conn).await?;
        let schema = conn.inspect().await.map_err(|error| Error::Inspect {
            backend: B::KIND,
            error,
        })?;
        Ok((status, schema.without_bookkeeping(job.options.table())))
    }
}

/// Each operation: a unit struct or one holding its argument, what it
/// returns, and the call of [`engine`] that does it with that argument.
macro_rules! operations {
    ($($name:ident $(($arg:ty))? -> $output:ty = |$job:ident, $conn:ident, $url:ident $(, $value:ident)?| $call:expr;)*) => {$(
        struct $name $(($arg))?;

        impl Operation for $name {
            type Output = $output;
            fn perform<'a, B: Backend>(
                self,
                $job: &'a Job<'a>,
                $conn: &'a mut B,
                $url: Option<&'a str>,
            ) -> impl Future<Output = Result<$output, Error>> + Send + 'a {
                $(let $value = self.0;)?
                $call
            }
        }
    )*};
}

operations! {
    Apply -> Report = |job, conn, url| engine::apply(job, conn, url);
    ReadStatus -> Status = |job, conn, _url| engine::status(job, conn);
    ListReplicas -> Vec<Replica> = |job, conn, _url| engine::replicas(job, conn);
    RenderPending -> PendingSql = |job, conn, _url| engine::pending_sql(job, conn);
    Revert(RevertTarget) -> Report = |job, conn, url, target| engine::revert(job, conn, target, url);
    Stamp(i64) -> Vec<i64> = |job, conn, url, version| engine::stamp(job, conn, version, url);
    Adopt(Peer) -> Adoption = |job, conn, url, peer| engine::adopt(job, conn, peer, url);
    CheckAdoption(Peer) -> Adoption = |job, conn, _url, peer| engine::check_adoption(job, conn, peer);
    SettleFailed(Repair) -> Vec<Repaired> = |job, conn, url, choice| engine::repair(job, conn, choice, url);
}

mod sealed {
    use std::future::Future;

    use super::{AtUrl, OnConnection};
    use crate::driver::handover::Handover;
    use crate::driver::{with_connection, Backend, BoxFuture};
    use crate::error::Error;
    use crate::plan::Job;

    /// The operations, each one call of [`engine`] over whichever connection
    /// the handle reaches.
    pub trait Operation: Send {
        type Output: Send;

        fn perform<'a, B: Backend>(
            self,
            job: &'a Job<'a>,
            conn: &'a mut B,
            url: Option<&'a str>,
        ) -> impl Future<Output = Result<Self::Output, Error>> + Send + 'a;
    }

    /// The one place an operation meets a connection: opened from a URL
    /// and closed after, or taken over and given back.
    pub trait Reach: Send {
        /// Boxed, its `Send` declared rather than inferred: an inferred one
        /// is not provable for callers generic over the handed-over
        /// connection's lifetime (rust-lang/rust#100013).
        fn perform<'a, Op: Operation + 'a>(
            self,
            job: &'a Job<'a>,
            op: Op,
        ) -> BoxFuture<'a, Result<Op::Output, Error>>
        where
            Self: 'a;
    }

    impl Reach for AtUrl<'_> {
        fn perform<'a, Op: Operation + 'a>(
            self,
            job: &'a Job<'a>,
            op: Op,
        ) -> BoxFuture<'a, Result<Op::Output, Error>>
        where
            Self: 'a,
        {
            Box::pin(async move {
                with_connection!(self.0, job.options.lock_timeout(), |conn| op
                    .perform(job, conn, Some(self.0))
                    .await)
            })
        }
    }

    impl<'c, C: Backend, H: Handover<'c, C>> Reach for OnConnection<'c, C, H> {
        fn perform<'a, Op: Operation + 'a>(
            self,
            job: &'a Job<'a>,
            op: Op,
        ) -> BoxFuture<'a, Result<Op::Output, Error>>
        where
            Self: 'a,
        {
            Box::pin(async move {
                let mut taken = self.conn.take().await?;
                let result = op.perform(job, taken.conn(), None).await;
                // The run's session state stays out of the pool (see `Handover`).
                taken.finish().await;
                result
            })
        }
    }
}
