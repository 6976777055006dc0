//! `schema` and `drift`, run through the standalone binary on every
//! database: the CI gate's exit codes and diff, `--write`, `--live`, and
//! drift found, listed, ignored.

use std::path::Path;

use crate::common::{standalone as migrate, Conn, TestDb, ALL_KINDS};
use migrata::BackendKind;
use serde_json::Value;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
    }
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_check_write_live_and_drift_on_every_backend() {
    for kind in ALL_KINDS {
        let Some(db) = TestDb::create(kind, &format!("{kind}::cli_schema_and_drift")).await else {
            continue;
        };
        schema_and_drift(&db).await;
    }
}

async fn schema_and_drift(db: &TestDb) {
    let project = project();
    let dir = project.path();
    let url = db.url.clone();
    let file = dir.join("schema.sql");

    let write = migrate(dir)
        .args(["-d", &url, "schema", "--write"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(write.status.code(), Some(0), "{}", text(&write.stderr));
    let dump = std::fs::read_to_string(&file).unwrap();
    assert!(
        dump.contains("users") && dump.contains("notes_user_id"),
        "{dump}"
    );
    // The replay never touches the database the URL names.
    assert!(!db.table_exists("users").await);

    let check = migrate(dir)
        .args(["-d", &url, "schema", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("is up to date"));

    // A new migration without a refreshed schema file fails the gate, with
    // a diff that shows the new column.
    std::fs::write(
        dir.join("migrations/0005_add_nickname.sql"),
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(50);\n",
    )
    .unwrap();
    let stale = migrate(dir)
        .args(["-d", &url, "schema", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(stale.status.code(), Some(1));
    let diff = text(&stale.stdout);
    assert!(
        diff.lines()
            .any(|line| line.starts_with('+') && line.contains("nickname")),
        "{diff}"
    );
    assert!(
        text(&stale.stderr).contains("schema --write"),
        "{}",
        text(&stale.stderr)
    );
    let json: Value = serde_json::from_slice(
        &migrate(dir)
            .args(["-d", &url, "--json", "schema", "--check"])
            .arg(&file)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["ok"], false);
    assert!(json["diff"].as_str().unwrap().contains("nickname"));

    // Drift: none after `up`, one hand-made index after that.
    let up = migrate(dir).args(["-d", &url, "up"]).output().unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let clean = migrate(dir).args(["-d", &url, "drift"]).output().unwrap();
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}{}",
        text(&clean.stdout),
        text(&clean.stderr)
    );
    assert!(text(&clean.stdout).starts_with("ok:"));

    let mut conn = Conn::open(&url).await;
    conn.execute("CREATE INDEX notes_by_body ON notes (created_at)")
        .await;
    conn.close().await;
    let drift = migrate(dir).args(["-d", &url, "drift"]).output().unwrap();
    assert_eq!(drift.status.code(), Some(1));
    let listed = text(&drift.stdout);
    assert!(
        listed.contains("added index") && listed.contains("notes.notes_by_body"),
        "{listed}"
    );
    let json: Value = serde_json::from_slice(
        &migrate(dir)
            .args(["-d", &url, "--json", "drift"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["version"], 5);
    assert_eq!(json["differences"].as_array().unwrap().len(), 1);
    assert!(json["differences"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("notes.notes_by_body"));
    let ignored = migrate(dir)
        .args(["-d", &url, "drift", "--ignore", "notes.notes_by_*"])
        .output()
        .unwrap();
    assert_eq!(ignored.status.code(), Some(0), "{}", text(&ignored.stdout));

    // --live dumps the database itself, index included.
    let live = migrate(dir)
        .args(["-d", &url, "schema", "--live"])
        .output()
        .unwrap();
    assert_eq!(live.status.code(), Some(0));
    assert!(text(&live.stdout).contains("notes_by_body"));
    if db.kind == BackendKind::Sqlite {
        // SQLite replays in memory: no URL needed at all.
        let offline = migrate(dir)
            .args(["schema", "--scratch-url", "sqlite::memory:"])
            .output()
            .unwrap();
        assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
        assert!(text(&offline.stdout).contains("nickname"));
    }
}

#[test]
fn schema_without_anywhere_to_replay_is_a_usage_error() {
    let project = project();
    let out = migrate(project.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_DATABASE_URL")
        .args(["schema"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--scratch-url"),
        "{}",
        text(&out.stderr)
    );
}

/// `diff` through the binary on SQLite: writes a reversible migration that
/// reaches the desired schema, refuses a drop until allowed, and writes a
/// named rename.
#[test]
fn diff_writes_the_next_migration() {
    let project = project();
    let dir = project.path();
    let desired = dir.join("desired.sql");
    let run = |args: &[&str]| {
        migrate(dir)
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATE_DATABASE_URL")
            .args(args)
            .output()
            .unwrap()
    };
    // The desired schema: today's, plus a column and an index.
    let dump = run(&["schema", "--scratch-url", "sqlite::memory:"]);
    assert_eq!(dump.status.code(), Some(0), "{}", text(&dump.stderr));
    let today = text(&dump.stdout);
    let wanted = format!("{today}\nALTER TABLE users ADD COLUMN nickname TEXT;\nCREATE INDEX users_by_nickname ON users (nickname);\n");
    std::fs::write(&desired, &wanted).unwrap();
    let diff = run(&[
        "diff",
        "--scratch-url",
        "sqlite::memory:",
        "--to",
        "desired.sql",
        "--name",
        "nicknames",
    ]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}{}",
        text(&diff.stdout),
        text(&diff.stderr)
    );
    let created = text(&diff.stdout);
    assert!(
        created.contains("0005_nicknames.up.sql") && created.contains("0005_nicknames.down.sql"),
        "{created}"
    );
    let up = std::fs::read_to_string(dir.join("migrations/0005_nicknames.up.sql")).unwrap();
    assert!(
        up.contains("nickname") && up.contains("users_by_nickname"),
        "{up}"
    );
    // Nothing left to do once the new migration is there.
    let again = run(&[
        "diff",
        "--scratch-url",
        "sqlite::memory:",
        "--to",
        "desired.sql",
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("no changes"),
        "{}",
        text(&again.stdout)
    );

    // Dropping `visits` is refused until allowed; nothing is written.
    let without_visits: String = std::fs::read_to_string(&desired)
        .unwrap()
        .split("\n\n")
        .filter(|statement| !statement.contains("CREATE TABLE visits"))
        .collect::<Vec<_>>()
        .join("\n\n");
    std::fs::write(&desired, without_visits).unwrap();
    let refused = run(&[
        "diff",
        "--scratch-url",
        "sqlite::memory:",
        "--to",
        "desired.sql",
        "--name",
        "drop_visits",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--allow-destructive"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!dir.join("migrations/0006_drop_visits.up.sql").exists());
    let allowed = run(&[
        "diff",
        "--scratch-url",
        "sqlite::memory:",
        "--to",
        "desired.sql",
        "--name",
        "drop_visits",
        "--allow-destructive",
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    let up = std::fs::read_to_string(dir.join("migrations/0006_drop_visits.up.sql")).unwrap();
    assert!(up.contains("DROP TABLE visits"), "{up}");
}

/// A contract migration held while a replica of the older release runs:
/// `up` says why it did not apply it, `status` shows the reason, and
/// `up --contract` applies it anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_holds_a_contract_migration_and_contract_overrides() {
    let project = project();
    let dir = project.path();
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    // The older release: the sample migrations, running with its presence.
    let old = migrata_core::load_dir(&dir.join("migrations")).unwrap();
    let (_, presence) = migrata::Migrator::new(&old)
        .run_with_presence(&url)
        .await
        .unwrap();
    std::fs::write(
        dir.join("migrations/0005_drop_visits.sql"),
        "-- migrate:phase contract\nDROP TABLE visits;\n",
    )
    .unwrap();
    let up = migrate(dir).args(["-d", &url, "up"]).output().unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let said = text(&up.stdout);
    assert!(
        said.contains("not applied 5 (0005_drop_visits.sql): held: 1 replica")
            && said.contains("up --contract"),
        "{said}"
    );
    let status = text(
        &migrate(dir)
            .args(["-d", &url, "status"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(status.contains("pending (held: 1 replica"), "{status}");
    let forced = migrate(dir)
        .args(["-d", &url, "up", "--contract"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(
        text(&forced.stdout).contains("applied 5 drop_visits"),
        "{}",
        text(&forced.stdout)
    );
    presence.shutdown().await.unwrap();
}
