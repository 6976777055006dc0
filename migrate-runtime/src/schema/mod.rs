//! The schema of a database (feature `schema`): what
//! [`Database::inspect`](crate::Database::inspect) reads from a live
//! database, what [`Migrator::schema`](crate::Migrator::schema) reads from a
//! scratch database the migrations were replayed on, and what
//! [`Database::drift`](crate::Database::drift) finds between the two.
//!
//! One model serves the three databases; each database's catalog queries
//! and renderer live in a file of their own. Comparing ([`compare`]) and
//! rendering ([`Schema::to_sql`]) are pure.

mod diff;
mod generate;
mod model;
#[cfg(feature = "mysql")]
pub(crate) mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

pub use diff::{compare, Change, Difference, Drift, Object};
pub use generate::{generate, GenerateOptions, Generated, Refusal, Rename, Step};
pub use model::*;

use crate::model::{BackendKind, Peer};

impl Schema {
    /// The schema as SQL that creates it in an empty database: one
    /// statement per object, in an order that creates what each object
    /// depends on first, each object's parts in a fixed order, so that the
    /// same schema always renders the same text (a diff of two dumps shows
    /// what changed, and nothing else).
    pub fn to_sql(&self) -> String {
        match self.backend {
            #[cfg(feature = "sqlite")]
            BackendKind::Sqlite => sqlite::render(self),
            #[cfg(feature = "postgres")]
            BackendKind::Postgres => postgres::render(self),
            #[cfg(feature = "mysql")]
            BackendKind::MySql => mysql::render(self),
            #[allow(unreachable_patterns)]
            _ => String::new(),
        }
    }

    /// Removes the tables a migrator keeps (`table`, its lease table
    /// `<table>_lock`, and sqlx's, refinery's and diesel's version tables),
    /// with their triggers and the sequences they own.
    pub(crate) fn without_bookkeeping(mut self, table: &str) -> Schema {
        let (schema, name) = match table.rsplit_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, table),
        };
        let lease = format!("{name}_lock");
        let hidden: Vec<QualifiedName> = [name, lease.as_str()]
            .into_iter()
            .map(|name| QualifiedName::new(schema, name))
            .chain(
                [Peer::Sqlx, Peer::Refinery, Peer::Diesel]
                    .into_iter()
                    .map(|peer| QualifiedName::new(None, peer.table())),
            )
            .collect();
        let is_hidden = |table: &QualifiedName| {
            hidden.iter().any(|h| {
                h.name == table.name && (h.schema.is_none() || h.schema == table.schema)
            })
        };
        self.tables.retain(|table| !is_hidden(&table.name));
        self.triggers.retain(|trigger| !is_hidden(&trigger.table));
        self.sequences.retain(|sequence| {
            !sequence.owned_by.as_deref().is_some_and(|owner| {
                let table = owner.rsplit_once('.').map_or(owner, |(table, _)| table);
                let table = match table.rsplit_once('.') {
                    Some((schema, name)) => QualifiedName::new(Some(schema), name),
                    None => QualifiedName::new(sequence.name.schema.as_deref(), table),
                };
                is_hidden(&table)
            })
        });
        self
    }
}
