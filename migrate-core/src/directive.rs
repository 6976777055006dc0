use crate::{Error, Phase};

/// Options a script sets in its leading `-- migrate:<directive>` comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Directives {
    /// `-- migrate:no-transaction`, or sqlx's `-- no-transaction` at the very
    /// start: run the script outside any transaction (`CREATE INDEX
    /// CONCURRENTLY`, `VACUUM`, ...).
    pub no_transaction: bool,
    /// `-- migrate:retry-safe`: the script may run again from its start
    /// after it failed part-way, so a script outside a transaction whose
    /// statement gave up waiting for a lock is retried like a transactional
    /// one (which is retried anyway: its transaction rolled back).
    pub retry_safe: bool,
    /// `-- migrate:check <query>` lines, in file order: queries returning
    /// one boolean, all of which must be true before the script runs.
    pub checks: Vec<Check>,
    /// `-- migrate:phase contract` (or `expand`, the default): a contract
    /// migration is held while a replica of an older release still runs.
    pub phase: Phase,
    /// `-- migrate:baseline`: the script is the schema after every
    /// migration up to its version (what `migrata squash` writes). A fresh
    /// database runs it; a database whose history already holds those
    /// migrations skips it.
    pub baseline: bool,
}

/// A `-- migrate:check <query>` line: a query returning one boolean that
/// must be true for the migration to run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Check {
    /// 1-based line of the directive in its file.
    pub line: usize,
    /// The query, as written after `check` (trimmed).
    pub sql: String,
}

/// sqlx's directive: it counts only as the script's first characters
/// (sqlx checks `sql.starts_with("-- no-transaction")`); anywhere else it is
/// an ordinary comment, for sqlx and here. A leading BOM is ignored, as
/// everywhere in this crate.
const SQLX_NO_TRANSACTION: &str = "-- no-transaction";

const KNOWN: &str =
    "no-transaction, retry-safe, check <query>, phase contract|expand, baseline, allow <rule> <reason>";

/// The directives a code migration may hold.
const KNOWN_IN_CODE: &str = "no-transaction, retry-safe, phase contract|expand";

/// What starts a comment, and so a directive, in a code migration.
const RUST_COMMENT: &str = "//";

/// Reads the `-- migrate:` directives from the comment lines at the top of a
/// script (before the first line that is neither blank nor a `--` comment),
/// and sqlx's `-- no-transaction` from its first line.
/// An unknown directive, or a `-- migrate:` line further down where it would
/// have no effect, is an error rather than silently ignored.
///
/// ```
/// let d = migrata_core::parse_directives("0002_idx.sql", "-- migrate:no-transaction\nCREATE INDEX ...;")?;
/// assert!(d.no_transaction);
/// assert!(migrata_core::parse_directives("0002_idx.sql", "-- migrate:no-transactoin\n").is_err());
/// # Ok::<(), migrata_core::Error>(())
/// ```
pub fn parse_directives(file: &str, sql: &str) -> Result<Directives, Error> {
    let mut directives = header_directives(file, sql, "--")?;
    directives.no_transaction |= crate::strip_bom(sql).starts_with(SQLX_NO_TRANSACTION);
    Ok(directives)
}

/// Reads the `// migrate:` directives of a code migration, with the rules
/// of [`parse_directives`]: `// migrate:no-transaction` in the file's
/// leading `//` comments runs its `up` and `down` outside a transaction.
///
/// ```
/// let source = "// migrate:no-transaction\npub async fn up() {}";
/// assert!(migrata_core::parse_code_directives("0003_fill.rs", source)?.no_transaction);
/// assert!(!migrata_core::parse_code_directives("0003_fill.rs", "-- migrate:no-transaction\n")?.no_transaction);
/// # Ok::<(), migrata_core::Error>(())
/// ```
pub fn parse_code_directives(file: &str, source: &str) -> Result<Directives, Error> {
    header_directives(file, source, RUST_COMMENT)
}

