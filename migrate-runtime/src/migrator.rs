//! The migration algorithm, written once and generic over [`Backend`].

use std::borrow::Cow;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use crate::backend::{Backend, BoxFuture};
use crate::connection::{with_backend, AnyConnection};
use crate::dialect::Dialect;
use crate::plan::{self, Rules};
use crate::{Applied, BackendKind, Error, HistoryRow, Migration, Report, Script};

/// How migrations are wrapped in transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
        let mut conn = AnyConnection::open(url, self.lock_timeout).await?;
        let report = with_backend!(&mut conn, |conn| self.run_on(conn).await);
        conn.close().await;
        report
    }

    /// Brings the database up to date over a connection the caller owns.
    ///
    /// When everything is applied this costs one SELECT: no lock, no CREATE,
    /// no write.
    ///
    /// The PostgreSQL and MySQL migration lock is a session lock on `conn`,
    /// released before this returns, on success and on error. If the future
    /// is dropped mid-run (or panics), the server releases the lock only when
    /// `conn` is closed, so close it rather than return it to a pool.
    pub async fn run_on<B: Backend>(&self, conn: &mut B) -> Result<Report, Error> {
        let dialect = Dialect::new(B::KIND, &self.table)?;
        if let Some(sql) = &self.session_setup {
            conn.execute(dynamic(sql.clone()))
                .await
                .map_err(|source| Error::SessionSetup { source })?;
        }
        let history = self.read_history(conn, &dialect).await?;
        // A row still marked failed may belong to a migrator running right
        // now; only under the lock can it be told apart from a dead one.
        let maybe_in_progress = B::KIND.session_lock() && history.iter().any(|row| !row.success);
        if !maybe_in_progress {
            let pending = plan::pending(self.migrations, &history, &self.rules())?;
            if pending.is_empty() {
                tracing::info!(target: "migrate", backend = %B::KIND, "database is up to date");
                return Ok(Report {
                    backend: B::KIND,
                    applied: Vec::new(),
                });
            }
        }

        let guard = self.lock(conn).await?;
        let result = self.apply_locked(conn, &dialect).await;
        self.unlock(conn, guard, result).await
    }

    /// Clears the rows of migrations marked as failed, after the schema was
    /// fixed by hand, so the next run applies them again. Returns the versions
    /// cleared. Opens one connection to `url`, like [`run`](Self::run).
    pub async fn repair(&self, url: &str) -> Result<Vec<i64>, Error> {
        let mut conn = AnyConnection::open(url, self.lock_timeout).await?;
        let cleared = with_backend!(&mut conn, |conn| self.repair_on(conn).await);
        conn.close().await;
        cleared
    }

    /// [`repair`](Self::repair) over a connection the caller owns. Takes the
    /// migration lock, so it never clears the row of a migration in progress
    /// elsewhere (on PostgreSQL and MySQL).
    pub async fn repair_on<B: Backend>(&self, conn: &mut B) -> Result<Vec<i64>, Error> {
        let dialect = Dialect::new(B::KIND, &self.table)?;
        let guard = self.lock(conn).await?;
        let result = self.clear_failed(conn, &dialect).await;
        self.unlock(conn, guard, result).await
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
    /// lock timeout; anything else is what `other` makes of it.
    fn busy_or<B: Backend>(
        &self,
        source: sqlx::Error,
        other: impl FnOnce(sqlx::Error) -> Error,
    ) -> Error {
        if B::is_busy(&source) {
            Error::LockTimeout {
                database: format!("{} (database write lock)", B::KIND),
                timeout: self.lock_timeout,
            }
        } else {
            other(source)
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
                return Err(Error::LockTimeout {
                    database: format!("{} (version table {})", B::KIND, self.table),
                    timeout: self.lock_timeout,
                });
            }
            if !announced {
                tracing::info!(target: "migrate", backend = %B::KIND, "waiting for another migrator to release the lock");
                announced = true;
            }
            tokio::time::sleep(delay.min(self.lock_timeout - waited)).await;
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }

    /// The slow path, under the lock: create the table, re-read, re-plan, apply.
    async fn apply_locked<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
    ) -> Result<Report, Error> {
        conn.execute(dynamic(dialect.create_table()))
            .await
            .map_err(|source| self.busy_or::<B>(source, |source| self.history_error(source)))?;
        let history = self.read_history(conn, dialect).await?;
        let pending = plan::pending(self.migrations, &history, &self.rules())?;
        let mut report = Report {
            backend: B::KIND,
            applied: Vec::new(),
        };
        let mut batch: Vec<&Migration> = Vec::new();
        for migration in pending {
            let tracked = migration.up.no_transaction
                || self.transaction == TransactionMode::None
                || !B::KIND.transactional_ddl();
            if tracked {
                self.apply_batch(conn, dialect, &mut batch, &mut report)
                    .await?;
                self.apply_tracked(conn, dialect, migration, &mut report)
                    .await?;
            } else {
                batch.push(migration);
                if self.transaction == TransactionMode::PerMigration {
                    self.apply_batch(conn, dialect, &mut batch, &mut report)
                        .await?;
                }
            }
        }
        self.apply_batch(conn, dialect, &mut batch, &mut report)
            .await?;
        Ok(report)
    }

    /// Applies `batch` in one transaction with their history rows, then empties it.
    fn apply_batch<'a, B: Backend>(
        &'a self,
        conn: &'a mut B,
        dialect: &'a Dialect,
        batch: &'a mut Vec<&'m Migration>,
        report: &'a mut Report,
    ) -> BoxFuture<'a, Result<(), Error>> {
        // Boxed so its `Send` is proved once, generically: the compiler cannot
        // infer it through sqlx's transaction futures for a concrete backend
        // (rust-lang/rust#110338), which would make `run` unusable in `tokio::spawn`.
        Box::pin(async move {
            let Some(first) = batch.first() else {
                return Ok(());
            };
            let mut tx = conn
                .begin_with(B::KIND.begin())
                .await
                .map_err(|source| self.busy_or::<B>(source, |source| failed(first, source)))?;
            let mut applied = Vec::new();
            for migration in batch.drain(..) {
                if self
                    .applied_meanwhile::<B>(&mut tx, dialect, migration)
                    .await?
                {
                    continue;
                }
                let started = Instant::now();
                tx.execute(script_sql(&migration.up))
                    .await
                    .map_err(|source| failed(migration, source))?;
                let duration = started.elapsed();
                tx.execute(dynamic(dialect.insert(migration, true, duration)))
                    .await
                    .map_err(|source| failed(migration, source))?;
                applied.push(record(migration, duration));
            }
            let last = applied.last().map(|a: &Applied| a.version);
            tx.commit().await.map_err(|source| Error::Migration {
                version: last.unwrap_or_default(),
                file: "COMMIT".to_owned(),
                source,
            })?;
            for applied in applied {
                log_applied(B::KIND, &applied);
                report.applied.push(applied);
            }
            Ok(())
        })
    }

    /// Runs one migration outside any transaction, bracketed by a history row
    /// written as failed first and marked successful after.
    async fn apply_tracked<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        migration: &Migration,
        report: &mut Report,
    ) -> Result<(), Error> {
        if self.applied_meanwhile(conn, dialect, migration).await? {
            return Ok(());
        }
        conn.execute(dynamic(dialect.insert(migration, false, Duration::ZERO)))
            .await
            .map_err(|source| failed(migration, source))?;
        let started = Instant::now();
        if B::KIND.query_string_is_atomic() {
            let statements: Vec<String> = migrate_core::split_statements(migration.up.sql())
                .into_iter()
                .map(str::to_owned)
                .collect();
            for statement in statements {
                conn.execute(dynamic(statement))
                    .await
                    .map_err(|source| failed(migration, source))?;
            }
        } else {
            conn.execute(script_sql(&migration.up))
                .await
                .map_err(|source| failed(migration, source))?;
        }
        let duration = started.elapsed();
        conn.execute(dynamic(dialect.mark_success(migration.version, duration)))
            .await
            .map_err(|source| failed(migration, source))?;
        let applied = record(migration, duration);
        log_applied(B::KIND, &applied);
        report.applied.push(applied);
        Ok(())
    }

    /// On backends without a session lock (SQLite), another migrator may have
    /// applied `migration` since we planned: re-check it, under the
    /// transaction's write lock where there is one.
    async fn applied_meanwhile<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        migration: &Migration,
    ) -> Result<bool, Error> {
        if B::KIND.session_lock() {
            return Ok(false);
        }
        let rows = conn
            .fetch_history(dynamic(dialect.select_version(migration.version)))
            .await
            .map_err(|source| self.history_error(source))?
            .unwrap_or_default();
        let Some(row) = rows.first() else {
            return Ok(false);
        };
        plan::check_applied(migration, row, &self.rules())?;
        Ok(true)
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

fn script_sql(script: &Script) -> SqlStr {
    match &script.sql {
        Cow::Borrowed(sql) => sql.strip_prefix('\u{feff}').unwrap_or(sql).into_sql_str(),
        Cow::Owned(_) => dynamic(script.sql().to_owned()),
    }
}

fn failed(migration: &Migration, source: sqlx::Error) -> Error {
    Error::Migration {
        version: migration.version,
        file: migration.up.file.to_string(),
        source,
    }
}

fn record(migration: &Migration, duration: Duration) -> Applied {
    Applied {
        version: migration.version,
        name: migration.name.to_string(),
        file: migration.up.file.to_string(),
        duration,
    }
}

fn log_applied(backend: BackendKind, applied: &Applied) {
    tracing::info!(
        target: "migrate",
        version = applied.version,
        name = %applied.name,
        backend = %backend,
        duration_ms = applied.duration.as_millis() as u64,
        "applied migration"
    );
}
