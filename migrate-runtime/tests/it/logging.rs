//! Everything observed through `tracing`, in one test function: `tracing`
//! caches callsite interest process-wide, so tests in one binary that install
//! subscribers concurrently can miss each other's events. The function runs
//! alone in a process of its own: its subscriber is the global one (the only
//! kind that also sees what sqlx logs on SQLite's worker thread), and its
//! panic switch would hit any migrator running beside it.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::common::{migrations, TestDb, ALL_KINDS};
use migrata::{BackendKind, Migrations, Migrator, Policy};
use tracing_subscriber::layer::SubscriberExt;

static SAMPLE: Migrations = migrata::embed_migrations!("migrations");
static PANIC_ON_APPLIED: AtomicBool = AtomicBool::new(false);

/// Panics inside the migrator, while it holds the lock: on the event it
/// emits after a migration is recorded (when switched on).
struct PanicOnApplied;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PanicOnApplied {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if PANIC_ON_APPLIED.load(Ordering::SeqCst)
            && event.metadata().target() == "migrata"
            && event.fields().any(|f| f.name() == "duration_ms")
        {
            panic!("injected panic while holding the migration lock");
        }
    }
}

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `log` records, written into the subscriber's buffer.
struct LogRecords(Buffer);

impl log::Log for LogRecords {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!(
            "{} {}: {}\n",
            record.level(),
            record.target(),
            record.args()
        );
        self.0 .0.lock().unwrap().extend_from_slice(line.as_bytes());
    }
    fn flush(&self) {}
}

/// The process-wide subscriber: plain text into a buffer, plus the panic switch.
fn logs() -> &'static Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Buffer(Arc::new(Mutex::new(Vec::new())));
        let writer = buffer.clone();
        let fmt = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::INFO)
            .with(fmt)
            .with(PanicOnApplied);
        tracing::subscriber::set_global_default(subscriber).unwrap();
        // What goes through the `log` crate lands in the same buffer.
        static LOGGER: OnceLock<LogRecords> = OnceLock::new();
        let logger = LOGGER.get_or_init(|| LogRecords(buffer.clone()));
        log::set_logger(logger).unwrap();
        log::set_max_level(log::LevelFilter::Info);
        buffer
    })
}

