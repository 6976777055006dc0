//! Issue 22: bounded lock waits, retried under the lease, with the error
//! naming what held the lock; `-- migrate:check` refusing a migration
//! before anything changes, online and offline; and what bounded lock
//! waits do for a reader of the table being altered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{migrations, owned_migrations, profile, Conn, TestDb};
use crate::offline::client_output;
use migrata::{BackendKind, Error, LockWait, Migration, Migrator, Report};

/// The lock wait the retry tests set (MySQL counts whole seconds: 1 s).
const LOCK_WAIT: Duration = Duration::from_millis(200);

/// A table `t`, then a migration altering it that first pauses, so that a
/// blocker can take its lock once the migrator holds the lease (on SQLite
/// the lease is a write, which a reader started earlier would hold off).
/// The alteration says `retry-safe`: on MySQL every script runs outside a
/// transaction.
fn blocked_set(kind: BackendKind) -> (Vec<Migration>, Vec<Migration>) {
    let create = (
        "0001_t.sql".to_owned(),
        "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\n".to_owned(),
    );
    let alter = (
        "0002_alter.sql".to_owned(),
        format!(
            "-- migrate:retry-safe\n{}\nALTER TABLE t ADD COLUMN c INTEGER;\n",
            (profile(kind).pause)(0.5)
        ),
    );
    (
        owned_migrations(std::slice::from_ref(&create)),
        owned_migrations(&[create, alter]),
    )
}

/// A session holding a lock on `t`: a transaction that read it (a shared
/// lock on PostgreSQL and MySQL; on SQLite, the read lock that keeps a
/// writer from committing), taken once the migrator holds the lease.
struct Blocker {
    conn: Conn,
    /// Its id on the server, where the database has one.
    id: Option<i64>,
}

impl Blocker {
    async fn start_under_lease(db: &TestDb) -> Blocker {
        let mut conn = db.conn().await;
        let started = Instant::now();
        while conn
            .scalar("SELECT count(*) FROM migrate_history_lock WHERE expires_at <> 0")
            .await
            == 0
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the migrator never took the lease"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let id = match db.profile().blocking_session {
            Some(session) => Some(conn.scalar(session.id).await),
            None => None,
        };
        conn.execute("BEGIN").await;
        assert_eq!(conn.scalar("SELECT count(*) FROM t").await, 1);
        Blocker { conn, id }
    }

    /// How a lock-wait message names this session, where it can.
    fn named(&self, db: &TestDb) -> Option<String> {
        let session = db.profile().blocking_session?;
        Some((session.named)(self.id?))
    }

    async fn end(mut self) {
        self.conn.execute("COMMIT").await;
        self.conn.close().await;
    }
}

on_every_backend!(
    a_migration_is_retried_until_its_blocker_ends,
    a_blocker_that_never_ends_is_named_in_the_error,
    checks_refuse_a_migration_before_anything_changes,
    offline_checks_stop_the_client,
);

async fn a_migration_is_retried_until_its_blocker_ends(db: TestDb) {
    retried_until_the_blocker_ends(&db).await;
}

