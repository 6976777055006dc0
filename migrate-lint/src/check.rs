//! The rules, applied statement by statement in version order.

use std::collections::HashSet;

use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableAlgorithm, AlterTableOperation, AlterTypeOperation,
    ColumnDef, ColumnOption, DataType, ObjectName, ObjectType, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::Token;

use super::source::{self, Allow, Statement};
use super::{BadAllow, Database, Finding, LintOptions, Report, Rule, Script, Severity, Unparsed};

/// Functions whose value differs per row: as an `ADD COLUMN` default they
/// make PostgreSQL rewrite the table.
const VOLATILE: &[&str] = &[
    "random",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "nextval",
];

/// The parser's dialect for `database`, the generic one without.
pub(super) fn dialect(database: Option<Database>) -> Box<dyn Dialect> {
    match database {
        Some(Database::Postgres) => Box::new(PostgreSqlDialect {}),
        Some(Database::MySql) => Box::new(MySqlDialect {}),
        Some(Database::Sqlite) => Box::new(SQLiteDialect {}),
        None => Box::new(GenericDialect {}),
    }
}

/// Lint state carried across scripts: the tables the linted scripts create.
pub(super) struct Linter {
    database: Option<Database>,
    /// Rules allowed for every script.
    allow: Vec<Rule>,
    dialect: Box<dyn Dialect>,
    /// Normalized names of tables created by the scripts linted so far.
    created: HashSet<String>,
    report: Report,
}

/// State of one script.
struct ScriptState<'s> {
    script: &'s Script<'s>,
    /// Rules allowed for the whole file.
    file_allows: Vec<Rule>,
    lock_timeout_set: bool,
    lock_timeout_reported: bool,
    /// Enum values added by `ALTER TYPE ... ADD VALUE` so far.
    new_enum_values: Vec<String>,
}

/// A rule that fired on a statement, before suppression.
struct Hit {
    rule: Rule,
    message: String,
}

impl Linter {
    pub(super) fn new(options: &LintOptions) -> Self {
        let database = options.database;
        Linter {
            database,
            allow: options.allow.clone(),
            dialect: dialect(database),
            created: HashSet::new(),
            report: Report::default(),
        }
    }

    pub(super) fn into_report(self) -> Report {
        self.report
    }

