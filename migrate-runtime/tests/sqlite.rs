//! The migrator against real SQLite database files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{history, migrations, sqlite, sqlite_url, table_exists, versions, StatementLog};
use migrate_runtime::{Error, Migrator, Policy, TransactionMode};
use sqlx::Row;

const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
);
const POSTS: (&str, &str) = ("0002_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\nINSERT INTO posts (id, user_id) VALUES (1, 1);\n");
const TAGS: (&str, &str) = (
    "0003_tags.sql",
    "CREATE TABLE tags (name TEXT PRIMARY KEY);\n",
);

fn db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    (dir, path)
}

#[tokio::test]
async fn fresh_apply_creates_schema_and_history() {
    let (_dir, path) = db();
    let set = migrations(&[USERS, POSTS, TAGS]);
    let report = Migrator::new(&set).run(&sqlite_url(&path)).await.unwrap();
    let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [1, 2, 3]);
    assert_eq!(report.applied[1].file, "0002_posts.sql");

    let mut conn = sqlite(&path).await;
    for table in ["users", "posts", "tags"] {
        assert!(table_exists(&mut conn, table).await, "{table}");
    }
    let rows = history(&mut conn).await;
    assert_eq!(rows.len(), 3);
    for (row, m) in rows.iter().zip(&set) {
        assert_eq!(
            (row.0, row.1.as_str(), row.2.clone(), row.3),
            (m.version, m.name.as_ref(), m.checksum.to_string(), true)
        );
    }
    let applied_at: String =
        sqlx::query("SELECT applied_at FROM migrate_history WHERE version = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
    assert!(
        applied_at.ends_with('Z') && applied_at.starts_with("20"),
        "{applied_at}"
    );
}

#[tokio::test]
async fn second_run_is_exactly_one_select() {
    let (_dir, path) = db();
    let set = migrations(&[USERS, POSTS, TAGS]);
    Migrator::new(&set).run(&sqlite_url(&path)).await.unwrap();

    let mut conn = sqlite(&path).await;
    let log = StatementLog::attach(&mut conn).await;
    let report = Migrator::new(&set).run_on(&mut conn).await.unwrap();
    assert!(report.is_up_to_date());
    assert_eq!(
        log.take(),
        ["SELECT version, name, checksum, success FROM \"migrate_history\" ORDER BY version"]
    );
}

#[tokio::test]
async fn statement_log_sees_every_statement_of_a_slow_path_run() {
    // Guards the fast-path test above: the trace must see writes, so a count
    // of one there is not an artefact of the tracer.
    let (_dir, path) = db();
    let mut conn = sqlite(&path).await;
    let log = StatementLog::attach(&mut conn).await;
    Migrator::new(&migrations(&[USERS]))
        .run_on(&mut conn)
        .await
        .unwrap();
    let statements = log.take();
    assert!(
        statements
            .iter()
            .any(|s| s.starts_with("CREATE TABLE IF NOT EXISTS")),
        "{statements:?}"
    );
    assert!(
        statements.iter().any(|s| s.starts_with("BEGIN IMMEDIATE")),
        "{statements:?}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s.starts_with("CREATE TABLE users")),
        "{statements:?}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s.starts_with("INSERT INTO \"migrate_history\"")),
        "{statements:?}"
    );
    assert!(
        statements.iter().any(|s| s.starts_with("COMMIT")),
        "{statements:?}"
    );
}

#[tokio::test]
async fn edited_script_is_divergent_before_anything_runs() {
    let (_dir, path) = db();
    Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();

    let edited = (
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    let err = Migrator::new(&migrations(&[edited, POSTS, TAGS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Divergent { version: 1, .. }), "{err}");
    assert!(err.to_string().contains("`0001_users.sql`"), "{err}");

    let mut conn = sqlite(&path).await;
    assert!(
        !table_exists(&mut conn, "tags").await,
        "pending migration ran despite divergence"
    );
    assert_eq!(versions(&mut conn).await, [1, 2]);

    let warned = Migrator::new(&migrations(&[edited, POSTS, TAGS]))
        .on_divergent(Policy::Warn)
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert_eq!(warned.applied.len(), 1);
}

#[tokio::test]
async fn version_absent_from_binary_is_missing() {
    let (_dir, path) = db();
    Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    let err = Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Missing { version: 3, ref name } if name == "tags"),
        "{err}"
    );
    let ok = Migrator::new(&migrations(&[USERS, POSTS]))
        .on_missing(Policy::Ignore)
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert!(ok.is_up_to_date());
}

#[tokio::test]
async fn failing_script_leaves_no_trace_and_keeps_earlier_migrations() {
    let (_dir, path) = db();
    let broken = (
        "0003_broken.sql",
        "CREATE TABLE half (id INTEGER);\nINSERT INTO half VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n",
    );
    let err = Migrator::new(&migrations(&[USERS, POSTS, broken]))
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 3, .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("`0003_broken.sql`") && message.contains("no_such_table"),
        "{message}"
    );

    let mut conn = sqlite(&path).await;
    assert!(
        !table_exists(&mut conn, "half").await,
        "half-applied script left its table"
    );
    assert_eq!(versions(&mut conn).await, [1, 2]);
    assert!(table_exists(&mut conn, "posts").await);
}

