//! postgres: the catalog queries that read a schema into the [model](super::model),
//! and the renderer that writes it back as canonical SQL.
//!
//! Inspection runs in one read-only transaction whose `search_path` is
//! `public` alone, so what the catalog prints (types, `regclass` literals,
//! view definitions) names objects of `public` without their schema and
//! every other object with it, whatever the session's own path; the dump
//! sets the same path, so it reads back the same. The same transaction
//! prints dates, times and intervals one way (UTC, ISO, `postgres`)
//! whatever the session's settings, so a partition's bounds or a default
//! read the same from any connection.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection, Row};

use super::model::{
    Attribute, Check, Column, CompositeType, Deferrable, EnumType, Extension, ForeignKey,
    Generated, Identity, Index, Key, QualifiedName, ReferentialAction, Routine, RoutineKind,
    Schema, Sequence, Table, Trigger, View,
};
use super::{GeneratedScript, Step};
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

/// The condition that relation `c` (in namespace `n`) is a user relation of
/// one of the kinds `$kinds`.
macro_rules! user_relation {
    ($kinds:literal) => {
        concat!(
            "c.relkind IN ",
            $kinds,
            " AND ",
            user_namespace!("n"),
            " AND ",
            not_in_extension!("pg_class", "c.oid")
        )
    };
}