    pub(super) fn script<'s>(&mut self, script: &'s Script<'s>) {
        let statements =
            source::statements(migrata_core::strip_bom(script.sql), self.dialect.as_ref());
        let mut state = ScriptState {
            script,
            file_allows: Vec::new(),
            lock_timeout_set: false,
            lock_timeout_reported: false,
            new_enum_values: Vec::new(),
        };
        for (index, statement) in statements.iter().enumerate() {
            let mut statement_allows = self.allowed_rules(script, &statement.inner_allows);
            let leading = self.allowed_rules(script, &statement.leading_allows);
            if index == 0 {
                state.file_allows = leading;
            } else {
                statement_allows.extend(leading);
            }
            if statement.ast.is_none() {
                self.report.unparsed.push(Unparsed {
                    file: script.file.to_owned(),
                    line: statement.line,
                });
            }
            let hits = self.check(&mut state, statement);
            for hit in hits {
                let allowed = self.allow.contains(&hit.rule)
                    || state.file_allows.contains(&hit.rule)
                    || statement_allows.contains(&hit.rule);
                let runs = hit.rule.applies_to(self.database)
                    && (hit.rule.severity() == Severity::Error || !script.down)
                    && !(script.contract && hit.rule.quiet_in_contract());
                if runs && !allowed {
                    self.report.findings.push(Finding {
                        rule: hit.rule,
                        severity: hit.rule.severity(),
                        file: script.file.to_owned(),
                        line: statement.line,
                        message: hit.message,
                    });
                }
            }
        }
    }

    /// The rules named by allow directives; malformed ones are reported.
    fn allowed_rules(&mut self, script: &Script<'_>, allows: &[Allow<'_>]) -> Vec<Rule> {
        let mut rules = Vec::new();
        for allow in allows {
            let (name, reason) = allow
                .args
                .split_once(char::is_whitespace)
                .unwrap_or((allow.args, ""));
            let problem = if name.is_empty() {
                Some("`-- migrate:allow` names no rule".to_owned())
            } else if let Some(rule) = Rule::from_name(name) {
                rules.push(rule);
                reason.trim().is_empty().then(|| {
                    format!(
                        "`-- migrate:allow {name}` gives no reason (say why the statement is safe)"
                    )
                })
            } else {
                let known: Vec<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
                Some(format!(
                    "unknown lint rule `{name}` (known: {})",
                    known.join(", ")
                ))
            };
            if let Some(problem) = problem {
                self.report.bad_allows.push(BadAllow {
                    file: script.file.to_owned(),
                    line: allow.line,
                    problem,
                });
            }
        }
        rules
    }

    /// Every rule that fires on `statement`, updating the script's state.
    fn check(&mut self, state: &mut ScriptState<'_>, statement: &Statement<'_>) -> Vec<Hit> {
        let mut hits = Vec::new();
        let words = statement.words();
        let word = |index: usize| words.get(index).map_or("", String::as_str);
        let transactional = !state.script.no_transaction;

        if transactional {
            if let Some(hit) = keyword_errors(&words) {
                hits.push(hit);
            }
            if let Some(value) = used_enum_value(statement, &state.new_enum_values) {
                hits.push(Hit {
                    rule: Rule::EnumValueUsedInTransaction,
                    message: format!(
                        "uses enum value '{value}', added earlier in the same transaction"
                    ),
                });
            }
        }
        let sets_lock_timeout = word(0) == "SET"
            && (word(1) == "LOCK_TIMEOUT"
                || (matches!(word(1), "LOCAL" | "SESSION") && word(2) == "LOCK_TIMEOUT"));
        state.lock_timeout_set |= sets_lock_timeout;

        let Some(ast) = &statement.ast else {
            return hits;
        };
        let locks_existing_table = self.check_ast(state, ast, &mut hits);
        if locks_existing_table && !state.lock_timeout_set && !state.lock_timeout_reported {
            state.lock_timeout_reported = true;
            hits.push(Hit {
                rule: Rule::MissingLockTimeout,
                message:
                    "DDL on an existing table with no `SET lock_timeout` earlier in the script"
                        .to_owned(),
            });
        }
        hits
    }

    /// The AST rules. Returns whether the statement takes a lock on an
    /// existing table that blocks its traffic.
    fn check_ast(
        &mut self,
        state: &mut ScriptState<'_>,
        ast: &ast::Statement,
        hits: &mut Vec<Hit>,
    ) -> bool {
        match ast {
            ast::Statement::CreateTable(create) => {
                self.created.insert(table_key(&create.name));
                false
            }
            // An index on a materialized view the scripts created is an
            // index on a new relation, as one on a new table is.
            ast::Statement::CreateView(view) if view.materialized => {
                self.created.insert(table_key(&view.name));
                false
            }
            ast::Statement::CreateIndex(index) => {
                let existing = self.is_existing(&index.table_name);
                if existing && !index.concurrently {
                    hits.push(Hit {
                        rule: Rule::IndexWithoutConcurrently,
                        message: format!(
                            "CREATE INDEX without CONCURRENTLY on existing table `{}`",
                            index.table_name
                        ),
                    });
                }
                existing && !index.concurrently
            }
            ast::Statement::AlterTable(alter) => {
                if !self.is_existing(&alter.name) {
                    // A new table keeps being new under its new name.
                    for operation in &alter.operations {
                        if let AlterTableOperation::RenameTable { table_name } = operation {
                            self.created.insert(renamed_key(table_name));
                        }
                    }
                    return false;
                }
                for operation in &alter.operations {
                    self.check_alter(&alter.name, operation, state.script.contract, hits);
                }
                true
            }
            ast::Statement::RenameTable(renames) => {
                let mut existing = false;
                for rename in renames {
                    if self.is_existing(&rename.old_name) {
                        existing = true;
                        hits.push(Hit {
                            rule: Rule::RenameTable,
                            message: format!("renames existing table `{}`", rename.old_name),
                        });
                    }
                }
                existing
            }
            ast::Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                let mut existing = false;
                for name in names {
                    let key = table_key(name);
                    if self.created.remove(&key) {
                        continue;
                    }
                    existing = true;
                    hits.push(Hit {
                        rule: Rule::DropTable,
                        message: format!("drops existing table `{name}`"),
                    });
                }
                existing
            }
            ast::Statement::AlterType(alter) => {
                if let AlterTypeOperation::AddValue(add) = &alter.operation {
                    state.new_enum_values.push(add.value.value.clone());
                }
                false
            }
            _ => false,
        }
    }

    /// The rules an `ALTER TABLE` operation on an existing table fires;
    /// `contract`: the script's migration is a contract migration.
    fn check_alter(
        &self,
        table: &ObjectName,
        operation: &AlterTableOperation,
        contract: bool,
        hits: &mut Vec<Hit>,
    ) {
        let mut hit = |rule, message: String| hits.push(Hit { rule, message });
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                let column = &column_def.name;
                if is_not_null(column_def) && !has_default(column_def) {
                    hit(
                        Rule::NotNullWithoutDefault,
                        format!("adds NOT NULL column `{column}` without a default to existing table `{table}`"),
                    );
                }
                if let Some(function) = volatile_default(column_def) {
                    hit(
                        Rule::VolatileDefault,
                        format!("adds column `{column}` to existing table `{table}` with volatile default {function}()"),
                    );
                }
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid: false,
            } => match constraint {
                TableConstraint::ForeignKey(_) | TableConstraint::Check(_) => hit(
                    Rule::ConstraintWithoutNotValid,
                    format!("adds a validated constraint to existing table `{table}`"),
                ),
                TableConstraint::PrimaryKey(_) => hit(
                    Rule::MysqlTableCopy,
                    format!("adds a primary key to existing table `{table}`"),
                ),
                _ => {}
            },
            AlterTableOperation::DropPrimaryKey { .. } => hit(
                Rule::MysqlTableCopy,
                format!("drops the primary key of existing table `{table}`"),
            ),
            AlterTableOperation::Algorithm {
                algorithm: AlterTableAlgorithm::Copy,
                ..
            } => hit(
                Rule::MysqlTableCopy,
                format!("asks for ALGORITHM=COPY on existing table `{table}`"),
            ),
            AlterTableOperation::AlterColumn { column_name, op } => match op {
                AlterColumnOperation::SetDataType { data_type, .. }
                    if !(self.database == Some(Database::Postgres)
                        && is_varchar_or_text(data_type)) =>
                {
                    hit(
                        Rule::ColumnTypeChange,
                        format!("changes the type of column `{column_name}` of existing table `{table}` to {data_type}"),
                    );
                }
                AlterColumnOperation::SetNotNull => {
                    // The scan is the same in either phase; the running
                    // release writing NULLs is a hazard only before it is
                    // gone, which a contract migration waits for.
                    let running = if contract {
                        ""
                    } else {
                        " (and the running release may still write NULLs: mark the migration `-- migrate:phase contract` to hold it until no replica of an older release runs)"
                    };
                    hit(
                        Rule::SetNotNull,
                        format!("sets NOT NULL on column `{column_name}` of existing table `{table}`{running}"),
                    )
                }
                _ => {}
            },
            AlterTableOperation::ModifyColumn { col_name, .. } => hit(
                Rule::ColumnTypeChange,
                format!("redefines column `{col_name}` of existing table `{table}` (MODIFY COLUMN)"),
            ),
            AlterTableOperation::ChangeColumn {
                old_name, new_name, ..
            } => {
                hit(
                    Rule::ColumnTypeChange,
                    format!("redefines column `{old_name}` of existing table `{table}` (CHANGE COLUMN)"),
                );
                if old_name.value != new_name.value {
                    hit(
                        Rule::RenameColumn,
                        format!("renames column `{old_name}` of existing table `{table}` to `{new_name}`"),
                    );
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => hit(
                Rule::RenameColumn,
                format!("renames column `{old_column_name}` of existing table `{table}` to `{new_column_name}`"),
            ),
            AlterTableOperation::RenameTable { table_name } => hit(
                Rule::RenameTable,
                format!("renames existing table `{table}` to `{table_name}`"),
            ),
            AlterTableOperation::DropColumn { column_names, .. } => {
                for column in column_names {
                    hit(
                        Rule::DropColumn,
                        format!("drops column `{column}` of existing table `{table}`"),
                    );
                }
            }
            _ => {}
        }
    }

    /// Whether `table` was not created by a script linted so far.
    fn is_existing(&self, table: &ObjectName) -> bool {
        !self.created.contains(&table_key(table))
    }
}

