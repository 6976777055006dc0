use sqlx::{AssertSqlSafe, PgConnection, Row, SqlSafeStr, SqlStr};

use super::{decode_history, Backend, HistoryRow};
use crate::BackendKind;

/// PostgreSQL: a session-level advisory lock, polled with
/// `pg_try_advisory_lock` (a session blocked in `pg_advisory_lock` can
/// deadlock another session's `CREATE INDEX CONCURRENTLY`).
impl Backend for PgConnection {
    const KIND: BackendKind = BackendKind::Postgres;

    async fn execute(&mut self, sql: SqlStr) -> Result<u64, sqlx::Error> {
        Ok(sqlx::raw_sql(sql).execute(self).await?.rows_affected())
    }

    async fn fetch_history(&mut self, sql: SqlStr) -> Result<Option<Vec<HistoryRow>>, sqlx::Error> {
        match sqlx::raw_sql(sql).fetch_all(self).await {
            Ok(rows) => decode_history(&rows).map(Some),
            // undefined_table
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn current_schema(&mut self) -> Result<Option<String>, sqlx::Error> {
        sqlx::raw_sql("SELECT current_schema()")
            .fetch_one(self)
            .await?
            .try_get(0)
    }

    async fn database_name(&mut self) -> Result<String, sqlx::Error> {
        sqlx::raw_sql("SELECT current_database()")
            .fetch_one(self)
            .await?
            .try_get(0)
    }

    async fn try_lock(&mut self, table: String) -> Result<bool, sqlx::Error> {
        let sql = format!("SELECT pg_try_advisory_lock({})", lock_key(&table));
        sqlx::raw_sql(AssertSqlSafe(sql).into_sql_str())
            .fetch_one(self)
            .await?
            .try_get(0)
    }

    async fn unlock(&mut self, table: String) -> Result<(), sqlx::Error> {
        let sql = format!("SELECT pg_advisory_unlock({})", lock_key(&table));
        sqlx::raw_sql(AssertSqlSafe(sql).into_sql_str())
            .execute(self)
            .await
            .map(drop)
    }
}

/// A 64-bit advisory lock key derived, on the server, from the database and
/// the version table's name. `table` has been validated as an identifier.
fn lock_key(table: &str) -> String {
    format!("('x' || left(md5(current_database() || '.{table}'), 16))::bit(64)::bigint")
}