/// The directives in the leading `comment` lines of `text`.
fn header_directives(file: &str, text: &str, comment: &'static str) -> Result<Directives, Error> {
    let mut directives = Directives::default();
    let mut in_header = true;
    for (index, line) in crate::strip_bom(text).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        in_header &= line.starts_with(comment);
        let Some(directive) = directive_after(line, comment) else {
            continue;
        };
        // `allow` belongs to the SQL lint (crate migrata-lint), which checks
        // it; it is valid before any statement, not only in the leading
        // comments.
        if comment != RUST_COMMENT && allow_args(directive).is_some() {
            continue;
        }
        if !in_header {
            return Err(Error::MisplacedDirective {
                file: file.to_owned(),
                line: index + 1,
                comment,
            });
        }
        let (name, args) = directive
            .split_once(char::is_whitespace)
            .map_or((directive, ""), |(name, args)| (name, args.trim()));
        let line = index + 1;
        let malformed = |problem| Error::MalformedDirective {
            file: file.to_owned(),
            line,
            comment,
            directive: directive.to_owned(),
            problem,
        };
        match (name, comment) {
            ("no-transaction" | "retry-safe", _) | ("baseline", "--") if !args.is_empty() => {
                return Err(malformed("takes no argument"))
            }
            // A code migration cannot be a baseline: only SQL is a dump.
            ("baseline", "--") => directives.baseline = true,
            ("no-transaction", _) => directives.no_transaction = true,
            ("phase", _) => {
                directives.phase = match args {
                    "contract" => Phase::Contract,
                    "expand" => Phase::Expand,
                    value => {
                        return Err(Error::BadPhase {
                            file: file.to_owned(),
                            line,
                            comment,
                            value: value.to_owned(),
                        })
                    }
                }
            }
            ("retry-safe", _) => directives.retry_safe = true,
            ("check", "--") if args.is_empty() => {
                return Err(malformed(
                    "needs its query: `-- migrate:check <query returning one boolean>`",
                ))
            }
            ("check", "--") => directives.checks.push(Check {
                line,
                sql: args.to_owned(),
            }),
            _ => {
                return Err(Error::UnknownDirective {
                    file: file.to_owned(),
                    line,
                    directive: directive.to_owned(),
                    comment,
                    known: if comment == RUST_COMMENT {
                        KNOWN_IN_CODE
                    } else {
                        KNOWN
                    },
                })
            }
        }
    }
    Ok(directives)
}

/// The rule and reason of a `-- migrate:allow <rule> <reason>` line,
/// trimmed (possibly empty: the lint, which owns these directives, rejects
/// that), or `None` for any other line. The loader skips these lines; the
/// lint reads them with this function, so both agree on their syntax.
///
/// ```
/// use migrata_core::allow_directive;
///
/// assert_eq!(
///     allow_directive("  -- migrate:allow missing-lock-timeout  small table \n"),
///     Some("missing-lock-timeout  small table")
/// );
/// assert_eq!(allow_directive("-- migrate:allow"), Some(""));
/// assert_eq!(allow_directive("-- migrate:no-transaction"), None);
/// assert_eq!(allow_directive("-- migrate:allowed"), None);
/// ```
pub fn allow_directive(line: &str) -> Option<&str> {
    directive_after(line, "--").and_then(allow_args)
}

/// The text after `<comment> migrate:` on a line, trimmed, if the line is
/// a directive.
fn directive_after<'l>(line: &'l str, comment: &str) -> Option<&'l str> {
    line.trim()
        .strip_prefix(comment)
        .and_then(|text| text.trim_start().strip_prefix("migrate:"))
        .map(str::trim)
}

