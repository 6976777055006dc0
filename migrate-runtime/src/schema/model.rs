//! The schema of a database as this crate sees it: one model for the three
//! databases, filled by each database's catalog queries
//! ([`postgres`](super::postgres), [`mysql`](super::mysql),
//! [`sqlite`](super::sqlite)), compared by [`compare`](super::diff::compare)
//! and rendered back to SQL by each database's renderer.
//!
//! Every list is sorted (by name, or for columns by position), and every
//! text is normalised by the database's inspector as described on each
//! field, so two schemas that are the same compare equal with `==` and
//! render the same SQL byte for byte.

use serde::Serialize;

use crate::model::BackendKind;

/// A database's schema: its objects, without the migrator's own version and
/// lease tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Schema {
    /// The database it was read from.
    #[serde(serialize_with = "backend_name")]
    pub backend: BackendKind,
    /// PostgreSQL: the schemas (namespaces) the objects live in, other
    /// than `public` and the system's.
    pub namespaces: Vec<String>,
    /// PostgreSQL: installed extensions (by name; their objects are theirs,
    /// not listed here).
    pub extensions: Vec<Extension>,
    /// PostgreSQL: enum types.
    pub enums: Vec<EnumType>,
    /// PostgreSQL: composite types (`CREATE TYPE ... AS (...)`), not the
    /// row types of tables and views.
    pub composite_types: Vec<CompositeType>,
    /// PostgreSQL: sequences, those owned by a `serial` column included;
    /// MariaDB: `CREATE SEQUENCE` sequences.
    pub sequences: Vec<Sequence>,
    /// Tables, with their columns, keys, constraints and indexes.
    pub tables: Vec<Table>,
    /// Views (PostgreSQL: materialized views too). PostgreSQL lists them in
    /// an order they can be created in: each after the views it reads, then
    /// by name.
    pub views: Vec<View>,
    /// Functions and procedures (PostgreSQL, MySQL).
    pub routines: Vec<Routine>,
    /// Triggers.
    pub triggers: Vec<Trigger>,
    /// MySQL: scheduled events.
    pub events: Vec<Event>,
}

fn backend_name<S: serde::Serializer>(kind: &BackendKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

impl Schema {
    /// A schema without any object.
    pub fn empty(backend: BackendKind) -> Schema {
        Schema {
            backend,
            namespaces: Vec::new(),
            extensions: Vec::new(),
            enums: Vec::new(),
            composite_types: Vec::new(),
            sequences: Vec::new(),
            tables: Vec::new(),
            views: Vec::new(),
            routines: Vec::new(),
            triggers: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The table named `name`.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|table| &table.name == name)
    }

    /// How many objects it holds: tables, views, types, sequences,
    /// routines, triggers and events, and each table's columns, keys,
    /// constraints and indexes.
    pub fn object_count(&self) -> usize {
        let tables: usize = self.tables.iter().map(Table::object_count).sum();
        self.namespaces.len()
            + self.extensions.len()
            + self.enums.len()
            + self.composite_types.len()
            + self.sequences.len()
            + tables
            + self.views.len()
            + self.routines.len()
            + self.triggers.len()
            + self.events.len()
    }
}

/// A name, qualified by its schema on PostgreSQL (`public.users`); on MySQL
/// and SQLite the schema is `None` (the database is the connection's).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct QualifiedName {
    /// PostgreSQL's schema (namespace).
    pub schema: Option<String>,
    /// The object's name, as stored (unquoted, case preserved).
    pub name: String,
}

impl QualifiedName {
    /// A name in PostgreSQL schema `schema`.
    pub fn new(schema: Option<&str>, name: &str) -> QualifiedName {
        QualifiedName {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// An installed PostgreSQL extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// `pgcrypto`, `pg_trgm`, ...
    pub name: String,
    /// The schema its objects were installed in.
    pub schema: String,
}

/// A PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumType {
    /// Its name.
    pub name: QualifiedName,
    /// The labels, in their sort order.
    pub values: Vec<String>,
}

/// A PostgreSQL composite type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositeType {
    /// Its name.
    pub name: QualifiedName,
    /// Its attributes, in order.
    pub attributes: Vec<Attribute>,
}

/// An attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// Its name.
    pub name: String,
    /// Its type, as a column's [`data_type`](Column::data_type).
    pub data_type: String,
    /// A collation other than its type's.
    pub collation: Option<String>,
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sequence {
    /// Its name.
    pub name: QualifiedName,
    /// `bigint`, `integer`, ...
    pub data_type: String,
    /// The first value.
    pub start: i64,
    /// The step between values.
    pub increment: i64,
    /// The lowest value.
    pub min_value: i64,
    /// The highest value.
    pub max_value: i64,
    /// How many values a session takes ahead.
    pub cache: i64,
    /// Whether it wraps around after the last value.
    pub cycle: bool,
    /// The column whose `serial` made it (`OWNED BY`), as `table.column`.
    pub owned_by: Option<String>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Its name.
    pub name: QualifiedName,
    /// In their position's order.
    pub columns: Vec<Column>,
    /// Its primary key.
    pub primary_key: Option<Key>,
    /// `UNIQUE` constraints (a unique *index* is in `indexes`).
    pub uniques: Vec<Key>,
    /// `CHECK` constraints.
    pub checks: Vec<Check>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes other than those that enforce the primary key and the
    /// `UNIQUE` constraints.
    pub indexes: Vec<Index>,
    /// Storage options a dump must state again, by name: MySQL's `engine`,
    /// `charset`, `collation`; SQLite's `without_rowid`, `strict`;
    /// PostgreSQL's `unlogged`, `partition_by` (the key), and for a
    /// partition `partition_of` (its parent, as the dump names it) and
    /// `partition_bound` (`FOR VALUES ...`). Sorted by name.
    pub options: Vec<(String, String)>,
    /// Its comment (`COMMENT ON` / `COMMENT`).
    pub comment: Option<String>,
}

