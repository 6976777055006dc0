//! `database create` / `database drop`, the SQLite file an `up` creates, and
//! `--env-file`.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use migrata::{redact_url, BackendKind, Error};
use sqlx::migrate::MigrateDatabase;

use super::output::Output;
use super::Failure;

#[derive(Debug, Subcommand)]
pub(super) enum DatabaseCommand {
    /// Create the database unless it exists (a SQLite file; on a server, through its maintenance database)
    Create,
    /// Drop the database and everything in it
    Drop {
        /// Confirm: dropping deletes every table and row
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// A database URL as given, or `sqlite:<path>` for a plain file path
/// (anything without a `:`), as dbmate and goose take one.
pub(super) fn sqlite_if_plain_path(url: &str) -> String {
    if url.contains(':') {
        url.to_owned()
    } else {
        format!("sqlite:{url}")
    }
}

/// Creates the SQLite database a URL names when its file does not exist, so
/// `up` works on `sqlite:app.db` as on a server database that exists
/// (sqlx opens SQLite files read-write without creating them). URLs that
/// choose a `mode` themselves are left to it.
pub(super) async fn create_sqlite_file_if_missing(url: &str) -> Result<(), Failure> {
    if BackendKind::from_url(url)? != BackendKind::Sqlite || url.contains("mode=") {
        return Ok(());
    }
    on_backend(url, Lifecycle::Create).await.map(drop)
}

pub(super) async fn run(
    out: &Output,
    url: &str,
    command: &DatabaseCommand,
) -> Result<ExitCode, Failure> {
    let shown = redact_url(url);
    match command {
        DatabaseCommand::Create => {
            let created = on_backend(url, Lifecycle::Create).await?;
            Ok(out.database(if created { "created" } else { "exists" }, &shown))
        }
        DatabaseCommand::Drop { yes: false } => Err(Failure::Usage(format!(
            "`database drop` deletes {shown} and everything in it: pass --yes to confirm"
        ))),
        DatabaseCommand::Drop { yes: true } => {
            let dropped = on_backend(url, Lifecycle::Drop).await?;
            Ok(out.database(if dropped { "dropped" } else { "absent" }, &shown))
        }
    }
}

#[derive(Clone, Copy)]
enum Lifecycle {
    Create,
    Drop,
}

/// Creates or drops the database through sqlx's driver for it; whether
/// anything changed (it did not exist, or did).
async fn on_backend(url: &str, lifecycle: Lifecycle) -> Result<bool, Failure> {
    // As the runtime's connections see it: sqlx would log the values of the
    // parameters it ignores.
    let driver_url = migrata::__driver_url(url);
    let changed = match BackendKind::from_url(url)? {
        #[cfg(feature = "sqlite")]
        BackendKind::Sqlite => apply::<sqlx::Sqlite>(&driver_url, lifecycle).await,
        #[cfg(feature = "postgres")]
        BackendKind::Postgres => apply::<sqlx::Postgres>(&driver_url, lifecycle).await,
        #[cfg(feature = "mysql")]
        BackendKind::MySql => apply::<sqlx::MySql>(&driver_url, lifecycle).await,
        // Reachable only in builds without every database feature.
        #[allow(unreachable_patterns)]
        kind => {
            return Err(Failure::Failed(Error::BackendNotCompiled {
                backend: kind,
                feature: kind.feature(),
            }))
        }
    };
    changed.map_err(|source| {
        Failure::Failed(Error::Connect {
            url: redact_url(url),
            error: source,
        })
    })
}

async fn apply<DB: MigrateDatabase>(url: &str, lifecycle: Lifecycle) -> Result<bool, sqlx::Error> {
    let exists = DB::database_exists(url).await?;
    match (lifecycle, exists) {
        (Lifecycle::Create, false) => DB::create_database(url).await.map(|()| true),
        (Lifecycle::Drop, true) => DB::drop_database(url).await.map(|()| true),
        _ => Ok(false),
    }
}

/// The variables of a dotenv file, without touching the process
/// environment (which other threads of an app may be reading).
pub(super) fn read_env_file(path: &Path) -> Result<HashMap<String, String>, String> {
    let problem =
        |error: dotenvy::Error| format!("cannot read env file {}: {error}", path.display());
    dotenvy::from_path_iter(path)
        .map_err(problem)?
        .map(|item| item.map_err(problem))
        .collect()
}
