use crate::{BackendKind, HistoryRow, Migration};

/// Where each migration stands, from the binary's and the database's side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The database it was read from.
    pub backend: BackendKind,
    /// One entry per version known to either side, ordered by version.
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
    /// Its state.
    pub state: MigrationState,
    /// When it was applied (UTC, ISO 8601).
    pub applied_at: Option<String>,
    /// How long its script took.
    pub duration_ms: Option<i64>,
}

/// The state of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationState {
    /// Applied, with the checksum of the embedded script.
    Applied,
    /// Not applied yet.
    Pending,
    /// Not applied yet, and older than the newest applied migration (merged
    /// late): a run refuses it unless `on_out_of_order` allows it.
    OutOfOrder,
    /// Applied, but the script was edited since.
    Divergent,
    /// Applied, but this binary does not contain it.
    Missing,
    /// Marked failed: ran without a transaction and did not finish.
    Failed,
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
        }
    }

    /// Whether `verify` fails on it: divergent, missing, failed, and
    /// out-of-order (reported only when the policy would refuse it) do.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            MigrationState::Divergent
                | MigrationState::Missing
                | MigrationState::Failed
                | MigrationState::OutOfOrder
        )
    }
}

impl Status {
    /// `flag_out_of_order`: mark pending migrations older than the newest
    /// applied one as [`MigrationState::OutOfOrder`] (when a run would refuse them).
    pub(crate) fn new(
        backend: BackendKind,
        migrations: &[Migration],
        history: Vec<HistoryRow>,
        flag_out_of_order: bool,
    ) -> Self {
        let newest_applied = history.iter().map(|row| row.version).max();
        let mut entries: Vec<StatusEntry> = Vec::new();
        let mut history = history.into_iter().peekable();
        let mut migrations = migrations.iter().peekable();
        loop {
            let next_row = history.peek().map(|r| r.version);
            let next_migration = migrations.peek().map(|m| m.version);
            let entry = match (next_migration, next_row) {
                (None, None) => break,
                (Some(m), Some(r)) if m == r => {
                    let (Some(m), Some(row)) = (migrations.next(), history.next()) else {
                        break;
                    };
                    let state = if !row.success {
                        MigrationState::Failed
                    } else if !m.checksum.matches_hex(&row.checksum) {
                        MigrationState::Divergent
                    } else {
                        MigrationState::Applied
                    };
                    entry(
                        m.version,
                        m.name.to_string(),
                        Some(m.up.file.to_string()),
                        state,
                        Some(row),
                    )
                }
                (Some(m), r) if r.is_none_or(|r| m < r) => {
                    let Some(m) = migrations.next() else { break };
                    entry(
                        m.version,
                        m.name.to_string(),
                        Some(m.up.file.to_string()),
                        MigrationState::Pending,
                        None,
                    )
                }
                _ => {
                    let Some(row) = history.next() else { break };
                    let state = if row.success {
                        MigrationState::Missing
                    } else {
                        MigrationState::Failed
                    };
                    entry(row.version, row.name.clone(), None, state, Some(row))
                }
            };
            entries.push(entry);
        }
        if flag_out_of_order {
            for entry in &mut entries {
                let older = newest_applied.is_some_and(|newest| entry.version < newest);
                if entry.state == MigrationState::Pending && older {
                    entry.state = MigrationState::OutOfOrder;
                }
            }
        }
        Status { backend, entries }
    }

    /// The entries `verify` fails on.
    pub fn problems(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| e.state.is_problem())
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

fn entry(
    version: i64,
    name: String,
    file: Option<String>,
    state: MigrationState,
    row: Option<HistoryRow>,
) -> StatusEntry {
    let (applied_at, duration_ms) = row.map_or((None, None), |r| (r.applied_at, r.duration_ms));
    StatusEntry {
        version,
        name,
        file,
        state,
        applied_at,
        duration_ms,
    }
}
