//! The stale-build guard: rebuild when a migration file is added.

fn main() {
    migrate_core::build::rerun_if_changed("../../migrations");
}
