//! Compile-time embedded SQL migrations for SQLite, PostgreSQL and
//! MySQL/MariaDB, applied by one async call when your service starts.
//!
//! You write plain `.sql` files. [`embed_migrations!`] reads them at compile
//! time (a badly named file, an unknown directive or `COMMIT` inside a
//! transactional script is a compile error naming the file, and so is a
//! statement [the lint](guide::lint) knows will fail) and bakes them into
//! the binary. One call at startup
//! brings the database to the newest version: safely when ten replicas start
//! at once, directly, behind pgbouncer or across Galera nodes; and when
//! nothing is pending, with one `SELECT`.
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! migrata = { version = "0.1", features = ["sqlite"] }   # or "postgres", "mysql"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! Put the migrations in `migrations/` beside your `Cargo.toml`:
//!
//! ```text
//! migrations/
//!   0001_create_users.sql
//!   0002_create_notes.up.sql
//!   0002_create_notes.down.sql       (optional: makes 2 reversible)
//!   0003_index_notes_by_user.sql
//! ```
//!
//! and run them when the service starts:
//!
//! ```
//! static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
//!
//! # async fn demo() -> Result<(), migrata::Error> {
//! let report = MIGRATIONS.run("sqlite::memory:").await?;
//! for applied in &report.applied {
//!     println!("applied {} {} in {:?}", applied.version, applied.name, applied.duration);
//! }
//! # assert_eq!(report.applied.len(), 4);
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! Cargo rebuilds when an embedded file changes, not when one is added; one
//! line in `build.rs` covers that (see [the stale-build
//! guard](guide::stale_build_guard)).
//!
//! # Concepts
//!
//! - **A migration** is a version, a name and an up script, optionally a down
//!   script: `0001_create_users.sql`, `V1__create_users.sql` (refinery's
//!   names), or diesel's `2019-11-15-182353_create_users/up.sql`. It can also
//!   be Rust ([code migrations](guide::code_migrations)) or be applied again
//!   whenever it changes ([repeatable migrations](guide::repeatable_migrations)).
//!   See [migration files](guide::migration_files).
//! - **The version table**, `migrate_history` by default, records each
//!   applied migration with its SHA-256 checksum. Before anything runs, the
//!   history is compared with the binary: an edited, missing or out-of-order
//!   migration is an error, or a warning by [`Policy`]
//!   ([consistency checks](guide::consistency_checks)).
//! - **Transactions**: each migration and its history row commit together by
//!   default ([`TransactionMode`]); `-- migrate:no-transaction` runs one
//!   script outside a transaction, between a history row marked failed and
//!   its success, so a crash is visible and settled with
//!   [`Database::repair`] ([failed migrations](guide::failed_migrations)).
//! - **The lock**: with work to do, a migrator takes a lease, a row renewed
//!   by committed writes that fences every history write; it holds behind
//!   pgbouncer's transaction pooling and across Galera nodes
//!   ([`LockStrategy`], [concurrency and locking](guide::locking)).
//! - **Lock waits**: each statement of a migration waits at most
//!   [`lock_wait`](Options::lock_wait) (1 s) for a lock another session
//!   holds, so readers do not queue behind it; the migration rolls back and
//!   is retried, and `-- migrate:check` queries can refuse it before it runs
//!   ([lock waits and checks](guide::lock_waits)).
//!
//! # The API at a glance
//!
//! | you want to | use |
//! | --- | --- |
//! | embed the migrations | [`embed_migrations!`] → [`Migrations`] |
//! | migrate at startup, with defaults | [`Migrations::run`] (a URL), [`Migrations::run_on`] (your pool or connection) |
//! | set options (table, target, policies, lock, lock waits, session setup) | [`Migrations::migrator`] → [`Migrator`], or [`Options`] |
//! | read options from `migrate.toml` and the environment | [`Config`] |
//! | see what happened | [`Report`], [`Applied`] |
//! | any other operation, on a URL or on your connection | [`Migrator::at`], [`Migrator::on`] → [`Database`] |
//! | see where each migration stands | [`Database::status`] → [`Status`] |
//! | undo, record without running, settle a failed row | [`Database::revert`], [`Database::stamp`], [`Database::repair`] |
//! | take over sqlx's, refinery's or diesel's history | [`Database::adopt`] with [`Peer`] |
//! | the SQL a run would execute, for review | [`Migrator::offline`] → [`Offline`] |
//! | write a migration in Rust | [`CodeConnection`], [`CodeError`] |
//! | a fresh migrated database per test | `testing`, `#[migrata::test]` (feature `testing`) |
//! | the schema the migrations produce, drift in a live database | `Migrator::schema`, `Database::inspect`, `Database::drift` → `schema` (feature `schema`, [guide](guide::schema)) |
//! | lint scripts from your own tool | `lint` (feature `lint`) |
//! | handle failures | [`Error`], [`redact_url`] for your own logs |
//!
//! # Features
//!
//! Name the databases you use, as with sqlx; only their drivers are
//! compiled. No database is on by default, and with none the build stops
//! with a compile error saying what to add.
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `sqlite` | SQLite (bundled, compiled from C, as sqlx's `sqlite`) |
//! | `postgres` | PostgreSQL |
//! | `mysql` | MySQL and MariaDB |
//! | `tls-rustls` | TLS through rustls and the webpki roots (sqlx's `tls-rustls`) |
//! | `tls-rustls-ring-native-roots` | rustls with the operating system's root certificates |
//! | `tls-rustls-aws-lc-rs` | rustls with the aws-lc-rs crypto provider |
//! | `tls-native-tls` | the platform's TLS (OpenSSL on Linux) |
//! | `testing` | `migrata::testing` and `#[migrata::test]`: a fresh database per test, copied from a migrated template |
//! | `lint` | `migrata::lint`: the compile-time lint's rules as a library call |
//! | `schema` | `migrata::schema`: read a database's schema, dump the one the migrations produce as canonical SQL, report drift (turns on `testing`, whose scratch databases the replays use) |
//!
//! A URL for a database that is not compiled in, or a server that requires
//! TLS without a TLS feature, is refused with an error naming the feature
//! to add. The command-line tool is the `migrata-cli` crate
//! ([the CLI](guide::cli)).
//!
//! # The guide
//!
//! The [`guide`] holds the long-form chapters, whose examples run in this
//! crate's tests: [migration files](guide::migration_files),
//! [directives](guide::directives), [code migrations](guide::code_migrations),
//! [repeatable migrations](guide::repeatable_migrations),
//! [the lint](guide::lint), [running](guide::running),
//! [consistency checks](guide::consistency_checks),
//! [failed migrations](guide::failed_migrations),
//! [locking](guide::locking), [lock waits and checks](guide::lock_waits),
//! [session setup](guide::session_setup),
//! [revert, stamp, status](guide::revert_stamp_status),
//! [offline SQL](guide::offline_sql), [testing](guide::testing),
//! [schema dump and drift](guide::schema),
//! [switching from sqlx, refinery or diesel](guide::adoption),
//! [configuration](guide::configuration), [the CLI](guide::cli),
//! [logging](guide::logging), [errors](guide::errors) and
//! [the stale-build guard](guide::stale_build_guard).
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
// The layers, lowest first; each module imports only from those above it
// in this list (tests/it/layers.rs checks it).
mod model;
mod error;
mod options;
mod url;
mod code;
mod report;
mod plan;
mod status;
#[cfg(feature = "schema")]
pub mod schema;
mod sql;
mod driver;
mod engine;
mod database;
mod migrator;
mod stale;
mod migrations;
mod config;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "schema")]
mod replay;

