//! MySQL and MariaDB: the catalog queries that read the connection's
//! current database (`DATABASE()`) into the [model](super::model), and the
//! renderer that writes it back as canonical SQL.
//!
//! The queries read `information_schema` and work on MariaDB 10.4+ and
//! MySQL 8.0.16+ (the first with `CHECK` constraints); where the two
//! differ the query or the normalisation is chosen by the server's flavour:
//!
//! - MariaDB's `COLUMN_DEFAULT` is an SQL expression (`'text'`, `NULL`,
//!   `current_timestamp()`); MySQL's is the bare value, with `EXTRA` saying
//!   `DEFAULT_GENERATED` for an expression. Both become the expression that
//!   follows `DEFAULT`; a `DEFAULT NULL` is no default.
//! - MariaDB stores `JSON` as `longtext COLLATE utf8mb4_bin` with a `CHECK
//!   (json_valid(col))` named after the column, which it adds itself: that
//!   column reads back as `json` without the check (as on MySQL).
//! - MySQL's `CHECK_CONSTRAINTS` has no table name (the names are unique
//!   per schema there, per table on MariaDB): it is joined to
//!   `TABLE_CONSTRAINTS`.
//! - MySQL's `STATISTICS` lists functional key parts (`EXPRESSION`);
//!   MariaDB has none.
//! - Sequences are MariaDB's only.
//! - A foreign key's `NO ACTION` reads as `RESTRICT`, the same action on
//!   both, which either server may report for the same clause.
//!
//! Unique constraints and unique indexes are the same thing to both
//! servers (`TABLE_CONSTRAINTS` lists every unique index as a `UNIQUE`
//! constraint): a unique key of whole columns, ascending, with the engine's
//! default method, is in [`Table::uniques`]; one with a prefix length, a
//! descending or functional part, or another method is a unique
//! [`Index`]. An index the server made for a foreign key is an index like
//! any other: the dump states it, so reloading it makes neither another
//! nor fewer.

use std::collections::BTreeMap;

use sqlx::mysql::{MySqlConnection, MySqlRow};
use sqlx::{AssertSqlSafe, Row};

use super::model::{
    Check, Column, Deferrable, Event, ForeignKey, Generated, Identity, Index, Key, QualifiedName,
    ReferentialAction, Routine, RoutineKind, Schema, Sequence, Table, Trigger, View,
};
use super::{GeneratedScript, Step};
use crate::model::BackendKind;

/// What a system-versioned table's period columns hold instead of an
/// expression (MariaDB).
const ROW_START: &str = "ROW START";
const ROW_END: &str = "ROW END";

/// Reads the schema of the connection's current database.
pub(crate) async fn inspect(conn: &mut MySqlConnection) -> Result<Schema, sqlx::Error> {
    let server = Server::read(conn).await?;
    let mut schema = Schema::empty(BackendKind::MySql);
    let (tables, sequences) = tables(conn).await?;
    let mut checks = checks(conn, &server).await?;
    let mut columns = columns(conn, &server, &tables, &mut checks).await?;
    let mut keys = keys(conn, &server, &tables).await?;
    let mut foreign_keys = foreign_keys(conn, &server).await?;
    for (name, options) in tables {
        let (primary_key, uniques, indexes) = keys.remove(&name).unwrap_or_default();
        let mut checks = checks.remove(&name).unwrap_or_default();
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        schema.tables.push(Table {
            name: QualifiedName::new(None, &name),
            columns: columns.remove(&name).unwrap_or_default(),
            primary_key,
            uniques,
            checks,
            foreign_keys: foreign_keys.remove(&name).unwrap_or_default(),
            indexes,
            options: options.options,
            comment: options.comment,
        });
    }
    for name in sequences {
        schema.sequences.push(sequence(conn, &name).await?);
    }
    schema.views = views(conn, &server).await?;
    schema.routines = routines(conn).await?;
    schema.triggers = triggers(conn).await?;
    schema.events = events(conn).await?;
    Ok(schema)
}

/// The database read, and which of the two servers holds it.
struct Server {
    database: String,
    mariadb: bool,
}

impl Server {
    async fn read(conn: &mut MySqlConnection) -> Result<Server, sqlx::Error> {
        let row = fetch_one(conn, "SELECT DATABASE(), VERSION()").await?;
        let database = optional_text(&row, 0)?.ok_or_else(|| {
            sqlx::Error::Configuration("the connection has no current database".into())
        })?;
        Ok(Server {
            database,
            mariadb: text(&row, 1)?.contains("MariaDB"),
        })
    }

    /// Removes the current database's qualifier (`` `db`. ``), which the
    /// server adds to every name in a view's query and to a sequence in a
    /// default: the dump must create its objects wherever it is loaded.
    fn unqualified(&self, text: &str) -> String {
        text.replace(&format!("{}.", quoted(&self.database)), "")
    }
}

/// A table's options and comment, read with its name.
struct TableOptions {
    options: Vec<(String, String)>,
    comment: Option<String>,
    /// Its collation, which its columns' own is compared with.
    collation: Option<String>,
    /// The engine's default index method.
    default_method: &'static str,
}

/// The base tables by name, and the names of MariaDB's sequences.
async fn tables(
    conn: &mut MySqlConnection,
) -> Result<(BTreeMap<String, TableOptions>, Vec<String>), sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'SEQUENCE')",
    )
    .await?;
    let mut tables = BTreeMap::new();
    let mut sequences = Vec::new();
    for row in &rows {
        let name = text(row, 0)?;
        let kind = text(row, 1)?;
        if kind == "SEQUENCE" {
            sequences.push(name);
            continue;
        }
        let engine = optional_text(row, 2)?;
        let collation = optional_text(row, 3)?;
        let mut options = Vec::new();
        if let Some(engine) = &engine {
            options.push(("engine".to_owned(), engine.clone()));
        }
        if let Some(collation) = &collation {
            // Every collation's name starts with its character set's.
            let charset = collation.split('_').next().unwrap_or(collation);
            options.push(("charset".to_owned(), charset.to_owned()));
            options.push(("collation".to_owned(), collation.clone()));
        }
        // `row_format=DYNAMIC stats_persistent=0 partitioned`: the options
        // given when the table was made; a word without a value (a
        // partitioned table) is not one a dump can state again.
        for option in optional_text(row, 4)?
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Some((key, value)) = option.split_once('=') {
                options.push((key.to_lowercase(), value.to_owned()));
            }
        }
        if kind == "SYSTEM VERSIONED" {
            options.push(("system_versioning".to_owned(), "on".to_owned()));
        }
        options.sort();
        let default_method = match engine.as_deref().map(str::to_uppercase).as_deref() {
            Some("MEMORY" | "HEAP") => "HASH",
            _ => "BTREE",
        };
        tables.insert(
            name,
            TableOptions {
                options,
                comment: optional_text(row, 5)?.filter(|c| !c.is_empty()),
                collation,
                default_method,
            },
        );
    }
    sequences.sort();
    Ok((tables, sequences))
}

