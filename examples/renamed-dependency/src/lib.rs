//! An app whose Cargo.toml names migrata `db`
//! (`db = { package = "migrata", .. }`): `db::embed_migrations!()` and
//! `#[db::test]` generate code that reaches the crate as `db`, which they
//! read from this Cargo.toml.

/// This crate's migrations: a table, and a code migration that fills it.
pub static MIGRATIONS: db::Migrations = db::embed_migrations!();

/// The same migrations, with the crate's path given explicitly, as a crate
/// that reaches migrata through another crate's re-export would.
pub static MIGRATIONS_BY_PATH: db::Migrations =
    db::embed_migrations!("migrations", crate = crate::reexport::migrata);

/// Stands in for a crate that re-exports migrata.
pub mod reexport {
    pub use db as migrata;
}
