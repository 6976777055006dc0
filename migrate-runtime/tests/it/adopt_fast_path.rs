//! After `adopt`, a startup run takes the usual fast path: it sends exactly
//! one statement, a SELECT of the version table returning one row, counted
//! as `fast_path` counts (sqlx's query log; on SQLite also the engine's
//! own statement trace). One test function, run alone in a process of its
//! own: the query log is global to the process.

use crate::common::peers::{self, scripts, PEERS};
use crate::common::{profiles, reads_the_history, Conn, QueryLog, StatementLog, TestDb};
use migrata::Migrator;

#[tokio::test]
async fn an_adopted_history_is_up_to_date_in_one_select() {
    if !crate::common::in_own_process() {
        return;
    }
    for profile in profiles() {
        for peer in PEERS {
            let kind = profile.kind;
            let test = format!("{kind}::{peer}_adopted_history_fast_path");
            let Some(db) = TestDb::create(kind, &test).await else {
                continue;
            };
            let mut conn = db.conn().await;
            peers::apply(peer, &mut conn, &scripts(3)).await.unwrap();
            let set = peers::embedded(peer, &scripts(3));
            let adoption = Migrator::new(&set).at(&db.url).adopt(peer).await.unwrap();
            assert_eq!(adoption.adopted.len(), 3, "{test}");

            let engine = match &mut conn {
                Conn::Sqlite(sqlite) => Some(StatementLog::attach(sqlite).await),
                _ => None,
            };
            let client = QueryLog::start();
            let report = conn.run(&Migrator::new(&set)).await.unwrap();
            assert!(report.is_up_to_date(), "{test}");
            let sent = client.take();
            assert_eq!(sent.len(), 1, "{test}: statements sent by sqlx: {sent:?}");
            assert!(reads_the_history(&sent[0].sql), "{test}: {sent:?}");
            assert_eq!(sent[0].rows_returned, 1, "{test}: {sent:?}");
            if let Some(engine) = &engine {
                assert_eq!(engine.take(), [sent[0].sql.clone()], "{test}");
            }
            conn.close().await;
        }
    }
}
