//! Issue 21, item 2: squashing the migrations up to a version into one
//! baseline (`Migrator::squash`, `-- migrate:baseline`), on every database:
//! a database migrated before the squash and a new one migrated after it
//! end with the same schema, `status`/`verify` find nothing on either,
//! `drift` agrees before and after; a database migrated only part of the
//! way to the baseline is refused, and so is a revert past it. Then the same
//! on real histories (atuin's, on SQLite and PostgreSQL). The `migrata
//! squash` command's own test is in `migrate-cli/tests/cli.rs`.

use migrata::schema::Squash;
use migrata::testing::TestDatabase;
use migrata::{BackendKind, Error, Migration, MigrationState, Migrator};
use migrata_core::{parse_file_name, FileKind};

use crate::common::test_name;
use crate::schema::{assert_same_dump, scratch_base};

/// Works on all three databases: a down script, a foreign key, an index,
/// a column added later, and a repeatable view, which the baseline leaves
/// to run after it.
const FILES: &[(&str, &str)] = &[
    (
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE);",
    ),
    (
        "0002_notes.up.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, body VARCHAR(500), FOREIGN KEY (user_id) REFERENCES users (id));",
    ),
    ("0002_notes.down.sql", "DROP TABLE notes;"),
    (
        "0003_notes_by_user.sql",
        "CREATE INDEX notes_by_user ON notes (user_id);",
    ),
    ("0004_tag.sql", "ALTER TABLE notes ADD tag VARCHAR(20);"),
    (
        "0005_visits.sql",
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, note_id INTEGER NOT NULL, FOREIGN KEY (note_id) REFERENCES notes (id));",
    ),
    (
        "R__note_counts.sql",
        "DROP VIEW IF EXISTS note_counts;\nCREATE VIEW note_counts AS SELECT user_id, COUNT(*) AS n FROM notes GROUP BY user_id;",
    ),
];

fn owned(files: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec()))
        .collect()
}

/// The directory as `migrata squash` leaves it: the baseline, and every
/// file newer than it or repeatable.
fn after_squash(files: &[(String, Vec<u8>)], squash: &Squash) -> Vec<Migration> {
    let kept = files.iter().filter(|(name, _)| {
        let parsed = parse_file_name(name).unwrap().unwrap();
        parsed.kind == FileKind::Repeatable || parsed.version > squash.version
    });
    let baseline = (squash.path.clone(), squash.sql.clone().into_bytes());
    migrata_core::load_files(kept.cloned().chain([baseline])).unwrap()
}

async fn empty(base: &str) -> TestDatabase {
    Migrator::new(&[])
        .test_database(base)
        .await
        .expect("an empty database")
}

async fn dump(url: &str) -> String {
    Migrator::new(&[])
        .at(url)
        .inspect()
        .await
        .expect("inspected")
        .to_sql()
}

