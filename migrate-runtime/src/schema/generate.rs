//! The steps of a migration that takes one schema to another (Alembic's
//! autogenerate): which objects to create, alter, rename or drop, in an
//! order each database can run, with the destructive ones held back unless
//! asked for and likely renames named rather than guessed. Pure: each
//! database's renderer writes the steps as SQL.

use serde::Serialize;

use super::model::{
    Check, Column, CompositeType, EnumType, Event, Extension, ForeignKey, Index, Key,
    QualifiedName, Routine, Schema, Sequence, Table, Trigger, View,
};

/// What the caller allows a generated migration to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GenerateOptions {
    /// Drop tables and columns (their data is lost). Without it, those
    /// steps are refused and listed.
    pub allow_destructive: bool,
    /// Renames the caller named: a table, or a table's column.
    pub renames: Vec<Rename>,
}

/// A rename the caller named, which the comparison alone cannot tell from
/// a drop and an add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Rename {
    /// Table `from` is now called `to` (same schema).
    Table {
        /// The old name.
        from: QualifiedName,
        /// The new name, without its schema.
        to: String,
    },
    /// Column `from` of `table` (by its new name) is now called `to`.
    Column {
        /// The table, by its name in the new schema.
        table: QualifiedName,
        /// The old column name.
        from: String,
        /// The new column name.
        to: String,
    },
}

impl Rename {
    /// The rename that undoes this one (for a down script).
    pub fn reversed(&self) -> Rename {
        match self {
            Rename::Table { from, to } => Rename::Table {
                from: QualifiedName::new(from.schema.as_deref(), to),
                to: from.name.clone(),
            },
            Rename::Column { table, from, to } => Rename::Column {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
        }
    }

    /// Parses `--rename` syntax: `table=new_table`, `schema.table=new_table`
    /// or `table.column=new_column` (`schema.table.column=...` on
    /// PostgreSQL; a two-part name is a column when `table` exists in
    /// `old` and no table `schema.table` does).
    pub fn parse(text: &str, old: &Schema) -> Result<Rename, String> {
        let (from, to) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: write old=new, e.g. users.name=full_name"))?;
        let to = to.trim();
        if to.is_empty() || to.contains('.') {
            return Err(format!(
                "`{text}`: the new name is one identifier, without a table or schema"
            ));
        }
        let parts: Vec<&str> = from.trim().split('.').collect();
        let table = |schema: Option<&str>, name: &str| {
            old.tables
                .iter()
                .find(|t| {
                    t.name.name == name && (schema.is_none() || t.name.schema.as_deref() == schema)
                })
                .map(|t| t.name.clone())
        };
        let found = match parts.as_slice() {
            [name] => table(None, name).map(|from| Rename::Table {
                from,
                to: to.to_owned(),
            }),
            [schema, name] if table(Some(schema), name).is_some() => {
                table(Some(schema), name).map(|from| Rename::Table {
                    from,
                    to: to.to_owned(),
                })
            }
            [name, column] => table(None, name).map(|table| Rename::Column {
                table,
                from: (*column).to_owned(),
                to: to.to_owned(),
            }),
            [schema, name, column] => table(Some(schema), name).map(|table| Rename::Column {
                table,
                from: (*column).to_owned(),
                to: to.to_owned(),
            }),
            _ => None,
        };
        found.ok_or_else(|| format!("`{text}`: no such table in the migrations' schema"))
    }
}

/// One change of a generated migration. Tables are created without their
/// foreign keys and indexes, which follow as steps of their own, so tables
/// that reference each other can be created in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Step {
    CreateNamespace {
        name: String,
    },
    DropNamespace {
        name: String,
    },
    CreateExtension {
        extension: Extension,
    },
    DropExtension {
        extension: Extension,
    },
    CreateEnum {
        enum_type: EnumType,
    },
    /// New labels of an enum, each with the label it goes before (`None`:
    /// at the end).
    AddEnumValues {
        name: QualifiedName,
        values: Vec<(String, Option<String>)>,
    },
    DropEnum {
        enum_type: EnumType,
    },
    CreateCompositeType {
        composite_type: CompositeType,
    },
    /// Attributes added, dropped or retyped.
    AlterCompositeType {
        old: CompositeType,
        new: CompositeType,
    },
    DropCompositeType {
        composite_type: CompositeType,
    },
    CreateSequence {
        sequence: Sequence,
    },
    AlterSequence {
        old: Sequence,
        new: Sequence,
    },
    DropSequence {
        sequence: Sequence,
    },
    /// The table with its columns, primary key, unique and check
    /// constraints; not its foreign keys or indexes.
    CreateTable {
        table: Table,
    },
    DropTable {
        table: Table,
    },
    RenameTable {
        from: QualifiedName,
        to: String,
    },
    /// Options or comment.
    AlterTable {
        old: Table,
        new: Table,
    },
    AddColumn {
        table: QualifiedName,
        column: Column,
    },
    DropColumn {
        table: QualifiedName,
        column: Column,
    },
    RenameColumn {
        table: QualifiedName,
        from: String,
        to: String,
    },
    AlterColumn {
        table: QualifiedName,
        old: Column,
        new: Column,
    },
    AddPrimaryKey {
        table: QualifiedName,
        key: Key,
    },
    DropPrimaryKey {
        table: QualifiedName,
        key: Key,
    },
    AddUnique {
        table: QualifiedName,
        key: Key,
    },
    DropUnique {
        table: QualifiedName,
        key: Key,
    },
    AddCheck {
        table: QualifiedName,
        check: Check,
    },
    DropCheck {
        table: QualifiedName,
        check: Check,
    },
    AddForeignKey {
        table: QualifiedName,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: QualifiedName,
        foreign_key: ForeignKey,
    },
    /// `existing_table`: the table had rows before this migration (not
    /// created by it), so PostgreSQL builds the index `CONCURRENTLY`.
    CreateIndex {
        table: QualifiedName,
        index: Index,
        existing_table: bool,
    },
    DropIndex {
        table: QualifiedName,
        index: Index,
    },
    CreateView {
        view: View,
    },
    DropView {
        view: View,
    },
    CreateRoutine {
        routine: Routine,
    },
    /// A routine whose body changed, its signature kept: PostgreSQL
    /// replaces it in place (what calls it keeps working), MySQL drops and
    /// creates it.
    ReplaceRoutine {
        old: Routine,
        new: Routine,
    },
    DropRoutine {
        routine: Routine,
    },
    CreateTrigger {
        trigger: Trigger,
    },
    DropTrigger {
        trigger: Trigger,
    },
    CreateEvent {
        event: Event,
    },
    DropEvent {
        event: Event,
    },
}

