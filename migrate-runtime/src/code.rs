//! Code migrations: `<version>_<name>.rs` files whose `up` (and optional
//! `down`) `embed_migrations!` compiles into the application. Here are the
//! connection they receive, the compiled functions the macro hands over,
//! and the lookup that pairs them with their migrations.

use std::future::Future;
use std::pin::Pin;

use sqlx::SqlSafeStr;

use migrata_core::Migration;

use crate::error::Error;
use crate::model::{BackendKind, CodeError, Direction};

/// The future of a compiled code migration function.
pub type CodeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), CodeError>> + Send + 'a>>;

/// A code migration's `up` or `down`, as `embed_migrations!` wraps it.
pub type CodeFn = for<'a, 'c> fn(&'a mut CodeConnection<'c>) -> CodeFuture<'a>;

/// The connection a code migration's `up` and `down` receive: inside the
/// migration's transaction (which also writes its history row), unless the
/// file starts with `// migrate:no-transaction`. One variant per database,
/// so the same migration set runs wherever the URL points; match on it for
/// database-specific queries, or call [`execute`](Self::execute). It has a
/// variant for each database feature compiled in.
///
/// ```
/// use migrata::{CodeConnection, CodeError};
///
/// pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
///     conn.execute("UPDATE users SET name = TRIM(name)").await?;
///     if let CodeConnection::Postgres(pg) = conn {
///         sqlx::query("ANALYZE users").execute(&mut **pg).await?;
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CodeConnection<'c> {
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'c mut sqlx::SqliteConnection),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(&'c mut sqlx::PgConnection),
    /// A MySQL or MariaDB connection.
    #[cfg(feature = "mysql")]
    MySql(&'c mut sqlx::MySqlConnection),
}

impl CodeConnection<'_> {
    /// Which database this is.
    pub fn kind(&self) -> BackendKind {
        match self {
            #[cfg(feature = "sqlite")]
            CodeConnection::Sqlite(_) => BackendKind::Sqlite,
            #[cfg(feature = "postgres")]
            CodeConnection::Postgres(_) => BackendKind::Postgres,
            #[cfg(feature = "mysql")]
            CodeConnection::MySql(_) => BackendKind::MySql,
        }
    }

    /// Executes SQL without parameters (one or more statements, as
    /// [`sqlx::raw_sql`] does) and returns the rows affected.
    pub async fn execute(&mut self, sql: impl SqlSafeStr) -> Result<u64, sqlx::Error> {
        let sql = sql.into_sql_str();
        let query = sqlx::raw_sql(sql);
        let done = match self {
            #[cfg(feature = "sqlite")]
            CodeConnection::Sqlite(conn) => query.execute(&mut **conn).await?.rows_affected(),
            #[cfg(feature = "postgres")]
            CodeConnection::Postgres(conn) => query.execute(&mut **conn).await?.rows_affected(),
            #[cfg(feature = "mysql")]
            CodeConnection::MySql(conn) => query.execute(&mut **conn).await?.rows_affected(),
        };
        Ok(done)
    }
}

/// The compiled functions of one code migration. Made by
/// `embed_migrations!` only.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct CompiledCode {
    version: i64,
    up: CodeFn,
    down: Option<CodeFn>,
}

impl CompiledCode {
    #[doc(hidden)]
    /// Called by `embed_migrations!`: the macro never names fields.
    pub const fn __embedded(version: i64, up: CodeFn, down: Option<CodeFn>) -> Self {
        CompiledCode { version, up, down }
    }
}

#[doc(hidden)]
/// Called by the functions `embed_migrations!` wraps around a code
/// migration's `up` and `down`: boxes their future, and their error.
pub fn __code_future<'a, E>(
    future: impl Future<Output = Result<(), E>> + Send + 'a,
) -> CodeFuture<'a>
where
    E: Into<CodeError>,
{
    Box::pin(async move { future.await.map_err(Into::into) })
}

/// The compiled code a migrator has, by version (the macro emits it in
/// version order). Migrations read at run time have none.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CodeTable<'m>(&'m [CompiledCode]);

impl<'m> CodeTable<'m> {
    pub fn new(compiled: &'m [CompiledCode]) -> Self {
        CodeTable(compiled)
    }

    /// The function that runs `migration` in `direction`: `Ok(None)` for
    /// a SQL script, and an error for a code migration this binary has not
    /// compiled (the standalone tool, or migrations read at run time),
    /// which a run refuses before it starts.
    pub fn function(
        &self,
        migration: &Migration,
        direction: Direction,
    ) -> Result<Option<CodeFn>, Error> {
        if !migration.is_code() {
            return Ok(None);
        }
        let compiled = self
            .0
            .binary_search_by_key(&migration.version, |code| code.version)
            .ok()
            .and_then(|index| self.0.get(index));
        let function = compiled.and_then(|code| match direction {
            Direction::Up => Some(code.up),
            Direction::Down => code.down,
        });
        function.map(Some).ok_or_else(|| Error::CodeNotCompiled {
            version: migration.version,
            file: migration.up.file.to_string(),
        })
    }
}
