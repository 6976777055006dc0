//! One test of this binary in a child process: the processes some tests
//! start, race, pause or kill, and the tests whose state is process-wide (a
//! global `tracing` subscriber, the current directory), which must not
//! share a process with the tests running beside them.

use std::io::Write;
use std::process::Command;

use super::test_name;

/// Set in the child that [`in_own_process`] starts.
const OWN_PROCESS_ENV: &str = "MIGRATE_TEST_OWN_PROCESS";

/// This binary running only the test `test` (ignored or not) of the module
/// at `module_path` (the caller's `module_path!()`), on one thread, its
/// output uncaptured.
pub fn test_process(module_path: &str, test: &str) -> Command {
    running(&test_name(module_path, test))
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

/// Runs the calling test again, alone, in a child process of this binary,
/// and asserts that it passed there. `true` in that child, where the caller
/// goes on with the test's body; `false` in the parent, which returns.
pub fn in_own_process() -> bool {
    if std::env::var_os(OWN_PROCESS_ENV).is_some() {
        return true;
    }
    // libtest runs each test on a thread named after it.
    let test = std::thread::current()
        .name()
        .expect("runs on a test's thread")
        .to_owned();
    let output = running(&test).env(OWN_PROCESS_ENV, "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} in its own process:\n{stdout}\n{stderr}"
    );
    // The child's `SKIPPED:` lines, past libtest's capture as it wrote them.
    let mut real_stderr = std::io::stderr().lock();
    for line in stderr.lines().filter(|line| line.starts_with("SKIPPED:")) {
        let _ = writeln!(real_stderr, "{line}");
    }
    false
}
