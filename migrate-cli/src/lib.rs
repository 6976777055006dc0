//! The command line of [migrata](https://docs.rs/migrata): the standalone
//! `migrata` command (`cargo install --path migrate-cli` in the repository),
//! and the same subcommands (`status`, `up`, `replicas`, `down`, `sql`, `verify`,
//! `stamp`, `repair`, `adopt`, `lint`, `database`, `schema`, `drift`, `trace`, `new`) for an app binary to
//! expose over the migrations it embeds, so a single-binary deploy needs no
//! separate tool on the server:
//!
//! ```no_run
//! static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
//!     if args.get(1).is_some_and(|arg| arg == "migrate") {
//!         // `myapp migrate status`, `myapp migrate sql --backend postgres`, ...
//!         return migrata_cli::run_from(&MIGRATIONS, args.into_iter().skip(1)).await;
//!     }
//!     // ... the app's normal job ...
//!     std::process::ExitCode::SUCCESS
//! }
//! ```
//!
//! Settings come from `migrate.toml` (or `--config`), then
//! `MIGRATE_DATABASE_URL` / `DATABASE_URL`, then `--database-url`. Output is
//! a human-readable table, or JSON with `--json`. Exit codes: 0 success, 1
//! failure (including `verify` finding drift), 2 usage error. Logs go to
//! stderr, filtered by `RUST_LOG` or `log.level`.
//!
//! Features: the databases (`sqlite`, `postgres`, `mysql`) and TLS backends
//! (`tls-rustls`, ...) are migrata's, passed through. With only those, an
//! app gets every subcommand that runs against the database, and little
//! else in its binary. The rest is opt-in; a subcommand the build leaves
//! out is named with its feature in `--help`, and asking for it says which
//! feature to add (exit code 2):
//!
//! - `adopt`: the `adopt` subcommand, taking over the history of sqlx,
//!   refinery or diesel (a one-time step when switching tools);
//! - `lint`: the `lint` subcommand (adds the SQL parser);
//! - `schema`: `schema`, `drift`, `trace`, `diff` and `squash`, those that
//!   replay migrations on a temporary database (turns on `new`);
//! - `new`: the `new` subcommand and `--dir` (the macro's directory loader);
//! - `env-filter`: `RUST_LOG` and `log.level` in tracing-subscriber's full
//!   `EnvFilter` syntax (adds a regex engine); without it they are
//!   `target=level` directives (`warn`, `migrata=info,sqlx=warn`);
//! - `rich-help`: coloured help and usage errors, "did you mean"
//!   suggestions.
//!
//! The default, `standalone`, is what the `migrata` binary needs: every
//! database, `tls-rustls`, all of the above and `completions`. An app names
//! its own: `migrata-cli = { path = "migrate-cli", default-features = false, features = ["postgres"] }`.

mod database;
#[cfg(feature = "lint")]
mod lint;
#[cfg(feature = "new")]
mod new;
mod output;
mod progress;
#[cfg(feature = "schema")]
mod schema;
mod values;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use migrata::{redact_url, BackendKind, Config, Error, Migration, Migrations, Migrator, Repair};
use output::Output;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

/// Runs the subcommand named by the process arguments over `migrations`.
pub async fn run(migrations: &Migrations) -> ExitCode {
    run_from(migrations, std::env::args_os()).await
}

/// Runs the subcommand in `args` (the first item is the program name, as in
/// `std::env::args_os()`) over the embedded `migrations`.
pub async fn run_from<I, T>(migrations: &Migrations, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // Boxed: the app's runtime may poll `main` from more than one place
    // (tokio's current-thread runtime has two), and each would otherwise
    // get its own copy of the whole command line (bench/footprint).
    let run: BoxFuture<'_, ExitCode> = Box::pin(run_embedded(
        migrations,
        args.into_iter().map(Into::into).collect(),
    ));
    run.await
}

/// A boxed future (not `Send`: the command line's never was, its
/// references held across awaits defeat the inference, rust-lang/rust#100013).
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

