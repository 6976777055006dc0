//! Ten OS processes migrating one database at the same moment, twenty rounds,
//! on each backend: every migration runs exactly once and every process succeeds.

use std::process::Stdio;

use crate::common::{owned_migrations, test_process, TestDb};
use migrata::{embed_migrations, BackendKind, Migration, Migrations, Migrator};

const PROCESSES: usize = 10;
const ROUNDS: usize = 20;
const MIGRATIONS: usize = 20;
const CHILD_ENV: &str = "MIGRATE_TEST_CHILD_URL";
/// Set for children that race on [`WITH_CODE`] instead.
const CHILD_CODE_ENV: &str = "MIGRATE_TEST_CHILD_CODE";

/// Issue 14: six migrations, three of them code that bumps `counter` (one
/// outside a transaction), and a repeatable one that adds 100, so a code
/// or repeatable migration run twice shows.
static WITH_CODE: Migrations = embed_migrations!("tests/code-fixtures/race");
const CODE_BUMPS: i64 = 103;

/// Non-idempotent scripts: running any of them twice fails (CREATE TABLE
/// without IF NOT EXISTS) or shows (the counter passes MIGRATIONS).
fn racing_set() -> Vec<Migration> {
    let files: Vec<(String, String)> = (1..=MIGRATIONS)
        .map(|i| {
            let setup = if i == 1 { "CREATE TABLE counter (n INTEGER NOT NULL);\nINSERT INTO counter VALUES (0);\n" } else { "" };
            (
                format!("{i:04}_step.sql"),
                format!("{setup}CREATE TABLE t{i} (id INTEGER);\nINSERT INTO t{i} VALUES ({i});\nUPDATE counter SET n = n + 1;\n"),
            )
        })
        .collect();
    owned_migrations(&files)
}

/// Not a test: the body each child process runs.
#[tokio::test]
#[ignore = "run by the race tests in child processes"]
async fn child_migrator() {
    let url = std::env::var(CHILD_ENV).expect("child_migrator runs only as a child process");
    let set = racing_set();
    let report = if std::env::var_os(CHILD_CODE_ENV).is_some() {
        WITH_CODE.run(&url).await.unwrap()
    } else {
        Migrator::new(&set).run(&url).await.unwrap()
    };
    println!("\nAPPLIED {}", report.applied.len());
}

async fn ten_processes_apply_each_migration_exactly_once(kind: BackendKind) {
    race(kind, MIGRATIONS, MIGRATIONS as i64, false).await;
}

async fn ten_processes_run_each_code_and_repeatable_migration_exactly_once(kind: BackendKind) {
    race(kind, WITH_CODE.all().len(), CODE_BUMPS, true).await;
}

/// `PROCESSES` children racing on one database, `ROUNDS` times: together
/// they apply `migrations`, and `counter` ends at `bumps`.
async fn race(kind: BackendKind, migrations: usize, bumps: i64, code: bool) {
    let mut spread = Vec::new();
    for round in 0..ROUNDS {
        let Some(db) = TestDb::create(kind, &format!("{kind}::ten_processes")).await else {
            return;
        };
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| {
                let mut child = test_process(module_path!(), "child_migrator");
                if code {
                    child.env(CHILD_CODE_ENV, "1");
                }
                child
                    .env(CHILD_ENV, &db.url)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut applied = Vec::new();
        for (i, child) in children.into_iter().enumerate() {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{kind} round {round}: process {i} failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let count = stdout
                .lines()
                .find_map(|l| l.strip_prefix("APPLIED "))
                .expect("child reports its count");
            applied.push(count.trim().parse::<usize>().unwrap());
        }
        assert_eq!(
            applied.iter().sum::<usize>(),
            migrations,
            "{kind} round {round}: {applied:?}"
        );
        assert_eq!(
            db.scalar("SELECT n FROM counter").await,
            bumps,
            "{kind} round {round}"
        );
        assert_eq!(
            db.history().await.iter().filter(|r| r.3).count(),
            migrations,
            "{kind} round {round}"
        );
        spread.push(applied.iter().filter(|&&n| n > 0).count());
    }
    eprintln!("{kind}: processes that applied something, per round: {spread:?}");
}

on_every_backend!(kind:
    ten_processes_apply_each_migration_exactly_once,
    ten_processes_run_each_code_and_repeatable_migration_exactly_once,
);
