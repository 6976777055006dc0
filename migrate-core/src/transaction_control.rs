//! Finding statements that begin or end a transaction, which must not appear
//! in a script that runs inside its migration's transaction.

use crate::statements::{leading_words, statement_ranges, words, SqlFlavor};

/// A transaction control statement in a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransactionControl {
    /// 1-based line of the statement's first keyword.
    pub line: usize,
    /// What it is, e.g. `COMMIT` or `START TRANSACTION`.
    pub statement: &'static str,
}

/// The transaction control statements of a script, in order.
///
/// The target database is not known when files are loaded, so a statement
/// counts only when every [`SqlFlavor`] reads it as one: a MySQL string with
/// `\'` or a PostgreSQL `$$` body, misread by the other flavor, must not
/// make a valid script a compile error.
pub(crate) fn transaction_control(sql: &str) -> Vec<TransactionControl> {
    let standard = found(sql, SqlFlavor::Standard);
    let mysql = found(sql, SqlFlavor::MySql);
    standard
        .into_iter()
        .filter(|found| mysql.contains(found))
        .map(|(offset, statement)| TransactionControl {
            line: 1 + sql[..offset].bytes().filter(|&b| b == b'\n').count(),
            statement,
        })
        .collect()
}

/// `(byte offset, kind)` of each transaction control statement as `flavor` reads the script.
fn found(sql: &str, flavor: SqlFlavor) -> Vec<(usize, &'static str)> {
    statement_ranges(sql, flavor)
        .into_iter()
        .filter_map(|range| {
            let statement = &sql[range.clone()];
            let (offset, kind) = classify(statement, flavor)?;
            Some((range.start + offset, kind))
        })
        .collect()
}

/// Whether a statement (by its first keywords) begins or ends a transaction,
/// and the offset of its first keyword.
fn classify(statement: &str, flavor: SqlFlavor) -> Option<(usize, &'static str)> {
    let leading = leading_words(statement, flavor, 4);
    let (offset, first) = *leading.first()?;
    let word = |index: usize| leading.get(index).map_or("", |(_, word)| *word);
    let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
    let kind = match first.to_ascii_uppercase().as_str() {
        // MariaDB's `BEGIN NOT ATOMIC ... END` is a block, not a transaction.
        "BEGIN" if is(word(1), "NOT") => return None,
        "BEGIN" => "BEGIN",
        "START" if is(word(1), "TRANSACTION") => "START TRANSACTION",
        "COMMIT" => "COMMIT",
        // PostgreSQL's and SQLite's synonym for COMMIT.
        "END" => "END",
        // PostgreSQL's synonym for ROLLBACK.
        "ABORT" => "ABORT",
        "ROLLBACK" => {
            let rest = if is(word(1), "WORK") || is(word(1), "TRANSACTION") {
                word(2)
            } else {
                word(1)
            };
            // `ROLLBACK TO [SAVEPOINT] x` stays inside the transaction.
            if is(rest, "TO") {
                return None;
            }
            "ROLLBACK"
        }
        // PostgreSQL: ends the transaction, handing it to two-phase commit.
        "PREPARE" if is(word(1), "TRANSACTION") => "PREPARE TRANSACTION",
        // MySQL: `SET autocommit = 1` commits; `= 0` outlives the migration
        // and leaves the runner's own statements uncommitted.
        "SET" if sets_autocommit(statement, flavor) => "SET autocommit",
        _ => return None,
    };
    Some((offset, kind))
}

/// Whether a `SET` statement assigns the `autocommit` system variable
/// (`autocommit`, `@@autocommit`, `@@session.autocommit`; not the user
/// variable `@autocommit`).
fn sets_autocommit(statement: &str, flavor: SqlFlavor) -> bool {
    let bytes = statement.as_bytes();
    words(statement, flavor).into_iter().any(|(start, word)| {
        let user_variable =
            start >= 1 && bytes[start - 1] == b'@' && !(start >= 2 && bytes[start - 2] == b'@');
        word.eq_ignore_ascii_case("autocommit") && !user_variable
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(usize, &'static str)> {
        transaction_control(sql)
            .into_iter()
            .map(|found| (found.line, found.statement))
            .collect()
    }

    /// Issue 10, item 5: each kind of transaction control statement is
    /// found, with its line, whatever its case and comments.
    #[test]
    fn transaction_control_statements_are_found() {
        let sql = "CREATE TABLE t (id INT);\n\
                   commit;\n\
                   BEGIN;\n\
                   /* why */ START TRANSACTION READ WRITE;\n\
                   Begin Transaction;\n\
                   END;\n\
                   ROLLBACK;\n\
                   rollback work;\n\
                   ABORT;\n\
                   PREPARE TRANSACTION 'x';\n\
                   SET autocommit = 1;\n\
                   SET @@session.autocommit = 0;\n\
                   SET sql_mode = '', AUTOCOMMIT = ON;\n\
                   INSERT INTO t VALUES (1); COMMIT WORK;";
        assert_eq!(
            kinds(sql),
            [
                (2, "COMMIT"),
                (3, "BEGIN"),
                (4, "START TRANSACTION"),
                (5, "BEGIN"),
                (6, "END"),
                (7, "ROLLBACK"),
                (8, "ROLLBACK"),
                (9, "ABORT"),
                (10, "PREPARE TRANSACTION"),
                (11, "SET autocommit"),
                (12, "SET autocommit"),
                (13, "SET autocommit"),
                (14, "COMMIT"),
            ]
        );
    }

    /// Issue 10, item 5: bodies, comments, strings, savepoints and words that
    /// merely contain a keyword are not transaction control.
    #[test]
    fn bodies_comments_and_strings_are_not_transaction_control() {
        for sql in [
            // PL/pgSQL in dollar quotes.
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  COMMIT;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;",
            "DO $body$ BEGIN PERFORM 1; END $body$;",
            // PostgreSQL SQL-standard function bodies.
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
            // SQLite triggers.
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = CASE WHEN n > 0 THEN 1 END; END;",
            // MySQL routines, without and with DELIMITER.
            "CREATE PROCEDURE p() BEGIN START TRANSACTION; COMMIT; END;",
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN\n  BEGIN\n    ROLLBACK;\n  END;\nEND//\nDELIMITER ;",
            "DELIMITER $$\nCREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN COMMIT; END$$\nDELIMITER ;",
            "BEGIN NOT ATOMIC SELECT 1; END;",
            // Comments and strings.
            "-- COMMIT;\n/* BEGIN; */ SELECT 'COMMIT;';\n# ROLLBACK;\nSELECT \"END;\";",
            "INSERT INTO t VALUES ('it\\'s; COMMIT');",
            "SELECT 1 -- ; COMMIT\n;",
            // Savepoints stay inside the transaction.
            "SAVEPOINT a; ROLLBACK TO SAVEPOINT a; ROLLBACK TRANSACTION TO a; RELEASE SAVEPOINT a;",
            // Keywords inside other statements and identifiers.
            "UPDATE t SET committed = 1; SELECT begin_at, \"commit\" FROM ends; SET @autocommit = 1;",
            "CREATE TABLE event (begin INT, `end` INT); SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
        ] {
            assert_eq!(kinds(sql), [], "{sql}");
        }
    }
}
