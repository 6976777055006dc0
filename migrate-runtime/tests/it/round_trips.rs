//! Round trips over a real server behind a counting TCP proxy: on
//! PostgreSQL the transactional migrations of a run go together in one
//! query string, each in its own transaction with its lock-wait bound,
//! script, history row and lease fence, so a run costs one round trip for
//! up to 100 of them; the up-to-date check costs one; the fence inside
//! that round trip still stops a migrator whose lease another took over
//! from committing; and a failure in the middle names its migration, with
//! the ones before it committed. On MySQL, where a migration runs outside
//! a transaction, a migration costs one: the lease's renewal and check,
//! the claim, the script's statements and the settle in one multi-statement
//! string, whose failing statement is still named and left as when each
//! statement is sent alone. Connecting costs the driver's handshake alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::common::{owned_migrations, wait_until, Conn, StatementLog, TestDb};
use migrata::{BackendKind, Error, Migration, Migrator, Report, TransactionMode};

/// A TCP proxy in front of a server that counts round trips: a client
/// send that follows data from the server (the client waited for an
/// answer), so messages the client sends together count once.
struct CountingProxy {
    addr: std::net::SocketAddr,
    round_trips: Arc<AtomicU64>,
}

impl CountingProxy {
    async fn start(upstream: String) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = round_trips.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                client.set_nodelay(true).unwrap();
                server.set_nodelay(true).unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let answered = Arc::new(AtomicBool::new(true));
                let (up, counter) = (answered.clone(), counter.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    while let Ok(n @ 1..) = client_read.read(&mut buf).await {
                        if up.swap(false, Ordering::SeqCst) {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                });
                tokio::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    while let Ok(n @ 1..) = server_read.read(&mut buf).await {
                        // Before the write: once written, the client may
                        // answer before this task runs again.
                        answered.store(true, Ordering::SeqCst);
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = client_write.shutdown().await;
                });
            }
        });
        CountingProxy { addr, round_trips }
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, path) = rest.split_at(rest.find('/').unwrap());
        let user = authority.rsplit_once('@').map_or("", |(user, _)| user);
        format!("{scheme}://{user}@{}{path}", self.addr)
    }

    fn take(&self) -> u64 {
        self.round_trips.swap(0, Ordering::SeqCst)
    }
}

/// `set` run over a connection of its own, in a task of its own.
fn run_in_background(url: &str, set: Vec<Migration>) -> JoinHandle<Result<Report, Error>> {
    let url = url.to_owned();
    tokio::spawn(async move {
        let mut conn = Conn::open(&url).await;
        let result = conn.run(&Migrator::new(&set)).await;
        conn.close().await;
        result
    })
}

fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = &rest[..rest.find('/').unwrap()];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

fn tables(count: usize) -> Vec<Migration> {
    owned_migrations(
        &(1..=count)
            .map(|v| {
                (
                    format!("{v:04}_t{v}.sql"),
                    format!("CREATE TABLE t{v} (id INTEGER PRIMARY KEY);\nCREATE INDEX t{v}_id ON t{v} (id);\nINSERT INTO t{v} VALUES (1);\n"),
                )
            })
            .collect::<Vec<_>>(),
    )
}

/// Round trips of `run_on` over a fresh connection through the proxy
/// (no heartbeat connection: `run_on` opens none).
async fn apply_round_trips(db: &TestDb, proxy: &CountingProxy, set: &[Migration]) -> u64 {
    let mut conn = Conn::open(&proxy.url(&db.url)).await;
    proxy.take();
    conn.run(&Migrator::new(set)).await.unwrap();
    let trips = proxy.take();
    conn.close().await;
    trips
}

