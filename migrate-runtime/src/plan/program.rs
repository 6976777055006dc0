//! The step program of a run: produced once from a plan and a database's
//! rules, executed by the online runner and printed by the offline renderer,
//! so offline SQL is what an online run executes, by construction.

use migrata_core::{Directives, Migration, Script};

use crate::code::{CodeFn, CodeTable};
use crate::error::Error;
use crate::model::{BackendKind, Direction};
use crate::options::TransactionMode;

/// One migration's script in one direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'m> {
    pub migration: &'m Migration,
    /// The file: the SQL that runs, or a code migration's source.
    pub script: &'m Script,
    pub direction: Direction,
    /// A code migration's compiled function, which runs instead of SQL.
    pub code: Option<CodeFn>,
}

/// One operation of a [`Unit`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op<'m> {
    /// Before a repeatable migration runs again: the row of its previous
    /// version removed, so the new one can be written (see
    /// [`HistoryTable::forget`](crate::sql::history::HistoryTable::forget)).
    Forget(Step<'m>),
    /// Before a script that runs outside a transaction: its history row,
    /// marked as not (yet) successful.
    Claim(Step<'m>),
    /// The script.
    Run(Step<'m>),
    /// In the script's transaction: its history row written (up) or removed
    /// (down).
    Record(Step<'m>),
    /// After a script that ran outside a transaction: its claimed row marked
    /// successful (up) or removed (down).
    Settle(Step<'m>),
}

/// Operations that commit together (`transaction`), or one script run
/// outside any transaction between its claim and settle.
#[derive(Debug)]
pub(crate) struct Unit<'m> {
    pub transaction: bool,
    pub ops: Vec<Op<'m>>,
}

/// Everything a run does, in order.
#[derive(Debug)]
pub(crate) struct Program<'m> {
    pub units: Vec<Unit<'m>>,
}

impl Step<'_> {
    /// The script's directives (its checks, `retry-safe`), read from its
    /// text.
    pub fn directives(&self) -> Result<Directives, Error> {
        self.script
            .directives()
            .map_err(|error| Error::Directives { error })
    }
}

impl<'m> Op<'m> {
    pub fn step(&self) -> &Step<'m> {
        match self {
            Op::Forget(step)
            | Op::Claim(step)
            | Op::Run(step)
            | Op::Record(step)
            | Op::Settle(step) => step,
        }
    }
}

/// Compiles `migrations` (in run order) into units: one transaction per
/// migration, one for all (`Single`, split by scripts that cannot run in a
/// transaction), or none; without transactional DDL every script runs
/// outside a transaction, but code migrations, whose work is typically
/// data, keep theirs. A code migration takes its function from `code`,
/// and is refused without one.
pub(crate) fn compile<'m>(
    migrations: &[&'m Migration],
    direction: Direction,
    mode: TransactionMode,
    backend: BackendKind,
    code: CodeTable<'_>,
) -> Result<Program<'m>, Error> {
    let mut units = Vec::new();
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
            code: code.function(migration, direction)?,
        };
        let untransacted = script.no_transaction
            || mode == TransactionMode::None
            || (step.code.is_none() && !backend.transactional_ddl());
        // A repeatable migration's previous row goes first, in its unit.
        let forget = migration.is_repeatable().then_some(Op::Forget(step));
        if untransacted {
            if !batch.is_empty() {
                units.push(transaction(std::mem::take(&mut batch)));
            }
            let mut ops: Vec<Op<'m>> = forget.into_iter().collect();
            ops.extend([Op::Claim(step), Op::Run(step), Op::Settle(step)]);
            units.push(Unit {
                transaction: false,
                ops,
            });
        } else {
            batch.extend(forget);
            batch.extend([Op::Run(step), Op::Record(step)]);
            if mode == TransactionMode::PerMigration {
                units.push(transaction(std::mem::take(&mut batch)));
            }
        }
    }
    if !batch.is_empty() {
        units.push(transaction(batch));
    }
    Ok(Program { units })
}

fn transaction(ops: Vec<Op<'_>>) -> Unit<'_> {
    Unit {
        transaction: true,
        ops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrata_core::load_files;

    #[test]
    fn units_follow_mode_directive_and_backend() {
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
        let shape = |mode, backend: BackendKind| {
            compile(&all, Direction::Up, mode, backend, CodeTable::default())
                .unwrap()
                .units
                .iter()
                .map(|unit| {
                    let versions: Vec<String> = unit
                        .ops
                        .iter()
                        .filter(|op| matches!(op, Op::Run(_)))
                        .map(|op| op.step().migration.version.to_string())
                        .collect();
                    let kind = if unit.transaction { "T" } else { "U" };
                    format!("{kind}[{}]", versions.join(","))
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            shape(TransactionMode::PerMigration, BackendKind::Postgres),
            "T[1] U[2] T[3] T[4]"
        );
        assert_eq!(
            shape(TransactionMode::Single, BackendKind::Sqlite),
            "T[1] U[2] T[3,4]"
        );
        assert_eq!(
            shape(TransactionMode::None, BackendKind::Sqlite),
            "U[1] U[2] U[3] U[4]"
        );
        assert_eq!(
            shape(TransactionMode::Single, BackendKind::MySql),
            "U[1] U[2] U[3] U[4]"
        );
    }

    #[test]
    fn every_script_is_bracketed_by_its_history_writes() {
        let ms = load_files([
            ("0001_a.sql".to_string(), b"A".to_vec()),
            (
                "0002_b.sql".to_string(),
                b"-- migrate:no-transaction\nB".to_vec(),
            ),
        ])
        .unwrap();
        let all: Vec<&Migration> = ms.iter().collect();
        let program = compile(
            &all,
            Direction::Up,
            TransactionMode::PerMigration,
            BackendKind::Sqlite,
            CodeTable::default(),
        )
        .unwrap();
        let ops: Vec<String> = program
            .units
            .iter()
            .flat_map(|unit| &unit.ops)
            .map(|op| {
                format!("{op:?}")
                    .split('(')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(ops, ["Run", "Record", "Claim", "Run", "Settle"]);
    }
}
