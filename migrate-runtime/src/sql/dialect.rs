//! What one database's SQL and rules must provide: the [`Dialect`] trait,
//! implemented once per database in this folder.

use std::time::Duration;

use migrata_core::SqlFlavor;
use sqlx::error::DatabaseError;

use crate::error::Error;
use crate::model::Peer;

/// `name` between `quote`s, each `quote` inside doubled: how every
/// database this crate speaks escapes a quoted identifier.
pub(crate) fn quoted(quote: char, name: &str) -> String {
    let doubled: String = [quote, quote].iter().collect();
    format!("{quote}{}{quote}", name.replace(quote, &doubled))
}

/// How long a database's identifiers may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdentifierLimit {
    pub max: usize,
    /// Whether `max` counts bytes of UTF-8 (else characters).
    pub bytes: bool,
}

impl IdentifierLimit {
    pub fn length_of(&self, name: &str) -> usize {
        if self.bytes {
            name.len()
        } else {
            name.chars().count()
        }
    }
}

impl std::fmt::Display for IdentifierLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = if self.bytes { "bytes" } else { "characters" };
        write!(f, "{} {unit}", self.max)
    }
}

/// Column types of the version table.
pub(crate) struct ColumnTypes {
    pub bigint: &'static str,
    pub text: &'static str,
    pub timestamp: &'static str,
}

/// A statement run to learn whether a transaction is open: it fails in
/// one of the two cases, never changes data, and what it leaves behind is
/// undone by the transaction's end (a savepoint), or by the rollback that
/// follows the error it leads to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TransactionProbe {
    pub sql: &'static str,
    /// It fails inside a transaction (else: outside one).
    pub fails_inside: bool,
}

/// One database's SQL and rules, known without a connection. Defaults are
/// standard SQL; each database overrides what it does differently.
pub(crate) trait Dialect: Sync {
    /// The statement opening a migration's transaction.
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// A statement that tells whether the connection is still inside the
    /// transaction the runner opened, after a code migration (which could
    /// have run `COMMIT`) returns: `None` where a lost transaction cannot
    /// matter (MySQL, where DDL commits implicitly anyway).
    fn transaction_probe(&self) -> Option<TransactionProbe> {
        None
    }

