//! Helpers shared by the integration tests: a fresh database per test on each
//! backend, a backend-neutral way to inspect it, and statement counters.

mod process;
mod profile;

pub use process::{in_own_process, test_process};
pub use profile::{profile, profiles, servers, Location, Profile, ALL_KINDS, SQLITE_FILE};

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::sync::{Arc, Mutex};

use migrata::{BackendKind, Error, Migration, Migrator, Report};
use sqlx::SqliteConnection;

/// Builds migrations from `(file name, sql)` pairs through migrata-core, the
/// same code the macro runs at compile time.
pub fn migrations(files: &[(&str, &str)]) -> Vec<Migration> {
    migrata_core::load_files(
        files
            .iter()
            .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec())),
    )
    .unwrap()
}

pub fn owned_migrations(files: &[(String, String)]) -> Vec<Migration> {
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    migrations(&borrowed)
}

#[macro_use]
mod conn;

use conn::admin_execute;
pub use conn::{server_url, unique_name, url_with_database, Conn};

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
        self.history_of("migrate_history").await
    }

    pub async fn history_of(&self, table: &str) -> Vec<(i64, String, String, bool)> {
        let sql = format!("SELECT version, name, checksum, success FROM {table} ORDER BY version");
        let mut conn = self.conn().await;
        let rows = conn.history(&sql).await;
        conn.close().await;
        rows
    }

    pub async fn versions(&self) -> Vec<i64> {
        self.history().await.into_iter().map(|r| r.0).collect()
    }

    pub async fn table_exists(&self, table: &str) -> bool {
        self.scalar(&(self.profile().table_exists)(table)).await == 1
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let mut conn = self.conn().await;
        let value = conn.scalar(sql).await;
        conn.close().await;
        value
    }

    /// Tables, columns and indexes, one line each, comparable across databases
    /// built the same way.
    pub async fn schema(&self) -> Vec<String> {
        let sql = self.profile().schema_dump;
        let mut conn = self.conn().await;
        let lines = conn.strings(sql).await;
        conn.close().await;
        lines
    }

    pub async fn strings_of(&self, sql: &str) -> Vec<String> {
        let mut conn = self.conn().await;
        let values = conn.strings(sql).await;
        conn.close().await;
        values
    }

    pub async fn execute(&self, sql: &str) {
        let mut conn = self.conn().await;
        conn.execute(sql).await;
        conn.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else {
            return;
        };
        let kind = self.kind;
        let server = self.profile().server().expect("a server database");
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

/// libtest's name for `test` in the module at `module_path` (the caller's
/// `module_path!()`): the path without the crate's name.
pub fn test_name(module_path: &str, test: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{test}"),
        None => test.to_owned(),
    }
}

impl Conn {
    /// `migrator.run_on` this connection.
    pub async fn run(&mut self, migrator: &Migrator<'_>) -> Result<Report, Error> {
        on_conn!(self, |c| migrator.run_on(c).await)
    }
}

pub async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "waited for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every SQL statement the SQLite engine starts on a connection, recorded
/// with `sqlite3_trace_v2(SQLITE_TRACE_STMT)`: a count by the engine itself.
pub struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    pub async fn attach(conn: &mut SqliteConnection) -> StatementLog {
        let log = Arc::new(Mutex::new(Vec::new()));
        // The callback context outlives the connection in these short tests,
        // so one reference is deliberately leaked to it.
        let context = Arc::into_raw(log.clone()) as *mut c_void;
        let mut handle = conn.lock_handle().await.unwrap();
        #[allow(unsafe_code)]
        // SAFETY: the handle is live and locked; `context` stays valid forever.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_trace_v2(
                handle.as_raw_handle().as_ptr(),
                libsqlite3_sys::SQLITE_TRACE_STMT,
                Some(on_statement),
                context,
            )
        };
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
        StatementLog(log)
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn on_statement(
    _mask: c_uint,
    context: *mut c_void,
    _statement: *mut c_void,
    sql: *mut c_void,
) -> c_int {
    // SAFETY: `context` is the leaked Arc from `attach`; for SQLITE_TRACE_STMT
    // `sql` is the statement's NUL-terminated text.
    let (log, sql) = unsafe {
        (
            &*(context as *const Mutex<Vec<String>>),
            CStr::from_ptr(sql as *const c_char),
        )
    };
    log.lock().unwrap().push(sql.to_string_lossy().into_owned());
    0
}

