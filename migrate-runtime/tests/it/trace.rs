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

/// `(file, measured, [(line, tables)])` of every traced migration.
fn shape(trace: &TraceReport) -> Vec<(&str, Measured, Vec<(usize, Vec<TableLock>)>)> {
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
    let Some(base) = base("each_statement_is_charged_with_the_locks_it_added_and_the_tables_it_rewrote") else {
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
    let Some(base) = base("a_budget_fails_on_a_violating_migration_and_passes_on_a_clean_one") else {
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
    let Some(base) = base("without_a_starting_point_every_migration_is_traced_from_an_empty_database") else {
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
