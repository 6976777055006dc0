//! The four contenders, behind one interface: load migrations (untimed, as
//! if embedded), connect, run.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{
    AssertSqlSafe, ConnectOptions, Connection, MySqlConnection, PgConnection, SqliteConnection,
};

use crate::count::SqliteTrace;
use crate::{generate, Tool};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where a database lives: a SQLite file, a PostgreSQL or a MySQL URL.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
    MySql(String),
}

impl Target {
    /// As a command-line argument for a child process.
    pub fn to_arg(&self) -> String {
        match self {
            Target::Sqlite(path) => format!("sqlite:{}", path.display()),
            Target::Postgres(url) | Target::MySql(url) => url.clone(),
        }
    }

    pub fn from_arg(arg: &str) -> Target {
        match arg.strip_prefix("sqlite:") {
            Some(path) => Target::Sqlite(PathBuf::from(path)),
            None if arg.starts_with("mysql:") => Target::MySql(arg.to_owned()),
            None => Target::Postgres(arg.to_owned()),
        }
    }
}

/// Migrations loaded into memory, in each tool's own type.
pub enum Loaded {
    Ours(Vec<migrata::Migration>),
    Sqlx(sqlx::migrate::Migrator),
    Refinery(refinery::Runner),
    Raw(Vec<String>),
    /// The no-op floor: this project's history SELECT, fetched, nothing else.
    HistoryRead,
}

impl Loaded {
    /// Reads `dir` (written in `tool`'s format) the way the tool would.
    pub async fn load(tool: Tool, dir: &Path) -> Result<Loaded, BoxError> {
        Ok(match tool {
            Tool::Ours => Loaded::Ours(migrata_core::load_dir(dir)?),
            Tool::Sqlx => Loaded::Sqlx(sqlx::migrate::Migrator::new(dir).await?),
            Tool::Refinery => {
                let migrations = refinery::load_sql_migrations(dir)?;
                Loaded::Refinery(refinery::Runner::new(&migrations))
            }
            Tool::Raw => Loaded::Raw(generate::read_scripts(dir)?),
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Loaded::Ours(m) => m.len(),
            Loaded::Sqlx(m) => m.iter().count(),
            Loaded::Refinery(r) => r.get_migrations().len(),
            Loaded::Raw(s) => s.len(),
            Loaded::HistoryRead => 0,
        }
    }
}

/// An open connection of the driver each tool uses: sqlx for this project,
/// sqlx's migrator and the raw runner; rusqlite / tokio-postgres for refinery.
pub enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
    MySql(MySqlConnection),
    Rusqlite(rusqlite::Connection),
    TokioPg(tokio_postgres::Client, tokio::task::JoinHandle<()>),
}

impl Conn {
    pub async fn open(tool: Tool, target: &Target) -> Result<Conn, BoxError> {
        Ok(match (tool, target) {
            (Tool::Refinery, Target::Sqlite(path)) => {
                Conn::Rusqlite(rusqlite::Connection::open(path)?)
            }
            (Tool::Refinery, Target::Postgres(url)) => {
                let (client, connection) =
                    tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
                let task = tokio::spawn(async move {
                    let _ = connection.await;
                });
                Conn::TokioPg(client, task)
            }
            (_, Target::Sqlite(path)) => {
                // What this project's `run(url)` does: sqlx defaults (rollback
                // journal, synchronous=FULL), creating the file if needed.
                let url = format!("sqlite://{}?mode=rwc", path.display());
                Conn::Sqlite(SqliteConnectOptions::from_str(&url)?.connect().await?)
            }
            (Tool::Refinery, Target::MySql(_)) => {
                return Err("refinery is built here without its MySQL driver".into())
            }
            (_, Target::Postgres(url)) => Conn::Pg(PgConnection::connect(url).await?),
            (_, Target::MySql(url)) => Conn::MySql(MySqlConnection::connect(url).await?),
        })
    }

    pub async fn close(self) -> Result<(), BoxError> {
        match self {
            Conn::Sqlite(c) => c.close().await?,
            Conn::Pg(c) => c.close().await?,
            Conn::MySql(c) => c.close().await?,
            Conn::Rusqlite(c) => c.close().map_err(|(_, e)| e)?,
            Conn::TokioPg(client, task) => {
                drop(client);
                let _ = task.await;
            }
        }
        Ok(())
    }

    /// Starts counting statements on a SQLite connection.
    pub async fn trace(&mut self) -> Result<Option<SqliteTrace>, BoxError> {
        Ok(match self {
            Conn::Sqlite(c) => Some(SqliteTrace::attach_sqlx(c).await?),
            Conn::Rusqlite(c) => Some(SqliteTrace::attach_rusqlite(c)),
            _ => None,
        })
    }

