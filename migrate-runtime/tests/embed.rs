//! What `embed_migrations!` bakes in, and the logs and warnings around it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use migrate_runtime::{embed_migrations, Migrations};

static SAMPLE: Migrations = embed_migrations!("../migrations");

#[test]
fn macro_output_equals_what_migrate_core_computes_at_run_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let at_run_time = migrate_core::load_dir(&dir).unwrap();
    assert_eq!(SAMPLE.all(), at_run_time.as_slice());
    assert!(SAMPLE.all().len() >= 4);
    assert!(SAMPLE.all().iter().any(|m| m.down.is_some()));
    assert!(SAMPLE.all().iter().any(|m| m.up.no_transaction));
}

#[test]
fn const_context_works() {
    const COPY: Migrations = embed_migrations!("../migrations");
    assert_eq!(COPY.all(), SAMPLE.all());
}

/// A `tracing` subscriber writing plain text into a buffer, for the current thread.
fn capture() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
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
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = Buffer(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

fn text(buffer: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
}

#[tokio::test]
async fn each_applied_migration_is_a_tracing_event() {
    let (logs, _guard) = capture();
    let report = SAMPLE.run("sqlite::memory:").await.unwrap();
    let logs = text(&logs);
    for applied in &report.applied {
        let line = logs
            .lines()
            .find(|l| {
                l.contains("applied migration")
                    && l.contains(&format!("version={}", applied.version))
            })
            .unwrap_or_else(|| panic!("no event for {}:\n{logs}", applied.version));
        assert!(line.contains(" migrate:"), "target is `migrate`: {line}");
        assert!(line.contains(&format!("name={}", applied.name)), "{line}");
        assert!(
            line.contains("backend=sqlite") && line.contains("duration_ms="),
            "{line}"
        );
    }
}

#[test]
fn debug_build_warns_about_a_migration_added_after_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for migration in SAMPLE.all() {
        for script in [Some(&migration.up), migration.down.as_ref()]
            .into_iter()
            .flatten()
        {
            std::fs::copy(source.join(&*script.file), dir.path().join(&*script.file)).unwrap();
        }
    }
    let dir_str: &'static str = Box::leak(dir.path().to_str().unwrap().to_owned().into_boxed_str());
    let as_built = Migrations::__embedded(SAMPLE.all(), Some(dir_str));

    let (logs, guard) = capture();
    let _ = as_built.migrator();
    assert_eq!(
        text(&logs),
        "",
        "no warning while the directory matches the build"
    );

    std::fs::write(dir.path().join("9000_added_later.sql"), "SELECT 1;").unwrap();
    let _ = as_built.migrator();
    let logs = text(&logs);
    drop(guard);
    assert!(
        logs.contains("WARN")
            && logs.contains("9000_added_later.sql")
            && logs.contains("rerun_if_changed"),
        "{logs}"
    );
}

/// Apps spawn the migration on a multi-threaded runtime: the futures must be `Send`.
#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn run_on_is_send(
        pg: &mut sqlx::PgConnection,
        my: &mut sqlx::MySqlConnection,
        lite: &mut sqlx::SqliteConnection,
    ) {
        assert_send(&SAMPLE.run_on(pg));
        assert_send(&SAMPLE.run_on(my));
        assert_send(&SAMPLE.run_on(lite));
        assert_send(&SAMPLE.migrator().repair_on(pg));
    }
    let _ = run_on_is_send;
    assert_send(&SAMPLE.run("sqlite::memory:"));
    assert_send(&SAMPLE.migrator().repair("sqlite::memory:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_can_be_spawned() {
    let report = tokio::spawn(SAMPLE.run("sqlite::memory:"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.applied.len(), SAMPLE.all().len());
    let migrator = SAMPLE.migrator();
    tokio::spawn(async move { migrator.run("sqlite::memory:").await.map(drop) })
        .await
        .unwrap()
        .unwrap();
}
