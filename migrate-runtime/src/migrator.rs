//! The migrator: its builder and public entry points. Deciding lives in
//! [`crate::plan`], the work over a connection in [`crate::engine`].

use std::time::Duration;

use migrata_core::Migration;

use crate::code::{CodeTable, CompiledCode};
use crate::database::{AtUrl, Database, OnConnection};
use crate::driver::handover::Handover;
use crate::driver::Backend;
use crate::engine::presence::Presence;
use crate::engine::render;
use crate::error::Error;
use crate::model::BackendKind;
use crate::options::{LockStrategy, LockWait, Options, Policy, TransactionMode};
use crate::plan::Job;
use crate::report::Report;

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
#[must_use = "a Migrator does nothing until `run`, `run_on` or an operation of `at`/`on` is awaited"]
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

    /// A migrator doing `job` (a [`Database`] handle's), for replaying it.
    #[cfg(feature = "schema")]
    pub(crate) fn of_job(job: &Job<'m>) -> Self {
        Migrator { job: job.clone() }
    }

    /// What this migrator was asked to do: for the replays of a squash,
    /// and for the test helper's trace.
    #[cfg(any(feature = "schema", all(feature = "testing", feature = "postgres")))]
    pub(crate) fn job(&self) -> &Job<'m> {
        &self.job
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
    /// or `schema.table`, validated when the run starts. The lease table
    /// beside it is named `<table>_lock`, so on PostgreSQL (63 bytes) and
    /// MySQL (64 characters) the table's own name may be at most 58 and 59
    /// long ([`Error::TableNameTooLong`]).
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
    /// Over 168 h, every operation fails with [`Error::DurationOutOfRange`]
    /// before connecting.
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
    /// [`Options::lease_ttl`]. Below 100 ms or over 168 h, every operation
    /// fails with [`Error::DurationOutOfRange`] before connecting.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.job.options.lease_ttl = Some(ttl);
        self
    }

    /// How long each statement of a migration may wait for a lock held by
    /// another session (default 1 s), or [`LockWait::Off`]: past it the
    /// migration rolls back and is tried again (see [the lock waits
    /// chapter](crate::guide::lock_waits)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrata::LockWait;
    /// # static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let patient = MIGRATIONS.migrator().lock_wait(Duration::from_millis(300)).lock_retry_budget(Duration::from_secs(600));
    /// let as_before = MIGRATIONS.migrator().lock_wait(LockWait::Off);
    /// assert_eq!(as_before.options().lock_wait(), LockWait::Off);
    /// # let _ = patient;
    /// ```
    ///
    /// Below 1 ms or over 168 h, every operation fails with
    /// [`Error::DurationOutOfRange`] before connecting.
    pub fn lock_wait(mut self, wait: impl Into<LockWait>) -> Self {
        self.job.options.lock_wait = Some(wait.into());
        self
    }

    /// How long a migration that gave up waiting for a lock is tried again,
    /// counted from its first try (default 60 s; zero: never). Over 168 h,
    /// every operation fails with [`Error::DurationOutOfRange`] before
    /// connecting.
    pub fn lock_retry_budget(mut self, budget: Duration) -> Self {
        self.job.options.lock_retry_budget = Some(budget);
        self
    }

    /// Apply contract migrations (`-- migrate:phase contract`) now, even
    /// while live replicas of an older release would hold them: the
    /// operator's override (`migrata up --contract`).
    pub fn contract_now(mut self, now: bool) -> Self {
        self.job.contract_now = now;
        self
    }

    /// How long a replica registered by [`run_with_presence`](Self::run_with_presence)
    /// counts as live after its last refresh (default 30 s; refreshed every
    /// third of it): how long a killed replica still holds contract
    /// migrations.
    pub fn presence_ttl(mut self, ttl: Duration) -> Self {
        self.job.presence_ttl = ttl;
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
        field(
            self.job
                .session_setup
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        for migration in self.job.migrations {
            if self
                .job
                .target
                .is_some_and(|target| migration.version > target)
            {
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
        self.at(url).run().await
    }

    /// [`run`](Self::run) for a process that keeps serving: first records
    /// this process as a live replica (the newest migration its binary
    /// embeds, host, pid) in the table `<table>_replicas`, then runs. Keep
    /// the returned [`Presence`] while the process serves: while it is
    /// live, no replica of a newer release applies a contract migration
    /// (`-- migrate:phase contract`) this binary does not embed; those are
    /// held ([`Report::held`]) and applied, exactly once, by the first run
    /// after the last such replica is gone.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    /// let (report, presence) = MIGRATIONS.migrator().run_with_presence(&url).await?;
    /// assert!(report.held.is_empty());
    /// // ... serve ...
    /// presence.shutdown().await?;
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Presence`] when the row cannot be written, and every error
    /// of [`run`](Self::run) (the row is then removed again).
    pub async fn run_with_presence(&self, url: &str) -> Result<(Report, Presence), Error> {
        let newest = self
            .job
            .migrations
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let presence =
            Presence::register(url, self.job.options.table(), newest, self.job.presence_ttl)
                .await?;
        match self.run(url).await {
            Ok(report) => Ok((report, presence)),
            Err(error) => {
                // The run's error is the one to report; the row expires
                // after its TTL if this removal fails too.
                let _ = presence.shutdown().await;
                Err(error)
            }
        }
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
    /// one when the run is dropped or panics (from a thread of its own, so a
    /// panic that takes the runtime down does not stop it); over `conn` alone it is renewed before
    /// each step, so raise `lease_ttl` above your longest single script.
    pub async fn run_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
    ) -> Result<Report, Error> {
        self.on(conn).run().await
    }

    /// The database `url` names, for any operation: run, status, revert,
    /// revert_last, stamp, adopt, check_adoption, repair (see [`Database`]).
    /// Each operation opens one connection and closes it.
    pub fn at<'a>(&'a self, url: &'a str) -> Database<'a, AtUrl<'a>> {
        Database::at(&self.job, url)
    }

    /// The database behind a connection you hold (a `&Pool`, a `&mut
    /// PoolConnection` or `&mut` a connection; see [`Handover`]), for any
    /// operation (see [`Database`]).
    pub fn on<'a, 'c, C: Backend, H: Handover<'c, C>>(
        &'a self,
        conn: H,
    ) -> Database<'a, OnConnection<'c, C, H>> {
        Database::on(&self.job, conn)
    }

    /// The SQL a run or a revert would execute on `backend`, rendered
    /// without connecting (see [`Offline`]).
    pub fn offline(&self, backend: BackendKind) -> Offline<'_> {
        Offline {
            job: &self.job,
            backend,
        }
    }
}

