//! Configuration shared by the library and the `migrate` command: a
//! `migrate.toml` file, then the environment, then code, later wins.
//!
//! ```toml
//! [database]
//! url = "sqlite://app.db?mode=rwc"
//! session_setup = "SET lock_timeout = '5s'"   # SQL run after connecting
//!
//! [migrate]
//! table = "migrate_history"
//! dir = "migrations"              # used only by the `migrate` command
//! transaction = "per-migration"   # single | none
//! lock_timeout = "30s"            # 500ms, 30s, 2m, 1h
//! on_divergent = "error"          # warn | ignore
//! on_missing = "error"            # warn | ignore
//! on_out_of_order = "error"       # warn | ignore
//!
//! [log]
//! level = "info"                  # a tracing-subscriber EnvFilter directive
//! ```
//!
//! Every key is optional. An unknown key or an invalid value is an error
//! naming the key, so a typo is never silently ignored.
//! `MIGRATE_DATABASE_URL`, else `DATABASE_URL`, overrides `database.url`;
//! code overrides everything by assigning the public fields.
//!
//! ```
//! use std::time::Duration;
//! use migrate_runtime::{Config, Policy, TransactionMode};
//!
//! static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("../migrations");
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Layer 1: the file (here a string; `Config::load` reads `migrate.toml`).
//! let mut config = Config::from_toml_str(r#"
//!     [database]
//!     url = "sqlite://ignored.db"
//!
//!     [migrate]
//!     table = "schema_history"
//!     transaction = "single"
//!     lock_timeout = "5s"
//!     on_missing = "warn"
//! "#)?;
//! // Layer 2: the environment (`Config::load` passes `std::env::var`).
//! config.apply_env(|name| (name == "DATABASE_URL").then(|| "sqlite::memory:".to_owned()));
//! assert_eq!(config.database_url(), Some("sqlite::memory:"));
//! // Layer 3: code.
//! config.migrate.on_out_of_order = Policy::Warn;
//!
//! assert_eq!(config.migrate.transaction, TransactionMode::Single);
//! assert_eq!(config.migrate.lock_timeout, Duration::from_secs(5));
//!
//! let migrator = config.migrator(MIGRATIONS.all());
//! let url = config.database_url().ok_or("no database URL configured")?;
//! let report = tokio::runtime::Builder::new_current_thread()
//!     .enable_all()
//!     .build()?
//!     .block_on(migrator.run(url))?;
//! assert_eq!(report.applied.len(), MIGRATIONS.all().len());
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, Error as _};

use crate::{redact_url, Migration, Migrator, Policy, TransactionMode, DEFAULT_TABLE};

/// Settings for a migration run and for the `migrate` command, layered from a
/// TOML file, the environment and code.
///
/// Build one with [`Config::load`] (file and environment) or
/// [`Config::from_toml_str`]; then assign fields to override from code, the
/// last layer. `Debug` output hides the password of `database.url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The `[database]` section.
    pub database: DatabaseConfig,
    /// The `[migrate]` section.
    pub migrate: MigrateConfig,
    /// The `[log]` section.
    pub log: LogConfig,
}

/// The `[database]` section: where to connect and what to run first.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// Database URL in sqlx syntax; `MIGRATE_DATABASE_URL` or `DATABASE_URL`
    /// override the file's value.
    pub url: Option<String>,
    /// SQL run right after connecting, e.g. `SET lock_timeout = '5s'`.
    pub session_setup: Option<String>,
}

/// The `[migrate]` section: options of the [`Migrator`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrateConfig {
    /// Name of the version table (default `migrate_history`).
    pub table: String,
    /// Directory of migration files, used only by the standalone `migrate`
    /// command (default `migrations`); kept as written.
    pub dir: PathBuf,
    /// How migrations are wrapped in transactions (default per migration).
    pub transaction: TransactionMode,
    /// How long to wait for another migrator (default 30 s).
    pub lock_timeout: Duration,
    /// What to do when an applied script was edited (default error).
    pub on_divergent: Policy,
    /// What to do when an applied migration is missing from the binary
    /// (default error).
    pub on_missing: Policy,
    /// What to do with a pending migration older than the newest applied one
    /// (default error).
    pub on_out_of_order: Policy,
}

/// The `[log]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogConfig {
    /// A tracing-subscriber `EnvFilter` directive string (default `info`);
    /// stored as written and interpreted by whoever installs the subscriber.
    pub level: String,
}

/// Why a configuration could not be loaded. Messages name the file and the
/// offending key, and never contain the configuration's values beyond the
/// rejected one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The TOML is malformed, has an unknown key, or has an invalid value.
    #[error("invalid configuration{}: {message}", in_file(path.as_deref()))]
    Parse {
        /// The file, or `None` for [`Config::from_toml_str`].
        path: Option<PathBuf>,
        /// What is wrong, with line and column, naming the key.
        message: String,
    },
    /// A config file given explicitly does not exist (a missing default
    /// `migrate.toml` is not an error).
    #[error("config file {} does not exist", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
}

