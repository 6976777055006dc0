//! postgres: the catalog queries that read a schema into the [model](super::model),
//! and the renderer that writes it back as canonical SQL.
//!
//! Inspection runs in one read-only transaction whose `search_path` is
//! `public` alone, so what the catalog prints (types, `regclass` literals,
//! view definitions) names objects of `public` without their schema and
//! every other object with it, whatever the session's own path; the dump
//! sets the same path, so it reads back the same.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{Connection, PgConnection};

use super::model::{
    Check, Column, Deferrable, EnumType, Extension, ForeignKey, Generated, Identity, Index, Key,
    QualifiedName, ReferentialAction, Routine, RoutineKind, Schema, Sequence, Table, Trigger,
    View,
};
use crate::model::BackendKind;

/// The condition that namespace `$n` holds user objects.
macro_rules! user_namespace {
    ($n:literal) => {
        concat!(
            $n,
            ".nspname NOT IN ('pg_catalog', 'information_schema') AND ",
            $n,
            ".nspname !~ '^pg_(toast|temp)'"
        )
    };
}

/// The condition that the object `$oid` of catalog `$catalog` is not a
/// member of an extension (those are the extension's, created by it).
macro_rules! not_in_extension {
    ($catalog:literal, $oid:literal) => {
        concat!(
            "NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = '",
            $catalog,
            "'::regclass AND x.objid = ",
            $oid,
            " AND x.deptype = 'e')"
        )
    };
}

/// The user relations `c` (in namespace `n`) of the kinds `$kinds`.
macro_rules! user_relations {
    ($kinds:literal) => {
        concat!(
            "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ",
            $kinds,
            " AND ",
            user_namespace!("n"),
            " AND ",
            not_in_extension!("pg_class", "c.oid")
        )
    };
}

/// The object ids below this one are the system's (what `initdb` made), as
/// pg_dump counts them: `plpgsql` is installed in every database.
const FIRST_NORMAL_OBJECT_ID: i64 = 16384;

pub(crate) async fn inspect(conn: &mut PgConnection) -> Result<Schema, sqlx::Error> {
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    sqlx::query("SET LOCAL search_path = public")
        .execute(&mut *tx)
        .await?;
    let mut schema = Schema::empty(BackendKind::Postgres);
    schema.namespaces = namespaces(&mut tx).await?;
    schema.extensions = extensions(&mut tx).await?;
    schema.enums = enums(&mut tx).await?;
    schema.sequences = sequences(&mut tx).await?;
    let (tables, views) = relations(&mut tx).await?;
    schema.tables = tables;
    schema.views = views;
    schema.routines = routines(&mut tx).await?;
    schema.triggers = triggers(&mut tx).await?;
    tx.rollback().await?;
    Ok(schema)
}

fn odd(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

async fn namespaces(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    let mut names: Vec<String> = sqlx::query_scalar(concat!(
        "SELECT n.nspname::text FROM pg_namespace n WHERE n.nspname <> 'public' AND ",
        user_namespace!("n"),
        " AND ",
        not_in_extension!("pg_namespace", "n.oid")
    ))
    .fetch_all(conn)
    .await?;
    names.sort();
    Ok(names)
}

async fn extensions(conn: &mut PgConnection) -> Result<Vec<Extension>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.oid::int8 >= $1",
    )
    .bind(FIRST_NORMAL_OBJECT_ID)
    .fetch_all(conn)
    .await?;
    let mut extensions: Vec<Extension> = rows
        .into_iter()
        .map(|(name, schema)| Extension { name, schema })
        .collect();
    extensions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(extensions)
}

async fn enums(conn: &mut PgConnection) -> Result<Vec<EnumType>, sqlx::Error> {
    let rows: Vec<(String, String, Vec<String>)> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, t.typname::text, \
         array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND ",
        user_namespace!("n"),
        " AND ",
        not_in_extension!("pg_type", "t.oid")
    ))
    .fetch_all(conn)
    .await?;
    let mut enums: Vec<EnumType> = rows
        .into_iter()
        .map(|(schema, name, values)| EnumType {
            name: QualifiedName::new(Some(&schema), &name),
            values,
        })
        .collect();
    enums.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(enums)
}

type SequenceRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    bool,
    Option<String>,
    Option<String>,
);

async fn sequences(conn: &mut PgConnection) -> Result<Vec<Sequence>, sqlx::Error> {
    // An identity column's sequence (dependency 'i') is the column's own:
    // its `GENERATED ... AS IDENTITY` makes it again. A `serial`'s sequence
    // is an object of its own that the column owns (dependency 'a').
    let rows: Vec<SequenceRow> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL), s.seqstart, \
         s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, o.relname, o.attname \
         FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN LATERAL (SELECT t.relname::text, a.attname::text FROM pg_depend d \
             JOIN pg_class t ON t.oid = d.refobjid \
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
             AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND d.refobjsubid > 0 \
             ORDER BY 1, 2 LIMIT 1) o ON true \
         WHERE ",
        user_namespace!("n"),
        " AND ",
        not_in_extension!("pg_class", "c.oid"),
        " AND NOT EXISTS (SELECT FROM pg_depend i WHERE i.classid = 'pg_class'::regclass \
             AND i.objid = c.oid AND i.deptype = 'i')"
    ))
    .fetch_all(conn)
    .await?;
    let mut sequences: Vec<Sequence> = rows
        .into_iter()
        .map(
            |(schema, name, data_type, start, increment, min_value, max_value, cache, cycle, table, column)| {
                Sequence {
                    name: QualifiedName::new(Some(&schema), &name),
                    data_type,
                    start,
                    increment,
                    min_value,
                    max_value,
                    cache,
                    cycle,
                    owned_by: table
                        .zip(column)
                        .map(|(table, column)| format!("{}.{}", ident(&table), ident(&column))),
                }
            },
        )
        .collect();
    sequences.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sequences)
}

type RelationRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

