//! SQLite's SQL text, for what its pragmas do not tell: a tokenizer that
//! follows SQLite's own (quotes, comments, numbers), a canonical spacing
//! of tokens, and readers of the stored `CREATE TABLE` and `CREATE INDEX`
//! statements.
//!
//! SQLite accepted every text read here, so the readers need not validate
//! it; they must only never misread a quoted name, a string or a comment as
//! a keyword or a bracket, and never fail: what they cannot find stays
//! unknown.

use crate::schema::model::Check;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A keyword or an unquoted identifier.
    Word,
    /// An identifier in `"..."`, `` `...` `` or `[...]`.
    Quoted,
    /// A string literal `'...'`.
    String,
    Number,
    /// `x'00ff'`.
    Blob,
    /// `?1`, `:name`, `@name`, `$name`.
    Variable,
    /// An operator or punctuation, one to three characters.
    Punct,
}

/// A token: its kind and its text as written (quotes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Where it ends in the statement, in bytes.
    pub end: usize,
}

impl Token<'_> {
    fn is(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text == punct
    }

    /// A keyword (or identifier) spelled `word`, in any case.
    pub(super) fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(word)
    }

    /// The name it stands for: quotes removed, doubled quotes undone.
    pub(super) fn name(&self) -> String {
        let text = self.text;
        let inner = |quote: char| {
            let body = text.strip_prefix(quote).unwrap_or(text);
            let body = body.strip_suffix(quote).unwrap_or(body);
            body.replace(&format!("{quote}{quote}"), &quote.to_string())
        };
        match (self.kind, text.chars().next()) {
            (Kind::Quoted, Some('[')) => {
                let body = text.strip_prefix('[').unwrap_or(text);
                body.strip_suffix(']').unwrap_or(body).to_owned()
            }
            (Kind::Quoted | Kind::String, Some(quote)) => inner(quote),
            _ => text.to_owned(),
        }
    }
}

/// The tokens of `sql`, without whitespace and comments. Total: an
/// unterminated quote or comment runs to the end, an unknown character is
/// a token of its own.
pub(super) fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let next = |offset: usize| rest.get(offset).copied().unwrap_or(0);
        let (kind, len) = match rest[0] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                at += 1;
                continue;
            }
            b'-' if next(1) == b'-' => {
                at += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                continue;
            }
            b'/' if next(1) == b'*' => {
                at += rest[2..]
                    .windows(2)
                    .position(|pair| pair == b"*/")
                    .map_or(rest.len(), |end| end + 4);
                continue;
            }
            b'\'' => (Kind::String, quoted_len(rest, b'\'')),
            b'"' | b'`' => (Kind::Quoted, quoted_len(rest, rest[0])),
            b'[' => (
                Kind::Quoted,
                rest.iter()
                    .position(|&b| b == b']')
                    .map_or(rest.len(), |end| end + 1),
            ),
            b'x' | b'X' if next(1) == b'\'' => (Kind::Blob, 1 + quoted_len(&rest[1..], b'\'')),
            b'0'..=b'9' => (Kind::Number, number_len(rest)),
            b'.' if next(1).is_ascii_digit() => (Kind::Number, number_len(rest)),
            b'?' => (
                Kind::Variable,
                1 + rest[1..].iter().take_while(|b| b.is_ascii_digit()).count(),
            ),
            b'$' | b'@' | b':' | b'#' if is_identifier_byte(next(1)) => {
                (Kind::Variable, 1 + identifier_len(&rest[1..]))
            }
            b if is_identifier_start(b) => (Kind::Word, identifier_len(rest)),
            _ => (Kind::Punct, punct_len(rest)),
        };
        // Every length ends on a character boundary (they stop at ASCII
        // bytes or at the end); a stray non-boundary would only widen the
        // token to the next one.
        let mut end = (at + len.max(1)).min(sql.len());
        while !sql.is_char_boundary(end) {
            end += 1;
        }
        tokens.push(Token {
            kind,
            text: &sql[at..end],
            end,
        });
        at = end;
    }
    tokens
}

/// A quoted token's length: up to the closing quote that is not doubled.
fn quoted_len(rest: &[u8], quote: u8) -> usize {
    let mut at = 1;
    while at < rest.len() {
        if rest[at] == quote {
            if rest.get(at + 1) == Some(&quote) {
                at += 2;
                continue;
            }
            return at + 1;
        }
        at += 1;
    }
    rest.len()
}

