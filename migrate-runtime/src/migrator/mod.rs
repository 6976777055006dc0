//! The migration algorithm, written once and generic over [`Backend`].

mod apply;
mod offline;

use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use crate::backend::Backend;
use crate::connection::with_connection;
use crate::dialect::{Dialect, Elapsed};
use crate::plan::{self, Direction, Rules};
use crate::{Error, HistoryRow, Migration, Report, Status};

/// How migrations are wrapped in transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionMode {
    /// One transaction per migration: the script and its history row commit
    /// together (the default).
    #[default]
    PerMigration,
    /// All pending migrations in one transaction (Alembic's default): all or
    /// nothing. A `-- migrate:no-transaction` script splits the batch.
    Single,
    /// No transactions: each history row is written as failed before its
    /// script and marked successful after.
    None,
}

/// What to do when a consistency check between binary and database fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Policy {
    /// Refuse to run (the default).
    #[default]
    Error,
    /// Log a `tracing` warning and carry on.
    Warn,
    /// Carry on silently.
    Ignore,
}

/// Default name of the version table.
pub const DEFAULT_TABLE: &str = "migrate_history";

/// A configured migration run over a set of migrations.
///
/// ```
/// # async fn demo() -> Result<(), migrate_runtime::Error> {
/// use std::time::Duration;
/// use migrate_runtime::{Policy, TransactionMode};
///
/// static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("../migrations");
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
    migrations: &'m [Migration],
    table: String,
    target: Option<i64>,
    transaction: TransactionMode,
    on_divergent: Policy,
    on_missing: Policy,
    on_out_of_order: Policy,
    lock_timeout: Duration,
    session_setup: Option<String>,
}

impl<'m> Migrator<'m> {
    /// A migrator over `migrations`, which must be ordered by version (as
    /// `embed_migrations!` and [`migrate_core::load_dir`] return them).
    pub fn new(migrations: &'m [Migration]) -> Self {
        Migrator {
            migrations,
            table: DEFAULT_TABLE.to_owned(),
            target: None,
            transaction: TransactionMode::default(),
            on_divergent: Policy::Error,
            on_missing: Policy::Error,
            on_out_of_order: Policy::Error,
            lock_timeout: Duration::from_secs(30),
            session_setup: None,
        }
    }

    /// Name of the version table (default `migrate_history`); an identifier
    /// or `schema.table`, validated when the run starts.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// Apply migrations up to and including `version`, no further.
    pub fn target(mut self, version: i64) -> Self {
        self.target = Some(version);
        self
    }

    /// How migrations are wrapped in transactions.
    pub fn transaction(mut self, mode: TransactionMode) -> Self {
        self.transaction = mode;
        self
    }

    /// An applied migration whose script was edited since.
    pub fn on_divergent(mut self, policy: Policy) -> Self {
        self.on_divergent = policy;
        self
    }

    /// A migration recorded in the database that this binary lacks.
    pub fn on_missing(mut self, policy: Policy) -> Self {
        self.on_missing = policy;
        self
    }

    /// A pending migration older than the newest applied one; `Warn` and
    /// `Ignore` apply it.
    pub fn on_out_of_order(mut self, policy: Policy) -> Self {
        self.on_out_of_order = policy;
        self
    }

    /// How long to wait for another migrator to finish (default 30 s). On
    /// SQLite this is the busy timeout of connections opened by [`run`](Self::run).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// SQL run right after connecting, e.g. `SET lock_timeout = '5s'`, so DDL
    /// cannot queue forever behind a long transaction.
    pub fn session_setup(mut self, sql: impl Into<String>) -> Self {
        self.session_setup = Some(sql.into());
        self
    }

    /// Opens one connection to `url` (sqlx URL syntax; the scheme picks the
    /// backend), brings the database up to date, and closes the connection.
    pub async fn run(&self, url: &str) -> Result<Report, Error> {
        with_connection!(url, self.lock_timeout, |conn| self.run_on(conn).await)
    }

