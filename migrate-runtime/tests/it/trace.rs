//! Issue 22, item 4: what each statement of pending migrations locks,
//! measured on a scratch PostgreSQL database (`Migrator::trace`), and the
//! budgets asserted over it.

use migrata::testing::trace::{LockMode, Measured, TableLock, TraceReport};
use migrata::{BackendKind, Error, Migration, Migrator};

use crate::common::{migrations, server_url, test_name};

/// The scratch server for `test`, or `None` after a `SKIPPED:` line.
fn base(test: &str) -> Option<String> {
    server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        &test_name(module_path!(), test),
    )
}

/// A table with rows, then migrations whose locks the manual documents.
fn history() -> Vec<Migration> {
    migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\
             INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g;\n",
        ),
        (
            "0002_token.sql",
            "SET lock_timeout = '5s';\n\
             -- a volatile default: computed per row\n\
             ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
        ),
        (
            "0003_email_index.sql",
            "CREATE INDEX users_email ON users (email);\n",
        ),
        (
            "0004_sessions.sql",
            "CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n\
             CREATE INDEX sessions_user ON sessions (user_id);\n\
             INSERT INTO sessions VALUES (1, 1);\n",
        ),
        (
            "0005_flags.sql",
            "ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;\n\
             ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT clock_timestamp();\n",
        ),
        (
            "0006_token_index.sql",
            "-- migrate:no-transaction\n\
             CREATE INDEX CONCURRENTLY users_token ON users (token);\n",
        ),
        (
            "R__emails.sql",
            "CREATE OR REPLACE VIEW user_emails AS SELECT email FROM users;\n",
        ),
    ])
}

fn lock(table: &str, mode: Option<LockMode>, rewrote: bool) -> TableLock {
    TableLock {
        table: table.to_owned(),
        mode,
        rewrote,
    }
}

/// A statement as the tests compare it: its line and what it did to
/// existing tables.
type Charged = (usize, Vec<TableLock>);

/// `(file, measured, [(line, tables)])` of every traced migration.
fn shape(trace: &TraceReport) -> Vec<(&str, Measured, Vec<Charged>)> {
    trace
        .migrations
        .iter()
        .map(|migration| {
            let statements = migration
                .statements
                .iter()
                .map(|statement| (statement.line, statement.tables.clone()))
                .collect();
            (migration.file.as_str(), migration.measured, statements)
        })
        .collect()
}

#[tokio::test]
async fn each_statement_is_charged_with_the_locks_it_added_and_the_tables_it_rewrote() {
    let Some(base) =
        base("each_statement_is_charged_with_the_locks_it_added_and_the_tables_it_rewrote")
    else {
        return;
    };
    let history = history();
    let trace = Migrator::new(&history)
        .trace(&base, Some(1))
        .await
        .expect("traced");
    use LockMode::*;
    assert_eq!(trace.after, Some(1));
    assert_eq!(
        shape(&trace),
        vec![
            (
                "0002_token.sql",
                Measured::Transaction,
                vec![
                    (1, vec![]),
                    // The line of the statement, not of its comment.
                    (3, vec![lock("users", Some(AccessExclusive), true)]),
                ]
            ),
            (
                "0003_email_index.sql",
                Measured::Transaction,
                vec![(1, vec![lock("users", Some(Share), false)])]
            ),
            (
                "0004_sessions.sql",
                Measured::Transaction,
                // The foreign key locks the table it references; the new
                // table is not reported; the insert's key check locks the
                // referenced row (FOR KEY SHARE), but the transaction holds
                // a stronger mode already.
                vec![
                    (1, vec![lock("users", Some(ShareRowExclusive), false)]),
                    (2, vec![]),
                    (3, vec![]),
                ]
            ),
            (
                "0005_flags.sql",
                Measured::Transaction,
                // A constant default is instant; the volatile one rewrites
                // under the ACCESS EXCLUSIVE lock the first statement took.
                vec![
                    (1, vec![lock("users", Some(AccessExclusive), false)]),
                    (2, vec![lock("users", None, true)]),
                ]
            ),
            (
                "0006_token_index.sql",
                Measured::OutsideTransaction,
                vec![(2, vec![])]
            ),
            (
                "R__emails.sql",
                Measured::Transaction,
                vec![(1, vec![lock("users", Some(AccessShare), false)])]
            ),
        ]
    );
    let shown = trace.to_string();
    assert!(
        shown.contains("3  ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_…  users  ACCESS EXCLUSIVE  yes"),
        "{shown}"
    );
    assert!(shown.contains("outside a transaction"), "{shown}");
    let json = serde_json::to_value(&trace).expect("serialized");
    assert_eq!(
        json["migrations"][0]["statements"][1]["tables"][0]["mode"],
        "access-exclusive"
    );
    assert_eq!(json["migrations"][4]["measured"], "outside-transaction");
}

