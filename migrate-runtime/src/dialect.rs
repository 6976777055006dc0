//! The SQL text of the bookkeeping statements, per backend. Online runs
//! execute exactly these strings, so what offline mode renders is what runs.

use std::time::Duration;

use crate::{Error, Migration};

/// The database products this crate can migrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum BackendKind {
    /// SQLite, through `sqlite:` URLs.
    Sqlite,
    /// PostgreSQL, through `postgres:` / `postgresql:` URLs.
    Postgres,
    /// MySQL and MariaDB, through `mysql:` / `mariadb:` URLs.
    #[cfg_attr(feature = "cli", value(name = "mysql"))]
    MySql,
}

impl BackendKind {
    /// Picks the backend from a URL's scheme: the one place URLs are dispatched.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(BackendKind::Sqlite),
            "postgres" | "postgresql" => Ok(BackendKind::Postgres),
            "mysql" | "mariadb" => Ok(BackendKind::MySql),
            _ => Err(Error::UnsupportedUrl {
                scheme: scheme.chars().take(32).collect(),
            }),
        }
    }

    /// Lowercase name used in logs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
            BackendKind::MySql => "mysql",
        }
    }

    /// Whether DDL can be rolled back. Without it (MySQL/MariaDB commit
    /// implicitly on DDL) a migration's history row is written as failed
    /// before its script runs and marked successful afterwards.
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, BackendKind::MySql)
    }

    /// Whether concurrent migrators are kept apart by a session-level lock
    /// held for the whole run. SQLite has none: each migration's
    /// `BEGIN IMMEDIATE` is the lock, and the history's primary key catches a
    /// migration another process recorded first.
    pub(crate) fn session_lock(self) -> bool {
        !matches!(self, BackendKind::Sqlite)
    }

    /// Whether a multi-statement query string runs as one implicit
    /// transaction (PostgreSQL's simple query protocol). Scripts that must run
    /// outside a transaction are then sent one statement at a time.
    pub(crate) fn query_string_is_atomic(self) -> bool {
        matches!(self, BackendKind::Postgres)
    }

    pub(crate) fn commit(self) -> &'static str {
        "COMMIT"
    }

    /// Whether the server measures a script's duration for its history row,
    /// so script and row go in one round trip (PostgreSQL:
    /// `clock_timestamp() - statement_timestamp()` within one query string).
    pub(crate) fn measures_duration(self) -> bool {
        matches!(self, BackendKind::Postgres)
    }

    pub(crate) fn begin(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "BEGIN IMMEDIATE",
            BackendKind::Postgres => "BEGIN",
            BackendKind::MySql => "START TRANSACTION",
        }
    }

    /// Quotes an identifier read from the database (a schema name), which
    /// need not follow our table-name rules but must not break the quoting.
    fn quote_ident_checked(self, ident: &str) -> Result<String, Error> {
        let quote = if self == BackendKind::MySql { '`' } else { '"' };
        if ident.is_empty() || ident.contains(quote) || ident.contains('\0') {
            return Err(Error::InvalidTableName {
                table: format!("{ident}.…"),
            });
        }
        Ok(self.quote_ident(ident))
    }

    fn quote_ident(self, ident: &str) -> String {
        match self {
            BackendKind::MySql => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    fn quote_literal(self, text: &str) -> String {
        let mut quoted = text.replace('\'', "''");
        if self == BackendKind::MySql {
            quoted = quoted.replace('\\', "\\\\");
        }
        format!("'{quoted}'")
    }

    fn now_utc(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            BackendKind::Postgres => "now()",
            BackendKind::MySql => "UTC_TIMESTAMP(6)",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How long a script took, for its history row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Elapsed {
    /// Measured by the client.
    Client(Duration),
    /// Measured by the server, from the start of the query string that ran
    /// the script to this statement (see [`BackendKind::measures_duration`]).
    Server,
}

/// Bookkeeping SQL for one backend and one (validated) version table.
#[derive(Debug, Clone)]
pub(crate) struct Dialect {
    kind: BackendKind,
    table: String,
}

impl Dialect {
    /// The same table, qualified with `schema` unless it already names one.
    pub fn in_schema(self, schema: &str) -> Result<Self, Error> {
        if self.table.contains('.') {
            return Ok(self);
        }
        let qualified = format!("{}.{}", self.kind.quote_ident_checked(schema)?, self.table);
        Ok(Dialect {
            table: qualified,
            ..self
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// Validates `table` (an identifier, optionally `schema.table`) and quotes it.
    pub fn new(kind: BackendKind, table: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = table.split('.').collect();
        let valid_ident = |part: &&str| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                && part.len() <= 63
        };
        if parts.len() > 2 || !parts.iter().all(valid_ident) {
            return Err(Error::InvalidTableName {
                table: table.chars().take(80).collect(),
            });
        }
        let quoted: Vec<String> = parts.iter().map(|p| kind.quote_ident(p)).collect();
        Ok(Dialect {
            kind,
            table: quoted.join("."),
        })
    }

    pub fn create_table(&self) -> String {
        let (bigint, text, time) = match self.kind {
            BackendKind::Sqlite => ("INTEGER", "TEXT", "TEXT"),
            BackendKind::Postgres => ("BIGINT", "TEXT", "TIMESTAMPTZ"),
            BackendKind::MySql => ("BIGINT", "TEXT", "DATETIME(6)"),
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    version {bigint} PRIMARY KEY NOT NULL,\n    name {text} NOT NULL,\n    checksum {text} NOT NULL,\n    applied_at {time} NOT NULL,\n    duration_ms {bigint} NOT NULL,\n    success BOOLEAN NOT NULL\n)",
            table = self.table
        )
    }

    /// The whole history as one row: the row count and every row packed as
    /// `version:checksum:success:name`, comma-separated (names and checksums
    /// cannot contain either separator). One row instead of one per
    /// migration makes the startup check cheap; the count detects a
    /// truncated aggregate (MySQL's `group_concat_max_len`).
    pub fn select_summary(&self) -> String {
        let packed = match self.kind {
            BackendKind::Sqlite => {
                "group_concat(version || ':' || checksum || ':' || success || ':' || name, ',')"
            }
            BackendKind::Postgres => {
                "string_agg(version || ':' || checksum || ':' || success::int || ':' || name, ',')"
            }
            BackendKind::MySql => {
                "GROUP_CONCAT(CONCAT(version, ':', checksum, ':', success, ':', name) SEPARATOR ',')"
            }
        };
        // MySQL 8 caps GROUP_CONCAT at 1,024 bytes unless told otherwise in
        // the statement itself (MariaDB's default is 1 MiB and it reads the
        // hint as a comment); truncation is still detected by the count.
        let hint = match self.kind {
            BackendKind::MySql => "/*+ SET_VAR(group_concat_max_len = 1073741824) */ ",
            _ => "",
        };
        format!("SELECT {hint}COUNT(*), {packed} FROM {}", self.table)
    }

    pub fn select_history(&self) -> String {
        format!(
            "SELECT version, name, checksum, success FROM {} ORDER BY version",
            self.table
        )
    }

    /// The history with when and how long, for `status`.
    pub fn select_status(&self) -> String {
        let applied_at = match self.kind {
            BackendKind::Sqlite => "applied_at".to_owned(),
            BackendKind::Postgres => {
                "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    .to_owned()
            }
            BackendKind::MySql => {
                "CONCAT(LEFT(DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')".to_owned()
            }
        };
        format!(
            "SELECT version, name, checksum, success, {applied_at}, duration_ms FROM {} ORDER BY version",
            self.table
        )
    }

    pub fn select_version(&self, version: i64) -> String {
        format!(
            "SELECT version, name, checksum, success FROM {} WHERE version = {version}",
            self.table
        )
    }

    pub fn insert(&self, migration: &Migration, success: bool, elapsed: Elapsed) -> String {
        let ms = match elapsed {
            Elapsed::Client(duration) => duration.as_millis().to_string(),
            Elapsed::Server => {
                "(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint"
                    .to_owned()
            }
        };
        format!(
            "INSERT INTO {table} (version, name, checksum, applied_at, duration_ms, success) VALUES ({version}, {name}, '{checksum}', {now}, {ms}, {success})",
            table = self.table,
            version = migration.version,
            name = self.kind.quote_literal(&migration.name),
            checksum = migration.checksum,
            now = self.kind.now_utc(),
            success = if success { "TRUE" } else { "FALSE" },
        )
    }

    pub fn delete(&self, version: i64) -> String {
        format!("DELETE FROM {} WHERE version = {version}", self.table)
    }

    pub fn mark_failed(&self, version: i64) -> String {
        format!(
            "UPDATE {} SET success = FALSE WHERE version = {version}",
            self.table
        )
    }

    pub fn delete_failed(&self, version: i64) -> String {
        format!(
            "DELETE FROM {} WHERE version = {version} AND success = FALSE",
            self.table
        )
    }

    pub fn mark_success(&self, version: i64, duration: Duration) -> String {
        format!(
            "UPDATE {} SET success = TRUE, duration_ms = {} WHERE version = {version}",
            self.table,
            duration.as_millis()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_validated() {
        for ok in ["migrate_history", "_t1", "app.migrate_history"] {
            assert!(Dialect::new(BackendKind::Postgres, ok).is_ok(), "{ok}");
        }
        for bad in ["", "1t", "t;drop", "a.b.c", "t\"x", "a b", "ta`ble", "é"] {
            assert!(Dialect::new(BackendKind::MySql, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(BackendKind::Postgres.quote_literal("it's"), "'it''s'");
        assert_eq!(BackendKind::MySql.quote_literal(r"a\'"), r"'a\\'''");
    }

    #[test]
    fn url_schemes() {
        assert_eq!(
            BackendKind::from_url("sqlite::memory:").ok(),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(
            BackendKind::from_url("postgresql://h/db").ok(),
            Some(BackendKind::Postgres)
        );
        assert_eq!(
            BackendKind::from_url("MariaDB://h/db").ok(),
            Some(BackendKind::MySql)
        );
        assert!(BackendKind::from_url("oracle://u:secret@h").is_err());
        assert!(BackendKind::from_url("no scheme").is_err());
    }
}
