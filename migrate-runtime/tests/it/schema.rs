//! The schema model end to end, on every database: a dump is a fixpoint
//! (dump → apply to an empty database → dump again gives the same text and
//! the same model), a migrated database shows no drift, and each change
//! made by hand is reported as exactly that change. The databases' own
//! cases are in `schema_sqlite`, `schema_postgres` and `schema_mysql`.

use std::path::{Path, PathBuf};

use migrata::schema::{Change, Schema};
use migrata::{BackendKind, Migration, Migrator};

use crate::common::{profile, server_url, test_name, Conn, Location};

/// Where scratch databases for `kind` are made: in memory for SQLite, the
/// test server for the others (`None`, after a `SKIPPED:` line, without one).
pub fn scratch_base(kind: BackendKind, test: &str) -> Option<String> {
    match &profile(kind).location {
        Location::File { .. } => Some("sqlite::memory:".to_owned()),
        Location::Server(server) => server_url(server.url_env, test),
    }
}

/// The migrations of a directory under this crate, as the standalone CLI
/// reads them.
pub fn load(dir: &str) -> Vec<Migration> {
    migrata_core::load_dir(&manifest_dir().join(dir))
        .unwrap_or_else(|errors| panic!("{dir}: {errors}"))
}

pub fn manifest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// The fixpoint and zero-drift checks over `migrations` on the server (or
/// in-memory SQLite) `base`; returns the schema they produce.
pub async fn round_trip(migrations: &[Migration], base: &str) -> Schema {
    round_trip_with(&Migrator::new(migrations), base).await
}

/// [`round_trip`] with the migrator given (a session setup of its own).
pub async fn round_trip_with(migrator: &Migrator<'_>, base: &str) -> Schema {
    let schema = migrator.schema(base).await.expect("the migrations' schema");
    let dump = schema.to_sql();

    let empty = Migrator::new(&[])
        .test_database(base)
        .await
        .expect("an empty database");
    let mut conn = Conn::open(empty.url()).await;
    conn.execute(&dump).await;
    conn.close().await;
    let reloaded = Migrator::new(&[])
        .at(empty.url())
        .inspect()
        .await
        .expect("the reloaded schema");
    empty.discard().await.expect("dropped");
    assert_same_dump(&dump, &reloaded.to_sql());
    assert_eq!(
        reloaded, schema,
        "the dump renders the same, but reads back as another model"
    );

    let live = migrator
        .test_database(base)
        .await
        .expect("a migrated database");
    let drift = migrator
        .at(live.url())
        .drift(base)
        .await
        .expect("drift read");
    live.discard().await.expect("dropped");
    assert!(
        drift.is_empty(),
        "a freshly migrated database drifts:\n{}",
        drift
            .differences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    schema
}

/// Equal dumps, or a failure showing the first lines that differ.
pub fn assert_same_dump(first: &str, second: &str) {
    if first == second {
        return;
    }
    let (a, b): (Vec<_>, Vec<_>) = (first.lines().collect(), second.lines().collect());
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let window = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 5).min(lines.len())].join("\n");
    panic!(
        "the dump is not a fixpoint: line {} differs\n--- first dump\n{}\n--- dump of the reloaded dump\n{}",
        at + 1,
        window(&a),
        window(&b)
    );
}

