//! A service deployed as one file. Its normal job migrates the database at
//! startup and then works with it; `app migrate ...` exposes the migration
//! subcommands from the same binary, so the server needs no other tool.
//!
//! ```text
//! app                                  # the service: migrate, then work
//! app migrate status                   # where each migration stands
//! app migrate sql --backend postgres   # the SQL for a DBA to review
//! app migrate verify                   # deploy gate: exit 1 on drift
//! ```
//!
//! The database comes from `migrate.toml`, `MIGRATE_DATABASE_URL` or
//! `DATABASE_URL` (default `sqlite://app.db?mode=rwc`).

use std::ffi::OsString;
use std::process::ExitCode;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("../../migrations");

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|arg| arg == "migrate") {
        return migrata_cli::run_from(&MIGRATIONS, args.into_iter().skip(1)).await;
    }
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The service's normal job: bring the schema up to date, then use it.
async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let config = migrata::Config::load(None)?;
    let url = config
        .database_url()
        .unwrap_or("sqlite://app.db?mode=rwc")
        .to_owned();
    let report = config.apply_to(MIGRATIONS.migrator()).run(&url).await?;
    println!(
        "schema: {} migration(s) applied at startup",
        report.applied.len()
    );

    let mut conn = SqliteConnectOptions::from_str(&url)?.connect().await?;
    let notes: i64 = sqlx::query("SELECT COUNT(*) FROM notes")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    println!("serving: {notes} note(s) in the database");
    conn.close().await?;
    Ok(())
}
