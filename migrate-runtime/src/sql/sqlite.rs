//! SQLite's SQL and rules.

use std::time::Duration;

use sqlx::error::DatabaseError;

use super::dialect::{ColumnTypes, Dialect, ForeignKeySuspension, LockWaitSql, TransactionProbe};
use crate::model::Peer;

/// SQLite has no session-level lock: concurrent migrators serialise on each
/// migration's `BEGIN IMMEDIATE` (with the connection's busy timeout), and
/// the history's primary key catches a migration another process recorded
/// first.
pub(crate) struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn transaction_probe(&self) -> Option<TransactionProbe> {
        // A savepoint would open a transaction where none is; BEGIN fails
        // inside one ("cannot start a transaction within a transaction").
        Some(TransactionProbe {
            sql: "BEGIN",
            fails_inside: true,
        })
    }

    fn begin(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn script_batch_bytes(&self) -> Option<usize> {
        // SQLite copies the whole remaining query string each time it
        // prepares the next statement of it: a script sent whole costs time
        // quadratic in its length (50,000 statements: seconds), in batches
        // linear.
        Some(8 * 1024)
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
        // Explicit, since a build of the shell may enforce them by default.
        ".bail on\nPRAGMA foreign_keys = OFF;\n"
    }

    fn foreign_key_suspension(&self) -> Option<&'static ForeignKeySuspension> {
        Some(&ForeignKeySuspension {
            enforced: "PRAGMA foreign_keys",
            off: "PRAGMA foreign_keys = OFF",
            on: "PRAGMA foreign_keys = ON",
            violations: "SELECT group_concat(\"table\" || ' row ' || coalesce(rowid, '?') || ' references missing ' || parent, '; ') FROM pragma_foreign_key_check",
            none_violated: "NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check)",
        })
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

    fn peer_history(&self, peer: Peer) -> &'static str {
        match peer {
            Peer::Sqlx => "SELECT CAST(version AS TEXT), description, lower(hex(checksum)), CAST(success AS INTEGER) FROM _sqlx_migrations ORDER BY version",
            Peer::Refinery => "SELECT CAST(version AS TEXT), name, checksum, 1 FROM refinery_schema_history ORDER BY version",
            Peer::Diesel => "SELECT version, NULL, NULL, 1 FROM __diesel_schema_migrations ORDER BY version",
        }
    }

    fn is_conflict(&self, error: &dyn DatabaseError) -> bool {
        // SQLITE_CONSTRAINT_PRIMARYKEY, or the database busy past the timeout.
        error.code().as_deref() == Some("1555") || self.is_busy(error)
    }

    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool {
        error.message().starts_with("no such table")
    }

    /// The busy timeout, for `BEGIN IMMEDIATE` and the `COMMIT` that waits
    /// for readers to finish; back to `connection_wait` after, since a
    /// pragma cannot be saved in SQL.
    fn lock_wait(&self, wait: Duration, _: bool, connection_wait: Duration) -> LockWaitSql {
        LockWaitSql {
            set: format!("PRAGMA busy_timeout = {}", wait.as_millis()),
            after_begin: false,
            restore: Some(format!(
                "PRAGMA busy_timeout = {}",
                connection_wait.as_millis()
            )),
        }
    }

    fn is_lock_wait(&self, error: &dyn DatabaseError) -> bool {
        self.is_busy(error)
    }

    fn drop_temporary_table(&self, name: &str) -> String {
        format!("DROP TABLE temp.{name}")
    }

    fn is_busy(&self, error: &dyn DatabaseError) -> bool {
        // SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT).
        matches!(error.code().as_deref(), Some("5" | "261" | "517" | "773"))
    }
}

/// The SQL of [`crate::testing`] on SQLite, where templates and test
/// databases are files copied by the file system, except for in-memory
/// test databases.
#[cfg(all(feature = "testing", feature = "sqlite"))]
pub(crate) mod testing {
    /// Writes the connection's database, page by page, into the in-memory
    /// database `uri` names (kept alive by another connection).
    pub fn copy_into(uri: &str) -> String {
        format!("VACUUM INTO {}", literal(uri))
    }

    fn literal(text: &str) -> String {
        use super::super::dialect::Dialect;
        super::SqliteDialect.quote_literal(text)
    }
}
