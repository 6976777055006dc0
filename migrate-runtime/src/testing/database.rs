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

/// The environment variable naming the [`TestPrefix`] of a process's test
/// databases (read once; `migrate` when unset).
pub const TEST_PREFIX_VARIABLE: &str = "MIGRATE_TEST_PREFIX";

/// What each kind of name says after the prefix. A [`TestPrefix`] may not
/// hold one of these as a word: that keeps every prefix's names apart from
/// every other's (see [`TestPrefix::new`]).
const KINDS: [&str; 5] = [TESTDB, TEMPLATE, BUILDING, TRASH, SPARE];
/// Test databases.
const TESTDB: &str = "testdb";
/// Templates.
const TEMPLATE: &str = "template";
/// Templates being built.
const BUILDING: &str = "building";
/// Passing tests' PostgreSQL databases, waiting to be dropped.
const TRASH: &str = "trash";
/// Copies of a PostgreSQL template made ahead of the tests that claim them.
const SPARE: &str = "spare";

/// The longest prefix: the longest name derived from it, a spare's
/// `<prefix>_spare_<16 hex>_<pid>_<nanoseconds>_<counter>`, stays within
/// PostgreSQL's 63 characters (MySQL's 64) with any `u32` pid and a counter
/// of up to six digits (a million databases made by one process).
pub const TEST_PREFIX_MAX_LEN: usize = 12;

/// The start of every name the test helper gives databases, templates and
/// files: `<prefix>_testdb_…`, `<prefix>_template_…` and so on. Test runs
/// with different prefixes share a server (or a SQLite directory) without
/// touching each other's: [`drop_all`](super::drop_all) and the sweeps of
/// PostgreSQL's trash only ever see their own prefix's names.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TestPrefix(String);

impl TestPrefix {
    /// `prefix` checked: words of lowercase ASCII letters and digits joined
    /// by single `_`, at most [`TEST_PREFIX_MAX_LEN`] characters, and no
    /// word a kind of name (`testdb`, `template`, `building`, `trash`,
    /// `spare`). Names split into words at `_`, so under these rules no
    /// name of one prefix starts with what another prefix's names start
    /// with (`migrate_testdb_…` never matches `migrate_alice_testdb_…`,
    /// nor the reverse).
    pub fn new(prefix: &str) -> Result<TestPrefix, Error> {
        let refuse = |reason: String| {
            Err(Error::InvalidTestPrefix {
                prefix: prefix.to_owned(),
                reason,
            })
        };
        if prefix.len() > TEST_PREFIX_MAX_LEN {
            return refuse(format!(
                "it is {} characters long, more than {TEST_PREFIX_MAX_LEN} (the names made from it must fit PostgreSQL's 63)",
                prefix.len()
            ));
        }
        for word in prefix.split('_') {
            if word.is_empty() {
                return refuse(
                    "it must be words joined by single `_`, with none at either end".into(),
                );
            }
            if let Some(c) = word
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
            {
                return refuse(format!(
                    "it holds {c:?}: only lowercase ASCII letters, digits and `_` are allowed"
                ));
            }
            if KINDS.contains(&word) {
                return refuse(format!(
                    "its word `{word}` is a kind of name the test helper makes (`testdb`, `template`, `building`, `trash`, `spare`)"
                ));
            }
        }
        Ok(TestPrefix(prefix.to_owned()))
    }

    /// The prefix [`TEST_PREFIX_VARIABLE`] names (read once per process),
    /// or `migrate` when it is unset or empty.
    pub fn from_env() -> Result<TestPrefix, Error> {
        static SET: LazyLock<Option<String>> =
            LazyLock::new(|| std::env::var(TEST_PREFIX_VARIABLE).ok());
        match SET.as_deref() {
            None | Some("") => Ok(TestPrefix::default()),
            Some(prefix) => TestPrefix::new(prefix).map_err(|error| match error {
                Error::InvalidTestPrefix { prefix, reason } => Error::InvalidTestPrefix {
                    prefix,
                    reason: format!("{reason} (set in {TEST_PREFIX_VARIABLE})"),
                },
                other => other,
            }),
        }
    }

    /// The prefix itself, e.g. `migrate`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the names of its test databases start with, e.g. `migrate_testdb_`.
    pub fn test_databases(&self) -> String {
        self.of(TESTDB)
    }

    /// What the names of its templates start with, e.g. `migrate_template_`.
    pub fn templates(&self) -> String {
        self.of(TEMPLATE)
    }

