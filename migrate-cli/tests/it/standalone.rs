//! The standalone `migrata` binary, run for real: every subcommand, its exit
//! code and its `--json` shape.

use std::path::Path;

use crate::common::{standalone as migrate, TestDb, ALL_KINDS};
use migrata::BackendKind;
use serde_json::Value;

/// A project directory with a copy of the sample migrations.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
    }
    dir
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn sqlite_url(project: &Path) -> String {
    format!("sqlite://{}?mode=rwc", project.join("app.db").display())
}

#[tokio::test]
async fn every_subcommand_on_every_backend() {
    for kind in ALL_KINDS {
        let Some(db) = TestDb::create(kind, &format!("{kind}::cli_every_subcommand")).await else {
            continue;
        };
        every_subcommand(&db);
    }
}

fn every_subcommand(db: &TestDb) {
    let project = project();
    let dir = project.path();
    let url = db.url.clone();

    let status = migrate(dir)
        .args(["-d", &url, "status", "--json"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let status = json(&status);
    assert_eq!(status["backend"], db.kind.name());
    assert_eq!(status["migrations"].as_array().unwrap().len(), 4);
    assert_eq!(status["migrations"][0]["state"], "pending");
    assert_eq!(status["migrations"][0]["file"], "0001_create_users.sql");

    let up = migrate(dir)
        .args(["-d", &url, "up", "--to", "2", "--json"])
        .output()
        .unwrap();
    assert_eq!(up.status.code(), Some(0));
    let up = json(&up);
    let versions: Vec<i64> = up["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2]);
    assert!(up["applied"][0]["duration_ms"].is_u64());
    assert_eq!(up["applied"][0]["lock_retries"], 0);

    let table = migrate(dir).args(["-d", &url, "status"]).output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("VERSION  NAME"), "{text}");
    assert!(
        text.lines().nth(2).unwrap().contains("applied")
            && text.lines().nth(3).unwrap().contains("pending"),
        "{text}"
    );

    migrate(dir)
        .args(["-d", &url, "up"])
        .assert()
        .success()
        .stdout(predicates_str("applied 4 create_visits"));
    migrate(dir)
        .args(["-d", &url, "up"])
        .assert()
        .success()
        .stdout(predicates_str("up to date"));

    let down = migrate(dir)
        .args(["-d", &url, "down", "--to", "1", "--json"])
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&down.stdout).into_owned();
    assert_eq!(
        down.status.code(),
        Some(1),
        "3 and 4 have no down script: {message}"
    );
    assert!(
        json(&down)["error"]
            .as_str()
            .unwrap()
            .contains("cannot be reverted"),
        "{message}"
    );

    let verify = migrate(dir)
        .args(["-d", &url, "verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    assert_eq!(json(&verify)["ok"], true);

    let sql = migrate(dir)
        .args(["sql", "--backend", "postgres", "--to", "1"])
        .output()
        .unwrap();
    assert_eq!(sql.status.code(), Some(0));
    let sql = String::from_utf8(sql.stdout).unwrap();
    assert!(
        sql.contains("CREATE TABLE IF NOT EXISTS \"migrate_history\"")
            && sql.contains("CREATE TABLE users"),
        "{sql}"
    );
    let sql_json = migrate(dir)
        .args([
            "-d", &url, "sql", "--down", "--from", "2", "--to", "1", "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(sql_json.status.code(), Some(0));
    let sql_json = json(&sql_json);
    assert_eq!(
        sql_json["backend"],
        db.kind.name(),
        "backend taken from the URL"
    );
    assert!(sql_json["sql"]
        .as_str()
        .unwrap()
        .contains("DROP TABLE notes;"));

    let created = migrate(dir)
        .args(["new", "add_tags", "--json"])
        .output()
        .unwrap();
    assert_eq!(created.status.code(), Some(0));
    let created = json(&created);
    assert!(created["created"][0]
        .as_str()
        .unwrap()
        .ends_with("0005_add_tags.sql"));
    std::fs::write(
        dir.join("migrations/0005_add_tags.sql"),
        "CREATE TABLE tags (name TEXT);",
    )
    .unwrap();
    migrate(dir).args(["-d", &url, "up"]).assert().success();
    migrate(dir)
        .args(["new", "--reversible", "rename_tags"])
        .assert()
        .success()
        .stdout(predicates_str("0006_rename_tags.down.sql"));
}

#[test]
fn stamp_then_up_skips_the_stamped_versions() {
    let project = project();
    let dir = project.path();
    let url = sqlite_url(dir);
    let stamp = migrate(dir)
        .args(["-d", &url, "stamp", "3", "--json"])
        .output()
        .unwrap();
    assert_eq!(stamp.status.code(), Some(0));
    assert_eq!(json(&stamp)["stamped"], serde_json::json!([1, 2, 3]));
    let up = migrate(dir)
        .args(["-d", &url, "up", "--json"])
        .output()
        .unwrap();
    let versions: Vec<i64> = json(&up)["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [4], "stamped versions are not run");
}

#[test]
fn verify_exits_1_on_an_edited_script_and_repair_clears_failed_rows() {
    let project = project();
    let dir = project.path();
    let url = sqlite_url(dir);
    migrate(dir).args(["-d", &url, "up"]).assert().success();
    std::fs::write(
        dir.join("migrations/0004_create_visits.sql"),
        "CREATE TABLE visits (id BIGINT PRIMARY KEY);",
    )
    .unwrap();

    let verify = migrate(dir).args(["-d", &url, "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    let text = String::from_utf8(verify.stdout).unwrap();
    assert!(
        text.contains("divergent") && text.contains("create_visits"),
        "{text}"
    );
    let verify = migrate(dir)
        .args(["-d", &url, "verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(1));
    let verify = json(&verify);
    assert_eq!(verify["ok"], false);
    assert_eq!(verify["problems"][0]["version"], 4);
    assert_eq!(verify["problems"][0]["state"], "divergent");

    let up = migrate(dir).args(["-d", &url, "up"]).output().unwrap();
    assert_eq!(up.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&up.stderr).contains("was edited after it was applied"));

    let repair = migrate(dir)
        .args(["-d", &url, "repair", "--json"])
        .output()
        .unwrap();
    assert_eq!(repair.status.code(), Some(0));
    assert_eq!(json(&repair)["repaired"], serde_json::json!([]));
}

#[test]
fn usage_errors_exit_2() {
    let project = project();
    let dir = project.path();
    for args in [
        vec!["bogus"],
        vec!["down"],
        vec!["up", "--to", "soon"],
        vec!["sql", "--backend", "oracle"],
    ] {
        let output = migrate(dir).args(&args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let no_url = migrate(dir).arg("status").output().unwrap();
    assert_eq!(no_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_url.stderr).contains("no database URL"));
    let no_backend = migrate(dir).arg("sql").output().unwrap();
    assert_eq!(no_backend.status.code(), Some(2));

    std::fs::write(dir.join("migrate.toml"), "[migrate]\ntabel = \"x\"\n").unwrap();
    let typo = migrate(dir).arg("status").output().unwrap();
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("tabel"),
        "the unknown key is named"
    );

    migrate(dir).arg("--help").assert().success();
}

#[test]
fn settings_come_from_file_then_environment_then_flags() {
    let project = project();
    let dir = project.path();
    let db = |name: &str| format!("sqlite://{}?mode=rwc", dir.join(name).display());
    std::fs::write(
        dir.join("migrate.toml"),
        format!(
            "[database]\nurl = \"{}\"\n\n[migrate]\ntable = \"schema_history\"\n",
            db("file.db")
        ),
    )
    .unwrap();
    migrate(dir).args(["up", "--to", "1"]).assert().success();
    migrate(dir)
        .env("DATABASE_URL", db("env.db"))
        .args(["up", "--to", "1"])
        .assert()
        .success();
    migrate(dir)
        .env("DATABASE_URL", db("env.db"))
        .env("MIGRATE_DATABASE_URL", db("migrate_env.db"))
        .args(["up", "--to", "1"])
        .assert()
        .success();
    migrate(dir)
        .env("MIGRATE_DATABASE_URL", db("migrate_env.db"))
        .args(["-d", &db("flag.db"), "up", "--to", "1"])
        .assert()
        .success();
    for name in ["file.db", "env.db", "migrate_env.db", "flag.db"] {
        let status = migrate(dir)
            .args(["-d", &db(name), "status", "--json"])
            .output()
            .unwrap();
        assert_eq!(
            json(&status)["migrations"][0]["state"],
            "applied",
            "{name} was migrated, in table schema_history"
        );
    }
    let other = migrate(dir)
        .args(["-c", "/nonexistent/migrate.toml", "status"])
        .output()
        .unwrap();
    assert_eq!(
        other.status.code(),
        Some(2),
        "an explicit config file must exist"
    );
}

#[tokio::test]
async fn passwords_never_appear_in_any_output() {
    let project = project();
    let dir = project.path().to_owned();
    let mut urls = vec![
        "postgres://app:Sup3rS3cretPw@127.0.0.1:1/app".to_owned(),
        "mysql://app:Sup3rS3cretPw@127.0.0.1:1/app".to_owned(),
    ];
    if let Some(db) = TestDb::create(BackendKind::Postgres, "postgres::cli_passwords").await {
        let at = db.url.find('@').unwrap_or("postgres://".len());
        urls.push(format!(
            "postgres://postgres:Sup3rS3cretPw@{}/no_such_db",
            db.url[at..]
                .trim_start_matches('@')
                .split('/')
                .next()
                .unwrap()
        ));
    }
    // Issue 10 item 11: without `//`, MySQL would echo everything after the
    // scheme (password included) back as the database name.
    if let Some(db) = TestDb::create(BackendKind::MySql, "mysql::cli_passwords").await {
        let host = db
            .url
            .rsplit_once('@')
            .map_or("127.0.0.1:3306/x", |(_, host)| host);
        urls.push(format!("mysql:root:Sup3rS3cretPw@{host}"));
        urls.push(format!("mysql:/root:Sup3rS3cretPw@{host}"));
        urls.push(format!("postgres:postgres:Sup3rS3cretPw@{host}"));
    }
    for url in &urls {
        for args in [
            vec!["status"],
            vec!["up"],
            vec!["verify", "--json"],
            vec!["repair"],
            vec!["sql"],
        ] {
            let output = migrate(&dir)
                .env("RUST_LOG", "trace")
                .env("DATABASE_URL", url)
                .args(&args)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                !all.contains("Sup3rS3cretPw"),
                "{args:?} leaked the password:\n{all}"
            );
            if args[0] != "sql" {
                assert_eq!(output.status.code(), Some(1), "{args:?}: {all}");
                assert!(
                    all.contains(":***@"),
                    "{args:?}: the redacted URL names the server: {all}"
                );
            }
        }
    }
}

/// Issue 25, item 3: sqlx-postgres logged each URL parameter it ignores
/// with its value at WARN, the CLI's default log level.
#[tokio::test]
async fn connect_parameter_values_never_reach_the_logs() {
    let project = project();
    for kind in [BackendKind::Postgres, BackendKind::MySql] {
        let label = format!("{kind}::cli_connect_parameter_values");
        let Some(db) = TestDb::create(kind, &label).await else {
            continue;
        };
        let separator = if db.url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{separator}sslpassword=s3cret&PASSWORD=s3cret&application_name=x",
            db.url
        );
        for args in [
            &["up"][..],
            &["status"],
            &["database", "create"],
            &["database", "drop", "--yes"],
        ] {
            let output = migrate(project.path())
                .arg("-d")
                .arg(&url)
                .args(args)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(output.status.success(), "{kind}: {args:?}: {all}");
            assert!(
                !all.contains("s3cret"),
                "{kind}: {args:?} leaked a value:\n{all}"
            );
        }
    }
}

fn predicates_str(needle: &'static str) -> impl predicates::Predicate<str> {
    predicates::str::contains(needle)
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `migrate sql | head`: more output than a pipe buffer holds, and a reader
    // that stops early. The writer must end quietly, not panic (exit 101).
    let project = tempfile::tempdir().unwrap();
    let dir = project.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    let filler = "-- padding padding padding padding padding padding padding padding\n".repeat(20);
    for i in 1..=200 {
        std::fs::write(
            dir.join(format!("{i:04}_t{i}.sql")),
            format!("{filler}CREATE TABLE t{i} (id INTEGER);\n"),
        )
        .unwrap();
    }
    let migrate = assert_cmd::cargo::cargo_bin("migrata");
    let status = std::process::Command::new("bash")
        .args([
            "-c",
            "set -o pipefail; \"$0\" --dir \"$1\" sql --backend postgres | head -c 100 > /dev/null",
        ])
        .arg(&migrate)
        .arg(&dir)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "migrate sql | head");
}

/// `verify` is a deploy gate: for every combination of the three policies,
/// it exits non-zero exactly when `up` refuses, on every backend. The
/// database holds every finding at once: an edited script (1), a late
/// migration (2) and a version this directory lacks (3).
#[tokio::test]
async fn verify_fails_exactly_when_up_would_refuse() {
    const POLICIES: [&str; 3] = ["error", "warn", "ignore"];
    for kind in ALL_KINDS {
        let mut combinations = 0;
        for divergent in POLICIES {
            for missing in POLICIES {
                for out_of_order in POLICIES {
                    let label = format!("{kind}::verify_{divergent}_{missing}_{out_of_order}");
                    let Some(db) = TestDb::create(kind, &label).await else {
                        continue;
                    };
                    let (project, url) = project_with_every_finding(&db).await;
                    std::fs::write(
                        project.path().join("migrate.toml"),
                        format!("[migrate]\non_divergent = \"{divergent}\"\non_missing = \"{missing}\"\non_out_of_order = \"{out_of_order}\"\n"),
                    )
                    .unwrap();
                    let strict = migrate(project.path())
                        .args(["-d", &url, "verify", "--strict"])
                        .output()
                        .unwrap();
                    assert_eq!(
                        strict.status.code(),
                        Some(1),
                        "{label}: --strict sees the findings"
                    );
                    let verify = migrate(project.path())
                        .args(["-d", &url, "verify"])
                        .output()
                        .unwrap();
                    let up = migrate(project.path())
                        .args(["-d", &url, "up"])
                        .output()
                        .unwrap();
                    let refuses = [divergent, missing, out_of_order].contains(&"error");
                    assert_eq!(
                        up.status.code(),
                        Some(i32::from(refuses)),
                        "{label}: up: {}",
                        String::from_utf8_lossy(&up.stderr)
                    );
                    assert_eq!(
                        verify.status.code(),
                        up.status.code(),
                        "{label}: verify agrees with up:\n{}",
                        String::from_utf8_lossy(&verify.stdout)
                    );
                    combinations += 1;
                }
            }
        }
        assert!(
            combinations == 27 || combinations == 0,
            "{kind}: {combinations}"
        );
    }
}

/// A project whose database has an edited script, a late migration and a
/// version the directory lacks, plus its URL.
async fn project_with_every_finding(db: &TestDb) -> (tempfile::TempDir, String) {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    let write = |file: &str, sql: &str| std::fs::write(dir.join(file), sql).unwrap();
    write("0001_users.sql", "CREATE TABLE users (id INTEGER);");
    write("0003_tags.sql", "CREATE TABLE tags (id INTEGER);");
    let url = if db.kind == BackendKind::Sqlite {
        sqlite_url(project.path())
    } else {
        db.url.clone()
    };
    let first = migrate(project.path())
        .args(["-d", &url, "up"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", db.kind);
    write(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER); -- edited",
    );
    write("0002_posts.sql", "CREATE TABLE posts (id INTEGER);");
    std::fs::remove_file(dir.join("0003_tags.sql")).unwrap();
    (project, url)
}

/// Issue 10 ("also seen"): `down --to -1` is a version, not an unknown flag;
/// it reverts version 0 too.
#[test]
fn down_to_a_negative_version() {
    let project = tempfile::tempdir().unwrap();
    let migrations = project.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(
        migrations.join("0000_base.up.sql"),
        "CREATE TABLE base (id INTEGER);",
    )
    .unwrap();
    std::fs::write(migrations.join("0000_base.down.sql"), "DROP TABLE base;").unwrap();
    let url = sqlite_url(project.path());
    migrate(project.path())
        .args(["-d", &url, "up"])
        .assert()
        .success();
    migrate(project.path())
        .args(["-d", &url, "down", "--to", "-1"])
        .assert()
        .success();
    let status = migrate(project.path())
        .args(["-d", &url, "status", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&status)["migrations"][0]["state"], "pending");
}

/// Issue 25, item 7: a script holding a NUL byte made `up` on SQLite spin
/// forever; it is refused when the directory is loaded, naming the file and
/// the line, before anything runs.
#[test]
fn a_nul_byte_in_a_script_is_refused_before_anything_runs() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::create_dir(dir.join("migrations")).unwrap();
    std::fs::write(
        dir.join("migrations/0001_create_t.sql"),
        "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1); -- \0\n",
    )
    .unwrap();
    let url = sqlite_url(dir);
    let up = migrate(dir)
        .args(["-d", &url, "up"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert_eq!(up.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`0001_create_t.sql` line 2: the script holds a NUL byte"),
        "{stderr}"
    );
    assert!(!dir.join("app.db").exists(), "nothing was run");
}

/// Copies `source` into `target`, one level of subdirectories deep (diesel's layout).
fn copy_migrations(source: &Path, target: &Path) {
    std::fs::create_dir_all(target).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let copy = target.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_migrations(&path, &copy);
        } else {
            std::fs::copy(&path, copy).unwrap();
        }
    }
}

/// Issue 12, item 3: the standalone command reads a diesel directory as it
/// is, and `[migrate] exclude` in migrate.toml leaves out a migration (here
/// the PostgreSQL-only one). Issue 25, item 13: a seed script beside
/// diesel's directories is ignored, as diesel ignores it.
#[test]
fn standalone_reads_diesel_layout_and_config_excludes() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diesel");
    copy_migrations(&fixture, &dir.join("migrations"));
    std::fs::write(
        dir.join("migrations/seed_dev.sql"),
        "INSERT INTO users VALUES (2, 'dev');",
    )
    .unwrap();
    let url = sqlite_url(dir);

    std::fs::write(
        dir.join("migrate.toml"),
        "[migrate]\nexclude = [\"*_index_users_name\"]\n",
    )
    .unwrap();
    let up = migrate(dir)
        .args(["-d", &url, "up", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let applied: Vec<(i64, String)> = json(&up)["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["version"].as_i64().unwrap(),
                a["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        applied,
        [
            (2019111518235300000, "create_users".to_owned()),
            (2024050112000000001, "seed users, v2.0".to_owned()),
            (2024050112000000002, "vacuum".to_owned()),
        ]
    );

    let created = migrate(dir).args(["new", "add_email"]).output().unwrap();
    assert_eq!(
        created.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let status = migrate(dir)
        .args(["-d", &url, "status", "--json"])
        .output()
        .unwrap();
    let last = json(&status)["migrations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "pending");
    assert!(
        last["file"]
            .as_str()
            .unwrap()
            .ends_with("-0000_add_email/up.sql"),
        "{last}"
    );

    std::fs::write(
        dir.join("migrate.toml"),
        "[migrate]\nexclude = [\"seeds/\"]\n",
    )
    .unwrap();
    let bad = migrate(dir).args(["-d", &url, "status"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("exclude") && stderr.contains("`seeds/` is invalid"),
        "{stderr}"
    );
}

/// Issue 14: the standalone command has no compiled code. It shows code
/// (and repeatable) migrations in `status`, refuses `up` past one (pointing at the
/// application binary's `migrate` subcommand) without running anything,
/// applies up to one with `--to`, and renders SQL that stops at one.
#[tokio::test]
async fn standalone_shows_code_migrations_and_refuses_to_run_them() {
    for kind in ALL_KINDS {
        let Some(db) = TestDb::create(kind, &format!("{kind}::cli_code_migrations")).await else {
            continue;
        };
        let project = tempfile::tempdir().unwrap();
        let dir = project.path();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop");
        copy_migrations(&fixture, &dir.join("migrations"));
        std::fs::write(
            dir.join("migrations/R__domain_list.sql"),
            "DROP VIEW IF EXISTS domain_list;\nCREATE VIEW domain_list AS SELECT DISTINCT domain FROM accounts;",
        )
        .unwrap();
        let url = db.url.clone();

        let status = migrate(dir)
            .args(["-d", &url, "status", "--json"])
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(0), "{kind}");
        let entries = json(&status)["migrations"].as_array().unwrap().clone();
        let code: Vec<(&str, bool, bool, &str)> = entries
            .iter()
            .map(|e| {
                (
                    e["file"].as_str().unwrap(),
                    e["code"].as_bool().unwrap(),
                    e["repeatable"].as_bool().unwrap(),
                    e["state"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            code,
            [
                ("0001_accounts.up.sql", false, false, "pending"),
                ("0002_domains.rs", true, false, "pending"),
                ("0003_domains_seen.up.sql", false, false, "pending"),
                ("R__domain_list.sql", false, true, "pending"),
            ],
            "{kind}"
        );
        assert_eq!(entries[3]["version"], Value::Null);
        let table = migrate(dir).args(["-d", &url, "status"]).output().unwrap();
        let table = String::from_utf8_lossy(&table.stdout);
        assert!(table.contains("domains (code)  pending"), "{kind}: {table}");
        assert!(
            table
                .lines()
                .any(|line| line.starts_with("R ") && line.contains("domain_list")),
            "{kind}: {table}"
        );

        let refused = migrate(dir).args(["-d", &url, "up"]).output().unwrap();
        assert_eq!(refused.status.code(), Some(1), "{kind}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("migration 2 (`0002_domains.rs`) is a code migration")
                && stderr.contains("`migrate` subcommand"),
            "{kind}: {stderr}"
        );
        assert!(!db.table_exists("accounts").await, "{kind}: nothing ran");

        let up = migrate(dir)
            .args(["-d", &url, "up", "--to", "1", "--json"])
            .output()
            .unwrap();
        assert_eq!(up.status.code(), Some(0), "{kind}");
        assert_eq!(json(&up)["applied"].as_array().unwrap().len(), 1);

        let past = migrate(dir)
            .args(["-d", &url, "sql", "--from", "1"])
            .output()
            .unwrap();
        assert_eq!(past.status.code(), Some(1), "{kind}");
        assert!(
            String::from_utf8_lossy(&past.stderr).contains("end the range there (`--to 2`)"),
            "{kind}"
        );
        let stop = migrate(dir)
            .args(["-d", &url, "sql", "--from", "1", "--to", "2"])
            .output()
            .unwrap();
        assert_eq!(stop.status.code(), Some(0), "{kind}");
        let sql = String::from_utf8_lossy(&stop.stdout);
        assert!(
            sql.contains("-- STOP: migration 2 domains (`0002_domains.rs`) is a code migration"),
            "{kind}: {sql}"
        );
    }
}

/// Issue 25 item 13 and issue 26 item 5: `--verbose` names the configuration
/// file and lists what in the directory is not a migration (diesel ignores
/// files beside its directories, and so does this), and `status` always names
/// the configuration it used.
#[test]
fn verbose_names_the_config_and_the_ignored_files() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(migrations.join("2024-03-06-170000_init")).unwrap();
    std::fs::write(
        migrations.join("2024-03-06-170000_init/up.sql"),
        "CREATE TABLE t (id INTEGER);",
    )
    .unwrap();
    std::fs::write(migrations.join("seed.sql"), "INSERT INTO t VALUES (1);").unwrap();
    std::fs::write(migrations.join("README.md"), "notes").unwrap();
    let url = sqlite_url(dir);

    let status = migrate(dir)
        .args(["-d", &url, "status", "--verbose"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let stderr = String::from_utf8(status.stderr).unwrap();
    let cwd = dir.canonicalize().unwrap();
    assert!(
        stderr.contains(&format!(
            "config: no migrate.toml found in {}",
            cwd.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("migrations: migrations (1 migrations)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ignored: README.md (neither a .sql nor a .rs file)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ignored: seed.sql (not named like a migration, beside diesel's directories (diesel ignores it too))"),
        "{stderr}"
    );
    let stdout = String::from_utf8(status.stdout).unwrap();
    assert!(stdout.contains("pending"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with(&format!(
            "config: no migrate.toml found in {}",
            cwd.display()
        )),
        "{stdout}"
    );

    std::fs::write(
        dir.join("migrate.toml"),
        "[migrate]\ntable = \"schema_history\"\n",
    )
    .unwrap();
    let quiet = migrate(dir)
        .args(["-d", &url, "status", "--json"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty(), "no --verbose, nothing on stderr");
    assert_eq!(json(&quiet)["config"], "migrate.toml");
}
