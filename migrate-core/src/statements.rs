//! Splitting scripts into statements: a small SQL lexer that knows quotes,
//! comments, block bodies and (for MySQL) the client's `DELIMITER` lines.

use std::ops::Range;

/// Splits a script into its statements at top-level semicolons, for running
/// them one at a time (PostgreSQL runs a multi-statement query string as one
/// implicit transaction, which `-- migrate:no-transaction` must avoid).
/// Same as [`split_statements_for`] with [`SqlFlavor::Standard`].
///
/// Semicolons inside quotes (`'...'`, `"..."`, `` `...` ``, `E'\''`), dollar
/// quotes (`$$...$$`, `$tag$...$tag$`), comments (`--`, nested `/* */`),
/// parentheses and block bodies (`BEGIN ATOMIC ... END`, trigger bodies,
/// `CASE ... END`) do not split. Statements that are empty or only comments
/// are dropped.
///
/// ```
/// let sql = "CREATE INDEX CONCURRENTLY a ON t (x);\n-- next\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;";
/// let statements = migrata_core::split_statements(sql);
/// assert_eq!(statements.len(), 2);
/// assert!(statements[1].ends_with("LANGUAGE sql"));
/// ```
pub fn split_statements(sql: &str) -> Vec<&str> {
    split_statements_for(sql, SqlFlavor::Standard)
}

/// Splits a script into the statements a server should receive one at a
/// time, per the lexical rules of `flavor`.
///
/// Besides what [`split_statements`] does, with [`SqlFlavor::MySql`] this
/// reads the `mysql` client's `DELIMITER xx` lines as the client does: they
/// are not statements, and until the next one a statement ends at `xx`
/// instead of `;`. The statements returned contain neither the `DELIMITER`
/// lines nor the delimiters. Without `DELIMITER` lines, the `;` inside a
/// `CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT ... BEGIN ... END` body does not
/// split either. A leading UTF-8 BOM is skipped.
///
/// ```
/// use migrata_core::{split_statements_for, SqlFlavor};
/// let sql = "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\nDELIMITER ;\nCALL p();";
/// assert_eq!(
///     split_statements_for(sql, SqlFlavor::MySql),
///     ["CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "CALL p()"],
/// );
/// ```
pub fn split_statements_for(sql: &str, flavor: SqlFlavor) -> Vec<&str> {
    statement_ranges(sql, flavor)
        .into_iter()
        .map(|range| &sql[range])
        .collect()
}

/// One statement of a script, as [`script_statements`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScriptStatement<'a> {
    /// The statement, as [`split_statements_for`] returns it.
    pub text: &'a str,
    /// 1-based line of its first word in the script (numbered as
    /// [`row_writes`] numbers them), so a runner can name the statement
    /// that failed.
    pub line: usize,
    /// That first word, as written; `None` where the statement starts
    /// with something else (a `(`, a MySQL `/*! */` comment).
    pub verb: Option<&'a str>,
}

/// [`split_statements_for`], each statement with its line and first word.
///
/// ```
/// use migrata_core::{script_statements, SqlFlavor};
/// let sql = "CREATE TABLE t (id INT);\n\n# seed\ncall seed();\n";
/// let statements = script_statements(sql, SqlFlavor::MySql);
/// assert_eq!(statements.len(), 2);
/// assert_eq!((statements[1].line, statements[1].verb), (4, Some("call")));
/// assert_eq!(statements[1].text, "# seed\ncall seed()");
/// ```
pub fn script_statements(sql: &str, flavor: SqlFlavor) -> Vec<ScriptStatement<'_>> {
    let (mut line, mut counted) = (1, 0);
    statement_ranges(sql, flavor)
        .into_iter()
        .map(|range| {
            let text = &sql[range.clone()];
            let first_word = leading_words(text, flavor, 1).into_iter().next();
            let start = range.start + first_word.map_or(0, |(offset, _)| offset);
            line += sql[counted..start].matches('\n').count();
            counted = start;
            ScriptStatement {
                text,
                line,
                verb: first_word.map(|(_, word)| word),
            }
        })
        .collect()
}

