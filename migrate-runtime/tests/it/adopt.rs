//! `adopt` over histories the tools themselves wrote (`common::peers`): sqlx,
//! refinery and diesel each run on SQLite, PostgreSQL and MySQL/MariaDB, so
//! every scenario runs for every tool on every backend.

use crate::common::peers::{self, scripts, version, Script};
use crate::common::{Conn, TestDb};
use migrata::{AdoptionProblem, Error, MigrationState, Migrator, Peer};

/// `(version, name, checksum, success)` rows the version table holds, `None`
/// when it does not exist.
async fn version_table(db: &TestDb) -> Option<Vec<(i64, String, String, bool)>> {
    if db.table_exists("migrate_history").await {
        Some(db.history().await)
    } else {
        None
    }
}

async fn tool_applies(peer: Peer, db: &TestDb, scripts: &[Script]) {
    let mut conn = db.conn().await;
    peers::apply(peer, &mut conn, scripts).await.unwrap();
    conn.close().await;
}

fn refused(result: Result<impl std::fmt::Debug, Error>) -> (Vec<AdoptionProblem>, String) {
    match result {
        Err(error @ Error::AdoptionRefused { .. }) => {
            let message = error.to_string();
            let Error::AdoptionRefused { problems, .. } = error else {
                unreachable!()
            };
            (problems, message)
        }
        other => panic!("adoption not refused: {other:?}"),
    }
}

async fn adopted_history_runs_up_to_date_then_applies_newer(peer: Peer, db: TestDb) {
    tool_applies(peer, &db, &scripts(3)).await;
    let set = peers::embedded(peer, &scripts(3));
    let migrator = Migrator::new(&set);
    let versions: Vec<i64> = set.iter().map(|m| m.version).collect();

    let check = migrator.at(&db.url).check_adoption(peer).await.unwrap();
    assert!(check.dry_run);
    assert_eq!(check.adopted, versions);
    assert_eq!(version_table(&db).await, None, "a check writes nothing");

    let adoption = migrator.at(&db.url).adopt(peer).await.unwrap();
    assert!(!adoption.dry_run);
    assert_eq!(adoption.adopted, versions);
    assert!(adoption.already_adopted.is_empty() && adoption.pending.is_empty());
    let rows: Vec<(i64, String, String, bool)> = set
        .iter()
        .map(|m| (m.version, m.name.to_string(), m.checksum.to_string(), true))
        .collect();
    assert_eq!(db.history().await, rows, "the rows a run writes");
    let tools_rows = format!("SELECT COUNT(*) FROM {}", peer.table());
    assert_eq!(
        db.scalar(&tools_rows).await,
        3,
        "the tool's table is only read"
    );

    assert!(migrator.run(&db.url).await.unwrap().is_up_to_date());

    let again = migrator.at(&db.url).adopt(peer).await.unwrap();
    assert!(again.is_already_adopted(), "{again:?}");
    assert_eq!(again.already_adopted, versions);
    assert_eq!(db.history().await, rows, "adopting again writes nothing");

    let newer = peers::embedded(peer, &scripts(4));
    let report = Migrator::new(&newer).run(&db.url).await.unwrap();
    let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, [version(peer, 3)]);
    assert!(db.table_exists("visits").await);
    let after_run = Migrator::new(&newer).at(&db.url).adopt(peer).await.unwrap();
    assert!(after_run.is_already_adopted() && after_run.pending.is_empty());
    assert_eq!(db.versions().await.len(), 4);
}

