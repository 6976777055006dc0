//! Generated migrations on PostgreSQL: for each kind of object and change,
//! the scripts drafted from a current schema to a wanted one, applied as
//! migrations to a database at the current schema (with rows), give the
//! wanted schema with the rows kept, run again where they run outside a
//! transaction, and the down scripts give the current schema back; every
//! script passes the lint. Then the corpora: each migration of
//! atuin-server-postgres, crates.io and lemmy regenerated from the schemas
//! before and after it.

use std::collections::BTreeMap;

use migrata::lint::{lint, Database, LintOptions, Script};
use migrata::schema::{
    compare, generate, render_steps, Desired, Draft, GenerateOptions, GeneratedScript, Rename,
    Schema, Step,
};
use migrata::{BackendKind, Migration, Migrator, Repair};
use migrata_core::SqlFlavor;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::common::{owned_migrations, test_name, Conn, TestDb};
use crate::schema::{load, scratch_base, CORPORA, NEEDS_NEWER_SERVER};

/// The schema most cases start from and edit: an enum, a free sequence,
/// tables with identity, serial, foreign key, check, unique, plain and
/// partial indexes, a table without a key, a partitioned table, routines,
/// a trigger, a view read by another, a materialized view with an index.
const BASE: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE ticket_numbers START WITH 100;
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL CONSTRAINT users_email_key UNIQUE,
    name varchar(50) NOT NULL DEFAULT 'anonymous',
    mood mood DEFAULT 'ok',
    bio text,
    age text
);
CREATE TABLE notes (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL CONSTRAINT notes_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    title text NOT NULL,
    body text,
    rank integer,
    ticket integer DEFAULT nextval('ticket_numbers'),
    CONSTRAINT title_not_empty CHECK (length(title) > 0)
);
CREATE INDEX notes_by_user ON notes (user_id);
CREATE INDEX notes_by_rank ON notes (rank) WHERE rank IS NOT NULL;
CREATE TABLE tags (note_id integer, label text NOT NULL);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE FUNCTION default_rank() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.rank := coalesce(NEW.rank, 0); RETURN NEW; END $$;
CREATE FUNCTION initials(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(left(name, 1)) $$;
CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;
CREATE TRIGGER notes_default_rank BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION default_rank();
CREATE VIEW named_users AS SELECT id, name, initials(name) AS initial FROM users WHERE name <> 'anonymous';
CREATE VIEW named_user_count AS SELECT count(*) AS n FROM named_users;
CREATE MATERIALIZED VIEW note_counts AS SELECT user_id, count(*) AS n FROM notes GROUP BY user_id;
CREATE UNIQUE INDEX note_counts_user ON note_counts (user_id);
";

/// Rows in every table of [`BASE`]; no NULL rank (the trigger sets 0).
const SEED: &str = "INSERT INTO users (email, name, mood, bio, age) VALUES ('ann@example.com', 'Ann', 'happy', NULL, '41'), ('bob@example.com', 'Bob', 'sad', 'hi', '7');
INSERT INTO notes (user_id, title, body, rank) VALUES (1, 'first', 'one', 3), (2, 'second', NULL, NULL);
INSERT INTO tags (note_id, label) VALUES (1, 'red'), (2, 'blue');
INSERT INTO events (id, at, what) VALUES (1, '2024-05-01', 'launch');";

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

/// The scratch server for `test`, or `None` after a `SKIPPED:` line.
fn base(test: &str) -> Option<String> {
    scratch_base(BackendKind::Postgres, &test_name(module_path!(), test))
}

fn file(version: i64, name: &str) -> String {
    format!("{version:04}_{name}.sql")
}

async fn schema_of(base: &str, sql: &str) -> Schema {
    let migrations = owned_migrations(&[(file(1, "schema"), sql.to_owned())]);
    Migrator::new(&migrations).schema(base).await.unwrap()
}

/// The differences, one per line (empty: the same schema).
fn differences(expected: &Schema, found: &Schema) -> String {
    compare(expected, found)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `scripts` as migrations from `first` on, each outside a transaction
/// where its directive says so.
fn as_migrations(scripts: &[GeneratedScript], first: i64, name: &str) -> Vec<(String, String)> {
    scripts
        .iter()
        .enumerate()
        .map(|(i, script)| {
            let no_transaction = script.sql.starts_with("-- migrate:no-transaction\n");
            assert_eq!(no_transaction, !script.transactional, "{}", script.sql);
            (file(first + i as i64, name), script.sql.clone())
        })
        .collect()
}

/// The lint errors of `files` (linted as the next migrations, every table
/// they do not create taken as an existing one), with the scripts.
fn lint_errors(files: &[(String, String)]) -> Option<String> {
    let migrations = owned_migrations(files);
    let scripts = Script::of_migrations(&migrations);
    let report = lint(&scripts, &LintOptions::for_database(Database::Postgres));
    (report.has_errors() || !report.bad_allows.is_empty()).then(|| {
        format!(
            "lint errors: {:?} {:?}\n{}",
            report.errors().collect::<Vec<_>>(),
            report.bad_allows,
            files
                .iter()
                .map(|(_, sql)| sql.as_str())
                .collect::<Vec<_>>()
                .join("\n----\n")
        )
    })
}

/// `T` for a script in a transaction, `N` for one outside.
fn shape(scripts: &[GeneratedScript]) -> String {
    scripts
        .iter()
        .map(|s| if s.transactional { 'T' } else { 'N' })
        .collect()
}

fn text(scripts: &[GeneratedScript]) -> String {
    scripts
        .iter()
        .map(|s| s.sql.as_str())
        .collect::<Vec<_>>()
        .join("\n----\n")
}

/// Rows per table of the `public` schema: what a change must keep.
const ROW_COUNTS: &str = "SELECT c.relname || '=' || (xpath('/row/n/text()', \
    query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text \
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' \
    AND c.relname NOT LIKE 'migrate_history%' ORDER BY 1";

/// A database migrated to `current` and seeded, then by the draft
/// towards `wanted` (its up scripts as the next migrations).
struct Applied {
    db: TestDb,
    draft: Draft,
    files: Vec<(String, String)>,
    current: Schema,
    /// Rows per table of the tables in both schemas, before.
    kept: Vec<String>,
}

/// Drafts `current` → `wanted`, checks that every script lints, applies
/// `seed` and the up scripts as migrations, checks the schema is
/// `wanted`'s and the rows of the tables kept are all there, runs each
/// script that runs outside a transaction again (it must, after a
/// failure) and checks nothing changed.
async fn apply(
    base: &str,
    name: &str,
    current: &str,
    seed: &str,
    wanted: &str,
    options: &GenerateOptions,
) -> Applied {
    let first = owned_migrations(&[(file(1, "current"), current.to_owned())]);
    let draft = Migrator::new(&first)
        .diff(base, Desired::Sql(wanted), options)
        .await
        .unwrap();
    let up = as_migrations(&draft.up, 10, "up");
    let down = as_migrations(&draft.down, 20, "down");
    for scripts in [&up, &down] {
        if let Some(errors) = lint_errors(scripts) {
            panic!("{name}: {errors}");
        }
    }
    let mut files = vec![(file(1, "current"), format!("{current}\n{seed}"))];
    let db = TestDb::create(BackendKind::Postgres, name).await.unwrap();
    Migrator::new(&owned_migrations(&files))
        .run(&db.url)
        .await
        .unwrap();
    let rows = db_strings(&db.url, ROW_COUNTS).await;
    if let Err(error) = apply_one_by_one(&db.url, &mut files, &up).await {
        panic!(
            "{name}: the up scripts failed: {error}\n{}",
            text(&draft.up)
        );
    }
    let wanted = schema_of(base, wanted).await;
    let found = Migrator::new(&[]).at(&db.url).inspect().await.unwrap();
    let found_differences = differences(&wanted, &found);
    assert!(
        found_differences.is_empty(),
        "{name}: after up:\n{found_differences}\n{}",
        text(&draft.up)
    );
    let kept: Vec<String> = rows_of_kept(&rows, &wanted);
    assert_eq!(
        rows_like(&db_strings(&db.url, ROW_COUNTS).await, &kept),
        kept,
        "{name}: rows kept"
    );
    Applied {
        db,
        draft,
        files,
        current: schema_of(base, current).await,
        kept,
    }
}

/// The `table=rows` lines of `rows` whose table is in `schema`.
fn rows_of_kept(rows: &[String], schema: &Schema) -> Vec<String> {
    rows.iter()
        .filter(|line| {
            let table = line.split('=').next().unwrap_or_default();
            schema.tables.iter().any(|t| t.name.name == table)
        })
        .cloned()
        .collect()
}

/// The `table=rows` lines of `rows` for the tables `kept` has.
fn rows_like(rows: &[String], kept: &[String]) -> Vec<String> {
    let table = |line: &String| line.split('=').next().unwrap_or_default().to_owned();
    rows.iter()
        .filter(|line| kept.iter().any(|k| table(k) == table(line)))
        .cloned()
        .collect()
}

/// Applies `scripts` as the migrations after `files`, one at a time; each
/// that runs outside a transaction runs again at once, as after a failure
/// of its last statement, and must leave the schema as its first run did.
async fn apply_one_by_one(
    url: &str,
    files: &mut Vec<(String, String)>,
    scripts: &[(String, String)],
) -> Result<(), String> {
    for script in scripts {
        files.push(script.clone());
        let migrations = owned_migrations(files);
        Migrator::new(&migrations)
            .run(url)
            .await
            .map_err(|error| error.to_string())?;
        let migration = migrations.last().expect("a migration");
        if migration.up.no_transaction {
            let once = Migrator::new(&[])
                .at(url)
                .inspect()
                .await
                .map_err(|e| e.to_string())?;
            let mut conn = Conn::open(url).await;
            for statement in migrata_core::split_statements_for(&script.1, SqlFlavor::Standard) {
                conn.execute(statement).await;
            }
            conn.close().await;
            let twice = Migrator::new(&[])
                .at(url)
                .inspect()
                .await
                .map_err(|e| e.to_string())?;
            let changed = differences(&once, &twice);
            if !changed.is_empty() {
                return Err(format!(
                    "{} run again changed the schema:\n{changed}",
                    script.0
                ));
            }
        }
    }
    Ok(())
}

async fn db_strings(url: &str, sql: &str) -> Vec<String> {
    let mut conn = Conn::open(url).await;
    let rows = conn.strings(sql).await;
    conn.close().await;
    rows
}

impl Applied {
    fn up(&self) -> String {
        text(&self.draft.up)
    }

    /// Applies the down scripts as the next migrations and checks the
    /// schema is the current one, with every row.
    async fn down(mut self, name: &str) {
        let down = as_migrations(&self.draft.down, 20, "down");
        if let Err(error) = apply_one_by_one(&self.db.url, &mut self.files, &down).await {
            panic!(
                "{name}: the down scripts failed: {error}\n{}",
                text(&self.draft.down)
            );
        }
        let found = Migrator::new(&[]).at(&self.db.url).inspect().await.unwrap();
        let found_differences = differences(&self.current, &found);
        assert!(
            found_differences.is_empty(),
            "{name}: after down:\n{found_differences}\n{}",
            text(&self.draft.down)
        );
        let rows = db_strings(&self.db.url, ROW_COUNTS).await;
        assert_eq!(
            rows_like(&rows, &self.kept),
            self.kept,
            "{name}: rows after down"
        );
    }
}

/// One change: the wanted schema, the scripts' shape (`T` in a
/// transaction, `N` outside, in order), and text the up scripts must hold
/// and must not.
struct Case {
    what: &'static str,
    current: &'static [(&'static str, &'static str)],
    wanted: &'static [(&'static str, &'static str)],
    shape: &'static str,
    holds: &'static [&'static str],
    lacks: &'static [&'static str],
}

