//! The `postgres` connection: [`Backend`](super::Backend) for sqlx's connection type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::ConnectOptions;

use super::{driver_url, quiet, shared_backend_methods, Backend};
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
        // Boxed, the driver's connect future is compiled once, not once
        // per caller (84 KB of a release binary; bench/footprint).
        Box::pin(quiet(PgConnectOptions::from_str(&driver_url(url))?).connect()).await
    }
}

crate::driver::handover::pool_handover!(sqlx::Postgres);