/// The user relations `c` (in namespace `n`) of the kinds `$kinds`.
macro_rules! user_relations {
    ($kinds:literal) => {
        concat!(
            "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ",
            user_relation!($kinds)
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
    sqlx::query(
        "SELECT set_config('search_path', 'public', true), set_config('TimeZone', 'UTC', true), \
         set_config('DateStyle', 'ISO, MDY', true), set_config('IntervalStyle', 'postgres', true)",
    )
    .execute(&mut *tx)
    .await?;
    let mut schema = Schema::empty(BackendKind::Postgres);
    schema.namespaces = namespaces(&mut tx).await?;
    schema.extensions = extensions(&mut tx).await?;
    schema.enums = enums(&mut tx).await?;
    schema.composite_types = composite_types(&mut tx).await?;
    schema.sequences = sequences(&mut tx).await?;
    let (tables, views) = relations(&mut tx).await?;
    schema.tables = tables;
    schema.views = views;
    schema.routines = routines(&mut tx).await?;
    schema.triggers = triggers(&mut tx).await?;
    tx.rollback().await?;
    Ok(schema)
}

/// A catalog value this reader does not know (a newer server's, say): an
/// error rather than a guess that would render something else.
fn odd(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

/// The name in columns `schema` and `name` of `row`.
fn qualified_name(row: &PgRow, schema: &str, name: &str) -> Result<QualifiedName, sqlx::Error> {
    let schema: Option<String> = row.try_get(schema)?;
    let name: Option<String> = row.try_get(name)?;
    Ok(QualifiedName::new(
        schema.as_deref(),
        name.as_deref().unwrap_or_default(),
    ))
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

async fn composite_types(conn: &mut PgConnection) -> Result<Vec<CompositeType>, sqlx::Error> {
    // A collation is the attribute's own only where it is not its type's.
    let rows = sqlx::query(concat!(
        "SELECT n.nspname::text AS schema, t.typname::text AS name, a.attname::text AS attribute, \
         format_type(a.atttypid, a.atttypmod) AS data_type, \
         CASE WHEN a.attcollation <> at.typcollation THEN cn.nspname::text END AS collation_schema, \
         CASE WHEN a.attcollation <> at.typcollation THEN co.collname::text END AS collation \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         JOIN pg_type at ON at.oid = a.atttypid \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE t.typtype = 'c' AND ",
        user_namespace!("n"),
        " AND ",
        not_in_extension!("pg_type", "t.oid"),
        " ORDER BY n.nspname, t.typname, a.attnum"
    ))
    .fetch_all(conn)
    .await?;
    let mut types: Vec<CompositeType> = Vec::new();
    for row in rows {
        let name = qualified_name(&row, "schema", "name")?;
        let attribute = Attribute {
            name: row.try_get("attribute")?,
            data_type: row.try_get("data_type")?,
            collation: collation_name(row.try_get("collation_schema")?, row.try_get("collation")?),
        };
        match types.last_mut() {
            Some(last) if last.name == name => last.attributes.push(attribute),
            _ => types.push(CompositeType {
                name,
                attributes: vec![attribute],
            }),
        }
    }
    types.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(types)
}

/// A collation as SQL names it: unqualified in `pg_catalog`.
fn collation_name(schema: Option<String>, name: Option<String>) -> Option<String> {
    name.map(|name| match schema.as_deref() {
        Some("pg_catalog") | None => ident(&name).into_owned(),
        Some(schema) => format!("{}.{}", ident(schema), ident(&name)),
    })
}

async fn sequences(conn: &mut PgConnection) -> Result<Vec<Sequence>, sqlx::Error> {
    // An identity column's sequence (dependency 'i') is the column's own:
    // its `GENERATED ... AS IDENTITY` makes it again. A `serial`'s sequence
    // is an object of its own that the column owns (dependency 'a').
    let rows = sqlx::query(concat!(
        "SELECT n.nspname::text AS schema, c.relname::text AS name, \
         format_type(s.seqtypid, NULL) AS data_type, s.seqstart, s.seqincrement, s.seqmin, \
         s.seqmax, s.seqcache, s.seqcycle, o.relname AS owner_table, o.attname AS owner_column \
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
    let mut sequences = Vec::with_capacity(rows.len());
    for row in rows {
        let owner: (Option<String>, Option<String>) =
            (row.try_get("owner_table")?, row.try_get("owner_column")?);
        sequences.push(Sequence {
            name: qualified_name(&row, "schema", "name")?,
            data_type: row.try_get("data_type")?,
            start: row.try_get("seqstart")?,
            increment: row.try_get("seqincrement")?,
            min_value: row.try_get("seqmin")?,
            max_value: row.try_get("seqmax")?,
            cache: row.try_get("seqcache")?,
            cycle: row.try_get("seqcycle")?,
            owned_by: match owner {
                (Some(table), Some(column)) => {
                    Some(format!("{}.{}", ident(&table), ident(&column)))
                }
                _ => None,
            },
        });
    }
    sequences.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sequences)
}

/// Tables with their parts, and views (in the order they can be created).
async fn relations(conn: &mut PgConnection) -> Result<(Vec<Table>, Vec<View>), sqlx::Error> {
    let rows = sqlx::query(concat!(
        "SELECT c.oid::int8 AS oid, n.nspname::text AS schema, c.relname::text AS name, \
         c.relkind::text AS kind, c.relpersistence::text AS persistence, \
         pg_get_partkeydef(c.oid) AS partition_by, obj_description(c.oid, 'pg_class') AS comment, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition, \
         pn.nspname::text AS parent_schema, pc.relname::text AS parent, \
         CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid, true) END AS bound \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_inherits h ON c.relispartition AND h.inhrelid = c.oid \
         LEFT JOIN pg_class pc ON pc.oid = h.inhparent \
         LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE ",
        user_relation!("('r', 'p', 'v', 'm')")
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = BTreeMap::new();
    let mut views = BTreeMap::new();
    for row in rows {
        let oid: i64 = row.try_get("oid")?;
        let name = qualified_name(&row, "schema", "name")?;
        if let Some(definition) = row.try_get::<Option<String>, _>("definition")? {
            let view = View {
                name,
                definition: definition
                    .trim()
                    .trim_end_matches(';')
                    .trim_end()
                    .to_owned(),
                materialized: row.try_get::<String, _>("kind")? == "m",
                indexes: Vec::new(),
            };
            views.insert(oid, view);
            continue;
        }
        let mut options = Vec::new();
        if let Some(key) = row.try_get("partition_by")? {
            options.push(("partition_by".to_owned(), key));
        }
        if row.try_get::<String, _>("persistence")? == "u" {
            options.push(("unlogged".to_owned(), "true".to_owned()));
        }
        // A partition is created by naming its parent and its bounds; its
        // columns and what it inherits come from the parent.
        if let Some(bound) = row.try_get("bound")? {
            let parent = qualified_name(&row, "parent_schema", "parent")?;
            options.push(("partition_of".to_owned(), qualified(&parent)));
            options.push(("partition_bound".to_owned(), bound));
        }
        options.sort();
        let table = Table {
            options,
            comment: row.try_get("comment")?,
            ..Table::new(name)
        };
        tables.insert(oid, table);
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
    let rows = sqlx::query(concat!(
        "SELECT c.oid::int8 AS oid, a.attname::text AS name, \
         format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull, \
         pg_get_expr(d.adbin, d.adrelid, true) AS expression, a.attidentity::text AS identity, \
         a.attgenerated::text AS generated, \
         CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname::text END AS collation_schema, \
         CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END AS collation, \
         col_description(c.oid, a.attnum) AS comment \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace, ",
        user_relations!("('r', 'p')"),
        " AND a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.oid, a.attnum"
    ))
    .fetch_all(conn)
    .await?;
    for row in rows {
        let Some(table) = tables.get_mut(&row.try_get::<i64, _>("oid")?) else {
            continue;
        };
        let name: String = row.try_get("name")?;
        let identity = match row.try_get::<String, _>("identity")?.as_str() {
            "" => None,
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            other => return Err(odd(format!("column {name}: identity kind {other:?}"))),
        };
        let expression: Option<String> = row.try_get("expression")?;
        let (default, generated) = match row.try_get::<String, _>("generated")?.as_str() {
            "" => (expression, None),
            kind @ ("s" | "v") => {
                let stored = kind == "s";
                let generated = expression.map(|expression| Generated { expression, stored });
                (None, generated)
            }
            other => return Err(odd(format!("column {name}: generated kind {other:?}"))),
        };
        let collation = collation_name(row.try_get("collation_schema")?, row.try_get("collation")?);
        table.columns.push(Column {
            name,
            data_type: row.try_get("data_type")?,
            nullable: !row.try_get::<bool, _>("attnotnull")?,
            default,
            on_update: None,
            identity,
            generated,
            collation,
            comment: row.try_get("comment")?,
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
    // A partition's copies of its parent's keys and foreign keys
    // (conparentid) and its inherited checks (not conislocal) are made
    // again by creating it as a partition.
    let rows = sqlx::query(concat!(
        "SELECT c.oid::int8 AS oid, k.conname::text AS name, k.contype::text AS kind, \
         array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num \
             ORDER BY u.ord) AS columns, \
         fn.nspname::text AS ref_schema, fc.relname::text AS ref_table, \
         array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num \
             ORDER BY u.ord) AS ref_columns, \
         k.confupdtype::text AS on_update, k.confdeltype::text AS on_delete, \
         k.condeferrable, k.condeferred, \
         CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid, true) END AS expression \
         FROM pg_constraint k \
         LEFT JOIN pg_class fc ON fc.oid = k.confrelid \
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace, ",
        user_relations!("('r', 'p')"),
        " AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f') AND k.conparentid = 0 \
         AND (k.conislocal OR NOT c.relispartition)"
    ))
    .fetch_all(conn)
    .await?;
    for row in rows {
        let Some(table) = tables.get_mut(&row.try_get::<i64, _>("oid")?) else {
            continue;
        };
        let name = Some(row.try_get("name")?);
        let columns = row.try_get("columns")?;
        match row.try_get::<String, _>("kind")?.as_str() {
            "p" => table.primary_key = Some(Key { name, columns }),
            "u" => table.uniques.push(Key { name, columns }),
            "c" => table.checks.push(Check {
                name,
                expression: row
                    .try_get::<Option<String>, _>("expression")?
                    .unwrap_or_default(),
            }),
            _ => table.foreign_keys.push(ForeignKey {
                name,
                columns,
                references: qualified_name(&row, "ref_schema", "ref_table")?,
                referenced_columns: row.try_get("ref_columns")?,
                on_update: action(&row.try_get::<String, _>("on_update")?)?,
                on_delete: action(&row.try_get::<String, _>("on_delete")?)?,
                deferrable: match (row.try_get("condeferrable")?, row.try_get("condeferred")?) {
                    (false, _) => Deferrable::NotDeferrable,
                    (true, false) => Deferrable::InitiallyImmediate,
                    (true, true) => Deferrable::InitiallyDeferred,
                },
            }),
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
    // constraint are the constraint's; a partition's copy of its parent's
    // index (an inheritance of indexes) is made by creating the partition.
    let rows = sqlx::query(concat!(
        "SELECT c.oid::int8 AS oid, ic.relname::text AS name, i.indisunique, \
         am.amname::text AS method, pg_get_indexdef(i.indexrelid, 0, true) AS definition, \
         array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(num, ord) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.num \
             WHERE u.ord > i.indnkeyatts ORDER BY u.ord) AS include, \
         pg_get_expr(i.indpred, i.indrelid, true) AS predicate \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_am am ON am.oid = ic.relam, ",
        user_relations!("('r', 'p', 'm')"),
        " AND i.indrelid = c.oid AND NOT EXISTS (SELECT FROM pg_constraint k \
             WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) \
         AND NOT EXISTS (SELECT FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)"
    ))
    .fetch_all(conn)
    .await?;
    for row in rows {
        let oid: i64 = row.try_get("oid")?;
        let method: String = row.try_get("method")?;
        let index = Index {
            name: row.try_get("name")?,
            unique: row.try_get("indisunique")?,
            parts: key_parts(&row.try_get::<String, _>("definition")?, &method),
            include: row.try_get("include")?,
            method: (method != "btree").then_some(method),
            predicate: row.try_get("predicate")?,
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
    views: BTreeMap<i64, View>,
) -> Result<Vec<View>, sqlx::Error> {
    let reads: HashSet<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT r.ev_class::int8, d.refobjid::int8 FROM pg_rewrite r \
         JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid \
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class",
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect();
    let mut by_name: Vec<(i64, View)> = views.into_iter().collect();
    by_name.sort_by(|(_, a), (_, b)| a.name.cmp(&b.name));
    let ordered = dependency_order(by_name, |(view, _), (other, _)| {
        reads.contains(&(*view, *other))
    });
    Ok(ordered.into_iter().map(|(_, view)| view).collect())
}

/// `items` in an order where each comes after those among them it `needs`,
/// and otherwise in the order given. Were `needs` to make a cycle (no
/// catalog can), the rest keep the order given rather than never come.
fn dependency_order<T>(items: Vec<T>, needs: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut pending = items;
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<bool> = pending
            .iter()
            .map(|item| !pending.iter().any(|other| needs(item, other)))
            .collect();
        if !ready.contains(&true) {
            ordered.append(&mut pending);
            break;
        }
        let mut later = Vec::new();
        for (item, ready) in pending.into_iter().zip(ready) {
            if ready {
                ordered.push(item);
            } else {
                later.push(item);
            }
        }
        pending = later;
    }
    ordered
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
    // parent's triggers (tgparentid) are made by creating the partition.
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

/// Words PostgreSQL 15 does not take as a bare identifier: every keyword
/// but the unreserved ones (`pg_get_keywords()` with `catcode <> 'U'`).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
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
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
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
    format!(
        "{}{}",
        schema_prefix(name.schema.as_deref()),
        ident(&name.name)
    )
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
    // As in pg_dump's output, function bodies are not checked when created,
    // so a function may read a table created after it.
    let mut out = vec!["SET check_function_bodies = false;\nSET search_path = public;".to_owned()];
    for namespace in &schema.namespaces {
        out.push(format!("CREATE SCHEMA {};", ident(namespace)));
    }
    // Listed by name, not by what they need: CASCADE creates an extension
    // another needs with it, and IF NOT EXISTS lets it be named again.
    out.extend(schema.extensions.iter().map(render_extension));
    out.extend(schema.enums.iter().map(render_enum));
    // Each after the composite types its attributes are of.
    let composites = dependency_order(schema.composite_types.iter().collect(), |c, other| {
        let name = qualified(&other.name);
        c.attributes.iter().any(|a| mentions(&a.data_type, &name))
    });
    out.extend(composites.into_iter().map(render_composite_type));
    for sequence in &schema.sequences {
        out.push(render_sequence(sequence));
    }
    let phases: Vec<Phase> = {
        let tables: Vec<String> = schema.tables.iter().map(|t| qualified(&t.name)).collect();
        let views: Vec<String> = schema.views.iter().map(|v| qualified(&v.name)).collect();
        let routines = schema.routines.iter();
        routines.map(|r| phase(r, &tables, &views)).collect()
    };
    let routines_of = |wanted: Phase| {
        let phases = phases.iter();
        let routines = schema.routines.iter().zip(phases);
        routines
            .filter(move |(_, phase)| **phase == wanted)
            .map(|(routine, _)| format!("{};", routine.definition))
    };
    out.extend(routines_of(Phase::BeforeTables));
    // Each partition after its parent, otherwise by name.
    let tables = dependency_order(schema.tables.iter().collect(), |table, other| {
        option(table, "partition_of") == Some(qualified(&other.name).as_str())
    });
    for table in &tables {
        let parent = option(table, "partition_of")
            .and_then(|parent| schema.tables.iter().find(|t| qualified(&t.name) == parent));
        out.push(render_table(table, parent));
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
        out.extend(
            table
                .indexes
                .iter()
                .map(|index| render_index(&table.name, index, false)),
        );
    }
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            out.push(render_foreign_key(&table.name, fk));
        }
    }
    out.extend(routines_of(Phase::AfterTables));
    out.extend(schema.views.iter().flat_map(render_view));
    out.extend(routines_of(Phase::AfterViews));
    for trigger in &schema.triggers {
        out.push(format!("{};", trigger.definition));
    }
    out.extend(schema.tables.iter().flat_map(render_comments));
    let mut sql = out.join("\n\n");
    sql.push('\n');
    sql
}

fn render_extension(extension: &Extension) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} CASCADE;",
        ident(&extension.name),
        ident(&extension.schema)
    )
}

fn render_enum(e: &EnumType) -> String {
    let values: Vec<String> = e
        .values
        .iter()
        .map(|v| format!("    {}", literal(v)))
        .collect();
    format!(
        "CREATE TYPE {} AS ENUM (\n{}\n);",
        qualified(&e.name),
        values.join(",\n")
    )
}

fn render_composite_type(composite: &CompositeType) -> String {
    let attributes: Vec<String> = composite
        .attributes
        .iter()
        .map(|a| format!("    {}", attribute(a)))
        .collect();
    format!(
        "CREATE TYPE {} AS (\n{}\n);",
        qualified(&composite.name),
        attributes.join(",\n")
    )
}

/// An attribute as `CREATE TYPE` and `ADD ATTRIBUTE` write it.
fn attribute(attribute: &Attribute) -> String {
    let mut sql = format!("{} {}", ident(&attribute.name), attribute.data_type);
    if let Some(collation) = &attribute.collation {
        sql.push_str(&format!(" COLLATE {collation}"));
    }
    sql
}

/// A view, and a materialized view's indexes.
fn render_view(view: &View) -> Vec<String> {
    let kind = if view.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let mut out = vec![format!(
        "CREATE {kind} {} AS\n{};",
        qualified(&view.name),
        view.definition
    )];
    out.extend(
        view.indexes
            .iter()
            .map(|index| render_index(&view.name, index, false)),
    );
    out
}

/// The comments on a table and its columns.
fn render_comments(table: &Table) -> Vec<String> {
    let name = qualified(&table.name);
    let mut out = Vec::new();
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
    out
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
        let storage = if generated.stored {
            "STORED"
        } else {
            "VIRTUAL"
        };
        sql.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {storage}",
            generated.expression
        ));
    }
    if let Some(identity) = column.identity {
        sql.push_str(&format!(
            " GENERATED {} AS IDENTITY",
            generated_when(identity)
        ));
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// `ALWAYS` or `BY DEFAULT`, as `GENERATED ... AS IDENTITY` says it.
fn generated_when(identity: Identity) -> &'static str {
    match identity {
        Identity::Always => "ALWAYS",
        Identity::ByDefault | Identity::AutoIncrement => "BY DEFAULT",
    }
}

fn constraint_name(name: &Option<String>) -> String {
    name.as_deref()
        .map(|name| format!("CONSTRAINT {} ", ident(name)))
        .unwrap_or_default()
}

fn option<'a>(table: &'a Table, name: &str) -> Option<&'a str> {
    table
        .options
        .iter()
        .find(|(option, _)| option == name)
        .map(|(_, value)| value.as_str())
}

/// A table, or a partition of `parent`: a partition states only what is
/// its own (its bounds, constraints of its own, a column's default or
/// `NOT NULL` its parent's column lacks); the rest it takes from the parent.
fn render_table(table: &Table, parent: Option<&Table>) -> String {
    let mut lines: Vec<String> = match parent {
        None => table.columns.iter().map(render_column).collect(),
        Some(parent) => table
            .columns
            .iter()
            .filter_map(|column| {
                let inherited = parent.column(&column.name);
                let mut options = String::new();
                if let Some(default) = &column.default {
                    if inherited.and_then(|c| c.default.as_ref()) != Some(default) {
                        options.push_str(&format!(" DEFAULT {default}"));
                    }
                }
                if !column.nullable && inherited.is_none_or(|c| c.nullable) {
                    options.push_str(" NOT NULL");
                }
                (!options.is_empty())
                    .then(|| format!("{} WITH OPTIONS{options}", ident(&column.name)))
            })
            .collect(),
    };
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
    let unlogged = if option(table, "unlogged").is_some() {
        "UNLOGGED "
    } else {
        ""
    };
    let partition_of = match (parent, option(table, "partition_bound")) {
        (Some(parent), Some(bound)) => Some((qualified(&parent.name), bound)),
        _ => None,
    };
    let partition_by = option(table, "partition_by")
        .map(|key| format!(" PARTITION BY {key}"))
        .unwrap_or_default();
    let body = lines
        .iter()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let name = qualified(&table.name);
    match partition_of {
        Some((parent, bound)) if body.is_empty() => {
            format!("CREATE {unlogged}TABLE {name} PARTITION OF {parent} {bound}{partition_by};")
        }
        Some((parent, bound)) => format!(
            "CREATE {unlogged}TABLE {name} PARTITION OF {parent} (\n{body}\n) {bound}{partition_by};"
        ),
        None => format!("CREATE {unlogged}TABLE {name} (\n{body}\n){partition_by};"),
    }
}

/// Where a routine goes in the dump. Its body is not checked when it is
/// created, but its argument and result types are, and so is a
/// `BEGIN ATOMIC` body: a routine that names a table's or a view's row
/// type (or reads them in such a body) comes after them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    BeforeTables,
    AfterTables,
    AfterViews,
}

fn phase(routine: &Routine, tables: &[String], views: &[String]) -> Phase {
    let checked = match routine.definition.find("\nAS ") {
        Some(end) => &routine.definition[..end],
        None => routine.definition.as_str(),
    };
    let names = |names: &[String]| names.iter().any(|name| mentions(checked, name));
    if names(views) {
        Phase::AfterViews
    } else if names(tables) {
        Phase::AfterTables
    } else {
        Phase::BeforeTables
    }
}

/// Whether `text` holds `name` as a whole name: not as part of a longer
/// identifier nor as the last part of a qualified one.
fn mentions(text: &str, name: &str) -> bool {
    let part_of_name = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '"';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        before.is_none_or(|c| !part_of_name(c) && c != '.')
            && after.is_none_or(|c| !part_of_name(c))
    })
}

fn render_index(on: &QualifiedName, index: &Index, concurrently: bool) -> String {
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {}",
        if index.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
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
    format!(
        "ALTER TABLE {}\n    ADD {};",
        qualified(table),
        foreign_key(fk)
    )
}

/// A foreign key as `ADD` names it: `CONSTRAINT name FOREIGN KEY ...`.
fn foreign_key(fk: &ForeignKey) -> String {
    let mut sql = format!(
        "{}FOREIGN KEY ({}) REFERENCES {} ({})",
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
    sql
}

/// The SQL of a generated migration's steps (see [`super::render_steps`]):
/// up to four scripts, run in this order (each one a migration of its own).
///
/// 1. Outside a transaction: enum labels (a label added in a transaction
///    cannot be used before it commits) and index drops (`DROP INDEX
///    CONCURRENTLY`, which waits for the table's traffic instead of
///    blocking it).
/// 2. In one transaction: everything else that can, foreign keys and
///    checks on existing tables added `NOT VALID` (no scan under the lock).
/// 3. Outside a transaction: indexes on existing tables built
///    `CONCURRENTLY`.
/// 4. Outside a transaction: the foreign keys that need one of those
///    indexes, the validation of what 2 added `NOT VALID`, and `SET NOT
///    NULL` through a validated check, each committed on its own so that
///    no scan blocks writes.
///
/// The statements of 1, 3 and 4 commit one by one, so each is written to
/// run again (`IF EXISTS`, `IF NOT EXISTS`, an index dropped before it is
/// built): after a failure, its cause fixed and the migration's row
/// repaired, the script runs again from the start.
pub(crate) fn render_steps(steps: &[Step], old: &Schema, new: &Schema) -> Vec<GeneratedScript> {
    let plan = Plan::new(steps, old, new);
    let ordered = in_postgres_order(steps, new);
    let mut scripts = Scripts::default();
    let owners_after = ordered.iter().rposition(|step| {
        matches!(
            step,
            Step::CreateTable { .. }
                | Step::AlterTable { .. }
                | Step::AddColumn { .. }
                | Step::AlterColumn { .. }
                | Step::RenameTable { .. }
                | Step::RenameColumn { .. }
                | Step::CreateSequence { .. }
                | Step::AlterSequence { .. }
        )
    });
    for (at, step) in ordered.into_iter().enumerate() {
        scripts.step(step, &plan);
        if Some(at) == owners_after {
            scripts.flush_alter();
            scripts.main.extend(plan.sequence_owners());
        }
    }
    scripts.finish(&plan)
}

/// What rendering one step needs to know about the others.
struct Plan<'a> {
    old: &'a Schema,
    new: &'a Schema,
    /// Tables this migration creates: empty, so built and checked at once.
    created: HashSet<&'a QualifiedName>,
    /// Tables it drops, by their old name.
    dropped: HashSet<&'a QualifiedName>,
    /// Columns it drops or retypes, by their table's new name.
    changed_columns: HashSet<(&'a QualifiedName, &'a str)>,
    /// Renamed tables: new name to old.
    renamed: BTreeMap<QualifiedName, &'a QualifiedName>,
    /// Tables that get a unique index built after the transaction: a
    /// foreign key referencing one waits for it.
    unique_builds: HashSet<&'a QualifiedName>,
    /// Tables referenced by a foreign key this migration drops: a unique
    /// index of theirs may be what that key needs, so it is dropped after
    /// it, in the transaction.
    referenced_by_dropped_keys: HashSet<&'a QualifiedName>,
    /// Sequences this migration creates or whose owner it changes.
    owned: Vec<&'a Sequence>,
    /// Triggers this migration drops (and creates again if they change).
    dropped_triggers: HashSet<&'a QualifiedName>,
    /// Whether the transaction takes locks on existing tables.
    locks_existing: bool,
    /// Whether it creates or replaces routines.
    writes_routines: bool,
}

impl<'a> Plan<'a> {
    fn new(steps: &'a [Step], old: &'a Schema, new: &'a Schema) -> Plan<'a> {
        let mut plan = Plan {
            old,
            new,
            created: HashSet::new(),
            dropped: HashSet::new(),
            changed_columns: HashSet::new(),
            renamed: BTreeMap::new(),
            unique_builds: HashSet::new(),
            referenced_by_dropped_keys: HashSet::new(),
            owned: Vec::new(),
            dropped_triggers: HashSet::new(),
            locks_existing: false,
            writes_routines: false,
        };
        for step in steps {
            match step {
                Step::CreateTable { table } => {
                    plan.created.insert(&table.name);
                }
                Step::DropTable { table } => {
                    plan.dropped.insert(&table.name);
                }
                Step::DropColumn { table, column } => {
                    plan.changed_columns.insert((table, &column.name));
                }
                Step::AlterColumn { table, old, new } if old.data_type != new.data_type => {
                    plan.changed_columns.insert((table, &new.name));
                }
                Step::RenameTable { from, to } => {
                    let name = QualifiedName::new(from.schema.as_deref(), to);
                    plan.renamed.insert(name, from);
                }
                Step::DropForeignKey { foreign_key, .. } => {
                    plan.referenced_by_dropped_keys
                        .insert(&foreign_key.references);
                }
                Step::CreateSequence { sequence } if sequence.owned_by.is_some() => {
                    plan.owned.push(sequence);
                }
                Step::AlterSequence { old, new } if old.owned_by != new.owned_by => {
                    plan.owned.push(new);
                }
                Step::CreateRoutine { .. } | Step::ReplaceRoutine { .. } => {
                    plan.writes_routines = true;
                }
                Step::DropTrigger { trigger } => {
                    plan.dropped_triggers.insert(&trigger.name);
                }
                _ => {}
            }
        }
        for step in steps {
            if let Step::CreateIndex { table, index, .. } = step {
                if index.unique && plan.concurrent_index(step) {
                    plan.unique_builds.insert(table);
                }
            }
            plan.locks_existing |= step.table().is_some_and(|table| plan.existing(table));
        }
        plan
    }

    /// The triggers the migration keeps on `table` (by its new name) whose
    /// definition names `column`: `(drop, create)` statements.
    fn triggers_naming(&self, table: &QualifiedName, column: &str) -> Vec<(String, String)> {
        let old_name = self.renamed.get(table).copied().unwrap_or(table);
        let kept = self
            .old
            .triggers
            .iter()
            .filter(|t| &t.table == old_name && !self.dropped_triggers.contains(&t.name));
        kept.filter(|t| mentions(&t.definition, &ident(column)))
            .filter_map(|t| {
                let again = self
                    .new
                    .triggers
                    .iter()
                    .find(|n| n.name == t.name && &n.table == table)?;
                let drop = format!(
                    "DROP TRIGGER {} ON {};",
                    ident(&t.name.name),
                    qualified(table)
                );
                Some((drop, format!("{};", again.definition)))
            })
            .collect()
    }

    /// A table that was there before this migration.
    fn existing(&self, table: &QualifiedName) -> bool {
        !self.created.contains(table)
    }

    /// A partitioned table (in the new schema, else the old), on which
    /// PostgreSQL 15 builds no index concurrently and adds no foreign key
    /// `NOT VALID`.
    fn partitioned(&self, table: &QualifiedName) -> bool {
        let old_name = self.renamed.get(table).copied().unwrap_or(table);
        self.new
            .table(table)
            .or_else(|| self.old.table(old_name))
            .is_some_and(|table| option(table, "partition_by").is_some())
    }

    /// Whether the step builds or drops an index `CONCURRENTLY`.
    fn concurrent_index(&self, step: &Step) -> bool {
        match step {
            Step::CreateIndex {
                table,
                existing_table,
                ..
            } => *existing_table && !self.partitioned(table),
            Step::DropIndex { table, index } => {
                let needed_first = index.unique && self.referenced_by_dropped_keys.contains(table);
                !(self.partitioned(table) || needed_first)
            }
            _ => false,
        }
    }

    /// `ALTER SEQUENCE ... OWNED BY` for the sequences whose owner this
    /// migration sets: once the owning column exists under its new name,
    /// and before a column or table that owned one is dropped (which
    /// would drop the sequence with it).
    fn sequence_owners(&self) -> Vec<String> {
        self.owned
            .iter()
            .map(|sequence| {
                let owner = match &sequence.owned_by {
                    // A sequence and the table owning it share a schema.
                    Some(owner) => {
                        format!("{}{owner}", schema_prefix(sequence.name.schema.as_deref()))
                    }
                    None => "NONE".to_owned(),
                };
                format!(
                    "ALTER SEQUENCE {} OWNED BY {owner};",
                    qualified(&sequence.name)
                )
            })
            .collect()
    }

    /// The default the new schema gives a column of an old table (the old
    /// one if the new schema does not have the column).
    fn new_default(&self, table: &Table, column: &'a Column) -> Option<&'a String> {
        let new_name = self.new_name(&table.name);
        match self
            .new
            .table(new_name)
            .and_then(|t| t.column(&column.name))
        {
            Some(kept) => kept.default.as_ref(),
            None => column.default.as_ref(),
        }
    }

    /// A table of the old schema by its name in the new one.
    fn new_name<'n>(&'n self, old_name: &'n QualifiedName) -> &'n QualifiedName {
        self.renamed
            .iter()
            .find(|(_, from)| **from == old_name)
            .map_or(old_name, |(to, _)| to)
    }

    /// The columns of old tables typed `enum_type` (or arrays of it) that
    /// stay as they are: those a re-created enum converts.
    fn columns_of_type(&self, enum_type: &QualifiedName) -> Vec<(&'a Table, &'a Column)> {
        let name = qualified(enum_type);
        let array = format!("{name}[]");
        let mut found = Vec::new();
        for table in &self.old.tables {
            // A partition's columns follow its parent's.
            if self.dropped.contains(&table.name) || option(table, "partition_of").is_some() {
                continue;
            }
            let new_name = self.new_name(&table.name);
            for column in &table.columns {
                let typed = column.data_type == name || column.data_type == array;
                let changed = self
                    .changed_columns
                    .contains(&(new_name, column.name.as_str()))
                    || self
                        .changed_columns
                        .contains(&(&table.name, column.name.as_str()));
                if typed && !changed {
                    found.push((table, column));
                }
            }
        }
        found
    }
}

/// The steps in an order PostgreSQL can run, where the planner's generic
/// one is not: a routine whose signature names no table or view of the
/// new schema is created before the tables (a default or a check may call
/// it), one that names a view after the views; a partition after its
/// parent.
fn in_postgres_order<'s>(steps: &'s [Step], new: &Schema) -> Vec<&'s Step> {
    let tables: Vec<String> = new.tables.iter().map(|t| qualified(&t.name)).collect();
    let views: Vec<String> = new.views.iter().map(|v| qualified(&v.name)).collect();
    let phase_of = |step: &Step| match step {
        Step::CreateRoutine { routine } => phase(routine, &tables, &views),
        _ => Phase::AfterTables,
    };
    let creates_views = steps.iter().any(|s| matches!(s, Step::CreateView { .. }));
    let (early, rest): (Vec<&Step>, Vec<&Step>) = steps
        .iter()
        .partition(|step| phase_of(step) == Phase::BeforeTables);
    let (late, mut ordered): (Vec<&Step>, Vec<&Step>) = rest
        .into_iter()
        .partition(|step| creates_views && phase_of(step) == Phase::AfterViews);
    // After what goes and the types, before anything else.
    let first_on_tables = ordered
        .iter()
        .position(|step| {
            !matches!(
                step,
                Step::DropForeignKey { .. }
                    | Step::DropPrimaryKey { .. }
                    | Step::DropUnique { .. }
                    | Step::DropCheck { .. }
                    | Step::DropIndex { .. }
                    | Step::DropView { .. }
                    | Step::DropTrigger { .. }
                    | Step::DropEvent { .. }
                    | Step::CreateNamespace { .. }
                    | Step::CreateExtension { .. }
                    | Step::CreateEnum { .. }
                    | Step::AddEnumValues { .. }
                    | Step::CreateCompositeType { .. }
                    | Step::AlterCompositeType { .. }
                    | Step::CreateSequence { .. }
                    | Step::AlterSequence { .. }
            )
        })
        .unwrap_or(ordered.len());
    ordered.splice(first_on_tables..first_on_tables, early);
    if let Some(last_view) = ordered
        .iter()
        .rposition(|step| matches!(step, Step::CreateView { .. }))
    {
        ordered.splice(last_view + 1..last_view + 1, late);
    }
    let mut at = 0;
    while at < ordered.len() {
        let parent = match ordered[at] {
            Step::CreateTable { table } => option(table, "partition_of"),
            _ => None,
        };
        let creates_parent = |step: &&Step| matches!(step, Step::CreateTable { table } if Some(qualified(&table.name).as_str()) == parent);
        match parent.and_then(|_| ordered[at + 1..].iter().position(creates_parent)) {
            Some(later) => {
                let partition = ordered.remove(at);
                ordered.insert(at + later + 1, partition);
            }
            None => at += 1,
        }
    }
    ordered
}

/// The statements of a generated migration, by script (see
/// [`render_steps`]).
#[derive(Default)]
struct Scripts {
    before: Vec<String>,
    main: Vec<String>,
    /// Tables dropped by consecutive steps, dropped in one statement
    /// whatever references whatever among them.
    dropping: Vec<String>,
    /// Consecutive column changes of one table.
    altering: Option<Altering>,
    /// Index builds.
    builds: Vec<String>,
    /// What runs after them, under a lock timeout.
    after: Vec<String>,
}

/// The column changes of one table, made by one `ALTER TABLE` (one
/// rewrite of the table, not one per column).
struct Altering {
    table: QualifiedName,
    parts: Vec<String>,
    /// Triggers whose definition names a retyped column (PostgreSQL
    /// refuses the change under them): `(drop, create)`, around the
    /// `ALTER TABLE`.
    triggers: Vec<(String, String)>,
    /// What follows it: comments.
    then: Vec<String>,
}

impl Scripts {
    fn step(&mut self, step: &Step, plan: &Plan<'_>) {
        if !matches!(step, Step::DropTable { .. }) {
            self.flush_drops();
        }
        let same_table = |altering: &Altering| step.table() == Some(&altering.table);
        if !(matches!(step, Step::AlterColumn { .. })
            && self.altering.as_ref().is_some_and(same_table))
        {
            self.flush_alter();
        }
        match step {
            Step::CreateNamespace { name } => {
                self.main.push(format!("CREATE SCHEMA {};", ident(name)))
            }
            Step::DropNamespace { name } => self.main.push(format!("DROP SCHEMA {};", ident(name))),
            Step::CreateExtension { extension } => {
                let moved = plan.old.extensions.iter().any(|e| e.name == extension.name);
                self.main.push(if moved {
                    format!(
                        "ALTER EXTENSION {} SET SCHEMA {};",
                        ident(&extension.name),
                        ident(&extension.schema)
                    )
                } else {
                    render_extension(extension)
                });
            }
            Step::DropExtension { extension } => {
                // One the new schema still has was moved, not dropped.
                if !plan.new.extensions.iter().any(|e| e.name == extension.name) {
                    self.main
                        .push(format!("DROP EXTENSION {};", ident(&extension.name)));
                }
            }
            Step::CreateEnum { enum_type } => {
                if plan.old.enums.iter().any(|e| e.name == enum_type.name) {
                    self.recreate_enum(enum_type, plan);
                } else {
                    self.main.push(render_enum(enum_type));
                }
            }
            Step::AddEnumValues { name, values } => {
                for (value, before) in values {
                    let place = before
                        .as_ref()
                        .map(|before| format!(" BEFORE {}", literal(before)))
                        .unwrap_or_default();
                    self.before.push(format!(
                        "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{place};",
                        qualified(name),
                        literal(value)
                    ));
                }
            }
            Step::DropEnum { enum_type } => {
                // One the new schema still has was re-created: what goes
                // is the old one, renamed aside.
                let name = if plan.new.enums.iter().any(|e| e.name == enum_type.name) {
                    set_aside(&enum_type.name)
                } else {
                    enum_type.name.clone()
                };
                self.main.push(format!("DROP TYPE {};", qualified(&name)));
            }
            Step::CreateCompositeType { composite_type } => {
                self.main.push(render_composite_type(composite_type));
            }
            Step::AlterCompositeType { old, new } => self.main.push(alter_composite_type(old, new)),
            Step::DropCompositeType { composite_type } => self
                .main
                .push(format!("DROP TYPE {};", qualified(&composite_type.name))),
            Step::CreateSequence { sequence } => self.main.push(render_sequence(sequence)),
            Step::AlterSequence { old, new } => {
                if let Some(sql) = alter_sequence(old, new) {
                    self.main.push(sql);
                }
            }
            // A sequence its owning column took with it is gone already.
            Step::DropSequence { sequence } => self.main.push(format!(
                "DROP SEQUENCE IF EXISTS {};",
                qualified(&sequence.name)
            )),
            Step::CreateTable { table } => {
                let parent = option(table, "partition_of").and_then(|parent| {
                    plan.new
                        .tables
                        .iter()
                        .find(|t| qualified(&t.name) == parent)
                });
                self.main.push(render_table(table, parent));
                self.main.extend(render_comments(table));
            }
            Step::DropTable { table } => self.dropping.push(qualified(&table.name)),
            Step::RenameTable { from, to } => self.main.push(format!(
                "ALTER TABLE {} RENAME TO {};",
                qualified(from),
                ident(to)
            )),
            Step::AlterTable { old, new } => self.alter_table(old, new),
            Step::AddColumn { table, column } => {
                self.main.push(format!(
                    "ALTER TABLE {} ADD COLUMN {};",
                    qualified(table),
                    render_column(column)
                ));
                if let Some(comment) = &column.comment {
                    self.main
                        .push(column_comment(table, &column.name, Some(comment)));
                }
            }
            Step::DropColumn { table, column } => self.main.push(format!(
                "ALTER TABLE {} DROP COLUMN {};",
                qualified(table),
                ident(&column.name)
            )),
            Step::RenameColumn { table, from, to } => self.main.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                qualified(table),
                ident(from),
                ident(to)
            )),
            Step::AlterColumn { table, old, new } => self.alter_column(table, old, new, plan),
            Step::AddPrimaryKey { table, key } => self.main.push(format!(
                "ALTER TABLE {} ADD {}PRIMARY KEY ({});",
                qualified(table),
                constraint_name(&key.name),
                list(&key.columns)
            )),
            Step::AddUnique { table, key } => self.main.push(format!(
                "ALTER TABLE {} ADD {}UNIQUE ({});",
                qualified(table),
                constraint_name(&key.name),
                list(&key.columns)
            )),
            Step::AddCheck { table, check } => {
                let clause = format!(
                    "{}CHECK ({})",
                    constraint_name(&check.name),
                    check.expression
                );
                match (&check.name, plan.existing(table)) {
                    (Some(name), true) => {
                        self.main.push(format!(
                            "ALTER TABLE {} ADD {clause} NOT VALID;",
                            qualified(table)
                        ));
                        self.after.push(validate(table, name));
                    }
                    _ => self
                        .main
                        .push(format!("ALTER TABLE {} ADD {clause};", qualified(table))),
                }
            }
            Step::AddForeignKey { table, foreign_key } => {
                self.add_foreign_key(table, foreign_key, plan)
            }
            Step::DropPrimaryKey { table, key } | Step::DropUnique { table, key } => {
                self.main.push(drop_constraint(table, &key.name, "key"));
            }
            Step::DropCheck { table, check } => {
                self.main.push(drop_constraint(table, &check.name, "check"));
            }
            Step::DropForeignKey { table, foreign_key } => {
                self.main
                    .push(drop_constraint(table, &foreign_key.name, "foreign key"));
            }
            Step::CreateIndex {
                table,
                index,
                existing_table,
            } => {
                if plan.concurrent_index(step) {
                    // An earlier attempt's build that failed left an
                    // INVALID index of this name behind.
                    self.builds.push(format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {};",
                        index_name(table, index)
                    ));
                    self.builds.push(render_index(table, index, true));
                } else if *existing_table {
                    self.main.push(format!(
                        "-- migrate:allow index-without-concurrently PostgreSQL builds no index on a partitioned table concurrently\n{}",
                        render_index(table, index, false)
                    ));
                } else {
                    self.main.push(render_index(table, index, false));
                }
            }
            Step::DropIndex { table, index } => {
                if plan.concurrent_index(step) {
                    self.before.push(format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {};",
                        index_name(table, index)
                    ));
                } else {
                    self.main
                        .push(format!("DROP INDEX {};", index_name(table, index)));
                }
            }
            Step::CreateView { view } => self.main.extend(render_view(view)),
            Step::DropView { view } => self.main.push(format!(
                "DROP {}VIEW {};",
                if view.materialized {
                    "MATERIALIZED "
                } else {
                    ""
                },
                qualified(&view.name)
            )),
            // `pg_get_functiondef` prints a `CREATE OR REPLACE`.
            Step::CreateRoutine { routine } => self.main.push(format!("{};", routine.definition)),
            Step::ReplaceRoutine { old, new } => {
                // CREATE OR REPLACE keeps what calls the routine, but
                // cannot change its result type or its parameters' names
                // and defaults.
                if signature(&old.definition) != signature(&new.definition) {
                    self.main.push(drop_routine(old));
                }
                self.main.push(format!("{};", new.definition));
            }
            Step::DropRoutine { routine } => self.main.push(drop_routine(routine)),
            Step::CreateTrigger { trigger } => self.main.push(format!("{};", trigger.definition)),
            Step::DropTrigger { trigger } => self.main.push(format!(
                "DROP TRIGGER {} ON {};",
                ident(&trigger.name.name),
                qualified(&trigger.table)
            )),
            // MySQL's alone: PostgreSQL's schema has none to plan.
            Step::CreateEvent { .. } | Step::DropEvent { .. } => {}
        }
    }

    /// An enum whose labels were removed or reordered, which PostgreSQL
    /// cannot do in place: the old type is renamed aside, the new one
    /// created, and the columns of the old type converted through `text`
    /// (a value the new type lacks fails the migration, rolled back); the
    /// old type is dropped at the end ([`Step::DropEnum`]).
    fn recreate_enum(&mut self, enum_type: &EnumType, plan: &Plan<'_>) {
        self.main.push(format!(
            "ALTER TYPE {} RENAME TO {};",
            qualified(&enum_type.name),
            ident(&set_aside(&enum_type.name).name)
        ));
        self.main.push(render_enum(enum_type));
        let name = qualified(&enum_type.name);
        for (table, column) in plan.columns_of_type(&enum_type.name) {
            let c = ident(&column.name);
            let (to, via) = if column.data_type.ends_with("[]") {
                (format!("{name}[]"), "text[]")
            } else {
                (name.clone(), "text")
            };
            // The default names the old type: dropped first, and set
            // again as the new schema has it (a label it names may be
            // gone from the new type).
            let mut parts = Vec::new();
            if column.default.is_some() {
                parts.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
            }
            parts.push(format!("ALTER COLUMN {c} TYPE {to} USING {c}::{via}::{to}"));
            if let Some(default) = plan.new_default(table, column) {
                parts.push(format!("ALTER COLUMN {c} SET DEFAULT {default}"));
            }
            self.main.push(alter_table_sql(&table.name, &parts));
        }
    }

    fn alter_table(&mut self, old: &Table, new: &Table) {
        let name = qualified(&new.name);
        let changed = |key: &str| option(old, key) != option(new, key);
        if changed("unlogged") {
            let logged = if option(new, "unlogged").is_some() {
                "UNLOGGED"
            } else {
                "LOGGED"
            };
            self.main.push(format!("ALTER TABLE {name} SET {logged};"));
        }
        if changed("partition_of") || changed("partition_bound") {
            if let Some(parent) = option(old, "partition_of") {
                self.main
                    .push(format!("ALTER TABLE {parent} DETACH PARTITION {name};"));
            }
            if let (Some(parent), Some(bound)) =
                (option(new, "partition_of"), option(new, "partition_bound"))
            {
                self.main.push(format!(
                    "ALTER TABLE {parent} ATTACH PARTITION {name} {bound};"
                ));
            }
        }
        let handled = ["unlogged", "partition_of", "partition_bound"];
        let others = |table: &Table| -> Vec<(String, String)> {
            let options = table.options.iter();
            options
                .filter(|(key, _)| !handled.contains(&key.as_str()))
                .cloned()
                .collect()
        };
        if others(old) != others(new) {
            self.main.push(manual(&format!(
                "PostgreSQL cannot change the partitioning of table {name} in place: create the new table, move the rows, and swap the names"
            )));
        }
        if old.comment != new.comment {
            let comment = new.comment.as_deref().map_or("NULL".to_owned(), literal);
            self.main
                .push(format!("COMMENT ON TABLE {name} IS {comment};"));
        }
    }

    fn alter_column(&mut self, table: &QualifiedName, old: &Column, new: &Column, plan: &Plan<'_>) {
        let c = ident(&new.name);
        match (&old.generated, &new.generated) {
            (None, Some(_)) => {
                self.flush_alter();
                self.main.push(manual(&format!(
                    "column {}.{c} becomes generated, which would replace its values: drop it and add it back as generated by hand",
                    qualified(table)
                )));
                return;
            }
            // A generated column's values are computed, so dropping and
            // adding it loses nothing (PostgreSQL 15 has no SET
            // EXPRESSION); it moves to the end of the table.
            (Some(before), Some(after)) if before != after => {
                self.flush_alter();
                self.main
                    .push(format!("ALTER TABLE {} DROP COLUMN {c};", qualified(table)));
                self.main.push(format!(
                    "ALTER TABLE {} ADD COLUMN {};",
                    qualified(table),
                    render_column(new)
                ));
                return;
            }
            _ => {}
        }
        let retyped = old.data_type != new.data_type || old.collation != new.collation;
        // A default is set again after a type change: the old one may not
        // cast to the new type.
        let redefault = old.default != new.default || (retyped && old.default.is_some());
        let gains_identity = old.identity.is_none() && new.identity.is_some();
        let mut parts = Vec::new();
        let mut part = |sql: String| parts.push(format!("ALTER COLUMN {c} {sql}"));
        if old.generated.is_some() && new.generated.is_none() {
            part("DROP EXPRESSION".to_owned());
        }
        if redefault && old.default.is_some() {
            part("DROP DEFAULT".to_owned());
        }
        if old.identity.is_some() && new.identity.is_none() {
            part("DROP IDENTITY".to_owned());
        }
        if !old.nullable && new.nullable {
            part("DROP NOT NULL".to_owned());
        }
        if retyped {
            let collate = match &new.collation {
                Some(collation) => format!(" COLLATE {collation}"),
                None if old.collation.is_some() => " COLLATE \"default\"".to_owned(),
                None => String::new(),
            };
            let using = using(&c, old, new, plan)
                .map(|expression| format!(" USING {expression}"))
                .unwrap_or_default();
            part(format!("TYPE {}{collate}{using}", new.data_type));
        }
        if redefault {
            if let Some(default) = &new.default {
                part(format!("SET DEFAULT {default}"));
            }
        }
        if old.nullable && !new.nullable {
            if gains_identity {
                // An identity column must be NOT NULL before it is one.
                part("SET NOT NULL".to_owned());
            } else {
                self.set_not_null(table, &new.name);
            }
        }
        match (old.identity, new.identity) {
            (None, Some(identity)) => {
                part(format!(
                    "ADD GENERATED {} AS IDENTITY",
                    generated_when(identity)
                ));
            }
            (Some(before), Some(after)) if generated_when(before) != generated_when(after) => {
                part(format!("SET GENERATED {}", generated_when(after)));
            }
            _ => {}
        }
        let altering = self.altering.get_or_insert_with(|| Altering {
            table: table.clone(),
            parts: Vec::new(),
            triggers: Vec::new(),
            then: Vec::new(),
        });
        altering.parts.extend(parts);
        if retyped {
            for (drop, create) in plan.triggers_naming(table, &new.name) {
                if !altering.triggers.iter().any(|(d, _)| *d == drop) {
                    altering.triggers.push((drop, create));
                }
            }
        }
        if old.comment != new.comment {
            altering
                .then
                .push(column_comment(table, &new.name, new.comment.as_deref()));
        }
    }

    /// `SET NOT NULL` without a scan under the table's lock, as the lint's
    /// `set-not-null` rule asks: a `NOT VALID` check, validated (which
    /// lets writes through), makes `SET NOT NULL` a catalog change; each
    /// statement commits on its own, after the migration's transaction.
    fn set_not_null(&mut self, table: &QualifiedName, column: &str) {
        let name = qualified(table);
        let check = ident(&format!("{}_{column}_not_null", table.name)).into_owned();
        self.after.push(format!(
            "ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {check},\n    ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID;",
            ident(column)
        ));
        self.after
            .push(format!("ALTER TABLE {name} VALIDATE CONSTRAINT {check};"));
        self.after.push(format!(
            "-- migrate:allow set-not-null the validated check above makes this a catalog-only change\nALTER TABLE {name} ALTER COLUMN {} SET NOT NULL;",
            ident(column)
        ));
        self.after.push(format!(
            "ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {check};"
        ));
    }

    /// A foreign key on an existing table is added `NOT VALID` and
    /// validated after the transaction, unless the table is partitioned
    /// (PostgreSQL 15 cannot); one that references a table whose unique
    /// index is built after the transaction comes after that build.
    fn add_foreign_key(&mut self, table: &QualifiedName, fk: &ForeignKey, plan: &Plan<'_>) {
        let name = qualified(table);
        let existing = plan.existing(table);
        let not_valid = existing && !plan.partitioned(table) && fk.name.is_some();
        let suffix = if not_valid { " NOT VALID" } else { "" };
        let validation = fk
            .name
            .as_ref()
            .filter(|_| not_valid)
            .map(|fk_name| validate(table, fk_name));
        if plan.unique_builds.contains(&fk.references) {
            let drop = fk
                .name
                .as_ref()
                .map(|fk_name| format!(" DROP CONSTRAINT IF EXISTS {},\n   ", ident(fk_name)))
                .unwrap_or_default();
            self.after.push(format!(
                "ALTER TABLE {name}{drop} ADD {}{suffix};",
                foreign_key(fk)
            ));
            self.after.extend(validation);
            return;
        }
        let allow = if existing && !not_valid {
            "-- migrate:allow constraint-without-not-valid PostgreSQL 15 adds no NOT VALID foreign key to a partitioned table\n"
        } else {
            ""
        };
        self.main.push(format!(
            "{allow}ALTER TABLE {name}\n    ADD {}{suffix};",
            foreign_key(fk)
        ));
        self.after.extend(validation);
    }

    fn flush_alter(&mut self) {
        let Some(altering) = self.altering.take() else {
            return;
        };
        let (drops, creates): (Vec<String>, Vec<String>) = altering.triggers.into_iter().unzip();
        self.main.extend(drops);
        if !altering.parts.is_empty() {
            self.main
                .push(alter_table_sql(&altering.table, &altering.parts));
        }
        self.main.extend(creates);
        self.main.extend(altering.then);
    }

    fn flush_drops(&mut self) {
        if !self.dropping.is_empty() {
            let names = std::mem::take(&mut self.dropping);
            self.main.push(format!("DROP TABLE {};", names.join(", ")));
        }
    }

    fn finish(mut self, plan: &Plan<'_>) -> Vec<GeneratedScript> {
        self.flush_drops();
        self.flush_alter();
        const UNTRANSACTED: &str = "-- migrate:no-transaction\n-- Each statement commits on its own and can run again: after a failure, fix its\n-- cause, repair the migration's row, and run it again.";
        // The lint's safe pattern: a DDL that waits for its lock behind a
        // long transaction would queue every query on the table behind it.
        const LOCK_TIMEOUT: &str = "SET lock_timeout = '5s';";
        let mut scripts = Vec::new();
        let mut script = |header: &str, statements: Vec<String>, transactional: bool| {
            let mut parts = vec![header.to_owned()];
            parts.retain(|part| !part.is_empty());
            parts.extend(statements);
            let mut sql = parts.join("\n\n");
            sql.push('\n');
            scripts.push(GeneratedScript { sql, transactional });
        };
        if !self.before.is_empty() {
            script(UNTRANSACTED, self.before, false);
        }
        if !self.main.is_empty() {
            let mut header = Vec::new();
            if plan.locks_existing {
                header.push("SET LOCAL lock_timeout = '5s';");
            }
            if plan.writes_routines {
                // As pg_dump does: a routine may read a table created
                // after it; its body is checked when it runs.
                header.push("SET LOCAL check_function_bodies = false;");
            }
            script(&header.join("\n"), self.main, true);
        }
        // No lock timeout for the builds: they wait for every transaction
        // that may use the table, as they must.
        if !self.builds.is_empty() {
            script(UNTRANSACTED, self.builds, false);
        }
        if !self.after.is_empty() {
            script(
                &format!("{UNTRANSACTED}\n\n{LOCK_TIMEOUT}"),
                self.after,
                false,
            );
        }
        scripts
    }
}

