//! A startup run with nothing to do sends exactly one statement, counted for
//! real: by SQLite's own statement trace and by sqlx's query log.
//!
//! One test function for all backends: the query log uses a thread-local
//! `tracing` subscriber, and `tracing` caches callsite interest process-wide,
//! so parallel tests in one binary would race on it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{migrations, Conn, QueryLog, StatementLog, TestDb};
use migrate_runtime::{BackendKind, Migrator};

#[tokio::test]
async fn second_run_sends_exactly_one_select() {
    let set = migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
    ]);
    let more = migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
        (
            "0002_posts.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
        (
            "0003_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
    ]);
    for kind in [
        BackendKind::Sqlite,
        BackendKind::Postgres,
        BackendKind::MySql,
    ] {
        let Some(db) = TestDb::create(
            kind,
            &format!("{kind}::second_run_sends_exactly_one_select"),
        )
        .await
        else {
            continue;
        };
        Migrator::new(&set).run(&db.url).await.unwrap();

        let mut conn = db.conn().await;
        let engine = match &mut conn {
            Conn::Sqlite(sqlite) => Some(StatementLog::attach(sqlite).await),
            _ => None,
        };
        let client = QueryLog::start();
        let report = match &mut conn {
            Conn::Sqlite(c) => Migrator::new(&set).run_on(c).await,
            Conn::Postgres(c) => Migrator::new(&set).run_on(c).await,
            Conn::MySql(c) => Migrator::new(&set).run_on(c).await,
        }
        .unwrap();
        assert!(report.is_up_to_date());
        let select = match kind {
            BackendKind::MySql => {
                "SELECT version, name, checksum, success FROM `migrate_history` ORDER BY version"
            }
            _ => {
                "SELECT version, name, checksum, success FROM \"migrate_history\" ORDER BY version"
            }
        };
        assert_eq!(client.take(), [select], "{kind}: statements sent by sqlx");
        if let Some(engine) = &engine {
            assert_eq!(
                engine.take(),
                [select],
                "{kind}: statements run by the SQLite engine"
            );
        }

        // The same counters see every statement of a run that has work to do,
        // so the single count above is not an artefact of the counting.
        match &mut conn {
            Conn::Sqlite(c) => Migrator::new(&more).run_on(c).await,
            Conn::Postgres(c) => Migrator::new(&more).run_on(c).await,
            Conn::MySql(c) => Migrator::new(&more).run_on(c).await,
        }
        .unwrap();
        let mut seen = vec![client.take()];
        seen.extend(engine.map(|e| e.take()));
        for statements in seen {
            assert!(statements.len() >= 5, "{kind}: {statements:?}");
            assert!(
                statements
                    .iter()
                    .any(|s| s.starts_with("CREATE TABLE IF NOT EXISTS")),
                "{kind}: {statements:?}"
            );
            assert!(
                statements
                    .iter()
                    .any(|s| s.starts_with("CREATE TABLE tags")),
                "{kind}: {statements:?}"
            );
            assert!(
                statements.iter().any(|s| s.starts_with("INSERT INTO")),
                "{kind}: {statements:?}"
            );
        }
        conn.close().await;
    }
}
