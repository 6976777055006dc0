//! Two schemas compared object by object: what was added, removed or
//! changed going from the `old` one to the `new` one. Drift compares the
//! schema the applied migrations produce (old) with the live database's
//! (new); the same differences are what a generated migration must undo or
//! redo. Pure: reading the schemas and reporting are the callers'.

use std::fmt;

use serde::Serialize;

use super::model::{
    Check, Column, CompositeType, EnumType, Event, Extension, ForeignKey, Index, Key,
    QualifiedName, Routine, Schema, Sequence, Table, Trigger, View,
};

/// What [`Database::drift`](crate::Database::drift) found: how the live
/// database differs from the schema its applied migrations produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Drift {
    /// The newest applied version the migrations were replayed up to;
    /// `None` when nothing is applied (the expected schema is empty).
    pub version: Option<i64>,
    /// From the replayed schema (old) to the live one (new).
    pub differences: Vec<Difference>,
}

impl Drift {
    /// The live database is as its migrations left it.
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// Leaves out the differences whose object's [path](Difference::path)
    /// (`public.users.email`), or that path without its PostgreSQL schema
    /// (`users.email`), matches one of `patterns` (`*` any run of
    /// characters, `?` one): objects managed outside the migrations.
    ///
    /// ```
    /// # fn demo(drift: migrata::schema::Drift) {
    /// let drift = drift.ignoring(&["pg_stat_statements*", "audit_*"]);
    /// # }
    /// ```
    pub fn ignoring<P: AsRef<str>>(mut self, patterns: &[P]) -> Drift {
        let matches = |path: &str| {
            patterns
                .iter()
                .any(|pattern| migrata_core::wildcard_matches(pattern.as_ref(), path))
        };
        self.differences.retain(|difference| {
            let path = difference.path();
            let unqualified = match &difference.parent {
                Some(parent) if parent.schema.is_some() => {
                    format!("{}.{}", parent.name, difference.object().name())
                }
                _ => difference.object().unqualified_name(),
            };
            !matches(&path) && !matches(&unqualified)
        });
        self
    }
}

/// One object that differs between two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The table the object is part of (a column, key, constraint, index),
    /// or the view an index is on; `None` for the objects that stand alone.
    pub parent: Option<QualifiedName>,
    /// How it differs.
    pub change: Change,
}

/// How an object differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In the new schema only (drift: created outside the migrations).
    Added(Object),
    /// In the old schema only (drift: dropped outside the migrations).
    Removed(Object),
    /// In both, defined differently. For a table: its options or comment
    /// (its columns, keys and indexes are differences of their own).
    Changed {
        /// As it is in the old schema.
        old: Box<Object>,
        /// As it is in the new schema.
        new: Box<Object>,
    },
}

/// A schema object, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "object", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Object {
    Namespace(String),
    Extension(Extension),
    Enum(EnumType),
    CompositeType(CompositeType),
    Sequence(Sequence),
    Table(Table),
    Column(Column),
    PrimaryKey(Key),
    Unique(Key),
    Check(Check),
    ForeignKey(ForeignKey),
    Index(Index),
    View(View),
    Routine(Routine),
    Trigger(Trigger),
    Event(Event),
}

