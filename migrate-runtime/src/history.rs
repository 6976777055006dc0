//! The version table: its statements (built from a database's [`Dialect`])
//! and typed reads. Online runs execute exactly these strings, so what
//! offline mode renders is what runs.

use std::time::Duration;

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use crate::backend::{Backend, Dialect, HistoryShape};
use crate::program::Direction;
use crate::{BackendKind, Error, HistoryRow, Migration};

/// What a row claimed for a script running outside a transaction holds in
/// `duration_ms` (meaningless until the script is settled): a negative mark
/// unique to the claim, so its settle touches that row and no other (a row
/// repaired away and claimed again by another migrator has another mark),
/// and whose parity says which way the script ran, so `repair` knows what
/// its failure calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClaimMark(i64);

impl From<ClaimMark> for i64 {
    fn from(mark: ClaimMark) -> i64 {
        mark.0
    }
}

impl ClaimMark {
    /// A fresh mark for a claim made online.
    pub fn new(direction: Direction) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        Self::with_token(hasher.finish() >> 34, direction)
    }

    /// The fixed mark of offline scripts, which one client runs in order.
    pub fn offline(direction: Direction) -> Self {
        Self::with_token(0, direction)
    }

    fn with_token(token: u64, direction: Direction) -> Self {
        let parity = match direction {
            Direction::Up => 0,
            Direction::Down => 1,
        };
        // Below -1, so no settled duration (>= 0) and no row from before
        // marks existed (0) is ever taken for a claim.
        ClaimMark(-2 - (token as i64 * 2 + parity))
    }

    /// Which way the script of an unsettled row ran, when its
    /// `duration_ms` is a claim mark (rows claimed before marks existed
    /// hold 0 or a duration: `None`).
    pub fn direction_of(duration_ms: i64) -> Option<Direction> {
        (duration_ms <= -2).then(|| match (-2 - duration_ms) % 2 {
            0 => Direction::Up,
            _ => Direction::Down,
        })
    }
}

/// How long a script took, for its history row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Elapsed {
    /// Measured by the client.
    Client(Duration),
    /// Measured by the server, from the start of the query string that ran
    /// the script (see [`Dialect::server_elapsed_ms`]).
    Server,
}

/// One validated, quoted version table of one database.
#[derive(Debug, Clone)]
pub(crate) struct HistoryTable {
    kind: BackendKind,
    /// The name as configured (validated), which keys the migration lock.
    name: String,
    /// The name quoted for SQL, qualified once pinned to a schema.
    quoted: String,
    /// The lease table beside it, `<table>_lock`, quoted the same way.
    lock_quoted: String,
}