fn number_len(rest: &[u8]) -> usize {
    if rest.len() > 2 && rest[0] == b'0' && matches!(rest[1], b'x' | b'X') {
        return 2 + rest[2..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() || **b == b'_')
            .count();
    }
    let digits = |from: usize| {
        rest[from.min(rest.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'_')
            .count()
    };
    let mut at = digits(0);
    if rest.get(at) == Some(&b'.') {
        at += 1 + digits(at + 1);
    }
    if matches!(rest.get(at), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(rest.get(at + 1), Some(b'+' | b'-')));
        if rest.get(at + 1 + sign).is_some_and(u8::is_ascii_digit) {
            at += 1 + sign + digits(at + 1 + sign);
        }
    }
    // As SQLite does, letters glued to a number make one (illegal) token.
    at + identifier_len(&rest[at..])
}

fn is_identifier_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_identifier_byte(b: u8) -> bool {
    is_identifier_start(b) || b.is_ascii_digit() || b == b'$'
}

fn identifier_len(rest: &[u8]) -> usize {
    rest.iter().take_while(|&&b| is_identifier_byte(b)).count()
}

fn punct_len(rest: &[u8]) -> usize {
    const LONG: [&[u8]; 10] = [
        b"->>", b"->", b"||", b"<<", b">>", b"<=", b">=", b"==", b"!=", b"<>",
    ];
    LONG.iter()
        .find(|op| rest.starts_with(op))
        .map_or(1, |op| op.len())
}

/// SQLite's keywords (`sqlite3_keyword_name`): a name spelled like one is
/// quoted when rendered, and spacing treats them as keywords.
const KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// A name SQLite reads back unchanged without quotes: ASCII letters,
/// digits and `_`, not starting with a digit, not a keyword.
fn is_plain_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !is_keyword(name)
}

