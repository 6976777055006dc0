//! Generated migrations on MariaDB/MySQL: for each kind of object and
//! change, the migration drafted from a schema to another, applied by the
//! migrator to a database at the first, gives the second (compared as
//! models), and its down script takes it back; every script passes the
//! lint. Then the destructive and rename rules, and the measurement over
//! the vaultwarden corpus (issue 21).

use migrata::lint::{lint, Database, LintOptions, Script};
use migrata::schema::{
    compare, generate, render_steps, Desired, Draft, GenerateOptions, GeneratedScript,
    QualifiedName, Rename, Schema,
};
use migrata::{BackendKind, Migration, Migrator};

use crate::common::{owned_migrations, test_name, Conn};
use crate::schema::{corpus_session_setup, load, scratch_base, CORPORA};

/// A change: the migrations' schema, the desired one, and optionally rows
/// put in before the generated migration runs and a query that must then
/// return 1 (data kept).
struct Case {
    what: &'static str,
    current: &'static str,
    wanted: &'static str,
    seed: &'static str,
    kept: &'static str,
}

const fn case(what: &'static str, current: &'static str, wanted: &'static str) -> Case {
    Case {
        what,
        current,
        wanted,
        seed: "",
        kept: "",
    }
}

const fn with_rows(
    what: &'static str,
    current: &'static str,
    wanted: &'static str,
    seed: &'static str,
    kept: &'static str,
) -> Case {
    Case {
        what,
        current,
        wanted,
        seed,
        kept,
    }
}

const TABLES: &[Case] = &[
    case(
        "create tables that reference each other, with indexes",
        "CREATE TABLE users (id INT PRIMARY KEY)",
        "SET FOREIGN_KEY_CHECKS = 0;
         CREATE TABLE users (id INT PRIMARY KEY);
         CREATE TABLE a_posts (id INT PRIMARY KEY, user_id INT NOT NULL, topic_id INT,
           title VARCHAR(200) NOT NULL, UNIQUE KEY a_posts_title (title(50)), KEY a_posts_recent (id DESC),
           FULLTEXT KEY a_posts_search (title),
           CONSTRAINT a_posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
           CONSTRAINT a_posts_topic FOREIGN KEY (topic_id) REFERENCES topics (id));
         CREATE TABLE topics (id INT PRIMARY KEY, parent_id INT, pinned_post INT,
           CONSTRAINT topics_parent FOREIGN KEY (parent_id) REFERENCES topics (id),
           CONSTRAINT topics_pinned FOREIGN KEY (pinned_post) REFERENCES a_posts (id))",
    ),
    case(
        "drop tables that reference each other and a kept one",
        "CREATE TABLE users (id INT PRIMARY KEY);
         CREATE TABLE posts (id INT PRIMARY KEY, user_id INT REFERENCES users (id), pinned INT);
         CREATE TABLE comments (id INT PRIMARY KEY, post_id INT REFERENCES posts (id));
         ALTER TABLE posts ADD CONSTRAINT posts_pinned FOREIGN KEY (pinned) REFERENCES comments (id)",
        "CREATE TABLE users (id INT PRIMARY KEY)",
    ),
    case(
        "table options: engine, comment, row format",
        "CREATE TABLE cache (k VARCHAR(20) PRIMARY KEY, v TEXT) ENGINE=InnoDB ROW_FORMAT=COMPACT",
        "CREATE TABLE cache (k VARCHAR(20) PRIMARY KEY, v TEXT) ENGINE=MyISAM COMMENT='rebuilt on start'",
    ),
    with_rows(
        "a table's character set, a foreign key on a text column across it",
        "CREATE TABLE users (uuid CHAR(36) PRIMARY KEY, name VARCHAR(50),
           code VARCHAR(5) CHARACTER SET ascii COLLATE ascii_bin) DEFAULT CHARSET=latin1;
         CREATE TABLE devices (uuid CHAR(36) PRIMARY KEY, user_uuid CHAR(36) NOT NULL REFERENCES users (uuid))
           DEFAULT CHARSET=latin1",
        "CREATE TABLE users (uuid CHAR(36) PRIMARY KEY, name VARCHAR(50),
           code VARCHAR(5) CHARACTER SET ascii COLLATE ascii_bin) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
         CREATE TABLE devices (uuid CHAR(36) PRIMARY KEY, user_uuid CHAR(36) NOT NULL REFERENCES users (uuid))
           DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        "INSERT INTO users VALUES ('u1', 'Zoë', 'A'); INSERT INTO devices VALUES ('d1', 'u1')",
        "SELECT COUNT(*) FROM devices JOIN users ON users.uuid = devices.user_uuid WHERE users.name = 'Zoë'",
    ),
    case(
        "system versioning",
        "CREATE TABLE prices (id INT PRIMARY KEY, amount INT)",
        "CREATE TABLE prices (id INT PRIMARY KEY, amount INT) WITH SYSTEM VERSIONING",
    ),
];