type ColumnRow = (
    i64,
    String,
    String,
    bool,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

type ConstraintRow = (
    i64,
    String,
    String,
    Vec<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
    String,
    String,
    bool,
    bool,
    Option<String>,
);

type IndexRow = (
    i64,
    String,
    bool,
    String,
    String,
    Vec<String>,
    Option<String>,
);

/// Tables with their parts, and views (in the order they can be created).
async fn relations(conn: &mut PgConnection) -> Result<(Vec<Table>, Vec<View>), sqlx::Error> {
    let rows: Vec<RelationRow> = sqlx::query_as(concat!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, \
         c.relpersistence::text, pg_get_partkeydef(c.oid), obj_description(c.oid, 'pg_class'), \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END FROM ",
        user_relations!("('r', 'p', 'v', 'm')")
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = BTreeMap::new();
    let mut views = BTreeMap::new();
    for (oid, schema, name, kind, persistence, partition_by, comment, definition) in rows {
        let name = QualifiedName::new(Some(&schema), &name);
        match definition {
            Some(definition) => {
                views.insert(
                    oid,
                    View {
                        name,
                        definition: definition.trim().trim_end_matches(';').trim_end().to_owned(),
                        materialized: kind == "m",
                        indexes: Vec::new(),
                    },
                );
            }
            None => {
                let mut options = Vec::new();
                if let Some(key) = partition_by {
                    options.push(("partition_by".to_owned(), key));
                }
                if persistence == "u" {
                    options.push(("unlogged".to_owned(), "true".to_owned()));
                }
                tables.insert(
                    oid,
                    Table {
                        name,
                        columns: Vec::new(),
                        primary_key: None,
                        uniques: Vec::new(),
                        checks: Vec::new(),
                        foreign_keys: Vec::new(),
                        indexes: Vec::new(),
                        options,
                        comment,
                    },
                );
            }
        }
    }
    columns(conn, &mut tables).await?;
    constraints(conn, &mut tables).await?;
    indexes(conn, &mut tables, &mut views).await?;
    let views = in_creation_order(conn, views).await?;
    let mut tables: Vec<Table> = tables.into_values().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((tables, views))
}

async fn columns(
    conn: &mut PgConnection,
    tables: &mut BTreeMap<i64, Table>,
) -> Result<(), sqlx::Error> {
    // A collation is the column's own only where it is not its type's.
    let rows: Vec<ColumnRow> = sqlx::query_as(concat!(
        "SELECT c.oid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         pg_get_expr(d.adbin, d.adrelid, true), a.attidentity::text, a.attgenerated::text, \
         CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname::text END, \
         CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END, \
         col_description(c.oid, a.attnum) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         , ",
        user_relations!("('r', 'p')"),
        " AND a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.oid, a.attnum"
    ))
    .fetch_all(conn)
    .await?;
    for (oid, name, data_type, not_null, expression, identity, generated, coll_schema, coll_name, comment) in rows {
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        let identity = match identity.as_str() {
            "" => None,
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            other => return Err(odd(format!("column {name}: identity kind {other:?}"))),
        };
        let (default, generated) = match generated.as_str() {
            "" => (expression, None),
            "s" | "v" => (
                None,
                expression.map(|expression| Generated {
                    expression,
                    stored: generated == "s",
                }),
            ),
            other => return Err(odd(format!("column {name}: generated kind {other:?}"))),
        };
        let collation = coll_name.map(|collation| match coll_schema.as_deref() {
            Some("pg_catalog") | None => ident(&collation).into_owned(),
            Some(schema) => format!("{}.{}", ident(schema), ident(&collation)),
        });
        table.columns.push(Column {
            name,
            data_type,
            nullable: !not_null,
            default,
            identity,
            generated,
            collation,
            comment,
        });
    }
    Ok(())
}

fn action(code: &str) -> Result<ReferentialAction, sqlx::Error> {
    Ok(match code {
        "a" => ReferentialAction::NoAction,
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        other => return Err(odd(format!("foreign key action {other:?}"))),
    })
}

async fn constraints(
    conn: &mut PgConnection,
    tables: &mut BTreeMap<i64, Table>,
) -> Result<(), sqlx::Error> {
    // A partition's copies of its parent's constraints (conparentid) are
    // made again by attaching it.
    let rows: Vec<ConstraintRow> = sqlx::query_as(concat!(
        "SELECT c.oid::int8, k.conname::text, k.contype::text, \
         array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord), \
         fn.nspname::text, fc.relname::text, \
         array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord), \
         k.confupdtype::text, k.confdeltype::text, k.condeferrable, k.condeferred, \
         CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid, true) END \
         FROM pg_constraint k \
         LEFT JOIN pg_class fc ON fc.oid = k.confrelid \
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         , ",
        user_relations!("('r', 'p')"),
        " AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f') AND k.conparentid = 0"
    ))
    .fetch_all(conn)
    .await?;
    for (oid, name, kind, columns, ref_schema, ref_table, ref_columns, on_update, on_delete, deferrable, deferred, expression) in rows {
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(Key {
                    name: Some(name),
                    columns,
                })
            }
            "u" => table.uniques.push(Key {
                name: Some(name),
                columns,
            }),
            "c" => table.checks.push(Check {
                name: Some(name),
                expression: expression.unwrap_or_default(),
            }),
            _ => {
                let references = QualifiedName::new(
                    ref_schema.as_deref(),
                    ref_table.as_deref().unwrap_or_default(),
                );
                table.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    references,
                    referenced_columns: ref_columns,
                    on_update: action(&on_update)?,
                    on_delete: action(&on_delete)?,
                    deferrable: match (deferrable, deferred) {
                        (false, _) => Deferrable::NotDeferrable,
                        (true, false) => Deferrable::InitiallyImmediate,
                        (true, true) => Deferrable::InitiallyDeferred,
                    },
                })
            }
        }
    }
    for table in tables.values_mut() {
        table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        table.checks.sort_by(|a, b| a.name.cmp(&b.name));
        table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(())
}

