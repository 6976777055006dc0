//! Compares the embedded migrations with the version table and decides what
//! to apply, enforcing every policy before anything runs.

use std::collections::BTreeMap;

use crate::{Error, HistoryRow, Migration, Policy};

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

/// Checks one applied migration against its embedded script: a failed row
/// always blocks; a checksum mismatch follows `on_divergent`.
pub(crate) fn check_applied(m: &Migration, row: &HistoryRow, rules: &Rules) -> Result<(), Error> {
    ensure_succeeded(row)?;
    if m.checksum.to_string() == row.checksum {
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

fn ensure_succeeded(row: &HistoryRow) -> Result<(), Error> {
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
