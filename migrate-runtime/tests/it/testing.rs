//! `migrata::testing` on every backend: a test database has the
//! migrations applied, test databases are independent, the template is built
//! once when tasks and processes race, a passing test's database is dropped
//! and a failing test's is kept with its name printed. SQLite also in memory.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{owned_migrations, profile, server_url, test_process, Conn, Location};
use migrata::testing::{TestDatabase, TestPrefix, TEST_PREFIX_VARIABLE};
use migrata::{BackendKind, Error, Migration, Migrator};

const CHILD_ENV: &str = "MIGRATE_TESTING_CHILD";
/// The names of the default prefix, `migrate` (these tests run with
/// `MIGRATE_TEST_PREFIX` unset).
const TEMPLATE_PREFIX: &str = "migrate_template_";
const TEST_DATABASE_PREFIX: &str = "migrate_testdb_";

/// Where a test's test databases go: the server's URL, or a fresh
/// directory (SQLite files), or SQLite's memory.
struct Base {
    kind: BackendKind,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Base {
    fn new(kind: BackendKind, test: &str) -> Option<Base> {
        match &profile(kind).location {
            Location::File { .. } => {
                let dir = tempfile::tempdir().unwrap();
                Some(Base {
                    kind,
                    url: format!("sqlite://{}", dir.path().display()),
                    _dir: Some(dir),
                })
            }
            Location::Server(server) => Some(Base {
                kind,
                url: server_url(server.url_env, test)?,
                _dir: None,
            }),
        }
    }

    fn memory() -> Base {
        Base {
            kind: BackendKind::Sqlite,
            url: "sqlite::memory:".into(),
            _dir: None,
        }
    }

    /// Removes a template these tests made (a directory's go with it).
    async fn drop_template(&self, template: &str) {
        assert!(template.starts_with(TEMPLATE_PREFIX), "{template}");
        match (self.kind, self.url.as_str()) {
            (BackendKind::Postgres, url) => {
                let mut conn = Conn::open(url).await;
                conn.execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
                    .await;
                conn.execute(&format!("DROP DATABASE {template}")).await;
                // The copies made ahead of demand (a copy still being made
                // when the template went is dropped by a later sweep).
                let key = template.strip_prefix(TEMPLATE_PREFIX).unwrap();
                for spare in conn
                    .strings(&format!(
                        "SELECT datname::text FROM pg_database WHERE datname LIKE 'migrate\\_spare\\_{key}\\_%'"
                    ))
                    .await
                {
                    conn.execute(&format!("DROP DATABASE IF EXISTS {spare}")).await;
                }
                conn.close().await;
            }
            (BackendKind::MySql, url) => {
                let mut conn = Conn::open(url).await;
                conn.execute(&format!("DROP DATABASE {template}")).await;
                conn.close().await;
            }
            (_, "sqlite::memory:") => {
                let dir = migrata::testing::scratch_directory();
                for file in [format!("{template}.sqlite3"), format!("{template}.lock")] {
                    std::fs::remove_file(dir.join(file)).unwrap();
                }
            }
            _ => {}
        }
    }

    /// Drops test database `name`.
    async fn drop_database(&self, name: &str) {
        assert!(name.starts_with(TEST_DATABASE_PREFIX), "{name}");
        match self.url.strip_prefix("sqlite://") {
            Some(dir) => {
                std::fs::remove_file(std::path::Path::new(dir).join(format!("{name}.sqlite3")))
                    .unwrap()
            }
            None => {
                let mut conn = Conn::open(&self.url).await;
                conn.execute(&format!("DROP DATABASE {name}")).await;
                conn.close().await;
            }
        }
    }

    /// The databases (on SQLite, the files in the directory, or in the
    /// scratch directory for `sqlite::memory:`) whose names start with
    /// `prefix`, sorted.
    async fn names_starting_with(&self, prefix: &str) -> Vec<String> {
        let sql = match self.kind {
            BackendKind::Postgres => format!(
                "SELECT datname::text FROM pg_database WHERE left(datname, {}) = '{prefix}' ORDER BY datname",
                prefix.len()
            ),
            BackendKind::MySql => format!(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, {}) = '{prefix}' ORDER BY SCHEMA_NAME",
                prefix.len()
            ),
            _ => {
                let dir = match self.url.strip_prefix("sqlite://") {
                    Some(dir) => std::path::PathBuf::from(dir),
                    None => migrata::testing::scratch_directory(),
                };
                let mut names: Vec<String> = std::fs::read_dir(dir)
                    .unwrap()
                    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|name| name.starts_with(prefix))
                    .collect();
                names.sort();
                return names;
            }
        };
        let mut conn = Conn::open(&self.url).await;
        let names = conn.strings(&sql).await;
        conn.close().await;
        names
    }

    /// Whether test database `name` exists.
    async fn has_database(&self, name: &str) -> bool {
        assert!(name.starts_with(TEST_DATABASE_PREFIX), "{name}");
        let sql = match self.kind {
            BackendKind::Postgres => {
                format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")
            }
            BackendKind::MySql => format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
            ),
            _ => {
                let dir = self.url.strip_prefix("sqlite://").unwrap();
                return std::path::Path::new(dir)
                    .join(format!("{name}.sqlite3"))
                    .exists();
            }
        };
        let mut conn = Conn::open(&self.url).await;
        let count = conn.scalar(&sql).await;
        conn.close().await;
        count == 1
    }
}

