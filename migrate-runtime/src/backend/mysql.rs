//! MySQL and MariaDB: their SQL, their rules and their connection.

use std::str::FromStr;
use std::time::Duration;

use migrate_core::SqlFlavor;
use sqlx::error::DatabaseError;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::{ConnectOptions, MySqlConnection};

use super::{quiet, shared_backend_methods, Backend, ColumnTypes, Dialect};
use crate::{BackendKind, Peer};

/// MySQL/MariaDB: DDL commits implicitly, so every migration is bracketed by
/// a failed-then-success history row; a named `GET_LOCK`, polled with a zero
/// timeout so waiting stays cancellable and logged.
pub(crate) struct MySqlDialect;

impl Dialect for MySqlDialect {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    fn begin(&self) -> &'static str {
        "START TRANSACTION"
    }

    /// Scripts may hold client `DELIMITER` lines, which the server does
    /// not understand: statements are sent one by one, as the client does.
    fn splits_untransacted_scripts(&self) -> bool {
        true
    }

    fn sql_flavor(&self) -> SqlFlavor {
        SqlFlavor::MySql
    }

    fn identifier_quote(&self) -> char {
        '`'
    }

    fn quote_literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn now_utc(&self) -> &'static str {
        "UTC_TIMESTAMP(6)"
    }

    fn column_types(&self) -> ColumnTypes {
        ColumnTypes {
            bigint: "BIGINT",
            text: "TEXT",
            timestamp: "DATETIME(6)",
        }
    }

    fn packed_history(&self) -> &'static str {
        "GROUP_CONCAT(CONCAT(version, ':', checksum, ':', success, ':', CHAR_LENGTH(name), ':', name) SEPARATOR ',')"
    }

    /// MySQL 8 caps GROUP_CONCAT at 1,024 bytes unless told otherwise in the
    /// statement itself (MariaDB's default is 1 MiB and it reads the hint as
    /// a comment); truncation is still detected by the row count.
    fn packed_history_hint(&self) -> &'static str {
        "/*+ SET_VAR(group_concat_max_len = 1073741824) */ "
    }

    fn applied_at_text(&self) -> &'static str {
        "CONCAT(LEFT(DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"
    }

    /// The mysql client stops at the first error when reading a script.
    fn offline_preamble(&self) -> &'static str {
        ""
    }

    fn database_name(&self) -> &'static str {
        "SELECT COALESCE(DATABASE(), '')"
    }

    fn try_lock(&self, table: &str) -> Option<String> {
        Some(format!(
            "SELECT COALESCE(GET_LOCK({}, 0), 0)",
            lock_name(table)
        ))
    }

    fn unlock(&self, table: &str) -> Option<String> {
        Some(format!("SELECT RELEASE_LOCK({})", lock_name(table)))
    }

    fn now_ms(&self) -> &'static str {
        "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
    }

    fn read_only(&self) -> Option<&'static str> {
        Some("SELECT @@global.read_only + 0")
    }

    /// On a Galera node, wait until every write certified elsewhere is
    /// applied here before reading.
    fn after_lock(&self) -> Option<&'static str> {
        Some("SET SESSION wsrep_sync_wait = 1")
    }

    fn peer_history(&self, peer: Peer) -> &'static str {
        match peer {
            Peer::Sqlx => "SELECT CAST(version AS CHAR), description, LOWER(HEX(checksum)), success + 0 FROM _sqlx_migrations ORDER BY version",
            Peer::Refinery => "SELECT CAST(version AS CHAR), name, checksum, 1 FROM refinery_schema_history ORDER BY version",
            Peer::Diesel => "SELECT version, NULL, NULL, 1 FROM __diesel_schema_migrations ORDER BY version",
        }
    }

    fn is_conflict(&self, error: &dyn DatabaseError) -> bool {
        // ER_DUP_ENTRY, ER_LOCK_DEADLOCK (Galera certification failures too),
        // ER_LOCK_WAIT_TIMEOUT.
        let code = error
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(sqlx::mysql::MySqlDatabaseError::number);
        matches!(code, Some(1062 | 1213 | 1205))
    }

    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool {
        // ER_NO_SUCH_TABLE
        error.code().as_deref() == Some("42S02")
    }
}

/// A lock name (at most 64 characters) derived, on the server, from the
/// database and the version table's name.
fn lock_name(table: &str) -> String {
    format!("CONCAT('migrate.', LEFT(SHA2(CONCAT(IFNULL(DATABASE(), ''), '.{table}'), 256), 40))")
}

impl Backend for MySqlConnection {
    const KIND: BackendKind = BackendKind::MySql;

    shared_backend_methods!();

    async fn open(url: &str, _busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        quiet(MySqlConnectOptions::from_str(url)?).connect().await
    }
}

crate::handover::pool_handover!(sqlx::MySql);
