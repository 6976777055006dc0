//! Offline SQL piped into the real command-line client (`sqlite3`, `psql`,
//! `mysql`) builds the same database as an online run, up and down.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{migrations, profile, TestDb};
use migrata::{BackendKind, Migration, Migrator, TransactionMode};
use sqlx::Connection;

/// A note with a quote, a semicolon and a backslash in it.
const NOTE: &str = "it's; a \\ backslash";

fn reversible_set(kind: BackendKind) -> Vec<Migration> {
    let profile = profile(kind);
    // Quoting as each backend reads it; no final semicolon, a trailing comment.
    let quotes = format!(
        "INSERT INTO notes (id, body) VALUES (2, {}) -- no semicolon",
        (profile.string_literal)(NOTE)
    );
    let index = format!(
        "-- migrate:no-transaction\nCREATE INDEX {}users_email ON users (email);\n",
        profile.concurrently
    );
    let drop_index = (profile.drop_index)("users_email", "users");
    migrations(&[
        ("0001_users.up.sql", "-- accounts\nCREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL);\nINSERT INTO users (id, email) VALUES (1, 'o''brien@example.com');\n"),
        ("0001_users.down.sql", "DROP TABLE users;"),
        ("0002_index.up.sql", &index),
        ("0002_index.down.sql", &drop_index),
        ("0003_notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO notes (id, body) VALUES (1, 'semi;colon -- not a comment');"),
        ("0003_notes.down.sql", "DROP TABLE notes;"),
        ("0004_quotes.up.sql", &quotes),
        ("0004_quotes.down.sql", "DELETE FROM notes WHERE id = 2"),
    ])
}