/// A migration set of its own (so a template of its own): the first
/// migration records a random build id, which every copy of one build
/// shares, then users with a seed row, and posts referring to them.
fn migration_set(kind: BackendKind) -> Vec<Migration> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nonce = format!(
        "{}-{}-{:?}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
    );
    migration_set_with(kind, &nonce)
}

fn migration_set_with(kind: BackendKind, nonce: &str) -> Vec<Migration> {
    let random = match kind {
        BackendKind::Sqlite => "CAST(random() AS TEXT)",
        BackendKind::Postgres => "random()::text",
        _ => "UUID()",
    };
    owned_migrations(&[
        (
            "0001_build.sql".into(),
            format!("-- {nonce}\nCREATE TABLE build (id VARCHAR(64) NOT NULL);\nINSERT INTO build (id) VALUES ({random});\n"),
        ),
        (
            "0002_users.sql".into(),
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE);\nINSERT INTO users (id, email) VALUES (1, 'seed@example.com');\n".into(),
        ),
        (
            "0003_posts.sql".into(),
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), title VARCHAR(100) NOT NULL);\n".into(),
        ),
    ])
}

async fn build_id(db: &TestDatabase) -> String {
    let mut conn = Conn::open(db.url()).await;
    let ids = conn.strings("SELECT id FROM build").await;
    conn.close().await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids.into_iter().next().unwrap()
}

async fn test_database(migrations: &[Migration], base: &Base) -> TestDatabase {
    Migrator::new(migrations)
        .test_database(&base.url)
        .await
        .unwrap_or_else(|error| panic!("test database on {}: {error}", base.kind))
}

async fn has_the_migrations_applied(base: Base) {
    let set = migration_set(base.kind);
    let db = test_database(&set, &base).await;
    assert!(db.name().starts_with(TEST_DATABASE_PREFIX), "{}", db.name());
    let mut conn = Conn::open(db.url()).await;
    let history = conn
        .history("SELECT version, name, checksum, success FROM migrate_history ORDER BY version")
        .await;
    let expected: Vec<(i64, String, String, bool)> = set
        .iter()
        .map(|m| (m.version, m.name.to_string(), m.checksum.to_string(), true))
        .collect();
    assert_eq!(history, expected);
    assert_eq!(
        conn.strings("SELECT email FROM users").await,
        ["seed@example.com"]
    );
    conn.execute("INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')")
        .await;
    conn.close().await;
    // Running the migrator on it finds nothing to do.
    let report = Migrator::new(&set).run(db.url()).await.unwrap();
    assert!(report.applied.is_empty(), "{report:?}");
    let template = db.template().to_owned();
    db.discard().await.unwrap();
    base.drop_template(&template).await;
}

async fn are_independent(base: Base) {
    let set = migration_set(base.kind);
    let first = test_database(&set, &base).await;
    let second = test_database(&set, &base).await;
    assert_ne!(first.name(), second.name());
    assert_ne!(first.url(), second.url());
    assert_eq!(first.template(), second.template());
    // Copies of one build.
    assert_eq!(build_id(&first).await, build_id(&second).await);

    let mut conn = Conn::open(first.url()).await;
    conn.execute("INSERT INTO users (id, email) VALUES (2, 'first@example.com')")
        .await;
    conn.close().await;
    let mut conn = Conn::open(second.url()).await;
    assert_eq!(conn.scalar("SELECT count(*) FROM users").await, 1);
    conn.execute("DROP TABLE posts").await;
    conn.close().await;
    let mut conn = Conn::open(first.url()).await;
    assert_eq!(conn.scalar("SELECT count(*) FROM users").await, 2);
    assert_eq!(conn.scalar("SELECT count(*) FROM posts").await, 0);
    conn.close().await;

    // And of the template: a third copy has neither change.
    let third = test_database(&set, &base).await;
    let mut conn = Conn::open(third.url()).await;
    assert_eq!(conn.scalar("SELECT count(*) FROM users").await, 1);
    assert_eq!(conn.scalar("SELECT count(*) FROM posts").await, 0);
    conn.close().await;

    let template = first.template().to_owned();
    for db in [first, second, third] {
        db.discard().await.unwrap();
    }
    base.drop_template(&template).await;
}

/// A passing test's database is gone when its value is dropped.
async fn are_dropped_after_passing(base: Base) {
    let set = migration_set(base.kind);
    let db = test_database(&set, &base).await;
    let name = db.name().to_owned();
    let template = db.template().to_owned();
    if base.url != "sqlite::memory:" {
        assert!(base.has_database(&name).await);
    }
    // A connection still open does not stop the drop (PostgreSQL ends its
    // session; the others let it be), except in memory, where it keeps the
    // database alive.
    let mut conn = Conn::open(db.url()).await;
    assert_eq!(conn.scalar("SELECT count(*) FROM users").await, 1);
    if base.url == "sqlite::memory:" {
        conn.close().await;
        drop(db);
    } else {
        drop(db);
        drop(conn);
    }
    if base.url == "sqlite::memory:" {
        // Nothing kept it alive: the name now opens an empty database.
        let mut conn = Conn::open(&format!("sqlite:///{name}?vfs=memdb&mode=rwc")).await;
        assert_eq!(conn.scalar("SELECT count(*) FROM sqlite_master").await, 0);
        conn.close().await;
    } else {
        assert!(!base.has_database(&name).await, "{name} was not dropped");
    }
    base.drop_template(&template).await;
}

