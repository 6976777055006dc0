//! The app binary, run for real: its normal job and its `migrate` subcommands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

fn app(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("app").unwrap();
    cmd.current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
        )
        .env_remove("MIGRATE_DATABASE_URL")
        .env_remove("RUST_LOG");
    cmd
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_app_serves_and_answers_migrate_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    let status = app(dir)
        .args(["migrate", "status", "--json"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let migrations = json(&status)["migrations"].as_array().unwrap().clone();
    assert!(migrations.iter().all(|m| m["state"] == "pending"));

    let sql = app(dir)
        .args(["migrate", "sql", "--backend", "postgres"])
        .output()
        .unwrap();
    assert_eq!(sql.status.code(), Some(0));
    assert!(String::from_utf8(sql.stdout)
        .unwrap()
        .contains("CREATE TABLE notes"));

    let served = app(dir).output().unwrap();
    assert_eq!(
        served.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&served.stderr)
    );
    let text = String::from_utf8(served.stdout).unwrap();
    assert!(
        text.contains(&format!("{} migration(s) applied", migrations.len())),
        "{text}"
    );
    assert!(text.contains("serving: 0 note(s)"), "{text}");

    let verify = app(dir)
        .args(["migrate", "verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    assert_eq!(json(&verify)["ok"], true);

    let again = app(dir).output().unwrap();
    assert!(String::from_utf8(again.stdout)
        .unwrap()
        .contains("0 migration(s) applied"));

    let usage = app(dir).args(["migrate", "nonsense"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

/// The app's CLI has no `env-filter` (no regex engine in its binary), and
/// still takes `RUST_LOG` as `target=level` directives; a value it cannot
/// read leaves the default, `warn`.
#[test]
fn the_app_cli_filters_logs_by_rust_log_directives() {
    // `migrate up` on a fresh database: its stderr.
    let up = |rust_log: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = app(dir.path());
        if let Some(directives) = rust_log {
            cmd.env("RUST_LOG", directives);
        }
        let output = cmd.args(["migrate", "up"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{rust_log:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    let logged = up(Some("sqlx=off,migrata=info"));
    assert!(logged.contains("applied migration version=1"), "{logged}");
    assert!(!logged.contains(" sqlx"), "{logged}");
    let unreadable = up(Some("migrata[span{field=1}]=info"));
    assert!(!unreadable.contains("applied migration"), "{unreadable}");
    let unset = up(None);
    assert!(!unset.contains("applied migration"), "{unset}");
}
