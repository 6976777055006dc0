//! The compile-time lint: errors become compile errors at the macro call,
//! warnings become `#[deprecated]` uses, the one way a proc macro can make
//! stable rustc print a warning.

use migrata_core::Migration;
use migrata_lint::{lint, parse_check, Database, LintOptions, Script};
use proc_macro2::TokenStream;
use quote::quote_spanned;

use crate::input::Input;

/// Lints `migrations` for the macro's target database. Returns the tokens
/// that make rustc print each warning, or one compile error listing every
/// `-- migrate:check` query that does not parse, lint error and malformed
/// `-- migrate:allow` (and, with `deny_warnings`, every warning).
pub fn check(input: &Input, migrations: &[Migration]) -> syn::Result<TokenStream> {
    let mut options = LintOptions::default();
    options.database = target(input.database, &compiled_databases());
    options.after = input.lint_after;
    options.allow = input.allow.clone();
    let report = lint(&Script::of_migrations(migrations), &options);

    let problems: Vec<String> = unparsable_checks(input, migrations)
        .into_iter()
        .chain(report.bad_allows.iter().map(ToString::to_string))
        .chain(
            report
                .errors()
                .map(|finding| format!("lint error: {finding}")),
        )
        .chain(
            report
                .warnings()
                .filter(|_| input.deny_warnings)
                .map(|finding| format!("lint warning (deny_warnings = true): {finding}")),
        )
        .collect();
    if !problems.is_empty() {
        return Err(syn::Error::new(input.span, problems.join("\n")));
    }

    let span = input.span;
    Ok(report
        .warnings()
        .map(|finding| {
            let note = format!(
                "migration lint: {finding} (to accept it, add `-- migrate:allow {} <reason>` on the line before the statement)",
                finding.rule
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

/// The database to lint for: the one named, else the one a
/// single-database build can reach (a `postgres`-only app gets the
/// PostgreSQL rules without saying so); with several, no one database's
/// rules fit every target, so the generic ones.
fn target(named: Option<Database>, compiled: &[Database]) -> Option<Database> {
    match (named, compiled) {
        (Some(named), _) => Some(named),
        (None, [only]) => Some(*only),
        (None, _) => None,
    }
}

/// One message per `-- migrate:check` query the parser cannot read for the
/// target database (the generic dialect without one): such a check would
/// refuse its migration at run time, on every database.
fn unparsable_checks(input: &Input, migrations: &[Migration]) -> Vec<String> {
    let dialect = input
        .database
        .map_or("the generic SQL dialect", migrata_lint::Database::name);
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
            if let Err(error) = parse_check(&check.sql, input.database) {
                problems.push(format!(
                    "`{}` line {}: the query of `-- migrate:check` does not parse as SQL for {dialect}: {error}",
                    script.file, check.line
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{target, Database};

    /// Issue 26 item 1: a `postgres`-only build lints for PostgreSQL
    /// (`CREATE INDEX CONCURRENTLY` in a transaction is a compile error).
    #[test]
    fn a_single_database_build_lints_for_that_database() {
        use Database::{MySql, Postgres, Sqlite};
        assert_eq!(target(None, &[Postgres]), Some(Postgres));
        assert_eq!(target(None, &[Sqlite]), Some(Sqlite));
        assert_eq!(target(None, &[Postgres, Sqlite]), None);
        assert_eq!(target(None, &[]), None);
        assert_eq!(target(Some(MySql), &[Postgres]), Some(MySql));
        assert_eq!(target(Some(MySql), &[Postgres, Sqlite]), Some(MySql));
    }
}