fn take_logs() -> String {
    String::from_utf8(std::mem::take(&mut *logs().0.lock().unwrap())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_events_warnings_and_the_panic_path() {
    if !crate::common::in_own_process() {
        return;
    }
    logs();
    each_applied_migration_is_an_event().await;
    debug_build_warns_about_a_migration_added_after_the_build();
    for kind in ALL_KINDS {
        if let Some(db) = TestDb::create(
            kind,
            &format!("{kind}::lock_is_released_when_the_run_panics"),
        )
        .await
        {
            lock_is_released_when_the_run_panics(db).await;
        }
        if let Some(db) = TestDb::create(kind, &format!("{kind}::one_warning_per_finding")).await {
            each_tolerated_finding_is_logged_once_per_run(db).await;
        }
        if let Some(db) = TestDb::create(kind, &format!("{kind}::lock_wait_retries")).await {
            each_lock_wait_retry_is_an_event_naming_the_blocker(db).await;
        }
        if let Some(db) = TestDb::create(
            kind,
            &format!("{kind}::a_slow_script_stays_out_of_sqlx_warnings"),
        )
        .await
        {
            a_slow_script_stays_out_of_sqlx_warnings(db).await;
        }
        if kind != migrata::BackendKind::Sqlite {
            if let Some(db) = TestDb::create(
                kind,
                &format!("{kind}::connect_parameter_values_stay_out_of_the_logs"),
            )
            .await
            {
                connect_parameter_values_stay_out_of_the_logs(db).await;
            }
        }
    }
}

/// Issue 25, item 3: sqlx-postgres logged each URL parameter it ignores
/// with its value (`sslpassword=...`, a mistyped `PASSWORD=...`) at WARN,
/// the CLI's default level. (SQLite refuses unknown parameters instead.)
async fn connect_parameter_values_stay_out_of_the_logs(db: TestDb) {
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{separator}sslpassword=s3cret&PASSWORD=s3cret&application_name=x",
        db.url
    );
    take_logs();
    let set = crate::common::owned_migrations(&[(
        "0001_t.sql".to_owned(),
        "CREATE TABLE t (id INTEGER);".to_owned(),
    )]);
    Migrator::new(&set).run(&url).await.unwrap();
    Migrator::new(&set).at(&url).status().await.unwrap();
    let logs = take_logs();
    assert!(
        !logs.contains("s3cret"),
        "{}: a value reached the logs:\n{logs}",
        db.kind
    );
    if db.kind == migrata::BackendKind::Postgres {
        assert!(
            logs.contains("parameter=sslpassword") && logs.contains("parameter=PASSWORD"),
            "{}: the ignored parameters are named:\n{logs}",
            db.kind
        );
    }
}

/// Issue 10, item 12: sqlx's slow-statement warning (over 1 s by default)
/// would log a whole script, secrets and all, at WARN.
async fn a_slow_script_stays_out_of_sqlx_warnings(db: TestDb) {
    let pause = (db.profile().pause)(1.3);
    let script = format!("/* role password Sup3rS3cretPw */ {pause}");
    let set = crate::common::owned_migrations(&[("0001_slow.sql".to_owned(), script)]);
    take_logs();
    Migrator::new(&set).run(&db.url).await.unwrap();
    let logs = take_logs();
    assert!(
        !logs.contains("Sup3rS3cretPw"),
        "{}: the script reached the logs:\n{logs}",
        db.kind
    );
    assert!(logs.contains("applied migration"), "{}: {logs}", db.kind);
}

/// A run that has work to do reads the history twice (the one-SELECT check,
/// then again under the lock); each tolerated finding is still one warning.
async fn each_tolerated_finding_is_logged_once_per_run(db: TestDb) {
    let users = ("0001_users.sql", "CREATE TABLE users (id INTEGER);");
    let tags = ("0003_tags.sql", "CREATE TABLE tags (id INTEGER);");
    Migrator::new(&migrations(&[users, tags]))
        .run(&db.url)
        .await
        .unwrap();
    // Version 1 edited, version 2 merged late, version 3 gone from the binary.
    let later = migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER); -- edited",
        ),
        ("0002_posts.sql", "CREATE TABLE posts (id INTEGER);"),
    ]);
    take_logs();
    let report = Migrator::new(&later)
        .on_divergent(Policy::Warn)
        .on_missing(Policy::Warn)
        .on_out_of_order(Policy::Warn)
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1, "{}", db.kind);
    let logs = take_logs();
    for warning in [
        "applied migration was edited since it ran",
        "applying a migration older than the newest applied one",
        "applied migration is missing from this binary",
    ] {
        let lines = logs.lines().filter(|line| line.contains(warning)).count();
        assert_eq!(lines, 1, "{}: `{warning}` once per run:\n{logs}", db.kind);
    }
    assert_eq!(
        logs.lines().filter(|line| line.contains("WARN")).count(),
        3,
        "{}: {logs}",
        db.kind
    );
}

async fn each_applied_migration_is_an_event() {
    take_logs();
    let report = SAMPLE.run("sqlite::memory:").await.unwrap();
    let logs = take_logs();
    for applied in &report.applied {
        let line = logs
            .lines()
            .find(|l| {
                l.contains("applied migration")
                    && l.contains(&format!("version={}", applied.version))
            })
            .unwrap_or_else(|| panic!("no event for {}:\n{logs}", applied.version));
        assert!(line.contains(" migrata:"), "target is `migrata`: {line}");
        assert!(line.contains(&format!("name={}", applied.name)), "{line}");
        assert!(
            line.contains("backend=sqlite") && line.contains("duration_ms="),
            "{line}"
        );
        // Its start is an event too, before it: what a CLI shows as progress.
        let start = logs
            .find(&format!("starting migration version={} ", applied.version))
            .unwrap_or_else(|| panic!("no start event for {}:\n{logs}", applied.version));
        assert!(start < logs.find(line).unwrap(), "{logs}");
        assert!(logs[start..]
            .lines()
            .next()
            .unwrap()
            .contains(&format!("file={}", applied.file)));
    }
}

