//! The user guide: one chapter per topic. The examples run against SQLite
//! as part of the crate's tests (the CLI chapter's belong to the
//! `migrata-cli` crate and are not compiled here).
//!
//! The [crate-level documentation](crate) is the tour; these chapters are
//! the reference for what each part does and why.
//!
//! **Writing migrations**
//!
//! - [`migration_files`]: file names, the naming rules, directory layouts
//!   (this project's, sqlx's, refinery's, diesel's), leaving files out,
//!   checksums.
//! - [`directives`]: `-- migrate:no-transaction` and friends, and how
//!   scripts are sent to each database.
//! - [`code_migrations`]: a Rust `async fn up` in the migration sequence.
//! - [`repeatable_migrations`]: views and functions applied again whenever
//!   they change.
//! - [`lint`]: the compile-time lint, its rules and how to suppress one.
//!
//! **Running them**
//!
//! - [`running`]: the builder, running over your own pool or connection,
//!   the version table, transaction modes.
//! - [`consistency_checks`]: edited, missing and out-of-order migrations.
//! - [`failed_migrations`]: rows marked failed, and `repair`.
//! - [`locking`]: the lease, the session lock, pgbouncer, Galera, shared
//!   SQLite files, read-only standbys.
//! - [`lock_waits`]: each statement's bounded wait for a lock, retries, what
//!   blocked, and `-- migrate:check` before a script.
//! - [`rolling_deploys`]: contract migrations held while a replica of an
//!   older release runs.
//! - [`session_setup`]: SQL run once after connecting.
//! - [`revert_stamp_status`]: going back, recording without running,
//!   reading where each migration stands.
//! - [`offline_sql`]: the SQL a run would execute, rendered for review.
//!
//! **Around them**
//!
//! - [`testing`]: a fresh, migrated database per test.
//! - [`schema`]: the schema the migrations produce, a CI check of it, and
//!   drift in a live database (feature `schema`).
//! - [`trace`]: what each statement of pending migrations locks and
//!   rewrites, measured on a scratch copy, and budgets over it (feature
//!   `testing`, PostgreSQL).
//! - [`adoption`]: switching from sqlx, refinery or diesel.
//! - [`configuration`]: `migrate.toml` and the environment.
//! - [`cli`]: the `migrata` command and the subcommands an app can expose.
//! - [`logging`]: the `tracing` events.
//! - [`errors`]: what errors say, and URL redaction.
//! - [`stale_build_guard`]: rebuilding when a migration file is added.

#[doc = include_str!("../docs/migration_files.md")]
pub mod migration_files {}

#[doc = include_str!("../docs/directives.md")]
pub mod directives {}

#[doc = include_str!("../docs/code_migrations.md")]
pub mod code_migrations {}

#[doc = include_str!("../docs/repeatable_migrations.md")]
pub mod repeatable_migrations {}

#[doc = include_str!("../docs/lint.md")]
pub mod lint {}

#[doc = include_str!("../docs/running.md")]
pub mod running {}

#[doc = include_str!("../docs/consistency_checks.md")]
pub mod consistency_checks {}

#[doc = include_str!("../docs/failed_migrations.md")]
pub mod failed_migrations {}

#[doc = include_str!("../docs/locking.md")]
pub mod locking {}

#[doc = include_str!("../docs/lock_waits.md")]
pub mod lock_waits {}

#[doc = include_str!("../docs/trace.md")]
pub mod trace {}

#[doc = include_str!("../docs/rolling_deploys.md")]
pub mod rolling_deploys {}

#[doc = include_str!("../docs/session_setup.md")]
pub mod session_setup {}

#[doc = include_str!("../docs/revert_stamp_status.md")]
pub mod revert_stamp_status {}

#[doc = include_str!("../docs/offline_sql.md")]
pub mod offline_sql {}

// Its examples need the feature; without it the chapter says so, and the
// links to it still resolve.
#[cfg_attr(feature = "schema", doc = include_str!("../docs/schema.md"))]
#[cfg_attr(
    not(feature = "schema"),
    doc = "# Schema\n\nSchema dumps, the CI check, drift and generated migrations need the `schema` feature; this chapter is in builds with it (as on docs.rs)."
)]
pub mod schema {}

#[doc = include_str!("../docs/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/adoption.md")]
pub mod adoption {}

#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/cli.md")]
pub mod cli {}

#[doc = include_str!("../docs/logging.md")]
pub mod logging {}

#[doc = include_str!("../docs/errors.md")]
pub mod errors {}

#[doc = include_str!("../docs/stale_build_guard.md")]
pub mod stale_build_guard {}