/// The `CHECK` constraints of each table.
async fn checks(
    conn: &mut MySqlConnection,
    server: &Server,
) -> Result<BTreeMap<String, Vec<Check>>, sqlx::Error> {
    let sql = if server.mariadb {
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = DATABASE()"
    } else {
        "SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE \
         FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.CHECK_CONSTRAINTS c \
         ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
         WHERE t.CONSTRAINT_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK'"
    };
    let mut checks: BTreeMap<String, Vec<Check>> = BTreeMap::new();
    for row in fetch_all(conn, sql).await? {
        checks.entry(text(&row, 0)?).or_default().push(Check {
            name: Some(text(&row, 1)?),
            expression: text(&row, 2)?,
        });
    }
    Ok(checks)
}

/// Each table's columns in order. A MariaDB `JSON` column's validity check
/// is taken out of `checks`: it comes with the type.
async fn columns(
    conn: &mut MySqlConnection,
    server: &Server,
    tables: &BTreeMap<String, TableOptions>,
    checks: &mut BTreeMap<String, Vec<Check>>,
) -> Result<BTreeMap<String, Vec<Column>>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, \
         GENERATION_EXPRESSION, COLLATION_NAME, COLUMN_COMMENT, DATA_TYPE \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .await?;
    let mut columns: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for row in &rows {
        let table = text(row, 0)?;
        let Some(options) = tables.get(&table) else {
            continue; // a view's or a sequence's
        };
        let name = text(row, 1)?;
        let mut data_type = lowercase_outside_quotes(&text(row, 2)?);
        let extra = optional_text(row, 5)?.unwrap_or_default();
        // ASCII only, so that an offset in one is one in the other.
        let extra_lower = extra.to_ascii_lowercase();
        let stored = extra_lower.contains("stored generated");
        let generated = if stored || extra_lower.contains("virtual generated") {
            optional_text(row, 6)?.map(|expression| Generated { expression, stored })
        } else {
            None
        };
        let mut collation = optional_text(row, 7)?;
        if server.mariadb
            && optional_text(row, 9)?.as_deref() == Some("longtext")
            && collation.as_deref() == Some("utf8mb4_bin")
        {
            let validity = format!("json_valid({})", quoted(&name));
            if let Some(table_checks) = checks.get_mut(&table) {
                let before = table_checks.len();
                table_checks.retain(|check| {
                    check.name.as_deref() != Some(name.as_str()) || check.expression != validity
                });
                if table_checks.len() < before {
                    data_type = "json".to_owned();
                    collation = None;
                }
            }
        }
        let default = match generated {
            Some(_) => None,
            None => default_expression(server, optional_text(row, 4)?, &extra_lower, &data_type)
                .map(|default| server.unqualified(&default)),
        };
        let on_update = extra_lower.find("on update ").and_then(|at| {
            extra[at + "on update ".len()..]
                .split_whitespace()
                .next()
                .map(str::to_owned)
        });
        columns.entry(table).or_default().push(Column {
            name,
            data_type,
            nullable: text(row, 3)? == "YES",
            default,
            on_update,
            identity: extra_lower
                .contains("auto_increment")
                .then_some(Identity::AutoIncrement),
            generated,
            collation: collation.filter(|c| Some(c) != options.collation.as_ref()),
            comment: optional_text(row, 8)?.filter(|c| !c.is_empty()),
        });
    }
    Ok(columns)
}

/// The expression after `DEFAULT`, from `COLUMN_DEFAULT` as the server
/// prints it; `None` for no default and for `DEFAULT NULL`.
fn default_expression(
    server: &Server,
    raw: Option<String>,
    extra: &str,
    data_type: &str,
) -> Option<String> {
    let raw = raw?;
    if server.mariadb {
        return (raw != "NULL").then_some(raw);
    }
    if extra.contains("default_generated") {
        // MySQL wants an expression other than CURRENT_TIMESTAMP in
        // parentheses.
        return Some(if raw.to_lowercase().starts_with("current_timestamp") {
            raw
        } else {
            format!("({raw})")
        });
    }
    let numeric = [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "bigint",
        "decimal",
        "float",
        "double",
        "year",
        "bit",
    ]
    .iter()
    .any(|prefix| data_type.starts_with(prefix));
    Some(if numeric { raw } else { literal(&raw) })
}

type Keys = (Option<Key>, Vec<Key>, Vec<Index>);

/// One key part, in `STATISTICS`' terms.
struct Part {
    position: i64,
    column: Option<String>,
    expression: Option<String>,
    descending: bool,
    prefix: Option<i64>,
}

/// Each table's primary key, unique constraints and other indexes, from
/// `STATISTICS`.
async fn keys(
    conn: &mut MySqlConnection,
    server: &Server,
    tables: &BTreeMap<String, TableOptions>,
) -> Result<BTreeMap<String, Keys>, sqlx::Error> {
    let expression = if server.mariadb { "NULL" } else { "EXPRESSION" };
    let rows = fetch_all(
        conn,
        &format!(
            "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), CAST(SEQ_IN_INDEX AS SIGNED), \
             COLUMN_NAME, {expression}, COLLATION, CAST(SUB_PART AS SIGNED), INDEX_TYPE \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
        ),
    )
    .await?;
    // (table, index) -> (unique, method, parts)
    let mut found: BTreeMap<(String, String), (bool, String, Vec<Part>)> = BTreeMap::new();
    for row in &rows {
        let entry = found.entry((text(row, 0)?, text(row, 1)?)).or_default();
        entry.0 = integer(row, 2)? == 0;
        entry.1 = text(row, 8)?.to_uppercase();
        entry.2.push(Part {
            position: integer(row, 3)?,
            column: optional_text(row, 4)?,
            expression: optional_text(row, 5)?,
            descending: optional_text(row, 6)?.as_deref() == Some("D"),
            prefix: optional_integer(row, 7)?,
        });
    }
    let mut keys: BTreeMap<String, Keys> = BTreeMap::new();
    for ((table, name), (unique, method, mut parts)) in found {
        let Some(options) = tables.get(&table) else {
            continue;
        };
        parts.sort_by_key(|part| part.position);
        let method = (method != options.default_method).then_some(method);
        // MariaDB reports a length for each part of a spatial index, which
        // takes none.
        let spatial = method.as_deref() == Some("SPATIAL");
        let plain = method.is_none()
            && parts
                .iter()
                .all(|part| part.column.is_some() && !part.descending && part.prefix.is_none());
        let columns = || -> Vec<String> {
            parts
                .iter()
                .map(|part| part.column.clone().unwrap_or_default())
                .collect()
        };
        let entry = keys.entry(table).or_default();
        if name == "PRIMARY" {
            entry.0 = Some(Key {
                name: None,
                columns: columns(),
            });
        } else if unique && plain {
            entry.1.push(Key {
                name: Some(name),
                columns: columns(),
            });
        } else {
            let parts = parts
                .iter()
                .map(|part| {
                    let mut text = match (&part.expression, &part.column) {
                        (Some(expression), _) => format!("({expression})"),
                        (None, Some(column)) => ident(column),
                        (None, None) => String::new(),
                    };
                    if let (Some(prefix), false) = (part.prefix, spatial) {
                        text.push_str(&format!("({prefix})"));
                    }
                    if part.descending {
                        text.push_str(" DESC");
                    }
                    text
                })
                .collect();
            entry.2.push(Index {
                name,
                unique,
                parts,
                include: Vec::new(),
                method,
                predicate: None,
            });
        }
    }
    Ok(keys)
}

