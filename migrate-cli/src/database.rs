//! `database create` / `drop` / `setup` / `reset`, the SQLite file an `up`
//! creates, and `--env-file`.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use migrata::quote_identifier;
use migrata::{redact_url, BackendKind, Error, Migrator};
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use sqlx::Connection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::{AssertSqlSafe, Executor};
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use std::str::FromStr;

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
    /// Create the database unless it exists, then apply pending migrations
    Setup,
    /// Drop the database, create it again and apply every migration
    Reset {
        /// Confirm: resetting deletes every table and row
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

impl DatabaseCommand {
    /// Whether the command ends with `up`: it needs the migrations.
    pub(super) fn migrates(&self) -> bool {
        matches!(self, DatabaseCommand::Setup | DatabaseCommand::Reset { .. })
    }
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
    migrator: &Migrator<'_>,
) -> Result<ExitCode, Failure> {
    let shown = redact_url(url);
    let confirm = |command: &str| {
        Failure::Usage(format!(
            "`database {command}` deletes {shown} and everything in it: pass --yes to confirm"
        ))
    };
    let mut actions = Vec::new();
    match command {
        DatabaseCommand::Drop { yes: false } => return Err(confirm("drop")),
        DatabaseCommand::Reset { yes: false } => return Err(confirm("reset")),
        DatabaseCommand::Drop { yes: true } | DatabaseCommand::Reset { yes: true } => {
            let dropped = on_backend(url, Lifecycle::Drop).await?;
            actions.push(if dropped { "dropped" } else { "absent" });
        }
        DatabaseCommand::Create | DatabaseCommand::Setup => {}
    }
    if !matches!(command, DatabaseCommand::Drop { .. }) {
        let created = on_backend(url, Lifecycle::Create).await?;
        actions.push(if created { "created" } else { "exists" });
    }
    let report = match command.migrates() {
        true => Some(migrator.run(url).await?),
        false => None,
    };
    Ok(out.database(&actions, &shown, report.as_ref()))
}

#[derive(Clone, Copy)]
enum Lifecycle {
    Create,
    Drop,
}

/// Creates or drops the database; whether anything changed (it did not
/// exist, or did). A SQLite file through sqlx's driver; a server database
/// with SQL of our own, the name quoted by [`quote_identifier`] (sqlx's
/// MySQL driver pastes the name between backticks unescaped, so a backtick
/// in the URL's database name ran SQL of its own).
async fn on_backend(url: &str, lifecycle: Lifecycle) -> Result<bool, Failure> {
    // As the runtime's connections see it: sqlx would log the values of the
    // parameters it ignores.
    let driver_url = migrata::__driver_url(url);
    let connect = |source| {
        Failure::Failed(Error::Connect {
            url: redact_url(url),
            error: source,
        })
    };
    match BackendKind::from_url(url)? {
        #[cfg(feature = "sqlite")]
        BackendKind::Sqlite => on_sqlite_file(&driver_url, lifecycle)
            .await
            .map_err(connect),
        #[cfg(feature = "postgres")]
        BackendKind::Postgres => {
            use sqlx::postgres::PgConnectOptions;
            let options = PgConnectOptions::from_str(&driver_url).map_err(connect)?;
            // As `createdb`: the database named, else the user's, from the
            // maintenance database (`template1` to create `postgres` itself).
            let name = options
                .get_database()
                .unwrap_or(options.get_username())
                .to_owned();
            let ddl = Ddl::new(BackendKind::Postgres, &name, lifecycle)?;
            let maintenance = if name == "postgres" {
                "template1"
            } else {
                "postgres"
            };
            let mut conn = migrata::__connect::postgres(options.database(maintenance))
                .await
                .map_err(connect)?;
            let exists =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(connect)?;
            let changed = ddl.run(&mut conn, exists).await.map_err(connect);
            let _ = conn.close().await;
            changed
        }
        #[cfg(feature = "mysql")]
        BackendKind::MySql => {
            use sqlx::mysql::MySqlConnectOptions;
            let options = MySqlConnectOptions::from_str(&driver_url).map_err(connect)?;
            let Some(name) = options.get_database().map(str::to_owned) else {
                return Err(Failure::Usage(format!(
                    "{} names no database to create or drop: add /<database> to it",
                    redact_url(url)
                )));
            };
            let ddl = Ddl::new(BackendKind::MySql, &name, lifecycle)?;
            // Every account can connect to `information_schema`, which is
            // no database to create or drop.
            let mut conn = migrata::__connect::mysql(options.database("information_schema"))
                .await
                .map_err(connect)?;
            let exists: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM SCHEMATA WHERE SCHEMA_NAME = ?")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(connect)?;
            let changed = ddl.run(&mut conn, exists > 0).await.map_err(connect);
            let _ = conn.close().await;
            changed
        }
        // Reachable only in builds without every database feature.
        #[allow(unreachable_patterns)]
        kind => Err(Failure::Failed(Error::BackendNotCompiled {
            backend: kind,
            feature: kind.feature(),
        })),
    }
}

/// A SQLite database is a file: created by opening it with
/// `create_if_missing`, dropped by deleting it with its `-wal` and `-shm`
/// files (a write-ahead log left behind would be replayed into the next
/// database of that name). An in-memory database always exists, and has
/// nothing to delete. Our own lines rather than sqlx's `MigrateDatabase`, whose
/// `migrate` feature an app exposing the subcommands would otherwise compile.
#[cfg(feature = "sqlite")]
async fn on_sqlite_file(url: &str, lifecycle: Lifecycle) -> Result<bool, sqlx::Error> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    // sqlx keeps whether the URL chose memory to itself (and its
    // `to_url_lossy` panics on `sqlite::memory:`): its parser's two rules.
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = database == ":memory:" || query.split('&').any(|param| param == "mode=memory");
    let file = options.get_filename().to_owned();
    match (lifecycle, in_memory || file.exists()) {
        (Lifecycle::Create, false) => {
            let conn = migrata::__connect::sqlite(options.create_if_missing(true)).await?;
            conn.close().await?;
            Ok(true)
        }
        // Gone with the last connection: "dropped", as sqlx says.
        (Lifecycle::Drop, true) if in_memory => Ok(true),
        (Lifecycle::Drop, true) => {
            std::fs::remove_file(&file)?;
            for suffix in ["-wal", "-shm"] {
                let mut companion = file.clone().into_os_string();
                companion.push(suffix);
                match std::fs::remove_file(&companion) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(error.into())
                    }
                    _ => {}
                }
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// `CREATE DATABASE` or `DROP DATABASE` of one server database, its name
/// quoted (and refused if the server could not keep it) before connecting.
#[cfg(any(feature = "postgres", feature = "mysql"))]
struct Ddl {
    lifecycle: Lifecycle,
    quoted: String,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Ddl {
    fn new(kind: BackendKind, name: &str, lifecycle: Lifecycle) -> Result<Ddl, Error> {
        Ok(Ddl {
            lifecycle,
            quoted: quote_identifier(kind, name)?,
        })
    }

    /// Runs the statement unless the database is already as wanted;
    /// whether it ran.
    async fn run<C>(self, conn: &mut C, exists: bool) -> Result<bool, sqlx::Error>
    where
        for<'c> &'c mut C: sqlx::Executor<'c>,
    {
        let statement = match (self.lifecycle, exists) {
            (Lifecycle::Create, false) => format!("CREATE DATABASE {}", self.quoted),
            (Lifecycle::Drop, true) => format!("DROP DATABASE {}", self.quoted),
            _ => return Ok(false),
        };
        conn.execute(AssertSqlSafe(statement)).await.map(|_| true)
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