async fn newer_embedded_migrations_stay_pending(peer: Peer, db: TestDb) {
    tool_applies(peer, &db, &scripts(2)).await;
    let set = peers::embedded(peer, &scripts(4));
    let adoption = Migrator::new(&set).at(&db.url).adopt(peer).await.unwrap();
    assert_eq!(adoption.adopted, [version(peer, 0), version(peer, 1)]);
    assert_eq!(adoption.pending, [version(peer, 2), version(peer, 3)]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    let applied: Vec<i64> = report.applied.iter().map(|a| a.version).collect();
    assert_eq!(applied, adoption.pending);
}

/// The tool applied 1, 3 and 4; this binary embeds 1 edited, 2, and 3
/// renamed.
async fn every_mismatch_is_reported_and_nothing_written(peer: Peer, db: TestDb) {
    let applied: Vec<Script> = scripts(4).into_iter().filter(|s| s.n != 1).collect();
    tool_applies(peer, &db, &applied).await;
    let mut ours = scripts(3);
    ours[0].sql.push_str("\n-- edited after it ran");
    ours[2].name = "create_labels";
    let set = peers::embedded(peer, &ours);

    let there = peers::tool_view(peer, &applied).await;
    let here = peers::tool_view(peer, &ours).await;
    let mut expected = Vec::new();
    if let (Some(recorded), Some(embedded)) = (&there[0].2, &here[0].2) {
        expected.push(AdoptionProblem::Edited {
            version: version(peer, 0),
            file: peers::embedded_file(peer, &ours[0]),
            recorded: recorded.clone(),
            expected: embedded.clone(),
        });
    }
    if let (Some(recorded), Some(embedded)) = (&there[1].1, &here[2].1) {
        expected.push(AdoptionProblem::Renamed {
            version: version(peer, 2),
            recorded: recorded.clone(),
            expected: embedded.clone(),
        });
    }
    expected.push(AdoptionProblem::NotEmbedded {
        version: version(peer, 3).to_string(),
        name: there[2].1.clone(),
    });
    expected.push(AdoptionProblem::NotRecorded {
        version: version(peer, 1),
        file: peers::embedded_file(peer, &ours[1]),
    });

    let migrator = Migrator::new(&set);
    let (problems, message) = refused(migrator.at(&db.url).adopt(peer).await);
    assert_eq!(problems, expected);
    for problem in &expected {
        assert!(message.contains(&format!("\n  - {problem}")), "{message}");
    }
    assert!(message.contains(peer.table()), "{message}");
    assert_eq!(version_table(&db).await, None, "nothing written");
    let (checked, _) = refused(migrator.at(&db.url).check_adoption(peer).await);
    assert_eq!(checked, expected, "a check reports the same");
}

async fn a_disagreeing_version_table_is_refused(peer: Peer, db: TestDb) {
    tool_applies(peer, &db, &scripts(3)).await;
    // Stamped earlier from a build whose first script differed.
    let mut edited = scripts(3);
    edited[0].sql.push_str("\n-- another build's text");
    let other_build = peers::embedded(peer, &edited);
    Migrator::new(&other_build)
        .at(&db.url)
        .stamp(version(peer, 0))
        .await
        .unwrap();
    let before = version_table(&db).await;

    let set = peers::embedded(peer, &scripts(3));
    let (problems, _) = refused(Migrator::new(&set).at(&db.url).adopt(peer).await);
    assert_eq!(
        problems,
        [AdoptionProblem::Conflicting {
            version: version(peer, 0),
            name: scripts(1)[0].name.to_owned(),
            state: MigrationState::Divergent,
        }]
    );
    assert_eq!(version_table(&db).await, before, "nothing written");
}

/// sqlx marks a migration failed where DDL commits implicitly (MySQL: it
/// writes the row first); elsewhere it rolls a failed script back with its
/// row, and a row left failed (by an interrupted run, or an older sqlx) is
/// made by hand.
async fn a_failed_sqlx_row_is_refused(db: TestDb) {
    let peer = Peer::Sqlx;
    tool_applies(peer, &db, &scripts(2)).await;
    let mut failing = scripts(3);
    failing[2].sql =
        "CREATE TABLE half (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);".into();
    let mut conn = db.conn().await;
    assert!(peers::apply(peer, &mut conn, &failing).await.is_err());
    let failed = if db.kind.transactional_ddl() {
        let table = peer.table();
        let rows = conn
            .scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE version = {}",
                version(peer, 2)
            ))
            .await;
        assert_eq!(rows, 0, "rolled back with its script");
        conn.execute(&format!(
            "UPDATE {table} SET success = FALSE WHERE version = {}",
            version(peer, 1)
        ))
        .await;
        1
    } else {
        2
    };
    conn.close().await;
    let view = peers::tool_view(peer, &failing).await;

    let set = peers::embedded(peer, &scripts(3));
    let (problems, message) = refused(Migrator::new(&set).at(&db.url).adopt(peer).await);
    assert_eq!(
        problems,
        [AdoptionProblem::Failed {
            version: version(peer, failed),
            name: view[failed].1.clone(),
        }]
    );
    assert!(message.contains("failed"), "{message}");
    assert_eq!(version_table(&db).await, None, "nothing written");
}

async fn without_the_tools_table_there_is_nothing_to_adopt(peer: Peer, db: TestDb) {
    let set = peers::embedded(peer, &scripts(2));
    let error = Migrator::new(&set)
        .at(&db.url)
        .adopt(peer)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NoPeerHistory { peer: p } if p == peer),
        "{error}"
    );
    assert!(error.to_string().contains(peer.table()), "{error}");
}