/// Runs `sql` through the backend's command-line client, as a DBA would:
/// with default settings (the script itself asks to stop at the first error).
fn pipe_into_client(db: &TestDb, sql: &str, must_succeed: bool) -> bool {
    let Some(output) = client_output(db, sql) else {
        return false;
    };
    if !must_succeed {
        return output.status.success();
    }
    assert!(
        output.status.success(),
        "{} failed:\n{}\n--- script ---\n{sql}",
        (db.profile().client)(&db.url).0,
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

/// What the backend's command-line client did with `sql`; `None` (after a
/// `SKIPPED:` line) when it is not installed and servers are not required.
pub fn client_output(db: &TestDb, sql: &str) -> Option<std::process::Output> {
    let (program, args) = (db.profile().client)(&db.url);
    let child = Command::new(program)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("MIGRATE_TEST_REQUIRE_SERVERS").is_err(),
                "{program} is not installed"
            );
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: offline SQL on {}: `{program}` is not installed",
                db.kind
            );
            return None;
        }
        Err(e) => panic!("{program}: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

on_every_backend!(
    offline_sql_builds_the_same_database_as_an_online_run,
    offline_single_transaction_mode_too,
    offline_contract_migrations_in_a_section_of_their_own,
    pending_sql_renders_what_a_run_would_apply_now
);

async fn offline_sql_builds_the_same_database_as_an_online_run(online: TestDb) {
    offline_matches_online(online, TransactionMode::PerMigration).await;
}

async fn offline_single_transaction_mode_too(online: TestDb) {
    offline_matches_online(online, TransactionMode::Single).await;
}

async fn offline_matches_online(online: TestDb, mode: TransactionMode) {
    let kind = online.kind;
    let set = reversible_set(kind);
    let offline = TestDb::create(kind, "offline").await.unwrap();

    Migrator::new(&set)
        .transaction(mode)
        .run(&online.url)
        .await
        .unwrap();
    let up = Migrator::new(&set)
        .transaction(mode)
        .offline(kind)
        .up(None, None)
        .unwrap();
    if !pipe_into_client(&offline, &up, true) {
        return;
    }
    assert_eq!(
        offline.schema().await,
        online.schema().await,
        "{kind}: schema\n{up}"
    );
    assert_eq!(
        offline.history().await,
        online.history().await,
        "{kind}: history rows\n{up}"
    );
    assert_eq!(offline.scalar("SELECT count(*) FROM users").await, 1);
    assert_eq!(
        offline
            .strings_of("SELECT body FROM notes WHERE id = 2")
            .await,
        [NOTE]
    );
    let report = Migrator::new(&set).run(&offline.url).await.unwrap();
    assert!(
        report.is_up_to_date(),
        "{kind}: an online run after the offline script has nothing to do"
    );

    // Down to version 1 offline, and online on the other database.
    let down = Migrator::new(&set)
        .transaction(mode)
        .offline(kind)
        .down(None, 1)
        .unwrap();
    assert!(pipe_into_client(&offline, &down, true));
    Migrator::new(&set)
        .transaction(mode)
        .at(&online.url)
        .revert(1)
        .await
        .unwrap();
    assert_eq!(offline.versions().await, [1], "{kind}\n{down}");
    assert_eq!(
        offline.schema().await,
        online.schema().await,
        "{kind}: schema after down\n{down}"
    );

    // A partial range: from 1 up to 2.
    let partial = Migrator::new(&set)
        .offline(kind)
        .up(Some(1), Some(2))
        .unwrap();
    assert!(pipe_into_client(&offline, &partial, true));
    assert_eq!(offline.versions().await, [1, 2], "{kind}\n{partial}");

    // The script stops at the first error, as an online run does: no history
    // row for a failed migration, nothing after it.
    let broken = migrations(&[
        ("0001_bad.sql", "INSERT INTO no_such_table VALUES (1);"),
        (
            "0002_after.sql",
            "CREATE TABLE after_the_error (id INTEGER);",
        ),
    ]);
    let failing = TestDb::create(kind, "offline-failing").await.unwrap();
    let script = Migrator::new(&broken).offline(kind).up(None, None).unwrap();
    assert!(!pipe_into_client(&failing, &script, false));
    let rows: Vec<(i64, bool)> = failing.history().await.iter().map(|r| (r.0, r.3)).collect();
    let expected: &[(i64, bool)] = if kind.transactional_ddl() {
        &[]
    } else {
        &[(1, false)]
    };
    assert_eq!(
        rows, expected,
        "{kind}: as online, no row (or MySQL's failed row)
{script}"
    );
    assert!(
        !failing.table_exists("after_the_error").await,
        "{kind}: the script went on after an error"
    );
}

#[test]
fn rendering_escapes_literals_and_states_what_it_covers() {
    let set = migrations(&[
        ("0001_users.sql", "CREATE TABLE users (id INTEGER)"),
        ("0002_more.sql", "SELECT 2;"),
    ]);
    let sql = Migrator::new(&set)
        .table("app.history")
        .offline(BackendKind::MySql)
        .up(None, None)
        .unwrap();
    assert!(
        sql.starts_with("-- Offline SQL generated by migrata for mysql, up: versions 1, 2\n"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE TABLE IF NOT EXISTS `app`.`history`"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE TABLE users (id INTEGER)\n;\n"),
        "a missing final semicolon is added: {sql}"
    );
    assert!(sql.contains("VALUES (1, 'users', '"), "{sql}");
    let none = Migrator::new(&set)
        .offline(BackendKind::Sqlite)
        .up(Some(2), None)
        .unwrap();
    assert!(none.contains("nothing to do"), "{none}");
    let err = Migrator::new(&set)
        .offline(BackendKind::Sqlite)
        .down(None, 0)
        .unwrap_err();
    assert!(
        matches!(err, migrata::Error::Irreversible { version: 2, .. }),
        "{err}"
    );
}

/// Issue 10, item 2: SQLite's documented table rebuild (create new, copy,
/// drop old, rename) keeps the child rows online, as the same files do
/// through the offline SQL and `sqlite3`; a migration that orphans child
/// rows fails and rolls back; the connection enforces foreign keys again
/// afterwards.
#[tokio::test]
async fn sqlite_table_rebuild_keeps_child_rows_online_and_offline() {
    let test = "offline::sqlite_table_rebuild_keeps_child_rows_online_and_offline";
    let Some(online) = TestDb::create(BackendKind::Sqlite, test).await else {
        return;
    };
    let offline = TestDb::create(BackendKind::Sqlite, test).await.unwrap();
    let set = migrations(&[
        (
            "0001_tables.sql",
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n\
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);\n\
             INSERT INTO parent VALUES (1, 'a'), (2, 'b');\n\
             INSERT INTO child VALUES (10, 1), (20, 2);",
        ),
        (
            "0002_rebuild_parent.sql",
            "CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
             INSERT INTO new_parent (id, name) SELECT id, coalesce(name, '') FROM parent;\n\
             DROP TABLE parent;\n\
             ALTER TABLE new_parent RENAME TO parent;",
        ),
    ]);
    let mut conn = sqlx::SqliteConnection::connect(&online.url).await.unwrap();
    let report = Migrator::new(&set).run_on(&mut conn).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_eq!(online.scalar("SELECT count(*) FROM child").await, 2);
    let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        enforced, 1,
        "enforcement is restored on the caller's connection"
    );

    let up = Migrator::new(&set)
        .offline(BackendKind::Sqlite)
        .up(None, None)
        .unwrap();
    if pipe_into_client(&offline, &up, true) {
        assert_eq!(offline.scalar("SELECT count(*) FROM child").await, 2);
        assert_eq!(offline.schema().await, online.schema().await);
    }

    // Orphaning child rows is refused by name, and nothing of it stays.
    let mut orphaning = set.clone();
    orphaning.extend(migrations(&[(
        "0003_drop_a.sql",
        "DELETE FROM parent WHERE id = 1;",
    )]));
    let err = Migrator::new(&orphaning)
        .run_on(&mut conn)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, migrata::Error::ForeignKeyViolation { version: 3, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("child row 10 references missing parent"),
        "{err}"
    );
    assert_eq!(online.scalar("SELECT count(*) FROM parent").await, 2);
    assert_eq!(online.versions().await, [1, 2]);
    let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(enforced, 1, "restored after a failure too");
}