impl Step {
    /// The step loses data: a dropped table or column.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Step::DropTable { .. } | Step::DropColumn { .. })
    }

    /// The table the step changes, if it changes one.
    pub fn table(&self) -> Option<&QualifiedName> {
        match self {
            Step::CreateTable { table } | Step::DropTable { table } => Some(&table.name),
            Step::AlterTable { new, .. } => Some(&new.name),
            Step::RenameTable { from, .. } => Some(from),
            Step::AddColumn { table, .. }
            | Step::DropColumn { table, .. }
            | Step::RenameColumn { table, .. }
            | Step::AlterColumn { table, .. }
            | Step::AddPrimaryKey { table, .. }
            | Step::DropPrimaryKey { table, .. }
            | Step::AddUnique { table, .. }
            | Step::DropUnique { table, .. }
            | Step::AddCheck { table, .. }
            | Step::DropCheck { table, .. }
            | Step::AddForeignKey { table, .. }
            | Step::DropForeignKey { table, .. }
            | Step::CreateIndex { table, .. }
            | Step::DropIndex { table, .. } => Some(table),
            _ => None,
        }
    }
}

/// A step the generator would not write, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The step, as it would be.
    pub step: Step,
    /// Why it was not written, and what to pass to have it written.
    pub reason: String,
}

/// The steps from one schema to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChangePlan {
    /// What to run, in order.
    pub steps: Vec<Step>,
    /// What was held back (destructive steps without
    /// [`GenerateOptions::allow_destructive`]).
    pub refused: Vec<Refusal>,
    /// Drop-and-add pairs that look like renames: `(table, dropped,
    /// added)` columns of the same type, or `(dropped, added)` tables with
    /// the same columns as `("", dropped, added)`.
    pub possible_renames: Vec<(String, String, String)>,
}

impl ChangePlan {
    /// Nothing to do and nothing held back.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.refused.is_empty()
    }
}