#[tokio::test]
async fn transactional_migrations_go_together_in_one_round_trip_on_postgres() {
    let kind = BackendKind::Postgres;
    let (Some(three), Some(six), Some(many)) = (
        TestDb::create(kind, "round_trips::three").await,
        TestDb::create(kind, "round_trips::six").await,
        TestDb::create(kind, "round_trips::many").await,
    ) else {
        return;
    };
    let proxy = CountingProxy::start(host_port(&three.url)).await;
    let for_three = apply_round_trips(&three, &proxy, &tables(3)).await;
    let for_six = apply_round_trips(&six, &proxy, &tables(6)).await;
    // 101: past the 100 that go in one string, so two strings.
    let for_many = apply_round_trips(&many, &proxy, &tables(101)).await;
    assert_eq!(
        (for_six, for_many),
        (for_three, for_three + 1),
        "one round trip for up to 100 migrations ({for_three} for 3, {for_six} for 6, {for_many} for 101)"
    );
    // Up to date: the check alone.
    assert_eq!(apply_round_trips(&six, &proxy, &tables(6)).await, 1);
    assert_eq!(three.versions().await, vec![1, 2, 3]);
    assert_eq!(six.scalar("SELECT count(*) FROM t6").await, 1);
    assert_eq!(many.versions().await, (1..=101).collect::<Vec<i64>>());
}

/// Migrations sent together in one string each measure their own script,
/// in the history row and in the report: not the string up to them.
#[tokio::test]
async fn migrations_sent_together_are_timed_each() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "round_trips::timed").await else {
        return;
    };
    let set = owned_migrations(&[
        (
            "0001_slow.sql".to_owned(),
            "SELECT pg_sleep(0.4);\n".to_owned(),
        ),
        (
            "0002_fast.sql".to_owned(),
            "CREATE TABLE fast (id INTEGER);\n".to_owned(),
        ),
    ]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    let reported: Vec<u128> = report
        .applied
        .iter()
        .map(|a| a.duration.as_millis())
        .collect();
    let slow = db
        .scalar("SELECT duration_ms FROM migrate_history WHERE version = 1")
        .await;
    let fast = db
        .scalar("SELECT duration_ms FROM migrate_history WHERE version = 2")
        .await;
    assert!(slow >= 400 && fast < 200, "history: {slow} ms, {fast} ms");
    assert!(
        reported[0] >= 400 && reported[1] < 200,
        "report: {reported:?}"
    );
}

/// The lease is taken over while the second of three migrations sent
/// together runs: the fence sent in the same string as its script raises,
/// so its transaction rolls back and the migrator reports the lost lease;
/// the first, committed before, stays; nothing of the second or third is
/// recorded or created.
#[tokio::test]
async fn a_migrator_whose_lease_was_taken_over_cannot_commit_a_pipelined_migration() {
    let kind = BackendKind::Postgres;
    let Some(db) = TestDb::create(kind, "round_trips::taken_over").await else {
        return;
    };
    let set = owned_migrations(&[
        (
            "0001_first.sql".to_owned(),
            "CREATE TABLE first (id INTEGER);\n".to_owned(),
        ),
        (
            "0002_slow.sql".to_owned(),
            "SELECT pg_sleep(1.5);\nCREATE TABLE slow (id INTEGER);\n".to_owned(),
        ),
        (
            "0003_third.sql".to_owned(),
            "CREATE TABLE third (id INTEGER);\n".to_owned(),
        ),
    ]);
    let running = run_in_background(&db.url, set);
    // The first committed: the second's pause runs (the server shows only
    // the string's first kilobyte, which the pause is not in).
    let first_committed = "SELECT count(*) FROM pg_class WHERE relname = 'first'";
    wait_until("the first migration to commit", async || {
        db.scalar(first_committed).await == 1
    })
    .await;
    // What another migrator's take writes once the lease expired.
    db.execute("UPDATE migrate_history_lock SET owner = 'another migrator', expires_at = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint + 60000 WHERE id = 1")
        .await;
    let result = running.await.unwrap();
    assert!(matches!(result, Err(Error::LeaseLost { .. })), "{result:?}");
    assert_eq!(db.versions().await, vec![1]);
    assert!(db.table_exists("first").await);
    assert!(!db.table_exists("slow").await && !db.table_exists("third").await);
}

