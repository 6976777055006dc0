//! Repeatable migrations (issue 14): `R__<name>.sql` and
//! `repeatable_<name>.sql` run after the versioned migrations of a run, in
//! name order, whenever their checksum differs from the one last applied,
//! recorded in the version table like the others.

use crate::common::{migrations, TestDb};
use migrata::{BackendKind, Error, Migration, MigrationState, Migrator};

const ACCOUNTS: (&str, &str) = (
    "0001_accounts.sql",
    "CREATE TABLE accounts (id INTEGER NOT NULL, active INTEGER NOT NULL);\nINSERT INTO accounts VALUES (1, 1), (2, 0), (3, 1);",
);
const VIEW_V1: (&str, &str) = (
    "R__active_accounts.sql",
    "DROP VIEW IF EXISTS active_accounts;\nCREATE VIEW active_accounts AS SELECT id FROM accounts WHERE active = 1;",
);
const VIEW_V2: (&str, &str) = (
    "R__active_accounts.sql",
    "DROP VIEW IF EXISTS active_accounts;\nCREATE VIEW active_accounts AS SELECT id FROM accounts WHERE active = 1 AND id > 1;",
);
/// Counts its own runs, so a repeatable migration run when unchanged shows.
const RUNS: (&str, &str) = (
    "repeatable_count_runs.sql",
    "INSERT INTO runs (n) VALUES (1);",
);
const RUNS_TABLE: (&str, &str) = ("0002_runs.sql", "CREATE TABLE runs (n INTEGER NOT NULL);");

fn files(set: &[Migration]) -> Vec<String> {
    set.iter().map(|m| m.up.file.to_string()).collect()
}

async fn applied(db: &TestDb, set: &[Migration]) -> Vec<String> {
    let report = Migrator::new(set).run(&db.url).await.unwrap();
    report.applied.into_iter().map(|a| a.file).collect()
}

/// Fresh: versioned first, then repeatable ones by name; recorded under
/// their name-derived version with their checksum. Unchanged, they do not
/// run again; changed, only the changed one does, and its row is replaced.
async fn repeatables_run_after_versioned_and_again_when_changed(db: TestDb) {
    let v1 = migrations(&[ACCOUNTS, RUNS_TABLE, VIEW_V1, RUNS]);
    assert_eq!(
        files(&v1),
        [
            "0001_accounts.sql",
            "0002_runs.sql",
            "R__active_accounts.sql",
            "repeatable_count_runs.sql"
        ]
    );
    assert_eq!(applied(&db, &v1).await, files(&v1));
    assert_eq!(db.scalar("SELECT COUNT(*) FROM active_accounts").await, 2);
    let history = db.history().await;
    let view = &v1[2];
    let row = history.iter().find(|r| r.0 == view.version).unwrap();
    assert_eq!(
        (row.1.as_str(), row.2.as_str(), row.3),
        ("active_accounts", view.checksum.to_string().as_str(), true)
    );
    assert_eq!(
        view.version,
        migrata_core::repeatable_version("active_accounts")
    );

    assert!(
        applied(&db, &v1).await.is_empty(),
        "unchanged: nothing runs"
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM runs").await, 1);

    let v2 = migrations(&[ACCOUNTS, RUNS_TABLE, VIEW_V2, RUNS]);
    assert_eq!(applied(&db, &v2).await, ["R__active_accounts.sql"]);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM active_accounts").await, 1);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM runs").await, 1);
    let rows: Vec<_> = db
        .history()
        .await
        .into_iter()
        .filter(|r| r.0 == view.version)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].2, v2[2].checksum.to_string());

    let status = Migrator::new(&v2).at(&db.url).status().await.unwrap();
    let states: Vec<(&str, bool, MigrationState)> = status
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.repeatable, e.state))
        .collect();
    assert_eq!(
        states,
        [
            ("accounts", false, MigrationState::Applied),
            ("runs", false, MigrationState::Applied),
            ("active_accounts", true, MigrationState::Applied),
            ("count_runs", true, MigrationState::Applied),
        ]
    );
    // Back to the first definition: pending again, as status says.
    let status = Migrator::new(&v1).at(&db.url).status().await.unwrap();
    assert_eq!(status.entries[2].state, MigrationState::Pending);
    assert_eq!(status.pending().count(), 1);
}