/// The statements that cannot run in the migrator's transaction, told by
/// their leading keywords (so they are found even where the parser fails).
fn keyword_errors(words: &[String]) -> Option<Hit> {
    let word = |index: usize| words.get(index).map_or("", String::as_str);
    let hit = |rule, message: &str| {
        Some(Hit {
            rule,
            message: message.to_owned(),
        })
    };
    let index_at = if word(1) == "UNIQUE" { 2 } else { 1 };
    match word(0) {
        "CREATE" if word(index_at) == "INDEX" && word(index_at + 1) == "CONCURRENTLY" => hit(
            Rule::ConcurrentlyInTransaction,
            "CREATE INDEX CONCURRENTLY in a transactional script",
        ),
        "DROP" if word(1) == "INDEX" && word(2) == "CONCURRENTLY" => hit(
            Rule::ConcurrentlyInTransaction,
            "DROP INDEX CONCURRENTLY in a transactional script",
        ),
        "REINDEX" if words.iter().any(|w| w == "CONCURRENTLY") => hit(
            Rule::ConcurrentlyInTransaction,
            "REINDEX CONCURRENTLY in a transactional script",
        ),
        "VACUUM" => hit(
            Rule::VacuumInTransaction,
            "VACUUM in a transactional script",
        ),
        "ALTER" if word(1) == "SYSTEM" => hit(
            Rule::AlterSystemInTransaction,
            "ALTER SYSTEM in a transactional script",
        ),
        _ => None,
    }
}

