//! What each statement of the pending migrations locks, measured on a
//! scratch copy ([`Migrator::trace`]; PostgreSQL only), and budgets a test
//! or CI asserts over it.
//!
//! The migrations up to the starting point are replayed on a scratch
//! database (a [`TestDatabase`](super::TestDatabase), from its template).
//! Then each pending migration runs there in a transaction of its own,
//! statement by statement, and after each statement the trace reads the
//! relation locks the session holds (`pg_locks WHERE pid =
//! pg_backend_pid()`) and the tables' `relfilenode`s. On each table that
//! existed before the migration, a statement is charged with the strongest
//! mode the session holds on it when the statement raised it: a table the
//! transaction already holds as strongly is not waited for again. A lock
//! on an index counts as a lock on its table, since planning any query on
//! a table opens every index of it. A table whose `relfilenode` changed
//! was rewritten. The transaction commits, so
//! the next migration sees its effects.
//!
//! What is not measured, and said so in the report ([`Measured`]): a
//! script outside a transaction (`-- migrate:no-transaction`) runs
//! statement by statement too, but each statement's locks are released
//! when it ends, so only rewrites are seen; a code migration runs through
//! the migrator, unmeasured. Locks a statement takes and releases before
//! it ends (on catalogs, or on a table only looked at) are not seen.

#[cfg(feature = "postgres")]
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use crate::error::Error;
use crate::migrator::Migrator;
use crate::model::BackendKind;

/// A PostgreSQL table lock mode, weakest first: the order of
/// [the manual's table](https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES),
/// in which each mode blocks at least the application traffic the one
/// before it blocks (reads take ACCESS SHARE, writes ROW EXCLUSIVE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockMode {
    /// `SELECT`: conflicts only with ACCESS EXCLUSIVE.
    AccessShare,
    /// `SELECT ... FOR UPDATE/SHARE`.
    RowShare,
    /// `INSERT`, `UPDATE`, `DELETE`.
    RowExclusive,
    /// `VACUUM`, `ANALYZE`, `CREATE INDEX CONCURRENTLY`, `VALIDATE
    /// CONSTRAINT`: blocks no reads or writes.
    ShareUpdateExclusive,
    /// `CREATE INDEX`: blocks writes.
    Share,
    /// `CREATE TRIGGER`, `ADD FOREIGN KEY` (on both tables): blocks writes.
    ShareRowExclusive,
    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY`: blocks writes and `FOR
    /// UPDATE`.
    Exclusive,
    /// Most `ALTER TABLE` forms, `DROP TABLE`, `TRUNCATE`: blocks reads
    /// and writes.
    AccessExclusive,
}

impl LockMode {
    /// Every mode, weakest first.
    pub const ALL: &'static [LockMode] = &[
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// The kebab-case name (`access-exclusive`), as JSON and
    /// [`FromStr`](std::str::FromStr) spell it.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "access-share",
            LockMode::RowShare => "row-share",
            LockMode::RowExclusive => "row-exclusive",
            LockMode::ShareUpdateExclusive => "share-update-exclusive",
            LockMode::Share => "share",
            LockMode::ShareRowExclusive => "share-row-exclusive",
            LockMode::Exclusive => "exclusive",
            LockMode::AccessExclusive => "access-exclusive",
        }
    }

    /// The name in PostgreSQL's SQL and manual: `ACCESS EXCLUSIVE`.
    pub fn sql_name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// The mode `pg_locks.mode` names (`AccessExclusiveLock`); `None` for
    /// the predicate locks of serializable transactions (`SIReadLock`).
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        let name = mode.strip_suffix("Lock")?;
        LockMode::ALL.iter().copied().find(|candidate| {
            candidate
                .sql_name()
                .replace(' ', "")
                .eq_ignore_ascii_case(name)
        })
    }

    /// Whether the application's `INSERT`/`UPDATE`/`DELETE` wait for it.
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }

    /// Whether the application's `SELECT`s wait for it.
    pub fn blocks_reads(self) -> bool {
        self == LockMode::AccessExclusive
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// A name [`LockMode::from_str`](std::str::FromStr::from_str) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lock mode `{0}`: expected access-share, row-share, row-exclusive, share-update-exclusive, share, share-row-exclusive, exclusive or access-exclusive")]
pub struct UnknownLockMode(pub String);

impl std::str::FromStr for LockMode {
    type Err = UnknownLockMode;

    /// The kebab-case name, or the SQL one (`access exclusive`), in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        LockMode::ALL
            .iter()
            .copied()
            .find(|mode| mode.name() == wanted)
            .ok_or_else(|| UnknownLockMode(name.to_owned()))
    }
}