/// Many tasks and several processes ask for a database of one new
/// migration set at once: every copy comes from one build.
async fn build_the_template_once_when_racing(base: Base) {
    let nonce = format!("race-{}", std::process::id());
    let nonce = format!("{nonce}-{:?}", std::time::SystemTime::now());
    let set = migration_set_with(base.kind, &nonce);
    let children: Vec<_> = (0..3)
        .map(|_| {
            test_process(module_path!(), "child")
                .env(CHILD_ENV, format!("build\n{}\n{nonce}", base.url))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let set = set.clone();
            let url = base.url.clone();
            tokio::spawn(async move { Migrator::new(&set).test_database(&url).await.unwrap() })
        })
        .collect();
    let mut builds = Vec::new();
    let mut dbs = Vec::new();
    for task in tasks {
        let db = task.await.unwrap();
        builds.push(build_id(&db).await);
        dbs.push(db);
    }
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("BUILD "))
            .unwrap_or_else(|| panic!("no BUILD line in {stdout}"));
        builds.push(line.to_owned());
    }
    builds.dedup();
    assert_eq!(builds.len(), 1, "copies of different builds: {builds:?}");
    let template = dbs[0].template().to_owned();
    for db in dbs {
        db.discard().await.unwrap();
    }
    base.drop_template(&template).await;
}

/// A failing test's database is kept, and its name printed to stderr.
async fn are_kept_after_failing(base: Base) {
    let nonce = format!(
        "fail-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let output = test_process(module_path!(), "child")
        .env(CHILD_ENV, format!("fail\n{}\n{nonce}", base.url))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the child test passed: {stderr}");
    assert!(stderr.contains("the failing test's assertion"), "{stderr}");
    let kept = stderr
        .lines()
        .find(|line| line.starts_with("migrata: the test failed, so its database"))
        .unwrap_or_else(|| panic!("no kept line in {stderr}"));
    let name = kept
        .split_whitespace()
        .find(|word| word.starts_with(TEST_DATABASE_PREFIX))
        .unwrap();
    let url = kept
        .split(" was kept: ")
        .nth(1)
        .and_then(|rest| rest.split(" (drop it").next())
        .unwrap();
    // Still there, with its data.
    let mut conn = Conn::open(url).await;
    assert_eq!(
        conn.strings("SELECT email FROM users").await,
        ["seed@example.com"]
    );
    conn.close().await;
    if base.url == "sqlite::memory:" {
        let path = url.strip_prefix("sqlite://").unwrap();
        assert!(path.ends_with(&format!("{name}.sqlite3")), "{path}");
        std::fs::remove_file(path).unwrap();
    } else {
        assert!(base.has_database(name).await);
        base.drop_database(name).await;
    }
    let set = migration_set_with(base.kind, &nonce);
    let db = test_database(&set, &base).await;
    let template = db.template().to_owned();
    db.discard().await.unwrap();
    base.drop_template(&template).await;
}

/// MySQL cannot copy a database: the copy script recreates tables with
/// their foreign keys, generated columns and AUTO_INCREMENT position, rows,
/// views (one reading another, which sorts before it by name) over the
/// copy's own tables, triggers and functions.
#[tokio::test]
async fn mysql_copies_every_object() {
    let Some(base) = Base::new(BackendKind::MySql, "mysql_copies_every_object") else {
        return;
    };
    let nonce = format!(
        "objects-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let set = owned_migrations(&[
        (
            "0001_tables.sql".into(),
            format!("-- {nonce}\n\
             CREATE TABLE parents (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, name_upper VARCHAR(50) AS (UPPER(name)) STORED);\n\
             CREATE TABLE children (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, CONSTRAINT children_parent FOREIGN KEY (parent_id) REFERENCES parents (id));\n\
             CREATE TABLE audit (what VARCHAR(50) NOT NULL);\n\
             INSERT INTO parents (name) VALUES ('ann'), ('bob');\n\
             INSERT INTO children (parent_id) VALUES (1);\n"),
        ),
        (
            "0002_objects.sql".into(),
            "CREATE TRIGGER parents_audit AFTER INSERT ON parents FOR EACH ROW INSERT INTO audit (what) VALUES (NEW.name);\n\
             CREATE VIEW parent_names AS SELECT name FROM parents;\n\
             CREATE VIEW a_sorted_names AS SELECT name FROM parent_names ORDER BY name;\n\
             CREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC RETURN CONCAT(UPPER(s), '!');\n"
                .into(),
        ),
    ]);
    let db = test_database(&set, &base).await;
    let mut conn = Conn::open(db.url()).await;
    assert_eq!(
        conn.strings("SELECT name_upper FROM parents ORDER BY id")
            .await,
        ["ANN", "BOB"]
    );
    assert_eq!(conn.scalar("SELECT COUNT(*) FROM children").await, 1);
    conn.execute("INSERT INTO parents (name) VALUES ('cy')")
        .await;
    assert_eq!(conn.scalar("SELECT MAX(id) FROM parents").await, 3);
    assert_eq!(conn.strings("SELECT what FROM audit").await, ["cy"]);
    assert_eq!(
        conn.strings("SELECT name FROM a_sorted_names").await,
        ["ann", "bob", "cy"]
    );
    assert_eq!(conn.strings("SELECT shout('hey')").await, ["HEY!"]);
    conn.close().await;
    let mut conn = <sqlx::MySqlConnection as sqlx::Connection>::connect(db.url())
        .await
        .unwrap();
    let orphan = sqlx::raw_sql("INSERT INTO children (parent_id) VALUES (99)")
        .execute(&mut conn)
        .await;
    let error = orphan.expect_err("the foreign key holds in the copy");
    assert!(error.to_string().contains("children_parent"), "{error}");
    sqlx::Connection::close(conn).await.unwrap();
    // The template is untouched.
    let mut conn = Conn::open(&crate::common::url_with_database(&base.url, db.template())).await;
    assert_eq!(conn.scalar("SELECT COUNT(*) FROM parents").await, 2);
    assert_eq!(conn.scalar("SELECT COUNT(*) FROM audit").await, 0);
    conn.close().await;
    let template = db.template().to_owned();
    db.discard().await.unwrap();
    base.drop_template(&template).await;
}

