//! The migration tools whose histories `adopt` takes over, writing those
//! histories for real: sqlx's own migrator; refinery's own runner, over a
//! small driver like refinery's; diesel's DDL and INSERT, as diesel_migrations
//! sends them (diesel needs libpq and mysqlclient to build, so it is not run).
//! Each tool's files are named by its own rules.

use std::path::{Path, PathBuf};

use migrata::{Migration, Peer};
use refinery_core::traits::r#async::{AsyncQuery, AsyncTransaction};
use sqlx::{AssertSqlSafe, Decode, Row, Type};

use super::{migrations, Conn};

/// The n-th migration (0-based) of a test history: its name and script.
#[derive(Debug, Clone)]
pub struct Script {
    pub n: usize,
    pub name: &'static str,
    pub sql: String,
}

/// Scripts that run on every backend; the last is the one added after
/// switching.
pub const SCRIPTS: [(&str, &str); 4] = [
    (
        "create_users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100));",
    ),
    (
        "create_posts",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\nCREATE INDEX posts_user ON posts (user_id);",
    ),
    (
        "create_tags",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(40));",
    ),
    ("create_visits", "CREATE TABLE visits (id INTEGER PRIMARY KEY);"),
];

/// The first `count` of [`SCRIPTS`].
pub fn scripts(count: usize) -> Vec<Script> {
    SCRIPTS[..count]
        .iter()
        .enumerate()
        .map(|(n, (name, sql))| Script {
            n,
            name,
            sql: (*sql).to_owned(),
        })
        .collect()
}

/// Every tool `adopt` reads.
pub const PEERS: [Peer; 3] = [Peer::Sqlx, Peer::Refinery, Peer::Diesel];

/// diesel's directory timestamps (`diesel migration generate`'s
/// `%Y-%m-%d-%H%M%S`) for the n-th migration.
const DIESEL_STAMPS: [&str; 4] = [
    "2019-11-15-182353",
    "2019-11-16-090000",
    "2020-01-02-030405",
    "2021-06-07-080910",
];

/// The version a directory name gives a diesel migration: the part before
/// the first `_`, dashes removed. diesel's own rule, from
/// diesel_migrations/migrations_internals/src/lib.rs (`version_from_string`)
/// at diesel-rs/diesel@04cc1b0bc6578021db542464e6cd1a21e0d39235.
pub fn diesel_version(directory: &str) -> String {
    directory
        .split('_')
        .next()
        .map(|s| s.replace('-', ""))
        .unwrap_or_default()
}

/// The version `peer` gives the n-th migration.
pub fn version(peer: Peer, n: usize) -> i64 {
    match peer {
        // `sqlx migrate add`'s timestamps.
        Peer::Sqlx => 20240101120000 + 100 * n as i64,
        Peer::Refinery => n as i64 + 1,
        Peer::Diesel => diesel_version(DIESEL_STAMPS[n]).parse().unwrap(),
        other => panic!("no test layout for {other}"),
    }
}

/// Where the tool keeps `script`, relative to its migrations directory.
fn tool_path(peer: Peer, script: &Script) -> PathBuf {
    let (n, name) = (script.n, script.name);
    match peer {
        Peer::Sqlx => format!("{}_{name}.sql", version(peer, n)).into(),
        Peer::Refinery => format!("V{}__{name}.sql", version(peer, n)).into(),
        Peer::Diesel => Path::new(&format!("{}_{name}", DIESEL_STAMPS[n])).join("up.sql"),
        other => panic!("no test layout for {other}"),
    }
}

/// The file this project embeds for `script`: the tool's own file where
/// migrata-core reads the tool's layout (sqlx, refinery), else a flat file
/// whose version is the one diesel stores.
pub fn embedded_file(peer: Peer, script: &Script) -> String {
    match peer {
        Peer::Diesel => format!("{}_{}.sql", version(peer, script.n), script.name),
        _ => tool_path(peer, script).display().to_string(),
    }
}

/// The embedded migrations for `scripts`.
pub fn embedded(peer: Peer, scripts: &[Script]) -> Vec<Migration> {
    let files: Vec<(String, String)> = scripts
        .iter()
        .map(|s| (embedded_file(peer, s), s.sql.clone()))
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, s)| (f.as_str(), s.as_str()))
        .collect();
    migrations(&borrowed)
}

/// A fresh directory holding `scripts` laid out for the tool.
pub fn tool_dir(peer: Peer, scripts: &[Script]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for script in scripts {
        let path = dir.path().join(tool_path(peer, script));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &script.sql).unwrap();
    }
    dir
}

