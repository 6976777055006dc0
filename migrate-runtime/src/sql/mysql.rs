//! MySQL's and MariaDB's SQL and rules.

use std::time::Duration;

use migrata_core::SqlFlavor;
use sqlx::error::DatabaseError;

use super::dialect::{ColumnTypes, Dialect, IdentifierLimit, LockWaitSql};
use crate::model::Peer;

/// MySQL/MariaDB: DDL commits implicitly, so every migration is bracketed by
/// a failed-then-success history row; a named `GET_LOCK`, polled with a zero
/// timeout so waiting stays cancellable and logged.
pub(crate) struct MySqlDialect;

impl Dialect for MySqlDialect {
    fn begin(&self) -> &'static str {
        "START TRANSACTION"
    }

    fn no_table(&self) -> &'static str {
        " FROM DUAL"
    }

    /// Scripts may hold client `DELIMITER` lines, which the server does
    /// not understand: statements are split as the client splits them, and
    /// sent together in one multi-statement string, which the server runs
    /// one by one, stopping at the first error (see
    /// [`Dialect::lease_held_check`]).
    fn splits_untransacted_scripts(&self) -> bool {
        true
    }

    fn sql_flavor(&self) -> SqlFlavor {
        SqlFlavor::MySql
    }

    fn identifier_quote(&self) -> char {
        '`'
    }

    fn identifier_limit(&self) -> Option<IdentifierLimit> {
        Some(IdentifierLimit {
            max: 64,
            bytes: false,
        })
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

    /// Counted from the epoch in UTC: `UNIX_TIMESTAMP(NOW())` converts
    /// through the session's time zone and back, which is ambiguous in the
    /// hour a zone with daylight saving time repeats (the clock would jump
    /// back an hour and a live lease look expired).
    fn now_ms(&self) -> &'static str {
        "CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000 AS SIGNED)"
    }

    fn read_only(&self) -> Option<&'static str> {
        Some("SELECT @@global.read_only + 0")
    }

    /// On a Galera node, wait until every write certified elsewhere is
    /// applied here before reading (1), and before an UPDATE or DELETE (2):
    /// a fenced history write checks the lease row, and must see a take
    /// that another node committed first.
    fn after_lock(&self) -> Option<&'static str> {
        Some("SET SESSION wsrep_sync_wait = 3")
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
        matches!(error_number(error), Some(1062 | 1213 | 1205))
    }

    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool {
        // ER_NO_SUCH_TABLE
        error.code().as_deref() == Some("42S02")
    }

    /// Metadata locks (`lock_wait_timeout`: DDL, and DML behind it) and
    /// InnoDB row locks (`innodb_lock_wait_timeout`), both counted in whole
    /// seconds: `wait` is rounded up. The session's values are kept in user
    /// variables and put back after, transaction or not (DDL commits
    /// anyway); a script's own `SET SESSION` comes after, and wins while it
    /// runs.
    fn lock_wait(&self, wait: Duration, _: bool, _: Duration) -> LockWaitSql {
        let seconds = self.effective_lock_wait(wait).as_secs();
        LockWaitSql {
            set: format!(
                "SET @migrata_lock_wait_timeout = @@SESSION.lock_wait_timeout, @migrata_innodb_lock_wait_timeout = @@SESSION.innodb_lock_wait_timeout;\n\
                 SET SESSION lock_wait_timeout = {seconds}, SESSION innodb_lock_wait_timeout = {seconds}"
            ),
            after_begin: false,
            restore: Some("SET SESSION lock_wait_timeout = @migrata_lock_wait_timeout, SESSION innodb_lock_wait_timeout = @migrata_innodb_lock_wait_timeout".to_owned()),
        }
    }

    /// Whole seconds, rounded up.
    fn effective_lock_wait(&self, wait: Duration) -> Duration {
        let seconds = u64::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(u64::MAX);
        Duration::from_secs(seconds.max(1))
    }

    /// ER_LOCK_WAIT_TIMEOUT (metadata and row locks), ER_LOCK_NOWAIT.
    fn is_lock_wait(&self, error: &dyn DatabaseError) -> bool {
        matches!(error_number(error), Some(1205 | 3572))
    }

    /// A scalar subquery that returns two rows unless the lease is held,
    /// so the query fails with ER_SUBQUERY_NO_1_ROW: plain SQL that MySQL
    /// and MariaDB both run (`SIGNAL` works only inside a stored program,
    /// and MariaDB's `BEGIN NOT ATOMIC` block is MariaDB's alone). A
    /// `SELECT`, not a `DO`: MariaDB turns a `DO`'s errors into warnings.
    fn lease_held_check(&self, held: &str) -> Option<String> {
        Some(format!(
            "SELECT (SELECT 1 FROM DUAL UNION ALL SELECT 2 FROM DUAL WHERE NOT {held})"
        ))
    }

    /// ER_SUBQUERY_NO_1_ROW: [`lease_held_check`](Self::lease_held_check)'s
    /// error, which a script's own query can raise too: the caller asks only
    /// of the check's.
    fn is_lease_lost(&self, error: &dyn DatabaseError) -> bool {
        error_number(error) == Some(1242)
    }

    /// `applied_at` is the claim's `UTC_TIMESTAMP(6)`; each statement of a
    /// multi-statement string reads the clock when it starts.
    fn ms_since_claim(&self) -> Option<&'static str> {
        Some("TIMESTAMPDIFF(MICROSECOND, applied_at, UTC_TIMESTAMP(6)) DIV 1000")
    }

    fn session_id(&self) -> Option<&'static str> {
        Some("SELECT CAST(CONNECTION_ID() AS SIGNED)")
    }

    /// While `session` waits for a metadata or row lock, the other sessions
    /// whose InnoDB transactions began before its statement did: the
    /// holders are among them (which one holds it, MySQL says only in
    /// `performance_schema`, which MariaDB leaves off).
    fn blockers(&self, session: i64) -> String {
        format!(
            "SELECT GROUP_CONCAT(CONCAT('thread ', p.ID, ' (user ', p.USER, ', ', p.COMMAND, IF(COALESCE(p.STATE, '') = '', '', CONCAT(': ', p.STATE)), ', transaction open ', TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), ' s)') ORDER BY t.trx_started SEPARATOR '; ') \
             FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
             JOIN information_schema.PROCESSLIST me ON me.ID = {session} \
             WHERE p.ID <> {session} AND t.trx_started <= NOW() - INTERVAL me.TIME SECOND \
             AND (me.STATE LIKE 'Waiting for%lock%' OR EXISTS (SELECT 1 FROM information_schema.INNODB_TRX w WHERE w.trx_mysql_thread_id = {session} AND w.trx_state = 'LOCK WAIT'))"
        )
    }

    fn drop_temporary_table(&self, name: &str) -> String {
        format!("DROP TEMPORARY TABLE {name}")
    }
}