/// What one statement did to one table that existed before its migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableLock {
    /// The table, qualified when outside the current schema.
    pub table: String,
    /// The strongest mode held on it or its indexes, when the statement
    /// raised it; `None` when it did not (or, outside a transaction, where
    /// locks are not measured).
    pub mode: Option<LockMode>,
    /// Whether the statement rewrote it (its `relfilenode` changed).
    pub rewrote: bool,
}

/// One statement of a traced script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// 1-based line of its first keyword (the lint's numbering).
    pub line: usize,
    /// Its text, whitespace collapsed, cut after [`SQL_WIDTH`] characters.
    pub sql: String,
    /// The existing tables it locked or rewrote, by name.
    pub tables: Vec<TableLock>,
}

/// How far a migration's statements could be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measured {
    /// In a transaction: every lock a statement added and every rewrite.
    Transaction,
    /// `-- migrate:no-transaction`: each statement's locks are released when
    /// it ends, so only rewrites are seen.
    OutsideTransaction,
    /// A code migration: run by the migrator, not measured.
    Code,
}

/// One traced migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationTrace {
    /// Its version (a repeatable migration's key).
    pub version: i64,
    /// Its up script's file.
    pub file: String,
    /// What was measured.
    pub measured: Measured,
    /// Its statements, in order (none for a code migration).
    pub statements: Vec<StatementTrace>,
}

/// What every pending migration's statements locked: [`Migrator::trace`].
/// `Display` renders a table per migration; `serde` serializes it (the
/// CLI's `trace --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceReport {
    /// The newest version replayed before the trace (`None`: none).
    pub after: Option<i64>,
    /// The traced migrations, in the order a run applies them.
    pub migrations: Vec<MigrationTrace>,
}

/// A statement over a budget: one table it locked or rewrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The migration's version.
    pub version: i64,
    /// The migration's file.
    pub file: String,
    /// The statement's line.
    pub line: usize,
    /// The statement, abbreviated.
    pub sql: String,
    /// What it did to the table.
    pub lock: TableLock,
}

