//! A script cut into statements, each with its line, its tokens and AST
//! where the dialect can read them, and the `-- migrate:allow` directives
//! written around it.

use sqlparser::ast;
use sqlparser::dialect::Dialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// One `-- migrate:allow <rule> <reason>` line.
pub(super) struct Allow<'a> {
    /// 1-based line of the directive.
    pub line: usize,
    /// Everything after `allow`: the rule name, then the reason.
    pub args: &'a str,
}

/// One statement of a script.
pub(super) struct Statement<'a> {
    /// 1-based line of its first keyword.
    pub line: usize,
    /// Its code tokens (no whitespace or comments); `None` when the dialect's
    /// tokenizer rejected the text.
    pub tokens: Option<Vec<Token>>,
    /// The parsed statement; `None` when the parser rejected it.
    pub ast: Option<ast::Statement>,
    /// Allow directives in the comments before its first keyword.
    pub leading_allows: Vec<Allow<'a>>,
    /// Allow directives between its first keyword and its end.
    pub inner_allows: Vec<Allow<'a>>,
}

impl Statement<'_> {
    /// The unquoted words (keywords and plain identifiers), uppercased.
    pub fn words(&self) -> Vec<String> {
        self.tokens
            .iter()
            .flatten()
            .filter_map(|token| match token {
                Token::Word(word) if word.quote_style.is_none() => {
                    Some(word.value.to_ascii_uppercase())
                }
                _ => None,
            })
            .collect()
    }
}

/// Cuts `sql` into statements with the project's statement splitter, then
/// rejoins the pieces of a `CREATE TRIGGER`/`PROCEDURE`/`FUNCTION` body
/// written as `BEGIN ... END` (whose inner semicolons the splitter cuts at),
/// tokenizes and parses each statement with `dialect`.
pub(super) fn statements<'a>(sql: &'a str, dialect: &dyn Dialect) -> Vec<Statement<'a>> {
    let pieces: Vec<(usize, usize)> = migrata_core::split_statements(sql)
        .into_iter()
        .map(|piece| {
            let start = piece.as_ptr() as usize - sql.as_ptr() as usize;
            (start, start + piece.len())
        })
        .collect();
    let mut lines = LineCounter::new(sql);
    let mut statements = Vec::new();
    let mut next = 0;
    while let Some(&(start, mut end)) = pieces.get(next) {
        next += 1;
        let mut tokens = tokenize(&sql[start..end], dialect);
        while block_depth(tokens.as_deref()) > 0 {
            let Some(&(_, more)) = pieces.get(next) else {
                break;
            };
            next += 1;
            end = more;
            tokens = tokenize(&sql[start..end], dialect);
        }
        let text = &sql[start..end];
        let code = start + migrata_core::code_offset(text);
        let ast = tokens.as_ref().and_then(|tokens| parse(tokens, dialect));
        // Offsets in increasing order, so lines are counted once.
        let leading_allows = allows(sql, start, code, &mut lines);
        statements.push(Statement {
            line: lines.line_at(code),
            tokens,
            ast,
            leading_allows,
            inner_allows: allows(sql, code, end, &mut lines),
        });
    }
    statements
}

fn tokenize(text: &str, dialect: &dyn Dialect) -> Option<Vec<Token>> {
    let tokens = Tokenizer::new(dialect, text).tokenize().ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|token| !matches!(token, Token::Whitespace(_)))
            .collect(),
    )
}

fn parse(tokens: &[Token], dialect: &dyn Dialect) -> Option<ast::Statement> {
    let mut parsed = Parser::new(dialect)
        .with_tokens(tokens.to_vec())
        .parse_statements()
        .ok()?;
    // The splitter already cut at every top-level `;`: more than one
    // statement means the dialect read the text differently; trust neither.
    if parsed.len() == 1 {
        parsed.pop()
    } else {
        None
    }
}

