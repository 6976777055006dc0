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
pub use generate::{generate, ChangePlan, GenerateOptions, Refusal, Rename, Step};

/// One script of a generated migration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct GeneratedScript {
    /// The SQL, ready to be a migration file's content (directives
    /// included, e.g. `-- migrate:no-transaction`).
    pub sql: String,
    /// Whether it runs in a transaction (a PostgreSQL
    /// `CREATE INDEX CONCURRENTLY` cannot).
    pub transactional: bool,
}

/// `steps` (from [`generate`]`(old, new, ..)`) as the scripts of a
/// migration for `old.backend`, in order: usually one, more where a step
/// must run outside a transaction.
pub fn render_steps(steps: &[Step], old: &Schema, new: &Schema) -> Vec<GeneratedScript> {
    match old.backend {
        #[cfg(feature = "sqlite")]
        BackendKind::Sqlite => sqlite::render_steps(steps, old, new),
        #[cfg(feature = "postgres")]
        BackendKind::Postgres => postgres::render_steps(steps, old, new),
        #[cfg(feature = "mysql")]
        BackendKind::MySql => mysql::render_steps(steps, old, new),
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    }
}
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
            hidden
                .iter()
                .any(|h| h.name == table.name && (h.schema.is_none() || h.schema == table.schema))
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

/// Where a migrator's desired schema comes from.
#[derive(Debug, Clone, Copy)]
pub enum Desired<'a> {
    /// SQL that creates it: a dump of [`Schema::to_sql`], or any DDL.
    Sql(&'a str),
    /// A database that has it, by URL: only read.
    Url(&'a str),
}

pub use crate::plan::squash::RowWrite;

/// A baseline squashing the migrations up to a version
/// ([`Migrator::squash`](crate::Migrator::squash)): the script to write in
/// their place, checked to rebuild their schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Squash {
    /// The version squashed up to, which the baseline keeps.
    pub version: i64,
    /// Where the baseline goes, relative to the migrations directory
    /// (`0005_baseline.sql`, or `<dir>_baseline/up.sql` in diesel's layout).
    pub path: String,
    /// The baseline script: a header, `-- migrate:baseline`, the dump.
    pub sql: String,
    /// The up scripts of the migrations it replaces, relative to the
    /// directory, oldest first (their down scripts and diesel directories
    /// go with them).
    pub replaced: Vec<String>,
    /// Statements of the replaced scripts that write rows: the baseline
    /// holds the schema, not those rows, so a new database would lack them.
    pub row_writes: Vec<RowWrite>,
    /// The schema the baseline creates.
    pub schema: Schema,
}

/// A generated migration: its steps, and their SQL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Draft {
    /// The steps, those refused and the possible renames.
    pub plan: ChangePlan,
    /// The scripts that make the change, in order.
    pub up: Vec<GeneratedScript>,
    /// The scripts that undo it (data a step dropped is not restored).
    pub down: Vec<GeneratedScript>,
}

/// The migration from `current` to `wanted`, and the one back.
pub(crate) fn draft(current: &Schema, wanted: &Schema, options: &GenerateOptions) -> Draft {
    let plan = generate(current, wanted, options);
    let up = render_steps(&plan.steps, current, wanted);
    let back = GenerateOptions {
        allow_destructive: true,
        renames: options
            .renames
            .iter()
            .map(|rename| rename.reversed())
            .collect(),
    };
    let reverse = generate(wanted, current, &back);
    let down = render_steps(&reverse.steps, wanted, current);
    Draft { plan, up, down }
}
