//! Compares the embedded migrations with the version table and decides what
//! to apply, enforcing every policy before anything runs.

use std::collections::BTreeMap;

use crate::{BackendKind, Error, HistoryRow, Migration, Policy, Script, TransactionMode};

/// The policies and target a plan is made under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub target: Option<i64>,
    pub on_divergent: Policy,
    pub on_missing: Policy,
    pub on_out_of_order: Policy,
}

/// Returns the migrations to apply, in order, or the first policy violation.
pub(crate) fn pending<'m>(
    migrations: &'m [Migration],
    history: &[HistoryRow],
    rules: &Rules,
) -> Result<Vec<&'m Migration>, Error> {
    let embedded: BTreeMap<i64, &Migration> = migrations.iter().map(|m| (m.version, m)).collect();
    for row in history {
        match embedded.get(&row.version) {
            Some(m) => check_applied(m, row, rules)?,
            None if !row.success => ensure_succeeded(row)?,
            None => rules.on_missing.check(
                || Error::Missing {
                    version: row.version,
                    name: row.name.clone(),
                },
                || tracing::warn!(target: "migrate", version = row.version, name = %row.name, "applied migration is missing from this binary"),
            )?,
        }
    }

    let applied: BTreeMap<i64, &HistoryRow> = history.iter().map(|r| (r.version, r)).collect();
    let newest = applied.keys().next_back().copied();
    let pending: Vec<&Migration> = embedded
        .values()
        .copied()
        .filter(|m| !applied.contains_key(&m.version))
        .filter(|m| rules.target.is_none_or(|target| m.version <= target))
        .collect();
    if let Some(newest) = newest {
        for m in pending.iter().filter(|m| m.version < newest) {
            rules.on_out_of_order.check(
                || Error::OutOfOrder {
                    version: m.version,
                    file: m.up.file.to_string(),
                    newest,
                },
                || tracing::warn!(target: "migrate", version = m.version, file = %m.up.file, newest, "applying a migration older than the newest applied one"),
            )?;
        }
    }
    Ok(pending)
}

/// Returns the applied migrations above `target`, newest first, each with a
/// down script; every obstacle is reported before anything is reverted.
pub(crate) fn to_revert<'m>(
    migrations: &'m [Migration],
    history: &[HistoryRow],
    target: i64,
    rules: &Rules,
) -> Result<Vec<&'m Migration>, Error> {
    let embedded: BTreeMap<i64, &Migration> = migrations.iter().map(|m| (m.version, m)).collect();
    let mut revert = Vec::new();
    for row in history.iter().rev().filter(|row| row.version > target) {
        let Some(m) = embedded.get(&row.version) else {
            ensure_succeeded(row)?;
            return Err(Error::Missing {
                version: row.version,
                name: row.name.clone(),
            });
        };
        check_applied(m, row, rules)?;
        if m.down.is_none() {
            return Err(Error::Irreversible {
                version: m.version,
                file: m.up.file.to_string(),
            });
        }
        revert.push(*m);
    }
    Ok(revert)
}

/// Which way a step moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

/// One script to run: a migration's up or down script.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'m> {
    pub migration: &'m Migration,
    pub script: &'m Script,
    pub direction: Direction,
}

