//! An application binary's `migrate` subcommand (`run_from` over the
//! migrations it embeds): it has the compiled code, so it runs code
//! migrations that the standalone command refuses.

use migrata::{embed_migrations, Migrations};

use crate::common::TestDb;
use crate::on_every_backend;

/// Scripts around `0002_domains.rs`, which fills `accounts.domain`.
static SHOP: Migrations = embed_migrations!("tests/fixtures/shop");

async fn domains(db: &TestDb) -> Vec<String> {
    db.strings_of("SELECT COALESCE(domain, '-') FROM accounts ORDER BY id")
        .await
}

async fn app_binary_subcommand_runs_code_migrations(db: TestDb) {
    let code = migrata_cli::run_from(&SHOP, ["app", "-d", db.url.as_str(), "up"]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(
        domains(&db).await,
        ["example.com", "example.org", "example.com"]
    );
}

on_every_backend!(app_binary_subcommand_runs_code_migrations);

/// Issue 26 item 3: `app migrate new` writes the next migration into the
/// directory the binary was built from (a debug build knows it), or into
/// `--dir`, and refuses a name another migration has.
#[tokio::test]
async fn app_binary_creates_the_next_migration() {
    let built_from = SHOP
        .source_dir()
        .expect("a debug build knows its directory");
    assert_eq!(
        built_from.canonicalize().unwrap(),
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/shop")
            .canonicalize()
            .unwrap()
    );
    let copy = copy_of_the_fixture();
    let dir = copy.path().to_str().unwrap();
    let code = migrata_cli::run_from(&SHOP, ["app", "new", "add_tags", "--dir", dir]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert!(copy.path().join("0004_add_tags.sql").is_file());
    let code =
        migrata_cli::run_from(&SHOP, ["app", "new", "--code", "--dir", dir, "backfill"]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert!(copy.path().join("0005_backfill.rs").is_file());
    let taken = migrata_cli::run_from(&SHOP, ["app", "new", "domains", "--dir", dir]).await;
    assert_eq!(
        taken,
        std::process::ExitCode::FAILURE,
        "0002_domains.rs has that name"
    );
    assert!(!copy.path().join("0006_domains.sql").exists());
}

/// A copy of the fixture stands for the directory the binary was built
/// from, so the fixture stays as it is.
fn copy_of_the_fixture() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(SHOP.source_dir().unwrap()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
    }
    copy
}

/// Issue 21: `diff` and `squash` in an app's own CLI, over the migrations
/// it embeds (its code migration replays, which the standalone command
/// cannot do), writing into `--dir`.
#[tokio::test]
async fn app_binary_diffs_and_squashes() {
    let copy = copy_of_the_fixture();
    let dir = copy.path().to_str().unwrap();
    let desired = copy.path().join("desired.sql.txt");
    let schema = migrata_cli::run_from(
        &SHOP,
        [
            "app",
            "schema",
            "--scratch-url",
            "sqlite::memory:",
            "--write",
            desired.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(schema, std::process::ExitCode::SUCCESS);
    let mut sql = std::fs::read_to_string(&desired).unwrap();
    sql.push_str("\nCREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n");
    std::fs::write(&desired, sql).unwrap();
    let diff = migrata_cli::run_from(
        &SHOP,
        [
            "app",
            "diff",
            "--dir",
            dir,
            "--scratch-url",
            "sqlite::memory:",
            "--to",
            desired.to_str().unwrap(),
            "--name",
            "tags",
        ],
    )
    .await;
    assert_eq!(diff, std::process::ExitCode::SUCCESS);
    let written = std::fs::read_to_string(copy.path().join("0004_tags.up.sql")).unwrap();
    assert!(written.contains("CREATE TABLE tags"), "{written}");

    let squash = migrata_cli::run_from(
        &SHOP,
        [
            "app",
            "squash",
            "--dir",
            dir,
            "--scratch-url",
            "sqlite::memory:",
            "--up-to",
            "3",
            "--allow-data-loss",
        ],
    )
    .await;
    assert_eq!(squash, std::process::ExitCode::SUCCESS);
    let baseline = std::fs::read_to_string(copy.path().join("0003_baseline.sql")).unwrap();
    assert!(baseline.contains("-- migrate:baseline"), "{baseline}");
    assert!(baseline.contains("CREATE TABLE accounts"), "{baseline}");
    assert!(
        !copy.path().join("0002_domains.rs").exists(),
        "the code migration is squashed too"
    );
    let reloaded = migrata_core::load_dir(copy.path()).unwrap();
    let versions: Vec<i64> = reloaded.iter().map(|m| m.version).collect();
    assert_eq!(versions, [3, 4]);
}