/// `name`, in double quotes when SQLite would not read it back as written.
pub(super) fn quote(name: &str) -> String {
    if is_plain_name(name) {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The tokens joined with canonical spacing: one space between tokens,
/// none inside brackets, before a comma, around a qualifying dot, between a
/// function's name and its arguments, or after a sign. Only the gaps
/// between tokens change, and never so that two tokens merge (no `--`, no
/// glued words), so SQLite reads the same tokens back; the result depends
/// on the tokens alone, so it is idempotent.
pub(super) fn join(tokens: &[Token<'_>]) -> String {
    join_with(tokens, |_, _| " ")
}

/// As [`join`], with `gap` choosing each gap (given the tokens before and
/// after) where `join` puts a space.
fn join_with(tokens: &[Token<'_>], gap: impl Fn(usize, &Token<'_>) -> &'static str) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 && spaced(i.checked_sub(2).map(|j| &tokens[j]), &tokens[i - 1], token) {
            out.push_str(gap(i, token));
        }
        out.push_str(token.text);
    }
    out
}

/// Whether a space goes between `prev` and `next` (`before` precedes
/// `prev`).
fn spaced(before: Option<&Token<'_>>, prev: &Token<'_>, next: &Token<'_>) -> bool {
    let name_like = |t: &Token<'_>| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::String);
    if next.is(",") || next.is(")") || next.is(";") || prev.is("(") {
        return false;
    }
    if (next.is(".") && name_like(prev)) || (prev.is(".") && (name_like(next) || next.is("*"))) {
        return false;
    }
    if next.is("(") && prev.kind == Kind::Word {
        return is_keyword(prev.text) && !FUNCTION_KEYWORDS.iter().any(|k| prev.is_word(k));
    }
    let sign = prev.is("-") || prev.is("+") || prev.is("~");
    let operand = matches!(
        next.kind,
        Kind::Word | Kind::Quoted | Kind::String | Kind::Number | Kind::Blob | Kind::Variable
    ) || next.is("(");
    !(sign && operand && before.is_none_or(starts_operand))
}

/// Keywords that are also functions' names: `replace(x, 'a', 'b')`.
const FUNCTION_KEYWORDS: [&str; 8] = [
    "CAST", "GLOB", "IF", "LIKE", "MATCH", "RAISE", "REGEXP", "REPLACE",
];

/// Whether an operand may follow `token`, so that a sign after it is
/// unary (`= -1`, `(-1`, `THEN -1`), not a subtraction (`a - 1`).
fn starts_operand(token: &Token<'_>) -> bool {
    match token.kind {
        Kind::Punct => !token.is(")"),
        Kind::Word => {
            is_keyword(token.text)
                && ![
                    "END",
                    "NULL",
                    "CURRENT_DATE",
                    "CURRENT_TIME",
                    "CURRENT_TIMESTAMP",
                ]
                .iter()
                .any(|k| token.is_word(k))
        }
        _ => false,
    }
}

/// A `CREATE TRIGGER` statement with canonical spacing, its body's
/// statements one per line.
pub(super) fn join_trigger(tokens: &[Token<'_>]) -> String {
    let begin = tokens.iter().position(|t| t.is_word("BEGIN"));
    let last = tokens.len().saturating_sub(1);
    join_with(tokens, |i, token| {
        let after = &tokens[i - 1];
        if Some(i - 1) == begin || (after.is(";") && begin.is_some_and(|b| i > b)) {
            if i == last && token.is_word("END") {
                "\n"
            } else {
                "\n    "
            }
        } else {
            " "
        }
    })
}

/// Whether the canonical spacing of a view's or trigger's text is sure to
/// mean the same as the text: SQLite names an unaliased result column by
/// its expression's text, whitespace included (`a  +  b`), and such a name
/// can be referred to only by quoting it (`"a  +  b"`) or by a `NATURAL`
/// join, so a text with a quoted name that is not a plain word, a string
/// used as a name after a dot, or `NATURAL` is kept as written. (The view's
/// own column names are checked against the database by the caller.)
pub(super) fn spacing_is_safe(tokens: &[Token<'_>]) -> bool {
    let plain_word = |name: String| !name.is_empty() && name.bytes().all(is_identifier_byte);
    tokens
        .iter()
        .enumerate()
        .all(|(i, token)| match token.kind {
            Kind::Quoted => plain_word(token.name()),
            Kind::String => {
                let dot =
                    |j: Option<usize>| j.and_then(|j| tokens.get(j)).is_some_and(|t| t.is("."));
                !dot(i.checked_sub(1)) && !dot(Some(i + 1))
            }
            Kind::Word => !token.is_word("NATURAL"),
            _ => true,
        })
}

/// Whether `name` (a view's column) reads back the same after canonical
/// spacing.
pub(super) fn spacing_keeps(name: &str) -> bool {
    join(&tokenize(name)) == name
}

/// `tokens`, a table's expression, with the quotes taken off the names of
/// `columns` where SQLite reads them the same without (what `ALTER TABLE
/// ... RENAME COLUMN` adds): in a `CHECK`, an index or a generated column
/// a name can only be one of the table's columns.
pub(super) fn unquote_columns<'a>(tokens: &[Token<'a>], columns: &[String]) -> Vec<Token<'a>> {
    tokens
        .iter()
        .map(|token| {
            let name = token.name();
            let bare = token.kind == Kind::Quoted
                && is_plain_name(&name)
                && columns.iter().any(|c| c.eq_ignore_ascii_case(&name));
            match token.text.get(1..token.text.len().saturating_sub(1)) {
                Some(text) if bare => Token {
                    kind: Kind::Word,
                    text,
                    end: token.end,
                },
                _ => *token,
            }
        })
        .collect()
}

/// The index of the bracket that closes the one at `open`, if any.
fn closing(tokens: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.is("(") {
            depth += 1;
        } else if token.is(")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The tokens inside the brackets at `open`, and the index after them.
fn group<'t, 'a>(tokens: &'t [Token<'a>], open: usize) -> (&'t [Token<'a>], usize) {
    match closing(tokens, open) {
        Some(close) => (&tokens[open + 1..close], close + 1),
        None => (tokens.get(open + 1..).unwrap_or(&[]), tokens.len()),
    }
}

