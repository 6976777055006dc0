//! `migrata adopt` over histories the tools themselves wrote
//! (`common::peers`), as an operator runs it: sqlx, refinery and diesel,
//! each on every backend.

use std::path::Path;

use migrata::Peer;
use serde_json::{json, Value};

use crate::common::peers::{self, scripts, version, Script};
use crate::common::{standalone, TestDb};
use crate::on_every_backend;

/// `(version, name, checksum, success)` rows the version table holds, `None`
/// when it does not exist.
async fn version_table(db: &TestDb) -> Option<Vec<(i64, String, String, bool)>> {
    if db.table_exists("migrate_history").await {
        Some(db.history().await)
    } else {
        None
    }
}

async fn tool_applies(peer: Peer, db: &TestDb, scripts: &[Script]) {
    let mut conn = db.conn().await;
    peers::apply(peer, &mut conn, scripts).await.unwrap();
    conn.close().await;
}

fn migrate(project: &Path, args: &[&str]) -> std::process::Output {
    standalone(project).args(args).output().unwrap()
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A project whose `migrations/` embeds `scripts`.
fn write_project(peer: Peer, project: &Path, scripts: &[Script]) {
    let dir = project.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    for script in scripts {
        std::fs::write(dir.join(peers::embedded_file(peer, script)), &script.sql).unwrap();
    }
}

async fn adopt_subcommand(peer: Peer, db: TestDb) {
    tool_applies(peer, &db, &scripts(3)).await;
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    write_project(peer, dir, &scripts(3));
    let url = db.url.as_str();
    let from = peer.name();
    let versions: Vec<i64> = (0..3).map(|n| version(peer, n)).collect();
    let listed = versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");

    let dry = migrate(
        dir,
        &["-d", url, "adopt", "--from", from, "--dry-run", "--json"],
    );
    assert_eq!(dry.status.code(), Some(0), "{dry:?}");
    assert_eq!(
        json_of(&dry),
        json!({
            "backend": db.kind.name(),
            "from": from,
            "dry_run": true,
            "adopted": versions,
            "already_adopted": [],
            "pending": [],
        })
    );
    let dry = migrate(dir, &["-d", url, "adopt", "--from", from, "--dry-run"]);
    assert_eq!(
        stdout(&dry).trim(),
        format!("would adopt from {from}: {listed} (dry run: nothing written)")
    );
    assert_eq!(version_table(&db).await, None, "a dry run writes nothing");

    let adopt = migrate(dir, &["-d", url, "adopt", "--from", from]);
    assert_eq!(adopt.status.code(), Some(0), "{adopt:?}");
    assert_eq!(
        stdout(&adopt).trim(),
        format!(
            "adopted from {from}: {listed} (recorded in migrate_history as applied; nothing ran)"
        )
    );
    let again = migrate(dir, &["-d", url, "adopt", "--from", from]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        stdout(&again).trim(),
        format!("already adopted: the 3 migration(s) {from} applied are recorded in migrate_history; nothing to do")
    );

    write_project(peer, dir, &scripts(4));
    let up = migrate(dir, &["-d", url, "up", "--json"]);
    assert_eq!(json_of(&up)["applied"][0]["version"], version(peer, 3));
    assert_eq!(json_of(&up)["applied"].as_array().unwrap().len(), 1);

    // The first script edited since: refused, with every problem listed.
    let mut edited = scripts(4);
    edited[0].sql.push_str("\n-- edited");
    write_project(peer, dir, &edited);
    let refused = migrate(dir, &["-d", url, "adopt", "--from", from, "--json"]);
    assert_eq!(refused.status.code(), Some(1));
    let body = json_of(&refused);
    let problems = body["problems"].as_array().unwrap();
    let conflicting = problems
        .iter()
        .find(|p| p["problem"] == "conflicting")
        .unwrap_or_else(|| panic!("{body:#}"));
    assert_eq!(conflicting["version"], version(peer, 0));
    assert_eq!(conflicting["state"], "divergent");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("nothing was written"));
    let text = migrate(dir, &["-d", url, "adopt", "--from", from]);
    assert_eq!(text.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains(&format!("error: cannot adopt {from}'s history")),
        "{stderr}"
    );
    assert!(stderr.contains(&version(peer, 0).to_string()), "{stderr}");

    let usage = migrate(dir, &["-d", url, "adopt", "--from", "flyway"]);
    assert_eq!(usage.status.code(), Some(2));
}

async fn sqlx_adopt_subcommand(db: TestDb) {
    adopt_subcommand(Peer::Sqlx, db).await
}

async fn refinery_adopt_subcommand(db: TestDb) {
    adopt_subcommand(Peer::Refinery, db).await
}

async fn diesel_adopt_subcommand(db: TestDb) {
    adopt_subcommand(Peer::Diesel, db).await
}

on_every_backend!(
    sqlx_adopt_subcommand,
    refinery_adopt_subcommand,
    diesel_adopt_subcommand
);