    pub(super) fn building(&self) -> String {
        self.of(BUILDING)
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    pub(super) fn trash(&self) -> String {
        self.of(TRASH)
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    pub(super) fn spares(&self) -> String {
        self.of(SPARE)
    }

    /// `<prefix>_<kind>_`.
    fn of(&self, kind: &str) -> String {
        format!("{}_{kind}_", self.0)
    }
}

impl Default for TestPrefix {
    /// `migrate`: names `migrate_testdb_…`, `migrate_template_…`.
    fn default() -> Self {
        TestPrefix("migrate".into())
    }
}

impl fmt::Debug for TestPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for TestPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
        /// The prefix of its name, whose trash it goes to (PostgreSQL).
        prefix: TestPrefix,
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

/// The template of one migration set, named by its key, under a prefix.
pub(super) struct Template {
    pub(super) prefix: TestPrefix,
    /// `<prefix>_template_<key>`.
    pub(super) name: String,
    /// `<prefix>_building_<key>`: the name it is built under.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
    pub(super) building: String,
    /// The digest of the migration set, in hex.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    key: String,
    /// The key's first hex digits, in test databases' names.
    pub(super) short_key: String,
}

impl Template {
    pub(super) fn of(migrator: &Migrator<'_>, prefix: &TestPrefix) -> Template {
        let key: String = migrator.outcome_digest()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Template::with_key(prefix, &key)
    }

    pub(super) fn with_key(prefix: &TestPrefix, key: &str) -> Template {
        Template {
            prefix: prefix.clone(),
            name: format!("{}{key}", prefix.templates()),
            building: format!("{}{key}", prefix.building()),
            key: key.to_owned(),
            short_key: key.get(..8).unwrap_or(key).to_owned(),
        }
    }

    /// The template of `prefix` named `name`, or the one spare `name` is a
    /// copy of.
    #[cfg(feature = "postgres")]
    pub(super) fn named(prefix: &TestPrefix, name: &str) -> Template {
        let key = name
            .strip_prefix(&prefix.templates())
            .or_else(|| name.strip_prefix(&prefix.spares()))
            .unwrap_or(name);
        Template::with_key(prefix, key.split('_').next().unwrap_or(key))
    }

    /// What the names of this template's spare copies start with.
    #[cfg(feature = "postgres")]
    pub(super) fn spare_prefix(&self) -> String {
        format!("{}{}_", self.prefix.spares(), self.key)
    }

    #[cfg(feature = "postgres")]
    pub(super) fn spare_name(&self) -> String {
        format!("{}{}", self.spare_prefix(), unique_suffix())
    }

    /// A name no other test database has (at most 63 characters, the
    /// PostgreSQL limit).
    pub(super) fn test_database_name(&self) -> String {
        format!(
            "{}{}_{}",
            self.prefix.test_databases(),
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
/// of `prefix` (`<prefix>_<kind>_<key>_<owner>_<counter>`), from its name.
#[cfg(feature = "postgres")]
pub(super) fn owner_of(prefix: &TestPrefix, name: &str) -> Option<String> {
    let rest = name
        .strip_prefix(&prefix.trash())
        .or_else(|| name.strip_prefix(&prefix.spares()))?;
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

#[cfg(test)]
mod tests {
    use super::{process_owner, Template, TestPrefix, TEST_PREFIX_MAX_LEN};

    /// The longest prefix's names fit PostgreSQL's 63 characters (MySQL's
    /// 64) with each name's [`unique_suffix`](super::unique_suffix) at its
    /// longest: a `u32` pid, nanoseconds and a six-digit counter.
    #[test]
    fn the_longest_names_fit_the_servers_limits() {
        let longest_suffix = format!("{}_{}_{}", u32::MAX, 999_999_999, 999_999);
        let at_longest = |name: String| {
            let suffix = name.find(process_owner()).expect("a unique suffix");
            format!("{}{longest_suffix}", &name[..suffix])
        };
        let prefix = TestPrefix::new(&"p".repeat(TEST_PREFIX_MAX_LEN)).unwrap();
        let template = Template::with_key(&prefix, &"f".repeat(16));
        let test_database = template.test_database_name();
        let names = [
            template.name.clone(),
            template.building.clone(),
            at_longest(test_database.clone()),
            #[cfg(feature = "postgres")]
            at_longest(super::super::upkeep::trash_name(&prefix, &test_database)),
            #[cfg(feature = "postgres")]
            at_longest(template.spare_name()),
        ];
        for name in &names {
            assert!(name.len() <= 63, "{name}: {} characters", name.len());
        }
        // Tight: a spare's name, the longest, is 63 characters.
        #[cfg(feature = "postgres")]
        assert_eq!(names.iter().map(String::len).max(), Some(63));
    }
}