async fn run_embedded(migrations: &Migrations, args: Vec<OsString>) -> ExitCode {
    let cli = match EmbeddedCli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(usage) => return usage_exit(usage),
    };
    let Some(config) = setup(&cli.global) else {
        return ExitCode::from(2);
    };
    // The subcommands that write into the migrations directory: the one
    // the debug build embedded, or --dir.
    #[cfg(feature = "new")]
    let out = Output::new(cli.global.json);
    #[cfg(feature = "new")]
    let dir = || {
        cli.dir.as_deref().or(migrations.source_dir()).ok_or_else(|| {
            out.usage(
                "this binary was built in release mode and does not know its migrations directory: pass --dir",
            )
        })
    };
    let migrator = config.apply_to(migrations.migrator());
    // One arm when the features name no subcommand of its own.
    #[cfg_attr(not(feature = "new"), allow(clippy::infallible_destructuring_match))]
    let command = match &cli.command {
        EmbeddedCommand::Shared(command) => command,
        #[cfg(feature = "new")]
        EmbeddedCommand::New(args) => {
            let dir = match dir() {
                Ok(dir) => dir,
                Err(code) => return code,
            };
            let exclude = match migrata_core::Exclude::new(migrations.exclude().iter().copied()) {
                Ok(exclude) => exclude,
                Err(error) => return out.failure(&error.to_string()),
            };
            return out.created(args.create(dir, &exclude));
        }
        #[cfg(feature = "schema")]
        EmbeddedCommand::Diff(args) => {
            return match dir() {
                Ok(dir) => out.finish(schema::diff(&out, &config, &migrator, dir, args).await),
                Err(code) => code,
            };
        }
        #[cfg(feature = "schema")]
        EmbeddedCommand::Squash(args) => {
            return match dir() {
                Ok(dir) => out.finish(schema::squash(&out, &config, &migrator, dir, args).await),
                Err(code) => code,
            };
        }
    };
    execute(&cli.global, &config, &migrator, migrations.all(), command).await
}

/// Entry point of the standalone `migrata` binary: reads the migrations
/// directory (`--dir`, else `migrate.dir` from the config, else
/// `migrations`, less what `migrate.exclude` matches) at run time, through
/// the same parser as the macro.
pub async fn run_standalone<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let run: BoxFuture<'_, ExitCode> =
        Box::pin(run_directory(args.into_iter().map(Into::into).collect()));
    run.await
}

async fn run_directory(args: Vec<OsString>) -> ExitCode {
    let cli = match StandaloneCli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(usage) => return usage_exit(usage),
    };
    let Some(config) = setup(&cli.global) else {
        return ExitCode::from(2);
    };
    let dir = cli
        .dir
        .clone()
        .unwrap_or_else(|| config.migrate.dir().to_owned());
    let out = Output::new(cli.global.json);
    // One arm when the features name no subcommand of its own.
    #[cfg_attr(not(feature = "new"), allow(clippy::infallible_destructuring_match))]
    let command = match &cli.command {
        StandaloneCommand::Shared(command) => command,
        #[cfg(feature = "schema")]
        StandaloneCommand::Diff(args) => {
            let migrations = match load_dir(&dir, &config) {
                Ok(migrations) => migrations,
                Err(error) => return out.failure(&error.to_string()),
            };
            let migrator = config.migrator(&migrations);
            return out.finish(schema::diff(&out, &config, &migrator, &dir, args).await);
        }
        #[cfg(feature = "schema")]
        StandaloneCommand::Squash(args) => {
            let migrations = match load_dir(&dir, &config) {
                Ok(migrations) => migrations,
                Err(error) => return out.failure(&error.to_string()),
            };
            let migrator = config.migrator(&migrations);
            return out.finish(schema::squash(&out, &config, &migrator, &dir, args).await);
        }
        #[cfg(feature = "standalone")]
        StandaloneCommand::Completions { shell } => {
            let mut command = <StandaloneCli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "migrata", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        #[cfg(feature = "new")]
        StandaloneCommand::New(args) => {
            return out.created(args.create(&dir, config.migrate.exclude()));
        }
    };
    // `database create` / `drop` work on the database alone: a project
    // without its migrations directory yet may create its database.
    let migrations: Vec<Migration> = match command {
        Command::Database(database) if !database.migrates() => Vec::new(),
        _ => match migrata_core::read_dir(&dir, config.migrate.exclude()) {
            Ok(directory) => {
                if cli.global.verbose {
                    out.directory(&dir, &directory);
                }
                directory.migrations
            }
            Err(error) => return out.failure(&error.to_string()),
        },
    };
    let migrator = config.migrator(&migrations);
    execute(&cli.global, &config, &migrator, &migrations, command).await
}

/// The migrations of `dir`, less what `migrate.exclude` matches.
#[cfg(feature = "schema")]
fn load_dir(
    dir: &std::path::Path,
    config: &Config,
) -> Result<Vec<Migration>, migrata_core::Errors> {
    migrata_core::load_dir_excluding(dir, config.migrate.exclude())
}

