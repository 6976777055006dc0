//! A startup run with nothing to do sends exactly one statement, counted for
//! real: by SQLite's own statement trace and by sqlx's query log.
//!
//! One test function for all backends, run alone in a process of its own:
//! the query log is the global `tracing` subscriber (sqlx logs SQLite's
//! statements on its worker thread), which would also count the statements
//! of tests running beside it.

use crate::common::{
    migrations, profiles, reads_the_history, Conn, QueryLog, StatementLog, TestDb,
};
use migrata::{embed_migrations, Migrations, Migrator};

/// Code migrations among scripts (issue 14), one outside a transaction,
/// and a repeatable migration.
static WITH_CODE: Migrations = embed_migrations!("tests/code-fixtures/race");

/// Names may hold the packed history's separators (issue 12, item 3: a
/// name is a label, `0002_posts, tags: v2.sql` is a valid sqlx file name).
#[tokio::test]
async fn second_run_sends_exactly_one_select_returning_one_row() {
    if !crate::common::in_own_process() {
        return;
    }
    let set = migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
        (
            "0002_posts, tags: v2.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
    ]);
    let more = migrations(&[
        (
            "0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        ),
        (
            "0002_posts, tags: v2.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        ),
        (
            "0003_tags.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        ),
    ]);
    for profile in profiles() {
        let kind = profile.kind;
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
        let report = conn.run(&Migrator::new(&set)).await.unwrap();
        assert!(report.is_up_to_date());
        let sent = client.take();
        assert_eq!(sent.len(), 1, "{kind}: statements sent by sqlx: {sent:?}");
        assert!(reads_the_history(&sent[0].sql), "{kind}: {sent:?}");
        assert_eq!(
            sent[0].rows_returned, 1,
            "{kind}: one row for the whole history: {sent:?}"
        );
        if let Some(engine) = &engine {
            assert_eq!(
                engine.take(),
                [sent[0].sql.clone()],
                "{kind}: statements run by the SQLite engine"
            );
        }

        // The same counters see every statement of a run that has work to do,
        // so the single count above is not an artefact of the counting.
        conn.run(&Migrator::new(&more)).await.unwrap();
        let mut seen = vec![client.take().into_iter().map(|q| q.sql).collect()];
        seen.extend(engine.map(|e| e.take()));
        for statements in seen {
            assert!(statements.len() >= 5, "{kind}: {statements:?}");
            assert!(
                statements
                    .iter()
                    .any(|s| s.starts_with("CREATE TABLE") && s.contains("migrate_history")),
                "{kind}: the version table is ensured: {statements:?}"
            );
            assert!(
                statements
                    .iter()
                    // PostgreSQL sends it in one string with the lock-wait
                    // bound, the history row and the lease fence.
                    .any(|s| s.contains("CREATE TABLE tags")),
                "{kind}: {statements:?}"
            );
            assert!(
                statements
                    .iter()
                    .any(|s| s.contains("INSERT INTO") && s.contains("migrate_history")),
                "{kind}: {statements:?}"
            );
        }

        if let Some(limit) = profile.truncate_packed_history {
            // MySQL truncates GROUP_CONCAT at group_concat_max_len (1024 by
            // default on MySQL 8): the count exposes it and the history is
            // read row by row instead. Still correct, one statement more.
            conn.execute(limit).await;
            client.take();
            let report = conn.run(&Migrator::new(&more)).await.unwrap();
            assert!(report.is_up_to_date());
            let sent = client.take();
            assert_eq!(sent.len(), 2, "{sent:?}");
            assert!(sent.iter().all(|q| reads_the_history(&q.sql)), "{sent:?}");
            assert_eq!(
                sent[1].rows_returned,
                more.len() as u64,
                "the second read returns one row per migration: {sent:?}"
            );
        }
        conn.close().await;

        // Issue 14: code and repeatable migrations are recorded like
        // scripts, so a set with them is up to date after the same one
        // SELECT.
        let Some(db) = TestDb::create(kind, &format!("{kind}::code_second_run")).await else {
            continue;
        };
        WITH_CODE.run(&db.url).await.unwrap();
        let mut conn = db.conn().await;
        let engine = match &mut conn {
            Conn::Sqlite(sqlite) => Some(StatementLog::attach(sqlite).await),
            _ => None,
        };
        client.take();
        let report = conn.run(&WITH_CODE.migrator()).await.unwrap();
        assert!(report.is_up_to_date());
        let sent = client.take();
        assert_eq!(sent.len(), 1, "{kind}: statements sent by sqlx: {sent:?}");
        assert!(reads_the_history(&sent[0].sql), "{kind}: {sent:?}");
        assert_eq!(sent[0].rows_returned, 1, "{kind}: {sent:?}");
        if let Some(engine) = &engine {
            assert_eq!(engine.take(), [sent[0].sql.clone()], "{kind}");
        }
        assert_eq!(db.scalar("SELECT n FROM counter").await, 103, "{kind}");
        conn.close().await;
    }
}