/// A blocker takes its lock once the migrator holds the lease and keeps it
/// for 5 s: the migration is retried, and applied exactly once after the
/// blocker ends. Returns the report and how the blocker is named, where
/// the database can name it (the logging tests read the retry events).
pub async fn retried_until_the_blocker_ends(db: &TestDb) -> (Report, Option<String>) {
    let (setup, set) = blocked_set(db.kind);
    Migrator::new(&setup).run(&db.url).await.unwrap();
    let migrator = Migrator::new(&set)
        .lock_wait(LOCK_WAIT)
        .lock_retry_budget(Duration::from_secs(60));
    // Well past the script's pause: SQLite's pause burns CPU, and on a
    // loaded CI machine it outlasted a 2.5 s hold, so nothing was blocked.
    let hold = Duration::from_millis(5000);
    let started = Instant::now();
    let (report, (named, released)) = tokio::join!(migrator.run(&db.url), async {
        let blocker = Blocker::start_under_lease(db).await;
        let named = blocker.named(db);
        tokio::time::sleep(hold).await;
        blocker.end().await;
        (named, started.elapsed())
    });
    let report: Report = report.unwrap();
    let kind = db.kind;
    assert_eq!(report.applied.len(), 1, "{kind}");
    let retries = report.applied[0].lock_retries;
    assert!(
        retries >= 1,
        "{kind}: the blocker held it for {hold:?}, yet no retry"
    );
    assert!(
        started.elapsed() >= released,
        "{kind}: done before the blocker ended"
    );
    // Applied exactly once: one row, and the column added once.
    assert_eq!(
        db.history()
            .await
            .iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        [(1, true), (2, true)]
    );
    assert_eq!(db.scalar("SELECT count(c) FROM t").await, 0);
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
    (report, named)
}

/// PostgreSQL sends a run's transactional migrations together: when the
/// second of three gives up waiting for a lock, the first stays committed
/// and is not run again (its `CREATE TABLE` would fail), and the second
/// and third are tried again until the blocker ends.
#[tokio::test]
async fn a_lock_wait_among_migrations_sent_together_retries_from_the_blocked_one() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "lock_waits::together").await else {
        return;
    };
    let (setup, _) = blocked_set(db.kind);
    Migrator::new(&setup).run(&db.url).await.unwrap();
    let set = owned_migrations(&[
        (
            "0001_t.sql".to_owned(),
            "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\n".to_owned(),
        ),
        (
            "0002_before.sql".to_owned(),
            "CREATE TABLE earlier (id INTEGER);\n".to_owned(),
        ),
        (
            "0003_alter.sql".to_owned(),
            "SELECT pg_sleep(0.5);\nALTER TABLE t ADD COLUMN c INTEGER;\n".to_owned(),
        ),
        (
            "0004_after.sql".to_owned(),
            "CREATE TABLE later (id INTEGER);\n".to_owned(),
        ),
    ]);
    let migrator = Migrator::new(&set)
        .lock_wait(LOCK_WAIT)
        .lock_retry_budget(Duration::from_secs(60));
    let (report, ()) = tokio::join!(migrator.run(&db.url), async {
        let blocker = Blocker::start_under_lease(&db).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        blocker.end().await;
    });
    let report = report.unwrap();
    let applied: Vec<(i64, bool)> = report
        .applied
        .iter()
        .map(|a| (a.version, a.lock_retries > 0))
        .collect();
    assert_eq!(applied, [(2, false), (3, true), (4, false)]);
    assert_eq!(db.versions().await, vec![1, 2, 3, 4]);
    assert_eq!(db.scalar("SELECT count(c) FROM t").await, 0);
    assert!(db.table_exists("later").await);
}

