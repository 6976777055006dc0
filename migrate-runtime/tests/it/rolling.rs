//! Issue 23: a rolling deploy. Three processes of release N (one migration
//! creating `items` with a `legacy` column, replicas registered with
//! `run_with_presence`) serve a reader loop selecting `legacy`; release
//! N+1 (an expand migration adding a column and a contract migration
//! dropping `legacy`) replaces them one at a time. The expand migration
//! applies at the first new start, the readers never fail, and the
//! contract migration applies exactly once, after the last old replica
//! stopped, or, when one was SIGKILLed, after its presence expired.
//!
//! On SQLite, PostgreSQL and MariaDB directly, behind pgbouncer in
//! transaction pooling (every process, presence refreshes included,
//! through the pooler) and on a Galera cluster (the processes spread over
//! its three nodes); the rigs come from `rigs/`, as in `topology.rs`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{migrations, server_url, test_process, url_with_database, Conn, TestDb};
use crate::topology::{create_database, drop_database, setup_from, Setup};
use migrata::{BackendKind, Migration, Migrator};

const CHILD_ENV: &str = "MIGRATE_TEST_ROLLING_CHILD_URL";

/// Short, so a killed replica's presence expires within the test.
const PRESENCE_TTL: Duration = Duration::from_secs(2);

const RELEASE_N: [(&str, &str); 1] = [(
    "0001_items.sql",
    "CREATE TABLE items (id INTEGER PRIMARY KEY, legacy VARCHAR(20));\nINSERT INTO items (id, legacy) VALUES (1, 'a'), (2, 'b');\n",
)];

fn release_next() -> Vec<Migration> {
    migrations(&[
        RELEASE_N[0],
        (
            "0002_add_label.sql",
            "ALTER TABLE items ADD COLUMN label VARCHAR(20);\n",
        ),
        (
            "0003_drop_legacy.sql",
            "-- migrate:phase contract\nALTER TABLE items DROP COLUMN legacy;\n",
        ),
    ])
}

fn migrator(set: &[Migration]) -> Migrator<'_> {
    Migrator::new(set).presence_ttl(PRESENCE_TTL)
}

/// Not a test: an old replica. Migrates with presence, prints `ready`,
/// then reads `legacy` until its stdin closes, and prints its read count;
/// any failed read panics, which fails the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by the rolling-deploy tests in child processes"]
async fn old_replica() {
    let url = std::env::var(CHILD_ENV).expect("runs only as a child process");
    let set = migrations(&RELEASE_N);
    let (_, presence) = migrator(&set).run_with_presence(&url).await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    println!("ready");
    let mut conn = Conn::open(&url).await;
    let mut reads = 0u64;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        assert_eq!(conn.scalar("SELECT count(legacy) FROM items").await, 2);
        reads += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    presence.shutdown().await.unwrap();
    println!("reads={reads}");
}

struct OldReplica {
    child: Child,
    output: BufReader<std::process::ChildStdout>,
}

impl OldReplica {
    fn start(url: &str) -> OldReplica {
        let mut child = test_process(module_path!(), "old_replica")
            .env(CHILD_ENV, url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                output.read_line(&mut line).unwrap() > 0,
                "the old replica died before serving"
            );
            // libtest writes `test <name> ... ` before the test's output.
            if line.trim_end().ends_with("ready") {
                break;
            }
        }
        OldReplica { child, output }
    }

    /// Stops it cleanly; its read count.
    fn stop(mut self) -> u64 {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.output, &mut rest).unwrap();
        assert!(
            self.child.wait().unwrap().success(),
            "an old replica's reader failed:\n{rest}"
        );
        rest.lines()
            .find_map(|line| line.split_once("reads=").map(|(_, n)| n))
            .and_then(|n| n.parse().ok())
            .expect("the read count")
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

fn versions(applied: &[migrata::Applied]) -> Vec<i64> {
    applied.iter().map(|a| a.version).collect()
}

/// Where a deploy runs: a backend's test server (or SQLite file), or a
/// rig whose processes connect through a pooler or to several nodes.
enum Place {
    Backend(BackendKind),
    Rig(Setup),
}

/// One scenario's fresh database, and the URLs its processes connect to,
/// taken in turn.
struct Site<'p> {
    urls: Vec<String>,
    _db: Option<TestDb>,
    created: Option<(&'p Setup, String)>,
}

impl Place {
    fn name(&self) -> String {
        match self {
            Place::Backend(kind) => kind.to_string(),
            Place::Rig(setup) => setup.name.to_owned(),
        }
    }

    /// A fresh database; `None` when the backend's server is not set up
    /// (after a loud `SKIPPED:` line).
    async fn site(&self) -> Option<Site<'_>> {
        match self {
            Place::Backend(kind) => {
                let db = TestDb::create(*kind, &format!("{kind}::rolling_deploy")).await?;
                Some(Site {
                    urls: vec![db.url.clone()],
                    _db: Some(db),
                    created: None,
                })
            }
            Place::Rig(setup) => {
                let (name, _) = create_database(setup).await;
                Some(Site {
                    urls: setup
                        .nodes
                        .iter()
                        .map(|node| url_with_database(node, &name))
                        .collect(),
                    _db: None,
                    created: Some((setup, name)),
                })
            }
        }
    }
}

impl Site<'_> {
    /// The URL of the `n`th process, round-robin over the nodes.
    fn url(&self, n: usize) -> &str {
        &self.urls[n % self.urls.len()]
    }

    async fn contract_applications(&self) -> i64 {
        let mut conn = Conn::open(self.url(0)).await;
        let count = conn
            .scalar("SELECT count(*) FROM migrate_history WHERE version = 3")
            .await;
        conn.close().await;
        count
    }

    async fn close(self) {
        if let Some((setup, name)) = self.created {
            drop_database(setup, &name).await;
        }
    }
}