/// `on(conn).adopt(peer)`: adoption over a connection the caller holds.
async fn adopts_over_a_held_connection(peer: Peer, db: TestDb) {
    tool_applies(peer, &db, &scripts(2)).await;
    let set = peers::embedded(peer, &scripts(2));
    let mut conn = db.conn().await;
    let adoption = match &mut conn {
        Conn::Sqlite(c) => Migrator::new(&set).on(c).adopt(peer).await,
        Conn::Postgres(c) => Migrator::new(&set).on(c).adopt(peer).await,
        Conn::MySql(c) => Migrator::new(&set).on(c).adopt(peer).await,
    }
    .unwrap();
    conn.close().await;
    assert_eq!(adoption.adopted, [version(peer, 0), version(peer, 1)]);
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}

/// Issue 25, item 13: a history diesel wrote from directories whose
/// versions have different lengths (a date-only `2024-03-13` after
/// `2024-03-06-170000`), beside a seed script and a README diesel ignores,
/// loads in diesel's order and is adopted by the text diesel recorded.
async fn diesel_versions_of_different_lengths_are_adopted(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let [(users, users_sql), (posts, posts_sql), ..] = peers::SCRIPTS;
    for (directory, sql) in [
        (format!("2024-03-13_{posts}"), posts_sql),
        (format!("2024-03-06-170000_{users}"), users_sql),
    ] {
        std::fs::create_dir(dir.path().join(&directory)).unwrap();
        std::fs::write(dir.path().join(directory).join("up.sql"), sql).unwrap();
    }
    std::fs::write(
        dir.path().join("seed.sql"),
        "INSERT INTO users (id) VALUES (1);",
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "diesel's migrations").unwrap();
    let mut conn = db.conn().await;
    peers::diesel_run(&mut conn, dir.path()).await.unwrap();
    conn.close().await;

    let set = migrata_core::load_dir(dir.path()).unwrap();
    let texts: Vec<&str> = set
        .iter()
        .filter_map(|m| m.diesel_version.as_deref())
        .collect();
    assert_eq!(texts, ["20240306170000", "20240313"]);
    let migrator = Migrator::new(&set);
    let adoption = migrator.at(&db.url).adopt(Peer::Diesel).await.unwrap();
    let versions: Vec<i64> = set.iter().map(|m| m.version).collect();
    assert_eq!(adoption.adopted, versions);
    assert!(migrator.run(&db.url).await.unwrap().is_up_to_date());
}

/// One scenario per tool, named `<tool>_<scenario>`.
macro_rules! per_tool {
    ($($scenario:ident => $sqlx:ident, $refinery:ident, $diesel:ident;)*) => {
        $(
            async fn $sqlx(db: TestDb) { $scenario(Peer::Sqlx, db).await }
            async fn $refinery(db: TestDb) { $scenario(Peer::Refinery, db).await }
            async fn $diesel(db: TestDb) { $scenario(Peer::Diesel, db).await }
        )*
    };
}

per_tool! {
    adopted_history_runs_up_to_date_then_applies_newer =>
        sqlx_adopted_then_runs, refinery_adopted_then_runs, diesel_adopted_then_runs;
    newer_embedded_migrations_stay_pending =>
        sqlx_newer_stay_pending, refinery_newer_stay_pending, diesel_newer_stay_pending;
    every_mismatch_is_reported_and_nothing_written =>
        sqlx_mismatches_refused, refinery_mismatches_refused, diesel_mismatches_refused;
    a_disagreeing_version_table_is_refused =>
        sqlx_version_table_disagrees, refinery_version_table_disagrees, diesel_version_table_disagrees;
    without_the_tools_table_there_is_nothing_to_adopt =>
        sqlx_no_table, refinery_no_table, diesel_no_table;
    adopts_over_a_held_connection =>
        sqlx_adopt_on, refinery_adopt_on, diesel_adopt_on;
}

on_every_backend!(
    sqlx_adopted_then_runs,
    refinery_adopted_then_runs,
    diesel_adopted_then_runs,
    sqlx_newer_stay_pending,
    refinery_newer_stay_pending,
    diesel_newer_stay_pending,
    sqlx_mismatches_refused,
    refinery_mismatches_refused,
    diesel_mismatches_refused,
    sqlx_version_table_disagrees,
    refinery_version_table_disagrees,
    diesel_version_table_disagrees,
    sqlx_no_table,
    refinery_no_table,
    diesel_no_table,
    sqlx_adopt_on,
    refinery_adopt_on,
    diesel_adopt_on,
    a_failed_sqlx_row_is_refused,
    diesel_versions_of_different_lengths_are_adopted,
);