async fn a_blocker_that_never_ends_is_named_in_the_error(db: TestDb) {
    let (setup, set) = blocked_set(db.kind);
    Migrator::new(&setup).run(&db.url).await.unwrap();
    let budget = Duration::from_secs(3);
    let started = Instant::now();
    let migrator = Migrator::new(&set)
        .lock_wait(LOCK_WAIT)
        .lock_retry_budget(budget);
    let (result, blocker) = tokio::join!(migrator.run(&db.url), Blocker::start_under_lease(&db));
    let error = result.unwrap_err();
    let kind = db.kind;
    let message = error.to_string();
    let Error::LockWaitExhausted {
        version,
        file,
        blocker: seen,
        attempts,
        retried,
        left_failed,
        ..
    } = &error
    else {
        panic!("{kind}: {message}")
    };
    assert_eq!(
        (*version, file.as_str()),
        (2, "0002_alter.sql"),
        "{message}"
    );
    assert!(*retried && *attempts >= 2, "{kind}: {message}");
    assert!(
        started.elapsed() >= budget,
        "{kind}: gave up before the budget: {message}"
    );
    match blocker.named(&db) {
        Some(named) => {
            let seen = seen.as_deref().unwrap_or_default();
            assert!(seen.contains(&named), "{kind}: names {named}: {message}");
            assert!(message.contains(&named), "{message}");
            assert!(
                !message.contains("SELECT count(*) FROM t"),
                "never the blocker's query: {message}"
            );
        }
        None => assert!(
            seen.is_none() && message.contains("not seen"),
            "{kind}: {message}"
        ),
    }
    assert!(
        message.starts_with("migration 2 (`0002_alter.sql`) could not get its locks"),
        "{message}"
    );
    blocker.end().await;
    // Each try rolled back; outside a transaction (MySQL) the claimed row
    // is left failed, as after any failure there.
    let rows: Vec<(i64, bool)> = db.history().await.iter().map(|r| (r.0, r.3)).collect();
    if kind.transactional_ddl() {
        assert!(!left_failed, "{message}");
        assert_eq!(rows, [(1, true)]);
        assert_eq!(
            Migrator::new(&set)
                .run(&db.url)
                .await
                .unwrap()
                .applied
                .len(),
            1
        );
    } else {
        assert!(left_failed, "{message}");
        assert_eq!(rows, [(1, true), (2, false)]);
    }
}

/// Users, one of them without an email.
const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER, email VARCHAR(100));\nINSERT INTO users VALUES (1, NULL);\n",
);

/// A migration guarded by `checks`, whose effect is a `marker` row.
fn guarded(header: &str, checks: &[&str]) -> Vec<Migration> {
    let checks: String = checks
        .iter()
        .map(|c| format!("-- migrate:check {c}\n"))
        .collect();
    let script = format!(
        "{header}{checks}CREATE TABLE marker (id INTEGER);\nINSERT INTO marker VALUES (1);\n"
    );
    migrations(&[USERS, ("0002_marker.sql", &script)])
}

async fn checks_refuse_a_migration_before_anything_changes(db: TestDb) {
    let kind = db.kind;
    Migrator::new(&migrations(&[USERS]))
        .run(&db.url)
        .await
        .unwrap();
    for header in ["", "-- migrate:no-transaction\n"] {
        // False (the second of two), no row (NULL), and an error.
        let cases: [(&[&str], usize, bool); 3] = [
            (
                &[
                    "SELECT count(*) = 1 FROM users",
                    "SELECT count(*) = 0 FROM users WHERE email IS NULL",
                ],
                2,
                false,
            ),
            (&["SELECT email IS NULL FROM users WHERE id = 99"], 1, false),
            (&["SELECT count(*) = 0 FROM no_such_table"], 1, true),
        ];
        for (checks, line, fails) in cases {
            let set = guarded(header, checks);
            let error = Migrator::new(&set).run(&db.url).await.unwrap_err();
            let message = error.to_string();
            let Error::CheckFailed {
                version: 2,
                file,
                line: at,
                check,
                error: failure,
            } = &error
            else {
                panic!("{kind} {header:?}: {message}");
            };
            assert_eq!(
                (file.as_str(), *at, check.as_str()),
                (
                    "0002_marker.sql",
                    line + header.lines().count(),
                    checks[line - 1]
                ),
                "{message}"
            );
            assert_eq!(failure.is_some(), fails, "{kind}: {message}");
            assert!(
                message.starts_with("migration 2 (`0002_marker.sql`) refused by its check on line"),
                "{message}"
            );
            assert!(message.ends_with("nothing was changed"), "{message}");
            // Nothing changed: no marker, no history row (not even a failed one).
            assert!(
                !db.table_exists("marker").await,
                "{kind} {header:?}: {message}"
            );
            assert_eq!(db.versions().await, [1], "{kind} {header:?}: {message}");
        }
    }
    db.execute("UPDATE users SET email = 'a@example.com'").await;
    let set = guarded(
        "",
        &[
            "SELECT count(*) = 1 FROM users",
            "SELECT count(*) = 0 FROM users WHERE email IS NULL",
        ],
    );
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 1, "{kind}: the checks hold now");
    assert_eq!(db.scalar("SELECT count(*) FROM marker").await, 1);
}