fn no_drift(drift: migrata::schema::Drift, what: &str) {
    assert!(
        drift.is_empty(),
        "{what} drifts:\n{}",
        drift
            .differences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Squashes `files` up to `version` on `base`, then: a database migrated
/// before and one migrated after end with equal dumps, with nothing for
/// `verify --strict` and no drift; reverting past the baseline is refused
/// on both. Returns the squash and the states of the old database.
async fn squash_and_compare(
    base: &str,
    files: &[(String, Vec<u8>)],
    version: i64,
) -> (Squash, Vec<(i64, MigrationState)>) {
    let before = migrata_core::load_files(files.iter().cloned()).unwrap();
    let old = empty(base).await;
    Migrator::new(&before)
        .run(old.url())
        .await
        .expect("migrated before the squash");
    no_drift(
        Migrator::new(&before)
            .at(old.url())
            .drift(base)
            .await
            .unwrap(),
        "the old database before the squash",
    );

    let squash = Migrator::new(&before)
        .squash(base, version)
        .await
        .expect("squashed");
    let after = after_squash(files, &squash);
    assert!(after[0].is_baseline() && after[0].version == version);
    let migrator = Migrator::new(&after);
    let new = empty(base).await;
    let report = migrator.run(new.url()).await.expect("a new database");
    assert_eq!(
        report.applied[0].version, version,
        "the baseline runs first"
    );
    let again = migrator.run(old.url()).await.expect("the old database");
    assert!(
        again.applied.is_empty(),
        "the old database applied {:?}",
        again.applied
    );
    assert_same_dump(&dump(old.url()).await, &dump(new.url()).await);

    let mut old_states = Vec::new();
    for (db, what) in [(&old, "old"), (&new, "new")] {
        let status = migrator.at(db.url()).status().await.unwrap();
        let findings: Vec<_> = status.findings().collect();
        assert!(findings.is_empty(), "{what}: {findings:?}");
        assert_eq!(status.pending().count(), 0, "{what}");
        no_drift(
            migrator.at(db.url()).drift(base).await.unwrap(),
            &format!("the {what} database after the squash"),
        );
        let past = migrator.at(db.url()).revert(version - 1).await.unwrap_err();
        assert!(
            matches!(past, Error::RevertPastBaseline { baseline, .. } if baseline == version),
            "{what}: {past}"
        );
        if what == "old" {
            old_states = status
                .entries
                .iter()
                .map(|e| (e.version, e.state))
                .collect();
        }
    }
    old.discard().await.unwrap();
    new.discard().await.unwrap();
    (squash, old_states)
}

async fn squash_keeps_both_histories_working(kind: BackendKind) {
    let test = test_name(module_path!(), "squash_keeps_both_histories_working");
    let Some(base) = scratch_base(kind, &test) else {
        return;
    };
    let files = owned(FILES);
    let (squash, old_states) = squash_and_compare(&base, &files, 4).await;
    assert_eq!(squash.path, "0004_baseline.sql");
    assert_eq!(
        squash.replaced,
        [
            "0001_users.sql",
            "0002_notes.up.sql",
            "0003_notes_by_user.sql",
            "0004_tag.sql"
        ]
    );
    assert!(squash.row_writes.is_empty());
    assert!(!squash.sql.contains("note_counts"), "{}", squash.sql);
    let versioned: Vec<_> = old_states.iter().filter(|(v, _)| *v > 0).collect();
    assert_eq!(
        versioned,
        [
            &(1, MigrationState::Squashed),
            &(2, MigrationState::Squashed),
            &(3, MigrationState::Squashed),
            &(4, MigrationState::Squashed),
            &(5, MigrationState::Applied),
        ]
    );

    let before = migrata_core::load_files(files.clone()).unwrap();
    let after = after_squash(&files, &squash);
    let migrator = Migrator::new(&after);
    // Migrated part of the way before the squash: refused, by `up` and `verify`.
    let partial = empty(&base).await;
    Migrator::new(&before)
        .target(2)
        .run(partial.url())
        .await
        .unwrap();
    let refused = migrator.run(partial.url()).await.unwrap_err();
    assert!(
        matches!(
            refused,
            Error::BehindBaseline {
                version: 4,
                newest: 2,
                ..
            }
        ),
        "{refused}"
    );
    let status = migrator.at(partial.url()).status().await.unwrap();
    assert_eq!(status.problems().count(), 1);
    partial.discard().await.unwrap();

    // `stamp` records the baseline like any migration.
    let stamped = empty(&base).await;
    assert_eq!(migrator.at(stamped.url()).stamp(5).await.unwrap(), [4, 5]);
    stamped.discard().await.unwrap();

    // Offline SQL for a new database holds the baseline; from version 4 on
    // it does not.
    let offline = migrator.offline(kind);
    assert!(offline
        .up(None, None)
        .unwrap()
        .contains("-- migrate:baseline"));
    assert!(!offline
        .up(Some(4), None)
        .unwrap()
        .contains("-- migrate:baseline"));
}

on_every_backend!(kind: squash_keeps_both_histories_working);

/// atuin's histories, squashed in their middle, on the database each
/// targets.
#[tokio::test]
async fn atuin_squashed_midway() {
    for (kind, dir, version) in [
        (BackendKind::Sqlite, "atuin-client", 20230319185725_i64),
        (
            BackendKind::Postgres,
            "atuin-server-postgres",
            20230315224203,
        ),
    ] {
        let test = test_name(module_path!(), &format!("atuin_squashed_midway_{dir}"));
        let Some(base) = scratch_base(kind, &test) else {
            continue;
        };
        let path = crate::schema::manifest_dir()
            .join("../migrate-core/tests/corpora/atuin/crates")
            .join(dir)
            .join("migrations");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&path)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let name = entry.file_name().into_string().unwrap();
                (name, std::fs::read(entry.path()).unwrap())
            })
            .collect();
        files.sort();
        let (squash, old_states) = squash_and_compare(&base, &files, version).await;
        let squashed = old_states
            .iter()
            .filter(|(_, state)| *state == MigrationState::Squashed)
            .count();
        assert_eq!(squashed, squash.replaced.len(), "{dir}");
        assert!(squash.replaced.len() > 3 && squash.replaced.len() < files.len() - 3);
    }
}
