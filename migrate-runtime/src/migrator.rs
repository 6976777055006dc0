//! The migrator: its builder and public entry points. Deciding lives in
//! [`crate::plan`], the work over a connection in [`crate::engine`].

use std::time::Duration;

use migrata_core::Migration;

use crate::code::{CodeTable, CompiledCode};
use crate::driver::handover::Handover;
use crate::driver::{with_connection, Backend};
use crate::engine::session::RevertTarget;
use crate::engine::{self, render};
use crate::error::Error;
use crate::model::{BackendKind, Peer};
use crate::options::{LockStrategy, Options, Policy, TransactionMode};
use crate::plan::adopt::Adoption;
use crate::plan::repair::{Repair, Repaired};
use crate::plan::Job;
use crate::report::Report;
use crate::status::Status;

/// Runs `$body` over the connection `$handover` stands for, then keeps the
/// run's session state out of the pool (see [`Handover`]).
macro_rules! handed_over {
    ($handover:expr, |$conn:ident| $body:expr) => {{
        let mut taken = $handover.take().await?;
        let result = {
            let $conn = taken.conn();
            $body
        };
        taken.finish().await;
        result
    }};
}

/// A configured migration run over a set of migrations.
///
/// ```
/// # async fn demo() -> Result<(), migrata::Error> {
/// use std::time::Duration;
/// use migrata::{Policy, TransactionMode};
///
/// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
///
/// let report = MIGRATIONS
///     .migrator()
///     .table("schema_history")
///     .transaction(TransactionMode::Single)
///     .on_missing(Policy::Warn)
///     .lock_timeout(Duration::from_secs(10))
///     .run("sqlite::memory:")
///     .await?;
/// assert_eq!(report.applied.len(), MIGRATIONS.all().len());
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Migrator does nothing until `run` or `run_on` is awaited"]
pub struct Migrator<'m> {
    job: Job<'m>,
}

impl<'m> Migrator<'m> {
    /// A migrator over `migrations`, which must be ordered by version, then
    /// the repeatable ones by name (as `embed_migrations!` and
    /// [`migrata_core::load_dir`] return them).
    /// It has no compiled code: a run that reaches a code migration is
    /// refused ([`Error::CodeNotCompiled`]); [`Migrations::migrator`](crate::Migrations::migrator)
    /// has the code `embed_migrations!` compiled.
    pub fn new(migrations: &'m [Migration]) -> Self {
        Migrator {
            job: Job::new(migrations, CodeTable::default()),
        }
    }

    /// The compiled functions of the code migrations among `migrations`.
    pub(crate) fn with_code(mut self, code: &'m [CompiledCode]) -> Self {
        self.job.code = CodeTable::new(code);
        self
    }

    /// The options set on this migrator (unset ones take their defaults).
    pub fn options(&self) -> &Options {
        &self.job.options
    }

    /// Fills every option the builder has not set from a lower layer (the
    /// configuration file).
    pub(crate) fn underlay(mut self, options: Options, session_setup: Option<String>) -> Self {
        self.job.options = self.job.options.or(options);
        self.job.session_setup = self.job.session_setup.or(session_setup);
        self
    }

