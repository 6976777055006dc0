//! `trace` through the standalone binary: the per-statement lock table of
//! the migrations after the database's newest applied one, `--deny` as a CI
//! gate, `--from`, `--json`, and the refusal on a database it cannot trace.

use crate::common::{standalone as migrate, TestDb};
use migrata::BackendKind;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (file, sql) in [
        (
            "0001_users.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        ),
        (
            "0002_token.sql",
            "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
        ),
        (
            "0003_index.sql",
            "CREATE INDEX users_email ON users (email);\n",
        ),
    ] {
        std::fs::write(migrations.join(file), sql).unwrap();
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_prints_the_lock_table_and_gates_on_a_budget() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "cli_trace").await else {
        return;
    };
    let project = project();
    let dir = project.path();
    let url = db.url.clone();
    let up = migrate(dir)
        .args(["-d", &url, "up", "--to", "1"])
        .output()
        .unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));

    // From the database's newest applied version: 0002 and 0003.
    let shown = migrate(dir).args(["-d", &url, "trace"]).output().unwrap();
    let stdout = text(&shown.stdout);
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    assert!(!stdout.contains("0001_users.sql"), "{stdout}");
    assert!(
        stdout.contains("ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_…  users  ACCESS EXCLUSIVE  yes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CREATE INDEX users_email ON users (email)  users  SHARE  no"),
        "{stdout}"
    );
    // The trace ran on a scratch copy: the database is still at 0001.
    let columns = db
        .strings_of("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1")
        .await;
    assert_eq!(columns, ["email", "id"]);

    let gated = migrate(dir)
        .args(["-d", &url, "trace", "--deny", "access-exclusive"])
        .output()
        .unwrap();
    let stderr = text(&gated.stderr);
    assert_eq!(gated.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("1 statement(s) over the budget (ACCESS EXCLUSIVE or stronger)")
            && stderr.contains("`0002_token.sql` line 1: ACCESS EXCLUSIVE on users, rewritten"),
        "{stderr}"
    );

    let clean = migrate(dir)
        .args([
            "-d",
            &url,
            "--json",
            "trace",
            "--from",
            "2",
            "--deny",
            "access-exclusive",
            "--deny-rewrite",
        ])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    let json: Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["after"], 2);
    assert_eq!(json["migrations"][0]["file"], "0003_index.sql");
    assert_eq!(
        json["migrations"][0]["statements"][0]["tables"][0]["mode"],
        "share"
    );

    let bad = migrate(dir)
        .args(["-d", &url, "trace", "--deny", "huge"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
}

#[test]
fn trace_refuses_sqlite_saying_why() {
    let project = project();
    let refused = migrate(project.path())
        .args(["-d", "sqlite::memory:", "trace"])
        .output()
        .unwrap();
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs PostgreSQL"), "{stderr}");
}