#[tokio::test]
async fn target_version_stops_there() {
    let (_dir, path) = db();
    let set = migrations(&[USERS, POSTS, TAGS]);
    let report = Migrator::new(&set)
        .target(2)
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 2);
    let mut conn = sqlite(&path).await;
    assert_eq!(versions(&mut conn).await, [1, 2]);
    assert!(!table_exists(&mut conn, "tags").await);

    let rest = Migrator::new(&set).run(&sqlite_url(&path)).await.unwrap();
    assert_eq!(
        rest.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
}

#[tokio::test]
async fn crlf_copy_of_applied_script_is_not_divergent() {
    let (_dir, path) = db();
    Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    let crlf_posts = POSTS.1.replace('\n', "\r\n");
    let bom_users = format!("\u{feff}{}", USERS.1.replace('\n', "\r\n"));
    let report = Migrator::new(&migrations(&[
        ("0001_users.sql", &bom_users),
        ("0002_posts.sql", &crlf_posts),
    ]))
    .run(&sqlite_url(&path))
    .await
    .unwrap();
    assert!(report.is_up_to_date());
}

#[tokio::test]
async fn script_with_bom_and_crlf_runs() {
    let (_dir, path) = db();
    let script = "\u{feff}CREATE TABLE bom (id INTEGER);\r\nINSERT INTO bom VALUES (1);\r\n";
    Migrator::new(&migrations(&[("0001_bom.sql", script)]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    let mut conn = sqlite(&path).await;
    assert!(table_exists(&mut conn, "bom").await);
}

#[tokio::test]
async fn no_transaction_script_runs_outside_a_transaction() {
    // VACUUM fails inside a transaction: this passes only if the directive is honoured.
    let (_dir, path) = db();
    let vacuum = ("0002_vacuum.sql", "-- migrate:no-transaction\nVACUUM;\n");
    let report = Migrator::new(&migrations(&[USERS, vacuum, TAGS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 3);
    let mut conn = sqlite(&path).await;
    assert_eq!(
        history(&mut conn)
            .await
            .iter()
            .map(|r| r.3)
            .collect::<Vec<_>>(),
        [true; 3]
    );

    let (_dir, path) = db();
    let without = ("0002_vacuum.sql", "VACUUM;\n");
    let err = Migrator::new(&migrations(&[USERS, without]))
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 2, .. }), "{err}");
}

#[tokio::test]
async fn single_transaction_mode_is_all_or_nothing() {
    let (_dir, path) = db();
    let broken = ("0003_broken.sql", "INSERT INTO nowhere VALUES (1);");
    let err = Migrator::new(&migrations(&[USERS, POSTS, broken]))
        .transaction(TransactionMode::Single)
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 3, .. }), "{err}");
    let mut conn = sqlite(&path).await;
    assert!(!table_exists(&mut conn, "users").await);
    assert!(versions(&mut conn).await.is_empty());

    let report = Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
        .transaction(TransactionMode::Single)
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 3);
}

#[tokio::test]
async fn no_transaction_mode_marks_a_failed_migration_dirty() {
    let (_dir, path) = db();
    let broken = (
        "0002_broken.sql",
        "CREATE TABLE partial (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
    );
    let set = migrations(&[USERS, broken]);
    let err = Migrator::new(&set)
        .transaction(TransactionMode::None)
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 2, .. }), "{err}");
    let mut conn = sqlite(&path).await;
    assert!(
        table_exists(&mut conn, "partial").await,
        "without a transaction the first statement stays"
    );
    assert_eq!(
        history(&mut conn)
            .await
            .iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        [(1, true), (2, false)]
    );

    let err = Migrator::new(&set)
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Dirty { version: 2, .. }), "{err}");
    assert!(err.to_string().contains("repair"), "{err}");
}

#[tokio::test]
async fn late_merged_migration_is_out_of_order() {
    let (_dir, path) = db();
    Migrator::new(&migrations(&[USERS, TAGS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    let err = Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfOrder {
                version: 2,
                newest: 3,
                ..
            }
        ),
        "{err}"
    );
    let report = Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
        .on_out_of_order(Policy::Ignore)
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2]
    );
}

#[tokio::test]
async fn custom_table_and_session_setup() {
    let (_dir, path) = db();
    Migrator::new(&migrations(&[USERS]))
        .table("schema_versions")
        .session_setup("PRAGMA user_version = 42")
        .run(&sqlite_url(&path))
        .await
        .unwrap();
    let mut conn = sqlite(&path).await;
    assert!(table_exists(&mut conn, "schema_versions").await);
    assert!(!table_exists(&mut conn, "migrate_history").await);
    let user_version: i64 = sqlx::query("PRAGMA user_version")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(user_version, 42);
}

#[tokio::test]
async fn invalid_table_name_is_rejected_before_touching_the_database() {
    let (_dir, path) = db();
    let err = Migrator::new(&migrations(&[USERS]))
        .table("history; DROP TABLE users")
        .run(&sqlite_url(&path))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTableName { .. }), "{err}");
}

#[tokio::test]
async fn unknown_url_scheme_is_a_clear_error() {
    let err = Migrator::new(&migrations(&[USERS]))
        .run("oracle://scott:tiger@db/orcl")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedUrl { .. }), "{err}");
    assert!(!err.to_string().contains("tiger"), "{err}");
}
