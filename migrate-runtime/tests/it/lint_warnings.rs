//! Lint warnings reach a user's plain `cargo build` on stable Rust: a tiny
//! crate embedding `tests/lint-fixture/migrations` is built for real and its
//! output must name the file, line, rule and safe pattern. The crate uses
//! migrata with `features = ["postgres"]` alone and the quick start's call
//! without `database = ...`: the macro lints for the one database the build
//! can reach (issue 26 item 1), so PostgreSQL's rules apply, and
//! `CREATE INDEX CONCURRENTLY` in a transaction is a compile error.
//!
//! A nested build of migrata for one database: minutes on a cold machine,
//! so it runs where servers are required (`.ci/run`) or when asked
//! (`MIGRATE_TEST_NESTED_BUILD=1`), and says SKIPPED otherwise.

use std::path::Path;
use std::process::Command;

#[test]
fn cargo_build_shows_lint_warnings() {
    if std::env::var_os("MIGRATE_TEST_REQUIRE_SERVERS").is_none()
        && std::env::var_os("MIGRATE_TEST_NESTED_BUILD").is_none()
    {
        eprintln!(
            "SKIPPED: lint_warnings::cargo_build_shows_lint_warnings: a nested build of migrata for PostgreSQL alone; set MIGRATE_TEST_NESTED_BUILD=1 to run it"
        );
        return;
    }
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // The workspace's own target directory, so dependencies built for this
    // test run are reused.
    let target = tmp.parent().unwrap();
    let project = tmp.join("lint-fixture");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"lint-fixture\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nmigrata = {{ path = {:?}, default-features = false, features = [\"postgres\"] }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(
        runtime.parent().unwrap().join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let embed = |migrations: &Path, options: &str| {
        std::fs::write(
            project.join("src/main.rs"),
            format!(
                "static MIGRATIONS: migrata::Migrations =\n    \
                 migrata::embed_migrations!({:?}{options});\n\n\
                 fn main() {{\n    println!(\"{{}}\", MIGRATIONS.all().len());\n}}\n",
                migrations.display().to_string()
            ),
        )
        .unwrap();
        Command::new(env!("CARGO"))
            .args(["build", "--offline", "--quiet"])
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .unwrap()
    };

    let output = embed(
        &runtime.join("tests/lint-fixture/migrations"),
        ", lint_after = 1",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "fixture build failed:\n{stderr}");

    assert!(
        stderr.contains(
            "warning: use of deprecated constant `MIGRATIONS::_::MIGRATION_LINT_WARNING`: migration lint: \
             `0002_index_users_email.sql` line 4: [index-without-concurrently] CREATE INDEX without CONCURRENTLY on existing table `users`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("safe pattern: CREATE INDEX CONCURRENTLY, alone in a script that starts with `-- migrate:no-transaction`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("-- migrate:allow index-without-concurrently <reason>"),
        "{stderr}"
    );
    // `lint_after = 1`: 0001 counts as applied, so `users` is an existing
    // table; 0003's drop is allowed by its directive; 0004's is a contract
    // migration's (`-- migrate:phase contract`), which the lint expects.
    assert_eq!(
        stderr.matches("MIGRATION_LINT_WARNING").count(),
        1,
        "{stderr}"
    );

    let concurrently = tmp.join("lint-fixture-concurrently");
    std::fs::create_dir_all(&concurrently).unwrap();
    std::fs::write(
        concurrently.join("0001_users.sql"),
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n",
    )
    .unwrap();
    let output = embed(&concurrently, "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "a lint error must fail the build:\n{stderr}"
    );
    assert!(
        stderr.contains("lint error: `0001_users.sql` line 2: [concurrently-in-transaction]"),
        "{stderr}"
    );
}
