//! The command line, run for real: the standalone `migrata` binary and an
//! app's embedded `migrate` subcommand, on every backend. One test binary,
//! so sqlx and its three drivers are linked once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod adopt;
mod conventions;
mod embedded;
mod lint;
mod replicas;
mod schema;
mod slim;
mod squash;
mod standalone;
mod trace;
