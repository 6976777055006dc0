//! The macros work when the app renames migrata in its Cargo.toml: without
//! following the rename, this file (and the crate's lib) would not compile,
//! for "could not find `migrata` in the crate root".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use db::testing::TestDatabase;
use renamed_dependency::{MIGRATIONS, MIGRATIONS_BY_PATH};

/// The environment variable `migrated_test_database` reads its base URL from.
const URL_VARIABLE: &str = "RENAMED_DEPENDENCY_TEST_URL";

fn applied_versions(report: &db::Report) -> Vec<i64> {
    report
        .applied
        .iter()
        .map(|applied| applied.version)
        .collect()
}

#[tokio::test]
async fn embedded_migrations_run_under_the_renamed_name() {
    let report = MIGRATIONS.run("sqlite::memory:").await.unwrap();
    assert_eq!(applied_versions(&report), [1, 2]);
}

#[tokio::test]
async fn an_explicit_crate_path_is_followed() {
    let report = MIGRATIONS_BY_PATH.run("sqlite::memory:").await.unwrap();
    assert_eq!(applied_versions(&report), [1, 2]);
}

/// Run by `the_test_attribute_works_under_the_renamed_name`, which sets its
/// URL variable first.
#[db::test(MIGRATIONS, url = "RENAMED_DEPENDENCY_TEST_URL")]
#[ignore = "run by the_test_attribute_works_under_the_renamed_name"]
async fn migrated_test_database(db: &TestDatabase) {
    let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
    let body: String = sqlx::query_scalar("SELECT body FROM notes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, "written by code");
    pool.close().await;
}

#[test]
fn the_test_attribute_works_under_the_renamed_name() {
    // Edition 2021: safe; no other test of this binary reads the variable.
    std::env::set_var(URL_VARIABLE, "sqlite::memory:");
    migrated_test_database();
}