    /// Brings the database up to date over a connection the caller owns.
    ///
    /// When everything is applied this costs one SELECT, which returns a
    /// single row: no lock, no CREATE, no write.
    ///
    /// The PostgreSQL and MySQL migration lock is a session lock on `conn`,
    /// released before this returns, on success and on error. If the future
    /// is dropped mid-run (or panics), the server releases the lock only when
    /// `conn` is closed, so close it rather than return it to a pool.
    pub async fn run_on<B: Backend>(&self, conn: &mut B) -> Result<Report, Error> {
        let dialect = self.prepare(conn).await?;
        let summary = conn.fetch_history(dynamic(dialect.select_summary())).await;
        let history = match summary {
            Ok(rows) => rows.unwrap_or_default(),
            // A truncated summary (or any surprise): read it row by row.
            Err(_) => self.read_history(conn, &dialect).await?,
        };
        // A row still marked failed may belong to a migrator running right
        // now; only under the lock can it be told apart from a dead one.
        let maybe_in_progress = B::KIND.session_lock() && history.iter().any(|row| !row.success);
        if !maybe_in_progress {
            let pending = plan::pending(self.migrations, &history, &self.rules())?;
            if pending.is_empty() {
                tracing::info!(target: "migrate", backend = %B::KIND, "database is up to date");
                return Ok(Report::new(B::KIND));
            }
        }

        let guard = self.lock(conn).await?;
        let result = match self.pin_table(conn, dialect).await {
            Ok(dialect) => self.apply_pending(conn, &dialect).await,
            Err(error) => Err(error),
        };
        self.unlock(conn, guard, result).await
    }

    /// Reverts applied migrations newer than `version`, newest first, with
    /// their `.down.sql` scripts; each script and the removal of its history
    /// row commit together. Everything is checked before anything runs: a
    /// migration without a down script is an [`Error::Irreversible`].
    pub async fn revert(&self, url: &str, version: i64) -> Result<Report, Error> {
        with_connection!(url, self.lock_timeout, |conn| self
            .revert_on(conn, version)
            .await)
    }

    /// [`revert`](Self::revert) over a connection the caller owns.
    pub async fn revert_on<B: Backend>(&self, conn: &mut B, version: i64) -> Result<Report, Error> {
        let dialect = self.prepare(conn).await?;
        let guard = self.lock(conn).await?;
        let result = match self.pin_table(conn, dialect).await {
            Ok(dialect) => self.revert_locked(conn, &dialect, version).await,
            Err(error) => Err(error),
        };
        self.unlock(conn, guard, result).await
    }

    /// Records every embedded migration up to and including `version` as
    /// applied without running it: for adopting a database whose schema
    /// already matches. Returns the versions stamped.
    pub async fn stamp(&self, url: &str, version: i64) -> Result<Vec<i64>, Error> {
        with_connection!(url, self.lock_timeout, |conn| self
            .stamp_on(conn, version)
            .await)
    }

    /// [`stamp`](Self::stamp) over a connection the caller owns.
    pub async fn stamp_on<B: Backend>(
        &self,
        conn: &mut B,
        version: i64,
    ) -> Result<Vec<i64>, Error> {
        let dialect = self.prepare(conn).await?;
        let guard = self.lock(conn).await?;
        let result = match self.pin_table(conn, dialect).await {
            Ok(dialect) => self.stamp_locked(conn, &dialect, version).await,
            Err(error) => Err(error),
        };
        self.unlock(conn, guard, result).await
    }

    /// Reads where every migration stands, without changing anything.
    pub async fn status(&self, url: &str) -> Result<Status, Error> {
        with_connection!(url, self.lock_timeout, |conn| self.status_on(conn).await)
    }

    /// [`status`](Self::status) over a connection the caller owns.
    pub async fn status_on<B: Backend>(&self, conn: &mut B) -> Result<Status, Error> {
        let dialect = self.prepare(conn).await?;
        let history = conn
            .fetch_history(dynamic(dialect.select_status()))
            .await
            .map_err(|source| self.history_error(source))?
            .unwrap_or_default();
        let flag_out_of_order = self.on_out_of_order == Policy::Error;
        Ok(Status::new(
            B::KIND,
            self.migrations,
            history,
            flag_out_of_order,
        ))
    }

    /// Clears the rows of migrations marked as failed, after the schema was
    /// fixed by hand, so the next run applies them again. Returns the versions
    /// cleared. Opens one connection to `url`, like [`run`](Self::run).
    pub async fn repair(&self, url: &str) -> Result<Vec<i64>, Error> {
        with_connection!(url, self.lock_timeout, |conn| self.repair_on(conn).await)
    }

