//! SQLite: its SQL, its rules and its connection.

use std::str::FromStr;
use std::time::Duration;

use sqlx::error::DatabaseError;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

use super::{shared_backend_methods, Backend, ColumnTypes, Dialect};
use crate::BackendKind;

/// SQLite has no session-level lock: concurrent migrators serialise on each
/// migration's `BEGIN IMMEDIATE` (with the connection's busy timeout), and
/// the history's primary key catches a migration another process recorded
/// first.
pub(crate) struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["sqlite"]
    }

    fn begin(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn now_utc(&self) -> &'static str {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    }

    fn column_types(&self) -> ColumnTypes {
        ColumnTypes {
            bigint: "INTEGER",
            text: "TEXT",
            timestamp: "TEXT",
        }
    }

    fn packed_history(&self) -> &'static str {
        "group_concat(version || ':' || checksum || ':' || success || ':' || length(name) || ':' || name, ',')"
    }

    fn applied_at_text(&self) -> &'static str {
        "applied_at"
    }

    fn offline_preamble(&self) -> &'static str {
        ".bail on\n"
    }

    fn database_name(&self) -> &'static str {
        "SELECT file FROM pragma_database_list WHERE name = 'main'"
    }

    fn try_lock(&self, _table: &str) -> Option<String> {
        None
    }

    fn unlock(&self, _table: &str) -> Option<String> {
        None
    }

    fn now_ms(&self) -> &'static str {
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    }

    fn is_conflict(&self, error: &dyn DatabaseError) -> bool {
        // SQLITE_CONSTRAINT_PRIMARYKEY, or the database busy past the timeout.
        error.code().as_deref() == Some("1555") || self.is_busy(error)
    }

    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool {
        error.message().starts_with("no such table")
    }

    fn is_busy(&self, error: &dyn DatabaseError) -> bool {
        // SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT).
        matches!(error.code().as_deref(), Some("5" | "261" | "517" | "773"))
    }
}

impl Backend for SqliteConnection {
    const KIND: BackendKind = BackendKind::Sqlite;

    shared_backend_methods!();

    async fn open(url: &str, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        SqliteConnectOptions::from_str(url)?
            .busy_timeout(busy_timeout)
            .connect()
            .await
    }
}
