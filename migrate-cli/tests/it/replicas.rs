//! `replicas` through the standalone binary: every process registered by
//! `run_with_presence`, live ones and dead ones (stopped refreshing without
//! removing their row, as a SIGKILLed process leaves it), as a table and
//! as JSON.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::{standalone as migrate, TestDb};
use crate::on_every_backend;

/// The dead replica's TTL: short, so it expires within the test.
const DEAD_TTL: Duration = Duration::from_millis(500);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn replicas(dir: &Path, url: &str, json: bool) -> String {
    let mut cmd = migrate(dir);
    cmd.args(["-d", url, "replicas", "--dir"]).arg(source());
    if json {
        cmd.arg("--json");
    }
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout)
}

/// The sample migrations.
fn source() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

async fn lists_live_and_dead_replicas(db: TestDb) {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let migrations = migrata_core::load_dir(&source()).unwrap();
    let newest = migrations.iter().map(|m| m.version).max().unwrap();

    let none = replicas(dir, &db.url, false);
    assert!(none.contains("no replicas registered"), "{none}");
    let none: Value = serde_json::from_str(&replicas(dir, &db.url, true)).unwrap();
    assert_eq!(none["replicas"], serde_json::json!([]));

    // A replica whose refresh task dies with its runtime, and whose guard
    // never runs: its row stays, and expires after its TTL.
    let url = db.url.clone();
    let older = migrations[..migrations.len() - 1].to_vec();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (_, presence) = runtime
            .block_on(
                migrata::Migrator::new(&older)
                    .presence_ttl(DEAD_TTL)
                    .run_with_presence(&url),
            )
            .unwrap();
        std::mem::forget(presence);
        runtime.shutdown_background();
    })
    .join()
    .unwrap();
    tokio::time::sleep(DEAD_TTL * 3).await;
    let (_, presence) = migrata::Migrator::new(&migrations)
        .run_with_presence(&db.url)
        .await
        .unwrap();

    let listed: Value = serde_json::from_str(&replicas(dir, &db.url, true)).unwrap();
    let listed = listed["replicas"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    // Oldest release first.
    let (dead, live) = (&listed[0], &listed[1]);
    assert_eq!(dead["alive"], false, "{dead}");
    assert_eq!(dead["newest_version"], newest - 1, "{dead}");
    assert!(dead["seen_ms_ago"].as_u64().unwrap() >= DEAD_TTL.as_millis() as u64);
    assert_eq!(live["alive"], true, "{live}");
    assert_eq!(live["newest_version"], newest, "{live}");
    assert_eq!(live["pid"], std::process::id(), "{live}");
    assert!(live["owner"].as_str().unwrap().contains(':'), "{live}");
    assert!(live["started_ms_ago"].as_u64().unwrap() < 60_000, "{live}");

    let table = replicas(dir, &db.url, false);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("HOST") && lines[0].contains("NEWEST VERSION"),
        "{table}"
    );
    assert!(lines[1].contains(" dead "), "{table}");
    assert!(
        lines[2].contains(" live ") && lines[2].contains(&std::process::id().to_string()),
        "{table}"
    );

    presence.shutdown().await.unwrap();
    let after: Value = serde_json::from_str(&replicas(dir, &db.url, true)).unwrap();
    assert_eq!(after["replicas"].as_array().unwrap().len(), 1, "{after}");
}

on_every_backend!(lists_live_and_dead_replicas);