/// A string literal of `statement` that is one of `values`.
fn used_enum_value<'v>(statement: &Statement<'_>, values: &'v [String]) -> Option<&'v str> {
    if values.is_empty() {
        return None;
    }
    let adds_value = matches!(
        &statement.ast,
        Some(ast::Statement::AlterType(alter)) if matches!(alter.operation, AlterTypeOperation::AddValue(_))
    );
    if adds_value {
        return None;
    }
    statement
        .tokens
        .iter()
        .flatten()
        .find_map(|token| match token {
            Token::SingleQuotedString(text) => {
                values.iter().find(|v| *v == text).map(String::as_str)
            }
            _ => None,
        })
}

/// The lookup key of a table's new name.
fn renamed_key(name: &ast::RenameTableNameKind) -> String {
    match name {
        ast::RenameTableNameKind::As(name) | ast::RenameTableNameKind::To(name) => table_key(name),
    }
}

/// How a table is looked up: its last name part, folded to lower case
/// unless quoted.
fn table_key(name: &ObjectName) -> String {
    match name.0.last().and_then(|part| part.as_ident()) {
        Some(ident) if ident.quote_style.is_some() => ident.value.clone(),
        Some(ident) => ident.value.to_lowercase(),
        None => name.to_string().to_lowercase(),
    }
}

fn is_not_null(column: &ColumnDef) -> bool {
    column.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
        )
    })
}

/// Whether new rows get a value without the INSERT naming the column.
fn has_default(column: &ColumnDef) -> bool {
    let serial = matches!(&column.data_type, DataType::Custom(name, _)
        if ["serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"]
            .iter()
            .any(|s| name.to_string().eq_ignore_ascii_case(s)));
    serial
        || column.options.iter().any(|o| match &o.option {
            ColumnOption::Default(_)
            | ColumnOption::Generated { .. }
            | ColumnOption::Identity(_)
            | ColumnOption::Materialized(_) => true,
            ColumnOption::DialectSpecific(tokens) => tokens.iter().any(|t| {
                matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTO_INCREMENT")
                    || w.value.eq_ignore_ascii_case("AUTOINCREMENT"))
            }),
            _ => false,
        })
}

/// The volatile function a column's default calls, if any.
fn volatile_default(column: &ColumnDef) -> Option<&'static str> {
    column.options.iter().find_map(|o| match &o.option {
        ColumnOption::Default(expr) => {
            let text = expr.to_string().to_lowercase();
            VOLATILE
                .iter()
                .copied()
                .find(|function| calls(&text, function))
        }
        _ => None,
    })
}

/// Whether `text` contains a call `function(` not preceded by an identifier
/// character.
pub(super) fn calls(text: &str, function: &str) -> bool {
    text.match_indices(function).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + function.len()..].trim_start();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('(')
    })
}

/// Target types PostgreSQL can switch a `varchar` column to without a
/// rewrite (a longer or unbounded `varchar`, or `text`).
fn is_varchar_or_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_)
    )
}
