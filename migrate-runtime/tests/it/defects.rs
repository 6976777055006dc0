//! Regression tests for defects found by hostile use (issue 10, the item
//! each covers in its comment). Each failed before its fix.

use std::time::Duration;

use crate::common::{migrations, TestDb};
use migrata::{BackendKind, Error, FailedScript, Migrator, Repair, RepairAction};

/// Item 4: an empty, BOM-only or comment-only migration (what `migrate new`
/// creates) is a no-op on every backend: recorded, nothing sent.
async fn empty_bom_only_and_comment_only_migrations_are_no_ops(db: TestDb) {
    let set = migrations(&[
        ("0001_users.sql", "CREATE TABLE users (id INTEGER);"),
        ("0002_empty.sql", ""),
        ("0003_bom.sql", "\u{feff}"),
        (
            "0004_comments.sql",
            "-- nothing yet\n/* still nothing */\n\n",
        ),
        ("0005_posts.sql", "CREATE TABLE posts (id INTEGER);"),
    ]);
    let report = Migrator::new(&set).run(&db.url).await.unwrap();
    assert_eq!(report.applied.len(), 5, "{}", db.kind);
    let history = db.history().await;
    assert_eq!(history.len(), 5);
    assert!(history.iter().all(|row| row.3), "{}: {history:?}", db.kind);
    assert!(db.table_exists("posts").await);
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}

/// Item 8: another connection holding SQLite's write lock past the timeout
/// is a lock timeout, not "migration 1 failed: database is locked".
async fn a_busy_sqlite_database_is_a_lock_timeout(db: TestDb) {
    if db.kind != BackendKind::Sqlite {
        return;
    }
    let mut holder = db.conn().await;
    holder.execute("CREATE TABLE other (id INTEGER)").await;
    holder.execute("BEGIN IMMEDIATE").await;
    let set = migrations(&[("0001_users.sql", "CREATE TABLE users (id INTEGER);")]);
    let err = Migrator::new(&set)
        .lock_timeout(Duration::from_millis(300))
        .run(&db.url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    holder.execute("ROLLBACK").await;
    holder.close().await;
    assert_eq!(
        Migrator::new(&set)
            .run(&db.url)
            .await
            .unwrap()
            .applied
            .len(),
        1
    );
}

/// Item 14: after a non-transactional down script fails half-way, the
/// schema still has the migration: `repair` marks its row applied (so `up`
/// does not run the up script again on top of it), and says so.
async fn repair_after_a_failed_down_script_keeps_the_migration_applied(db: TestDb) {
    let set = migrations(&[
        (
            "0001_tables.up.sql",
            "CREATE TABLE keep (id INTEGER);\nCREATE TABLE extra (id INTEGER);",
        ),
        (
            "0001_tables.down.sql",
            "-- migrate:no-transaction\nDROP TABLE extra;\nSELECT id FROM no_such_table;",
        ),
    ]);
    Migrator::new(&set).run(&db.url).await.unwrap();
    let err = Migrator::new(&set).at(&db.url).revert(0).await.unwrap_err();
    assert!(matches!(err, Error::Migration { version: 1, .. }), "{err}");
    let err = Migrator::new(&set).run(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::Dirty { version: 1, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("marks a failed down script's row applied"),
        "{err}"
    );

    let repaired = Migrator::new(&set)
        .at(&db.url)
        .repair(Repair::AsFailureCallsFor)
        .await
        .unwrap();
    assert_eq!(repaired.len(), 1, "{}", db.kind);
    assert_eq!(
        (repaired[0].version, repaired[0].failed, repaired[0].action),
        (1, FailedScript::Down, RepairAction::MarkedApplied),
        "{}",
        db.kind
    );
    // The up script does not run again over the table it created.
    assert!(Migrator::new(&set)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
    assert_eq!(db.history().await.len(), 1);
    assert!(db.history().await[0].3);
    assert!(db.table_exists("keep").await);

    // The operator who finished the revert by hand says so instead.
    Migrator::new(&set).at(&db.url).revert(0).await.unwrap_err();
    let repaired = Migrator::new(&set)
        .at(&db.url)
        .repair(Repair::Clear)
        .await
        .unwrap();
    assert_eq!(repaired[0].action, RepairAction::Cleared);
    assert!(db.history().await.is_empty());
}

on_every_backend!(
    empty_bom_only_and_comment_only_migrations_are_no_ops,
    a_busy_sqlite_database_is_a_lock_timeout,
    repair_after_a_failed_down_script_keeps_the_migration_applied,
);

/// Item 1: with `search_path = app, public` and a first migration creating
/// schema `app`, the history table (created in `public` before `app`
/// existed) is found again, not created a second time in `app`, and nothing
/// is applied twice.
#[tokio::test]
async fn postgres_finds_its_history_table_when_an_earlier_schema_appears() {
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "defects::postgres_finds_its_history_table_when_an_earlier_schema_appears",
    )
    .await
    else {
        return;
    };
    let first = migrations(&[(
        "0001_app.sql",
        "CREATE SCHEMA app;\nCREATE TABLE app.users (id INTEGER);",
    )]);
    let migrator = |set| Migrator::new(set).session_setup("SET search_path = app, public");
    assert_eq!(
        migrator(&first).run(&db.url).await.unwrap().applied.len(),
        1
    );
    let second = migrations(&[
        (
            "0001_app.sql",
            "CREATE SCHEMA app;\nCREATE TABLE app.users (id INTEGER);",
        ),
        ("0002_posts.sql", "CREATE TABLE app.posts (id INTEGER);"),
    ]);
    let report = migrator(&second).run(&db.url).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'migrate_history'"
        )
        .await,
        1,
        "one history table"
    );
    assert!(migrator(&second)
        .run(&db.url)
        .await
        .unwrap()
        .is_up_to_date());
}

