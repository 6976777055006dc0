//! Everything that differs between databases, one file per database.
//!
//! Each database has two halves in its own file: a [`Dialect`] (its SQL and
//! rules, usable without a connection, as offline mode needs) and an impl of
//! [`Backend`] for its sqlx connection type. The migration algorithm is
//! written once, generic over them. This module is the one registry: adding
//! a database means a new file plus one line in each list below.

mod mysql;
mod postgres;
mod sqlite;

/// Each database's SQL for [`crate::testing`].
#[cfg(feature = "testing")]
pub(crate) mod testing_sql {
    #[cfg(feature = "mysql")]
    pub(crate) use super::mysql::testing as mysql;
    #[cfg(feature = "postgres")]
    pub(crate) use super::postgres::testing as postgres;
    #[cfg(feature = "sqlite")]
    pub(crate) use super::sqlite::testing as sqlite;
}

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use migrata_core::SqlFlavor;
use sqlx::error::DatabaseError;
use sqlx::{Connection, Database, Decode, Row, SqlStr, Type};

use crate::{redact_url, Error, Peer};

/// The database products this crate can migrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// SQLite, through `sqlite:` URLs.
    Sqlite,
    /// PostgreSQL, through `postgres:` / `postgresql:` URLs.
    Postgres,
    /// MySQL and MariaDB, through `mysql:` / `mariadb:` URLs.
    MySql,
}

const ALL: [BackendKind; 3] = [
    BackendKind::Sqlite,
    BackendKind::Postgres,
    BackendKind::MySql,
];

