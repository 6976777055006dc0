//! The lease's failure modes: a migrator in progress is waited for, never
//! repaired away; a migrator paused past its lease cannot record anything
//! once another took the lease, and one whose lease nobody took completes;
//! a dropped `run_on` over a pooled connection blocks nobody for longer than
//! the lease; a hot standby is refused at once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    owned_migrations, profile, server_url, test_process, unique_name, url_with_database,
    wait_until, Conn, TestDb,
};
use migrata::{
    embed_migrations, BackendKind, Error, LockStrategy, Migration, Migrations, Migrator,
};

const CHILD_URL: &str = "MIGRATE_TEST_LEASE_CHILD_URL";

/// One script outside a transaction that takes `seconds`, then leaves a mark.
fn slow_untransacted(kind: BackendKind, seconds: f64) -> Vec<Migration> {
    owned_migrations(&[(
        "0001_slow.sql".to_owned(),
        format!(
            "-- migrate:no-transaction\n{}\nCREATE TABLE slow (id INTEGER);\n",
            (profile(kind).pause)(seconds)
        ),
    )])
}

/// One transactional script that takes `seconds`.
fn slow_transactional(kind: BackendKind, seconds: f64) -> Vec<Migration> {
    owned_migrations(&[(
        "0001_slow.sql".to_owned(),
        format!(
            "{}\nCREATE TABLE slow (id INTEGER);\n",
            (profile(kind).pause)(seconds)
        ),
    )])
}

/// One transactional script that writes first (on SQLite: takes the write
/// lock) and then takes `seconds`.
fn slow_after_a_write(kind: BackendKind, seconds: f64) -> Vec<Migration> {
    owned_migrations(&[(
        "0001_slow.sql".to_owned(),
        format!(
            "CREATE TABLE slow (id INTEGER);\n{}\nINSERT INTO slow VALUES (1);\n",
            (profile(kind).pause)(seconds)
        ),
    )])
}

async fn a_live_migrators_row_is_in_progress_not_failed(db: TestDb) {
    waits_for_a_live_migrator(&db, LockStrategy::Lease, LockStrategy::Lease).await;
}

/// A rolling change of `lock` puts migrators of both strategies on one
/// database: each waits for the other's script outside a transaction
/// instead of calling its row failed (which, repaired, would run it twice).
async fn the_two_lock_strategies_exclude_each_other(db: TestDb) {
    waits_for_a_live_migrator(&db, LockStrategy::Session, LockStrategy::Lease).await;
    db.execute("DROP TABLE slow").await;
    db.execute("DELETE FROM migrate_history").await;
    waits_for_a_live_migrator(&db, LockStrategy::Lease, LockStrategy::Session).await;
}

/// A migrator with `running` is inside a slow script outside a transaction
/// when one with `starting` starts, runs and repairs: the latter waits and
/// times out naming the holder; the script is applied once.
async fn waits_for_a_live_migrator(db: &TestDb, running: LockStrategy, starting: LockStrategy) {
    let set = slow_untransacted(db.kind, 2.0);
    let url = db.url.clone();
    let first_set = set.clone();
    let first =
        tokio::spawn(async move { Migrator::new(&first_set).lock(running).run(&url).await });
    wait_until("the claimed row", async || {
        db.table_exists("migrate_history").await && db.history().await.iter().any(|r| !r.3)
    })
    .await;

    // Another start waits for the live owner instead of calling it failed...
    let err = Migrator::new(&set)
        .lock(starting)
        .lock_timeout(Duration::from_millis(300))
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::LockTimeout {
                holder: Some(_),
                ..
            }
        ),
        "{} ({running:?}, then {starting:?}): {err}",
        db.kind
    );
    assert!(err.to_string().contains("held by"), "{err}");
    // ...and repair cannot clear its row.
    let err = Migrator::new(&set)
        .lock(starting)
        .lock_timeout(Duration::from_millis(300))
        .at(&db.url)
        .repair(migrata::Repair::AsFailureCallsFor)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LockTimeout {
                holder: Some(_),
                ..
            }
        ),
        "{} ({running:?}, then {starting:?}): {err}",
        db.kind
    );

    assert_eq!(
        first.await.unwrap().unwrap().applied.len(),
        1,
        "{}",
        db.kind
    );
    assert_eq!(db.history().await.len(), 1);
    assert!(db.history().await[0].3, "{}: settled by its owner", db.kind);
}