impl HistoryTable {
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
        let quote = kind.dialect().identifier_quote();
        let quote_all = |parts: &[&str]| -> String {
            let quoted: Vec<String> = parts.iter().map(|p| format!("{quote}{p}{quote}")).collect();
            quoted.join(".")
        };
        let Some((last, schema)) = parts.split_last() else {
            return Err(Error::InvalidTableName {
                table: table.to_owned(),
            });
        };
        let lock_name = format!("{last}_lock");
        let mut lock_parts = schema.to_vec();
        lock_parts.push(&lock_name);
        Ok(HistoryTable {
            kind,
            name: table.to_owned(),
            quoted: quote_all(&parts),
            lock_quoted: quote_all(&lock_parts),
        })
    }

    /// The same table, qualified with `schema` unless it already names one.
    /// `schema` comes from the database and need not follow our rules, but
    /// must not break the quoting.
    pub fn in_schema(self, schema: &str) -> Result<Self, Error> {
        if self.name.contains('.') {
            return Ok(self);
        }
        let quote = self.dialect().identifier_quote();
        if schema.is_empty() || schema.contains(quote) || schema.contains('\0') {
            return Err(Error::InvalidTableName {
                table: format!("{schema}.{}", self.name),
            });
        }
        let qualify = |name: &str| format!("{quote}{schema}{quote}.{name}");
        Ok(HistoryTable {
            quoted: qualify(&self.quoted),
            lock_quoted: qualify(&self.lock_quoted),
            ..self
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    pub fn dialect(&self) -> &'static dyn Dialect {
        self.kind.dialect()
    }

    /// The name as quoted for SQL (qualified once pinned).
    pub fn quoted(&self) -> &str {
        &self.quoted
    }

    /// The configured name, for messages and the lock key.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn create(&self) -> String {
        let types = self.dialect().column_types();
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    version {bigint} PRIMARY KEY NOT NULL,\n    name {text} NOT NULL,\n    checksum {text} NOT NULL,\n    applied_at {time} NOT NULL,\n    duration_ms {bigint} NOT NULL,\n    success BOOLEAN NOT NULL\n)",
            table = self.quoted,
            bigint = types.bigint,
            text = types.text,
            time = types.timestamp,
        )
    }

    /// The history row that records `migration` as applied.
    pub fn insert(&self, migration: &Migration, elapsed: Elapsed) -> String {
        self.insert_row(migration, true, &self.elapsed_ms(elapsed))
    }

    /// The row of `migration` claimed (not successful) while its script runs
    /// outside a transaction.
    pub fn insert_claim(&self, migration: &Migration, mark: ClaimMark) -> String {
        self.insert_row(migration, false, &mark.0.to_string())
    }

    fn insert_row(&self, migration: &Migration, success: bool, duration_ms: &str) -> String {
        format!(
            "INSERT INTO {table} (version, name, checksum, applied_at, duration_ms, success) VALUES ({version}, {name}, '{checksum}', {now}, {duration_ms}, {success})",
            table = self.quoted,
            version = migration.version,
            name = self.dialect().quote_literal(&migration.name),
            checksum = migration.checksum,
            now = self.dialect().now_utc(),
            success = if success { "TRUE" } else { "FALSE" },
        )
    }

    /// Removes the row a repeatable migration's previous version left,
    /// before the new version's row is written in the same unit. Online, a
    /// row already recording this version stays, so a migrator that lost
    /// the race meets it (the primary key) instead of running it again;
    /// `offline`, the row goes whatever it records.
    pub fn forget(&self, migration: &Migration, offline: bool) -> String {
        let delete = self.delete(migration.version);
        if offline {
            return delete;
        }
        format!("{delete} AND checksum <> '{}'", migration.checksum)
    }

    pub fn delete(&self, version: i64) -> String {
        format!("DELETE FROM {} WHERE version = {version}", self.quoted)
    }

    /// Claims an applied row while its down script runs outside a transaction.
    pub fn claim_applied(&self, version: i64, mark: ClaimMark) -> String {
        format!(
            "UPDATE {} SET success = FALSE, duration_ms = {} WHERE version = {version} AND success = TRUE",
            self.quoted, mark.0
        )
    }

    /// Settles the row of an up script that ran outside a transaction as
    /// applied; affects no row unless the row is still the one claimed with
    /// `mark` and `fence` (see [`HistoryTable::while_lease_held`]) holds.
    pub fn settle_applied(
        &self,
        version: i64,
        elapsed: Elapsed,
        mark: ClaimMark,
        fence: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET success = TRUE, duration_ms = {} WHERE {}",
            self.quoted,
            self.elapsed_ms(elapsed),
            self.claimed_row(version, mark, fence)
        )
    }

    /// Removes the row of a down script that ran outside a transaction, on
    /// the same conditions as [`HistoryTable::settle_applied`].
    pub fn settle_reverted(&self, version: i64, mark: ClaimMark, fence: Option<&str>) -> String {
        format!(
            "DELETE FROM {} WHERE {}",
            self.quoted,
            self.claimed_row(version, mark, fence)
        )
    }

    fn claimed_row(&self, version: i64, mark: ClaimMark, fence: Option<&str>) -> String {
        let fence = fence
            .map(|fence| format!(" AND {fence}"))
            .unwrap_or_default();
        format!(
            "version = {version} AND success = FALSE AND duration_ms = {}{fence}",
            mark.0
        )
    }

    /// Marks a failed row as applied (`repair`), keeping its checksum.
    pub fn mark_failed_applied(&self, version: i64) -> String {
        format!(
            "UPDATE {} SET success = TRUE, duration_ms = 0 WHERE version = {version} AND success = FALSE",
            self.quoted
        )
    }

    pub fn delete_failed(&self, version: i64) -> String {
        format!(
            "DELETE FROM {} WHERE version = {version} AND success = FALSE",
            self.quoted
        )
    }

    fn elapsed_ms(&self, elapsed: Elapsed) -> String {
        match (elapsed, self.dialect().server_elapsed_ms()) {
            (Elapsed::Server, Some(expression)) => expression.to_owned(),
            (Elapsed::Server, None) => "0".to_owned(),
            (Elapsed::Client(duration), _) => duration.as_millis().to_string(),
        }
    }

    /// The lease table: one row (`id = 1`) naming the migrator that holds
    /// the lease and when it expires, in the database's clock.
    pub fn create_lock_table(&self) -> String {
        let types = self.dialect().column_types();
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    id {bigint} PRIMARY KEY NOT NULL,\n    owner {text} NOT NULL,\n    expires_at {bigint} NOT NULL\n)",
            table = self.lock_quoted,
            bigint = types.bigint,
            text = types.text,
        )
    }

    /// The lease row, expired, for the first migrator to take.
    pub fn seed_lock(&self) -> String {
        format!(
            "INSERT INTO {} (id, owner, expires_at) VALUES (1, '', 0)",
            self.lock_quoted
        )
    }

    /// Takes the lease for `owner` if it has expired or is already
    /// `owner`'s, and renews it: one committed conditional write, so it
    /// holds through transaction pooling and across cluster nodes.
    pub fn take_lease(&self, owner: &str, ttl: Duration) -> String {
        let dialect = self.dialect();
        format!(
            "UPDATE {table} SET owner = {owner}, expires_at = {now} + {ttl} WHERE id = 1 AND (owner = {owner} OR expires_at < {now})",
            table = self.lock_quoted,
            owner = dialect.quote_literal(owner),
            now = dialect.now_ms(),
            ttl = ttl.as_millis(),
        )
    }

    /// Renews `owner`'s lease; affects no row if `owner` no longer holds it.
    ///
    /// A lease past its expiry that nobody took is still `owner`'s: expiry
    /// only lets another migrator take it, and taking it writes the taker's
    /// name, so while the row names `owner` no other migrator has acted. (A
    /// step can outlive the lease without a pause: on SQLite the heartbeat
    /// cannot write while the step holds the write lock, and over `run_on`
    /// there is no heartbeat.) A released lease (`expires_at = 0`) is not
    /// renewed, so a heartbeat still in flight at release cannot revive it.
    pub fn renew_lease(&self, owner: &str, ttl: Duration) -> String {
        let dialect = self.dialect();
        format!(
            "UPDATE {table} SET expires_at = {now} + {ttl} WHERE {held}",
            table = self.lock_quoted,
            now = dialect.now_ms(),
            ttl = ttl.as_millis(),
            held = self.held_by(owner),
        )
    }

    /// The lease row still names `owner`, and `owner` has not released it.
    fn held_by(&self, owner: &str) -> String {
        format!(
            "id = 1 AND owner = {} AND expires_at <> 0",
            self.dialect().quote_literal(owner)
        )
    }

    /// Ends `owner`'s lease (the row keeps its name, for diagnosis).
    pub fn release_lease(&self, owner: &str) -> String {
        format!(
            "UPDATE {} SET expires_at = 0 WHERE id = 1 AND owner = {}",
            self.lock_quoted,
            self.dialect().quote_literal(owner)
        )
    }

    /// The owner of an unexpired lease, or NULL when there is none: whom a
    /// migrator waiting to take the lease waits for.
    pub fn lease_holder(&self) -> String {
        let dialect = self.dialect();
        format!(
            "SELECT MAX(owner) FROM {table} WHERE id = 1 AND expires_at >= {now}",
            table = self.lock_quoted,
            now = dialect.now_ms(),
        )
    }

    /// A condition that holds while `owner` holds the lease (see
    /// [`HistoryTable::renew_lease`]), for history writes that must not land
    /// after another migrator took it (fencing).
    pub fn while_lease_held(&self, owner: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {} WHERE {})",
            self.lock_quoted,
            self.held_by(owner)
        )
    }

    /// The whole history in one row (see [`Dialect::packed_history`]): the
    /// startup check's single SELECT. `None` when the table does not exist.
    pub async fn read_packed<B: Backend>(
        &self,
        conn: &mut B,
    ) -> Result<Option<Vec<HistoryRow>>, Error> {
        let sql = format!(
            "SELECT {hint}COUNT(*), {packed} FROM {table}",
            hint = self.dialect().packed_history_hint(),
            packed = self.dialect().packed_history(),
            table = self.quoted
        );
        match conn.fetch_history(sql_str(sql), HistoryShape::Packed).await {
            Ok(rows) => Ok(rows),
            // A truncated aggregate (or any surprise): read it row by row.
            Err(_) => self.list_applied_migrations(conn).await.map(Some),
        }
    }

    /// Every history row, by version.
    pub async fn list_applied_migrations<B: Backend>(
        &self,
        conn: &mut B,
    ) -> Result<Vec<HistoryRow>, Error> {
        let sql = format!(
            "SELECT version, name, checksum, success FROM {} ORDER BY version",
            self.quoted
        );
        self.fetch(conn, sql, HistoryShape::Rows).await
    }

    /// Every history row with when and how long, for `status`.
    pub async fn list_with_timings<B: Backend>(
        &self,
        conn: &mut B,
    ) -> Result<Vec<HistoryRow>, Error> {
        let sql = format!(
            "SELECT version, name, checksum, success, {applied_at}, duration_ms FROM {table} ORDER BY version",
            applied_at = self.dialect().applied_at_text(),
            table = self.quoted
        );
        self.fetch(conn, sql, HistoryShape::Detailed).await
    }

    /// The row of `version`, if there is one.
    pub async fn find<B: Backend>(
        &self,
        conn: &mut B,
        version: i64,
    ) -> Result<Option<HistoryRow>, Error> {
        let sql = format!(
            "SELECT version, name, checksum, success FROM {} WHERE version = {version}",
            self.quoted
        );
        Ok(self
            .fetch(conn, sql, HistoryShape::Rows)
            .await?
            .into_iter()
            .next())
    }

    async fn fetch<B: Backend>(
        &self,
        conn: &mut B,
        sql: String,
        shape: HistoryShape,
    ) -> Result<Vec<HistoryRow>, Error> {
        let rows = conn
            .fetch_history(sql_str(sql), shape)
            .await
            .map_err(|source| self.error(source))?;
        Ok(rows.unwrap_or_default())
    }

    /// A database error met while reading or writing this table.
    pub fn error(&self, source: sqlx::Error) -> Error {
        Error::History {
            table: self.name.clone(),
            error: source,
        }
    }
}