fn in_file(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!(" in {}", path.display()),
        None => String::new(),
    }
}

impl Default for MigrateConfig {
    fn default() -> Self {
        MigrateConfig {
            table: DEFAULT_TABLE.to_owned(),
            dir: PathBuf::from("migrations"),
            transaction: TransactionMode::default(),
            lock_timeout: Duration::from_secs(30),
            on_divergent: Policy::Error,
            on_missing: Policy::Error,
            on_out_of_order: Policy::Error,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("session_setup", &self.session_setup)
            .finish()
    }
}

impl Config {
    /// The file read when [`Config::load`] is given no path, relative to the
    /// current directory.
    pub const DEFAULT_PATH: &'static str = "migrate.toml";

    /// Environment variables overriding `database.url`, the first set and
    /// non-empty one wins.
    pub const URL_ENV_VARS: [&'static str; 2] = ["MIGRATE_DATABASE_URL", "DATABASE_URL"];

    /// Reads the file (see [`Config::from_file`]), then applies the process
    /// environment (see [`Config::apply_env`]).
    ///
    /// `None` reads `migrate.toml` in the current directory, and its absence
    /// means defaults; an explicit `path` that does not exist is an error.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = Config::from_file(path)?;
        config.apply_env(|name| std::env::var(name).ok());
        Ok(config)
    }

    /// The file layer alone, without the environment: like [`Config::load`]
    /// otherwise.
    pub fn from_file(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, explicit) = match path {
            Some(path) => (path, true),
            None => (Path::new(Config::DEFAULT_PATH), false),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => parse(&text, Some(path)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if explicit {
                    Err(ConfigError::NotFound {
                        path: path.to_owned(),
                    })
                } else {
                    Ok(Config::default())
                }
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses TOML text in the `migrate.toml` format; keys left out keep their
    /// defaults. The environment is not consulted.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, None)
    }

    /// Applies the environment layer, reading variables through `lookup`:
    /// `MIGRATE_DATABASE_URL`, else `DATABASE_URL`, replaces `database.url`.
    /// Empty values count as unset.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        let url = Config::URL_ENV_VARS
            .iter()
            .find_map(|name| lookup(name).filter(|value| !value.is_empty()));
        if let Some(url) = url {
            self.database.url = Some(url);
        }
    }

    /// The database URL, if the file, environment or code set one.
    pub fn database_url(&self) -> Option<&str> {
        self.database.url.as_deref()
    }

    /// A [`Migrator`] over `migrations` with every setting applied: table,
    /// transaction mode, the three policies, lock timeout and session setup.
    pub fn migrator<'m>(&self, migrations: &'m [Migration]) -> Migrator<'m> {
        self.apply_to(Migrator::new(migrations))
    }

    /// Applies every setting to an existing `migrator`, e.g. one from
    /// [`Migrations::migrator`](crate::Migrations::migrator), which keeps its
    /// debug-build check for migration files added since the last build.
    pub fn apply_to<'m>(&self, migrator: Migrator<'m>) -> Migrator<'m> {
        let migrate = &self.migrate;
        let migrator = migrator
            .table(migrate.table.clone())
            .transaction(migrate.transaction)
            .on_divergent(migrate.on_divergent)
            .on_missing(migrate.on_missing)
            .on_out_of_order(migrate.on_out_of_order)
            .lock_timeout(migrate.lock_timeout);
        match &self.database.session_setup {
            Some(sql) => migrator.session_setup(sql.clone()),
            None => migrator,
        }
    }
}

fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
    let file: File = toml::from_str(text).map_err(|error| ConfigError::Parse {
        path: path.map(Path::to_owned),
        message: describe(text, &error),
    })?;
    let mut config = Config::default();
    if let Some(database) = file.database {
        let target = &mut config.database;
        set(&mut target.url, database.url.map(Some));
        set(&mut target.session_setup, database.session_setup.map(Some));
    }
    if let Some(migrate) = file.migrate {
        let target = &mut config.migrate;
        set(&mut target.table, migrate.table);
        set(&mut target.dir, migrate.dir.map(PathBuf::from));
        set(&mut target.transaction, migrate.transaction);
        set(&mut target.lock_timeout, migrate.lock_timeout);
        set(&mut target.on_divergent, migrate.on_divergent);
        set(&mut target.on_missing, migrate.on_missing);
        set(&mut target.on_out_of_order, migrate.on_out_of_order);
    }
    if let Some(log) = file.log {
        set(&mut config.log.level, log.level);
    }
    Ok(config)
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// `line L, column C: message`, without toml's source snippet, which could
/// show a password from the file.
fn describe(text: &str, error: &toml::de::Error) -> String {
    let mut message = error.message().trim_end().to_owned();
    let Some(span) = error.span() else {
        return message;
    };
    if message == "duplicate key" {
        if let Some(key) = text.get(span.clone()) {
            message = format!("duplicate key `{}`", key.trim());
        }
    }
    let Some(before) = text.get(..span.start) else {
        return message;
    };
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |line| line.chars().count())
        + 1;
    format!("line {line}, column {column}: {message}")
}

