//! Configuration shared by the library and the `migrata` command: a
//! `migrate.toml` file, then the environment, then code, later wins.
//!
//! ```toml
//! [database]
//! url = "sqlite://app.db?mode=rwc"
//! session_setup = "SET lock_timeout = '5s'"   # SQL run after connecting
//!
//! [migrate]
//! table = "migrate_history"
//! dir = "migrations"              # used only by the standalone `migrata` command
//! exclude = ["seed*.sql"]         # not migrations; also only the `migrata` command
//! transaction = "per-migration"   # single | none
//! lock_timeout = "30s"            # 500ms, 30s, 2m, 1h
//! lock = "lease"                  # session
//! lease_ttl = "30s"
//! lock_wait = "1s"                # each statement's wait for a lock, or "off"
//! lock_retry_budget = "60s"
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
//! use migrata::{Config, Policy, TransactionMode};
//!
//! static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
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
//! assert_eq!(config.migrate.transaction(), TransactionMode::Single);
//! assert_eq!(config.migrate.lock_timeout(), Duration::from_secs(5));
//!
//! // Layer 3: code. Builder calls win over the file, made before or after it.
//! let migrator = config
//!     .apply_to(MIGRATIONS.migrator())
//!     .on_out_of_order(Policy::Warn);
//! let url = config.database_url().ok_or("no database URL configured")?;
//! let report = tokio::runtime::Builder::new_current_thread()
//!     .enable_all()
//!     .build()?
//!     .block_on(migrator.run(url))?;
//! assert_eq!(report.applied.len(), MIGRATIONS.all().len());
//! # Ok(()) }
//! ```

use serde::Deserialize;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use migrata_core::Migration;

use crate::migrator::Migrator;
use crate::options::Options;
use crate::url::{is_blank, redact_url};

/// Settings for a migration run and for the `migrata` command, layered from a
/// TOML file, the environment and code.
///
/// Build one with [`Config::load`] (file and environment) or
/// [`Config::from_toml_str`]; then hand it to a migrator with
/// [`Config::apply_to`], where builder calls override it. `Debug` output
/// hides the password of `database.url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a configuration table")]
#[non_exhaustive]
pub struct Config {
    /// The `[database]` section.
    pub database: DatabaseConfig,
    /// The `[migrate]` section: the migrator's [`Options`].
    pub migrate: Options,
    /// The `[log]` section.
    pub log: LogConfig,
    /// The `[schema]` section: schema dumps and drift checks.
    pub schema: SchemaConfig,
    /// The file this was read from, for saying so (`migrata status`).
    #[serde(skip)]
    file: Option<PathBuf>,
}

/// The `[database]` section: where to connect and what to run first.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [database] table")]
#[non_exhaustive]
pub struct DatabaseConfig {
    /// Database URL in sqlx syntax; `MIGRATE_DATABASE_URL` or `DATABASE_URL`
    /// override the file's value. An empty one is an error in the file.
    #[serde(deserialize_with = "non_blank_url")]
    pub url: Option<String>,
    /// SQL run right after connecting, e.g. `SET lock_timeout = '5s'`.
    pub session_setup: Option<String>,
}

/// The `[log]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [log] table")]
#[non_exhaustive]
pub struct LogConfig {
    /// A tracing-subscriber `EnvFilter` directive string for the CLI's
    /// logs (`warn` when unset: the CLI reports each action once, on
    /// stdout; `info` adds the library's own events, one per migration).
    pub level: Option<String>,
}

impl LogConfig {
    /// The filter directive, or `warn`.
    pub fn level(&self) -> &str {
        self.level.as_deref().unwrap_or("warn")
    }
}

/// The `[schema]` section, read by `migrata schema` and `migrata drift`
/// (feature `schema`).
///
/// ```toml
/// [schema]
/// file = "schema.sql"                       # what `schema --check` / `--write` use
/// scratch_url = "postgres://app@localhost/postgres"   # where replays run
/// ignore = ["pg_stat_statements*", "audit_*"]        # objects managed outside migrations
/// ```
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a [schema] table")]
#[non_exhaustive]
pub struct SchemaConfig {
    /// The committed dump `schema --check` compares with and `--write`
    /// refreshes, when the command names none.
    pub file: Option<PathBuf>,
    /// The server (or `sqlite::memory:`) where the migrations are replayed
    /// on a temporary database; the database URL's server when unset.
    #[serde(deserialize_with = "non_blank_url")]
    pub scratch_url: Option<String>,
    /// Patterns (`*`, `?`) of objects drift leaves out: `audit_*`,
    /// `public.pg_stat_statements*`, `users.legacy_*` for a table's parts.
    pub ignore: Vec<String>,
}

impl fmt::Debug for SchemaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaConfig")
            .field("file", &self.file)
            .field("scratch_url", &self.scratch_url.as_deref().map(redact_url))
            .field("ignore", &self.ignore)
            .finish()
    }
}

/// Why a configuration could not be loaded. Messages name the file and the
/// offending key, and never contain the configuration's values beyond the
/// rejected one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
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
            Ok(text) => parse(&text, Some(path)).map(|config| Config {
                file: Some(path.to_owned()),
                ..config
            }),
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
                error: source,
            }),
        }
    }

    /// The file [`Config::from_file`] read, `None` when it found none (or
    /// for [`Config::from_toml_str`]).
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
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

    /// A [`Migrator`] over `migrations` with these settings.
    pub fn migrator<'m>(&self, migrations: &'m [Migration]) -> Migrator<'m> {
        self.apply_to(Migrator::new(migrations))
    }

    /// Gives `migrator` every setting of this configuration that its builder
    /// calls did not set: code wins, whether its calls come before or after.
    /// Use it on [`Migrations::migrator`](crate::Migrations::migrator), which
    /// keeps its debug-build check for migration files added since the last
    /// build.
    pub fn apply_to<'m>(&self, migrator: Migrator<'m>) -> Migrator<'m> {
        migrator.underlay(self.migrate.clone(), self.database.session_setup.clone())
    }
}

/// `database.url`, refused when blank: it names no database, and leaving
/// the key out is how a file says it has none.
fn non_blank_url<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(deserializer)?;
    if is_blank(&url) {
        return Err(serde::de::Error::custom(
            "the database URL is empty: name a database, or leave `url` out",
        ));
    }
    Ok(Some(url))
}

fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|error| ConfigError::Parse {
        path: path.map(Path::to_owned),
        message: describe(text, &error),
    })
}

/// `line L, column C: key: message`, without toml's source snippet, which
/// could show a password from the file. serde names an unknown key but not
/// the key of a rejected value, so that is taken from the value's line.
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
    let line_start = before.rsplit('\n').next().unwrap_or_default();
    let column = line_start.chars().count() + 1;
    if let Some((key, _value)) = line_start.split_once('=') {
        message = format!("{}: {message}", key.trim());
    }
    format!("line {line}, column {column}: {message}")
}