#[tokio::test]
async fn a_budget_fails_on_a_violating_migration_and_passes_on_a_clean_one() {
    let Some(base) = base("a_budget_fails_on_a_violating_migration_and_passes_on_a_clean_one")
    else {
        return;
    };
    let history = history();
    let all = Migrator::new(&history)
        .trace(&base, Some(1))
        .await
        .expect("traced");
    let violations = all.violations(LockMode::AccessExclusive);
    let at: Vec<(&str, usize)> = violations
        .iter()
        .map(|v| (v.file.as_str(), v.line))
        .collect();
    assert_eq!(at, [("0002_token.sql", 3), ("0005_flags.sql", 1)]);
    let rewrites: Vec<(i64, usize)> = all.rewrites().iter().map(|v| (v.version, v.line)).collect();
    assert_eq!(rewrites, [(2, 3), (5, 2)]);
    let refused = std::panic::catch_unwind(|| all.assert_no(LockMode::AccessExclusive))
        .expect_err("the budget refuses ACCESS EXCLUSIVE");
    let message = refused
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(
        message.contains("`0002_token.sql` line 3: ACCESS EXCLUSIVE on users, rewritten: ALTER TABLE users ADD COLUMN token"),
        "{message}"
    );

    // 0003 and 0004 block writes, never reads.
    let clean = Migrator::new(&history)
        .target(4)
        .trace(&base, Some(2))
        .await
        .expect("traced");
    assert_eq!(clean.migrations.len(), 2);
    clean.assert_no(LockMode::AccessExclusive);
    clean.assert_no_rewrite();
    assert_eq!(clean.violations(LockMode::Share).len(), 2);
}

#[tokio::test]
async fn without_a_starting_point_every_migration_is_traced_from_an_empty_database() {
    let Some(base) =
        base("without_a_starting_point_every_migration_is_traced_from_an_empty_database")
    else {
        return;
    };
    let history = history();
    let trace = Migrator::new(&history)
        .target(2)
        .trace(&base, None)
        .await
        .expect("traced");
    let files: Vec<&str> = trace.migrations.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(files, ["0001_users.sql", "0002_token.sql"]);
    // What the migration itself created is not an existing table.
    assert!(trace.migrations[0]
        .statements
        .iter()
        .all(|s| s.tables.is_empty()));
    assert_eq!(trace.violations(LockMode::AccessExclusive).len(), 1);
}

#[tokio::test]
async fn mysql_and_sqlite_are_refused_saying_why() {
    let history = history();
    for (url, backend) in [
        ("sqlite::memory:", BackendKind::Sqlite),
        ("mysql://root@127.0.0.1:1/none", BackendKind::MySql),
    ] {
        let error = Migrator::new(&history)
            .trace(url, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(error, Error::TraceUnsupported { backend: b } if b == backend),
            "{error}"
        );
        assert!(error.to_string().contains("needs PostgreSQL"), "{error}");
    }
}

