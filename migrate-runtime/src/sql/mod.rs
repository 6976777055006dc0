//! The SQL text of each database, one file per database: its [`Dialect`]
//! (statements and rules known without a connection, which offline mode
//! renders), the version table's statements built from it ([`history`]),
//! the lease table's ([`lease`]), and the SQL of [`crate::testing`].

mod dialect;
pub(crate) mod history;
pub(crate) mod lease;
mod mysql;
mod postgres;
mod sqlite;

/// Each database's SQL for [`crate::testing`].
#[cfg(feature = "testing")]
pub(crate) mod testing {
    #[cfg(feature = "mysql")]
    pub(crate) use super::mysql::testing as mysql;
    #[cfg(feature = "postgres")]
    pub(crate) use super::postgres::testing as postgres;
    #[cfg(feature = "sqlite")]
    pub(crate) use super::sqlite::testing as sqlite;
}

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

pub(crate) use dialect::{Dialect, ForeignKeySuspension};
use crate::model::BackendKind;

/// The SQL rules of `kind`.
pub(crate) fn dialect_of(kind: BackendKind) -> &'static dyn Dialect {
    match kind {
        BackendKind::Sqlite => &sqlite::SqliteDialect,
        BackendKind::Postgres => &postgres::PostgresDialect,
        BackendKind::MySql => &mysql::MySqlDialect,
    }
}

/// SQL built at run time from validated names and literals this crate quoted.
pub(crate) fn sql_str(sql: String) -> SqlStr {
    AssertSqlSafe(sql).into_sql_str()
}