/// MariaDB: a test database has the template's sequences, at the
/// template's position, its own (a column's `DEFAULT NEXTVAL(…)` draws from
/// the copy's), and its events: two copies draw the same values and the
/// template's sequence does not move.
#[tokio::test]
async fn mariadb_copies_have_sequences_and_events_of_their_own() {
    let test = "mariadb_copies_have_sequences_and_events_of_their_own";
    let Some(base) = Base::new(BackendKind::MySql, test) else {
        return;
    };
    let mut conn = Conn::open(&base.url).await;
    let version = conn.strings("SELECT VERSION()").await.remove(0);
    conn.close().await;
    if !version.contains("MariaDB") {
        eprintln!("SKIPPED: {test}: sequences are MariaDB's, the server is {version}");
        return;
    }
    let nonce = format!(
        "sequences-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let set = owned_migrations(&[(
        "0001_tickets.sql".into(),
        format!(
            "-- {nonce}\n\
             CREATE SEQUENCE ticket_ids START WITH 100;\n\
             CREATE TABLE tickets (id BIGINT NOT NULL DEFAULT NEXTVAL(ticket_ids) PRIMARY KEY, what VARCHAR(20) NOT NULL);\n\
             INSERT INTO tickets (what) VALUES ('seed');\n\
             CREATE EVENT tidy_tickets ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM tickets WHERE what = 'old';\n"
        ),
    )]);
    let first = test_database(&set, &base).await;
    let second = test_database(&set, &base).await;
    let template_url = crate::common::url_with_database(&base.url, first.template());
    let position = "SELECT next_not_cached_value FROM ticket_ids";
    let mut conn = Conn::open(&template_url).await;
    let template_before = conn.scalar(position).await;
    conn.close().await;

    let mut drawn = Vec::new();
    for db in [&first, &second] {
        let mut conn = Conn::open(db.url()).await;
        assert_eq!(
            conn.scalar(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ticket_ids' AND TABLE_TYPE = 'SEQUENCE'"
            )
            .await,
            1,
            "{}: no sequence of its own",
            db.name()
        );
        assert_eq!(
            conn.scalar(
                "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'tidy_tickets'"
            )
            .await,
            1,
            "{}: no event",
            db.name()
        );
        conn.execute("INSERT INTO tickets (what) VALUES ('mine')")
            .await;
        conn.execute("INSERT INTO tickets (what) VALUES ('mine')")
            .await;
        drawn.push(
            conn.strings("SELECT CAST(id AS CHAR) FROM tickets ORDER BY id")
                .await,
        );
        conn.close().await;
    }
    assert_eq!(drawn[0], drawn[1], "the copies drew from one sequence");
    assert_eq!(drawn[0].len(), 3, "{drawn:?}");
    assert!(drawn[0][0] < drawn[0][1], "{drawn:?}");
    let mut conn = Conn::open(&template_url).await;
    assert_eq!(conn.scalar(position).await, template_before);
    assert_eq!(conn.scalar("SELECT COUNT(*) FROM tickets").await, 1);
    conn.close().await;
    let template = first.template().to_owned();
    first.discard().await.unwrap();
    second.discard().await.unwrap();
    base.drop_template(&template).await;
}

static SAMPLE: migrata::Migrations = migrata::embed_migrations!("migrations");
const MACRO_URL_ENV: &str = "MIGRATE_TESTING_MACRO_URL";

/// Not tests: what `the_macro_follows_the_cleanup_rules` runs in child
/// processes, through `#[migrata::test]`.
mod by_macro {
    use migrata::testing::TestDatabase;

    async fn report(db: &TestDatabase) {
        let mut conn = super::Conn::open(db.url()).await;
        assert_eq!(conn.scalar("SELECT count(*) FROM migrate_history").await, 4);
        conn.close().await;
        println!("\nDATABASE {} TEMPLATE {}", db.name(), db.template());
    }