/// `ALTER TABLE` with its subcommands, one per line.
fn alter_table_sql(table: &QualifiedName, parts: &[String]) -> String {
    format!(
        "ALTER TABLE {}\n    {};",
        qualified(table),
        parts.join(",\n    ")
    )
}

fn validate(table: &QualifiedName, constraint: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {};",
        qualified(table),
        ident(constraint)
    )
}

fn drop_constraint(table: &QualifiedName, name: &Option<String>, what: &str) -> String {
    match name {
        Some(name) => format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            qualified(table),
            ident(name)
        ),
        None => manual(&format!(
            "drop the unnamed {what} of table {} by hand",
            qualified(table)
        )),
    }
}

fn column_comment(table: &QualifiedName, column: &str, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {};",
        qualified(table),
        ident(column),
        comment.map_or("NULL".to_owned(), literal)
    )
}

/// An index by name: it lives in its table's schema.
fn index_name(table: &QualifiedName, index: &Index) -> String {
    format!(
        "{}{}",
        schema_prefix(table.schema.as_deref()),
        ident(&index.name)
    )
}

/// Where a re-created enum's old type goes until it is dropped.
fn set_aside(name: &QualifiedName) -> QualifiedName {
    QualifiedName::new(name.schema.as_deref(), &format!("{}__old", name.name))
}

