//! The database-free heart of `migrate`: how migration files are named, read,
//! checked and hashed.
//!
//! Both the `embed_migrations!()` macro (at compile time) and the runtime
//! (when it reads a directory, e.g. in the standalone `migrata` binary) call
//! this crate, so a file is parsed and hashed in exactly one way.
//!
//! ```
//! use migrata_core::{parse_file_name, FileKind};
//!
//! let name = parse_file_name("20261121093000_create_users.up.sql")?.expect("a .sql file");
//! assert_eq!(name.version, 20261121093000);
//! assert_eq!(name.name, "create_users");
//! assert_eq!(name.kind, FileKind::Up);
//!
//! // Flyway/refinery style works too; non-SQL files are ignored.
//! assert_eq!(parse_file_name("V2__add_email.sql")?.map(|n| n.version), Some(2));
//! assert!(parse_file_name("README.md")?.is_none());
//! # Ok::<(), migrata_core::Error>(())
//! ```
//!
//! A whole directory is loaded, validated and ordered with [`load_dir`]
//! (files, or diesel's directory per migration; [`load_dir_excluding`]
//! leaves out what [`Exclude`] patterns match), which reports every problem
//! it finds ([`Errors`]), not just the first:
//!
//! ```
//! # let dir = tempfile::tempdir().expect("a temporary directory");
//! # std::fs::write(dir.path().join("0001_init.sql"), "CREATE TABLE t (id INTEGER);").expect("written");
//! # std::fs::write(dir.path().join("0002_index.sql"),
//! #     "-- migrate:no-transaction\nCREATE INDEX t_id ON t (id);").expect("written");
//! let migrations = migrata_core::load_dir(dir.path())?;
//! assert_eq!(migrations[0].version, 1);
//! assert!(migrations[1].up.no_transaction);
//! # Ok::<(), migrata_core::Errors>(())
//! ```
pub mod build;
mod checksum;
mod code;
mod diesel;
mod directive;
mod error;
mod exclude;
mod file_name;
mod load;
mod migration;
mod statements;
mod transaction_control;

pub use checksum::{checksum, Checksum, ParseChecksumError};
pub use diesel::{parse_dir_name, DirName};
pub use directive::{allow_directive, parse_code_directives, parse_directives, Check, Directives};
pub use error::{Error, Errors};
pub use exclude::{wildcard_matches, Exclude};
pub use file_name::{
    is_repeatable_version, parse_file_name, repeatable_version, FileKind, FileName,
};
pub use load::{
    load_dir, load_dir_excluding, load_files, read_dir, Directory, Ignored, IgnoredBecause,
};
pub use migration::{Language, Migration, Phase, Script};
pub use statements::{
    code_offset, final_delimiter, has_no_statements, needs_terminator, row_writes,
    script_statements, split_statements, split_statements_for, statement_batches, RowWrite,
    ScriptStatement, SqlFlavor,
};

/// The text without a leading UTF-8 byte-order mark: what is hashed and run.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
