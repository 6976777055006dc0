//! Build-script helper: make Cargo rebuild when a migration file is added.
//!
//! Cargo reruns a proc macro only when a file it `include_str!`s changes, so a
//! file that is merely *added* to `migrations/` would not be embedded until
//! something else triggers a rebuild. One line in the application's
//! `build.rs` fixes that:
//!
//! ```text
//! // build.rs, with `migrata-core` under [build-dependencies]
//! fn main() {
//!     migrata_core::build::rerun_if_changed("migrations");
//! }
//! ```

use std::path::Path;

/// Tells Cargo to rebuild the crate when anything inside `dir` changes,
/// including a file being added or removed, in diesel's migration
/// directories too.
///
/// It takes no `exclude` patterns: Cargo watches every file under a
/// directory and cannot be told to skip some, so editing an excluded file
/// (a seed script) rebuilds the crate, which does no harm; the macro, which
/// reads the directory, is where files are left out.
pub fn rerun_if_changed(dir: impl AsRef<Path>) {
    println!("cargo:rerun-if-changed={}", dir.as_ref().display());
}
