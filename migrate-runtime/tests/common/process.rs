//! One test of this binary in a child process: the processes some tests
//! start, race, pause or kill.

use std::process::Command;

/// This binary running only the test `test` (ignored or not) of the module
/// at `module_path` (the caller's `module_path!()`), on one thread, its
/// output uncaptured.
pub fn test_process(module_path: &str, test: &str) -> Command {
    // libtest names a test by its path without the crate's name.
    let name = match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{test}"),
        None => test.to_owned(),
    };
    running(&name)
}

fn running(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--include-ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}
