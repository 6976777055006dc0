//! The version table's statements, built from a database's [`Dialect`]:
//! online runs execute exactly these strings, so what offline mode renders
//! is what runs. Its typed reads are in [`crate::driver::history`].

use std::time::Duration;

use migrata_core::Migration;

use super::lease::LeaseTable;
use super::presence::ReplicaTable;
use super::{dialect_of, Dialect};
use crate::error::Error;
use crate::model::{BackendKind, ClaimMark, Direction};
use crate::plan::program::Op;

/// How long a script took, for its history row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Elapsed {
    /// Measured by the client.
    Client(Duration),
    /// Measured by the server, from the start of the query string that ran
    /// the script (see [`Dialect::server_elapsed_ms`]).
    Server,
    /// Measured by the server from the claim of a script run outside a
    /// transaction (see [`Dialect::ms_since_claim`]).
    SinceClaim,
}

/// Ends the lease table's name: `<table>_lock`.
const LEASE_SUFFIX: &str = "_lock";
/// Ends the replica presence table's name: `<table>_replicas`.
const REPLICAS_SUFFIX: &str = "_replicas";

/// The quoted name of a table named after the version table `table` (in
/// `schema`, whose last part is `last`): `<last><suffix>`, refused where
/// the database would truncate it.
fn derived_name(
    kind: BackendKind,
    table: &str,
    schema: &[&str],
    last: &str,
    suffix: &str,
) -> Result<String, Error> {
    let dialect = dialect_of(kind);
    let name = format!("{last}{suffix}");
    if let Some(limit) = dialect.identifier_limit() {
        let excess = limit.length_of(&name).saturating_sub(limit.max);
        if excess > 0 {
            return Err(Error::TableNameTooLong {
                table: table.to_owned(),
                lease: name,
                backend: kind,
                limit: limit.to_string(),
                excess,
            });
        }
    }
    let mut quoted: Vec<String> = schema
        .iter()
        .map(|part| dialect.quote_identifier(part))
        .collect::<Result<_, _>>()?;
    quoted.push(dialect.quote_identifier(&name)?);
    Ok(quoted.join("."))
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
    lease: LeaseTable,
}

impl HistoryTable {
    /// Validates `table` (an identifier, optionally `schema.table`) and quotes
    /// it, and the lease table's name derived from it.
    pub fn new(kind: BackendKind, table: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = table.split('.').collect();
        let valid_ident = |part: &&str| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if parts.len() > 2 || !parts.iter().all(valid_ident) {
            return Err(Error::InvalidTableName {
                table: table.chars().take(80).collect(),
            });
        }
        let dialect = dialect_of(kind);
        let quote_all = |parts: &[&str]| -> Result<String, Error> {
            let quoted: Vec<String> = parts
                .iter()
                .map(|part| dialect.quote_identifier(part))
                .collect::<Result<_, _>>()?;
            Ok(quoted.join("."))
        };
        let quoted = quote_all(&parts)?;
        let Some((last, schema)) = parts.split_last() else {
            return Err(Error::InvalidTableName {
                table: table.to_owned(),
            });
        };
        Ok(HistoryTable {
            kind,
            name: table.to_owned(),
            quoted,
            lease: LeaseTable::new(kind, derived_name(kind, table, schema, last, LEASE_SUFFIX)?),
        })
    }

    /// The replica presence table beside this one, `<table>_replicas`:
    /// named on demand, so a version table name that leaves room for
    /// `_lock` but not for `_replicas` fails only where presence is used.
    pub fn replicas(&self) -> Result<ReplicaTable, Error> {
        let last = self.name.rsplit('.').next().unwrap_or(&self.name);
        let quoted = derived_name(self.kind, &self.name, &[], last, REPLICAS_SUFFIX)?;
        // The table's own name is validated and holds no `.`, so the last
        // dot of its quoted form ends the schema (configured or pinned).
        let qualified = match self.quoted.rsplit_once('.') {
            Some((schema, _)) => format!("{schema}.{quoted}"),
            None => quoted,
        };
        Ok(ReplicaTable::new(self.kind, qualified))
    }