    /// [`repair`](Self::repair) over a connection the caller owns. Takes the
    /// migration lock, so it never clears the row of a migration in progress
    /// elsewhere (on PostgreSQL and MySQL).
    pub async fn repair_on<B: Backend>(&self, conn: &mut B) -> Result<Vec<i64>, Error> {
        let dialect = self.prepare(conn).await?;
        let guard = self.lock(conn).await?;
        let result = match self.pin_table(conn, dialect).await {
            Ok(dialect) => self.clear_failed(conn, &dialect).await,
            Err(error) => Err(error),
        };
        self.unlock(conn, guard, result).await
    }

    /// Names the version table exactly, under the lock and before any script
    /// runs: a script may change `search_path` (a `pg_dump` baseline sets it
    /// empty), and the history writes must still reach the same table.
    async fn pin_table<B: Backend>(
        &self,
        conn: &mut B,
        dialect: Dialect,
    ) -> Result<Dialect, Error> {
        match conn
            .current_schema()
            .await
            .map_err(|source| self.history_error(source))?
        {
            Some(schema) => dialect.in_schema(&schema),
            None => Ok(dialect),
        }
    }

    /// Validates the table name and runs the session setup SQL.
    async fn prepare<B: Backend>(&self, conn: &mut B) -> Result<Dialect, Error> {
        let dialect = Dialect::new(B::KIND, &self.table)?;
        if let Some(sql) = &self.session_setup {
            conn.execute(dynamic(sql.clone()))
                .await
                .map_err(|source| Error::SessionSetup { source })?;
        }
        Ok(dialect)
    }