    #[migrata::test(super::SAMPLE, url = "MIGRATE_TESTING_MACRO_URL")]
    #[ignore = "run by the_macro_follows_the_cleanup_rules"]
    async fn passes(db: &TestDatabase) {
        report(db).await;
    }

    #[migrata::test(super::SAMPLE, url = "MIGRATE_TESTING_MACRO_URL")]
    #[ignore = "run by the_macro_follows_the_cleanup_rules"]
    async fn returns_ok(db: &TestDatabase) -> Result<(), String> {
        report(db).await;
        Ok(())
    }

    #[migrata::test(super::SAMPLE, url = "MIGRATE_TESTING_MACRO_URL")]
    #[ignore = "run by the_macro_follows_the_cleanup_rules"]
    async fn returns_err(db: &TestDatabase) -> Result<(), String> {
        report(db).await;
        Err("the failing test's error".into())
    }

    #[migrata::test(super::SAMPLE, url = "MIGRATE_TESTING_MACRO_URL")]
    #[ignore = "run by the_macro_follows_the_cleanup_rules"]
    async fn panics(db: &TestDatabase) {
        report(db).await;
        panic!("the failing test's assertion");
    }
}

/// `#[migrata::test]`: a passing test's database (returning `()`
/// or `Ok`) is dropped; one that panics or returns `Err` is kept and named.
async fn the_macro_follows_the_cleanup_rules(base: Base) {
    let mut template = None;
    for (test, passes) in [
        ("passes", true),
        ("returns_ok", true),
        ("returns_err", false),
        ("panics", false),
    ] {
        let output = test_process(module_path!(), &format!("by_macro::{test}"))
            .env(MACRO_URL_ENV, &base.url)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.success(),
            passes,
            "{test}: {stdout}\n{stderr}"
        );
        let words: Vec<&str> = stdout
            .lines()
            .find_map(|line| line.strip_prefix("DATABASE "))
            .unwrap_or_else(|| panic!("{test}: no DATABASE line in {stdout}"))
            .split(' ')
            .collect();
        let [name, "TEMPLATE", used] = words[..] else {
            panic!("{test}: {words:?}");
        };
        template = Some(used.to_owned());
        let kept = stderr.contains(&format!("its database {name} was kept"));
        assert_eq!(kept, !passes, "{test}: {stderr}");
        if base.url == "sqlite::memory:" {
            let saved = migrata::testing::scratch_directory().join(format!("{name}.sqlite3"));
            assert_eq!(saved.exists(), !passes, "{test}: {}", saved.display());
            if !passes {
                std::fs::remove_file(saved).unwrap();
            }
            continue;
        }
        assert_eq!(base.has_database(name).await, !passes, "{test}: {name}");
        if !passes {
            base.drop_database(name).await;
        }
    }
    if let Some(template) = template {
        base.drop_template(&template).await;
    }
}

/// Not a test: what the child processes above run.
#[tokio::test]
#[ignore = "run by the tests above in child processes"]
async fn child() {
    let spec = std::env::var(CHILD_ENV).expect("runs only as a child process");
    let [mode, url, nonce]: [&str; 3] =
        spec.splitn(3, '\n').collect::<Vec<_>>().try_into().unwrap();
    let kind = BackendKind::from_url(url).unwrap();
    let set = migration_set_with(kind, nonce);
    // A test binary's whole run: passing tests, then the end.
    let tests = match mode {
        "once" => 1,
        "short" => 3,
        _ => 0,
    };
    if tests > 0 {
        let mut dbs = Vec::new();
        for _ in 0..tests {
            dbs.push(Migrator::new(&set).test_database(url).await.unwrap());
        }
        println!("\nSHORT {} {}", std::process::id(), dbs[0].template());
        for db in dbs {
            db.discard().await.unwrap();
        }
        return;
    }
    let db = Migrator::new(&set).test_database(url).await.unwrap();
    match mode {
        "build" => {
            println!("\nBUILD {}", build_id(&db).await);
            db.discard().await.unwrap();
        }
        _ => {
            let _db = db;
            panic!("the failing test's assertion");
        }
    }
}

/// In-memory test databases with `TMPDIR` set to a directory of the
/// test's: the scratch directory is created there, or the one planted
/// there is refused.
#[cfg(unix)]
#[tokio::test]
async fn the_scratch_directory_is_private_to_its_user() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrate-testing-tester");
    let attempt = || {
        let output = test_process(module_path!(), "scratch_child")
            .env(CHILD_ENV, "scratch")
            .env("TMPDIR", tmp.path())
            .env("USER", "tester")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .find_map(|line| line.strip_prefix("SCRATCH "))
            .unwrap_or_else(|| panic!("no SCRATCH line in {stdout}"))
            .to_owned()
    };
    // Made where it was missing, owner-only, and used.
    assert_eq!(attempt(), "used");
    let made = std::fs::symlink_metadata(&dir).unwrap();
    assert!(made.is_dir());
    assert_eq!(made.permissions().mode() & 0o777, 0o700);
    let used = std::fs::read_dir(&dir).unwrap().count();
    assert!(used > 0, "no template in {}", dir.display());

    // Others may write in it: refused.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = attempt();
    assert!(refused.contains(&dir.display().to_string()), "{refused}");
    assert!(refused.contains("mode is 777"), "{refused}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();

    // Another user's (only root can give it away): refused.
    if made.uid() == 0 {
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        let refused = attempt();
        assert!(refused.contains("owned by uid 65534"), "{refused}");
        std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
    }

    // A link to a directory, even a private one: refused.
    let real = tmp.path().join("elsewhere");
    std::fs::rename(&dir, &real).unwrap();
    std::os::unix::fs::symlink(&real, &dir).unwrap();
    let refused = attempt();
    assert!(refused.contains("not a directory"), "{refused}");
    // Nothing new was written through it.
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), used);
}

