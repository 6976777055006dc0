//! Every invalid migrations directory is a compile error naming the file and the rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn invalid_migrations_are_compile_errors() {
    link_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// trybuild compiles each case as a crate in `<target>/tests/trybuild/<crate>`,
/// so that is where `embed_migrations!` resolves relative paths from. Point
/// `ui-fixtures` there at this crate's fixtures.
fn link_fixtures() {
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
