// Writes, then a statement fails: the write must not survive.
use migrata::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("INSERT INTO events (note) VALUES ('written before the failure')").await?;
    conn.execute("INSERT INTO no_such_table (note) VALUES ('x')").await?;
    Ok(())
}
