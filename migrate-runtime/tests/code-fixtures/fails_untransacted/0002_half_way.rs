// migrate:no-transaction
// Writes, then fails, outside a transaction: the write stays, and the
// migration is recorded as failed.
use migrata::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("INSERT INTO events (note) VALUES ('written before the failure')").await?;
    Err("gave up half-way".into())
}
