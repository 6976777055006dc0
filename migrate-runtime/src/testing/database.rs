//! The values every backend of the test helper builds: templates and
//! their names, test databases and where they live.

use std::collections::HashMap;
use std::fmt;
#[cfg(feature = "sqlite")]
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::migrator::Migrator;
use crate::model::BackendKind;
use crate::url::redact_url;

/// Names of test databases start with this.
pub const TEST_DATABASE_PREFIX: &str = "migrate_testdb_";
/// Names of templates start with this.
pub const TEMPLATE_PREFIX: &str = "migrate_template_";
/// Names of templates being built start with this.
pub(super) const BUILDING_PREFIX: &str = "migrate_building_";
/// Passing tests' PostgreSQL databases, waiting to be dropped.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(super) const TRASH_PREFIX: &str = "migrate_trash_";
/// Copies of a PostgreSQL template made ahead of the tests that claim them.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(super) const SPARE_PREFIX: &str = "migrate_spare_";

/// A URL for a database whose feature this build lacks.
pub(super) fn not_compiled(kind: BackendKind) -> Error {
    Error::BackendNotCompiled {
        backend: kind,
        feature: kind.feature(),
    }
}

/// A database for one test, dropped when this value is dropped unless the
/// test failed; see the module's cleanup rules.
#[must_use = "the test database is dropped as soon as this value is"]
pub struct TestDatabase {
    pub(super) name: String,
    pub(super) url: String,
    /// The template it was copied from.
    pub(super) template: String,
    /// `None` once kept or dropped.
    pub(super) place: Option<Place>,
}

/// Where a test database lives, with what removing it needs.
pub(super) enum Place {
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    Server {
        kind: BackendKind,
        /// The URL the database was created through.
        admin_url: String,
    },
    #[cfg(feature = "sqlite")]
    File(PathBuf),
    /// The connection keeping the in-memory database alive.
    #[cfg(feature = "sqlite")]
    Memory(sqlx::SqliteConnection),
}

impl TestDatabase {
    /// The URL of this database, for `Pool::connect` and the like.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name: the database's on a server, the file's stem or the
    /// in-memory database's name on SQLite.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the template it was copied from: a database on a
    /// server, a file's stem on SQLite (see the module docs).
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Keeps the database (it is not dropped with this value) and returns
    /// its URL.
    pub fn keep(mut self) -> String {
        self.place = None;
        std::mem::take(&mut self.url)
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

/// The template of one migration set, named by its key.
pub(super) struct Template {
    /// `migrate_template_<key>`.
    pub(super) name: String,
    /// `migrate_building_<key>`: the name it is built under.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
    pub(super) building: String,
    /// The key's first hex digits, in test databases' names.
    pub(super) short_key: String,
}

impl Template {
    pub(super) fn of(migrator: &Migrator<'_>) -> Template {
        let key: String = migrator.outcome_digest()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Template::with_key(&key)
    }

    pub(super) fn with_key(key: &str) -> Template {
        Template {
            name: format!("{TEMPLATE_PREFIX}{key}"),
            building: format!("{BUILDING_PREFIX}{key}"),
            short_key: key.get(..8).unwrap_or(key).to_owned(),
        }
    }

    /// The template named `name`, or the one spare `name` is a copy of.
    #[cfg(feature = "postgres")]
    pub(super) fn named(name: &str) -> Template {
        let key = name
            .strip_prefix(TEMPLATE_PREFIX)
            .or_else(|| name.strip_prefix(SPARE_PREFIX))
            .unwrap_or(name);
        Template::with_key(key.split('_').next().unwrap_or(key))
    }

    #[cfg(feature = "postgres")]
    pub(super) fn key(&self) -> &str {
        self.name
            .strip_prefix(TEMPLATE_PREFIX)
            .unwrap_or(&self.name)
    }

    /// What the names of this template's spare copies start with.
    #[cfg(feature = "postgres")]
    pub(super) fn spare_prefix(&self) -> String {
        format!("{SPARE_PREFIX}{}_", self.key())
    }

    #[cfg(feature = "postgres")]
    pub(super) fn spare_name(&self) -> String {
        format!("{}{}", self.spare_prefix(), unique_suffix())
    }

    /// A name no other test database has (at most 63 characters, the
    /// PostgreSQL limit).
    pub(super) fn test_database_name(&self) -> String {
        format!(
            "{TEST_DATABASE_PREFIX}{}_{}",
            self.short_key,
            unique_suffix()
        )
    }
}

/// `<owner>_<counter>`, the owner being [`process_owner`]: unique among
/// the processes using a server.
pub(super) fn unique_suffix() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{}_{}",
        process_owner(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// This process: `<pid>_<nanoseconds>` (the clock's when first asked, so
/// that a pid reused, or the same pid on another machine, is another
/// owner). The names of the databases it makes carry it, so that another
/// process can ask the server whether their maker still runs.
pub(super) fn process_owner() -> &'static str {
    static OWNER: LazyLock<String> = LazyLock::new(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        format!("{}_{nanos}", std::process::id())
    });
    &OWNER
}

/// The [`process_owner`] that made the spare or trash database `name`
/// (`<prefix><key>_<owner>_<counter>`), from its name.
#[cfg(feature = "postgres")]
pub(super) fn owner_of(name: &str) -> Option<String> {
    let rest = name
        .strip_prefix(TRASH_PREFIX)
        .or_else(|| name.strip_prefix(SPARE_PREFIX))?;
    let mut parts = rest.split('_').skip(1);
    Some(format!("{}_{}", parts.next()?, parts.next()?))
}

/// The templates this process found complete, by base URL and name, with
/// what copying one needs where the database cannot copy it itself (the
/// MySQL script).
pub(super) type Ready = HashMap<(String, String), Arc<String>>;

pub(super) fn ready() -> std::sync::MutexGuard<'static, Ready> {
    static READY: LazyLock<Mutex<Ready>> = LazyLock::new(Mutex::default);
    READY.lock().unwrap_or_else(PoisonError::into_inner)
}