/// Enforcement is switched off for a run's transactions only: a script
/// outside a transaction, between two transactional ones, runs with it on,
/// so its ON DELETE CASCADE fires.
#[tokio::test]
async fn sqlite_scripts_outside_a_transaction_run_with_foreign_keys_enforced() {
    let Some(db) = TestDb::create(BackendKind::Sqlite, "fk_untransacted").await else {
        return;
    };
    let set = migrations(&[
        (
            "0001_tables.sql",
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);\n\
             INSERT INTO parent VALUES (1), (2);\n\
             INSERT INTO child VALUES (10, 1), (20, 2);",
        ),
        (
            "0002_drop_parent_2.sql",
            "-- migrate:no-transaction\nDELETE FROM parent WHERE id = 2;",
        ),
        ("0003_more.sql", "CREATE TABLE later (id INTEGER);"),
    ]);
    let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    let report = Migrator::new(&set).run_on(&mut conn).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(
        db.scalar("SELECT count(*) FROM child").await,
        1,
        "the cascade fired"
    );
    let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(enforced, 1);
}

/// Issue 23: contract migrations come last, in a section of their own
/// that says when to run it and runs on its own. The part before it,
/// piped into the client at deploy time, applies the expand migrations
/// (one newer than the contract migration among them) and leaves the
/// dropped column readable; the section, piped in later, applies the
/// contract migration. In both transaction modes.
async fn offline_contract_migrations_in_a_section_of_their_own(db: TestDb) {
    const MARKER: &str = "-- ===================================================================\n-- CONTRACT MIGRATIONS";
    let set = migrations(&[
        ("0001_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY, legacy VARCHAR(20));\nINSERT INTO items (id, legacy) VALUES (1, 'a');\n"),
        ("0002_drop_legacy.sql", "-- migrate:phase contract\nALTER TABLE items DROP COLUMN legacy;\n"),
        ("0003_label.sql", "ALTER TABLE items ADD COLUMN label VARCHAR(20);\n"),
    ]);
    for (round, mode) in [TransactionMode::PerMigration, TransactionMode::Single]
        .into_iter()
        .enumerate()
    {
        let table = format!("history_{round}");
        let sql = Migrator::new(&set)
            .table(&table)
            .transaction(mode)
            .offline(db.kind)
            .up(None, None)
            .unwrap();
        assert_eq!(sql.matches(MARKER).count(), 1, "{sql}");
        let (expand, contract) = sql.split_once(MARKER).unwrap();
        let contract = format!("{MARKER}{contract}");
        assert!(
            contract.contains("versions 2\n")
                && contract.contains("embeds version 2\n")
                && contract.contains("DROP COLUMN legacy"),
            "{contract}"
        );
        assert!(
            !expand.contains("DROP COLUMN") && expand.contains("ADD COLUMN label"),
            "{expand}"
        );
        if round == 1 {
            // Already applied by the first round; only the text is new.
            continue;
        }
        if !pipe_into_client(&db, expand, true) {
            return;
        }
        let applied = format!("SELECT count(*) FROM {table}");
        assert_eq!(db.scalar(&applied).await, 2);
        assert_eq!(db.scalar("SELECT count(legacy) FROM items").await, 1);
        pipe_into_client(&db, &contract, true);
        assert_eq!(db.scalar(&applied).await, 3);
        let status = Migrator::new(&set)
            .table(&table)
            .at(&db.url)
            .status()
            .await
            .unwrap();
        assert_eq!(status.pending().count(), 0);
    }
}

