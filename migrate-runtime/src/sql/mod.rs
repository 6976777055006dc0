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

use crate::error::Error;
use crate::model::BackendKind;
pub(crate) use dialect::{Dialect, ForeignKeySuspension, LockWaitSql};

/// `name` quoted as one identifier (a database, schema or table name) in
/// `kind`'s SQL: the quote character is doubled inside, so whatever the
/// name holds (quotes, `;`, newlines, any Unicode), it cannot end the
/// identifier and start SQL of its own. This crate quotes every name it
/// puts in SQL this way; `migrata database create` uses it too.
///
/// ```
/// use migrata::{quote_identifier, BackendKind};
///
/// assert_eq!(quote_identifier(BackendKind::MySql, "app`; DROP DATABASE x")?, "`app``; DROP DATABASE x`");
/// assert_eq!(quote_identifier(BackendKind::Postgres, r#"say "hi""#)?, r#""say ""hi""""#);
/// assert!(quote_identifier(BackendKind::Postgres, &"x".repeat(64)).is_err());
/// # Ok::<(), migrata::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidIdentifier`] for a name the database cannot keep as
/// given: empty, holding NUL, or longer than its limit (PostgreSQL: 63
/// bytes, which it would silently truncate; MySQL: 64 characters).
pub fn quote_identifier(kind: BackendKind, name: &str) -> Result<String, Error> {
    dialect_of(kind).quote_identifier(name)
}

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
