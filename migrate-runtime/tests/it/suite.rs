//! The migrator's behaviour, run against a real database of each backend:
//! SQLite always, PostgreSQL and MariaDB/MySQL when their URLs are set.

use crate::common::{migrations, TestDb};
use migrata::{BackendKind, Error, MigrationState, Migrator, Policy, TransactionMode};

const USERS: (&str, &str) = (
    "0001_users.sql",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL);\n",
);
const POSTS: (&str, &str) = (
    "0002_posts.sql",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);\nINSERT INTO posts (id, user_id) VALUES (1, 1);\n",
);
const TAGS: (&str, &str) = (
    "0003_tags.sql",
    "CREATE TABLE tags (name VARCHAR(100) PRIMARY KEY);\n",
);

on_every_backend!(
    fresh_apply_creates_schema_and_history,
    edited_script_is_divergent_before_anything_runs,
    version_absent_from_binary_is_missing,
    failing_script_leaves_nothing_behind_or_marks_it_dirty,
    target_version_stops_there,
    crlf_copy_of_applied_script_is_not_divergent,
    no_transaction_script_runs_outside_a_transaction,
    single_transaction_mode_is_all_or_nothing,
    no_transaction_mode_marks_a_failed_migration_dirty,
    a_failed_untransacted_row_has_no_duration,
    a_connection_lost_outside_a_transaction_says_the_row_is_left_failed,
    late_merged_migration_is_out_of_order,
    custom_table_and_session_setup,
    failed_session_setup_is_reported,
    invalid_table_name_is_rejected,
    a_table_name_too_long_for_its_lease_table_is_refused,
    down_then_up_round_trips,
    revert_without_a_down_script_is_refused_before_anything_runs,
    stamp_then_up_skips_the_stamped_versions,
    status_reports_every_state,
    a_script_may_empty_the_search_path,
);

async fn fresh_apply_creates_schema_and_history(db: TestDb) {
    let set = migrations(&[USERS, POSTS, TAGS]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.backend, db.kind);
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(report.applied[1].file, "0002_posts.sql");
    for table in ["users", "posts", "tags"] {
        assert!(db.table_exists(table).await, "{table}");
    }
    let rows = db.history().await;
    assert_eq!(rows.len(), 3);
    for (row, m) in rows.iter().zip(&set) {
        assert_eq!(
            row,
            &(m.version, m.name.to_string(), m.checksum.to_string(), true)
        );
    }
    let recent = db.profile().applied_last_minute;
    assert_eq!(
        db.scalar(recent).await,
        3,
        "applied_at is the current UTC time"
    );
}

async fn edited_script_is_divergent_before_anything_runs(db: TestDb) {
    Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&db.url)
        .await
        .unwrap();
    let edited = (
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200));\n",
    );
    let err = Migrator::new(&migrations(&[edited, POSTS, TAGS]))
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Divergent { version: 1, .. }), "{err}");
    assert!(err.to_string().contains("`0001_users.sql`"), "{err}");
    assert!(
        !db.table_exists("tags").await,
        "pending migration ran despite divergence"
    );
    assert_eq!(db.versions().await, [1, 2]);

    let warned = Migrator::new(&migrations(&[edited, POSTS, TAGS]))
        .on_divergent(Policy::Warn)
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(warned.applied.len(), 1);
}

async fn version_absent_from_binary_is_missing(db: TestDb) {
    Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
        .run(&db.url)
        .await
        .unwrap();
    let err = Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Missing { version: 3, ref name } if name == "tags"),
        "{err}"
    );
    let ok = Migrator::new(&migrations(&[USERS, POSTS]))
        .on_missing(Policy::Ignore)
        .run(&db.url)
        .await
        .unwrap();
    assert!(ok.is_up_to_date());
}

