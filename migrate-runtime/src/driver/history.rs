//! Typed reads of the version table over a connection.

use super::{Backend, HistoryShape};
use crate::error::Error;
use crate::model::HistoryRow;
use crate::sql::history::HistoryTable;
use crate::sql::sql_str;

/// The whole history in one row (see [`Dialect::packed_history`](crate::sql::Dialect::packed_history)): the
/// startup check's single SELECT. `None` when the table does not exist.
pub(crate) async fn read_packed<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Option<Vec<HistoryRow>>, Error> {
    let sql = format!(
        "SELECT {hint}COUNT(*), {packed} FROM {table}",
        hint = table.dialect().packed_history_hint(),
        packed = table.dialect().packed_history(),
        table = table.quoted()
    );
    match conn.fetch_history(sql_str(sql), HistoryShape::Packed).await {
        Ok(rows) => Ok(rows),
        // A truncated aggregate (or any surprise): read it row by row.
        Err(_) => list_applied_migrations(conn, table).await.map(Some),
    }
}

/// Every history row, by version.
pub(crate) async fn list_applied_migrations<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Vec<HistoryRow>, Error> {
    let sql = format!(
        "SELECT version, name, checksum, success FROM {} ORDER BY version",
        table.quoted()
    );
    fetch(conn, table, sql, HistoryShape::Rows).await
}

/// Every history row with when and how long, for `status`.
pub(crate) async fn list_with_timings<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Vec<HistoryRow>, Error> {
    let sql = format!(
        "SELECT version, name, checksum, success, {applied_at}, duration_ms FROM {table} ORDER BY version",
        applied_at = table.dialect().applied_at_text(),
        table = table.quoted()
    );
    fetch(conn, table, sql, HistoryShape::Detailed).await
}

/// The row of `version`, if there is one.
pub(crate) async fn find<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    version: i64,
) -> Result<Option<HistoryRow>, Error> {
    let sql = format!(
        "SELECT version, name, checksum, success FROM {} WHERE version = {version}",
        table.quoted()
    );
    Ok(fetch(conn, table, sql, HistoryShape::Rows)
        .await?
        .into_iter()
        .next())
}

async fn fetch<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    sql: String,
    shape: HistoryShape,
) -> Result<Vec<HistoryRow>, Error> {
    let rows = conn
        .fetch_history(sql_str(sql), shape)
        .await
        .map_err(|source| table.error(source))?;
    Ok(rows.unwrap_or_default())
}