/// Issue 26 item 4: `pending_sql` reads the history and renders exactly the
/// migrations a run would apply (the header names only those, the history
/// table is created only when missing); piped into the client, the database
/// ends where a run would have left it, and a run then finds nothing to do.
/// A pending code migration ends the script, and it says so.
async fn pending_sql_renders_what_a_run_would_apply_now(db: TestDb) {
    let kind = db.kind;
    let set = reversible_set(kind);
    let fresh = Migrator::new(&set).at(&db.url).pending_sql().await.unwrap();
    assert!(
        fresh.sql.starts_with(&format!(
            "-- Offline SQL generated by migrata for {kind}, up: versions 1, 2, 3, 4\n"
        )),
        "{}",
        fresh.sql
    );
    assert!(
        fresh.sql.contains("CREATE TABLE"),
        "the history table is missing"
    );
    assert_eq!(fresh.stops_at_code, None);

    Migrator::new(&set).target(2).run(&db.url).await.unwrap();
    let pending = Migrator::new(&set).at(&db.url).pending_sql().await.unwrap();
    assert!(
        pending.sql.starts_with(&format!(
            "-- Offline SQL generated by migrata for {kind}, up: versions 3, 4\n"
        )),
        "{}",
        pending.sql
    );
    assert!(
        !pending.sql.contains("CREATE TABLE users"),
        "{}",
        pending.sql
    );
    assert!(
        !pending.sql.contains("migrate_history ("),
        "{}",
        pending.sql
    );
    if !pipe_into_client(&db, &pending.sql, true) {
        return;
    }
    let status = Migrator::new(&set).at(&db.url).status().await.unwrap();
    assert_eq!(status.pending().count(), 0, "{status:?}");
    let again = Migrator::new(&set).run(&db.url).await.unwrap();
    assert!(again.is_up_to_date());
    let nothing = Migrator::new(&set).at(&db.url).pending_sql().await.unwrap();
    assert!(
        nothing.sql.starts_with(&format!(
            "-- Offline SQL generated by migrata for {kind}, up: nothing to do\n"
        )),
        "{}",
        nothing.sql
    );

    // A code migration pending: rendered up to it, and no further.
    let mut with_code = set.clone();
    with_code.extend(migrations(&[
        ("0005_backfill.rs", "pub async fn up(conn: &mut migrata::CodeConnection<'_>) -> Result<(), migrata::CodeError> { let _ = conn; Ok(()) }"),
        ("0006_after.up.sql", "CREATE TABLE after_code (id INTEGER);"),
    ]));
    let stopped = Migrator::new(&with_code)
        .at(&db.url)
        .pending_sql()
        .await
        .unwrap();
    assert_eq!(stopped.stops_at_code, Some(5));
    assert!(
        stopped.sql.contains("-- STOP: migration 5 backfill"),
        "{}",
        stopped.sql
    );
    assert!(!stopped.sql.contains("after_code"), "{}", stopped.sql);
    assert!(stopped.sql.contains("up: nothing to do"), "{}", stopped.sql);
}
