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
use super::generate::with_renames;
use super::model::{
    Check, Column, Deferrable, ForeignKey, Generated, Identity, Index, Key, QualifiedName,
    ReferentialAction, Schema, Table, Trigger, View,
};
use super::{GeneratedScript, Rename, Step};
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
    let mut table = Table::new(QualifiedName::new(None, name));
    table.options.push((USING.to_owned(), using));
    table
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
    let mut table = Table::new(QualifiedName::new(None, name));
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
    table
        .checks
        .sort_by(|a, b| (&a.name, &a.expression).cmp(&(&b.name, &b.expression)));
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
                && names
                    .iter()
                    .zip(other)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        let found = parsed
            .foreign_keys
            .iter()
            .enumerate()
            .position(|(i, written)| {
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
        table
            .foreign_keys
            .sort_by(|a, b| fk_order(a).cmp(&fk_order(b)));
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
                    format!(
                        "{} COLLATE {}",
                        quote(&column),
                        quote(&coll.to_ascii_uppercase())
                    )
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
        statements.extend(
            table
                .indexes
                .iter()
                .map(|index| render_index(&table.name, index)),
        );
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
        let unique = table.uniques.iter().any(|u| alone(u) == Some(&column.name));
        lines.push(column_definition(
            column,
            inline_key == Some(&column.name),
            unique,
        ));
    }
    if let Some(key) = table.primary_key.as_ref().filter(|k| alone(k).is_none()) {
        lines.push(format!("PRIMARY KEY ({})", column_list(&key.columns)));
    }
    for unique in table.uniques.iter().filter(|u| alone(u).is_none()) {
        lines.push(format!("UNIQUE ({})", column_list(&unique.columns)));
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
        lines.push(format!(
            "FOREIGN KEY ({}) {}",
            column_list(&fk.columns),
            references_clause(fk)
        ));
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

/// A column as `CREATE TABLE` and `ALTER TABLE ... ADD COLUMN` write it:
/// its name, type and clauses, `PRIMARY KEY` (with `AUTOINCREMENT`) and
/// `UNIQUE` where the key is this column alone.
fn column_definition(column: &Column, primary_key: bool, unique: bool) -> String {
    let mut line = quote(&column.name);
    for (present, clause) in [
        (!column.data_type.is_empty(), column.data_type.as_str()),
        (!column.nullable, "NOT NULL"),
        (primary_key, "PRIMARY KEY"),
        (
            primary_key && column.identity == Some(Identity::AutoIncrement),
            "AUTOINCREMENT",
        ),
        (unique, "UNIQUE"),
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
        let storage = if generated.stored {
            "STORED"
        } else {
            "VIRTUAL"
        };
        line.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {storage}",
            generated.expression
        ));
    }
    line
}

/// `a, "b c"`.
fn column_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A foreign key's `REFERENCES parent (columns)` and its actions, as a
/// table constraint or a column's clause.
fn references_clause(fk: &ForeignKey) -> String {
    let mut clause = format!("REFERENCES {}", quote(&fk.references.name));
    if !fk.referenced_columns.is_empty() {
        clause.push_str(&format!(" ({})", column_list(&fk.referenced_columns)));
    }
    for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        if action != ReferentialAction::NoAction {
            clause.push_str(&format!(" ON {event} {}", action.sql()));
        }
    }
    match fk.deferrable {
        Deferrable::NotDeferrable => {}
        Deferrable::InitiallyImmediate => clause.push_str(" DEFERRABLE INITIALLY IMMEDIATE"),
        Deferrable::InitiallyDeferred => clause.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    clause
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
            let names = names_in(&view.definition);
            (0..views.len())
                .filter(|&j| j != i && names.mentions(&views[j].name.name))
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

/// The names a statement's text holds: words, quoted names, and strings
/// (which SQLite also reads as names).
struct Names(Vec<String>);

fn names_in(sql: &str) -> Names {
    Names(
        text::tokenize(sql)
            .iter()
            .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::String))
            .map(Token::name)
            .collect(),
    )
}