async fn failing_script_leaves_nothing_behind_or_marks_it_dirty(db: TestDb) {
    let broken = (
        "0003_broken.sql",
        "CREATE TABLE half (id INTEGER);\nINSERT INTO half VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n",
    );
    let set = migrations(&[USERS, POSTS, broken]);
    let err = Migrator::new(&set).run(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::Migration { version: 3, .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("`0003_broken.sql`") && message.contains("no_such_table"),
        "{message}"
    );
    assert!(db.table_exists("posts").await, "earlier migrations stay");

    if db.kind.transactional_ddl() {
        assert!(
            !db.table_exists("half").await,
            "half-applied script left its table"
        );
        assert_eq!(db.versions().await, [1, 2]);
    } else {
        // MySQL commits DDL implicitly: the row says the script may be half done.
        assert!(db.table_exists("half").await);
        let rows = db.history().await;
        assert_eq!(
            rows.iter().map(|r| (r.0, r.3)).collect::<Vec<_>>(),
            [(1, true), (2, true), (3, false)]
        );
        let err = Migrator::new(&set).run(&db.url).await.unwrap_err();
        assert!(matches!(err, Error::Dirty { version: 3, .. }), "{err}");
        assert!(err.to_string().contains("partially applied"), "{err}");
    }
}

async fn target_version_stops_there(db: TestDb) {
    let set = migrations(&[USERS, POSTS, TAGS]);
    let report = Migrator::new(&set).target(2).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_eq!(db.versions().await, [1, 2]);
    assert!(!db.table_exists("tags").await);
    let rest = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(
        rest.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
}

async fn crlf_copy_of_applied_script_is_not_divergent(db: TestDb) {
    Migrator::new(&migrations(&[USERS, POSTS]))
        .run(&db.url)
        .await
        .unwrap();
    let crlf_posts = POSTS.1.replace('\n', "\r\n");
    let bom_users = format!("\u{feff}{}", USERS.1.replace('\n', "\r\n"));
    let set = migrations(&[
        ("0001_users.sql", &bom_users),
        ("0002_posts.sql", &crlf_posts),
        TAGS,
    ]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );

    // ... and a BOM + CRLF script runs as SQL.
    let (_dir, fresh) = (0, TestDb::create(db.kind, "crlf").await.unwrap());
    Migrator::new(&set).run(&fresh.url).await.unwrap();
    assert!(fresh.table_exists("users").await);
}

async fn no_transaction_script_runs_outside_a_transaction(db: TestDb) {
    // Each of these fails inside a transaction block, so success proves the
    // directive was honoured (MySQL has no such statement; there every
    // script runs outside a transaction anyway).
    let statement = db.profile().outside_transaction_only;
    let with = format!("-- migrate:no-transaction\n{statement}\n");
    let report = Migrator::new(&migrations(&[USERS, ("0002_outside.sql", &with), TAGS]))
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(
        db.history().await.iter().map(|r| r.3).collect::<Vec<_>>(),
        [true; 3]
    );

    if db.kind.transactional_ddl() {
        let fresh = TestDb::create(db.kind, "no-transaction").await.unwrap();
        let err = Migrator::new(&migrations(&[USERS, ("0002_inside.sql", statement)]))
            .run(&fresh.url)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Migration { version: 2, .. }), "{err}");
    }
}

async fn single_transaction_mode_is_all_or_nothing(db: TestDb) {
    let broken = ("0003_broken.sql", "INSERT INTO nowhere VALUES (1);");
    let err = Migrator::new(&migrations(&[USERS, POSTS, broken]))
        .transaction(TransactionMode::Single)
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 3, .. }), "{err}");
    if db.kind.transactional_ddl() {
        assert!(!db.table_exists("users").await);
        assert!(db.versions().await.is_empty());
        let report = Migrator::new(&migrations(&[USERS, POSTS, TAGS]))
            .transaction(TransactionMode::Single)
            .run(&db.url)
            .await
            .unwrap();
        assert_eq!(report.applied.len(), 3);
    } else {
        assert_eq!(
            db.history()
                .await
                .iter()
                .map(|r| (r.0, r.3))
                .collect::<Vec<_>>(),
            [(1, true), (2, true), (3, false)]
        );
    }
}

async fn no_transaction_mode_marks_a_failed_migration_dirty(db: TestDb) {
    let broken = (
        "0002_broken.sql",
        "CREATE TABLE partial (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
    );
    let set = migrations(&[USERS, broken]);
    let err = Migrator::new(&set)
        .transaction(TransactionMode::None)
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Migration { version: 2, .. }), "{err}");
    assert!(
        db.table_exists("partial").await,
        "without a transaction the first statement stays"
    );
    assert_eq!(
        db.history()
            .await
            .iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        [(1, true), (2, false)]
    );
    let err = Migrator::new(&set).run(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::Dirty { version: 2, .. }), "{err}");
    assert!(err.to_string().contains("repair"), "{err}");
}

