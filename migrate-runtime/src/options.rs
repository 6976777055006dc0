//! The migrator's options: one type for the builder, the `[migrate]` section
//! of `migrate.toml` and the CLI.
//!
//! Every field is optional: `None` means "not set at this layer". Layers are
//! merged with [`Options::or`] (code over file) and read through accessors
//! that supply the defaults, so a default is written in exactly one place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use migrata_core::Exclude;
use serde::{Deserialize, Deserializer};

use crate::error::Error;

/// Default name of the version table.
pub const DEFAULT_TABLE: &str = "migrate_history";

const DEFAULT_DIR: &str = "migrations";
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(1);
const DEFAULT_LOCK_RETRY_BUDGET: Duration = Duration::from_secs(60);
static NO_EXCLUSIONS: Exclude = Exclude::NONE;

/// The largest duration option: both durations become milliseconds in
/// 32-bit integers (SQLite's busy timeout) and in arithmetic on the
/// server's clock, which overflow from about 596 hours.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The values a duration option may take, checked where `migrate.toml` is
/// read and again before each run (the builder's setters cannot fail).
struct DurationRange {
    option: &'static str,
    min: Duration,
    max: Duration,
    /// The range, for messages.
    allowed: &'static str,
}

const LOCK_TIMEOUT_RANGE: DurationRange = DurationRange {
    option: "lock_timeout",
    min: Duration::ZERO,
    max: LONGEST,
    allowed: "from 0ms (do not wait) to 168h",
};

/// A lease shorter than a few round trips expires before it is renewed: at
/// zero it excludes nobody and its holder renews it in a busy loop.
const LEASE_TTL_RANGE: DurationRange = DurationRange {
    option: "lease_ttl",
    min: Duration::from_millis(100),
    max: LONGEST,
    allowed: "from 100ms to 168h",
};

/// Zero would mean "wait forever" to PostgreSQL (`lock_timeout = 0`) and
/// "do not wait" to MySQL: `off` says the first, nothing the second.
const LOCK_WAIT_RANGE: DurationRange = DurationRange {
    option: "lock_wait",
    min: Duration::from_millis(1),
    max: LONGEST,
    allowed: "from 1ms to 168h, or off",
};

const LOCK_RETRY_BUDGET_RANGE: DurationRange = DurationRange {
    option: "lock_retry_budget",
    min: Duration::ZERO,
    max: LONGEST,
    allowed: "from 0ms (never retry) to 168h",
};

impl DurationRange {
    fn check(&self, value: Duration) -> Result<Duration, Error> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(Error::DurationOutOfRange {
                option: self.option,
                value,
                allowed: self.allowed,
            })
        }
    }
}

/// How concurrent migrators are kept apart.
///
/// | setup | `lease` (default) | `session` |
/// | --- | --- | --- |
/// | one server, direct connections | yes | yes |
/// | PostgreSQL behind pgbouncer, `pool_mode = transaction` | yes | **no**: lock and unlock land on different server connections |
/// | MariaDB Galera, migrators on different nodes | yes | **no**: `GET_LOCK` is node-local |
/// | SQLite file shared by processes | yes, scripts outside transactions included | yes: SQLite has no session lock, so this is the lease |
/// | a run killed or paused mid-way | the next migrator proceeds once the lease expires | the next session migrator proceeds when the connection closes; a lease migrator once the lease expires |
///
/// Both strategies take the lease, so migrators with different settings
/// (a rolling change of `lock`) still exclude each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LockStrategy {
    /// A lease row in a lock table beside the version table
    /// (`<table>_lock`): taken and renewed by committed conditional writes,
    /// so it holds through transaction pooling and across cluster nodes;
    /// owned by host and process, with an expiry renewed while work runs.
    #[default]
    Lease,
    /// The database's session lock (PostgreSQL `pg_try_advisory_lock`,
    /// MySQL `GET_LOCK`), then the lease under it: a session migrator
    /// takes over a lease left by one whose session ended. Needs every
    /// statement on one server connection. SQLite has no session lock: the
    /// lease alone.
    Session,
}

/// How long each statement of a migration may wait for a lock held by
/// another session before it gives up: PostgreSQL's `lock_timeout`,
/// MySQL's `lock_wait_timeout` and `innodb_lock_wait_timeout` (whole
/// seconds, rounded up), SQLite's busy timeout. A statement queued behind a
/// long transaction holds up every query that queues behind it; bounded,
/// the migration rolls back, waits and tries again (see [the lock waits
/// chapter](crate::guide::lock_waits)).
///
/// ```
/// use std::time::Duration;
/// use migrata::{LockWait, Options};
///
/// let options: Options = toml::from_str("lock_wait = \"500ms\"")?;
/// assert_eq!(options.lock_wait(), LockWait::Max(Duration::from_millis(500)));
/// let off: Options = toml::from_str("lock_wait = \"off\"")?;
/// assert_eq!(off.lock_wait(), LockWait::Off);
/// assert_eq!(Options::default().lock_wait(), LockWait::Max(Duration::from_secs(1)));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockWait {
    /// Statements wait as long as the database's own settings let them,
    /// and nothing is retried: the behaviour before lock waits existed.
    Off,
    /// Each statement waits at most this long (default 1 s; from 1 ms to
    /// 168 h), then the migration is rolled back and retried within
    /// [`Options::lock_retry_budget`].
    Max(Duration),
}

