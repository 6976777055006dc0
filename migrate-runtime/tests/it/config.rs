//! `Config`: the `migrate.toml` format, its layering with the environment and
//! code, and its error messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use migrata::{Config, ConfigError, Migrator, Policy, TransactionMode, DEFAULT_TABLE};

const FULL: &str = r#"
[database]
url = "postgres://app:s3cret@db:5432/app"
session_setup = "SET lock_timeout = '5s'"

[migrate]
table = "schema_history"
dir = "db/migrations"
transaction = "single"
lock_timeout = "500ms"
on_divergent = "warn"
on_missing = "ignore"
on_out_of_order = "warn"

[log]
level = "migrata=debug,warn"
"#;

/// A temporary directory holding `migrate.toml` with `contents`.
fn config_file(contents: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("migrate.toml");
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

/// An environment holding exactly `vars`.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn parse_error(toml: &str) -> String {
    match Config::from_toml_str(toml) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(error @ ConfigError::Parse { .. }) => error.to_string(),
        Err(other) => panic!("expected a parse error, got {other:?}"),
    }
}

fn migrator_debug(config: &Config) -> String {
    format!("{:?}", config.migrator(&[]))
}

#[test]
fn defaults_match_the_migrator_defaults() {
    let config = Config::default();
    assert_eq!(config.database_url(), None);
    assert_eq!(config.database.session_setup, None);
    assert_eq!(config.migrate.table(), DEFAULT_TABLE);
    assert_eq!(config.migrate.dir(), Path::new("migrations"));
    assert_eq!(config.migrate.transaction(), TransactionMode::PerMigration);
    assert_eq!(config.migrate.lock_timeout(), Duration::from_secs(30));
    assert_eq!(config.migrate.on_divergent(), Policy::Error);
    assert_eq!(config.migrate.on_missing(), Policy::Error);
    assert_eq!(config.migrate.on_out_of_order(), Policy::Error);
    assert_eq!(config.log.level(), "warn");
    assert_eq!(
        migrator_debug(&config),
        format!("{:?}", Migrator::new(&[])),
        "a default Config must not change any Migrator default"
    );
    assert_eq!(Config::from_toml_str("").unwrap(), config);
    assert_eq!(
        Config::from_toml_str("[database]\n[migrate]\n[log]\n").unwrap(),
        config
    );
}

/// Changes the current directory, which is the process's: alone in a
/// process of its own, so that the tests running beside it (and the
/// processes they start) keep theirs.
#[test]
fn default_path_is_migrate_toml_in_the_current_directory_and_may_be_missing() {
    if !crate::common::in_own_process() {
        return;
    }
    let original = std::env::current_dir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let result = std::panic::catch_unwind(|| {
        // Missing: defaults.
        assert_eq!(Config::from_file(None).unwrap(), Config::default());
        let mut expected = Config::default();
        expected.apply_env(|name| std::env::var(name).ok());
        assert_eq!(Config::load(None).unwrap(), expected);

        // Present: read.
        std::fs::write("migrate.toml", "[migrate]\ntable = \"from_cwd\"\n").unwrap();
        assert_eq!(Config::from_file(None).unwrap().migrate.table(), "from_cwd");
        assert_eq!(Config::load(None).unwrap().migrate.table(), "from_cwd");
    });
    std::env::set_current_dir(original).unwrap();
    result.unwrap();
}

#[test]
fn a_full_file_sets_every_migrator_option() {
    let (_dir, path) = config_file(FULL);
    let config = Config::from_file(Some(&path)).unwrap();

    assert_eq!(
        config.database_url(),
        Some("postgres://app:s3cret@db:5432/app")
    );
    assert_eq!(
        config.database.session_setup.as_deref(),
        Some("SET lock_timeout = '5s'")
    );
    assert_eq!(config.migrate.table(), "schema_history");
    assert_eq!(config.migrate.dir(), Path::new("db/migrations"));
    assert_eq!(config.migrate.transaction(), TransactionMode::Single);
    assert_eq!(config.migrate.lock_timeout(), Duration::from_millis(500));
    assert_eq!(config.migrate.on_divergent(), Policy::Warn);
    assert_eq!(config.migrate.on_missing(), Policy::Ignore);
    assert_eq!(config.migrate.on_out_of_order(), Policy::Warn);
    assert_eq!(config.log.level(), "migrata=debug,warn");

    let expected = Migrator::new(&[])
        .table("schema_history")
        .transaction(TransactionMode::Single)
        .on_divergent(Policy::Warn)
        .on_missing(Policy::Ignore)
        .on_out_of_order(Policy::Warn)
        .lock_timeout(Duration::from_millis(500))
        .session_setup("SET lock_timeout = '5s'");
    // `dir` is for the standalone command; the builder has no setter for it.
    let mut expected_options = expected.options().clone();
    expected_options.dir = Some(PathBuf::from("db/migrations"));
    let expected = format!("{expected:?}").replace("dir: None", "dir: Some(\"db/migrations\")");
    assert_eq!(config.migrator(&[]).options(), &expected_options);
    assert_eq!(migrator_debug(&config), expected);
    // `apply_to` is the same thing on an existing migrator.
    assert_eq!(
        format!("{:?}", config.apply_to(Migrator::new(&[]))),
        expected
    );
}

