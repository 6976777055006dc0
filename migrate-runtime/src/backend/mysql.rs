use sqlx::{AssertSqlSafe, MySqlConnection, Row, SqlSafeStr, SqlStr};

use super::{decode_history, Backend, HistoryRow};
use crate::BackendKind;

/// MySQL/MariaDB: a named `GET_LOCK`, polled with a zero timeout so waiting
/// stays cancellable and logged. DDL is not transactional here, so every
/// migration is bracketed by a failed-then-success history row.
impl Backend for MySqlConnection {
    const KIND: BackendKind = BackendKind::MySql;

    async fn execute(&mut self, sql: SqlStr) -> Result<u64, sqlx::Error> {
        Ok(sqlx::raw_sql(sql).execute(self).await?.rows_affected())
    }

    async fn fetch_history(&mut self, sql: SqlStr) -> Result<Option<Vec<HistoryRow>>, sqlx::Error> {
        match sqlx::raw_sql(sql).fetch_all(self).await {
            Ok(rows) => decode_history(&rows).map(Some),
            // ER_NO_SUCH_TABLE
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42S02") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn current_schema(&mut self) -> Result<Option<String>, sqlx::Error> {
        Ok(None)
    }

    async fn database_name(&mut self) -> Result<String, sqlx::Error> {
        sqlx::raw_sql("SELECT COALESCE(DATABASE(), '')")
            .fetch_one(self)
            .await?
            .try_get(0)
    }

    async fn try_lock(&mut self, table: String) -> Result<bool, sqlx::Error> {
        let sql = format!("SELECT GET_LOCK({}, 0)", lock_name(&table));
        let acquired: Option<i64> = sqlx::raw_sql(AssertSqlSafe(sql).into_sql_str())
            .fetch_one(self)
            .await?
            .try_get(0)?;
        Ok(acquired == Some(1))
    }

    async fn unlock(&mut self, table: String) -> Result<(), sqlx::Error> {
        let sql = format!("SELECT RELEASE_LOCK({})", lock_name(&table));
        sqlx::raw_sql(AssertSqlSafe(sql).into_sql_str())
            .execute(self)
            .await
            .map(drop)
    }
}

/// A lock name (at most 64 characters) derived, on the server, from the
/// database and the version table's name. `table` has been validated.
fn lock_name(table: &str) -> String {
    format!("CONCAT('migrate.', LEFT(SHA2(CONCAT(IFNULL(DATABASE(), ''), '.{table}'), 256), 40))")
}
