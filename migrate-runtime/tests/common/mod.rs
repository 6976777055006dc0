//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use migrate_runtime::Migration;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row, SqliteConnection};

/// Builds migrations from `(file name, sql)` pairs through migrate-core, the
/// same code the macro runs at compile time.
pub fn migrations(files: &[(&str, &str)]) -> Vec<Migration> {
    migrate_core::load_files(
        files
            .iter()
            .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec())),
    )
    .unwrap()
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

pub async fn sqlite(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::from_str(&sqlite_url(path))
        .unwrap()
        .connect()
        .await
        .unwrap()
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

/// `(version, name, checksum, success)` rows of the version table.
pub async fn history(conn: &mut SqliteConnection) -> Vec<(i64, String, String, bool)> {
    sqlx::query("SELECT version, name, checksum, success FROM migrate_history ORDER BY version")
        .fetch_all(conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

pub async fn versions(conn: &mut SqliteConnection) -> Vec<i64> {
    history(conn).await.into_iter().map(|r| r.0).collect()
}

pub async fn table_exists(conn: &mut SqliteConnection, table: &str) -> bool {
    sqlx::query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind(table)
        .fetch_one(conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
        == 1
}
