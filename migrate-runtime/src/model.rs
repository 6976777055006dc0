//! The plain types every layer shares: which database, which direction, a
//! history row and a migration's state. Facts only; nothing here imports
//! another module of this crate.

use std::fmt;

/// The database products this crate can migrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// SQLite, through `sqlite:` URLs.
    Sqlite,
    /// PostgreSQL, through `postgres:` / `postgresql:` URLs.
    Postgres,
    /// MySQL and MariaDB, through `mysql:` / `mariadb:` URLs.
    MySql,
}

impl BackendKind {
    /// Every database, in the order URL schemes are tried.
    pub(crate) const ALL: [BackendKind; 3] = [
        BackendKind::Sqlite,
        BackendKind::Postgres,
        BackendKind::MySql,
    ];

    /// Lowercase name used in logs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
            BackendKind::MySql => "mysql",
        }
    }

    /// The URL schemes that name this database, matched case-insensitively.
    pub(crate) fn schemes(self) -> &'static [&'static str] {
        match self {
            BackendKind::Sqlite => &["sqlite"],
            BackendKind::Postgres => &["postgres", "postgresql"],
            BackendKind::MySql => &["mysql", "mariadb"],
        }
    }

    /// The cargo feature of this crate that compiles the database's driver
    /// (`sqlite`, `postgres`, `mysql`). Without it, SQL for the database can
    /// still be rendered offline, but a URL naming it cannot be connected to.
    pub fn feature(self) -> &'static str {
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
        self != BackendKind::MySql
    }

    /// Whether its URLs name a server (`scheme://user@host/db`) rather
    /// than a file.
    pub(crate) fn url_names_a_server(self) -> bool {
        self != BackendKind::Sqlite
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way a step moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

impl Direction {
    /// `up` or `down`, as log events name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// One row of the version table, as the migrator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryRow {
    /// The migration's version.
    pub version: i64,
    /// Its name when it was applied.
    pub name: String,
    /// Checksum of the script that ran, as 64 hex digits.
    pub checksum: String,
    /// `false` while a non-transactional migration runs, and after it failed.
    pub success: bool,
    /// When it was applied (UTC, ISO 8601), where the query asked for it.
    pub applied_at: Option<String>,
    /// How long its script took, where the query asked for it.
    pub duration_ms: Option<i64>,
}

/// One row of another tool's history table, as read for adoption.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRow {
    /// The version, as text.
    pub version: String,
    /// The name, where the tool records one.
    pub name: Option<String>,
    /// The checksum, where the tool records one.
    pub checksum: Option<String>,
    /// `false` where the tool marked the migration as failed.
    pub success: bool,
}

/// The state of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrationState {
    /// Applied, with the checksum of the embedded script.
    Applied,
    /// Not applied yet.
    Pending,
    /// Not applied yet, and older than the newest recorded migration (merged
    /// late): a run refuses it unless `on_out_of_order` allows it.
    OutOfOrder,
    /// Applied, but the script was edited since.
    Divergent,
    /// Applied, but this binary does not contain it.
    Missing,
    /// Marked failed: ran without a transaction and did not finish.
    Failed,
    /// Applied before a squash: a migration the baseline
    /// (`-- migrate:baseline`) replaced, and the baseline itself on such a
    /// database, which skips it.
    Squashed,
    /// The baseline, on a database that applied some of the migrations it
    /// replaced but not the newest of them: the ones between are gone, so
    /// a run refuses (migrate it with a release from before the squash).
    BehindBaseline,
}

impl MigrationState {
    /// Lowercase name, as shown by `status`.
    pub fn name(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::OutOfOrder => "out-of-order",
            MigrationState::Divergent => "divergent",
            MigrationState::Missing => "missing",
            MigrationState::Failed => "failed",
            MigrationState::Squashed => "squashed",
            MigrationState::BehindBaseline => "behind-baseline",
        }
    }

    /// Whether this is a finding: divergent, missing, failed,
    /// out-of-order or behind the baseline, whatever the policies make of
    /// it (`verify --strict` fails on any).
    pub fn is_finding(self) -> bool {
        !matches!(
            self,
            MigrationState::Applied | MigrationState::Pending | MigrationState::Squashed
        )
    }

    /// Whether the migration's effect is in the database: applied, or
    /// squashed into the baseline and applied before the squash.
    pub fn is_in_effect(self) -> bool {
        matches!(self, MigrationState::Applied | MigrationState::Squashed)
    }
}

/// A migration tool whose history [`Database::adopt`](crate::Database::adopt)
/// takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Peer {
    /// sqlx's migrator (`sqlx migrate run`, `sqlx::migrate!`): table
    /// `_sqlx_migrations`, recording each script's description, SHA-384 and
    /// whether it succeeded.
    Sqlx,
    /// refinery: table `refinery_schema_history`, recording each migration's
    /// name and a SipHash-1-3 of its name, version and script.
    Refinery,
    /// diesel_migrations: table `__diesel_schema_migrations`, recording
    /// versions only.
    Diesel,
}

