//! The integration tests, one binary (one link of sqlx and its three
//! drivers, not one per file): a module per area, and `common`, the helpers
//! they share. `cargo test -p migrata --all-features --test it <module>::`
//! runs one area.
//!
//! The tests run in parallel threads of one process, so none may change
//! what belongs to the process (the current directory, the global `tracing`
//! subscriber) while the others run: such a test reruns itself alone in a
//! child process of this binary (`common::in_own_process`), as the
//! processes that tests start, race, pause or kill run their test
//! (`common::test_process`).
//!
//! Apart stay the trybuild tests (`compile_fail*.rs`, each a cargo build of
//! its own); the `migrata` binary's tests are in `migrate-cli`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod adopt;
mod adopt_fast_path;
mod code;
mod config;
mod database_errors;
mod defects;
mod embed;
mod fast_path;
mod features;
mod handover;
mod kill;
mod layers;
mod layouts;
mod lease;
mod lint_warnings;
mod lock_waits;
mod locking;
mod logging;
mod long_scripts;
mod mysql_delimiter;
mod offline;
mod races;
mod repeatable;
mod rolling;
mod round_trips;
#[cfg(feature = "schema")]
mod schema;
#[cfg(feature = "schema")]
mod schema_generate_postgres;
#[cfg(all(feature = "schema", feature = "lint"))]
mod schema_generate_sqlite;
#[cfg(feature = "schema")]
mod schema_mysql;
// The lint checks every generated script.
#[cfg(all(feature = "schema", feature = "lint"))]
mod schema_generate_mysql;
#[cfg(feature = "schema")]
mod schema_postgres;
#[cfg(feature = "schema")]
mod schema_sqlite;
#[cfg(feature = "schema")]
mod squash;
mod suite;
#[cfg(feature = "testing")]
mod testing;
mod tls;
mod topology;
#[cfg(feature = "testing")]
mod trace;