/// Cuts a script into batches of whole statements of about `max_bytes` each
/// (a statement longer than that is a batch of its own), in order: the
/// batches, concatenated, are the script. Each cut falls where the next
/// statement begins (its leading comments included), so a statement's `;`
/// stays with it. SQL lexical rules of [`SqlFlavor::Standard`]; a script shorter
/// than `max_bytes` is one batch.
///
/// For SQLite, which copies the whole remaining query string each time it
/// prepares the next statement of it: a long script sent at once costs time
/// quadratic in its length, sent in batches linear.
///
/// ```
/// let sql = "INSERT INTO t VALUES (1);\n-- two\nINSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n";
/// let batches = migrata_core::statement_batches(sql, 40);
/// assert_eq!(batches, ["INSERT INTO t VALUES (1);\n", "-- two\nINSERT INTO t VALUES (2);\n", "INSERT INTO t VALUES (3);\n"]);
/// assert_eq!(batches.concat(), sql);
/// assert_eq!(migrata_core::statement_batches(sql, 4096), [sql]);
/// ```
pub fn statement_batches(sql: &str, max_bytes: usize) -> Vec<&str> {
    if sql.len() <= max_bytes {
        return vec![sql];
    }
    let starts: Vec<usize> = statement_ranges(sql, SqlFlavor::Standard)
        .into_iter()
        .map(|range| range.start)
        .skip(1)
        .chain([sql.len()])
        .collect();
    let (mut batches, mut start, mut end) = (Vec::new(), 0, 0);
    for next in starts {
        if next - start > max_bytes && end > start {
            batches.push(&sql[start..end]);
            start = end;
        }
        end = next;
    }
    batches.push(&sql[start..end]);
    batches
}

/// Whether a script holds no statement at all: it is empty, or only a UTF-8
/// BOM, whitespace, comments, empty statements (`;`) and, for MySQL,
/// `DELIMITER` lines. Running such a script is a no-op, and some servers
/// reject it (MySQL: `1065 Query was empty`), so a runner should skip it.
///
/// ```
/// use migrata_core::{has_no_statements, SqlFlavor};
/// assert!(has_no_statements("\u{feff}-- nothing yet\n/* really */ ;\n", SqlFlavor::Standard));
/// assert!(has_no_statements("# MySQL comment\nDELIMITER $$\n", SqlFlavor::MySql));
/// assert!(!has_no_statements("/*!40101 SET NAMES utf8mb4 */;", SqlFlavor::MySql));
/// assert!(!has_no_statements("SELECT 1", SqlFlavor::Standard));
/// ```
pub fn has_no_statements(sql: &str, flavor: SqlFlavor) -> bool {
    scan(sql, flavor)
        .segments
        .iter()
        .all(|segment| !segment.has_code)
}

/// The lexical rules a script is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlFlavor {
    /// SQLite and PostgreSQL: a backslash escapes only in `E'...'`, `$$`
    /// quotes, `/* */` comments nest.
    Standard,
    /// MySQL/MariaDB: a backslash escapes in every quoted string, `#` starts
    /// a comment, `--` is a comment only when followed by a space, `/*! */`
    /// is code, and the client's `DELIMITER` lines are understood.
    MySql,
}

/// Whether a script's last statement lacks its closing delimiter (ignoring
/// trailing whitespace and comments), so that a script can be followed by
/// another statement without gluing the two together or adding an empty one.
/// The delimiter to append is [`final_delimiter`].
///
/// ```
/// use migrata_core::{needs_terminator, SqlFlavor};
/// assert!(needs_terminator("SELECT 1", SqlFlavor::Standard));
/// assert!(!needs_terminator("SELECT 1; -- done\n", SqlFlavor::Standard));
/// assert!(!needs_terminator(r"INSERT INTO t VALUES ('it\'s; fine');", SqlFlavor::MySql));
/// assert!(needs_terminator("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END", SqlFlavor::MySql));
/// ```
pub fn needs_terminator(sql: &str, flavor: SqlFlavor) -> bool {
    scan(sql, flavor)
        .segments
        .last()
        .is_some_and(|segment| segment.has_code)
}

