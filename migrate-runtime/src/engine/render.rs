//! Offline mode: a run's step program printed as SQL, without a connection.

use std::fmt::Write;

use migrata_core::Migration;

use super::lock_wait_sql;
use crate::code::CodeTable;
use crate::error::Error;
use crate::model::{BackendKind, Direction};
use crate::options::Options;
use crate::plan::program::{self, Op, Program, Step};
use crate::plan::{self, Job};
use crate::report::PendingSql;
use crate::sql::history::{Elapsed, HistoryTable, Writer};
use crate::sql::Dialect;

/// The offline SQL of an up run: see [`Offline::up`](crate::Offline::up).
pub(crate) fn up(
    job: &Job<'_>,
    backend: BackendKind,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<String, Error> {
    let table = HistoryTable::new(backend, job.options.table())?;
    let to = to.or(job.target);
    let mut selected: Vec<&Migration> = job
        .migrations
        .iter()
        .filter(|m| from.is_none_or(|from| m.version > from) && to.is_none_or(|to| m.version <= to))
        .collect();
    // Written for the newest schema, as online; and without the
    // history, every one is applied again. Not past a code migration,
    // where the script stops.
    let newest = job.migrations.last().map(|m| m.version);
    let reaches_newest = to.is_none_or(|to| newest.is_none_or(|newest| to >= newest));
    if reaches_newest && !selected.iter().any(|m| m.is_code()) {
        selected.extend(job.repeatables);
    }
    let stop = ends_at_code(&selected, |code| code.version)?;
    let mut out = header(job, &table, "up", rendered(&selected, stop));
    out.push_str(&table.create());
    out.push_str(";\n\n");
    up_steps(job, &table, &selected, stop, &mut out)?;
    Ok(out)
}

/// The up steps of `selected`: the expand migrations, the marker when
/// `stop` says the range ends with a code migration, then the contract
/// migrations in a section of their own. Online, a contract migration
/// waits for the last replica of an older release; offline, whoever runs
/// the script decides when, so it comes last, under a banner that says so,
/// with what a part run on its own needs.
fn up_steps(
    job: &Job<'_>,
    table: &HistoryTable,
    selected: &[&Migration],
    stop: Option<&Migration>,
    out: &mut String,
) -> Result<(), Error> {
    let (contract, expand): (Vec<&Migration>, Vec<&Migration>) = rendered(selected, stop)
        .iter()
        .partition(|m| m.is_contract());
    steps(job, table, &expand, Direction::Up, out)?;
    stop_marker(stop, Direction::Up, out);
    let Some(newest) = contract.iter().map(|m| m.version).max() else {
        return Ok(());
    };
    let versions: Vec<String> = contract.iter().map(|m| m.version.to_string()).collect();
    let _ = write!(
        out,
        "-- ===================================================================\n\
         -- CONTRACT MIGRATIONS (`-- migrate:phase contract`): versions {versions}\n\
         -- They remove what older releases still use. Run this section only once\n\
         -- every replica runs a release that embeds version {newest}\n\
         -- (`migrata replicas` lists them); an online run holds them until then.\n\
         -- From the `====` line above to the end, it runs on its own.\n\
         -- ===================================================================\n",
        versions = versions.join(", "),
    );
    push_session(job, table, out);
    steps(job, table, &contract, Direction::Up, out)
}

/// The offline SQL of what a run would apply now: `pending`, as planned
/// from the database's history, up to the first code migration.
pub(crate) fn pending(
    job: &Job<'_>,
    backend: BackendKind,
    pending: &[&Migration],
    creates_table: bool,
) -> Result<PendingSql, Error> {
    let table = HistoryTable::new(backend, job.options.table())?;
    let end = pending
        .iter()
        .position(|m| m.is_code())
        .map_or(pending.len(), |index| index + 1);
    let selected = &pending[..end];
    let stop = ends_at_code(selected, |code| code.version)?;
    let mut out = header(job, &table, "up", rendered(selected, stop));
    if creates_table {
        out.push_str(&table.create());
        out.push_str(";\n\n");
    }
    up_steps(job, &table, selected, stop, &mut out)?;
    Ok(PendingSql {
        sql: out,
        stops_at_code: stop.map(|code| code.version),
    })
}

/// The offline SQL of a revert: see [`Offline::down`](crate::Offline::down).
pub(crate) fn down(
    job: &Job<'_>,
    backend: BackendKind,
    from: Option<i64>,
    to: i64,
) -> Result<String, Error> {
    let table = HistoryTable::new(backend, job.options.table())?;
    let mut selected: Vec<&Migration> = job
        .migrations
        .iter()
        .filter(|m| m.version > to && from.is_none_or(|from| m.version <= from))
        .collect();
    selected.reverse();
    plan::require_down_scripts(&selected)?;
    let stop = ends_at_code(&selected, |code| code.version - 1)?;
    let mut out = header(job, &table, "down", rendered(&selected, stop));
    steps(
        job,
        &table,
        rendered(&selected, stop),
        Direction::Down,
        &mut out,
    )?;
    stop_marker(stop, Direction::Down, &mut out);
    Ok(out)
}

/// The program of `scripts`, rendered.
fn steps(
    job: &Job<'_>,
    table: &HistoryTable,
    scripts: &[&Migration],
    direction: Direction,
    out: &mut String,
) -> Result<(), Error> {
    let program = program::compile(
        scripts,
        direction,
        job.options.transaction(),
        table.kind(),
        CodeTable::default(),
    )?;
    render(&program, &job.options, table, out)
}

/// When `stop` says the range ends with a code migration, the marker that
/// stops there.
fn stop_marker(stop: Option<&Migration>, direction: Direction, out: &mut String) {
    if let Some(code) = stop {
        let (command, resume) = match direction {
            Direction::Up => ("up --to", code.version),
            Direction::Down => ("down --to", code.version - 1),
        };
        out.push_str(&format!(
            "-- STOP: migration {version} {name} (`{file}`) is a code migration, which SQL cannot contain.\n\
             -- Run it with the application binary (`<app> migrate {command} {resume}`), then render the rest of the range from it.\n",
            version = code.version,
            name = code.name,
            file = code.up.file,
        ));
    }
}

/// The migrations of `selected` rendered as SQL: all but the code
/// migration it stops at.
fn rendered<'s, 'm>(
    selected: &'s [&'m Migration],
    stop: Option<&Migration>,
) -> &'s [&'m Migration] {
    &selected[..selected.len() - usize::from(stop.is_some())]
}