#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    about = "Apply, inspect and render this binary's database migrations",
    after_help = left_out_help()
)]
struct EmbeddedCli {
    #[command(flatten)]
    global: GlobalArgs,
    /// For `new`: the migrations directory [default: the one the binary was built from, in debug builds]
    #[cfg(feature = "new")]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: EmbeddedCommand,
}

#[derive(Debug, Subcommand)]
enum EmbeddedCommand {
    #[command(flatten)]
    Shared(Command),
    /// Create the next migration file in the directory the binary was built from (or --dir); rebuild to embed it
    #[cfg(feature = "new")]
    New(new::NewArgs),
    /// Write the next migration into the directory the binary was built from (or --dir): the changes from the schema these migrations produce to a desired one (a schema.sql or a database URL)
    #[cfg(feature = "schema")]
    Diff(schema::DiffArgs),
    /// Replace the migrations up to a version, in the directory the binary was built from (or --dir), with one baseline script of the schema they produce; rebuild to embed it
    #[cfg(feature = "schema")]
    Squash(schema::SquashArgs),
}

#[derive(Debug, Parser)]
#[command(
    name = "migrata",
    version,
    about = "Apply, inspect and render the SQL migrations of a directory"
)]
struct StandaloneCli {
    #[command(flatten)]
    global: GlobalArgs,
    /// Migrations directory [default: `migrate.dir` from the config, else `migrations`]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: StandaloneCommand,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct GlobalArgs {
    /// Database URL; overrides migrate.toml, MIGRATE_DATABASE_URL and DATABASE_URL
    #[arg(long, short = 'd', global = true, value_name = "URL", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    database_url: Option<String>,
    /// Configuration file [default: migrate.toml, if present]
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON instead of tables
    #[arg(long, global = true)]
    json: bool,
    /// Read environment variables (DATABASE_URL, MIGRATE_DATABASE_URL) from this dotenv file; variables already set win. Nothing is read from `.env` unless asked
    #[arg(long, global = true, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Say on stderr which configuration file and migrations directory were read, and which files in it are not migrations
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every migration: applied, pending, out-of-order, divergent, missing or failed
    Status,
    /// Apply pending migrations
    Up {
        /// Stop after this version
        #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
        to: Option<i64>,
        /// Apply contract migrations (`-- migrate:phase contract`) now, even while replicas of an older release run
        #[arg(long)]
        contract: bool,
    },
    /// List the processes registered as replicas (`run_with_presence`): host, pid, the newest migration each embeds, when it started and was last seen, live or dead. A live one of an older release holds contract migrations
    Replicas,
    /// Revert the newest applied migration, or with --to every applied migration newer than a version, with their down scripts
    Down {
        /// The version to end at: migrations newer than it are reverted (0 reverts every positive version, -1 version 0 too) [default: revert only the newest]
        #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
        to: Option<i64>,
    },
    /// Print the SQL a run would execute, without connecting
    Sql {
        /// Backend to render for [default: the database URL's]
        #[arg(long, value_enum)]
        backend: Option<values::BackendArg>,
        /// Start after this version (up), or from this version (down)
        #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
        from: Option<i64>,
        /// End at this version
        #[arg(long, value_name = "VERSION", allow_negative_numbers = true)]
        to: Option<i64>,
        /// Render the revert direction (needs --to)
        #[arg(long, requires = "to")]
        down: bool,
        /// Render what `up` would run on the database now (reads its history, writes nothing); exits 1 when it stops before a code migration
        #[arg(long, conflicts_with_all = ["backend", "from", "to", "down"])]
        pending: bool,
    },
    /// Exit 1 exactly when `up` would refuse to run (divergent, missing, failed or out-of-order migrations the policies do not allow): a deploy gate
    Verify {
        /// Exit 1 on any divergent, missing, failed or out-of-order migration, whatever the policies allow
        #[arg(long)]
        strict: bool,
    },
    /// Record migrations up to VERSION as applied without running them
    Stamp {
        /// The newest version to record
        #[arg(allow_negative_numbers = true)]
        version: i64,
    },
    /// Settle rows of failed migrations after fixing the schema by hand: a failed up script's row is cleared (it runs again), a failed down script's row is marked applied (reverting can be retried)
    Repair {
        /// Clear every failed row instead: the migration counts as not applied
        #[arg(long, conflicts_with = "mark_applied")]
        clear: bool,
        /// Mark every failed row applied instead: the migration counts as applied
        #[arg(long)]
        mark_applied: bool,
    },
    /// Take over the history of sqlx, refinery or diesel: record what it applied as applied, once it matches these migrations
    #[cfg(feature = "adopt")]
    Adopt {
        /// The tool whose history table to read
        #[arg(long, value_enum, value_name = "TOOL")]
        from: values::PeerArg,
        /// Check and show what would be recorded, without writing
        #[arg(long)]
        dry_run: bool,
    },
    /// Check the scripts with the compile-time lint's rules; exit 1 on errors
    #[cfg(feature = "lint")]
    Lint(lint::LintArgs),
    /// Create or drop the database the URL names
    #[command(subcommand)]
    Database(database::DatabaseCommand),
    /// Print the canonical SQL of the schema the migrations produce (replayed on a temporary database, never the target); --check FILE exits 1 with a diff when FILE is out of date, --write FILE refreshes it
    #[cfg(feature = "schema")]
    Schema(schema::SchemaArgs),
    /// Exit 1, listing each difference, when the live database's schema is not what its applied migrations produce (objects added, dropped or changed by hand)
    #[cfg(feature = "schema")]
    Drift(schema::DriftArgs),
    /// Show what each statement of the pending migrations locks and rewrites (PostgreSQL), measured on a temporary database; --deny MODE exits 1 over a budget
    #[cfg(feature = "schema")]
    Trace(schema::TraceArgs),
}

