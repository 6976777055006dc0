// migrate:no-transaction
// Not idempotent, and claimed and settled around its run like a script
// outside a transaction.
use migrata::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("UPDATE counter SET n = n + 1").await?;
    Ok(())
}