#[test]
fn code_wins_over_the_file_whether_set_before_or_after_it() {
    let config = Config::from_toml_str(
        "[migrate]\ntable = \"from_file\"\nlock_timeout = \"5s\"\non_missing = \"warn\"\n[database]\nsession_setup = \"SELECT 1\"\n",
    )
    .unwrap();
    let before = config.apply_to(Migrator::new(&[]).table("before").session_setup("SELECT 2"));
    let after = config.apply_to(Migrator::new(&[])).table("after");
    assert_eq!(before.options().table(), "before");
    assert_eq!(after.options().table(), "after");
    for migrator in [&before, &after] {
        // What code did not set comes from the file.
        assert_eq!(migrator.options().lock_timeout(), Duration::from_secs(5));
        assert_eq!(migrator.options().on_missing(), Policy::Warn);
        // ...and what neither set keeps its default.
        assert_eq!(migrator.options().on_divergent(), Policy::Error);
    }
    assert!(format!("{before:?}").contains("SELECT 2"));
    assert!(format!("{after:?}").contains("SELECT 1"));
}

#[test]
fn every_enum_value_and_duration_unit_parses() {
    for (text, mode) in [
        ("per-migration", TransactionMode::PerMigration),
        ("single", TransactionMode::Single),
        ("none", TransactionMode::None),
    ] {
        let config =
            Config::from_toml_str(&format!("[migrate]\ntransaction = \"{text}\"")).unwrap();
        assert_eq!(config.migrate.transaction(), mode);
    }
    for (text, policy) in [
        ("error", Policy::Error),
        ("warn", Policy::Warn),
        ("ignore", Policy::Ignore),
    ] {
        let config = Config::from_toml_str(&format!(
            "[migrate]\non_divergent = \"{text}\"\non_missing = \"{text}\"\non_out_of_order = \"{text}\""
        ))
        .unwrap();
        assert_eq!(config.migrate.on_divergent(), policy);
        assert_eq!(config.migrate.on_missing(), policy);
        assert_eq!(config.migrate.on_out_of_order(), policy);
    }
    for (text, duration) in [
        ("500ms", Duration::from_millis(500)),
        ("30s", Duration::from_secs(30)),
        ("2m", Duration::from_secs(120)),
        ("1h", Duration::from_secs(3600)),
        ("0s", Duration::ZERO),
    ] {
        let config =
            Config::from_toml_str(&format!("[migrate]\nlock_timeout = \"{text}\"")).unwrap();
        assert_eq!(config.migrate.lock_timeout(), duration);
    }
}

#[test]
fn precedence_is_file_then_environment_then_code() {
    let (_dir, path) = config_file("[database]\nurl = \"sqlite://file.db\"\n");

    // File only.
    let mut config = Config::from_file(Some(&path)).unwrap();
    config.apply_env(env(&[]));
    assert_eq!(config.database_url(), Some("sqlite://file.db"));

    // DATABASE_URL beats the file.
    let mut config = Config::from_file(Some(&path)).unwrap();
    config.apply_env(env(&[("DATABASE_URL", "sqlite://database_url.db")]));
    assert_eq!(config.database_url(), Some("sqlite://database_url.db"));

    // MIGRATE_DATABASE_URL beats DATABASE_URL and the file.
    let mut config = Config::from_file(Some(&path)).unwrap();
    config.apply_env(env(&[
        ("DATABASE_URL", "sqlite://database_url.db"),
        ("MIGRATE_DATABASE_URL", "sqlite://migrate_database_url.db"),
    ]));
    assert_eq!(
        config.database_url(),
        Some("sqlite://migrate_database_url.db")
    );

    // An empty variable counts as unset.
    let mut config = Config::from_file(Some(&path)).unwrap();
    config.apply_env(env(&[
        ("MIGRATE_DATABASE_URL", ""),
        ("DATABASE_URL", "sqlite://database_url.db"),
    ]));
    assert_eq!(config.database_url(), Some("sqlite://database_url.db"));

    // The environment applies without a file too.
    let mut config = Config::default();
    config.apply_env(env(&[("DATABASE_URL", "sqlite://database_url.db")]));
    assert_eq!(config.database_url(), Some("sqlite://database_url.db"));

    // Code beats everything.
    let mut config = Config::from_file(Some(&path)).unwrap();
    config.apply_env(env(&[("MIGRATE_DATABASE_URL", "sqlite://env.db")]));
    config.database.url = Some("sqlite://code.db".to_owned());
    config.migrate.table = Some("from_code".to_owned());
    assert_eq!(config.database_url(), Some("sqlite://code.db"));
    assert!(migrator_debug(&config).contains("\"from_code\""));
}