/// Item 6 (online): a MySQL script with client `DELIMITER` lines and a
/// stored procedure applies, and the procedure works.
#[tokio::test]
async fn mysql_delimiter_scripts_apply_online() {
    let Some(db) = TestDb::create(
        BackendKind::MySql,
        "defects::mysql_delimiter_scripts_apply_online",
    )
    .await
    else {
        return;
    };
    let set = migrations(&[(
        "0001_procedure.sql",
        "CREATE TABLE hits (n INTEGER NOT NULL);\nINSERT INTO hits VALUES (0);\n\nDELIMITER //\nCREATE PROCEDURE bump()\nBEGIN\n  UPDATE hits SET n = n + 1;\n  UPDATE hits SET n = n + 1;\nEND //\nDELIMITER ;\n",
    )]);
    assert_eq!(
        Migrator::new(&set)
            .run(&db.url)
            .await
            .unwrap()
            .applied
            .len(),
        1
    );
    db.execute("CALL bump()").await;
    assert_eq!(db.scalar("SELECT n FROM hits").await, 2);
}

/// Where [`cut_after_commit`] cuts: after the `COMMIT` that follows the
/// marker, or after the message holding the marker itself (a pipelined
/// migration's one query string, which commits as it ends).
#[derive(Clone, Copy, PartialEq)]
enum CommitIn {
    Commit,
    SameMessage,
}

/// A TCP proxy to `upstream` that, once one connection has sent `marker`,
/// forwards the message that commits it (see [`CommitIn`]) and then cuts
/// the connection: the server gets the commit, the client never hears back.
async fn cut_after_commit(
    upstream: &str,
    marker: &'static [u8],
    commit_in: CommitIn,
) -> std::net::SocketAddr {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = upstream.to_owned();
    let fired = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let fired = fired.clone();
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let to_client = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
                let mut seen = Vec::new();
                let mut buffer = vec![0; 64 * 1024];
                let mut marked = false;
                while let Ok(n) = client_read.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buffer[..n]);
                    marked |= seen.windows(marker.len()).any(|w| w == marker);
                    let commit = match commit_in {
                        CommitIn::Commit => buffer[..n].windows(6).any(|w| w == b"COMMIT"),
                        CommitIn::SameMessage => true,
                    };
                    let cut = marked && commit && !fired.swap(true, Ordering::SeqCst);
                    if cut {
                        // The client hears nothing more...
                        to_client.abort();
                    }
                    if server_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                    if cut {
                        // ...while the server gets time to act on the COMMIT.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        return;
                    }
                    if !marked {
                        seen.drain(..seen.len().saturating_sub(marker.len()));
                    }
                }
                to_client.abort();
            });
        }
    });
    address
}

/// Item 9: the connection lost right after the commit was sent is "outcome
/// unknown", not "migration failed"; the next run reads the history and
/// finds it applied (it was committed), so nothing runs twice. Both ways a
/// PostgreSQL migration commits: its one query string (issue 24), and an
/// explicit COMMIT (a script with a check keeps that path).
#[tokio::test]
async fn a_connection_lost_after_commit_is_an_unknown_outcome() {
    for (commit_in, check) in [
        (CommitIn::SameMessage, ""),
        (CommitIn::Commit, "-- migrate:check SELECT true\n"),
    ] {
        lost_after_commit(commit_in, check).await;
    }
}

async fn lost_after_commit(commit_in: CommitIn, check: &str) {
    let Some(db) = TestDb::create(
        BackendKind::Postgres,
        "defects::a_connection_lost_after_commit_is_an_unknown_outcome",
    )
    .await
    else {
        return;
    };
    let direct = format!("{}?sslmode=disable", db.url);
    let rest = db.url.split_once("@").unwrap().1;
    let (host_port, database) = rest.split_once('/').unwrap();
    let proxy = cut_after_commit(host_port, b"lost_commit_marker", commit_in).await;
    let proxied = format!("postgres://postgres@{proxy}/{database}?sslmode=disable");

    let script = format!("{check}CREATE TABLE lost_commit_marker (id INTEGER);");
    let set = migrations(&[("0001_marker.sql", script.as_str())]);
    let migrator = || Migrator::new(&set).lease_ttl(Duration::from_secs(1));
    let err = migrator().run(&proxied).await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { version: 1, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("whether it is applied is unknown"),
        "{err}"
    );

    let report = migrator().run(&direct).await.unwrap();
    assert!(report.is_up_to_date(), "it was committed: {report:?}");
    assert!(db.table_exists("lost_commit_marker").await);
    assert_eq!(db.versions().await, [1]);
}