/// `tokens` split at the commas outside brackets.
fn split_commas<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, token) in tokens.iter().enumerate() {
        if token.is("(") {
            depth += 1;
        } else if token.is(")") {
            depth = depth.saturating_sub(1);
        } else if token.is(",") && depth == 0 {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// What a `CREATE TABLE` statement says that its pragmas do not.
#[derive(Debug, Default)]
pub(super) struct TableText {
    /// The columns, in order.
    pub columns: Vec<ColumnText>,
    /// Column and table `CHECK`s, in order, spaced canonically.
    pub checks: Vec<Check>,
    /// Column and table foreign keys, in order.
    pub foreign_keys: Vec<ForeignKeyText>,
}

#[derive(Debug, Default)]
pub(super) struct ColumnText {
    pub name: String,
    /// `COLLATE`, as written (unquoted).
    pub collation: Option<String>,
    /// A generated column's expression, spaced canonically.
    pub generated: Option<String>,
    /// `PRIMARY KEY AUTOINCREMENT`.
    pub autoincrement: bool,
}

#[derive(Debug)]
pub(super) struct ForeignKeyText {
    pub columns: Vec<String>,
    pub table: String,
    /// `DEFERRABLE INITIALLY DEFERRED`, the one form SQLite defers.
    pub deferred: bool,
}

impl TableText {
    pub(super) fn column(&self, name: &str) -> Option<&ColumnText> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Reads a stored `CREATE TABLE` statement.
pub(super) fn read_table(sql: &str) -> TableText {
    let tokens = tokenize(sql);
    let mut table = TableText::default();
    let Some(open) = tokens.iter().position(|t| t.is("(")) else {
        return table;
    };
    let (body, _) = group(&tokens, open);
    let definitions = split_commas(body);
    // A column's name is its definition's first token; a table constraint
    // starts with one of these keywords, which a column's name cannot be
    // unquoted.
    let is_constraint = |first: &Token<'_>| {
        ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| first.is_word(k))
    };
    let mut checks = Vec::new();
    for definition in &definitions {
        match definition.split_first() {
            Some((first, rest)) if !is_constraint(first) => {
                let mut column = ColumnText {
                    name: first.name(),
                    ..ColumnText::default()
                };
                read_constraints(rest, Some(&mut column), &mut checks, &mut table);
                table.columns.push(column);
            }
            Some(_) => read_constraints(definition, None, &mut checks, &mut table),
            None => {}
        }
    }
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    table.checks = checks
        .into_iter()
        .map(|(name, tokens)| Check {
            name,
            expression: join(&unquote_columns(tokens, &names)),
        })
        .collect();
    for column in &mut table.columns {
        if let Some(expression) = &column.generated {
            column.generated = Some(join(&unquote_columns(&tokenize(expression), &names)));
        }
    }
    table
}

/// The constraints of one column (after its name) or one table constraint
/// definition. `checks` collects the `CHECK`s' names and tokens, spaced
/// once every column's name is known.
fn read_constraints<'t, 'a>(
    tokens: &'t [Token<'a>],
    mut column: Option<&mut ColumnText>,
    checks: &mut Vec<(Option<String>, &'t [Token<'a>])>,
    table: &mut TableText,
) {
    let mut name: Option<String> = None;
    let mut fk_columns: Option<Vec<String>> = None;
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        let next_is_group = tokens.get(i + 1).is_some_and(|t| t.is("("));
        if token.is("(") {
            i = group(tokens, i).1;
            continue;
        }
        if token.kind != Kind::Word {
            i += 1;
            continue;
        }
        if token.is_word("CONSTRAINT") {
            name = tokens.get(i + 1).map(Token::name);
            i += 2;
            continue;
        }
        if token.is_word("CHECK") && next_is_group {
            // A name holds for every constraint after it up to the next
            // name or comma, as SQLite reads it.
            let (expression, after) = group(tokens, i + 1);
            checks.push((name.clone(), expression));
            i = after;
        } else if token.is_word("DEFAULT") {
            i += match tokens.get(i + 1) {
                Some(t) if t.is("(") => group(tokens, i + 1).1 - i,
                Some(t) if t.is("-") || t.is("+") => 3,
                _ => 2,
            };
        } else if let (true, Some(column)) = (token.is_word("COLLATE"), column.as_deref_mut()) {
            column.collation = tokens.get(i + 1).map(Token::name);
            i += 2;
        } else if let (true, true, Some(column)) =
            (token.is_word("AS"), next_is_group, column.as_deref_mut())
        {
            let (expression, after) = group(tokens, i + 1);
            column.generated = Some(join(expression));
            i = after;
        } else if let (true, Some(column)) = (token.is_word("AUTOINCREMENT"), column.as_deref_mut())
        {
            column.autoincrement = true;
            i += 1;
        } else if token.is_word("FOREIGN") {
            // FOREIGN KEY (columns): the REFERENCES that follows is theirs.
            let open = tokens[i..].iter().position(|t| t.is("(")).map(|p| p + i);
            match open {
                Some(open) => {
                    let (list, after) = group(tokens, open);
                    fk_columns = Some(names_of(list));
                    i = after;
                }
                None => i += 1,
            }
        } else if token.is_word("REFERENCES") {
            let columns = fk_columns
                .take()
                .or_else(|| column.as_deref().map(|c| vec![c.name.clone()]))
                .unwrap_or_default();
            let (foreign_key, after) = read_references(tokens, i, columns);
            table.foreign_keys.push(foreign_key);
            i = after;
        } else {
            i += 1;
        }
    }
}

