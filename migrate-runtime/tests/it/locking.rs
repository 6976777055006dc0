//! The migration lock on each backend: timeouts, and release on every path
//! (error, cancelled future; the panic path is in logging.rs).

use std::time::{Duration, Instant};

use crate::common::{migrations, owned_migrations, profile, servers, TestDb};
use migrata::{BackendKind, Error, Migrator, Repair};

fn slow_set(kind: BackendKind, seconds: f64) -> Vec<migrata::Migration> {
    owned_migrations(&[(
        "0001_slow.sql".to_owned(),
        format!(
            "CREATE TABLE slow (id INTEGER);\n{}\nINSERT INTO slow VALUES (1);\n",
            (profile(kind).pause)(seconds)
        ),
    )])
}

/// Waits until a migrator is inside its slow path (the version table exists).
async fn wait_for_history_table(db: &TestDb) {
    let started = Instant::now();
    while !db.table_exists("migrate_history").await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "first migrator never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_every_backend!(
    lock_wait_times_out_with_a_clear_error,
    lock_is_released_after_a_failing_migration,
    lock_is_released_when_the_run_is_cancelled,
);

async fn lock_wait_times_out_with_a_clear_error(db: TestDb) {
    let set = slow_set(db.kind, 3.0);
    let mut holder = None;
    let mut first = None;
    if let Some(lock) = db.profile().lock_by_hand {
        // SQLite's lock is the write transaction: hold one open.
        let mut conn = db.conn().await;
        conn.execute(lock).await;
        holder = Some(conn);
    } else {
        let url = db.url.clone();
        let set = set.clone();
        first = Some(tokio::spawn(
            async move { Migrator::new(&set).run(&url).await },
        ));
        wait_for_history_table(&db).await;
    }

    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    let err = Migrator::new(&set)
        .lock_timeout(timeout)
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(started.elapsed() >= timeout, "gave up before the timeout");
    let message = err.to_string();
    assert!(
        message.starts_with("timed out after 300ms waiting for the migration lock on"),
        "{message}"
    );
    assert!(message.contains(db.kind.name()), "{message}");
    let database = (db.profile().lock_names_database)(&db.name);
    assert!(
        message.contains(&database),
        "the error names the database: {message}"
    );

    if let Some(first) = first {
        assert_eq!(first.await.unwrap().unwrap().applied.len(), 1);
    }
    if let Some(mut conn) = holder {
        conn.execute("ROLLBACK").await;
        conn.close().await;
        assert_eq!(
            Migrator::new(&set)
                .run(&db.url)
                .await
                .unwrap()
                .applied
                .len(),
            1
        );
    }
}

async fn lock_is_released_after_a_failing_migration(db: TestDb) {
    let broken = migrations(&[("0001_broken.sql", "INSERT INTO nowhere VALUES (1);")]);
    // The failing run's connection stays open: only an explicit unlock frees the lock.
    let mut conn = db.conn().await;
    let err = conn.run(&Migrator::new(&broken)).await.unwrap_err();
    assert!(matches!(err, Error::Migration { version: 1, .. }), "{err}");

    let fixed = migrations(&[("0001_broken.sql", "CREATE TABLE somewhere (id INTEGER);")]);
    let second = Migrator::new(&fixed)
        .lock_timeout(Duration::from_millis(500))
        .run(&db.url)
        .await;
    if db.kind.transactional_ddl() {
        assert_eq!(second.unwrap().applied.len(), 1);
    } else {
        // Past the lock, MySQL's failed row stops the run: proof the lock was free.
        let err = second.unwrap_err();
        assert!(matches!(err, Error::Dirty { version: 1, .. }), "{err}");
    }
    conn.close().await;
}

async fn lock_is_released_when_the_run_is_cancelled(db: TestDb) {
    let set = slow_set(db.kind, 1.0);
    let cancelled =
        tokio::time::timeout(Duration::from_millis(300), Migrator::new(&set).run(&db.url)).await;
    assert!(
        cancelled.is_err(),
        "the run should still have been sleeping"
    );

    let next = Migrator::new(&set)
        .lock_timeout(Duration::from_secs(10))
        .run(&db.url)
        .await;
    if db.kind.transactional_ddl() {
        // The cancelled transaction rolled back and the lock came free.
        assert_eq!(next.unwrap().applied.len(), 1);
        assert_eq!(db.scalar("SELECT count(*) FROM slow").await, 1);
    } else {
        // MySQL: the interrupted script may be half done; the row says so.
        let err = next.unwrap_err();
        assert!(matches!(err, Error::Dirty { version: 1, .. }), "{err}");
        let repaired = Migrator::new(&set)
            .at(&db.url)
            .repair(Repair::AsFailureCallsFor)
            .await
            .unwrap();
        assert_eq!(repaired.iter().map(|r| r.version).collect::<Vec<_>>(), [1]);
        db.execute("DROP TABLE IF EXISTS slow").await;
        assert_eq!(
            Migrator::new(&set)
                .run(&db.url)
                .await
                .unwrap()
                .applied
                .len(),
            1
        );
    }
    assert_eq!(
        db.history()
            .await
            .iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        [(1, true)]
    );
}

#[tokio::test]
async fn passwords_never_appear_in_errors_or_logs() {
    use std::sync::{Arc, Mutex};
    let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || WriteTo(sink.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let set = migrations(&[("0001_a.sql", "SELECT 1;")]);
    let mut urls = vec![
        "postgres://app:Sup3rS3cretPw@127.0.0.1:1/app".to_owned(),
        "mysql://app:Sup3rS3cretPw@127.0.0.1:1/app".to_owned(),
        "postgres://app:Sup3rS3cretPw@127.0.0.1:5432/app?sslmode=bogus".to_owned(),
    ];
    for (profile, server) in servers() {
        let kind = profile.kind;
        if TestDb::create(kind, &format!("{kind}::passwords_never_appear"))
            .await
            .is_some()
        {
            let url = std::env::var(server.url_env).unwrap();
            let host = url
                .split_once('@')
                .map(|(_, host)| host.to_owned())
                .unwrap_or_else(|| url.split_once("//").unwrap().1.to_owned());
            let scheme = url.split_once("://").unwrap().0;
            // A real server: a wrong password (MariaDB) or a missing database (PostgreSQL, trust auth).
            let user = server.admin_user;
            let host = host
                .rsplit_once('/')
                .map(|(h, _)| h)
                .unwrap_or(&host)
                .to_owned();
            urls.push(format!(
                "{scheme}://{user}:Sup3rS3cretPw@{host}/no_such_db_for_password_test"
            ));
        }
    }
    for url in &urls {
        let err = Migrator::new(&set)
            .lock_timeout(Duration::from_secs(2))
            .run(url)
            .await
            .unwrap_err();
        let shown = format!("{err} / {err:?}");
        assert!(matches!(err, Error::Connect { .. }), "{shown}");
        assert!(!shown.contains("Sup3rS3cretPw"), "password leaked: {shown}");
        assert!(
            shown.contains("app:***@") || shown.contains(":***@"),
            "{shown}"
        );
    }
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        !logs.contains("Sup3rS3cretPw"),
        "password leaked into logs: {logs}"
    );
}

struct WriteTo(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for WriteTo {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