/// What the script covers, the client setting that stops it at the first
/// error (as an online run stops), and the session setup SQL.
fn header(job: &Job<'_>, table: &HistoryTable, direction: &str, selected: &[&Migration]) -> String {
    let versions: Vec<String> = selected
        .iter()
        .map(|m| match m.is_repeatable() {
            true => m.up.file.to_string(),
            false => m.version.to_string(),
        })
        .collect();
    let covers = if versions.is_empty() {
        "nothing to do".to_owned()
    } else {
        format!("versions {}", versions.join(", "))
    };
    let mut out = format!(
        "-- Offline SQL generated by migrata for {}, {direction}: {covers}\n",
        table.kind()
    );
    push_session(job, table, &mut out);
    out
}

/// The client setting that stops the script at the first error and the
/// session setup SQL: what a part of the script run on its own needs.
fn push_session(job: &Job<'_>, table: &HistoryTable, out: &mut String) {
    out.push_str(table.dialect().offline_preamble());
    out.push('\n');
    if let Some(setup) = &job.session_setup {
        push_script(out, table.dialect(), setup);
        out.push('\n');
    }
}

/// Prints the program as a SQL script for `table`'s database: what an
/// online run executes, with durations measured by the server where it
/// can and zero otherwise, each lock wait bounded as online (but nothing
/// retried: the client stops at the first error), and each
/// `-- migrate:check` as a statement that stops the client unless the
/// check holds. Offline programs are compiled without code
/// ([`program::compile`] refuses code migrations then), so every step is SQL.
fn render(
    program: &Program<'_>,
    options: &Options,
    table: &HistoryTable,
    out: &mut String,
) -> Result<(), Error> {
    let dialect = table.dialect();
    for unit in &program.units {
        let lock_wait = lock_wait_sql(options, dialect, unit);
        let before = lock_wait.as_ref().filter(|sql| !sql.after_begin);
        if let Some(sql) = before {
            let _ = writeln!(out, "{};", sql.set);
        }
        if unit.transaction {
            let _ = writeln!(out, "{};", dialect.begin());
        }
        if let Some(sql) = lock_wait.as_ref().filter(|sql| sql.after_begin) {
            let _ = writeln!(out, "{};", sql.set);
        }
        for op in &unit.ops {
            let step = op.step();
            // A repeatable migration's version is internal: its file names it.
            let title = match step.migration.is_repeatable() {
                true => format!("-- {}", step.script.file),
                false => format!(
                    "-- {} {} ({})",
                    step.migration.version, step.migration.name, step.script.file
                ),
            };
            match op {
                Op::Run(_) if unit.transaction => {
                    let _ = writeln!(out, "{title}");
                    push_checks(out, dialect, step)?;
                    push_script(out, dialect, step.script.sql());
                }
                Op::Run(_) => push_script(out, dialect, step.script.sql()),
                Op::Claim(_) => {
                    let _ = writeln!(out, "{title}, outside a transaction");
                    push_checks(out, dialect, step)?;
                }
                Op::Forget(_) | Op::Record(_) | Op::Settle(_) => {}
            }
            if let Some(sql) = table.write_for(op, Elapsed::Server, Writer::Offline) {
                let _ = writeln!(out, "{sql};");
            }
        }
        if unit.transaction {
            out.push_str("COMMIT;\n");
        }
        if let Some(restore) = before.and_then(|sql| sql.restore.as_deref()) {
            let _ = writeln!(out, "{restore};");
        }
        out.push('\n');
    }
    Ok(())
}

/// Appends the `-- migrate:check` queries of `step`, each as a statement
/// that stops the client, naming the check, unless it returns true.
fn push_checks(out: &mut String, dialect: &dyn Dialect, step: &Step<'_>) -> Result<(), Error> {
    for check in step.directives()?.checks {
        let label = format!(
            "migrate:check of {} line {} refused",
            step.script.file, check.line
        );
        let _ = writeln!(out, "{}", dialect.offline_check(&check.sql, &label));
    }
    Ok(())
}

/// Appends a script as written, closed with its delimiter if its last
/// statement lacks one; a MySQL script that changed the client's delimiter
/// (`DELIMITER //`) has it set back, so the history write after it runs.
fn push_script(out: &mut String, dialect: &dyn Dialect, sql: &str) {
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

/// The code migration that ends `selected`, if one does; a code migration
/// elsewhere in it is an error naming the range end (`stop`) that would
/// end there. Offline SQL never skips one silently.
fn ends_at_code<'m>(
    selected: &[&'m Migration],
    stop: impl Fn(&Migration) -> i64,
) -> Result<Option<&'m Migration>, Error> {
    match selected.iter().position(|m| m.is_code()) {
        None => Ok(None),
        Some(index) if index + 1 == selected.len() => Ok(Some(selected[index])),
        Some(index) => {
            let code = selected[index];
            Err(Error::CodeOffline {
                version: code.version,
                file: code.up.file.to_string(),
                stop: stop(code),
            })
        }
    }
}
