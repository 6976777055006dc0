//! sqlite: the catalog queries that read a schema into the [model](super::model),
//! and the renderer that writes it back as canonical SQL.
//!
//! The model is built from the pragmas, not from the stored `CREATE TABLE`
//! text: SQLite applies `ALTER TABLE ... ADD / RENAME / DROP COLUMN` and
//! `RENAME TO` by editing that text in place, so two databases that reached
//! the same schema by different paths hold different texts but report the
//! same pragmas. The text is read (by [`text`]) only for what no pragma
//! tells: `CHECK` constraints, collations, generated columns' expressions,
//! `AUTOINCREMENT`, deferred foreign keys, index expressions and `WHERE`
//! conditions, views and triggers.

mod text;

use sqlx::SqliteConnection;

use self::text::{quote, Kind, Token};
use super::model::{
    Column, Deferrable, ForeignKey, Generated, Identity, Index, Key, QualifiedName,
    ReferentialAction, Schema, Table, Trigger, View,
};
use crate::model::BackendKind;

/// Table options, by name in [`Table::options`].
const WITHOUT_ROWID: &str = "without_rowid";
const STRICT: &str = "strict";
/// A virtual table's `USING module(arguments)`, as written: the module, not
/// SQLite, reads the arguments (and makes the columns and shadow tables).
const USING: &str = "using";

pub(crate) async fn inspect(conn: &mut SqliteConnection) -> Result<Schema, sqlx::Error> {
    // SQLite's own objects (`sqlite_sequence`, `sqlite_stat1`, the
    // `sqlite_autoindex_*` indexes behind keys) are named `sqlite_...`,
    // a prefix SQLite refuses for any other object.
    let objects: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
         WHERE substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let sql_of = |kind: &str, name: &str| {
        objects
            .iter()
            .find(|(k, n, _, _)| k == kind && n == name)
            .and_then(|(_, _, _, sql)| sql.as_deref())
            .unwrap_or_default()
    };
    // `type` tells virtual tables and their shadow tables (which the
    // virtual table makes itself) from the others.
    let tables: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT name, type, wr, strict FROM pragma_table_list \
         WHERE schema = 'main' AND type IN ('table', 'virtual') \
         AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut schema = Schema::empty(BackendKind::Sqlite);
    for (name, kind, without_rowid, strict) in &tables {
        let sql = sql_of("table", name);
        let table = if kind == "virtual" {
            virtual_table(name, sql)
        } else {
            let mut table = read_table(conn, name, sql, &objects).await?;
            for (flag, option) in [(*strict, STRICT), (*without_rowid, WITHOUT_ROWID)] {
                if flag {
                    table.options.push((option.to_owned(), "true".to_owned()));
                }
            }
            table
        };
        schema.tables.push(table);
    }
    resolve_references(&mut schema.tables);

    for (kind, name, table, sql) in &objects {
        let sql = sql.as_deref().unwrap_or_default();
        let tokens = text::tokenize(sql);
        match kind.as_str() {
            "view" => {
                let columns: Result<Vec<String>, _> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_xinfo(?1, 'main')")
                        .bind(name)
                        .fetch_all(&mut *conn)
                        .await;
                // A view whose tables are gone has no columns to read; its
                // text is kept as written.
                let names_kept = columns.is_ok_and(|c| c.iter().all(|c| text::spacing_keeps(c)));
                let definition = if names_kept && text::spacing_is_safe(&tokens) {
                    text::join(&tokens)
                } else {
                    text::trimmed(sql, &tokens).to_owned()
                };
                schema.views.push(View {
                    name: QualifiedName::new(None, name),
                    definition,
                    materialized: false,
                    indexes: Vec::new(),
                });
            }
            "trigger" => {
                let definition = if text::spacing_is_safe(&tokens) {
                    text::join_trigger(&tokens)
                } else {
                    text::trimmed(sql, &tokens).to_owned()
                };
                schema.triggers.push(Trigger {
                    name: QualifiedName::new(None, name),
                    table: QualifiedName::new(None, table),
                    definition,
                });
            }
            _ => {}
        }
    }
    schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
    schema.views.sort_by(|a, b| a.name.cmp(&b.name));
    schema.triggers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(schema)
}

