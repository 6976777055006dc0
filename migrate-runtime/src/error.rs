//! Everything that can stop a migration run, as one error type whose
//! messages name the migration and never a password.

use std::fmt;
use std::time::Duration;

use crate::model::{AdoptionProblem, BackendKind, CodeError, Peer};

/// Everything that can stop a migration run. Each message names the migration
/// (version and file) where one is involved, and never contains a password.
///
/// Messages are complete: a variant that wraps a driver, I/O or code error
/// (its `error` field) includes that error's text in its own message and
/// does not also return it from [`source()`](std::error::Error::source), so a
/// report that walks the chain (`anyhow`'s `{:#}`) prints it once. Match the
/// variant to inspect the wrapped error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL's scheme is not one this crate handles.
    #[error("unsupported database URL scheme `{scheme}:` (expected sqlite:, postgres:, postgresql:, mysql: or mariadb:)")]
    UnsupportedUrl {
        /// The scheme found, possibly empty.
        scheme: String,
    },
    /// The URL is empty, or a SQLite URL names no file (SQLite would open a
    /// temporary database that is deleted when the run ends).
    #[error("the database URL `{url}` names no database: give a server URL or a SQLite file (sqlite:app.db), or sqlite::memory: for a throwaway in-memory database")]
    EmptyUrl {
        /// The URL as given, with any password replaced by `***`.
        url: String,
    },
    /// The URL names a database whose driver this build does not include.
    #[error("{backend} URLs need migrata's `{feature}` feature, which this build does not enable (add it to the dependency's `features`)")]
    BackendNotCompiled {
        /// The database the URL names.
        backend: BackendKind,
        /// The cargo feature that compiles its driver.
        feature: &'static str,
    },
    /// The server (or the URL's `sslmode`/`ssl-mode`) requires TLS, and no
    /// TLS backend of sqlx is compiled in.
    #[error("cannot connect to {url}: TLS is required, but this build has no TLS support; enable one of migrata's features `tls-rustls`, `tls-rustls-ring-native-roots`, `tls-rustls-aws-lc-rs` or `tls-native-tls`")]
    TlsNotCompiled {
        /// The URL with any password replaced by `***`.
        url: String,
    },
    /// The server closed the connection (or answered with garbage) when
    /// asked to start TLS: typically a proxy (pgbouncer, HAProxy, a cloud
    /// load balancer) with no healthy primary behind it.
    #[error("cannot connect to {url}: the server closed the connection during the TLS handshake (no primary behind a proxy?); the driver read: {response}")]
    ClosedDuringTlsHandshake {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What the driver made of the answer.
        response: String,
    },
    /// The connection handed to `run_on` or `Migrator::on` is inside a transaction.
    #[error("the connection handed to the migrator is inside a transaction: migrations commit their own transactions, so pass the pool or a connection outside any transaction")]
    InTransaction,
    /// Checking a connection out of the pool handed to the migrator failed.
    #[error("cannot get a connection from the pool: {}", Shown(error))]
    Acquire {
        /// The pool's error.
        error: sqlx::Error,
    },
    /// A server URL without `//` after the scheme: nothing is sent.
    #[error("database URL `{url}` has no `//` after `{scheme}:`, so no user or host can be read from it; write {scheme}://user:password@host:port/database")]
    UrlWithoutHost {
        /// The URL as far as it can be shown without a password.
        url: String,
        /// Its scheme.
        scheme: &'static str,
    },
    /// Connecting failed (or the URL did not parse).
    #[error("cannot connect to {url}: {}", Shown(error))]
    Connect {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The driver error.
        error: sqlx::Error,
    },
    /// The version table name is not a plain identifier (or `schema.table`).
    #[error("invalid version table name `{table}`: use letters, digits and `_`, not starting with a digit, optionally `schema.table`")]
    InvalidTableName {
        /// The rejected name.
        table: String,
    },
    /// A duration option is outside the range it may take.
    #[error("`{option}` is {value:?}, outside its range: {allowed}")]
    DurationOutOfRange {
        /// The option, as named in `migrate.toml`.
        option: &'static str,
        /// The value given.
        value: Duration,
        /// The values it may take, and why.
        allowed: &'static str,
    },
    /// A name cannot be written as an identifier of the database: a
    /// database, schema or table name that is empty, holds NUL or is longer
    /// than the database keeps.
    #[error("`{name}` cannot be used as a name in SQL: {problem}")]
    InvalidIdentifier {
        /// The name (its first 80 characters).
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The version table's name fits the database, but the lease table
    /// named after it (`<table>_lock`) would not: PostgreSQL would
    /// truncate that name onto the version table's own.
    #[error("version table name `{table}` is too long for {backend}: the table `{lease}` named after it would be longer than {backend}'s limit of {limit}; use a name at least {excess} shorter")]
    TableNameTooLong {
        /// The configured name.
        table: String,
        /// The name of the table beside it that is too long: the lease
        /// table (`<table>_lock`) or the replica presence table
        /// (`<table>_replicas`).
        lease: String,
        /// The database.
        backend: BackendKind,
        /// The database's identifier limit, e.g. `63 bytes`.
        limit: String,
        /// By how much the lease table's name is too long.
        excess: usize,
    },
    /// The session setup SQL failed.
    #[error("session setup SQL failed: {}", Shown(error))]
    SessionSetup {
        /// The database error.
        error: sqlx::Error,
    },
    /// Reading or creating the version table failed.
    #[error("version table {table}: {}", Shown(error))]
    History {
        /// The version table.
        table: String,
        /// The database error.
        error: sqlx::Error,
    },
    /// A migration script (or its history row) failed; its transaction, if
    /// it had one, was rolled back.
    #[error("{} failed{}: {}{}", Subject(*version, file), AtLine(*line), Shown(error), LeftFailed(*left_failed))]
    Migration {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// The line of the failing statement's first word in the script,
        /// where the script ran statement by statement outside a
        /// transaction (MySQL), so the statement is known; `None` for a
        /// script that ran whole, and for its history row.
        line: Option<usize>,
        /// The database error.
        error: sqlx::Error,
        /// Whether it ran outside a transaction after its history row was
        /// claimed, so the row is left marked failed (a lost connection
        /// too): the next run refuses it until `repair`.
        left_failed: bool,
    },
    /// A code migration's `up` or `down` returned an error that is not a
    /// database error (those are [`Error::Migration`]); its transaction, if
    /// it had one, was rolled back.
    #[error("{} failed: {error}{}", Subject(*version, file), LeftFailed(*left_failed))]
    Code {
        /// The migration's version.
        version: i64,
        /// The code migration's file name.
        file: String,
        /// What the code returned.
        error: CodeError,
        /// As in [`Error::Migration`]: the row is left marked failed.
        left_failed: bool,
    },
    /// A run would have to execute a code migration that this binary did
    /// not compile: the standalone `migrata` tool, or migrations read from
    /// a directory at run time. Nothing ran.
    #[error("{} is a code migration, which only the application binary that embeds it (embed_migrations!) can run, and this one read the migrations directory at run time; nothing was run: use the application binary's `migrate` subcommand (migrata-cli), or stop before it (`--to` a lower version)", Subject(*version, file))]
    CodeNotCompiled {
        /// The migration's version.
        version: i64,
        /// The code migration's file name.
        file: String,
    },
    /// Offline SQL was asked for a range that goes past a code migration,
    /// which SQL cannot contain.
    #[error("{} is a code migration, which offline SQL cannot contain, and the range goes past it: end the range there (`--to {stop}`), where the script stops with a marker, run it with the application binary's `migrate` subcommand, then render the rest", Subject(*version, file))]
    CodeOffline {
        /// The migration's version.
        version: i64,
        /// The code migration's file name.
        file: String,
        /// The range end that stops at it.
        stop: i64,
    },
    /// An applied migration's recorded checksum differs from the embedded script.
    #[error("{} was edited after it was applied: recorded checksum {applied}, its script's now {embedded}; restore the file, or set on_divergent to warn/ignore", Subject(*version, file))]
    Divergent {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// Checksum in the version table.
        applied: String,
        /// Checksum of the embedded script.
        embedded: String,
    },
    /// The database records a migration this binary does not contain.
    #[error("{} is applied in the database but missing from this binary (an older build, or a deleted file?); set on_missing to warn/ignore to run anyway", Subject(*version, name))]
    Missing {
        /// The recorded version.
        version: i64,
        /// The recorded name.
        name: String,
    },
    /// A pending migration is older than the newest applied one.
    #[error("{} is pending but older than the newest applied migration {newest} (merged late?); set on_out_of_order to warn/ignore to apply it anyway", Subject(*version, file))]
    OutOfOrder {
        /// The pending migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// The newest applied version.
        newest: i64,
    },
    /// A migration is recorded as failed: it ran outside a transaction and
    /// did not finish, so it may be partially applied.
    #[error("{} is marked as failed in the version table: it ran without a transaction and may be partially applied; check the schema by hand, then run `repair` (Database::repair): it clears the row of a failed up script, so it runs again (undo its partial effects first), and marks a failed down script's row applied, so reverting can be retried; `repair --clear` / `--mark-applied` (Repair::Clear / MarkApplied) choose otherwise", Subject(*version, name))]
    Dirty {
        /// The migration's version.
        version: i64,
        /// The recorded name.
        name: String,
    },
    /// The connection was lost after a migration's COMMIT was sent: the
    /// server may or may not have committed it (and the migrations sent
    /// with it in the same query string).
    #[error("the connection was lost while committing {}{}, so whether it is applied is unknown: the next run reads the version table, which commits with the script, and applies it only if it is not recorded ({})", Subject(*version, file), SentWith(*sent_with), Shown(error))]
    OutcomeUnknown {
        /// The version of the last migration of the transaction.
        version: i64,
        /// The script's file name.
        file: String,
        /// How many migrations went before it in the same query string,
        /// each in a transaction of its own: any of them may be applied or
        /// not (PostgreSQL's one round trip for several migrations).
        sent_with: usize,
        /// What the driver reported.
        error: sqlx::Error,
    },
    /// A migration left rows whose foreign keys point at no parent row
    /// (SQLite, where enforcement is suspended during migrations); it was
    /// rolled back.
    #[error("{} leaves rows whose foreign keys point at no parent: {violations}; it was rolled back (foreign-key actions such as ON DELETE CASCADE do not fire during SQLite migrations: delete the child rows in the script)", Subject(*version, file))]
    ForeignKeyViolation {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// The offending rows, as `table row N references missing parent`.
        violations: String,
    },
    /// A migration ran outside a transaction, but its history row was gone
    /// when the runner came to mark it done.
    #[error("{} ran, but its history row was removed while it ran (by `repair`?), so the database no longer records it; check the schema, then `stamp` it or undo it", Subject(*version, file))]
    HistoryRowVanished {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
    },
    /// The database applied some of the migrations the baseline replaced,
    /// but not the newest of them, which are gone from this binary.
    #[error("the baseline {} replaces the migrations up to version {version}, but the database applied them only up to version {newest}: the ones between were squashed away; migrate it to version {version} with a release from before the squash, then run this one", Subject(*version, file))]
    BehindBaseline {
        /// The baseline's version.
        version: i64,
        /// The baseline's file name.
        file: String,
        /// The newest version the database recorded.
        newest: i64,
    },
    /// A revert would go past the baseline: the migrations it replaced are
    /// gone, and a baseline has no down script.
    #[error("cannot revert version {version}: it is at or below the baseline {} and the migrations the baseline replaced are gone; revert to version {baseline} at the lowest; nothing was reverted", Subject(*baseline, file))]
    RevertPastBaseline {
        /// The version the revert would undo.
        version: i64,
        /// The baseline's version.
        baseline: i64,
        /// The baseline's file name.
        file: String,
    },
    /// A migration to revert has no `.down.sql` script.
    #[error("{} cannot be reverted: it has no down script (add a `.down.sql` beside an `.up.sql`); nothing was reverted", Subject(*version, file))]
    Irreversible {
        /// The migration's version.
        version: i64,
        /// The up script's file name.
        file: String,
    },
    /// A statement of a migration waited longer than
    /// [`lock_wait`](crate::Options::lock_wait) for a lock another session
    /// held, on every try within
    /// [`lock_retry_budget`](crate::Options::lock_retry_budget) (or on its
    /// only try, for a script outside a transaction that does not say
    /// `-- migrate:retry-safe`). Each try's transaction rolled back.
    #[error("{} could not get its locks: a statement waited longer than lock_wait ({lock_wait:?}) for a lock held by {}; {}{}", Subject(*version, file), Blocker(blocker.as_deref()), Tries { attempts: *attempts, retried: *retried, error }, LeftFailed(*left_failed))]
    LockWaitExhausted {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// What held the lock, as last seen from a second connection while
        /// the statement waited: on PostgreSQL each blocking session's pid,
        /// application name, state and how long its transaction had run;
        /// on MySQL/MariaDB the sessions whose transactions began before
        /// the waiting statement. `None` when not seen (SQLite cannot say;
        /// a migrator handed a connection has no second one).
        blocker: Option<Box<str>>,
        /// How many times the migration ran (1: it was not retried).
        attempts: u32,
        /// The bound on each lock wait.
        lock_wait: Duration,
        /// Whether it was retried until the budget was spent (else it
        /// ran outside a transaction without `-- migrate:retry-safe`, or
        /// the budget is zero).
        retried: bool,
        /// The database's error for the last wait.
        error: sqlx::Error,
        /// As in [`Error::Migration`]: the row is left marked failed.
        left_failed: bool,
    },
    /// A `-- migrate:check` query of a migration returned false (or NULL,
    /// or no row), or failed: the migration did not run, and nothing was
    /// changed (the check ran before the script, inside its transaction
    /// where it has one, before its history row outside one).
    #[error("{} refused by its check on line {line} (`{check}`): {}; nothing was changed", Subject(*version, file), CheckOutcome(error.as_ref()))]
    CheckFailed {
        /// The migration's version.
        version: i64,
        /// The script's file name.
        file: String,
        /// The line of the `-- migrate:check` directive.
        line: usize,
        /// The check's query.
        check: String,
        /// The database error, when the query failed rather than
        /// returned false.
        error: Option<sqlx::Error>,
    },
    /// A script's directives no longer parse: its text was changed after
    /// it was loaded (loading and `embed_migrations!` check them). Nothing
    /// was run.
    #[error("{error}")]
    Directives {
        /// What the directive parser says.
        error: migrata_core::Error,
    },
    /// Another migrator held the lock for longer than the lock timeout.
    #[error("timed out after {timeout:?} waiting for the migration lock on {database}{}", holder.as_ref().map(|h| format!(": held by {h} (host:pid:id); it is released when that migrator finishes, or when its lease expires if it died")).unwrap_or_else(|| " (another migrator is running, or a session still holds the lock)".to_owned()))]
    LockTimeout {
        /// The database, as a redacted URL or name.
        database: String,
        /// How long we waited.
        timeout: Duration,
        /// The migrator holding the lease, where known.
        holder: Option<String>,
    },
    /// This migrator's lease expired (a step or a pause outlasted the lease
    /// lifetime) and another migrator took it, so nothing more was
    /// recorded; the current step's transaction, if any, rolled back. A
    /// lease that expired but that nobody took is not lost.
    #[error("lost the migration lease ({owner}, lifetime {ttl:?}): it expired and another migrator took it over, so this one stopped without recording more; {}", if *heartbeat {
        "its heartbeat, which renews it from a second connection while a step runs, could not reach the database for longer than lease_ttl (a network or server outage), or this process was paused that long"
    } else {
        "over a connection handed to the migrator it is renewed only between steps, and a step or a pause outlasted lease_ttl: raise lease_ttl above the longest step, or let the migrator open its own connections (Migrator::run with a URL) so a heartbeat renews it"
    })]
    LeaseLost {
        /// This migrator's lease owner id.
        owner: String,
        /// The lease lifetime.
        ttl: Duration,
        /// Whether a heartbeat renewed the lease while steps ran (the
        /// migrator opened its own connections).
        heartbeat: bool,
    },
    /// The server accepts no writes (a hot standby or read-only replica)
    /// and migrations are pending.
    #[error("{database} is read-only (a standby or replica) and migrations are pending: run migrations against the primary")]
    ReadOnly {
        /// The database, named as in lock errors.
        database: String,
    },
    /// Another tool's history does not match the embedded migrations, or
    /// this binary's version table disagrees with it; nothing was written.
    #[error("cannot adopt {peer}'s history (table {}): it does not match this binary's migrations, so nothing was written:{}", peer.table(), Listed(problems))]
    AdoptionRefused {
        /// The tool whose history was read.
        peer: Peer,
        /// Every disagreement found.
        problems: Vec<AdoptionProblem>,
    },
    /// The other tool's history table is not in the database.
    #[error("no {} table in this database: nothing to adopt from {peer}", peer.table())]
    NoPeerHistory {
        /// The tool whose history was looked for.
        peer: Peer,
    },
    /// A statement managing a test database or its template failed
    /// (`migrata::testing`).
    #[error("test database {database}: {action} failed: {}", Shown(error))]
    TestDatabase {
        /// What was being done, e.g. `create from template migrate_template_…`.
        action: String,
        /// The test database or template, by name.
        database: String,
        /// The database error.
        error: sqlx::Error,
    },
    /// A `TestPrefix` (see [the testing chapter](crate::guide::testing)) (or the
    /// `MIGRATE_TEST_PREFIX` variable) that could make names another
    /// prefix's, or PostgreSQL's length limit, would not keep apart
    /// (`migrata::testing`).
    #[error("invalid test database prefix {prefix:?}: {reason}")]
    InvalidTestPrefix {
        /// The prefix as given.
        prefix: String,
        /// What rule it breaks.
        reason: String,
    },
    /// A file of a SQLite test database or template could not be written,
    /// copied, locked or removed (`migrata::testing`).
    #[error("test database file {}: {action} failed: {error}", path.display())]
    TestDatabaseFile {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A code migration ended the transaction the runner ran it in
    /// (`COMMIT` or `ROLLBACK` of its own), so it was not recorded.
    #[error("{} ended the migration's transaction itself (COMMIT or ROLLBACK), so it was not recorded: what it did before that is committed or rolled back outside the runner; remove the statement (the runner commits each migration with its history row), undo what it left by hand, and run again", Subject(*version, file))]
    CodeEndedTransaction {
        /// The migration's version.
        version: i64,
        /// The code migration's file.
        file: String,
    },
    /// A lock trace (`Migrator::trace`, see [the trace chapter](crate::guide::trace)) was asked
    /// of a database whose locks cannot be read per statement.
    #[error("tracing what each statement locks needs PostgreSQL: {}", match backend {
        crate::model::BackendKind::Sqlite => "SQLite locks the whole database, not tables, so there is nothing per table to trace",
        _ => "MySQL and MariaDB release a DDL statement's metadata locks when it ends (it commits implicitly), so they cannot be read after it; the lint's mysql-table-copy and column-type-change rules cover what copies a table",
    })]
    TraceUnsupported {
        /// The database of the scratch URL.
        backend: crate::model::BackendKind,
    },
    /// Reading the schema from the database's catalog failed
    /// (`Database::inspect`, see [the schema chapter](crate::guide::schema)).
    #[error("reading the {backend} schema failed: {}", Shown(error))]
    Inspect {
        /// The database read.
        backend: crate::model::BackendKind,
        /// The database error.
        error: sqlx::Error,
    },
    /// The desired schema's SQL failed on the scratch database it was
    /// applied to (`Migrator::diff`, see [the schema chapter](crate::guide::schema)).
    #[error(
        "the desired schema's SQL failed on a scratch database: {}",
        Shown(error)
    )]
    DesiredSchema {
        /// The database error.
        error: sqlx::Error,
    },
    /// A squash (`Migrator::squash`, see
    /// [Squashing](crate::guide::schema#squashing)) up to a version it
    /// cannot replace.
    #[error("cannot squash up to version {version}: {problem}")]
    Squash {
        /// The version asked for.
        version: i64,
        /// Why not.
        problem: &'static str,
    },
    /// The baseline a squash rendered did not rebuild the schema of the
    /// migrations it would replace, on a scratch database: a squash never
    /// writes a baseline that would give new databases another schema.
    #[error("the baseline for version {version} does not rebuild the schema of the migrations it would replace: {}; nothing was written", differences.join("; "))]
    UnfaithfulBaseline {
        /// The version squashed up to.
        version: i64,
        /// What the rebuilt schema lacks or has in excess, or the error the
        /// baseline failed with.
        differences: Vec<String>,
    },
    /// Taking or releasing the migration lock failed.
    #[error("migration lock: {}", Shown(error))]
    Lock {
        /// The database error.
        error: sqlx::Error,
    },
    /// Registering, refreshing, reading or removing replica presence
    /// failed.
    #[error("replica presence table {table}: {}", Shown(error))]
    Presence {
        /// The presence table's name.
        table: String,
        /// The database error.
        error: sqlx::Error,
    },
}