/// How many `BEGIN`/`CASE` blocks a `CREATE ... BEGIN` piece leaves open
/// (0 for every other statement): the trigger or routine body continues in
/// the next pieces.
fn block_depth(tokens: Option<&[Token]>) -> usize {
    let Some(tokens) = tokens else {
        return 0;
    };
    let words: Vec<&str> = tokens
        .iter()
        .filter_map(|token| match token {
            Token::Word(word) if word.quote_style.is_none() => Some(word.value.as_str()),
            _ => None,
        })
        .collect();
    let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
    let opens_body = words.first().is_some_and(|first| is(first, "CREATE"))
        && words.iter().skip(1).any(|word| is(word, "BEGIN"));
    if !opens_body {
        return 0;
    }
    let mut depth: isize = 0;
    for (index, word) in words.iter().enumerate() {
        if is(word, "BEGIN") || is(word, "CASE") {
            depth += 1;
        } else if is(word, "END") {
            // `END IF`, `END LOOP`, ... close statements that opened no block.
            let closes_other = words.get(index + 1).is_some_and(|next| {
                ["IF", "LOOP", "WHILE", "REPEAT", "FOR"]
                    .iter()
                    .any(|keyword| is(next, keyword))
            });
            if !closes_other {
                depth -= 1;
            }
        }
    }
    usize::try_from(depth).unwrap_or(0)
}

/// The `-- migrate:allow` lines starting within `sql[from..to]`.
fn allows<'a>(sql: &'a str, from: usize, to: usize, lines: &mut LineCounter) -> Vec<Allow<'a>> {
    let mut found = Vec::new();
    let mut offset = from;
    for line in sql[from..to].split_inclusive('\n') {
        if let Some(args) = migrata_core::allow_directive(line) {
            found.push(Allow {
                line: lines.line_at(offset),
                args,
            });
        }
        offset += line.len();
    }
    found
}

/// 1-based line numbers of increasing offsets, counted incrementally.
struct LineCounter<'a> {
    sql: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(sql: &'a str) -> Self {
        LineCounter {
            sql,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            *self = LineCounter::new(self.sql);
        }
        self.line += self.sql[self.offset..offset].matches('\n').count();
        self.offset = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};

    #[test]
    fn lines_skip_leading_comments() {
        let sql = "-- header\n-- migrate:allow drop-table old\n\nDROP TABLE a;\n/* x\n y */ SELECT 1;\n  -- migrate:allow rename-table why\nALTER TABLE b RENAME TO c";
        let statements = statements(sql, &PostgreSqlDialect {});
        let lines: Vec<_> = statements.iter().map(|s| s.line).collect();
        assert_eq!(lines, [4, 6, 8]);
        assert_eq!(statements[0].leading_allows[0].line, 2);
        assert_eq!(statements[0].leading_allows[0].args, "drop-table old");
        assert!(statements[1].leading_allows.is_empty());
        assert_eq!(statements[2].leading_allows[0].line, 7);
        assert!(statements.iter().all(|s| s.ast.is_some()));
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 0 THEN n END;\n  DELETE FROM c;\nEND;\nCOMMIT;";
        let statements = statements(sql, &SQLiteDialect {});
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[1].words(), ["COMMIT"]);
        assert_eq!(statements[1].line, 5);
    }

    #[test]
    fn routine_bodies_with_nested_blocks_stay_whole() {
        let sql = "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN SELECT 1; END IF;\n  SELECT 2;\nEND;\nSELECT 3;";
        let statements = statements(sql, &sqlparser::dialect::MySqlDialect {});
        let lines: Vec<_> = statements.iter().map(|s| s.line).collect();
        assert_eq!(lines, [1, 6]);
    }

    #[test]
    fn unparsable_statements_keep_their_words() {
        let statements = statements(
            "REINDEX (VERBOSE) TABLE CONCURRENTLY t;\nSELECT 'unterminated",
            &PostgreSqlDialect {},
        );
        assert!(statements[0].ast.is_none());
        assert_eq!(
            statements[0].words(),
            ["REINDEX", "VERBOSE", "TABLE", "CONCURRENTLY", "T"]
        );
        assert!(statements[1].tokens.is_none());
        assert_eq!(statements[1].line, 2);
    }
}
