//! The `sqlite` connection: [`Backend`](super::Backend) for sqlx's connection type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;

use super::{driver_url, quiet, shared_backend_methods, Backend, BoxFuture};
use crate::model::BackendKind;

impl Backend for SqliteConnection {
    const KIND: BackendKind = BackendKind::Sqlite;

    shared_backend_methods!();

    #[cfg(feature = "schema")]
    async fn inspect(&mut self) -> Result<crate::schema::Schema, sqlx::Error> {
        crate::schema::sqlite::inspect(self).await
    }

    fn code_connection(&mut self) -> crate::code::CodeConnection<'_> {
        crate::code::CodeConnection::Sqlite(self)
    }

    async fn open(url: &str, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        connect(SqliteConnectOptions::from_str(&driver_url(url))?.busy_timeout(busy_timeout)).await
    }
}

/// Connects with `options`, boxed for code size as on PostgreSQL
/// (`postgres::connect` there says why); migrata-cli's `database create` too.
pub fn connect(
    options: SqliteConnectOptions,
) -> BoxFuture<'static, Result<SqliteConnection, sqlx::Error>> {
    Box::pin(async move { quiet(options).connect().await })
}

crate::driver::handover::pool_handover!(sqlx::Sqlite);
