//! The migration lint of [migrata](https://docs.rs/migrata): parses each
//! script with [`sqlparser`] for the target database and reports statements
//! that are certain to fail ([`Severity::Error`]) or risky on a busy database
//! ([`Severity::Warning`]), each with the rule, the file, the statement's line,
//! why and the safe pattern.
//!
//! `embed_migrations!` runs it at compile time, the CLI's `lint` subcommand
//! runs it over a directory, and `migrata::lint` (feature `lint`) re-exports
//! this crate for a library call. It is a crate of its own so that
//! `migrata-core`, which a `build.rs` pulls in, does not depend on the SQL
//! parser.
//!
//! ```
//! use migrata_lint::{lint, Database, LintOptions, Rule, Script};
//!
//! let scripts = [
//!     Script::new(1, "0001_users.sql", "CREATE TABLE users (id BIGINT, email TEXT);", false),
//!     Script::new(2, "0002_index.sql", "SET lock_timeout = '5s';\n\nCREATE INDEX CONCURRENTLY users_email ON users (email);", false),
//! ];
//! let report = lint(&scripts, &LintOptions::for_database(Database::Postgres));
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].rule, Rule::ConcurrentlyInTransaction);
//! assert_eq!(report.findings[0].line, 3);
//! ```
//!
//! Statements the parser does not understand are never an error for that
//! reason: rules that only need the statement's leading keywords still
//! check them, the others skip them, and [`Report::unparsed`] lists them.
//!
//! A statement can be exempted with `-- migrate:allow <rule> <reason>` in
//! the comment lines right before it; the same line in a script's leading
//! comments exempts the whole script.

mod check;
mod rule;
mod source;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use rule::{Rule, Severity, UnknownRule};

/// A target database: decides the SQL dialect and which rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Database {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

impl Database {
    /// Every database.
    pub const ALL: &'static [Database] = &[Database::Postgres, Database::MySql, Database::Sqlite];

    /// `"postgres"`, `"mysql"` or `"sqlite"`: the name [`FromStr`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            Database::Postgres => "postgres",
            Database::MySql => "mysql",
            Database::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A database name [`Database::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown database `{0}`: expected postgres, mysql or sqlite")]
pub struct UnknownDatabase(pub String);

impl FromStr for Database {
    type Err = UnknownDatabase;

    /// `postgres`/`postgresql`, `mysql`/`mariadb` or `sqlite`, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Database::Postgres),
            "mysql" | "mariadb" => Ok(Database::MySql),
            "sqlite" => Ok(Database::Sqlite),
            _ => Err(UnknownDatabase(name.to_owned())),
        }
    }
}

/// What to lint against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintOptions {
    /// The target database. `None`: scripts are parsed with a generic
    /// dialect and only the [`generic`](Rule::generic) rules run.
    pub database: Option<Database>,
    /// Migrations up to and including this version are taken as already
    /// applied everywhere: they are not linted, and the tables they create
    /// count as existing (busy) tables. `None`: every script is linted.
    pub after: Option<i64>,
    /// Rules turned off for every script (a crate-wide
    /// `-- migrate:allow`), e.g. `missing-lock-timeout` when the migrator's
    /// session setup sets `lock_timeout`.
    pub allow: Vec<Rule>,
}

impl LintOptions {
    /// Lint every script for `database`.
    pub fn for_database(database: Database) -> Self {
        LintOptions {
            database: Some(database),
            ..LintOptions::default()
        }
    }

    /// The same options, skipping migrations up to and including `version`.
    pub fn after(mut self, version: i64) -> Self {
        self.after = Some(version);
        self
    }
}

/// One script to lint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script<'a> {
    /// The migration's version: scripts are linted in version order.
    pub version: i64,
    /// The file name, used in findings.
    pub file: &'a str,
    /// The SQL text.
    pub sql: &'a str,
    /// Whether the script runs outside a transaction
    /// (`-- migrate:no-transaction`).
    pub no_transaction: bool,
    /// Whether this is a down (revert) script: only the error rules run, as
    /// dropping what the up script created is what a down script is for.
    pub down: bool,
    /// Whether its migration is a contract migration (`-- migrate:phase
    /// contract`), which the migrator holds until no replica of an older
    /// release runs: the rules that warn about breaking the running
    /// release ([`Rule::quiet_in_contract`]) stay quiet, as removing what it used is
    /// what a contract migration is for.
    pub contract: bool,
}

impl<'a> Script<'a> {
    /// An up script.
    pub fn new(version: i64, file: &'a str, sql: &'a str, no_transaction: bool) -> Self {
        Script {
            version,
            file,
            sql,
            no_transaction,
            down: false,
            contract: false,
        }
    }

    /// The same script, of a contract migration (`contract` true) or an
    /// expand one.
    pub fn contract(mut self, contract: bool) -> Self {
        self.contract = contract;
        self
    }

