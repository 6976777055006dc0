//! What the subcommands print: tables for people, JSON for machines.

use std::process::ExitCode;

use serde_json::json;

/// `println!` that shrugs off a closed stdout (`app migrate status | head`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!`, likewise.
macro_rules! complain {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(super) use complain;

#[cfg(feature = "adopt")]
use migrata::{Adoption, AdoptionProblem};
use migrata::{
    Applied, BackendKind, Error, FailedScript, MigrationState, RepairAction, Repaired, Replica,
    Report, Status, StatusEntry,
};

/// Prints results on stdout and problems on stderr (or as JSON on stdout),
/// and picks the exit code.
pub(super) struct Output {
    json: bool,
}

impl Output {
    /// The exit code of a subcommand's outcome, after printing its failure.
    pub fn finish(&self, done: Result<ExitCode, super::Failure>) -> ExitCode {
        match done {
            Ok(code) => code,
            Err(super::Failure::Usage(message)) => self.usage(&message),
            Err(super::Failure::Failed(error)) => self.error(&error),
            Err(super::Failure::Io(message)) => self.failure(&message),
        }
    }

    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// For `lint`, `schema` and `drift`, which print their own reports.
    #[cfg(any(feature = "lint", feature = "schema"))]
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The migrations' states, and where the configuration came from.
    pub fn status(&self, status: &Status, config: &str) -> ExitCode {
        if self.json {
            print_json(&json!({
                "backend": status.backend.name(),
                "migrations": status.entries.iter().map(entry_json).collect::<Vec<_>>(),
                "config": config,
            }));
        } else {
            print_table(status.entries.iter());
            say!("config: {config}");
        }
        ExitCode::SUCCESS
    }

    /// `--verbose`: what was read from the migrations directory, on stderr.
    pub fn directory(&self, dir: &std::path::Path, directory: &migrata_core::Directory) {
        complain!(
            "migrations: {} ({} migrations)",
            dir.display(),
            directory.migrations.len()
        );
        for ignored in &directory.ignored {
            complain!("ignored: {} ({})", ignored.path, ignored.reason);
        }
    }

    /// Fails on what a run would refuse, or with `strict` on any finding.
    pub fn verify(&self, status: &Status, strict: bool) -> ExitCode {
        let problems: Vec<&StatusEntry> = if strict {
            status.findings().collect()
        } else {
            status.problems().collect()
        };
        let tolerated: Vec<&StatusEntry> = status.findings().filter(|e| !e.refused).collect();
        if self.json {
            print_json(&json!({
                "ok": problems.is_empty(),
                "backend": status.backend.name(),
                "problems": problems.iter().map(|e| entry_json(e)).collect::<Vec<_>>(),
                "tolerated": tolerated.iter().map(|e| entry_json(e)).collect::<Vec<_>>(),
                "pending": status.pending().count(),
            }));
        } else if problems.is_empty() {
            let squashed = status
                .entries
                .iter()
                .filter(|e| e.state == MigrationState::Squashed)
                .count();
            let pending = status.pending().count();
            let applied = status.entries.len() - pending - squashed;
            let squashed = match squashed {
                0 => String::new(),
                n => format!("{n} squashed into the baseline, "),
            };
            if tolerated.is_empty() {
                say!("ok: {applied} applied, {squashed}{pending} pending, no divergent, missing, failed or out-of-order migrations");
            } else {
                say!(
                    "ok: {applied} applied, {pending} pending; {} finding(s) the policies allow (--strict fails on them):",
                    tolerated.len()
                );
                print_table(tolerated.iter().copied());
            }
        } else {
            say!("verify failed: {} problem(s)", problems.len());
            print_table(problems.iter().copied());
        }
        if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }

    pub fn report(&self, report: &Report) -> ExitCode {
        if self.json {
            print_json(&json!({
                "backend": report.backend.name(),
                "applied": report.applied.iter().map(applied_json).collect::<Vec<_>>(),
                "reverted": report.reverted.iter().map(applied_json).collect::<Vec<_>>(),
                "held": report.held.iter().map(|held| json!({
                    "version": held.version,
                    "file": held.file,
                    "reason": held.to_string(),
                })).collect::<Vec<_>>(),
            }));
            return ExitCode::SUCCESS;
        }
        if report.is_up_to_date() && report.held.is_empty() {
            say!("nothing to do: the database is up to date");
        }
        for (verb, list) in [("applied", &report.applied), ("reverted", &report.reverted)] {
            for done in list {
                let ms = done.duration.as_millis();
                match done.is_repeatable() {
                    true => say!("{verb} {} in {ms} ms", done.file),
                    false => say!(
                        "{verb} {} {} ({}) in {ms} ms",
                        done.version,
                        done.name,
                        done.file
                    ),
                }
            }
        }
        for held in &report.held {
            say!(
                "not applied {} ({}): {}; `up --contract` applies it now",
                held.version,
                held.file,
                held
            );
        }
        ExitCode::SUCCESS
    }

    /// `replicas`: every registered process, live and dead.
    pub fn replicas(&self, replicas: &[Replica]) -> ExitCode {
        if self.json {
            print_json(&json!({
                "replicas": replicas.iter().map(|replica| json!({
                    "owner": replica.owner,
                    "host": replica.host,
                    "pid": replica.pid,
                    "newest_version": replica.newest_version,
                    "started_ms_ago": replica.started_ago.as_millis() as u64,
                    "seen_ms_ago": replica.seen_ago.as_millis() as u64,
                    "alive": replica.alive,
                })).collect::<Vec<_>>(),
            }));
            return ExitCode::SUCCESS;
        }
        if replicas.is_empty() {
            say!("no replicas registered (only processes started with run_with_presence register)");
            return ExitCode::SUCCESS;
        }
        let ago = |duration: std::time::Duration| format!("{} s ago", duration.as_secs());
        let rows = replicas
            .iter()
            .map(|replica| {
                [
                    replica.host.clone(),
                    replica.pid.to_string(),
                    replica.newest_version.to_string(),
                    ago(replica.started_ago),
                    ago(replica.seen_ago),
                    if replica.alive { "live" } else { "dead" }.to_owned(),
                    replica.owner.clone(),
                ]
            })
            .collect();
        let header = [
            "HOST",
            "PID",
            "NEWEST VERSION",
            "STARTED",
            "LAST SEEN",
            "STATE",
            "ID",
        ];
        print_columns(header, rows, None);
        ExitCode::SUCCESS
    }

    /// After `up --to`: the migrations it left pending, said once so a
    /// "nothing to do" is not read as "up to date".
    pub fn stopped_at(&self, to: i64, later: usize) {
        if !self.json && later > 0 {
            say!(
                "at {to}; {later} later migration(s) not applied (`up` without --to applies them)"
            );
        }
    }

    pub fn versions(&self, what: &str, versions: &[i64]) -> ExitCode {
        if self.json {
            print_json(&json!({ what: versions }));
        } else if versions.is_empty() {
            say!("{what}: none");
        } else {
            let list: Vec<String> = versions.iter().map(i64::to_string).collect();
            say!("{what}: {}", list.join(", "));
        }
        ExitCode::SUCCESS
    }

    pub fn repaired(&self, repaired: &[Repaired]) -> ExitCode {
        if self.json {
            let rows: Vec<_> = repaired
                .iter()
                .map(|r| {
                    json!({
                        "version": r.version,
                        "name": r.name,
                        "failed_script": r.failed.name(),
                        "action": repair_action(r.action).0,
                    })
                })
                .collect();
            print_json(&json!({ "repaired": rows }));
        } else if repaired.is_empty() {
            say!("repaired: none (no migration is marked as failed)");
        } else {
            for r in repaired {
                let failed = match r.failed {
                    FailedScript::Up => "its up script failed",
                    FailedScript::Down => "its down script failed",
                    FailedScript::Unknown => "failed",
                    // The enum is non-exhaustive: a kind a later migrata records.
                    _ => "failed",
                };
                let action = repair_action(r.action).1;
                say!("{} {} ({failed}): {action}", r.version, r.name);
            }
        }
        ExitCode::SUCCESS
    }

    /// What `adopt` recorded (or, dry, would record) in `table`.
    #[cfg(feature = "adopt")]
    pub fn adoption(&self, adoption: &Adoption, table: &str) -> ExitCode {
        let peer = adoption.peer;
        if self.json {
            print_json(&json!({
                "backend": adoption.backend.name(),
                "from": peer.name(),
                "dry_run": adoption.dry_run,
                "adopted": adoption.adopted,
                "already_adopted": adoption.already_adopted,
                "pending": adoption.pending,
            }));
            return ExitCode::SUCCESS;
        }
        let list = |versions: &[i64]| {
            let versions: Vec<String> = versions.iter().map(i64::to_string).collect();
            versions.join(", ")
        };
        if adoption.is_already_adopted() {
            say!(
                "already adopted: the {} migration(s) {peer} applied are recorded in {table}; nothing to do",
                adoption.already_adopted.len()
            );
        } else if adoption.adopted.is_empty() {
            say!(
                "{peer}'s history ({}) records no migration: nothing to adopt",
                peer.table()
            );
        } else if adoption.dry_run {
            say!(
                "would adopt from {peer}: {} (dry run: nothing written)",
                list(&adoption.adopted)
            );
        } else {
            say!(
                "adopted from {peer}: {} (recorded in {table} as applied; nothing ran)",
                list(&adoption.adopted)
            );
        }
        if !adoption.pending.is_empty() {
            say!("pending: {} (`up` applies them)", list(&adoption.pending));
        }
        ExitCode::SUCCESS
    }

    pub fn sql(&self, backend: BackendKind, sql: &str) -> ExitCode {
        if self.json {
            print_json(&json!({ "backend": backend.name(), "sql": sql }));
        } else {
            use std::io::Write as _;
            let _ = write!(std::io::stdout().lock(), "{sql}");
        }
        ExitCode::SUCCESS
    }

    /// The files `new` or `diff` wrote, or why it wrote none.
    #[cfg(feature = "new")]
    pub fn created(&self, paths: Result<Vec<std::path::PathBuf>, String>) -> ExitCode {
        let paths = match paths {
            Ok(paths) => paths,
            Err(message) => return self.failure(&message),
        };
        if self.json {
            let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            print_json(&json!({ "created": paths }));
        } else {
            for path in paths {
                say!("created {}", path.display());
            }
        }
        ExitCode::SUCCESS
    }

    /// What `database create` / `drop` / `setup` / `reset` did to the
    /// database at `url`, in order, and what `setup` / `reset` applied.
    pub fn database(&self, actions: &[&str], url: &str, report: Option<&Report>) -> ExitCode {
        if self.json {
            let mut shown = json!({ "database": url, "actions": actions });
            if let Some(report) = report {
                shown["applied"] = report.applied.iter().map(applied_json).collect();
            }
            print_json(&shown);
            return ExitCode::SUCCESS;
        }
        for action in actions {
            say!("{action}: {url}");
        }
        match report {
            Some(report) => self.report(report),
            None => ExitCode::SUCCESS,
        }
    }

    /// The work failed: exit code 1.
    pub fn failure(&self, message: &str) -> ExitCode {
        self.problem(message);
        ExitCode::FAILURE
    }

    /// The library failed: exit code 1. In JSON a refused adoption lists its
    /// problems too.
    pub fn error(&self, error: &Error) -> ExitCode {
        #[cfg(feature = "adopt")]
        if let (Error::AdoptionRefused { problems, .. }, true) = (error, self.json) {
            print_json(&json!({
                "error": error.to_string(),
                "problems": problems.iter().map(problem_json).collect::<Vec<_>>(),
            }));
            return ExitCode::FAILURE;
        }
        self.failure(&error.to_string())
    }

    /// The invocation was wrong: exit code 2.
    pub fn usage(&self, message: &str) -> ExitCode {
        self.problem(message);
        ExitCode::from(2)
    }

    fn problem(&self, message: &str) {
        if self.json {
            print_json(&json!({ "error": message }));
        } else {
            complain!("error: {message}");
        }
    }
}

/// What `repair` did to a row: its name in JSON, and what it means for a
/// person.
fn repair_action(action: RepairAction) -> (&'static str, &'static str) {
    match action {
        RepairAction::Cleared => (
            "cleared",
            "cleared: counts as not applied, `up` runs it again",
        ),
        RepairAction::MarkedApplied => (
            "marked_applied",
            "marked applied: `down` can revert it again",
        ),
        // The enum is non-exhaustive: an action a later migrata takes.
        _ => ("repaired", "repaired: `status` shows where it stands"),
    }
}

fn print_json(value: &serde_json::Value) {
    say!("{value:#}");
}

fn entry_json(entry: &StatusEntry) -> serde_json::Value {
    json!({
        "version": (!entry.repeatable).then_some(entry.version),
        "name": entry.name,
        "file": entry.file,
        "code": entry.code,
        "repeatable": entry.repeatable,
        "state": entry.state.name(),
        "applied_at": entry.applied_at,
        "duration_ms": entry.duration_ms,
        "held": entry.held.as_ref().map(ToString::to_string),
    })
}

fn applied_json(applied: &Applied) -> serde_json::Value {
    json!({
        "version": applied.version,
        "name": applied.name,
        "file": applied.file,
        "repeatable": applied.is_repeatable(),
        "duration_ms": applied.duration.as_millis() as u64,
        "lock_retries": applied.lock_retries,
    })
}

#[cfg(feature = "adopt")]
fn problem_json(problem: &AdoptionProblem) -> serde_json::Value {
    let message = problem.to_string();
    match problem {
        AdoptionProblem::NotEmbedded { version, name } => {
            json!({ "problem": "not_embedded", "version": version, "name": name, "message": message })
        }
        AdoptionProblem::NotRecorded { version, file } => {
            json!({ "problem": "not_recorded", "version": version, "file": file, "message": message })
        }
        AdoptionProblem::Renamed {
            version,
            recorded,
            expected,
        } => json!({
            "problem": "renamed", "version": version, "recorded": recorded, "expected": expected, "message": message,
        }),
        AdoptionProblem::Edited {
            version,
            file,
            recorded,
            expected,
        } => json!({
            "problem": "edited", "version": version, "file": file, "recorded": recorded, "expected": expected, "message": message,
        }),
        AdoptionProblem::Failed { version, name } => {
            json!({ "problem": "failed", "version": version, "name": name, "message": message })
        }
        AdoptionProblem::Conflicting {
            version,
            name,
            state,
        } => json!({
            "problem": "conflicting", "version": version, "name": name, "state": state.name(), "message": message,
        }),
        // The enum is non-exhaustive: a problem a later migrata finds.
        _ => json!({ "problem": "other", "message": message }),
    }
}

fn print_table<'a>(entries: impl Iterator<Item = &'a StatusEntry>) {
    let entries: Vec<&StatusEntry> = entries.collect();
    let states: Vec<MigrationState> = entries.iter().map(|e| e.state).collect();
    let rows: Vec<[String; 5]> = entries
        .into_iter()
        .map(|e| {
            [
                if e.repeatable {
                    "R".to_owned()
                } else {
                    e.version.to_string()
                },
                if e.code {
                    format!("{} (code)", e.name)
                } else {
                    e.name.clone()
                },
                match &e.held {
                    Some(held) => format!("{} ({held})", e.state.name()),
                    None => e.state.name().to_owned(),
                },
                e.applied_at.clone().unwrap_or_default(),
                e.duration_ms
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let colors = states.into_iter().map(state_color).collect();
    let header = ["VERSION", "NAME", "STATE", "APPLIED AT", "DURATION"];
    print_columns(header, rows, Some((STATE_COLUMN, colors)));
}

/// `rows` under `header`, each column as wide as its widest cell; with
/// `paint`, the cells of one column in each row's ANSI colour, when
/// stdout is [`colored`].
fn print_columns<const N: usize>(
    header: [&str; N],
    rows: Vec<[String; N]>,
    paint: Option<(usize, Vec<Option<&'static str>>)>,
) {
    let header = header.map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let (painted, colors) = match paint.filter(|_| colored(&std::io::stdout())) {
        Some((column, colors)) => (Some(column), colors),
        None => (None, Vec::new()),
    };
    let colors = std::iter::once(None).chain(colors.into_iter().chain(std::iter::repeat(None)));
    for (row, color) in std::iter::once(&header).chain(&rows).zip(colors) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(column, (cell, width))| {
                let pad = " ".repeat(width - cell.len());
                match color.filter(|_| painted == Some(column)) {
                    Some(code) => format!("\x1b[{code}m{cell}\x1b[0m{pad}"),
                    None => format!("{cell}{pad}"),
                }
            })
            .collect();
        say!("{}", line.join("  ").trim_end());
    }
}

const STATE_COLUMN: usize = 2;

/// The ANSI colour of a state that needs attention: red for what refuses a
/// run, yellow for what is still to come.
fn state_color(state: MigrationState) -> Option<&'static str> {
    match state {
        MigrationState::Failed
        | MigrationState::Divergent
        | MigrationState::Missing
        | MigrationState::BehindBaseline => Some("31"),
        MigrationState::Pending | MigrationState::OutOfOrder => Some("33"),
        _ => None,
    }
}

/// Whether to colour what goes to `stream`: a terminal, and `NO_COLOR`
/// unset or empty (<https://no-color.org>).
pub(super) fn colored(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}
