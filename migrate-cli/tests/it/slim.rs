//! An app's slim command line, built for real: migrata-cli with
//! `default-features = false, features = ["postgres"]`, as
//! bench/footprint measures it. A subcommand that a feature brings says
//! which feature, in its error and in `--help`; a mistyped one keeps clap's
//! error; what the build has runs. (This crate's own tests link the
//! `standalone` build, which has every subcommand.)
//!
//! A nested build of migrata and migrata-cli for PostgreSQL alone: minutes
//! on a cold machine, so it runs where servers are required (`.ci/run`) or
//! when asked (`MIGRATE_TEST_NESTED_BUILD=1`), and says SKIPPED otherwise.

use std::path::Path;
use std::process::{Command, Output};

#[test]
fn a_slim_build_names_the_feature_of_each_subcommand_it_leaves_out() {
    if std::env::var_os("MIGRATE_TEST_REQUIRE_SERVERS").is_none()
        && std::env::var_os("MIGRATE_TEST_NESTED_BUILD").is_none()
    {
        eprintln!(
            "SKIPPED: slim::a_slim_build_names_the_feature_of_each_subcommand_it_leaves_out: a nested build of migrata-cli for PostgreSQL alone; set MIGRATE_TEST_NESTED_BUILD=1 to run it"
        );
        return;
    }
    let app = build_slim_app();
    let run = |args: &[&str]| -> Output {
        Command::new(&app)
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATE_DATABASE_URL")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };

    for (args, feature) in [
        (&["adopt", "--from", "sqlx"][..], "adopt"),
        (&["lint"][..], "lint"),
        (&["new", "add_tags"][..], "new"),
        (&["drift"][..], "schema"),
        (&["squash", "--up-to", "1"][..], "schema"),
    ] {
        let output = run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "error: `{}` is not in this build of the command: it needs migrata-cli's `{feature}` feature",
                args[0]
            )),
            "{args:?}: {stderr}"
        );
    }

    let help = run(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains(
            "Not in this build, each added by a feature of migrata-cli: adopt (`adopt`); lint (`lint`); new (`new`); schema, drift, trace, diff, squash (`schema`)"
        ),
        "{help}"
    );
    assert!(help.contains("\n  status "), "{help}");
    assert!(!help.contains("\n  adopt "), "{help}");

    let typo = run(&["stauts"]);
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert_eq!(typo.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unrecognized subcommand 'stauts'"),
        "{stderr}"
    );

    let sql = run(&["sql", "--backend", "postgres"]);
    let stdout = String::from_utf8_lossy(&sql.stdout);
    assert_eq!(
        sql.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    assert!(stdout.contains("CREATE TABLE notes"), "{stdout}");
}

/// Builds an app whose `main` is the embedded command line over one
/// migration, with migrata-cli's features for PostgreSQL alone; its binary.
fn build_slim_app() -> std::path::PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = cli.parent().unwrap();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    // The workspace's own target directory, so dependencies built for this
    // test run are reused.
    let target = tmp.parent().unwrap();
    let project = tmp.join("slim-cli-fixture");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::create_dir_all(project.join("migrations")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"slim-cli-fixture\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n\
             migrata = {{ path = {:?}, default-features = false, features = [\"postgres\"] }}\n\
             migrata-cli = {{ path = {:?}, default-features = false, features = [\"postgres\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\n[workspace]\n",
            workspace.join("migrate-runtime").display().to_string(),
            cli.display().to_string(),
        ),
    )
    .unwrap();
    std::fs::copy(workspace.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    std::fs::write(
        project.join("migrations/0001_notes.sql"),
        "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);\n",
    )
    .unwrap();
    std::fs::write(
        project.join("src/main.rs"),
        "static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();\n\n\
         #[tokio::main(flavor = \"current_thread\")]\n\
         async fn main() -> std::process::ExitCode {\n    \
         migrata_cli::run(&MIGRATIONS).await\n}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fixture build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug").join("slim-cli-fixture")
}
