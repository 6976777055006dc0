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