/// A failure in the middle of a run: the error names the migration and the
/// database's own message; the migrations before it are committed, it
/// left nothing; in single-transaction mode nothing is.
#[tokio::test]
async fn a_failing_pipelined_migration_is_named_and_leaves_nothing() {
    let kind = BackendKind::Postgres;
    let (Some(each), Some(single)) = (
        TestDb::create(kind, "round_trips::each").await,
        TestDb::create(kind, "round_trips::single").await,
    ) else {
        return;
    };
    let set = owned_migrations(&[
        ("0001_a.sql".to_owned(), "CREATE TABLE a (id INTEGER);\n".to_owned()),
        (
            "0002_b.sql".to_owned(),
            "CREATE TABLE b (id INTEGER);\nINSERT INTO missing VALUES (1);\nCREATE TABLE b2 (id INTEGER);\n".to_owned(),
        ),
        ("0003_c.sql".to_owned(), "CREATE TABLE c (id INTEGER);\n".to_owned()),
    ]);
    for (db, single_transaction) in [(&each, false), (&single, true)] {
        let mode = match single_transaction {
            true => TransactionMode::Single,
            false => TransactionMode::PerMigration,
        };
        let mut conn = db.conn().await;
        let result = conn.run(&Migrator::new(&set).transaction(mode)).await;
        let Err(Error::Migration {
            version,
            file,
            error,
            ..
        }) = &result
        else {
            panic!("{result:?}");
        };
        assert_eq!((*version, file.as_str()), (2, "0002_b.sql"));
        assert!(
            error
                .to_string()
                .contains("relation \"missing\" does not exist"),
            "{error}"
        );
        // The connection is usable, outside any transaction.
        assert_eq!(conn.scalar("SELECT 1").await, 1);
        conn.close().await;
        let expected: Vec<i64> = if single_transaction { vec![] } else { vec![1] };
        assert_eq!(
            db.versions().await,
            expected,
            "single: {single_transaction}"
        );
        assert_eq!(db.table_exists("a").await, !single_transaction);
        assert!(!db.table_exists("b").await && !db.table_exists("c").await);
    }
    // With 0002 fixed, a re-run applies 0002 and 0003, once each (0001
    // again would fail: its table exists).
    let fixed = owned_migrations(&[
        (
            "0001_a.sql".to_owned(),
            "CREATE TABLE a (id INTEGER);\n".to_owned(),
        ),
        (
            "0002_b.sql".to_owned(),
            "CREATE TABLE b (id INTEGER);\n".to_owned(),
        ),
        (
            "0003_c.sql".to_owned(),
            "CREATE TABLE c (id INTEGER);\n".to_owned(),
        ),
    ]);
    let report = Migrator::new(&fixed).run(&each.url).await.unwrap();
    let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [2, 3]);
    assert_eq!(each.versions().await, vec![1, 2, 3]);
}

/// PostgreSQL parses a whole query string before it runs any of it, so a
/// syntax error in the second of three migrations sent together fails the
/// string at once: the first, sent alone, commits, and the error names the
/// second, whose own string is the one that cannot be parsed.
#[tokio::test]
async fn a_syntax_error_in_a_later_migration_sent_together_is_named() {
    let Some(db) = TestDb::create(BackendKind::Postgres, "round_trips::syntax").await else {
        return;
    };
    let set = owned_migrations(&[
        (
            "0001_a.sql".to_owned(),
            "CREATE TABLE a (id INTEGER);\n".to_owned(),
        ),
        (
            "0002_b.sql".to_owned(),
            "CREATE TABLE b (id INTEGER);\nSELEC 1;\n".to_owned(),
        ),
        (
            "0003_c.sql".to_owned(),
            "CREATE TABLE c (id INTEGER);\n".to_owned(),
        ),
    ]);
    let result = Migrator::new(&set).run(&db.url).await;
    let Err(Error::Migration {
        version,
        file,
        error,
        ..
    }) = &result
    else {
        panic!("{result:?}");
    };
    assert_eq!((*version, file.as_str()), (2, "0002_b.sql"), "{error}");
    assert!(error.to_string().contains("syntax error"), "{error}");
    assert_eq!(db.versions().await, vec![1]);
    assert!(db.table_exists("a").await && !db.table_exists("b").await);
}