/// SQL built at run time from validated names and literals this crate quoted.
pub(crate) fn sql_str(sql: String) -> SqlStr {
    AssertSqlSafe(sql).into_sql_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_validated() {
        for ok in ["migrate_history", "_t1", "app.migrate_history"] {
            assert!(HistoryTable::new(BackendKind::Postgres, ok).is_ok(), "{ok}");
        }
        for bad in ["", "1t", "t;drop", "a.b.c", "t\"x", "a b", "ta`ble", "é"] {
            assert!(HistoryTable::new(BackendKind::MySql, bad).is_err(), "{bad}");
        }
    }

    /// The lease's SQL on a real database: expiry alone loses nothing;
    /// another migrator's take and a release do, and a released lease is
    /// not revived by a renewal that arrives after it.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_lease_is_lost_to_a_taker_or_a_release_not_to_expiry() {
        use sqlx::Connection;
        let table = HistoryTable::new(BackendKind::Sqlite, crate::DEFAULT_TABLE).unwrap();
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let ttl = Duration::from_secs(30);
        let expire = format!("UPDATE {} SET expires_at = 1", table.lock_quoted);
        for setup in [table.create_lock_table(), table.seed_lock()] {
            conn.execute(sql_str(setup)).await.unwrap();
        }
        macro_rules! rows {
            ($sql:expr) => {
                conn.execute(sql_str($sql)).await.unwrap()
            };
        }
        macro_rules! held_by {
            ($owner:expr) => {
                conn.fetch_integer(sql_str(format!(
                    "SELECT {}",
                    table.while_lease_held($owner)
                )))
                .await
                .unwrap()
                    == 1
            };
        }

        assert_eq!(rows!(table.take_lease("a", ttl)), 1);
        assert_eq!(rows!(table.take_lease("b", ttl)), 0, "a's lease is live");
        rows!(expire.clone());
        assert!(held_by!("a"), "expired, but nobody took it");
        assert_eq!(rows!(table.renew_lease("a", ttl)), 1);
        assert_eq!(rows!(table.take_lease("b", ttl)), 0, "renewed");

        rows!(expire);
        assert_eq!(rows!(table.take_lease("b", ttl)), 1);
        assert!(!held_by!("a"), "b took it");
        assert_eq!(rows!(table.renew_lease("a", ttl)), 0);

        assert_eq!(rows!(table.release_lease("b")), 1);
        assert!(!held_by!("b"), "released");
        assert_eq!(rows!(table.renew_lease("b", ttl)), 0, "not revived");
        assert_eq!(rows!(table.take_lease("a", ttl)), 1, "free for anyone");
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(
            BackendKind::Postgres.dialect().quote_literal("it's"),
            "'it''s'"
        );
        assert_eq!(
            BackendKind::MySql.dialect().quote_literal(r"a\'"),
            r"'a\\'''"
        );
    }
}
