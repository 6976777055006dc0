//! Code migrations (issue 14): `.rs` files compiled into the binary run in
//! version order with the SQL ones, in the migration's transaction, under
//! the same history, policies and reporting, on every backend.

use crate::common::TestDb;
use migrata::{
    embed_migrations, BackendKind, Error, MigrationState, Migrations, Migrator, TransactionMode,
};

static SHOP: Migrations = embed_migrations!("tests/code-fixtures/shop");
/// `SHOP` with `0002_domains.rs` edited (its first comment).
static SHOP_EDITED: Migrations = embed_migrations!("tests/code-fixtures/shop_edited");
/// `0002_half_way.rs` writes, then returns an error of its own.
static FAILS: Migrations = embed_migrations!("tests/code-fixtures/fails");
/// `0002_half_way.rs` writes, then a statement of it fails.
static FAILS_IN_SQL: Migrations = embed_migrations!("tests/code-fixtures/fails_in_sql");
/// `FAILS` with `// migrate:no-transaction`.
static FAILS_UNTRANSACTED: Migrations = embed_migrations!("tests/code-fixtures/fails_untransacted");

async fn domains(db: &TestDb) -> Vec<String> {
    db.strings_of("SELECT COALESCE(domain, '-') FROM accounts ORDER BY id")
        .await
}

/// The code runs between the scripts around it, reads and writes through
/// its connection, and is recorded like a script: its file in the report,
/// the checksum of its source in the history.
async fn fresh_apply_runs_code_in_version_order(db: TestDb) {
    let report = SHOP.run(&db.url).await.unwrap();
    let files: Vec<&str> = report.applied.iter().map(|a| a.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "0001_accounts.up.sql",
            "0002_domains.rs",
            "0003_domains_seen.up.sql"
        ]
    );
    assert_eq!(
        domains(&db).await,
        ["example.com", "example.org", "example.com"]
    );
    let history = db.history().await;
    let code = &SHOP.all()[1];
    assert!(code.is_code());
    assert_eq!(
        (history[1].0, history[1].1.as_str(), history[1].3),
        (2, "domains", true)
    );
    assert_eq!(history[1].2, code.checksum.to_string());
    assert_eq!(
        code.checksum,
        migrata_core::checksum(include_str!("../code-fixtures/shop/0002_domains.rs"))
    );

    let again = SHOP.run(&db.url).await.unwrap();
    assert!(again.is_up_to_date());
    let status = SHOP.migrator().at(&db.url).status().await.unwrap();
    let code_entry = &status.entries[1];
    assert_eq!(code_entry.file.as_deref(), Some("0002_domains.rs"));
    assert_eq!(code_entry.state, MigrationState::Applied);
}

/// An edit of an applied code migration is divergence, like an edited
/// script's, named by its file; nothing runs.
async fn edited_code_migration_diverges(db: TestDb) {
    SHOP.run(&db.url).await.unwrap();
    db.execute("UPDATE accounts SET domain = 'untouched'").await;
    let err = SHOP_EDITED.run(&db.url).await.unwrap_err();
    match &err {
        Error::Divergent {
            version: 2, file, ..
        } => assert_eq!(file, "0002_domains.rs"),
        other => panic!("expected divergence of 0002_domains.rs, got {other}"),
    }
    assert_eq!(domains(&db).await, ["untouched"; 3]);
    let status = SHOP_EDITED.migrator().at(&db.url).status().await.unwrap();
    assert_eq!(status.entries[1].state, MigrationState::Divergent);
}

/// A code migration's `down` reverts it, after the newer script's down.
async fn code_migration_reverts_with_its_down(db: TestDb) {
    SHOP.run(&db.url).await.unwrap();
    let report = SHOP.migrator().at(&db.url).revert(1).await.unwrap();
    let files: Vec<&str> = report.reverted.iter().map(|a| a.file.as_str()).collect();
    assert_eq!(files, ["0003_domains_seen.down.sql", "0002_domains.rs"]);
    assert_eq!(domains(&db).await, ["-"; 3]);
    assert_eq!(db.versions().await, [1]);
}

/// Atomicity: an error half-way through a code migration leaves nothing,
/// not its writes, not its history row, and nothing after it runs. Its
/// own error is [`Error::Code`]; a failed statement is
/// [`Error::Migration`], as in a script. Run per migration and in one
/// transaction for all.
async fn failure_half_way_leaves_nothing(db: TestDb) {
    let mut first = true;
    for (set, per_run) in [(&FAILS, "own error"), (&FAILS_IN_SQL, "statement")] {
        for mode in [TransactionMode::Single, TransactionMode::PerMigration] {
            let err = set
                .migrator()
                .transaction(mode)
                .run(&db.url)
                .await
                .unwrap_err();
            match (&err, per_run) {
                (
                    Error::Code {
                        version: 2,
                        file,
                        error: source,
                        ..
                    },
                    "own error",
                ) => {
                    assert_eq!(file, "0002_half_way.rs");
                    assert_eq!(source.to_string(), "gave up half-way");
                    assert_eq!(
                        err.to_string(),
                        "migration 2 (`0002_half_way.rs`) failed: gave up half-way"
                    );
                }
                (
                    Error::Migration {
                        version: 2, file, ..
                    },
                    "statement",
                ) => {
                    assert_eq!(file, "0002_half_way.rs")
                }
                (other, _) => panic!("{per_run} in {mode:?}: unexpected {other}"),
            }
            assert!(!db.table_exists("after_failure").await);
            // One transaction for all takes the first script with it,
            // where DDL is transactional.
            let all_in_one = first && mode == TransactionMode::Single;
            let expected: &[i64] = if all_in_one && db.kind != BackendKind::MySql {
                &[]
            } else {
                &[1]
            };
            assert_eq!(db.versions().await, expected, "{per_run} {mode:?}");
            if expected.is_empty() {
                assert!(!db.table_exists("events").await);
            } else {
                assert_eq!(
                    db.scalar("SELECT COUNT(*) FROM events").await,
                    0,
                    "{mode:?}"
                );
            }
            first = false;
        }
    }
}