    /// Whether a script that runs outside a transaction is split into its
    /// statements, each run in its own implicit transaction: sent one at a
    /// time (a multi-statement query string would run as one implicit
    /// transaction), or, where the database has a
    /// [`lease_held_check`](Dialect::lease_held_check), in one string the
    /// server runs statement by statement.
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
    /// history row (script and row then go in one round trip), and the
    /// transactions of consecutive migrations in one query string.
    fn server_elapsed_ms(&self) -> Option<&'static str> {
        None
    }

    /// A statement that marks where the current transaction's script
    /// starts, for [`Dialect::server_elapsed_ms`] to measure from instead
    /// of the query string's start, where one query string carries the
    /// transactions of several migrations.
    fn elapsed_mark(&self) -> Option<&'static str> {
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

    /// The longest identifier the database keeps whole, and its unit;
    /// `None` without a limit.
    fn identifier_limit(&self) -> Option<IdentifierLimit> {
        None
    }

    /// `name` as one quoted identifier: the quote character doubled inside,
    /// so no name can end the identifier early. A name the database could
    /// not keep as given (empty, holding NUL, longer than its limit, which
    /// PostgreSQL would silently truncate) is refused.
    fn quote_identifier(&self, name: &str) -> Result<String, Error> {
        let problem = if name.is_empty() {
            Some("it is empty".to_owned())
        } else if name.contains('\0') {
            Some("it holds a NUL character".to_owned())
        } else {
            self.identifier_limit()
                .filter(|limit| limit.length_of(name) > limit.max)
                .map(|limit| format!("it is longer than {limit}"))
        };
        match problem {
            Some(problem) => Err(Error::InvalidIdentifier {
                name: name.chars().take(80).collect(),
                problem,
            }),
            None => Ok(quoted(self.identifier_quote(), name)),
        }
    }

    /// What a `SELECT` with a `WHERE` but no table takes as its table:
    /// nothing in standard SQL.
    fn no_table(&self) -> &'static str {
        ""
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

    /// The statements bounding each lock wait of a migration's statements
    /// by `wait`: for a transaction (`transaction`), or for a script run
    /// outside one. `connection_wait` is what the connection waited before,
    /// where the database keeps no earlier value to return to (SQLite).
    fn lock_wait(
        &self,
        wait: Duration,
        transaction: bool,
        connection_wait: Duration,
    ) -> LockWaitSql;

    /// The bound the database applies for a lock wait of `wait` (its
    /// settings' unit may be coarser).
    fn effective_lock_wait(&self, wait: Duration) -> Duration {
        wait
    }

    /// Whether a script run outside a transaction is left without the lock
    /// wait (see the PostgreSQL dialect).
    fn lock_wait_exempts(&self, script: &str) -> bool {
        let _ = script;
        false
    }

    /// Whether `error` is a statement giving up waiting for a lock after
    /// [`Dialect::lock_wait`]'s bound: the statement did nothing.
    fn is_lock_wait(&self, error: &dyn DatabaseError) -> bool;

    /// `renew` (the lease's renewal) as a statement that fails, with an
    /// error [`Dialect::is_lease_lost`] recognises, where it renews no row:
    /// last in a transaction sent in one query string (several
    /// migrations' transactions may share the string), it keeps that
    /// transaction from committing once the lease is lost, so the whole
    /// transaction goes in the same round trip. `None` where the database
    /// runs no such string (the fence then is a statement of its own).
    fn lease_fence(&self, renew: &str) -> Option<String> {
        let _ = renew;
        None
    }

    /// A query that fails with an error [`Dialect::is_lease_lost`]
    /// recognises unless `held` (the lease's
    /// [`while_held`](super::lease::LeaseTable::while_held) condition) is
    /// true: in a query string whose statements the server runs one by one,
    /// each committed by itself, and that it stops at the first error
    /// (MySQL's multi-statement string), the statements after it do not
    /// run once the lease is lost. `None` where the database runs no such
    /// string.
    fn lease_held_check(&self, held: &str) -> Option<String> {
        let _ = held;
        None
    }

    /// An expression for the milliseconds since the claimed history row's
    /// `applied_at` (the script's start, stamped by its claim), for a
    /// settle sent in the query string that ran the script, where the
    /// client cannot measure the script alone. `None` where settles are
    /// statements of their own.
    fn ms_since_claim(&self) -> Option<&'static str> {
        None
    }

    /// Whether `error` is [`Dialect::lease_fence`]'s, or (from that
    /// statement) [`Dialect::lease_held_check`]'s.
    fn is_lease_lost(&self, error: &dyn DatabaseError) -> bool {
        let _ = error;
        false
    }

    /// A query returning this session's id on the server, which
    /// [`Dialect::blockers`] takes; `None` where sessions have none (SQLite).
    fn session_id(&self) -> Option<&'static str> {
        None
    }

    /// A query describing, as one text (NULL when it is not waiting), the
    /// sessions that keep session `session` waiting for a lock right now:
    /// who they are, what they are doing and for how long their
    /// transactions have run, never their query text.
    fn blockers(&self, session: i64) -> String {
        let _ = session;
        "SELECT NULL".to_owned()
    }

    /// A query returning 1 when the `-- migrate:check` query `check` returns
    /// true, and 0 when it returns false, NULL or no row.
    fn check(&self, check: &str) -> String {
        format!("SELECT CASE WHEN (\n{check}\n) THEN 1 ELSE 0 END")
    }

    /// Offline SQL that stops the client with an error naming `label`
    /// unless the `-- migrate:check` query `check` returns true. The
    /// default, for databases without anonymous code blocks: a temporary
    /// table whose `CHECK` constraint, named `label`, refuses the check's
    /// value unless it is true.
    fn offline_check(&self, check: &str, label: &str) -> String {
        let label: String = match self.identifier_limit() {
            Some(limit) => label.chars().take(limit.max).collect(),
            None => label.to_owned(),
        };
        // A label holds no NUL (it is built from a file name), and is cut
        // to the limit: quoting cannot fail.
        let name = self
            .quote_identifier(&label)
            .unwrap_or_else(|_| quoted(self.identifier_quote(), "migrate:check"));
        format!(
            "CREATE TEMPORARY TABLE migrata_check (ok BOOLEAN NOT NULL, CONSTRAINT {name} CHECK (ok));\n\
             INSERT INTO migrata_check SELECT COALESCE((\n{check}\n), FALSE);\n\
             {};",
            self.drop_temporary_table("migrata_check")
        )
    }

    /// Drops the temporary table `name`.
    fn drop_temporary_table(&self, name: &str) -> String {
        format!("DROP TABLE {name}")
    }
}

