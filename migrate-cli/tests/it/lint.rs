//! `migrate lint`: the compile-time rules from the command line, human and
//! `--json`, exit 1 on errors.

use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

use crate::common::standalone;

/// `migrata lint --dir <tests/dir> ...`, run from an empty directory (no
/// migrate.toml, no database URL).
fn lint(dir: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    let cwd = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    standalone(cwd.path())
        .arg("lint")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .assert()
}

#[test]
fn warnings_exit_zero() {
    lint(
        "tests/fixtures/lint_warning",
        &["--database", "postgres", "--after", "1"],
    )
    .success()
    .stdout(contains(
        "warning: `0002_index_users_email.sql` line 4: [index-without-concurrently] CREATE INDEX without CONCURRENTLY on existing table `users`",
    ))
    .stdout(contains("0 error(s), 1 warning(s) (database: postgres)"));
    lint(
        "tests/fixtures/lint_warning",
        &[
            "--database",
            "postgres",
            "--after",
            "1",
            "--allow",
            "index-without-concurrently",
        ],
    )
    .success()
    .stdout(contains("0 error(s), 0 warning(s)"));
    // Without --after, 0001 creates the table: nothing to warn about.
    lint("tests/fixtures/lint_warning", &["--database", "postgres"])
        .success()
        .stdout(contains("0 error(s), 0 warning(s)"));
}

#[test]
fn errors_exit_one_with_json() {
    let output = lint(
        "tests/fixtures/lint_error",
        &["--database", "postgres", "--json"],
    )
    .code(1)
    .get_output()
    .stdout
    .clone();
    let json: Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["database"], "postgres");
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "concurrently-in-transaction");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["file"], "0002_index.sql");
    assert_eq!(finding["line"], 4);
    assert!(finding["fix"]
        .as_str()
        .unwrap()
        .contains("-- migrate:no-transaction"));
}

#[test]
fn database_independent_rules_without_a_database() {
    lint("tests/fixtures/lint_error", &[])
        .success()
        .stdout(contains("(database: any)"));
    lint("tests/fixtures/lint_bad_allow", &[])
        .code(1)
        .stdout(contains(
            "error: `0001_drop.sql` line 1: unknown lint rule `drop-colum`",
        ));
    lint("tests/fixtures/lint_warning", &["--database", "oracle"])
        .code(2)
        .stderr(contains("unknown database `oracle`"));
}