/// A driver error as sqlx displays it, except that a PostgreSQL error does
/// not end in ` at line N`: sqlx 0.9 appends the line of the server's C
/// source that raised it (the `L` field), which readers take for a line of
/// their script.
struct Shown<'a>(&'a sqlx::Error);

/// How errors name a migration: `migration 3 (`0003_users.sql`)`, or
/// `repeatable migration `R__views.sql``, whose version is only a key.
struct Subject<'a>(i64, &'a str);

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Subject(version, file) = *self;
        if migrata_core::is_repeatable_version(version) {
            write!(f, "repeatable migration `{file}`")
        } else {
            write!(f, "migration {version} (`{file}`)")
        }
    }
}

/// Which statement of a script failed, where that is known.
struct AtLine(Option<usize>);

impl fmt::Display for AtLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " in its statement on line {line}"),
            None => Ok(()),
        }
    }
}

/// The migrations sent before the one an error names, in the same query
/// string.
struct SentWith(usize);

impl fmt::Display for SentWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => write!(f, " and the migration sent before it in the same query string (each in its own transaction)"),
            n => write!(f, " and the {n} migrations sent before it in the same query string (each in its own transaction)"),
        }
    }
}

/// What a failure outside a transaction leaves behind, after the error.
struct LeftFailed(bool);

