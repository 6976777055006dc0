// A code migration, so that the wrappers the macro generates around it name
// the renamed crate too.
use db::{CodeConnection, CodeError};

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("INSERT INTO notes (body) VALUES ('written by code')").await?;
    Ok(())
}
