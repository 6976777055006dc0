//! The debug-build half of the stale-build guard.

use std::path::Path;

use migrata_core::Migration;

/// Warns about migrations present in `dir` (less what `exclude` matches, as
/// the macro read it) but absent from `embedded`: Cargo does not rebuild
/// when a file is only added to a directory a proc macro read.
pub(crate) fn warn_if_stale(dir: &Path, exclude: &[&str], embedded: &[Migration]) {
    let exclude = match migrata_core::Exclude::new(exclude.iter().copied()) {
        Ok(exclude) => exclude,
        // The macro checked them; a different migrata-core version may not agree.
        Err(error) => {
            tracing::warn!(target: "migrata", %error, "cannot check the migrations directory for files added since this binary was built");
            return;
        }
    };
    let on_disk = match migrata_core::load_dir_excluding(dir, &exclude) {
        Ok(on_disk) => on_disk,
        // Running somewhere the source tree is not: nothing to compare.
        Err(errors) if errors.is_missing_dir() => return,
        Err(error) => {
            tracing::warn!(target: "migrata", %error, "the migrations directory changed since this binary was built; rebuild it");
            return;
        }
    };
    for migration in on_disk {
        if embedded.iter().all(|m| m.version != migration.version) {
            tracing::warn!(
                target: "migrata",
                file = %migration.up.file,
                dir = %dir.display(),
                "migration file is not embedded in this binary: it was added after the last build. \
                 Rebuild, and add `migrata_core::build::rerun_if_changed(\"migrations\")` to build.rs so Cargo notices new files"
            );
        }
    }
}