fn debug_build_warns_about_a_migration_added_after_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for migration in SAMPLE.all() {
        for script in [Some(&migration.up), migration.down.as_ref()]
            .into_iter()
            .flatten()
        {
            std::fs::copy(source.join(&*script.file), dir.path().join(&*script.file)).unwrap();
        }
    }
    let dir_str: &'static str = Box::leak(dir.path().to_str().unwrap().to_owned().into_boxed_str());
    // Built with `exclude = ["seed*.sql"]`: the guard leaves out what the
    // macro left out.
    let as_built = Migrations::__embedded(SAMPLE.all(), &[], Some(dir_str), &["seed*.sql"]);
    std::fs::write(dir.path().join("seed_dev.sql"), "INSERT INTO t VALUES (1);").unwrap();

    take_logs();
    let _ = as_built.migrator();
    assert_eq!(
        take_logs(),
        "",
        "no warning while the directory matches the build"
    );
    let _ = Migrations::__embedded(SAMPLE.all(), &[], Some(dir_str), &[]).migrator();
    let logs = take_logs();
    assert!(
        logs.contains("WARN") && logs.contains("seed_dev.sql"),
        "{logs}"
    );

    std::fs::write(dir.path().join("9000_added_later.sql"), "SELECT 1;").unwrap();
    let _ = as_built.migrator();
    let logs = take_logs();
    assert!(
        logs.contains("WARN")
            && logs.contains("9000_added_later.sql")
            && logs.contains("rerun_if_changed"),
        "{logs}"
    );
}

async fn lock_is_released_when_the_run_panics(db: TestDb) {
    let set = migrations(&[
        ("0001_first.sql", "CREATE TABLE first (id INTEGER);"),
        ("0002_second.sql", "CREATE TABLE second (id INTEGER);"),
    ]);
    let url = db.url.clone();
    let run_set = set.clone();
    PANIC_ON_APPLIED.store(true, Ordering::SeqCst);
    let panicked = tokio::spawn(async move { Migrator::new(&run_set).run(&url).await }).await;
    PANIC_ON_APPLIED.store(false, Ordering::SeqCst);
    assert!(panicked.unwrap_err().is_panic(), "{}", db.kind);
    // PostgreSQL sent both together, in one string, which committed both
    // before the first's event.
    let committed: &[i64] = match db.kind {
        BackendKind::Postgres => &[1, 2],
        _ => &[1],
    };
    assert_eq!(
        db.versions().await,
        committed,
        "{}: what was sent before the panic committed",
        db.kind
    );

    let report = Migrator::new(&set)
        .lock_timeout(Duration::from_secs(5))
        .run(&db.url)
        .await
        .unwrap();
    let rest: &[i64] = match db.kind {
        BackendKind::Postgres => &[],
        _ => &[2],
    };
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        rest,
        "{}",
        db.kind
    );
    assert!(
        take_logs().contains("migration interrupted while holding the"),
        "{}: the guard reports the abandoned lock",
        db.kind
    );
}

/// Issue 22: one INFO event per retry after a lock wait, naming what held
/// the lock where the database can say (the session's pid or thread id).
async fn each_lock_wait_retry_is_an_event_naming_the_blocker(db: TestDb) {
    take_logs();
    let (report, named) = crate::lock_waits::retried_until_the_blocker_ends(&db).await;
    let logs = take_logs();
    let retries: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("INFO") && line.contains("trying again"))
        .collect();
    let kind = db.kind;
    assert_eq!(
        retries.len(),
        report.applied[0].lock_retries as usize,
        "{kind}: one event per retry:\n{logs}"
    );
    let named = named.unwrap_or_else(|| "blocker=\"not seen\"".to_owned());
    assert!(
        retries
            .iter()
            .all(|line| line.contains(&named) && line.contains("version=2")),
        "{kind}: each names the blocker ({named}) and the migration:\n{logs}"
    );
}