/// With the session strategy the lease is taken under the session lock, so
/// a session migrator whose connection closed (its lease left behind, as a
/// killed process leaves it) holds up the next one for no time, not for
/// `lease_ttl`.
async fn a_dead_session_migrators_lease_is_taken_over_at_once(db: TestDb) {
    if db.kind == BackendKind::Sqlite {
        return; // No session lock.
    }
    let set = slow_transactional(db.kind, 3.0);
    let migrator = Migrator::new(&set)
        .lock(LockStrategy::Session)
        .lease_ttl(Duration::from_secs(60));
    let mut conn = db.conn().await;
    // Over `run_on` a dropped run cannot release its lease.
    let run = conn.run(&migrator);
    assert!(tokio::time::timeout(Duration::from_millis(500), run)
        .await
        .is_err());
    conn.close().await;
    assert!(
        db.scalar("SELECT expires_at FROM migrate_history_lock")
            .await
            > 0
    );

    let started = Instant::now();
    let report = migrator
        .clone()
        .lock_timeout(Duration::from_secs(10))
        .run(&db.url)
        .await;
    applied_once_after_a_dropped_run(&db, report).await;
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{}: waited {:?}",
        db.kind,
        started.elapsed()
    );
}

async fn a_dropped_run_on_over_a_pooled_connection_blocks_nobody(db: TestDb) {
    let set = slow_transactional(db.kind, 1.5);
    let migrator = Migrator::new(&set).lease_ttl(Duration::from_millis(800));
    // On the next checkout the abandoned transaction has ended (rolled
    // back, or on PostgreSQL finished by the server) and nothing of the
    // migrator's is held on the session.
    match db.kind {
        BackendKind::Sqlite => {
            drop_mid_run::<sqlx::SqliteConnection>(&db.url, &migrator, "SELECT 0")
                .await
                .unwrap();
        }
        BackendKind::Postgres => {
            let advisory = drop_mid_run::<sqlx::PgConnection>(
                &db.url,
                &migrator,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
            )
            .await;
            assert_eq!(advisory.unwrap(), 0);
        }
        _ => {
            // performance_schema may be off: then there is nothing to count.
            let user_locks = drop_mid_run::<sqlx::MySqlConnection>(
                &db.url,
                &migrator,
                "SELECT count(*) FROM performance_schema.metadata_locks WHERE object_type = 'USER LEVEL LOCK'",
            )
            .await;
            assert_eq!(user_locks.unwrap_or(0), 0);
        }
    }
    // The lease the dropped run held expires; the next migrator proceeds.
    let next = Migrator::new(&set)
        .lock_timeout(Duration::from_secs(15))
        .run(&db.url)
        .await;
    applied_once_after_a_dropped_run(&db, next).await;
}

/// The next run after one dropped mid-script applies the migration,
/// unless the dropped run had sent it whole (PostgreSQL: the script, its
/// row and the lease fence in one string, one implicit transaction; MySQL:
/// the claim, the script and the settle in one string), which the server
/// finished after the client left; either way it is recorded once, as
/// applied.
async fn applied_once_after_a_dropped_run(db: &TestDb, report: Result<migrata::Report, Error>) {
    let applied = report.unwrap().applied.len();
    // MySQL's settle is fenced on the lease, which nobody took meanwhile.
    let finished_by_server =
        matches!(db.kind, BackendKind::Postgres | BackendKind::MySql) && applied == 0;
    assert!(applied == 1 || finished_by_server, "{}: {applied}", db.kind);
    let history = db.history().await;
    assert!(
        history.len() == 1 && history[0].3,
        "{}: {history:?}",
        db.kind
    );
}

