//! Issue 12, item 3: migration directories of sqlx and diesel, as they are,
//! embedded by the macro and applied to real databases.

use crate::common::{migrations, TestDb};
use migrata::{embed_migrations, BackendKind, Migrations, Migrator};

/// diesel's layout: a directory per migration, `down.sql`, and
/// `metadata.toml` with `run_in_transaction = false` for `VACUUM` (outside
/// a transaction on SQLite and PostgreSQL alike) and for `CREATE INDEX
/// CONCURRENTLY` (PostgreSQL only).
static DIESEL_POSTGRES: Migrations =
    embed_migrations!("tests/layout-fixtures/diesel", database = "postgres");
static DIESEL_SQLITE: Migrations = embed_migrations!(
    "tests/layout-fixtures/diesel",
    database = "sqlite",
    exclude = ["*_index_users_name"]
);

/// sqlx's layout: `-- no-transaction` scripts with `CREATE INDEX
/// CONCURRENTLY` and `DROP INDEX CONCURRENTLY`, names with brackets,
/// dots, spaces and commas.
static SQLX_POSTGRES: Migrations =
    embed_migrations!("tests/layout-fixtures/sqlx", database = "postgres");

/// The history diesel would have: (diesel's version text, our version, name).
const DIESEL_HISTORY: [(&str, i64, &str); 4] = [
    ("20191115182353", 2019111518235300000, "create_users"),
    (
        "202405011200000000",
        2024050112000000001,
        "seed users, v2.0",
    ),
    ("202405011200000001", 2024050112000000002, "vacuum"),
    (
        "202406010800000000",
        2024060108000000001,
        "index_users_name",
    ),
];

fn assert_diesel_embedded(embedded: &Migrations, count: usize) {
    let all = embedded.all();
    let seen: Vec<(&str, i64, &str)> = all
        .iter()
        .map(|m| {
            (
                m.diesel_version.as_deref().unwrap(),
                m.version,
                m.name.as_ref(),
            )
        })
        .collect();
    assert_eq!(seen, DIESEL_HISTORY[..count]);
    let outside: Vec<bool> = all.iter().map(|m| m.up.no_transaction).collect();
    assert_eq!(outside, [false, false, true, true][..count]);
    assert!(all
        .iter()
        .all(|m| m.down.as_ref().unwrap().no_transaction == m.up.no_transaction));
    assert_eq!(
        all[1].up.file,
        "2024-05-01-120000-0000_seed users, v2.0/up.sql"
    );
}

async fn diesel_round_trip(db: &TestDb, embedded: &Migrations) {
    let report = embedded.run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), embedded.all().len());
    let history = db.history().await;
    let rows: Vec<(i64, &str)> = history.iter().map(|r| (r.0, r.1.as_str())).collect();
    let expected: Vec<(i64, &str)> = embedded
        .all()
        .iter()
        .map(|m| (m.version, m.name.as_ref()))
        .collect();
    assert_eq!(rows, expected);
    assert!(history.iter().all(|r| r.3), "every row succeeded");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users").await, 1);

    // The one-SELECT startup check reads the names back (one has a comma).
    let again = embedded.run(&db.url).await.unwrap();
    assert!(again.applied.is_empty());

    // Reverting runs the down scripts, outside a transaction where the
    // metadata says so.
    let first = embedded.all()[0].version;
    let reverted = Migrator::new(embedded.all())
        .at(&db.url)
        .revert(first)
        .await
        .unwrap();
    let reverted: Vec<&str> = reverted.reverted.iter().map(|r| r.file.as_str()).collect();
    let down_files: Vec<&str> = embedded.all()[1..]
        .iter()
        .rev()
        .map(|m| m.down.as_ref().unwrap().file.as_ref())
        .collect();
    assert_eq!(reverted, down_files);
    assert_eq!(db.versions().await, [first]);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn diesel_layout_applies_on_postgres() {
    assert_diesel_embedded(&DIESEL_POSTGRES, 4);
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "layouts::diesel_layout_applies_on_postgres",
    )
    .await
    else {
        return;
    };
    let index_valid = "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                       WHERE c.relname = 'users_name' AND i.indisvalid";
    let report = DIESEL_POSTGRES.run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 4);
    assert_eq!(db.scalar(index_valid).await, 1);
    // Back to nothing pending, then the round trip from scratch.
    Migrator::new(DIESEL_POSTGRES.all())
        .at(&db.url)
        .revert(0)
        .await
        .unwrap();
    assert!(db.versions().await.is_empty());
    diesel_round_trip(&db, &DIESEL_POSTGRES).await;
    assert_eq!(
        db.scalar(index_valid).await,
        0,
        "DROP INDEX CONCURRENTLY ran"
    );
}

#[tokio::test]
async fn diesel_layout_applies_on_sqlite() {
    assert_diesel_embedded(&DIESEL_SQLITE, 3);
    let db = TestDb::create(
        BackendKind::Sqlite,
        "layouts::diesel_layout_applies_on_sqlite",
    )
    .await
    .unwrap();
    diesel_round_trip(&db, &DIESEL_SQLITE).await;
}

#[tokio::test]
async fn sqlx_no_transaction_applies_concurrently_on_postgres() {
    let names: Vec<(i64, &str, bool)> = SQLX_POSTGRES
        .all()
        .iter()
        .map(|m| (m.version, m.name.as_ref(), m.up.no_transaction))
        .collect();
    assert_eq!(
        names,
        [
            (20251218140442, "[2.0.0]_initial", false),
            (20251219090000, "index events, concurrently", true),
            (20251220000000, "drop kind index", true),
        ]
    );
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "layouts::sqlx_no_transaction_applies_concurrently_on_postgres",
    )
    .await
    else {
        return;
    };
    let report = SQLX_POSTGRES.run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    let indexes = db
        .strings_of(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname",
        )
        .await;
    assert_eq!(indexes, ["events_at", "events_pkey"]);
    let history = db.history().await;
    assert_eq!(history[1].1, "index events, concurrently");
    assert!(SQLX_POSTGRES.run(&db.url).await.unwrap().applied.is_empty());
}

on_every_backend!(names_as_sqlx_and_diesel_accept_them_round_trip);

/// Names are labels: whatever sqlx and diesel accept is recorded as written
/// and read back by the startup check, which packs the history with `,`
/// and `:` as separators (that it stays one statement is in fast_path.rs).
async fn names_as_sqlx_and_diesel_accept_them_round_trip(db: TestDb) {
    let set = migrations(&[
        (
            "0001_a,b:c, it's \"quoted\".sql",
            "CREATE TABLE t (id INTEGER);",
        ),
        (
            "0002_ünïcode [2.0.0] v1.2.up.sql",
            "INSERT INTO t (id) VALUES (1);",
        ),
        ("0002_ünïcode [2.0.0] v1.2.down.sql", "DELETE FROM t;"),
        ("0003_,.sql", "INSERT INTO t (id) VALUES (2);"),
    ]);
    Migrator::new(&set).run(&db.url).await.unwrap();
    let names: Vec<String> = db.history().await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        names,
        ["a,b:c, it's \"quoted\"", "ünïcode [2.0.0] v1.2", ","]
    );
    let again = Migrator::new(&set).run(&db.url).await.unwrap();
    assert!(again.applied.is_empty(), "{}", db.kind);
}