    /// The same table, qualified with `schema` unless it already names one.
    /// `schema` comes from the database and need not follow our rules, but
    /// must not break the quoting.
    pub fn in_schema(self, schema: &str) -> Result<Self, Error> {
        if self.name.contains('.') {
            return Ok(self);
        }
        let schema = self.dialect().quote_identifier(schema)?;
        let qualify = |name: &str| format!("{schema}.{name}");
        Ok(HistoryTable {
            quoted: qualify(&self.quoted),
            lease: LeaseTable::new(self.kind, qualify(self.lease.quoted())),
            ..self
        })
    }

    /// The lease table beside this one.
    pub fn lease(&self) -> &LeaseTable {
        &self.lease
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    pub fn dialect(&self) -> &'static dyn Dialect {
        dialect_of(self.kind)
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
        self.insert_row(migration, false, &i64::from(mark).to_string())
    }

    /// [`HistoryTable::insert`], written only where `condition` holds: the
    /// caller checks that the row was written.
    pub fn insert_if(&self, migration: &Migration, elapsed: Elapsed, condition: &str) -> String {
        format!(
            "INSERT INTO {table} {columns} SELECT {values}{no_table} WHERE {condition}",
            table = self.quoted,
            columns = HISTORY_COLUMNS,
            values = self.row_values(migration, true, &self.elapsed_ms(elapsed)),
            no_table = self.dialect().no_table(),
        )
    }

    fn insert_row(&self, migration: &Migration, success: bool, duration_ms: &str) -> String {
        format!(
            "INSERT INTO {table} {columns} VALUES ({values})",
            table = self.quoted,
            columns = HISTORY_COLUMNS,
            values = self.row_values(migration, success, duration_ms),
        )
    }

    fn row_values(&self, migration: &Migration, success: bool, duration_ms: &str) -> String {
        format!(
            "{version}, {name}, '{checksum}', {now}, {duration_ms}, {success}",
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
            self.quoted, i64::from(mark)
        )
    }

    /// Settles the row of an up script that ran outside a transaction as
    /// applied; affects no row unless the row is still the one claimed with
    /// `mark` and `fence` (see [`LeaseTable::while_held`](super::lease::LeaseTable::while_held)) holds.
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
            i64::from(mark)
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
            (Elapsed::SinceClaim, _) => self.dialect().ms_since_claim().unwrap_or("0").to_owned(),
            (Elapsed::Client(duration), _) => duration.as_millis().to_string(),
        }
    }

    /// The whole history in one row (see [`Dialect::packed_history`]): the
    /// startup check's single SELECT.
    pub fn select_packed(&self) -> String {
        format!(
            "SELECT {hint}COUNT(*), {packed} FROM {table}",
            hint = self.dialect().packed_history_hint(),
            packed = self.dialect().packed_history(),
            table = self.quoted
        )
    }

    /// Every row's version, name, checksum and success, by version; with
    /// `version`, that version's row only.
    pub fn select_rows(&self, version: Option<i64>) -> String {
        let only = version
            .map(|v| format!(" WHERE version = {v}"))
            .unwrap_or_default();
        format!(
            "SELECT version, name, checksum, success FROM {}{only} ORDER BY version",
            self.quoted
        )
    }

    /// Every row with when it was applied and how long it took, for `status`.
    pub fn select_detailed(&self) -> String {
        format!(
            "SELECT version, name, checksum, success, {applied_at}, duration_ms FROM {table} ORDER BY version",
            applied_at = self.dialect().applied_at_text(),
            table = self.quoted
        )
    }

    /// A database error met while reading or writing this table.
    pub fn error(&self, source: sqlx::Error) -> Error {
        Error::History {
            table: self.name.clone(),
            error: source,
        }
    }

    /// The history write of a bookkeeping op (`None` for [`Op::Run`]).
    /// `elapsed` is the script's duration where the op records one;
    /// `writer` says where the write runs.
    pub fn write_for(&self, op: &Op<'_>, elapsed: Elapsed, writer: Writer<'_>) -> Option<String> {
        let step = op.step();
        let version = step.migration.version;
        let (mark, fence) = match writer {
            Writer::Claimed(guard) => (guard.mark, Some(guard.fence.as_str())),
            Writer::Transaction | Writer::TransactionIf(_) | Writer::Offline => {
                (ClaimMark::offline(step.direction), None)
            }
        };
        Some(match (op, step.direction) {
            (Op::Run(_), _) => return None,
            (Op::Forget(_), _) => self.forget(step.migration, writer == Writer::Offline),
            (Op::Claim(_), Direction::Up) => self.insert_claim(step.migration, mark),
            (Op::Claim(_), Direction::Down) => self.claim_applied(version, mark),
            (Op::Record(_), Direction::Up) => match writer {
                Writer::TransactionIf(condition) => {
                    self.insert_if(step.migration, elapsed, condition)
                }
                _ => self.insert(step.migration, elapsed),
            },
            (Op::Record(_), Direction::Down) => self.delete(version),
            (Op::Settle(_), Direction::Up) => self.settle_applied(version, elapsed, mark, fence),
            (Op::Settle(_), Direction::Down) => self.settle_reverted(version, mark, fence),
        })
    }
}

