//! Regression tests for defects found by hostile use (issue 10), named after
//! the item they cover. Each failed before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{migrations, TestDb};
use migrate_runtime::{BackendKind, Error, Migrator};

/// Item 4: an empty, BOM-only or comment-only migration (what `migrate new`
/// creates) is a no-op on every backend: recorded, nothing sent.
async fn item_4_empty_bom_only_and_comment_only_migrations_are_no_ops(db: TestDb) {
    let set = migrations(&[
        ("0001_users.sql", "CREATE TABLE users (id INTEGER);"),
        ("0002_empty.sql", ""),
        ("0003_bom.sql", "\u{feff}"),
        (
            "0004_comments.sql",
            "-- nothing yet\n/* still nothing */\n\n",
        ),
        ("0005_posts.sql", "CREATE TABLE posts (id INTEGER);"),
    ]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 5, "{}", db.kind);
    let history = db.history().await;
    assert_eq!(history.len(), 5);
    assert!(history.iter().all(|row| row.3), "{}: {history:?}", db.kind);
    assert!(db.table_exists("posts").await);
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}

/// Item 8: another connection holding SQLite's write lock past the timeout
/// is a lock timeout, not "migration 1 failed: database is locked".
async fn item_8_a_busy_database_is_a_lock_timeout(db: TestDb) {
    if db.kind != BackendKind::Sqlite {
        return;
    }
    let mut holder = db.conn().await;
    holder.execute("CREATE TABLE other (id INTEGER)").await;
    holder.execute("BEGIN IMMEDIATE").await;
    let set = migrations(&[("0001_users.sql", "CREATE TABLE users (id INTEGER);")]);
    let err = Migrator::new(&set)
        .lock_timeout(Duration::from_millis(300))
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    holder.execute("ROLLBACK").await;
    holder.close().await;
    assert_eq!(
        Migrator::new(&set)
            .run(&db.url)
            .await
            .unwrap()
            .applied
            .len(),
        1
    );
}

on_every_backend!(
    item_4_empty_bom_only_and_comment_only_migrations_are_no_ops,
    item_8_a_busy_database_is_a_lock_timeout,
);

/// Item 1: with `search_path = app, public` and a first migration creating
/// schema `app`, the history table (created in `public` before `app`
/// existed) is found again, not created a second time in `app`, and nothing
/// is applied twice.
#[tokio::test]
async fn item_1_postgres_finds_its_history_table_when_an_earlier_schema_appears() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "postgres::item_1").await else {
        return;
    };
    let first = migrations(&[(
        "0001_app.sql",
        "CREATE SCHEMA app;\nCREATE TABLE app.users (id INTEGER);",
    )]);
    let migrator = |set| Migrator::new(set).session_setup("SET search_path = app, public");
    assert_eq!(
        migrator(&first).run(&db.url).await.unwrap().applied.len(),
        1
    );
    let second = migrations(&[
        (
            "0001_app.sql",
            "CREATE SCHEMA app;\nCREATE TABLE app.users (id INTEGER);",
        ),
        ("0002_posts.sql", "CREATE TABLE app.posts (id INTEGER);"),
    ]);
    let report = migrator(&second).run(&db.url).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'migrate_history'"
        )
        .await,
        1,
        "one history table"
    );
    assert!(migrator(&second)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}

/// Item 6 (online): a MySQL script with client `DELIMITER` lines and a
/// stored procedure applies, and the procedure works.
#[tokio::test]
async fn item_6_mysql_delimiter_scripts_apply_online() {
    let Some(db) = TestDb::create(BackendKind::MySql, "mysql::item_6").await else {
        return;
    };
    let set = migrations(&[(
        "0001_procedure.sql",
        "CREATE TABLE hits (n INTEGER NOT NULL);\nINSERT INTO hits VALUES (0);\n\nDELIMITER //\nCREATE PROCEDURE bump()\nBEGIN\n  UPDATE hits SET n = n + 1;\n  UPDATE hits SET n = n + 1;\nEND //\nDELIMITER ;\n",
    )]);
    assert_eq!(
        Migrator::new(&set)
            .run(&db.url)
            .await
            .unwrap()
            .applied
            .len(),
        1
    );
    db.execute("CALL bump()").await;
    assert_eq!(db.scalar("SELECT n FROM hits").await, 2);
}