#[derive(Debug, Subcommand)]
enum StandaloneCommand {
    #[command(flatten)]
    Shared(Command),
    /// Create the next migration file in the migrations directory
    #[cfg(feature = "new")]
    New(new::NewArgs),
    /// Write the next migration: the changes from the schema the migrations produce to a desired one (a schema.sql or a database URL), with its down script
    #[cfg(feature = "schema")]
    Diff(schema::DiffArgs),
    /// Replace the migrations up to a version by one baseline script holding the schema they leave: new databases run it, databases that applied them skip it
    #[cfg(feature = "schema")]
    Squash(schema::SquashArgs),
    /// Print the shell completion script of this command (e.g. `migrata completions bash > /etc/bash_completion.d/migrata`)
    #[cfg(feature = "standalone")]
    Completions {
        /// The shell to complete in
        shell: clap_complete::Shell,
    },
}

/// Loads the configuration (file, then the environment, then `--env-file`
/// for variables the environment leaves unset), applies `--database-url`,
/// installs logging. `None` after printing the problem: a usage error.
fn setup(global: &GlobalArgs) -> Option<Config> {
    let loaded = Config::from_file(global.config.as_deref())
        .map_err(|error| error.to_string())
        .and_then(|config| {
            let file = match &global.env_file {
                Some(path) => database::read_env_file(path)?,
                None => Default::default(),
            };
            let mut config = config;
            config.apply_env(|name| {
                std::env::var(name)
                    .ok()
                    .filter(|value| !value.is_empty())
                    .or_else(|| file.get(name).cloned())
            });
            Ok(config)
        });
    let mut config = match loaded {
        Ok(config) => config,
        Err(error) => {
            output::complain!("error: {error}");
            return None;
        }
    };
    if let Some(url) = &global.database_url {
        config.database.url = Some(url.clone());
    }
    if global.verbose {
        output::complain!("config: {}", config_source(&config));
    }
    if let Some(path) = &global.env_file {
        // Variables from a file are easy to forget: say where they point.
        let target = config.database_url().map_or_else(
            || "no database URL".to_owned(),
            |url| format!("database {}", redact_url(url)),
        );
        output::complain!("{}: {target}", path.display());
    }
    let filter = log_filter(config.log.level());
    let color = output::colored(&std::io::stderr());
    // On a terminal, progress whatever the log level (redirected output
    // gets the report alone); an app that already installed a subscriber
    // keeps it.
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_filter(filter);
    let progress = std::io::stderr().is_terminal().then(|| {
        progress::Progress::new().with_filter(
            tracing_subscriber::filter::Targets::new().with_target("migrata", tracing::Level::INFO),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(progress)
        .try_init();
    Some(config)
}

/// The filter of the logs: `RUST_LOG`, else `log.level`, else `warn`, in
/// tracing-subscriber's `EnvFilter` syntax (span and field filters,
/// regexes).
#[cfg(feature = "env-filter")]
fn log_filter(level: &str) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("warn"))
}

/// The filter of the logs: `RUST_LOG`, else `log.level`, else `warn`, as
/// `target=level` directives (`warn`, `migrata=info,sqlx=debug`), which need
/// no regex engine in an app's binary.
#[cfg(not(feature = "env-filter"))]
fn log_filter(level: &str) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::Targets;
    std::env::var("RUST_LOG")
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .and_then(|directives| directives.parse().ok())
        .or_else(|| level.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::WARN))
}