/// A virtual table: its `USING` clause as written, no columns of its own.
fn virtual_table(name: &str, sql: &str) -> Table {
    let tokens = text::tokenize(sql);
    let using = tokens
        .iter()
        .position(|t| t.is_word("USING"))
        .map(|at| {
            let (start, end) = (tokens[at].end, tokens.last().map_or(at, |t| t.end));
            sql.get(start..end).unwrap_or_default().trim().to_owned()
        })
        .unwrap_or_default();
    let mut table = bare_table(name);
    table.options.push((USING.to_owned(), using));
    table
}

fn bare_table(name: &str) -> Table {
    Table {
        name: QualifiedName::new(None, name),
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

/// An error for a stored definition that does not say what its pragmas
/// say it should.
fn unreadable(what: String) -> sqlx::Error {
    sqlx::Error::Protocol(format!("cannot read the definition of {what}"))
}

/// A table from its pragmas and, for what they do not tell, its text.
async fn read_table(
    conn: &mut SqliteConnection,
    name: &str,
    sql: &str,
    objects: &[(String, String, String, Option<String>)],
) -> Result<Table, sqlx::Error> {
    let parsed = text::read_table(sql);
    // hidden: 1 is a virtual table's hidden column (not read here), 2 and
    // 3 a generated VIRTUAL and STORED column.
    let rows: Vec<(String, String, bool, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
         FROM pragma_table_xinfo(?1, 'main') WHERE hidden <> 1 ORDER BY cid",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let mut table = bare_table(name);
    let mut key: Vec<(i64, String)> = Vec::new();
    for (column, data_type, not_null, default, pk, hidden) in rows {
        let written = parsed.column(&column);
        let generated = match hidden {
            2 | 3 => {
                let expression = written
                    .and_then(|c| c.generated.clone())
                    .ok_or_else(|| unreadable(format!("generated column {name}.{column}")))?;
                Some(Generated {
                    expression,
                    stored: hidden == 3,
                })
            }
            _ => None,
        };
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        table.columns.push(Column {
            data_type: text::join(&text::tokenize(&data_type)).to_lowercase(),
            nullable: !not_null,
            default: default.map(|d| text::join(&text::tokenize(&d))),
            on_update: None,
            identity: written
                .is_some_and(|c| c.autoincrement)
                .then_some(Identity::AutoIncrement),
            generated,
            collation: written
                .and_then(|c| c.collation.as_deref())
                .and_then(collation),
            comment: None,
            name: column,
        });
    }
    key.sort();
    if !key.is_empty() {
        table.primary_key = Some(Key {
            name: None,
            columns: key.into_iter().map(|(_, column)| column).collect(),
        });
    }
    table.checks = parsed.checks.clone();
    table.checks.sort_by(|a, b| (&a.name, &a.expression).cmp(&(&b.name, &b.expression)));
    table.foreign_keys = foreign_keys(conn, name, &parsed).await?;

    let indexes: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT name, \"unique\", origin FROM pragma_index_list(?1, 'main') ORDER BY name",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    for (index, unique, origin) in indexes {
        match origin.as_str() {
            "u" => {
                let columns = sqlx::query_scalar(
                    "SELECT name FROM pragma_index_info(?1, 'main') ORDER BY seqno",
                )
                .bind(&index)
                .fetch_all(&mut *conn)
                .await?;
                table.uniques.push(Key {
                    name: None,
                    columns,
                });
            }
            "c" => {
                let sql = objects
                    .iter()
                    .find(|(kind, n, _, _)| kind == "index" && *n == index)
                    .and_then(|(_, _, _, sql)| sql.as_deref())
                    .unwrap_or_default();
                let index = read_index(conn, &table, &parsed, index, unique, sql).await?;
                table.indexes.push(index);
            }
            // "pk": the index behind a PRIMARY KEY.
            _ => {}
        }
    }
    table.uniques.sort_by(|a, b| a.columns.cmp(&b.columns));
    Ok(table)
}

/// A collation as the model keeps it: upper case (SQLite ignores the
/// case), none for SQLite's default `BINARY`.
fn collation(name: &str) -> Option<String> {
    (!name.eq_ignore_ascii_case("BINARY")).then(|| name.to_ascii_uppercase())
}

/// The foreign keys of table `name`: `pragma foreign_key_list` (one row
/// per column, grouped by `id`), and whether each is deferred from its
/// text.
async fn foreign_keys(
    conn: &mut SqliteConnection,
    name: &str,
    parsed: &text::TableText,
) -> Result<Vec<ForeignKey>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1, 'main') ORDER BY id DESC, seq",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let mut keys: Vec<ForeignKey> = Vec::new();
    let mut last_id = None;
    for (id, target, from, to, on_update, on_delete) in rows {
        if last_id != Some(id) {
            last_id = Some(id);
            keys.push(ForeignKey {
                name: None,
                columns: Vec::new(),
                references: QualifiedName::new(None, &target),
                referenced_columns: Vec::new(),
                on_update: action(&on_update)?,
                on_delete: action(&on_delete)?,
                deferrable: Deferrable::NotDeferrable,
            });
        }
        if let Some(key) = keys.last_mut() {
            key.columns.push(from);
            // `REFERENCES parent` without columns: the parent's primary
            // key, filled in once every table is read.
            if let Some(to) = to {
                key.referenced_columns.push(to);
            }
        }
    }
    // The pragma lists the keys last declared first (hence `id DESC`
    // above); each takes the first declaration of its columns and table
    // not yet taken.
    let mut taken = vec![false; parsed.foreign_keys.len()];
    for key in &mut keys {
        let same = |names: &[String], other: &[String]| {
            names.len() == other.len()
                && names.iter().zip(other).all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        let found = parsed.foreign_keys.iter().enumerate().position(|(i, written)| {
            !taken[i]
                && same(&written.columns, &key.columns)
                && written.table.eq_ignore_ascii_case(&key.references.name)
        });
        if let Some(i) = found {
            taken[i] = true;
            if parsed.foreign_keys[i].deferred {
                key.deferrable = Deferrable::InitiallyDeferred;
            }
        }
    }
    Ok(keys)
}

fn action(name: &str) -> Result<ReferentialAction, sqlx::Error> {
    Ok(match name {
        "NO ACTION" => ReferentialAction::NoAction,
        "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        other => {
            return Err(sqlx::Error::Protocol(format!(
                "unknown foreign key action `{other}`"
            )))
        }
    })
}

/// Each foreign key's parent as the parent spells its name and columns
/// (SQLite matches them in any case), and `REFERENCES parent` without
/// columns as the parent's primary key, which it means; a parent that is
/// not there stays as written.
fn resolve_references(tables: &mut [Table]) {
    let parents: Vec<(String, Vec<String>, Option<Vec<String>>)> = tables
        .iter()
        .map(|t| {
            let columns = t.columns.iter().map(|c| c.name.clone()).collect();
            let key = t.primary_key.as_ref().map(|k| k.columns.clone());
            (t.name.name.clone(), columns, key)
        })
        .collect();
    for table in tables.iter_mut() {
        for fk in &mut table.foreign_keys {
            let parent = parents
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(&fk.references.name));
            let Some((name, columns, key)) = parent else {
                continue;
            };
            fk.references.name.clone_from(name);
            if fk.referenced_columns.is_empty() {
                fk.referenced_columns = key.clone().unwrap_or_default();
            }
            for column in &mut fk.referenced_columns {
                if let Some(spelled) = columns.iter().find(|c| c.eq_ignore_ascii_case(column)) {
                    column.clone_from(spelled);
                }
            }
        }
        table.foreign_keys.sort_by(|a, b| fk_order(a).cmp(&fk_order(b)));
    }
}

