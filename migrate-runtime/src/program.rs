//! The step program of a run: produced once from a plan and a database's
//! rules, executed by the online runner and printed by the offline renderer,
//! so offline SQL is what an online run executes, by construction.

use std::fmt::Write;

use crate::backend::Dialect;
use crate::code::CodeTable;
use crate::history::{ClaimMark, Elapsed, HistoryTable};
use crate::{CodeFn, Error, Migration, Script, TransactionMode};

/// Which way a step moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

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
    /// [`HistoryTable::forget`]).
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

    /// The history write of a bookkeeping op (`None` for [`Op::Run`]).
    /// `elapsed` is the script's duration where the op records one;
    /// `writer` says where the write runs.
    pub fn history_sql(
        &self,
        table: &HistoryTable,
        elapsed: Elapsed,
        writer: Writer<'_>,
    ) -> Option<String> {
        let step = self.step();
        let version = step.migration.version;
        let (mark, fence) = match writer {
            Writer::Claimed(guard) => (guard.mark, guard.fence.as_deref()),
            Writer::Transaction | Writer::Offline => (ClaimMark::offline(step.direction), None),
        };
        Some(match (self, step.direction) {
            (Op::Run(_), _) => return None,
            (Op::Forget(_), _) => table.forget(step.migration, writer == Writer::Offline),
            (Op::Claim(_), Direction::Up) => table.insert_claim(step.migration, mark),
            (Op::Claim(_), Direction::Down) => table.claim_applied(version, mark),
            (Op::Record(_), Direction::Up) => table.insert(step.migration, elapsed),
            (Op::Record(_), Direction::Down) => table.delete(version),
            (Op::Settle(_), Direction::Up) => table.settle_applied(version, elapsed, mark, fence),
            (Op::Settle(_), Direction::Down) => table.settle_reverted(version, mark, fence),
        })
    }
}

/// Where a history write runs, which decides what binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer<'g> {
    /// Online, inside the unit's transaction.
    Transaction,
    /// Online, outside a transaction: a claim and its settle are bound by
    /// the guard.
    Claimed(&'g ClaimGuard),
    /// In an offline script, which one client runs in order: a fixed mark
    /// serves, and a repeatable migration's row is replaced whatever it
    /// recorded (the script cannot know).
    Offline,
}

/// What binds the claim of a script run outside a transaction to its
/// settle: the claim's mark, and a condition the settle must meet (the
/// lease, see [`HistoryTable::while_lease_held`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClaimGuard {
    pub mark: ClaimMark,
    pub fence: Option<String>,
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
    dialect: &dyn Dialect,
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
            || (step.code.is_none() && !dialect.transactional_ddl());
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

impl Program<'_> {
    /// Prints the program as a SQL script for `table`'s database: what an
    /// online run executes, with durations measured by the server where it
    /// can and zero otherwise. Offline programs are compiled without code
    /// ([`compile`] refuses code migrations then), so every step is SQL.
    pub fn render(&self, table: &HistoryTable, out: &mut String) {
        let dialect = table.dialect();
        for unit in &self.units {
            if unit.transaction {
                let _ = writeln!(out, "{};", dialect.begin());
            }
            for op in &unit.ops {
                let step = op.step();
                let title = format!(
                    "-- {} {} ({})",
                    step.migration.version, step.migration.name, step.script.file
                );
                match op {
                    Op::Run(_) if unit.transaction => {
                        let _ = writeln!(out, "{title}");
                        push_script(out, dialect, step.script.sql());
                    }
                    Op::Run(_) => push_script(out, dialect, step.script.sql()),
                    Op::Claim(_) => {
                        let _ = writeln!(out, "{title}, outside a transaction");
                    }
                    Op::Forget(_) | Op::Record(_) | Op::Settle(_) => {}
                }
                if let Some(sql) = op.history_sql(table, Elapsed::Server, Writer::Offline) {
                    let _ = writeln!(out, "{sql};");
                }
            }
            if unit.transaction {
                out.push_str("COMMIT;\n");
            }
            out.push('\n');
        }
    }
}

/// Appends a script as written, closed with its delimiter if its last
/// statement lacks one; a MySQL script that changed the client's delimiter
/// (`DELIMITER //`) has it set back, so the history write after it runs.
pub(crate) fn push_script(out: &mut String, dialect: &dyn Dialect, sql: &str) {
    let flavor = dialect.sql_flavor();
    out.push_str(sql.trim_end());
    let delimiter = migrata_core::final_delimiter(sql, flavor);
    // On a line of its own: the script may end in a `--` comment.
    if migrata_core::needs_terminator(sql, flavor) {
        out.push('\n');
        out.push_str(delimiter);
    }
    if delimiter != ";" {
        out.push_str("\nDELIMITER ;");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackendKind;
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
            compile(
                &all,
                Direction::Up,
                mode,
                backend.dialect(),
                CodeTable::default(),
            )
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
            BackendKind::Sqlite.dialect(),
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