fn drop_routine(routine: &Routine) -> String {
    let kind = match routine.kind {
        RoutineKind::Function => "FUNCTION",
        RoutineKind::Procedure => "PROCEDURE",
    };
    format!(
        "DROP {kind} {}({});",
        qualified(&routine.name),
        routine.arguments
    )
}

/// What `CREATE OR REPLACE` cannot change: the lines of a routine's
/// definition before its `LANGUAGE` (name, parameters with their names
/// and defaults, result type).
fn signature(definition: &str) -> &str {
    definition
        .find("\n LANGUAGE ")
        .map_or(definition, |end| &definition[..end])
}

/// A change PostgreSQL cannot make in place: said in a comment, and a
/// statement that stops the migration (its transaction rolled back) until
/// the step is written by hand.
fn manual(what: &str) -> String {
    format!(
        "-- MANUAL STEP: {what}.\nDO $manual$ BEGIN RAISE EXCEPTION '%', {}; END $manual$;",
        literal(&format!("manual step: {what}"))
    )
}

/// `ALTER TYPE` dropping, retyping and adding attributes. Added ones go
/// at the end: any other order is a manual step (PostgreSQL cannot move
/// an attribute, and dropping the type would drop what uses it).
fn alter_composite_type(old: &CompositeType, new: &CompositeType) -> String {
    let name = qualified(&new.name);
    let in_new = |a: &&Attribute| new.attributes.iter().any(|n| n.name == a.name);
    let kept: Vec<&str> = old
        .attributes
        .iter()
        .filter(in_new)
        .map(|a| a.name.as_str())
        .collect();
    let names = new.attributes.iter().map(|a| a.name.as_str());
    if !names.take(kept.len()).eq(kept.iter().copied()) {
        return manual(&format!(
            "PostgreSQL cannot reorder the attributes of type {name}: write the change by hand"
        ));
    }
    let mut parts = Vec::new();
    for gone in old
        .attributes
        .iter()
        .filter(|a| !kept.contains(&a.name.as_str()))
    {
        parts.push(format!("DROP ATTRIBUTE {}", ident(&gone.name)));
    }
    for after in &new.attributes {
        match old.attributes.iter().find(|a| a.name == after.name) {
            Some(before) if before != after => {
                let collate = match &after.collation {
                    Some(collation) => format!(" COLLATE {collation}"),
                    None => String::new(),
                };
                parts.push(format!(
                    "ALTER ATTRIBUTE {} TYPE {}{collate}",
                    ident(&after.name),
                    after.data_type
                ));
            }
            Some(_) => {}
            None => parts.push(format!("ADD ATTRIBUTE {}", attribute(after))),
        }
    }
    format!("ALTER TYPE {name}\n    {};", parts.join(",\n    "))
}

