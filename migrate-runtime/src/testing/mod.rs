//! A fresh, migrated database for each test, in a time that does not grow
//! with the number of migrations (feature `testing`).
//!
//! [`Migrations::test_database`] (or [`Migrator::test_database`], for a
//! migrator with options) returns a [`TestDatabase`] of its own for the
//! calling test, with every migration applied; the attribute
//! [`#[migrata::test]`](crate::test) hands one to an async test. The migrations are applied
//! once per migration set to a *template*; each test database is a copy of
//! it:
//!
//! With the default [prefix](#prefixes), `migrate`:
//!
//! | base URL | template | test database |
//! | --- | --- | --- |
//! | `postgres://…/db` | database `migrate_template_<key>` on that server | a copy made ahead of demand (`migrate_spare_<key>_…`) renamed to `migrate_testdb_…`, or if none is ready `CREATE DATABASE migrate_testdb_… TEMPLATE migrate_template_<key>` |
//! | `mysql://…/db` | database `migrate_template_<key>` on that server | a new database filled by a script read once per process from the template: its `SHOW CREATE` statements (tables, MariaDB's sequences at the template's position, views, triggers, routines, events), rewritten to name the copy's objects where the server named the template's, and an `INSERT … SELECT` per table |
//! | `sqlite://DIR` | file `DIR/migrate_template_<key>.sqlite3` | a copy of that file, `DIR/migrate_testdb_….sqlite3` |
//! | `sqlite::memory:` | the same file, in the [`scratch_directory`] (private to the user) | an in-memory database (SQLite's `memdb`, shared by the connections of this process), filled with `VACUUM INTO` from the template |
//!
//! The server URL's own database (`db` above) is only used to manage the
//! others, so its user needs the right to create databases.
//!
//! ```
//! static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // In a test, with the base URL from e.g. the environment:
//! let db = MIGRATIONS.test_database("sqlite::memory:").await?;
//! let pool = sqlx::SqlitePool::connect(db.url()).await?;
//! let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM migrate_history").fetch_one(&pool).await?;
//! assert_eq!(applied, MIGRATIONS.all().len() as i64);
//! pool.close().await;
//! // Dropped here: a passing test's database is removed, a failing test's is kept.
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```
//!
//! # The template
//!
//! Its name carries a key: a digest of the crate version, each migration's
//! version, name and checksum (up to the migrator's target), the version
//! table's name and the session setup. Change a migration and the next test
//! builds a new template; change nothing and every later test run, of any
//! test binary, clones the template already there. Building it is
//! serialized across processes by the database's own lock (PostgreSQL: an
//! advisory lock; MySQL: `GET_LOCK`; SQLite: a lock on the file
//! `migrate_template_<key>.lock`), so test binaries running in parallel
//! build it once. A template is complete before it can be cloned: on
//! PostgreSQL and SQLite it is built under another name
//! (`migrate_building_<key>`) and renamed when every migration has
//! succeeded; on MySQL, which cannot rename a database, each process runs
//! the migrator on the template under the lock before its first copy, which
//! finishes a build that was cut off (or rebuilds one left with a failed
//! migration).
//!
//! # Cleanup rules
//!
//! - A test database is dropped when its [`TestDatabase`] is dropped, at the
//!   end of a passing test; [`TestDatabase::discard`] does it at once and
//!   reports errors (`Drop` can only print them). On PostgreSQL the test
//!   waits only for a rename: the database is closed to new sessions, the
//!   ones left open are ended, and it is renamed to `migrate_trash_…`,
//!   which a thread of the test process drops (`DROP DATABASE` takes from
//!   20 ms to half a second). A process often ends before that thread is
//!   done: the trash it left is dropped by the next test process's first
//!   test database on that server, which waits for it. The names of trash
//!   carry the process that made it, and that process's thread holds a
//!   mark of it on the server (a session-level advisory lock, freed when
//!   the process ends however it ends), so that only the trash of ended
//!   processes is dropped so, never the trash of a process still running.
//!   The trash thus holds only what the processes still running left, and
//!   what those that ended since a process last started left.
//! - On PostgreSQL the same thread keeps two copies of each template in use
//!   ready (`migrate_spare_<key>_…`), so that a test claims one by renaming
//!   it instead of waiting for `CREATE DATABASE`, which copies the whole
//!   template. They outlive the process, to serve the next run; the build
//!   of a template makes its first two itself, before its first test
//!   database, so that even a process that ends at once leaves them. The
//!   spares of a template that was dropped are dropped with the trash.
//! - When the test fails (the value is dropped while the thread panics) the
//!   database is **kept**, and its name and URL are printed to stderr, which
//!   the test harness shows with the failure. An in-memory database is first
//!   saved to a file in the [`scratch_directory`], whose path is printed. [`TestDatabase::keep`] keeps one explicitly.
//! - Test databases of a process that was killed, and kept ones, stay until
//!   removed: every name starts with `migrate_testdb_` (the prefix's), and
//!   [`drop_all`] drops them together with the prefix's templates (a
//!   PostgreSQL one unmarked as a template first), spares and trash (run it
//!   while no test of the prefix runs). Templates are otherwise never
//!   dropped, so that the next run reuses them; one is left behind per
//!   migration set tested (on PostgreSQL with its two spares).
//!
//! # Prefixes
//!
//! Every name above starts with `migrate_`: the default [`TestPrefix`].
//! The environment variable `MIGRATE_TEST_PREFIX` ([`TEST_PREFIX_VARIABLE`],
//! read once per process) names another, e.g. `alice` for `alice_testdb_…`
//! and `alice_template_…`; [`TestPrefix::test_database`] and
//! [`TestPrefix::drop_all`] take one in code. Test runs with different
//! prefixes share a server or a directory without touching each other's
//! databases: templates, spares, trash (each process's mark is held per
//! prefix) and [`drop_all`] are the prefix's own. [`TestPrefix::new`] says
//! which prefixes are accepted, and why those rules keep any two apart.

#[cfg(any(feature = "postgres", feature = "mysql"))]
mod admin;
mod database;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod server;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod trace;
#[cfg(feature = "postgres")]
mod upkeep;

pub use database::{TestDatabase, TestPrefix, TEST_PREFIX_MAX_LEN, TEST_PREFIX_VARIABLE};
#[cfg(feature = "sqlite")]
pub use sqlite::scratch_directory;

use crate::error::Error;
use crate::migrations::Migrations;
use crate::migrator::Migrator;
use crate::model::BackendKind;
use crate::url::redact_url;
use database::{not_compiled, ready, Place, Template};

impl Migrations {
    /// A database of the calling test's own, with every migration applied,
    /// on the server (or in the SQLite directory, or in memory) `base_url`
    /// names; see the [`testing`](crate::testing) module for how, and for
    /// when it is dropped.
    pub async fn test_database(&self, base_url: &str) -> Result<TestDatabase, Error> {
        self.migrator().test_database(base_url).await
    }
}

impl Migrator<'_> {
    /// [`Migrations::test_database`] with this migrator's options: its
    /// version table, target and session setup are part of the template's
    /// key. Names start with the [`TestPrefix::from_env`].
    pub async fn test_database(&self, base_url: &str) -> Result<TestDatabase, Error> {
        TestPrefix::from_env()?.test_database(self, base_url).await
    }
}

impl TestPrefix {
    /// [`Migrator::test_database`] under this prefix instead of the
    /// environment's: its template, spares and test databases are its own.
    pub async fn test_database(
        &self,
        migrator: &Migrator<'_>,
        base_url: &str,
    ) -> Result<TestDatabase, Error> {
        let template = Template::of(migrator, self);
        match BackendKind::from_url(base_url)? {
            #[cfg(feature = "sqlite")]
            BackendKind::Sqlite => sqlite::test_database(migrator, &template, base_url).await,
            #[cfg(feature = "postgres")]
            BackendKind::Postgres => server::postgres(migrator, &template, base_url).await,
            #[cfg(feature = "mysql")]
            BackendKind::MySql => server::mysql(migrator, &template, base_url).await,
            #[allow(unreachable_patterns)]
            kind => Err(not_compiled(kind)),
        }
    }

    /// [`drop_all`] for the names of this prefix.
    pub async fn drop_all(&self, base_url: &str) -> Result<Vec<String>, Error> {
        let dropped = match BackendKind::from_url(base_url)? {
            #[cfg(feature = "sqlite")]
            BackendKind::Sqlite => sqlite::drop_all(self, base_url)?,
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            BackendKind::Postgres | BackendKind::MySql => server::drop_all(self, base_url).await?,
            #[allow(unreachable_patterns)]
            kind => return Err(not_compiled(kind)),
        };
        ready().clear();
        Ok(dropped)
    }
}

/// Drops every test database and template of the [`TestPrefix::from_env`]
/// on the server (or in the SQLite directory) `base_url` names, with
/// PostgreSQL's spares and trash, and returns their names: the leftovers
/// of failed tests and killed processes. Names of other prefixes are left
/// alone. Run it while no test of this prefix runs: a test cloning a
/// template at that moment fails. For `sqlite::memory:` it removes the
/// templates in the [`scratch_directory`].
pub async fn drop_all(base_url: &str) -> Result<Vec<String>, Error> {
    TestPrefix::from_env()?.drop_all(base_url).await
}

impl TestDatabase {
    /// Drops the database now, reporting what `Drop` could only print.
    /// Close your pools first on MySQL, where an open transaction delays
    /// `DROP DATABASE` (PostgreSQL ends the sessions still connected).
    pub async fn discard(mut self) -> Result<(), Error> {
        match self.place.take() {
            Some(place) => place.remove(&self.name).await,
            None => Ok(()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(place) = self.place.take() else {
            return;
        };
        if std::thread::panicking() {
            report_kept(&self.name, &self.url, blocking(place.keep(&self.name)));
        } else if let Err(error) = blocking(place.remove(&self.name)) {
            eprintln!(
                "migrata: could not drop the test database {}: {error}",
                self.name
            );
        }
    }
}

/// Tells the failed test's output which database was kept, and where.
fn report_kept(name: &str, url: &str, kept: Result<Option<String>, String>) {
    match kept {
        Ok(saved) => eprintln!(
            "migrata: the test failed, so its database {name} was kept: {} \
             (drop it by hand, or every leftover with migrata::testing::drop_all)",
            saved.unwrap_or_else(|| redact_url(url))
        ),
        Err(error) => {
            eprintln!(
                "migrata: could not keep the failed test's in-memory database {name}: {error}"
            )
        }
    }
}

impl Place {
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_variables)
    )]
    async fn remove(self, name: &str) -> Result<(), Error> {
        match self {
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Place::Server {
                kind,
                admin_url,
                prefix,
            } => server::drop_database(kind, &admin_url, &prefix, name).await,
            #[cfg(feature = "sqlite")]
            Place::File(path) => sqlite::remove_database_file(&path),
            #[cfg(feature = "sqlite")]
            Place::Memory(keeper) => {
                let _ = sqlx::Connection::close(keeper).await;
                Ok(())
            }
        }
    }

    /// Makes the database outlive the test where it would not: an
    /// in-memory one is saved to a file, whose URL is returned.
    async fn keep(self, name: &str) -> Result<Option<String>, Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Place::Memory(keeper) => sqlite::save_to_file(keeper, name).await.map(Some),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = name;
                Ok(None)
            }
        }
    }
}

/// Runs `future` to completion from `Drop`, inside a runtime or not: on a
/// thread of its own with a runtime of its own (the test's runtime is busy
/// dropping the value, and may be a current-thread one). Errors come back
/// as text, for printing.
fn blocking<T: Send>(
    future: impl std::future::Future<Output = Result<T, Error>> + Send,
) -> Result<T, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| format!("cannot start a runtime: {error}"))?;
                runtime.block_on(future).map_err(|error| error.to_string())
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// What a test returned: `()` passes, a `Result` passes when it is `Ok`.
#[doc(hidden)]
pub trait __TestOutcome {
    fn passed(&self) -> bool;
}

impl __TestOutcome for () {
    fn passed(&self) -> bool {
        true
    }
}

impl<T, E> __TestOutcome for Result<T, E> {
    fn passed(&self) -> bool {
        self.is_ok()
    }
}

/// The body of every `#[migrata::test]`: a database for the test
/// from the base URL in `url_variable`, the test on a runtime of its own,
/// then the cleanup rules (a test that panicked or returned `Err` keeps its
/// database). Failing to get a database fails the test, naming why.
#[doc(hidden)]
pub fn __run_test<T: __TestOutcome>(
    migrations: &Migrations,
    url_variable: &str,
    test_path: &str,
    test: impl AsyncFnOnce(&TestDatabase) -> T,
) -> T {
    let Ok(base_url) = std::env::var(url_variable) else {
        panic!(
            "{test_path}: set {url_variable} to the base URL of test databases \
             (postgres://user@host/postgres, mysql://user@host/mysql, sqlite://DIR or sqlite::memory:)"
        );
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("{test_path}: cannot start a runtime: {error}"));
    runtime.block_on(async {
        let mut db = migrations
            .test_database(&base_url)
            .await
            .unwrap_or_else(|error| panic!("{test_path}: no test database: {error}"));
        // A panic in the test drops `db` while unwinding: kept.
        let outcome = test(&db).await;
        match (outcome.passed(), db.place.take()) {
            (true, Some(place)) => {
                if let Err(error) = place.remove(&db.name).await {
                    eprintln!(
                        "migrata: could not drop the test database {}: {error}",
                        db.name
                    );
                }
            }
            (false, Some(place)) => {
                let kept = place
                    .keep(&db.name)
                    .await
                    .map_err(|error| error.to_string());
                report_kept(&db.name, &db.url, kept);
            }
            (_, None) => {}
        }
        outcome
    })
}
