//! Generated migrations on SQLite: for each kind of object and change,
//! the script drafted from a current schema to a wanted one, applied as a
//! migration to a database at the current schema (with rows), gives the
//! wanted schema with the rows kept, and its down script gives the current
//! one back; every script passes the lint. Then the corpora: each
//! migration of atuin's SQLite histories regenerated from the schemas
//! before and after it.

use migrata::lint::{lint, Database, LintOptions, Script};
use migrata::schema::{
    compare, generate, render_steps, Desired, Draft, GenerateOptions, QualifiedName, Rename,
    Schema, Step,
};
use migrata::{BackendKind, Migration, Migrator};

use crate::common::{migrations, owned_migrations, Conn, TestDb};
use crate::schema::{load, CORPORA};

const MEMORY: &str = "sqlite::memory:";

/// The schema most cases start from and edit: two tables with a foreign
/// key between them, a table without a primary key, a named check, plain
/// and partial indexes, a view read by another view, a trigger on a table
/// and one on a view.
const BASE: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT 'anonymous', bio TEXT);
CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, title TEXT NOT NULL, body TEXT, rank INTEGER, CONSTRAINT title_not_empty CHECK (length(title) > 0));
CREATE INDEX notes_by_user ON notes (user_id);
CREATE INDEX notes_by_rank ON notes (rank) WHERE rank IS NOT NULL;
CREATE TABLE memberships (user_id INTEGER NOT NULL REFERENCES users (id), team TEXT NOT NULL);
CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous';
CREATE VIEW named_user_count AS SELECT count(*) AS n FROM named_users;
CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE users SET name = name WHERE id = new.user_id; END;
CREATE TRIGGER named_users_insert INSTEAD OF INSERT ON named_users BEGIN INSERT INTO users (email, name) VALUES (new.name || '@example.com', new.name); END;
";

/// Rows in every table of [`BASE`], some columns NULL.
const SEED: &str = "INSERT INTO users (id, email, name, bio) VALUES (1, 'ann@example.com', 'Ann', NULL), (2, 'bob@example.com', 'Bob', 'hi');
INSERT INTO notes (id, user_id, title, body, rank) VALUES (1, 1, 'first', 'one', 3), (2, 2, 'second', NULL, NULL);
INSERT INTO memberships (user_id, team) VALUES (1, 'red'), (2, 'blue');";

/// [`BASE`] with each `(from, to)` replaced (each `from` must be there).
fn edit(edits: &[(&str, &str)]) -> String {
    let mut sql = BASE.to_owned();
    for (from, to) in edits {
        assert!(sql.contains(from), "`{from}` is not in the base schema");
        sql = sql.replacen(from, to, 1);
    }
    sql
}

fn options(allow_destructive: bool, renames: Vec<Rename>) -> GenerateOptions {
    let mut options = GenerateOptions::default();
    options.allow_destructive = allow_destructive;
    options.renames = renames;
    options
}

async fn schema_of(sql: &str) -> Schema {
    let migrations = migrations(&[("0001_schema.sql", sql)]);
    Migrator::new(&migrations).schema(MEMORY).await.unwrap()
}

/// The differences, one per line (empty: the same schema).
fn differences(expected: &Schema, found: &Schema) -> String {
    compare(expected, found)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lint's report on `script` run after `before` (whose tables are
/// then existing ones, as in production).
fn lint_after(before: &str, script: &str) -> migrata::lint::Report {
    let scripts = [
        Script::new(1, "0001_before.sql", before, false),
        Script::new(2, "0002_generated.sql", script, false),
    ];
    let report = lint(
        &scripts,
        &LintOptions::for_database(Database::Sqlite).after(1),
    );
    assert!(
        !report.has_errors(),
        "lint errors: {:?} {:?}\n{script}",
        report.errors().collect::<Vec<_>>(),
        report.bad_allows,
    );
    report
}

/// The one script of a draft's side (SQLite writes one, in a transaction).
fn only(scripts: &[migrata::schema::GeneratedScript]) -> &str {
    assert_eq!(scripts.len(), 1, "one script: {scripts:#?}");
    assert!(scripts[0].transactional);
    &scripts[0].sql
}

/// A database migrated to `current` and seeded, then to the draft towards
/// `wanted` (its up and down scripts as migration 2).
struct Applied {
    db: TestDb,
    draft: Draft,
    migrations: Vec<Migration>,
    current: Schema,
}

/// Drafts `current` → `wanted`, checks both scripts lint, applies `seed`
/// and the up script as migrations, and checks the schema is `wanted`'s.
async fn apply(
    name: &str,
    current: &str,
    seed: &str,
    wanted: &str,
    options: &GenerateOptions,
) -> Applied {
    let first = migrations(&[("0001_current.sql", current)]);
    let draft = Migrator::new(&first)
        .diff(MEMORY, Desired::Sql(wanted), options)
        .await
        .unwrap();
    let (up, down) = (only(&draft.up).to_owned(), only(&draft.down).to_owned());
    lint_after(current, &up);
    lint_after(wanted, &down);
    let migrations = owned_migrations(&[
        ("0001_current.sql".to_owned(), format!("{current}\n{seed}")),
        ("0002_generated.up.sql".to_owned(), up.clone()),
        ("0002_generated.down.sql".to_owned(), down),
    ]);
    let db = TestDb::create(BackendKind::Sqlite, name).await.unwrap();
    let migrator = Migrator::new(&migrations);
    if let Err(error) = migrator.run(&db.url).await {
        panic!("{name}: the up script failed: {error}\n{up}");
    }
    let found = migrator.at(&db.url).inspect().await.unwrap();
    let wanted = schema_of(wanted).await;
    let differences = differences(&wanted, &found);
    assert!(
        differences.is_empty(),
        "{name}: after up:\n{differences}\n{up}"
    );
    Applied {
        db,
        draft,
        migrations,
        current: schema_of(current).await,
    }
}

impl Applied {
    fn up(&self) -> &str {
        only(&self.draft.up)
    }

    async fn strings(&self, sql: &str) -> Vec<String> {
        let mut conn = Conn::open(&self.db.url).await;
        let rows = conn.strings(sql).await;
        conn.close().await;
        rows
    }

    /// Reverts migration 2 and checks the schema is the current one.
    async fn down(&self, name: &str) {
        let migrator = Migrator::new(&self.migrations);
        let down = only(&self.draft.down);
        if let Err(error) = migrator.at(&self.db.url).revert_last().await {
            panic!("{name}: the down script failed: {error}\n{down}");
        }
        let found = migrator.at(&self.db.url).inspect().await.unwrap();
        let differences = differences(&self.current, &found);
        assert!(
            differences.is_empty(),
            "{name}: after down:\n{differences}\n{down}"
        );
    }
}

/// One change: the wanted schema, text the up script must hold (`ALTER
/// TABLE` where it can, a rebuild where it cannot) and must not.
struct Case {
    what: &'static str,
    current: &'static [(&'static str, &'static str)],
    wanted: &'static [(&'static str, &'static str)],
    holds: &'static [&'static str],
    lacks: &'static [&'static str],
}