/// The columns a history row is written with.
const HISTORY_COLUMNS: &str = "(version, name, checksum, applied_at, duration_ms, success)";

/// Where a history write runs, which decides what binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer<'g> {
    /// Online, inside the unit's transaction.
    Transaction,
    /// Online, inside the unit's transaction, an applied migration's row
    /// written only where the condition holds (see [`HistoryTable::insert_if`]).
    TransactionIf(&'g str),
    /// Online, outside a transaction: a claim and its settle are bound by
    /// the guard.
    Claimed(&'g ClaimGuard),
    /// In an offline script, which one client runs in order: a fixed mark
    /// serves, and a repeatable migration's row is replaced whatever it
    /// recorded (the script cannot know).
    Offline,
}

/// What binds the claim of a script run outside a transaction to its
/// settle: the claim's mark, and a condition the settle must meet (the
/// lease, see [`LeaseTable::while_held`](super::lease::LeaseTable::while_held)).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClaimGuard {
    pub mark: ClaimMark,
    pub fence: String,
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

    #[test]
    fn the_lease_table_name_must_fit_the_database_too() {
        let fits = "t".repeat(58);
        let too_long = "t".repeat(59);
        assert!(HistoryTable::new(BackendKind::Postgres, &fits).is_ok());
        assert!(matches!(
            HistoryTable::new(BackendKind::Postgres, &too_long),
            Err(Error::TableNameTooLong { excess: 1, .. })
        ));
        assert!(HistoryTable::new(BackendKind::MySql, &too_long).is_ok());
        assert!(HistoryTable::new(BackendKind::MySql, &format!("app.{too_long}t")).is_err());
        assert!(HistoryTable::new(BackendKind::Sqlite, &"t".repeat(300)).is_ok());
    }

    #[test]
    fn a_schema_read_from_the_database_is_quoted_not_trusted() {
        let table = HistoryTable::new(BackendKind::Postgres, "h")
            .unwrap()
            .in_schema("we\"ird")
            .unwrap();
        assert_eq!(table.quoted(), "\"we\"\"ird\".\"h\"");
        assert_eq!(table.lease().quoted(), "\"we\"\"ird\".\"h_lock\"");
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(
            dialect_of(BackendKind::Postgres).quote_literal("it's"),
            "'it''s'"
        );
        assert_eq!(
            dialect_of(BackendKind::MySql).quote_literal(r"a\'"),
            r"'a\\'''"
        );
    }
}