/// The statement delimiter in effect at the end of a script: `;`, unless a
/// MySQL script's `DELIMITER` line changed it and no later one set it back.
/// Text appended after such a script for the `mysql` client must first say
/// `DELIMITER ;`.
///
/// ```
/// use migrata_core::{final_delimiter, SqlFlavor};
/// assert_eq!(final_delimiter("DELIMITER $$\nCREATE PROCEDURE p() SELECT 1$$\n", SqlFlavor::MySql), "$$");
/// assert_eq!(final_delimiter("DELIMITER $$\nSELECT 1$$\nDELIMITER ;\n", SqlFlavor::MySql), ";");
/// assert_eq!(final_delimiter("DELIMITER $$\n", SqlFlavor::Standard), ";");
/// ```
pub fn final_delimiter(sql: &str, flavor: SqlFlavor) -> &str {
    scan(sql, flavor).delimiter
}

/// A statement that writes rows rather than schema: what a dump of the
/// schema a script leaves behind does not hold (see [`row_writes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowWrite {
    /// 1-based line of the statement's first word.
    pub line: usize,
    /// That word, uppercase: `INSERT`, `UPDATE`, ...
    pub verb: String,
}

/// The words that start a statement writing rows. `WITH` leads one of the
/// others in a migration (a migration has no use for a bare query).
const ROW_WRITING: [&str; 8] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "COPY", "LOAD", "WITH",
];

/// The statements of a script that write rows (seed data, backfills), by
/// their first word: a squash replaces the script by a dump of the schema,
/// which holds none of those rows.
///
/// ```
/// use migrata_core::{row_writes, SqlFlavor};
/// let sql = "CREATE TABLE roles (name TEXT);\n-- seed\ninsert into roles VALUES ('admin');\nSELECT 'UPDATE';";
/// let writes = row_writes(sql, SqlFlavor::Standard);
/// assert_eq!(writes.len(), 1);
/// assert_eq!((writes[0].line, writes[0].verb.as_str()), (3, "INSERT"));
/// ```
pub fn row_writes(sql: &str, flavor: SqlFlavor) -> Vec<RowWrite> {
    statement_ranges(sql, flavor)
        .into_iter()
        .filter_map(|range| {
            let statement = &sql[range.clone()];
            let (offset, word) = leading_words(statement, flavor, 1).into_iter().next()?;
            let verb = word.to_ascii_uppercase();
            ROW_WRITING.contains(&verb.as_str()).then(|| RowWrite {
                line: sql[..range.start + offset].matches('\n').count() + 1,
                verb,
            })
        })
        .collect()
}

/// The offset of a statement's first keyword: where its text starts once
/// leading whitespace and comments (`--`, nested `/* */`) are skipped. The
/// lint numbers a statement by this line, and lock traces do too, so the two
/// name a statement alike.
///
/// ```
/// let statement = "-- why\n/* more */ ALTER TABLE t ADD c int";
/// assert_eq!(&statement[migrata_core::code_offset(statement)..], "ALTER TABLE t ADD c int");
/// ```
pub fn code_offset(text: &str) -> usize {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if trimmed.starts_with("--") {
            rest = trimmed.find('\n').map_or("", |newline| &trimmed[newline..]);
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            let mut depth = 1;
            let mut index = 0;
            let bytes = comment.as_bytes();
            while depth > 0 && index < bytes.len() {
                if bytes[index..].starts_with(b"/*") {
                    depth += 1;
                    index += 2;
                } else if bytes[index..].starts_with(b"*/") {
                    depth -= 1;
                    index += 2;
                } else {
                    index += 1;
                }
            }
            rest = &comment[index..];
        } else {
            return text.len() - trimmed.len();
        }
    }
}