/// What bounds a migration's lock waits (see [`Dialect::lock_wait`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LockWaitSql {
    /// Sets the bound.
    pub set: String,
    /// Whether `set` goes right after `BEGIN` and ends with the
    /// transaction; else it goes before the transaction or script, and
    /// `restore` after it.
    pub after_begin: bool,
    /// Puts back what the session waited before.
    pub restore: Option<String>,
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
    /// A condition: no row's parent is missing. A history row written
    /// only where it holds checks the script in the same statement.
    pub none_violated: &'static str,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::model::BackendKind;
    use crate::sql::dialect_of;

    /// Reads the quoted identifier at the start of `sql` as the database's
    /// lexer does (a doubled quote is one quote character, a single one
    /// ends the identifier): the name, and the SQL after it.
    fn read_identifier(quote: char, sql: &str) -> Option<(String, &str)> {
        let mut chars = sql.char_indices().peekable();
        if chars.next()?.1 != quote {
            return None;
        }
        let mut name = String::new();
        while let Some((at, c)) = chars.next() {
            if c != quote {
                name.push(c);
            } else if chars.next_if(|&(_, next)| next == quote).is_some() {
                name.push(quote);
            } else {
                return Some((name, &sql[at + c.len_utf8()..]));
            }
        }
        None
    }

    proptest! {
        /// Whatever a name holds, its quoted form is read back as exactly
        /// that name, and what follows it stays outside the identifier;
        /// only names the database cannot keep (empty, NUL, over its
        /// length limit) are refused.
        #[test]
        fn a_quoted_name_reads_back_whole_and_never_ends_early(
            name in r#"[`"'\\;\x00\n\t a-zA-Z0-9_.\-éß€😀\u{202e}]{0,70}"#,
        ) {
            for kind in [BackendKind::Sqlite, BackendKind::Postgres, BackendKind::MySql] {
                let dialect = dialect_of(kind);
                let after = "; DROP DATABASE other; -- ";
                match dialect.quote_identifier(&name) {
                    Ok(quoted) => {
                        let sql = format!("{quoted}{after}");
                        let read = read_identifier(dialect.identifier_quote(), &sql);
                        prop_assert_eq!(read, Some((name.clone(), after)), "{}", kind);
                    }
                    Err(_) => {
                        let too_long = dialect
                            .identifier_limit()
                            .is_some_and(|limit| limit.length_of(&name) > limit.max);
                        prop_assert!(name.is_empty() || name.contains('\0') || too_long, "{}: {:?}", kind, name);
                    }
                }
            }
        }
    }

    #[test]
    fn names_the_database_cannot_keep_are_refused() {
        let postgres = dialect_of(BackendKind::Postgres);
        let mysql = dialect_of(BackendKind::MySql);
        assert!(postgres.quote_identifier("").is_err());
        assert!(mysql.quote_identifier("a\0b").is_err());
        // PostgreSQL counts bytes, MySQL characters.
        assert!(postgres.quote_identifier(&"é".repeat(31)).is_ok());
        assert!(postgres.quote_identifier(&"é".repeat(32)).is_err());
        assert!(mysql.quote_identifier(&"é".repeat(64)).is_ok());
        assert!(mysql.quote_identifier(&"é".repeat(65)).is_err());
        assert!(dialect_of(BackendKind::Sqlite)
            .quote_identifier(&"x".repeat(1000))
            .is_ok());
    }
}
