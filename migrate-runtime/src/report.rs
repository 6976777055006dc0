//! What a run did: the migrations it applied or reverted, with durations.

use std::time::Duration;

use crate::model::BackendKind;

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

impl Report {
    pub(crate) fn new(backend: BackendKind) -> Self {
        Report {
            backend,
            applied: Vec::new(),
            reverted: Vec::new(),
        }
    }

    /// `true` when the run found nothing to do.
    pub fn is_up_to_date(&self) -> bool {
        self.applied.is_empty() && self.reverted.is_empty()
    }
}
