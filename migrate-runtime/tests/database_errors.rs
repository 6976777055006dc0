//! How database errors read in migration failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{migrations, TestDb};
use migrate_runtime::{BackendKind, Migrator};

/// Issue 10, item 10: a PostgreSQL error names the problem, not the line of
/// the server's C source that reported it (`... at line 1454`), which reads
/// like a line of the script.
#[tokio::test]
async fn item_10_postgres_errors_do_not_end_in_a_server_source_line() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "item_10_postgres_error_line").await
    else {
        return;
    };
    let files = migrations(&[(
        "0001_broken.sql",
        "CREATE TABLE a (id INT);\nSELECT * FROM no_such_table;\n",
    )]);
    let error = Migrator::new(&files).run(&db.url).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("relation \"no_such_table\" does not exist"),
        "{message}"
    );
    assert!(!message.contains(" at line "), "{message}");
}