/// Runs `migrator` over a connection of a pool and drops the run after
/// 300 ms, mid-script; then checks the connection out again (after the
/// server finished what it had received) and returns what `leftover`
/// counts on it.
async fn drop_mid_run<C>(
    url: &str,
    migrator: &Migrator<'_>,
    leftover: &'static str,
) -> Result<i64, sqlx::Error>
where
    C: migrata::Backend,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
    i64: sqlx::Type<C::Database> + for<'r> sqlx::Decode<'r, C::Database>,
    usize: sqlx::ColumnIndex<<C::Database as sqlx::Database>::Row>,
{
    let pool = sqlx::Pool::<C::Database>::connect(url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let run = migrator.run_on(&mut *conn);
    assert!(tokio::time::timeout(Duration::from_millis(300), run)
        .await
        .is_err());
    drop(conn);
    let mut again = pool.acquire().await.unwrap();
    let count = match sqlx::raw_sql(leftover).fetch_one(&mut *again).await {
        Ok(row) => sqlx::Row::try_get(&row, 0),
        Err(error) => Err(error),
    };
    drop(again);
    pool.close().await;
    count
}

/// A step that outlasts the lease while no other migrator waits completes:
/// the lease is lost only when another migrator takes it. Both ways a step
/// outlives its lease without a pause: over `run(url)` on SQLite the
/// heartbeat cannot write while the step holds the write lock, and over
/// `run_on` there is no heartbeat.
async fn a_step_longer_than_the_lease_completes_when_nobody_took_over(db: TestDb) {
    let set = slow_after_a_write(db.kind, 1.5);
    let migrator = Migrator::new(&set).lease_ttl(Duration::from_millis(300));
    let report = migrator.run(&db.url).await;
    assert_eq!(report.unwrap().applied.len(), 1, "{}: run(url)", db.kind);

    db.execute("DROP TABLE slow").await;
    db.execute("DELETE FROM migrate_history").await;
    let report = match db.kind {
        BackendKind::Sqlite => {
            run_on_a_connection::<sqlx::SqliteConnection>(&db.url, &migrator).await
        }
        BackendKind::Postgres => {
            run_on_a_connection::<sqlx::PgConnection>(&db.url, &migrator).await
        }
        _ => run_on_a_connection::<sqlx::MySqlConnection>(&db.url, &migrator).await,
    };
    assert_eq!(report.unwrap().applied.len(), 1, "{}: run_on", db.kind);
    let history = db.history().await;
    assert!(
        history.len() == 1 && history[0].3,
        "{}: {history:?}",
        db.kind
    );
}

async fn run_on_a_connection<C>(
    url: &str,
    migrator: &Migrator<'_>,
) -> Result<migrata::Report, Error>
where
    C: migrata::Backend + sqlx::Connection,
{
    let mut conn = C::connect(url).await.unwrap();
    let report = migrator.run_on(&mut conn).await;
    conn.close().await.unwrap();
    report
}

on_every_backend!(
    a_live_migrators_row_is_in_progress_not_failed,
    the_two_lock_strategies_exclude_each_other,
    a_dead_session_migrators_lease_is_taken_over_at_once,
    a_panicking_code_migration_releases_its_lease,
    a_dropped_run_on_over_a_pooled_connection_blocks_nobody,
    a_step_longer_than_the_lease_completes_when_nobody_took_over,
);

/// Not a test: a migrator the parent pauses.
#[tokio::test]
#[ignore = "run by the pause test in a child process"]
async fn child_migrator() {
    let url = std::env::var(CHILD_URL).expect("runs only as a child process");
    let kind = BackendKind::from_url(&url).unwrap();
    let set = slow_transactional(kind, PAUSED_SCRIPT_SECONDS);
    match Migrator::new(&set)
        .lease_ttl(Duration::from_millis(900))
        .run(&url)
        .await
    {
        Ok(report) => println!("\nAPPLIED {}", report.applied.len()),
        Err(error) => println!("\nERROR {error}"),
    }
}

/// `0001_panics.rs` panics.
static PANICS: Migrations = embed_migrations!("tests/code-fixtures/panics");
const PANIC_CHILD_URL: &str = "MIGRATE_TEST_LEASE_PANIC_CHILD_URL";

/// Not a test: an app whose code migration panics inside its
/// `#[tokio::main]` runtime, which the panic then tears down.
#[test]
#[ignore = "run by the panic test in a child process"]
fn child_app_whose_migration_panics() {
    let url = std::env::var(PANIC_CHILD_URL).expect("runs only as a child process");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let _ = PANICS
                .migrator()
                .lease_ttl(Duration::from_secs(60))
                .run(&url)
                .await;
        });
}