/// The lint's claims against the trace's measurements, per statement, over
/// the committed PostgreSQL corpora (lemmy up to what the server runs):
/// each kind of disagreement, counted and pinned in
/// `tests/trace-vs-lint.txt` (rerun with `UPDATE_CORPORA=1` to rewrite
/// it); the guide's lock-trace chapter classifies each kind.
#[cfg(feature = "lint")]
#[tokio::test]
#[ignore = "half a minute of replays: .ci/run runs it in the corpus step"]
async fn corpus_lint_and_trace_compared() {
    use std::collections::{BTreeMap, HashMap};
    use std::fmt::Write as _;

    use migrata::lint::{lint, Database, LintOptions, Rule, Script};

    use crate::common::Conn;
    use crate::schema::{load, manifest_dir, NEEDS_NEWER_SERVER};

    let Some(base) = base("corpus_lint_and_trace_compared") else {
        return;
    };
    let mut conn = Conn::open(&base).await;
    let server = conn
        .scalar("SELECT current_setting('server_version_num')::int8")
        .await;
    conn.close().await;
    // Rules that claim a statement blocks writes (or reads) on an existing
    // table, and those that claim it rewrites one.
    let claims_lock = |rule: Rule| {
        matches!(
            rule,
            Rule::IndexWithoutConcurrently
                | Rule::ConstraintWithoutNotValid
                | Rule::ColumnTypeChange
                | Rule::SetNotNull
                | Rule::VolatileDefault
        )
    };
    let claims_rewrite =
        |rule: Rule| matches!(rule, Rule::ColumnTypeChange | Rule::VolatileDefault);
    let mut tally: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut note = |kind: String, at: &str| {
        tally.entry(kind).or_insert((0, at.to_owned())).0 += 1;
    };
    let mut summary = String::new();
    for dir in [
        "../migrate-core/tests/corpora/atuin/crates/atuin-server-postgres/migrations",
        "../migrate-core/tests/corpora/crates.io/migrations",
        "../migrate-core/tests/corpora/lemmy/migrations",
    ] {
        let mut migrations = load(dir);
        for (_, needed, from, _) in NEEDS_NEWER_SERVER.iter().filter(|(d, ..)| *d == dir) {
            if server < *needed {
                migrations.retain(|migration| migration.version < *from);
            }
        }
        let started = std::time::Instant::now();
        let trace = Migrator::new(&migrations)
            .trace(&base, None)
            .await
            .unwrap_or_else(|error| panic!("{dir}: {error}"));
        let statements: usize = trace.migrations.iter().map(|m| m.statements.len()).sum();
        eprintln!(
            "corpus {dir}: {} migrations, {statements} statements traced in {:?}",
            trace.migrations.len(),
            started.elapsed()
        );
        let _ = writeln!(
            summary,
            "{}: {} migrations, {statements} statements",
            dir.trim_start_matches("../migrate-core/tests/corpora/"),
            trace.migrations.len()
        );
        for (migration, traced) in migrations.iter().zip(&trace.migrations) {
            // The lint of one script counts every table it does not create
            // as existing: what the trace measures too.
            let script = Script::new(
                migration.version,
                &migration.up.file,
                migration.up.sql(),
                migration.up.no_transaction,
            );
            let report = lint(&[script], &LintOptions::for_database(Database::Postgres));
            // The strongest mode the migration's transaction holds on each
            // table so far: a statement on a table an earlier one locked
            // runs under that lock.
            let mut held: HashMap<&str, LockMode> = HashMap::new();
            for statement in &traced.statements {
                for table in &statement.tables {
                    if let Some(mode) = table.mode {
                        let strongest = held.entry(table.table.as_str()).or_insert(mode);
                        *strongest = (*strongest).max(mode);
                    }
                }
                let at = format!("{} line {}: {}", traced.file, statement.line, statement.sql);
                let kind = statement_kind(&statement.sql);
                let measured = traced.measured == Measured::Transaction;
                let findings = report
                    .findings
                    .iter()
                    .filter(|finding| finding.line == statement.line);
                let mut lock_claimed = false;
                let mut rewrite_claimed = false;
                for finding in findings {
                    let rule = finding.rule;
                    let table = linted_table(&finding.message);
                    lock_claimed |= claims_lock(rule);
                    rewrite_claimed |= claims_rewrite(rule);
                    let locked = table
                        .as_deref()
                        .and_then(|table| held.get(table))
                        .is_some_and(|mode| mode.blocks_writes());
                    if claims_lock(rule) && measured && !locked {
                        note(
                            format!("lint {rule}; trace: no write-blocking lock; {kind}"),
                            &at,
                        );
                    }
                    let rewrote = statement
                        .tables
                        .iter()
                        .any(|t| t.rewrote && Some(&t.table) == table.as_ref());
                    if claims_rewrite(rule) && !rewrote {
                        note(format!("lint {rule}; trace: no rewrite; {kind}"), &at);
                    }
                }
                if statement.tables.iter().any(|t| t.rewrote) && !rewrite_claimed {
                    note(
                        format!("trace: rewrite; lint: no rewrite rule; {kind}"),
                        &at,
                    );
                }
                let raised = statement.tables.iter().filter_map(|t| t.mode).max();
                if let Some(mode) = raised.filter(|mode| mode.blocks_writes() && !lock_claimed) {
                    note(format!("trace: {mode}; lint: no lock rule; {kind}"), &at);
                }
            }
        }
    }
    let _ = writeln!(summary, "disagreements (count; kind; first example):");
    for (kind, (count, example)) in &tally {
        let _ = writeln!(summary, "{count:5}; {kind}; {example}");
    }
    eprint!("{summary}");
    let pinned = manifest_dir().join("tests/trace-vs-lint.txt");
    if std::env::var_os("UPDATE_CORPORA").is_some() {
        std::fs::write(&pinned, &summary).expect("written");
    }
    let expected = std::fs::read_to_string(&pinned).unwrap_or_default();
    assert_eq!(
        summary, expected,
        "the lint-versus-trace tally changed: check the new disagreements, then rerun with UPDATE_CORPORA=1"
    );
}

/// The table a lint finding names: `` existing table `x` ``, unquoted and
/// without its schema, as the trace names tables of the current schema.
#[cfg(feature = "lint")]
fn linted_table(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("existing table `")?;
    let (name, _) = rest.split_once('`')?;
    let last = name.rsplit('.').next().unwrap_or(name);
    Some(last.trim_matches('"').to_ascii_lowercase())
}

/// A statement's kind for the tally: its leading keywords, with an `ALTER
/// TABLE`'s table name and a column's name left out (`ALTER TABLE _ ADD
/// COLUMN`).
#[cfg(feature = "lint")]
fn statement_kind(sql: &str) -> String {
    let words: Vec<String> = sql
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    if words.len() > 2 && words[0] == "ALTER" && words[1] == "TABLE" {
        let mut rest = words[2..]
            .iter()
            .skip_while(|w| matches!(w.as_str(), "IF" | "EXISTS" | "ONLY"));
        rest.next();
        let action = rest.next().map_or("", String::as_str);
        let object = match rest.next().map(String::as_str) {
            Some(
                word
                @ ("COLUMN" | "CONSTRAINT" | "TO" | "PRIMARY" | "FOREIGN" | "UNIQUE" | "CHECK"),
            ) => word,
            Some(_) => "COLUMN",
            None => "",
        };
        return format!("ALTER TABLE _ {action} {object}");
    }
    words.iter().take(2).cloned().collect::<Vec<_>>().join(" ")
}
