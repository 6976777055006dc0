// Ends the migration's transaction itself: the runner must notice before
// it records the migration.
use migrata::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("INSERT INTO events (note) VALUES ('written, then committed by the code')").await?;
    conn.execute("COMMIT").await?;
    Ok(())
}
