//! Compile-time embedded SQL migrations for SQLite, PostgreSQL and
//! MySQL/MariaDB, applied over one async connection at startup.
//!
//! Write plain SQL files in `migrations/` next to your `Cargo.toml`:
//!
//! ```text
//! migrations/
//!   0001_create_users.sql
//!   0002_add_email.up.sql
//!   0002_add_email.down.sql
//!   V3__index_email.sql          (Flyway/refinery names work too)
//! ```
//!
//! embed them, and run them when the service starts:
//!
//! ```
//! static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("../migrations");
//!
//! # async fn demo() -> Result<(), migrate_runtime::Error> {
//! let report = MIGRATIONS.run("sqlite::memory:").await?;
//! for applied in &report.applied {
//!     println!("applied {} {} in {:?}", applied.version, applied.name, applied.duration);
//! }
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! What you get:
//!
//! - **Compile-time checks.** A badly named file, two files with one
//!   version, a `.down.sql` without its `.up.sql`, a non-UTF-8 file or an
//!   unknown `-- migrate:` directive is a compile error naming the file.
//! - **A version table** (`migrate_history` by default) recording version,
//!   name, SHA-256 checksum, time and duration of each migration.
//! - **A one-SELECT fast path**: when everything is applied, a startup run
//!   reads the version table once and writes nothing.
//! - **Safety checks before anything runs**: an applied script that was
//!   edited, an applied migration the binary lacks, or a pending migration
//!   older than the newest applied one is an error (or a warning, by
//!   [`Policy`]).
//! - **Transactions**: per migration by default (script and history row
//!   commit together), or [`TransactionMode::Single`] / [`TransactionMode::None`];
//!   `-- migrate:no-transaction` in a file's leading comments opts one script out.
//! - **Concurrency**: replicas starting at once apply each migration exactly
//!   once, through a lease row that holds behind pgbouncer's transaction
//!   pooling, across Galera nodes and on shared SQLite files; every history
//!   write is fenced by it, and read-only standbys are refused at once
//!   ([`LockStrategy`]).
//! - **Logs** as `tracing` events with target `migrate`; no subscriber is installed.
//!
//! - **Switching** from sqlx, refinery or diesel: [`Migrator::adopt`] takes
//!   over their history table once it matches the embedded migrations.
//!
//! Use [`Migrations::migrator`] for options and [`Migrator::run_on`] to
//! migrate over a connection you already hold.

mod adopt;
mod backend;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod error;
mod handover;
mod history;
mod lock;
mod migrations;
mod migrator;
mod options;
mod plan;
mod program;
mod repair;
mod report;
mod stale;
mod status;
mod url;

pub use adopt::{Adoption, AdoptionProblem, Peer};
pub use backend::{Backend, BackendKind, HistoryRow};
pub use config::{Config, ConfigError, DatabaseConfig, LogConfig};
pub use error::Error;
pub use handover::Handover;
pub use migrate_core::{Checksum, Exclude, Migration, Script};
pub use migrations::Migrations;
pub use migrator::Migrator;
pub use options::{LockStrategy, Options, Policy, TransactionMode, DEFAULT_TABLE};
pub use repair::{FailedScript, Repair, RepairAction, Repaired};
pub use report::{Applied, Report};
pub use status::{MigrationState, Status, StatusEntry};
pub use url::redact_url;

/// Embeds the migrations of a directory into the binary.
///
/// `embed_migrations!()` reads `migrations/` beside the calling crate's
/// `Cargo.toml`; `embed_migrations!("db/migrations")` reads another path,
/// relative to the same place. Every file is parsed, validated and hashed at
/// compile time and included with `include_str!`, so editing a migration
/// rebuilds the crate. Any invalid file is a compile error naming the file
/// and the rule it broke.
///
/// The expansion is a constant expression of type [`Migrations`]:
///
/// ```
/// static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("../migrations");
/// assert!(MIGRATIONS.all().windows(2).all(|w| w[0].version < w[1].version));
/// ```
///
/// The directory may be in diesel's layout (a directory per migration);
/// `exclude = ["seed*.sql", ...]` leaves out files and subdirectories that
/// are not migrations (see the README's "Directory layouts"):
///
/// ```
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("../migrations", exclude = ["seed*.sql", "*/notes.sql"]);
/// ```
///
/// Cargo does not rebuild when a file is only *added* to the directory; add
/// `migrate_core::build::rerun_if_changed("migrations")` to `build.rs` (debug
/// builds also warn at startup when they notice).
pub use migrate_macros::embed_migrations;

/// The lint `embed_migrations!` runs at compile time, as a library call
/// (feature `lint`), e.g. for CI over a directory read with
/// [`migrate_core::load_dir`]:
/// `lint::lint(&lint::Script::of_migrations(&migrations), &options)`.
#[cfg(feature = "lint")]
pub use migrate_core::lint;