async fn offline_checks_stop_the_client(db: TestDb) {
    let kind = db.kind;
    Migrator::new(&migrations(&[USERS]))
        .run(&db.url)
        .await
        .unwrap();
    let set = guarded(
        "",
        &[
            "SELECT count(*) = 1 FROM users",
            "SELECT count(*) = 0 FROM users WHERE email IS NULL",
        ],
    );
    let sql = Migrator::new(&set).offline(kind).up(Some(1), None).unwrap();
    let Some(refused) = client_output(&db, &sql) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "{kind}: the client went on\n{sql}"
    );
    assert!(
        stderr.contains("migrate:check of 0002_marker.sql line 2 refused"),
        "{kind}: the client's error names the check: {stderr}\n{sql}"
    );
    assert!(!db.table_exists("marker").await, "{kind}: {stderr}");
    assert_eq!(db.versions().await, [1], "{kind}: {stderr}");

    db.execute("UPDATE users SET email = 'a@example.com'").await;
    let passed = client_output(&db, &sql).unwrap();
    assert!(
        passed.status.success(),
        "{kind}: {}\n{sql}",
        String::from_utf8_lossy(&passed.stderr)
    );
    assert_eq!(db.versions().await, [1, 2]);
    assert_eq!(db.scalar("SELECT count(*) FROM marker").await, 1);
}

/// What offline SQL renders: the lock wait where an online run sets it
/// (not the retry), and each check as a statement the client stops on.
#[test]
fn offline_sql_bounds_lock_waits_and_guards_checks() {
    let set = migrations(&[
        (
            "0001_a.sql",
            "-- migrate:check SELECT count(*) = 0 FROM t\nCREATE TABLE a (id INTEGER);",
        ),
        (
            "0002_b.sql",
            "-- migrate:no-transaction\nCREATE TABLE b (id INTEGER);",
        ),
        (
            "0003_c.sql",
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY c ON b (id);",
        ),
    ]);
    let render = |kind, wait: LockWait| {
        Migrator::new(&set)
            .lock_wait(wait)
            .offline(kind)
            .up(None, None)
            .unwrap()
    };
    let postgres = render(
        BackendKind::Postgres,
        LockWait::Max(Duration::from_millis(1500)),
    );
    assert!(
        postgres.contains("BEGIN;\nSET LOCAL lock_timeout = '1500ms';\n-- 1 a (0001_a.sql)\nDO $migrata_check$ BEGIN IF NOT COALESCE((\nSELECT count(*) = 0 FROM t\n), false) THEN RAISE EXCEPTION '%', 'migrate:check of 0001_a.sql line 1 refused'; END IF; END $migrata_check$;\n-- migrate:check"),
        "{postgres}"
    );
    assert_eq!(
        postgres
            .matches("set_config('lock_timeout', '1500ms', false)")
            .count(),
        1,
        "only 0002; CONCURRENTLY keeps its wait:\n{postgres}"
    );
    assert_eq!(
        postgres
            .matches("migrata.saved_lock_timeout', true)")
            .count(),
        1,
        "{postgres}"
    );

    let mysql = render(
        BackendKind::MySql,
        LockWait::Max(Duration::from_millis(1500)),
    );
    assert_eq!(
        mysql
            .matches("SET SESSION lock_wait_timeout = 2, SESSION innodb_lock_wait_timeout = 2;")
            .count(),
        3,
        "rounded up to whole seconds, around every script:\n{mysql}"
    );
    assert!(mysql.contains("CREATE TEMPORARY TABLE migrata_check (ok BOOLEAN NOT NULL, CONSTRAINT `migrate:check of 0001_a.sql line 1 refused` CHECK (ok));\nINSERT INTO migrata_check SELECT COALESCE((\nSELECT count(*) = 0 FROM t\n), FALSE);\nDROP TEMPORARY TABLE migrata_check;"), "{mysql}");

    let sqlite = render(
        BackendKind::Sqlite,
        LockWait::Max(Duration::from_millis(1500)),
    );
    assert!(
        sqlite.contains("PRAGMA busy_timeout = 1500;\nBEGIN IMMEDIATE;\n"),
        "{sqlite}"
    );
    assert!(
        sqlite.contains("COMMIT;\nPRAGMA busy_timeout = 30000;\n"),
        "back to lock_timeout:\n{sqlite}"
    );
    assert!(
        sqlite.contains("CONSTRAINT \"migrate:check of 0001_a.sql line 1 refused\" CHECK (ok)")
            && sqlite.contains("DROP TABLE temp.migrata_check;"),
        "{sqlite}"
    );

    for kind in [
        BackendKind::Postgres,
        BackendKind::MySql,
        BackendKind::Sqlite,
    ] {
        let off = render(kind, LockWait::Off);
        for setting in ["lock_timeout", "lock_wait_timeout", "busy_timeout"] {
            assert!(!off.contains(setting), "{kind}: lock waits off:\n{off}");
        }
        assert!(
            off.contains("migrate:check of 0001_a.sql line 1 refused"),
            "{kind}: checks stay"
        );
    }
}

