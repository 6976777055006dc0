//! The replica presence table's statements: one row per running process
//! that registered its presence (see [`crate::presence`]), with the newest
//! migration version its binary embeds and when it was last seen, in the
//! database's clock. A row whose `expires_at` has passed is dead.

use std::time::Duration;

use super::{dialect_of, Dialect};
use crate::model::BackendKind;

/// One database's replica presence table, `<history table>_replicas`,
/// validated and quoted.
#[derive(Debug, Clone)]
pub(crate) struct ReplicaTable {
    kind: BackendKind,
    quoted: String,
}

/// Who registers: the values a replica's row records once.
#[derive(Debug, Clone)]
pub(crate) struct Registration<'a> {
    /// Unique per process and registration (see `engine::presence`).
    pub instance: i64,
    /// `host:pid:nonce`, as the lease names its owner.
    pub owner: &'a str,
    pub host: &'a str,
    pub pid: u32,
    /// The newest versioned migration the binary embeds.
    pub newest_version: i64,
}

impl ReplicaTable {
    pub(super) fn new(kind: BackendKind, quoted: String) -> Self {
        ReplicaTable { kind, quoted }
    }

    fn dialect(&self) -> &'static dyn Dialect {
        dialect_of(self.kind)
    }

    /// The table: one row per registered process. The instance id is an
    /// integer so that it can be MySQL's primary key (a `TEXT` cannot).
    pub fn create(&self) -> String {
        let types = self.dialect().column_types();
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    instance {bigint} PRIMARY KEY NOT NULL,\n    owner {text} NOT NULL,\n    host {text} NOT NULL,\n    pid {bigint} NOT NULL,\n    newest_version {bigint} NOT NULL,\n    started_at {bigint} NOT NULL,\n    seen_at {bigint} NOT NULL,\n    expires_at {bigint} NOT NULL\n)",
            table = self.quoted,
            bigint = types.bigint,
            text = types.text,
        )
    }

    /// Records a process as live for `ttl`.
    pub fn register(&self, who: &Registration<'_>, ttl: Duration) -> String {
        let dialect = self.dialect();
        format!(
            "INSERT INTO {table} (instance, owner, host, pid, newest_version, started_at, seen_at, expires_at) VALUES ({instance}, {owner}, {host}, {pid}, {newest}, {now}, {now}, {now} + {ttl})",
            table = self.quoted,
            instance = who.instance,
            owner = dialect.quote_literal(who.owner),
            host = dialect.quote_literal(who.host),
            pid = who.pid,
            newest = who.newest_version,
            now = dialect.now_ms(),
            ttl = ttl.as_millis(),
        )
    }

    /// Marks `instance` seen now and live for `ttl` more; affects no row
    /// when its row is gone (pruned after a long pause), which the caller
    /// answers by registering again.
    pub fn refresh(&self, instance: i64, ttl: Duration) -> String {
        let now = self.dialect().now_ms();
        format!(
            "UPDATE {table} SET seen_at = {now}, expires_at = {now} + {ttl} WHERE instance = {instance}",
            table = self.quoted,
            ttl = ttl.as_millis(),
        )
    }

    /// Removes `instance`'s row: what a clean shutdown does.
    pub fn remove(&self, instance: i64) -> String {
        format!("DELETE FROM {} WHERE instance = {instance}", self.quoted)
    }

    /// Removes the rows dead for longer than `grace`, so the table does
    /// not grow with every killed process.
    pub fn prune(&self, grace: Duration) -> String {
        format!(
            "DELETE FROM {table} WHERE expires_at < {now} - {grace}",
            table = self.quoted,
            now = self.dialect().now_ms(),
            grace = grace.as_millis(),
        )
    }

    /// The live rows, as [`ReplicaTable::listed`] reads them, oldest
    /// release first.
    pub fn live(&self) -> String {
        self.listed(&format!("WHERE expires_at >= {}", self.dialect().now_ms()))
    }

    /// Every row, live and dead (until pruned), as [`ReplicaTable::listed`]
    /// reads them, oldest release first: what `replicas` shows.
    pub fn all(&self) -> String {
        self.listed("")
    }

    /// The rows `filter` keeps: instance, owner, host, pid, newest version,
    /// and, in milliseconds of the database's clock, how long ago each
    /// started and was last seen and how long until it expires (negative
    /// once dead).
    fn listed(&self, filter: &str) -> String {
        let now = self.dialect().now_ms();
        format!(
            "SELECT instance, owner, host, pid, newest_version, {now} - started_at, {now} - seen_at, expires_at - {now} FROM {table} {filter} ORDER BY newest_version, host, pid",
            table = self.quoted,
        )
    }
}