/// Offline SQL: what a migrator would execute on one database, rendered
/// without a connection ([`Migrator::offline`]).
#[derive(Debug, Clone, Copy)]
pub struct Offline<'a> {
    job: &'a Job<'a>,
    backend: BackendKind,
}

impl Offline<'_> {
    /// Renders the SQL that [`run`](Migrator::run) would execute on the backend to
    /// apply the migrations after `from` (exclusive; `None`: from the start)
    /// up to `to` (inclusive; `None`: the target set with
    /// [`target`](Migrator::target), or the newest): version table creation, the
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
    /// use migrata::BackendKind;
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let sql = MIGRATIONS.migrator().offline(BackendKind::Postgres).up(None, Some(1))?;
    /// assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"migrate_history\""));
    /// assert!(sql.contains("INSERT INTO \"migrate_history\""));
    /// # Ok::<(), migrata::Error>(())
    /// ```
    pub fn up(&self, from: Option<i64>, to: Option<i64>) -> Result<String, Error> {
        render::up(self.job, self.backend, from, to)
    }

    /// Renders the SQL that [`revert`](Database::revert) would execute on
    /// the backend to go from version `from` (`None`: the newest embedded) down
    /// to `to`, newest first. Every migration in the range needs a down
    /// script; a code migration may end the range, as in
    /// [`up`](Self::up).
    pub fn down(&self, from: Option<i64>, to: i64) -> Result<String, Error> {
        render::down(self.job, self.backend, from, to)
    }
}