/// The byte ranges of a script's statements, trimmed, without empty ones.
pub(crate) fn statement_ranges(sql: &str, flavor: SqlFlavor) -> Vec<Range<usize>> {
    scan(sql, flavor)
        .segments
        .into_iter()
        .filter(|segment| segment.has_code)
        .map(|segment| {
            let text = &sql[segment.start..segment.end];
            let start = segment.start + (text.len() - text.trim_start().len());
            start..start + text.trim().len()
        })
        .filter(|range| !range.is_empty())
        .collect()
}

/// The words a statement starts with, up to `limit`, skipping whitespace and
/// comments and stopping at the first token that is not a word.
pub(crate) fn leading_words(
    statement: &str,
    flavor: SqlFlavor,
    limit: usize,
) -> Vec<(usize, &str)> {
    let mut lexer = Lexer::new(statement, flavor);
    let mut words = Vec::new();
    while words.len() < limit {
        match lexer.next_token(false) {
            Some((Token::Space | Token::Comment, _)) => {}
            Some((Token::Word, range)) => words.push((range.start, &statement[range])),
            _ => break,
        }
    }
    words
}

/// Every word of a statement outside quotes and comments, with its offset.
pub(crate) fn words(statement: &str, flavor: SqlFlavor) -> Vec<(usize, &str)> {
    let mut lexer = Lexer::new(statement, flavor);
    let mut words = Vec::new();
    while let Some((token, range)) = lexer.next_token(false) {
        if token == Token::Word {
            words.push((range.start, &statement[range]));
        }
    }
    words
}

/// A stretch of a script between top-level delimiters.
struct Segment {
    start: usize,
    end: usize,
    /// Whether it holds anything but whitespace and comments.
    has_code: bool,
}

struct Scan<'a> {
    segments: Vec<Segment>,
    /// The delimiter in effect at the end.
    delimiter: &'a str,
}

fn scan(sql: &str, flavor: SqlFlavor) -> Scan<'_> {
    let mut lexer = Lexer::new(sql, flavor);
    let mut statement = Statement::new(lexer.pos);
    let mut segments = Vec::new();
    while let Some((token, range)) = lexer.next_token(!statement.has_code) {
        match token {
            Token::DelimiterCommand => statement = Statement::new(range.end),
            // The `mysql` client ends a statement at a custom delimiter
            // wherever it appears; a `;` ends one only outside bodies.
            Token::Delimiter if lexer.delimiter != ";" || statement.at_top_level() => {
                segments.push(statement.ending_at(range.start));
                statement = Statement::new(range.end);
            }
            Token::Space | Token::Comment => {}
            Token::Word => {
                statement.has_code = true;
                let qualified = range.start > 0 && sql.as_bytes()[range.start - 1] == b'.';
                if !qualified {
                    statement.on_keyword(&sql[range], flavor, || lexer.clone().following_word());
                }
            }
            Token::Open => {
                statement.has_code = true;
                statement.parens += 1;
            }
            Token::Close => {
                statement.has_code = true;
                statement.parens = statement.parens.saturating_sub(1);
            }
            Token::Delimiter | Token::Quoted | Token::Other => statement.has_code = true,
        }
    }
    segments.push(statement.ending_at(sql.len()));
    Scan {
        segments,
        delimiter: lexer.delimiter,
    }
}

/// Words after `CREATE` that make the statement a routine or trigger, whose
/// `BEGIN ... END` body holds statements of its own.
const ROUTINE_KINDS: [&str; 4] = ["FUNCTION", "PROCEDURE", "TRIGGER", "EVENT"];
/// Words that may stand between `CREATE` and the routine kind.
const CREATE_MODIFIERS: [&str; 6] = [
    "OR",
    "REPLACE",
    "TEMP",
    "TEMPORARY",
    "CONSTRAINT",
    "AGGREGATE",
];
/// MySQL's `END IF`, `END LOOP`, ... close constructs not counted as blocks.
const MYSQL_UNCOUNTED_ENDS: [&str; 5] = ["IF", "LOOP", "WHILE", "REPEAT", "FOR"];

