//! One trait for "a database connection the migrator can drive", one impl per
//! database. The migration algorithm in [`crate::Migrator`] is written once,
//! generic over it.

mod mysql;
mod postgres;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

use sqlx::{Connection, Database, Decode, Row, SqlStr, Type};

use crate::BackendKind;

/// A sqlx connection type the migrator can run on: implemented for
/// [`SqliteConnection`](sqlx::SqliteConnection),
/// [`PgConnection`](sqlx::PgConnection) and
/// [`MySqlConnection`](sqlx::MySqlConnection). The trait is sealed; its
/// methods are the migrator's internal primitives.
pub trait Backend:
    Connection<Database: Database<Connection = Self>> + Send + Sized + sealed::Sealed
{
    /// Which database product this is.
    const KIND: BackendKind;

    #[doc(hidden)]
    /// Executes one or more statements; returns the rows they affected.
    fn execute(&mut self, sql: SqlStr) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Runs a history SELECT; `None` when the version table does not exist.
    fn fetch_history(
        &mut self,
        sql: SqlStr,
    ) -> impl Future<Output = Result<Option<Vec<HistoryRow>>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Tries once, without blocking, to take the session-level migration lock
    /// for `table`; `Ok(false)` when another session holds it.
    fn try_lock(&mut self, table: String)
        -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// The schema unqualified names resolve to now (PostgreSQL), so the
    /// version table can be named exactly before scripts run: a script may
    /// change `search_path`. `None` where the database is the schema.
    fn current_schema(
        &mut self,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// The database's name (SQLite: its file), for error messages.
    fn database_name(&mut self) -> impl Future<Output = Result<String, sqlx::Error>> + Send;

    #[doc(hidden)]
    /// Whether `error` means another connection kept the database locked for
    /// longer than the busy timeout.
    fn is_busy(error: &sqlx::Error) -> bool {
        let _ = error;
        false
    }

    #[doc(hidden)]
    /// Releases the lock taken by [`Backend::try_lock`].
    fn unlock(&mut self, table: String) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::SqliteConnection {}
    impl Sealed for sqlx::PgConnection {}
    impl Sealed for sqlx::MySqlConnection {}
}

/// A future whose `Send` is declared rather than inferred.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One row of the version table, as the migrator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Decodes the rows of a history query: one row per migration, or the single
/// packed row of [`select_summary`](crate::dialect::Dialect::select_summary).
fn decode_history<R: Row>(rows: &[R]) -> Result<Vec<HistoryRow>, sqlx::Error>
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    if let [row] = rows {
        if row.len() == 2 {
            return unpack_summary(row.try_get(0)?, row.try_get(1)?);
        }
    }
    rows.iter()
        .map(|row| {
            let detailed = row.len() >= 6;
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

fn unpack_summary(count: i64, packed: Option<String>) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let malformed = || sqlx::Error::Decode("malformed or truncated history summary".into());
    let mut history = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for entry in packed.iter().flat_map(|packed| packed.split(',')) {
        let mut fields = entry.splitn(4, ':');
        let (Some(version), Some(checksum), Some(success), Some(name)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed());
        };
        history.push(HistoryRow {
            version: version.parse().map_err(|_| malformed())?,
            name: name.to_owned(),
            checksum: checksum.to_owned(),
            success: matches!(success, "1" | "t" | "true"),
            applied_at: None,
            duration_ms: None,
        });
    }
    if i64::try_from(history.len()) != Ok(count) {
        return Err(malformed());
    }
    history.sort_unstable_by_key(|row| row.version);
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::unpack_summary;

    #[test]
    fn summaries_unpack_and_truncation_is_detected() {
        let rows = unpack_summary(2, Some("7:abc:1:seven,3:def:0:three".into())).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.version, r.success))
                .collect::<Vec<_>>(),
            [(3, false), (7, true)]
        );
        assert_eq!(rows[1].name, "seven");
        assert!(unpack_summary(0, None).unwrap().is_empty());
        assert!(unpack_summary(3, Some("7:abc:1:seven,3:def:0:three".into())).is_err());
        assert!(unpack_summary(2, Some("7:abc:1:seven,3:de".into())).is_err());
    }
}