async fn indexes(
    conn: &mut PgConnection,
    tables: &mut BTreeMap<i64, Table>,
    views: &mut BTreeMap<i64, View>,
) -> Result<(), sqlx::Error> {
    // The indexes that enforce a primary key, `UNIQUE` or `EXCLUDE`
    // constraint are the constraint's.
    let rows: Vec<IndexRow> = sqlx::query_as(concat!(
        "SELECT c.oid::int8, ic.relname::text, i.indisunique, am.amname::text, \
         pg_get_indexdef(i.indexrelid, 0, true), \
         array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.num \
             WHERE u.ord > i.indnkeyatts ORDER BY u.ord), \
         pg_get_expr(i.indpred, i.indrelid, true) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_am am ON am.oid = ic.relam \
         , ",
        user_relations!("('r', 'p', 'm')"),
        " AND i.indrelid = c.oid AND NOT EXISTS (SELECT FROM pg_constraint k \
             WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))"
    ))
    .fetch_all(conn)
    .await?;
    for (oid, name, unique, method, definition, include, predicate) in rows {
        let parts = key_parts(&definition, &method);
        let index = Index {
            name,
            unique,
            parts,
            include,
            method: (method != "btree").then_some(method),
            predicate,
        };
        if let Some(table) = tables.get_mut(&oid) {
            table.indexes.push(index);
        } else if let Some(view) = views.get_mut(&oid) {
            view.indexes.push(index);
        }
    }
    let by_name = |a: &Index, b: &Index| a.name.cmp(&b.name);
    tables.values_mut().for_each(|t| t.indexes.sort_by(by_name));
    views.values_mut().for_each(|v| v.indexes.sort_by(by_name));
    Ok(())
}

/// The key parts of an index as `pg_get_indexdef` prints them: the list in
/// parentheses after `USING <method>`, split at its top-level commas.
fn key_parts(definition: &str, method: &str) -> Vec<String> {
    let marker = format!(" USING {method} (");
    let Some(at) = definition.find(&marker) else {
        return Vec::new();
    };
    let list = &definition[at + marker.len() - 1..];
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 1;
    let mut quote: Option<char> = None;
    for (i, ch) in list.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    parts.push(list[start..i].trim().to_owned());
                    break;
                }
            }
            (None, ',') if depth == 1 => {
                parts.push(list[start..i].trim().to_owned());
                start = i + 1;
            }
            (None, _) => {}
        }
    }
    parts
}

/// The views in an order they can be created in: each after those it
/// reads, otherwise by name.
async fn in_creation_order(
    conn: &mut PgConnection,
    mut views: BTreeMap<i64, View>,
) -> Result<Vec<View>, sqlx::Error> {
    let edges: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT r.ev_class::int8, d.refobjid::int8 FROM pg_rewrite r \
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class",
    )
    .fetch_all(conn)
    .await?;
    let mut needs: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (view, needed) in edges {
        if views.contains_key(&view) && views.contains_key(&needed) {
            needs.entry(view).or_default().insert(needed);
        }
    }
    let mut ordered = Vec::with_capacity(views.len());
    while !views.is_empty() {
        let ready: Vec<i64> = views
            .keys()
            .filter(|oid| needs.get(oid).is_none_or(|set| set.iter().all(|n| !views.contains_key(n))))
            .copied()
            .collect();
        // A cycle cannot be made; were the catalog to show one, the rest
        // go by name rather than never.
        let batch = if ready.is_empty() {
            views.keys().copied().collect()
        } else {
            ready
        };
        let mut batch: Vec<View> = batch.iter().filter_map(|oid| views.remove(oid)).collect();
        batch.sort_by(|a, b| a.name.cmp(&b.name));
        ordered.extend(batch);
    }
    Ok(ordered)
}

async fn routines(conn: &mut PgConnection) -> Result<Vec<Routine>, sqlx::Error> {
    // Aggregates and window functions have no `pg_get_functiondef`.
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, p.proname::text, p.prokind::text, \
         pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prokind IN ('f', 'p') AND ",
        user_namespace!("n"),
        " AND ",
        not_in_extension!("pg_proc", "p.oid")
    ))
    .fetch_all(conn)
    .await?;
    let mut routines: Vec<Routine> = rows
        .into_iter()
        .map(|(schema, name, kind, arguments, definition)| Routine {
            name: QualifiedName::new(Some(&schema), &name),
            kind: if kind == "p" {
                RoutineKind::Procedure
            } else {
                RoutineKind::Function
            },
            arguments,
            definition: definition.trim_end().to_owned(),
        })
        .collect();
    routines.sort_by(|a, b| (&a.name, &a.arguments).cmp(&(&b.name, &b.arguments)));
    Ok(routines)
}