/// One deploy at a time: three old processes reading in a loop plus the
/// new ones are load enough for two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn rolling_deploy(kind: BackendKind) {
    deploy(Place::Backend(kind)).await;
}

async fn deploy(place: Place) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(site) = place.site().await else {
        return;
    };
    let next = release_next();
    // Old replica i and new replica i connect to different nodes (on
    // Galera); the runs in between to yet others.
    let olds: Vec<OldReplica> = (0..3).map(|i| OldReplica::start(site.url(i))).collect();
    // Past two TTLs, the old replicas count only if their refresh tasks
    // kept their rows alive (behind pgbouncer: over pooled connections).
    tokio::time::sleep(PRESENCE_TTL * 2).await;
    let mut news = Vec::new();
    let mut reads = Vec::new();
    let mut holders = Vec::new();
    for (i, old) in olds.into_iter().enumerate() {
        let (report, presence) = migrator(&next)
            .run_with_presence(site.url(i + 1))
            .await
            .unwrap();
        let expected: &[i64] = if i == 0 { &[2] } else { &[] };
        assert_eq!(versions(&report.applied), expected, "start {i}");
        assert_eq!(report.held.len(), 1, "start {i}");
        holders.push(report.held[0].replicas.len());
        assert_eq!(report.held[0].replicas.len(), 3 - i, "start {i}");
        let status = migrator(&next).at(site.url(i + 2)).status().await.unwrap();
        let held = status.entries.iter().find_map(|e| e.held.as_ref()).unwrap();
        assert!(
            held.to_string()
                .starts_with(&format!("held: {} replica", 3 - i)),
            "{held}"
        );
        news.push(presence);
        reads.push(old.stop());
        assert_eq!(
            site.contract_applications().await,
            0,
            "held while an old replica runs"
        );
    }
    // The next new start (a restart, or another replica) applies it.
    let report = migrator(&next).run(site.url(1)).await.unwrap();
    assert_eq!((versions(&report.applied), report.held.len()), (vec![3], 0));
    let again = migrator(&next).run(site.url(2)).await.unwrap();
    assert!(again.is_up_to_date() && again.held.is_empty());
    let applied_once = site.contract_applications().await;
    assert_eq!(applied_once, 1);
    for presence in news {
        presence.shutdown().await.unwrap();
    }
    assert!(reads.iter().all(|&n| n > 0), "{reads:?}");
    site.close().await;

    // A SIGKILLed old replica holds the contract migration until its
    // presence expires.
    let site = place.site().await.unwrap();
    let old = OldReplica::start(site.url(0));
    let report = migrator(&next).run(site.url(1)).await.unwrap();
    assert_eq!((versions(&report.applied), report.held.len()), (vec![2], 1));
    old.kill();
    let killed = Instant::now();
    let mut held_runs = 0;
    let applied_after = loop {
        let report = migrator(&next).run(site.url(held_runs + 1)).await.unwrap();
        if versions(&report.applied) == [3] {
            break killed.elapsed();
        }
        assert_eq!(report.held.len(), 1);
        held_runs += 1;
        assert!(killed.elapsed() < PRESENCE_TTL * 5, "never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        held_runs > 0,
        "applied before the killed replica's presence expired"
    );
    assert!(
        applied_after <= PRESENCE_TTL + Duration::from_secs(2),
        "{applied_after:?}"
    );
    assert_eq!(site.contract_applications().await, 1);
    site.close().await;

    // Without old replicas, nothing is held.
    let site = place.site().await.unwrap();
    let report = migrator(&next).run(site.url(0)).await.unwrap();
    assert_eq!(
        (versions(&report.applied), report.held.len()),
        (vec![1, 2, 3], 0)
    );
    site.close().await;

    // The override applies a held migration at once.
    let site = place.site().await.unwrap();
    let old = OldReplica::start(site.url(0));
    let held = migrator(&next).run(site.url(1)).await.unwrap();
    let now = migrator(&next)
        .contract_now(true)
        .run(site.url(2))
        .await
        .unwrap();
    // Its reads fail from now on: what overriding means.
    old.kill();
    assert_eq!((held.held.len(), versions(&now.applied)), (1, vec![3]));
    site.close().await;
    println!(
        "{}: old replicas read legacy {reads:?} times without an error; holders at the three new starts {holders:?}; contract applied {applied_once} time(s), after the last stopped; after a SIGKILL it applied {} ms after the kill ({held_runs} runs held it first, TTL {} ms); the override applied it with an old replica live",
        place.name(),
        applied_after.as_millis(),
        PRESENCE_TTL.as_millis(),
    );
}

on_every_backend!(kind: rolling_deploy);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbouncer_transaction_pooling() {
    let setup = setup_from(
        "pgbouncer transaction",
        BackendKind::Postgres,
        "MIGRATE_TEST_PGBOUNCER_BACKEND_URL",
        "MIGRATE_TEST_PGBOUNCER_TX_URL",
    );
    if let Some(setup) = setup {
        deploy(Place::Rig(setup)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_across_nodes() {
    let Some(nodes) = server_url("MIGRATE_TEST_GALERA_URLS", "galera") else {
        return;
    };
    let nodes: Vec<String> = nodes.split(',').map(str::to_owned).collect();
    deploy(Place::Rig(Setup {
        name: "galera across nodes",
        kind: BackendKind::MySql,
        admin: Some(nodes[0].clone()),
        nodes,
    }))
    .await;
}