/// Each table's foreign keys.
async fn foreign_keys(
    conn: &mut MySqlConnection,
    server: &Server,
) -> Result<BTreeMap<String, Vec<ForeignKey>>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, \
         k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME \
         AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .await?;
    let mut found: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in &rows {
        let (table, name) = (text(row, 0)?, text(row, 1)?);
        let schema = text(row, 3)?;
        let foreign_key = match found.entry((table, name.clone())) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => entry.insert(ForeignKey {
                name: Some(name),
                columns: Vec::new(),
                references: QualifiedName::new(
                    (schema != server.database).then_some(schema.as_str()),
                    &text(row, 4)?,
                ),
                referenced_columns: Vec::new(),
                on_update: action(&text(row, 6)?)?,
                on_delete: action(&text(row, 7)?)?,
                deferrable: Deferrable::NotDeferrable,
            }),
        };
        foreign_key.columns.push(text(row, 2)?);
        foreign_key.referenced_columns.push(text(row, 5)?);
    }
    // By table, then by name: as the model lists them.
    let mut foreign_keys: BTreeMap<String, Vec<ForeignKey>> = BTreeMap::new();
    for ((table, _), foreign_key) in found {
        foreign_keys.entry(table).or_default().push(foreign_key);
    }
    Ok(foreign_keys)
}

/// `NO ACTION` reads as `RESTRICT`: the two are one action to InnoDB (it
/// checks at once either way), and the server reports either for the same
/// clause depending on how the key was made (MariaDB records an explicit
/// `RESTRICT` as `NO ACTION` when `foreign_key_checks` is off, as
/// vaultwarden runs its migrations).
fn action(rule: &str) -> Result<ReferentialAction, sqlx::Error> {
    Ok(match rule {
        "NO ACTION" | "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        other => {
            return Err(sqlx::Error::Protocol(format!(
                "unknown referential action {other:?}"
            )))
        }
    })
}

/// A MariaDB sequence, read from the sequence itself (its values are
/// nowhere in `information_schema` before MariaDB 11.5). It counts in
/// `bigint`, the only type before 11.5.
async fn sequence(conn: &mut MySqlConnection, name: &str) -> Result<Sequence, sqlx::Error> {
    let row = fetch_one(
        conn,
        &format!(
            "SELECT CAST(start_value AS SIGNED), CAST(increment AS SIGNED), \
             CAST(minimum_value AS SIGNED), CAST(maximum_value AS SIGNED), \
             CAST(cache_size AS SIGNED), CAST(cycle_option AS SIGNED) FROM {}",
            quoted(name)
        ),
    )
    .await?;
    Ok(Sequence {
        name: QualifiedName::new(None, name),
        data_type: "bigint".to_owned(),
        start: integer(&row, 0)?,
        increment: integer(&row, 1)?,
        min_value: integer(&row, 2)?,
        max_value: integer(&row, 3)?,
        cache: integer(&row, 4)?,
        cycle: integer(&row, 5)? != 0,
        owned_by: None,
    })
}

/// The views, their queries without the database's qualifier; a `WITH
/// CHECK OPTION` is kept at the query's end, where `CREATE VIEW` takes it.
async fn views(conn: &mut MySqlConnection, server: &Server) -> Result<Vec<View>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION FROM information_schema.VIEWS \
         WHERE TABLE_SCHEMA = DATABASE()",
    )
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut definition = server.unqualified(&text(row, 1)?);
        if let Some(option @ ("CASCADED" | "LOCAL")) = optional_text(row, 2)?.as_deref() {
            definition.push_str(&format!(" WITH {option} CHECK OPTION"));
        }
        views.push(View {
            name: QualifiedName::new(None, &text(row, 0)?),
            definition,
            materialized: false,
            indexes: Vec::new(),
        });
    }
    views.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(views)
}

/// Functions and procedures, as `SHOW CREATE` prints them without their
/// `DEFINER`.
async fn routines(conn: &mut MySqlConnection) -> Result<Vec<Routine>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')",
    )
    .await?;
    let mut routines = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = text(row, 0)?;
        let (kind, keyword) = match text(row, 1)?.as_str() {
            "FUNCTION" => (RoutineKind::Function, "FUNCTION"),
            _ => (RoutineKind::Procedure, "PROCEDURE"),
        };
        // `Create Function` / `Create Procedure`, after the name and sql_mode.
        let definition = show_create(conn, keyword, &name, 2).await?;
        routines.push(Routine {
            name: QualifiedName::new(None, &name),
            kind,
            arguments: String::new(),
            definition,
        });
    }
    routines.sort_by(|a, b| (&a.name, a.kind as u8).cmp(&(&b.name, b.kind as u8)));
    Ok(routines)
}

/// Triggers, their `CREATE TRIGGER` put together from `TRIGGERS` (the body
/// as written, the rest in one spelling), so no `DEFINER` to remove.
async fn triggers(conn: &mut MySqlConnection) -> Result<Vec<Trigger>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, \
         ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    )
    .await?;
    let mut triggers = Vec::with_capacity(rows.len());
    for row in &rows {
        let (name, table) = (text(row, 0)?, text(row, 1)?);
        let definition = format!(
            "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW {}",
            ident(&name),
            text(row, 2)?,
            text(row, 3)?,
            ident(&table),
            text(row, 4)?
        );
        triggers.push(Trigger {
            name: QualifiedName::new(None, &name),
            table: QualifiedName::new(None, &table),
            definition,
        });
    }
    triggers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(triggers)
}

/// Scheduled events, as `SHOW CREATE EVENT` prints them without their
/// `DEFINER`.
async fn events(conn: &mut MySqlConnection) -> Result<Vec<Event>, sqlx::Error> {
    let rows = fetch_all(
        conn,
        "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
    )
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = text(row, 0)?;
        // `Create Event`, after the name, sql_mode and time_zone.
        let definition = show_create(conn, "EVENT", &name, 3).await?;
        events.push(Event { name, definition });
    }
    events.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(events)
}

/// `SHOW CREATE <kind> name`'s statement, in column `column`, less its
/// `DEFINER`.
async fn show_create(
    conn: &mut MySqlConnection,
    kind: &str,
    name: &str,
    column: usize,
) -> Result<String, sqlx::Error> {
    let row = fetch_one(conn, &format!("SHOW CREATE {kind} {}", quoted(name))).await?;
    // NULL when the user may not read it: nothing a dump could recreate.
    let create = optional_text(&row, column)?.ok_or_else(|| {
        sqlx::Error::Protocol(format!(
            "SHOW CREATE {kind} {name} returned no definition (missing privilege?)"
        ))
    })?;
    Ok(without_definer(&create))
}

