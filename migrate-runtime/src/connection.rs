//! Opening a connection from a URL: the one place a scheme picks a backend.

use std::str::FromStr;
use std::time::Duration;

use sqlx::{ConnectOptions, Connection, MySqlConnection, PgConnection, SqliteConnection};

use crate::{redact_url, BackendKind, Error};

/// A connection to whichever database a URL names.
pub(crate) enum AnyConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    MySql(MySqlConnection),
}

impl AnyConnection {
    /// Connects to `url`. On SQLite, `busy_timeout` is how long a migrator
    /// waits for another one's `BEGIN IMMEDIATE`.
    pub async fn open(url: &str, busy_timeout: Duration) -> Result<Self, Error> {
        let connect_error = |source| Error::Connect {
            url: redact_url(url),
            source,
        };
        Ok(match BackendKind::from_url(url)? {
            BackendKind::Sqlite => AnyConnection::Sqlite(
                sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(connect_error)?
                    .busy_timeout(busy_timeout)
                    .connect()
                    .await
                    .map_err(connect_error)?,
            ),
            BackendKind::Postgres => {
                AnyConnection::Postgres(PgConnection::connect(url).await.map_err(connect_error)?)
            }
            BackendKind::MySql => {
                AnyConnection::MySql(MySqlConnection::connect(url).await.map_err(connect_error)?)
            }
        })
    }

    /// Closes the connection politely. A failed close cannot undo committed
    /// work, so its error is not reported.
    pub async fn close(self) {
        let _ = match self {
            AnyConnection::Sqlite(conn) => conn.close().await,
            AnyConnection::Postgres(conn) => conn.close().await,
            AnyConnection::MySql(conn) => conn.close().await,
        };
    }
}

/// Evaluates `$body` with `$conn` bound to the concrete connection inside an
/// [`AnyConnection`], so generic code over `Backend` runs on any of them.
macro_rules! with_backend {
    ($any:expr, |$conn:ident| $body:expr) => {
        match $any {
            $crate::connection::AnyConnection::Sqlite($conn) => $body,
            $crate::connection::AnyConnection::Postgres($conn) => $body,
            $crate::connection::AnyConnection::MySql($conn) => $body,
        }
    };
}
pub(crate) use with_backend;

/// Opens a connection to `$url`, evaluates `$body` with `$conn` bound to it
/// (as with [`with_backend!`]), closes the connection and yields the body's
/// result: the shape of every `Migrator` method that takes a URL.
macro_rules! with_connection {
    ($url:expr, $busy_timeout:expr, |$conn:ident| $body:expr) => {{
        let mut any = $crate::connection::AnyConnection::open($url, $busy_timeout).await?;
        let result = $crate::connection::with_backend!(&mut any, |$conn| $body);
        any.close().await;
        result
    }};
}
pub(crate) use with_connection;