/// A panicking code migration releases its lease though the panic tears
/// down the runtime it ran on: the next migrator starts at once, not after
/// `lease_ttl`.
async fn a_panicking_code_migration_releases_its_lease(db: TestDb) {
    let output = test_process(module_path!(), "child_app_whose_migration_panics")
        .env(PANIC_CHILD_URL, &db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a code migration panicked"), "{stderr}");
    // The panic rolled its transaction back: nothing recorded.
    let set = owned_migrations(&[(
        "0001_instead.sql".to_owned(),
        "CREATE TABLE instead (id INTEGER);".to_owned(),
    )]);
    let started = Instant::now();
    let report = Migrator::new(&set)
        .lock_timeout(Duration::from_secs(10))
        .run(&db.url)
        .await;
    assert_eq!(report.unwrap().applied.len(), 1, "{}", db.kind);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{}: waited {:?}",
        db.kind,
        started.elapsed()
    );
}

/// The server ends the migrator's connection mid-script (a failover,
/// `pg_terminate_backend`, `KILL`): the run fails, and its lease, which the
/// dead connection cannot release, is released from a new one, so the next
/// run starts at once instead of after `lease_ttl`.
#[tokio::test]
async fn a_run_whose_connection_is_killed_releases_its_lease() {
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let Some(db) = TestDb::create(kind, &format!("{kind}::killed_connection")).await else {
            continue;
        };
        let set = slow_transactional(kind, 3.0);
        let migrator = Migrator::new(&set)
            .lease_ttl(Duration::from_secs(60))
            .lock_timeout(Duration::from_secs(10));
        let (url, first_set) = (db.url.clone(), set.clone());
        let first = tokio::spawn(async move {
            Migrator::new(&first_set)
                .lease_ttl(Duration::from_secs(60))
                .run(&url)
                .await
                .map(drop)
        });
        let (sleeping, kill) = match kind {
            BackendKind::Postgres => (
                "SELECT COALESCE(MAX(pid), 0) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%SELECT pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()",
                "SELECT pg_terminate_backend",
            ),
            _ => (
                "SELECT COALESCE(MAX(id), 0) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'DO SLEEP%'",
                "KILL ",
            ),
        };
        wait_until("the script to start", async || {
            db.scalar(sleeping).await > 0
        })
        .await;
        let pid = db.scalar(sleeping).await;
        db.execute(&match kind {
            BackendKind::Postgres => format!("{kill}({pid})"),
            _ => format!("{kill}{pid}"),
        })
        .await;
        assert!(first.await.unwrap().is_err(), "{kind}: its connection died");

        let started = Instant::now();
        let next = migrator.run(&db.url).await;
        match kind {
            // MySQL: the script ran outside a transaction and its row says
            // so; past the lock, so the lock was free.
            BackendKind::MySql => assert!(
                matches!(next, Err(Error::Dirty { version: 1, .. })),
                "{next:?}"
            ),
            _ => assert_eq!(next.unwrap().applied.len(), 1, "{kind}"),
        }
        // The 3 s script again, but no wait for the lease (60 s).
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{kind}: waited {:?}",
            started.elapsed()
        );
    }
}