impl From<Duration> for LockWait {
    fn from(wait: Duration) -> Self {
        LockWait::Max(wait)
    }
}

/// How migrations are wrapped in transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TransactionMode {
    /// One transaction per migration: the script and its history row commit
    /// together (the default).
    #[default]
    PerMigration,
    /// All pending migrations in one transaction (Alembic's default): all or
    /// nothing. A `-- migrate:no-transaction` script splits the batch.
    Single,
    /// No transactions: each history row is written as failed before its
    /// script and marked successful after.
    None,
}

/// What to do when a consistency check between binary and database fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Policy {
    /// Refuse to run (the default).
    #[default]
    Error,
    /// Log a `tracing` warning and carry on.
    Warn,
    /// Carry on silently.
    Ignore,
}

/// The migrator's settings, each optional so that layers (file, then code)
/// can be merged: the `[migrate]` section of `migrate.toml`, and what the
/// [`Migrator`](crate::Migrator) builder methods set.
///
/// ```
/// use std::time::Duration;
/// use migrata::{Options, Policy};
///
/// let file: Options = toml::from_str("lock_timeout = \"5s\"\non_missing = \"warn\"")?;
/// let mut code = Options::default();
/// code.on_missing = Some(Policy::Ignore);
/// let merged = code.or(file);
/// assert_eq!(merged.on_missing(), Policy::Ignore);            // code wins
/// assert_eq!(merged.lock_timeout(), Duration::from_secs(5));  // from the file
/// assert_eq!(merged.table(), "migrate_history");              // the default
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [migrate] table")]
#[non_exhaustive]
pub struct Options {
    /// Name of the version table: an identifier or `schema.table`
    /// (default `migrate_history`).
    pub table: Option<String>,
    /// Directory of migration files, read only by the standalone command
    /// (default `migrations`), relative to the current directory.
    pub dir: Option<PathBuf>,
    /// Files and subdirectories of `dir` that are not migrations, read only
    /// by the standalone command: `["seed*.sql", "seeds"]` in the file (see
    /// [`Exclude`]; default none).
    #[serde(default, deserialize_with = "exclude")]
    pub exclude: Option<Exclude>,
    /// How migrations are wrapped in transactions (default per migration).
    pub transaction: Option<TransactionMode>,
    /// How long to wait for another migrator, like `500ms`, `30s`, `2m` or
    /// `1h` in the file (default 30 s; at most 168 h).
    #[serde(default, deserialize_with = "lock_timeout")]
    pub lock_timeout: Option<Duration>,
    /// How concurrent migrators are kept apart (default `lease`).
    pub lock: Option<LockStrategy>,
    /// How long a lease lives without renewal, like `30s` (default 30 s):
    /// how long others wait after a migrator was killed. Renewed every
    /// third of it while work runs. From 100 ms to 168 h.
    #[serde(default, deserialize_with = "lease_ttl")]
    pub lease_ttl: Option<Duration>,
    /// How long each statement of a migration may wait for a lock, like
    /// `1s` (the default), or `off` (see [`LockWait`]).
    #[serde(default, deserialize_with = "lock_wait")]
    pub lock_wait: Option<LockWait>,
    /// How long a migration whose statement gave up waiting for a lock is
    /// tried again, from its first try, like `60s` (the default; `0s`:
    /// never). Transactional migrations are retried; a script outside a
    /// transaction only if it says `-- migrate:retry-safe`.
    #[serde(default, deserialize_with = "lock_retry_budget")]
    pub lock_retry_budget: Option<Duration>,
    /// An applied script was edited since it ran (default error).
    pub on_divergent: Option<Policy>,
    /// An applied migration is missing from the binary (default error).
    pub on_missing: Option<Policy>,
    /// A pending migration is older than the newest applied one; `warn` and
    /// `ignore` apply it (default error).
    pub on_out_of_order: Option<Policy>,
}

impl Options {
    /// Every field set here, the rest from `lower`: how code overrides the
    /// file, whichever order they were given in.
    pub fn or(self, lower: Options) -> Options {
        Options {
            table: self.table.or(lower.table),
            dir: self.dir.or(lower.dir),
            exclude: self.exclude.or(lower.exclude),
            transaction: self.transaction.or(lower.transaction),
            lock_timeout: self.lock_timeout.or(lower.lock_timeout),
            lock: self.lock.or(lower.lock),
            lease_ttl: self.lease_ttl.or(lower.lease_ttl),
            lock_wait: self.lock_wait.or(lower.lock_wait),
            lock_retry_budget: self.lock_retry_budget.or(lower.lock_retry_budget),
            on_divergent: self.on_divergent.or(lower.on_divergent),
            on_missing: self.on_missing.or(lower.on_missing),
            on_out_of_order: self.on_out_of_order.or(lower.on_out_of_order),
        }
    }

