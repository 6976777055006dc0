// Fills accounts.domain from each email: read, computed in Rust, written.
use migrata::{CodeConnection, CodeError};
use sqlx::AssertSqlSafe;

const ACCOUNTS: &str = "SELECT id, email FROM accounts ORDER BY id";

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    let accounts: Vec<(i64, String)> = match conn {
        CodeConnection::Sqlite(c) => sqlx::query_as(ACCOUNTS).fetch_all(&mut **c).await?,
        CodeConnection::Postgres(c) => sqlx::query_as(ACCOUNTS).fetch_all(&mut **c).await?,
        CodeConnection::MySql(c) => sqlx::query_as(ACCOUNTS).fetch_all(&mut **c).await?,
        other => return Err(format!("no support for {}", other.kind()).into()),
    };
    for (id, email) in accounts {
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
        if !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') {
            return Err(format!("account {id}: unexpected domain {domain:?}").into());
        }
        let update = format!("UPDATE accounts SET domain = '{domain}' WHERE id = {id}");
        conn.execute(AssertSqlSafe(update)).await?;
    }
    Ok(())
}

pub async fn down(conn: &mut CodeConnection<'_>) -> Result<(), sqlx::Error> {
    conn.execute("UPDATE accounts SET domain = NULL").await?;
    Ok(())
}
