//! `lint`: the rules `embed_migrations!` checks at compile time, over the
//! migrations, for CI and for the standalone binary.

use std::io::Write as _;
use std::process::ExitCode;

use migrata::lint::{lint, Database, LintOptions, Report, Rule, Script};
use migrata::{BackendKind, Config, Migration};
use serde_json::json;

/// Options of the `lint` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct LintArgs {
    /// Database to lint for: postgres, mysql or sqlite [default: the database
    /// URL's, else only the rules that hold on every database]
    #[arg(long, value_name = "DATABASE")]
    database: Option<Database>,
    /// Lint only migrations newer than this version; older ones count as applied
    #[arg(long, value_name = "VERSION")]
    after: Option<i64>,
    /// Turn a rule off for every script (repeatable)
    #[arg(long, value_name = "RULE")]
    allow: Vec<Rule>,
}

/// Lints `migrations` and prints the findings; exit code 1 when any is an
/// error (or an `-- migrate:allow` is malformed).
pub(super) fn run(
    json: bool,
    config: &Config,
    migrations: &[Migration],
    args: &LintArgs,
) -> ExitCode {
    let database = args.database.or_else(|| {
        let backend = BackendKind::from_url(config.database_url()?).ok()?;
        backend.name().parse().ok()
    });
    let mut options = LintOptions::default();
    options.database = database;
    options.after = args.after;
    options.allow = args.allow.clone();
    let report = lint(&Script::of_migrations(migrations), &options);
    let text = if json {
        format!("{:#}", report_json(database, &report))
    } else {
        human(database, &report)
    };
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn human(database: Option<Database>, report: &Report) -> String {
    let mut lines: Vec<String> = report
        .bad_allows
        .iter()
        .map(|bad| format!("error: {bad}"))
        .chain(
            report
                .findings
                .iter()
                .map(|finding| format!("{}: {finding}", finding.severity)),
        )
        .collect();
    lines.extend(
        report
            .unparsed_note(database)
            .map(|note| format!("note: {note}")),
    );
    let errors = report.errors().count() + report.bad_allows.len();
    lines.push(format!(
        "{errors} error(s), {} warning(s) (database: {})",
        report.warnings().count(),
        database.map_or("any", Database::name)
    ));
    lines.join("\n")
}

fn report_json(database: Option<Database>, report: &Report) -> serde_json::Value {
    json!({
        "database": database.map(Database::name),
        "ok": !report.has_errors(),
        "findings": report.findings.iter().map(|f| json!({
            "rule": f.rule.name(),
            "severity": f.severity.name(),
            "file": f.file,
            "line": f.line,
            "message": f.message,
            "why": f.why(),
            "fix": f.fix(),
        })).collect::<Vec<_>>(),
        "bad_allows": report.bad_allows.iter().map(|b| json!({
            "file": b.file,
            "line": b.line,
            "problem": b.problem,
        })).collect::<Vec<_>>(),
        "unparsed": report.unparsed.iter().map(|u| json!({
            "file": u.file,
            "line": u.line,
        })).collect::<Vec<_>>(),
    })
}