/// SQLite: a migration costs six statements: `BEGIN IMMEDIATE`, its
/// script's three, its history row (which also checks foreign keys and the
/// lease) and `COMMIT`. SQLite's trace shows a seventh inside the row's
/// statement, `-- PRAGMA foreign_key_check`: the nested statement of the
/// `pragma_foreign_key_check` table the row's condition reads, not one the
/// migrator sends. The lock-wait bound and the foreign-key suspension are
/// set once per run, not around each migration.
#[tokio::test]
async fn a_migration_on_sqlite_costs_begin_its_statements_its_row_and_commit() {
    let Some(db) = TestDb::create(BackendKind::Sqlite, "round_trips::sqlite").await else {
        return;
    };
    let mut conn = db.conn().await;
    conn.run(&Migrator::new(&tables(1))).await.unwrap();
    let Conn::Sqlite(sqlite) = &mut conn else {
        unreachable!()
    };
    let log = StatementLog::attach(sqlite).await;
    conn.run(&Migrator::new(&tables(7))).await.unwrap();
    let statements = log.take();
    conn.close().await;
    let mut migrations = Vec::new();
    let mut outside = 0;
    for statement in &statements {
        match migrations.last_mut() {
            _ if statement == "BEGIN IMMEDIATE" => migrations.push(vec![statement.as_str()]),
            Some(open) if open.last() != Some(&"COMMIT") => open.push(statement.as_str()),
            _ => outside += 1,
        }
    }
    assert_eq!(migrations.len(), 6, "{statements:#?}");
    for migration in &migrations {
        let sent: Vec<&str> = migration
            .iter()
            .copied()
            .filter(|s| *s != "-- PRAGMA foreign_key_check")
            .collect();
        assert_eq!(sent.len(), 6, "{migration:#?}");
        assert!(
            sent[4].starts_with("INSERT INTO \"migrate_history\""),
            "{migration:#?}"
        );
        assert_eq!(sent[5], "COMMIT");
    }
    // The run's own: the check, the lease, the table, the plan's read,
    // foreign keys off and on, the lock-wait bound and its restore.
    assert!(outside <= 11, "{outside}: {statements:#?}");
}

/// Round trips of connecting (and closing) with the driver alone: what
/// the library's own connection must not exceed by more than its query.
async fn driver_connect_round_trips(proxy: &CountingProxy, url: &str) -> u64 {
    proxy.take();
    Conn::open(&proxy.url(url)).await.close().await;
    settled_round_trips(proxy).await
}

/// The proxy's count once the last message (a close's `Terminate`, sent
/// without waiting for an answer) has passed through it.
async fn settled_round_trips(proxy: &CountingProxy) -> u64 {
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.take()
}

/// Issue 24 item 4: connecting costs what the driver's handshake costs
/// and the library adds no statement of its own to it: a run over an
/// up-to-date database is the driver's connect and close and the
/// one-round-trip check. (sqlx's PostgreSQL default, `sslmode=prefer`,
/// negotiates TLS when the server offers it, as Debian's does.)
async fn the_library_adds_nothing_to_connecting(
    url: &str,
    set: &[Migration],
    table: &str,
) -> (u64, u64) {
    let migrator = Migrator::new(set).table(table);
    migrator.run(url).await.unwrap();
    let proxy = CountingProxy::start(host_port(url)).await;
    let driver = driver_connect_round_trips(&proxy, url).await;
    let report = migrator.run(&proxy.url(url)).await.unwrap();
    assert!(report.applied.is_empty());
    let ours = settled_round_trips(&proxy).await;
    assert_eq!(
        ours,
        driver + 1,
        "the driver's connect and close took {driver} round trips"
    );
    (driver, ours)
}