/// A reader's latencies, in query order.
struct Latencies(Vec<Duration>);

impl Latencies {
    fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    fn p99(&self) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)]
    }
}

/// One round of the reader-latency scenario: a session holds a read
/// transaction on `t` for `hold`; a reader queries `t` every 5 ms on its
/// own connection; a migration altering `t` starts 300 ms in, with `wait`.
/// Returns the reader's latencies over the round, the migration's report
/// and when it finished.
async fn reader_round(
    db: &TestDb,
    set: &[Migration],
    wait: LockWait,
    hold: Duration,
) -> (Latencies, Report, Duration) {
    let mut blocker = db.conn().await;
    blocker.execute("BEGIN").await;
    blocker.scalar("SELECT count(*) FROM t").await;
    let started = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (url, stop) = (db.url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut conn = Conn::open(&url).await;
            let mut latencies = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let sent = Instant::now();
                conn.scalar("SELECT count(*) FROM t").await;
                latencies.push(sent.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            conn.close().await;
            Latencies(latencies)
        })
    };
    let release = tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        blocker.execute("COMMIT").await;
        blocker.close().await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let report = Migrator::new(set)
        .lock_wait(wait)
        .lock_retry_budget(Duration::from_secs(60))
        .run(&db.url)
        .await
        .unwrap();
    let finished = started.elapsed();
    release.await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    (reader.await.unwrap(), report, finished)
}