const LIKES: &str = "CREATE TABLE likes (user_id bigint NOT NULL REFERENCES users (id), note_id integer NOT NULL REFERENCES notes (id), PRIMARY KEY (user_id, note_id));
CREATE INDEX likes_by_note ON likes (note_id);
CREATE TABLE tags";

const CASES: &[Case] = &[
    Case {
        what: "create a table with foreign keys and an index",
        current: &[],
        wanted: &[("CREATE TABLE tags", LIKES)],
        shape: "T",
        holds: &[
            "CREATE TABLE likes (",
            "ALTER TABLE likes\n    ADD CONSTRAINT likes_note_id_fkey FOREIGN KEY (note_id) REFERENCES notes (id);",
            "CREATE INDEX likes_by_note ON likes (note_id);",
        ],
        lacks: &["NOT VALID", "CONCURRENTLY"],
    },
    Case {
        what: "drop a table",
        current: &[],
        wanted: &[("CREATE TABLE tags (note_id integer, label text NOT NULL);", "")],
        shape: "T",
        holds: &["DROP TABLE tags;"],
        lacks: &[],
    },
    Case {
        what: "drop two tables, one referencing the other",
        current: &[("CREATE TABLE tags", LIKES)],
        wanted: &[("CREATE TABLE tags (note_id integer, label text NOT NULL);", "")],
        shape: "T",
        holds: &["DROP TABLE likes, tags;"],
        lacks: &[],
    },
    Case {
        what: "add a nullable column",
        current: &[],
        wanted: &[("    age text\n", "    age text,\n    website text\n")],
        shape: "T",
        holds: &["SET LOCAL lock_timeout = '5s';", "ALTER TABLE users ADD COLUMN website text;"],
        lacks: &[],
    },
    Case {
        what: "add a NOT NULL column with a default",
        current: &[],
        wanted: &[("    age text\n", "    age text,\n    verified boolean NOT NULL DEFAULT false\n")],
        shape: "T",
        holds: &["ALTER TABLE users ADD COLUMN verified boolean DEFAULT false NOT NULL;"],
        lacks: &[],
    },
    Case {
        what: "add a serial column (its sequence owned by it)",
        current: &[],
        wanted: &[("label text NOT NULL)", "label text NOT NULL, id serial)")],
        shape: "T",
        holds: &["CREATE SEQUENCE tags_id_seq", "ALTER SEQUENCE tags_id_seq OWNED BY tags.id;"],
        lacks: &[],
    },
    Case {
        what: "add an identity column",
        current: &[],
        wanted: &[("label text NOT NULL)", "label text NOT NULL, num bigint GENERATED BY DEFAULT AS IDENTITY)")],
        shape: "T",
        holds: &["ADD COLUMN num bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL;"],
        lacks: &[],
    },
    Case {
        what: "drop a column (the views reading its table come back)",
        current: &[],
        wanted: &[("    bio text,\n", "")],
        shape: "T",
        holds: &["ALTER TABLE users DROP COLUMN bio;", "DROP VIEW named_users;", "CREATE VIEW named_users AS"],
        lacks: &[],
    },
    Case {
        what: "widen a varchar a view reads (no USING)",
        current: &[],
        wanted: &[("name varchar(50)", "name varchar(100)")],
        shape: "T",
        holds: &["ALTER COLUMN name TYPE character varying(100),"],
        lacks: &["USING"],
    },
    Case {
        what: "text to integer (USING)",
        current: &[],
        wanted: &[("    age text\n", "    age integer\n")],
        shape: "T",
        holds: &["ALTER COLUMN age TYPE integer USING age::integer;"],
        lacks: &["DROP COLUMN"],
    },
    Case {
        what: "integer to bigint under a partial index (no USING)",
        current: &[],
        wanted: &[("rank integer,", "rank bigint,")],
        shape: "T",
        holds: &["ALTER COLUMN rank TYPE bigint;"],
        lacks: &["USING"],
    },
    Case {
        what: "a typed default kept through a type change",
        current: &[],
        wanted: &[("name varchar(50) NOT NULL DEFAULT 'anonymous'", "name text NOT NULL DEFAULT 'anonymous'")],
        shape: "T",
        holds: &["ALTER COLUMN name DROP DEFAULT,", "ALTER COLUMN name TYPE text,", "ALTER COLUMN name SET DEFAULT 'anonymous'::text"],
        lacks: &[],
    },
    Case {
        what: "retype two columns of a table, one a trigger's UPDATE OF names: one ALTER TABLE, the trigger around it",
        current: &[("BEFORE INSERT ON notes", "BEFORE INSERT OR UPDATE OF rank ON notes")],
        wanted: &[
            ("BEFORE INSERT ON notes", "BEFORE INSERT OR UPDATE OF rank ON notes"),
            ("rank integer,", "rank bigint,"),
            ("    body text,\n", "    body varchar(500),\n"),
        ],
        shape: "T",
        holds: &["DROP TRIGGER notes_default_rank ON notes;\n\nALTER TABLE notes\n    ALTER COLUMN body TYPE character varying(500),\n    ALTER COLUMN rank TYPE bigint;\n\nCREATE TRIGGER notes_default_rank BEFORE INSERT OR UPDATE OF rank ON notes"],
        lacks: &[],
    },
    Case {
        what: "allow NULL",
        current: &[],
        wanted: &[("title text NOT NULL,", "title text,")],
        shape: "T",
        holds: &["ALTER COLUMN title DROP NOT NULL;"],
        lacks: &[],
    },
    Case {
        what: "NOT NULL through a validated check, after the transaction",
        current: &[],
        wanted: &[("rank integer,", "rank integer NOT NULL,")],
        shape: "TN",
        holds: &[
            "ADD CONSTRAINT notes_rank_not_null CHECK (rank IS NOT NULL) NOT VALID;",
            "ALTER TABLE notes VALIDATE CONSTRAINT notes_rank_not_null;",
            "ALTER TABLE notes ALTER COLUMN rank SET NOT NULL;",
            "ALTER TABLE notes DROP CONSTRAINT IF EXISTS notes_rank_not_null;",
        ],
        lacks: &[],
    },
    Case {
        what: "change a default",
        current: &[],
        wanted: &[("DEFAULT 'anonymous'", "DEFAULT 'nobody'")],
        shape: "T",
        holds: &["ALTER COLUMN name SET DEFAULT 'nobody'"],
        lacks: &[],
    },
    Case {
        what: "drop a default",
        current: &[],
        wanted: &[("mood mood DEFAULT 'ok',", "mood mood,")],
        shape: "T",
        holds: &["ALTER COLUMN mood DROP DEFAULT;"],
        lacks: &[],
    },
    Case {
        what: "identity ALWAYS to BY DEFAULT",
        current: &[],
        wanted: &[("GENERATED ALWAYS AS IDENTITY", "GENERATED BY DEFAULT AS IDENTITY")],
        shape: "T",
        holds: &["ALTER COLUMN id SET GENERATED BY DEFAULT;"],
        lacks: &[],
    },
    Case {
        what: "drop an identity (and add it back)",
        current: &[],
        wanted: &[("bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "bigint PRIMARY KEY")],
        shape: "T",
        holds: &["ALTER COLUMN id DROP IDENTITY;"],
        lacks: &[],
    },
    Case {
        what: "make a nullable column an identity",
        current: &[],
        wanted: &[("CREATE TABLE tags (note_id integer,", "CREATE TABLE tags (note_id integer GENERATED BY DEFAULT AS IDENTITY,")],
        shape: "T",
        holds: &["ALTER COLUMN note_id SET NOT NULL,\n    ALTER COLUMN note_id ADD GENERATED BY DEFAULT AS IDENTITY;"],
        lacks: &["notes_note_id_not_null"],
    },
    Case {
        what: "add a primary key",
        current: &[],
        wanted: &[("label text NOT NULL)", "label text NOT NULL PRIMARY KEY)")],
        shape: "T",
        holds: &["ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY (label);"],
        lacks: &[],
    },
    Case {
        what: "drop a primary key",
        current: &[],
        wanted: &[("id serial PRIMARY KEY", "id serial")],
        shape: "T",
        holds: &["ALTER TABLE notes DROP CONSTRAINT notes_pkey;"],
        lacks: &[],
    },
    Case {
        what: "add a unique constraint",
        current: &[],
        wanted: &[("label text NOT NULL)", "label text NOT NULL CONSTRAINT tags_label_key UNIQUE)")],
        shape: "T",
        holds: &["ALTER TABLE tags ADD CONSTRAINT tags_label_key UNIQUE (label);"],
        lacks: &[],
    },
    Case {
        what: "drop a unique constraint",
        current: &[],
        wanted: &[("email text NOT NULL CONSTRAINT users_email_key UNIQUE", "email text NOT NULL")],
        shape: "T",
        holds: &["ALTER TABLE users DROP CONSTRAINT users_email_key;"],
        lacks: &[],
    },
    Case {
        what: "add a check: NOT VALID, validated after the transaction",
        current: &[],
        wanted: &[("    age text\n", "    age text CONSTRAINT age_digits CHECK (age ~ '^[0-9]+$')\n")],
        shape: "TN",
        holds: &[
            "ALTER TABLE users ADD CONSTRAINT age_digits CHECK (age ~ '^[0-9]+$'::text) NOT VALID;",
            "ALTER TABLE users VALIDATE CONSTRAINT age_digits;",
        ],
        lacks: &[],
    },
    Case {
        what: "change a check",
        current: &[],
        wanted: &[("length(title) > 0", "length(title) > 1")],
        shape: "TN",
        holds: &["DROP CONSTRAINT title_not_empty;", "CHECK (length(title) > 1) NOT VALID;"],
        lacks: &[],
    },
    Case {
        what: "drop a check",
        current: &[],
        wanted: &[(",\n    CONSTRAINT title_not_empty CHECK (length(title) > 0)", "")],
        shape: "T",
        holds: &["ALTER TABLE notes DROP CONSTRAINT title_not_empty;"],
        lacks: &[],
    },
    Case {
        what: "add a foreign key to an existing table: NOT VALID, validated after",
        current: &[],
        wanted: &[("CREATE TABLE tags (note_id integer,", "CREATE TABLE tags (note_id integer REFERENCES notes (id) ON DELETE CASCADE,")],
        shape: "TN",
        holds: &[
            "ADD CONSTRAINT tags_note_id_fkey FOREIGN KEY (note_id) REFERENCES notes (id) ON DELETE CASCADE NOT VALID;",
            "ALTER TABLE tags VALIDATE CONSTRAINT tags_note_id_fkey;",
        ],
        lacks: &[],
    },
    Case {
        what: "change a foreign key's action",
        current: &[],
        wanted: &[("ON DELETE CASCADE", "ON DELETE RESTRICT")],
        shape: "TN",
        holds: &["DROP CONSTRAINT notes_user_id_fkey;", "ON DELETE RESTRICT NOT VALID;"],
        lacks: &[],
    },
    Case {
        what: "make a foreign key deferrable",
        current: &[],
        wanted: &[("ON DELETE CASCADE", "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED")],
        shape: "TN",
        holds: &["ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;"],
        lacks: &[],
    },
    Case {
        what: "drop a foreign key",
        current: &[],
        wanted: &[(" CONSTRAINT notes_user_id_fkey REFERENCES users (id) ON DELETE CASCADE", "")],
        shape: "T",
        holds: &["ALTER TABLE notes DROP CONSTRAINT notes_user_id_fkey;"],
        lacks: &[],
    },
    Case {
        what: "create an index on an existing table: CONCURRENTLY, after the transaction",
        current: &[],
        wanted: &[("CREATE TABLE tags", "CREATE INDEX notes_by_title ON notes (title);\nCREATE TABLE tags")],
        shape: "N",
        holds: &[
            "DROP INDEX CONCURRENTLY IF EXISTS notes_by_title;",
            "CREATE INDEX CONCURRENTLY notes_by_title ON notes (title);",
        ],
        lacks: &["lock_timeout"],
    },
    Case {
        what: "drop an index: CONCURRENTLY, before the transaction",
        current: &[],
        wanted: &[("CREATE INDEX notes_by_user ON notes (user_id);", "")],
        shape: "N",
        holds: &["DROP INDEX CONCURRENTLY IF EXISTS notes_by_user;"],
        lacks: &[],
    },
    Case {
        what: "make an index unique on two columns",
        current: &[],
        wanted: &[("CREATE INDEX notes_by_user ON notes (user_id)", "CREATE UNIQUE INDEX notes_by_user ON notes (user_id, id)")],
        shape: "NN",
        holds: &["CREATE UNIQUE INDEX CONCURRENTLY notes_by_user ON notes (user_id, id);"],
        lacks: &[],
    },
    Case {
        what: "change a partial index's condition",
        current: &[],
        wanted: &[("WHERE rank IS NOT NULL", "WHERE rank > 0")],
        shape: "NN",
        holds: &["CREATE INDEX CONCURRENTLY notes_by_rank ON notes (rank) WHERE rank > 0;"],
        lacks: &[],
    },
    Case {
        what: "index an expression with INCLUDE, and with another method",
        current: &[],
        wanted: &[(
            "CREATE TABLE tags",
            "CREATE INDEX notes_lower_title ON notes (lower(title)) INCLUDE (rank);\nCREATE INDEX notes_body_hash ON notes USING hash (body);\nCREATE TABLE tags",
        )],
        shape: "N",
        holds: &[
            "CREATE INDEX CONCURRENTLY notes_lower_title ON notes (lower(title)) INCLUDE (rank);",
            "CREATE INDEX CONCURRENTLY notes_body_hash ON notes USING hash (body);",
        ],
        lacks: &[],
    },
    Case {
        what: "index a partitioned table: in the transaction, said why",
        current: &[],
        wanted: &[("CREATE FUNCTION default_rank", "CREATE INDEX events_by_at ON events (at);\nCREATE FUNCTION default_rank")],
        shape: "T",
        holds: &["-- migrate:allow index-without-concurrently", "CREATE INDEX events_by_at ON events (at);"],
        lacks: &["CONCURRENTLY events"],
    },
    Case {
        what: "a foreign key that needs a unique index built after the transaction",
        current: &[],
        wanted: &[(
            "CREATE TABLE tags (note_id integer, label text NOT NULL);",
            "CREATE UNIQUE INDEX users_by_name ON users (name);\nCREATE TABLE tags (note_id integer, label text NOT NULL, author varchar(50) REFERENCES users (name));",
        )],
        shape: "TNN",
        holds: &[
            "ALTER TABLE tags ADD COLUMN author character varying(50);",
            "CREATE UNIQUE INDEX CONCURRENTLY users_by_name ON users (name);\n",
            "SET lock_timeout = '5s';\n\nALTER TABLE tags DROP CONSTRAINT IF EXISTS tags_author_fkey,",
            "ALTER TABLE tags VALIDATE CONSTRAINT tags_author_fkey;",
        ],
        lacks: &[],
    },
    Case {
        what: "create a view",
        current: &[],
        wanted: &[("CREATE MATERIALIZED VIEW", "CREATE VIEW note_titles AS SELECT title FROM notes;\nCREATE MATERIALIZED VIEW")],
        shape: "T",
        holds: &["CREATE VIEW note_titles AS\nSELECT notes.title\n   FROM notes;"],
        lacks: &[],
    },
    Case {
        what: "drop a view read by another",
        current: &[],
        wanted: &[
            ("CREATE VIEW named_users AS SELECT id, name, initials(name) AS initial FROM users WHERE name <> 'anonymous';", ""),
            ("CREATE VIEW named_user_count AS SELECT count(*) AS n FROM named_users;", ""),
        ],
        shape: "T",
        holds: &["DROP VIEW named_user_count;\n\nDROP VIEW named_users;"],
        lacks: &[],
    },
    Case {
        what: "change a view (the view reading it comes back)",
        current: &[],
        wanted: &[("SELECT id, name, initials(name) AS initial FROM users", "SELECT id, name, email, initials(name) AS initial FROM users")],
        shape: "T",
        holds: &["DROP VIEW named_user_count;", "CREATE VIEW named_users AS", "CREATE VIEW named_user_count AS"],
        lacks: &[],
    },
    Case {
        what: "change a materialized view and its index",
        current: &[],
        wanted: &[
            ("count(*) AS n FROM notes", "count(*) AS n, max(rank) AS top FROM notes"),
            ("note_counts_user ON note_counts (user_id)", "note_counts_user ON note_counts (user_id, top)"),
        ],
        shape: "T",
        holds: &["DROP MATERIALIZED VIEW note_counts;", "CREATE MATERIALIZED VIEW note_counts AS", "CREATE UNIQUE INDEX note_counts_user ON note_counts (user_id, top);"],
        lacks: &[],
    },
    Case {
        what: "create a routine a new column's default calls",
        current: &[],
        wanted: &[
            ("CREATE TABLE users (", "CREATE FUNCTION new_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;\nCREATE TABLE users ("),
            ("    age text\n", "    age text,\n    code text DEFAULT new_code()\n"),
        ],
        shape: "T",
        holds: &["CREATE OR REPLACE FUNCTION public.new_code()", "ALTER TABLE users ADD COLUMN code text DEFAULT new_code();"],
        lacks: &[],
    },
    Case {
        what: "replace a routine's body (what reads it stays)",
        current: &[],
        wanted: &[("SELECT upper(left(name, 1))", "SELECT lower(left(name, 1))")],
        shape: "T",
        holds: &["CREATE OR REPLACE FUNCTION public.initials(name text)", "lower(left(name, 1))"],
        lacks: &["DROP FUNCTION", "DROP VIEW"],
    },
    Case {
        what: "change a routine's result type",
        current: &[],
        wanted: &[("answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$", "answer() RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$")],
        shape: "T",
        holds: &["DROP FUNCTION answer();", "RETURNS bigint"],
        lacks: &[],
    },
    Case {
        what: "drop a routine",
        current: &[],
        wanted: &[("CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;", "")],
        shape: "T",
        holds: &["DROP FUNCTION answer();"],
        lacks: &[],
    },
    Case {
        what: "create a trigger",
        current: &[],
        wanted: &[("CREATE VIEW named_users", "CREATE TRIGGER notes_rank_update BEFORE UPDATE OF rank ON notes FOR EACH ROW EXECUTE FUNCTION default_rank();\nCREATE VIEW named_users")],
        shape: "T",
        holds: &["CREATE TRIGGER notes_rank_update BEFORE UPDATE OF rank ON notes FOR EACH ROW EXECUTE FUNCTION default_rank();"],
        lacks: &[],
    },
    Case {
        what: "change a trigger",
        current: &[],
        wanted: &[("BEFORE INSERT ON notes", "BEFORE INSERT OR UPDATE ON notes")],
        shape: "T",
        holds: &["DROP TRIGGER notes_default_rank ON notes;", "BEFORE INSERT OR UPDATE ON notes"],
        lacks: &[],
    },
    Case {
        what: "drop a trigger and its function",
        current: &[],
        wanted: &[
            ("CREATE TRIGGER notes_default_rank BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION default_rank();", ""),
            ("CREATE FUNCTION default_rank() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.rank := coalesce(NEW.rank, 0); RETURN NEW; END $$;", ""),
        ],
        shape: "T",
        holds: &["DROP TRIGGER notes_default_rank ON notes;", "DROP FUNCTION default_rank();"],
        lacks: &[],
    },
    Case {
        what: "add enum labels, one used at once as a default: before the transaction",
        current: &[],
        wanted: &[
            ("('sad', 'ok', 'happy')", "('sad', 'meh', 'ok', 'happy', 'ecstatic')"),
            ("mood mood DEFAULT 'ok'", "mood mood DEFAULT 'meh'"),
        ],
        shape: "NT",
        holds: &[
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';\n\nALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic';",
            "ALTER COLUMN mood SET DEFAULT 'meh'::mood",
        ],
        lacks: &[],
    },
    Case {
        what: "reorder an enum and drop a label: re-created, columns converted through text",
        current: &[],
        wanted: &[("('sad', 'ok', 'happy')", "('happy', 'sad', 'ok')")],
        shape: "T",
        holds: &[
            "ALTER TYPE mood RENAME TO mood__old;",
            "ALTER COLUMN mood TYPE mood USING mood::text::mood,",
            "DROP TYPE mood__old;",
        ],
        lacks: &[],
    },
    Case {
        what: "create a composite type and a routine returning it",
        current: &[],
        wanted: &[(
            "CREATE SEQUENCE ticket_numbers",
            "CREATE TYPE version AS (major integer, minor integer);\nCREATE FUNCTION parse_version(text) RETURNS version LANGUAGE sql IMMUTABLE AS $$ SELECT (split_part($1, '.', 1)::int, split_part($1, '.', 2)::int)::version $$;\nCREATE SEQUENCE ticket_numbers",
        )],
        shape: "T",
        holds: &[
            "CREATE TYPE version AS (\n    major integer,\n    minor integer\n);",
            "RETURNS version",
        ],
        lacks: &[],
    },
    Case {
        what: "add, retype and drop attributes of a composite type",
        current: &[(
            "CREATE SEQUENCE ticket_numbers",
            "CREATE TYPE version AS (major integer, minor integer, label text);\nCREATE SEQUENCE ticket_numbers",
        )],
        wanted: &[(
            "CREATE SEQUENCE ticket_numbers",
            "CREATE TYPE version AS (major bigint, minor integer, patch integer);\nCREATE SEQUENCE ticket_numbers",
        )],
        shape: "T",
        holds: &["ALTER TYPE version\n    DROP ATTRIBUTE label,\n    ALTER ATTRIBUTE major TYPE bigint,\n    ADD ATTRIBUTE patch integer;"],
        lacks: &[],
    },
    Case {
        what: "create, alter and drop sequences",
        current: &[("CREATE SEQUENCE ticket_numbers START WITH 100;", "CREATE SEQUENCE ticket_numbers START WITH 100;\nCREATE SEQUENCE spare;")],
        wanted: &[("CREATE SEQUENCE ticket_numbers START WITH 100;", "CREATE SEQUENCE ticket_numbers START WITH 100 INCREMENT BY 5 CACHE 10;\nCREATE SEQUENCE invoice_numbers AS integer;")],
        shape: "T",
        holds: &["ALTER SEQUENCE ticket_numbers\n    INCREMENT BY 5\n    CACHE 10;", "CREATE SEQUENCE invoice_numbers", "DROP SEQUENCE IF EXISTS spare;"],
        lacks: &[],
    },
    Case {
        what: "a schema, an extension in it and a table of its type",
        current: &[],
        wanted: &[("CREATE TYPE mood", "CREATE SCHEMA app;\nCREATE EXTENSION citext WITH SCHEMA app;\nCREATE TABLE app.handles (handle app.citext PRIMARY KEY);\nCREATE TYPE mood")],
        shape: "T",
        holds: &["CREATE SCHEMA app;", "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA app CASCADE;", "CREATE TABLE app.handles ("],
        lacks: &[],
    },
    Case {
        what: "comments on a table and a column",
        current: &[],
        wanted: &[("CREATE TABLE events ", "COMMENT ON TABLE tags IS 'Labels; any number per note';\nCOMMENT ON COLUMN tags.label IS 'Lowercase';\nCREATE TABLE events ")],
        shape: "T",
        holds: &["COMMENT ON TABLE tags IS 'Labels; any number per note';", "COMMENT ON COLUMN tags.label IS 'Lowercase';"],
        lacks: &[],
    },
    Case {
        what: "a partition of an existing table, and a partitioned table whose partition sorts first",
        current: &[],
        wanted: &[(
            "CREATE FUNCTION default_rank",
            "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE zlog (at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE alog_2024 PARTITION OF zlog FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE FUNCTION default_rank",
        )],
        shape: "T",
        holds: &["CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"],
        lacks: &[],
    },
    Case {
        what: "detach a partition",
        current: &[],
        wanted: &[("CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');", "CREATE TABLE events_2024 (id bigint NOT NULL, at date NOT NULL, what text);")],
        shape: "T",
        holds: &["ALTER TABLE events DETACH PARTITION events_2024;"],
        lacks: &[],
    },
    Case {
        what: "make a table unlogged",
        current: &[],
        wanted: &[("CREATE TABLE tags", "CREATE UNLOGGED TABLE tags")],
        shape: "T",
        holds: &["ALTER TABLE tags SET UNLOGGED;"],
        lacks: &[],
    },
    Case {
        what: "change a column's collation",
        current: &[],
        wanted: &[("    bio text,\n", "    bio text COLLATE \"C\",\n")],
        shape: "T",
        holds: &["ALTER COLUMN bio TYPE text COLLATE \"C\";"],
        lacks: &[],
    },
];

fn edited(edits: &[(&str, &str)]) -> String {
    if edits.is_empty() {
        BASE.to_owned()
    } else {
        edit(edits)
    }
}

/// Every case: the up scripts give the wanted schema with every row of
/// the tables kept, split as expected (enum labels and index drops before
/// the transaction, index builds and validations after) and holding the
/// expected SQL; the down scripts give the current schema back.
#[tokio::test]
async fn each_change_applies_as_drafted_and_reverts() {
    let Some(base) = base("each_change_applies_as_drafted_and_reverts") else {
        return;
    };
    let allow = options(true, Vec::new());
    for case in CASES {
        let (current, wanted) = (edited(case.current), edited(case.wanted));
        let applied = apply(&base, case.what, &current, SEED, &wanted, &allow).await;
        let up = applied.up();
        assert_eq!(
            shape(&applied.draft.up),
            case.shape,
            "{}: scripts:\n{up}",
            case.what
        );
        for text in case.holds {
            assert!(
                up.contains(text),
                "{}: the up scripts lack `{text}`:\n{up}",
                case.what
            );
        }
        for text in case.lacks {
            assert!(
                !up.contains(text),
                "{}: the up scripts hold `{text}`:\n{up}",
                case.what
            );
        }
        applied.down(case.what).await;
    }
}

async fn draft(base: &str, current: &str, wanted: &str, options: &GenerateOptions) -> Draft {
    let first = owned_migrations(&[(file(1, "current"), current.to_owned())]);
    Migrator::new(&first)
        .diff(base, Desired::Sql(wanted), options)
        .await
        .unwrap()
}

/// Without `allow_destructive`, dropping a table or a column is refused
/// and listed with what to pass; the rest is written and applies, and the
/// column whose drop was refused keeps its values.
#[tokio::test]
async fn destructive_steps_are_refused_and_listed() {
    let Some(base) = base("destructive_steps_are_refused_and_listed") else {
        return;
    };
    let wanted = edit(&[
        ("    bio text,\n", ""),
        ("name varchar(50)", "name varchar(80)"),
        (
            "CREATE TABLE tags (note_id integer, label text NOT NULL);",
            "",
        ),
    ]);
    let draft = draft(&base, BASE, &wanted, &options(false, Vec::new())).await;
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
    assert_eq!(
        refused,
        ["drop column public.users.bio", "drop table public.tags"]
    );
    assert!(draft
        .plan
        .refused
        .iter()
        .all(|r| r.reason.contains("--allow-destructive")));
    let up = text(&draft.up);
    assert!(
        !up.contains("DROP TABLE") && !up.contains("DROP COLUMN"),
        "{up}"
    );
    assert!(
        up.contains("ALTER COLUMN name TYPE character varying(80)"),
        "{up}"
    );

    let mut files = vec![(file(1, "current"), format!("{BASE}\n{SEED}"))];
    let db = TestDb::create(BackendKind::Postgres, "refused")
        .await
        .unwrap();
    let up = as_migrations(&draft.up, 10, "up");
    apply_one_by_one(&db.url, &mut files, &up).await.unwrap();
    assert_eq!(
        db_strings(&db.url, "SELECT bio FROM users WHERE bio IS NOT NULL").await,
        ["hi"]
    );
    assert!(db.table_exists("tags").await);
}

/// A rename named in the options is written as `RENAME` (rows and values
/// kept, nothing refused) and taken back by the down scripts; a column
/// dropped and added with the same type is a possible rename, listed, and
/// its drop refused.
#[tokio::test]
async fn named_renames_are_renames_and_likely_ones_are_listed() {
    let Some(base) = base("named_renames_are_renames_and_likely_ones_are_listed") else {
        return;
    };
    let wanted = edit(&[
        (
            "CREATE TABLE tags (note_id integer, label text NOT NULL);",
            "CREATE TABLE labels (note_id integer, label text NOT NULL);",
        ),
        ("    body text,\n", "    text text,\n"),
    ]);
    let current = schema_of(&base, BASE).await;
    let renames = vec![
        Rename::parse("notes.body=text", &current).unwrap(),
        Rename::parse("tags=labels", &current).unwrap(),
    ];
    let applied = apply(
        &base,
        "renames",
        BASE,
        SEED,
        &wanted,
        &options(false, renames),
    )
    .await;
    let up = applied.up();
    assert!(up.contains("ALTER TABLE tags RENAME TO labels;"), "{up}");
    assert!(
        up.contains("ALTER TABLE notes RENAME COLUMN body TO text;"),
        "{up}"
    );
    assert!(applied.draft.plan.refused.is_empty());
    assert_eq!(
        db_strings(&applied.db.url, "SELECT string_agg(l.label || ':' || coalesce(n.text, '-'), ',' ORDER BY l.label) FROM labels l JOIN notes n ON n.id = l.note_id").await,
        ["blue:-,red:one"]
    );
    applied.down("renames").await;

    let draft = draft(
        &base,
        BASE,
        &edit(&[("    bio text,\n", "    about text,\n")]),
        &options(false, Vec::new()),
    )
    .await;
    assert_eq!(
        draft.plan.possible_renames,
        [(
            "public.users".to_owned(),
            "bio".to_owned(),
            "about".to_owned()
        )]
    );
    assert!(
        matches!(&draft.plan.refused[..], [r] if matches!(&r.step, Step::DropColumn { column, .. } if column.name == "bio"))
    );
}

/// A validation the rows do not pass fails the script that runs after the
/// transaction, leaving the constraint `NOT VALID` and the migration
/// marked failed; once the rows are fixed and the row repaired, the same
/// script runs again from its start and the schema is the wanted one.
#[tokio::test]
async fn a_failed_validation_runs_again_after_repair() {
    let Some(base) = base("a_failed_validation_runs_again_after_repair") else {
        return;
    };
    let wanted = edit(&[
        ("rank integer,", "rank integer NOT NULL,"),
        (
            "CREATE TABLE tags (note_id integer,",
            "CREATE TABLE tags (note_id integer REFERENCES notes (id),",
        ),
    ]);
    let draft = draft(&base, BASE, &wanted, &options(false, Vec::new())).await;
    assert_eq!(shape(&draft.up), "TN");
    let seed = format!("{SEED}\nUPDATE notes SET rank = NULL WHERE id = 2;\nINSERT INTO tags (note_id, label) VALUES (99, 'orphan');");
    let mut files = vec![(file(1, "current"), format!("{BASE}\n{seed}"))];
    let db = TestDb::create(BackendKind::Postgres, "failed validation")
        .await
        .unwrap();
    let up = as_migrations(&draft.up, 10, "up");
    let failure = apply_one_by_one(&db.url, &mut files, &up)
        .await
        .unwrap_err();
    assert!(
        failure.contains("migration 11") && failure.contains("notes_rank_not_null"),
        "{failure}"
    );
    let mut conn = Conn::open(&db.url).await;
    assert_eq!(
        conn.strings("SELECT conname::text FROM pg_constraint WHERE NOT convalidated ORDER BY 1")
            .await,
        ["notes_rank_not_null", "tags_note_id_fkey"],
        "added NOT VALID, not validated"
    );
    conn.execute("UPDATE notes SET rank = 0 WHERE rank IS NULL")
        .await;
    conn.close().await;
    let migrations = owned_migrations(&files);
    let migrator = Migrator::new(&migrations);
    let failure = migrator.run(&db.url).await.unwrap_err();
    assert!(
        matches!(failure, migrata::Error::Dirty { version: 11, .. }),
        "{failure}"
    );
    migrator
        .at(&db.url)
        .repair(Repair::AsFailureCallsFor)
        .await
        .unwrap();
    // From its start: the check is validated and goes, then the foreign
    // key fails on the other cause.
    let failure = migrator.run(&db.url).await.unwrap_err().to_string();
    assert!(failure.contains("tags_note_id_fkey"), "{failure}");
    let mut conn = Conn::open(&db.url).await;
    conn.execute("DELETE FROM tags WHERE note_id = 99").await;
    conn.close().await;
    migrator
        .at(&db.url)
        .repair(Repair::AsFailureCallsFor)
        .await
        .unwrap();
    migrator.run(&db.url).await.unwrap();
    let found = Migrator::new(&[]).at(&db.url).inspect().await.unwrap();
    assert_eq!(differences(&schema_of(&base, &wanted).await, &found), "");
}

/// What regenerating one migration of a corpus gave.
enum Outcome {
    /// The generated scripts, applied to the schema before, give the
    /// schema after (`true`: the migration changed no schema).
    Reproduced(bool),
    /// Refused: the reason, and what it is about.
    Refused(&'static str, String),
    Wrong(String),
}

/// `before` → `after` generated, applied to `before`'s dump on a fresh
/// database, compared with `after`.
async fn regenerate(base: &str, before: &Schema, after: &Schema) -> Outcome {
    let plan = generate(before, after, &options(true, Vec::new()));
    if !plan.possible_renames.is_empty() {
        let pairs = plan
            .possible_renames
            .iter()
            .map(|(table, old, new)| format!("{table} {old} -> {new}"));
        return Outcome::Refused("likely rename", pairs.collect::<Vec<_>>().join(", "));
    }
    if plan.steps.is_empty() {
        let left = differences(after, before);
        return match left.is_empty() {
            true => Outcome::Reproduced(true),
            false => Outcome::Wrong(format!("no steps, but:\n{left}")),
        };
    }
    let scripts = render_steps(&plan.steps, before, after);
    let files = as_migrations(&scripts, 1, "generated");
    let listing = || {
        let steps: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{s:?}").chars().take(160).collect())
            .collect();
        format!(
            "steps:\n  {}\nscripts:\n{}",
            steps.join("\n  "),
            text(&scripts)
        )
    };
    if let Some(errors) = lint_errors(&files) {
        return Outcome::Wrong(errors);
    }
    let db = Migrator::new(&[]).test_database(base).await.unwrap();
    let mut conn = PgConnection::connect(db.url()).await.unwrap();
    let loaded = sqlx::raw_sql(AssertSqlSafe(before.to_sql()))
        .execute(&mut conn)
        .await;
    conn.close().await.unwrap();
    let migrations = owned_migrations(&files);
    let outcome = match loaded {
        Err(error) => Outcome::Wrong(format!(
            "the dump of the schema before does not load: {error}"
        )),
        Ok(_) => match Migrator::new(&migrations).run(db.url()).await {
            Err(error) => Outcome::Wrong(format!("{error}\n{}", listing())),
            Ok(_) => {
                let found = Migrator::new(&[]).at(db.url()).inspect().await.unwrap();
                let left = differences(after, &found);
                match left.is_empty() {
                    true => Outcome::Reproduced(false),
                    false => Outcome::Wrong(format!("{left}\n{}", listing())),
                }
            }
        },
    };
    db.discard().await.unwrap();
    outcome
}

/// Replays the corpus in `dir` one migration at a time on one scratch
/// database, regenerates each migration from the schemas before and after
/// it, prints the tally, and asserts that none is wrong.
async fn corpus_regenerates(test: &str, dir: &str) {
    let Some(base) = base(test) else {
        return;
    };
    assert!(CORPORA.contains(&(BackendKind::Postgres, dir)), "{dir}");
    let mut migrations = load(dir);
    let mut conn = Conn::open(&base).await;
    let server = conn
        .scalar("SELECT current_setting('server_version_num')::int8")
        .await;
    conn.close().await;
    for (_, needed, from, why) in NEEDS_NEWER_SERVER.iter().filter(|(d, ..)| *d == dir) {
        if server < *needed {
            migrations.retain(|m: &Migration| m.version < *from);
            eprintln!(
                "{dir}: the {} migrations before {from} (server {server}: {why})",
                migrations.len()
            );
        }
    }
    let migrator = Migrator::new(&migrations);
    let replay = Migrator::new(&[]).test_database(&base).await.unwrap();
    let mut before = Schema::empty(BackendKind::Postgres);
    let (mut unchanged, mut reproduced) = (0, 0);
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    let started = std::time::Instant::now();
    for migration in &migrations {
        migrator
            .clone()
            .target(migration.version)
            .run(replay.url())
            .await
            .unwrap();
        let after = Migrator::new(&[]).at(replay.url()).inspect().await.unwrap();
        match regenerate(&base, &before, &after).await {
            Outcome::Reproduced(true) => unchanged += 1,
            Outcome::Reproduced(false) => reproduced += 1,
            Outcome::Refused(reason, about) => {
                eprintln!("refused {}: {reason}: {about}", migration.up.file);
                *refused.entry(reason).or_default() += 1;
            }
            Outcome::Wrong(why) => wrong.push(format!("{}: {why}", migration.up.file)),
        }
        before = after;
    }
    replay.discard().await.unwrap();
    let refused_total: usize = refused.values().sum();
    eprintln!(
        "| corpus | migrations | reproduced | of which no schema change | refused | wrong |\n\
         | {dir} | {} | {} | {unchanged} | {refused_total} {refused:?} | {} |\n({:?})",
        migrations.len(),
        reproduced + unchanged,
        wrong.len(),
        started.elapsed()
    );
    for line in &wrong {
        eprintln!("WRONG {line}\n");
    }
    assert!(wrong.is_empty(), "{dir}: {} wrong", wrong.len());
}

#[tokio::test]
async fn corpus_atuin_server_postgres_regenerates() {
    corpus_regenerates(
        "corpus_atuin_server_postgres_regenerates",
        "../migrate-core/tests/corpora/atuin/crates/atuin-server-postgres/migrations",
    )
    .await;
}

// Minutes each (a dump loaded per migration): `.ci/run` runs them in a step of
// their own; `cargo test ... -- --ignored schema_generate_postgres::corpus` here.
#[tokio::test]
#[ignore = "minutes: run by .ci/run, or with --ignored"]
async fn corpus_crates_io_regenerates() {
    corpus_regenerates(
        "corpus_crates_io_regenerates",
        "../migrate-core/tests/corpora/crates.io/migrations",
    )
    .await;
}

// Minutes each (a dump loaded per migration): `.ci/run` runs them in a step of
// their own; `cargo test ... -- --ignored schema_generate_postgres::corpus` here.
#[tokio::test]
#[ignore = "minutes: run by .ci/run, or with --ignored"]
async fn corpus_lemmy_regenerates() {
    corpus_regenerates(
        "corpus_lemmy_regenerates",
        "../migrate-core/tests/corpora/lemmy/migrations",
    )
    .await;
}