async fn triggers(conn: &mut PgConnection) -> Result<Vec<Trigger>, sqlx::Error> {
    // Internal triggers enforce foreign keys; a partition's clones of its
    // parent's triggers (tgparentid) are made again by attaching it.
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(concat!(
        "SELECT n.nspname::text, t.tgname::text, c.relname::text, pg_get_triggerdef(t.oid, true) \
         FROM pg_trigger t, ",
        user_relations!("('r', 'p', 'v', 'm', 'f')"),
        " AND t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgparentid = 0"
    ))
    .fetch_all(conn)
    .await?;
    let mut triggers: Vec<Trigger> = rows
        .into_iter()
        .map(|(schema, name, table, definition)| Trigger {
            name: QualifiedName::new(Some(&schema), &name),
            table: QualifiedName::new(Some(&schema), &table),
            definition,
        })
        .collect();
    triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    Ok(triggers)
}

/// Words PostgreSQL 15 does not take as a bare identifier (every keyword
/// but the unreserved ones: `pg_get_keywords()` with `catcode <> 'U'`),
/// sorted for a binary search.
const RESERVED: &[&str] = &[
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "dec", "decimal",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
    "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
    "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout",
    "int", "integer", "intersect", "interval", "into", "is", "isnull", "join", "lateral",
    "leading", "least", "left", "like", "limit", "localtime", "localtimestamp", "national",
    "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif", "numeric",
    "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
    "position", "precision", "primary", "real", "references", "returning", "right", "row",
    "select", "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric",
    "table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim",
    "true", "union", "unique", "user", "using", "values", "varchar", "variadic", "verbose",
    "when", "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
    "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
];

/// `name` as an SQL identifier, quoted as PostgreSQL's `quote_ident` does:
/// only when it is not lowercase letters, digits and `_` (not starting
/// with a digit), or is a keyword.
fn ident(name: &str) -> Cow<'_, str> {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && RESERVED.binary_search(&name).is_err();
    if plain {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

/// The schema part of a name as the dump writes it: none for `public`
/// (the dump's `search_path`), `schema.` for the others.
fn schema_prefix(schema: Option<&str>) -> String {
    match schema {
        None | Some("public") => String::new(),
        Some(schema) => format!("{}.", ident(schema)),
    }
}

fn qualified(name: &QualifiedName) -> String {
    format!("{}{}", schema_prefix(name.schema.as_deref()), ident(&name.name))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn list<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names
        .into_iter()
        .map(|name| ident(name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn render(schema: &Schema) -> String {
    // Function bodies are checked when called, not when created (as
    // pg_dump does), so a function may name a table created after it.
    let mut out = vec!["SET check_function_bodies = false;\nSET search_path = public;".to_owned()];
    for namespace in &schema.namespaces {
        out.push(format!("CREATE SCHEMA {};", ident(namespace)));
    }
    for extension in &schema.extensions {
        out.push(format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
            ident(&extension.name),
            ident(&extension.schema)
        ));
    }
    for e in &schema.enums {
        let values: Vec<String> = e.values.iter().map(|v| format!("    {}", literal(v))).collect();
        out.push(format!(
            "CREATE TYPE {} AS ENUM (\n{}\n);",
            qualified(&e.name),
            values.join(",\n")
        ));
    }
    for sequence in &schema.sequences {
        out.push(render_sequence(sequence));
    }
    for routine in &schema.routines {
        out.push(format!("{};", routine.definition));
    }
    for table in &schema.tables {
        out.push(render_table(table));
    }
    for sequence in &schema.sequences {
        if let Some(owner) = &sequence.owned_by {
            // A sequence and the table owning it share a schema.
            out.push(format!(
                "ALTER SEQUENCE {} OWNED BY {}{owner};",
                qualified(&sequence.name),
                schema_prefix(sequence.name.schema.as_deref()),
            ));
        }
    }
    for table in &schema.tables {
        out.extend(table.indexes.iter().map(|index| render_index(&table.name, index)));
    }
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            out.push(render_foreign_key(&table.name, fk));
        }
    }
    for view in &schema.views {
        let kind = if view.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        out.push(format!(
            "CREATE {kind} {} AS\n{};",
            qualified(&view.name),
            view.definition
        ));
        out.extend(view.indexes.iter().map(|index| render_index(&view.name, index)));
    }
    for trigger in &schema.triggers {
        out.push(format!("{};", trigger.definition));
    }
    for table in &schema.tables {
        let name = qualified(&table.name);
        if let Some(comment) = &table.comment {
            out.push(format!("COMMENT ON TABLE {name} IS {};", literal(comment)));
        }
        for column in &table.columns {
            if let Some(comment) = &column.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {name}.{} IS {};",
                    ident(&column.name),
                    literal(comment)
                ));
            }
        }
    }
    let mut sql = out.join("\n\n");
    sql.push('\n');
    sql
}