/// The names in a bracketed list (`a, "b" DESC`: each item's first token).
fn names_of(list: &[Token<'_>]) -> Vec<String> {
    split_commas(list)
        .iter()
        .filter_map(|item| item.first().map(Token::name))
        .collect()
}

/// The `REFERENCES table [(columns)] [clauses]` at `at`: the foreign key
/// and the index after it.
fn read_references(
    tokens: &[Token<'_>],
    at: usize,
    columns: Vec<String>,
) -> (ForeignKeyText, usize) {
    let table = tokens.get(at + 1).map(Token::name).unwrap_or_default();
    let mut i = at + 2;
    if tokens.get(i).is_some_and(|t| t.is("(")) {
        i = group(tokens, i).1;
    }
    let mut deferred = false;
    let word = |i: usize, word: &str| tokens.get(i).is_some_and(|t| t.is_word(word));
    loop {
        if word(i, "ON") {
            // ON DELETE|UPDATE SET NULL|SET DEFAULT|NO ACTION|CASCADE|RESTRICT
            i += if word(i + 2, "SET") || word(i + 2, "NO") {
                4
            } else {
                3
            };
        } else if word(i, "MATCH") {
            i += 2;
        } else if word(i, "NOT") && word(i + 1, "DEFERRABLE") {
            deferred = false;
            i += 2;
        } else if word(i, "DEFERRABLE") {
            deferred = false;
            i += 1;
        } else if word(i, "INITIALLY") {
            // SQLite defers only DEFERRABLE INITIALLY DEFERRED.
            deferred = word(i + 1, "DEFERRED") && !word(i.saturating_sub(2), "NOT");
            i += 2;
        } else {
            break;
        }
    }
    let foreign_key = ForeignKeyText {
        columns,
        table,
        deferred,
    };
    (foreign_key, i)
}

/// What a `CREATE INDEX` statement says that its pragmas do not: each key
/// part's text and the `WHERE` condition.
pub(super) struct IndexText<'t, 'a> {
    pub parts: Vec<&'t [Token<'a>]>,
    pub predicate: Option<&'t [Token<'a>]>,
}

/// Reads the tokens of a stored `CREATE INDEX` statement.
pub(super) fn read_index<'t, 'a>(tokens: &'t [Token<'a>]) -> IndexText<'t, 'a> {
    let Some(open) = tokens.iter().position(|t| t.is("(")) else {
        return IndexText {
            parts: Vec::new(),
            predicate: None,
        };
    };
    let (list, after) = group(tokens, open);
    let predicate = match tokens.get(after) {
        Some(t) if t.is_word("WHERE") => tokens.get(after + 1..),
        _ => None,
    };
    IndexText {
        parts: split_commas(list),
        predicate,
    }
}

/// A key part's expression without its `ASC` / `DESC` (the pragma says
/// which).
pub(super) fn without_order<'t, 'a>(part: &'t [Token<'a>]) -> &'t [Token<'a>] {
    match part.split_last() {
        Some((last, rest)) if last.is_word("ASC") || last.is_word("DESC") => rest,
        _ => part,
    }
}