/// Issue 25, item 20: the row of a script that failed outside a transaction
/// holds its claim mark, which `status` showed as a negative duration.
async fn a_failed_untransacted_row_has_no_duration(db: TestDb) {
    let broken = ("0002_broken.sql", "INSERT INTO nowhere VALUES (1);");
    let set = migrations(&[USERS, broken]);
    let migrator = Migrator::new(&set).transaction(TransactionMode::None);
    migrator.run(&db.url).await.unwrap_err();
    let status = migrator.at(&db.url).status().await.unwrap();
    let failed = &status.entries[1];
    assert_eq!(failed.state, MigrationState::Failed, "{status:?}");
    assert_eq!(failed.duration_ms, None, "{status:?}");
    assert!(status.entries[0].duration_ms.is_some_and(|ms| ms >= 0));
}

/// Issue 25, item 21: a connection lost in a script run outside a
/// transaction said only "failed: terminating connection", not that its
/// row stays marked failed and the next run needs `repair`. (SQLite loses
/// no connection; its script fails instead, which leaves the same row.)
async fn a_connection_lost_outside_a_transaction_says_the_row_is_left_failed(db: TestDb) {
    let script = match db.kind {
        migrata::BackendKind::Postgres => "SELECT pg_terminate_backend(pg_backend_pid());",
        migrata::BackendKind::MySql => "KILL CONNECTION_ID();",
        _ => "INSERT INTO nowhere VALUES (1);",
    };
    let set = migrations(&[USERS, ("0002_lost.sql", script)]);
    let error = Migrator::new(&set)
        .transaction(TransactionMode::None)
        .run(&db.url)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            Error::Migration {
                version: 2,
                left_failed: true,
                ..
            }
        ),
        "{}: {message}",
        db.kind
    );
    assert!(
        message.contains("left marked failed") && message.contains("`repair`"),
        "{}: {message}",
        db.kind
    );
    assert_eq!(
        db.history()
            .await
            .iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        [(1, true), (2, false)],
        "{}",
        db.kind
    );
}

async fn late_merged_migration_is_out_of_order(db: TestDb) {
    Migrator::new(&migrations(&[USERS, TAGS]))
        .run(&db.url)
        .await
        .unwrap();
    let all = migrations(&[USERS, POSTS, TAGS]);
    let err = Migrator::new(&all).run(&db.url).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfOrder {
                version: 2,
                newest: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(!db.table_exists("posts").await);
    let report = Migrator::new(&all)
        .on_out_of_order(Policy::Ignore)
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2]
    );
}

async fn custom_table_and_session_setup(db: TestDb) {
    Migrator::new(&migrations(&[USERS]))
        .table("schema_versions")
        .session_setup("CREATE TABLE setup_ran (id INTEGER)")
        .run(&db.url)
        .await
        .unwrap();
    assert!(db.table_exists("schema_versions").await);
    assert!(!db.table_exists("migrate_history").await);
    assert!(db.table_exists("setup_ran").await);
    assert_eq!(db.history_of("schema_versions").await.len(), 1);
}

async fn failed_session_setup_is_reported(db: TestDb) {
    let err = Migrator::new(&migrations(&[USERS]))
        .session_setup("SET no_such_setting_xyz = 1")
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SessionSetup { .. }), "{err}");
    assert!(!db.table_exists("users").await);
}

async fn invalid_table_name_is_rejected(db: TestDb) {
    let err = Migrator::new(&migrations(&[USERS]))
        .table("history; DROP TABLE users")
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTableName { .. }), "{err}");
    assert!(!db.table_exists("users").await);
}

