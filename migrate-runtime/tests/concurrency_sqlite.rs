//! Eight OS processes migrating one SQLite file at the same moment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{migrations, sqlite, sqlite_url};
use migrate_runtime::{Migration, Migrator};
use sqlx::Row;

const PROCESSES: usize = 8;
const ROUNDS: usize = 5;
const MIGRATIONS: usize = 20;
const CHILD_ENV: &str = "MIGRATE_TEST_CHILD_URL";

/// Non-idempotent scripts: a second run of any of them fails (CREATE TABLE
/// without IF NOT EXISTS) or shows (the counter goes past MIGRATIONS).
fn racing_set() -> Vec<Migration> {
    let scripts: Vec<(String, String)> = (1..=MIGRATIONS)
        .map(|i| {
            let setup = if i == 1 { "CREATE TABLE counter (n INTEGER NOT NULL);\nINSERT INTO counter VALUES (0);\n" } else { "" };
            (
                format!("{i:04}_step.sql"),
                format!("{setup}CREATE TABLE t{i} (id INTEGER);\nINSERT INTO t{i} VALUES ({i});\nUPDATE counter SET n = n + 1;\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = scripts
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    migrations(&files)
}

/// Not a test: the body each child process runs (see `eight_processes_...`).
#[tokio::test]
#[ignore = "run by eight_processes_apply_each_migration_exactly_once in child processes"]
async fn child_migrator() {
    let url = std::env::var(CHILD_ENV).expect("child_migrator runs only as a child process");
    let set = racing_set();
    let report = Migrator::new(&set).run(&url).await.unwrap();
    println!("APPLIED {}", report.applied.len());
}

#[tokio::test]
async fn eight_processes_apply_each_migration_exactly_once() {
    let exe = std::env::current_exe().unwrap();
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("race.db");
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| {
                Command::new(&exe)
                    .args([
                        "--ignored",
                        "--exact",
                        "child_migrator",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD_ENV, sqlite_url(&path))
                    .output_async()
            })
            .collect();
        let mut applied_by_children = Vec::new();
        for (i, child) in children.into_iter().enumerate() {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}, process {i} failed:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            let applied: usize = stdout
                .lines()
                .find_map(|line| line.split("APPLIED ").nth(1))
                .expect("child reports what it applied")
                .trim()
                .parse()
                .unwrap();
            applied_by_children.push(applied);
        }
        println!("round {round}: migrations applied per process {applied_by_children:?}");
        assert_eq!(
            applied_by_children.iter().sum::<usize>(),
            MIGRATIONS,
            "round {round}"
        );
        let mut conn = sqlite(&path).await;
        let counter: i64 = sqlx::query("SELECT n FROM counter")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            counter, MIGRATIONS as i64,
            "round {round}: some migration ran twice or not at all"
        );
        let rows: i64 = sqlx::query("SELECT count(*) FROM migrate_history WHERE success")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(rows, MIGRATIONS as i64, "round {round}");
    }
}

trait SpawnPiped {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnPiped for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
