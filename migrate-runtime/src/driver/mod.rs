//! Connections, one file per database: the sealed [`Backend`] trait the
//! engine is generic over, implemented for each sqlx connection type;
//! opening one from a URL ([`AnyConnection`]); taking one over from the
//! caller ([`handover`]); and the typed reads of the version table
//! ([`history`]).

pub(crate) mod handover;
pub(crate) mod history;
#[cfg(feature = "mysql")]
pub(crate) mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::{Connection, Database, Decode, Row, SqlStr, Type};

use crate::code::CodeConnection;
use crate::error::Error;
use crate::model::{BackendKind, HistoryRow, PeerRow, Replica};
use crate::sql::dialect_of;
use crate::url::{redact_url, without_ignored_parameters};

/// A sqlx connection type the migrator can run on: implemented for
/// `SqliteConnection`,
/// `PgConnection` and
/// `MySqlConnection`. The trait is sealed; its
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
    /// Executes a query string of several statements, which the server
    /// runs in order until the first error: per result the server sent
    /// (one per statement; a `CALL` also sends one per result set of its
    /// procedure) the rows it affected, and, in order, the integer of every
    /// row whose one column is named `marker` (a string reporting its
    /// progress as it goes); or, at the first error, how far it got.
    fn execute_each(
        &mut self,
        sql: SqlStr,
        marker: Option<&'static str>,
    ) -> impl Future<Output = Result<Executed, Stopped>> + Send;

    #[doc(hidden)]
    /// Runs a history query of the given shape; `None` when the version
    /// table does not exist.
    fn fetch_history(
        &mut self,
        sql: SqlStr,
        shape: HistoryShape,
    ) -> impl Future<Output = Result<Option<Vec<HistoryRow>>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a query reading another tool's history ([`Dialect::peer_history`](crate::sql::Dialect::peer_history));
    /// `None` when its table does not exist.
    fn fetch_peer_history(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<Option<Vec<PeerRow>>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a listing of the presence table
    /// ([`ReplicaTable::live`](crate::sql::presence::ReplicaTable::live) or
    /// [`all`](crate::sql::presence::ReplicaTable::all)); `None` when the
    /// table does not exist.
    fn fetch_replicas(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<Option<Vec<Replica>>, sqlx::Error>> + Send;

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
    /// Reads the schema of the connection's database (PostgreSQL: every
    /// schema but the system's) from its catalog.
    #[cfg(feature = "schema")]
    fn inspect(
        &mut self,
    ) -> impl Future<Output = Result<crate::schema::Schema, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// The connection as a code migration receives it.
    fn code_connection(&mut self) -> CodeConnection<'_>;

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

        async fn execute_each(
            &mut self,
            sql: sqlx::SqlStr,
            marker: Option<&'static str>,
        ) -> Result<$crate::driver::Executed, $crate::driver::Stopped> {
            let mut results = sqlx::raw_sql(sql).fetch_many(self);
            let mut done = $crate::driver::Executed::default();
            loop {
                let next = std::future::poll_fn(|cx| {
                    futures_core::Stream::poll_next(results.as_mut(), cx)
                });
                let error = match next.await {
                    None => return Ok(done),
                    Some(Ok(sqlx::Either::Left(result))) => {
                        done.rows_affected.push(result.rows_affected());
                        continue;
                    }
                    Some(Ok(sqlx::Either::Right(row))) => {
                        match marker.map(|marker| $crate::driver::mark(&row, marker)) {
                            Some(Ok(Some(mark))) => {
                                done.marks.push(mark);
                                continue;
                            }
                            None | Some(Ok(None)) => continue,
                            Some(Err(error)) => error,
                        }
                    }
                    Some(Err(error)) => error,
                };
                return Err($crate::driver::Stopped { done, error });
            }
        }

        async fn fetch_history(
            &mut self,
            sql: sqlx::SqlStr,
            shape: $crate::driver::HistoryShape,
        ) -> Result<Option<Vec<$crate::model::HistoryRow>>, sqlx::Error> {
            let rows = sqlx::raw_sql(sql).fetch_all(self).await;
            $crate::driver::unless_undefined(Self::KIND, rows)?
                .map(|rows| $crate::driver::decode_history(&rows, shape))
                .transpose()
        }

        async fn fetch_peer_history(
            &mut self,
            sql: sqlx::SqlStr,
        ) -> Result<Option<Vec<$crate::model::PeerRow>>, sqlx::Error> {
            let rows = sqlx::raw_sql(sql).fetch_all(self).await;
            $crate::driver::unless_undefined(Self::KIND, rows)?
                .map(|rows| $crate::driver::decode_peer_history(&rows))
                .transpose()
        }

        async fn fetch_replicas(
            &mut self,
            sql: sqlx::SqlStr,
        ) -> Result<Option<Vec<$crate::model::Replica>>, sqlx::Error> {
            let rows = sqlx::raw_sql(sql).fetch_all(self).await;
            $crate::driver::unless_undefined(Self::KIND, rows)?
                .map(|rows| $crate::driver::decode_replicas(&rows))
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
            // sqlx-postgres reads a closed connection as a zero byte
            // (`unexpected response from SSLRequest: 0x00`): what a proxy
            // does when it has no server to hand the connection to.
            sqlx::Error::Protocol(message)
                if message.starts_with("unexpected response from SSLRequest") =>
            {
                Error::ClosedDuringTlsHandshake {
                    url: redact_url(url),
                    response: message,
                }
            }
            source => Error::Connect {
                url: redact_url(url),
                error: source,
            },
        };
        let kind = BackendKind::from_url(url)?;
        let after_scheme = url.split_once(':').map_or("", |(_, rest)| rest);
        if kind.url_names_a_server() && !after_scheme.starts_with("//") {
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
            $crate::driver::AnyConnection::Sqlite($conn) => $body,
            #[cfg(feature = "postgres")]
            $crate::driver::AnyConnection::Postgres($conn) => $body,
            #[cfg(feature = "mysql")]
            $crate::driver::AnyConnection::MySql($conn) => $body,
        }
    };
}
pub(crate) use with_backend;