/// The lease table is named `<table>_lock`: a table name that fits the
/// database but leaves no room for the suffix is refused before anything
/// runs, naming both tables and the limit (PostgreSQL truncated the lease
/// table's name onto the version table's own; MySQL refused the DDL
/// halfway). The longest name that fits works; SQLite has no limit.
async fn a_table_name_too_long_for_its_lease_table_is_refused(db: TestDb) {
    let set = migrations(&[USERS]);
    let limit = match db.kind {
        BackendKind::Postgres => Some((63, "63 bytes")),
        BackendKind::MySql => Some((64, "64 characters")),
        _ => None,
    };
    let longest = match limit {
        Some((max, _)) => "h".repeat(max - "_lock".len()),
        None => "h".repeat(200),
    };
    if let Some((max, limit_text)) = limit {
        let table = "h".repeat(max);
        let err = Migrator::new(&set)
            .table(table.clone())
            .run(&db.url)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TableNameTooLong { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("`{table}`"))
                && message.contains(&format!("`{table}_lock`"))
                && message.contains(limit_text)
                && message.contains("at least 5 shorter"),
            "{message}"
        );
        assert!(!db.table_exists("users").await);
        assert!(!db.table_exists(&table).await, "refused before any DDL");

        let too_long_itself = "h".repeat(max + 1);
        let err = Migrator::new(&set)
            .table(too_long_itself)
            .run(&db.url)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidIdentifier { .. }), "{err}");
    }
    Migrator::new(&set)
        .table(longest.clone())
        .run(&db.url)
        .await
        .unwrap();
    assert_eq!(db.history_of(&longest).await.len(), 1, "{}", db.kind);
    assert!(db.table_exists(&format!("{longest}_lock")).await);
}

#[tokio::test]
async fn unknown_url_scheme_is_a_clear_error() {
    let err = Migrator::new(&migrations(&[USERS]))
        .run("oracle://scott:tiger@db/orcl")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedUrl { .. }), "{err}");
    assert!(!err.to_string().contains("tiger"), "{err}");
}

const REVERSIBLE: [(&str, &str); 6] = [
    (
        "0001_users.up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL);",
    ),
    ("0001_users.down.sql", "DROP TABLE users;"),
    (
        "0002_posts.up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO posts (id) VALUES (1);",
    ),
    ("0002_posts.down.sql", "DROP TABLE posts;"),
    (
        "0003_tags.up.sql",
        "CREATE TABLE tags (name VARCHAR(100) PRIMARY KEY);",
    ),
    ("0003_tags.down.sql", "DROP TABLE tags;"),
];

async fn down_then_up_round_trips(db: TestDb) {
    let set = migrations(&REVERSIBLE);
    Migrator::new(&set).run(&db.url).await.unwrap();
    let schema = db.schema().await;

    let report = Migrator::new(&set).at(&db.url).revert(1).await.unwrap();
    assert_eq!(
        report
            .reverted
            .iter()
            .map(|r| r.version)
            .collect::<Vec<_>>(),
        [3, 2]
    );
    assert_eq!(report.reverted[0].file, "0003_tags.down.sql");
    assert_eq!(db.versions().await, [1]);
    assert!(!db.table_exists("posts").await && !db.table_exists("tags").await);

    let report = Migrator::new(&set).at(&db.url).revert(0).await.unwrap();
    assert_eq!(report.reverted.len(), 1);
    assert!(db.versions().await.is_empty());
    assert!(!db.table_exists("users").await);

    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(
        db.schema().await,
        schema,
        "up after down rebuilds the same schema"
    );
    assert!(Migrator::new(&set)
        .at(&db.url)
        .revert(3)
        .await
        .unwrap()
        .is_up_to_date());
}

async fn revert_without_a_down_script_is_refused_before_anything_runs(db: TestDb) {
    let set = migrations(&[
        REVERSIBLE[0],
        REVERSIBLE[1],
        POSTS,
        REVERSIBLE[4],
        REVERSIBLE[5],
    ]);
    Migrator::new(&set).run(&db.url).await.unwrap();
    let err = Migrator::new(&set).at(&db.url).revert(0).await.unwrap_err();
    assert!(
        matches!(err, Error::Irreversible { version: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("`0002_posts.sql`"), "{err}");
    assert_eq!(db.versions().await, [1, 2, 3], "nothing was reverted");
    assert!(db.table_exists("tags").await);
}

async fn stamp_then_up_skips_the_stamped_versions(db: TestDb) {
    let set = migrations(&[USERS, POSTS, TAGS]);
    // The schema of 1 and 2 already exists, made by hand.
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL)")
        .await;
    db.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL)")
        .await;
    assert_eq!(
        Migrator::new(&set).at(&db.url).stamp(2).await.unwrap(),
        [1, 2]
    );
    assert_eq!(
        Migrator::new(&set).at(&db.url).stamp(2).await.unwrap(),
        Vec::<i64>::new()
    );
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM posts").await,
        0,
        "the stamped script did not run"
    );
    assert!(db.history().await.iter().all(|r| r.3));
}