const REBUILDS_NOTES: &[&str] = &[
    "CREATE TABLE notes_new",
    "ALTER TABLE notes_new RENAME TO notes",
];
const REBUILDS_USERS: &[&str] = &[
    "CREATE TABLE users_new",
    "ALTER TABLE users_new RENAME TO users",
];
const NO_REBUILD: &[&str] = &["_new"];

const CASES: &[Case] = &[
    Case {
        what: "create a table with a foreign key and an index",
        current: &[],
        wanted: &[("CREATE VIEW named_users", "CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes (id) ON DELETE CASCADE, label TEXT NOT NULL UNIQUE);\nCREATE INDEX tags_by_note ON tags (note_id);\nCREATE VIEW named_users")],
        holds: &["CREATE TABLE tags", "FOREIGN KEY (note_id) REFERENCES notes (id) ON DELETE CASCADE", "CREATE INDEX tags_by_note"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop a table (its index and trigger go with it)",
        current: &[],
        wanted: &[
            ("CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, title TEXT NOT NULL, body TEXT, rank INTEGER, CONSTRAINT title_not_empty CHECK (length(title) > 0));", ""),
            ("CREATE INDEX notes_by_user ON notes (user_id);", ""),
            ("CREATE INDEX notes_by_rank ON notes (rank) WHERE rank IS NOT NULL;", ""),
            ("CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE users SET name = name WHERE id = new.user_id; END;", ""),
        ],
        holds: &["DROP TABLE notes;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "add a nullable column",
        current: &[],
        wanted: &[("bio TEXT)", "bio TEXT, age INTEGER)")],
        holds: &["ALTER TABLE users ADD COLUMN age integer;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "add a NOT NULL column with a constant default",
        current: &[],
        wanted: &[("bio TEXT)", "bio TEXT, karma INTEGER NOT NULL DEFAULT -1)")],
        holds: &["ALTER TABLE users ADD COLUMN karma integer NOT NULL DEFAULT -1;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "add a column with its foreign key",
        current: &[],
        wanted: &[("rank INTEGER,", "rank INTEGER, editor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,")],
        holds: &["ALTER TABLE notes ADD COLUMN editor_id integer REFERENCES users (id) ON DELETE SET NULL;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "add a virtual generated column",
        current: &[],
        wanted: &[("rank INTEGER,", "rank INTEGER, title_length INTEGER AS (length(title)),")],
        holds: &["ADD COLUMN title_length integer GENERATED ALWAYS AS (length(title)) VIRTUAL"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "add a column with a non-constant default (rebuild)",
        current: &[],
        wanted: &[("bio TEXT)", "bio TEXT, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")],
        holds: REBUILDS_USERS,
        lacks: &["ADD COLUMN"],
    },
    Case {
        what: "add a stored generated column (rebuild)",
        current: &[],
        wanted: &[("rank INTEGER,", "rank INTEGER, title_length INTEGER AS (length(title)) STORED,")],
        holds: REBUILDS_NOTES,
        lacks: &["ADD COLUMN"],
    },
    Case {
        what: "drop a column",
        current: &[],
        wanted: &[("name TEXT NOT NULL DEFAULT 'anonymous', bio TEXT)", "name TEXT NOT NULL DEFAULT 'anonymous')")],
        holds: &["ALTER TABLE users DROP COLUMN bio;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop an indexed column (the index first)",
        current: &[],
        wanted: &[("body TEXT, rank INTEGER,", "body TEXT,"), ("CREATE INDEX notes_by_rank ON notes (rank) WHERE rank IS NOT NULL;", "")],
        holds: &["DROP INDEX notes_by_rank;", "ALTER TABLE notes DROP COLUMN rank;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop a unique column (rebuild)",
        current: &[("email TEXT NOT NULL UNIQUE", "email TEXT UNIQUE")],
        wanted: &[("email TEXT NOT NULL UNIQUE, ", ""), ("INSERT INTO users (email, name) VALUES (new.name || '@example.com', new.name)", "INSERT INTO users (name) VALUES (new.name)")],
        holds: REBUILDS_USERS,
        lacks: &["DROP COLUMN"],
    },
    Case {
        what: "change a column's type",
        current: &[],
        wanted: &[("name TEXT NOT NULL DEFAULT 'anonymous'", "name VARCHAR(100) NOT NULL DEFAULT 'anonymous'")],
        holds: REBUILDS_USERS,
        lacks: &[],
    },
    Case {
        what: "allow NULL",
        current: &[],
        wanted: &[("title TEXT NOT NULL", "title TEXT")],
        holds: REBUILDS_NOTES,
        lacks: &[],
    },
    Case {
        what: "change a default",
        current: &[],
        wanted: &[("DEFAULT 'anonymous'", "DEFAULT 'nobody'")],
        holds: REBUILDS_USERS,
        lacks: &[],
    },
    Case {
        what: "change a collation",
        current: &[],
        wanted: &[("email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL UNIQUE COLLATE NOCASE")],
        holds: REBUILDS_USERS,
        lacks: &[],
    },
    Case {
        what: "change a generated column's expression",
        current: &[("rank INTEGER,", "rank INTEGER, title_length INTEGER AS (length(title)),")],
        wanted: &[("rank INTEGER,", "rank INTEGER, title_length INTEGER AS (length(title) * 2),")],
        holds: REBUILDS_NOTES,
        lacks: &[],
    },
    Case {
        what: "make the key AUTOINCREMENT",
        current: &[],
        wanted: &[("users (id INTEGER PRIMARY KEY,", "users (id INTEGER PRIMARY KEY AUTOINCREMENT,")],
        holds: &["CREATE TABLE users_new (\n    id integer PRIMARY KEY AUTOINCREMENT", "sqlite_sequence"],
        lacks: &[],
    },
    Case {
        what: "add a primary key",
        current: &[],
        wanted: &[("team TEXT NOT NULL)", "team TEXT NOT NULL, PRIMARY KEY (user_id, team))")],
        holds: &["CREATE TABLE memberships_new", "PRIMARY KEY (user_id, team)"],
        lacks: &[],
    },
    Case {
        what: "change a primary key",
        current: &[("team TEXT NOT NULL)", "team TEXT NOT NULL, PRIMARY KEY (user_id, team))")],
        wanted: &[("team TEXT NOT NULL)", "team TEXT NOT NULL, PRIMARY KEY (team, user_id))")],
        holds: &["CREATE TABLE memberships_new", "PRIMARY KEY (team, user_id)"],
        lacks: &[],
    },
    Case {
        what: "add a unique constraint",
        current: &[],
        wanted: &[("team TEXT NOT NULL)", "team TEXT NOT NULL, UNIQUE (user_id, team))")],
        holds: &["CREATE TABLE memberships_new", "UNIQUE (user_id, team)"],
        lacks: &[],
    },
    Case {
        what: "drop a unique constraint",
        current: &[],
        wanted: &[("email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL")],
        holds: REBUILDS_USERS,
        lacks: &[],
    },
    Case {
        what: "add a check",
        current: &[],
        wanted: &[("bio TEXT)", "bio TEXT, CHECK (length(email) > 3))")],
        holds: REBUILDS_USERS,
        lacks: &[],
    },
    Case {
        what: "drop a check",
        current: &[],
        wanted: &[(", CONSTRAINT title_not_empty CHECK (length(title) > 0)", "")],
        holds: REBUILDS_NOTES,
        lacks: &[],
    },
    Case {
        what: "change a check",
        current: &[],
        wanted: &[("CHECK (length(title) > 0)", "CHECK (length(title) > 1)")],
        holds: REBUILDS_NOTES,
        lacks: &[],
    },
    Case {
        what: "add a foreign key to an existing column",
        current: &[("memberships (user_id INTEGER NOT NULL REFERENCES users (id),", "memberships (user_id INTEGER NOT NULL,")],
        wanted: &[],
        holds: &["CREATE TABLE memberships_new", "FOREIGN KEY (user_id) REFERENCES users (id)"],
        lacks: &[],
    },
    Case {
        what: "drop a foreign key",
        current: &[],
        wanted: &[("memberships (user_id INTEGER NOT NULL REFERENCES users (id),", "memberships (user_id INTEGER NOT NULL,")],
        holds: &["CREATE TABLE memberships_new"],
        lacks: &["REFERENCES users (id)\n"],
    },
    Case {
        what: "change a foreign key's action",
        current: &[],
        wanted: &[("ON DELETE CASCADE", "ON DELETE RESTRICT")],
        holds: &["REFERENCES users (id) ON DELETE RESTRICT"],
        lacks: &[],
    },
    Case {
        what: "defer a foreign key",
        current: &[],
        wanted: &[("ON DELETE CASCADE", "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED")],
        holds: &["ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"],
        lacks: &[],
    },
    Case {
        what: "create an index (descending, collated)",
        current: &[],
        wanted: &[("CREATE VIEW named_users ", "CREATE INDEX notes_by_title ON notes (title COLLATE NOCASE, id DESC);\nCREATE VIEW named_users ")],
        holds: &["CREATE INDEX notes_by_title ON notes (title COLLATE NOCASE, id DESC);"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop an index",
        current: &[],
        wanted: &[("CREATE INDEX notes_by_user ON notes (user_id);", "")],
        holds: &["DROP INDEX notes_by_user;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "make an index unique",
        current: &[],
        wanted: &[("CREATE INDEX notes_by_user ON notes (user_id)", "CREATE UNIQUE INDEX notes_by_user ON notes (user_id, title)")],
        holds: &["DROP INDEX notes_by_user;", "CREATE UNIQUE INDEX notes_by_user ON notes (user_id, title);"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "change a partial index's condition",
        current: &[],
        wanted: &[("WHERE rank IS NOT NULL", "WHERE rank > 0")],
        holds: &["CREATE INDEX notes_by_rank ON notes (rank) WHERE rank > 0;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "index an expression",
        current: &[],
        wanted: &[("notes_by_user ON notes (user_id)", "notes_by_user ON notes (lower(title), user_id)")],
        holds: &["CREATE INDEX notes_by_user ON notes (lower(title), user_id);"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "create a view",
        current: &[],
        wanted: &[("CREATE TRIGGER notes_touch", "CREATE VIEW note_titles AS SELECT title FROM notes;\nCREATE TRIGGER notes_touch")],
        holds: &["CREATE VIEW note_titles AS SELECT title FROM notes;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop a view read by another (and its trigger)",
        current: &[],
        wanted: &[
            ("CREATE VIEW named_users AS SELECT id, name FROM users WHERE name <> 'anonymous';", ""),
            ("CREATE VIEW named_user_count AS SELECT count(*) AS n FROM named_users;", ""),
            ("CREATE TRIGGER named_users_insert INSTEAD OF INSERT ON named_users BEGIN INSERT INTO users (email, name) VALUES (new.name || '@example.com', new.name); END;", ""),
        ],
        holds: &["DROP TRIGGER named_users_insert;", "DROP VIEW named_user_count;", "DROP VIEW named_users;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "change a view (the view reading it and its trigger come back)",
        current: &[],
        wanted: &[("SELECT id, name FROM users", "SELECT id, name, email FROM users")],
        holds: &["CREATE VIEW named_users AS SELECT id, name, email FROM users", "CREATE VIEW named_user_count", "CREATE TRIGGER named_users_insert"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "create a trigger",
        current: &[],
        wanted: &[("CREATE TRIGGER notes_touch", "CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END;\nCREATE TRIGGER notes_touch")],
        holds: &["CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN\n    SELECT 1;\nEND;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "drop a trigger",
        current: &[],
        wanted: &[("CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN UPDATE users SET name = name WHERE id = new.user_id; END;", "")],
        holds: &["DROP TRIGGER notes_touch;"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "change a trigger",
        current: &[],
        wanted: &[("SET name = name WHERE", "SET bio = bio WHERE")],
        holds: &["DROP TRIGGER notes_touch;", "SET bio = bio"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "make a table STRICT",
        current: &[],
        wanted: &[("team TEXT NOT NULL);", "team TEXT NOT NULL) STRICT;")],
        holds: &["CREATE TABLE memberships_new", ") STRICT;"],
        lacks: &[],
    },
    Case {
        what: "make a table WITHOUT ROWID",
        current: &[("team TEXT NOT NULL);", "team TEXT NOT NULL, PRIMARY KEY (user_id, team));")],
        wanted: &[("team TEXT NOT NULL);", "team TEXT NOT NULL, PRIMARY KEY (user_id, team)) WITHOUT ROWID;")],
        holds: &["CREATE TABLE memberships_new", ") WITHOUT ROWID;"],
        lacks: &[],
    },
    Case {
        what: "create a virtual table",
        current: &[],
        wanted: &[("CREATE VIEW named_users ", "CREATE VIRTUAL TABLE note_search USING fts5(title, body);\nCREATE VIEW named_users ")],
        holds: &["CREATE VIRTUAL TABLE note_search USING fts5(title, body);"],
        lacks: NO_REBUILD,
    },
    Case {
        what: "change a virtual table (created again, empty, and said so)",
        current: &[("CREATE VIEW named_users ", "CREATE VIRTUAL TABLE note_search USING fts5(title, body);\nCREATE VIEW named_users ")],
        wanted: &[("CREATE VIEW named_users ", "CREATE VIRTUAL TABLE note_search USING fts5(title, body, tokenize = 'porter');\nCREATE VIEW named_users ")],
        holds: &["created again EMPTY", "DROP TABLE note_search;", "CREATE VIRTUAL TABLE note_search USING fts5(title, body, tokenize = 'porter');"],
        lacks: NO_REBUILD,
    },
];

fn edited(edits: &[(&str, &str)]) -> String {
    if edits.is_empty() {
        BASE.to_owned()
    } else {
        edit(edits)
    }
}

/// Every case: up gives the wanted schema with every row kept (counted
/// per table, and the rows' ids and a column each, where the tables are
/// in both), writes `ALTER TABLE` or a rebuild as expected, and down gives
/// the current schema back.
#[tokio::test]
async fn each_change_applies_as_drafted_and_reverts() {
    let allow = options(true, Vec::new());
    let fingerprint = "SELECT (SELECT group_concat(id || ':' || name, ',') FROM users) || '|' || \
        coalesce((SELECT group_concat(id || ':' || user_id, ',') FROM notes), '') || '|' || \
        (SELECT group_concat(user_id || ':' || team, ',') FROM memberships)";
    let mut rebuilds = 0;
    for case in CASES {
        let (current, wanted) = (edited(case.current), edited(case.wanted));
        let applied = apply(case.what, &current, SEED, &wanted, &allow).await;
        let up = applied.up();
        for text in case.holds {
            assert!(
                up.contains(text),
                "{}: the up script lacks `{text}`:\n{up}",
                case.what
            );
        }
        for text in case.lacks {
            assert!(
                !up.contains(text),
                "{}: the up script holds `{text}`:\n{up}",
                case.what
            );
        }
        rebuilds += usize::from(up.contains("_new RENAME TO"));
        let kept = "1:Ann,2:Bob|1:1,2:2|1:red,2:blue";
        if wanted.contains("CREATE TABLE notes") {
            assert_eq!(
                applied.strings(fingerprint).await,
                [kept],
                "{}: rows after up",
                case.what
            );
        }
        applied.down(case.what).await;
        if wanted.contains("CREATE TABLE notes") {
            assert_eq!(
                applied.strings(fingerprint).await,
                [kept],
                "{}: rows after down",
                case.what
            );
        }
    }
    assert!(rebuilds >= 15, "the cases rebuild tables: {rebuilds}");
}

/// A rebuild keeps what the copy alone would lose: the rows of child
/// tables (`DROP TABLE` of their parent neither cascades nor is refused,
/// as the runtime runs the migration with foreign keys unenforced and
/// checks them after), an AUTOINCREMENT table's last value, and the row
/// ids of a table without an `INTEGER PRIMARY KEY`.
#[tokio::test]
async fn a_rebuild_keeps_children_sequences_and_row_ids() {
    let current = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);
        CREATE TABLE log (line TEXT);";
    let seed = "INSERT INTO users (name) VALUES ('a'), ('b'), ('c');
        DELETE FROM users WHERE id = 3;
        INSERT INTO notes (user_id) VALUES (1), (2), (2);
        INSERT INTO log (line) VALUES ('x'), ('y'), ('z');
        DELETE FROM log WHERE line = 'y';";
    let wanted = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(20) NOT NULL);
        CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);
        CREATE TABLE log (line TEXT NOT NULL DEFAULT '');";
    let applied = apply(
        "rebuild keeps",
        current,
        seed,
        wanted,
        &options(true, Vec::new()),
    )
    .await;
    assert!(applied
        .up()
        .contains("ALTER TABLE users_new RENAME TO users;"));
    assert!(applied.up().contains("ALTER TABLE log_new RENAME TO log;"));
    let strings = |sql: &'static str| applied.strings(sql);
    assert_eq!(
        strings("SELECT group_concat(user_id, ',') FROM notes").await,
        ["1,2,2"],
        "the children of the rebuilt parent are all there"
    );
    assert_eq!(
        strings("SELECT CAST(seq AS TEXT) FROM sqlite_sequence WHERE name = 'users'").await,
        ["3"]
    );
    assert_eq!(
        strings("SELECT group_concat(rowid || line, ',') FROM log").await,
        ["1x,3z"],
        "row ids kept"
    );
    let mut conn = Conn::open(&applied.db.url).await;
    conn.execute("INSERT INTO users (name) VALUES ('d')").await;
    assert_eq!(
        conn.scalar("SELECT max(id) FROM users").await,
        4,
        "AUTOINCREMENT does not reuse 3"
    );
    conn.close().await;
    applied.down("rebuild keeps").await;
}

/// A rebuild the rows do not fit fails, and the migration's transaction
/// leaves the database as it was: a NULL where the column becomes NOT
/// NULL, a row whose parent is missing where a foreign key is added (found
/// by the runtime's check after the script).
#[tokio::test]
async fn a_rebuild_the_rows_do_not_fit_fails_and_changes_nothing() {
    let cases = [
        (
            "NOT NULL over a NULL",
            edit(&[("bio TEXT)", "bio TEXT NOT NULL DEFAULT '')")]),
            "NOT NULL constraint failed",
        ),
        (
            "a foreign key over an orphan",
            edit(&[(
                "memberships (user_id INTEGER NOT NULL REFERENCES users (id),",
                "memberships (user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,",
            )]),
            "memberships row",
        ),
    ];
    let current = edit(&[(
        "memberships (user_id INTEGER NOT NULL REFERENCES users (id),",
        "memberships (user_id INTEGER NOT NULL,",
    )]);
    let seed = format!("{SEED}\nINSERT INTO memberships (user_id, team) VALUES (99, 'ghost');");
    for (what, wanted, error) in cases {
        let first = migrations(&[("0001_current.sql", &current)]);
        let draft = Migrator::new(&first)
            .diff(MEMORY, Desired::Sql(&wanted), &options(true, Vec::new()))
            .await
            .unwrap();
        let up = only(&draft.up);
        assert!(up.contains("_new RENAME TO"), "{what}: a rebuild:\n{up}");
        let migrations = owned_migrations(&[
            ("0001_current.sql".to_owned(), format!("{current}\n{seed}")),
            ("0002_generated.sql".to_owned(), up.to_owned()),
        ]);
        let db = TestDb::create(BackendKind::Sqlite, what).await.unwrap();
        let migrator = Migrator::new(&migrations);
        let failure = migrator.run(&db.url).await.unwrap_err().to_string();
        assert!(failure.contains(error), "{what}: {failure}");
        let found = migrator.at(&db.url).inspect().await.unwrap();
        assert_eq!(
            differences(&schema_of(&current).await, &found),
            "",
            "{what}: rolled back"
        );
        let mut conn = Conn::open(&db.url).await;
        assert_eq!(
            conn.scalar("SELECT count(*) FROM memberships").await,
            3,
            "{what}"
        );
        conn.close().await;
    }
}

/// Without `allow_destructive`, dropping a table or a column is refused
/// and listed with what to pass; the rest is written, and a table rebuilt
/// for another change keeps the column whose drop was refused, with its
/// values.
#[tokio::test]
async fn destructive_steps_are_refused_and_listed() {
    let wanted = edit(&[
        ("name TEXT NOT NULL DEFAULT 'anonymous', bio TEXT)", "name VARCHAR(100) NOT NULL DEFAULT 'anonymous')"),
        ("CREATE TABLE memberships (user_id INTEGER NOT NULL REFERENCES users (id), team TEXT NOT NULL);", ""),
    ]);
    let first = migrations(&[("0001_current.sql", BASE)]);
    let draft = Migrator::new(&first)
        .diff(MEMORY, Desired::Sql(&wanted), &options(false, Vec::new()))
        .await
        .unwrap();
    let refused: Vec<String> = draft
        .plan
        .refused
        .iter()
        .map(|r| match &r.step {
            Step::DropTable { table } => format!("drop table {}", table.name),
            Step::DropColumn { table, column } => format!("drop column {table}.{}", column.name),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(refused, ["drop column users.bio", "drop table memberships"]);
    assert!(draft
        .plan
        .refused
        .iter()
        .all(|r| r.reason.contains("--allow-destructive")));
    let up = only(&draft.up);
    assert!(
        !up.contains("DROP TABLE memberships") && !up.contains("DROP COLUMN"),
        "{up}"
    );

    let migrations = owned_migrations(&[
        ("0001_current.sql".to_owned(), format!("{BASE}\n{SEED}")),
        ("0002_generated.sql".to_owned(), up.to_owned()),
    ]);
    let db = TestDb::create(BackendKind::Sqlite, "refused")
        .await
        .unwrap();
    let migrator = Migrator::new(&migrations);
    migrator.run(&db.url).await.unwrap();
    let found = migrator.at(&db.url).inspect().await.unwrap();
    let users = found
        .tables
        .iter()
        .find(|t| t.name.name == "users")
        .unwrap();
    assert_eq!(users.column("name").unwrap().data_type, "varchar(100)");
    assert!(found.tables.iter().any(|t| t.name.name == "memberships"));
    let mut conn = Conn::open(&db.url).await;
    assert_eq!(
        conn.strings("SELECT bio FROM users WHERE id = 2").await,
        ["hi"]
    );
    conn.close().await;
}

/// A rename named in the options is written as `RENAME` (rows kept, a
/// view reading the table follows), and taken back by the down script; an
/// unnamed drop and add of the same type is a possible rename, listed,
/// and not written as a drop.
#[tokio::test]
async fn named_renames_are_renames_and_likely_ones_are_listed() {
    let wanted = edit(&[
        ("CREATE TABLE users (", "CREATE TABLE people ("),
        (
            "REFERENCES users (id) ON DELETE CASCADE",
            "REFERENCES people (id) ON DELETE CASCADE",
        ),
        (
            "memberships (user_id INTEGER NOT NULL REFERENCES users (id)",
            "memberships (user_id INTEGER NOT NULL REFERENCES people (id)",
        ),
        ("FROM users WHERE", "FROM people WHERE"),
        ("UPDATE users SET", "UPDATE people SET"),
        ("INSERT INTO users (email", "INSERT INTO people (email"),
        ("body TEXT,", "text TEXT,"),
    ]);
    let first = migrations(&[("0001_current.sql", BASE)]);
    let current = schema_of(BASE).await;
    let renames = vec![
        Rename::parse("users=people", &current).unwrap(),
        Rename::parse("notes.body=text", &current).unwrap(),
    ];
    let applied = apply("renames", BASE, SEED, &wanted, &options(false, renames)).await;
    let up = applied.up();
    assert!(up.contains("ALTER TABLE users RENAME TO people;"), "{up}");
    assert!(
        up.contains("ALTER TABLE notes RENAME COLUMN body TO text;"),
        "{up}"
    );
    assert!(!up.contains("_new"), "no rebuild: {up}");
    assert!(applied.draft.plan.refused.is_empty());
    assert_eq!(
        applied.strings("SELECT group_concat(p.name || ':' || coalesce(n.text, '-'), ',') FROM notes n JOIN people p ON p.id = n.user_id").await,
        ["Ann:one,Bob:-"]
    );
    applied.down("renames").await;

    let draft = Migrator::new(&first)
        .diff(
            MEMORY,
            Desired::Sql(&edit(&[("bio TEXT)", "about TEXT)")])),
            &options(false, Vec::new()),
        )
        .await
        .unwrap();
    assert_eq!(
        draft.plan.possible_renames,
        [("users".to_owned(), "bio".to_owned(), "about".to_owned())]
    );
    assert!(
        matches!(&draft.plan.refused[..], [r] if matches!(&r.step, Step::DropColumn { column, .. } if column.name == "bio"))
    );
    let up = only(&draft.up);
    assert!(
        up.contains("ADD COLUMN about") && !up.contains("DROP COLUMN"),
        "{up}"
    );
}

/// Several changes to two tables that reference each other, and a new
/// table referencing one of them: each table is rebuilt once, whatever
/// the number of its steps, and the rows stay.
#[tokio::test]
async fn each_table_is_rebuilt_once() {
    let wanted = edit(&[
        (
            "email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT 'anonymous', bio TEXT)",
            "email TEXT NOT NULL UNIQUE COLLATE NOCASE, name VARCHAR(80) NOT NULL DEFAULT 'anonymous', \
             CHECK (length(email) > 3))",
        ),
        ("body TEXT, rank INTEGER,", "body TEXT NOT NULL DEFAULT '', rank INTEGER, shared_with INTEGER REFERENCES users (id),"),
        (", CONSTRAINT title_not_empty CHECK (length(title) > 0)", ""),
        (
            "CREATE VIEW named_users ",
            "CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes (id), label TEXT NOT NULL, PRIMARY KEY (note_id, label));\n\
             CREATE VIEW named_users ",
        ),
    ]);
    let seed = SEED.replace("(2, 2, 'second', NULL, NULL)", "(2, 2, 'second', '', NULL)");
    let applied = apply(
        "rebuilt once",
        BASE,
        &seed,
        &wanted,
        &options(true, Vec::new()),
    )
    .await;
    let up = applied.up();
    for table in ["users", "notes"] {
        let rebuilds = up.matches(&format!("CREATE TABLE {table}_new")).count();
        assert_eq!(rebuilds, 1, "{table}:\n{up}");
    }
    assert!(!up.contains("memberships_new"), "{up}");
    assert_eq!(
        applied
            .strings("SELECT group_concat(n.id || u.name || coalesce(n.shared_with, '-'), ',') FROM notes n JOIN users u ON u.id = n.user_id")
            .await,
        ["1Ann-,2Bob-"]
    );
    applied.down("rebuilt once").await;
}

/// SQLite's `RENAME COLUMN` rewrites the checks, indexes and generated
/// columns that name the column: a named rename is the whole migration,
/// without a rebuild or an index built again.
#[tokio::test]
async fn a_column_rename_is_all_it_takes() {
    let schema = |column: &str| {
        format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, {column} TEXT NOT NULL CHECK (length({column}) > 0), \
             shout TEXT AS (upper({column})));
             CREATE INDEX t_by_{column} ON t (lower({column}), {column} DESC) WHERE {column} <> '';"
        )
    };
    let (current, wanted) = (schema("title"), schema("headline"));
    let wanted = wanted.replace("t_by_headline", "t_by_title");
    let renames = vec![Rename::parse("t.title=headline", &schema_of(&current).await).unwrap()];
    let seed = "INSERT INTO t (title) VALUES ('a'), ('b');";
    let applied = apply(
        "column rename",
        &current,
        seed,
        &wanted,
        &options(false, renames),
    )
    .await;
    assert_eq!(
        applied.up(),
        "ALTER TABLE t RENAME COLUMN title TO headline;\n"
    );
    assert_eq!(
        applied
            .strings("SELECT group_concat(headline || shout, ',') FROM t")
            .await,
        ["aA,bB"]
    );
    applied.down("column rename").await;
}

/// A rebuild's own `DROP TABLE` (its rows were copied) is exempt from the
/// lint's drop-table warning; a table the migration really drops is not.
#[tokio::test]
async fn only_a_real_drop_warns() {
    let first = migrations(&[("0001_current.sql", BASE)]);
    let warned = |sql: &str| -> Vec<String> {
        lint_after(BASE, sql)
            .warnings()
            .map(|w| w.rule.to_string())
            .collect()
    };
    let rebuild = edit(&[("DEFAULT 'anonymous'", "DEFAULT 'nobody'")]);
    let drop = edit(&[("CREATE TABLE memberships (user_id INTEGER NOT NULL REFERENCES users (id), team TEXT NOT NULL);", "")]);
    let mut found = Vec::new();
    for wanted in [rebuild, drop] {
        let draft = Migrator::new(&first)
            .diff(MEMORY, Desired::Sql(&wanted), &options(true, Vec::new()))
            .await
            .unwrap();
        // The same text each time.
        let again = Migrator::new(&first)
            .diff(MEMORY, Desired::Sql(&wanted), &options(true, Vec::new()))
            .await
            .unwrap();
        assert_eq!(draft.up, again.up);
        found.push(warned(only(&draft.up)));
    }
    assert_eq!(found, [Vec::<String>::new(), vec!["drop-table".to_owned()]]);
}

/// What regenerating one migration gave.
enum Replayed {
    /// The generated script, applied to the schema before the migration,
    /// gives the schema after it (`changed`: the migration changed it).
    Reproduced { changed: bool },
    /// Not generated, for this reason.
    Refused(&'static str),
    /// Applied with an error or to another schema.
    Wrong(String),
}

/// What regenerating a corpus's migrations gave, in one direction.
#[derive(Default)]
struct Tally {
    reproduced: usize,
    unchanged: usize,
    refused: Vec<&'static str>,
    wrong: Vec<String>,
}

impl Tally {
    fn add(&mut self, replayed: Replayed, what: impl FnOnce() -> String) {
        match replayed {
            Replayed::Reproduced { changed } => {
                self.reproduced += 1;
                self.unchanged += usize::from(!changed);
            }
            Replayed::Refused(reason) => self.refused.push(reason),
            Replayed::Wrong(why) => self.wrong.push(format!("{}: {why}", what())),
        }
    }

    fn line(&self) -> String {
        format!(
            "{} reproduced ({} without a schema change), {} refused {:?}, {} wrong",
            self.reproduced,
            self.unchanged,
            self.refused.len(),
            self.refused,
            self.wrong.len()
        )
    }
}

/// Issue 21's measurement on SQLite: each migration of each SQLite corpus
/// is replayed (one at a time, on one database, the schema read after
/// each), then regenerated from the schemas before and after it (with
/// `allow_destructive`), and its script, applied as a migration to a fresh
/// database loaded with the dump of the schema before, must give the
/// schema after. A likely rename is refused (renames are not guessed).
/// The same backwards (after → before) measures the down scripts. Prints
/// a line per corpus; no migration may come out wrong either way.
#[tokio::test]
async fn corpora_migrations_regenerate_exactly() {
    let mut wrong = Vec::new();
    // The corpora, and the fixture that holds every object kind SQLite has.
    let dirs = CORPORA
        .iter()
        .filter(|(kind, _)| *kind == BackendKind::Sqlite)
        .map(|(_, dir)| *dir)
        .chain(["tests/schema-fixtures/sqlite-features"]);
    for dir in dirs {
        let migrations = load(dir);
        let db = TestDb::create(BackendKind::Sqlite, "corpus").await.unwrap();
        let mut before = Schema::empty(BackendKind::Sqlite);
        let (mut up, mut down, mut steps) = (Tally::default(), Tally::default(), 0);
        for migration in &migrations {
            let migrator = Migrator::new(&migrations).target(migration.version);
            migrator.run(&db.url).await.unwrap();
            let after = migrator.at(&db.url).inspect().await.unwrap();
            steps += generate(&before, &after, &options(true, Vec::new()))
                .steps
                .len();
            let version = migration.version;
            up.add(replay(&before, &after).await, || {
                format!("{dir} {version} up")
            });
            down.add(replay(&after, &before).await, || {
                format!("{dir} {version} down")
            });
            before = after;
        }
        let corpus = dir.trim_start_matches("../migrate-core/tests/corpora/");
        eprintln!(
            "corpus {corpus}: {} migrations, {steps} generated steps\n  up:   {}\n  down: {}",
            migrations.len(),
            up.line(),
            down.line()
        );
        wrong.extend(up.wrong);
        wrong.extend(down.wrong);
    }
    assert!(wrong.is_empty(), "wrong:\n{}", wrong.join("\n"));
}

/// Regenerates the migration from `before` to `after` and applies it:
/// A likely rename is refused, and must be reproduced once named.
async fn replay(before: &Schema, after: &Schema) -> Replayed {
    let guessed = generate(before, after, &options(true, Vec::new())).possible_renames;
    if guessed.is_empty() {
        return apply_generated(before, after, Vec::new()).await;
    }
    let renames = guessed
        .into_iter()
        .map(|(table, from, to)| match table.as_str() {
            "" => Rename::Table {
                from: QualifiedName::new(None, &from),
                to,
            },
            _ => Rename::Column {
                table: QualifiedName::new(None, &table),
                from,
                to,
            },
        })
        .collect();
    match apply_generated(before, after, renames).await {
        Replayed::Reproduced { .. } => Replayed::Refused("likely rename (reproduced once named)"),
        other => other,
    }
}

/// Generates the migration from `before` to `after` with `renames` and
/// applies it to a database loaded with `before`'s dump.
async fn apply_generated(before: &Schema, after: &Schema, renames: Vec<Rename>) -> Replayed {
    let generated = generate(before, after, &options(true, renames));
    let scripts = render_steps(&generated.steps, before, after);
    let dump = before.to_sql();
    let files: Vec<(String, String)> = scripts
        .iter()
        .enumerate()
        .map(|(i, script)| {
            lint_after(&dump, &script.sql);
            (format!("{:04}_generated.sql", i + 1), script.sql.clone())
        })
        .collect();
    let db = TestDb::create(BackendKind::Sqlite, "replay").await.unwrap();
    if !dump.is_empty() {
        let mut conn = Conn::open(&db.url).await;
        conn.execute(&dump).await;
        conn.close().await;
    }
    let migrations = owned_migrations(&files);
    let migrator = Migrator::new(&migrations);
    if let Err(error) = migrator.run(&db.url).await {
        return Replayed::Wrong(format!("{error}\n{:#?}", generated.steps));
    }
    let found = migrator.at(&db.url).inspect().await.unwrap();
    match differences(after, &found) {
        none if none.is_empty() => Replayed::Reproduced {
            changed: !scripts.is_empty(),
        },
        differences => Replayed::Wrong(format!("{differences}\n{:#?}", generated.steps)),
    }
}
