//! What one database's SQL and rules must provide: the [`Dialect`] trait,
//! implemented once per database in this folder.

use migrata_core::SqlFlavor;
use sqlx::error::DatabaseError;

use crate::model::Peer;

/// Column types of the version table.
pub(crate) struct ColumnTypes {
    pub bigint: &'static str,
    pub text: &'static str,
    pub timestamp: &'static str,
}

/// One database's SQL and rules, known without a connection. Defaults are
/// standard SQL; each database overrides what it does differently.
pub(crate) trait Dialect: Sync {

    /// The statement opening a migration's transaction.
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// Whether a script that runs outside a transaction is sent one
    /// statement at a time (e.g. because a multi-statement query string
    /// would run as one implicit transaction).
    fn splits_untransacted_scripts(&self) -> bool {
        false
    }

    /// Where a long script goes in batches of whole statements of about
    /// this many bytes rather than at once (see
    /// [`migrata_core::statement_batches`]); `None` sends every script whole.
    fn script_batch_bytes(&self) -> Option<usize> {
        None
    }

    /// An expression for the milliseconds since the current query string
    /// started, where the server can measure a script's duration for its
    /// history row (script and row then go in one round trip).
    fn server_elapsed_ms(&self) -> Option<&'static str> {
        None
    }

    /// How the statement splitter and the terminator check read scripts.
    fn sql_flavor(&self) -> SqlFlavor {
        SqlFlavor::Standard
    }

    /// The character that quotes identifiers.
    fn identifier_quote(&self) -> char {
        '"'
    }

    /// A string literal.
    fn quote_literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }

    /// The current UTC time, as stored in `applied_at`.
    fn now_utc(&self) -> &'static str;

    /// The version table's column types.
    fn column_types(&self) -> ColumnTypes;

    /// An aggregate packing every history row as
    /// `version:checksum:success:length:name`, comma-separated, `length`
    /// being the name's length in characters: a name may hold `,` and `:`.
    fn packed_history(&self) -> &'static str;

    /// A hint placed after `SELECT` in the packed history query.
    fn packed_history_hint(&self) -> &'static str {
        ""
    }

    /// `applied_at` as ISO 8601 UTC text with milliseconds.
    fn applied_at_text(&self) -> &'static str;

    /// What an offline script starts with so its client stops at the first
    /// error, as an online run does.
    fn offline_preamble(&self) -> &'static str;

    /// A query for the schema the version table `table` (quoted,
    /// unqualified) lives in: where the name resolves now if the table
    /// exists, else where it would be created. `None` where the database
    /// is the schema.
    fn history_schema(&self, table: &str) -> Option<String> {
        let _ = table;
        None
    }

    /// Which database this connection uses (SQLite: its file), for messages.
    fn database_name(&self) -> &'static str;

    /// A query returning 1 when the session lock for `table` was taken and 0
    /// when another session holds it, without waiting; `None` without
    /// session locks. `table` has been validated as an identifier.
    fn try_lock(&self, table: &str) -> Option<String>;

    /// Releases what [`Dialect::try_lock`] took.
    fn unlock(&self, table: &str) -> Option<String>;

    /// The database clock as milliseconds since the Unix epoch: lease
    /// expiries are compared on the server, so clients' clocks never matter.
    fn now_ms(&self) -> &'static str;

    /// A query returning 1 when this server accepts no writes (a hot
    /// standby, a read-only replica); `None` where that cannot happen.
    fn read_only(&self) -> Option<&'static str> {
        None
    }

    /// How to keep foreign-key actions out of a migration's transaction
    /// where the transaction itself cannot switch enforcement off; `None`
    /// where it can (or there is nothing to switch).
    fn foreign_key_suspension(&self) -> Option<&'static ForeignKeySuspension> {
        None
    }

    /// A statement run after taking the lock so that reads see every write
    /// committed before, on any cluster node; failures are ignored (servers
    /// that are not cluster nodes may not know the setting).
    fn after_lock(&self) -> Option<&'static str> {
        None
    }

    /// A query reading `peer`'s history table (see [`Peer::table`]), by
    /// version, as [`PeerRow`](crate::model::PeerRow)s: `version` as text, `name` and `checksum` as
    /// text or NULL where the tool records none (sqlx's SHA-384 as lowercase
    /// hex, refinery's as the decimal text it stores), and `success` as 0 or 1.
    fn peer_history(&self, peer: Peer) -> &'static str;

    /// Whether `error` is a write conflict with a concurrent session that a
    /// retry resolves (duplicate key, deadlock, certification failure).
    fn is_conflict(&self, error: &dyn DatabaseError) -> bool;

    /// Whether `error` says the version table does not exist.
    fn is_undefined_table(&self, error: &dyn DatabaseError) -> bool;

    /// Whether `error` means another connection kept the database locked for
    /// longer than the busy timeout.
    fn is_busy(&self, error: &dyn DatabaseError) -> bool {
        let _ = error;
        false
    }
}

/// SQLite ignores `PRAGMA foreign_keys` inside a transaction, and sqlx
/// opens connections with enforcement on, so the documented table rebuild
/// (create new, copy, `DROP TABLE` old, rename) would cascade to the child
/// rows. Enforcement is switched off for a run's transactions, as
/// the `sqlite3` shell runs offline scripts, and what it would have refused
/// is checked before commit.
#[derive(Debug)]
pub(crate) struct ForeignKeySuspension {
    /// Returns 1 when the connection enforces foreign keys.
    pub enforced: &'static str,
    pub off: &'static str,
    pub on: &'static str,
    /// Returns a description of every row whose parent is missing, or NULL.
    pub violations: &'static str,
}

