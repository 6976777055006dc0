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
    // A copy stands for the directory, so the fixture stays as it is.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(built_from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
    }
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