    /// The up and down scripts of loaded migrations (code migrations are
    /// Rust, which the compiler checks).
    pub fn of_migrations(migrations: &'a [migrata_core::Migration]) -> Vec<Script<'a>> {
        let mut scripts = Vec::new();
        for migration in migrations.iter().filter(|m| !m.is_code()) {
            // Repeatable migrations run after every versioned one, and
            // are linted as such, whatever `after` says.
            let version = if migration.is_repeatable() {
                i64::MAX
            } else {
                migration.version
            };
            let script = |s: &'a migrata_core::Script, down| Script {
                version,
                file: &s.file,
                sql: s.sql(),
                no_transaction: s.no_transaction,
                down,
                contract: migration.is_contract(),
            };
            scripts.push(script(&migration.up, false));
            if let Some(down) = &migration.down {
                scripts.push(script(down, true));
            }
        }
        scripts
    }
}

/// One problem found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that fired.
    pub rule: Rule,
    /// Error or warning.
    pub severity: Severity,
    /// The script's file name.
    pub file: String,
    /// 1-based line of the statement (of its first keyword, after comments).
    pub line: usize,
    /// What the statement does, e.g. ``CREATE INDEX on existing table `users` ``.
    pub message: String,
}

impl Finding {
    /// Why the statement is a problem (the rule's explanation).
    pub fn why(&self) -> &'static str {
        self.rule.why()
    }

    /// The safe pattern (the rule's fix).
    pub fn fix(&self) -> &'static str {
        self.rule.fix()
    }
}

impl fmt::Display for Finding {
    /// `` `0002_x.sql` line 3: [rule] message: why; safe pattern: fix (to
    /// allow: ...)``, one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` line {}: [{}] {}: {}; safe pattern: {}",
            self.file,
            self.line,
            self.rule,
            self.message,
            self.why(),
            self.fix()
        )
    }
}

/// A malformed `-- migrate:allow` directive: always an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}` line {line}: {problem}; expected `-- migrate:allow <rule> <reason>`")]
pub struct BadAllow {
    /// The script's file name.
    pub file: String,
    /// 1-based line of the directive.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// A statement the parser could not read, so only the keyword rules checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// The script's file name.
    pub file: String,
    /// 1-based line of the statement.
    pub line: usize,
}

/// The result of linting a set of scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Findings in version order, then line order.
    pub findings: Vec<Finding>,
    /// Malformed `-- migrate:allow` directives (unknown rule, no reason).
    pub bad_allows: Vec<BadAllow>,
    /// Statements that could not be parsed.
    pub unparsed: Vec<Unparsed>,
}

impl Report {
    /// Whether anything must stop the build: an error finding or a
    /// malformed allow directive.
    pub fn has_errors(&self) -> bool {
        !self.bad_allows.is_empty() || self.errors().next().is_some()
    }

    /// The error findings.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The warning findings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// One line about the statements that could not be parsed, if any.
    pub fn unparsed_note(&self, database: Option<Database>) -> Option<String> {
        let first = self.unparsed.first()?;
        let dialect = database.map_or("the generic SQL dialect", Database::name);
        Some(format!(
            "{} statement(s) could not be parsed for {dialect} and were checked by keyword rules only (first: `{}` line {})",
            self.unparsed.len(),
            first.file,
            first.line
        ))
    }
}

/// Checks that the query of a `-- migrate:check <query>` directive parses
/// for `database` (the generic dialect without one) as one query, which the
/// migrator runs before the script and whose one boolean must be true.
/// `Err` says why not, in the parser's words.
///
/// ```
/// use migrata_lint::{parse_check, Database};
///
/// assert!(parse_check("SELECT count(*) = 0 FROM users WHERE email IS NULL", Some(Database::Postgres)).is_ok());
/// assert!(parse_check("SELECT count(* FROM users", None).is_err());
/// assert!(parse_check("DELETE FROM users", None).is_err());
/// assert!(parse_check("SELECT 1; SELECT 2", None).is_err());
/// ```
pub fn parse_check(sql: &str, database: Option<Database>) -> Result<(), String> {
    use sqlparser::ast::Statement;
    let dialect = check::dialect(database);
    let statements =
        sqlparser::parser::Parser::parse_sql(&*dialect, sql).map_err(|error| error.to_string())?;
    match statements.as_slice() {
        [Statement::Query(_)] => Ok(()),
        [_] => Err("it is not a query (a check is a SELECT returning one boolean)".to_owned()),
        _ => Err(format!(
            "it holds {} statements, not one query",
            statements.len()
        )),
    }
}

/// Lints `scripts` (in any order: they are taken in version order, an up
/// script before its down script) for `options.database`.
pub fn lint(scripts: &[Script<'_>], options: &LintOptions) -> Report {
    let mut scripts: Vec<&Script<'_>> = scripts
        .iter()
        .filter(|s| options.after.is_none_or(|after| s.version > after))
        .collect();
    scripts.sort_by_key(|s| (s.version, s.down));
    let mut linter = check::Linter::new(options);
    for script in scripts {
        linter.script(script);
    }
    linter.into_report()
}