impl BackendKind {
    pub(crate) fn dialect(self) -> &'static dyn Dialect {
        match self {
            BackendKind::Sqlite => &sqlite::SqliteDialect,
            BackendKind::Postgres => &postgres::PostgresDialect,
            BackendKind::MySql => &mysql::MySqlDialect,
        }
    }

    /// Picks the backend from a URL's scheme: the one place URLs are dispatched.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        ALL.into_iter()
            .find(|kind| {
                kind.dialect()
                    .schemes()
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(scheme))
            })
            .ok_or_else(|| Error::UnsupportedUrl {
                scheme: scheme.chars().take(32).collect(),
            })
    }

    /// Lowercase name used in logs and on the command line.
    pub fn name(self) -> &'static str {
        self.dialect().name()
    }

    /// The cargo feature of this crate that compiles the database's driver
    /// (`sqlite`, `postgres`, `mysql`). Without it, SQL for the database can
    /// still be rendered offline, but a URL naming it cannot be connected to.
    pub fn feature(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
            BackendKind::MySql => "mysql",
        }
    }

    /// Whether DDL can be rolled back. Without it (MySQL/MariaDB commit
    /// implicitly on DDL) a migration's history row is written as failed
    /// before its script runs and marked successful afterwards.
    pub fn transactional_ddl(self) -> bool {
        self.dialect().transactional_ddl()
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Column types of the version table.
pub(crate) struct ColumnTypes {
    pub bigint: &'static str,
    pub text: &'static str,
    pub timestamp: &'static str,
}

/// One database's SQL and rules, known without a connection. Defaults are
/// standard SQL; each database overrides what it does differently.
pub(crate) trait Dialect: Sync {
    /// Lowercase name, as in logs and on the command line.
    fn name(&self) -> &'static str;

    /// URL schemes, matched case-insensitively.
    fn schemes(&self) -> &'static [&'static str];

    /// See [`BackendKind::transactional_ddl`].
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// The statement opening a migration's transaction.
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// Whether a script that runs outside a transaction is sent one
    /// statement at a time (e.g. because a multi-statement query string
    /// would run as one implicit transaction).
    fn splits_untransacted_scripts(&self) -> bool {
        false
    }

    /// An expression for the milliseconds since the current query string
    /// started, where the server can measure a script's duration for its
    /// history row (script and row then go in one round trip).
    fn server_elapsed_ms(&self) -> Option<&'static str> {
        None
    }

    /// How the statement splitter and the terminator check read scripts.
    fn sql_flavor(&self) -> SqlFlavor {
        SqlFlavor::Standard
    }

    /// The character that quotes identifiers.
    fn identifier_quote(&self) -> char {
        '"'
    }

    /// A string literal.
    fn quote_literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }

    /// The current UTC time, as stored in `applied_at`.
    fn now_utc(&self) -> &'static str;

    /// The version table's column types.
    fn column_types(&self) -> ColumnTypes;

    /// An aggregate packing every history row as
    /// `version:checksum:success:length:name`, comma-separated, `length`
    /// being the name's length in characters: a name may hold `,` and `:`.
    fn packed_history(&self) -> &'static str;

    /// A hint placed after `SELECT` in the packed history query.
    fn packed_history_hint(&self) -> &'static str {
        ""
    }

    /// `applied_at` as ISO 8601 UTC text with milliseconds.
    fn applied_at_text(&self) -> &'static str;

    /// What an offline script starts with so its client stops at the first
    /// error, as an online run does.
    fn offline_preamble(&self) -> &'static str;

    /// A query for the schema the version table `table` (quoted,
    /// unqualified) lives in: where the name resolves now if the table
    /// exists, else where it would be created. `None` where the database
    /// is the schema.
    fn history_schema(&self, table: &str) -> Option<String> {
        let _ = table;
        None
    }

    /// Which database this connection uses (SQLite: its file), for messages.
    fn database_name(&self) -> &'static str;

    /// A query returning 1 when the session lock for `table` was taken and 0
    /// when another session holds it, without waiting; `None` without
    /// session locks. `table` has been validated as an identifier.
    fn try_lock(&self, table: &str) -> Option<String>;

    /// Releases what [`Dialect::try_lock`] took.
    fn unlock(&self, table: &str) -> Option<String>;

    /// The database clock as milliseconds since the Unix epoch: lease
    /// expiries are compared on the server, so clients' clocks never matter.
    fn now_ms(&self) -> &'static str;

    /// A query returning 1 when this server accepts no writes (a hot
    /// standby, a read-only replica); `None` where that cannot happen.
    fn read_only(&self) -> Option<&'static str> {
        None
    }

    /// Whether a URL names a server (`scheme://user@host/db`) rather than
    /// a file.
    fn url_names_a_server(&self) -> bool {
        true
    }

    /// How to keep foreign-key actions out of a migration's transaction
    /// where the transaction itself cannot switch enforcement off; `None`
    /// where it can (or there is nothing to switch).
    fn foreign_key_suspension(&self) -> Option<&'static ForeignKeySuspension> {
        None
    }

    /// A statement run after taking the lock so that reads see every write
    /// committed before, on any cluster node; failures are ignored (servers
    /// that are not cluster nodes may not know the setting).
    fn after_lock(&self) -> Option<&'static str> {
        None
    }

    /// A query reading `peer`'s history table (see [`Peer::table`]), by
    /// version, as [`PeerRow`]s: `version` as text, `name` and `checksum` as
    /// text or NULL where the tool records none (sqlx's SHA-384 as lowercase
    /// hex, refinery's as the decimal text it stores), and `success` as 0 or 1.
    fn peer_history(&self, peer: Peer) -> &'static str;

    /// Whether `error` is a write conflict with a concurrent session that a
    /// retry resolves (duplicate key, deadlock, certification failure).
    fn is_conflict(&self, error: &dyn DatabaseError) -> bool;

    /// Whether `error` says the version table does not exist.
    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool;

    /// Whether `error` means another connection kept the database locked for
    /// longer than the busy timeout.
    fn is_busy(&self, error: &dyn DatabaseError) -> bool {
        let _ = error;
        false
    }
}

