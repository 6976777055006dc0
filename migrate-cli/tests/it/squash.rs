//! `migrata squash`, run through the standalone binary: on every database,
//! a database migrated before the squash and a new one migrated after it
//! end with the same schema, and `verify --strict` and `drift` pass on
//! both; `--dry-run` changes nothing; scripts that write rows are refused
//! until `--allow-data-loss`; diesel's layout gets a baseline directory.

use std::path::Path;

use crate::common::{standalone as migrate, TestDb, ALL_KINDS};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A project whose `migrations` is a copy of `source`, one level deep.
fn project(source: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(source, &dir.path().join("migrations"));
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Runs the binary in `dir`; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = migrate(dir).args(args).output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squash_on_every_backend() {
    for kind in ALL_KINDS {
        let test = format!("{kind}::cli_squash");
        let (Some(old), Some(new)) = (
            TestDb::create(kind, &test).await,
            TestDb::create(kind, &test).await,
        ) else {
            continue;
        };
        squash_through_the_binary(&old.url, &new.url);
    }
}

fn squash_through_the_binary(old: &str, new: &str) {
    let project = project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"));
    let dir = project.path();
    let (code, _, err) = run(dir, &["-d", old, "up"]);
    assert_eq!(code, Some(0), "{err}");
    let before = files(dir);

    let (code, out, err) = run(dir, &["-d", old, "squash", "--up-to", "3", "--dry-run"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("-- migrate:baseline") && out.contains("would replace 3 migration(s)"),
        "{out}"
    );
    assert_eq!(files(dir), before, "--dry-run wrote or deleted files");

    let (code, out, err) = run(dir, &["-d", old, "squash", "--up-to", "3"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("replaced 3 migration(s) up to version 3"),
        "{out}"
    );
    assert_eq!(
        files(dir),
        ["0003_baseline.sql", "0004_create_visits.sql", "README.md"]
    );

    let (code, out, err) = run(dir, &["-d", old, "status"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.matches("squashed").count(), 3, "{out}");
    let (code, out, err) = run(dir, &["-d", new, "up"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("applied 3 baseline (0003_baseline.sql)"),
        "{out}"
    );
    let mut dumps = Vec::new();
    for url in [old, new] {
        for check in [&["verify", "--strict"][..], &["drift"]] {
            let (code, out, err) = run(dir, &[&["-d", url][..], check].concat());
            assert_eq!(code, Some(0), "{check:?} on {url}: {out}{err}");
        }
        let (code, _, err) = run(dir, &["-d", url, "down", "--to", "2"]);
        assert_eq!(code, Some(1));
        assert!(err.contains("baseline"), "{err}");
        let (code, dump, err) = run(dir, &["-d", url, "schema", "--live"]);
        assert_eq!(code, Some(0), "{err}");
        dumps.push(dump);
    }
    assert_eq!(dumps[0], dumps[1], "the old and new databases differ");
}

/// diesel's layout, on SQLite: the seed script's INSERT refuses the squash
/// until `--allow-data-loss`; the baseline is a directory with diesel's
/// version text (the seed's), and a new database migrated after the squash
/// has the old one's schema.
#[test]
fn squash_diesel_layout_and_row_writes() {
    let project = project(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diesel"));
    let dir = project.path();
    // PostgreSQL only (CREATE INDEX CONCURRENTLY); the rest is SQLite's.
    std::fs::remove_dir_all(dir.join("migrations/2024-06-01-080000-0000_index_users_name"))
        .unwrap();
    let old = format!("sqlite://{}?mode=rwc", dir.join("old.db").display());
    let new = format!("sqlite://{}?mode=rwc", dir.join("new.db").display());
    let (code, _, err) = run(dir, &["-d", &old, "up"]);
    assert_eq!(code, Some(0), "{err}");
    let migrations = migrata_core::load_dir(&dir.join("migrations")).unwrap();
    let version = migrations[1].version.to_string();
    let before = files(dir);

    let (code, _, err) = run(dir, &["-d", &old, "squash", "--up-to", &version]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("up.sql line 1: INSERT writes rows") && err.contains("--allow-data-loss"),
        "{err}"
    );
    assert_eq!(files(dir), before, "a refused squash changed files");

    let (code, out, err) = run(
        dir,
        &[
            "-d",
            &old,
            "squash",
            "--up-to",
            &version,
            "--allow-data-loss",
        ],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        files(dir),
        [
            "2024-05-01-120000-0000_baseline",
            "2024-05-01-120000-0001_vacuum"
        ]
    );
    for url in [&old, &new] {
        let (code, out, err) = run(dir, &["-d", url, "up"]);
        assert_eq!(code, Some(0), "{out}{err}");
        let (code, out, err) = run(dir, &["-d", url, "verify", "--strict"]);
        assert_eq!(code, Some(0), "{out}{err}");
    }
    let dump = |url: &str| run(dir, &["-d", url, "schema", "--live"]).1;
    assert_eq!(dump(&old), dump(&new));
}