impl fmt::Display for Violation {
    /// `` `0002_x.sql` line 3: ACCESS EXCLUSIVE on users, rewritten: ALTER TABLE ...``
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` line {}: ", self.file, self.line)?;
        match self.lock.mode {
            Some(mode) => write!(f, "{mode} on {}", self.lock.table)?,
            None => write!(f, "{}", self.lock.table)?,
        }
        if self.lock.rewrote {
            f.write_str(", rewritten")?;
        }
        write!(f, ": {}", self.sql)
    }
}

impl TraceReport {
    /// Every (statement, table) whose lock is `at_least` or stronger
    /// ([`LockMode`]'s order): `violations(LockMode::AccessExclusive)`
    /// lists what blocks reads, `violations(LockMode::Share)` what blocks
    /// writes. Statements outside a transaction are not measured, so never
    /// listed.
    pub fn violations(&self, at_least: LockMode) -> Vec<Violation> {
        self.matching(|lock| lock.mode.is_some_and(|mode| mode >= at_least))
    }

    /// Every (statement, table) that rewrote the table.
    pub fn rewrites(&self) -> Vec<Violation> {
        self.matching(|lock| lock.rewrote)
    }

    /// Panics, listing each one, unless no statement locks an existing
    /// table in `at_least` or a stronger mode: a test's budget, e.g.
    /// `trace.assert_no(LockMode::AccessExclusive)`.
    #[track_caller]
    pub fn assert_no(&self, at_least: LockMode) {
        let violations = self.violations(at_least);
        assert!(
            violations.is_empty(),
            "{} statement(s) lock an existing table in {at_least} mode or stronger:\n{}",
            violations.len(),
            list(&violations)
        );
    }

    /// Panics, listing each one, unless no statement rewrites an existing
    /// table.
    #[track_caller]
    pub fn assert_no_rewrite(&self) {
        let rewrites = self.rewrites();
        assert!(
            rewrites.is_empty(),
            "{} statement(s) rewrite an existing table:\n{}",
            rewrites.len(),
            list(&rewrites)
        );
    }

    /// The migrations whose locks were not (fully) measured.
    pub fn unmeasured(&self) -> impl Iterator<Item = &MigrationTrace> {
        self.migrations
            .iter()
            .filter(|migration| migration.measured != Measured::Transaction)
    }

    fn matching(&self, wanted: impl Fn(&TableLock) -> bool) -> Vec<Violation> {
        let mut found = Vec::new();
        for migration in &self.migrations {
            for statement in &migration.statements {
                for lock in statement.tables.iter().filter(|lock| wanted(lock)) {
                    found.push(Violation {
                        version: migration.version,
                        file: migration.file.clone(),
                        line: statement.line,
                        sql: statement.sql.clone(),
                        lock: lock.clone(),
                    });
                }
            }
        }
        found
    }
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("  {violation}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl fmt::Display for TraceReport {
    /// Per migration, a line per statement and existing table it touched:
    ///
    /// ```text
    /// migration 2 `0002_add_flag.sql` (in a transaction)
    ///   line  statement                                 table  lock              rewrote
    ///      2  ALTER TABLE users ADD COLUMN token uuid…  users  ACCESS EXCLUSIVE  yes
    ///      3  CREATE INDEX users_token ON users (token) users  SHARE             no
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.migrations.is_empty() {
            return f.write_str("nothing to trace: no migration is pending\n");
        }
        for migration in &self.migrations {
            let how = match migration.measured {
                Measured::Transaction => "in a transaction",
                Measured::OutsideTransaction => {
                    "outside a transaction: locks end with each statement, only rewrites are measured"
                }
                Measured::Code => "a code migration: run, not measured",
            };
            writeln!(
                f,
                "migration {} `{}` ({how})",
                migration.version, migration.file
            )?;
            if migration.measured == Measured::Code {
                continue;
            }
            let rows: Vec<[String; 5]> = migration
                .statements
                .iter()
                .flat_map(|statement| {
                    let row = |lock: Option<&TableLock>| {
                        [
                            statement.line.to_string(),
                            statement.sql.clone(),
                            lock.map_or_else(|| "-".to_owned(), |lock| lock.table.clone()),
                            lock.and_then(|lock| lock.mode)
                                .map_or_else(|| "-".to_owned(), |mode| mode.to_string()),
                            match lock {
                                Some(lock) if lock.rewrote => "yes".to_owned(),
                                Some(_) => "no".to_owned(),
                                None => "-".to_owned(),
                            },
                        ]
                    };
                    if statement.tables.is_empty() {
                        vec![row(None)]
                    } else {
                        statement
                            .tables
                            .iter()
                            .map(|lock| row(Some(lock)))
                            .collect()
                    }
                })
                .collect();
            let header = ["line", "statement", "table", "lock", "rewrote"].map(str::to_owned);
            let widths: Vec<usize> = (0..5)
                .map(|column| {
                    std::iter::once(&header)
                        .chain(&rows)
                        .map(|row| row[column].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(&rows) {
                let line = format!(
                    "  {:>w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2],
                    w3 = widths[3],
                );
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        Ok(())
    }
}

/// The width a statement's text is cut to in a trace.
pub const SQL_WIDTH: usize = 60;

/// `sql` on one line (whitespace collapsed), cut after [`SQL_WIDTH`]
/// characters with `…`.
#[cfg(feature = "postgres")]
fn abbreviate(sql: &str) -> String {
    let collapsed = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= SQL_WIDTH {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(SQL_WIDTH - 1).collect();
    format!("{}…", cut.trim_end())
}

/// A relation that existed before the migration: the table it counts
/// under (itself, or an index's table), by oid and name.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, PartialEq, Eq)]
struct Relation {
    table: i64,
    table_name: String,
}

/// The relations of a database at one moment: what existed, and each
/// one's `relfilenode`.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Catalog {
    relations: HashMap<i64, Relation>,
    filenodes: HashMap<i64, i64>,
}

/// What a statement is charged with, decided from what the session held
/// and what the tables' files were before it (`held_before`, `before`) and
/// after it (`held_after`, `after`): per table of `existing` (the catalog
/// before the migration), the strongest mode held on it or its indexes
/// when the statement raised it (a table already held as strongly is not
/// waited for again), and whether its file changed. Sorted by table name;
/// tables with neither are left out.
#[cfg(feature = "postgres")]
fn charge(
    existing: &Catalog,
    held_before: &BTreeSet<(i64, LockMode)>,
    held_after: &BTreeSet<(i64, LockMode)>,
    before: &Catalog,
    after: &Catalog,
) -> Vec<TableLock> {
    let strongest = |held: &BTreeSet<(i64, LockMode)>| {
        let mut per_table: HashMap<i64, LockMode> = HashMap::new();
        for (oid, mode) in held {
            if let Some(relation) = existing.relations.get(oid) {
                let strongest = per_table.entry(relation.table).or_insert(*mode);
                *strongest = (*strongest).max(*mode);
            }
        }
        per_table
    };
    let (was, now) = (strongest(held_before), strongest(held_after));
    let mut tables: BTreeMap<&str, TableLock> = BTreeMap::new();
    fn of<'t, 'c>(
        tables: &'t mut BTreeMap<&'c str, TableLock>,
        relation: &'c Relation,
    ) -> &'t mut TableLock {
        tables
            .entry(relation.table_name.as_str())
            .or_insert_with(|| TableLock {
                table: relation.table_name.clone(),
                mode: None,
                rewrote: false,
            })
    }
    for (oid, relation) in &existing.relations {
        let is_table = relation.table == *oid;
        if let Some(mode) = now
            .get(oid)
            .filter(|mode| is_table && Some(**mode) > was.get(oid).copied())
        {
            of(&mut tables, relation).mode = Some(*mode);
        }
        let rewrote = is_table
            && matches!(
                (before.filenodes.get(oid), after.filenodes.get(oid)),
                (Some(old), Some(new)) if old != new
            );
        if rewrote {
            of(&mut tables, relation).rewrote = true;
        }
    }
    tables.into_values().collect()
}

impl Migrator<'_> {
    /// What each statement of the pending migrations locks: replays the
    /// migrations up to and including `after` (none when `None`) on a
    /// scratch database made on the server `scratch_url` names (as
    /// [`test_database`](Self::test_database) makes them, dropped after),
    /// then runs each later one up to this migrator's
    /// [`target`](Self::target) statement by statement, reading after each
    /// statement the locks its session holds and the tables' files (see the
    /// [module](self) for what is measured and what is not). The usual
    /// `after` is the newest version applied in production
    /// ([`Database::status`](crate::Database::status)).
    ///
    /// PostgreSQL only: MySQL releases a DDL statement's metadata locks
    /// when the statement ends (it commits implicitly), so they cannot be
    /// read after it, and SQLite locks the whole database. Both are
    /// [`Error::TraceUnsupported`].
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// use migrata::testing::trace::LockMode;
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// // A PostgreSQL server to make the scratch database on.
    /// let Ok(base) = std::env::var("MIGRATE_TEST_POSTGRES_URL") else { return Ok(()) };
    /// let trace = MIGRATIONS.migrator().trace(&base, Some(1)).await?;
    /// println!("{trace}");
    /// trace.assert_no(LockMode::AccessExclusive);
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub async fn trace(&self, scratch_url: &str, after: Option<i64>) -> Result<TraceReport, Error> {
        match BackendKind::from_url(scratch_url)? {
            #[cfg(feature = "postgres")]
            BackendKind::Postgres => postgres::trace(self, scratch_url, after).await,
            #[cfg(not(feature = "postgres"))]
            BackendKind::Postgres => Err(super::database::not_compiled(BackendKind::Postgres)),
            backend => Err(Error::TraceUnsupported { backend }),
        }
    }
}

/// The line of `statement`'s first keyword in `sql`, which it is a slice of.
#[cfg(feature = "postgres")]
fn line_of(sql: &str, statement: &str) -> usize {
    let start = statement.as_ptr() as usize - sql.as_ptr() as usize;
    let code = start + migrata_core::code_offset(statement);
    sql[..code].matches('\n').count() + 1
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::collections::BTreeSet;

    use sqlx::{PgConnection, Row};

    use super::{abbreviate, charge, line_of, Catalog, Relation};
    use super::{LockMode, Measured, MigrationTrace, StatementTrace, TraceReport};
    use crate::driver::Backend;
    use crate::error::Error;
    use crate::migrator::Migrator;
    use crate::plan::runs_repeatables;
    use crate::sql::sql_str;
    use crate::sql::testing::postgres as pg_sql;
    use crate::testing::admin::open_postgres;
    use crate::testing::TestDatabase;

    pub(super) async fn trace(
        migrator: &Migrator<'_>,
        scratch_url: &str,
        after: Option<i64>,
    ) -> Result<TraceReport, Error> {
        let replayed = migrator.clone().target(after.unwrap_or(i64::MIN));
        let scratch = replayed.test_database(scratch_url).await?;
        let traced = trace_on(migrator, &scratch, after).await;
        scratch.discard().await?;
        traced
    }

    async fn trace_on(
        migrator: &Migrator<'_>,
        scratch: &TestDatabase,
        after: Option<i64>,
    ) -> Result<TraceReport, Error> {
        let job = migrator.job();
        let newest = job.migrations.last().map(|m| m.version);
        let repeatables = runs_repeatables(newest, job.target)
            && !runs_repeatables(newest, Some(after.unwrap_or(i64::MIN)));
        let pending = job
            .migrations
            .iter()
            .filter(|m| after.is_none_or(|after| m.version > after))
            .filter(|m| job.target.is_none_or(|target| m.version <= target))
            .chain(job.repeatables.iter().filter(|_| repeatables));
        let mut conn = open_postgres(scratch.url()).await?;
        if let Some(sql) = &job.session_setup {
            conn.execute(sql_str(sql.clone()))
                .await
                .map_err(|error| Error::SessionSetup { error })?;
        }
        let mut report = TraceReport {
            after,
            migrations: Vec::new(),
        };
        let mut last_scripted = after;
        for migration in pending {
            let script = &migration.up;
            let failed = |error| Error::Migration {
                version: migration.version,
                file: script.file.to_string(),
                line: None,
                error,
                left_failed: false,
            };
            if migration.is_code() {
                // The migrator runs code; the scripts traced before it are
                // recorded first, so that it runs this one alone.
                if let Some(version) = last_scripted {
                    migrator.at(scratch.url()).stamp(version).await?;
                }
                migrator
                    .clone()
                    .target(migration.version)
                    .run(scratch.url())
                    .await?;
                report.migrations.push(MigrationTrace {
                    version: migration.version,
                    file: script.file.to_string(),
                    measured: Measured::Code,
                    statements: Vec::new(),
                });
                continue;
            }
            let transaction = !script.no_transaction;
            let read = Reader { scratch };
            let existing = read.catalog(&mut conn).await?;
            let mut before = existing.clone();
            let mut held = BTreeSet::new();
            if transaction {
                conn.execute(sql_str("BEGIN".to_owned()))
                    .await
                    .map_err(failed)?;
            }
            let sql = script.sql();
            let mut statements = Vec::new();
            for statement in migrata_core::split_statements(sql) {
                conn.execute(sql_str(statement.to_owned()))
                    .await
                    .map_err(failed)?;
                let now = read.catalog(&mut conn).await?;
                let held_now = if transaction {
                    read.locks(&mut conn).await?
                } else {
                    BTreeSet::new()
                };
                statements.push(StatementTrace {
                    line: line_of(sql, statement),
                    sql: abbreviate(&statement[migrata_core::code_offset(statement)..]),
                    tables: charge(&existing, &held, &held_now, &before, &now),
                });
                before = now;
                held = held_now;
            }
            if transaction {
                conn.execute(sql_str("COMMIT".to_owned()))
                    .await
                    .map_err(failed)?;
            }
            last_scripted = Some(migration.version);
            report.migrations.push(MigrationTrace {
                version: migration.version,
                file: script.file.to_string(),
                measured: if transaction {
                    Measured::Transaction
                } else {
                    Measured::OutsideTransaction
                },
                statements,
            });
        }
        // The report stands whether or not the goodbye reaches the server.
        let _ = sqlx::Connection::close(conn).await;
        Ok(report)
    }

    /// Reads the catalog of the scratch database, naming it in errors.
    struct Reader<'a> {
        scratch: &'a TestDatabase,
    }

    impl Reader<'_> {
        fn failed(&self, error: sqlx::Error) -> Error {
            Error::TestDatabase {
                action: "reading the session's locks for a trace".into(),
                database: self.scratch.name().to_owned(),
                error,
            }
        }

        async fn catalog(&self, conn: &mut PgConnection) -> Result<Catalog, Error> {
            let rows = sqlx::raw_sql(sql_str(pg_sql::TRACE_RELATIONS.to_owned()))
                .fetch_all(&mut *conn)
                .await
                .map_err(|error| self.failed(error))?;
            let mut catalog = Catalog::default();
            for row in rows {
                let decoded: Result<(i64, i64, String, i64), sqlx::Error> = (|| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                    ))
                })();
                let (oid, table, table_name, filenode) =
                    decoded.map_err(|error| self.failed(error))?;
                catalog
                    .relations
                    .insert(oid, Relation { table, table_name });
                catalog.filenodes.insert(oid, filenode);
            }
            Ok(catalog)
        }

        async fn locks(&self, conn: &mut PgConnection) -> Result<BTreeSet<(i64, LockMode)>, Error> {
            let rows = sqlx::raw_sql(sql_str(pg_sql::TRACE_LOCKS.to_owned()))
                .fetch_all(&mut *conn)
                .await
                .map_err(|error| self.failed(error))?;
            let mut held = BTreeSet::new();
            for row in rows {
                let decoded: Result<(i64, String), sqlx::Error> =
                    (|| Ok((row.try_get(0)?, row.try_get(1)?)))();
                let (oid, mode) = decoded.map_err(|error| self.failed(error))?;
                held.extend(LockMode::from_pg_locks(&mode).map(|mode| (oid, mode)));
            }
            Ok(held)
        }
    }
}