/// Not a test: what `the_scratch_directory_is_private_to_its_user` runs in
/// a child process, whose `TMPDIR` it sets.
#[tokio::test]
#[ignore = "run by the_scratch_directory_is_private_to_its_user"]
async fn scratch_child() {
    assert_eq!(std::env::var(CHILD_ENV).as_deref(), Ok("scratch"));
    let set = migration_set(BackendKind::Sqlite);
    match Migrator::new(&set).test_database("sqlite::memory:").await {
        Ok(db) => {
            db.discard().await.unwrap();
            println!("\nSCRATCH used");
        }
        Err(error) => println!("\nSCRATCH refused: {error}"),
    }
}

/// `drop_all` on a SQLite directory removes the kept test databases, the
/// template and its lock, and nothing else there. (On a server, under the
/// default prefix, it would drop the databases of the tests running beside
/// it: `prefixes_keep_test_runs_apart` runs it under prefixes of its own.)
#[tokio::test]
async fn drop_all_removes_what_tests_leave_in_a_sqlite_directory() {
    let base = Base::new(BackendKind::Sqlite, "").unwrap();
    let dir = base.url.strip_prefix("sqlite://").unwrap().to_owned();
    let set = migration_set(BackendKind::Sqlite);
    let kept = test_database(&set, &base).await;
    let kept_name = kept.name().to_owned();
    let template = kept.template().to_owned();
    let _url = kept.keep();
    std::fs::write(std::path::Path::new(&dir).join("app.db"), "").unwrap();

    let removed = migrata::testing::drop_all(&base.url).await.unwrap();
    assert_eq!(
        removed,
        [
            format!("{template}.lock"),
            format!("{template}.sqlite3"),
            format!("{kept_name}.sqlite3"),
        ]
    );
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["app.db"]);
    // Nothing left to remove.
    assert!(migrata::testing::drop_all(&base.url)
        .await
        .unwrap()
        .is_empty());
}

/// PostgreSQL databases named like `pattern` (`LIKE`).
async fn postgres_databases(base: &Base, pattern: &str) -> Vec<String> {
    let mut conn = Conn::open(&base.url).await;
    let names = conn
        .strings(&format!(
            "SELECT datname::text FROM pg_database WHERE datname LIKE '{pattern}' ORDER BY datname"
        ))
        .await;
    conn.close().await;
    names
}