    /// `SELECT count(*) FROM t<n>`: a check, outside any timing, that the
    /// last migration ran.
    pub async fn rows_in(&mut self, table: &str) -> Result<i64, BoxError> {
        let sql = format!("SELECT count(*) FROM {table}");
        Ok(match self {
            Conn::Sqlite(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await?,
            Conn::Pg(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await?,
            Conn::MySql(c) => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(c).await?,
            Conn::Rusqlite(c) => c.query_row(&sql, [], |row| row.get(0))?,
            Conn::TokioPg(c, _) => c.query_one(&sql, &[]).await?.get(0),
        })
    }
}

/// The statement this project's no-op check sends on SQLite (see the
/// counted statements): the whole history packed into one row.
const HISTORY_SELECT_SQLITE: &str = "SELECT COUNT(*), group_concat(version || ':' || checksum || ':' || success || ':' || length(name) || ':' || name, ',') FROM \"migrate_history\"";

/// The same on PostgreSQL.
const HISTORY_SELECT_PG: &str = "SELECT COUNT(*), string_agg(version || ':' || checksum || ':' || success::int || ':' || length(name) || ':' || name, ',') FROM \"migrate_history\"";

/// The same on MySQL.
const HISTORY_SELECT_MYSQL: &str = "SELECT /*+ SET_VAR(group_concat_max_len = 1073741824) */ COUNT(*), GROUP_CONCAT(CONCAT(version, ':', checksum, ':', success, ':', CHAR_LENGTH(name), ':', name) SEPARATOR ',') FROM `migrate_history`";

/// Runs `loaded` over `conn`: applies what is pending, or (when everything
/// is applied) just the startup check. Returns how many migrations ran,
/// where the tool says (sqlx's migrator does not).
pub async fn run(loaded: &Loaded, conn: &mut Conn) -> Result<Option<usize>, BoxError> {
    Ok(Some(match (loaded, conn) {
        (Loaded::Ours(m), Conn::Sqlite(c)) => {
            migrata::Migrator::new(m).run_on(c).await?.applied.len()
        }
        (Loaded::Ours(m), Conn::Pg(c)) => migrata::Migrator::new(m).run_on(c).await?.applied.len(),
        (Loaded::Ours(m), Conn::MySql(c)) => {
            migrata::Migrator::new(m).run_on(c).await?.applied.len()
        }
        (Loaded::Sqlx(m), Conn::MySql(c)) => {
            m.run(&mut *c).await?;
            return Ok(None);
        }
        (Loaded::Sqlx(m), Conn::Sqlite(c)) => {
            m.run(&mut *c).await?;
            return Ok(None);
        }
        (Loaded::Sqlx(m), Conn::Pg(c)) => {
            m.run(&mut *c).await?;
            return Ok(None);
        }
        (Loaded::Refinery(r), Conn::Rusqlite(c)) => r.run(c)?.applied_migrations().len(),
        (Loaded::Refinery(r), Conn::TokioPg(c, _)) => {
            r.run_async(c).await?.applied_migrations().len()
        }
        (Loaded::Raw(scripts), Conn::Sqlite(c)) => {
            for sql in scripts {
                let mut tx = c.begin().await?;
                sqlx::raw_sql(AssertSqlSafe(sql.as_str()))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            scripts.len()
        }
        (Loaded::Raw(scripts), Conn::Pg(c)) => {
            for sql in scripts {
                let mut tx = c.begin().await?;
                sqlx::raw_sql(AssertSqlSafe(sql.as_str()))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            scripts.len()
        }
        (Loaded::Raw(scripts), Conn::MySql(c)) => {
            for sql in scripts {
                let mut tx = c.begin().await?;
                sqlx::raw_sql(AssertSqlSafe(sql.as_str()))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            scripts.len()
        }
        (Loaded::HistoryRead, Conn::MySql(c)) => {
            sqlx::raw_sql(HISTORY_SELECT_MYSQL).fetch_all(c).await?;
            0
        }
        (Loaded::HistoryRead, Conn::Sqlite(c)) => {
            sqlx::raw_sql(HISTORY_SELECT_SQLITE).fetch_all(c).await?;
            0
        }
        (Loaded::HistoryRead, Conn::Pg(c)) => {
            sqlx::raw_sql(HISTORY_SELECT_PG).fetch_all(c).await?;
            0
        }
        _ => return Err("this tool does not run on this connection".into()),
    }))
}