async fn status_reports_every_state(db: TestDb) {
    let applied = migrations(&[
        USERS,
        POSTS,
        ("0004_gone.sql", "CREATE TABLE gone (id INTEGER);"),
    ]);
    Migrator::new(&applied).run(&db.url).await.unwrap();
    db.execute("UPDATE migrate_history SET success = FALSE WHERE version = 4")
        .await;
    let edited = (
        "0002_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
    );
    let binary = migrations(&[USERS, edited, TAGS]);
    let status = Migrator::new(&binary).at(&db.url).status().await.unwrap();
    let states: Vec<(i64, MigrationState)> = status
        .entries
        .iter()
        .map(|e| (e.version, e.state))
        .collect();
    assert_eq!(
        states,
        [
            (1, MigrationState::Applied),
            (2, MigrationState::Divergent),
            // Older than the (failed) version 4 in the table: a run refuses it.
            (3, MigrationState::OutOfOrder),
            (4, MigrationState::Failed)
        ]
    );
    let first = &status.entries[0];
    assert_eq!(first.file.as_deref(), Some("0001_users.sql"));
    let applied_at = first.applied_at.as_deref().unwrap();
    assert!(
        applied_at.len() == 24 && applied_at.ends_with('Z') && applied_at.contains('T'),
        "{applied_at}"
    );
    assert!(first.duration_ms.is_some());
    assert_eq!(status.problems().count(), 3);

    db.execute("UPDATE migrate_history SET success = TRUE WHERE version = 4")
        .await;
    let status = Migrator::new(&binary).at(&db.url).status().await.unwrap();
    assert_eq!(status.entries[3].state, MigrationState::Missing);
    assert_eq!(status.entries[3].name, "gone");

    // A late-merged migration is flagged when a run would refuse it.
    let late = TestDb::create(db.kind, "status-late").await.unwrap();
    Migrator::new(&migrations(&[USERS, TAGS]))
        .run(&late.url)
        .await
        .unwrap();
    let merged = migrations(&[USERS, POSTS, TAGS]);
    let status = Migrator::new(&merged).at(&late.url).status().await.unwrap();
    assert_eq!(status.entries[1].state, MigrationState::OutOfOrder);
    assert_eq!(
        status.problems().count(),
        1,
        "verify fails: the next run would refuse it"
    );
    let allowed = Migrator::new(&merged)
        .on_out_of_order(Policy::Warn)
        .at(&late.url)
        .status()
        .await
        .unwrap();
    // Still a finding, but not one a run refuses.
    assert_eq!(allowed.entries[1].state, MigrationState::OutOfOrder);
    assert!(!allowed.entries[1].refused);
    assert_eq!(allowed.problems().count(), 0);
    assert_eq!(allowed.findings().count(), 1);

    let fresh = TestDb::create(db.kind, "status").await.unwrap();
    let status = Migrator::new(&binary)
        .at(&fresh.url)
        .status()
        .await
        .unwrap();
    assert_eq!(
        status.pending().count(),
        3,
        "no version table yet: all pending"
    );
}

/// A `pg_dump` baseline starts with `set_config('search_path', '', false)`:
/// the history writes after it must still find the version table.
async fn a_script_may_empty_the_search_path(db: TestDb) {
    if !db.profile().search_path {
        return;
    }
    let set = migrations(&[
        ("0001_baseline.sql", "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.users (id integer PRIMARY KEY);"),
        ("0002_more.sql", "CREATE TABLE public.more (id integer);"),
        ("0003_outside.sql", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY more_id ON public.more (id);"),
    ]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(db.versions().await, [1, 2, 3]);
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}