/// The server's error number (`ER_…`), which MySQL's SQLSTATE does not
/// distinguish (a deadlock and a lock wait timeout are both `HY000`/`40001`).
/// Without the `mysql` feature no MySQL error can occur.
fn error_number(error: &dyn DatabaseError) -> Option<u16> {
    #[cfg(feature = "mysql")]
    return error
        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(sqlx::mysql::MySqlDatabaseError::number);
    #[cfg(not(feature = "mysql"))]
    return {
        let _ = error;
        None
    };
}

/// A lock name (at most 64 characters) derived, on the server, from the
/// database and the version table's name.
fn lock_name(table: &str) -> String {
    format!(
        "CONCAT('migrate.', LEFT(SHA2(CONCAT(IFNULL(DATABASE(), ''), {}), 256), 40))",
        MySqlDialect.quote_literal(&format!(".{table}"))
    )
}

/// The SQL of [`crate::testing`] on MySQL/MariaDB, which cannot copy a
/// database: a template database per migration set whose objects are read
/// once per process ([`template_objects`](testing::template_objects) and the
/// `SHOW CREATE` statements) into a script that recreates them, data
/// included, in each test database. Database names are built by that module
/// from `[a-z0-9_]`, object names come from the server: all are quoted.
#[cfg(all(feature = "testing", feature = "mysql"))]
pub(crate) mod testing {
    use super::super::dialect::quoted;
    use super::super::dialect::Dialect;
    use super::MySqlDialect;

    /// 1 when database `name` exists.
    pub fn database_exists(name: &str) -> String {
        format!(
            "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
            literal(name)
        )
    }

    /// Waits up to a day (MariaDB 10.11 gives up at once on a negative
    /// timeout, MySQL's "forever") for the server-wide named lock of one
    /// template's build; returns 1 once taken.
    pub fn lock_template(template: &str) -> String {
        format!(
            "SELECT COALESCE(GET_LOCK({}, 86400), 0)",
            template_lock(template)
        )
    }

    pub fn unlock_template(template: &str) -> String {
        format!(
            "SELECT COALESCE(RELEASE_LOCK({}), 0)",
            template_lock(template)
        )
    }

