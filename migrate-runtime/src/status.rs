//! What `status` shows and `verify` judges: every migration's state, and
//! whether a run would refuse it.

use migrata_core::Migration;

use crate::model::{BackendKind, MigrationState, Replica};
use crate::options::Options;
use crate::plan::{self, Standing, Verdict};
use crate::report::Held;

/// Where each migration stands, from the binary's and the database's side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The database it was read from.
    pub backend: BackendKind,
    /// One entry per version known to either side, ordered by version,
    /// then the repeatable migrations, by name (pending: never applied, or
    /// changed since).
    pub entries: Vec<StatusEntry>,
}

/// One version in a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusEntry {
    /// The version.
    pub version: i64,
    /// The name, from the binary if it has the migration, else from the database.
    pub name: String,
    /// The up script's file name, when the binary has the migration.
    pub file: Option<String>,
    /// Whether it is a code migration (a `.rs` file), which only an
    /// application binary that embeds it can run.
    pub code: bool,
    /// Whether it is a repeatable migration (`R__<name>.sql`); its
    /// `version` is then the key of its history row, not a file's.
    pub repeatable: bool,
    /// Its state.
    pub state: MigrationState,
    /// When it was applied (UTC, ISO 8601).
    pub applied_at: Option<String>,
    /// How long its script took; `None` when it is not recorded, or not
    /// settled yet (a row marked failed while its script ran outside a
    /// transaction).
    pub duration_ms: Option<i64>,
    /// Whether a run under the migrator's policies refuses to proceed
    /// because of this entry (what `verify` fails on).
    pub refused: bool,
    /// A contract migration a run would hold back now, with the live
    /// replicas of an older release that hold it.
    pub held: Option<Held>,
}

impl Status {
    /// Renders classified entries, judging each under `options` as a run
    /// would (without a target: `verify` asks about a full run).
    pub(crate) fn new(
        backend: BackendKind,
        standing: Standing<'_>,
        options: &Options,
        live: &[Replica],
    ) -> Self {
        let newest = plan::newest_recorded(&standing.versioned);
        let versioned = standing.versioned.into_iter().map(|entry| (entry, false));
        let entries = versioned
            .chain(standing.repeatables.into_iter().map(|entry| (entry, true)))
            .map(|(entry, repeatable)| {
                let refused = matches!(entry.verdict(options, newest), Verdict::Refuse(_));
                let unrecorded = entry.row.is_none();
                // A baseline skipped as squashed stands on the row of the
                // newest migration it replaced: that one's name is shown.
                let name = match (entry.migration, &entry.row) {
                    (Some(_), Some(row)) if entry.state == MigrationState::Squashed => {
                        row.name.clone()
                    }
                    (Some(m), _) => m.name.to_string(),
                    (None, row) => row.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
                };
                let (applied_at, duration_ms) = entry
                    .row
                    .map_or((None, None), |row| (row.applied_at, row.duration_ms));
                // A row claimed for a script run outside a transaction holds
                // its claim mark (negative) until it is settled: it has no
                // duration yet.
                let duration_ms = duration_ms.filter(|&ms| ms >= 0);
                let held = match (entry.migration, unrecorded) {
                    (Some(m), true) => Some(plan::holders(m, live))
                        .filter(|replicas| !replicas.is_empty())
                        .map(|replicas| Held {
                            version: m.version,
                            file: m.up.file.to_string(),
                            replicas,
                        }),
                    _ => None,
                };
                StatusEntry {
                    version: entry.version,
                    name,
                    file: entry.migration.map(|m| m.up.file.to_string()),
                    code: entry.migration.is_some_and(Migration::is_code),
                    repeatable,
                    state: entry.state,
                    applied_at,
                    duration_ms,
                    refused,
                    held,
                }
            })
            .collect();
        Status { backend, entries }
    }

    /// The entries a run refuses to proceed with: `verify` fails exactly
    /// when there is one, because `up` would fail.
    pub fn problems(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| e.refused)
    }

    /// Every finding, whether the policies refuse it or not (`verify --strict`).
    pub fn findings(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| e.state.is_finding())
    }

    /// The newest applied versioned migration (or squashed into the
    /// baseline, which is as applied): what a database's schema was last
    /// migrated to.
    pub fn newest_applied(&self) -> Option<i64> {
        self.entries
            .iter()
            .filter(|entry| entry.state.is_in_effect() && !entry.repeatable)
            .map(|entry| entry.version)
            .max()
    }

    /// The entries not applied yet (including out-of-order ones).
    pub fn pending(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| {
            matches!(
                e.state,
                MigrationState::Pending | MigrationState::OutOfOrder
            )
        })
    }
}