/// A sqlx connection type the migrator can run on: implemented for
/// [`SqliteConnection`](sqlx::SqliteConnection),
/// [`PgConnection`](sqlx::PgConnection) and
/// [`MySqlConnection`](sqlx::MySqlConnection). The trait is sealed; its
/// methods are the migrator's internal primitives.
pub trait Backend:
    Connection<Database: Database<Connection = Self>> + Send + Sized + sealed::Sealed + 'static
{
    /// Which database product this is.
    const KIND: BackendKind;

    #[doc(hidden)]
    /// Executes one or more statements; returns the rows they affected.
    fn execute(&mut self, sql: SqlStr) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a history query of the given shape; `None` when the version
    /// table does not exist.
    fn fetch_history(
        &mut self,
        sql: SqlStr,
        shape: HistoryShape,
    ) -> impl Future<Output = Result<Option<Vec<HistoryRow>>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a query reading another tool's history ([`Dialect::peer_history`]);
    /// `None` when its table does not exist.
    fn fetch_peer_history(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<Option<Vec<PeerRow>>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a query returning one text value.
    fn fetch_text(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a query returning one integer.
    fn fetch_integer(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// The connection as a code migration receives it.
    fn code_connection(&mut self) -> crate::CodeConnection<'_>;

    #[doc(hidden)]
    /// Opens a connection; `busy_timeout` is how long a statement waits for
    /// another connection's write lock where the database has one (SQLite).
    fn open(
        url: &str,
        busy_timeout: Duration,
    ) -> impl Future<Output = Result<Self, sqlx::Error>> + Send;
}

/// The [`Backend`] methods that are the same for every database.
macro_rules! shared_backend_methods {
    () => {
        async fn execute(&mut self, sql: sqlx::SqlStr) -> Result<u64, sqlx::Error> {
            Ok(sqlx::raw_sql(sql).execute(self).await?.rows_affected())
        }

        async fn fetch_history(
            &mut self,
            sql: sqlx::SqlStr,
            shape: $crate::backend::HistoryShape,
        ) -> Result<Option<Vec<$crate::backend::HistoryRow>>, sqlx::Error> {
            let rows = sqlx::raw_sql(sql).fetch_all(self).await;
            $crate::backend::unless_undefined(Self::KIND, rows)?
                .map(|rows| $crate::backend::decode_history(&rows, shape))
                .transpose()
        }

        async fn fetch_peer_history(
            &mut self,
            sql: sqlx::SqlStr,
        ) -> Result<Option<Vec<$crate::backend::PeerRow>>, sqlx::Error> {
            let rows = sqlx::raw_sql(sql).fetch_all(self).await;
            $crate::backend::unless_undefined(Self::KIND, rows)?
                .map(|rows| $crate::backend::decode_peer_history(&rows))
                .transpose()
        }

        async fn fetch_text(&mut self, sql: sqlx::SqlStr) -> Result<Option<String>, sqlx::Error> {
            sqlx::Row::try_get(&sqlx::raw_sql(sql).fetch_one(self).await?, 0)
        }

        async fn fetch_integer(&mut self, sql: sqlx::SqlStr) -> Result<i64, sqlx::Error> {
            sqlx::Row::try_get(&sqlx::raw_sql(sql).fetch_one(self).await?, 0)
        }
    };
}
use shared_backend_methods;

mod sealed {
    pub trait Sealed {}
    #[cfg(feature = "sqlite")]
    impl Sealed for sqlx::SqliteConnection {}
    #[cfg(feature = "postgres")]
    impl Sealed for sqlx::PgConnection {}
    #[cfg(feature = "mysql")]
    impl Sealed for sqlx::MySqlConnection {}
}

/// A connection to whichever database a URL names, among those compiled in.
pub(crate) enum AnyConnection {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlConnection),
}

impl AnyConnection {
    /// Connects to `url`; see [`Backend::open`] for `busy_timeout`.
    pub async fn open(url: &str, busy_timeout: Duration) -> Result<Self, Error> {
        let connect_error = |source| match source {
            sqlx::Error::Tls(_) if !sqlx_core::net::tls::available() => Error::TlsNotCompiled {
                url: redact_url(url),
            },
            source => Error::Connect {
                url: redact_url(url),
                error: source,
            },
        };
        let kind = BackendKind::from_url(url)?;
        let after_scheme = url.split_once(':').map_or("", |(_, rest)| rest);
        if kind.dialect().url_names_a_server() && !after_scheme.starts_with("//") {
            // The driver would read no user or host from it, and MySQL
            // echoes the rest (password included) as the database name.
            return Err(Error::UrlWithoutHost {
                url: redact_url(url),
                scheme: kind.name(),
            });
        }
        Ok(match kind {
            #[cfg(feature = "sqlite")]
            BackendKind::Sqlite => AnyConnection::Sqlite(
                <sqlx::SqliteConnection as Backend>::open(url, busy_timeout)
                    .await
                    .map_err(connect_error)?,
            ),
            #[cfg(feature = "postgres")]
            BackendKind::Postgres => AnyConnection::Postgres(
                <sqlx::PgConnection as Backend>::open(url, busy_timeout)
                    .await
                    .map_err(connect_error)?,
            ),
            #[cfg(feature = "mysql")]
            BackendKind::MySql => AnyConnection::MySql(
                <sqlx::MySqlConnection as Backend>::open(url, busy_timeout)
                    .await
                    .map_err(connect_error)?,
            ),
            // Reachable only in builds without every database feature.
            #[allow(unreachable_patterns)]
            kind => {
                return Err(Error::BackendNotCompiled {
                    backend: kind,
                    feature: kind.feature(),
                })
            }
        })
    }

    /// Closes the connection politely. A failed close cannot undo committed
    /// work, so its error is not reported.
    pub async fn close(self) {
        let _ = with_backend!(self, |conn| conn.close().await);
    }
}

/// Evaluates `$body` with `$conn` bound to the concrete connection inside an
/// [`AnyConnection`], so generic code over `Backend` runs on any of them.
macro_rules! with_backend {
    ($any:expr, |$conn:ident| $body:expr) => {
        match $any {
            #[cfg(feature = "sqlite")]
            $crate::backend::AnyConnection::Sqlite($conn) => $body,
            #[cfg(feature = "postgres")]
            $crate::backend::AnyConnection::Postgres($conn) => $body,
            #[cfg(feature = "mysql")]
            $crate::backend::AnyConnection::MySql($conn) => $body,
        }
    };
}
pub(crate) use with_backend;

/// Opens a connection to `$url`, evaluates `$body` with `$conn` bound to it
/// (as with [`with_backend!`]), closes the connection and yields the body's
/// result: the shape of every `Migrator` method that takes a URL.
macro_rules! with_connection {
    ($url:expr, $busy_timeout:expr, |$conn:ident| $body:expr) => {{
        let mut any = $crate::backend::AnyConnection::open($url, $busy_timeout).await?;
        let result = $crate::backend::with_backend!(&mut any, |$conn| $body);
        any.close().await;
        result
    }};
}
pub(crate) use with_connection;

/// Keeps migration scripts out of sqlx's own logs on the connections this
/// crate opens: its slow-statement warning would print a whole script (a
/// role's new password with it) at WARN, and its statement log at DEBUG.
/// Each migration's duration is logged by the runner instead.
pub(crate) fn quiet<O: sqlx::ConnectOptions>(options: O) -> O {
    options
        .log_statements(log::LevelFilter::Trace)
        .log_slow_statements(log::LevelFilter::Off, Duration::MAX)
}

/// A future whose `Send` is declared rather than inferred.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One row of the version table, as the migrator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryRow {
    /// The migration's version.
    pub version: i64,
    /// Its name when it was applied.
    pub name: String,
    /// Checksum of the script that ran, as 64 hex digits.
    pub checksum: String,
    /// `false` while a non-transactional migration runs, and after it failed.
    pub success: bool,
    /// When it was applied (UTC, ISO 8601), where the query asked for it.
    pub applied_at: Option<String>,
    /// How long its script took, where the query asked for it.
    pub duration_ms: Option<i64>,
}

/// SQLite ignores `PRAGMA foreign_keys` inside a transaction, and sqlx
/// opens connections with enforcement on, so the documented table rebuild
/// (create new, copy, `DROP TABLE` old, rename) would cascade to the child
/// rows. Enforcement is switched off for a run's transactions, as
/// the `sqlite3` shell runs offline scripts, and what it would have refused
/// is checked before commit.
#[derive(Debug)]
pub(crate) struct ForeignKeySuspension {
    /// Returns 1 when the connection enforces foreign keys.
    pub enforced: &'static str,
    pub off: &'static str,
    pub on: &'static str,
    /// Returns a description of every row whose parent is missing, or NULL.
    pub violations: &'static str,
}

/// `None` for a query that failed because its table does not exist.
pub(crate) fn unless_undefined<T>(
    kind: BackendKind,
    result: Result<T, sqlx::Error>,
) -> Result<Option<T>, sqlx::Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(sqlx::Error::Database(e)) if kind.dialect().is_undefined_table(e.as_ref()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One row of another tool's history table, as [`Dialect::peer_history`]
/// reads it.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRow {
    /// The version, as text.
    pub version: String,
    /// The name, where the tool records one.
    pub name: Option<String>,
    /// The checksum, where the tool records one.
    pub checksum: Option<String>,
    /// `false` where the tool marked the migration as failed.
    pub success: bool,
}

/// Decodes the rows of a [`Dialect::peer_history`] query.
pub(crate) fn decode_peer_history<R: Row>(rows: &[R]) -> Result<Vec<PeerRow>, sqlx::Error>
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| {
            Ok(PeerRow {
                version: row.try_get(0)?,
                name: row.try_get(1)?,
                checksum: row.try_get(2)?,
                success: row.try_get::<i64, _>(3)? != 0,
            })
        })
        .collect()
}

