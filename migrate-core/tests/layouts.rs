//! Issue 12, item 3: real migration directories load as their own tools
//! read them. crates.io, lemmy and vaultwarden (MySQL) use diesel's
//! directory per migration, atuin sqlx's files (copies under
//! `tests/corpora/`, see its README).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use migrata_core::{load_dir, Migration};

fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpora")
        .join(dir)
}

/// A diesel migration directory, read the way diesel_migrations reads it:
/// every subdirectory holding `up.sql`, its version the text before the
/// first `_` with the dashes removed, run in the order of that text, in a
/// transaction unless `metadata.toml` says `run_in_transaction = false`.
struct DieselMigration {
    dir: String,
    version: String,
    run_in_transaction: bool,
}

fn as_diesel_reads(root: &Path) -> Vec<DieselMigration> {
    let mut migrations: Vec<DieselMigration> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("up.sql").is_file())
        .map(|path| {
            let dir = path.file_name().unwrap().to_str().unwrap().to_owned();
            let metadata = std::fs::read_to_string(path.join("metadata.toml")).unwrap_or_default();
            DieselMigration {
                version: dir.split('_').next().unwrap().replace('-', ""),
                run_in_transaction: !metadata.contains("run_in_transaction = false"),
                dir,
            }
        })
        .collect();
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    migrations
}

fn assert_loads_as_diesel(dir: &str) -> Vec<Migration> {
    let root = corpus(dir);
    let loaded = assert_root_loads_as_diesel(&root);
    assert_eq!(
        std::fs::read_dir(&root).unwrap().count(),
        loaded.len(),
        "{dir}: every entry is a migration directory"
    );
    loaded
}

fn assert_root_loads_as_diesel(root: &Path) -> Vec<Migration> {
    let expected = as_diesel_reads(root);
    let loaded = load_dir(root).unwrap();
    assert_eq!(loaded.len(), expected.len(), "{}: count", root.display());
    for (migration, diesel) in loaded.iter().zip(&expected) {
        assert_eq!(migration.up.file, format!("{}/up.sql", diesel.dir));
        assert_eq!(
            migration.diesel_version.as_deref(),
            Some(diesel.version.as_str())
        );
        assert_eq!(
            migration.up.no_transaction, !diesel.run_in_transaction,
            "{}",
            diesel.dir
        );
        assert_eq!(
            migration.up.sql,
            std::fs::read_to_string(root.join(&diesel.dir).join("up.sql")).unwrap()
        );
    }
    assert!(loaded.windows(2).all(|w| w[0].version < w[1].version));
    loaded
}

#[test]
fn crates_io_loads_in_diesels_order() {
    let loaded = assert_loads_as_diesel("crates.io/migrations");
    assert!(loaded.len() > 250);
    assert_eq!(
        loaded[0].up.file,
        "00000000000000_diesel_initial_setup/up.sql"
    );
    // Its `metadata.toml` files all say `run_in_transaction = false`.
    assert!(loaded.iter().any(|m| m.up.no_transaction));

    // The case a plain "digits without dashes" number gets wrong: diesel's
    // subversioned versions have 18 digits, its older ones 14, and
    // crates.io has a 14-digit one after 18-digit ones.
    let position = |dir: &str| {
        loaded
            .iter()
            .position(|m| m.up.file.starts_with(dir))
            .unwrap()
    };
    assert!(
        position("2025-12-29-110242-0000_") < position("2026-01-20-162913_oauth_github_table/")
    );
    assert!(
        position("2026-05-27-120000_add_username_to_users/")
            < position("2026-05-27-120000-0000_semver_ord_v2_not_null/")
    );
    let naive: Vec<i64> = loaded
        .iter()
        .map(|m| m.diesel_version.as_deref().unwrap().parse().unwrap())
        .collect();
    assert!(
        !naive.windows(2).all(|w| w[0] < w[1]),
        "crates.io no longer mixes the two shapes: this test lost its point"
    );
}

/// Issue 25, item 13: a directory diesel runs, with versions of different
/// lengths (a date-only `2024-03-13` after `2024-03-06-170000`) and files
/// diesel ignores (a data script, a README), loads in diesel's order.
#[test]
fn diesel_versions_of_different_lengths_load_in_diesels_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diesel_mixed_lengths");
    let loaded = assert_root_loads_as_diesel(&root);
    let dirs: Vec<&str> = loaded
        .iter()
        .map(|m| m.up.file.split('/').next().unwrap())
        .collect();
    assert_eq!(
        dirs,
        [
            "00000000000000_diesel_initial_setup",
            "2024-03-06-170000_create_users",
            "2024-03-13_add_email",
            "2024-03-20-090000-0000_index_email",
        ]
    );
    assert_eq!(loaded[2].diesel_version.as_deref(), Some("20240313"));
    assert!(loaded[1].down.is_some() && loaded[3].up.no_transaction);
}

#[test]
fn lemmy_loads_in_diesels_order() {
    let loaded = assert_loads_as_diesel("lemmy/migrations");
    assert!(loaded.len() > 300);
}

#[test]
fn vaultwarden_loads_in_diesels_order() {
    let loaded = assert_loads_as_diesel("vaultwarden/migrations/mysql");
    assert_eq!(loaded.len(), 55);
}

#[test]
fn atuin_loads_as_sqlx_does() {
    for dir in [
        "atuin/crates/atuin-server-postgres/migrations",
        "atuin/crates/atuin-server-sqlite/migrations",
        "atuin/crates/atuin-client/migrations",
    ] {
        let root = corpus(dir);
        // sqlx: `<version>_<description>.sql`, ordered by the version number.
        let mut expected: Vec<(i64, String)> = std::fs::read_dir(&root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|file| file.ends_with(".sql"))
            .map(|file| (file.split('_').next().unwrap().parse().unwrap(), file))
            .collect();
        expected.sort();
        let loaded = load_dir(&root).unwrap();
        let loaded: Vec<(i64, String)> = loaded
            .iter()
            .map(|m| (m.version, m.up.file.to_string()))
            .collect();
        assert_eq!(loaded, expected, "{dir}");
        assert!(loaded.len() > 5, "{dir}");
    }
}