    /// The version table's name, or the default.
    pub fn table(&self) -> &str {
        self.table.as_deref().unwrap_or(DEFAULT_TABLE)
    }

    /// The migrations directory, or the default.
    pub fn dir(&self) -> &Path {
        self.dir.as_deref().unwrap_or(Path::new(DEFAULT_DIR))
    }

    /// The exclude patterns, or none.
    pub fn exclude(&self) -> &Exclude {
        self.exclude.as_ref().unwrap_or(&NO_EXCLUSIONS)
    }

    /// The transaction mode, or the default.
    pub fn transaction(&self) -> TransactionMode {
        self.transaction.unwrap_or_default()
    }

    /// The lock timeout, or the default.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT)
    }

    /// The lock strategy, or the default.
    pub fn lock(&self) -> LockStrategy {
        self.lock.unwrap_or_default()
    }

    /// The lease lifetime, or the default.
    pub fn lease_ttl(&self) -> Duration {
        self.lease_ttl.unwrap_or(DEFAULT_LEASE_TTL)
    }

    /// The lock wait of a migration's statements, or the default.
    pub fn lock_wait(&self) -> LockWait {
        self.lock_wait.unwrap_or(LockWait::Max(DEFAULT_LOCK_WAIT))
    }

    /// How long lock-wait failures are retried, or the default.
    pub fn lock_retry_budget(&self) -> Duration {
        self.lock_retry_budget.unwrap_or(DEFAULT_LOCK_RETRY_BUDGET)
    }

    /// Checks every duration against its range.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        LOCK_TIMEOUT_RANGE.check(self.lock_timeout())?;
        LEASE_TTL_RANGE.check(self.lease_ttl())?;
        if let LockWait::Max(wait) = self.lock_wait() {
            LOCK_WAIT_RANGE.check(wait)?;
        }
        LOCK_RETRY_BUDGET_RANGE.check(self.lock_retry_budget())?;
        Ok(())
    }

    /// The divergence policy, or the default.
    pub fn on_divergent(&self) -> Policy {
        self.on_divergent.unwrap_or_default()
    }

    /// The missing-migration policy, or the default.
    pub fn on_missing(&self) -> Policy {
        self.on_missing.unwrap_or_default()
    }

    /// The out-of-order policy, or the default.
    pub fn on_out_of_order(&self) -> Policy {
        self.on_out_of_order.unwrap_or_default()
    }
}

fn exclude<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Exclude>, D::Error> {
    let patterns = Vec::<String>::deserialize(deserializer)?;
    Exclude::new(patterns)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn lock_timeout<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    duration_in(deserializer, &LOCK_TIMEOUT_RANGE)
}

fn lease_ttl<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    duration_in(deserializer, &LEASE_TTL_RANGE)
}

fn lock_wait<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<LockWait>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text == "off" {
        return Ok(Some(LockWait::Off));
    }
    let wait = parse_duration(&text).ok_or_else(|| {
        serde::de::Error::invalid_value(
            serde::de::Unexpected::Str(&text),
            &"a duration like 500ms, 1s or 2m, or off",
        )
    })?;
    LOCK_WAIT_RANGE
        .check(wait)
        .map(|wait| Some(LockWait::Max(wait)))
        .map_err(serde::de::Error::custom)
}

fn lock_retry_budget<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    duration_in(deserializer, &LOCK_RETRY_BUDGET_RANGE)
}

fn duration_in<'de, D: Deserializer<'de>>(
    deserializer: D,
    range: &DurationRange,
) -> Result<Option<Duration>, D::Error> {
    let value = deserializer.deserialize_str(DurationVisitor)?;
    range
        .check(value)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Reads `500ms`, `30s`, `2m` or `1h`; anything else, a number included,
/// is rejected with that expectation in the message.
struct DurationVisitor;

impl serde::de::Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a duration like 500ms, 30s, 2m or 1h")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
        parse_duration(text)
            .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
    }
}

/// An unsigned integer followed by `ms`, `s`, `m` or `h`, nothing else.
fn parse_duration(text: &str) -> Option<Duration> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return None;
    }
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => number.checked_mul(60).map(Duration::from_secs),
        "h" => number.checked_mul(60 * 60).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in [
            "",
            "s",
            "30",
            "soon",
            "1.5s",
            "-1s",
            "+1s",
            " 1s",
            "1s ",
            "1 s",
            "1S",
            "1d",
            "1sec",
            "5min",
            "99999999999999999999s",
            "18446744073709551615h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