fn alter_sequence(old: &Sequence, new: &Sequence) -> Option<String> {
    let mut clauses = Vec::new();
    if old.data_type != new.data_type {
        clauses.push(format!("AS {}", new.data_type));
    }
    let numbers = [
        ("INCREMENT BY", old.increment, new.increment),
        ("MINVALUE", old.min_value, new.min_value),
        ("MAXVALUE", old.max_value, new.max_value),
        ("START WITH", old.start, new.start),
        ("CACHE", old.cache, new.cache),
    ];
    for (clause, before, after) in numbers {
        if before != after {
            clauses.push(format!("{clause} {after}"));
        }
    }
    if old.cycle != new.cycle {
        clauses.push(if new.cycle { "CYCLE" } else { "NO CYCLE" }.to_owned());
    }
    (!clauses.is_empty()).then(|| {
        format!(
            "ALTER SEQUENCE {}\n    {};",
            qualified(&new.name),
            clauses.join("\n    ")
        )
    })
}

/// The `USING` expression a column's type change needs: none where
/// PostgreSQL has an assignment cast from the old type to the new (to a
/// string type, or within a family of numbers or of times), where an
/// explicit cast would be wrong anyway (it truncates a string silently
/// where the assignment cast refuses); through `text` from or to an enum.
fn using(column: &str, old: &Column, new: &Column, plan: &Plan<'_>) -> Option<String> {
    let (from, from_array) = base_type(&old.data_type);
    let (to, to_array) = base_type(&new.data_type);
    const STRINGS: &[&str] = &[
        "text",
        "character varying",
        "character",
        "\"char\"",
        "name",
        "citext",
    ];
    const FAMILIES: &[&[&str]] = &[
        &[
            "smallint",
            "integer",
            "bigint",
            "numeric",
            "real",
            "double precision",
        ],
        &[
            "date",
            "timestamp without time zone",
            "timestamp with time zone",
        ],
        &["time without time zone", "time with time zone"],
        &["json", "jsonb"],
        &["inet", "cidr"],
        &["bit", "bit varying"],
    ];
    let string = |name: &str| STRINGS.contains(&name.rsplit('.').next().unwrap_or(name));
    let same_family = from == to
        || FAMILIES
            .iter()
            .any(|family| family.contains(&from.as_str()) && family.contains(&to.as_str()));
    if from_array == to_array && (string(&to) || same_family) {
        return None;
    }
    let is_enum =
        |schema: &Schema, name: &str| schema.enums.iter().any(|e| qualified(&e.name) == name);
    let via_text = is_enum(plan.old, &from) || (is_enum(plan.new, &to) && !string(&from));
    let text = if to_array { "text[]" } else { "text" };
    Some(if via_text {
        format!("{column}::{text}::{}", new.data_type)
    } else {
        format!("{column}::{}", new.data_type)
    })
}

/// A type's name without its modifiers (`character varying(20)` →
/// `character varying`, `timestamp(3) with time zone` → `timestamp with
/// time zone`), and whether it is an array.
fn base_type(data_type: &str) -> (String, bool) {
    let (element, array) = match data_type.strip_suffix("[]") {
        Some(element) => (element, true),
        None => (data_type, false),
    };
    let mut base = String::new();
    let mut depth = 0usize;
    for ch in element.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => base.push(ch),
            _ => {}
        }
    }
    (base.split_whitespace().collect::<Vec<_>>().join(" "), array)
}
