//! PostgreSQL's SQL and rules.

use std::time::Duration;

use sqlx::error::DatabaseError;

use super::dialect::{ColumnTypes, Dialect, IdentifierLimit, LockWaitSql, TransactionProbe};
use crate::model::Peer;

/// PostgreSQL: transactional DDL; a session-level advisory lock, polled with
/// `pg_try_advisory_lock` (a session blocked in `pg_advisory_lock` can
/// deadlock another session's `CREATE INDEX CONCURRENTLY`).
pub(crate) struct PostgresDialect;

impl Dialect for PostgresDialect {
    fn transaction_probe(&self) -> Option<TransactionProbe> {
        // 25P01 outside a transaction block; inside, released at its end.
        Some(TransactionProbe {
            sql: "SAVEPOINT migrata_transaction_probe",
            fails_inside: false,
        })
    }

    /// `NAMEDATALEN` - 1; longer names are truncated with only a notice.
    fn identifier_limit(&self) -> Option<IdentifierLimit> {
        Some(IdentifierLimit {
            max: 63,
            bytes: true,
        })
    }

    /// A multi-statement simple query is one implicit transaction, in which
    /// `CREATE INDEX CONCURRENTLY` fails.
    fn splits_untransacted_scripts(&self) -> bool {
        true
    }

    /// From the transaction's [`elapsed_mark`](Dialect::elapsed_mark),
    /// else from the query string's receipt (`statement_timestamp()`, the
    /// same for every statement of a simple query). The mark is seconds as
    /// text, which reads back the same whatever `DateStyle` a script sets.
    fn server_elapsed_ms(&self) -> Option<&'static str> {
        Some("((EXTRACT(EPOCH FROM clock_timestamp()) - COALESCE(NULLIF(current_setting('migrata.started', true), '')::numeric, EXTRACT(EPOCH FROM statement_timestamp()))) * 1000)::bigint")
    }

    /// A setting local to the transaction: it is gone when it ends.
    fn elapsed_mark(&self) -> Option<&'static str> {
        Some("SELECT set_config('migrata.started', EXTRACT(EPOCH FROM clock_timestamp())::text, true)")
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
            "SELECT COALESCE((SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass({})), current_schema())",
            self.quote_literal(table)
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

    /// In a transaction, `SET LOCAL` right after `BEGIN`: it ends with the
    /// transaction, and a script's own `SET [LOCAL] lock_timeout`, which
    /// comes after it, wins. Outside one (each statement is a transaction
    /// of its own), the session's value is saved in a setting of this
    /// crate's and put back after the script; the put-back keeps the
    /// current value where the saved one is missing (a pooler handed the
    /// statement to another server connection).
    fn lock_wait(&self, wait: Duration, transaction: bool, _: Duration) -> LockWaitSql {
        let ms = wait.as_millis();
        if transaction {
            return LockWaitSql {
                set: format!("SET LOCAL lock_timeout = '{ms}ms'"),
                after_begin: true,
                restore: None,
            };
        }
        LockWaitSql {
            set: format!("SELECT set_config('migrata.saved_lock_timeout', current_setting('lock_timeout'), false), set_config('lock_timeout', '{ms}ms', false)"),
            after_begin: false,
            restore: Some("SELECT set_config('lock_timeout', COALESCE(NULLIF(current_setting('migrata.saved_lock_timeout', true), ''), current_setting('lock_timeout')), false)".to_owned()),
        }
    }

    /// `CREATE INDEX CONCURRENTLY` (and the other `CONCURRENTLY` forms)
    /// waits for every older transaction in the database, and that wait is
    /// a lock wait: bounded, it would fail behind any long transaction and
    /// leave an invalid index, while waiting blocks nobody. A script
    /// outside a transaction that mentions the word keeps the session's
    /// own setting; the word in a comment or a string only leaves that
    /// script unbounded, as it was before lock waits existed.
    fn lock_wait_exempts(&self, script: &str) -> bool {
        script
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word.eq_ignore_ascii_case("concurrently"))
    }

    /// lock_not_available: `lock_timeout`, or `NOWAIT`.
    fn is_lock_wait(&self, error: &dyn DatabaseError) -> bool {
        error.code().as_deref() == Some("55P03")
    }

    fn session_id(&self) -> Option<&'static str> {
        Some("SELECT pg_backend_pid()::bigint")
    }

    /// A `DO` block: the simple query protocol runs a multi-statement
    /// string as one implicit transaction, which an error in it rolls back.
    fn lease_fence(&self, renew: &str) -> Option<String> {
        let tag = dollar_tag("$migrata_fence$", &[renew]);
        Some(format!(
            "DO {tag} BEGIN {renew}; IF NOT FOUND THEN RAISE EXCEPTION 'the migration lease was taken over' USING ERRCODE = '{LEASE_LOST}'; END IF; END {tag}"
        ))
    }

    fn is_lease_lost(&self, error: &dyn DatabaseError) -> bool {
        error.code().as_deref() == Some(LEASE_LOST)
    }

    /// `pg_blocking_pids`, asked only while the session waits for a lock
    /// (it takes the lock manager's locks).
    fn blockers(&self, session: i64) -> String {
        format!(
            "SELECT string_agg(format('pid %s (application %L, %s, transaction open %s s)', a.pid, a.application_name, COALESCE(a.state, 'unknown state'), COALESCE(round(EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)::numeric, 1)::text, '?')), '; ' ORDER BY a.pid) \
             FROM unnest(pg_blocking_pids({session})) AS b(pid) JOIN pg_stat_activity a ON a.pid = b.pid \
             WHERE (SELECT wait_event_type FROM pg_stat_activity WHERE pid = {session}) = 'Lock'"
        )
    }

    fn check(&self, check: &str) -> String {
        format!("SELECT (CASE WHEN (\n{check}\n) THEN 1 ELSE 0 END)::bigint")
    }

    /// A `DO` block raising an exception, which stops psql with
    /// `ON_ERROR_STOP`.
    fn offline_check(&self, check: &str, label: &str) -> String {
        let message = self.quote_literal(label);
        let tag = dollar_tag("$migrata_check$", &[check, &message]);
        format!(
            "DO {tag} BEGIN IF NOT COALESCE((\n{check}\n), false) THEN RAISE EXCEPTION '%', {message}; END IF; END {tag};"
        )
    }
}

