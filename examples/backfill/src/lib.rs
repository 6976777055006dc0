//! A data backfill as a code migration.
//!
//! `migrations/` holds three SQL migrations and, between them,
//! `0003_backfill_domains.rs`: it reads `accounts` in batches, computes each
//! email's domain in Rust, and writes it back. It runs in its migration's
//! transaction, so an account it cannot handle half-way through leaves
//! nothing behind: no domain written, no history row, and the index after
//! it not created (`tests/atomicity.rs` shows it on SQLite, PostgreSQL and
//! MariaDB/MySQL).
//!
//! ```no_run
//! # async fn demo() -> Result<(), migrata::Error> {
//! let report = backfill::MIGRATIONS.run("sqlite://app.db?mode=rwc").await?;
//! println!("{} migration(s) applied", report.applied.len());
//! # Ok(()) }
//! ```

/// The migrations, with the backfill compiled in.
pub static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();