/// The file the configuration came from, or where none was found: the one
/// rule is `-c FILE`, else `migrate.toml` in the current directory.
fn config_source(config: &Config) -> String {
    match config.file() {
        Some(file) => file.display().to_string(),
        None => {
            let cwd = std::env::current_dir()
                .map_or_else(|_| ".".to_owned(), |dir| dir.display().to_string());
            format!("no {} found in {cwd}", Config::DEFAULT_PATH)
        }
    }
}

fn usage_exit(usage: clap::Error) -> ExitCode {
    if let Some(clap::error::ContextValue::String(name)) =
        usage.get(clap::error::ContextKind::InvalidSubcommand)
    {
        if let Some((_, feature)) = left_out().find(|(left, _)| left == name) {
            output::complain!(
                "error: `{name}` is not in this build of the command: it needs migrata-cli's `{feature}` feature (`features = [..., \"{feature}\"]`; the standalone `migrata` command has every subcommand)"
            );
            return ExitCode::from(2);
        }
    }
    let _ = usage.print();
    if usage.use_stderr() {
        ExitCode::from(2)
    } else {
        // --help and --version
        ExitCode::SUCCESS
    }
}

/// The subcommands a feature of this crate brings: the name, the feature,
/// and whether this build has it.
const GATED: [(&str, &str, bool); 8] = [
    ("adopt", "adopt", cfg!(feature = "adopt")),
    ("lint", "lint", cfg!(feature = "lint")),
    ("new", "new", cfg!(feature = "new")),
    ("schema", "schema", cfg!(feature = "schema")),
    ("drift", "schema", cfg!(feature = "schema")),
    ("trace", "schema", cfg!(feature = "schema")),
    ("diff", "schema", cfg!(feature = "schema")),
    ("squash", "schema", cfg!(feature = "schema")),
];

/// The subcommands this build leaves out, each with the feature that
/// brings it: an app's command line says which to turn on rather than
/// "unrecognized subcommand".
fn left_out() -> impl Iterator<Item = (&'static str, &'static str)> {
    GATED
        .into_iter()
        .filter(|(_, _, built)| !built)
        .map(|(name, feature, _)| (name, feature))
}

/// The end of the embedded command's `--help`: the subcommands this build
/// leaves out, and the features that bring them.
fn left_out_help() -> clap::builder::Resettable<clap::builder::StyledStr> {
    // "schema, drift, trace, diff, squash (`schema`)": GATED lists the
    // subcommands of one feature together.
    let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
    for (name, feature) in left_out() {
        match groups.last_mut() {
            Some((names, last)) if *last == feature => names.push(name),
            _ => groups.push((vec![name], feature)),
        }
    }
    if groups.is_empty() {
        return clap::builder::Resettable::Reset;
    }
    let groups: Vec<String> = groups
        .iter()
        .map(|(names, feature)| format!("{} (`{feature}`)", names.join(", ")))
        .collect();
    clap::builder::Resettable::Value(
        format!(
            "Not in this build, each added by a feature of migrata-cli: {}",
            groups.join("; ")
        )
        .into(),
    )
}

/// Why a subcommand did not succeed.
enum Failure {
    /// Bad invocation: exit code 2.
    Usage(String),
    /// The work failed: exit code 1.
    Failed(Error),
    /// A file could not be read or written: exit code 1.
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    Io(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Failed(error)
    }
}

async fn execute(
    global: &GlobalArgs,
    config: &Config,
    migrator: &Migrator<'_>,
    migrations: &[Migration],
    command: &Command,
) -> ExitCode {
    let out = Output::new(global.json);
    out.finish(run_command(&out, config, migrator, migrations, command).await)
}