impl Object {
    /// `table`, `column`, `index`, ...: as the JSON `kind` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "schema",
            Object::Extension(_) => "extension",
            Object::Enum(_) => "enum",
            Object::CompositeType(_) => "composite type",
            Object::Sequence(_) => "sequence",
            Object::Table(_) => "table",
            Object::Column(_) => "column",
            Object::PrimaryKey(_) => "primary key",
            Object::Unique(_) => "unique constraint",
            Object::Check(_) => "check constraint",
            Object::ForeignKey(_) => "foreign key",
            Object::Index(_) => "index",
            Object::View(view) if view.materialized => "materialized view",
            Object::View(_) => "view",
            Object::Routine(routine) => match routine.kind {
                super::model::RoutineKind::Function => "function",
                super::model::RoutineKind::Procedure => "procedure",
            },
            Object::Trigger(_) => "trigger",
            Object::Event(_) => "event",
        }
    }

    /// Its name without a PostgreSQL schema.
    fn unqualified_name(&self) -> String {
        let qualified = match self {
            Object::Enum(e) => &e.name,
            Object::CompositeType(c) => &c.name,
            Object::Sequence(sequence) => &sequence.name,
            Object::Table(table) => &table.name,
            Object::View(view) => &view.name,
            Object::Routine(routine) => &routine.name,
            _ => return self.name(),
        };
        qualified.name.clone()
    }

    /// Its name; a part without a name of its own (an unnamed SQLite
    /// constraint) is named by what it holds.
    pub fn name(&self) -> String {
        let unnamed = |name: &Option<String>, what: String| name.clone().unwrap_or(what);
        match self {
            Object::Namespace(name) => name.clone(),
            Object::Extension(extension) => extension.name.clone(),
            Object::Enum(e) => e.name.to_string(),
            Object::CompositeType(c) => c.name.to_string(),
            Object::Sequence(sequence) => sequence.name.to_string(),
            Object::Table(table) => table.name.to_string(),
            Object::Column(column) => column.name.clone(),
            Object::PrimaryKey(key) | Object::Unique(key) => {
                unnamed(&key.name, format!("({})", key.columns.join(", ")))
            }
            Object::Check(check) => unnamed(&check.name, format!("({})", check.expression)),
            Object::ForeignKey(fk) => unnamed(
                &fk.name,
                format!("({}) -> {}", fk.columns.join(", "), fk.references),
            ),
            Object::Index(index) => index.name.clone(),
            Object::View(view) => view.name.to_string(),
            Object::Routine(routine) if routine.arguments.is_empty() => routine.name.to_string(),
            Object::Routine(routine) => format!("{}({})", routine.name, routine.arguments),
            Object::Trigger(trigger) => trigger.name.name.clone(),
            Object::Event(event) => event.name.clone(),
        }
    }
}

impl Difference {
    /// The object's kind (`column`, `index`, ...).
    pub fn kind(&self) -> &'static str {
        self.object().kind()
    }

    /// The object as it is in the new schema, or the old one if removed.
    pub fn object(&self) -> &Object {
        match &self.change {
            Change::Added(object) | Change::Removed(object) => object,
            Change::Changed { new, .. } => new,
        }
    }

    /// The object's full name: `public.users` for a table, `public.users.email`
    /// for one of its columns, keys or indexes. `--ignore` patterns match it.
    pub fn path(&self) -> String {
        match &self.parent {
            Some(parent) => format!("{parent}.{}", self.object().name()),
            None => self.object().name(),
        }
    }

    /// Each aspect that changed, as `(aspect, old, new)`: empty unless
    /// [`Change::Changed`].
    pub fn aspects(&self) -> Vec<(&'static str, String, String)> {
        let Change::Changed { old, new } = &self.change else {
            return Vec::new();
        };
        let mut aspects = Vec::new();
        let mut aspect = |name: &'static str, old: String, new: String| {
            if old != new {
                aspects.push((name, old, new));
            }
        };
        let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "none".to_owned());
        match (&**old, &**new) {
            (Object::Column(old), Object::Column(new)) => {
                aspect("type", old.data_type.clone(), new.data_type.clone());
                let null = |nullable: bool| if nullable { "NULL" } else { "NOT NULL" }.to_owned();
                aspect("nullability", null(old.nullable), null(new.nullable));
                aspect("default", shown(&old.default), shown(&new.default));
                aspect("on update", shown(&old.on_update), shown(&new.on_update));
                aspect(
                    "identity",
                    format!("{:?}", old.identity),
                    format!("{:?}", new.identity),
                );
                aspect(
                    "generated",
                    format!("{:?}", old.generated),
                    format!("{:?}", new.generated),
                );
                aspect("collation", shown(&old.collation), shown(&new.collation));
                aspect("comment", shown(&old.comment), shown(&new.comment));
            }
            (Object::Table(old), Object::Table(new)) => {
                aspect(
                    "options",
                    format!("{:?}", old.options),
                    format!("{:?}", new.options),
                );
                aspect("comment", shown(&old.comment), shown(&new.comment));
            }
            (Object::Index(old), Object::Index(new)) => {
                aspect("unique", old.unique.to_string(), new.unique.to_string());
                aspect("parts", old.parts.join(", "), new.parts.join(", "));
                aspect("include", old.include.join(", "), new.include.join(", "));
                aspect("method", shown(&old.method), shown(&new.method));
                aspect("predicate", shown(&old.predicate), shown(&new.predicate));
            }
            (Object::PrimaryKey(old), Object::PrimaryKey(new))
            | (Object::Unique(old), Object::Unique(new)) => {
                aspect("columns", old.columns.join(", "), new.columns.join(", "));
            }
            (Object::Check(old), Object::Check(new)) => {
                aspect("expression", old.expression.clone(), new.expression.clone());
            }
            (Object::ForeignKey(old), Object::ForeignKey(new)) => {
                aspect("columns", old.columns.join(", "), new.columns.join(", "));
                let target = |fk: &ForeignKey| {
                    format!("{}({})", fk.references, fk.referenced_columns.join(", "))
                };
                aspect("references", target(old), target(new));
                aspect(
                    "on update",
                    old.on_update.sql().to_owned(),
                    new.on_update.sql().to_owned(),
                );
                aspect(
                    "on delete",
                    old.on_delete.sql().to_owned(),
                    new.on_delete.sql().to_owned(),
                );
                aspect(
                    "deferrable",
                    format!("{:?}", old.deferrable),
                    format!("{:?}", new.deferrable),
                );
            }
            (Object::Enum(old), Object::Enum(new)) => {
                aspect("values", old.values.join(", "), new.values.join(", "));
            }
            (Object::CompositeType(old), Object::CompositeType(new)) => {
                let attributes = |c: &CompositeType| {
                    let attributes = c.attributes.iter();
                    let each = attributes.map(|a| format!("{} {}", a.name, a.data_type));
                    each.collect::<Vec<_>>().join(", ")
                };
                aspect("attributes", attributes(old), attributes(new));
            }
            (Object::Sequence(old), Object::Sequence(new)) => {
                aspect("definition", format!("{old:?}"), format!("{new:?}"));
            }
            (Object::Extension(old), Object::Extension(new)) => {
                aspect("schema", old.schema.clone(), new.schema.clone());
            }
            (Object::View(old), Object::View(new)) => {
                aspect("definition", old.definition.clone(), new.definition.clone());
                aspect(
                    "materialized",
                    old.materialized.to_string(),
                    new.materialized.to_string(),
                );
            }
            (Object::Routine(old), Object::Routine(new)) => {
                aspect("definition", old.definition.clone(), new.definition.clone());
            }
            (Object::Trigger(old), Object::Trigger(new)) => {
                aspect("definition", old.definition.clone(), new.definition.clone());
            }
            (Object::Event(old), Object::Event(new)) => {
                aspect("definition", old.definition.clone(), new.definition.clone());
            }
            (old, new) => aspect("definition", format!("{old:?}"), format!("{new:?}")),
        }
        aspects
    }
}