/// The steps that take `old` (the schema the migrations produce) to `new`
/// (the desired one).
pub fn generate(old: &Schema, new: &Schema, options: &GenerateOptions) -> ChangePlan {
    let renamed = with_renames(old, &options.renames);
    let old = &renamed;
    let mut plan = Phases::default();
    // Tables first: a renamed column's table is named by its new name.
    for rename in &options.renames {
        if let Rename::Table { from, to } = rename {
            plan.renames.push(Step::RenameTable {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    for rename in &options.renames {
        if let Rename::Column { table, from, to } = rename {
            plan.renames.push(Step::RenameColumn {
                table: table.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        }
    }

    // Namespaces, extensions, enum and composite types, sequences.
    for name in new
        .namespaces
        .iter()
        .filter(|n| !old.namespaces.contains(n))
    {
        plan.types
            .push(Step::CreateNamespace { name: name.clone() });
    }
    for name in old
        .namespaces
        .iter()
        .filter(|n| !new.namespaces.contains(n))
    {
        plan.drop_types
            .push(Step::DropNamespace { name: name.clone() });
    }
    paired(
        &old.extensions,
        &new.extensions,
        |e| e.name.clone(),
        |pair| match pair {
            Pair::Added(e) => plan.types.push(Step::CreateExtension {
                extension: e.clone(),
            }),
            Pair::Removed(e) => plan.drop_types.push(Step::DropExtension {
                extension: e.clone(),
            }),
            Pair::Both(o, n) => {
                plan.drop_types.push(Step::DropExtension {
                    extension: o.clone(),
                });
                plan.types.push(Step::CreateExtension {
                    extension: n.clone(),
                });
            }
        },
    );
    paired(
        &old.enums,
        &new.enums,
        |e| e.name.clone(),
        |pair| match pair {
            Pair::Added(e) => plan.types.push(Step::CreateEnum {
                enum_type: e.clone(),
            }),
            Pair::Removed(e) => plan.drop_types.push(Step::DropEnum {
                enum_type: e.clone(),
            }),
            Pair::Both(o, n) => plan.enum_change(o, n),
        },
    );
    paired(
        &old.composite_types,
        &new.composite_types,
        |c| c.name.clone(),
        |pair| match pair {
            Pair::Added(c) => plan.types.push(Step::CreateCompositeType {
                composite_type: c.clone(),
            }),
            Pair::Removed(c) => plan.drop_types.push(Step::DropCompositeType {
                composite_type: c.clone(),
            }),
            Pair::Both(o, n) => plan.types.push(Step::AlterCompositeType {
                old: o.clone(),
                new: n.clone(),
            }),
        },
    );
    paired(
        &old.sequences,
        &new.sequences,
        |s| s.name.clone(),
        |pair| match pair {
            Pair::Added(s) => plan.types.push(Step::CreateSequence {
                sequence: s.clone(),
            }),
            Pair::Removed(s) => plan.drop_types.push(Step::DropSequence {
                sequence: s.clone(),
            }),
            Pair::Both(o, n) => plan.types.push(Step::AlterSequence {
                old: o.clone(),
                new: n.clone(),
            }),
        },
    );

    // Routines, which views, defaults and triggers may call: dropped
    // first, created before views and triggers.
    paired(
        &old.routines,
        &new.routines,
        |r| (r.name.clone(), r.kind, r.arguments.clone()),
        |pair| match pair {
            Pair::Added(r) => plan
                .routines
                .push(Step::CreateRoutine { routine: r.clone() }),
            // Dropped at the end, once nothing calls it (a view, a
            // trigger, a default that changes).
            Pair::Removed(r) => plan
                .drop_types
                .push(Step::DropRoutine { routine: r.clone() }),
            Pair::Both(o, n) => plan.routines.push(Step::ReplaceRoutine {
                old: o.clone(),
                new: n.clone(),
            }),
        },
    );

    // Tables and their parts.
    let mut altered_tables: Vec<QualifiedName> = Vec::new();
    for table in &new.tables {
        match old.table(&table.name) {
            None => {
                plan.tables.push(Step::CreateTable {
                    table: table.clone(),
                });
                for fk in &table.foreign_keys {
                    plan.adds.push(Step::AddForeignKey {
                        table: table.name.clone(),
                        foreign_key: fk.clone(),
                    });
                }
                for index in &table.indexes {
                    plan.adds.push(Step::CreateIndex {
                        table: table.name.clone(),
                        index: index.clone(),
                        existing_table: false,
                    });
                }
            }
            Some(before) => {
                if plan.table_change(before, table) {
                    altered_tables.push(table.name.clone());
                }
            }
        }
    }
    // A table with a column of an enum type made again (its labels
    // reordered or removed) has that column converted.
    let remade_enums: Vec<&QualifiedName> = old
        .enums
        .iter()
        .map(|e| &e.name)
        .filter(|name| {
            let remade =
                |s: &Step| matches!(s, Step::CreateEnum { enum_type } if enum_type.name == **name);
            plan.types.iter().any(remade)
        })
        .collect();
    for table in old.tables.iter().filter(|t| new.table(&t.name).is_some()) {
        let typed = |c: &Column| remade_enums.iter().any(|e| mentions(&c.data_type, e));
        if table.columns.iter().any(typed) && !altered_tables.contains(&table.name) {
            altered_tables.push(table.name.clone());
        }
    }
    for table in old.tables.iter().filter(|t| new.table(&t.name).is_none()) {
        // Its foreign keys go with it; those of other tables that
        // reference it were dropped as parts of those tables.
        plan.drop_tables.push(Step::DropTable {
            table: table.clone(),
        });
        altered_tables.push(table.name.clone());
    }
    plan.possible_renames = possible_renames(old, new);

    // Views: dropped when they change, go, or read a table that changes
    // (a column they read may be altered or dropped); created again from
    // the new schema, in its order (each after the views it reads).
    let reads_altered = |view: &View| {
        altered_tables
            .iter()
            .any(|table| mentions(&view.definition, table))
    };
    let mut dropped_views: Vec<&View> = Vec::new();
    for view in &old.views {
        let kept = new.views.iter().find(|v| v.name == view.name);
        if kept != Some(view) || reads_altered(view) {
            dropped_views.push(view);
        }
    }
    // A view that reads a dropped view goes too, and comes back.
    loop {
        let more: Vec<&View> = old
            .views
            .iter()
            .filter(|v| !dropped_views.contains(v))
            .filter(|v| {
                dropped_views
                    .iter()
                    .any(|d| mentions(&v.definition, &d.name))
            })
            .collect();
        if more.is_empty() {
            break;
        }
        dropped_views.extend(more);
    }
    // Dropped in reverse creation order, readers first.
    for view in old.views.iter().rev().filter(|v| dropped_views.contains(v)) {
        plan.drop_dependents
            .push(Step::DropView { view: view.clone() });
    }
    for view in &new.views {
        let unchanged = old.views.iter().any(|v| v == view)
            && !dropped_views.iter().any(|d| d.name == view.name);
        if !unchanged {
            plan.views.push(Step::CreateView { view: view.clone() });
        }
    }

    // Triggers and events: dropped first when they change or go (or their
    // table does), created last.
    paired(
        &old.triggers,
        &new.triggers,
        |t| (t.table.clone(), t.name.clone()),
        |pair| match pair {
            Pair::Added(t) => plan.last.push(Step::CreateTrigger { trigger: t.clone() }),
            Pair::Removed(t) => {
                if new.table(&t.table).is_some() || new.views.iter().any(|v| v.name == t.table) {
                    plan.drop_dependents
                        .insert(0, Step::DropTrigger { trigger: t.clone() });
                }
            }
            Pair::Both(o, n) => {
                plan.drop_dependents
                    .insert(0, Step::DropTrigger { trigger: o.clone() });
                plan.last.push(Step::CreateTrigger { trigger: n.clone() });
            }
        },
    );
    paired(
        &old.events,
        &new.events,
        |e| e.name.clone(),
        |pair| match pair {
            Pair::Added(e) => plan.last.push(Step::CreateEvent { event: e.clone() }),
            Pair::Removed(e) => plan
                .drop_dependents
                .insert(0, Step::DropEvent { event: e.clone() }),
            Pair::Both(o, n) => {
                plan.drop_dependents
                    .insert(0, Step::DropEvent { event: o.clone() });
                plan.last.push(Step::CreateEvent { event: n.clone() });
            }
        },
    );

    plan.finish(options)
}

/// `old` with the named renames made, so that the comparison sees the
/// renamed objects as the same.
pub(super) fn with_renames(old: &Schema, renames: &[Rename]) -> Schema {
    let mut schema = old.clone();
    for rename in renames {
        match rename {
            Rename::Table { from, to } => {
                let renamed = QualifiedName::new(from.schema.as_deref(), to);
                for table in &mut schema.tables {
                    if &table.name == from {
                        table.name = renamed.clone();
                    }
                    for fk in &mut table.foreign_keys {
                        if &fk.references == from {
                            fk.references = renamed.clone();
                        }
                    }
                }
                for trigger in &mut schema.triggers {
                    if &trigger.table == from {
                        trigger.table = renamed.clone();
                    }
                }
            }
            Rename::Column { table, from, to } => {
                let Some(found) = schema.tables.iter_mut().find(|t| &t.name == table) else {
                    continue;
                };
                let rename = |names: &mut Vec<String>| {
                    for name in names.iter_mut().filter(|n| *n == from) {
                        name.clone_from(to);
                    }
                };
                for column in found.columns.iter_mut().filter(|c| &c.name == from) {
                    column.name.clone_from(to);
                }
                if let Some(key) = &mut found.primary_key {
                    rename(&mut key.columns);
                }
                for key in &mut found.uniques {
                    rename(&mut key.columns);
                }
                for fk in &mut found.foreign_keys {
                    rename(&mut fk.columns);
                }
                // The server renames the column in its indexes too: without
                // this, each would be dropped and built again.
                for part in found
                    .indexes
                    .iter_mut()
                    .flat_map(|index| index.parts.iter_mut())
                {
                    if let Some(renamed) = part_renamed(part, from, to) {
                        *part = renamed;
                    }
                }
                let renamed_table = table.clone();
                for other in &mut schema.tables {
                    for fk in other
                        .foreign_keys
                        .iter_mut()
                        .filter(|fk| fk.references == renamed_table)
                    {
                        rename(&mut fk.referenced_columns);
                    }
                }
            }
        }
    }
    schema
}

/// An index part that is column `from` (bare, or quoted with `"` or `` ` ``,
/// then maybe a prefix length, `DESC`, ...) naming `to` instead, quoted
/// the same way; `None` for any other part (an expression), which then
/// differs and has its index made again.
fn part_renamed(part: &str, from: &str, to: &str) -> Option<String> {
    let quoted = |q: char| {
        let double = format!("{q}{q}");
        let quote = |name: &str| format!("{q}{}{q}", name.replace(q, &double));
        (quote(from), quote(to))
    };
    let (backtick, double) = (quoted('`'), quoted('"'));
    [(from.to_owned(), to.to_owned()), backtick, double]
        .into_iter()
        .find_map(|(old, new)| {
            let rest = part.strip_prefix(old.as_str())?;
            (rest.is_empty() || rest.starts_with([' ', '('])).then(|| format!("{new}{rest}"))
        })
}

/// Whether SQL text names `name` (as a word, quoted or not).
fn mentions(sql: &str, name: &QualifiedName) -> bool {
    let lower = sql.to_lowercase();
    let wanted = name.name.to_lowercase();
    lower.match_indices(&wanted).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + wanted.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

/// Dropped and added columns of one table with the same type, and dropped
/// and added tables with the same column names and types: likely renames.
fn possible_renames(old: &Schema, new: &Schema) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for table in &new.tables {
        let Some(before) = old.table(&table.name) else {
            continue;
        };
        for dropped in before
            .columns
            .iter()
            .filter(|c| table.column(&c.name).is_none())
        {
            for added in table
                .columns
                .iter()
                .filter(|c| before.column(&c.name).is_none())
            {
                if added.data_type == dropped.data_type {
                    found.push((
                        table.name.to_string(),
                        dropped.name.clone(),
                        added.name.clone(),
                    ));
                }
            }
        }
    }
    let shape = |t: &Table| -> Vec<(String, String)> {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect()
    };
    for dropped in old.tables.iter().filter(|t| new.table(&t.name).is_none()) {
        for added in new.tables.iter().filter(|t| old.table(&t.name).is_none()) {
            if shape(dropped) == shape(added) {
                found.push((
                    String::new(),
                    dropped.name.to_string(),
                    added.name.to_string(),
                ));
            }
        }
    }
    found
}

enum Pair<'a, T> {
    Added(&'a T),
    Removed(&'a T),
    /// In both, and different.
    Both(&'a T, &'a T),
}

fn paired<'a, T: PartialEq, K: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    key: impl Fn(&T) -> K,
    mut each: impl FnMut(Pair<'a, T>),
) {
    for item in old {
        match new.iter().find(|n| key(n) == key(item)) {
            Some(other) if other != item => each(Pair::Both(item, other)),
            Some(_) => {}
            None => each(Pair::Removed(item)),
        }
    }
    for item in new.iter().filter(|n| !old.iter().any(|o| key(o) == key(n))) {
        each(Pair::Added(item));
    }
}

/// The steps by phase, in the order the phases run.
#[derive(Default)]
struct Phases {
    /// Triggers, events, views, routines, and the foreign keys, indexes and
    /// constraints that change or go.
    drop_dependents: Vec<Step>,
    types: Vec<Step>,
    renames: Vec<Step>,
    tables: Vec<Step>,
    drop_tables: Vec<Step>,
    /// Keys, constraints, indexes, then foreign keys.
    adds: Vec<Step>,
    routines: Vec<Step>,
    views: Vec<Step>,
    last: Vec<Step>,
    /// Namespaces, extensions, types, sequences and routines that go.
    drop_types: Vec<Step>,
    possible_renames: Vec<(String, String, String)>,
}

impl Phases {
    fn enum_change(&mut self, old: &EnumType, new: &EnumType) {
        // Labels can be added (anywhere) but not removed or reordered.
        let kept: Vec<&String> = new
            .values
            .iter()
            .filter(|v| old.values.contains(v))
            .collect();
        let appends_only =
            kept.len() == old.values.len() && kept.iter().zip(&old.values).all(|(a, b)| *a == b);
        if appends_only {
            let values = new
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| !old.values.contains(v))
                .map(|(i, v)| {
                    let before = new.values[i + 1..]
                        .iter()
                        .find(|next| old.values.contains(next))
                        .cloned();
                    (v.clone(), before)
                })
                .collect();
            self.types.push(Step::AddEnumValues {
                name: new.name.clone(),
                values,
            });
        } else {
            self.drop_types.push(Step::DropEnum {
                enum_type: old.clone(),
            });
            self.types.push(Step::CreateEnum {
                enum_type: new.clone(),
            });
        }
    }

    /// The steps that change `old` into `new` (same name); whether any
    /// column changed or went (views reading the table are then rebuilt).
    fn table_change(&mut self, old: &Table, new: &Table) -> bool {
        let name = &new.name;
        let bare = |t: &Table| (t.options.clone(), t.comment.clone());
        if bare(old) != bare(new) {
            self.tables.push(Step::AlterTable {
                old: old.clone(),
                new: new.clone(),
            });
        }
        let mut columns_changed = false;
        for column in &new.columns {
            match old.column(&column.name) {
                None => self.tables.push(Step::AddColumn {
                    table: name.clone(),
                    column: column.clone(),
                }),
                Some(before) if before != column => {
                    columns_changed = true;
                    self.tables.push(Step::AlterColumn {
                        table: name.clone(),
                        old: before.clone(),
                        new: column.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        for column in old.columns.iter().filter(|c| new.column(&c.name).is_none()) {
            columns_changed = true;
            self.drop_tables.push(Step::DropColumn {
                table: name.clone(),
                column: column.clone(),
            });
        }
        let table = || name.clone();
        let mut drops = Vec::new();
        let mut adds = Vec::new();
        // A key, constraint or index that changes is dropped and added.
        let old_pk = old.primary_key.as_ref();
        let new_pk = new.primary_key.as_ref();
        if old_pk != new_pk {
            if let Some(key) = old_pk {
                drops.push(Step::DropPrimaryKey {
                    table: table(),
                    key: key.clone(),
                });
            }
            if let Some(key) = new_pk {
                adds.push(Step::AddPrimaryKey {
                    table: table(),
                    key: key.clone(),
                });
            }
        }
        let key_id = |k: &Key| (k.name.clone(), k.name.is_none().then(|| k.columns.clone()));
        paired(&old.uniques, &new.uniques, key_id, |pair| {
            let (gone, come) = split(pair);
            drops.extend(gone.map(|key| Step::DropUnique {
                table: table(),
                key: key.clone(),
            }));
            adds.extend(come.map(|key| Step::AddUnique {
                table: table(),
                key: key.clone(),
            }));
        });
        let check_id = |c: &Check| {
            (
                c.name.clone(),
                c.name.is_none().then(|| c.expression.clone()),
            )
        };
        paired(&old.checks, &new.checks, check_id, |pair| {
            let (gone, come) = split(pair);
            drops.extend(gone.map(|check| Step::DropCheck {
                table: table(),
                check: check.clone(),
            }));
            adds.extend(come.map(|check| Step::AddCheck {
                table: table(),
                check: check.clone(),
            }));
        });
        paired(
            &old.indexes,
            &new.indexes,
            |i| i.name.clone(),
            |pair| {
                let (gone, come) = split(pair);
                drops.extend(gone.map(|index| Step::DropIndex {
                    table: table(),
                    index: index.clone(),
                }));
                adds.extend(come.map(|index| Step::CreateIndex {
                    table: table(),
                    index: index.clone(),
                    existing_table: true,
                }));
            },
        );
        let fk_id = |fk: &ForeignKey| {
            (
                fk.name.clone(),
                fk.name
                    .is_none()
                    .then(|| (fk.columns.clone(), fk.references.clone())),
            )
        };
        let mut fk_adds = Vec::new();
        paired(&old.foreign_keys, &new.foreign_keys, fk_id, |pair| {
            let (gone, come) = split(pair);
            // Foreign keys go before the keys they may rely on.
            self.drop_dependents
                .extend(gone.map(|fk| Step::DropForeignKey {
                    table: table(),
                    foreign_key: fk.clone(),
                }));
            fk_adds.extend(come.map(|fk| Step::AddForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            }));
        });
        self.drop_dependents.extend(drops);
        self.adds.extend(adds);
        self.adds.extend(fk_adds);
        columns_changed
    }

    fn finish(self, options: &GenerateOptions) -> ChangePlan {
        // Foreign keys are added after every other key, index and table.
        let (fks, others): (Vec<Step>, Vec<Step>) = self
            .adds
            .into_iter()
            .partition(|step| matches!(step, Step::AddForeignKey { .. }));
        // Foreign keys are dropped before the tables and keys they name.
        let (fk_drops, other_drops): (Vec<Step>, Vec<Step>) = self
            .drop_dependents
            .into_iter()
            .partition(|step| matches!(step, Step::DropForeignKey { .. }));
        let ordered = fk_drops
            .into_iter()
            .chain(other_drops)
            .chain(self.types)
            .chain(self.renames)
            .chain(self.tables)
            .chain(self.drop_tables)
            .chain(others)
            .chain(fks)
            .chain(self.routines)
            .chain(self.views)
            .chain(self.last)
            // In the reverse order of their creation: what a namespace
            // holds before the namespace, routines (whose signatures name
            // types) first.
            .chain(self.drop_types.into_iter().rev());
        let mut steps = Vec::new();
        let mut refused = Vec::new();
        for step in ordered {
            if step.is_destructive() && !options.allow_destructive {
                let reason = match &step {
                    Step::DropTable { table } => format!(
                        "drops table {} and its rows: pass --allow-destructive, or --rename {}=<new name> if it was renamed",
                        table.name, table.name
                    ),
                    Step::DropColumn { table, column } => format!(
                        "drops column {table}.{} and its values: pass --allow-destructive, or --rename {table}.{}=<new name> if it was renamed",
                        column.name, column.name
                    ),
                    _ => "loses data: pass --allow-destructive".to_owned(),
                };
                refused.push(Refusal { step, reason });
            } else {
                steps.push(step);
            }
        }
        ChangePlan {
            steps,
            refused,
            possible_renames: self.possible_renames,
        }
    }
}

/// What a pair drops and what it adds.
fn split<T>(pair: Pair<'_, T>) -> (Option<&T>, Option<&T>) {
    match pair {
        Pair::Added(new) => (None, Some(new)),
        Pair::Removed(old) => (Some(old), None),
        Pair::Both(old, new) => (Some(old), Some(new)),
    }
}
