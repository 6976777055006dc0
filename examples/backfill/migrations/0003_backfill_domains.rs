// Fills `accounts.domain` from each email: the lowercase part after the
// last `@`. Reads and writes in batches; an email without a domain fails
// the migration, and its transaction takes every batch written before it
// back.
use migrata::{BackendKind, CodeConnection, CodeError};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

/// Accounts read per query.
const BATCH: i64 = 500;

pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    let kind = conn.kind();
    match conn {
        CodeConnection::Sqlite(c) => backfill::<sqlx::Sqlite>(c, kind).await,
        CodeConnection::Postgres(c) => backfill::<sqlx::Postgres>(c, kind).await,
        CodeConnection::MySql(c) => backfill::<sqlx::MySql>(c, kind).await,
        other => Err(format!("no backfill written for {}", other.kind()).into()),
    }
}

pub async fn down(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    conn.execute("UPDATE accounts SET domain = NULL").await?;
    Ok(())
}

/// The backfill once, for any database: keyset pagination by `id`.
async fn backfill<DB>(conn: &mut DB::Connection, kind: BackendKind) -> Result<(), CodeError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let (select, update) = match kind {
        BackendKind::Postgres => (
            "SELECT id, email FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
            "UPDATE accounts SET domain = $1 WHERE id = $2",
        ),
        _ => (
            "SELECT id, email FROM accounts WHERE id > ? ORDER BY id LIMIT ?",
            "UPDATE accounts SET domain = ? WHERE id = ?",
        ),
    };
    let mut after = i64::MIN;
    loop {
        let batch: Vec<(i64, String)> = sqlx::query_as(select)
            .bind(after)
            .bind(BATCH)
            .fetch_all(&mut *conn)
            .await?;
        let Some(&(last, _)) = batch.last() else {
            return Ok(());
        };
        for (id, email) in batch {
            let domain = domain_of(&email)
                .ok_or_else(|| format!("account {id}: email `{email}` has no domain"))?;
            sqlx::query(update)
                .bind(domain)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        after = last;
    }
}

fn domain_of(email: &str) -> Option<String> {
    let (_, domain) = email.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_lowercase())
}