/// The SQLSTATE of [`PostgresDialect::lease_fence`]'s exception (class
/// `MG`, which PostgreSQL does not use).
const LEASE_LOST: &str = "MG001";

/// `base` (a `$tag$`), lengthened until no text of `bodies` contains it,
/// to quote them as a dollar-quoted block.
fn dollar_tag(base: &str, bodies: &[&str]) -> String {
    let mut tag = base.to_owned();
    while bodies.iter().any(|body| body.contains(&tag)) {
        tag.insert(tag.len() - 1, '_');
    }
    tag
}

/// A 64-bit advisory lock key derived, on the server, from the database and
/// the version table's name.
fn lock_key(table: &str) -> String {
    format!(
        "('x' || left(md5(current_database() || {}), 16))::bit(64)::bigint",
        PostgresDialect.quote_literal(&format!(".{table}"))
    )
}

/// The SQL of [`crate::testing`] on PostgreSQL: a template database per
/// migration set, cloned with `CREATE DATABASE … TEMPLATE`. Names are built
/// by that module from `[a-z0-9_]`, and quoted all the same.
#[cfg(all(feature = "testing", feature = "postgres"))]
pub(crate) mod testing {
    use super::super::dialect::{quoted, Dialect};
    use super::PostgresDialect;

    fn ident(name: &str) -> String {
        quoted('"', name)
    }

    fn literal(text: &str) -> String {
        PostgresDialect.quote_literal(text)
    }

    /// For a lock trace: every table, materialized view, foreign table and
    /// index outside the system schemas, as (its oid, the oid of its table
    /// (an index's table; a table's own), that table's name (qualified
    /// outside the current schema), its relfilenode).
    pub const TRACE_RELATIONS: &str = "SELECT c.oid::int8, t.oid::int8, \
        CASE WHEN tn.nspname = current_schema() THEN t.relname::text \
        ELSE tn.nspname || '.' || t.relname END, c.relfilenode::int8 \
        FROM pg_class c \
        LEFT JOIN pg_index i ON i.indexrelid = c.oid \
        JOIN pg_class t ON t.oid = COALESCE(i.indrelid, c.oid) \
        JOIN pg_namespace tn ON tn.oid = t.relnamespace \
        WHERE c.relkind IN ('r', 'p', 'm', 'f', 'i', 'I') \
        AND tn.nspname NOT IN ('pg_catalog', 'information_schema') \
        AND tn.nspname NOT LIKE 'pg\\_toast%'";

    /// For a lock trace: the relation locks this session holds in this
    /// database, as (relation oid, mode, e.g. `AccessExclusiveLock`).
    pub const TRACE_LOCKS: &str = "SELECT relation::int8, mode FROM pg_locks \
        WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted \
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