/// `CREATE DEFINER=`user`@`host` FUNCTION ...` as `CREATE FUNCTION ...`:
/// who made an object is not part of the schema.
fn without_definer(create: &str) -> String {
    const PREFIX: &str = "CREATE DEFINER=";
    let starts = create
        .get(..PREFIX.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(PREFIX));
    if !starts {
        return create.to_owned();
    }
    let rest = skip_account_part(&create[PREFIX.len()..]);
    let rest = rest.strip_prefix('@').map_or(rest, skip_account_part);
    format!("CREATE {}", rest.trim_start())
}

/// `rest` after a user or host name: quoted (a doubled quote inside), or
/// bare up to `@` or a space.
fn skip_account_part(rest: &str) -> &str {
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, quote @ ('`' | '\'' | '"'))) => {
            let mut closing = None;
            while let Some((at, c)) = chars.next() {
                if c == quote {
                    if rest[at + 1..].starts_with(quote) {
                        chars.next();
                        continue;
                    }
                    closing = Some(at + 1);
                    break;
                }
            }
            &rest[closing.unwrap_or(rest.len())..]
        }
        _ => {
            let end = rest
                .find(|c: char| c == '@' || c.is_whitespace())
                .unwrap_or(rest.len());
            &rest[end..]
        }
    }
}

/// The schema as SQL for an empty database: sequences (a default may call
/// one), tables with their keys, checks and foreign keys inline (foreign
/// key checks are off while they are made, so a table may name one made
/// after it, and each table reads whole in one statement), functions and
/// procedures (a view may call one), views after the views they read,
/// triggers, events.
pub(crate) fn render(schema: &Schema) -> String {
    let mut statements = Vec::new();
    let foreign_keys = schema.tables.iter().any(|t| !t.foreign_keys.is_empty());
    if foreign_keys {
        statements.push("SET FOREIGN_KEY_CHECKS = 0".to_owned());
    }
    statements.extend(
        schema
            .sequences
            .iter()
            .map(|s| render_sequence("CREATE", s)),
    );
    statements.extend(schema.tables.iter().map(render_table));
    statements.extend(schema.routines.iter().map(|r| r.definition.clone()));
    statements.extend(
        in_dependency_order(&schema.views)
            .into_iter()
            .map(create_view),
    );
    statements.extend(schema.triggers.iter().map(|t| t.definition.clone()));
    statements.extend(schema.events.iter().map(|e| e.definition.clone()));
    if foreign_keys {
        statements.push("SET FOREIGN_KEY_CHECKS = 1".to_owned());
    }
    statements
        .into_iter()
        .map(|statement| format!("{statement};\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `CREATE SEQUENCE` or `ALTER SEQUENCE` (`verb`) with every option stated.
fn render_sequence(verb: &str, sequence: &Sequence) -> String {
    format!(
        "{verb} SEQUENCE {} START WITH {} MINVALUE {} MAXVALUE {} INCREMENT BY {} CACHE {} {}",
        ident(&sequence.name.name),
        sequence.start,
        sequence.min_value,
        sequence.max_value,
        sequence.increment,
        sequence.cache,
        if sequence.cycle { "CYCLE" } else { "NOCYCLE" }
    )
}

fn render_table(table: &Table) -> String {
    let mut lines: Vec<String> = table.columns.iter().map(render_column).collect();
    let period = |expression: &str| {
        table.columns.iter().find(|c| {
            c.generated
                .as_ref()
                .is_some_and(|g| g.expression == expression)
        })
    };
    if let (Some(start), Some(end)) = (period(ROW_START), period(ROW_END)) {
        lines.push(format!(
            "PERIOD FOR SYSTEM_TIME ({}, {})",
            ident(&start.name),
            ident(&end.name)
        ));
    }
    lines.extend(table.primary_key.iter().map(primary_key_clause));
    lines.extend(table.uniques.iter().map(unique_clause));
    lines.extend(table.indexes.iter().map(index_clause));
    lines.extend(table.checks.iter().map(check_clause));
    lines.extend(table.foreign_keys.iter().map(foreign_key_clause));
    // In the order SHOW CREATE TABLE has them, then the others by name.
    let mut options = String::new();
    for name in ["engine", "charset", "collation"] {
        if let Some(value) = option(table, name) {
            options.push_str(&format!(" {}", option_clause(name, value)));
        }
    }
    for (name, value) in &table.options {
        if !matches!(
            name.as_str(),
            "engine" | "charset" | "collation" | "system_versioning"
        ) {
            options.push_str(&format!(" {}", option_clause(name, value)));
        }
    }
    if let Some(comment) = &table.comment {
        options.push_str(&format!(" COMMENT={}", literal(comment)));
    }
    if option(table, "system_versioning").is_some() {
        options.push_str(" WITH SYSTEM VERSIONING");
    }
    format!(
        "CREATE TABLE {} (\n  {}\n){options}",
        ident(&table.name.name),
        lines.join(",\n  ")
    )
}

/// A table option's value, by its name in [`Table::options`].
fn option<'t>(table: &'t Table, name: &str) -> Option<&'t str> {
    table
        .options
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// `ENGINE=InnoDB`: a table option as `CREATE` and `ALTER TABLE` take it.
fn option_clause(name: &str, value: &str) -> String {
    let clause = match name {
        "engine" => "ENGINE".to_owned(),
        "charset" => "DEFAULT CHARSET".to_owned(),
        "collation" => "COLLATE".to_owned(),
        other => other.to_uppercase(),
    };
    format!("{clause}={value}")
}

fn primary_key_clause(key: &Key) -> String {
    format!("PRIMARY KEY ({})", idents(&key.columns))
}

fn unique_clause(key: &Key) -> String {
    format!("{}UNIQUE ({})", constraint(&key.name), idents(&key.columns))
}

fn index_clause(index: &Index) -> String {
    let kind = match index.method.as_deref() {
        Some("FULLTEXT") => "FULLTEXT KEY",
        Some("SPATIAL") => "SPATIAL KEY",
        _ if index.unique => "UNIQUE KEY",
        _ => "KEY",
    };
    let using = match index.method.as_deref() {
        Some(method @ ("HASH" | "BTREE" | "RTREE")) => format!(" USING {method}"),
        _ => String::new(),
    };
    format!(
        "{kind} {} ({}){using}",
        ident(&index.name),
        index.parts.join(", ")
    )
}

fn check_clause(check: &Check) -> String {
    format!("{}CHECK ({})", constraint(&check.name), check.expression)
}

fn foreign_key_clause(fk: &ForeignKey) -> String {
    let references = match &fk.references.schema {
        Some(schema) => format!("{}.{}", ident(schema), ident(&fk.references.name)),
        None => ident(&fk.references.name),
    };
    format!(
        "{}FOREIGN KEY ({}) REFERENCES {references} ({}) ON UPDATE {} ON DELETE {}",
        constraint(&fk.name),
        idents(&fk.columns),
        idents(&fk.referenced_columns),
        fk.on_update.sql(),
        fk.on_delete.sql()
    )
}

fn create_view(view: &View) -> String {
    format!(
        "CREATE VIEW {} AS {}",
        ident(&view.name.name),
        view.definition
    )
}

fn render_column(column: &Column) -> String {
    let mut line = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(collation) = &column.collation {
        line.push_str(&format!(" COLLATE {collation}"));
    }
    let period = column
        .generated
        .as_ref()
        .is_some_and(|g| g.expression == ROW_START || g.expression == ROW_END);
    match &column.generated {
        Some(generated) if period => {
            line.push_str(&format!(" GENERATED ALWAYS AS {}", generated.expression));
        }
        Some(generated) => line.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {}",
            generated.expression,
            if generated.stored {
                "STORED"
            } else {
                "VIRTUAL"
            }
        )),
        None => {}
    }
    if !column.nullable && !period {
        line.push_str(" NOT NULL");
    } else if column.nullable && column.data_type.starts_with("timestamp") {
        // Where explicit_defaults_for_timestamp is off, a timestamp
        // column is NOT NULL unless it says NULL.
        line.push_str(" NULL");
    }
    if let Some(default) = &column.default {
        line.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(on_update) = &column.on_update {
        line.push_str(&format!(" ON UPDATE {on_update}"));
    }
    if column.identity.is_some() {
        line.push_str(" AUTO_INCREMENT");
    }
    if let Some(comment) = &column.comment {
        line.push_str(&format!(" COMMENT {}", literal(comment)));
    }
    line
}

fn constraint(name: &Option<String>) -> String {
    name.as_deref()
        .map(|name| format!("CONSTRAINT {} ", ident(name)))
        .unwrap_or_default()
}

/// The views ordered so that each comes after those its query names (the
/// server quotes every name in it); otherwise by name.
fn in_dependency_order(views: &[View]) -> Vec<&View> {
    // Views cannot read each other in a circle; should a name merely
    // appear in a string, the order by name is kept.
    dependency_order(views.iter().collect(), |view, other| {
        view.definition.contains(&quoted(&other.name.name))
    })
}

/// `items` ordered so that each comes after those it needs (`needs(a, b)`:
/// `a` needs `b` made first), otherwise in their order; a circle is broken
/// at its first item.
fn dependency_order<T>(mut left: Vec<T>, needs: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = (0..left.len())
            .find(|&i| !(0..left.len()).any(|j| i != j && needs(&left[i], &left[j])));
        ordered.push(left.remove(ready.unwrap_or(0)));
    }
    ordered
}

