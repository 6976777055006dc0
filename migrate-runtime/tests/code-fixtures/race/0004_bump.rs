// Not idempotent: a second run shows in the counter.
use migrata::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("UPDATE counter SET n = n + 1").await?;
    Ok(())
}
