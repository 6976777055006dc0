//! Migrates on startup, then records and reads a visit.
//!
//! ```text
//! cargo run -p migrate-on-startup                       # sqlite://app.db?mode=rwc
//! DATABASE_URL=sqlite:///tmp/other.db?mode=rwc cargo run -p migrate-on-startup
//! ```

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

/// Every file of `migrations/`, checked and hashed at compile time.
static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("../../migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "migrata=info".into()),
        )
        .init();

    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://app.db?mode=rwc".into());
    println!("database: {}", migrata::redact_url(&url));

    let report = MIGRATIONS.run(&url).await?;
    if report.is_up_to_date() {
        println!(
            "migrations: up to date ({} embedded)",
            MIGRATIONS.all().len()
        );
    } else {
        for applied in &report.applied {
            println!(
                "migrations: applied {:04} {} in {:.1?}",
                applied.version, applied.name, applied.duration
            );
        }
    }

    // The app's own work, on its own connection: record this start, read the count.
    let mut conn = SqliteConnectOptions::from_str(&url)?.connect().await?;
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM visits")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_secs()
        .to_string();
    sqlx::query("INSERT INTO visits (id, visited_at) VALUES (?, ?)")
        .bind(last + 1)
        .bind(&now)
        .execute(&mut conn)
        .await?;
    let visits: i64 = sqlx::query("SELECT COUNT(*) FROM visits")
        .fetch_one(&mut conn)
        .await?
        .get(0);
    println!(
        "app: recorded visit #{} (unix time {now}); {visits} visits so far",
        last + 1
    );
    conn.close().await?;
    Ok(())
}
