//! The `postgres` connection: [`Backend`](super::Backend) for sqlx's connection type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::ConnectOptions;

use super::{driver_url, quiet, shared_backend_methods, Backend, BoxFuture};
use crate::model::BackendKind;

impl Backend for PgConnection {
    const KIND: BackendKind = BackendKind::Postgres;

    shared_backend_methods!();

    #[cfg(feature = "schema")]
    async fn inspect(&mut self) -> Result<crate::schema::Schema, sqlx::Error> {
        crate::schema::postgres::inspect(self).await
    }

    fn code_connection(&mut self) -> crate::code::CodeConnection<'_> {
        crate::code::CodeConnection::Postgres(self)
    }

    async fn open(url: &str, _busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        connect(PgConnectOptions::from_str(&driver_url(url))?).await
    }
}

/// Connects with `options`, quiet as every connection of this crate (also
/// migrata-cli's, to a maintenance database). Boxed as a `dyn` future made
/// here, the driver's connect future is compiled once, in this crate, not
/// again in each crate and code-generation unit that awaits a connection
/// (30 KB each in a release binary; bench/footprint).
pub fn connect(options: PgConnectOptions) -> BoxFuture<'static, Result<PgConnection, sqlx::Error>> {
    Box::pin(async move { quiet(options).connect().await })
}

crate::driver::handover::pool_handover!(sqlx::Postgres);