#[doc(hidden)]
pub use code::{__code_future, CompiledCode};
pub use code::{CodeConnection, CodeFn, CodeFuture};
pub use config::{Config, ConfigError, DatabaseConfig, LogConfig, SchemaConfig};
pub use database::{AtUrl, Database, OnConnection, Reach};
pub use driver::handover::Handover;
pub use driver::Backend;
// For migrata-cli's `database create` / `drop`, which hand the URL to sqlx.
#[doc(hidden)]
pub use driver::driver_url as __driver_url;
// ... and connect (a SQLite file, a maintenance database) through the
// runtime's one connect future per driver.
#[doc(hidden)]
pub mod __connect {
    #[cfg(feature = "mysql")]
    pub use crate::driver::mysql::connect as mysql;
    #[cfg(feature = "postgres")]
    pub use crate::driver::postgres::connect as postgres;
    #[cfg(feature = "sqlite")]
    pub use crate::driver::sqlite::connect as sqlite;
}
pub use error::Error;
pub use migrata_core::{Checksum, Exclude, Language, Migration, Phase, Script};
pub use migrations::Migrations;
pub use migrator::{Migrator, Offline};
pub use engine::presence::Presence;
pub use model::{AdoptionProblem, BackendKind, CodeError, MigrationState, Peer, Replica};
pub use options::{LockStrategy, LockWait, Options, Policy, TransactionMode, DEFAULT_TABLE};
pub use plan::adopt::Adoption;
pub use plan::repair::{FailedScript, Repair, RepairAction, Repaired};
pub use report::{Applied, Held, PendingSql, Report};
pub use sql::quote_identifier;
pub use status::{Status, StatusEntry};
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
/// are not migrations (see [the migration files chapter](guide::migration_files)):
///
/// ```
/// static MIGRATIONS: migrata::Migrations =
///     migrata::embed_migrations!("migrations", exclude = ["seed*.sql", "*/notes.sql"]);
/// ```
///
/// # The lint's options
///
/// Every script is also linted at compile time (see [the lint
/// chapter](guide::lint)): an error is a compile error, a warning a
/// compiler warning. The options, in any order after the path:
///
/// | option | what it does |
/// | --- | --- |
/// | `database = "postgres" \| "mysql" \| "sqlite"` | the database whose SQL dialect and rules the lint uses. Without it: the one database migrata is compiled for (`features = ["postgres"]` alone lints for PostgreSQL), or, in a build with several, each of them (a finding of one database's rules names it) |
/// | `lint_after = <version>` | migrations up to this version are taken as applied everywhere: not linted, and the tables they create count as existing (busy) ones |
/// | `allow = ["<rule>", ...]` | rules turned off for every script (one statement: `-- migrate:allow <rule> <reason>` on the line before it) |
/// | `deny_warnings = true` | warnings are compile errors too |
/// | `exclude = ["<pattern>", ...]` | files and subdirectories that are not migrations (above) |
///
/// ```
/// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!(
///     "migrations",
///     database = "postgres",
///     lint_after = 3,
///     allow = ["missing-lock-timeout"],
///     deny_warnings = true,
/// );
/// ```
///
/// Cargo does not rebuild when a file is only *added* to the directory; add
/// `migrata_core::build::rerun_if_changed("migrations")` to `build.rs` (debug
/// builds also warn at startup when they notice).
///
/// # A renamed dependency
///
/// The generated code reaches this crate by the name the calling crate's
/// `Cargo.toml` gives it, so with `db = { package = "migrata", .. }` you
/// write `db::embed_migrations!()` and nothing else. Where the manifest
/// cannot tell, because migrata comes through another crate's re-export,
/// name the path with `crate = path`. Code migrations are compiled in a
/// module of their own, so the path must resolve from any module: a crate
/// name or a `crate::` path, not a `use` alias.
///
/// ```
/// mod reexport {
///     pub(crate) use migrata as inner;
/// }
///
/// static MIGRATIONS: migrata::Migrations =
///     migrata::embed_migrations!("migrations", crate = crate::reexport::inner);
/// # fn main() {}
/// ```
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
///
/// Like [`embed_migrations!`], it follows a renamed dependency
/// (`#[db::test(MIGRATIONS)]`) and takes `crate = path` where the
/// calling crate's `Cargo.toml` does not list migrata.
#[cfg(feature = "testing")]
pub use migrata_macros::test;

/// The lint `embed_migrations!` runs at compile time, as a library call
/// (feature `lint`), e.g. for CI over a directory read with
/// [`migrata_core::load_dir`]:
/// `lint::lint(&lint::Script::of_migrations(&migrations), &options)`.
#[cfg(feature = "lint")]
pub use migrata_lint as lint;
}
