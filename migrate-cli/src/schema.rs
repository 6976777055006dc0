//! `schema` and `drift`: the schema the migrations produce, as canonical
//! SQL to commit and check in CI, and how a live database differs from it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use migrata::schema::{Desired, Drift, GenerateOptions, Rename};
use migrata::testing::trace::{LockMode, TraceReport, Violation};
use migrata::{BackendKind, Config, Migrator};
use serde_json::json;

use super::Failure;

/// Options of the `schema` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct SchemaArgs {
    /// Exit 1, printing a diff, when FILE is not the current dump (a CI gate) [default FILE: schema.file from the config]
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with = "write")]
    check: Option<Option<PathBuf>>,
    /// Write the dump to FILE, replacing it [default FILE: schema.file from the config]
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    write: Option<Option<PathBuf>>,
    /// Dump the live database the URL names instead of replaying the migrations
    #[arg(long, conflicts_with_all = ["to", "scratch_url"])]
    live: bool,
    /// Replay migrations up to this version only
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
    to: Option<i64>,
    /// Where the migrations are replayed, on a temporary database: a server URL, or sqlite::memory: [default: schema.scratch_url, else the database URL's server]
    #[arg(long, value_name = "URL")]
    scratch_url: Option<String>,
}

/// Options of the `drift` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct DriftArgs {
    /// Leave out objects matching PATTERN (`*`, `?`), added to schema.ignore (repeatable)
    #[arg(long, value_name = "PATTERN")]
    ignore: Vec<String>,
    /// Where the applied migrations are replayed, on a temporary database [default: schema.scratch_url, else the database URL's server]
    #[arg(long, value_name = "URL")]
    scratch_url: Option<String>,
}

/// Options of the `trace` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct TraceArgs {
    /// Trace the migrations after this version [default: the database's newest applied version when a URL is given, else every migration]
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
    from: Option<i64>,
    /// Trace up to this version only
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
    to: Option<i64>,
    /// Exit 1 when a statement locks an existing table in MODE or stronger: access-exclusive (blocks reads), share (blocks writes), ... (a CI gate)
    #[arg(long, value_name = "MODE", value_parser = lock_mode)]
    deny: Option<LockMode>,
    /// Exit 1 when a statement rewrites an existing table
    #[arg(long)]
    deny_rewrite: bool,
    /// The PostgreSQL server the migrations are traced on, in a temporary database [default: schema.scratch_url, else the database URL's server]
    #[arg(long, value_name = "URL")]
    scratch_url: Option<String>,
}

fn lock_mode(name: &str) -> Result<LockMode, String> {
    name.parse()
        .map_err(|error: migrata::testing::trace::UnknownLockMode| error.to_string())
}

/// Options of the `diff` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct DiffArgs {
    /// The desired schema: a SQL file (what `schema --write` writes, or any DDL) or a database URL
    #[arg(long, value_name = "FILE|URL")]
    to: String,
    /// The new migration's name [default: schema_change]
    #[arg(long, value_name = "NAME", default_value = "schema_change")]
    name: String,
    /// Write steps that drop tables or columns (their data is lost); without it they are refused and listed
    #[arg(long)]
    allow_destructive: bool,
    /// A rename the comparison cannot see: `table=new_table` or `table.column=new_column` (repeatable)
    #[arg(long, value_name = "OLD=NEW")]
    rename: Vec<String>,
    /// Version it with the current UTC time instead of the next sequence number
    #[arg(long)]
    timestamp: bool,
    /// Print the scripts instead of writing files
    #[arg(long)]
    dry_run: bool,
    /// Where the migrations and the desired schema are applied, on temporary databases [default: schema.scratch_url, else the database URL's server]
    #[arg(long, value_name = "URL")]
    scratch_url: Option<String>,
}

/// Options of the `squash` subcommand.
#[derive(Debug, clap::Args)]
pub(super) struct SquashArgs {
    /// The newest migration to replace: every migration up to it becomes one baseline with its version
    #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
    up_to: i64,
    /// Squash even though replaced scripts write rows (INSERT, UPDATE, COPY, ...): a schema dump holds no rows, so new databases will lack them
    #[arg(long)]
    allow_data_loss: bool,
    /// Print the baseline and the files it replaces instead of writing and deleting them
    #[arg(long)]
    dry_run: bool,
    /// Where the migrations and the baseline are replayed, on temporary databases [default: schema.scratch_url, else the database URL's server]
    #[arg(long, value_name = "URL")]
    scratch_url: Option<String>,
}