/// Opens a connection to `$url`, evaluates `$body` with `$conn` bound to it
/// (as with [`with_backend!`]), closes the connection and yields the body's
/// result: the shape of every `Migrator` method that takes a URL.
macro_rules! with_connection {
    ($url:expr, $busy_timeout:expr, |$conn:ident| $body:expr) => {{
        let mut any = $crate::driver::AnyConnection::open($url, $busy_timeout).await?;
        let result = $crate::driver::with_backend!(&mut any, |$conn| $body);
        any.close().await;
        result
    }};
}
pub(crate) use with_connection;

/// `url` as the driver should parse it: without the query parameters it
/// would ignore, which sqlx-postgres would log with their values (an
/// `sslpassword`, a mistyped `PASSWORD`); each is logged here by name only.
pub fn driver_url(url: &str) -> Cow<'_, str> {
    let (url, ignored) = without_ignored_parameters(url);
    for parameter in ignored {
        tracing::warn!(
            target: "migrata",
            %parameter,
            "ignoring a connect parameter the database driver does not read"
        );
    }
    url
}

/// Keeps migration scripts out of sqlx's own logs on the connections this
/// crate opens: its slow-statement warning would print a whole script (a
/// role's new password with it) at WARN, and its statement log at DEBUG.
/// Each migration's duration is logged by the runner instead.
pub(crate) fn quiet<O: sqlx::ConnectOptions>(options: O) -> O {
    options
        .log_statements(log::LevelFilter::Trace)
        .log_slow_statements(log::LevelFilter::Off, Duration::MAX)
}

/// What a query string of several statements did ([`Backend::execute_each`]).
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Executed {
    /// The rows each result affected, one result per statement that ran.
    pub rows_affected: Vec<u64>,
    /// The integers of the marker rows, in order.
    pub marks: Vec<i64>,
}

/// Where a query string of several statements stopped
/// ([`Backend::execute_each`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct Stopped {
    /// What ran before the error: `done.rows_affected.len()` statements.
    pub done: Executed,
    /// The error.
    pub error: sqlx::Error,
}

/// A future whose `Send` is declared rather than inferred.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `None` for a query that failed because its table does not exist.
pub(crate) fn unless_undefined<T>(
    kind: BackendKind,
    result: Result<T, sqlx::Error>,
) -> Result<Option<T>, sqlx::Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(sqlx::Error::Database(e)) if dialect_of(kind).is_undefined_table(e.as_ref()) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Decodes the rows of a [`Dialect::peer_history`](crate::sql::Dialect::peer_history) query.
/// `row`'s integer, if its one column is named `marker` (see
/// [`Backend::execute_each`]).
pub(crate) fn mark<R: Row>(row: &R, marker: &str) -> Result<Option<i64>, sqlx::Error>
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    match row.columns() {
        [column] if sqlx::Column::name(column) == marker => row.try_get(0).map(Some),
        _ => Ok(None),
    }
}

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
    /// [`Dialect::packed_history`](crate::sql::Dialect::packed_history)).
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

/// Decodes the rows of a presence table listing
/// ([`ReplicaTable::live`](crate::sql::presence::ReplicaTable::live),
/// [`all`](crate::sql::presence::ReplicaTable::all)).
pub(crate) fn decode_replicas<R: Row>(rows: &[R]) -> Result<Vec<Replica>, sqlx::Error>
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| {
            // Clocks of different sessions (or Galera nodes) may put a
            // moment slightly in the future: read as zero.
            let ago = |index: usize| -> Result<Duration, sqlx::Error> {
                let ms: i64 = row.try_get(index)?;
                Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
            };
            let expires_in: i64 = row.try_get(7)?;
            Ok(Replica {
                owner: row.try_get(1)?,
                host: row.try_get(2)?,
                pid: row.try_get(3)?,
                newest_version: row.try_get(4)?,
                started_ago: ago(5)?,
                seen_ago: ago(6)?,
                alive: expires_in >= 0,
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
    use super::unpack_summary;

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
    fn names_with_separators_unpack() {
        let rows = unpack_summary(
            2,
            Some("1:abc:1:9:a,b:c,d:e,2:def:1:12:ünïcode, 2.0".into()),
        )
        .unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a,b:c,d:e", "ünïcode, 2.0"]);
    }
}