#[tokio::test]
async fn connecting_costs_the_drivers_handshake_and_nothing_more() {
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let Some(db) = TestDb::create(kind, "round_trips::connecting_costs").await else {
            continue;
        };
        let plain = format!("{}?sslmode=disable", db.url);
        let urls = match kind {
            BackendKind::Postgres => vec![
                ("sslmode=prefer", db.url.clone()),
                ("sslmode=disable", plain),
            ],
            _ => vec![("default", db.url.clone())],
        };
        for (mode, url) in urls {
            let (driver, ours) =
                the_library_adds_nothing_to_connecting(&url, &tables(1), "history").await;
            eprintln!(
                "{kind} ({mode}): connect and close {driver} round trips; up-to-date run {ours}"
            );
        }
    }
}

/// The same over TLS (the TLS rig): the handshake's round trips are the
/// driver's, none the library's.
#[tokio::test]
async fn connecting_over_tls_costs_the_drivers_handshake_and_nothing_more() {
    let Some(url) = crate::common::server_url(
        "MIGRATE_TEST_PG_TLS_URL",
        "round_trips::connecting_over_tls_costs_the_drivers_handshake_and_nothing_more",
    ) else {
        return;
    };
    // Tables of its own: the rig's database outlives the test.
    let name = crate::common::unique_name();
    let set = owned_migrations(&[(
        "0001_probe.sql".to_owned(),
        format!("CREATE TABLE {name}_probe (id INT);"),
    )]);
    let history = format!("{name}_history");
    let (driver, ours) = the_library_adds_nothing_to_connecting(&url, &set, &history).await;
    eprintln!("PostgreSQL over TLS: connect and close {driver} round trips; up-to-date run {ours}");
}

/// MySQL: a migration outside a transaction costs one round trip too.
#[tokio::test]
async fn a_migration_outside_a_transaction_costs_one_round_trip_on_mysql() {
    let kind = BackendKind::MySql;
    let (Some(three), Some(six)) = (
        TestDb::create(kind, "round_trips::mysql_three").await,
        TestDb::create(kind, "round_trips::mysql_six").await,
    ) else {
        return;
    };
    let proxy = CountingProxy::start(host_port(&three.url)).await;
    let for_three = apply_round_trips(&three, &proxy, &tables(3)).await;
    let for_six = apply_round_trips(&six, &proxy, &tables(6)).await;
    assert_eq!(
        for_six - for_three,
        3,
        "one round trip per migration ({for_three} for 3, {for_six} for 6)"
    );
    assert_eq!(apply_round_trips(&six, &proxy, &tables(6)).await, 1);
    assert_eq!(three.versions().await, vec![1, 2, 3]);
    assert_eq!(six.scalar("SELECT count(*) FROM t6").await, 1);
    // Settled with the script's duration, measured on the server.
    assert_eq!(
        six.scalar("SELECT count(*) FROM migrate_history WHERE success AND duration_ms >= 0 AND duration_ms < 60000")
            .await,
        6
    );
}

/// MySQL: statement 2 of 3 fails inside the one string. The error names
/// the migration and the statement's line, and the row is left marked
/// failed with the statement before it done and the one after it not, as
/// when each statement is sent alone; the next run refuses the migration
/// until `repair`. A script whose statements include a `CALL`, whose
/// procedure sends results of its own, keeps a round trip per statement
/// and is named alike.
#[tokio::test]
async fn a_failing_statement_of_a_mysql_migration_is_named_and_left_failed() {
    let kind = BackendKind::MySql;
    let (Some(plain), Some(calling)) = (
        TestDb::create(kind, "round_trips::mysql_failing").await,
        TestDb::create(kind, "round_trips::mysql_failing_call").await,
    ) else {
        return;
    };
    let failing = "CREATE TABLE b (id INTEGER);\n-- the missing table\nINSERT INTO missing\n  VALUES (1);\nCREATE TABLE b2 (id INTEGER);\n";
    let calling_script = "CREATE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2; END;\nCALL two_results();\nCREATE TABLE b (id INTEGER);\nINSERT INTO missing VALUES (1);\nCREATE TABLE b2 (id INTEGER);\n";
    for (db, script, line) in [(&plain, failing, 3), (&calling, calling_script, 4)] {
        let set = owned_migrations(&[
            (
                "0001_a.sql".to_owned(),
                "CREATE TABLE a (id INTEGER);\n".to_owned(),
            ),
            ("0002_b.sql".to_owned(), script.to_owned()),
        ]);
        let mut conn = db.conn().await;
        let result = conn.run(&Migrator::new(&set)).await;
        let Err(
            error @ Error::Migration {
                version: 2,
                line: Some(failed_line),
                left_failed: true,
                ..
            },
        ) = &result
        else {
            panic!("{result:?}");
        };
        assert_eq!(*failed_line, line, "{error}");
        let message = error.to_string();
        assert!(
            message.contains(&format!(
                "migration 2 (`0002_b.sql`) failed in its statement on line {line}: "
            )) && message.contains("missing"),
            "{message}"
        );
        assert_eq!(conn.scalar("SELECT 1").await, 1);
        conn.close().await;
        assert_eq!(
            db.history()
                .await
                .iter()
                .map(|row| (row.0, row.3))
                .collect::<Vec<_>>(),
            [(1, true), (2, false)]
        );
        assert!(db.table_exists("b").await && !db.table_exists("b2").await);
        let rerun = Migrator::new(&set).run(&db.url).await;
        assert!(rerun.is_err(), "a failed row must stop the next run");
        assert!(!db.table_exists("b2").await);
    }
}

