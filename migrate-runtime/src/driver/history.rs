//! Typed reads of the version table over a connection (the statements are
//! [`HistoryTable`]'s).

use super::{Backend, HistoryShape};
use crate::error::Error;
use crate::model::HistoryRow;
use crate::sql::history::HistoryTable;
use crate::sql::sql_str;

/// The whole history in one row ([`HistoryTable::select_packed`]): the
/// startup check's single SELECT. `None` when the table does not exist.
pub(crate) async fn read_packed<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Option<Vec<HistoryRow>>, Error> {
    let sql = table.select_packed();
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
    fetch(conn, table, table.select_rows(None), HistoryShape::Rows).await
}

/// Every history row with when and how long, for `status`.
pub(crate) async fn list_with_timings<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
) -> Result<Vec<HistoryRow>, Error> {
    fetch(conn, table, table.select_detailed(), HistoryShape::Detailed).await
}

/// The row of `version`, if there is one.
pub(crate) async fn find<B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    version: i64,
) -> Result<Option<HistoryRow>, Error> {
    let sql = table.select_rows(Some(version));
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