/// `added index public.users.users_email_idx`, `changed column
/// public.users.email: type text -> character varying(100)`.
impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.change {
            Change::Added(_) => "added",
            Change::Removed(_) => "removed",
            Change::Changed { .. } => "changed",
        };
        write!(f, "{verb} {} {}", self.kind(), self.path())?;
        for (i, (aspect, old, new)) in self.aspects().iter().enumerate() {
            let separator = if i == 0 { ": " } else { "; " };
            if old.contains('\n') || new.contains('\n') || old.len() + new.len() > 120 {
                write!(f, "{separator}{aspect} differs")?;
            } else {
                write!(f, "{separator}{aspect} {old} -> {new}")?;
            }
        }
        Ok(())
    }
}

/// Every difference going from `old` to `new`, standalone objects in the
/// order a dump creates them, each table's parts after the table.
pub fn compare(old: &Schema, new: &Schema) -> Vec<Difference> {
    let mut out = Differences::default();
    out.pair(None, &old.namespaces, &new.namespaces, Clone::clone, |n| {
        Object::Namespace(n.clone())
    });
    out.pair(
        None,
        &old.extensions,
        &new.extensions,
        |e| e.name.clone(),
        |e| Object::Extension(e.clone()),
    );
    out.pair(
        None,
        &old.enums,
        &new.enums,
        |e| e.name.clone(),
        |e| Object::Enum(e.clone()),
    );
    out.pair(
        None,
        &old.composite_types,
        &new.composite_types,
        |c| c.name.clone(),
        |c| Object::CompositeType(c.clone()),
    );
    out.pair(
        None,
        &old.sequences,
        &new.sequences,
        |s| s.name.clone(),
        |s| Object::Sequence(s.clone()),
    );
    for table in &old.tables {
        match new.table(&table.name) {
            Some(other) => out.tables(table, other),
            None => out.push(None, Change::Removed(Object::Table(table.clone()))),
        }
    }
    for table in new.tables.iter().filter(|t| old.table(&t.name).is_none()) {
        out.push(None, Change::Added(Object::Table(table.clone())));
    }
    out.pair(
        None,
        &old.views,
        &new.views,
        |v| v.name.clone(),
        |v| {
            Object::View(View {
                indexes: Vec::new(),
                ..v.clone()
            })
        },
    );
    for view in &old.views {
        if let Some(other) = new.views.iter().find(|v| v.name == view.name) {
            out.indexes(&view.name, &view.indexes, &other.indexes);
        }
    }
    out.pair(
        None,
        &old.routines,
        &new.routines,
        // MySQL: a function and a procedure may share a name (and have no
        // arguments to tell them apart).
        |r| (r.name.clone(), r.kind, r.arguments.clone()),
        |r| Object::Routine(r.clone()),
    );
    out.pair(
        None,
        &old.triggers,
        &new.triggers,
        |t| (t.table.clone(), t.name.clone()),
        |t| Object::Trigger(t.clone()),
    );
    out.pair(
        None,
        &old.events,
        &new.events,
        |e| e.name.clone(),
        |e| Object::Event(e.clone()),
    );
    out.0
}