const COLUMNS: &[Case] = &[
    with_rows(
        "add columns in the middle and at the end",
        "CREATE TABLE t (id INT PRIMARY KEY, b INT)",
        "CREATE TABLE t (first INT, id INT PRIMARY KEY, a VARCHAR(10) NOT NULL DEFAULT 'x', b INT,
           c DATETIME NULL, total INT AS (id + b) VIRTUAL)",
        "INSERT INTO t VALUES (1, 2)",
        "SELECT COUNT(*) FROM t WHERE id = 1 AND b = 2 AND a = 'x' AND total = 3",
    ),
    with_rows(
        "drop a column",
        "CREATE TABLE t (id INT PRIMARY KEY, gone TEXT, kept INT)",
        "CREATE TABLE t (id INT PRIMARY KEY, kept INT)",
        "INSERT INTO t VALUES (1, 'x', 7)",
        "SELECT COUNT(*) FROM t WHERE kept = 7",
    ),
    with_rows(
        "change a type in place (values kept)",
        "CREATE TABLE t (id INT PRIMARY KEY, size INT NOT NULL, label VARCHAR(10))",
        "CREATE TABLE t (id INT PRIMARY KEY, size BIGINT NOT NULL, label VARCHAR(100))",
        "INSERT INTO t VALUES (1, 2147483647, 'ten chars!')",
        "SELECT COUNT(*) FROM t WHERE size = 2147483647 AND label = 'ten chars!'",
    ),
    case(
        "nullability, default, on update, comment, collation",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10) NOT NULL DEFAULT 'x',
           c TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, d TEXT, e VARCHAR(10))",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT NOT NULL DEFAULT 0, b VARCHAR(10) NULL,
           c TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
           d TEXT COMMENT 'notes', e VARCHAR(10) COLLATE utf8mb4_bin)",
    ),
    with_rows(
        "auto_increment with a new primary key",
        "CREATE TABLE t (id INT NOT NULL, label TEXT)",
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, label TEXT)",
        "INSERT INTO t VALUES (4, 'x')",
        "SELECT COUNT(*) FROM t WHERE id = 4 AND label = 'x'",
    ),
    with_rows(
        "auto_increment on and off",
        "CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT AUTO_INCREMENT PRIMARY KEY)",
        "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY)",
        "INSERT INTO a VALUES (5)",
        "SELECT COUNT(*) FROM a WHERE id = 5",
    ),
    with_rows(
        "a referenced key widened on both sides",
        "CREATE TABLE users (id INT PRIMARY KEY);
         CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id))",
        "CREATE TABLE users (id BIGINT PRIMARY KEY);
         CREATE TABLE posts (id INT PRIMARY KEY, user_id BIGINT, CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id))",
        "INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1)",
        "SELECT COUNT(*) FROM posts JOIN users ON users.id = posts.user_id",
    ),
    case(
        "a generated column's expression",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT AS (a * 2) VIRTUAL)",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT AS (a * 3) VIRTUAL)",
    ),
];

