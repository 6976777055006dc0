/// Splits a script into its statements at top-level semicolons, for running
/// them one at a time (PostgreSQL runs a multi-statement query string as one
/// implicit transaction, which `-- migrate:no-transaction` must avoid).
///
/// Semicolons inside quotes (`'...'`, `"..."`, `` `...` ``, `E'\''`), dollar
/// quotes (`$$...$$`, `$tag$...$tag$`) and comments (`--`, nested `/* */`)
/// do not split. Statements that are empty or only comments are dropped.
///
/// ```
/// let sql = "CREATE INDEX CONCURRENTLY a ON t (x);\n-- next\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;";
/// let statements = migrate_core::split_statements(sql);
/// assert_eq!(statements.len(), 2);
/// assert!(statements[1].ends_with("LANGUAGE sql"));
/// ```
pub fn split_statements(sql: &str) -> Vec<&str> {
    segments(sql, SqlFlavor::Standard)
        .into_iter()
        .filter(|segment| segment.has_code)
        .map(|segment| sql[segment.start..segment.end].trim())
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// The string-literal rules a script is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlFlavor {
    /// SQLite and PostgreSQL: a backslash escapes only in `E'...'`.
    Standard,
    /// MySQL/MariaDB: a backslash escapes in every quoted string, and `#`
    /// starts a comment.
    MySql,
}

/// Whether a script's last statement lacks its closing `;` (ignoring
/// trailing whitespace and comments), so that a script can be followed by
/// another statement without gluing the two together or adding an empty one.
///
/// ```
/// use migrate_core::{needs_terminator, SqlFlavor};
/// assert!(needs_terminator("SELECT 1", SqlFlavor::Standard));
/// assert!(!needs_terminator("SELECT 1; -- done\n", SqlFlavor::Standard));
/// assert!(!needs_terminator(r"INSERT INTO t VALUES ('it\'s; fine');", SqlFlavor::MySql));
/// ```
pub fn needs_terminator(sql: &str, flavor: SqlFlavor) -> bool {
    segments(sql, flavor)
        .last()
        .is_some_and(|segment| segment.has_code)
}

/// A stretch of a script between top-level semicolons.
struct Segment {
    start: usize,
    end: usize,
    /// Whether it holds anything but whitespace and comments.
    has_code: bool,
}

fn segments(sql: &str, flavor: SqlFlavor) -> Vec<Segment> {
    let bytes = sql.as_bytes();
    let mut segments = Vec::new();
    let mut start = 0;
    let mut has_code = false;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let after_identifier = i > 0 && is_identifier_byte(bytes[i - 1]);
        match bytes[i] {
            b';' => {
                segments.push(Segment {
                    start,
                    end: i,
                    has_code,
                });
                start = i + 1;
                has_code = false;
                i += 1;
                continue;
            }
            b'-' if rest.starts_with(b"--") => {
                i = find_from(bytes, i, b"\n").map_or(bytes.len(), |end| end + 1);
                continue;
            }
            b'#' if flavor == SqlFlavor::MySql => {
                i = find_from(bytes, i, b"\n").map_or(bytes.len(), |end| end + 1);
                continue;
            }
            b'/' if rest.starts_with(b"/*") => {
                i = block_comment_end(bytes, i);
                continue;
            }
            b'\'' => {
                let escapes = match flavor {
                    SqlFlavor::MySql => true,
                    // `E'...'`, but not the end of an identifier such as `time'...'`.
                    SqlFlavor::Standard => {
                        i > 0
                            && matches!(bytes[i - 1], b'E' | b'e')
                            && !(i > 1 && is_identifier_byte(bytes[i - 2]))
                    }
                };
                i = quoted_end(bytes, i, b'\'', escapes);
            }
            b'"' => i = quoted_end(bytes, i, b'"', flavor == SqlFlavor::MySql),
            b'`' => i = quoted_end(bytes, i, b'`', false),
            // `$` inside an identifier (`a$b`) opens nothing.
            b'$' if !after_identifier && flavor == SqlFlavor::Standard => {
                i = dollar_quoted_end(sql, i)
            }
            other => {
                has_code |= !other.is_ascii_whitespace();
                i += 1;
                continue;
            }
        }
        has_code = true;
    }
    segments.push(Segment {
        start,
        end: bytes.len(),
        has_code,
    });
    segments
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Index just past a (possibly nested) block comment starting at `start`.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Index just past a quoted run opened at `start`; a doubled quote is an
/// escaped quote, and with `backslash_escapes` so is `\'`.
fn quoted_end(bytes: &[u8], start: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' {
            i += 2;
        } else if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Index just past a `$tag$ ... $tag$` string opened at `start`, or just past
/// the `$` when it does not open one (a `$1` parameter, say).
fn dollar_quoted_end(sql: &str, start: usize) -> usize {
    let bytes = sql.as_bytes();
    let tag_len = bytes[start + 1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'));
    let Some(tag_len) = tag_len else {
        return bytes.len();
    };
    let tag_end = start + 1 + tag_len;
    let opens = bytes[tag_end] == b'$' && !bytes.get(start + 1).is_some_and(u8::is_ascii_digit);
    if !opens {
        return start + 1;
    }
    let tag = &bytes[start..=tag_end];
    find_from(bytes, tag_end + 1, tag).map_or(bytes.len(), |close| close + tag.len())
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\", E'it\\'s;');\n\
                   /* one; /* nested; */ still; */ SELECT 2; -- trailing; comment\n\
                   DO $body$ BEGIN PERFORM 1; END $body$;\n\
                   SELECT $1, $$x;y$$";
        assert_eq!(
            split_statements(sql),
            [
                "INSERT INTO t VALUES ('a;b', \"c;d\", E'it\\'s;')",
                "/* one; /* nested; */ still; */ SELECT 2",
                "-- trailing; comment\nDO $body$ BEGIN PERFORM 1; END $body$",
                "SELECT $1, $$x;y$$",
            ]
        );
    }

    #[test]
    fn identifiers_are_not_quotes() {
        assert_eq!(
            split_statements("SELECT a$b$c FROM t; SELECT time'10:00;'"),
            ["SELECT a$b$c FROM t", "SELECT time'10:00;'"]
        );
    }

    #[test]
    fn mysql_backslash_escapes_and_hash_comments() {
        use super::{needs_terminator, SqlFlavor};
        let sql = "INSERT INTO t VALUES ('it\\'s; fine', \"a\\\"b;\");\n# the end;";
        assert!(!needs_terminator(sql, SqlFlavor::MySql));
        assert!(needs_terminator(
            "SELECT 1 # no semicolon",
            SqlFlavor::MySql
        ));
        assert!(!needs_terminator("", SqlFlavor::Standard));
    }

    #[test]
    fn drops_empty_and_comment_only_statements() {
        assert_eq!(
            split_statements(";; -- nothing\n; /* x */ ;\n"),
            Vec::<&str>::new()
        );
        assert_eq!(split_statements("SELECT 1;\n-- the end\n"), ["SELECT 1"]);
        assert_eq!(
            split_statements("SELECT 'unterminated"),
            ["SELECT 'unterminated"]
        );
        assert_eq!(split_statements("SELECT $"), ["SELECT $"]);
    }
}