/// MySQL: the lease is taken over while a migration's `-- migrate:check`
/// runs, before its string is sent; over a handed-over connection there is
/// no heartbeat to notice, so only the check at the head of the string
/// can: it fails, and nothing after it runs (no row claimed, no table).
#[tokio::test]
async fn a_mysql_migrator_whose_lease_was_taken_over_cannot_run_its_script() {
    let kind = BackendKind::MySql;
    let Some(db) = TestDb::create(kind, "round_trips::mysql_taken_over").await else {
        return;
    };
    let set = owned_migrations(&[(
        "0001_slow.sql".to_owned(),
        "-- migrate:check SELECT SLEEP(1.5) = 0\nCREATE TABLE slow (id INTEGER);\n".to_owned(),
    )]);
    let running = run_in_background(&db.url, set);
    let sleeping = "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(1.5)%' AND INFO NOT LIKE '%PROCESSLIST%'";
    wait_until("the check to start", async || db.scalar(sleeping).await > 0).await;
    db.execute("UPDATE migrate_history_lock SET owner = 'another migrator', expires_at = CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000 AS SIGNED) + 60000 WHERE id = 1")
        .await;
    let result = running.await.unwrap();
    assert!(matches!(result, Err(Error::LeaseLost { .. })), "{result:?}");
    assert!(db.history().await.is_empty());
    assert!(!db.table_exists("slow").await);
}

/// MySQL: the connection is killed while the string runs the script's
/// second statement: the error says the row is left marked failed, which
/// it is, with the first statement done.
#[tokio::test]
async fn a_mysql_connection_lost_mid_string_leaves_the_row_failed() {
    let kind = BackendKind::MySql;
    let Some(db) = TestDb::create(kind, "round_trips::mysql_killed").await else {
        return;
    };
    let set = owned_migrations(&[(
        "0001_killed.sql".to_owned(),
        "CREATE TABLE first (id INTEGER);\nSELECT SLEEP(3);\nCREATE TABLE third (id INTEGER);\n"
            .to_owned(),
    )]);
    let running = run_in_background(&db.url, set);
    let sleeping = "SELECT COALESCE(MAX(ID), 0) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(3)%' AND INFO NOT LIKE '%PROCESSLIST%'";
    let started = std::time::Instant::now();
    let id = loop {
        match db.scalar(sleeping).await {
            0 => {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the script never started"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            id => break id,
        }
    };
    db.execute(&format!("KILL CONNECTION {id}")).await;
    let result = running.await.unwrap();
    assert!(
        matches!(
            result,
            Err(Error::Migration {
                left_failed: true,
                ..
            })
        ),
        "{result:?}"
    );
    let rows: Vec<(i64, bool)> = db.history().await.iter().map(|r| (r.0, r.3)).collect();
    assert_eq!(rows, [(1, false)]);
    assert!(db.table_exists("first").await && !db.table_exists("third").await);
}