/// A versioned migration added with a changed repeatable one runs first; a
/// run stopped before the newest versioned migration leaves the repeatable
/// ones alone (they are written for the newest schema).
async fn versioned_first_and_none_before_the_newest(db: TestDb) {
    let v1 = migrations(&[ACCOUNTS, RUNS_TABLE, VIEW_V1]);
    let report = Migrator::new(&v1).target(1).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(!db.table_exists("runs").await);
    assert_eq!(
        applied(&db, &v1).await,
        ["0002_runs.sql", "R__active_accounts.sql"]
    );
    let more = migrations(&[
        ACCOUNTS,
        RUNS_TABLE,
        (
            "0003_flag.sql",
            "UPDATE accounts SET active = 1 WHERE id = 2;",
        ),
        VIEW_V2,
    ]);
    assert_eq!(
        applied(&db, &more).await,
        ["0003_flag.sql", "R__active_accounts.sql"]
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM active_accounts").await, 2);
}

/// A failed repeatable migration in a transaction leaves its previous
/// version recorded (and pending again); outside one (MySQL), its row is
/// marked failed and the next run refuses until `repair`.
async fn failed_repeatable_migration(db: TestDb) {
    let v1 = migrations(&[ACCOUNTS, RUNS_TABLE, VIEW_V1]);
    applied(&db, &v1).await;
    let broken = migrations(&[
        ACCOUNTS,
        RUNS_TABLE,
        (
            "R__active_accounts.sql",
            "INSERT INTO runs (n) VALUES (7);\nCREATE VIEW active_accounts AS SELECT missing FROM nowhere;",
        ),
    ]);
    let err = Migrator::new(&broken).run(&db.url).await.unwrap_err();
    assert!(
        matches!(&err, Error::Migration { file, .. } if file == "R__active_accounts.sql"),
        "{err}"
    );
    // MySQL runs the statements one by one and names the one that failed.
    let named = match db.kind {
        BackendKind::MySql => {
            "repeatable migration `R__active_accounts.sql` failed in its statement on line 2: "
        }
        _ => "repeatable migration `R__active_accounts.sql` failed: ",
    };
    assert!(
        err.to_string().starts_with(named),
        "named by its file, not its internal version: {err}"
    );
    let row = db
        .history()
        .await
        .into_iter()
        .find(|r| r.0 == v1[2].version)
        .unwrap();
    if db.kind == BackendKind::MySql {
        assert!(!row.3, "claimed, then failed: {row:?}");
        let err = Migrator::new(&broken).run(&db.url).await.unwrap_err();
        assert!(matches!(err, Error::Dirty { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("repeatable migration `active_accounts` is marked as failed"),
            "{err}"
        );
    } else {
        assert_eq!(db.scalar("SELECT COUNT(*) FROM runs").await, 0);
        assert_eq!(
            row.2,
            v1[2].checksum.to_string(),
            "the previous version stays"
        );
        assert!(row.3);
        let status = Migrator::new(&broken).at(&db.url).status().await.unwrap();
        assert_eq!(status.entries[2].state, MigrationState::Pending);
        assert!(applied(&db, &v1).await.is_empty());
    }
}

on_every_backend!(
    repeatables_run_after_versioned_and_again_when_changed,
    versioned_first_and_none_before_the_newest,
    failed_repeatable_migration,
);

/// Offline SQL applies every repeatable migration after the versioned ones
/// when the range reaches the newest, replacing whatever row it has.
#[test]
fn offline_sql_includes_repeatables() {
    let set = migrations(&[ACCOUNTS, RUNS_TABLE, VIEW_V1, RUNS]);
    let sql = Migrator::new(&set)
        .offline(BackendKind::Sqlite)
        .up(None, None)
        .unwrap();
    assert!(
        sql.starts_with("-- Offline SQL generated by migrata for sqlite, up: versions 1, 2, R__active_accounts.sql, repeatable_count_runs.sql\n"),
        "{sql}"
    );
    let view = sql.find("CREATE VIEW active_accounts").unwrap();
    assert!(sql.find("CREATE TABLE runs").unwrap() < view);
    let forget = format!(
        "DELETE FROM \"migrate_history\" WHERE version = {};",
        set[2].version
    );
    assert!(sql.contains(&forget), "{sql}");
    let before_newest = Migrator::new(&set)
        .offline(BackendKind::Sqlite)
        .up(None, Some(1))
        .unwrap();
    assert!(!before_newest.contains("CREATE VIEW"), "{before_newest}");
}
