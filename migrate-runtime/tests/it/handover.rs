//! Running over what a sqlx user holds: a pool, a pooled connection, a
//! connection; session state the migrator sets never reaches the pool's
//! next checkout; a connection inside a transaction is refused up front.

use crate::common::{migrations, owned_migrations, profile, TestDb};
use migrata::{BackendKind, Error, Migration, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::{Database, Pool};

/// A session setting, what `session_setup` sets it to, and a query reading it.
fn session_setting(kind: BackendKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        BackendKind::Sqlite => (
            "PRAGMA cache_size = 1234",
            "1234",
            "SELECT CAST(cache_size AS TEXT) FROM pragma_cache_size",
        ),
        BackendKind::Postgres => (
            "SET application_name = 'migrator_leak'",
            "migrator_leak",
            "SELECT current_setting('application_name')",
        ),
        _ => (
            "SET SESSION sql_mode = 'ANSI_QUOTES'",
            "ANSI_QUOTES",
            "SELECT CAST(@@SESSION.sql_mode AS CHAR)",
        ),
    }
}

fn two_tables() -> Vec<Migration> {
    migrations(&[
        ("0001_users.sql", "CREATE TABLE users (id INTEGER);"),
        ("0002_posts.sql", "CREATE TABLE posts (id INTEGER);"),
    ])
}

/// One connection, so the next checkout is the connection the migrator had
/// if it went back to the pool.
async fn pool<DB: Database>(url: &str) -> Pool<DB> {
    PoolOptions::<DB>::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap()
}

async fn setting_on_next_checkout<DB: Database>(pool: &Pool<DB>, query: &str) -> String
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    String: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned()))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

macro_rules! scenario {
    ($db:expr, $database:ty) => {{
        let db: TestDb = $db;
        let (setup, value, read) = session_setting(db.kind);
        let set = two_tables();
        let migrator = Migrator::new(&set).session_setup(setup);
        let pool = pool::<$database>(&db.url).await;
        let fresh = setting_on_next_checkout(&pool, read).await;
        assert_ne!(fresh, value, "{}: the setting starts elsewhere", db.kind);

        // A pool: the migrator checks a connection out and closes it.
        let report = migrator.run_on(&pool).await.unwrap();
        assert_eq!(report.applied.len(), 2, "{}", db.kind);
        assert_eq!(
            setting_on_next_checkout(&pool, read).await,
            fresh,
            "{}: after &Pool",
            db.kind
        );

        // A pooled connection: usable afterwards, closed instead of returned.
        let mut checkout = pool.acquire().await.unwrap();
        assert!(
            migrator
                .on(&mut checkout)
                .status()
                .await
                .unwrap()
                .entries
                .len()
                == 2
        );
        let mut setting = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(read.to_owned()));
        assert_eq!(
            setting.fetch_one(&mut *checkout).await.unwrap(),
            value,
            "{}: still yours until dropped",
            db.kind
        );
        drop(checkout);
        setting = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(read.to_owned()));
        let mut next = pool.acquire().await.unwrap();
        assert_eq!(
            setting.fetch_one(&mut *next).await.unwrap(),
            fresh,
            "{}: after &mut PoolConnection",
            db.kind
        );

        // A run over the pool dropped mid-script (a timeout, a shutdown): the
        // connection it checked out is closed, not returned with the setting.
        let slow = owned_migrations(&[(
            "0001_slow.sql".to_owned(),
            format!(
                "{}\nCREATE TABLE slow (id INTEGER);",
                (profile(db.kind).pause)(2.0)
            ),
        )]);
        drop(next);
        let dropped = tokio::time::timeout(
            std::time::Duration::from_millis(300),
            Migrator::new(&slow)
                .table("slow_history")
                .session_setup(setup)
                .run_on(&pool),
        )
        .await;
        assert!(dropped.is_err(), "{}: still running", db.kind);
        assert!(
            db.table_exists("slow_history").await,
            "{}: the run had started",
            db.kind
        );
        assert_eq!(
            setting_on_next_checkout(&pool, read).await,
            fresh,
            "{}: after a dropped run over &Pool",
            db.kind
        );
        let mut next = pool.acquire().await.unwrap();

        // A connection inside a transaction: refused before anything is sent.
        let mut tx = sqlx::Connection::begin(&mut *next).await.unwrap();
        let later = migrations(&[
            ("0001_users.sql", "CREATE TABLE users (id INTEGER);"),
            ("0002_posts.sql", "CREATE TABLE posts (id INTEGER);"),
            ("0003_tags.sql", "CREATE TABLE tags (id INTEGER);"),
        ]);
        let err = Migrator::new(&later).run_on(&mut *tx).await.unwrap_err();
        assert!(matches!(err, Error::InTransaction), "{}: {err}", db.kind);
        tx.rollback().await.unwrap();
        drop(next);
        assert!(!db.table_exists("tags").await);
        // The plain connection still works (and is the caller's).
        let report = Migrator::new(&later)
            .run_on(&mut *pool.acquire().await.unwrap())
            .await
            .unwrap();
        assert_eq!(report.applied.len(), 1);
        pool.close().await;
    }};
}

async fn pool_pooled_connection_and_transaction(db: TestDb) {
    match db.kind {
        BackendKind::Sqlite => scenario!(db, sqlx::Sqlite),
        BackendKind::Postgres => scenario!(db, sqlx::Postgres),
        _ => scenario!(db, sqlx::MySql),
    }
}

on_every_backend!(pool_pooled_connection_and_transaction);