    /// Name of the version table (default `migrate_history`); an identifier
    /// or `schema.table`, validated when the run starts.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.job.options.table = Some(table.into());
        self
    }

    /// Apply migrations up to and including `version`, no further.
    pub fn target(mut self, version: i64) -> Self {
        self.job.target = Some(version);
        self
    }

    /// How migrations are wrapped in transactions.
    pub fn transaction(mut self, mode: TransactionMode) -> Self {
        self.job.options.transaction = Some(mode);
        self
    }

    /// An applied migration whose script was edited since.
    pub fn on_divergent(mut self, policy: Policy) -> Self {
        self.job.options.on_divergent = Some(policy);
        self
    }

    /// A migration recorded in the database that this binary lacks.
    pub fn on_missing(mut self, policy: Policy) -> Self {
        self.job.options.on_missing = Some(policy);
        self
    }

    /// A pending migration older than the newest applied one; `Warn` and
    /// `Ignore` apply it.
    pub fn on_out_of_order(mut self, policy: Policy) -> Self {
        self.job.options.on_out_of_order = Some(policy);
        self
    }

    /// How long to wait for another migrator to finish (default 30 s). On
    /// SQLite this is the busy timeout of connections opened by [`run`](Self::run).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.job.options.lock_timeout = Some(timeout);
        self
    }

    /// How concurrent migrators are kept apart (default
    /// [`LockStrategy::Lease`]).
    pub fn lock(mut self, strategy: LockStrategy) -> Self {
        self.job.options.lock = Some(strategy);
        self
    }

    /// How long a lease lives without renewal (default 30 s); see
    /// [`Options::lease_ttl`].
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.job.options.lease_ttl = Some(ttl);
        self
    }

    /// SQL run right after connecting, e.g. `SET lock_timeout = '5s'`, so DDL
    /// cannot queue forever behind a long transaction.
    pub fn session_setup(mut self, sql: impl Into<String>) -> Self {
        self.job.session_setup = Some(sql.into());
        self
    }

    /// A digest of everything a database migrated by this migrator depends
    /// on besides the server: the crate version, each migration up to the
    /// target (version, name, checksum), the version table's name and the
    /// session setup. Two migrators with one digest build the same schema,
    /// so it names the template of [`crate::testing`].
    #[cfg(feature = "testing")]
    pub(crate) fn outcome_digest(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed, so no two field lists hash alike.
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(self.job.options.table().as_bytes());
        field(self.job.session_setup.as_deref().unwrap_or_default().as_bytes());
        for migration in self.job.migrations {
            if self.job.target.is_some_and(|target| migration.version > target) {
                break;
            }
            field(&migration.version.to_le_bytes());
            field(migration.name.as_bytes());
            field(&migration.checksum.0);
        }
        hasher.finalize().into()
    }

    /// Opens one connection to `url` (sqlx URL syntax; the scheme picks the
    /// backend), brings the database up to date, and closes the connection.
    pub async fn run(&self, url: &str) -> Result<Report, Error> {
        // Boxed: one compiled copy of the run's future (29 KB of a release
        // binary; bench/footprint).
        with_connection!(url, self.job.options.lock_timeout(), |conn| Box::pin(
            engine::apply(&self.job, conn, Some(url))
        )
        .await)
    }

    /// Brings the database up to date over a connection the caller owns.
    ///
    /// When everything is applied this costs one SELECT, which returns a
    /// single row: no lock, no CREATE, no write.
    ///
    /// With work to do it takes the migration lock (by default a lease row,
    /// see [`LockStrategy`]), released before this returns, on success and
    /// on error. If the future is dropped mid-run (or panics), the lease
    /// expires after [`lease_ttl`](Self::lease_ttl) and other migrators
    /// proceed; `conn` can go back to its pool (sqlx rolls back the
    /// abandoned transaction on its next use). With [`run`](Self::run), which
    /// opens its own connections, the lease is also renewed from a second
    /// connection while a long script runs, and released at once from a new
    /// one when the run is dropped; over `conn` alone it is renewed before
    /// each step, so raise `lease_ttl` above your longest single script.
    pub async fn run_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
    ) -> Result<Report, Error> {
        handed_over!(conn, |conn| engine::apply(&self.job, conn, None).await)
    }

    /// Reverts applied migrations newer than `version`, newest first, with
    /// their `.down.sql` scripts; each script and the removal of its history
    /// row commit together. Everything is checked before anything runs: a
    /// migration without a down script is an [`Error::Irreversible`].
    pub async fn revert(&self, url: &str, version: i64) -> Result<Report, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::revert(&self.job, conn, RevertTarget::To(version), Some(url))
            .await)
    }

    /// Reverts the newest applied migration with its down script, as
    /// `migrate down` without `--to` does. Which migration that is is read
    /// under the migration lock, so two concurrent calls revert one each,
    /// never both the same. Nothing applied: an empty report.
    pub async fn revert_last(&self, url: &str) -> Result<Report, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::revert(&self.job, conn, RevertTarget::Newest, Some(url))
            .await)
    }

    /// [`revert_last`](Self::revert_last) over a connection the caller owns.
    pub async fn revert_last_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
    ) -> Result<Report, Error> {
        handed_over!(conn, |conn| engine::revert(&self.job, conn, RevertTarget::Newest, None)
            .await)
    }

    /// [`revert`](Self::revert) over a connection the caller owns.
    pub async fn revert_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
        version: i64,
    ) -> Result<Report, Error> {
        handed_over!(conn, |conn| engine::revert(&self.job, conn, RevertTarget::To(version), None)
            .await)
    }


    /// Records every embedded migration up to and including `version` as
    /// applied without running it: for adopting a database whose schema
    /// already matches. Returns the versions stamped.
    pub async fn stamp(&self, url: &str, version: i64) -> Result<Vec<i64>, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::stamp(&self.job, conn, version, Some(url))
            .await)
    }

    /// [`stamp`](Self::stamp) over a connection the caller owns.
    pub async fn stamp_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
        version: i64,
    ) -> Result<Vec<i64>, Error> {
        handed_over!(conn, |conn| engine::stamp(&self.job, conn, version, None).await)
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
    /// let adoption = migrator.adopt(&url, Peer::Sqlx).await?;
    /// println!("adopted {:?}; pending {:?}", adoption.adopted, adoption.pending);
    /// migrator.run(&url).await?;
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn adopt(&self, url: &str, peer: Peer) -> Result<Adoption, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::adopt(&self.job, conn, peer, Some(url))
            .await)
    }

    /// [`adopt`](Self::adopt) over a connection the caller owns.
    pub async fn adopt_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
        peer: Peer,
    ) -> Result<Adoption, Error> {
        handed_over!(conn, |conn| engine::adopt(&self.job, conn, peer, None).await)
    }


    /// What [`adopt`](Self::adopt) would record, or the disagreements it
    /// would refuse with, without taking the lock or writing anything
    /// ([`Adoption::dry_run`] is set).
    pub async fn check_adoption(&self, url: &str, peer: Peer) -> Result<Adoption, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::check_adoption(&self.job, conn, peer)
            .await)
    }

    /// [`check_adoption`](Self::check_adoption) over a connection the caller owns.
    pub async fn check_adoption_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
        peer: Peer,
    ) -> Result<Adoption, Error> {
        handed_over!(conn, |conn| engine::check_adoption(&self.job, conn, peer).await)
    }


    /// Reads where every migration stands, without changing anything.
    pub async fn status(&self, url: &str) -> Result<Status, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::status(&self.job, conn)
            .await)
    }

    /// [`status`](Self::status) over a connection the caller owns.
    pub async fn status_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
    ) -> Result<Status, Error> {
        handed_over!(conn, |conn| engine::status(&self.job, conn).await)
    }


    /// Settles the rows of migrations marked as failed (scripts that ran
    /// outside a transaction and did not finish), once the schema was fixed
    /// by hand: [`Repair::AsFailureCallsFor`] clears a failed up script's row
    /// (it runs again) and marks a failed down script's row applied again
    /// (reverting can be retried); [`Repair::Clear`] and
    /// [`Repair::MarkApplied`] do one thing to every row. Opens one
    /// connection to `url`, like [`run`](Self::run).
    ///
    /// ```no_run
    /// # async fn example(migrator: migrata::Migrator<'_>) -> Result<(), migrata::Error> {
    /// use migrata::Repair;
    /// for repaired in migrator.repair("sqlite:app.db", Repair::AsFailureCallsFor).await? {
    ///     println!("{}: {:?} after a failed {:?} script", repaired.version, repaired.action, repaired.failed);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn repair(&self, url: &str, choice: Repair) -> Result<Vec<Repaired>, Error> {
        with_connection!(url, self.job.options.lock_timeout(), |conn| engine::repair(&self.job, conn, choice, Some(url))
            .await)
    }

    /// [`repair`](Self::repair) over a connection the caller owns. Takes the
    /// migration lock, so it never touches the row of a migration in progress
    /// elsewhere: until its owner's lease expires, this times out naming it.
    pub async fn repair_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
        choice: Repair,
    ) -> Result<Vec<Repaired>, Error> {
        handed_over!(conn, |conn| engine::repair(&self.job, conn, choice, None).await)
    }



    /// Renders the SQL that [`run`](Self::run) would execute on `backend` to
    /// apply the migrations after `from` (exclusive; `None`: from the start)
    /// up to `to` (inclusive; `None`: the target set with
    /// [`target`](Self::target), or the newest): version table creation, the
    /// transaction statements the mode implies, each script, and the history
    /// writes with literal values. Pipe it into `psql`, `mysql` or `sqlite3`.
    ///
    /// When the range reaches the newest versioned migration, every
    /// repeatable migration follows, replacing its history row: offline
    /// SQL cannot know which changed.
    ///
    /// SQL cannot hold a code migration: a range may end with one (the
    /// script then stops with a comment saying how to run it and go on),
    /// and a range past one is [`Error::CodeOffline`].
    ///
    /// ```
    /// use migrata::{BackendKind, Migrator};
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let sql = MIGRATIONS.migrator().render_up(BackendKind::Postgres, None, Some(1))?;
    /// assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"migrate_history\""));
    /// assert!(sql.contains("INSERT INTO \"migrate_history\""));
    /// # Ok::<(), migrata::Error>(())
    /// ```
    pub fn render_up(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<String, Error> {
        render::up(&self.job, backend, from, to)
    }

    /// Renders the SQL that [`revert`](Self::revert) would execute on
    /// `backend` to go from version `from` (`None`: the newest embedded) down
    /// to `to`, newest first. Every migration in the range needs a down
    /// script; a code migration may end the range, as in
    /// [`render_up`](Self::render_up).
    pub fn render_down(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: i64,
    ) -> Result<String, Error> {
        render::down(&self.job, backend, from, to)
    }
}
