//! What `repair` does with history rows marked as failed: decided here from
//! the rows alone, carried out by the session under the migration lock.

use crate::model::{ClaimMark, Direction, HistoryRow};

/// How `repair` treats the rows of migrations marked as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Repair {
    /// What each failure calls for: a failed up script's row is cleared, so
    /// the migration runs again (undo its partial effects first, or make it
    /// idempotent); a failed down script's row is marked applied again,
    /// since the schema still has the migration (finish or undo the partial
    /// revert first), so reverting can be retried.
    #[default]
    AsFailureCallsFor,
    /// Clear every failed row: the migration counts as not applied. Right
    /// after undoing a failed up script by hand, or finishing a failed down
    /// script by hand.
    Clear,
    /// Mark every failed row applied. Right after finishing a failed up
    /// script by hand, or undoing a failed down script's partial effects.
    MarkApplied,
}

/// What `repair` did to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RepairAction {
    /// The row was removed: the migration counts as not applied.
    Cleared,
    /// The row was marked successful: the migration counts as applied.
    MarkedApplied,
}

/// Which script of a migration failed, as its history row tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailedScript {
    /// The up script.
    Up,
    /// The down script.
    Down,
    /// Not recorded (rows written before this was recorded): taken for the
    /// up script.
    Unknown,
}

/// One failed row and what `repair` did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repaired {
    /// The migration's version.
    pub version: i64,
    /// Its recorded name.
    pub name: String,
    /// Which of its scripts failed.
    pub failed: FailedScript,
    /// What was done to its row.
    pub action: RepairAction,
}

impl FailedScript {
    /// `up`, `down` or `unknown`, for logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            FailedScript::Up => "up",
            FailedScript::Down => "down",
            FailedScript::Unknown => "unknown",
        }
    }

    /// Reads it off a row read with its duration (an unsettled row's
    /// duration holds its claim mark).
    pub(crate) fn of(row: &HistoryRow) -> Self {
        match row.duration_ms.and_then(ClaimMark::direction_of) {
            Some(Direction::Up) => FailedScript::Up,
            Some(Direction::Down) => FailedScript::Down,
            None => FailedScript::Unknown,
        }
    }
}

/// What `repair` does to each failed row of `history`.
pub(crate) fn plan_repair(history: &[HistoryRow], choice: Repair) -> Vec<Repaired> {
    history
        .iter()
        .filter(|row| !row.success)
        .map(|row| {
            let failed = FailedScript::of(row);
            let action = match (choice, failed) {
                (Repair::Clear, _) => RepairAction::Cleared,
                (Repair::MarkApplied, _) => RepairAction::MarkedApplied,
                (Repair::AsFailureCallsFor, FailedScript::Down) => RepairAction::MarkedApplied,
                (Repair::AsFailureCallsFor, FailedScript::Up | FailedScript::Unknown) => {
                    RepairAction::Cleared
                }
            };
            Repaired {
                version: row.version,
                name: row.name.clone(),
                failed,
                action,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_row(version: i64, duration_ms: i64) -> HistoryRow {
        HistoryRow {
            version,
            name: format!("m{version}"),
            checksum: String::new(),
            success: false,
            applied_at: None,
            duration_ms: Some(duration_ms),
        }
    }

    #[test]
    fn each_failure_gets_what_it_calls_for_unless_told_otherwise() {
        let up = ClaimMark::new(Direction::Up);
        let down = ClaimMark::new(Direction::Down);
        let history = [
            failed_row(1, up.into()),
            failed_row(2, down.into()),
            failed_row(3, 0),
            HistoryRow {
                success: true,
                ..failed_row(4, 12)
            },
        ];
        let actions = |choice| -> Vec<(i64, FailedScript, RepairAction)> {
            plan_repair(&history, choice)
                .into_iter()
                .map(|r| (r.version, r.failed, r.action))
                .collect()
        };
        use FailedScript::*;
        use RepairAction::*;
        assert_eq!(
            actions(Repair::AsFailureCallsFor),
            [
                (1, Up, Cleared),
                (2, Down, MarkedApplied),
                (3, Unknown, Cleared)
            ]
        );
        assert_eq!(
            actions(Repair::Clear),
            [(1, Up, Cleared), (2, Down, Cleared), (3, Unknown, Cleared)]
        );
        assert_eq!(
            actions(Repair::MarkApplied),
            [
                (1, Up, MarkedApplied),
                (2, Down, MarkedApplied),
                (3, Unknown, MarkedApplied)
            ]
        );
    }

    #[test]
    fn claim_marks_are_negative_and_keep_their_direction() {
        for _ in 0..1000 {
            for direction in [Direction::Up, Direction::Down] {
                for mark in [ClaimMark::new(direction), ClaimMark::offline(direction)] {
                    let value: i64 = mark.into();
                    assert!(value <= -2, "{value}");
                    assert_eq!(ClaimMark::direction_of(value), Some(direction));
                }
            }
        }
        assert_ne!(ClaimMark::new(Direction::Up), ClaimMark::new(Direction::Up));
        for settled in [0, 1, 5_000, -1] {
            assert_eq!(ClaimMark::direction_of(settled), None);
        }
    }
}