/// The SQL of a generated migration's steps (see [`super::render_steps`]):
/// one script, run outside a transaction as every MySQL script is (each
/// DDL statement commits as it runs).
///
/// A script that fails half way stays half applied, so its statements go
/// in the order of [`Slot`]: each table's changes are one `ALTER TABLE`,
/// which the server applies whole or not at all (and copies the table once
/// rather than once per change), and the tables that go are dropped last,
/// once everything else has succeeded: a failure leaves every table either
/// as it was or as wanted, and the rest of the script can be run by hand.
pub(crate) fn render_steps(steps: &[Step], old: &Schema, new: &Schema) -> Vec<GeneratedScript> {
    let steps = with_foreign_keys_released(steps, old, new);
    let mut script = Script::default();
    let (mut dropped, mut added) = (Vec::new(), Vec::new());
    let mut views = Vec::new();
    for step in &steps {
        match step {
            Step::DropForeignKey { table, foreign_key } => dropped.push((table, foreign_key)),
            Step::AddForeignKey { table, foreign_key } => added.push((table, foreign_key)),
            Step::CreateView { view } => views.push(view.clone()),
            step => script.add(step, &steps, new),
        }
    }
    // The planner keeps the new schema's order, by name; MySQL checks
    // that what a view reads exists.
    for view in in_dependency_order(&views) {
        script.push(Slot::Views, create_view(view));
    }
    script.place(&dropped, &added);
    let sql = script.sql();
    if sql.is_empty() {
        return Vec::new();
    }
    vec![GeneratedScript {
        sql,
        transactional: false,
    }]
}

/// Where a statement goes in a generated script, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// Triggers, events, views and routines that change or go.
    DropCode,
    /// Foreign keys that change or go, and those that would hold what
    /// other statements change (see [`with_foreign_keys_released`]).
    DropForeignKeys,
    Sequences,
    RenameTables,
    RenameColumns,
    CreateTables,
    /// One `ALTER TABLE` per table, with the foreign keys it adds whose
    /// parent is ready by then.
    AlterTables,
    /// The other foreign keys, once every table is as wanted.
    AddForeignKeys,
    Routines,
    Views,
    TriggersAndEvents,
    DropTables,
    DropSequences,
}

/// One statement of a generated script.
enum Piece {
    Sql(String),
    /// `ALTER TABLE` with its clauses, in the steps' order.
    Alter(QualifiedName, Vec<String>),
    /// `CREATE TABLE` with the indexes and foreign keys it states itself.
    Create(Table),
}

#[derive(Default)]
struct Script {
    slots: BTreeMap<Slot, Vec<Piece>>,
    /// Steps MySQL has no object for, said in a comment.
    notes: Vec<String>,
}

impl Script {
    fn push(&mut self, slot: Slot, sql: String) {
        self.slots.entry(slot).or_default().push(Piece::Sql(sql));
    }

    /// Adds `clause` to the `ALTER TABLE` of `table` in `slot`.
    fn alter(&mut self, slot: Slot, table: &QualifiedName, clause: String) {
        let pieces = self.slots.entry(slot).or_default();
        let found = pieces.iter_mut().find_map(|piece| match piece {
            Piece::Alter(name, clauses) if name == table => Some(clauses),
            _ => None,
        });
        match found {
            Some(clauses) => clauses.push(clause),
            None => pieces.push(Piece::Alter(table.clone(), vec![clause])),
        }
    }

    /// The table created by this script, if `table` is.
    fn created(&mut self, table: &QualifiedName) -> Option<&mut Table> {
        self.slots
            .get_mut(&Slot::CreateTables)?
            .iter_mut()
            .find_map(|piece| match piece {
                Piece::Create(created) if &created.name == table => Some(created),
                _ => None,
            })
    }