    /// 1 when database `name` exists.
    pub fn database_exists(name: &str) -> String {
        format!(
            "SELECT count(*) FROM pg_database WHERE datname = {}",
            literal(name)
        )
    }

    /// Waits for the server-wide advisory lock of one template's build
    /// (held by the session until [`unlock_template`]).
    pub fn lock_template(template: &str) -> String {
        format!(
            "SELECT pg_advisory_lock({})::text",
            template_lock_key(template)
        )
    }

    pub fn unlock_template(template: &str) -> String {
        format!(
            "SELECT pg_advisory_unlock({})::text",
            template_lock_key(template)
        )
    }

    fn template_lock_key(template: &str) -> String {
        format!(
            "('x' || left(md5({}), 16))::bit(64)::bigint",
            literal(&format!("migrate.testing.{template}"))
        )
    }

    /// Marks the session as the one of a live test process, `owner`, using
    /// the test prefix `prefix`, until it ends: when the process exits, the
    /// server ends the session and the mark goes with it. One mark per
    /// prefix: a process's thread for each prefix holds its own.
    pub fn hold_owner(prefix: &str, owner: &str) -> String {
        format!(
            "SELECT pg_advisory_lock({})::text",
            owner_lock_key(prefix, owner)
        )
    }

    /// 1 when no session holds `owner`'s mark for `prefix` (its process is
    /// gone), else 0; the mark taken to find out is given back at once.
    pub fn owner_is_gone(prefix: &str, owner: &str) -> String {
        let key = owner_lock_key(prefix, owner);
        format!(
            "SELECT CASE WHEN pg_try_advisory_lock({key}) THEN pg_advisory_unlock({key})::int ELSE 0 END::bigint"
        )
    }

    /// Prefix `migrate` keeps the key earlier versions used.
    fn owner_lock_key(prefix: &str, owner: &str) -> String {
        format!(
            "('x' || left(md5({}), 16))::bit(64)::bigint",
            literal(&format!("{prefix}.testing.owner.{owner}"))
        )
    }

    pub fn create_database(name: &str) -> String {
        format!("CREATE DATABASE {}", ident(name))
    }

    /// A new database as a copy of `template`, in the server's default
    /// strategy: from PostgreSQL 15 page by page through the WAL, which for
    /// a schema-sized database measured faster than `FILE_COPY` (0.2–0.45 s
    /// against 0.45–0.6 s on the benchmark machine) and forces no
    /// checkpoint, which would flush every other database's dirty buffers.
    /// Whatever the strategy, the whole template is copied, its system
    /// catalogs (about 7 MB) included: this is the floor of a test
    /// database's cost on PostgreSQL.
    pub fn clone_database(name: &str, template: &str) -> String {
        format!(
            "CREATE DATABASE {} TEMPLATE {}",
            ident(name),
            ident(template)
        )
    }

    /// Marks a finished build as a template nobody connects to (a session
    /// connected to a template makes cloning it fail) and gives it the name
    /// readers look for: until this rename the build is invisible to them,
    /// so a crashed build is never cloned.
    pub fn seal_template(building: &str, template: &str) -> [String; 2] {
        [
            format!(
                "ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
                ident(building)
            ),
            rename_database(building, template),
        ]
    }

    /// Takes a passing test's database out of use without waiting for its
    /// files to be removed: closed to new sessions, the sessions a test left
    /// ended, and renamed to `trash`, which [`drop_database`] removes later.
    /// The rename waits (up to 5 s, the server's own limit) for the ended
    /// sessions to go.
    pub fn retire_database(name: &str, trash: &str) -> [String; 3] {
        [
            format!(
                "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
                ident(name)
            ),
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}",
                literal(name)
            ),
            rename_database(name, trash),
        ]
    }

    pub fn rename_database(name: &str, new_name: &str) -> String {
        format!(
            "ALTER DATABASE {} RENAME TO {}",
            ident(name),
            ident(new_name)
        )
    }

    /// Drops a database, ending any session a test left connected to it.
    pub fn drop_database(name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name))
    }

    /// What makes a template droppable again.
    pub fn unmark_template(name: &str) -> String {
        format!("ALTER DATABASE {} WITH IS_TEMPLATE false", ident(name))
    }

    /// The names of the databases whose names start with `prefix`.
    pub fn databases_starting_with(prefix: &str) -> String {
        format!(
            "SELECT datname::text FROM pg_database WHERE left(datname, {}) = {} ORDER BY datname",
            prefix.chars().count(),
            literal(prefix)
        )
    }
}