impl Names {
    /// Whether the text names `name` (as SQLite compares names: ignoring
    /// ASCII case).
    fn mentions(&self, name: &str) -> bool {
        self.0.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// The SQL of a generated migration's steps (see [`super::render_steps`]):
/// one script, run in the migration's transaction.
///
/// What `ALTER TABLE` can do is written as `ALTER TABLE`: rename a table
/// or a column, add a column (with its foreign key) within SQLite's
/// limits, drop a column nothing else reads. Any other change of an
/// existing table rebuilds it once, however many steps change it, by the
/// procedure SQLite documents
/// (<https://www.sqlite.org/lang_altertable.html#otheralter>): create the
/// wanted table under another name, copy the rows, drop the old table,
/// rename the new one, create its indexes. The views and triggers that the
/// rename would find broken (SQLite checks every one of them then) are
/// dropped first and created again last.
///
/// The rebuild relies on the runtime's foreign-key suspension
/// (`sql::dialect::ForeignKeySuspension`): a migration's transaction runs
/// with enforcement off, so dropping the old table neither cascades to
/// nor is refused by the rows that reference it, and `pragma
/// foreign_key_check` after the script refuses the migration if a row no
/// longer has its parent. Run by hand with enforcement on, the `DROP
/// TABLE` would delete (or cascade to) those rows.
pub(crate) fn render_steps(steps: &[Step], old: &Schema, new: &Schema) -> Vec<GeneratedScript> {
    let renames: Vec<Rename> = steps
        .iter()
        .filter_map(|step| match step {
            Step::RenameTable { from, to } => Some(Rename::Table {
                from: from.clone(),
                to: to.clone(),
            }),
            Step::RenameColumn { table, from, to } => Some(Rename::Column {
                table: table.clone(),
                from: from.clone(),
                to: to.clone(),
            }),
            _ => None,
        })
        .collect();
    // The tables as the renames (which run first) leave them.
    let current = with_renames(old, &renames);
    let rebuilds = rebuilds(steps, &current, new);
    let rebuilt = |table: &QualifiedName| rebuilds.iter().any(|r| &r.to.name == table);
    let dependents = Dependents::of(steps, old, new, &rebuilds);

    let mut index_drops = Vec::new();
    let mut tables = Vec::new();
    let mut indexes = Vec::new();
    for step in steps {
        match step {
            Step::RenameTable { from, to } => tables.push(format!(
                "ALTER TABLE {} RENAME TO {};",
                quote(&from.name),
                quote(to)
            )),
            Step::RenameColumn { table, from, to } => tables.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                quote(&table.name),
                quote(from),
                quote(to)
            )),
            // With its foreign keys: SQLite takes them nowhere else.
            Step::CreateTable { table } => tables.push(render_table(table)),
            Step::DropTable { table } => {
                tables.push(format!("DROP TABLE {};", quote(&table.name.name)));
            }
            Step::AlterTable { .. }
            | Step::AddColumn { .. }
            | Step::DropColumn { .. }
            | Step::AlterColumn { .. }
            | Step::AddPrimaryKey { .. }
            | Step::DropPrimaryKey { .. }
            | Step::AddUnique { .. }
            | Step::DropUnique { .. }
            | Step::AddCheck { .. }
            | Step::DropCheck { .. }
            | Step::AddForeignKey { .. }
            | Step::DropForeignKey { .. } => {
                if let Some(Alter::Sql(sql)) = alter(step, steps, &current, new) {
                    if !step.table().is_some_and(rebuilt) {
                        tables.push(sql);
                    }
                }
            }
            // Dropped early even when its table is rebuilt: the rebuild
            // creates the table's indexes as wanted.
            Step::DropIndex { table, index } => {
                let kept = steps.iter().any(|s| {
                    matches!(s, Step::CreateIndex { table: t, index: created, .. }
                        if t == table && renamed_into(index, created, table, steps, new))
                });
                if !kept {
                    index_drops.push(format!("DROP INDEX {};", quote(&index.name)));
                }
            }
            Step::CreateIndex { table, index, .. } => {
                let kept = steps.iter().any(|s| {
                    matches!(s, Step::DropIndex { table: t, index: dropped }
                        if t == table && renamed_into(dropped, index, table, steps, new))
                });
                if !rebuilt(table) && !kept {
                    indexes.push(render_index(table, index));
                }
            }
            // With those the rebuilds break, in `dependents`.
            Step::CreateView { .. }
            | Step::DropView { .. }
            | Step::CreateTrigger { .. }
            | Step::DropTrigger { .. } => {}
            // SQLite has none of these objects.
            Step::CreateNamespace { .. }
            | Step::DropNamespace { .. }
            | Step::CreateExtension { .. }
            | Step::DropExtension { .. }
            | Step::CreateEnum { .. }
            | Step::AddEnumValues { .. }
            | Step::DropEnum { .. }
            | Step::CreateCompositeType { .. }
            | Step::AlterCompositeType { .. }
            | Step::DropCompositeType { .. }
            | Step::CreateSequence { .. }
            | Step::AlterSequence { .. }
            | Step::DropSequence { .. }
            | Step::CreateRoutine { .. }
            | Step::ReplaceRoutine { .. }
            | Step::DropRoutine { .. }
            | Step::CreateEvent { .. }
            | Step::DropEvent { .. } => {}
        }
    }

