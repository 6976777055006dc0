//! A PostgreSQL service's startup, as small as it gets: migrate, then serve.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run -p postgres-only
//! ```
//!
//! Its `Cargo.toml` enables only migrata's `postgres` feature, so
//! neither SQLite (libsqlite3-sys) nor the MySQL driver is compiled, and a
//! URL for another database is refused with an error naming the feature.

use std::process::ExitCode;

static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("set DATABASE_URL to a postgres:// URL");
        return ExitCode::FAILURE;
    };
    match MIGRATIONS.run(&url).await {
        Ok(report) => {
            println!("{} migrations applied", report.applied.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
