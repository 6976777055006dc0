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
//! static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
//!
//! # async fn demo() -> Result<(), migrata::Error> {
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
//! - **Code migrations**: a `<version>_<name>.rs` file holding `async fn
//!   up(conn: &mut CodeConnection<'_>)` runs in version order, in its
//!   migration's transaction (see [`CodeConnection`]).
//! - **Repeatable migrations**: `R__<name>.sql` runs after the versioned
//!   ones whenever it changed ([`Migration::is_repeatable`]).
//!
//! - **Switching** from sqlx, refinery or diesel: [`Migrator::adopt`] takes
//!   over their history table once it matches the embedded migrations.
//!
//! Use [`Migrations::migrator`] for options and [`Migrator::run_on`] to
//! migrate over a connection you already hold.
#![cfg_attr(docsrs, feature(doc_cfg))]
pub mod guide;

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "migrata needs at least one database feature: add `features = [\"postgres\"]` \
     (or \"sqlite\", \"mysql\") to its dependency in Cargo.toml"
);

/// Without a database feature, the `compile_error!` above is the only
/// error: nothing else is compiled, so no follow-on errors about connection
/// types with no variants bury it.
macro_rules! with_a_database {
    ($($item:item)*) => {
        $( #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))] $item )*
    };
}

with_a_database! {
mod adopt;
mod backend;
#[cfg(feature = "cli")]
pub mod cli;
mod code;
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
#[cfg(feature = "testing")]
pub mod testing;
mod url;

pub use adopt::{Adoption, AdoptionProblem, Peer};
pub use backend::{Backend, BackendKind, HistoryRow};
#[doc(hidden)]
pub use code::{__code_future, CompiledCode};
pub use code::{CodeConnection, CodeError, CodeFn, CodeFuture};
pub use config::{Config, ConfigError, DatabaseConfig, LogConfig};
pub use error::Error;
pub use handover::Handover;
pub use migrata_core::{Checksum, Exclude, Language, Migration, Script};
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
/// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
/// assert!(MIGRATIONS.all().windows(2).all(|w| w[0].version < w[1].version));
/// ```
///
/// The directory may be in diesel's layout (a directory per migration);
/// `exclude = ["seed*.sql", ...]` leaves out files and subdirectories that
/// are not migrations (see the README's "Directory layouts"):
///
/// ```
/// static MIGRATIONS: migrata::Migrations =
///     migrata::embed_migrations!("migrations", exclude = ["seed*.sql", "*/notes.sql"]);
/// ```
///
/// Cargo does not rebuild when a file is only *added* to the directory; add
/// `migrata_core::build::rerun_if_changed("migrations")` to `build.rs` (debug
/// builds also warn at startup when they notice).
pub use migrata_macros::embed_migrations;

/// An async test that receives a database of its own with every migration
/// applied (feature `testing`; see [`testing`] for how it is made and the
/// cleanup rules).
///
/// ```
/// # static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
/// use migrata::testing::TestDatabase;
///
/// // The base URL comes from `DATABASE_URL`, or the variable named by
/// // `url = "..."`: a server (postgres://…, mysql://…), sqlite://DIR or
/// // sqlite::memory:.
/// #[migrata::test(MIGRATIONS, url = "APP_TEST_DATABASE_URL")]
/// async fn counts_users(db: &TestDatabase) -> Result<(), sqlx::Error> {
///     let pool = sqlx::SqlitePool::connect(db.url()).await?;
///     let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pool).await?;
///     assert_eq!(users, 0);
///     pool.close().await;
///     Ok(())
/// }
/// ```
///
/// The test is an `async fn` taking `&TestDatabase` and returning `()` or a
/// `Result`; it runs on a current-thread tokio runtime of its own. After it
/// passes (returns, or returns `Ok`) its database is dropped; when it
/// panics or returns `Err` the database is kept and its name printed.
#[cfg(feature = "testing")]
pub use migrata_macros::test;

/// The lint `embed_migrations!` runs at compile time, as a library call
/// (feature `lint`), e.g. for CI over a directory read with
/// [`migrata_core::load_dir`]:
/// `lint::lint(&lint::Script::of_migrations(&migrations), &options)`.
#[cfg(feature = "lint")]
pub use migrata_core::lint;
}