    let taken = taken_names(&current, new);
    let statements: Vec<String> = dependents
        .drops()
        .into_iter()
        .chain(index_drops)
        .chain(tables)
        .chain(rebuilds.iter().flat_map(|r| r.statements(&taken)))
        .chain(indexes)
        .chain(dependents.creates())
        .collect();
    if statements.is_empty() {
        return Vec::new();
    }
    vec![GeneratedScript {
        sql: format!("{}\n", statements.join("\n\n")),
        transactional: true,
    }]
}

/// How a change of an existing table's definition is written.
enum Alter {
    /// As this statement.
    Sql(String),
    /// By another statement: a foreign key of a table the migration
    /// creates, or of the column it is added with; a check or generated
    /// column `RENAME COLUMN` rewrites as wanted.
    Absorbed,
    /// Only by rebuilding the table; why, for the script's comment.
    Rebuild(String),
}

/// How `step` is written, if it changes an existing table's definition.
fn alter(step: &Step, steps: &[Step], current: &Schema, new: &Schema) -> Option<Alter> {
    let rebuild = |why: String| Some(Alter::Rebuild(why));
    let of = |columns: &[String]| columns.join(", ");
    match step {
        Step::AlterTable { .. } => rebuild("change the table's options".to_owned()),
        Step::AlterColumn {
            table,
            old,
            new: column,
        } => {
            let mut renamed = old.clone();
            if let Some(generated) = &mut renamed.generated {
                generated.expression = after_renames(&generated.expression, table, steps, new);
            }
            if renamed == *column {
                Some(Alter::Absorbed)
            } else {
                rebuild(format!("alter column {}", column.name))
            }
        }
        Step::AddColumn { table, column } => match cannot_add(column, new.table(table)) {
            Some(why) => rebuild(format!("add column {} ({why})", column.name)),
            None => {
                let references = steps.iter().find_map(|other| match other {
                    Step::AddForeignKey {
                        table: t,
                        foreign_key,
                    } if t == table
                        && added_with(steps, new, table, foreign_key)
                            .is_some_and(|c| c.name == column.name) =>
                    {
                        Some(format!(" {}", references_clause(foreign_key)))
                    }
                    _ => None,
                });
                Some(Alter::Sql(format!(
                    "ALTER TABLE {} ADD COLUMN {}{};",
                    quote(&table.name),
                    column_definition(column, false, false),
                    references.unwrap_or_default()
                )))
            }
        },
        Step::DropColumn { table, column } => match cannot_drop(column, current.table(table)) {
            Some(why) => rebuild(format!("drop column {} ({why})", column.name)),
            None => Some(Alter::Sql(format!(
                "ALTER TABLE {} DROP COLUMN {};",
                quote(&table.name),
                quote(&column.name)
            ))),
        },
        Step::AddPrimaryKey { key, .. } => {
            rebuild(format!("add primary key ({})", of(&key.columns)))
        }
        Step::DropPrimaryKey { key, .. } => {
            rebuild(format!("drop primary key ({})", of(&key.columns)))
        }
        Step::AddUnique { key, .. } => rebuild(format!("add unique ({})", of(&key.columns))),
        Step::DropUnique { key, .. } => rebuild(format!("drop unique ({})", of(&key.columns))),
        Step::AddCheck { table, check } | Step::DropCheck { table, check } => {
            let adds = matches!(step, Step::AddCheck { .. });
            let verb = if adds { "add" } else { "drop" };
            let paired = steps.iter().any(|other| match other {
                Step::DropCheck {
                    table: t,
                    check: dropped,
                } if adds && t == table => renamed_check(dropped, table, steps, new) == *check,
                Step::AddCheck {
                    table: t,
                    check: added,
                } if !adds && t == table => renamed_check(check, table, steps, new) == *added,
                _ => false,
            });
            if paired {
                Some(Alter::Absorbed)
            } else {
                rebuild(match &check.name {
                    Some(name) => format!("{verb} check {name}"),
                    None => format!("{verb} a check"),
                })
            }
        }
        Step::DropForeignKey { foreign_key, .. } => rebuild(format!(
            "drop foreign key ({}) -> {}",
            of(&foreign_key.columns),
            foreign_key.references.name
        )),
        Step::AddForeignKey { table, foreign_key } => {
            let created = steps
                .iter()
                .any(|s| matches!(s, Step::CreateTable { table: t } if &t.name == table));
            if created || added_with(steps, new, table, foreign_key).is_some() {
                Some(Alter::Absorbed)
            } else {
                rebuild(format!(
                    "add foreign key ({}) -> {}",
                    of(&foreign_key.columns),
                    foreign_key.references.name
                ))
            }
        }
        _ => None,
    }
}