const KEYS: &[Case] = &[
    with_rows(
        "change a primary key (vaultwarden's devices)",
        "CREATE TABLE users (uuid CHAR(36) PRIMARY KEY);
         CREATE TABLE devices (uuid CHAR(36) PRIMARY KEY, user_uuid CHAR(36) NOT NULL REFERENCES users (uuid))",
        "CREATE TABLE users (uuid CHAR(36) PRIMARY KEY);
         CREATE TABLE devices (uuid CHAR(36), user_uuid CHAR(36) NOT NULL REFERENCES users (uuid),
           PRIMARY KEY (uuid, user_uuid))",
        "INSERT INTO users VALUES ('u'); INSERT INTO devices VALUES ('d', 'u')",
        "SELECT COUNT(*) FROM devices",
    ),
    case(
        "add and drop a primary key",
        "CREATE TABLE a (id INT NOT NULL); CREATE TABLE b (id INT NOT NULL PRIMARY KEY)",
        "CREATE TABLE a (id INT NOT NULL PRIMARY KEY); CREATE TABLE b (id INT NOT NULL)",
    ),
    case(
        "unique constraints added, dropped, changed",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT,
           CONSTRAINT t_a UNIQUE (a), CONSTRAINT t_b UNIQUE (b))",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT,
           CONSTRAINT t_b UNIQUE (b, c), CONSTRAINT t_c UNIQUE (c))",
    ),
    case(
        "checks added, dropped, changed",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT,
           CONSTRAINT t_a CHECK (a > 0), CONSTRAINT t_b CHECK (b > 0))",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT,
           CONSTRAINT t_b CHECK (b > 1), CONSTRAINT t_ab CHECK (a < b))",
    ),
    case(
        "drop a column with the check that reads it",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, CONSTRAINT t_ab CHECK (a < b))",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT)",
    ),
    case(
        "foreign keys added, dropped, and one's actions changed",
        "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE);
         CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, editor_id INT, email VARCHAR(50),
           CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id),
           CONSTRAINT posts_editor FOREIGN KEY (editor_id) REFERENCES users (id))",
        "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE);
         CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, editor_id INT, email VARCHAR(50),
           CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON UPDATE CASCADE ON DELETE SET NULL,
           CONSTRAINT posts_email FOREIGN KEY (email) REFERENCES users (email))",
    ),
    case(
        "a foreign key to a new column of its parent, with its own index",
        "CREATE TABLE users (id INT PRIMARY KEY);
         CREATE TABLE posts (id INT PRIMARY KEY, author VARCHAR(20))",
        "CREATE TABLE users (id INT PRIMARY KEY, handle VARCHAR(20) NOT NULL, UNIQUE KEY users_handle (handle));
         CREATE TABLE posts (id INT PRIMARY KEY, author VARCHAR(20), KEY posts_by_author (author),
           CONSTRAINT posts_author FOREIGN KEY (author) REFERENCES users (handle))",
    ),
    // The parent sorts first, so its ALTER comes first: the foreign key on
    // its key must be gone before.
    case(
        "a foreign key dropped with the parent's key it used",
        "CREATE TABLE a_users (id INT PRIMARY KEY, email VARCHAR(50), CONSTRAINT a_users_email UNIQUE (email));
         CREATE TABLE posts (id INT PRIMARY KEY, email VARCHAR(50),
           CONSTRAINT posts_email FOREIGN KEY (email) REFERENCES a_users (email))",
        "CREATE TABLE a_users (id INT PRIMARY KEY, email VARCHAR(50));
         CREATE TABLE posts (id INT PRIMARY KEY, email VARCHAR(50))",
    ),
    case(
        "a new table referencing a column its parent gains",
        "CREATE TABLE users (id INT PRIMARY KEY)",
        "CREATE TABLE users (id INT PRIMARY KEY, handle VARCHAR(20), CONSTRAINT users_handle UNIQUE (handle));
         CREATE TABLE comments (id INT PRIMARY KEY, author VARCHAR(20),
           CONSTRAINT comments_author FOREIGN KEY (author) REFERENCES users (handle))",
    ),
    case(
        "indexes added, dropped, changed: unique, prefix, descending, fulltext, hash",
        "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(100), b INT, c TEXT,
           KEY t_a (a), KEY t_b (b), FULLTEXT KEY t_c (c)) ENGINE=InnoDB",
        "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(100), b INT, c TEXT,
           UNIQUE KEY t_a (a(10)), KEY t_ab (a, b DESC), UNIQUE KEY t_c (c) USING HASH) ENGINE=InnoDB",
    ),
];

