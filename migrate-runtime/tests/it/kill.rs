//! SIGKILL a migrating process at random moments, 30 trials per backend, and
//! check the database never lies: on SQLite and PostgreSQL no history row
//! without its effect and no effect without its row; on MySQL/MariaDB a
//! half-run migration leaves a failed row that blocks the next run until
//! `repair`.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{owned_migrations, profile, test_process, TestDb};
use migrata::{BackendKind, Error, FailedScript, Migration, Migrator, Repair, RepairAction};

const STEPS: usize = 6;
const TRIALS: usize = 30;
const CHILD_ENV: &str = "MIGRATE_TEST_KILL_CHILD_URL";

/// How long each step pauses between creating and filling its table: long
/// enough that a kill lands mid-run in a fair share of the trials. On
/// PostgreSQL the steps go to the server in one query string, so a run is
/// the child's start and that one string: the steps pause longer there,
/// so the string is not a small part of the run.
fn pause_seconds(kind: BackendKind) -> f64 {
    match kind {
        BackendKind::Postgres => 0.15,
        _ => 0.08,
    }
}

/// Each step creates its table, pauses, then fills it: a kill can land
/// between any two of those.
fn kill_set(kind: BackendKind) -> Vec<Migration> {
    let files: Vec<(String, String)> = (1..=STEPS)
        .map(|i| {
            (
                format!("{i:04}_step.sql"),
                format!(
                    "CREATE TABLE k{i} (id INTEGER);\n{}\nINSERT INTO k{i} VALUES ({i});\n",
                    (profile(kind).pause)(pause_seconds(kind))
                ),
            )
        })
        .collect();
    owned_migrations(&files)
}

/// A killed migrator's lease outlives it by at most this: short, so the
/// next migrator in each trial proceeds quickly.
const LEASE: Duration = Duration::from_secs(1);

fn migrator(set: &[Migration]) -> Migrator<'_> {
    Migrator::new(set).lease_ttl(LEASE)
}

/// Not a test: the body of each process that gets killed.
#[tokio::test]
#[ignore = "run by the kill tests in child processes"]
async fn child_migrator() {
    let url = std::env::var(CHILD_ENV).expect("runs only as a child process");
    let kind = BackendKind::from_url(&url).unwrap();
    migrator(&kill_set(kind)).run(&url).await.unwrap();
}

/// The URL a killed child connects with. PostgreSQL runs a query string it
/// received to its end even after its client is gone, and a run sends its
/// migrations together in one: told to check the client every 10 ms, it
/// aborts the string once the client is killed, with the migration it was
/// running rolled back and the ones before it committed (what a server
/// shutdown or a dropped network does too), so kills land among them.
fn child_url(db: &TestDb) -> String {
    match db.kind {
        BackendKind::Postgres => {
            let separator = if db.url.contains('?') { '&' } else { '?' };
            format!(
                "{}{separator}options%5Bclient_connection_check_interval%5D=10ms",
                db.url
            )
        }
        _ => db.url.clone(),
    }
}

fn spawn_child(db: &TestDb) -> std::process::Child {
    test_process(module_path!(), "child_migrator")
        .env(CHILD_ENV, child_url(db))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the server has finished with the killed client's session: a
/// statement (or a COMMIT) it had already received still runs to its end.
async fn settle(db: &TestDb) {
    let Some(server) = db.profile().server() else {
        return;
    };
    let others = server.other_sessions;
    let started = Instant::now();
    while db.scalar(others).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the killed session never ended"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// xorshift64: enough randomness for kill times, no dependency.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

async fn sigkill_at_random_points(kind: BackendKind) {
    let name = format!("{kind}::sigkill_at_random_points");
    let Some(calibration) = TestDb::create(kind, &name).await else {
        return;
    };
    let started = Instant::now();
    assert!(spawn_child(&calibration).wait().unwrap().success());
    let full_run = started.elapsed();
    drop(calibration);

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut random = Random(seed);
    let set = kill_set(kind);
    let (mut mid_run, mut dirty) = (0, 0);
    let mut recorded_at_kill = Vec::new();
    for trial in 0..TRIALS {
        let db = TestDb::create(kind, &name).await.unwrap();
        let mut child = spawn_child(&db);
        let delay = Duration::from_micros(random.below(full_run.as_micros() as u64 * 11 / 10));
        tokio::time::sleep(delay).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        settle(&db).await;

        let context =
            format!("{kind} trial {trial} (seed {seed}, killed after {delay:?} of {full_run:?})");
        let history = if db.table_exists("migrate_history").await {
            db.history().await
        } else {
            Vec::new()
        };
        for i in 1..=STEPS as i64 {
            let row = history.iter().find(|r| r.0 == i);
            let table = db.table_exists(&format!("k{i}")).await;
            match row {
                Some(row) if row.3 => {
                    assert!(
                        table,
                        "{context}: step {i} recorded but its table is missing"
                    );
                    assert_eq!(
                        db.scalar(&format!("SELECT count(*) FROM k{i}")).await,
                        1,
                        "{context}: step {i} half done"
                    );
                }
                Some(_failed) => assert!(
                    !kind.transactional_ddl(),
                    "{context}: failed row on a transactional backend"
                ),
                None => assert!(!table, "{context}: step {i} has an effect but no row"),
            }
        }
        let succeeded = history.iter().filter(|r| r.3).count();
        recorded_at_kill.push(succeeded);
        let failed: Vec<i64> = history.iter().filter(|r| !r.3).map(|r| r.0).collect();
        if (0 < succeeded && succeeded < STEPS) || !failed.is_empty() {
            mid_run += 1;
        }

        if let [version] = failed[..] {
            dirty += 1;
            let err = migrator(&set).run(&db.url).await.unwrap_err();
            assert!(matches!(err, Error::Dirty { .. }), "{context}: {err}");
            let repaired = migrator(&set)
                .at(&db.url)
                .repair(Repair::AsFailureCallsFor)
                .await
                .unwrap();
            assert_eq!(repaired.len(), 1, "{context}");
            assert_eq!(repaired[0].version, version, "{context}");
            assert_eq!(repaired[0].failed, FailedScript::Up, "{context}");
            assert_eq!(repaired[0].action, RepairAction::Cleared, "{context}");
            // The manual fix: undo what the interrupted script did.
            db.execute(&format!("DROP TABLE IF EXISTS k{version}"))
                .await;
        } else {
            assert!(
                failed.is_empty(),
                "{context}: several failed rows {failed:?}"
            );
        }
        let report = migrator(&set).run(&db.url).await.unwrap();
        assert_eq!(report.applied.len(), STEPS - succeeded, "{context}");
        assert_eq!(
            db.history().await.iter().filter(|r| r.3).count(),
            STEPS,
            "{context}"
        );
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "{kind}: {TRIALS} SIGKILL trials (seed {seed}, full run {full_run:?}): {mid_run} landed mid-run, \
         {dirty} left a failed row that blocked the next run until repair; steps recorded at kill: {recorded_at_kill:?}"
    );
    assert!(mid_run >= TRIALS / 4, "{kind}: only {mid_run} of {TRIALS} kills landed mid-run; the test is not exercising anything");
}

on_every_backend!(kind: sigkill_at_random_points);