    /// The slow path, under the lock: create the table, re-read, re-plan, apply.
    async fn apply_pending<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
    ) -> Result<Report, Error> {
        self.create_table(conn, dialect).await?;
        self.apply_plan(conn, dialect, Direction::Up, None).await
    }

    async fn revert_locked<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        version: i64,
    ) -> Result<Report, Error> {
        self.apply_plan(conn, dialect, Direction::Down, Some(version))
            .await
    }

    /// Plans from the history and applies the plan. On SQLite, where no
    /// session lock keeps other migrators out between transactions, a step
    /// that fails because another migrator recorded it first (its script or
    /// history write collides, and its transaction rolls back) is not an
    /// error: the history is read again and the rest re-planned. That keeps
    /// the common path free of per-migration re-checks.
    async fn apply_plan<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        direction: Direction,
        revert_to: Option<i64>,
    ) -> Result<Report, Error> {
        let mut report = Report::new(B::KIND);
        'plan: loop {
            let history = self.read_history(conn, dialect).await?;
            let selected = match revert_to {
                Some(version) => {
                    plan::to_revert(self.migrations, &history, version, &self.rules())?
                }
                None => plan::pending(self.migrations, &history, &self.rules())?,
            };
            for segment in &plan::segments(&selected, direction, self.transaction, B::KIND) {
                if let Err(error) = self
                    .apply_segment(conn, dialect, segment, &mut report)
                    .await
                {
                    if B::KIND.session_lock()
                        || !self.changed_meanwhile(conn, dialect, segment).await?
                    {
                        return Err(error);
                    }
                    tracing::info!(target: "migrate", "another migrator got there first; re-planning");
                    continue 'plan;
                }
            }
            return Ok(report);
        }
    }

    async fn stamp_locked<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        version: i64,
    ) -> Result<Vec<i64>, Error> {
        self.create_table(conn, dialect).await?;
        let history = self.read_history(conn, dialect).await?;
        history.iter().try_for_each(plan::ensure_succeeded)?;
        let mut stamped = Vec::new();
        for migration in self.migrations.iter().filter(|m| m.version <= version) {
            if history.iter().any(|row| row.version == migration.version) {
                continue;
            }
            conn.execute(dynamic(dialect.insert(
                migration,
                true,
                Elapsed::Client(Duration::ZERO),
            )))
            .await
            .map_err(|source| self.history_error(source))?;
            tracing::info!(target: "migrate", version = migration.version, name = %migration.name, "stamped as applied without running it");
            stamped.push(migration.version);
        }
        Ok(stamped)
    }

    async fn clear_failed<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
    ) -> Result<Vec<i64>, Error> {
        let history = self.read_history(conn, dialect).await?;
        let mut cleared = Vec::new();
        for row in history.iter().filter(|row| !row.success) {
            conn.execute(dynamic(dialect.delete_failed(row.version)))
                .await
                .map_err(|source| self.history_error(source))?;
            tracing::warn!(target: "migrate", version = row.version, name = %row.name, "cleared failed migration; it will run again");
            cleared.push(row.version);
        }
        Ok(cleared)
    }

    async fn create_table<B: Backend>(&self, conn: &mut B, dialect: &Dialect) -> Result<(), Error> {
        match conn.execute(dynamic(dialect.create_table())).await {
            Ok(_) => Ok(()),
            Err(source) => Err(self
                .busy_as_lock_timeout(conn, self.history_error(source))
                .await),
        }
    }

    /// Releases the lock taken by [`lock`](Self::lock), whether the work
    /// under it (`result`) succeeded or failed. If the future is dropped or
    /// panics before this, the lock lives until the connection closes:
    /// [`run`](Self::run) owns its connection, so that happens at once.
    async fn unlock<B: Backend, T>(
        &self,
        conn: &mut B,
        guard: LockGuard,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        let unlocked = conn
            .unlock(self.table.clone())
            .await
            .map_err(|source| Error::Lock { source });
        guard.release();
        let value = result?;
        unlocked?;
        Ok(value)
    }

    fn rules(&self) -> Rules {
        Rules {
            target: self.target,
            on_divergent: self.on_divergent,
            on_missing: self.on_missing,
            on_out_of_order: self.on_out_of_order,
        }
    }

    async fn read_history<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
    ) -> Result<Vec<HistoryRow>, Error> {
        let rows = conn
            .fetch_history(dynamic(dialect.select_history()))
            .await
            .map_err(|source| self.history_error(source))?;
        Ok(rows.unwrap_or_default())
    }

    /// A busy database (SQLite's write lock held past the busy timeout) is a
    /// lock timeout, whichever statement met it.
    async fn busy_as_lock_timeout<B: Backend>(&self, conn: &mut B, error: Error) -> Error {
        match &error {
            Error::Migration { source, .. } | Error::History { source, .. }
                if B::is_busy(source) =>
            {
                self.lock_timeout_error(conn).await
            }
            _ => error,
        }
    }

    /// The lock-timeout error, naming the database (one extra query, on this
    /// failure path only).
    async fn lock_timeout_error<B: Backend>(&self, conn: &mut B) -> Error {
        let name = conn.database_name().await.unwrap_or_default();
        Error::LockTimeout {
            database: format!(
                "{} database `{name}` (version table {})",
                B::KIND,
                self.table
            ),
            timeout: self.lock_timeout,
        }
    }

    fn history_error(&self, source: sqlx::Error) -> Error {
        Error::History {
            table: self.table.clone(),
            source,
        }
    }

    async fn lock<B: Backend>(&self, conn: &mut B) -> Result<LockGuard, Error> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut announced = false;
        loop {
            if conn
                .try_lock(self.table.clone())
                .await
                .map_err(|source| Error::Lock { source })?
            {
                if announced {
                    tracing::info!(target: "migrate", waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
                }
                return Ok(LockGuard {
                    table: self.table.clone(),
                    released: false,
                });
            }
            let waited = started.elapsed();
            if waited >= self.lock_timeout {
                return Err(self.lock_timeout_error(conn).await);
            }
            if !announced {
                tracing::info!(target: "migrate", backend = %B::KIND, "waiting for another migrator to release the lock");
                announced = true;
            }
            tokio::time::sleep(delay.min(self.lock_timeout - waited)).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }
}

/// Reports a migration lock abandoned by a dropped or panicking future.
struct LockGuard {
    table: String,
    released: bool,
}

impl LockGuard {
    fn release(mut self) {
        self.released = true;
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.released {
            tracing::error!(
                target: "migrate",
                table = %self.table,
                "migration interrupted while holding the lock; the lock is released when its connection closes"
            );
        }
    }
}

fn dynamic(sql: String) -> SqlStr {
    AssertSqlSafe(sql).into_sql_str()
}