/// The server ends the heartbeat's connection while the migrator's own is
/// busy with a script longer than the lease: the heartbeat reconnects and
/// keeps the lease, so a migrator starting meanwhile waits, and the script
/// runs once and is settled by its owner.
#[tokio::test]
async fn the_heartbeat_reconnects_after_its_connection_is_killed() {
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let Some(db) = TestDb::create(kind, &format!("{kind}::heartbeat_killed")).await else {
            continue;
        };
        let set = slow_untransacted(kind, 4.0);
        fn migrator(set: &[Migration]) -> Migrator<'_> {
            Migrator::new(set)
                .lease_ttl(Duration::from_millis(1500))
                .lock_timeout(Duration::from_secs(10))
        }
        let (url, first_set) = (db.url.clone(), set.clone());
        let first = tokio::spawn(async move { migrator(&first_set).run(&url).await });
        // The script, and the others of this database but ours: the heartbeat.
        let (sleeping, others, kill) = match kind {
            BackendKind::Postgres => (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(%' AND state = 'active'",
                "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_sleep(%'",
                "SELECT pg_terminate_backend",
            ),
            _ => (
                "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE '%SLEEP(%'",
                "SELECT CAST(id AS CHAR) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND COALESCE(info, '') NOT LIKE '%SLEEP(%'",
                "KILL ",
            ),
        };
        wait_until("the script and the heartbeat", async || {
            db.scalar(sleeping).await > 0 && !db.strings_of(others).await.is_empty()
        })
        .await;
        for heartbeat in db.strings_of(others).await {
            db.execute(&match kind {
                BackendKind::Postgres => format!("{kill}({heartbeat})"),
                _ => format!("{kill}{heartbeat}"),
            })
            .await;
        }
        // Past the lease, had nothing renewed it.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let second = migrator(&set).run(&db.url).await;
        assert!(
            second.unwrap().is_up_to_date(),
            "{kind}: waited, then found it applied"
        );
        assert_eq!(first.await.unwrap().unwrap().applied.len(), 1, "{kind}");
        let history = db.history().await;
        assert!(history.len() == 1 && history[0].3, "{kind}: {history:?}");
    }
}

/// How long the paused holder's script runs: long enough that, after the
/// test's 1.5 s pause, the second migrator takes the lease before the script
/// ends even on a loaded machine. On PostgreSQL the server runs a pipelined
/// migration to its end while the holder's process is stopped, and the lease
/// fence at the end of that string is what must refuse it.
const PAUSED_SCRIPT_SECONDS: f64 = 4.0;

/// SIGSTOP the lease holder in the middle of its script, past its lease:
/// another migrator takes over, and the resumed one records nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_cannot_record_after_its_lease_expired() {
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let Some(db) = TestDb::create(kind, &format!("{kind}::paused_holder")).await else {
            continue;
        };
        let child = test_process(module_path!(), "child_migrator")
            .env(CHILD_URL, &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let sleeping = match kind {
            BackendKind::Postgres => "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%SELECT pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()",
            _ => "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'DO SLEEP%'",
        };
        wait_until("the script to start", async || {
            db.scalar(sleeping).await > 0
        })
        .await;
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success());
        // Past the paused migrator's lease (its heartbeat is paused too).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let set = slow_transactional(kind, PAUSED_SCRIPT_SECONDS);
        let url = db.url.clone();
        let second = tokio::spawn(async move {
            Migrator::new(&set)
                .lock_timeout(Duration::from_secs(30))
                .run(&url)
                .await
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success());
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("lost the migration lease"),
            "{kind}: the resumed migrator stops: {stdout}"
        );
        // It ran from a URL, so a heartbeat renewed its lease: the message
        // says why that was not enough rather than blaming lease_ttl.
        assert!(
            stdout.contains("heartbeat") && !stdout.contains("raise lease_ttl"),
            "{kind}: {stdout}"
        );
        let second = second.await.unwrap();
        let history = db.history().await;
        if kind.transactional_ddl() {
            // Its transaction rolled back; the other migrator applied it once.
            assert_eq!(second.unwrap().applied.len(), 1, "{kind}");
            assert_eq!(history.len(), 1, "{kind}");
            assert!(history[0].3, "{kind}");
        } else {
            // Its script ran outside a transaction: the row it claimed stays
            // failed (it could not mark it done), and the other migrator,
            // finding it after the lease expired, reports it.
            assert!(
                matches!(second, Err(Error::Dirty { version: 1, .. })),
                "{second:?}"
            );
            assert_eq!(history.len(), 1, "{kind}");
            assert!(!history[0].3, "{kind}: never marked successful");
        }
    }
}

