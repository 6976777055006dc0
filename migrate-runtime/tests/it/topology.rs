//! Ten processes starting at once on a fresh database, round after round, in
//! every setup users deploy to: PostgreSQL direct and behind pgbouncer
//! (transaction and session pooling), MariaDB direct and as a Galera cluster
//! with the processes spread over its nodes, and a SQLite file, each with a
//! script that must run outside a transaction. Every process succeeds, every
//! migration's effect happens once, no row is left failed, no lock is left
//! held, and the next start finds nothing to do.
//!
//! The rigs come from `rigs/` (`rigs/start-all.sh`, `eval "$(rigs/env.sh)"`);
//! a setup whose URL is unset is skipped loudly (a failure under
//! `MIGRATE_TEST_REQUIRE_SERVERS=1`). `MIGRATE_TEST_TOPOLOGY_ROUNDS` sets the
//! rounds (default 10; `rigs/soak.sh` runs 50), `MIGRATE_TEST_TOPOLOGY_LOCK=session`
//! runs the processes with the session lock instead of the default lease (to
//! see why it is not the default).

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{
    owned_migrations, server_url, test_process, unique_name, url_with_database, Conn,
};
use migrata::{BackendKind, LockStrategy, Migration, Migrator};

const PROCESSES: usize = 10;
const CHILD_URL: &str = "MIGRATE_TEST_TOPOLOGY_CHILD_URL";
/// Migrations 2..=8 each add one to the counter.
const COUNTED: i64 = 7;

/// Non-idempotent scripts: running one twice fails (CREATE TABLE without IF
/// NOT EXISTS) or shows (the counter). Version 7 runs outside a transaction.
fn racing_set(kind: BackendKind) -> Vec<Migration> {
    let mut files = vec![(
        "0001_counter.sql".to_owned(),
        "CREATE TABLE counter (n INTEGER NOT NULL);\nINSERT INTO counter VALUES (0);\n".to_owned(),
    )];
    for i in [2, 3, 4, 5, 6, 8] {
        files.push((
            format!("{i:04}_step.sql"),
            format!("CREATE TABLE t{i} (id INTEGER);\nINSERT INTO t{i} VALUES ({i});\nUPDATE counter SET n = n + 1;\n"),
        ));
    }
    let concurrently = if kind == BackendKind::Postgres {
        "CONCURRENTLY "
    } else {
        ""
    };
    files.push((
        "0007_index.sql".to_owned(),
        format!("-- migrate:no-transaction\nCREATE INDEX {concurrently}t2_id ON t2 (id);\nUPDATE counter SET n = n + 1;\n"),
    ));
    owned_migrations(&files)
}

/// Not a test: the body of each racing process.
#[tokio::test]
#[ignore = "run by the topology tests in child processes"]
async fn child_migrator() {
    let url = std::env::var(CHILD_URL).expect("runs only as a child process");
    let kind = BackendKind::from_url(&url).unwrap();
    let set = racing_set(kind);
    match Migrator::new(&set)
        .lock(lock_strategy())
        .lock_timeout(Duration::from_secs(120))
        .run(&url)
        .await
    {
        Ok(report) => println!("\nAPPLIED {}", report.applied.len()),
        Err(error) => {
            println!("\nERROR {error}");
            std::process::exit(1);
        }
    }
}

/// The lease by default; `session` shows what the session lock does in
/// each setup.
fn lock_strategy() -> LockStrategy {
    match std::env::var("MIGRATE_TEST_TOPOLOGY_LOCK").as_deref() {
        Ok("session") => LockStrategy::Session,
        _ => LockStrategy::Lease,
    }
}

/// Where the racing processes connect, and how to create and inspect the
/// database of a round.
pub(crate) struct Setup {
    pub name: &'static str,
    pub kind: BackendKind,
    /// Creates and drops databases, and reads locks (past any pooler).
    pub admin: Option<String>,
    /// The URLs processes connect to, round-robin.
    pub nodes: Vec<String>,
}

/// What a setup's rounds showed.
#[derive(Debug, Default)]
struct Figures {
    processes: usize,
    succeeded: usize,
    applied_twice: usize,
    rounds_stuck: usize,
    errors: Vec<String>,
}