impl Peer {
    /// Lowercase name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Sqlx => "sqlx",
            Peer::Refinery => "refinery",
            Peer::Diesel => "diesel",
        }
    }

    /// The table the tool records its history in (its default name).
    pub fn table(self) -> &'static str {
        match self {
            Peer::Sqlx => "_sqlx_migrations",
            Peer::Refinery => "refinery_schema_history",
            Peer::Diesel => "__diesel_schema_migrations",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One reason adoption was refused. "There" is the other tool's history
/// table, "here" this binary and its version table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptionProblem {
    /// The tool applied a migration this binary does not embed.
    #[error(
        "version {version}{}: applied there, not among these migrations",
        named(name)
    )]
    NotEmbedded {
        /// The version as the tool recorded it.
        version: String,
        /// The name it recorded, if it records names.
        name: Option<String>,
    },
    /// An embedded migration older than the newest one the tool applied,
    /// which the tool never applied.
    #[error("version {version} (`{file}`): among these migrations and older than the newest migration applied there, but never applied there")]
    NotRecorded {
        /// The embedded version.
        version: i64,
        /// Its up script's file name.
        file: String,
    },
    /// The tool recorded the version under another name.
    #[error("version {version}: named `{recorded}` there, `{expected}` here")]
    Renamed {
        /// The version.
        version: i64,
        /// The name recorded there.
        recorded: String,
        /// The name the tool would record for the embedded file.
        expected: String,
    },
    /// The recorded checksum is not the embedded script's: the file was
    /// edited after the tool applied it.
    #[error("version {version} (`{file}`): checksum {recorded} there, {expected} here: the file was edited after it was applied")]
    Edited {
        /// The version.
        version: i64,
        /// The up script's file name.
        file: String,
        /// The checksum recorded there.
        recorded: String,
        /// The checksum the tool would record for the embedded script.
        expected: String,
    },
    /// The tool marked the migration as failed (sqlx's `success = false`):
    /// it may be partially applied.
    #[error("version {version}{}: marked as failed there, so it may be partially applied; finish or undo it by hand, then mark or delete its row there", named(name))]
    Failed {
        /// The version.
        version: i64,
        /// The name recorded there.
        name: Option<String>,
    },
    /// The version table already records this version, and not as the tool
    /// does: marked failed (`state` [`Failed`](MigrationState::Failed)), with
    /// another checksum ([`Divergent`](MigrationState::Divergent)), not
    /// embedded ([`Missing`](MigrationState::Missing)), or as applied
    /// although the tool, which applied newer ones, never applied it
    /// ([`Applied`](MigrationState::Applied)).
    #[error("version {version} (`{name}`): {} in this binary's version table", conflict(*state))]
    Conflicting {
        /// The version.
        version: i64,
        /// The name the version table records.
        name: String,
        /// How the version table's row stands against this binary.
        state: MigrationState,
    },
}

fn named(name: &Option<String>) -> String {
    name.as_ref()
        .map(|name| format!(" (`{name}`)"))
        .unwrap_or_default()
}

fn conflict(state: MigrationState) -> &'static str {
    match state {
        MigrationState::Failed => "marked failed",
        MigrationState::Divergent => "recorded with another checksum than its script's",
        MigrationState::Missing => "recorded but not among these migrations",
        _ => "recorded as applied, but never applied there",
    }
}

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

/// What a code migration may return as its error: any error type, boxed
/// (`?` converts `sqlx::Error`, `std::io::Error`, `String`, ...). A
/// `sqlx::Error` is reported as [`Error::Migration`](crate::Error::Migration), anything else as
/// [`Error::Code`](crate::Error::Code), naming the file either way.
pub type CodeError = Box<dyn std::error::Error + Send + Sync>;

/// A live process of the application that registered its presence
/// ([`Migrator::run_with_presence`](crate::Migrator::run_with_presence)):
/// what holds a contract migration its binary does not embed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replica {
    /// `host:pid:id`, unique per process start.
    pub owner: String,
    /// The host it runs on.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// The newest versioned migration its binary embeds: a contract
    /// migration newer than this is held while it runs.
    pub newest_version: i64,
    /// How long ago it registered, in the database's clock.
    pub started_ago: std::time::Duration,
    /// How long ago it last refreshed its row, in the database's clock.
    pub seen_ago: std::time::Duration,
    /// Whether its row is still within its TTL: a dead replica (killed, or
    /// paused for longer than its TTL) holds nothing, and its row stays
    /// until a later registration prunes it.
    pub alive: bool,
}