/// The rule and reason of an `allow <rule> <reason>` directive (possibly
/// empty, for the lint to reject), or `None` for another directive.
fn allow_args(directive: &str) -> Option<&str> {
    let args = directive.strip_prefix("allow")?;
    (args.is_empty() || args.starts_with(char::is_whitespace)).then(|| args.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_belong_to_the_leading_comments() {
        let sql =
            "\n-- a plain comment\n--migrate: no-transaction \nSELECT 1;\n-- an ordinary comment\n";
        assert!(parse_directives("f.sql", sql).unwrap().no_transaction);
        let late = "/* licence */\nSELECT 1;\n-- migrate:no-transaction\n";
        let err = parse_directives("f.sql", late).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`f.sql` line 3: `-- migrate:` directives must come before the first statement, in the leading `--` comments"
        );
    }

    /// Issue 12, item 3: sqlx's `-- no-transaction` is the same directive,
    /// where sqlx reads it (the script's first characters) and nowhere else.
    #[test]
    fn sqlx_no_transaction() {
        for sql in [
            "-- no-transaction\nDROP INDEX CONCURRENTLY i;",
            "\u{feff}-- no-transaction\r\nDROP INDEX CONCURRENTLY i;",
            "-- no-transaction: CONCURRENTLY below\n-- migrate:allow drop-index gone\nDROP INDEX CONCURRENTLY i;",
        ] {
            assert!(parse_directives("f.sql", sql).unwrap().no_transaction, "{sql:?}");
        }
        for sql in [
            "\n-- no-transaction\nSELECT 1;",
            "-- why\n-- no-transaction\nSELECT 1;",
            " -- no-transaction\nSELECT 1;",
            "--no-transaction\nSELECT 1;",
            "SELECT 1;\n-- no-transaction\n",
        ] {
            assert!(
                !parse_directives("f.sql", sql).unwrap().no_transaction,
                "{sql:?}"
            );
        }
    }

    /// Issue 14: a code migration's directives are `//` comments, with the
    /// same placement rules; `allow` is the SQL lint's and unknown here.
    #[test]
    fn code_directives() {
        let source = "\n// Backfills domains.\n//migrate: no-transaction\nuse std::fmt;\n";
        assert!(
            parse_code_directives("f.rs", source)
                .unwrap()
                .no_transaction
        );
        assert!(
            !parse_code_directives("f.rs", "pub async fn up() {}\n")
                .unwrap()
                .no_transaction
        );
        let late = parse_code_directives("f.rs", "use std::fmt;\n// migrate:no-transaction\n")
            .unwrap_err();
        assert_eq!(
            late.to_string(),
            "`f.rs` line 2: `// migrate:` directives must come before the first statement, in the leading `//` comments"
        );
        let unknown = parse_code_directives("f.rs", "// migrate:allow drop-table x\n").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "`f.rs` line 1: unknown directive `// migrate:allow drop-table x` (known: no-transaction, retry-safe, phase contract|expand)"
        );
    }

    #[test]
    fn unknown_directive_names_file_and_line() {
        let err = parse_directives("0003_x.sql", "-- hi\n-- migrate:up\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0003_x.sql` line 2: unknown directive `-- migrate:up` (known: no-transaction, retry-safe, check <query>, phase contract|expand, baseline, allow <rule> <reason>)"
        );
    }

    /// Issue 22: `retry-safe` takes no argument, `check` takes a query, and
    /// several checks keep their order and lines; a code migration has no
    /// checks.
    #[test]
    fn retry_safe_and_checks() {
        let sql = "-- migrate:retry-safe\n-- migrate:check  SELECT count(*) = 0 FROM users WHERE email IS NULL \n--migrate: check SELECT true\nALTER TABLE users ALTER email SET NOT NULL;\n";
        let directives = parse_directives("f.sql", sql).unwrap();
        assert!(directives.retry_safe && !directives.no_transaction);
        assert_eq!(
            directives.checks,
            [
                Check {
                    line: 2,
                    sql: "SELECT count(*) = 0 FROM users WHERE email IS NULL".to_owned()
                },
                Check {
                    line: 3,
                    sql: "SELECT true".to_owned()
                },
            ]
        );
        let malformed = |sql| parse_directives("f.sql", sql).unwrap_err().to_string();
        assert_eq!(
            malformed("-- migrate:retry-safe always\n"),
            "`f.sql` line 1: `-- migrate:retry-safe always` takes no argument"
        );
        assert_eq!(
            malformed("\n-- migrate:check   \n"),
            "`f.sql` line 2: `-- migrate:check` needs its query: `-- migrate:check <query returning one boolean>`"
        );
        assert_eq!(
            malformed("-- migrate:no-transaction please\n"),
            "`f.sql` line 1: `-- migrate:no-transaction please` takes no argument"
        );
        assert!(matches!(
            parse_directives("f.sql", "-- migrate:retry-safer\n"),
            Err(Error::UnknownDirective { .. })
        ));
        let late = parse_directives("f.sql", "SELECT 1;\n-- migrate:check SELECT true\n");
        assert!(matches!(
            late,
            Err(Error::MisplacedDirective { line: 2, .. })
        ));
        let code = parse_code_directives("f.rs", "// migrate:retry-safe\nuse std::fmt;\n").unwrap();
        assert!(code.retry_safe && code.checks.is_empty());
        assert!(matches!(
            parse_code_directives("f.rs", "// migrate:check SELECT true\n"),
            Err(Error::UnknownDirective { .. })
        ));
    }

    /// Issue 23: `phase contract` marks a contract migration, in SQL and in
    /// code; any other value is an error naming it.
    #[test]
    fn phase() {
        let sql =
            "-- Drops the old column.\n-- migrate:phase  contract\nALTER TABLE t DROP COLUMN c;";
        assert_eq!(
            parse_directives("f.sql", sql).unwrap().phase,
            Phase::Contract
        );
        let code = "// migrate:phase contract\n// migrate:no-transaction\npub async fn up() {}";
        let directives = parse_code_directives("f.rs", code).unwrap();
        assert_eq!(
            (directives.phase, directives.no_transaction),
            (Phase::Contract, true)
        );
        assert_eq!(
            parse_directives("f.sql", "-- migrate:phase expand\n")
                .unwrap()
                .phase,
            Phase::Expand
        );
        assert_eq!(
            parse_directives("f.sql", "SELECT 1;").unwrap().phase,
            Phase::Expand
        );
        let bad = parse_directives("f.sql", "-- migrate:phase contrat\n").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "`f.sql` line 1: unknown phase `contrat` in `-- migrate:phase`; expected `contract` or `expand`"
        );
        let empty = parse_code_directives("f.rs", "// migrate:phase\n").unwrap_err();
        assert!(
            matches!(empty, Error::BadPhase { ref value, .. } if value.is_empty()),
            "{empty}"
        );
        let glued = parse_directives("f.sql", "-- migrate:phasecontract\n").unwrap_err();
        assert!(matches!(glued, Error::UnknownDirective { .. }), "{glued}");
    }

    /// Issue 21, item 2: `baseline` marks a SQL script, takes no argument
    /// and is unknown in a code migration.
    #[test]
    fn baseline() {
        let sql = "-- Squashes 0001..0005.\n-- migrate:baseline\nCREATE TABLE t (a INT);";
        assert!(parse_directives("f.sql", sql).unwrap().baseline);
        assert!(!parse_directives("f.sql", "SELECT 1;").unwrap().baseline);
        let argument = parse_directives("f.sql", "-- migrate:baseline 5\n").unwrap_err();
        assert_eq!(
            argument.to_string(),
            "`f.sql` line 1: `-- migrate:baseline 5` takes no argument"
        );
        let code = parse_code_directives("f.rs", "// migrate:baseline\n").unwrap_err();
        assert!(matches!(code, Error::UnknownDirective { .. }), "{code}");
    }

    #[test]
    fn allow_is_accepted_anywhere() {
        let sql = "-- migrate:allow drop-table gone\nDROP TABLE a;\n  --migrate: allow  drop-column  unused\nALTER TABLE b DROP COLUMN c;\n";
        assert_eq!(
            parse_directives("f.sql", sql).unwrap(),
            Directives::default()
        );
        assert_eq!(
            allow_args("allow  drop-column  unused"),
            Some("drop-column  unused")
        );
        assert_eq!(allow_args("allow"), Some(""));
        let err = parse_directives("f.sql", "SELECT 1;\n-- migrate:allowed x\n").unwrap_err();
        assert!(
            matches!(err, Error::MisplacedDirective { line: 2, .. }),
            "{err}"
        );
    }
}
