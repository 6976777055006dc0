//! The compile-time lint: errors become compile errors at the macro call,
//! warnings become `#[deprecated]` uses, the one way a proc macro can make
//! stable rustc print a warning.

use migrata_core::Migration;
use migrata_lint::{lint, parse_check, Database, Finding, LintOptions, Report, Script, Severity};
use proc_macro2::TokenStream;
use quote::quote_spanned;

use crate::input::Input;

/// Lints `migrations` for the macro's target databases. Returns the tokens
/// that make rustc print each warning, or one compile error listing every
/// `-- migrate:check` query that does not parse, lint error and malformed
/// `-- migrate:allow` (and, with `deny_warnings`, every warning).
pub fn check(input: &Input, migrations: &[Migration]) -> syn::Result<TokenStream> {
    let targets = targets(input.database, &compiled_databases());
    let scripts = Script::of_migrations(migrations);
    let reports: Vec<(Option<Database>, Report)> = targets
        .iter()
        .map(|&database| {
            let mut options = LintOptions::default();
            options.database = database;
            options.after = input.lint_after;
            options.allow = input.allow.clone();
            (database, lint(&scripts, &options))
        })
        .collect();
    let findings = merged(&reports);
    // A malformed allow is malformed for every database: the first report's.
    let bad_allows = reports
        .first()
        .map(|(_, report)| report.bad_allows.clone())
        .unwrap_or_default();

    let problems: Vec<String> = unparsable_checks(&targets, migrations)
        .into_iter()
        .chain(bad_allows.iter().map(ToString::to_string))
        .chain(
            findings
                .iter()
                .filter(|found| found.finding.severity == Severity::Error)
                .map(|found| format!("lint error: {found}")),
        )
        .chain(
            findings
                .iter()
                .filter(|found| found.finding.severity == Severity::Warning)
                .filter(|_| input.deny_warnings)
                .map(|found| format!("lint warning (deny_warnings = true): {found}")),
        )
        .collect();
    if !problems.is_empty() {
        return Err(syn::Error::new(input.span, problems.join("\n")));
    }

    let span = input.span;
    Ok(findings
        .iter()
        .filter(|found| found.finding.severity == Severity::Warning)
        .map(|found| {
            let note = format!(
                "migration lint: {found} (to accept it, add `-- migrate:allow {} <reason>` on the line before the statement)",
                found.finding.rule
            );
            quote_spanned! {span=>
                const _: () = {
                    #[deprecated(note = #note)]
                    const MIGRATION_LINT_WARNING: () = ();
                    MIGRATION_LINT_WARNING
                };
            }
        })
        .collect())
}

/// Said where a build for several databases is the reason for a message.
const SEVERAL: &str = "this crate is compiled for several databases: `database = \"...\"`";

/// A finding, and the databases it was found for when it was not found
/// for every target (then its message names them).
struct Found<'r> {
    finding: &'r Finding,
    only_for: Vec<Database>,
}

impl std::fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.finding.fmt(f)?;
        if !self.only_for.is_empty() {
            let names: Vec<&str> = self.only_for.iter().map(|d| d.name()).collect();
            write!(f, " (for {}; {SEVERAL} lints for one)", names.join(", "))?;
        }
        Ok(())
    }
}

/// The findings of every target's report, each once, in the first report's
/// order then the others'.
fn merged(reports: &[(Option<Database>, Report)]) -> Vec<Found<'_>> {
    let mut merged: Vec<(&Finding, Vec<Option<Database>>)> = Vec::new();
    for (database, report) in reports {
        for finding in &report.findings {
            match merged.iter_mut().find(|(seen, _)| *seen == finding) {
                Some((_, databases)) => databases.push(*database),
                None => merged.push((finding, vec![*database])),
            }
        }
    }
    merged
        .into_iter()
        .map(|(finding, databases)| Found {
            finding,
            only_for: if databases.len() == reports.len() {
                Vec::new()
            } else {
                databases.into_iter().flatten().collect()
            },
        })
        .collect()
}

/// The databases migrata is compiled for (its features, passed on to this
/// crate's).
fn compiled_databases() -> Vec<Database> {
    [
        (cfg!(feature = "postgres"), Database::Postgres),
        (cfg!(feature = "mysql"), Database::MySql),
        (cfg!(feature = "sqlite"), Database::Sqlite),
    ]
    .into_iter()
    .filter_map(|(on, database)| on.then_some(database))
    .collect()
}

/// The databases to lint for: the one named, else every database the
/// build can reach (a `postgres`-only app gets the PostgreSQL rules
/// without saying so; an app built for two gets both databases' rules);
/// the generic rules when migrata is built for none.
fn targets(named: Option<Database>, compiled: &[Database]) -> Vec<Option<Database>> {
    match (named, compiled) {
        (Some(named), _) => vec![Some(named)],
        (None, []) => vec![None],
        (None, compiled) => compiled.iter().copied().map(Some).collect(),
    }
}

/// One message per `-- migrate:check` query the parser cannot read for a
/// target database (the generic dialect without one): such a check would
/// refuse its migration at run time.
fn unparsable_checks(targets: &[Option<Database>], migrations: &[Migration]) -> Vec<String> {
    let scripts = migrations
        .iter()
        .flat_map(|m| std::iter::once(&m.up).chain(&m.down));
    let mut problems = Vec::new();
    for script in scripts {
        // Loading has read the directives already: an error cannot occur.
        let Ok(directives) = script.directives() else {
            continue;
        };
        for check in &directives.checks {
            for &database in targets {
                if let Err(error) = parse_check(&check.sql, database) {
                    let dialect = database.map_or("the generic SQL dialect", Database::name);
                    let several = if targets.len() > 1 {
                        format!(" ({SEVERAL} checks for one)")
                    } else {
                        String::new()
                    };
                    problems.push(format!(
                        "`{}` line {}: the query of `-- migrate:check` does not parse as SQL for {dialect}: {error}{several}",
                        script.file, check.line
                    ));
                    break;
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{targets, Database};

    /// Issue 26 item 1: a `postgres`-only build lints for PostgreSQL
    /// (`CREATE INDEX CONCURRENTLY` in a transaction is a compile error);
    /// a build for several databases lints for each.
    #[test]
    fn the_lint_targets_the_databases_the_build_reaches() {
        use Database::{MySql, Postgres, Sqlite};
        assert_eq!(targets(None, &[Postgres]), [Some(Postgres)]);
        assert_eq!(targets(None, &[Sqlite]), [Some(Sqlite)]);
        assert_eq!(
            targets(None, &[Postgres, Sqlite]),
            [Some(Postgres), Some(Sqlite)]
        );
        assert_eq!(targets(None, &[]), [None]);
        assert_eq!(targets(Some(MySql), &[Postgres]), [Some(MySql)]);
        assert_eq!(targets(Some(MySql), &[Postgres, Sqlite]), [Some(MySql)]);
    }
}
