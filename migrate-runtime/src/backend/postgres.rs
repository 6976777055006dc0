//! PostgreSQL: its SQL, its rules and its connection.

use std::str::FromStr;
use std::time::Duration;

use sqlx::error::DatabaseError;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use super::{quiet, shared_backend_methods, Backend, ColumnTypes, Dialect};
use crate::{BackendKind, Peer};

/// PostgreSQL: transactional DDL; a session-level advisory lock, polled with
/// `pg_try_advisory_lock` (a session blocked in `pg_advisory_lock` can
/// deadlock another session's `CREATE INDEX CONCURRENTLY`).
pub(crate) struct PostgresDialect;

impl Dialect for PostgresDialect {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["postgres", "postgresql"]
    }

    /// A multi-statement simple query is one implicit transaction, in which
    /// `CREATE INDEX CONCURRENTLY` fails.
    fn splits_untransacted_scripts(&self) -> bool {
        true
    }

    fn server_elapsed_ms(&self) -> Option<&'static str> {
        Some("(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint")
    }

    fn now_utc(&self) -> &'static str {
        "now()"
    }

    fn column_types(&self) -> ColumnTypes {
        ColumnTypes {
            bigint: "BIGINT",
            text: "TEXT",
            timestamp: "TIMESTAMPTZ",
        }
    }

    fn packed_history(&self) -> &'static str {
        "string_agg(version || ':' || checksum || ':' || success::int || ':' || length(name) || ':' || name, ',')"
    }

    fn applied_at_text(&self) -> &'static str {
        "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    fn offline_preamble(&self) -> &'static str {
        "\\set ON_ERROR_STOP on\n"
    }

    /// The schema of the table `search_path` finds, the one the startup
    /// check read, so both paths address the same table even when a schema
    /// earlier in `search_path` appeared after it was created.
    fn history_schema(&self, table: &str) -> Option<String> {
        Some(format!(
            "SELECT COALESCE((SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('{table}')), current_schema())"
        ))
    }

    fn database_name(&self) -> &'static str {
        "SELECT current_database()"
    }

    fn try_lock(&self, table: &str) -> Option<String> {
        Some(format!(
            "SELECT pg_try_advisory_lock({})::int::bigint",
            lock_key(table)
        ))
    }

    fn unlock(&self, table: &str) -> Option<String> {
        Some(format!("SELECT pg_advisory_unlock({})", lock_key(table)))
    }

    fn now_ms(&self) -> &'static str {
        "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"
    }

    fn read_only(&self) -> Option<&'static str> {
        Some("SELECT (pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on')::int::bigint")
    }

    fn peer_history(&self, peer: Peer) -> &'static str {
        match peer {
            Peer::Sqlx => "SELECT version::text, description, encode(checksum, 'hex'), success::int::bigint FROM _sqlx_migrations ORDER BY version",
            Peer::Refinery => "SELECT version::text, name::text, checksum::text, 1::bigint FROM refinery_schema_history ORDER BY version",
            Peer::Diesel => "SELECT version::text, NULL::text, NULL::text, 1::bigint FROM __diesel_schema_migrations ORDER BY version",
        }
    }

    fn is_conflict(&self, error: &dyn DatabaseError) -> bool {
        // unique_violation, serialization_failure, deadlock_detected, and
        // duplicate_table / duplicate_object from concurrent
        // `CREATE TABLE IF NOT EXISTS` (both sessions pass the check).
        matches!(
            error.code().as_deref(),
            Some("23505" | "40001" | "40P01" | "42P07" | "42710")
        )
    }

    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool {
        error.code().as_deref() == Some("42P01")
    }
}

/// A 64-bit advisory lock key derived, on the server, from the database and
/// the version table's name.
fn lock_key(table: &str) -> String {
    format!("('x' || left(md5(current_database() || '.{table}'), 16))::bit(64)::bigint")
}

impl Backend for PgConnection {
    const KIND: BackendKind = BackendKind::Postgres;

    shared_backend_methods!();

    async fn open(url: &str, _busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        quiet(PgConnectOptions::from_str(url)?).connect().await
    }
}

crate::handover::pool_handover!(sqlx::Postgres);