fn fk_order(fk: &ForeignKey) -> impl Ord + '_ {
    (
        &fk.columns,
        &fk.references,
        &fk.referenced_columns,
        fk.on_update.sql(),
        fk.on_delete.sql(),
        fk.deferrable == Deferrable::InitiallyDeferred,
    )
}

/// An index from `pragma index_xinfo`: a column part by its name, with its
/// collation where it is not the column's; an expression part, and the
/// `WHERE` condition, from the `CREATE INDEX` text.
async fn read_index(
    conn: &mut SqliteConnection,
    table: &Table,
    parsed: &text::TableText,
    name: String,
    unique: bool,
    sql: &str,
) -> Result<Index, sqlx::Error> {
    let keys: Vec<(i64, Option<String>, bool, Option<String>)> = sqlx::query_as(
        "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1, 'main') \
         WHERE key ORDER BY seqno",
    )
    .bind(&name)
    .fetch_all(&mut *conn)
    .await?;
    let tokens = text::tokenize(sql);
    let written = text::read_index(&tokens);
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let expression = |tokens: &[Token<'_>]| text::join(&text::unquote_columns(tokens, &columns));
    let mut parts = Vec::with_capacity(keys.len());
    for (seq, (cid, column, descending, coll)) in keys.into_iter().enumerate() {
        let mut part = match column {
            Some(column) if cid >= 0 => {
                let declared = parsed.column(&column).and_then(|c| c.collation.as_deref());
                let coll = coll.unwrap_or_default();
                if coll.eq_ignore_ascii_case(declared.unwrap_or("BINARY")) {
                    quote(&column)
                } else {
                    format!("{} COLLATE {}", quote(&column), quote(&coll.to_ascii_uppercase()))
                }
            }
            _ => written
                .parts
                .get(seq)
                .map(|part| expression(text::without_order(part)))
                .ok_or_else(|| unreadable(format!("index {name}'s part {}", seq + 1)))?,
        };
        if descending {
            part.push_str(" DESC");
        }
        parts.push(part);
    }
    Ok(Index {
        predicate: written.predicate.map(expression),
        name,
        unique,
        parts,
        include: Vec::new(),
        method: None,
    })
}

pub(crate) fn render(schema: &Schema) -> String {
    let mut statements = Vec::new();
    for table in &schema.tables {
        statements.push(render_table(table));
        statements.extend(table.indexes.iter().map(|index| render_index(&table.name, index)));
    }
    statements.extend(
        views_in_dependency_order(&schema.views)
            .into_iter()
            .map(|view| format!("{};", view.definition)),
    );
    statements.extend(
        schema
            .triggers
            .iter()
            .map(|trigger| format!("{};", trigger.definition)),
    );
    let mut sql = statements.join("\n\n");
    if !sql.is_empty() {
        sql.push('\n');
    }
    sql
}

/// `CREATE TABLE`: a column per line, each with the clauses that concern
/// it alone (a one-column primary key and `UNIQUE` among them, as
/// `AUTOINCREMENT` requires), then the table's constraints: primary key,
/// uniques, checks, foreign keys (SQLite takes them in `CREATE TABLE`
/// only).
fn render_table(table: &Table) -> String {
    let name = quote(&table.name.name);
    if let Some((_, using)) = table.options.iter().find(|(option, _)| option == USING) {
        return format!("CREATE VIRTUAL TABLE {name} USING {using};");
    }
    let alone = |key: &Key| match key.columns.as_slice() {
        [column] => table.column(column).map(|c| c.name.as_str()),
        _ => None,
    };
    let inline_key = table.primary_key.as_ref().and_then(alone);
    let mut lines = Vec::new();
    for column in &table.columns {
        let mut line = quote(&column.name);
        for (present, clause) in [
            (!column.data_type.is_empty(), column.data_type.as_str()),
            (!column.nullable, "NOT NULL"),
            (inline_key == Some(&column.name), "PRIMARY KEY"),
            (
                inline_key == Some(&column.name) && column.identity == Some(Identity::AutoIncrement),
                "AUTOINCREMENT",
            ),
            (
                table.uniques.iter().any(|u| alone(u) == Some(&column.name)),
                "UNIQUE",
            ),
        ] {
            if present {
                line.push(' ');
                line.push_str(clause);
            }
        }
        if let Some(default) = &column.default {
            line.push_str(&format!(" DEFAULT {}", default_clause(default)));
        }
        if let Some(collation) = &column.collation {
            line.push_str(&format!(" COLLATE {}", quote(collation)));
        }
        if let Some(generated) = &column.generated {
            let storage = if generated.stored { "STORED" } else { "VIRTUAL" };
            line.push_str(&format!(
                " GENERATED ALWAYS AS ({}) {storage}",
                generated.expression
            ));
        }
        lines.push(line);
    }
    let list = |columns: &[String]| {
        columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(key) = table.primary_key.as_ref().filter(|k| alone(k).is_none()) {
        lines.push(format!("PRIMARY KEY ({})", list(&key.columns)));
    }
    for unique in table.uniques.iter().filter(|u| alone(u).is_none()) {
        lines.push(format!("UNIQUE ({})", list(&unique.columns)));
    }
    for check in &table.checks {
        let named = check
            .name
            .as_ref()
            .map(|name| format!("CONSTRAINT {} ", quote(name)))
            .unwrap_or_default();
        lines.push(format!("{named}CHECK ({})", check.expression));
    }
    for fk in &table.foreign_keys {
        let mut line = format!(
            "FOREIGN KEY ({}) REFERENCES {}",
            list(&fk.columns),
            quote(&fk.references.name)
        );
        if !fk.referenced_columns.is_empty() {
            line.push_str(&format!(" ({})", list(&fk.referenced_columns)));
        }
        for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
            if action != ReferentialAction::NoAction {
                line.push_str(&format!(" ON {event} {}", action.sql()));
            }
        }
        match fk.deferrable {
            Deferrable::NotDeferrable => {}
            Deferrable::InitiallyImmediate => line.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
            Deferrable::InitiallyDeferred => line.push_str(" DEFERRABLE INITIALLY DEFERRED"),
        }
        lines.push(line);
    }
    let flag = |option: &str| table.options.iter().any(|(name, _)| name == option);
    let options: Vec<&str> = [(WITHOUT_ROWID, "WITHOUT ROWID"), (STRICT, "STRICT")]
        .into_iter()
        .filter(|(option, _)| flag(option))
        .map(|(_, sql)| sql)
        .collect();
    let options = if options.is_empty() {
        String::new()
    } else {
        format!(" {}", options.join(", "))
    };
    format!(
        "CREATE TABLE {name} (\n    {}\n){options};",
        lines.join(",\n    ")
    )
}

/// A default as `DEFAULT` takes it: a literal or signed number bare, any
/// other expression in brackets (SQLite's pragma prints it without them).
fn default_clause(default: &str) -> String {
    let tokens = text::tokenize(default);
    let bare = match tokens.as_slice() {
        [_] => true,
        [sign, number] => {
            (sign.text == "-" || sign.text == "+")
                && sign.kind == Kind::Punct
                && number.kind == Kind::Number
        }
        _ => false,
    };
    if bare {
        default.to_owned()
    } else {
        format!("({default})")
    }
}

fn render_index(table: &QualifiedName, index: &Index) -> String {
    let unique = if index.unique { "UNIQUE " } else { "" };
    let predicate = index
        .predicate
        .as_ref()
        .map(|p| format!(" WHERE {p}"))
        .unwrap_or_default();
    format!(
        "CREATE {unique}INDEX {} ON {} ({}){predicate};",
        quote(&index.name),
        quote(&table.name),
        index.parts.join(", ")
    )
}

/// The views, each after the views its definition names (SQLite checks a
/// view's tables only when it is used, but a dump reads better that way),
/// otherwise by name.
fn views_in_dependency_order(views: &[View]) -> Vec<&View> {
    let uses: Vec<Vec<usize>> = views
        .iter()
        .enumerate()
        .map(|(i, view)| {
            let names: Vec<String> = text::tokenize(&view.definition)
                .iter()
                .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::String))
                .map(Token::name)
                .collect();
            (0..views.len())
                .filter(|&j| {
                    j != i
                        && names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&views[j].name.name))
                })
                .collect()
        })
        .collect();
    // Depth first, iteratively; a view met again while its own uses are
    // being placed (a cycle, which SQLite would not have let happen) is
    // placed where it stands.
    let mut placed = vec![false; views.len()];
    let mut order = Vec::with_capacity(views.len());
    for root in 0..views.len() {
        let mut stack = vec![(root, 0)];
        let mut open = vec![false; views.len()];
        while let Some((view, next)) = stack.pop() {
            if placed[view] {
                continue;
            }
            open[view] = true;
            match uses[view].get(next) {
                Some(&used) => {
                    stack.push((view, next + 1));
                    if !placed[used] && !open[used] {
                        stack.push((used, 0));
                    }
                }
                None => {
                    placed[view] = true;
                    order.push(&views[view]);
                }
            }
        }
    }
    order
}

/// The SQL of a generated migration's steps (see [`super::render_steps`]).
pub(crate) fn render_steps(
    steps: &[super::Step],
    old: &Schema,
    new: &Schema,
) -> Vec<super::GeneratedScript> {
    let _ = (steps, old, new);
    todo!("sqlite: generated migrations")
}
