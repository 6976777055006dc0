//! What a run did: the migrations it applied or reverted, with durations.

use std::time::Duration;

use crate::model::{BackendKind, Replica};

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The database it ran on.
    pub backend: BackendKind,
    /// The migrations this run applied, in order; empty when already up to date.
    pub applied: Vec<Applied>,
    /// The migrations a revert undid, newest first.
    pub reverted: Vec<Applied>,
    /// The contract migrations this run held back, because live replicas
    /// of an older release do not embed them.
    pub held: Vec<Held>,
}

/// A contract migration (`-- migrate:phase contract`) held back while
/// replicas of an older release run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Held {
    /// Its version.
    pub version: i64,
    /// Its file name.
    pub file: String,
    /// The live replicas whose binaries embed only older versions.
    pub replicas: Vec<Replica>,
}

impl std::fmt::Display for Held {
    /// `held: 2 replicas of a release without it, last seen 4 s ago on host-a, host-b`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.replicas.len();
        let latest = self
            .replicas
            .iter()
            .map(|r| r.seen_ago)
            .max()
            .unwrap_or_default();
        let mut hosts: Vec<&str> = self.replicas.iter().map(|r| r.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        write!(
            f,
            "held: {count} replica{s} of a release without it, last seen {secs} s ago on {hosts}",
            s = if count == 1 { "" } else { "s" },
            secs = latest.as_secs(),
            hosts = hosts.join(", "),
        )
    }
}

/// One migration applied (or reverted) by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// The file name of the script that ran.
    pub file: String,
    /// How long the script took (its last try).
    pub duration: Duration,
    /// How many times it was rolled back after a statement waited longer
    /// than [`lock_wait`](crate::Options::lock_wait), and run again (see
    /// [the lock waits chapter](crate::guide::lock_waits)).
    pub lock_retries: u32,
}

impl Applied {
    /// Whether it is a repeatable migration (`R__<name>.sql`), whose
    /// [`version`](Applied::version) is an internal number: name it by its
    /// [`file`](Applied::file).
    pub fn is_repeatable(&self) -> bool {
        migrata_core::is_repeatable_version(self.version)
    }
}

impl Report {
    pub(crate) fn new(backend: BackendKind) -> Self {
        Report {
            backend,
            applied: Vec::new(),
            reverted: Vec::new(),
            held: Vec::new(),
        }
    }

    /// `true` when the run found nothing to do.
    pub fn is_up_to_date(&self) -> bool {
        self.applied.is_empty() && self.reverted.is_empty()
    }
}

/// What [`Database::pending_sql`](crate::Database::pending_sql) rendered:
/// the SQL `run` would execute on the database now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingSql {
    /// The script, as [`Offline::up`](crate::Offline::up) renders one.
    pub sql: String,
    /// The version of the code migration the script stops before, if the
    /// pending ones include one: SQL cannot contain it, so what follows it
    /// is not rendered.
    pub stops_at_code: Option<i64>,
}
