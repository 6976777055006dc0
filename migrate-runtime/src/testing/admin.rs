//! Statements on a server's maintenance connection, as the test helper
//! runs them: errors name the database and what was being done.

#[cfg(feature = "mysql")]
use sqlx::MySqlConnection;
#[cfg(feature = "postgres")]
use sqlx::PgConnection;
use sqlx::Row;

use crate::driver::{AnyConnection, Backend};
use crate::error::Error;
use crate::sql::sql_str;

pub(super) async fn names<B: Backend>(
    conn: &mut B,
    sql: String,
    prefix: &str,
) -> Result<Vec<String>, Error>
where
    for<'c> &'c mut B: sqlx::Executor<'c, Database = B::Database>,
    String: for<'r> sqlx::Decode<'r, B::Database> + sqlx::Type<B::Database>,
    usize: sqlx::ColumnIndex<<B::Database as sqlx::Database>::Row>,
{
    let rows = sqlx::raw_sql(sql_str(sql))
        .fetch_all(conn)
        .await
        .map_err(|source| Error::TestDatabase {
            action: "list".into(),
            database: format!("{prefix}*"),
            error: source,
        })?;
    rows.iter()
        .map(|row| {
            row.try_get(0).map_err(|source| Error::TestDatabase {
                action: "list".into(),
                database: format!("{prefix}*"),
                error: source,
            })
        })
        .collect()
}

#[cfg(feature = "postgres")]
pub(super) async fn open_postgres(url: &str) -> Result<PgConnection, Error> {
    match AnyConnection::open(url, std::time::Duration::from_secs(30)).await? {
        AnyConnection::Postgres(conn) => Ok(conn),
        #[allow(unreachable_patterns)]
        other => {
            other.close().await;
            Err(Error::UnsupportedUrl {
                scheme: "postgres".into(),
            })
        }
    }
}

#[cfg(feature = "mysql")]
pub(super) async fn open_mysql(url: &str) -> Result<MySqlConnection, Error> {
    match AnyConnection::open(url, std::time::Duration::from_secs(30)).await? {
        AnyConnection::MySql(conn) => Ok(conn),
        #[allow(unreachable_patterns)]
        other => {
            other.close().await;
            Err(Error::UnsupportedUrl {
                scheme: "mysql".into(),
            })
        }
    }
}

pub(super) async fn run<B: Backend>(
    conn: &mut B,
    sql: String,
    database: &str,
    action: impl FnOnce() -> String,
) -> Result<(), Error> {
    conn.execute(sql_str(sql))
        .await
        .map(drop)
        .map_err(|source| Error::TestDatabase {
            action: action(),
            database: database.to_owned(),
            error: source,
        })
}

#[cfg(feature = "postgres")]
pub(super) async fn run_text<B: Backend>(
    conn: &mut B,
    sql: String,
    database: &str,
    action: impl FnOnce() -> String,
) -> Result<(), Error> {
    conn.fetch_text(sql_str(sql))
        .await
        .map(drop)
        .map_err(|source| Error::TestDatabase {
            action: action(),
            database: database.to_owned(),
            error: source,
        })
}

pub(super) async fn run_integer<B: Backend>(
    conn: &mut B,
    sql: String,
    database: &str,
    action: impl FnOnce() -> String,
) -> Result<i64, Error> {
    conn.fetch_integer(sql_str(sql))
        .await
        .map_err(|source| Error::TestDatabase {
            action: action(),
            database: database.to_owned(),
            error: source,
        })
}