/// The scratch URL: the flag, the config, else the database's own server
/// (for SQLite, memory).
fn scratch_url(
    flag: &Option<String>,
    config: &Config,
    url: Option<&str>,
) -> Result<String, Failure> {
    let own_server = |url: &str| match BackendKind::from_url(url) {
        Ok(BackendKind::Sqlite) => "sqlite::memory:".to_owned(),
        _ => url.to_owned(),
    };
    flag.clone()
        .or_else(|| config.schema.scratch_url.clone())
        .or_else(|| url.map(own_server))
        .ok_or_else(|| {
            Failure::Usage(
                "no database to replay the migrations on: pass --scratch-url (a server URL, or sqlite::memory:), set schema.scratch_url in migrate.toml, or give a database URL".to_owned(),
            )
        })
}

pub(super) async fn schema(
    json: bool,
    config: &Config,
    migrator: &Migrator<'_>,
    url: Option<&str>,
    args: &SchemaArgs,
) -> Result<ExitCode, Failure> {
    let schema = if args.live {
        let url = url.ok_or_else(|| {
            Failure::Usage("`schema --live` reads the database the URL names: pass --database-url, set MIGRATE_DATABASE_URL or DATABASE_URL, or set database.url in migrate.toml".to_owned())
        })?;
        migrator.at(url).inspect().await?
    } else {
        let migrator = match args.to {
            Some(to) => migrator.clone().target(to),
            None => migrator.clone(),
        };
        migrator
            .schema(&scratch_url(&args.scratch_url, config, url)?)
            .await?
    };
    let dump = schema.to_sql();
    let file = |given: &Option<PathBuf>| {
        given
            .clone()
            .or_else(|| config.schema.file.clone())
            .ok_or_else(|| {
                Failure::Usage(
                    "name the schema file: --check FILE / --write FILE, or schema.file in migrate.toml"
                        .to_owned(),
                )
            })
    };
    if let Some(given) = &args.check {
        let path = file(given)?;
        return Ok(check(json, &path, &dump));
    }
    if let Some(given) = &args.write {
        let path = file(given)?;
        std::fs::write(&path, &dump)
            .map_err(|error| Failure::Io(format!("cannot write {}: {error}", path.display())))?;
        if json {
            print(
                &json!({ "written": path.display().to_string(), "objects": schema.object_count() })
                    .to_string(),
            );
        } else {
            print(&format!(
                "wrote {} ({} objects)",
                path.display(),
                schema.object_count()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let value =
            serde_json::to_value(&schema).map_err(|error| Failure::Io(error.to_string()))?;
        print(&format!("{value:#}"));
    } else {
        let _ = write!(std::io::stdout().lock(), "{dump}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `--check`: 0 when `path` holds `dump`, else 1 with a unified diff.
fn check(json: bool, path: &Path, dump: &str) -> ExitCode {
    let committed = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            let message = format!(
                "cannot read {}: {error}; create it with `schema --write {}`",
                path.display(),
                path.display()
            );
            if json {
                print(&json!({ "ok": false, "error": message }).to_string());
            } else {
                super::output::complain!("error: {message}");
            }
            return ExitCode::FAILURE;
        }
    };
    if committed == dump {
        if json {
            print(&json!({ "ok": true, "file": path.display().to_string() }).to_string());
        } else {
            print(&format!("ok: {} is up to date", path.display()));
        }
        return ExitCode::SUCCESS;
    }
    let diff = similar::TextDiff::from_lines(committed.as_str(), dump)
        .unified_diff()
        .context_radius(3)
        .header(&path.display().to_string(), "migrations")
        .to_string();
    if json {
        print(
            &json!({ "ok": false, "file": path.display().to_string(), "diff": diff }).to_string(),
        );
    } else {
        let _ = write!(std::io::stdout().lock(), "{diff}");
        super::output::complain!(
            "error: {} is out of date with the migrations (diff above); refresh it with `schema --write {}`",
            path.display(),
            path.display()
        );
    }
    ExitCode::FAILURE
}

pub(super) async fn drift(
    json: bool,
    config: &Config,
    migrator: &Migrator<'_>,
    url: &str,
    args: &DriftArgs,
) -> Result<ExitCode, Failure> {
    let scratch = scratch_url(&args.scratch_url, config, Some(url))?;
    let ignore: Vec<&str> = config
        .schema
        .ignore
        .iter()
        .chain(&args.ignore)
        .map(String::as_str)
        .collect();
    let drift = migrator.at(url).drift(&scratch).await?.ignoring(&ignore);
    report(json, &drift);
    Ok(if drift.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn report(json: bool, drift: &Drift) {
    if json {
        let differences: Vec<serde_json::Value> = drift
            .differences
            .iter()
            .map(|difference| {
                let mut value = serde_json::to_value(difference).unwrap_or_default();
                if let Some(object) = value.as_object_mut() {
                    object.insert("path".into(), difference.path().into());
                    object.insert("summary".into(), difference.to_string().into());
                }
                value
            })
            .collect();
        print(&format!(
            "{:#}",
            json!({ "ok": drift.is_empty(), "version": drift.version, "differences": differences })
        ));
        return;
    }
    let at = drift.version.map_or_else(
        || "no migration applied".to_owned(),
        |v| format!("applied up to version {v}"),
    );
    if drift.is_empty() {
        print(&format!(
            "ok: the schema is what its migrations produce ({at})"
        ));
    } else {
        print(&format!(
            "drift: {} difference(s) from the schema the migrations produce ({at}):",
            drift.differences.len()
        ));
        for difference in &drift.differences {
            print(&format!("  {difference}"));
        }
    }
}

pub(super) async fn trace(
    json: bool,
    config: &Config,
    migrator: &Migrator<'_>,
    url: Option<&str>,
    args: &TraceArgs,
) -> Result<ExitCode, Failure> {
    let scratch = scratch_url(&args.scratch_url, config, url)?;
    let after = match (args.from, url) {
        (Some(from), _) => Some(from),
        (None, Some(url)) => migrator.at(url).status().await?.newest_applied(),
        (None, None) => None,
    };
    let migrator = match args.to {
        Some(to) => migrator.clone().target(to),
        None => migrator.clone(),
    };
    let report = migrator.trace(&scratch, after).await?;
    let mut over = args
        .deny
        .map(|mode| report.violations(mode))
        .unwrap_or_default();
    if args.deny_rewrite {
        over.extend(report.rewrites());
    }
    over.sort_by_key(|violation| (violation.version, violation.line));
    over.dedup();
    print_trace(json, &report, &over, args.deny);
    Ok(if over.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_trace(json: bool, report: &TraceReport, over: &[Violation], deny: Option<LockMode>) {
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("ok".into(), over.is_empty().into());
            object.insert(
                "violations".into(),
                serde_json::to_value(over).unwrap_or_default(),
            );
        }
        print(&format!("{value:#}"));
        return;
    }
    let _ = write!(std::io::stdout().lock(), "{report}");
    for migration in report.unmeasured() {
        super::output::complain!(
            "note: {} ran outside the trace's transaction, so its locks were not measured (see the table)",
            migration.file
        );
    }
    if !over.is_empty() {
        let budget = match deny {
            Some(mode) => format!("{mode} or stronger"),
            None => "no rewrite".to_owned(),
        };
        super::output::complain!(
            "error: {} statement(s) over the budget ({budget}):",
            over.len()
        );
        for violation in over {
            super::output::complain!("  {violation}");
        }
    }
}

fn print(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

pub(super) async fn diff(
    out: &super::output::Output,
    config: &Config,
    migrator: &Migrator<'_>,
    dir: &Path,
    args: &DiffArgs,
) -> Result<ExitCode, Failure> {
    let scratch = scratch_url(&args.scratch_url, config, config.database_url())?;
    let desired_sql;
    let desired = if BackendKind::from_url(&args.to).is_ok() {
        Desired::Url(&args.to)
    } else {
        desired_sql = std::fs::read_to_string(&args.to)
            .map_err(|error| Failure::Io(format!("cannot read {}: {error}", args.to)))?;
        Desired::Sql(&desired_sql)
    };
    let current = migrator.schema(&scratch).await?;
    let mut options = GenerateOptions::default();
    options.allow_destructive = args.allow_destructive;
    for rename in &args.rename {
        options
            .renames
            .push(Rename::parse(rename, &current).map_err(Failure::Usage)?);
    }
    let draft = migrator.diff(&scratch, desired, &options).await?;
    let generated = &draft.plan;
    let mut written: Vec<String> = Vec::new();
    // Nothing is written while a step is refused: a migration that leaves
    // out the drops would not reach the desired schema.
    if !args.dry_run && !draft.up.is_empty() && generated.refused.is_empty() {
        // One migration per script; the down script belongs to the last
        // (reverted first) only when there is a single one.
        let single = draft.up.len() == 1;
        let down = single.then(|| scripts_text(&draft.down));
        for (i, script) in draft.up.iter().enumerate() {
            let name = if single {
                args.name.clone()
            } else {
                format!("{}_{}", args.name, i + 1)
            };
            let paths = super::new::create_script(
                dir,
                config.migrate.exclude(),
                &name,
                args.timestamp,
                &script.sql,
                down.as_deref(),
            )
            .map_err(Failure::Io)?;
            written.extend(paths.iter().map(|p| p.display().to_string()));
        }
    }
    if out.is_json() {
        let value = json!({
            "written": written,
            "up": draft.up.iter().map(|s| s.sql.clone()).collect::<Vec<_>>(),
            "down": draft.down.iter().map(|s| s.sql.clone()).collect::<Vec<_>>(),
            "steps": generated.steps.len(),
            "refused": generated.refused.iter().map(|r| r.reason.clone()).collect::<Vec<_>>(),
            "possible_renames": generated.possible_renames,
        });
        print(&format!("{value:#}"));
    } else {
        if draft.up.is_empty() && generated.refused.is_empty() {
            print("no changes: the migrations already produce the desired schema");
        }
        if args.dry_run {
            for script in &draft.up {
                print(&script.sql);
            }
        }
        for path in &written {
            print(&format!("created {path}"));
        }
        for refusal in &generated.refused {
            super::output::complain!("refused: {}", refusal.reason);
        }
        for (table, old, new) in &generated.possible_renames {
            let hint = if table.is_empty() {
                format!("{old}={new}")
            } else {
                format!("{table}.{old}={new}")
            };
            super::output::complain!(
                "note: {} dropped and {} added with the same shape: if it was renamed, pass --rename {hint}",
                if table.is_empty() { old.clone() } else { format!("{table}.{old}") },
                if table.is_empty() { new.clone() } else { format!("{table}.{new}") },
            );
        }
    }
    Ok(if generated.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn scripts_text(scripts: &[migrata::schema::GeneratedScript]) -> String {
    scripts
        .iter()
        .map(|s| s.sql.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) async fn squash(
    out: &super::output::Output,
    config: &Config,
    migrator: &Migrator<'_>,
    dir: &Path,
    args: &SquashArgs,
) -> Result<ExitCode, Failure> {
    let scratch = scratch_url(&args.scratch_url, config, config.database_url())?;
    let squash = migrator.squash(&scratch, args.up_to).await?;
    let lost: Vec<String> = squash
        .row_writes
        .iter()
        .map(|write| format!("{} line {}: {}", write.file, write.line, write.verb))
        .collect();
    let refused = !lost.is_empty() && !args.allow_data_loss;
    let write = !args.dry_run && !refused;
    if write {
        replace_with_baseline(dir, &squash.replaced, &squash.path, &squash.sql)
            .map_err(Failure::Io)?;
    }
    if out.is_json() {
        print(&format!(
            "{:#}",
            json!({
                "ok": !refused,
                "written": write.then(|| dir.join(&squash.path).display().to_string()),
                "baseline": squash.path,
                "version": squash.version,
                "replaced": squash.replaced,
                "objects": squash.schema.object_count(),
                "row_writes": lost,
                "sql": args.dry_run.then_some(&squash.sql),
            })
        ));
    } else {
        if args.dry_run {
            let _ = write!(std::io::stdout().lock(), "{}", squash.sql);
        }
        let verb = if write { "replaced" } else { "would replace" };
        print(&format!(
            "{verb} {} migration(s) up to version {} by {} ({} objects): {}",
            squash.replaced.len(),
            squash.version,
            dir.join(&squash.path).display(),
            squash.schema.object_count(),
            squash.replaced.join(", ")
        ));
        for statement in &lost {
            super::output::complain!(
                "{}: {statement} writes rows, which the baseline (a schema) does not hold",
                if refused { "refused" } else { "warning" }
            );
        }
        if refused {
            super::output::complain!(
                "error: nothing was written: new databases would lack those rows; move them to a migration after version {} (or a seed script), or pass --allow-data-loss",
                squash.version
            );
        }
    }
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Deletes the replaced migrations (their down scripts, and diesel's
/// directories whole) and writes the baseline, written first beside them
/// under a hidden name, which loading skips, so a failure leaves either
/// the old directory or a complete baseline.
fn replace_with_baseline(
    dir: &Path,
    replaced: &[String],
    baseline: &str,
    sql: &str,
) -> Result<(), String> {
    let target = dir.join(baseline);
    let staged = dir.join(format!(".{}.squash", baseline.replace('/', "_")));
    std::fs::write(&staged, sql)
        .map_err(|error| format!("cannot write {}: {error}", staged.display()))?;
    let cannot_remove =
        |path: &Path, error: std::io::Error| format!("cannot remove {}: {error}", path.display());
    for up in replaced {
        match up.split_once('/') {
            Some((migration_dir, _)) => {
                let path = dir.join(migration_dir);
                std::fs::remove_dir_all(&path).map_err(|error| cannot_remove(&path, error))?;
            }
            None => {
                let path = dir.join(up);
                std::fs::remove_file(&path).map_err(|error| cannot_remove(&path, error))?;
                if let Some(stem) = up.strip_suffix(".up.sql") {
                    let down = dir.join(format!("{stem}.down.sql"));
                    match std::fs::remove_file(&down) {
                        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                            return Err(cannot_remove(&down, error))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    std::fs::rename(&staged, &target)
        .map_err(|error| format!("cannot write {}: {error}", target.display()))
}