/// What the words so far say about the statement being scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// No word yet.
    Start,
    /// `CREATE` and modifiers; the number of words of a `DEFINER = user@host`
    /// value seen, once `DEFINER` was.
    Create { definer_words: Option<u8> },
    /// A routine or trigger definition (or MariaDB's `BEGIN NOT ATOMIC`):
    /// `BEGIN` opens a body.
    Routine,
    /// Anything else.
    Other,
}

/// The statement being scanned.
struct Statement {
    start: usize,
    has_code: bool,
    parens: usize,
    /// Open `BEGIN` and `CASE` blocks.
    blocks: usize,
    head: Head,
    /// Whether the last word was `END`, so that the `CASE` of `END CASE`
    /// closes a block rather than opening one.
    after_end: bool,
}

impl Statement {
    fn new(start: usize) -> Self {
        Statement {
            start,
            has_code: false,
            parens: 0,
            blocks: 0,
            head: Head::Start,
            after_end: false,
        }
    }

    fn at_top_level(&self) -> bool {
        self.parens == 0 && self.blocks == 0
    }

    fn ending_at(&self, end: usize) -> Segment {
        Segment {
            start: self.start,
            end,
            has_code: self.has_code,
        }
    }

    /// Tracks the words that open and close bodies; `following` reads the
    /// next word, when one is needed.
    fn on_keyword<'a>(
        &mut self,
        word: &str,
        flavor: SqlFlavor,
        following: impl Fn() -> Option<&'a str>,
    ) {
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        let is_any = |keywords: &[&str]| keywords.iter().any(|keyword| is(keyword));
        if self.parens == 0 {
            self.head = match self.head {
                Head::Start if is("CREATE") => Head::Create {
                    definer_words: None,
                },
                Head::Start
                    if is("BEGIN")
                        && following().is_some_and(|w| w.eq_ignore_ascii_case("NOT")) =>
                {
                    Head::Routine
                }
                Head::Create { .. } if is_any(&ROUTINE_KINDS) => Head::Routine,
                Head::Create { .. } if is_any(&CREATE_MODIFIERS) => self.head,
                Head::Create { .. } if is("DEFINER") => Head::Create {
                    definer_words: Some(0),
                },
                Head::Create {
                    definer_words: Some(seen),
                } if seen < 2 => Head::Create {
                    definer_words: Some(seen + 1),
                },
                Head::Start | Head::Create { .. } => Head::Other,
                unchanged => unchanged,
            };
            if self.head == Head::Routine && is("BEGIN") {
                self.blocks += 1;
            }
        }
        let after_end = std::mem::replace(&mut self.after_end, is("END"));
        if is("CASE") && !after_end {
            self.blocks += 1;
        } else if is("END") {
            let closes_uncounted = flavor == SqlFlavor::MySql
                && following().is_some_and(|next| {
                    MYSQL_UNCOUNTED_ENDS
                        .iter()
                        .any(|keyword| next.eq_ignore_ascii_case(keyword))
                });
            if !closes_uncounted {
                self.blocks = self.blocks.saturating_sub(1);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// One whitespace byte.
    Space,
    Comment,
    /// A keyword or unquoted identifier.
    Word,
    /// A quoted string or identifier, or a dollar-quoted string.
    Quoted,
    Open,
    Close,
    /// The current statement delimiter.
    Delimiter,
    /// A MySQL client `DELIMITER xx` line, with its line break.
    DelimiterCommand,
    /// Any other byte of code.
    Other,
}

#[derive(Clone)]
struct Lexer<'a> {
    sql: &'a str,
    flavor: SqlFlavor,
    /// Where the text starts, after a BOM.
    content_start: usize,
    pos: usize,
    delimiter: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str, flavor: SqlFlavor) -> Self {
        let content_start = sql.len() - crate::strip_bom(sql).len();
        Lexer {
            sql,
            flavor,
            content_start,
            pos: content_start,
            delimiter: ";",
        }
    }

    /// The next token and its byte range. `DELIMITER` lines are recognized
    /// only `at_statement_start`, as the `mysql` client does.
    fn next_token(&mut self, at_statement_start: bool) -> Option<(Token, Range<usize>)> {
        let start = self.pos;
        if start >= self.sql.len() {
            return None;
        }
        let (token, end) = self.token_at(start, at_statement_start);
        self.pos = end;
        Some((token, start..end))
    }

    /// The next word, if the next token other than whitespace and comments is one.
    fn following_word(&mut self) -> Option<&'a str> {
        loop {
            match self.next_token(false)? {
                (Token::Space | Token::Comment, _) => {}
                (Token::Word, range) => return Some(&self.sql[range]),
                _ => return None,
            }
        }
    }

    fn token_at(&mut self, i: usize, at_statement_start: bool) -> (Token, usize) {
        let bytes = self.sql.as_bytes();
        let rest = &bytes[i..];
        let mysql = self.flavor == SqlFlavor::MySql;
        let at_line_start = i == self.content_start || bytes[i - 1] == b'\n';
        if mysql && at_statement_start && at_line_start {
            if let Some((delimiter, end)) = delimiter_command(self.sql, i) {
                self.delimiter = delimiter;
                return (Token::DelimiterCommand, end);
            }
        }
        if rest.starts_with(self.delimiter.as_bytes()) {
            return (Token::Delimiter, i + self.delimiter.len());
        }
        let after_identifier = i > self.content_start && is_identifier_byte(bytes[i - 1]);
        match bytes[i] {
            // MySQL needs a space after `--`: `1--1` is 1 minus -1.
            b'-' if rest.starts_with(b"--")
                && (!mysql
                    || rest
                        .get(2)
                        .is_none_or(|b| b.is_ascii_whitespace() || b.is_ascii_control())) =>
            {
                (Token::Comment, line_end(bytes, i))
            }
            b'#' if mysql => (Token::Comment, line_end(bytes, i)),
            b'/' if rest.starts_with(b"/*") => {
                // MySQL runs the text of `/*! */` (MariaDB: `/*M! */`) and
                // reads `/*+ */` as optimizer hints.
                let executable = mysql
                    && (rest.starts_with(b"/*!")
                        || rest.starts_with(b"/*M!")
                        || rest.starts_with(b"/*+"));
                let token = if executable {
                    Token::Other
                } else {
                    Token::Comment
                };
                (token, block_comment_end(bytes, i))
            }
            b'\'' => {
                let escapes = match self.flavor {
                    SqlFlavor::MySql => true,
                    // `E'...'`, but not the end of an identifier such as `time'...'`.
                    SqlFlavor::Standard => {
                        i > self.content_start
                            && matches!(bytes[i - 1], b'E' | b'e')
                            && !(i > self.content_start + 1 && is_identifier_byte(bytes[i - 2]))
                    }
                };
                (Token::Quoted, quoted_end(bytes, i, b'\'', escapes))
            }
            b'"' => (Token::Quoted, quoted_end(bytes, i, b'"', mysql)),
            b'`' => (Token::Quoted, quoted_end(bytes, i, b'`', false)),
            // `$` inside an identifier (`a$b`) opens nothing.
            b'$' if !after_identifier && !mysql => match dollar_quoted_end(self.sql, i) {
                end if end == i + 1 => (Token::Other, end),
                end => (Token::Quoted, end),
            },
            b'(' => (Token::Open, i + 1),
            b')' => (Token::Close, i + 1),
            byte if byte.is_ascii_whitespace() => (Token::Space, i + 1),
            byte if !after_identifier
                && (byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80) =>
            {
                (Token::Word, self.word_end(i))
            }
            _ => (Token::Other, i + 1),
        }
    }

    /// The end of the word at `start`; a custom delimiter ends it too
    /// (`END$$`).
    fn word_end(&self, start: usize) -> usize {
        let bytes = self.sql.as_bytes();
        let mut end = start + 1;
        while end < bytes.len()
            && is_identifier_byte(bytes[end])
            && !bytes[end..].starts_with(self.delimiter.as_bytes())
        {
            end += 1;
        }
        end
    }
}

