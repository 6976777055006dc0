//! The backfill is all or nothing, on every database: an account it cannot
//! handle in its third batch leaves no domain written (the first two
//! batches' writes are rolled back with it), no history row, and the
//! migration after it not run. Once the account is fixed, the next run
//! fills every domain.
//!
//! PostgreSQL and MariaDB/MySQL run when `MIGRATE_TEST_POSTGRES_URL` /
//! `MIGRATE_TEST_MYSQL_URL` are set (each test creates a database of its
//! own); `MIGRATE_TEST_REQUIRE_SERVERS=1` makes a missing one a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use backfill::MIGRATIONS;
use migrata::{BackendKind, Error};
use sqlx::{AssertSqlSafe, Connection, Row};

/// More than two batches of 500; account 1100 is in the third.
const ACCOUNTS: i64 = 1234;
const BROKEN: i64 = 1100;

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    backfill_is_all_or_nothing(&url).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(db) = ServerDb::create("MIGRATE_TEST_POSTGRES_URL").await {
        backfill_is_all_or_nothing(&db.url).await;
        db.drop().await;
    }
}

#[tokio::test]
async fn mysql() {
    if let Some(db) = ServerDb::create("MIGRATE_TEST_MYSQL_URL").await {
        backfill_is_all_or_nothing(&db.url).await;
        db.drop().await;
    }
}

async fn backfill_is_all_or_nothing(url: &str) {
    MIGRATIONS.migrator().target(2).run(url).await.unwrap();
    let rows: Vec<String> = (1..=ACCOUNTS)
        .map(|id| match id {
            BROKEN => format!("({id}, 'no-domain')"),
            _ => format!("({id}, 'user{id}@Example{}.COM')", id % 3),
        })
        .collect();
    execute(
        url,
        &format!(
            "INSERT INTO accounts (id, email) VALUES {}",
            rows.join(", ")
        ),
    )
    .await;

    let err = MIGRATIONS.run(url).await.unwrap_err();
    match &err {
        Error::Code {
            version: 3, file, ..
        } => assert_eq!(file, "0003_backfill_domains.rs"),
        other => panic!("expected the backfill to fail, got {other}"),
    }
    assert_eq!(
        err.to_string(),
        "migration 3 (`0003_backfill_domains.rs`) failed: account 1100: email `no-domain` has no domain"
    );
    assert_eq!(
        count(
            url,
            "SELECT COUNT(*) FROM accounts WHERE domain IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(count(url, "SELECT COUNT(*) FROM migrate_history").await, 2);
    assert_eq!(
        count(url, "SELECT MAX(version) FROM migrate_history").await,
        2
    );

    execute(
        url,
        &format!("UPDATE accounts SET email = 'fixed@example.net' WHERE id = {BROKEN}"),
    )
    .await;
    let report = MIGRATIONS.run(url).await.unwrap();
    let files: Vec<&str> = report.applied.iter().map(|a| a.file.as_str()).collect();
    assert_eq!(files, ["0003_backfill_domains.rs", "0004_index_domain.sql"]);
    assert_eq!(
        count(url, "SELECT COUNT(*) FROM accounts WHERE domain IS NULL").await,
        0
    );
    assert_eq!(
        count(
            url,
            "SELECT COUNT(*) FROM accounts WHERE domain = 'example1.com'"
        )
        .await,
        ACCOUNTS / 3 + 1
    );
    assert_eq!(
        count(
            url,
            "SELECT COUNT(*) FROM accounts WHERE domain = 'example.net'"
        )
        .await,
        1
    );
}

/// A connection to whichever database `url` names.
enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
            Conn::MySql($c) => $body,
        }
    };
}

impl Conn {
    async fn open(url: &str) -> Conn {
        match BackendKind::from_url(url).unwrap() {
            BackendKind::Sqlite => {
                Conn::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap())
            }
            BackendKind::Postgres => {
                Conn::Postgres(sqlx::PgConnection::connect(url).await.unwrap())
            }
            _ => Conn::MySql(sqlx::MySqlConnection::connect(url).await.unwrap()),
        }
    }
}

async fn execute(url: &str, sql: &str) {
    let mut conn = Conn::open(url).await;
    on_conn!(&mut conn, |c| {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut *c)
            .await
            .unwrap();
    });
}

async fn count(url: &str, sql: &str) -> i64 {
    let mut conn = Conn::open(url).await;
    on_conn!(&mut conn, |c| {
        let row = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        row.try_get::<i64, _>(0).unwrap()
    })
}

/// A database of its own on a server, dropped by [`ServerDb::drop`].
struct ServerDb {
    admin_url: String,
    name: String,
    url: String,
}

impl ServerDb {
    /// `None`, after a loud line, when `env` is unset and servers are not
    /// required.
    async fn create(env: &str) -> Option<ServerDb> {
        let admin_url = match std::env::var(env) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("MIGRATE_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
                panic!("{env} is not set but MIGRATE_TEST_REQUIRE_SERVERS=1")
            }
            _ => {
                eprintln!("SKIPPED: {env} is not set");
                return None;
            }
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "backfill_example_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let (server, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), String::new()), |(s, q)| {
                (s, format!("?{q}"))
            });
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        let url = format!("{base}/{name}{query}");
        Some(ServerDb {
            admin_url,
            name,
            url,
        })
    }

    async fn drop(self) {
        execute(&self.admin_url, &format!("DROP DATABASE {}", self.name)).await;
    }
}