/// A hot standby: the up-to-date check works there (one SELECT); a pending
/// migration is refused at once, naming the primary.
#[tokio::test]
async fn a_standby_checks_but_refuses_to_migrate() {
    let (Some(primary), Some(standby)) = (
        server_url("MIGRATE_TEST_PG_PRIMARY_URL", "standby"),
        server_url("MIGRATE_TEST_PG_STANDBY_URL", "standby"),
    ) else {
        return;
    };
    let name = unique_name();
    let mut admin = Conn::open(&primary).await;
    admin.execute(&format!("CREATE DATABASE {name}")).await;
    let (primary_db, standby_db) = (
        url_with_database(&primary, &name),
        url_with_database(&standby, &name),
    );
    let applied = owned_migrations(&[(
        "0001_users.sql".to_owned(),
        "CREATE TABLE users (id INTEGER);".to_owned(),
    )]);
    Migrator::new(&applied).run(&primary_db).await.unwrap();
    // Replayed once the standby's copy of the database shows the row.
    wait_until("replay on the standby", async || {
        use sqlx::Connection;
        let Ok(mut replica) = sqlx::PgConnection::connect(&standby_db).await else {
            return false;
        };
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM migrate_history WHERE success")
            .fetch_one(&mut replica)
            .await
            .is_ok_and(|rows| rows == 1)
    })
    .await;

    let report = Migrator::new(&applied).run(&standby_db).await.unwrap();
    assert!(report.is_up_to_date());

    let mut pending = applied.clone();
    pending.extend(owned_migrations(&[(
        "0002_posts.sql".to_owned(),
        "CREATE TABLE posts (id INTEGER);".to_owned(),
    )]));
    let err = Migrator::new(&pending).run(&standby_db).await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("run migrations against the primary"),
        "{err}"
    );

    admin
        .execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await;
    admin.close().await;
}

/// The MySQL lease clock counts UTC milliseconds whatever the session's
/// time zone: at 01:30 UTC on 2023-10-29, Berlin's clocks read 02:30 for the
/// second time that night, and a clock converted through the zone (as
/// `UNIX_TIMESTAMP(NOW())` is) lands an hour early. The session's time is
/// pinned there with `SET timestamp`; the lease row the run takes records
/// the clock it read (plus the lease's lifetime), which a script reads back
/// while the lease is held.
#[tokio::test]
async fn the_mysql_lease_clock_ignores_the_session_time_zone() {
    let test = "lease::the_mysql_lease_clock_ignores_the_session_time_zone";
    let Some(db) = TestDb::create(BackendKind::MySql, test).await else {
        return;
    };
    let zone_known = db
        .scalar("SELECT COUNT(*) FROM mysql.time_zone_name WHERE Name = 'Europe/Berlin'")
        .await;
    assert_eq!(
        zone_known, 1,
        "the server's time zone tables lack Europe/Berlin: load them with \
         `mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql -u root mysql` (.ci/run does)"
    );
    const REPEATED_HOUR_MS: i64 = 1_698_543_000_500;
    let ttl = Duration::from_secs(30);
    let set = owned_migrations(&[(
        "0001_read_the_lease.sql".to_owned(),
        "CREATE TABLE seen AS SELECT expires_at FROM migrate_history_lock;\n".to_owned(),
    )]);
    Migrator::new(&set)
        .lease_ttl(ttl)
        .session_setup(format!(
            "SET time_zone = 'Europe/Berlin', timestamp = {}",
            REPEATED_HOUR_MS as f64 / 1000.0
        ))
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(
        db.scalar("SELECT expires_at FROM seen").await,
        REPEATED_HOUR_MS + ttl.as_millis() as i64,
        "the lease expiry is the UTC clock plus the lease's lifetime"
    );
}