impl fmt::Display for LeftFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 {
            f.write_str("; it ran outside a transaction, so its row in the version table is left marked failed and it may be partially applied: check the schema by hand, then run `repair` (Database::repair), which the next run requires")?;
        }
        Ok(())
    }
}

/// What held a lock, or why that is not known.
struct Blocker<'a>(Option<&'a str>);

impl fmt::Display for Blocker<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(blocker) => f.write_str(blocker),
            None => f.write_str("another session (not seen: SQLite does not say which connection; PostgreSQL and MySQL are watched from a second connection only when the migrator opened its own)"),
        }
    }
}

/// How often a migration that waited too long for a lock was tried, and
/// the database's error.
struct Tries<'a> {
    attempts: u32,
    retried: bool,
    error: &'a sqlx::Error,
}

impl fmt::Display for Tries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.retried {
            match self.attempts {
                1 => f.write_str("tried once")?,
                attempts => write!(f, "tried {attempts} times")?,
            }
            f.write_str(", rolled back each time, until lock_retry_budget was spent; end or wait out that session, or raise lock_retry_budget")?;
        } else {
            f.write_str("not retried: it ran outside a transaction and does not say `-- migrate:retry-safe` (or lock_retry_budget is 0)")?;
        }
        write!(f, " ({})", Shown(self.error))
    }
}

/// Why a check refused its migration.
struct CheckOutcome<'a>(Option<&'a sqlx::Error>);

impl fmt::Display for CheckOutcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("it returned false (or NULL, or no row)"),
            Some(error) => write!(f, "it failed: {}", Shown(error)),
        }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "postgres")]
        if let Some(error) = self
            .0
            .as_database_error()
            .and_then(|error| error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
        {
            // sqlx's own wording, without the suffix.
            return write!(f, "error returned from database: {}", error.message());
        }
        self.0.fmt(f)
    }
}

/// Problems, one per line.
struct Listed<'a>(&'a [AdoptionProblem]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}