/// Outside a transaction, a failed code migration is bracketed like a
/// script: its writes stay, its row is marked failed, the next run refuses
/// until `repair`.
async fn untransacted_failure_is_marked_failed(db: TestDb) {
    let err = FAILS_UNTRANSACTED.run(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::Code { version: 2, .. }), "{err}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events").await, 1);
    let history = db.history().await;
    assert_eq!(
        history.iter().map(|r| (r.0, r.3)).collect::<Vec<_>>(),
        [(1, true), (2, false)]
    );
    let err = FAILS_UNTRANSACTED.run(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::Dirty { version: 2, .. }), "{err}");
}

/// `Migrator::new` over the embedded list has no compiled code: a run that
/// reaches the code migration is refused before anything runs, and one
/// that stops before it is not.
async fn migrations_without_their_code_are_refused(db: TestDb) {
    let err = Migrator::new(SHOP.all()).run(&db.url).await.unwrap_err();
    match &err {
        Error::CodeNotCompiled { version: 2, file } => assert_eq!(file, "0002_domains.rs"),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("`migrate` subcommand"), "{err}");
    assert!(!db.table_exists("accounts").await);
    let report = Migrator::new(SHOP.all())
        .target(1)
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
}

on_every_backend!(
    fresh_apply_runs_code_in_version_order,
    edited_code_migration_diverges,
    code_migration_reverts_with_its_down,
    failure_half_way_leaves_nothing,
    untransacted_failure_is_marked_failed,
    migrations_without_their_code_are_refused,
    code_that_commits_is_refused,
);

/// The macro's list equals what migrata-core reads at run time, code
/// migrations included.
#[test]
fn embedded_code_migrations_match_the_directory() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/code-fixtures/shop");
    assert_eq!(SHOP.all(), migrata_core::load_dir(&dir).unwrap().as_slice());
    assert!(SHOP.all()[1].down.is_some());
    assert!(FAILS_UNTRANSACTED.all()[1].up.no_transaction);
}

/// Offline SQL stops at a code migration with a marker, and refuses a
/// range that goes past one.
#[test]
fn offline_sql_stops_at_code_migrations() {
    let migrator = SHOP.migrator();
    let err = migrator
        .offline(BackendKind::Postgres)
        .up(None, None)
        .unwrap_err();
    assert!(
        matches!(&err, Error::CodeOffline { version: 2, stop: 2, file } if file == "0002_domains.rs"),
        "{err}"
    );
    let sql = migrator
        .offline(BackendKind::Postgres)
        .up(None, Some(2))
        .unwrap();
    assert!(sql.contains("CREATE TABLE accounts"), "{sql}");
    assert!(
        sql.trim_end().ends_with(
            "-- STOP: migration 2 domains (`0002_domains.rs`) is a code migration, which SQL cannot contain.\n\
             -- Run it with the application binary (`<app> migrate up --to 2`), then render the rest of the range from it."
        ),
        "{sql}"
    );
    assert_eq!(
        sql.matches("INSERT INTO \"migrate_history\"").count(),
        1,
        "{sql}"
    );
    assert!(!sql.contains("pub async fn"), "{sql}");
    let rest = migrator
        .offline(BackendKind::Postgres)
        .up(Some(2), None)
        .unwrap();
    assert!(
        rest.contains("CREATE TABLE domains_seen") && !rest.contains("-- STOP"),
        "{rest}"
    );

    let err = migrator
        .offline(BackendKind::Sqlite)
        .down(None, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::CodeOffline {
                version: 2,
                stop: 1,
                ..
            }
        ),
        "{err}"
    );
    let down = migrator.offline(BackendKind::Sqlite).down(None, 1).unwrap();
    assert!(down.contains("DROP TABLE domains_seen"), "{down}");
    assert!(down.contains("`<app> migrate down --to 1`"), "{down}");
}

/// `0002_commits.rs` runs `COMMIT` itself.
static COMMITS: Migrations = embed_migrations!("tests/code-fixtures/commits");

/// A code migration that ends the runner's transaction (`COMMIT`) is
/// refused before its history row is written, with an error naming it.
async fn code_that_commits_is_refused(db: TestDb) {
    let result = COMMITS.run(&db.url).await;
    if db.kind == BackendKind::MySql {
        // DDL commits implicitly on MySQL, so a COMMIT is nothing new: the
        // row is written, in the transaction the runner's next write opens.
        assert_eq!(result.unwrap().applied.len(), 2);
        return;
    }
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::CodeEndedTransaction { version: 2, file } if file == "0002_commits.rs"),
        "{err:?}"
    );
    assert!(err.to_string().contains("0002_commits.rs"), "{err}");
    let versions: Vec<i64> = db.history().await.iter().map(|row| row.0).collect();
    assert_eq!(versions, [1], "the code migration must not be recorded");
    // What it committed stays (it was committed), and the next run
    // refuses again rather than recording it.
    assert!(matches!(
        COMMITS.run(&db.url).await.unwrap_err(),
        Error::CodeEndedTransaction { version: 2, .. }
    ));
}