impl Table {
    /// A table named `name` with nothing in it yet: no column, key,
    /// constraint, index, option or comment.
    pub fn new(name: QualifiedName) -> Table {
        Table {
            name,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            options: Vec::new(),
            comment: None,
        }
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    fn object_count(&self) -> usize {
        1 + self.columns.len()
            + usize::from(self.primary_key.is_some())
            + self.uniques.len()
            + self.checks.len()
            + self.foreign_keys.len()
            + self.indexes.len()
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// The type as the database reports it, normalised: lowercase, the
    /// database's canonical spelling (`integer`, `character varying(20)`,
    /// `timestamp with time zone` on PostgreSQL; `int(11)`, `varchar(20)`
    /// on MySQL; the declared type on SQLite, lowercase).
    pub data_type: String,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// The default expression as the database prints it.
    pub default: Option<String>,
    /// MySQL: the value an update of the row sets it to (`ON UPDATE
    /// current_timestamp()`), as the database prints it.
    pub on_update: Option<String>,
    /// How the column numbers itself, if it does.
    pub identity: Option<Identity>,
    /// A generated (computed) column's expression.
    pub generated: Option<Generated>,
    /// A collation other than the table's or database's default.
    pub collation: Option<String>,
    /// Its comment (`COMMENT ON` / `COMMENT`).
    pub comment: Option<String>,
}

/// How a column numbers new rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// PostgreSQL `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// PostgreSQL `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
    /// MySQL `AUTO_INCREMENT`; SQLite `INTEGER PRIMARY KEY AUTOINCREMENT`.
    AutoIncrement,
}

/// A generated column: computed from `expression`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    /// The expression, as the database prints it back.
    pub expression: String,
    /// Stored in the row (`STORED`), or computed when read (`VIRTUAL`).
    pub stored: bool,
}

/// A primary key or `UNIQUE` constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    /// The constraint's name; `None` where the database keeps none (SQLite).
    pub name: Option<String>,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

/// A `CHECK` constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `None` where the database keeps no name (an unnamed SQLite check).
    pub name: Option<String>,
    /// As the database prints it.
    pub expression: String,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    /// `None` where the database keeps no name (SQLite).
    pub name: Option<String>,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The table it references.
    pub references: QualifiedName,
    /// The columns it references, in order.
    pub referenced_columns: Vec<String>,
    /// What an update of the parent row does.
    pub on_update: ReferentialAction,
    /// What a delete of the parent row does.
    pub on_delete: ReferentialAction,
    /// PostgreSQL and SQLite: `DEFERRABLE`, and whether initially deferred.
    pub deferrable: Deferrable,
}

/// What a foreign key does when its parent row changes or goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    /// `NO ACTION` (the default): checked at the statement's end.
    NoAction,
    /// `RESTRICT`: refused at once.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl ReferentialAction {
    /// As SQL spells it: `NO ACTION`, `CASCADE`, ...
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// When a constraint is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferrable {
    /// Checked after each statement (the default).
    NotDeferrable,
    /// `DEFERRABLE INITIALLY IMMEDIATE`.
    InitiallyImmediate,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at commit.
    InitiallyDeferred,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// A unique index.
    pub unique: bool,
    /// Each key part as the database prints it: a (quoted if need be)
    /// column name or an expression, followed by its collation, operator
    /// class, `DESC` and `NULLS FIRST/LAST` where not the default; MySQL
    /// adds a prefix length as `col(10)`.
    pub parts: Vec<String>,
    /// PostgreSQL: `INCLUDE` columns.
    pub include: Vec<String>,
    /// The access method where it is not the default: PostgreSQL `gin`,
    /// `gist`, ...; MySQL `FULLTEXT`, `SPATIAL`, `HASH`.
    pub method: Option<String>,
    /// A partial index's `WHERE` condition (PostgreSQL, SQLite).
    pub predicate: Option<String>,
}

/// A view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    /// Its name.
    pub name: QualifiedName,
    /// The query as the database prints it back (PostgreSQL
    /// `pg_get_viewdef`, MySQL `VIEW_DEFINITION` without the database's
    /// name, SQLite the `CREATE VIEW` text).
    pub definition: String,
    /// PostgreSQL: a materialized view.
    pub materialized: bool,
    /// PostgreSQL: a materialized view's indexes.
    pub indexes: Vec<Index>,
}

/// A function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routine {
    /// Its name.
    pub name: QualifiedName,
    /// Function or procedure.
    pub kind: RoutineKind,
    /// The argument types that tell overloads apart (PostgreSQL
    /// `pg_get_function_identity_arguments`); empty on MySQL.
    pub arguments: String,
    /// The whole `CREATE` statement as the database prints it back, less
    /// anything that names who made it (MySQL's `DEFINER`).
    pub definition: String,
}

/// Whether a routine is a function or a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    /// `CREATE FUNCTION`.
    Function,
    /// `CREATE PROCEDURE`.
    Procedure,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    /// Its name.
    pub name: QualifiedName,
    /// The table (or view) it fires on.
    pub table: QualifiedName,
    /// The `CREATE TRIGGER` statement as the database prints it back, less
    /// MySQL's `DEFINER`.
    pub definition: String,
}

/// A MySQL scheduled event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Its name.
    pub name: String,
    /// The `CREATE EVENT` statement, less its `DEFINER`.
    pub definition: String,
}