#[test]
fn unknown_top_level_key_is_an_error_naming_key_and_file() {
    let (_dir, path) = config_file("[databse]\nurl = \"sqlite::memory:\"\n");
    let error = Config::from_file(Some(&path)).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, ConfigError::Parse { path: Some(ref p), .. } if *p == path),
        "{error:?}"
    );
    assert!(message.contains("`databse`"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 1"), "{message}");

    let message = parse_error("verbose = true\n");
    assert!(message.contains("`verbose`"), "{message}");
}

#[test]
fn unknown_key_inside_a_section_is_an_error_naming_key_and_file() {
    let (_dir, path) = config_file("[migrate]\ntable = \"t\"\ntabel = \"t\"\n");
    let message = Config::from_file(Some(&path)).unwrap_err().to_string();
    assert!(message.contains("`tabel`"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 3"), "{message}");

    for (section, key) in [("database", "pasword"), ("log", "lvl")] {
        let message = parse_error(&format!("[{section}]\n{key} = \"x\"\n"));
        assert!(message.contains(&format!("`{key}`")), "{message}");
    }
}

/// Issue 25, item 14: `url = ""` made the CLI migrate a temporary SQLite
/// database that vanished with the run.
#[test]
fn an_empty_url_is_an_error_naming_key_and_file() {
    let (_dir, path) = config_file("[database]\nurl = \"\"\n");
    let message = Config::from_file(Some(&path)).unwrap_err().to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");
    assert!(
        message.contains("url") && message.contains("empty"),
        "{message}"
    );
}

#[test]
fn bad_duration_is_an_error_naming_key_and_value() {
    let (_dir, path) = config_file("[migrate]\nlock_timeout = \"soon\"\n");
    let message = Config::from_file(Some(&path)).unwrap_err().to_string();
    assert!(
        message.contains("lock_timeout: ")
            && message.contains("\"soon\"")
            && message.contains("expected a duration like 500ms, 30s, 2m or 1h"),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");

    for bad in ["\"30\"", "\"1.5s\"", "\"30 s\"", "\"1d\"", "\"-1s\"", "30"] {
        let message = parse_error(&format!("[migrate]\nlock_timeout = {bad}\n"));
        assert!(
            message.contains("lock_timeout: ") && message.contains("expected a duration"),
            "{message}"
        );
    }
}

#[test]
fn a_duration_out_of_its_range_is_an_error_naming_key_and_range() {
    let (_dir, path) = config_file("[migrate]\nlease_ttl = \"0s\"\n");
    let message = Config::from_file(Some(&path)).unwrap_err().to_string();
    assert!(
        message.contains("`lease_ttl` is 0ns, outside its range: from 100ms to 168h")
            && message.contains("line 2"),
        "{message}"
    );
    for (key, bad, range) in [
        ("lease_ttl", "99ms", "from 100ms to 168h"),
        ("lease_ttl", "169h", "from 100ms to 168h"),
        ("lock_timeout", "600h", "from 0ms (do not wait) to 168h"),
        ("lock_timeout", "10081m", "from 0ms (do not wait) to 168h"),
    ] {
        let message = parse_error(&format!("[migrate]\n{key} = \"{bad}\"\n"));
        assert!(
            message.contains(&format!("`{key}` is ")) && message.contains(range),
            "{message}"
        );
    }
    for (key, edge) in [
        ("lease_ttl", "100ms"),
        ("lease_ttl", "168h"),
        ("lock_timeout", "0ms"),
        ("lock_timeout", "168h"),
    ] {
        Config::from_toml_str(&format!("[migrate]\n{key} = \"{edge}\"\n")).unwrap();
    }
}

/// The builder's setters cannot fail: an out-of-range duration is refused
/// when an operation starts, before anything connects (a lock timeout past
/// about 596 h used to panic inside the SQLite driver).
#[test]
fn a_builder_duration_out_of_its_range_fails_the_run_not_the_process() {
    static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    for (migrator, option) in [
        (MIGRATIONS.migrator().lease_ttl(Duration::ZERO), "lease_ttl"),
        (
            MIGRATIONS
                .migrator()
                .lease_ttl(Duration::from_secs(600 * 3600)),
            "lease_ttl",
        ),
        (
            MIGRATIONS
                .migrator()
                .lock_timeout(Duration::from_secs(600 * 3600)),
            "lock_timeout",
        ),
    ] {
        for result in [
            runtime.block_on(migrator.run(&url)).map(drop),
            runtime.block_on(migrator.at(&url).status()).map(drop),
        ] {
            match result {
                Err(migrata::Error::DurationOutOfRange { option: named, .. }) => {
                    assert_eq!(named, option)
                }
                other => panic!("{option}: expected DurationOutOfRange, got {other:?}"),
            }
        }
    }
    assert!(
        !dir.path().join("app.db").exists(),
        "refused before connecting"
    );
}

#[test]
fn bad_enum_value_is_an_error_naming_key_and_value() {
    let message = parse_error("[migrate]\ntransaction = \"sometimes\"\n");
    assert!(
        message.contains("transaction: ")
            && message.contains("`sometimes`")
            && message.contains("`per-migration`, `single`, `none`"),
        "{message}"
    );
    for key in ["on_divergent", "on_missing", "on_out_of_order"] {
        let message = parse_error(&format!("[migrate]\n{key} = \"Error\"\n"));
        assert!(
            message.contains(&format!("{key}: "))
                && message.contains("`Error`")
                && message.contains("`error`, `warn`, `ignore`"),
            "{message}"
        );
    }
}

#[test]
fn wrong_types_are_errors_naming_the_key() {
    let message = parse_error("[migrate]\ntable = 5\n");
    assert!(
        message.contains("table: ") && message.contains("integer `5`, expected a string"),
        "{message}"
    );
    let message = parse_error("[log]\nlevel = [\"info\"]\n");
    assert!(
        message.contains("level: ") && message.contains("expected a string"),
        "{message}"
    );
    let message = parse_error("database = \"sqlite::memory:\"\n");
    assert!(message.contains("[database]"), "{message}");
}

#[test]
fn malformed_toml_is_a_parse_error_with_a_position() {
    let message = parse_error("[migrate]\ntable = \n");
    assert!(message.contains("line 2"), "{message}");
    let message = parse_error("[migrate]\ntable = \"a\"\ntable = \"b\"\n");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("duplicate key `table`"), "{message}");
}

#[test]
fn explicit_nonexistent_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    for result in [Config::from_file(Some(&path)), Config::load(Some(&path))] {
        let error = result.unwrap_err();
        assert!(
            matches!(error, ConfigError::NotFound { path: ref p } if *p == path),
            "{error:?}"
        );
        assert!(error.to_string().contains("nope.toml"), "{error}");
    }
}

#[test]
fn unreadable_path_is_a_read_error() {
    // A directory exists but cannot be read as a file.
    let dir = tempfile::tempdir().unwrap();
    let error = Config::from_file(Some(dir.path())).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains(&dir.path().display().to_string()),
        "{error}"
    );
}

#[test]
fn debug_hides_the_password() {
    let config = Config::from_toml_str(FULL).unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("postgres://app:***@db:5432/app"), "{debug}");
    let pretty = format!("{config:#?}");
    assert!(!pretty.contains("s3cret"), "{pretty}");

    let config =
        Config::from_toml_str("[database]\nurl = \"mysql://db/app?password=s3cret\"\n").unwrap();
    assert!(!format!("{config:?}").contains("s3cret"));
}

#[test]
fn parse_errors_do_not_quote_the_file() {
    // toml's own messages quote the offending source line; ours give line and
    // column instead, so a password on that line never reaches a log.
    let message = parse_error("[database]\nurl = \"postgres://app:s3cret@db/app\" oops\n");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("line 2"), "{message}");
    let message = parse_error("[database]\nurl = \"postgres://app:s3cret@db/app\"\nurl = \"x\"\n");
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn config_runs_a_migration() {
    static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    let mut config = Config::from_toml_str("[migrate]\ntable = \"cfg_history\"\n").unwrap();
    config.apply_env(env(&[("DATABASE_URL", "sqlite::memory:")]));
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(
            config
                .migrator(MIGRATIONS.all())
                .run(config.database_url().unwrap()),
        )
        .unwrap();
    assert_eq!(report.applied.len(), MIGRATIONS.all().len());
}
