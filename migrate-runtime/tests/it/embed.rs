//! What `embed_migrations!` bakes in, and what the futures it gives can do.

use std::path::Path;

use migrata::{embed_migrations, Migrations};

static SAMPLE: Migrations = embed_migrations!("migrations");

#[test]
fn macro_output_equals_what_migrate_core_computes_at_run_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let at_run_time = migrata_core::load_dir(&dir).unwrap();
    assert_eq!(SAMPLE.all(), at_run_time.as_slice());
    assert!(SAMPLE.all().len() >= 4);
    assert!(SAMPLE.all().iter().any(|m| m.down.is_some()));
    assert!(SAMPLE.all().iter().any(|m| m.up.no_transaction));
}

/// Issue 21, item 2: the macro keeps the baseline mark, as the loader does.
#[test]
fn a_baseline_is_embedded_as_one() {
    static SQUASHED: Migrations = embed_migrations!("tests/squash-fixture");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/squash-fixture");
    assert_eq!(
        SQUASHED.all(),
        migrata_core::load_dir(&dir).unwrap().as_slice()
    );
    let marks: Vec<bool> = SQUASHED.all().iter().map(|m| m.is_baseline()).collect();
    assert_eq!(marks, [true, false]);
}

#[test]
fn const_context_works() {
    const COPY: Migrations = embed_migrations!("migrations");
    assert_eq!(COPY.all(), SAMPLE.all());
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
        assert_send(&SAMPLE.run_on(&mut *pg));
        assert_send(&SAMPLE.run_on(&mut *my));
        assert_send(&SAMPLE.run_on(&mut *lite));
        assert_send(&SAMPLE.migrator().on(pg).repair(migrata::Repair::Clear));
    }
    let _ = run_on_is_send;
    // Over a pool, and from a caller generic over the connection's
    // lifetime (where an inferred `Send` is not provable: rust#100013).
    #[allow(clippy::manual_async_fn)] // the signature is what asserts `Send`
    fn over_a_pool<'c>(
        pool: &'c sqlx::PgPool,
    ) -> impl std::future::Future<Output = Result<migrata::Status, migrata::Error>> + Send + 'c
    {
        async move {
            static MIGRATOR: std::sync::LazyLock<migrata::Migrator<'static>> =
                std::sync::LazyLock::new(|| SAMPLE.migrator());
            MIGRATOR.run_on(pool).await?;
            MIGRATOR.on(pool).status().await
        }
    }
    let _ = over_a_pool;
    assert_send(&SAMPLE.run("sqlite::memory:"));
    assert_send(
        &SAMPLE
            .migrator()
            .at("sqlite::memory:")
            .repair(migrata::Repair::Clear),
    );
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

/// A handle printed with `{:?}` (a log line, a panic message) never shows
/// the URL's password.
#[test]
fn a_handle_prints_its_url_redacted() {
    let migrator = SAMPLE.migrator();
    let printed = format!("{:?}", migrator.at("postgres://app:s3cret@db/app"));
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(printed.contains("postgres://app:***@db/app"), "{printed}");
}