    fn template_lock(template: &str) -> String {
        literal(&format!("migrate.testing.{template}"))
    }

    pub fn create_database(name: &str) -> String {
        format!("CREATE DATABASE {}", ident(name))
    }

    pub fn drop_database(name: &str) -> String {
        format!("DROP DATABASE IF EXISTS {}", ident(name))
    }

    /// The names of the databases whose names start with `prefix`.
    pub fn databases_starting_with(prefix: &str) -> String {
        format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, {}) = {} ORDER BY SCHEMA_NAME",
            prefix.chars().count(),
            literal(prefix)
        )
    }

    /// `kind, name, table, column` of every object of `template`: `table`
    /// rows (MariaDB's system-versioned tables too; one per column whose
    /// value is stored, so generated columns are left to the server), and `sequence` (MariaDB), `view`, `trigger`,
    /// `procedure`, `function` and `event` rows (table and column NULL),
    /// triggers in firing order.
    pub fn template_objects(template: &str) -> String {
        let template = literal(template);
        format!(
            "SELECT 'table', CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS c \
             JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') \
             WHERE c.TABLE_SCHEMA = {template} AND c.EXTRA NOT LIKE '%GENERATED%' \
             UNION ALL SELECT 'sequence', CAST(TABLE_NAME AS CHAR), NULL FROM information_schema.TABLES WHERE TABLE_SCHEMA = {template} AND TABLE_TYPE = 'SEQUENCE' \
             UNION ALL SELECT 'view', CAST(TABLE_NAME AS CHAR), NULL FROM information_schema.VIEWS WHERE TABLE_SCHEMA = {template} \
             UNION ALL SELECT 'trigger', CAST(TRIGGER_NAME AS CHAR), NULL FROM (SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {template} ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER LIMIT 18446744073709551615) tr \
             UNION ALL SELECT LOWER(ROUTINE_TYPE), CAST(ROUTINE_NAME AS CHAR), NULL FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {template} \
             UNION ALL SELECT 'event', CAST(EVENT_NAME AS CHAR), NULL FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {template}"
        )
    }

    /// The statement returning an object's `CREATE` statement, and the
    /// column it is in.
    pub fn show_create(kind: &str, template: &str, name: &str) -> (String, usize) {
        let column = match kind {
            "table" | "view" | "sequence" => 1,
            // `Create Event`, after the name, sql_mode and time_zone.
            "event" => 3,
            // `SQL Original Statement` / `Create Procedure`, after the name and sql_mode.
            _ => 2,
        };
        (
            format!(
                "SHOW CREATE {} {}.{}",
                kind.to_uppercase(),
                ident(template),
                ident(name)
            ),
            column,
        )
    }

    /// `SHOW CREATE VIEW` qualifies every table with the template's name,
    /// and `SHOW CREATE TABLE` the sequence of a `DEFAULT NEXTVAL(…)`: the
    /// copy's objects must use the copy's own.
    pub fn unqualified(create: &str, template: &str) -> String {
        create.replace(&format!("{}.", ident(template)), "")
    }

    /// The value the next `NEXTVAL` of the template's sequence `name` would
    /// return after a restart (its cached values are lost, as in a dump).
    pub fn sequence_position(template: &str, name: &str) -> String {
        format!(
            "SELECT next_not_cached_value FROM {}.{}",
            ident(template),
            ident(name)
        )
    }

    /// Makes the current database's sequence `name` return `next` next.
    pub fn set_sequence(name: &str, next: i64) -> String {
        format!("DO SETVAL({}, {next}, 0)", ident(name))
    }

    /// The start of the script filling a test database: it is created and
    /// made current, and foreign keys are not checked while tables and rows
    /// arrive in name order.
    pub fn begin_copy(name: &str) -> String {
        let name = ident(name);
        format!("CREATE DATABASE {name};\nUSE {name};\nSET SESSION FOREIGN_KEY_CHECKS = 0;\n")
    }

    /// Copies a table's rows from the template into the current database.
    pub fn copy_rows(template: &str, table: &str, columns: &[String]) -> String {
        let columns: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let columns = columns.join(", ");
        format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {template}.{table}",
            table = ident(table),
            template = ident(template)
        )
    }

    /// Names read from the server hold no NUL and fit its limit.
    fn ident(name: &str) -> String {
        quoted('`', name)
    }

    fn literal(text: &str) -> String {
        MySqlDialect.quote_literal(text)
    }
}