#[derive(Default)]
struct Differences(Vec<Difference>);

impl Differences {
    fn push(&mut self, parent: Option<&QualifiedName>, change: Change) {
        self.0.push(Difference {
            parent: parent.cloned(),
            change,
        });
    }

    /// Objects matched by `key`: those in one list only, and those whose
    /// objects differ.
    fn pair<T, K: PartialEq>(
        &mut self,
        parent: Option<&QualifiedName>,
        old: &[T],
        new: &[T],
        key: impl Fn(&T) -> K,
        object: impl Fn(&T) -> Object,
    ) {
        for item in old {
            let k = key(item);
            match new.iter().find(|other| key(other) == k) {
                Some(other) => {
                    let (old, new) = (object(item), object(other));
                    if old != new {
                        let (old, new) = (Box::new(old), Box::new(new));
                        self.push(parent, Change::Changed { old, new });
                    }
                }
                None => self.push(parent, Change::Removed(object(item))),
            }
        }
        for item in new {
            let k = key(item);
            if !old.iter().any(|other| key(other) == k) {
                self.push(parent, Change::Added(object(item)));
            }
        }
    }

    fn tables(&mut self, old: &Table, new: &Table) {
        let bare = |t: &Table| Table {
            options: t.options.clone(),
            comment: t.comment.clone(),
            ..Table::new(t.name.clone())
        };
        if bare(old) != bare(new) {
            self.push(
                None,
                Change::Changed {
                    old: Box::new(Object::Table(old.clone())),
                    new: Box::new(Object::Table(new.clone())),
                },
            );
        }
        let table = Some(&old.name);
        self.pair(
            table,
            &old.columns,
            &new.columns,
            |c| c.name.clone(),
            |c| Object::Column(c.clone()),
        );
        self.pair(
            table,
            old.primary_key.as_slice(),
            new.primary_key.as_slice(),
            |_| (),
            |k| Object::PrimaryKey(k.clone()),
        );
        let key_identity = |k: &Key| (k.name.clone(), k.name.is_none().then(|| k.columns.clone()));
        self.pair(table, &old.uniques, &new.uniques, key_identity, |k| {
            Object::Unique(k.clone())
        });
        let check_identity = |c: &Check| {
            (
                c.name.clone(),
                c.name.is_none().then(|| c.expression.clone()),
            )
        };
        self.pair(table, &old.checks, &new.checks, check_identity, |c| {
            Object::Check(c.clone())
        });
        let fk_identity = |fk: &ForeignKey| {
            (
                fk.name.clone(),
                fk.name
                    .is_none()
                    .then(|| (fk.columns.clone(), fk.references.clone())),
            )
        };
        self.pair(
            table,
            &old.foreign_keys,
            &new.foreign_keys,
            fk_identity,
            |fk| Object::ForeignKey(fk.clone()),
        );
        self.indexes(&old.name, &old.indexes, &new.indexes);
    }

    fn indexes(&mut self, parent: &QualifiedName, old: &[Index], new: &[Index]) {
        self.pair(
            Some(parent),
            old,
            new,
            |i| i.name.clone(),
            |i| Object::Index(i.clone()),
        );
    }
}