fn render_sequence(sequence: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE {}\n    AS {}\n    START WITH {}\n    INCREMENT BY {}\n    MINVALUE {}\n    MAXVALUE {}\n    CACHE {}{};",
        qualified(&sequence.name),
        sequence.data_type,
        sequence.start,
        sequence.increment,
        sequence.min_value,
        sequence.max_value,
        sequence.cache,
        if sequence.cycle { "\n    CYCLE" } else { "" }
    )
}

fn render_column(column: &Column) -> String {
    let mut sql = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(generated) = &column.generated {
        let storage = if generated.stored { "STORED" } else { "VIRTUAL" };
        sql.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {storage}",
            generated.expression
        ));
    }
    match column.identity {
        Some(Identity::Always) => sql.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(Identity::ByDefault | Identity::AutoIncrement) => {
            sql.push_str(" GENERATED BY DEFAULT AS IDENTITY")
        }
        None => {}
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

fn constraint_name(name: &Option<String>) -> String {
    name.as_deref()
        .map(|name| format!("CONSTRAINT {} ", ident(name)))
        .unwrap_or_default()
}

fn render_table(table: &Table) -> String {
    let mut lines: Vec<String> = table.columns.iter().map(render_column).collect();
    if let Some(key) = &table.primary_key {
        lines.push(format!(
            "{}PRIMARY KEY ({})",
            constraint_name(&key.name),
            list(&key.columns)
        ));
    }
    for key in &table.uniques {
        lines.push(format!(
            "{}UNIQUE ({})",
            constraint_name(&key.name),
            list(&key.columns)
        ));
    }
    for check in &table.checks {
        lines.push(format!(
            "{}CHECK ({})",
            constraint_name(&check.name),
            check.expression
        ));
    }
    let option = |name: &str| {
        table
            .options
            .iter()
            .find(|(option, _)| option == name)
            .map(|(_, value)| value.as_str())
    };
    let unlogged = if option("unlogged").is_some() {
        "UNLOGGED "
    } else {
        ""
    };
    let partition = option("partition_by")
        .map(|key| format!(" PARTITION BY {key}"))
        .unwrap_or_default();
    let body = lines
        .iter()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "CREATE {unlogged}TABLE {} (\n{body}\n){partition};",
        qualified(&table.name)
    )
}

fn render_index(on: &QualifiedName, index: &Index) -> String {
    let mut sql = format!(
        "CREATE {}INDEX {} ON {}",
        if index.unique { "UNIQUE " } else { "" },
        ident(&index.name),
        qualified(on)
    );
    if let Some(method) = &index.method {
        sql.push_str(&format!(" USING {method}"));
    }
    sql.push_str(&format!(" ({})", index.parts.join(", ")));
    if !index.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", list(&index.include)));
    }
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql.push(';');
    sql
}

fn render_foreign_key(table: &QualifiedName, fk: &ForeignKey) -> String {
    let mut sql = format!(
        "ALTER TABLE {}\n    ADD {}FOREIGN KEY ({}) REFERENCES {} ({})",
        qualified(table),
        constraint_name(&fk.name),
        list(&fk.columns),
        qualified(&fk.references),
        list(&fk.referenced_columns)
    );
    if fk.on_update != ReferentialAction::NoAction {
        sql.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
    }
    if fk.on_delete != ReferentialAction::NoAction {
        sql.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
    }
    match fk.deferrable {
        Deferrable::NotDeferrable => {}
        Deferrable::InitiallyImmediate => sql.push_str(" DEFERRABLE"),
        Deferrable::InitiallyDeferred => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    sql.push(';');
    sql
}