/// `expression`, of `table`, as SQLite rewrites it when the migration
/// renames the table's columns (`RENAME COLUMN` rewrites checks, indexes
/// and generated columns), spaced as the inspector reads it back. A
/// word before `(` is a function, not a column.
fn after_renames(expression: &str, table: &QualifiedName, steps: &[Step], new: &Schema) -> String {
    let mut text = expression.to_owned();
    for step in steps {
        let Step::RenameColumn { table: t, from, to } = step else {
            continue;
        };
        if t != table {
            continue;
        }
        let tokens = text::tokenize(&text);
        text = tokens
            .iter()
            .enumerate()
            .map(|(i, token)| {
                let call = tokens.get(i + 1).is_some_and(|next| next.text == "(");
                let column = matches!(token.kind, Kind::Word | Kind::Quoted) && !call;
                if column && token.name().eq_ignore_ascii_case(from) {
                    quote(to)
                } else {
                    token.text.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    let columns: Vec<String> = new
        .table(table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    text::join(&text::unquote_columns(&text::tokenize(&text), &columns))
}

fn renamed_check(check: &Check, table: &QualifiedName, steps: &[Step], new: &Schema) -> Check {
    Check {
        name: check.name.clone(),
        expression: after_renames(&check.expression, table, steps, new),
    }
}

/// Whether the migration's column renames turn `dropped` into `created`:
/// the same index, neither dropped nor built again.
fn renamed_into(
    dropped: &Index,
    created: &Index,
    table: &QualifiedName,
    steps: &[Step],
    new: &Schema,
) -> bool {
    let renamed = |text: &String| after_renames(text, table, steps, new);
    let renamed = Index {
        parts: dropped.parts.iter().map(renamed).collect(),
        predicate: dropped.predicate.as_ref().map(renamed),
        ..dropped.clone()
    };
    renamed == *created
}

/// Why `ALTER TABLE ... ADD COLUMN` cannot add `column` to `table` (as
/// wanted), if it cannot.
fn cannot_add(column: &Column, table: Option<&Table>) -> Option<&'static str> {
    let keyed = |key: &Key| key.columns.contains(&column.name);
    if table.is_some_and(|t| t.primary_key.as_ref().is_some_and(keyed)) {
        Some("part of the primary key")
    } else if table.is_some_and(|t| t.uniques.iter().any(keyed)) {
        Some("unique")
    } else if column.generated.as_ref().is_some_and(|g| g.stored) {
        Some("a stored generated column")
    } else if !column.nullable && null_default(column) {
        Some("NOT NULL without a default")
    } else if column.default.as_deref().is_some_and(|d| !constant(d)) {
        Some("a default that is not a constant")
    } else {
        None
    }
}

/// No default, or `DEFAULT NULL`.
fn null_default(column: &Column) -> bool {
    column
        .default
        .as_deref()
        .is_none_or(|d| d.eq_ignore_ascii_case("NULL"))
}

/// A default `ADD COLUMN` takes: not in brackets, not the current time.
fn constant(default: &str) -> bool {
    !default_clause(default).starts_with('(')
        && !["CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"]
            .iter()
            .any(|k| default.eq_ignore_ascii_case(k))
}

/// Why `ALTER TABLE ... DROP COLUMN` cannot drop `column` from `table` (as
/// the renames leave it), if it cannot. Its indexes, views and triggers
/// are dropped before.
fn cannot_drop(column: &Column, table: Option<&Table>) -> Option<&'static str> {
    let table = table?;
    let keyed = |key: &Key| key.columns.contains(&column.name);
    if table.primary_key.as_ref().is_some_and(keyed) {
        Some("part of the primary key")
    } else if table.uniques.iter().any(keyed) {
        Some("unique")
    } else if table
        .foreign_keys
        .iter()
        .any(|fk| fk.columns.contains(&column.name))
    {
        Some("part of a foreign key")
    } else if table
        .checks
        .iter()
        .map(|c| c.expression.as_str())
        .chain(
            table
                .columns
                .iter()
                .filter_map(|c| c.generated.as_ref())
                .map(|g| g.expression.as_str()),
        )
        .any(|expression| names_in(expression).mentions(&column.name))
    {
        Some("read by a check or a generated column")
    } else {
        None
    }
}

/// The column `fk` is added with, as `ADD COLUMN ... REFERENCES`: one this
/// migration adds by `ALTER TABLE` with a NULL default (SQLite's
/// condition), from which no other new foreign key starts.
fn added_with<'s>(
    steps: &'s [Step],
    new: &Schema,
    table: &QualifiedName,
    fk: &ForeignKey,
) -> Option<&'s Column> {
    let [column] = fk.columns.as_slice() else {
        return None;
    };
    let same_start = |step: &Step| {
        matches!(step, Step::AddForeignKey { table: t, foreign_key }
            if t == table && foreign_key.columns == fk.columns)
    };
    if steps.iter().filter(|step| same_start(step)).count() != 1 {
        return None;
    }
    steps.iter().find_map(|step| match step {
        Step::AddColumn {
            table: t,
            column: added,
        } if t == table
            && &added.name == column
            && null_default(added)
            && cannot_add(added, new.table(table)).is_none() =>
        {
            Some(added)
        }
        _ => None,
    })
}

/// A table rebuilt by SQLite's documented procedure.
struct Rebuild {
    /// As the renames leave it: what the copy reads.
    from: Table,
    /// As wanted, with the columns whose drop was refused.
    to: Table,
    /// Its name before the migration's renames.
    was: String,
    /// What `ALTER TABLE` cannot do.
    reasons: Vec<String>,
}

/// The tables whose changes `ALTER TABLE` cannot make, in name order.
fn rebuilds(steps: &[Step], current: &Schema, new: &Schema) -> Vec<Rebuild> {
    let mut found: Vec<Rebuild> = Vec::new();
    for step in steps {
        let altered = alter(step, steps, current, new);
        let (Some(Alter::Rebuild(reason)), Some(name)) = (altered, step.table()) else {
            continue;
        };
        if let Some(rebuild) = found.iter_mut().find(|r| &r.to.name == name) {
            rebuild.reasons.push(reason);
            continue;
        }
        let (Some(from), Some(wanted)) = (current.table(name), new.table(name)) else {
            continue;
        };
        let mut to = wanted.clone();
        // A column whose drop was refused stays, with its values.
        let dropped = |column: &Column| {
            steps.iter().any(|s| {
                matches!(s, Step::DropColumn { table, column: c }
                    if table == name && c.name == column.name)
            })
        };
        to.columns.extend(
            from.columns
                .iter()
                .filter(|c| wanted.column(&c.name).is_none() && !dropped(c))
                .cloned(),
        );
        let was = steps
            .iter()
            .find_map(|s| match s {
                Step::RenameTable { from, to } if *to == name.name => Some(from.name.clone()),
                _ => None,
            })
            .unwrap_or_else(|| name.name.clone());
        found.push(Rebuild {
            from: from.clone(),
            to,
            was,
            reasons: vec![reason],
        });
    }
    found.sort_by(|a, b| a.to.name.cmp(&b.to.name));
    found
}

/// Every name of a table, index, view or trigger, before and after: a
/// rebuild's temporary table takes none of them (SQLite keeps them all in
/// one namespace).
fn taken_names(current: &Schema, new: &Schema) -> Vec<String> {
    let mut names = Vec::new();
    for schema in [current, new] {
        for table in &schema.tables {
            names.push(table.name.name.to_lowercase());
            names.extend(table.indexes.iter().map(|i| i.name.to_lowercase()));
        }
        names.extend(schema.views.iter().map(|v| v.name.name.to_lowercase()));
        names.extend(schema.triggers.iter().map(|t| t.name.name.to_lowercase()));
    }
    names
}

impl Rebuild {
    fn is_virtual(&self) -> bool {
        [&self.from, &self.to]
            .iter()
            .any(|t| t.options.iter().any(|(option, _)| option == USING))
    }

    fn statements(&self, taken: &[String]) -> Vec<String> {
        let (table, reasons) = (&self.to.name.name, self.reasons.join(", "));
        let name = quote(table);
        if self.is_virtual() {
            // A module keeps its rows its own way (an FTS5 table may index
            // another table's): no copy is right for every module.
            let why = comment(&format!(
                "Virtual table {table}, created again EMPTY as SQLite cannot alter it: {reasons}."
            ));
            return vec![
                format!(
                    "{why}\n-- Its module's data is not copied: fill it again below.\n\
                     DROP TABLE {name};"
                ),
                render_table(&self.to),
            ];
        }
        let temporary = (1..)
            .map(|n| match n {
                1 => format!("{table}_new"),
                n => format!("{table}_new{n}"),
            })
            .find(|candidate| !taken.contains(&candidate.to_lowercase()))
            .unwrap_or_default();
        let mut created = self.to.clone();
        created.name.name.clone_from(&temporary);
        let mut statements =
            vec![format!(
            "{}\n-- (the procedure of https://www.sqlite.org/lang_altertable.html#otheralter).\n{}",
            comment(&format!("Rebuild of {table}, as ALTER TABLE cannot: {reasons}")),
            render_table(&created)
        )];
        let allow_drop = comment(&format!(
            "migrate:allow drop-table its rows are copied into {temporary} above"
        ));
        let temporary = quote(&temporary);
        let copied: Vec<String> = self
            .hidden_rowid()
            .map(str::to_owned)
            .into_iter()
            .chain(
                self.to
                    .columns
                    .iter()
                    .filter(|c| c.generated.is_none() && self.from.column(&c.name).is_some())
                    .map(|c| quote(&c.name)),
            )
            .collect();
        if !copied.is_empty() {
            let columns = copied.join(", ");
            statements.push(format!(
                "INSERT INTO {temporary} ({columns})\nSELECT {columns} FROM {name};"
            ));
        }
        if self
            .to
            .columns
            .iter()
            .any(|c| c.identity == Some(Identity::AutoIncrement))
        {
            let (old, rebuilt) = (string(&self.to.name.name), string(&created.name.name));
            statements.push(format!(
                "-- AUTOINCREMENT goes on from the old table's last value.\n\
                 DELETE FROM sqlite_sequence WHERE name = {rebuilt};\n\
                 INSERT INTO sqlite_sequence (name, seq)\n\
                 SELECT {rebuilt}, seq FROM sqlite_sequence WHERE name = {old};"
            ));
        }
        statements.push(format!("{allow_drop}\nDROP TABLE {name};"));
        statements.push(format!("ALTER TABLE {temporary} RENAME TO {name};"));
        statements.extend(
            self.to
                .indexes
                .iter()
                .map(|index| render_index(&self.to.name, index)),
        );
        statements
    }

    /// The name that copies a rowid table's row ids, where the rebuilt
    /// table keeps them hidden too (no `INTEGER PRIMARY KEY` column names
    /// them, whose values are copied instead): something may refer to a
    /// row by its id (an FTS5 index of the table, the application).
    fn hidden_rowid(&self) -> Option<&'static str> {
        let rowid_table = |t: &Table| {
            !t.options
                .iter()
                .any(|(option, _)| option == WITHOUT_ROWID || option == USING)
        };
        let aliased =
            self.to
                .primary_key
                .as_ref()
                .is_some_and(|key| match key.columns.as_slice() {
                    [column] => self
                        .to
                        .column(column)
                        .is_some_and(|c| c.data_type.eq_ignore_ascii_case("integer")),
                    _ => false,
                });
        if aliased || !rowid_table(&self.from) || !rowid_table(&self.to) {
            return None;
        }
        ["rowid", "oid", "_rowid_"].into_iter().find(|alias| {
            !self
                .from
                .columns
                .iter()
                .chain(&self.to.columns)
                .any(|c| c.name.eq_ignore_ascii_case(alias))
        })
    }
}

