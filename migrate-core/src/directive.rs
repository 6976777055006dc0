use crate::Error;

/// Options a script sets in its leading `-- migrate:<directive>` comments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- migrate:no-transaction`: run the script outside any transaction
    /// (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...).
    pub no_transaction: bool,
}

const KNOWN: &str = "no-transaction";

/// Reads the `-- migrate:` directives from the comment lines at the top of a
/// script. Scanning stops at the first line that is neither blank nor a `--`
/// comment; an unknown directive is an error rather than silently ignored.
///
/// ```
/// let d = migrate_core::parse_directives("0002_idx.sql", "-- migrate:no-transaction\nCREATE INDEX ...;")?;
/// assert!(d.no_transaction);
/// assert!(migrate_core::parse_directives("0002_idx.sql", "-- migrate:no-transactoin\n").is_err());
/// # Ok::<(), migrate_core::Error>(())
/// ```
pub fn parse_directives(file: &str, sql: &str) -> Result<Directives, Error> {
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    let mut directives = Directives::default();
    for (index, line) in sql.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        let Some(directive) = comment.trim_start().strip_prefix("migrate:") else {
            continue;
        };
        match directive.trim() {
            "no-transaction" => directives.no_transaction = true,
            unknown => {
                return Err(Error::UnknownDirective {
                    file: file.to_owned(),
                    line: index + 1,
                    directive: unknown.to_owned(),
                    known: KNOWN,
                })
            }
        }
    }
    Ok(directives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_leading_comments_count() {
        let sql = "\n-- a plain comment\n--migrate: no-transaction \nSELECT 1;\n-- migrate:bogus\n";
        assert!(parse_directives("f.sql", sql).unwrap().no_transaction);
        let late = "SELECT 1;\n-- migrate:no-transaction\n";
        assert!(!parse_directives("f.sql", late).unwrap().no_transaction);
    }

    #[test]
    fn unknown_directive_names_file_and_line() {
        let err = parse_directives("0003_x.sql", "-- hi\n-- migrate:up\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0003_x.sql` line 2: unknown directive `-- migrate:up` (known: no-transaction)"
        );
    }
}
