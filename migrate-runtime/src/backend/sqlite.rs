use sqlx::{Row, SqlStr, SqliteConnection};

use super::{decode_history, Backend, HistoryRow};
use crate::BackendKind;

/// SQLite has no session-level lock: concurrent migrators serialise on each
/// migration's `BEGIN IMMEDIATE` (with the connection's busy timeout), and
/// the history's primary key catches a migration another process recorded
/// first; the lock primitives are no-ops.
impl Backend for SqliteConnection {
    const KIND: BackendKind = BackendKind::Sqlite;

    async fn execute(&mut self, sql: SqlStr) -> Result<u64, sqlx::Error> {
        Ok(sqlx::raw_sql(sql).execute(self).await?.rows_affected())
    }

    async fn fetch_history(&mut self, sql: SqlStr) -> Result<Option<Vec<HistoryRow>>, sqlx::Error> {
        match sqlx::raw_sql(sql).fetch_all(self).await {
            Ok(rows) => decode_history(&rows).map(Some),
            Err(sqlx::Error::Database(e)) if e.message().starts_with("no such table") => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn is_busy(error: &sqlx::Error) -> bool {
        // SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT).
        matches!(error, sqlx::Error::Database(e)
            if matches!(e.code().as_deref(), Some("5" | "261" | "517" | "773")))
    }

    async fn current_schema(&mut self) -> Result<Option<String>, sqlx::Error> {
        Ok(None)
    }

    async fn database_name(&mut self) -> Result<String, sqlx::Error> {
        sqlx::raw_sql("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(self)
            .await?
            .try_get(0)
    }

    async fn try_lock(&mut self, _table: String) -> Result<bool, sqlx::Error> {
        Ok(true)
    }

    async fn unlock(&mut self, _table: String) -> Result<(), sqlx::Error> {
        Ok(())
    }
}