/// Polls until `done` holds for the databases named like `pattern`, for
/// at most 60 s (the upkeep thread's pace is the server's).
async fn wait_for_databases(
    base: &Base,
    pattern: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let names = postgres_databases(base, pattern).await;
        if done(&names) {
            return names;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pattern}: still {names:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// On PostgreSQL a test claims a copy made ahead of demand by renaming it,
/// a passing test's database is renamed into the trash and dropped by the
/// process's upkeep thread, and the spares of a template that is gone are
/// dropped by the next sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_spares_are_claimed_and_the_trash_is_dropped() {
    let kind = BackendKind::Postgres;
    let Some(base) = Base::new(
        kind,
        "postgres::spares_are_claimed_and_the_trash_is_dropped",
    ) else {
        return;
    };
    let set = migration_set(kind);
    let first = test_database(&set, &base).await;
    let key = first
        .template()
        .strip_prefix(TEMPLATE_PREFIX)
        .unwrap()
        .to_owned();
    let spares = format!("migrate\\_spare\\_{key}\\_%");
    let ready = wait_for_databases(&base, &spares, |names| names.len() == 2).await;

    let second = test_database(&set, &base).await;
    let after = postgres_databases(&base, &spares).await;
    let claimed: Vec<&String> = ready
        .iter()
        .filter(|spare| !after.contains(spare))
        .collect();
    assert_eq!(claimed.len(), 1, "before {ready:?}, after {after:?}");
    assert_eq!(build_id(&first).await, build_id(&second).await);
    // A copy nobody has used: the template's seed row and nothing else.
    let mut conn = Conn::open(second.url()).await;
    assert_eq!(conn.scalar("SELECT count(*) FROM users").await, 1);
    assert_eq!(conn.scalar("SELECT count(*) FROM posts").await, 0);
    conn.close().await;

    // Retired (a session left open is ended), then dropped in the background.
    let names = [first.name().to_owned(), second.name().to_owned()];
    let open = Conn::open(first.url()).await;
    first.discard().await.unwrap();
    drop(second);
    drop(open);
    for name in &names {
        assert!(!base.has_database(name).await, "{name} is still there");
        let trash = name.replacen(TEST_DATABASE_PREFIX, "migrate_trash_", 1);
        wait_for_databases(&base, &trash, |names| names.is_empty()).await;
    }

    // Its template gone, the spares are dropped by the next sweep, which
    // the next retired database asks for.
    let mut conn = Conn::open(&base.url).await;
    let template = format!("{TEMPLATE_PREFIX}{key}");
    conn.execute(&format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"))
        .await;
    conn.execute(&format!("DROP DATABASE {template}")).await;
    conn.close().await;
    let other = test_database(&migration_set(kind), &base).await;
    let other_template = other.template().to_owned();
    other.discard().await.unwrap();
    wait_for_databases(&base, &spares, |names| names.is_empty()).await;
    base.drop_template(&other_template).await;
}

/// PostgreSQL, test processes that end as soon as their tests pass, before
/// their upkeep thread has dropped anything: each one's trash is dropped by
/// the next one's first test database, so the trash does not grow across
/// runs, and the build of the template leaves spares for the next run.
#[tokio::test]
async fn postgres_trash_of_ended_processes_is_dropped_by_the_next_run() {
    let kind = BackendKind::Postgres;
    let Some(base) = Base::new(
        kind,
        "postgres_trash_of_ended_processes_is_dropped_by_the_next_run",
    ) else {
        return;
    };
    let nonce = format!(
        "short-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let mut pids: Vec<String> = Vec::new();
    let mut template = String::new();
    for run in 0..4 {
        // The first builds the template and ends after one test.
        let mode = if run == 0 { "once" } else { "short" };
        let output = test_process(module_path!(), "child")
            .env(CHILD_ENV, format!("{mode}\n{}\n{nonce}", base.url))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "run {run}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("SHORT "))
            .unwrap_or_else(|| panic!("run {run}: no SHORT line in {stdout}"));
        let (pid, used) = line.split_once(' ').unwrap();
        template = used.to_owned();
        let key = template.strip_prefix(TEMPLATE_PREFIX).unwrap();
        if run == 0 {
            // The build's two, less the one its test claimed.
            let spares = postgres_databases(&base, &format!("migrate\\_spare\\_{key}\\_%")).await;
            assert!(!spares.is_empty(), "no spare left by the build");
        }
        pids.push(pid.to_owned());
        let trash =
            postgres_databases(&base, &format!("migrate\\_trash\\_{}\\_%", &key[..8])).await;
        // At most what the last run left: never an earlier run's.
        for earlier in &pids[..run] {
            let marker = format!("_{earlier}_");
            assert!(
                trash.iter().all(|name| !name.contains(&marker)),
                "run {run}: the trash of process {earlier} is still there: {trash:?}"
            );
        }
        assert!(trash.len() <= 3, "run {run}: {trash:?}");
    }
    // The last run's trash (the next run would drop it).
    let key = template.strip_prefix(TEMPLATE_PREFIX).unwrap().to_owned();
    let mut conn = Conn::open(&base.url).await;
    for name in postgres_databases(&base, &format!("migrate\\_trash\\_{}\\_%", &key[..8])).await {
        conn.execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
    }
    conn.close().await;
    base.drop_template(&template).await;
}

/// Two prefixes on one server (or in one directory) each get a template
/// and test databases of their own, and `drop_all` under one drops all of
/// its own names and none of the other's, on PostgreSQL templates (which
/// cannot be dropped while marked as templates) and spares included. The
/// prefixes are `t<pid>` and `t<pid>_al`: every name of the second starts
/// with `t<pid>_`, so a match on the first prefix alone would take them.
async fn prefixes_keep_test_runs_apart(base: Base) {
    let set = migration_set(base.kind);
    let migrator = Migrator::new(&set);
    let short = TestPrefix::new(&format!("t{}", std::process::id())).unwrap();
    let long = TestPrefix::new(&format!("{short}_al")).unwrap();
    let mut kept = Vec::new();
    for prefix in [&short, &long] {
        let db = prefix.test_database(&migrator, &base.url).await.unwrap();
        assert!(db.name().starts_with(&prefix.test_databases()), "{db:?}");
        assert!(db.template().starts_with(&prefix.templates()), "{db:?}");
        kept.push((db.name().to_owned(), db.template().to_owned()));
        // What a failed test leaves.
        let _url = db.keep();
    }
    let [(short_db, short_template), (long_db, long_template)] = <[_; 2]>::try_from(kept).unwrap();
    assert_ne!(short_template, long_template);
    let is_memory = base.url == "sqlite::memory:";
    if base.kind == BackendKind::Postgres {
        // The upkeep threads idle (a spare in the making would outlive a
        // `drop_all`): each prefix's two spares ready.
        for prefix in [&short, &long] {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while base
                .names_starting_with(&format!("{prefix}_spare_"))
                .await
                .len()
                != 2
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{prefix}: no two spares"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        let mut conn = Conn::open(&base.url).await;
        let marked = conn
            .scalar(&format!(
                "SELECT count(*) FROM pg_database WHERE datname = '{long_template}' AND datistemplate"
            ))
            .await;
        conn.close().await;
        assert_eq!(marked, 1, "{long_template} is not marked as a template");
    }
    let shared = format!("{short}_");
    let long_names = base.names_starting_with(&format!("{long}_")).await;
    assert!(
        long_names
            .iter()
            .any(|name| name.starts_with(&long_template)),
        "{long_names:?}"
    );

    let dropped = short.drop_all(&base.url).await.unwrap();
    assert!(
        dropped.iter().any(|name| name.starts_with(&short_template)),
        "{dropped:?}"
    );
    if !is_memory {
        assert!(
            dropped.iter().any(|name| name.starts_with(&short_db)),
            "{dropped:?}"
        );
    }
    assert!(
        dropped
            .iter()
            .all(|name| name.starts_with(&shared) && !name.starts_with(&format!("{long}_"))),
        "{dropped:?}"
    );
    // The other prefix's names all there, and nothing else of the first's.
    assert_eq!(base.names_starting_with(&shared).await, long_names);

    let dropped = long.drop_all(&base.url).await.unwrap();
    assert!(
        dropped.iter().any(|name| name.starts_with(&long_template)),
        "{dropped:?}"
    );
    if !is_memory {
        assert!(
            dropped.iter().any(|name| name.starts_with(&long_db)),
            "{dropped:?}"
        );
    }
    assert_eq!(
        base.names_starting_with(&shared).await,
        Vec::<String>::new()
    );
}

/// What a prefix may be: words of lowercase letters and digits joined by
/// single `_`, none a kind of name, short enough for every name made from
/// it; anything else is refused with [`Error::InvalidTestPrefix`].
#[test]
fn test_prefixes_are_checked() {
    for good in ["migrate", "alice", "mig_alice", "ci2_proj", "abcdefghijkl"] {
        let prefix = TestPrefix::new(good).unwrap();
        assert_eq!(prefix.as_str(), good);
        assert_eq!(prefix.test_databases(), format!("{good}_testdb_"));
        assert_eq!(prefix.templates(), format!("{good}_template_"));
    }
    assert_eq!(TestPrefix::default(), TestPrefix::new("migrate").unwrap());
    assert_eq!(TestPrefix::default().templates(), TEMPLATE_PREFIX);
    assert_eq!(TestPrefix::default().test_databases(), TEST_DATABASE_PREFIX);
    for (bad, why) in [
        ("", "words joined"),
        ("Alice", "'A'"),
        ("al-ice", "'-'"),
        ("_alice", "words joined"),
        ("alice_", "words joined"),
        ("al__ice", "words joined"),
        ("mig_testdb", "`testdb`"),
        ("spare", "`spare`"),
        ("a_template_b", "`template`"),
        ("abcdefghijklm", "13 characters"),
    ] {
        match TestPrefix::new(bad) {
            Err(error @ Error::InvalidTestPrefix { .. }) => {
                let message = error.to_string();
                assert!(message.contains(why), "{bad:?}: {message}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

/// `MIGRATE_TEST_PREFIX` names the prefix of a process's test databases;
/// an invalid one fails the test database with the variable named.
#[tokio::test]
async fn the_test_prefix_is_read_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().display());
    let attempt = |prefix: &str| {
        let output = test_process(module_path!(), "prefix_child")
            .env(CHILD_ENV, &url)
            .env(TEST_PREFIX_VARIABLE, prefix)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .find_map(|line| line.strip_prefix("PREFIX "))
            .unwrap_or_else(|| panic!("no PREFIX line in {stdout}"))
            .to_owned()
    };
    let name = attempt("alice");
    assert!(name.starts_with("test database alice_testdb_"), "{name}");
    let refused = attempt("migrate_spare");
    assert!(
        refused.starts_with("refused: invalid test database prefix \"migrate_spare\"")
            && refused.contains(TEST_PREFIX_VARIABLE),
        "{refused}"
    );
    // The template, named after the prefix, is what `drop_all` removes.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.is_empty() && left.iter().all(|name| name.starts_with("alice_template_")),
        "{left:?}"
    );
}

/// Not a test: what the test above runs in child processes.
#[tokio::test]
#[ignore = "run by the_test_prefix_is_read_from_the_environment"]
async fn prefix_child() {
    let url = std::env::var(CHILD_ENV).expect("runs only as a child process");
    let set = migration_set(BackendKind::Sqlite);
    match Migrator::new(&set).test_database(&url).await {
        Ok(db) => {
            println!("\nPREFIX test database {}", db.name());
            db.discard().await.unwrap();
        }
        Err(error) => println!("\nPREFIX refused: {error}"),
    }
}

macro_rules! scenarios {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite_file {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $scenario() {
                super::$scenario(super::Base::new(migrata::BackendKind::Sqlite, "").unwrap()).await
            } )*
        }
        mod sqlite_memory {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $scenario() {
                super::$scenario(super::Base::memory()).await
            } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $scenario() {
                let kind = migrata::BackendKind::Postgres;
                if let Some(base) = super::Base::new(kind, &format!("{kind}::{}", stringify!($scenario))) {
                    super::$scenario(base).await
                }
            } )*
        }
        mod mysql {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $scenario() {
                let kind = migrata::BackendKind::MySql;
                if let Some(base) = super::Base::new(kind, &format!("{kind}::{}", stringify!($scenario))) {
                    super::$scenario(base).await
                }
            } )*
        }
    };
}

scenarios!(
    has_the_migrations_applied,
    are_independent,
    are_dropped_after_passing,
    build_the_template_once_when_racing,
    are_kept_after_failing,
    the_macro_follows_the_cleanup_rules,
    prefixes_keep_test_runs_apart,
);