// Only `lint` reads the scripts themselves; the other subcommands go through
// `migrator`.
#[cfg_attr(not(feature = "lint"), allow(unused_variables))]
async fn run_command(
    out: &Output,
    config: &Config,
    migrator: &Migrator<'_>,
    migrations: &[Migration],
    command: &Command,
) -> Result<ExitCode, Failure> {
    let url = || {
        config.database_url().map(database::sqlite_if_plain_path).ok_or_else(|| {
            Failure::Usage("no database URL: pass --database-url, set MIGRATE_DATABASE_URL or DATABASE_URL, or set database.url in migrate.toml".to_owned())
        })
    };
    Ok(match command {
        Command::Status => out.status(
            &migrator.at(&url()?).status().await?,
            &config_source(config),
        ),
        Command::Replicas => out.replicas(&migrator.at(&url()?).replicas().await?),
        Command::Verify { strict } => out.verify(&migrator.at(&url()?).status().await?, *strict),
        Command::Up { to, contract } => {
            let migrator = match to {
                Some(to) => migrator.clone().target(*to),
                None => migrator.clone(),
            }
            .contract_now(*contract);
            let url = url()?;
            database::create_sqlite_file_if_missing(&url).await?;
            let code = out.report(&migrator.run(&url).await?);
            if let Some(to) = to {
                let status = migrator.at(&url).status().await?;
                out.stopped_at(*to, status.pending().count());
            }
            code
        }
        Command::Down { to: Some(to) } => out.report(&migrator.at(&url()?).revert(*to).await?),
        Command::Down { to: None } => out.report(&migrator.at(&url()?).revert_last().await?),
        Command::Database(command) => database::run(out, &url()?, command, migrator).await?,
        Command::Stamp { version } => {
            out.versions("stamped", &migrator.at(&url()?).stamp(*version).await?)
        }
        Command::Repair {
            clear,
            mark_applied,
        } => {
            let choice = match (clear, mark_applied) {
                (true, _) => Repair::Clear,
                (_, true) => Repair::MarkApplied,
                _ => Repair::AsFailureCallsFor,
            };
            out.repaired(&migrator.at(&url()?).repair(choice).await?)
        }
        #[cfg(feature = "adopt")]
        Command::Adopt { from, dry_run } => {
            let peer = (*from).into();
            let adoption = if *dry_run {
                migrator.at(&url()?).check_adoption(peer).await?
            } else {
                migrator.at(&url()?).adopt(peer).await?
            };
            out.adoption(&adoption, migrator.options().table())
        }
        #[cfg(feature = "lint")]
        Command::Lint(args) => lint::run(out.is_json(), config, migrations, args),
        #[cfg(feature = "schema")]
        Command::Schema(args) => {
            let url = url().ok();
            schema::schema(out.is_json(), config, migrator, url.as_deref(), args).await?
        }
        #[cfg(feature = "schema")]
        Command::Trace(args) => {
            let url = url().ok();
            schema::trace(out.is_json(), config, migrator, url.as_deref(), args).await?
        }
        #[cfg(feature = "schema")]
        Command::Drift(args) => {
            let url = url()?;
            schema::drift(out.is_json(), config, migrator, &url, args).await?
        }
        Command::Sql { pending: true, .. } => {
            let url = url()?;
            let pending = migrator.at(&url).pending_sql().await?;
            out.sql(BackendKind::from_url(&url)?, &pending.sql);
            match pending.stops_at_code {
                Some(version) => out.failure(&format!(
                    "stopped before code migration {version}, which SQL cannot contain: apply it with the application binary (`<app> migrate up --to {version}`), then render the rest"
                )),
                None => ExitCode::SUCCESS,
            }
        }
        Command::Sql {
            backend,
            from,
            to,
            down,
            pending: false,
        } => {
            let backend = match backend {
                Some(backend) => (*backend).into(),
                None => BackendKind::from_url(&url().map_err(|_| {
                    Failure::Usage(
                        "`sql` needs --backend, or a database URL to take the backend from"
                            .to_owned(),
                    )
                })?)?,
            };
            let sql = match (down, to) {
                (true, Some(to)) => migrator.offline(backend).down(*from, *to)?,
                _ => migrator.offline(backend).up(*from, *to)?,
            };
            out.sql(backend, &sql)
        }
    })
}

#[cfg(test)]
mod tests {
    /// The table of gated subcommands says what the build has: a name is a
    /// subcommand of the embedded command exactly when its feature is on.
    #[test]
    fn gated_subcommands_follow_their_features() {
        let command = <super::EmbeddedCli as clap::CommandFactory>::command();
        for (name, feature, built) in super::GATED {
            assert_eq!(
                command.find_subcommand(name).is_some(),
                built,
                "{name} (feature `{feature}`)"
            );
        }
    }
}
