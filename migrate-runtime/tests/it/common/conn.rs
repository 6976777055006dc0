//! What the runtime's and the CLI's integration tests share (the CLI's
//! include this file by path): server URLs, database names and a
//! test-side connection to any backend, with plain-SQL helpers.

use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use migrata::BackendKind;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{
    AssertSqlSafe, ConnectOptions, Connection, MySqlConnection, PgConnection, Row, SqliteConnection,
};

pub const REQUIRE_ENV: &str = "MIGRATE_TEST_REQUIRE_SERVERS";

/// `url` naming database `name` instead of its own.
pub fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _db)| server);
    format!("{server}/{name}{query}")
}

/// The value of a server's or rig's URL variable, or `None` after a loud
/// `SKIPPED:` line (a failure when servers are required).
pub fn server_url(env: &str, test: &str) -> Option<String> {
    match std::env::var(env) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") => {
            panic!("{env} is not set but {REQUIRE_ENV}=1: server tests must run")
        }
        _ => {
            // Written to the real stderr, past libtest's capture, so it shows.
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: {test}: {env} is not set"
            );
            None
        }
    }
}

/// A name no other test database has.
pub fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "migrate_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn admin_execute(kind: BackendKind, url: &str, sql: &str) {
    let mut conn = Conn::open(url).await;
    assert_eq!(conn.kind(), kind);
    conn.execute(sql).await;
    conn.close().await;
}

/// A test-side connection to any backend, with plain-SQL helpers.
pub enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    MySql(MySqlConnection),
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
    pub async fn open(url: &str) -> Conn {
        match BackendKind::from_url(url).unwrap() {
            BackendKind::Sqlite => Conn::Sqlite(
                SqliteConnectOptions::from_str(url)
                    .unwrap()
                    .connect()
                    .await
                    .unwrap(),
            ),
            BackendKind::Postgres => Conn::Postgres(PgConnection::connect(url).await.unwrap()),
            _ => Conn::MySql(MySqlConnection::connect(url).await.unwrap()),
        }
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            Conn::Sqlite(_) => BackendKind::Sqlite,
            Conn::Postgres(_) => BackendKind::Postgres,
            Conn::MySql(_) => BackendKind::MySql,
        }
    }

    pub async fn execute(&mut self, sql: &str) {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, |c| sqlx::raw_sql(sql).execute(c).await.map(drop)).unwrap();
    }

    pub async fn scalar(&mut self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, |c| {
            let row = sqlx::raw_sql(sql).fetch_one(c).await.unwrap();
            row.try_get::<i64, _>(0)
                .or_else(|_| row.try_get::<i32, _>(0).map(i64::from))
        })
        .unwrap()
    }

    pub async fn strings(&mut self, sql: &str) -> Vec<String> {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, |c| {
            sqlx::raw_sql(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String, _>(0).unwrap())
                .collect()
        })
    }

    pub async fn history(&mut self, sql: &str) -> Vec<(i64, String, String, bool)> {
        let sql = AssertSqlSafe(sql.to_owned());
        on_conn!(self, |c| {
            sqlx::raw_sql(sql)
                .fetch_all(c)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.try_get(0).unwrap(),
                        r.try_get(1).unwrap(),
                        r.try_get(2).unwrap(),
                        r.try_get(3).unwrap(),
                    )
                })
                .collect()
        })
    }

    pub async fn close(self) {
        on_conn!(self, |c| c.close().await).unwrap();
    }
}