/// What the tool itself makes of `scripts` (laid out by its rules): for each,
/// the version, and the name and checksum it records (sqlx's checksum as
/// lowercase hex). diesel records versions only.
pub async fn tool_view(
    peer: Peer,
    scripts: &[Script],
) -> Vec<(i64, Option<String>, Option<String>)> {
    let dir = tool_dir(peer, scripts);
    match peer {
        Peer::Sqlx => {
            let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
            migrator
                .iter()
                .map(|m| {
                    let hex: String = m.checksum.iter().map(|b| format!("{b:02x}")).collect();
                    (m.version, Some(m.description.to_string()), Some(hex))
                })
                .collect()
        }
        Peer::Refinery => refinery_core::load_sql_migrations(dir.path())
            .unwrap()
            .iter()
            .map(|m| {
                (
                    i64::from(m.version()),
                    Some(m.name().to_owned()),
                    Some(m.checksum().to_string()),
                )
            })
            .collect(),
        Peer::Diesel => scripts
            .iter()
            .map(|s| (version(peer, s.n), None, None))
            .collect(),
        other => panic!("no test tool for {other}"),
    }
}

/// Runs the tool over `scripts` on `conn`, writing its history as it does.
pub async fn apply(peer: Peer, conn: &mut Conn, scripts: &[Script]) -> Result<(), String> {
    let dir = tool_dir(peer, scripts);
    match peer {
        Peer::Sqlx => {
            let migrator = sqlx::migrate::Migrator::new(dir.path())
                .await
                .map_err(|e| e.to_string())?;
            on_conn!(conn, |c| migrator.run(c).await).map_err(|e| e.to_string())
        }
        Peer::Refinery => {
            let found =
                refinery_core::load_sql_migrations(dir.path()).map_err(|e| e.to_string())?;
            refinery_core::Runner::new(&found)
                .run_async(&mut RefineryDriver(conn))
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Peer::Diesel => diesel_run(conn, dir.path())
            .await
            .map_err(|e| e.to_string()),
        other => panic!("no test tool for {other}"),
    }
}

/// What diesel_migrations does for each pending directory (every
/// subdirectory; files and dot entries are skipped, as
/// `migrations_directories` skips them), in the order of the version text
/// (diesel-rs/diesel@04cc1b0bc6578021db542464e6cd1a21e0d39235): its table from
/// diesel/src/migration/setup_migration_table.sql, then the directory's
/// `up.sql` and the INSERT of its version in one transaction
/// (diesel_migrations/src/migration_harness.rs, `run_migration`).
pub async fn diesel_run(conn: &mut Conn, dir: &Path) -> Result<(), sqlx::Error> {
    const SETUP: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);";
    execute(conn, SETUP).await?;
    let mut directories: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    directories.sort_by_key(|name| diesel_version(name));
    for directory in directories {
        let up = std::fs::read_to_string(dir.join(&directory).join("up.sql")).unwrap();
        let insert = format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{}')",
            diesel_version(&directory)
        );
        in_transaction(conn, &[&up, &insert]).await?;
    }
    Ok(())
}

/// refinery's drivers send what the runner asks for and decode its SELECT;
/// this one does so over sqlx as refinery-core 0.10.1's tokio-postgres
/// driver does (src/drivers/tokio_postgres.rs): each batch in a
/// transaction, rows as `(version, name, applied_on RFC 3339, checksum)`.
pub struct RefineryDriver<'c>(pub &'c mut Conn);

impl AsyncTransaction for RefineryDriver<'_> {
    type Error = sqlx::Error;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let queries: Vec<&str> = queries.collect();
        in_transaction(self.0, &queries).await?;
        Ok(queries.len())
    }
}

impl AsyncQuery<Vec<refinery_core::Migration>> for RefineryDriver<'_> {
    async fn query<'a>(
        &'a mut self,
        query: &'a str,
    ) -> Result<Vec<refinery_core::Migration>, Self::Error> {
        let sql = AssertSqlSafe(query.to_owned());
        on_conn!(&mut *self.0, |c| {
            let rows = sqlx::raw_sql(sql).fetch_all(c).await?;
            rows.iter().map(refinery_applied).collect()
        })
    }
}

impl refinery_core::AsyncMigrate for RefineryDriver<'_> {}

fn refinery_applied<R: Row>(row: &R) -> Result<refinery_core::Migration, sqlx::Error>
where
    for<'r> i32: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let bad = |e: &dyn std::fmt::Display| sqlx::Error::Decode(e.to_string().into());
    let applied_on: String = row.try_get(2)?;
    let applied_on =
        time::OffsetDateTime::parse(&applied_on, &time::format_description::well_known::Rfc3339)
            .map_err(|e| bad(&e))?;
    let checksum: String = row.try_get(3)?;
    Ok(refinery_core::Migration::applied(
        row.try_get(0)?,
        row.try_get(1)?,
        applied_on,
        checksum.parse().map_err(|e| bad(&e))?,
    ))
}

/// Runs `statements` in one transaction, rolled back if one fails.
async fn in_transaction(conn: &mut Conn, statements: &[&str]) -> Result<(), sqlx::Error> {
    execute(conn, "BEGIN").await?;
    for statement in statements {
        if let Err(error) = execute(conn, statement).await {
            let _ = execute(conn, "ROLLBACK").await;
            return Err(error);
        }
    }
    execute(conn, "COMMIT").await
}

async fn execute(conn: &mut Conn, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    on_conn!(conn, |c| sqlx::raw_sql(sql).execute(c).await.map(drop))
}