// The file's shape. Every key is optional and unknown keys are errors; values
// are checked by the `de_*` functions so that messages name the key.

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a configuration table")]
struct File {
    database: Option<DatabaseFile>,
    migrate: Option<MigrateFile>,
    log: Option<LogFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [database] table")]
struct DatabaseFile {
    #[serde(default, deserialize_with = "de_url")]
    url: Option<String>,
    #[serde(default, deserialize_with = "de_session_setup")]
    session_setup: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [migrate] table")]
struct MigrateFile {
    #[serde(default, deserialize_with = "de_table")]
    table: Option<String>,
    #[serde(default, deserialize_with = "de_dir")]
    dir: Option<String>,
    #[serde(default, deserialize_with = "de_transaction")]
    transaction: Option<TransactionMode>,
    #[serde(default, deserialize_with = "de_lock_timeout")]
    lock_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_on_divergent")]
    on_divergent: Option<Policy>,
    #[serde(default, deserialize_with = "de_on_missing")]
    on_missing: Option<Policy>,
    #[serde(default, deserialize_with = "de_on_out_of_order")]
    on_out_of_order: Option<Policy>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [log] table")]
struct LogFile {
    #[serde(default, deserialize_with = "de_level")]
    level: Option<String>,
}

/// Defines `fn $name` deserializing the value of key `$key` with
/// `$convert(key, value)`.
macro_rules! value_of_key {
    ($($name:ident: $key:literal => $convert:ident -> $ty:ty;)*) => {$(
        fn $name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<$ty>, D::Error> {
            let value = toml::Value::deserialize(deserializer)?;
            $convert($key, &value).map(Some).map_err(D::Error::custom)
        }
    )*};
}

value_of_key! {
    de_url: "url" => string -> String;
    de_session_setup: "session_setup" => string -> String;
    de_table: "table" => string -> String;
    de_dir: "dir" => string -> String;
    de_level: "level" => string -> String;
    de_transaction: "transaction" => transaction -> TransactionMode;
    de_lock_timeout: "lock_timeout" => duration -> Duration;
    de_on_divergent: "on_divergent" => policy -> Policy;
    de_on_missing: "on_missing" => policy -> Policy;
    de_on_out_of_order: "on_out_of_order" => policy -> Policy;
}

/// `key: expected <expected>, got <what value is>`.
fn invalid(key: &str, expected: &str, value: &toml::Value) -> String {
    let got = match value {
        toml::Value::String(s) => format!("`{s}`"),
        toml::Value::Table(_) => "a table".to_owned(),
        toml::Value::Array(_) => "an array".to_owned(),
        other => format!("{} `{other}`", other.type_str()),
    };
    format!("{key}: expected {expected}, got {got}")
}

fn string(key: &str, value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        other => Err(invalid(key, "a string", other)),
    }
}

fn transaction(key: &str, value: &toml::Value) -> Result<TransactionMode, String> {
    match value.as_str() {
        Some("per-migration") => Ok(TransactionMode::PerMigration),
        Some("single") => Ok(TransactionMode::Single),
        Some("none") => Ok(TransactionMode::None),
        _ => Err(invalid(key, "`per-migration`, `single` or `none`", value)),
    }
}

fn policy(key: &str, value: &toml::Value) -> Result<Policy, String> {
    match value.as_str() {
        Some("error") => Ok(Policy::Error),
        Some("warn") => Ok(Policy::Warn),
        Some("ignore") => Ok(Policy::Ignore),
        _ => Err(invalid(key, "`error`, `warn` or `ignore`", value)),
    }
}

fn duration(key: &str, value: &toml::Value) -> Result<Duration, String> {
    value
        .as_str()
        .and_then(parse_duration)
        .ok_or_else(|| invalid(key, "a duration like 500ms, 30s, 2m or 1h", value))
}

/// An unsigned integer followed by `ms`, `s`, `m` or `h`, nothing else.
fn parse_duration(text: &str) -> Option<Duration> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return None;
    }
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => number.checked_mul(60).map(Duration::from_secs),
        "h" => number.checked_mul(60 * 60).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in [
            "",
            "s",
            "30",
            "soon",
            "1.5s",
            "-1s",
            "+1s",
            " 1s",
            "1s ",
            "1 s",
            "1S",
            "1d",
            "1sec",
            "5min",
            "99999999999999999999s",
            "18446744073709551615h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
