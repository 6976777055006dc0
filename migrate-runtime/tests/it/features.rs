//! Pay only for your database: `examples/postgres-only` enables nothing but
//! the `postgres` feature. Its dependency tree has no SQLite or MySQL driver,
//! and the binary, built on its own (outside this workspace's feature
//! unification, which turns every feature on for the test suite), refuses
//! other databases and TLS by naming the feature that would add them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{server_url, TestDb};
use migrata::BackendKind;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(workspace());
    cargo
}

#[test]
fn a_postgres_only_app_compiles_neither_sqlite_nor_mysql() {
    let tree = cargo()
        .args([
            "tree",
            "-p",
            "postgres-only",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .unwrap();
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8(tree.stdout).unwrap();
    assert!(tree.contains("sqlx-postgres"), "{tree}");
    for absent in [
        "libsqlite3-sys",
        "sqlx-sqlite",
        "sqlx-mysql",
        "rustls",
        "native-tls",
    ] {
        assert!(
            !tree
                .lines()
                .any(|line| line.starts_with(&format!("{absent} "))),
            "{absent} is in the postgres-only tree:\n{tree}"
        );
    }
}

/// Forgetting the feature gets one error that says what to add, not a
/// dozen about connection types without variants.
#[test]
fn a_build_without_a_database_feature_is_one_error_naming_the_features() {
    let check = cargo()
        .args([
            "check",
            "-p",
            "migrata",
            "--no-default-features",
            "--target-dir",
        ])
        .arg(feature_builds())
        .output()
        .unwrap();
    let stderr = stderr(&check);
    assert!(!check.status.success(), "{stderr}");
    assert!(
        stderr.contains("migrata needs at least one database feature: add `features = [\"postgres\"]` (or \"sqlite\", \"mysql\")"),
        "{stderr}"
    );
    assert!(stderr.contains("due to 1 previous error"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A target directory for builds with other features than the suite's.
fn feature_builds() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace().join("target"), PathBuf::from)
        .join("feature-builds")
}

/// The example binary, built once per test run with only its own features.
fn postgres_only_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let target = feature_builds();
        let build = cargo()
            .args(["build", "-q", "-p", "postgres-only", "--target-dir"])
            .arg(&target)
            .status()
            .unwrap();
        assert!(build.success(), "building examples/postgres-only failed");
        target.join("debug").join("postgres-only")
    })
}

fn run_app(url: &str) -> Output {
    Command::new(postgres_only_binary())
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_url_for_a_database_not_compiled_names_its_feature() {
    for (url, feature) in [
        ("sqlite::memory:", "`sqlite` feature"),
        ("mysql://root@127.0.0.1:3306/test", "`mysql` feature"),
    ] {
        let output = run_app(url);
        assert!(!output.status.success(), "{url} was accepted");
        assert!(
            stderr(&output).contains(feature),
            "{url}: {}",
            stderr(&output)
        );
    }
}

#[tokio::test]
async fn the_postgres_only_app_migrates_postgres() {
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "features::the_postgres_only_app_migrates_postgres",
    )
    .await
    else {
        return;
    };
    let first = run_app(&db.url);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "2 migrations applied\n"
    );
    let again = run_app(&db.url);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "0 migrations applied\n"
    );
    assert_eq!(db.versions().await, vec![1, 2]);
}

#[test]
fn a_server_that_requires_tls_names_the_tls_features() {
    let Some(url) = server_url(
        "MIGRATE_TEST_PG_TLS_URL",
        "features::a_server_that_requires_tls_names_the_tls_features",
    ) else {
        return;
    };
    let output = run_app(&url);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("TLS is required"), "{message}");
    assert!(message.contains("`tls-rustls`"), "{message}");
    assert!(message.contains("127.0.0.1:5436"), "{message}");
}
