//! Every invalid migrations directory is a compile error naming the file and the rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn invalid_migrations_are_compile_errors() {
    if skipped("invalid_migrations_are_compile_errors") {
        return;
    }
    link_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// Every misuse of `#[migrata::test]` is a compile error saying what the
/// attribute expects.
#[cfg(feature = "testing")]
#[test]
fn test_attribute_misuse_is_a_compile_error() {
    if skipped("test_attribute_misuse_is_a_compile_error") {
        return;
    }
    trybuild::TestCases::new().compile_fail("tests/ui/testing/*.rs");
}

/// Issue 26 item 1: without `database = ...`, a build for several
/// databases lints for each; a finding of one database's rules names it.
#[cfg(all(feature = "postgres", feature = "mysql", feature = "sqlite"))]
#[test]
fn a_build_for_every_database_lints_for_each() {
    if skipped("a_build_for_every_database_lints_for_each") {
        return;
    }
    link_fixtures();
    trybuild::TestCases::new().compile_fail("tests/ui/every_database/*.rs");
}

/// trybuild checks every case against a build of migrata of its own (in
/// `<target>/tests/trybuild`): minutes on a cold 2-core machine, most of a
/// newcomer's first `cargo test`. It runs where servers are required
/// (`.ci/run`) or when asked (`MIGRATE_TEST_NESTED_BUILD=1`), and says
/// SKIPPED otherwise.
fn skipped(test: &str) -> bool {
    let run = std::env::var_os("MIGRATE_TEST_REQUIRE_SERVERS").is_some()
        || std::env::var_os("MIGRATE_TEST_NESTED_BUILD").is_some();
    if !run {
        eprintln!(
            "SKIPPED: compile_fail::{test}: trybuild's nested build; set MIGRATE_TEST_NESTED_BUILD=1 to run it"
        );
    }
    !run
}

/// trybuild compiles each case as a crate in `<target>/tests/trybuild/<crate>`,
/// so that is where `embed_migrations!` resolves relative paths from. Point
/// `ui-fixtures` there at this crate's fixtures.
fn link_fixtures() {
    // The tests of this file run on threads of one process: link once.
    static LINKED: std::sync::Once = std::sync::Once::new();
    LINKED.call_once(link_fixtures_once);
}

fn link_fixtures_once() {
    let project = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join(concat!("tests/trybuild/", env!("CARGO_PKG_NAME")));
    std::fs::create_dir_all(&project).unwrap();
    let link = project.join("ui-fixtures");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/fixtures");
    if std::fs::read_link(&link).ok().as_deref() != Some(fixtures.as_path()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&fixtures, &link).unwrap();
    }
}