/// What a history query returns, so rows are decoded as what they are.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryShape {
    /// One row: the row count and every row packed (see
    /// [`Dialect::packed_history`]).
    Packed,
    /// `version, name, checksum, success` per row.
    Rows,
    /// [`HistoryShape::Rows`] plus `applied_at` text and `duration_ms`.
    Detailed,
}

/// Decodes the rows of a history query of the given shape.
pub(crate) fn decode_history<R: Row>(
    rows: &[R],
    shape: HistoryShape,
) -> Result<Vec<HistoryRow>, sqlx::Error>
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    if shape == HistoryShape::Packed {
        let [row] = rows else {
            return Err(malformed_summary());
        };
        return unpack_summary(row.try_get(0)?, row.try_get(1)?);
    }
    let detailed = shape == HistoryShape::Detailed;
    rows.iter()
        .map(|row| {
            Ok(HistoryRow {
                version: row.try_get(0)?,
                name: row.try_get(1)?,
                checksum: row.try_get(2)?,
                success: row.try_get(3)?,
                applied_at: if detailed { row.try_get(4)? } else { None },
                duration_ms: if detailed { row.try_get(5)? } else { None },
            })
        })
        .collect()
}

fn malformed_summary() -> sqlx::Error {
    sqlx::Error::Decode("malformed or truncated history summary".into())
}