    /// The statements of one step (all but foreign keys and views created,
    /// which [`render_steps`] places).
    fn add(&mut self, step: &Step, steps: &[Step], new: &Schema) {
        let named = |name: &Option<String>| ident(name.as_deref().unwrap_or_default());
        match step {
            Step::DropTrigger { trigger } => {
                self.push(
                    Slot::DropCode,
                    format!("DROP TRIGGER {}", ident(&trigger.name.name)),
                );
            }
            Step::DropEvent { event } => {
                self.push(Slot::DropCode, format!("DROP EVENT {}", ident(&event.name)));
            }
            Step::DropView { view } => {
                self.push(
                    Slot::DropCode,
                    format!("DROP VIEW {}", ident(&view.name.name)),
                );
            }
            Step::DropRoutine { routine } => self.push(Slot::DropCode, drop_routine(routine)),
            Step::CreateSequence { sequence } => {
                self.push(Slot::Sequences, render_sequence("CREATE", sequence));
            }
            Step::AlterSequence { new, .. } => {
                self.push(Slot::Sequences, render_sequence("ALTER", new))
            }
            Step::DropSequence { sequence } => self.push(
                Slot::DropSequences,
                format!("DROP SEQUENCE {}", ident(&sequence.name.name)),
            ),
            Step::RenameTable { from, to } => self.push(
                Slot::RenameTables,
                format!("RENAME TABLE {} TO {}", ident(&from.name), ident(to)),
            ),
            Step::RenameColumn { table, from, to } => self.alter(
                Slot::RenameColumns,
                table,
                format!("RENAME COLUMN {} TO {}", ident(from), ident(to)),
            ),
            Step::CreateTable { table } => {
                let bare = Table {
                    indexes: Vec::new(),
                    foreign_keys: Vec::new(),
                    ..table.clone()
                };
                self.slots
                    .entry(Slot::CreateTables)
                    .or_default()
                    .push(Piece::Create(bare));
            }
            Step::DropTable { table } => {
                self.push(
                    Slot::DropTables,
                    format!("DROP TABLE {}", ident(&table.name.name)),
                );
            }
            Step::AlterTable { old, new } => {
                for clause in option_changes(old, new) {
                    self.alter(Slot::AlterTables, &new.name, clause);
                }
                for column in following_collation(old, new, steps) {
                    self.alter(
                        Slot::AlterTables,
                        &new.name,
                        format!("MODIFY COLUMN {}", render_column(column)),
                    );
                }
            }
            Step::AddColumn { table, column } => {
                let position = new
                    .table(table)
                    .map(|t| position(t, &column.name))
                    .unwrap_or_default();
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("ADD COLUMN {}{position}", render_column(column)),
                );
            }
            Step::DropColumn { table, column } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("DROP COLUMN {}", ident(&column.name)),
                );
            }
            Step::AlterColumn { table, new, .. } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("MODIFY COLUMN {}", render_column(new)),
                );
            }
            Step::AddPrimaryKey { table, key } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("ADD {}", primary_key_clause(key)),
                );
            }
            Step::DropPrimaryKey { table, .. } => {
                self.alter(Slot::AlterTables, table, "DROP PRIMARY KEY".to_owned());
            }
            Step::AddUnique { table, key } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("ADD {}", unique_clause(key)),
                );
            }
            // A unique constraint is a unique index to MySQL, and MariaDB's
            // DROP CONSTRAINT drops only checks.
            Step::DropUnique { table, key } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("DROP INDEX {}", named(&key.name)),
                );
            }
            Step::AddCheck { table, check } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("ADD {}", check_clause(check)),
                );
            }
            Step::DropCheck { table, check } => self.alter(
                Slot::AlterTables,
                table,
                format!("DROP CONSTRAINT {}", named(&check.name)),
            ),
            Step::CreateIndex { table, index, .. } => match self.created(table) {
                Some(created) => created.indexes.push(index.clone()),
                None => self.alter(
                    Slot::AlterTables,
                    table,
                    format!("ADD {}", index_clause(index)),
                ),
            },
            Step::DropIndex { table, index } => {
                self.alter(
                    Slot::AlterTables,
                    table,
                    format!("DROP INDEX {}", ident(&index.name)),
                );
            }
            Step::CreateRoutine { routine } => {
                self.push(Slot::Routines, routine.definition.clone())
            }
            // MySQL has no CREATE OR REPLACE for routines.
            Step::ReplaceRoutine { old, new } => {
                self.push(Slot::Routines, drop_routine(old));
                self.push(Slot::Routines, new.definition.clone());
            }
            Step::CreateTrigger { trigger } => {
                self.push(Slot::TriggersAndEvents, trigger.definition.clone());
            }
            Step::CreateEvent { event } => {
                self.push(Slot::TriggersAndEvents, event.definition.clone())
            }
            Step::CreateNamespace { .. }
            | Step::DropNamespace { .. }
            | Step::CreateExtension { .. }
            | Step::DropExtension { .. }
            | Step::CreateEnum { .. }
            | Step::AddEnumValues { .. }
            | Step::DropEnum { .. }
            | Step::CreateCompositeType { .. }
            | Step::AlterCompositeType { .. }
            | Step::DropCompositeType { .. } => {
                // PostgreSQL's objects: a MySQL schema has none, but a step
                // is never dropped without a word.
                self.notes
                    .push(format!("-- not on MySQL, left out: {step:?}"));
            }
            Step::DropForeignKey { .. } | Step::AddForeignKey { .. } | Step::CreateView { .. } => {}
        }
    }

    /// Places the foreign keys dropped and added, once every other
    /// statement is known. Tables are created, and altered, in the order
    /// their foreign keys need. A foreign key added goes in its table's
    /// `CREATE` or `ALTER TABLE` when its parent is made or altered before,
    /// else in a statement of its own once every table is as wanted. One
    /// dropped goes in its table's `ALTER TABLE` (which then keeps it,
    /// should the statement fail) unless another statement needs it gone
    /// first: its parent's, one that adds a foreign key of the same name
    /// (names are the database's; MariaDB will not drop and add one in a
    /// statement), or the table has no `ALTER` (it goes, or is released).
    fn place(
        &mut self,
        dropped: &[(&QualifiedName, &ForeignKey)],
        added: &[(&QualifiedName, &ForeignKey)],
    ) {
        let needs = |table: &QualifiedName, parent: &QualifiedName| {
            added
                .iter()
                .any(|(child, fk)| *child == table && &fk.references == parent)
        };
        for slot in [Slot::CreateTables, Slot::AlterTables] {
            if let Some(pieces) = self.slots.remove(&slot) {
                let ordered = dependency_order(pieces, |a, b| match (a.table(), b.table()) {
                    (Some(a), Some(b)) => needs(a, b),
                    _ => false,
                });
                self.slots.insert(slot, ordered);
            }
        }
        let position = |slots: &BTreeMap<Slot, Vec<Piece>>, slot: Slot, table: &QualifiedName| {
            slots
                .get(&slot)
                .and_then(|pieces| pieces.iter().position(|piece| piece.table() == Some(table)))
        };
        let mut merged_drops: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for &(table, fk) in dropped {
            let clause = format!(
                "DROP FOREIGN KEY {}",
                ident(fk.name.as_deref().unwrap_or_default())
            );
            let altered = |t| position(&self.slots, Slot::AlterTables, t);
            let readded = added.iter().any(|(_, other)| other.name == fk.name);
            let parent_first = &fk.references != table && altered(&fk.references).is_some();
            match altered(table) {
                Some(at) if !readded && !parent_first => {
                    merged_drops.entry(at).or_default().push(clause)
                }
                _ => self.alter(Slot::DropForeignKeys, table, clause),
            }
        }
        if let Some(pieces) = self.slots.get_mut(&Slot::AlterTables) {
            for (at, drops) in merged_drops {
                if let Some(Piece::Alter(_, clauses)) = pieces.get_mut(at) {
                    clauses.splice(0..0, drops);
                }
            }
        }
        for &(table, fk) in added {
            let parent = &fk.references;
            let created = |t| position(&self.slots, Slot::CreateTables, t);
            let altered = |t| position(&self.slots, Slot::AlterTables, t);
            let (slot, at) = match (created(table), altered(table)) {
                (Some(at), _) => (Slot::CreateTables, at),
                (None, Some(at)) => (Slot::AlterTables, at),
                (None, None) => (Slot::AddForeignKeys, 0),
            };
            let ready = parent == table
                || match slot {
                    Slot::CreateTables => match created(parent) {
                        Some(before) => before < at,
                        None => altered(parent).is_none(),
                    },
                    Slot::AlterTables => {
                        created(parent).is_some()
                            || altered(parent).is_none_or(|before| before < at)
                    }
                    _ => false,
                };
            let piece = self
                .slots
                .get_mut(&slot)
                .and_then(|pieces| pieces.get_mut(at))
                .filter(|_| ready);
            match piece {
                Some(Piece::Create(created)) => created.foreign_keys.push(fk.clone()),
                Some(Piece::Alter(_, clauses)) => {
                    clauses.push(format!("ADD {}", foreign_key_clause(fk)))
                }
                _ => self.alter(
                    Slot::AddForeignKeys,
                    table,
                    format!("ADD {}", foreign_key_clause(fk)),
                ),
            }
        }
    }

    fn sql(&self) -> String {
        let statements = self.slots.values().flatten().map(|piece| match piece {
            Piece::Sql(sql) => format!("{sql};\n"),
            Piece::Create(table) => format!("{};\n", render_table(table)),
            Piece::Alter(table, clauses) => match clauses.as_slice() {
                [clause] => format!("ALTER TABLE {} {clause};\n", ident(&table.name)),
                _ => format!(
                    "ALTER TABLE {}\n  {};\n",
                    ident(&table.name),
                    clauses.join(",\n  ")
                ),
            },
        });
        let notes = self.notes.iter().map(|note| format!("{note}\n"));
        notes.chain(statements).collect::<Vec<_>>().join("\n")
    }
}

