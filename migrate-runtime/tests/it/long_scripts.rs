//! Long scripts: SQLite receives a long script in batches of whole
//! statements (it copies the rest of a query string at every statement it
//! prepares), and a batch never cuts a statement, a trigger body or a
//! string in two.

use crate::common::{owned_migrations, TestDb};
use migrata::{BackendKind, Migrator};

/// Inserts with strings and comments holding `;`, and triggers whose
/// bodies hold `;`, spread over hundreds of batch boundaries.
fn long_script(rows: usize) -> String {
    let mut sql = String::from(
        "CREATE TABLE t (n INTEGER NOT NULL, note TEXT NOT NULL);\n\
         CREATE TABLE seen (n INTEGER NOT NULL);\n",
    );
    for n in 0..rows {
        if n % 997 == 0 {
            sql.push_str(&format!(
                "CREATE TRIGGER seen_{n} AFTER INSERT ON t WHEN NEW.n = {} BEGIN\n  \
                 INSERT INTO seen VALUES (NEW.n); INSERT INTO seen VALUES (-NEW.n);\nEND;\n",
                n + 1
            ));
        }
        sql.push_str(&format!(
            "INSERT INTO t VALUES ({n}, 'a; b ''{n}''; c'); -- row {n}; not a statement\n"
        ));
    }
    sql
}

#[tokio::test]
async fn a_script_of_twenty_thousand_statements_applies_whole_on_sqlite() {
    let Some(db) = TestDb::create(BackendKind::Sqlite, "long_scripts::twenty_thousand").await
    else {
        return;
    };
    let rows = 20_000;
    let set = owned_migrations(&[("0001_many.sql".to_owned(), long_script(rows))]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(db.scalar("SELECT count(*) FROM t").await, rows as i64);
    assert_eq!(
        db.scalar("SELECT count(*) FROM t WHERE note = 'a; b ''' || n || '''; c'")
            .await,
        rows as i64
    );
    // Every trigger was created whole, and fired for the row after it.
    let triggers = rows.div_ceil(997) as i64;
    assert_eq!(
        db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            .await,
        triggers
    );
    assert_eq!(db.scalar("SELECT count(*) FROM seen").await, 2 * triggers);
}