/// How a group of steps is wrapped when it runs.
#[derive(Debug)]
pub(crate) enum Segment<'m> {
    /// Scripts and their history writes in one transaction.
    Transaction(Vec<Step<'m>>),
    /// One script outside any transaction, bracketed by a history row marked
    /// failed before it and settled after it.
    Untransacted(Step<'m>),
}

/// Groups `migrations` (in run order) into the transactions a run uses: the
/// single place that decides it, for online runs and offline SQL alike.
pub(crate) fn segments<'m>(
    migrations: &[&'m Migration],
    direction: Direction,
    mode: TransactionMode,
    backend: BackendKind,
) -> Vec<Segment<'m>> {
    let mut segments = Vec::new();
    let mut batch = Vec::new();
    for &migration in migrations {
        let script = match direction {
            Direction::Up => &migration.up,
            Direction::Down => match &migration.down {
                Some(down) => down,
                None => continue,
            },
        };
        let step = Step {
            migration,
            script,
            direction,
        };
        if script.no_transaction || mode == TransactionMode::None || !backend.transactional_ddl() {
            if !batch.is_empty() {
                segments.push(Segment::Transaction(std::mem::take(&mut batch)));
            }
            segments.push(Segment::Untransacted(step));
        } else if mode == TransactionMode::PerMigration {
            segments.push(Segment::Transaction(vec![step]));
        } else {
            batch.push(step);
        }
    }
    if !batch.is_empty() {
        segments.push(Segment::Transaction(batch));
    }
    segments
}

/// Checks one applied migration against its embedded script: a failed row
/// always blocks; a checksum mismatch follows `on_divergent`.
pub(crate) fn check_applied(m: &Migration, row: &HistoryRow, rules: &Rules) -> Result<(), Error> {
    ensure_succeeded(row)?;
    if m.checksum.matches_hex(&row.checksum) {
        return Ok(());
    }
    rules.on_divergent.check(
        || Error::Divergent {
            version: m.version,
            file: m.up.file.to_string(),
            applied: row.checksum.clone(),
            embedded: m.checksum.to_string(),
        },
        || tracing::warn!(target: "migrate", version = m.version, file = %m.up.file, "applied migration was edited since it ran"),
    )
}

pub(crate) fn ensure_succeeded(row: &HistoryRow) -> Result<(), Error> {
    if row.success {
        return Ok(());
    }
    Err(Error::Dirty {
        version: row.version,
        name: row.name.clone(),
    })
}

impl Policy {
    fn check(self, error: impl FnOnce() -> Error, warn: impl FnOnce()) -> Result<(), Error> {
        match self {
            Policy::Error => Err(error()),
            Policy::Warn => {
                warn();
                Ok(())
            }
            Policy::Ignore => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_core::load_files;

    fn migrations() -> Vec<Migration> {
        load_files(
            ["0001_a.sql", "0002_b.sql", "0003_c.sql"]
                .map(|f| (f.to_string(), format!("-- {f}").into_bytes())),
        )
        .unwrap()
    }

    fn row(m: &Migration) -> HistoryRow {
        HistoryRow {
            version: m.version,
            name: m.name.to_string(),
            checksum: m.checksum.to_string(),
            success: true,
            applied_at: None,
            duration_ms: None,
        }
    }

    const STRICT: Rules = Rules {
        target: None,
        on_divergent: Policy::Error,
        on_missing: Policy::Error,
        on_out_of_order: Policy::Error,
    };

    fn versions(pending: Vec<&Migration>) -> Vec<i64> {
        pending.iter().map(|m| m.version).collect()
    }

    #[test]
    fn pending_respects_target() {
        let ms = migrations();
        let history = [row(&ms[0])];
        assert_eq!(versions(pending(&ms, &history, &STRICT).unwrap()), [2, 3]);
        let to_2 = Rules {
            target: Some(2),
            ..STRICT
        };
        assert_eq!(versions(pending(&ms, &history, &to_2).unwrap()), [2]);
    }

    #[test]
    fn out_of_order_is_an_error_unless_allowed() {
        let ms = migrations();
        let history = [row(&ms[0]), row(&ms[2])];
        let err = pending(&ms, &history, &STRICT).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutOfOrder {
                    version: 2,
                    newest: 3,
                    ..
                }
            ),
            "{err}"
        );
        let allow = Rules {
            on_out_of_order: Policy::Warn,
            ..STRICT
        };
        assert_eq!(versions(pending(&ms, &history, &allow).unwrap()), [2]);
    }