const CODE: &[Case] = &[
    case(
        "views created, changed, dropped; one reads another; one reads an altered table",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);
         CREATE VIEW v_gone AS SELECT id FROM t;
         CREATE VIEW v_changed AS SELECT id, a FROM t;
         CREATE VIEW v_reads_altered AS SELECT id, b FROM t",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b BIGINT);
         CREATE VIEW v_changed AS SELECT id, a, b FROM t WHERE a > 0;
         CREATE VIEW v_reads_altered AS SELECT id, b FROM t;
         CREATE VIEW a_reads_view AS SELECT id FROM v_changed",
    ),
    case(
        "functions and procedures created, replaced, dropped",
        "CREATE TABLE t (id INT PRIMARY KEY);
         CREATE FUNCTION f_changed(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
         CREATE PROCEDURE p_gone() SELECT 1;
         CREATE PROCEDURE p_kept() BEGIN SELECT 1; SELECT 2; END",
        "CREATE TABLE t (id INT PRIMARY KEY);
         CREATE FUNCTION f_changed(x INT) RETURNS INT DETERMINISTIC RETURN x + 2;
         CREATE PROCEDURE p_kept() BEGIN SELECT 1; SELECT 2; END;
         CREATE PROCEDURE p_new(IN n INT) BEGIN
           DECLARE i INT DEFAULT 0;
           WHILE i < n DO INSERT INTO t VALUES (i); SET i = i + 1; END WHILE;
         END;
         CREATE VIEW calls AS SELECT f_changed(id) AS next_id FROM t",
    ),
    case(
        "triggers created, changed, dropped",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);
         CREATE TRIGGER t_changed BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;
         CREATE TRIGGER t_gone BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = 2",
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);
         CREATE TRIGGER t_changed BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 2;
         CREATE TRIGGER t_new AFTER DELETE ON t FOR EACH ROW BEGIN
           IF OLD.a > 0 THEN SET @deleted = OLD.id; END IF;
         END",
    ),
    case(
        "events created, changed, dropped",
        "CREATE TABLE t (id INT PRIMARY KEY);
         CREATE EVENT e_changed ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t;
         CREATE EVENT e_gone ON SCHEDULE EVERY 1 HOUR STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t",
        "CREATE TABLE t (id INT PRIMARY KEY);
         CREATE EVENT e_changed ON SCHEDULE EVERY 2 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t;
         CREATE EVENT e_new ON SCHEDULE EVERY 1 WEEK STARTS '2030-01-01 00:00:00' DISABLE
           DO BEGIN DELETE FROM t WHERE id < 0; DELETE FROM t WHERE id > 100; END",
    ),
    case(
        "sequences created, changed, dropped; a default that calls one",
        "CREATE SEQUENCE s_changed START WITH 1 INCREMENT BY 1;
         CREATE SEQUENCE s_gone;
         CREATE TABLE t (id INT PRIMARY KEY)",
        "CREATE SEQUENCE s_changed START WITH 10 INCREMENT BY 5 MAXVALUE 1000 CYCLE;
         CREATE SEQUENCE s_new START WITH 100;
         CREATE TABLE t (id INT PRIMARY KEY, ticket BIGINT NOT NULL DEFAULT NEXTVAL(s_new))",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_are_created_altered_and_dropped() {
    run_cases("tables_are_created_altered_and_dropped", TABLES).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_change_in_place() {
    run_cases("columns_change_in_place", COLUMNS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_checks_foreign_keys_and_indexes_change() {
    run_cases("keys_checks_foreign_keys_and_indexes_change", KEYS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_routines_triggers_events_and_sequences_change() {
    run_cases("views_routines_triggers_events_and_sequences_change", CODE).await;
}

/// Every case, each failure collected, all reported together.
async fn run_cases(test: &str, cases: &[Case]) {
    let test = test_name(module_path!(), test);
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let mut failures = Vec::new();
    for case in cases {
        let mut options = GenerateOptions::default();
        options.allow_destructive = true;
        if let Err(failure) = round_trip(&base, case, &options).await {
            failures.push(format!("### {}\n{failure}", case.what));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The case's draft, applied up and then down through the migrator: each
/// time the database's schema is the one wanted; the lint finds no error.
async fn round_trip(base: &str, case: &Case, options: &GenerateOptions) -> Result<Draft, String> {
    let current = vec![("0001_current.sql".to_owned(), case.current.to_owned())];
    let current_migrations = owned_migrations(&current);
    let draft = Migrator::new(&current_migrations)
        .diff(base, Desired::Sql(case.wanted), options)
        .await
        .map_err(|e| format!("diff: {e}"))?;
    let current_schema = schema_of(base, case.current).await;
    let wanted_schema = schema_of(base, case.wanted).await;
    let [up] = draft.up.as_slice() else {
        return Err(format!("not one up script: {:#?}", draft.up));
    };
    let [down] = draft.down.as_slice() else {
        return Err(format!("not one down script: {:#?}", draft.down));
    };
    let shown = format!("--- up\n{}--- down\n{}", up.sql, down.sql);
    for script in [up, down] {
        lint_clean(&script.sql).map_err(|e| format!("{e}\n{shown}"))?;
    }
    let mut files = current;
    files.push(("0002_generated.up.sql".to_owned(), up.sql.clone()));
    files.push(("0002_generated.down.sql".to_owned(), down.sql.clone()));
    let both = owned_migrations(&files);

    let db = Migrator::new(&current_migrations)
        .test_database(base)
        .await
        .map_err(|e| format!("a database at current: {e}"))?;
    let result = async {
        if !case.seed.is_empty() {
            let mut conn = Conn::open(db.url()).await;
            conn.execute(case.seed).await;
            conn.close().await;
        }
        let migrator = Migrator::new(&both);
        migrator
            .at(db.url())
            .run()
            .await
            .map_err(|e| format!("up: {e}"))?;
        same(&wanted_schema, &inspect(db.url()).await, "after up")?;
        if !case.kept.is_empty() {
            let mut conn = Conn::open(db.url()).await;
            let kept = conn.scalar(case.kept).await;
            conn.close().await;
            if kept != 1 {
                return Err(format!("rows lost: `{}` gives {kept}", case.kept));
            }
        }
        migrator
            .at(db.url())
            .revert(1)
            .await
            .map_err(|e| format!("down: {e}"))?;
        same(&current_schema, &inspect(db.url()).await, "after down")
    }
    .await;
    db.discard().await.map_err(|e| e.to_string())?;
    result.map_err(|e| format!("{e}\n{shown}"))?;
    Ok(draft)
}

/// The schema `sql` makes, applied as a migration.
async fn schema_of(base: &str, sql: &str) -> Schema {
    let migrations = owned_migrations(&[("0001_schema.sql".to_owned(), sql.to_owned())]);
    Migrator::new(&migrations)
        .schema(base)
        .await
        .expect("the schema")
}

async fn inspect(url: &str) -> Schema {
    Migrator::new(&[])
        .at(url)
        .inspect()
        .await
        .expect("inspected")
}

/// No difference between the schemas, nor in the order of any table's
/// columns (which `compare` leaves out).
fn same(wanted: &Schema, found: &Schema, when: &str) -> Result<(), String> {
    let differences = compare(wanted, found);
    if differences.is_empty() {
        let columns = |schema: &Schema| -> Vec<Vec<String>> {
            schema
                .tables
                .iter()
                .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
                .collect()
        };
        if columns(wanted) != columns(found) {
            return Err(format!(
                "{when}, the columns are in another order: {:?} instead of {:?}",
                columns(found),
                columns(wanted)
            ));
        }
        return Ok(());
    }
    let listed: Vec<String> = differences.iter().map(ToString::to_string).collect();
    Err(format!(
        "{when}, differs from the schema wanted:\n{}",
        listed.join("\n")
    ))
}

/// The project's lint, for MySQL, finds no error in `sql`.
fn lint_clean(sql: &str) -> Result<(), String> {
    let report = lint(
        &[Script::new(2, "0002_generated.sql", sql, false)],
        &LintOptions::for_database(Database::MySql),
    );
    let errors: Vec<String> = report.errors().map(|f| format!("{f:?}")).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("lint errors: {errors:#?}"))
    }
}

/// Without `allow_destructive`, a dropped table and a dropped column are
/// refused and listed with their reasons, and the rest is written and
/// applies; the data stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_steps_are_refused_unless_allowed() {
    let test = test_name(
        module_path!(),
        "destructive_steps_are_refused_unless_allowed",
    );
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let current = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT, legacy TEXT); CREATE TABLE audit (id INT PRIMARY KEY)";
    let wanted = "CREATE TABLE users (id INT PRIMARY KEY, name TEXT, email VARCHAR(100))";
    let migrations = owned_migrations(&[("0001_current.sql".to_owned(), current.to_owned())]);
    let draft = Migrator::new(&migrations)
        .diff(&base, Desired::Sql(wanted), &GenerateOptions::default())
        .await
        .expect("drafted");
    let refused: Vec<String> = draft
        .plan
        .refused
        .iter()
        .map(|r| r.reason.clone())
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused[0].starts_with("drops column users.legacy"),
        "{refused:#?}"
    );
    assert!(refused[1].starts_with("drops table audit"), "{refused:#?}");
    assert!(refused.iter().all(|r| r.contains("--allow-destructive")));
    let up = &draft.up[0].sql;
    assert!(!up.contains("DROP"), "{up}");
    assert!(up.contains("ADD COLUMN email varchar(100)"), "{up}");
    lint_clean(up).unwrap();

    // Applied, it adds the column and keeps what it was not allowed to drop.
    let mut files = vec![("0001_current.sql".to_owned(), current.to_owned())];
    files.push(("0002_generated.sql".to_owned(), up.clone()));
    let both = owned_migrations(&files);
    let db = Migrator::new(&both)
        .test_database(&base)
        .await
        .expect("migrated");
    let schema = inspect(db.url()).await;
    db.discard().await.expect("dropped");
    let users = schema.table(&name("users")).expect("users");
    assert!(users.column("legacy").is_some() && users.column("email").is_some());
    assert!(schema.table(&name("audit")).is_some());

    let mut allowed = GenerateOptions::default();
    allowed.allow_destructive = true;
    let draft = Migrator::new(&migrations)
        .diff(&base, Desired::Sql(wanted), &allowed)
        .await
        .expect("drafted");
    assert!(draft.plan.refused.is_empty());
    let up = &draft.up[0].sql;
    assert!(
        up.contains("DROP COLUMN legacy") && up.contains("DROP TABLE audit"),
        "{up}"
    );
}

/// A column and a table dropped and added with the same shape are listed
/// as possible renames (and, allowed, written as drop and add); named in
/// `renames`, they are written as `RENAME`, which keeps the rows, and the
/// down script renames them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_are_listed_and_written_only_when_named() {
    let test = test_name(
        module_path!(),
        "renames_are_listed_and_written_only_when_named",
    );
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let current = "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, KEY users_name (name));
                   CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id));
                   CREATE TABLE comments (id INT PRIMARY KEY, post_id INT, CONSTRAINT comments_post FOREIGN KEY (post_id) REFERENCES posts (id))";
    let wanted = "CREATE TABLE users (uid INT PRIMARY KEY, full_name VARCHAR(50) NOT NULL, KEY users_name (full_name));
                  CREATE TABLE articles (id INT PRIMARY KEY, user_id INT, CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (uid));
                  CREATE TABLE comments (id INT PRIMARY KEY, article_id INT,
                    CONSTRAINT comments_post FOREIGN KEY (article_id) REFERENCES articles (id))";
    let migrations = owned_migrations(&[("0001_current.sql".to_owned(), current.to_owned())]);
    let mut options = GenerateOptions::default();
    options.allow_destructive = true;
    let guessed = Migrator::new(&migrations)
        .diff(&base, Desired::Sql(wanted), &options)
        .await
        .expect("drafted");
    let renames = &guessed.plan.possible_renames;
    assert!(
        renames.contains(&(
            "users".to_owned(),
            "name".to_owned(),
            "full_name".to_owned()
        )),
        "{renames:?}"
    );
    assert!(
        renames.contains(&(String::new(), "posts".to_owned(), "articles".to_owned())),
        "{renames:?}"
    );
    assert!(
        !guessed.up[0].sql.contains("RENAME"),
        "{}",
        guessed.up[0].sql
    );

    options.renames = vec![
        Rename::Table {
            from: name("posts"),
            to: "articles".to_owned(),
        },
        Rename::Column {
            table: name("users"),
            from: "name".to_owned(),
            to: "full_name".to_owned(),
        },
        // Both sides of foreign keys.
        Rename::Column {
            table: name("users"),
            from: "id".to_owned(),
            to: "uid".to_owned(),
        },
        Rename::Column {
            table: name("comments"),
            from: "post_id".to_owned(),
            to: "article_id".to_owned(),
        },
    ];
    let case = with_rows(
        "renames named",
        current,
        wanted,
        "INSERT INTO users VALUES (1, 'Ada'); INSERT INTO posts VALUES (7, 1); INSERT INTO comments VALUES (9, 7)",
        "SELECT COUNT(*) FROM comments JOIN articles ON articles.id = comments.article_id \
         JOIN users ON users.uid = articles.user_id WHERE comments.id = 9 AND users.full_name = 'Ada'",
    );
    let draft = round_trip(&base, &case, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let up = &draft.up[0].sql;
    assert!(draft.plan.possible_renames.is_empty());
    assert!(up.contains("RENAME TABLE posts TO articles"), "{up}");
    assert!(up.contains("RENAME COLUMN name TO full_name"), "{up}");
    // Nothing dropped, not even the indexes on the renamed columns.
    assert!(!up.contains("DROP"), "{up}");
    assert!(!draft.down[0].sql.contains("DROP"), "{}", draft.down[0].sql);
}

fn name(table: &str) -> QualifiedName {
    QualifiedName::new(None, table)
}

/// Issue 21's measurement: each migration of the MySQL corpora
/// regenerated from the schemas before and after it (read from one
/// database the migrations are applied to one at a time, the first from
/// an empty database), the generated script applied by the migrator to a
/// database loaded with the dump of the schema before, and the result
/// compared with the schema after. A pair whose steps look like a rename
/// is refused, as `diff` refuses it without `--rename`; every other pair
/// must come out exactly, with foreign key checks on, or, only where the
/// schema after holds a foreign key to a table that does not exist (which
/// MySQL makes only with them off), with the corpus's own session setup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_history_is_reproduced() {
    let test = test_name(module_path!(), "corpus_history_is_reproduced");
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let mut table = vec![
        "| corpus | steps | reproduced | (no schema change) | (FK checks off) | refused: likely rename | (reproduced once named) | wrong |".to_owned(),
        "|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    let mut wrong = Vec::new();
    for (_, dir) in CORPORA
        .iter()
        .filter(|(kind, _)| *kind == BackendKind::MySql)
    {
        let migrations = load(dir);
        let schemas = schemas_after_each(&base, dir, &migrations).await;
        let (mut reproduced, mut unchanged, mut unchecked) = (0, 0, 0);
        let (mut renames, mut renamed) = (0, 0);
        for (k, pair) in schemas.windows(2).enumerate() {
            let (before, after) = (&pair[0], &pair[1]);
            let migration = &migrations[k];
            let label = format!("{} {}", migration.version, migration.name);
            let mut options = GenerateOptions::default();
            options.allow_destructive = true;
            let generated = generate(before, after, &options);
            // Refused as `diff` refuses it; named, as `--rename` names them,
            // the renames must reproduce the step too.
            let refused = !generated.possible_renames.is_empty();
            let generated = if refused {
                eprintln!(
                    "{label}: refused, likely renames {:?}",
                    generated.possible_renames
                );
                options.renames = generated.possible_renames.iter().map(rename).collect();
                generate(before, after, &options)
            } else {
                generated
            };
            let scripts = render_steps(&generated.steps, before, after);
            for script in &scripts {
                if let Err(error) = lint_clean(&script.sql) {
                    wrong.push(format!("{label}: {error}\n{}", script.sql));
                }
            }
            let mut outcome = replay(&base, before, &scripts, None).await;
            if outcome.is_err() && has_dangling_foreign_key(after) {
                outcome = replay(&base, before, &scripts, corpus_session_setup(dir)).await;
                unchecked += usize::from(outcome.is_ok());
            }
            let result =
                outcome.and_then(|found| same(after, &found, "after the generated script"));
            match result {
                Ok(()) if refused => (renames, renamed) = (renames + 1, renamed + 1),
                Ok(()) => {
                    reproduced += 1;
                    unchanged += usize::from(generated.steps.is_empty());
                }
                Err(error) if refused => {
                    renames += 1;
                    wrong.push(format!(
                        "{label}, with its renames named: {error}\n{scripts:#?}"
                    ));
                }
                Err(error) => wrong.push(format!("{label}: {error}\n{scripts:#?}")),
            }
        }
        table.push(format!(
            "| {} | {} | {reproduced} | {unchanged} | {unchecked} | {renames} | {renamed} | {} |",
            dir.trim_start_matches("../migrate-core/tests/corpora/"),
            migrations.len(),
            migrations.len() - reproduced - renames
        ));
    }
    eprintln!("{}", table.join("\n"));
    assert!(wrong.is_empty(), "wrong steps:\n{}", wrong.join("\n\n"));
}

/// A `(table, old, new)` of [`Generated::possible_renames`] as the rename
/// `--rename` names (`table` empty: a table).
///
/// [`Generated::possible_renames`]: migrata::schema::Generated::possible_renames
fn rename((table, from, to): &(String, String, String)) -> Rename {
    if table.is_empty() {
        Rename::Table {
            from: name(from),
            to: to.clone(),
        }
    } else {
        Rename::Column {
            table: name(table),
            from: from.clone(),
            to: to.clone(),
        }
    }
}

/// A foreign key of the schema references a table it does not have.
fn has_dangling_foreign_key(schema: &Schema) -> bool {
    schema.tables.iter().any(|table| {
        table
            .foreign_keys
            .iter()
            .any(|fk| fk.references.schema.is_none() && schema.table(&fk.references).is_none())
    })
}

/// The schema before the first migration (empty) and after each, read
/// from one database they are applied to one at a time, with the session
/// setup the corpus's own tool runs them with.
async fn schemas_after_each(base: &str, dir: &str, migrations: &[Migration]) -> Vec<Schema> {
    let db = Migrator::new(&[])
        .test_database(base)
        .await
        .expect("an empty database");
    let mut schemas = vec![inspect(db.url()).await];
    for migration in migrations {
        let mut migrator = Migrator::new(migrations).target(migration.version);
        if let Some(setup) = corpus_session_setup(dir) {
            migrator = migrator.session_setup(setup);
        }
        migrator
            .at(db.url())
            .run()
            .await
            .expect("the corpus applies");
        schemas.push(inspect(db.url()).await);
    }
    db.discard().await.expect("dropped");
    schemas
}

/// A database loaded with the dump of `before`, `scripts` applied as
/// migrations (with `setup` as the session setup): its schema, or the error
/// that stopped them.
async fn replay(
    base: &str,
    before: &Schema,
    scripts: &[GeneratedScript],
    setup: Option<&str>,
) -> Result<Schema, String> {
    let db = Migrator::new(&[])
        .test_database(base)
        .await
        .map_err(|e| e.to_string())?;
    let result = async {
        let dump = before.to_sql();
        if !dump.is_empty() {
            let mut conn = Conn::open(db.url()).await;
            conn.execute(&dump).await;
            conn.close().await;
        }
        let files: Vec<(String, String)> = scripts
            .iter()
            .enumerate()
            .map(|(i, script)| (format!("{:04}_generated.sql", i + 1), script.sql.clone()))
            .collect();
        let generated = owned_migrations(&files);
        let mut migrator = Migrator::new(&generated);
        if let Some(setup) = setup {
            migrator = migrator.session_setup(setup);
        }
        migrator
            .at(db.url())
            .run()
            .await
            .map_err(|e| format!("the generated script failed: {e}"))?;
        Ok(inspect(db.url()).await)
    }
    .await;
    db.discard().await.map_err(|e| e.to_string())?;
    result
}