fn unpack_summary(count: i64, packed: Option<String>) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let mut history = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut rest = packed.as_deref().unwrap_or_default();
    while !rest.is_empty() {
        let version = packed_field(&mut rest)?;
        let checksum = packed_field(&mut rest)?;
        let success = packed_field(&mut rest)?;
        let length: usize = packed_field(&mut rest)?
            .parse()
            .map_err(|_| malformed_summary())?;
        let end = match rest.char_indices().nth(length) {
            Some((end, _)) => end,
            None if rest.chars().count() == length => rest.len(),
            None => return Err(malformed_summary()),
        };
        let (name, after) = rest.split_at(end);
        rest = match after.strip_prefix(',') {
            Some(next) if !next.is_empty() => next,
            None if after.is_empty() => after,
            _ => return Err(malformed_summary()),
        };
        history.push(HistoryRow {
            version: version.parse().map_err(|_| malformed_summary())?,
            name: name.to_owned(),
            checksum: checksum.to_owned(),
            success: matches!(success, "1" | "t" | "true"),
            applied_at: None,
            duration_ms: None,
        });
    }
    if i64::try_from(history.len()) != Ok(count) {
        return Err(malformed_summary());
    }
    history.sort_unstable_by_key(|row| row.version);
    Ok(history)
}

/// The text up to the next `:` of a packed row, consumed with the `:`.
fn packed_field<'a>(rest: &mut &'a str) -> Result<&'a str, sqlx::Error> {
    let (field, after) = rest.split_once(':').ok_or_else(malformed_summary)?;
    *rest = after;
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::{unpack_summary, BackendKind};

    #[test]
    fn summaries_unpack_and_truncation_is_detected() {
        let rows = unpack_summary(2, Some("7:abc:1:5:seven,3:def:0:5:three".into())).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.version, r.success))
                .collect::<Vec<_>>(),
            [(3, false), (7, true)]
        );
        assert_eq!(rows[1].name, "seven");
        assert!(unpack_summary(0, None).unwrap().is_empty());
        assert!(unpack_summary(3, Some("7:abc:1:5:seven,3:def:0:5:three".into())).is_err());
        assert!(unpack_summary(2, Some("7:abc:1:5:seven,3:de".into())).is_err());
        assert!(unpack_summary(2, Some("7:abc:1:5:seven,3:def:0:5:thr".into())).is_err());
        assert!(unpack_summary(1, Some("7:abc:1:5:seven,".into())).is_err());
        assert!(unpack_summary(1, Some("7:abc:1:4:seven".into())).is_err());
    }

    /// Issue 12, item 3: names are labels (sqlx's `add users, emails`,
    /// `[2.0.0]_initial`), so the separators may appear in them.
    #[test]
    fn issue_12_names_with_separators_unpack() {
        let rows = unpack_summary(
            2,
            Some("1:abc:1:9:a,b:c,d:e,2:def:1:12:ünïcode, 2.0".into()),
        )
        .unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a,b:c,d:e", "ünïcode, 2.0"]);
    }

    #[test]
    fn url_schemes() {
        assert_eq!(
            BackendKind::from_url("sqlite::memory:").ok(),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(
            BackendKind::from_url("postgresql://h/db").ok(),
            Some(BackendKind::Postgres)
        );
        assert_eq!(
            BackendKind::from_url("MariaDB://h/db").ok(),
            Some(BackendKind::MySql)
        );
        assert!(BackendKind::from_url("oracle://u:secret@h").is_err());
        assert!(BackendKind::from_url("no scheme").is_err());
    }
}
