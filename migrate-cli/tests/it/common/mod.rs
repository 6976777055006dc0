//! What the CLI's tests share: the `migrata` binary, a fresh database per
//! test on each backend, and a test-side connection to look inside it.
//! The connection and server helpers are migrate-runtime's tests' own
//! (`conn.rs`, included by path).

mod profile;

pub use profile::{profile, Location, Profile, ALL_KINDS, SQLITE_FILE};

use std::io::Write;

use migrata::BackendKind;

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

#[path = "../../../../migrate-runtime/tests/it/common/conn.rs"]
#[macro_use]
mod conn;

use conn::admin_execute;
pub use conn::{server_url, unique_name, url_with_database, Conn, REQUIRE_ENV};

// After `on_conn!`, which it uses.
pub mod peers;

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