    #[test]
    fn missing_and_divergent_follow_policy() {
        let ms = migrations();
        let mut ghost = row(&ms[0]);
        ghost.version = 99;
        let err = pending(&ms, &[row(&ms[0]), ghost.clone()], &STRICT).unwrap_err();
        assert!(matches!(err, Error::Missing { version: 99, .. }), "{err}");
        let ignore = Rules {
            on_missing: Policy::Ignore,
            on_out_of_order: Policy::Ignore,
            ..STRICT
        };
        assert_eq!(
            versions(pending(&ms, &[ghost], &ignore).unwrap()),
            [1, 2, 3]
        );

        let mut edited = row(&ms[0]);
        edited.checksum = "0".repeat(64);
        let err = pending(&ms, &[edited], &STRICT).unwrap_err();
        assert!(matches!(err, Error::Divergent { version: 1, .. }), "{err}");
    }

    #[test]
    fn segments_follow_mode_directive_and_backend() {
        let ms = load_files([
            ("0001_a.sql".to_string(), b"A".to_vec()),
            (
                "0002_b.sql".to_string(),
                b"-- migrate:no-transaction\nB".to_vec(),
            ),
            ("0003_c.sql".to_string(), b"C".to_vec()),
            ("0004_d.sql".to_string(), b"D".to_vec()),
        ])
        .unwrap();
        let all: Vec<&Migration> = ms.iter().collect();
        let shape = |mode, backend| {
            segments(&all, Direction::Up, mode, backend)
                .iter()
                .map(|s| match s {
                    Segment::Transaction(steps) => {
                        format!(
                            "T{:?}",
                            steps
                                .iter()
                                .map(|s| s.migration.version)
                                .collect::<Vec<_>>()
                        )
                    }
                    Segment::Untransacted(step) => format!("U{}", step.migration.version),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            shape(TransactionMode::PerMigration, BackendKind::Postgres),
            "T[1] U2 T[3] T[4]"
        );
        assert_eq!(
            shape(TransactionMode::Single, BackendKind::Sqlite),
            "T[1] U2 T[3, 4]"
        );
        assert_eq!(
            shape(TransactionMode::None, BackendKind::Sqlite),
            "U1 U2 U3 U4"
        );
        assert_eq!(
            shape(TransactionMode::Single, BackendKind::MySql),
            "U1 U2 U3 U4"
        );
    }

    #[test]
    fn revert_needs_down_scripts_and_known_versions() {
        let ms = load_files([
            ("0001_a.up.sql".to_string(), b"A".to_vec()),
            ("0001_a.down.sql".to_string(), b"undo A".to_vec()),
            ("0002_b.sql".to_string(), b"B".to_vec()),
            ("0003_c.up.sql".to_string(), b"C".to_vec()),
            ("0003_c.down.sql".to_string(), b"undo C".to_vec()),
        ])
        .unwrap();
        let history: Vec<HistoryRow> = ms.iter().map(row).collect();
        let reverted = to_revert(&ms, &history, 2, &STRICT).unwrap();
        assert_eq!(versions(reverted), [3]);
        let err = to_revert(&ms, &history, 0, &STRICT).unwrap_err();
        assert!(
            matches!(err, Error::Irreversible { version: 2, .. }),
            "{err}"
        );
        let mut ghost = row(&ms[0]);
        ghost.version = 9;
        let err = to_revert(&ms, &[row(&ms[0]), ghost], 0, &STRICT).unwrap_err();
        assert!(matches!(err, Error::Missing { version: 9, .. }), "{err}");
    }

    #[test]
    fn failed_row_always_blocks() {
        let ms = migrations();
        let mut failed = row(&ms[0]);
        failed.success = false;
        let lenient = Rules {
            target: None,
            on_divergent: Policy::Ignore,
            on_missing: Policy::Ignore,
            on_out_of_order: Policy::Ignore,
        };
        assert!(matches!(
            pending(&ms, &[failed], &lenient),
            Err(Error::Dirty { version: 1, .. })
        ));
    }
}
