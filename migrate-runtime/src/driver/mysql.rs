//! The `mysql` connection: [`Backend`](super::Backend) for sqlx's connection type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::ConnectOptions;

use super::{driver_url, quiet, shared_backend_methods, Backend, BoxFuture};
use crate::model::BackendKind;

impl Backend for MySqlConnection {
    const KIND: BackendKind = BackendKind::MySql;

    shared_backend_methods!();

    #[cfg(feature = "schema")]
    async fn inspect(&mut self) -> Result<crate::schema::Schema, sqlx::Error> {
        crate::schema::mysql::inspect(self).await
    }

    fn code_connection(&mut self) -> crate::code::CodeConnection<'_> {
        crate::code::CodeConnection::MySql(self)
    }

    async fn open(url: &str, _busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        connect(MySqlConnectOptions::from_str(&driver_url(url))?).await
    }
}

/// Connects with `options`, boxed for code size as on PostgreSQL
/// (`postgres::connect` there says why); migrata-cli's maintenance connection too.
pub fn connect(
    options: MySqlConnectOptions,
) -> BoxFuture<'static, Result<MySqlConnection, sqlx::Error>> {
    Box::pin(async move { quiet(options).connect().await })
}

crate::driver::handover::pool_handover!(sqlx::MySql);