/// Issue 22, item 2: without a bound, a reader of the table stalls behind
/// the waiting `ALTER` for as long as the blocking transaction lasts; with
/// one, its worst latency stays near the bound, and the migration is
/// applied once the blocker ends.
async fn a_bounded_lock_wait_keeps_readers_moving(kind: BackendKind) {
    let Some(db) = TestDb::create(kind, &format!("lock_waits::{kind}::readers")).await else {
        return;
    };
    let hold = Duration::from_secs(4);
    let alter = |n: usize| {
        (
            format!("000{n}_alter.sql"),
            format!("-- migrate:retry-safe\nALTER TABLE t ADD COLUMN c{n} INTEGER;\n"),
        )
    };
    let create = (
        "0001_t.sql".to_owned(),
        "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\n".to_owned(),
    );
    Migrator::new(&owned_migrations(std::slice::from_ref(&create)))
        .run(&db.url)
        .await
        .unwrap();

    let without_set = owned_migrations(&[create.clone(), alter(2)]);
    let (without, report, finished) = reader_round(&db, &without_set, LockWait::Off, hold).await;
    assert_eq!(report.applied[0].lock_retries, 0);
    assert!(
        finished >= hold,
        "{kind}: the unbounded ALTER waited for the blocker"
    );

    let with_set = owned_migrations(&[create, alter(2), alter(3)]);
    let (with, report, finished) =
        reader_round(&db, &with_set, LockWait::Max(LOCK_WAIT), hold).await;
    assert!(report.applied[0].lock_retries >= 1, "{kind}");
    assert!(
        finished >= hold,
        "{kind}: applied only once the blocker ended"
    );

    eprintln!(
        "reader latency on {kind}, blocker holding {hold:?}: without a lock wait p99 {:?} max {:?} ({} queries); with lock_wait {LOCK_WAIT:?} (MySQL: 1s) p99 {:?} max {:?} ({} queries, {} retries)",
        without.p99(), without.max(), without.0.len(),
        with.p99(), with.max(), with.0.len(), report.applied[0].lock_retries
    );
    assert!(
        without.max() >= hold.mul_f64(0.6),
        "{kind}: without, the reader stalls for most of the hold: {:?}",
        without.max()
    );
    assert!(
        with.max() <= hold.mul_f64(0.4),
        "{kind}: with, the reader's worst stays near the lock wait: {:?}",
        with.max()
    );
    assert_eq!(db.versions().await, [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_lock_wait_keeps_postgres_readers_moving() {
    a_bounded_lock_wait_keeps_readers_moving(BackendKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_lock_wait_keeps_mysql_readers_moving() {
    a_bounded_lock_wait_keeps_readers_moving(BackendKind::MySql).await;
}

/// Outside a transaction (PostgreSQL's `-- migrate:no-transaction`, every
/// MySQL script), scripts go statement by statement: a statement that gave
/// up waiting for a lock did nothing, so it alone is tried again, without
/// `retry-safe`, and the statements before it are not repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_a_transaction_only_the_blocked_statement_is_retried() {
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let Some(db) = TestDb::create(kind, &format!("{kind}::only_the_blocked_statement")).await
        else {
            continue;
        };
        let setup = owned_migrations(&[(
            "0001_t.sql".to_owned(),
            "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\nCREATE TABLE marks (n INTEGER);\n"
                .to_owned(),
        )]);
        let mut set = setup.clone();
        set.extend(owned_migrations(&[(
            "0002_alter.sql".to_owned(),
            format!(
                "-- migrate:no-transaction\nINSERT INTO marks VALUES (1);\n{}\nALTER TABLE t ADD COLUMN c INTEGER;\n",
                (profile(kind).pause)(0.5)
            ),
        )]));
        Migrator::new(&setup).run(&db.url).await.unwrap();
        let migrator = Migrator::new(&set)
            .lock_wait(LOCK_WAIT)
            .lock_retry_budget(Duration::from_secs(60));
        let (report, ()) = tokio::join!(migrator.run(&db.url), async {
            let blocker = Blocker::start_under_lease(&db).await;
            tokio::time::sleep(Duration::from_millis(2500)).await;
            blocker.end().await;
        });
        let report = report.unwrap();
        assert!(report.applied[0].lock_retries >= 1, "{kind}: no retry");
        assert_eq!(
            db.scalar("SELECT count(*) FROM marks").await,
            1,
            "{kind}: the first statement ran again"
        );
        assert_eq!(db.scalar("SELECT count(c) FROM t").await, 0);
        let rows: Vec<(i64, bool)> = db.history().await.iter().map(|r| (r.0, r.3)).collect();
        assert_eq!(rows, [(1, true), (2, true)], "{kind}");
    }
}