/// A `mysql` client `DELIMITER xx` line at `start`: the new delimiter and the
/// index just past the line. As in the client, leading blanks are allowed,
/// the argument may be quoted, and the rest of the line is ignored; a line
/// the client would refuse (no argument, a backslash) is not one.
fn delimiter_command(sql: &str, start: usize) -> Option<(&str, usize)> {
    let bytes = sql.as_bytes();
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let keyword = start + bytes[start..].iter().take_while(|b| is_blank(b)).count();
    if !bytes
        .get(keyword..keyword + 9)?
        .eq_ignore_ascii_case(b"delimiter")
    {
        return None;
    }
    let blanks = bytes[keyword + 9..]
        .iter()
        .take_while(|b| is_blank(b))
        .count();
    if blanks == 0 {
        return None;
    }
    let argument_start = keyword + 9 + blanks;
    let end = line_end(bytes, argument_start);
    let line = &sql[argument_start..end];
    let argument = match line.as_bytes().first() {
        Some(&quote @ (b'\'' | b'"' | b'`')) => line[1..].split(quote as char).next().unwrap_or(""),
        _ => line
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or(""),
    };
    if argument.is_empty() || argument.contains('\\') {
        return None;
    }
    Some((argument, end))
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

/// Index just past the line break of the line holding `from` (or the end).
fn line_end(bytes: &[u8], from: usize) -> usize {
    find_from(bytes, from, b"\n").map_or(bytes.len(), |end| end + 1)
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

    /// Issue 10, item 7: `BEGIN ATOMIC ... END` bodies are one statement.
    #[test]
    fn begin_atomic_bodies_are_not_split() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                   BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT a + 1;\nEND;\n\
                   CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
                   SELECT f(1);";
        assert_eq!(
            split_statements(sql),
            [
                "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT a + 1;\nEND",
                "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END",
                "SELECT f(1)",
            ]
        );
    }

    /// Issue 10, item 7: SQLite trigger bodies (with CASE ... END inside) are one statement.
    #[test]
    fn sqlite_trigger_bodies_are_not_split() {
        let sql = "CREATE TEMP TRIGGER IF NOT EXISTS audit AFTER UPDATE ON t FOR EACH ROW\n\
                   WHEN new.x <> old.x\nBEGIN\n  INSERT INTO log VALUES (CASE WHEN new.x > 0 THEN 'up' ELSE 'down' END);\n  \
                   UPDATE t SET n = n + 1 WHERE id = new.id;\nEND;\nBEGIN;\nCOMMIT;";
        assert_eq!(
            split_statements(sql),
            [
                "CREATE TEMP TRIGGER IF NOT EXISTS audit AFTER UPDATE ON t FOR EACH ROW\nWHEN new.x <> old.x\nBEGIN\n  INSERT INTO log VALUES (CASE WHEN new.x > 0 THEN 'up' ELSE 'down' END);\n  UPDATE t SET n = n + 1 WHERE id = new.id;\nEND",
                "BEGIN",
                "COMMIT",
            ]
        );
    }

    /// Issue 10, item 6: `DELIMITER` lines are the client's, not statements;
    /// statements end at the delimiter in effect, which is not part of them.
    #[test]
    fn mysql_delimiter_lines() {
        use super::{final_delimiter, needs_terminator, split_statements_for, SqlFlavor};
        let sql = "-- procedures\n\
                   DELIMITER $$\n\
                   CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';$$'; END$$\n\
                   CREATE FUNCTION f() RETURNS INT DETERMINISTIC BEGIN RETURN 1; END $$\n\
                   delimiter ;;  # the rest of the line is ignored\n\
                   CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END;;\n\
                   \tDELIMITER '//'\n\
                   SELECT 2 // SELECT 3//\n\
                   DELIMITER ;\n\
                   CALL p();";
        assert_eq!(
            split_statements_for(sql, SqlFlavor::MySql),
            [
                // Comments before a `DELIMITER` line go with it.
                "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';$$'; END",
                "CREATE FUNCTION f() RETURNS INT DETERMINISTIC BEGIN RETURN 1; END",
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END",
                "SELECT 2",
                "SELECT 3",
                "CALL p()",
            ]
        );
        assert_eq!(final_delimiter(sql, SqlFlavor::MySql), ";");
        assert!(!needs_terminator(sql, SqlFlavor::MySql));

        let unfinished = "DELIMITER //\nCREATE PROCEDURE q() BEGIN SELECT 1; END //\n";
        assert_eq!(final_delimiter(unfinished, SqlFlavor::MySql), "//");
        assert!(!needs_terminator(unfinished, SqlFlavor::MySql));
        // Not at the start of a line, or inside a statement: text, as the client reads it.
        assert_eq!(
            split_statements_for("SELECT 1\nDELIMITER //\n;", SqlFlavor::MySql),
            ["SELECT 1\nDELIMITER //"]
        );
        assert_eq!(
            split_statements_for("/* c */ DELIMITER //\n;", SqlFlavor::MySql),
            ["/* c */ DELIMITER //"]
        );
        // Only MySQL has them.
        assert_eq!(
            split_statements_for("DELIMITER //\nSELECT 1//", SqlFlavor::Standard),
            ["DELIMITER //\nSELECT 1//"]
        );
    }

    /// Issue 10, item 6: without `DELIMITER`, a compound body is still one
    /// statement (the server parses it whole), and `END IF` / `END LOOP` /
    /// `END CASE` are told apart from the `END` of the body.
    #[test]
    fn mysql_compound_bodies_without_delimiter() {
        use super::{split_statements_for, SqlFlavor};
        let sql = "CREATE DEFINER=`root`@`%` PROCEDURE p(n INT)\n\
                   outer_block: BEGIN\n  DECLARE i INT DEFAULT 0;\n  \
                   WHILE i < n DO SET i = i + 1; END WHILE;\n  \
                   IF i > 1 THEN SELECT 1; ELSE SELECT 2; END IF;\n  \
                   CASE i WHEN 1 THEN SELECT 'one'; ELSE BEGIN SELECT 'many'; END; END CASE;\n  \
                   lp: LOOP LEAVE lp; END LOOP lp;\n\
                   END outer_block;\n\
                   CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END;\n\
                   CREATE TABLE event (begin INT, `end` INT);\n\
                   BEGIN NOT ATOMIC SELECT 1; SELECT 2; END;\n\
                   SELECT 1--1;\nSELECT 2 -- comment;\n;";
        assert_eq!(
            split_statements_for(sql, SqlFlavor::MySql),
            [
                &sql[..sql.find(" outer_block;").unwrap() + " outer_block".len()],
                "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END",
                "CREATE TABLE event (begin INT, `end` INT)",
                "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END",
                "SELECT 1--1",
                "SELECT 2 -- comment;",
            ]
        );
        // A transaction is not a body.
        assert_eq!(
            split_statements_for("BEGIN; INSERT INTO t VALUES (1); COMMIT;", SqlFlavor::MySql),
            ["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"]
        );
    }

    /// MySQL runs `/*! */` comments, so they are statements there.
    #[test]
    fn mysql_executable_comments_are_code() {
        use super::{has_no_statements, split_statements_for, SqlFlavor};
        let sql = "/*!40101 SET NAMES utf8mb4 */;\n/* plain */;";
        assert_eq!(
            split_statements_for(sql, SqlFlavor::MySql),
            ["/*!40101 SET NAMES utf8mb4 */"]
        );
        assert!(has_no_statements(sql, SqlFlavor::Standard));
    }

    /// Issue 10, item 4: a BOM is not a statement.
    #[test]
    fn bom_only_script_has_no_statements() {
        use super::{has_no_statements, SqlFlavor};
        assert_eq!(split_statements("\u{feff}"), Vec::<&str>::new());
        assert_eq!(split_statements("\u{feff}SELECT 1;"), ["SELECT 1"]);
        assert!(has_no_statements("\u{feff}\r\n", SqlFlavor::MySql));
        assert!(has_no_statements("", SqlFlavor::Standard));
    }
}
