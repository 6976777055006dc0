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
/// script (before the first line that is neither blank nor a `--` comment).
/// An unknown directive, or a `-- migrate:` line further down where it would
/// have no effect, is an error rather than silently ignored.
///
/// ```
/// let d = migrate_core::parse_directives("0002_idx.sql", "-- migrate:no-transaction\nCREATE INDEX ...;")?;
/// assert!(d.no_transaction);
/// assert!(migrate_core::parse_directives("0002_idx.sql", "-- migrate:no-transactoin\n").is_err());
/// # Ok::<(), migrate_core::Error>(())
/// ```
pub fn parse_directives(file: &str, sql: &str) -> Result<Directives, Error> {
    let mut directives = Directives::default();
    let mut in_header = true;
    for (index, line) in crate::strip_bom(sql).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let directive = line
            .strip_prefix("--")
            .and_then(|comment| comment.trim_start().strip_prefix("migrate:"));
        in_header &= line.starts_with("--");
        let Some(directive) = directive else {
            continue;
        };
        if !in_header {
            return Err(Error::MisplacedDirective {
                file: file.to_owned(),
                line: index + 1,
            });
        }
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

    #[test]
    fn unknown_directive_names_file_and_line() {
        let err = parse_directives("0003_x.sql", "-- hi\n-- migrate:up\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0003_x.sql` line 2: unknown directive `-- migrate:up` (known: no-transaction)"
        );
    }
}