/// A hand change, per database, and the one difference drift must report:
/// `(verb, kind, path)` with PostgreSQL's `public.` left out.
struct HandChange {
    what: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    mysql: &'static str,
    expected: (&'static str, &'static str, &'static str),
}

const HAND_CHANGES: &[HandChange] = &[
    HandChange {
        what: "add an index",
        sqlite: "CREATE INDEX notes_by_title ON notes (title)",
        postgres: "CREATE INDEX notes_by_title ON notes (title)",
        mysql: "CREATE INDEX notes_by_title ON notes (title)",
        expected: ("added", "index", "notes.notes_by_title"),
    },
    HandChange {
        what: "drop an index",
        sqlite: "DROP INDEX notes_by_user",
        postgres: "DROP INDEX notes_by_user",
        mysql: "DROP INDEX notes_by_user ON notes",
        expected: ("removed", "index", "notes.notes_by_user"),
    },
    HandChange {
        what: "drop a column",
        sqlite: "ALTER TABLE users DROP COLUMN bio",
        postgres: "ALTER TABLE users DROP COLUMN bio",
        mysql: "ALTER TABLE users DROP COLUMN bio",
        expected: ("removed", "column", "users.bio"),
    },
    HandChange {
        what: "add a column",
        sqlite: "ALTER TABLE users ADD COLUMN age INTEGER",
        postgres: "ALTER TABLE users ADD COLUMN age integer",
        mysql: "ALTER TABLE users ADD COLUMN age INT",
        expected: ("added", "column", "users.age"),
    },
    HandChange {
        what: "change a default",
        sqlite: "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT 'nobody', bio TEXT); \
                 INSERT INTO users_new SELECT * FROM users; DROP VIEW named_users; DROP TABLE users; ALTER TABLE users_new RENAME TO users; \
                 CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous'",
        postgres: "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'nobody'",
        mysql: "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'nobody'",
        expected: ("changed", "column", "users.name"),
    },
    HandChange {
        what: "change a column's type",
        sqlite: "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name VARCHAR(50) NOT NULL DEFAULT 'anonymous', bio TEXT); \
                 INSERT INTO users_new SELECT * FROM users; DROP VIEW named_users; DROP TABLE users; ALTER TABLE users_new RENAME TO users; \
                 CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous'",
        postgres: "ALTER TABLE notes ALTER COLUMN body TYPE varchar(1000)",
        mysql: "ALTER TABLE notes MODIFY COLUMN body VARCHAR(1000)",
        expected: ("changed", "column", "*.*"),
    },
    HandChange {
        what: "allow NULL",
        sqlite: "CREATE TABLE notes_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, title TEXT, body TEXT); \
                 INSERT INTO notes_new SELECT * FROM notes; DROP TABLE notes; ALTER TABLE notes_new RENAME TO notes; \
                 CREATE INDEX notes_by_user ON notes (user_id)",
        postgres: "ALTER TABLE notes ALTER COLUMN title DROP NOT NULL",
        mysql: "ALTER TABLE notes MODIFY COLUMN title VARCHAR(200) NULL",
        expected: ("changed", "column", "notes.title"),
    },
    HandChange {
        what: "add a table",
        sqlite: "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)",
        postgres: "CREATE TABLE audit (id integer PRIMARY KEY, what text)",
        mysql: "CREATE TABLE audit (id INT PRIMARY KEY, what TEXT)",
        expected: ("added", "table", "audit"),
    },
    HandChange {
        what: "alter a view",
        sqlite: "DROP VIEW named_users; CREATE VIEW named_users AS SELECT id, name, email FROM users WHERE name <> 'anonymous'",
        postgres: "CREATE OR REPLACE VIEW named_users AS SELECT id, name, email FROM users WHERE name <> 'anonymous'",
        mysql: "CREATE OR REPLACE VIEW named_users AS SELECT id, name, email FROM users WHERE name <> 'anonymous'",
        expected: ("changed", "view", "named_users"),
    },
    HandChange {
        what: "add a check",
        sqlite: "CREATE TABLE notes_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, title TEXT NOT NULL, body TEXT, CHECK (length(title) > 0)); \
                 INSERT INTO notes_new SELECT * FROM notes; DROP TABLE notes; ALTER TABLE notes_new RENAME TO notes; \
                 CREATE INDEX notes_by_user ON notes (user_id)",
        postgres: "ALTER TABLE notes ADD CONSTRAINT title_not_empty CHECK (length(title) > 0)",
        mysql: "ALTER TABLE notes ADD CONSTRAINT title_not_empty CHECK (char_length(title) > 0)",
        expected: ("added", "check constraint", "notes.*"),
    },
    HandChange {
        what: "change a foreign key's action",
        sqlite: "CREATE TABLE notes_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT, title TEXT NOT NULL, body TEXT); \
                 INSERT INTO notes_new SELECT * FROM notes; DROP TABLE notes; ALTER TABLE notes_new RENAME TO notes; \
                 CREATE INDEX notes_by_user ON notes (user_id)",
        postgres: "ALTER TABLE notes DROP CONSTRAINT notes_user_id_fkey, ADD CONSTRAINT notes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT",
        // Two statements: MariaDB refuses to drop and add a foreign key of
        // the same name in one (errno 121, duplicate key).
        mysql: "ALTER TABLE notes DROP FOREIGN KEY notes_user; ALTER TABLE notes ADD CONSTRAINT notes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT",
        expected: ("changed", "foreign key", "notes.*"),
    },
    HandChange {
        what: "drop a unique constraint",
        sqlite: "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL DEFAULT 'anonymous', bio TEXT); \
                 INSERT INTO users_new SELECT * FROM users; DROP VIEW named_users; DROP TABLE users; ALTER TABLE users_new RENAME TO users; \
                 CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous'",
        postgres: "ALTER TABLE users DROP CONSTRAINT users_email_key",
        mysql: "ALTER TABLE users DROP INDEX email",
        expected: ("removed", "*", "users.*"),
    },
];

/// Each hand change, on a migrated database of its own, is the one
/// difference drift reports.
async fn drift_reports_each_hand_change(kind: BackendKind) {
    let test = test_name(module_path!(), "drift_reports_each_hand_change");
    let Some(base) = scratch_base(kind, &test) else {
        return;
    };
    let migrations = load(&format!("tests/schema-fixtures/drift/{}", kind.name()));
    let migrator = Migrator::new(&migrations);
    for change in HAND_CHANGES {
        let sql = match kind {
            BackendKind::Sqlite => change.sqlite,
            BackendKind::Postgres => change.postgres,
            _ => change.mysql,
        };
        let db = migrator
            .test_database(&base)
            .await
            .expect("a migrated database");
        let mut conn = Conn::open(db.url()).await;
        conn.execute(sql).await;
        conn.close().await;
        let drift = migrator
            .at(db.url())
            .drift(&base)
            .await
            .expect("drift read");
        db.discard().await.expect("dropped");
        let found: Vec<(String, &str, String)> = drift
            .differences
            .iter()
            .map(|d| {
                let verb = match d.change {
                    Change::Added(_) => "added",
                    Change::Removed(_) => "removed",
                    Change::Changed { .. } => "changed",
                };
                let path = d.path();
                let path = path.strip_prefix("public.").unwrap_or(&path).to_owned();
                (verb.to_owned(), d.kind(), path)
            })
            .collect();
        let (verb, kind_wanted, path) = change.expected;
        let matches = |(v, k, p): &(String, &str, String)| {
            v == verb
                && migrata_core::wildcard_matches(kind_wanted, k)
                && migrata_core::wildcard_matches(path, p)
        };
        assert!(
            found.len() == 1 && matches(&found[0]),
            "{}: expected exactly `{verb} {kind_wanted} {path}`, drift found {found:?}:\n{}",
            change.what,
            drift
                .differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

async fn drift_fixture_round_trips(kind: BackendKind) {
    let test = test_name(module_path!(), "drift_fixture_round_trips");
    let Some(base) = scratch_base(kind, &test) else {
        return;
    };
    let migrations = load(&format!("tests/schema-fixtures/drift/{}", kind.name()));
    let schema = round_trip(&migrations, &base).await;
    assert_eq!(schema.tables.len(), 2);
    assert_eq!(schema.views.len(), 1);
}

/// The real corpora in `migrate-core/tests/corpora` (and the MariaDB one
/// beside them), each on the database it targets.
pub const CORPORA: &[(BackendKind, &str)] = &[
    (
        BackendKind::Sqlite,
        "../migrate-core/tests/corpora/atuin/crates/atuin-client/migrations",
    ),
    (
        BackendKind::Sqlite,
        "../migrate-core/tests/corpora/atuin/crates/atuin-server-sqlite/migrations",
    ),
    (
        BackendKind::Postgres,
        "../migrate-core/tests/corpora/atuin/crates/atuin-server-postgres/migrations",
    ),
    (
        BackendKind::Postgres,
        "../migrate-core/tests/corpora/crates.io/migrations",
    ),
    (
        BackendKind::Postgres,
        "../migrate-core/tests/corpora/lemmy/migrations",
    ),
    (
        BackendKind::MySql,
        "../migrate-core/tests/corpora/vaultwarden/migrations/mysql",
    ),
];

/// The session setup a corpus's own tool runs its migrations with:
/// vaultwarden turns MySQL's foreign key checks off (its `src/db/mod.rs`),
/// as its first script references a table it creates after.
pub fn corpus_session_setup(dir: &str) -> Option<&'static str> {
    dir.contains("/vaultwarden/")
        .then_some("SET FOREIGN_KEY_CHECKS = 0")
}

/// Corpora whose later migrations need a newer server than some we test
/// on: `(dir, server_version_num needed, the first version needing it,
/// why)`. On an older server the corpus round-trips up to the migration
/// before, and says so.
pub const NEEDS_NEWER_SERVER: &[(&str, i64, i64, &str)] = &[(
    "../migrate-core/tests/corpora/lemmy/migrations",
    160000,
    2025080100001600000,
    "2025-08-01-000016_smoosh-tables-together selects FROM a subquery without an alias, \
     which PostgreSQL accepts from version 16 on",
)];

/// Every corpus of `kind` round-trips; prints objects and time per dump.
async fn corpora_round_trip(kind: BackendKind) {
    let test = test_name(module_path!(), "corpora_round_trip");
    let Some(base) = scratch_base(kind, &test) else {
        return;
    };
    let server_version = match kind {
        BackendKind::Postgres => {
            let mut conn = Conn::open(&base).await;
            let version = conn
                .scalar("SELECT current_setting('server_version_num')::int8")
                .await;
            conn.close().await;
            Some(version)
        }
        _ => None,
    };
    for (_, dir) in CORPORA.iter().filter(|(k, _)| *k == kind) {
        let mut migrations = load(dir);
        for (_, needed, from, why) in NEEDS_NEWER_SERVER.iter().filter(|(d, ..)| d == dir) {
            if let Some(version) = server_version.filter(|version| version < needed) {
                migrations.retain(|migration| migration.version < *from);
                eprintln!(
                    "corpus {dir}: only the {} migrations before version {from} replayed, \
                     the server being version {version}: {why}",
                    migrations.len()
                );
            }
        }
        let mut migrator = Migrator::new(&migrations);
        if let Some(sql) = corpus_session_setup(dir) {
            migrator = migrator.session_setup(sql);
        }
        let started = std::time::Instant::now();
        let schema = round_trip_with(&migrator, &base).await;
        eprintln!(
            "corpus {dir}: {} migrations, {} objects, round trip in {:?}",
            migrations.len(),
            schema.object_count(),
            started.elapsed()
        );
        assert!(schema.object_count() > 0, "{dir}: an empty schema");
    }
}

on_every_backend!(kind: drift_reports_each_hand_change, drift_fixture_round_trips, corpora_round_trip);