/// The text from the first token to the end of the last one: a stored
/// statement without the comment SQLite keeps after a view's last token.
pub(super) fn trimmed<'a>(sql: &'a str, tokens: &[Token<'_>]) -> &'a str {
    let end = tokens.last().map_or(0, |t| t.end);
    sql.get(..end).unwrap_or(sql).trim_start()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Pieces of SQL that merge, split or swallow each other when glued.
    fn fragment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a", "x", "e", "1", "0x", ".5", "1.", ".", "-", "+", "~", "*", "/", "(", ")", ",", ";",
            "'s'", "'", "\"q\"", "[b]", "`c`", "x'00'", "?1", "?", ":n", ":", "$v", "@", "<", ">",
            "=", "|", "!", "--", "/*", "*/", "END", "BEGIN", "SELECT", "CAST", "NOT", "é",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Canonical spacing never merges or splits tokens (SQLite reads
        /// back the same statement), and spacing its result again changes
        /// nothing, whatever the text (unterminated quotes and comments
        /// included).
        #[test]
        fn spacing_keeps_every_token_and_is_idempotent(
            sql in prop_oneof![
                prop::collection::vec((fragment(), "[ \n]{0,2}"), 0..24).prop_map(|parts| {
                    parts.into_iter().map(|(token, gap)| format!("{token}{gap}")).collect()
                }),
                "(?s).{0,40}",
            ]
        ) {
            let kinds = |tokens: &[Token<'_>]| -> Vec<(Kind, String)> {
                tokens.iter().map(|t| (t.kind, t.text.to_owned())).collect()
            };
            let tokens = tokenize(&sql);
            for joined in [join(&tokens), join_trigger(&tokens)] {
                let again = tokenize(&joined);
                prop_assert_eq!(kinds(&again), kinds(&tokens), "{:?}", joined);
                prop_assert_eq!(join(&again), join(&tokens));
            }
        }
    }

    fn texts(sql: &str) -> Vec<&str> {
        tokenize(sql).iter().map(|t| t.text).collect()
    }

    #[test]
    fn quotes_and_comments_hide_what_they_hold() {
        assert_eq!(
            texts("a -- ( b\n'it''s (' \"x\"\"y\" [z w] /* ) */ `q`"),
            ["a", "'it''s ('", "\"x\"\"y\"", "[z w]", "`q`"]
        );
        assert_eq!(tokenize("\"x\"\"y\"")[0].name(), "x\"y");
        assert_eq!(tokenize("[z w]")[0].name(), "z w");
        assert_eq!(
            texts("1.5e-3 .5 0x1F x'00' ?1 :n a.b"),
            ["1.5e-3", ".5", "0x1F", "x'00'", "?1", ":n", "a", ".", "b"]
        );
        assert_eq!(
            texts("a->>'$.b' <> c||d"),
            ["a", "->>", "'$.b'", "<>", "c", "||", "d"]
        );
        assert_eq!(texts("'open /* -- "), ["'open /* -- "]);
    }

    #[test]
    fn spacing_is_canonical() {
        let spaced = |sql: &str| join(&tokenize(sql));
        assert_eq!(spaced("length( title )>0"), "length(title) > 0");
        assert_eq!(spaced("x IN(1,2)AND y=- 1"), "x IN (1, 2) AND y = -1");
        assert_eq!(spaced("a - -1"), "a - -1");
        assert_eq!(spaced("a -\n-1"), "a - -1");
        assert_eq!(spaced("t . c + count( * )"), "t.c + count(*)");
        assert_eq!(spaced("CAST (x AS int)"), "CAST(x AS int)");
    }

    #[test]
    fn table_text_yields_what_pragmas_do_not() {
        let table = read_table(
            "CREATE TABLE \"t\" (id integer primary key autoincrement, \"b c\" text collate \"nocase\" \
             constraint pos check (\"b c\" <> ''), g as (\"id\" * 2) stored, \
             p int references parent deferrable initially deferred not null, \
             constraint both check(id>0) foreign key (id, g) references other (x, y) on delete set null)",
        );
        let id = table.column("ID").unwrap();
        assert!(id.autoincrement);
        assert_eq!(
            table.column("b c").unwrap().collation.as_deref(),
            Some("nocase")
        );
        assert_eq!(
            table.column("g").unwrap().generated.as_deref(),
            Some("id * 2")
        );
        assert_eq!(
            table.checks,
            [
                Check {
                    name: Some("pos".into()),
                    expression: "\"b c\" <> ''".into()
                },
                Check {
                    name: Some("both".into()),
                    expression: "id > 0".into()
                },
            ]
        );
        let fks: Vec<_> = table
            .foreign_keys
            .iter()
            .map(|fk| (fk.columns.join(","), fk.table.as_str(), fk.deferred))
            .collect();
        assert_eq!(
            fks,
            [
                ("p".to_owned(), "parent", true),
                ("id,g".to_owned(), "other", false)
            ]
        );
    }
}