impl Piece {
    /// The table a `CREATE` or `ALTER TABLE` is of.
    fn table(&self) -> Option<&QualifiedName> {
        match self {
            Piece::Alter(table, _) => Some(table),
            Piece::Create(table) => Some(&table.name),
            Piece::Sql(_) => None,
        }
    }
}

fn drop_routine(routine: &Routine) -> String {
    let kind = match routine.kind {
        RoutineKind::Function => "FUNCTION",
        RoutineKind::Procedure => "PROCEDURE",
    };
    format!("DROP {kind} {}", ident(&routine.name.name))
}

/// `ALTER TABLE` clauses that change `old`'s options and comment to
/// `new`'s. A character set or collation changes the table's default only:
/// its columns follow with [`following_collation`].
fn option_changes(old: &Table, new: &Table) -> Vec<String> {
    let mut clauses = Vec::new();
    let changed = |name: &str| option(old, name) != option(new, name);
    if changed("engine") {
        clauses.extend(option(new, "engine").map(|engine| option_clause("engine", engine)));
    }
    if changed("charset") || changed("collation") {
        let stated: Vec<String> = ["charset", "collation"]
            .into_iter()
            .filter_map(|name| option(new, name).map(|value| option_clause(name, value)))
            .collect();
        if !stated.is_empty() {
            clauses.push(stated.join(" "));
        }
    }
    let names = old
        .options
        .iter()
        .chain(&new.options)
        .map(|(name, _)| name.as_str());
    let mut others: Vec<&str> = names
        .filter(|name| {
            !matches!(
                *name,
                "engine" | "charset" | "collation" | "system_versioning"
            )
        })
        .collect();
    others.sort_unstable();
    others.dedup();
    for name in others.into_iter().filter(|name| changed(name)) {
        clauses.push(option_clause(name, option(new, name).unwrap_or("DEFAULT")));
    }
    match (
        option(old, "system_versioning"),
        option(new, "system_versioning"),
    ) {
        (None, Some(_)) => clauses.push("ADD SYSTEM VERSIONING".to_owned()),
        (Some(_), None) => clauses.push("DROP SYSTEM VERSIONING".to_owned()),
        _ => {}
    }
    if old.comment != new.comment {
        clauses.push(format!(
            "COMMENT={}",
            literal(new.comment.as_deref().unwrap_or_default())
        ));
    }
    clauses
}

/// The columns an `ALTER TABLE` that changes the table's collation must
/// restate: a column keeps the collation it was made with, and those that
/// had the table's (no collation of their own in the model) must have the
/// new one; not those restated by a step of their own.
fn following_collation<'t>(old: &Table, new: &'t Table, steps: &[Step]) -> Vec<&'t Column> {
    if option(old, "collation") == option(new, "collation") {
        return Vec::new();
    }
    let restated = |column: &Column| {
        steps.iter().any(|step| match step {
            Step::AddColumn { table, column: c } | Step::AlterColumn { table, new: c, .. } => {
                table == &new.name && c.name == column.name
            }
            _ => false,
        })
    };
    new.columns
        .iter()
        .filter(|column| column.collation.is_none() && is_textual(&column.data_type))
        .filter(|column| !restated(column))
        .collect()
}

/// A type that has a character set and collation.
fn is_textual(data_type: &str) -> bool {
    [
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
        "enum",
        "set",
    ]
    .iter()
    .any(|name| {
        data_type
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['(', ' ']))
    })
}

/// Where `ADD COLUMN` puts `column`, to keep the order it has in `table`:
/// nothing when last.
fn position(table: &Table, column: &str) -> String {
    let at = table.columns.iter().position(|c| c.name == column);
    match at {
        Some(at) if at + 1 == table.columns.len() => String::new(),
        Some(0) => " FIRST".to_owned(),
        Some(at) => format!(" AFTER {}", ident(&table.columns[at - 1].name)),
        None => String::new(),
    }
}

/// `steps` with the foreign keys dropped first that would hold what other
/// statements change: those of the tables that go (their rows go last, so
/// what they reference must be free to change before), and those on
/// either side of a column whose type or collation changes, which MySQL
/// refuses to change under a foreign key (errors 1832, 1833); these are
/// added back at the end.
fn with_foreign_keys_released(steps: &[Step], old: &Schema, new: &Schema) -> Vec<Step> {
    let mut release = Vec::new();
    let mut restore = Vec::new();
    let mut retyped: Vec<(&QualifiedName, &Column)> = Vec::new();
    for step in steps {
        match step {
            Step::DropTable { table } => {
                release.extend(table.foreign_keys.iter().map(|fk| Step::DropForeignKey {
                    table: table.name.clone(),
                    foreign_key: fk.clone(),
                }));
            }
            Step::AlterColumn { table, old, new }
                if old.data_type != new.data_type || old.collation != new.collation =>
            {
                retyped.push((table, new));
            }
            Step::AlterTable { old, new } => {
                retyped.extend(
                    following_collation(old, new, steps)
                        .into_iter()
                        .map(|c| (&new.name, c)),
                );
            }
            _ => {}
        }
    }
    // Kept foreign keys only: one that changes is dropped and added by
    // the steps already.
    let kept = |table: &Table, fk: &ForeignKey| {
        old.table(&table.name)
            .is_some_and(|before| before.foreign_keys.contains(fk))
            && !steps.iter().any(|step| {
                matches!(step, Step::DropForeignKey { table: t, foreign_key }
                    if t == &table.name && foreign_key.name == fk.name)
            })
    };
    for child in &new.tables {
        for fk in child.foreign_keys.iter().filter(|fk| kept(child, fk)) {
            let holds = retyped.iter().any(|(table, column)| {
                (*table == &child.name && fk.columns.contains(&column.name))
                    || (*table == &fk.references && fk.referenced_columns.contains(&column.name))
            });
            if holds {
                release.push(Step::DropForeignKey {
                    table: child.name.clone(),
                    foreign_key: fk.clone(),
                });
                restore.push(Step::AddForeignKey {
                    table: child.name.clone(),
                    foreign_key: fk.clone(),
                });
            }
        }
    }
    release
        .into_iter()
        .chain(steps.iter().cloned())
        .chain(restore)
        .collect()
}