fn rounds() -> usize {
    std::env::var("MIGRATE_TEST_TOPOLOGY_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(10)
}

/// One setup at a time: ten processes per setup are load enough for two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn trial(setup: Setup) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let rounds = rounds();
    let mut figures = Figures::default();
    for round in 0..rounds {
        let (database, _dir) = create_database(&setup).await;
        let urls: Vec<String> = match &_dir {
            Some(dir) => vec![format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("race.db").display()
            )],
            None => setup
                .nodes
                .iter()
                .map(|node| url_with_database(node, &database))
                .collect(),
        };
        let children: Vec<_> = (0..PROCESSES)
            .map(|i| {
                test_process(module_path!(), "child_migrator")
                    .env(CHILD_URL, &urls[i % urls.len()])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut applied = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            figures.processes += 1;
            if output.status.success() {
                figures.succeeded += 1;
            } else if let Some(error) = stdout.lines().find_map(|l| l.strip_prefix("ERROR ")) {
                figures.errors.push(format!("round {round}: {error}"));
            } else {
                figures.errors.push(format!("round {round}: {stdout}"));
            }
            applied += stdout
                .lines()
                .find_map(|l| l.strip_prefix("APPLIED "))
                .map_or(0, |n| n.trim().parse::<usize>().unwrap());
        }

        let mut conn = Conn::open(&urls[0]).await;
        let counter = conn.scalar("SELECT n FROM counter").await;
        let recorded = conn
            .scalar("SELECT count(*) FROM migrate_history WHERE success = TRUE")
            .await;
        let failed = conn
            .scalar("SELECT count(*) FROM migrate_history WHERE success = FALSE")
            .await;
        let leases = match lock_strategy() {
            LockStrategy::Lease => {
                conn.scalar("SELECT count(*) FROM migrate_history_lock WHERE expires_at > 0")
                    .await
            }
            _ => 0,
        };
        conn.close().await;
        if counter > COUNTED || applied > 8 {
            figures.applied_twice += 1;
        }
        let advisory = match (&setup.admin, setup.kind) {
            (Some(admin), BackendKind::Postgres) => {
                let mut admin = Conn::open(admin).await;
                let held = admin
                    .scalar(&format!("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = '{database}')"))
                    .await;
                admin.close().await;
                held
            }
            _ => 0,
        };
        let next = Migrator::new(&racing_set(setup.kind))
            .lock(lock_strategy())
            .lock_timeout(Duration::from_secs(5))
            .run(&urls[urls.len() - 1])
            .await;
        let next_ok = next.as_ref().is_ok_and(|report| report.is_up_to_date());
        if failed > 0 || leases > 0 || advisory > 0 || !next_ok {
            figures.rounds_stuck += 1;
            figures.errors.push(format!(
                "round {round}: failed rows {failed}, live leases {leases}, advisory locks {advisory}, next start {next:?}"
            ));
        }
        if recorded != 8 {
            figures.rounds_stuck += 1;
            figures
                .errors
                .push(format!("round {round}: {recorded} of 8 recorded"));
        }
        drop_database(&setup, &database).await;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "TOPOLOGY {}: {PROCESSES} processes x {rounds} rounds: processes OK {}/{} ({:.0} %), applied twice {}, rounds left stuck {}",
        setup.name,
        figures.succeeded,
        figures.processes,
        100.0 * figures.succeeded as f64 / figures.processes.max(1) as f64,
        figures.applied_twice,
        figures.rounds_stuck,
    );
    assert!(
        figures.succeeded == figures.processes
            && figures.applied_twice == 0
            && figures.rounds_stuck == 0,
        "{}: {figures:#?}",
        setup.name
    );
}

pub(crate) async fn create_database(setup: &Setup) -> (String, Option<tempfile::TempDir>) {
    let name = unique_name();
    let Some(admin) = &setup.admin else {
        return (name, Some(tempfile::tempdir().unwrap()));
    };
    let mut conn = Conn::open(admin).await;
    conn.execute(&format!("CREATE DATABASE {name}")).await;
    conn.close().await;
    // A database created on one Galera node reaches the others a moment later.
    for node in &setup.nodes {
        let started = Instant::now();
        loop {
            let mut conn = Conn::open(node).await;
            let sql = match setup.kind {
                BackendKind::Postgres => {
                    format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")
                }
                _ => format!(
                    "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{name}'"
                ),
            };
            let found = conn.scalar(&sql).await;
            conn.close().await;
            if found == 1 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name} on {node}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    (name, None)
}

pub(crate) async fn drop_database(setup: &Setup, name: &str) {
    let Some(admin) = &setup.admin else {
        return;
    };
    let mut conn = Conn::open(admin).await;
    let sql = match setup.kind {
        BackendKind::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    conn.execute(&sql).await;
    conn.close().await;
}

pub(crate) fn setup_from(
    name: &'static str,
    kind: BackendKind,
    admin_env: &str,
    nodes_env: &str,
) -> Option<Setup> {
    let admin = server_url(admin_env, name)?;
    let nodes = server_url(nodes_env, name)?
        .split(',')
        .map(str::to_owned)
        .collect();
    Some(Setup {
        name,
        kind,
        admin: Some(admin),
        nodes,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_shared_by_processes() {
    trial(Setup {
        name: "sqlite",
        kind: BackendKind::Sqlite,
        admin: None,
        nodes: Vec::new(),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_direct() {
    let env = "MIGRATE_TEST_POSTGRES_URL";
    if let Some(setup) = setup_from("postgres direct", BackendKind::Postgres, env, env) {
        trial(setup).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbouncer_transaction_pooling() {
    let setup = setup_from(
        "pgbouncer transaction",
        BackendKind::Postgres,
        "MIGRATE_TEST_PGBOUNCER_BACKEND_URL",
        "MIGRATE_TEST_PGBOUNCER_TX_URL",
    );
    if let Some(setup) = setup {
        trial(setup).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbouncer_session_pooling() {
    let setup = setup_from(
        "pgbouncer session",
        BackendKind::Postgres,
        "MIGRATE_TEST_PGBOUNCER_BACKEND_URL",
        "MIGRATE_TEST_PGBOUNCER_SESSION_URL",
    );
    if let Some(setup) = setup {
        trial(setup).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_direct() {
    let env = "MIGRATE_TEST_MYSQL_URL";
    if let Some(setup) = setup_from("mariadb direct", BackendKind::MySql, env, env) {
        trial(setup).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_processes_spread_over_three_nodes() {
    let Some(nodes) = server_url("MIGRATE_TEST_GALERA_URLS", "galera") else {
        return;
    };
    let nodes: Vec<String> = nodes.split(',').map(str::to_owned).collect();
    trial(Setup {
        name: "galera across nodes",
        kind: BackendKind::MySql,
        admin: Some(nodes[0].clone()),
        nodes,
    })
    .await;
}