/// `text` as one `-- ` comment line, whatever names it holds (a control
/// character, a newline in a quoted name, becomes a space).
fn comment(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("-- {line}")
}

/// `text` as an SQL string literal.
fn string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The views and triggers a migration drops first and creates again last:
/// those its steps drop, change or create, and those a rebuilt table's
/// `RENAME` would find broken (SQLite checks every view and trigger then):
/// the views that read a rebuilt table or a dropped view, the triggers
/// that fire on or read one (those on a dropped table or view go with it).
struct Dependents<'a> {
    dropped_views: Vec<&'a View>,
    dropped_triggers: Vec<&'a Trigger>,
    created_views: Vec<View>,
    created_triggers: Vec<&'a Trigger>,
}

impl<'a> Dependents<'a> {
    fn of(steps: &[Step], old: &'a Schema, new: &'a Schema, rebuilds: &[Rebuild]) -> Self {
        let rebuilt: Vec<&str> = rebuilds
            .iter()
            .flat_map(|r| [r.to.name.name.as_str(), r.was.as_str()])
            .collect();
        // The views and triggers the steps themselves drop and create.
        let (mut view_drops, mut view_creates) = (Vec::new(), Vec::new());
        let (mut trigger_drops, mut trigger_creates) = (Vec::new(), Vec::new());
        for step in steps {
            match step {
                Step::DropView { view } => view_drops.push(&view.name),
                Step::CreateView { view } => view_creates.push(&view.name),
                Step::DropTrigger { trigger } => trigger_drops.push(&trigger.name),
                Step::CreateTrigger { trigger } => trigger_creates.push(&trigger.name),
                _ => {}
            }
        }
        let mut dropped_views: Vec<&View> = old
            .views
            .iter()
            .filter(|view| {
                let names = names_in(&view.definition);
                view_drops.contains(&&view.name) || rebuilt.iter().any(|t| names.mentions(t))
            })
            .collect();
        loop {
            let readers: Vec<&View> = old
                .views
                .iter()
                .filter(|v| !dropped_views.contains(v))
                .filter(|v| {
                    let names = names_in(&v.definition);
                    dropped_views.iter().any(|d| names.mentions(&d.name.name))
                })
                .collect();
            if readers.is_empty() {
                break;
            }
            dropped_views.extend(readers);
        }
        let dropped_triggers: Vec<&Trigger> = old
            .triggers
            .iter()
            .filter(|trigger| {
                let names = names_in(&trigger.definition);
                trigger_drops.contains(&&trigger.name)
                    || rebuilt.iter().any(|t| names.mentions(t))
                    || dropped_views.iter().any(|v| names.mentions(&v.name.name))
            })
            .collect();
        let created_views: Vec<View> = new
            .views
            .iter()
            .filter(|view| {
                view_creates.contains(&&view.name)
                    || dropped_views.iter().any(|d| d.name == view.name)
            })
            .cloned()
            .collect();
        let created_triggers = new
            .triggers
            .iter()
            .filter(|trigger| {
                trigger_creates.contains(&&trigger.name)
                    || dropped_triggers.iter().any(|d| d.name == trigger.name)
            })
            .collect();
        Dependents {
            dropped_views,
            dropped_triggers,
            created_views,
            created_triggers,
        }
    }

    /// Triggers first (one on a view goes before its view), views
    /// readers first.
    fn drops(&self) -> Vec<String> {
        let views: Vec<View> = self.dropped_views.iter().map(|v| (*v).clone()).collect();
        self.dropped_triggers
            .iter()
            .map(|t| format!("DROP TRIGGER {};", quote(&t.name.name)))
            .chain(
                views_in_dependency_order(&views)
                    .into_iter()
                    .rev()
                    .map(|v| format!("DROP VIEW {};", quote(&v.name.name))),
            )
            .collect()
    }

    /// Views, each after those it reads, then triggers (one on a view goes
    /// after its view).
    fn creates(&self) -> Vec<String> {
        views_in_dependency_order(&self.created_views)
            .into_iter()
            .map(|v| format!("{};", v.definition))
            .chain(
                self.created_triggers
                    .iter()
                    .map(|t| format!("{};", t.definition)),
            )
            .collect()
    }
}