/// Whether `statement` is the history read: a SELECT from the version table.
pub fn reads_the_history(statement: &str) -> bool {
    statement.starts_with("SELECT") && statement.contains("migrate_history")
}

/// Every query sqlx sends, from its `sqlx::query` log events, on any thread
/// (SQLite runs statements on a worker thread). The subscriber is global, so
/// a test using this runs alone in a process of its own ([`in_own_process`]).
pub struct QueryLog {
    queries: Arc<Mutex<Vec<Query>>>,
}

/// One query as sqlx logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The statement's text.
    pub sql: String,
    /// How many rows the client read from its result.
    pub rows_returned: u64,
}

impl QueryLog {
    pub fn start() -> QueryLog {
        use tracing_subscriber::layer::SubscriberExt;
        static QUERIES: std::sync::OnceLock<Arc<Mutex<Vec<Query>>>> = std::sync::OnceLock::new();
        let queries = QUERIES.get_or_init(|| {
            let queries = Arc::new(Mutex::new(Vec::new()));
            let subscriber = tracing_subscriber::registry().with(QueryLayer(queries.clone()));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            queries
        });
        queries.lock().unwrap().clear();
        QueryLog {
            queries: queries.clone(),
        }
    }

    pub fn take(&self) -> Vec<Query> {
        std::mem::take(&mut *self.queries.lock().unwrap())
    }
}

struct QueryLayer(Arc<Mutex<Vec<Query>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QueryLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        // sqlx logs a short `summary` and, when that is abbreviated, the
        // whole text in `db.statement`.
        #[derive(Default)]
        struct Statement {
            summary: String,
            full: String,
            rows_returned: u64,
        }
        impl tracing::field::Visit for Statement {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "summary" => self.summary = value.to_owned(),
                    "db.statement" => self.full = value.trim().to_owned(),
                    _ => {}
                }
            }
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "rows_returned" {
                    self.rows_returned = value;
                }
            }
            fn record_debug(
                &mut self,
                _field: &tracing::field::Field,
                _value: &dyn std::fmt::Debug,
            ) {
            }
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let sql = if statement.full.is_empty() {
            statement.summary
        } else {
            statement.full
        };
        self.0.lock().unwrap().push(Query {
            sql,
            rows_returned: statement.rows_returned,
        });
    }
}

/// Generates one test module per backend (`sqlite`, `postgres`, `mysql`,
/// one per entry of [`PROFILES`]) holding one `#[tokio::test]` per scenario:
/// `async fn scenario(db: TestDb)` for each function in scope, or, after
/// `kind:`, `async fn scenario(kind: BackendKind)` on a multi-threaded
/// runtime for scenarios that make their own databases.
#[macro_export]
macro_rules! on_every_backend {
    (kind: $($scenario:ident),* $(,)?) => {
        $crate::on_every_backend!(@each kind $($scenario)*);
    };
    ($($scenario:ident),* $(,)?) => {
        $crate::on_every_backend!(@each db $($scenario)*);
    };
    (@each $how:ident $($scenario:ident)*) => {
        $crate::on_every_backend!(@module sqlite Sqlite $how $($scenario)*);
        $crate::on_every_backend!(@module postgres Postgres $how $($scenario)*);
        $crate::on_every_backend!(@module mysql MySql $how $($scenario)*);
    };
    (@module $module:ident $variant:ident db $($scenario:ident)*) => {
        mod $module {
            $( #[tokio::test] async fn $scenario() {
                let kind = migrata::BackendKind::$variant;
                let test = $crate::common::test_name(module_path!(), stringify!($scenario));
                if let Some(db) = $crate::common::TestDb::create(kind, &test).await {
                    super::$scenario(db).await
                }
            } )*
        }
    };
    (@module $module:ident $variant:ident kind $($scenario:ident)*) => {
        mod $module {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $scenario() {
                super::$scenario(migrata::BackendKind::$variant).await
            } )*
        }
    };
}