/// A name as a dump writes it: bare when it is a plain word the servers do
/// not reserve, quoted otherwise.
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain
        && RESERVED
            .binary_search(&name.to_ascii_uppercase().as_str())
            .is_err()
    {
        name.to_owned()
    } else {
        quoted(name)
    }
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|name| ident(name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Always quoted: how the server prints names in what it gives back.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// `COLUMN_TYPE` in lowercase but for the values of an `enum` or `set`.
fn lowercase_outside_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

async fn fetch_all(conn: &mut MySqlConnection, sql: &str) -> Result<Vec<MySqlRow>, sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(conn).await
}

async fn fetch_one(conn: &mut MySqlConnection, sql: &str) -> Result<MySqlRow, sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(sql)).fetch_one(conn).await
}

/// A text value, read as bytes: `information_schema` columns come in
/// binary collations on some servers, which sqlx will not read as `String`.
fn optional_text(row: &MySqlRow, index: usize) -> Result<Option<String>, sqlx::Error> {
    let Some(bytes) = row.try_get::<Option<Vec<u8>>, _>(index)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|error| sqlx::Error::ColumnDecode {
            index: index.to_string(),
            source: Box::new(error),
        })
}

fn text(row: &MySqlRow, index: usize) -> Result<String, sqlx::Error> {
    optional_text(row, index)?.ok_or_else(|| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: "unexpected NULL".into(),
    })
}

fn optional_integer(row: &MySqlRow, index: usize) -> Result<Option<i64>, sqlx::Error> {
    row.try_get(index)
}

fn integer(row: &MySqlRow, index: usize) -> Result<i64, sqlx::Error> {
    row.try_get(index)
}

/// The words MySQL 8.0 to 8.4 or MariaDB reserve (their manuals' lists,
/// and those MariaDB 10.11 refuses as a column name), which a name must be
/// quoted to be: sorted, for the binary search.
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASENSITIVE",
    "BEFORE",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOTH",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CHANGE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONDITION",
    "CONSTRAINT",
    "CONTINUE",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELAYED",
    "DELETE",
    "DELETE_DOMAIN_ID",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISTINCT",
    "DISTINCTROW",
    "DIV",
    "DOUBLE",
    "DO_DOMAIN_IDS",
    "DROP",
    "DUAL",
    "EACH",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST_VALUE",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FROM",
    "FULLTEXT",
    "GENERAL",
    "GENERATED",
    "GET",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IGNORE_DOMAIN_IDS",
    "IGNORE_SERVER_IDS",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "IS",
    "ITERATE",
    "JOIN",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MANUAL",
    "MASTER_BIND",
    "MASTER_DEMOTE_TO_REPLICA",
    "MASTER_DEMOTE_TO_SLAVE",
    "MASTER_HEARTBEAT_PERIOD",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MATCH",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "MOD",
    "MODIFIES",
    "NATURAL",
    "NOT",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NUMERIC",
    "OF",
    "OFFSET",
    "ON",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PAGE_CHECKSUM",
    "PARALLEL",
    "PARSE_VCOL_EXPR",
    "PARTITION",
    "PERCENT_RANK",
    "PORTION",
    "PRECISION",
    "PRIMARY",
    "PROCEDURE",
    "PURGE",
    "QUALIFY",
    "RANGE",
    "RANK",
    "READ",
    "READS",
    "READ_WRITE",
    "REAL",
    "RECURSIVE",
    "REFERENCES",
    "REF_SYSTEM_ID",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURN",
    "RETURNING",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SET",
    "SHOW",
    "SIGNAL",
    "SLOW",
    "SMALLINT",
    "SPATIAL",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLE",
    "TABLESAMPLE",
    "TERMINATED",
    "THEN",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "TRAILING",
    "TRIGGER",
    "TRUE",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNSIGNED",
    "UPDATE",
    "USAGE",
    "USE",
    "USING",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARCHARACTER",
    "VARYING",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_for_the_binary_search() {
        assert!(RESERVED.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user_id$2"), "user_id$2");
        assert_eq!(ident("key"), "`key`");
        assert_eq!(ident("Order"), "`Order`");
        assert_eq!(ident("2fa"), "`2fa`");
        assert_eq!(ident("a b"), "`a b`");
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(ident(""), "``");
    }

    #[test]
    fn the_definer_is_removed_however_it_is_quoted() {
        let cases = [
            (
                "CREATE DEFINER=`root`@`127.0.0.1` FUNCTION `f`() RETURNS int(11)",
                "CREATE FUNCTION `f`() RETURNS int(11)",
            ),
            (
                "CREATE DEFINER=`we``ird`@`%` EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
                "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
            ),
            (
                "CREATE DEFINER=admin@localhost PROCEDURE p() SELECT 1",
                "CREATE PROCEDURE p() SELECT 1",
            ),
            (
                "CREATE DEFINER=`role` PROCEDURE p() SELECT 1",
                "CREATE PROCEDURE p() SELECT 1",
            ),
            (
                "CREATE PROCEDURE p() SELECT 1",
                "CREATE PROCEDURE p() SELECT 1",
            ),
            ("CREATE DEFINER=`unterminated", "CREATE "),
        ];
        for (create, expected) in cases {
            assert_eq!(without_definer(create), expected, "{create}");
        }
    }

    #[test]
    fn column_types_are_lowercased_but_not_their_values() {
        assert_eq!(
            lowercase_outside_quotes("ENUM('A','it''s B') CHARACTER SET Latin1"),
            "enum('A','it''s B') character set latin1"
        );
        assert_eq!(
            lowercase_outside_quotes("BIGINT(20) UNSIGNED"),
            "bigint(20) unsigned"
        );
    }

    #[test]
    fn views_follow_the_views_they_read() {
        let view = |name: &str, definition: &str| View {
            name: QualifiedName::new(None, name),
            definition: definition.to_owned(),
            materialized: false,
            indexes: Vec::new(),
        };
        let views = [
            view("a", "select `b`.`x` AS `x` from `b`"),
            view("b", "select `c`.`x` AS `x` from `c`"),
            view("c", "select `t`.`x` AS `x` from `t`"),
            view("d", "select 1 AS `x`"),
        ];
        let names: Vec<&str> = in_dependency_order(&views)
            .iter()
            .map(|v| v.name.name.as_str())
            .collect();
        assert_eq!(names, ["c", "b", "a", "d"]);
    }
}
