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
async fn second_run_sends_exactly_one_select_returning_one_row() {
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
            BackendKind::Sqlite => "SELECT COUNT(*), group_concat(version || ':' || checksum || ':' || success || ':' || name, ',') FROM \"migrate_history\"",
            BackendKind::Postgres => "SELECT COUNT(*), string_agg(version || ':' || checksum || ':' || success::int || ':' || name, ',') FROM \"migrate_history\"",
            _ => "SELECT /*+ SET_VAR(group_concat_max_len = 1073741824) */ COUNT(*), GROUP_CONCAT(CONCAT(version, ':', checksum, ':', success, ':', name) SEPARATOR ',') FROM `migrate_history`",
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
                statements
                    .iter()
                    .any(|s| s.contains("INSERT INTO") && s.contains("migrate_history")),
                "{kind}: {statements:?}"
            );
        }

        if let Conn::MySql(c) = &mut conn {
            // MySQL truncates GROUP_CONCAT at group_concat_max_len (1024 by
            // default on MySQL 8): the count exposes it and the history is
            // read row by row instead. Still correct, one statement more.
            sqlx::raw_sql("SET SESSION group_concat_max_len = 64")
                .execute(&mut *c)
                .await
                .unwrap();
            client.take();
            let report = Migrator::new(&more).run_on(c).await.unwrap();
            assert!(report.is_up_to_date());
            let sent = client.take();
            assert_eq!(sent.len(), 2, "{sent:?}");
            assert!(
                sent[1].starts_with("SELECT version, name, checksum, success"),
                "{sent:?}"
            );
        }
        conn.close().await;
    }
}
