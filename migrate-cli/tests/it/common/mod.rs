//! What the CLI's tests share: the `migrata` binary, a fresh database per
//! test on each backend, and a test-side connection to look inside it.
//! (A trimmed copy of migrate-runtime's tests/common: the parts these
//! tests use.)

mod profile;

pub use profile::{profile, Location, Profile, ALL_KINDS, SQLITE_FILE};

use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use migrata::BackendKind;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{
    AssertSqlSafe, ConnectOptions, Connection, MySqlConnection, PgConnection, Row, SqliteConnection,
};

/// The standalone `migrata` binary, run in `project` with the environment's
/// database URLs and log filter removed, so only what a test passes counts.
pub fn standalone(project: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("migrata").unwrap();
    cmd.current_dir(project)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_DATABASE_URL")
        .env_remove("RUST_LOG");
    cmd
}

const REQUIRE_ENV: &str = "MIGRATE_TEST_REQUIRE_SERVERS";

/// A database of its own for one test: a temporary SQLite file, or a
/// randomly named database on the PostgreSQL/MariaDB server, dropped after.
pub struct TestDb {
    pub kind: BackendKind,
    pub url: String,
    admin_url: Option<String>,
    /// The database name on a server, a unique label for SQLite.
    pub name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database, or `None` (after a loud `SKIPPED:` line) when the
    /// server's URL variable is unset and servers are not required.
    pub async fn create(kind: BackendKind, test: &str) -> Option<TestDb> {
        let name = unique_name();
        match &profile(kind).location {
            Location::File { url } => {
                let dir = tempfile::tempdir().unwrap();
                Some(TestDb {
                    kind,
                    url: url(&dir.path().join(SQLITE_FILE)),
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                })
            }
            Location::Server(server) => {
                let admin_url = server_url(server.url_env, test)?;
                let url = url_with_database(&admin_url, &name);
                admin_execute(kind, &admin_url, &format!("CREATE DATABASE {name}")).await;
                Some(TestDb {
                    kind,
                    url,
                    admin_url: Some(admin_url),
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// This database's backend facts.
    pub fn profile(&self) -> &'static Profile {
        profile(self.kind)
    }

    pub async fn conn(&self) -> Conn {
        Conn::open(&self.url).await
    }

    /// `(version, name, checksum, success)` rows of `migrate_history`.
    pub async fn history(&self) -> Vec<(i64, String, String, bool)> {
        let sql = "SELECT version, name, checksum, success FROM migrate_history ORDER BY version";
        let mut conn = self.conn().await;
        let rows = conn.history(sql).await;
        conn.close().await;
        rows
    }

    pub async fn table_exists(&self, table: &str) -> bool {
        let mut conn = self.conn().await;
        let found = conn.scalar(&(self.profile().table_exists)(table)).await;
        conn.close().await;
        found == 1
    }

    pub async fn strings_of(&self, sql: &str) -> Vec<String> {
        let mut conn = self.conn().await;
        let values = conn.strings(sql).await;
        conn.close().await;
        values
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else {
            return;
        };
        let kind = self.kind;
        let Location::Server(server) = &self.profile().location else {
            unreachable!("a server database");
        };
        let sql = (server.drop_database)(&self.name);
        // Drop runs inside the test's runtime; use a thread with its own.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin_execute(kind, &admin_url, &sql));
        })
        .join()
        .unwrap();
    }
}

/// `url` naming database `name` instead of its own.
pub fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _db)| server);
    format!("{server}/{name}{query}")
}

/// The value of a server's URL variable, or `None` after a loud `SKIPPED:`
/// line (a failure when servers are required).
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
/// What the standalone binary prints with `args` (a shell command line
/// after `migrata`) on a pseudo-terminal that util-linux's `script` makes,
/// stdout and stderr together; `None` (after a `SKIPPED:` line) where
/// `script` is not installed and servers are not required.
pub fn on_a_pty(project: &std::path::Path, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let binary = assert_cmd::cargo::cargo_bin("migrata");
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &format!("{} {args}", binary.display()), "/dev/null"])
        .current_dir(project)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATE_DATABASE_URL")
        .env_remove("NO_COLOR");
    script.envs(env.iter().copied());
    match script.output() {
        Ok(output) => Some(String::from_utf8_lossy(&output.stdout).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var(REQUIRE_ENV).is_err(),
                "util-linux's `script` is not installed"
            );
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: a terminal test: util-linux's `script` is not installed"
            );
            None
        }
        Err(e) => panic!("script: {e}"),
    }
}

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

async fn admin_execute(kind: BackendKind, url: &str, sql: &str) {
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

// After `on_conn!`, which it uses.
pub mod peers;

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

/// Generates one test module per backend (`sqlite`, `postgres`, `mysql`)
/// holding one `#[tokio::test]` per scenario: `async fn scenario(db:
/// TestDb)` for each function named.
#[macro_export]
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        $crate::on_every_backend!(@module sqlite Sqlite $($scenario)*);
        $crate::on_every_backend!(@module postgres Postgres $($scenario)*);
        $crate::on_every_backend!(@module mysql MySql $($scenario)*);
    };
    (@module $module:ident $variant:ident $($scenario:ident)*) => {
        mod $module {
            $( #[tokio::test] async fn $scenario() {
                let kind = migrata::BackendKind::$variant;
                let test = format!("{kind}::{}", stringify!($scenario));
                if let Some(db) = $crate::common::TestDb::create(kind, &test).await {
                    super::$scenario(db).await
                }
            } )*
        }
    };
}
