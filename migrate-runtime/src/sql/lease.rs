//! The lease table's statements: one row naming the migrator that holds
//! the migration lease and when it expires, in the database's clock. The
//! lock that takes, renews and releases it is
//! [`engine::lock`](crate::engine::lock).

use std::time::Duration;

use super::{dialect_of, Dialect};
use crate::model::BackendKind;

/// Ends the owner name of a migrator that holds the session lock too.
const SESSION_MARK: &str = "+session";

/// `owner` marked as holding the session lock while it holds the lease
/// (see [`LeaseTable::take_after_session_lock`]).
pub(crate) fn session_owner(owner: &str) -> String {
    format!("{owner}{SESSION_MARK}")
}

/// One database's lease table, `<history table>_lock`, validated and quoted.
#[derive(Debug, Clone)]
pub(crate) struct LeaseTable {
    kind: BackendKind,
    quoted: String,
}

impl LeaseTable {
    pub(super) fn new(kind: BackendKind, quoted: String) -> Self {
        LeaseTable { kind, quoted }
    }

    /// The name as quoted for SQL.
    pub fn quoted(&self) -> &str {
        &self.quoted
    }

    fn dialect(&self) -> &'static dyn Dialect {
        dialect_of(self.kind)
    }

    /// The lease table: one row (`id = 1`) naming the migrator that holds
    /// the lease and when it expires, in the database's clock.
    pub fn create(&self) -> String {
        let types = self.dialect().column_types();
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n    id {bigint} PRIMARY KEY NOT NULL,\n    owner {text} NOT NULL,\n    expires_at {bigint} NOT NULL\n)",
            table = self.quoted,
            bigint = types.bigint,
            text = types.text,
        )
    }

    /// The lease row, expired, for the first migrator to take.
    pub fn seed(&self) -> String {
        format!(
            "INSERT INTO {} (id, owner, expires_at) VALUES (1, '', 0)",
            self.quoted
        )
    }

    /// Takes the lease for `owner` if it has expired or is already
    /// `owner`'s, and renews it: one committed conditional write, so it
    /// holds through transaction pooling and across cluster nodes.
    pub fn take(&self, owner: &str, ttl: Duration) -> String {
        self.take_if(owner, ttl, "")
    }

    /// [`LeaseTable::take`] for a migrator holding the session lock: it
    /// also takes a live lease whose owner is [`session_owner`]-marked.
    /// Such an owner took the session lock before the lease and gives the
    /// lease up before the session lock, so while another migrator holds
    /// the session lock, that owner's session has ended (its connection
    /// closed, which stopped its statement) and its lease is stale.
    pub fn take_after_session_lock(&self, owner: &str, ttl: Duration) -> String {
        let stale = format!(
            " OR owner LIKE {}",
            self.dialect().quote_literal(&format!("%{SESSION_MARK}"))
        );
        self.take_if(owner, ttl, &stale)
    }

    fn take_if(&self, owner: &str, ttl: Duration, or: &str) -> String {
        let dialect = self.dialect();
        format!(
            "UPDATE {table} SET owner = {owner}, expires_at = {now} + {ttl} WHERE id = 1 AND (owner = {owner} OR expires_at < {now}{or})",
            table = self.quoted,
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
    /// cannot write while the step holds the write lock, and over a connection handed over (`run_on`, `Migrator::on`)
    /// there is no heartbeat.) A released lease (`expires_at = 0`) is not
    /// renewed, so a heartbeat still in flight at release cannot revive it.
    pub fn renew(&self, owner: &str, ttl: Duration) -> String {
        let dialect = self.dialect();
        format!(
            "UPDATE {table} SET expires_at = {now} + {ttl} WHERE {held}",
            table = self.quoted,
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
    pub fn release(&self, owner: &str) -> String {
        format!(
            "UPDATE {} SET expires_at = 0 WHERE id = 1 AND owner = {}",
            self.quoted,
            self.dialect().quote_literal(owner)
        )
    }

    /// The owner of an unexpired lease, or NULL when there is none: whom a
    /// migrator waiting to take the lease waits for.
    pub fn holder(&self) -> String {
        let dialect = self.dialect();
        format!(
            "SELECT MAX(owner) FROM {table} WHERE id = 1 AND expires_at >= {now}",
            table = self.quoted,
            now = dialect.now_ms(),
        )
    }

    /// A condition that holds while `owner` holds the lease (see
    /// [`LeaseTable::renew`]), for history writes that must not land
    /// after another migrator took it (fencing).
    pub fn while_held(&self, owner: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM {} WHERE {})",
            self.quoted,
            self.held_by(owner)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::model::BackendKind;
    use crate::sql::history::HistoryTable;

    /// The lease's SQL on a real database: expiry alone loses nothing;
    /// another migrator's take and a release do, and a released lease is
    /// not revived by a renewal that arrives after it.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_lease_is_lost_to_a_taker_or_a_release_not_to_expiry() {
        // Plain sqlx: this layer's test does not reach up to the driver's.
        use crate::sql::sql_str;
        use sqlx::{Connection, Executor};
        let table = HistoryTable::new(BackendKind::Sqlite, crate::options::DEFAULT_TABLE).unwrap();
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let ttl = Duration::from_secs(30);
        let expire = format!("UPDATE {} SET expires_at = 1", table.lease().quoted());
        for setup in [table.lease().create(), table.lease().seed()] {
            conn.execute(sql_str(setup)).await.unwrap();
        }
        macro_rules! rows {
            ($sql:expr) => {
                conn.execute(sql_str($sql)).await.unwrap().rows_affected()
            };
        }
        macro_rules! held_by {
            ($owner:expr) => {
                sqlx::query_scalar::<_, i64>(sql_str(format!(
                    "SELECT {}",
                    table.lease().while_held($owner)
                )))
                .fetch_one(&mut conn)
                .await
                .unwrap()
                    == 1
            };
        }

        assert_eq!(rows!(table.lease().take("a", ttl)), 1);
        assert_eq!(rows!(table.lease().take("b", ttl)), 0, "a's lease is live");
        rows!(expire.clone());
        assert!(held_by!("a"), "expired, but nobody took it");
        assert_eq!(rows!(table.lease().renew("a", ttl)), 1);
        assert_eq!(rows!(table.lease().take("b", ttl)), 0, "renewed");

        rows!(expire);
        assert_eq!(rows!(table.lease().take("b", ttl)), 1);
        assert!(!held_by!("a"), "b took it");
        assert_eq!(rows!(table.lease().renew("a", ttl)), 0);

        assert_eq!(rows!(table.lease().release("b")), 1);
        assert!(!held_by!("b"), "released");
        assert_eq!(rows!(table.lease().renew("b", ttl)), 0, "not revived");
        assert_eq!(rows!(table.lease().take("a", ttl)), 1, "free for anyone");
    }
}
