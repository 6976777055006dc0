//! The standalone binary follows the conventions users bring from sqlx-cli,
//! diesel, dbmate and goose: `.env` only when asked, `down` reverts one,
//! `new --timestamp`, SQLite files created by `up`, each action reported
//! once, `database create` / `drop`.

use migrata::BackendKind;

use crate::common::{
    on_a_pty, server_url, standalone as migrata, unique_name, url_with_database, Conn, ALL_KINDS,
};

/// A project with two reversible migrations.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (file, sql) in [
        ("0001_a.up.sql", "CREATE TABLE a (id INT);"),
        ("0001_a.down.sql", "DROP TABLE a;"),
        ("0002_b.up.sql", "CREATE TABLE b (id INT);"),
        ("0002_b.down.sql", "DROP TABLE b;"),
    ] {
        std::fs::write(migrations.join(file), sql).unwrap();
    }
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_dotenv_file_is_read_only_when_asked_and_its_target_is_shown() {
    let project = project();
    let dir = project.path();
    let db = dir.join("from-env.db");
    std::fs::write(
        dir.join(".env"),
        format!(
            "# the app's settings\nDATABASE_URL=sqlite://{}?mode=rwc\nOTHER=1\n",
            db.display()
        ),
    )
    .unwrap();

    let unasked = migrata(dir).arg("status").output().unwrap();
    assert_eq!(unasked.status.code(), Some(2));
    assert!(
        text(&unasked.stderr).contains("no database URL"),
        "{}",
        text(&unasked.stderr)
    );

    let up = migrata(dir)
        .args(["--env-file", ".env", "up"])
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert!(
        text(&up.stderr).contains(&format!(".env: database sqlite://{}", db.display())),
        "{}",
        text(&up.stderr)
    );
    assert!(db.exists());

    // A variable already set wins over the file.
    let elsewhere = dir.join("from-process.db");
    let set = migrata(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", elsewhere.display()),
        )
        .args(["--env-file", ".env", "up"])
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert!(elsewhere.exists());

    let missing = migrata(dir)
        .args(["--env-file", "nope.env", "status"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("nope.env"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn down_without_to_reverts_the_newest_migration_only() {
    let project = project();
    let dir = project.path();
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    assert!(migrata(dir)
        .args(["-d", &url, "up"])
        .output()
        .unwrap()
        .status
        .success());

    let down = migrata(dir).args(["-d", &url, "down"]).output().unwrap();
    assert!(down.status.success(), "{}", text(&down.stderr));
    assert!(
        text(&down.stdout).starts_with("reverted 2 b (0002_b.down.sql)"),
        "{}",
        text(&down.stdout)
    );
    assert_eq!(text(&down.stdout).lines().count(), 1);
    let down = migrata(dir).args(["-d", &url, "down"]).output().unwrap();
    assert!(
        text(&down.stdout).starts_with("reverted 1 a (0001_a.down.sql)"),
        "{}",
        text(&down.stdout)
    );
    let down = migrata(dir).args(["-d", &url, "down"]).output().unwrap();
    assert!(down.status.success());
    assert_eq!(
        text(&down.stdout),
        "nothing to do: the database is up to date\n"
    );
}

#[test]
fn each_action_is_reported_once_on_stdout() {
    let project = project();
    let dir = project.path();
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    let up = migrata(dir).args(["-d", &url, "up"]).output().unwrap();
    assert!(up.status.success());
    assert_eq!(
        text(&up.stdout).matches("0001_a").count(),
        1,
        "{}",
        text(&up.stdout)
    );
    assert_eq!(text(&up.stderr), "", "the log repeated the report");
    // The library's own events are one opt-in away.
    let logged = migrata(dir)
        .env("RUST_LOG", "migrata=info")
        .args(["-d", &url, "down"])
        .output()
        .unwrap();
    assert!(
        text(&logged.stderr).contains("reverted migration version=2"),
        "{}",
        text(&logged.stderr)
    );
}

#[test]
fn new_timestamp_versions_by_the_clock() {
    let project = project();
    let dir = project.path();
    let made = migrata(dir)
        .args(["new", "add_c", "--timestamp"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let name = text(&made.stdout);
    let file = name.trim().rsplit('/').next().unwrap().to_owned();
    let digits: String = file.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(digits.len(), 14, "{file}");
    assert!(digits.starts_with("20"), "{file}");
    assert!(file.ends_with("_add_c.sql"), "{file}");

    let empty = tempfile::tempdir().unwrap();
    let first = migrata(empty.path())
        .args(["new", "init"])
        .output()
        .unwrap();
    assert_eq!(text(&first.stdout), "created migrations/0001_init.sql\n");
}

#[test]
fn new_makes_code_and_repeatable_migrations_the_loader_reads() {
    let project = project();
    let dir = project.path();
    for (args, created) in [
        (&["new", "--code", "backfill"][..], "0003_backfill.rs"),
        (
            &["new", "--code", "--reversible", "undo"][..],
            "0004_undo.rs",
        ),
        (&["new", "--repeatable", "views"][..], "R__views.sql"),
    ] {
        let made = migrata(dir).args(args).output().unwrap();
        assert!(made.status.success(), "{args:?}: {}", text(&made.stderr));
        assert_eq!(
            text(&made.stdout),
            format!("created migrations/{created}\n"),
            "{args:?}"
        );
    }
    let code = |file: &str| std::fs::read_to_string(dir.join("migrations").join(file)).unwrap();
    let up = "pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError>";
    let down = "pub async fn down(conn: &mut CodeConnection<'_>) -> Result<(), CodeError>";
    assert!(code("0003_backfill.rs").contains(up));
    assert!(!code("0003_backfill.rs").contains(down));
    assert!(code("0004_undo.rs").contains(up) && code("0004_undo.rs").contains(down));
    assert_eq!(code("R__views.sql"), "");

    let refused = migrata(dir)
        .args(["new", "--repeatable", "--reversible", "x"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));

    // The loader takes them as a code migration (with its down) and a
    // repeatable one. (`status` needs the file; an empty one is a database.)
    std::fs::File::create(dir.join("app.db")).unwrap();
    let status = migrata(dir)
        .args(["-d", "app.db", "status", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let entries: Vec<(String, bool, bool)> = listed["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_owned(),
                e["code"].as_bool().unwrap(),
                e["repeatable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("0001_a.up.sql".to_owned(), false, false),
            ("0002_b.up.sql".to_owned(), false, false),
            ("0003_backfill.rs".to_owned(), true, false),
            ("0004_undo.rs".to_owned(), true, false),
            ("R__views.sql".to_owned(), false, true),
        ]
    );
}

#[test]
fn up_creates_the_sqlite_file_a_plain_path_or_url_names_and_status_does_not() {
    let project = project();
    let dir = project.path();
    let status = migrata(dir)
        .args(["-d", "status.db", "status"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stdout));
    assert!(!dir.join("status.db").exists(), "status created the file");

    for (url, file) in [("plain.db", "plain.db"), ("sqlite:url.db", "url.db")] {
        let up = migrata(dir).args(["-d", url, "up"]).output().unwrap();
        assert!(up.status.success(), "{url}: {}", text(&up.stderr));
        assert!(dir.join(file).exists(), "{url}");
        let again = migrata(dir).args(["-d", url, "status"]).output().unwrap();
        assert!(again.status.success(), "{url}: {}", text(&again.stderr));
    }
}

/// An in-memory SQLite database always exists and has no file to create
/// or delete (as sqlx's `MigrateDatabase` has it); nothing is written.
#[test]
fn database_create_and_drop_of_sqlite_memory_touch_no_file() {
    let project = project();
    let dir = project.path();
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for (args, said) in [
        (&["database", "create"][..], "exists: "),
        (&["database", "drop", "--yes"], "dropped: "),
    ] {
        let output = migrata(dir)
            .args(["-d", "sqlite::memory:"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stdout).starts_with(said),
            "{args:?}: {}",
            text(&output.stdout)
        );
    }
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn database_create_and_drop_on_every_backend() {
    for kind in ALL_KINDS {
        let project = project();
        let dir = project.path();
        let url = match kind {
            BackendKind::Sqlite => format!("sqlite:{}", dir.join("made.db").display()),
            _ => {
                let env = match kind {
                    BackendKind::Postgres => "MIGRATE_TEST_POSTGRES_URL",
                    _ => "MIGRATE_TEST_MYSQL_URL",
                };
                let Some(server) = server_url(env, &format!("{kind}::database_create_and_drop"))
                else {
                    continue;
                };
                url_with_database(&server, &unique_name())
            }
        };
        let run = |args: &[&str]| {
            migrata(dir)
                .arg("-d")
                .arg(&url)
                .args(args)
                .output()
                .unwrap()
        };
        let created = run(&["database", "create"]);
        assert!(
            created.status.success(),
            "{kind}: {}",
            text(&created.stderr)
        );
        assert!(text(&created.stdout).starts_with("created: "), "{kind}");
        assert!(
            text(&run(&["database", "create"]).stdout).starts_with("exists: "),
            "{kind}"
        );
        assert!(run(&["up"]).status.success(), "{kind}");

        let unconfirmed = run(&["database", "drop"]);
        assert_eq!(unconfirmed.status.code(), Some(2), "{kind}");
        assert!(text(&unconfirmed.stderr).contains("--yes"), "{kind}");
        assert!(
            run(&["status"]).status.success(),
            "{kind}: dropped without --yes"
        );

        // A SQLite database's write-ahead log and its index go with it: the
        // next database of that name would replay a log left behind.
        let companions = ["made.db-wal", "made.db-shm"].map(|name| dir.join(name));
        if kind == BackendKind::Sqlite {
            for companion in &companions {
                std::fs::write(companion, b"").unwrap();
            }
        }
        assert!(
            text(&run(&["database", "drop", "--yes"]).stdout).starts_with("dropped: "),
            "{kind}"
        );
        for companion in &companions {
            assert!(!companion.exists(), "{}", companion.display());
        }
        assert!(
            text(&run(&["database", "drop", "-y"]).stdout).starts_with("absent: "),
            "{kind}"
        );
        assert!(
            !run(&["status"]).status.success(),
            "{kind}: still there after drop"
        );

        // Issue 26 item 7: sqlx-cli's `database setup` and `reset`.
        let setup = run(&["database", "setup"]);
        assert!(setup.status.success(), "{kind}: {}", text(&setup.stderr));
        let lines: Vec<String> = text(&setup.stdout).lines().map(str::to_owned).collect();
        assert!(lines[0].starts_with("created: "), "{kind}: {lines:?}");
        assert!(lines[1].starts_with("applied 1 "), "{kind}: {lines:?}");
        let again = run(&["database", "setup"]);
        let again = text(&again.stdout);
        assert!(again.starts_with("exists: "), "{kind}: {again}");
        assert!(again.contains("nothing to do"), "{kind}: {again}");

        let unconfirmed = run(&["database", "reset"]);
        assert_eq!(unconfirmed.status.code(), Some(2), "{kind}");
        assert!(text(&unconfirmed.stderr).contains("--yes"), "{kind}");
        assert!(run(&["down"]).status.success(), "{kind}");
        let reset = run(&["database", "reset", "--yes", "--json"]);
        assert!(reset.status.success(), "{kind}: {}", text(&reset.stderr));
        let reset: serde_json::Value = serde_json::from_slice(&reset.stdout).unwrap();
        assert_eq!(
            reset["actions"],
            serde_json::json!(["dropped", "created"]),
            "{kind}"
        );
        let applied = reset["applied"].as_array().unwrap();
        assert_eq!(
            applied.len(),
            2,
            "{kind}: every migration applied again, the reverted one too"
        );
        assert!(
            run(&["database", "drop", "--yes"]).status.success(),
            "{kind}"
        );
    }
}

/// A database name holding the server's identifier quote (a backtick on
/// MariaDB, a double quote on PostgreSQL) followed by a second statement:
/// `database create` and `drop` create and drop exactly that database, and
/// the statement inside the name never runs (sqlx's MySQL driver pasted the
/// name between backticks unescaped, which created a second database).
#[tokio::test]
async fn database_create_and_drop_quote_a_hostile_name() {
    for (kind, env, quote) in [
        (BackendKind::MySql, "MIGRATE_TEST_MYSQL_URL", '`'),
        (BackendKind::Postgres, "MIGRATE_TEST_POSTGRES_URL", '"'),
    ] {
        let Some(server) = server_url(env, &format!("{kind}::database_create_and_drop_quote"))
        else {
            continue;
        };
        // Short, so that both names fit MySQL's 64 characters.
        let tag = unique_name().replace("migrate_test_", "m");
        let name = format!("{tag}{quote};CREATE DATABASE {quote}{tag}x");
        let encoded: String = name
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'0'..=b'9' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let url = url_with_database(&server, &encoded);
        let listing = match kind {
            BackendKind::Postgres => format!(
                "SELECT datname::text FROM pg_database WHERE left(datname, {}) = '{tag}' ORDER BY 1",
                tag.len()
            ),
            _ => format!(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, {}) = '{tag}' ORDER BY 1",
                tag.len()
            ),
        };
        let databases = async || {
            let mut admin = Conn::open(&server).await;
            let names = admin.strings(&listing).await;
            admin.close().await;
            names
        };
        let project = project();
        let run = |args: &[&str]| {
            migrata(project.path())
                .arg("-d")
                .arg(&url)
                .args(args)
                .output()
                .unwrap()
        };

        let created = run(&["database", "create"]);
        let after_create = databases().await;
        if after_create != [name.clone()] {
            // Leave nothing behind on the shared server before failing.
            let mut admin = Conn::open(&server).await;
            for made in &after_create {
                let quoted = migrata::quote_identifier(kind, made).unwrap();
                admin.execute(&format!("DROP DATABASE {quoted}")).await;
            }
            admin.close().await;
            panic!("{kind}: made {after_create:?}, not exactly {name:?}");
        }
        assert!(
            created.status.success(),
            "{kind}: {}",
            text(&created.stderr)
        );
        assert!(text(&created.stdout).starts_with("created: "), "{kind}");

        let again = run(&["database", "create"]);
        assert!(
            text(&again.stdout).starts_with("exists: "),
            "{kind}: {}",
            text(&again.stderr)
        );
        let dropped = run(&["database", "drop", "--yes"]);
        assert!(
            text(&dropped.stdout).starts_with("dropped: "),
            "{kind}: {}",
            text(&dropped.stderr)
        );
        assert!(databases().await.is_empty(), "{kind}: dropped, and only it");
    }
}

/// Issue 25, item 15: `database create` / `drop` touch only the database,
/// so a project without a migrations directory may run them.
#[test]
fn database_create_and_drop_need_no_migrations_directory() {
    for kind in ALL_KINDS {
        let project = tempfile::tempdir().unwrap();
        let dir = project.path();
        let url = match kind {
            BackendKind::Sqlite => format!("sqlite:{}", dir.join("made.db").display()),
            _ => {
                let env = match kind {
                    BackendKind::Postgres => "MIGRATE_TEST_POSTGRES_URL",
                    _ => "MIGRATE_TEST_MYSQL_URL",
                };
                let test = format!("{kind}::database_create_and_drop_need_no_migrations_directory");
                let Some(server) = server_url(env, &test) else {
                    continue;
                };
                url_with_database(&server, &unique_name())
            }
        };
        for args in [&["database", "create"][..], &["database", "drop", "--yes"]] {
            let run = migrata(dir)
                .arg("-d")
                .arg(&url)
                .args(args)
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{kind}: {args:?}: {}",
                text(&run.stderr)
            );
        }
    }
}

/// Issue 25, item 14: `-d ''` (or `url = ""`) migrated a temporary SQLite
/// database and exited 0; each is an error naming where the URL came from.
#[test]
fn an_empty_database_url_is_an_error_naming_its_source() {
    let project = project();
    let dir = project.path();
    let flag = migrata(dir).args(["-d", "", "up"]).output().unwrap();
    assert_eq!(flag.status.code(), Some(2), "{}", text(&flag.stderr));
    assert!(
        text(&flag.stderr).contains("--database-url"),
        "{}",
        text(&flag.stderr)
    );

    std::fs::write(dir.join("migrate.toml"), "[database]\nurl = \"\"\n").unwrap();
    let file = migrata(dir).arg("up").output().unwrap();
    assert_eq!(file.status.code(), Some(2), "{}", text(&file.stderr));
    let stderr = text(&file.stderr);
    assert!(
        stderr.contains("migrate.toml") && stderr.contains("empty"),
        "{stderr}"
    );
}

/// Issue 26 item 7: completion scripts for the shells clap_complete knows,
/// each naming the subcommands.
#[test]
fn completions_are_generated_for_each_shell() {
    let project = project();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = migrata(project.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for subcommand in ["status", "up", "database", "completions"] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    let bash = migrata(project.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let bash = text(&bash.stdout);
    assert!(bash.contains("complete -F _migrata"), "{bash}");
    assert!(bash.contains("setup") && bash.contains("reset"), "{bash}");
    let unknown = migrata(project.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

/// Issue 26 item 8: a repeatable migration is named by its file in `up`'s
/// lines and in offline SQL, never by its internal version; `up --to` says
/// what it left pending.
#[test]
fn repeatables_are_named_by_file_and_up_to_says_what_it_left() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let migrations = dir.join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (file, sql) in [
        ("0001_a.sql", "CREATE TABLE a (id INT);"),
        ("0002_b.sql", "CREATE TABLE b (id INT);"),
        (
            "R__a_view.sql",
            "DROP VIEW IF EXISTS a_view; CREATE VIEW a_view AS SELECT id FROM a;",
        ),
    ] {
        std::fs::write(migrations.join(file), sql).unwrap();
    }
    let run = |args: &[&str]| {
        let output = migrata(dir)
            .args(["-d", "app.db"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    };
    let first = run(&["up", "--to", "1"]);
    assert!(first.starts_with("applied 1 a (0001_a.sql) in "), "{first}");
    assert!(
        first.contains("at 1; 2 later migration(s) not applied"),
        "{first}"
    );
    let again = run(&["up", "--to", "1"]);
    assert!(again.starts_with("nothing to do"), "{again}");
    assert!(again.contains("at 1; 2 later"), "{again}");

    let sql = run(&["sql", "--from", "1"]);
    assert!(sql.contains("\n-- R__a_view.sql\n"), "{sql}");
    assert!(sql.contains("-- 2 b (0002_b.sql)"), "{sql}");

    let rest = run(&["up"]);
    let lines: Vec<&str> = rest.lines().collect();
    assert!(
        lines[0].starts_with("applied 2 b (0002_b.sql) in "),
        "{rest}"
    );
    assert!(lines[1].starts_with("applied R__a_view.sql in "), "{rest}");
    assert_eq!(lines.len(), 2, "no `at` line without --to: {rest}");
}

/// Issue 26 item 8: a subcommand's `--help` lists its own options apart
/// from the global ones.
#[test]
fn help_lists_global_options_apart() {
    let project = project();
    let help = migrata(project.path())
        .args(["up", "--help"])
        .output()
        .unwrap();
    let help = text(&help.stdout);
    let (own, global) = help
        .split_once("Global options:")
        .expect("a global section");
    assert!(
        own.contains("--to <VERSION>") && !own.contains("--database-url"),
        "{help}"
    );
    assert!(
        global.contains("--database-url") && global.contains("--dir") && !global.contains("--to"),
        "{help}"
    );
}

/// Issue 26 item 4: `sql --pending` renders what `up` would run on the
/// database now, and exits 1 when a code migration stops it.
#[test]
fn sql_pending_renders_from_the_database_state() {
    let project = project();
    let dir = project.path();
    let run = |args: &[&str]| {
        migrata(dir)
            .args(["-d", "app.db"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["up", "--to", "1"]).status.success());
    let pending = run(&["sql", "--pending"]);
    assert!(pending.status.success(), "{}", text(&pending.stderr));
    let sql = text(&pending.stdout);
    assert!(
        sql.starts_with("-- Offline SQL generated by migrata for sqlite, up: versions 2\n"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE TABLE b") && !sql.contains("CREATE TABLE a"),
        "{sql}"
    );
    assert_eq!(
        run(&["sql", "--pending", "--to", "2"]).status.code(),
        Some(2),
        "--pending takes its range from the database"
    );

    std::fs::write(
        dir.join("migrations/0003_fill.rs"),
        "pub async fn up(conn: &mut migrata::CodeConnection<'_>) -> Result<(), migrata::CodeError> { let _ = conn; Ok(()) }\n",
    )
    .unwrap();
    let stopped = run(&["sql", "--pending"]);
    assert_eq!(stopped.status.code(), Some(1));
    assert!(text(&stopped.stdout).contains("-- STOP: migration 3 fill"));
    assert!(
        text(&stopped.stderr).contains("stopped before code migration 3"),
        "{}",
        text(&stopped.stderr)
    );
}

/// Issue 26 item 7: `status` colours the states that need attention on a
/// terminal (a pty made by util-linux's `script`), never in redirected
/// output or under `NO_COLOR`.
#[test]
fn status_colours_only_on_a_terminal() {
    let project = project();
    let dir = project.path();
    assert!(migrata(dir)
        .args(["-d", "app.db", "up", "--to", "1"])
        .output()
        .unwrap()
        .status
        .success());
    let piped = migrata(dir)
        .args(["-d", "app.db", "status"])
        .output()
        .unwrap();
    assert!(
        !text(&piped.stdout).contains('\u{1b}'),
        "{}",
        text(&piped.stdout)
    );

    let Some(coloured) = on_a_pty(dir, "-d app.db status", &[]) else {
        return;
    };
    assert!(
        coloured.contains("\u{1b}[33mpending\u{1b}[0m"),
        "{coloured:?}"
    );
    assert!(!coloured.contains("\u{1b}[33mapplied"), "{coloured:?}");
    let plain = on_a_pty(dir, "-d app.db status", &[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
}

/// Issue 26 item 7: on a terminal, a long `up` shows each migration as it
/// starts and how long the running one has taken (PostgreSQL's `pg_sleep`
/// makes one take 4 s); redirected, it prints the report alone
/// (`each_action_is_reported_once_on_stdout`).
#[test]
fn up_shows_each_migration_as_it_starts_on_a_terminal() {
    let project = project();
    let dir = project.path();
    std::fs::write(
        dir.join("migrations/R__a_ids.sql"),
        "DROP VIEW IF EXISTS a_ids; CREATE VIEW a_ids AS SELECT id FROM a;",
    )
    .unwrap();
    let Some(shown) = on_a_pty(dir, "-d app.db up", &[]) else {
        return;
    };
    let starts: Vec<&str> = shown
        .lines()
        .map(str::trim_end)
        .filter(|line| line.starts_with("applying"))
        .collect();
    assert_eq!(
        starts,
        [
            "applying 1 a (0001_a.up.sql)",
            "applying 2 b (0002_b.up.sql)",
            "applying R__a_ids.sql"
        ],
        "{shown}"
    );
    let down = on_a_pty(dir, "-d app.db down", &[]).unwrap();
    assert!(down.contains("reverting 2 b (0002_b.down.sql)"), "{down}");
    assert!(!down.contains("running for"), "{down}");

    let Some(server) = server_url("MIGRATE_TEST_POSTGRES_URL", "postgres::up_shows_progress")
    else {
        return;
    };
    let url = url_with_database(&server, &unique_name());
    let slow = tempfile::tempdir().unwrap();
    std::fs::create_dir(slow.path().join("migrations")).unwrap();
    std::fs::write(
        slow.path().join("migrations/0001_slow.sql"),
        "SELECT pg_sleep(4);",
    )
    .unwrap();
    // Sent with the first in one query string: both show as it is sent,
    // and the time shown is the string's.
    std::fs::write(
        slow.path().join("migrations/0002_fast.sql"),
        "CREATE TABLE fast (id INTEGER);",
    )
    .unwrap();
    assert!(migrata(slow.path())
        .args(["-d", &url, "database", "create"])
        .output()
        .unwrap()
        .status
        .success());
    let shown = on_a_pty(slow.path(), &format!("-d '{url}' up"), &[]).unwrap();
    assert!(
        shown.contains("applying 1 slow (0001_slow.sql)")
            && shown.contains("applying 2 fast (0002_fast.sql)"),
        "{shown}"
    );
    assert!(
        shown.contains("2 migrations sent together (1 to 2): running for 3 s"),
        "{shown}"
    );
    assert!(
        shown.contains("applied 1 slow (0001_slow.sql) in "),
        "{shown}"
    );
    assert!(migrata(slow.path())
        .args(["-d", &url, "database", "drop", "--yes"])
        .output()
        .unwrap()
        .status
        .success());
}
