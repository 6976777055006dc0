//! Per-test setup: `migrata::testing` (a copy of a template
//! migrated once) against sqlx's `#[sqlx::test(migrations = …)]` (the
//! migrations applied to a new database in every test).
//!
//! One generated crate, `work/testdb`, holds K tests per tool, migration
//! count and database, each of which gets its database, runs one query on
//! it, and gives it back (ours: dropped with the value; sqlx: dropped by its
//! harness after a passing test). Its test binary is run once per cell with
//! a filter selecting the K tests of one tool, one count and one database,
//! `--test-threads=1`, and timed from outside; a run selecting no test
//! measures what every run pays regardless (process start, runtime).
//! Per-test time = (run − empty run) / K. Cells alternate the tools, the
//! order rotating rep by rep; values are medians.
//!
//! The migrations carry a fresh comment each benchmark run, so the first
//! run of ours builds its templates (reported as "first run"); they are
//! dropped at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::report::Summary;
use crate::tools::BoxError;
use crate::{generate, Db, Tool};

const USAGE: &str = "\
migrate-bench testdb: per-test database setup, migrata::testing vs #[sqlx::test]

USAGE: cargo run --release -- testdb [--n 10,100,500] [--tests K] [--reps R] [--db sqlite,postgres]
                                    [--pg-url URL] [--markdown PATH]
";

struct Options {
    ns: Vec<usize>,
    tests: usize,
    reps: usize,
    dbs: Vec<Db>,
    pg_url: String,
    markdown: Option<PathBuf>,
    command: String,
}

fn parse(args: &[String]) -> Result<Options, BoxError> {
    let mut o = Options {
        ns: vec![10, 100, 500],
        tests: 10,
        reps: 3,
        dbs: vec![Db::Sqlite, Db::Postgres],
        pg_url: std::env::var("BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
        markdown: None,
        command: format!("cargo run --release -- testdb {}", args.join(" ")),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--n" => {
                o.ns = value()?
                    .split(',')
                    .map(|n| n.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--tests" => o.tests = value()?.parse()?,
            "--reps" => o.reps = value()?.parse()?,
            "--db" => {
                o.dbs = value()?
                    .split(',')
                    .map(|d| match d.trim() {
                        "sqlite" => Ok(Db::Sqlite),
                        "postgres" => Ok(Db::Postgres),
                        other => Err(format!("unknown database: {other}")),
                    })
                    .collect::<Result<_, _>>()?
            }
            "--pg-url" => o.pg_url = value()?.clone(),
            "--markdown" => o.markdown = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}\n\n{USAGE}").into()),
        }
    }
    if o.tests == 0 || o.reps == 0 {
        return Err("--tests and --reps must be at least 1".into());
    }
    Ok(o)
}

pub fn main(args: &[String]) -> Result<(), BoxError> {
    let options = parse(args)?;
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = bench_dir.parent().ok_or("bench/ has no parent")?;
    let dir = bench_dir.join("work").join("testdb");
    let nonce = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    );
    write_crate(&dir, repo, &bench_dir.join("Cargo.lock"), &options, &nonce)?;
    eprintln!("testdb: building the test crate");
    let binary = build(
        &dir,
        &repo.join("target").join("bench-testdb"),
        &options.pg_url,
    )?;
    let sqlite_dir = dir.join("ours-sqlite");
    let run = |filter: &str| -> Result<f64, BoxError> {
        let started = Instant::now();
        let output = Command::new(&binary)
            .args([filter, "--test-threads=1"])
            .current_dir(&dir)
            .env("DATABASE_URL", &options.pg_url)
            .env(
                "BENCH_SQLITE_URL",
                format!("sqlite://{}", sqlite_dir.display()),
            )
            .output()?;
        let seconds = started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "{filter}: {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        if filter != EMPTY && !stdout.contains(&format!("{} passed", options.tests)) {
            return Err(format!(
                "{filter}: expected {} tests to pass:\n{stdout}",
                options.tests
            )
            .into());
        }
        Ok(seconds)
    };

    let tools = [Tool::Ours, Tool::Sqlx];
    let mut first_run: BTreeMap<(Db, usize), f64> = BTreeMap::new();
    let mut samples: BTreeMap<(Db, usize, Tool), Vec<f64>> = BTreeMap::new();
    let mut empty = Vec::new();
    for &db in &options.dbs {
        for &n in &options.ns {
            // Ours: the first run builds the template; sqlx: warms caches.
            let seconds = run(&filter(Tool::Ours, n, db))?;
            eprintln!(
                "testdb: {} N={n} ours first run (template build): {seconds:.2} s",
                db.name()
            );
            first_run.insert((db, n), seconds);
            run(&filter(Tool::Sqlx, n, db))?;
            for rep in 0..options.reps {
                empty.push(run(EMPTY)?);
                for tool in crate::rotated(&tools, rep) {
                    let seconds = run(&filter(tool, n, db))?;
                    eprintln!(
                        "testdb: {} N={n} {} rep {rep}: {seconds:.2} s",
                        db.name(),
                        tool.name()
                    );
                    samples.entry((db, n, tool)).or_default().push(seconds);
                }
            }
        }
    }
    if options.dbs.contains(&Db::Postgres) {
        drop_templates(&binary, &dir, &options.pg_url)?;
    }
    let empty = Summary::of(&empty).ok_or("no empty runs")?.median;
    let table = table(&options, &samples, &first_run, empty)?;
    println!("{table}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &table)?;
    }
    Ok(())
}

/// Selects no test: the cost of starting the test binary.
const EMPTY: &str = "no_test_has_this_name";

fn filter(tool: Tool, n: usize, db: Db) -> String {
    format!("{}::n{n}::{}::", module(tool), db.name())
}

fn module(tool: Tool) -> &'static str {
    match tool {
        Tool::Ours => "ours",
        _ => "sqlx_test",
    }
}

/// Runs the ignored test that drops this run's PostgreSQL templates.
fn drop_templates(binary: &Path, dir: &Path, pg_url: &str) -> Result<(), BoxError> {
    let status = Command::new(binary)
        .args(["--ignored", "--exact", "zz_cleanup::drop_templates"])
        .current_dir(dir)
        .env("DATABASE_URL", pg_url)
        .status()?;
    if !status.success() {
        return Err("dropping the templates failed".into());
    }
    Ok(())
}

fn table(
    options: &Options,
    samples: &BTreeMap<(Db, usize, Tool), Vec<f64>>,
    first_run: &BTreeMap<(Db, usize), f64>,
    empty: f64,
) -> Result<String, BoxError> {
    let k = options.tests as f64;
    let per_test = |db: Db, n: usize, tool: Tool| -> Result<f64, BoxError> {
        let median = Summary::of(&samples[&(db, n, tool)])
            .ok_or("no samples")?
            .median;
        Ok((median - empty).max(0.0) / k * 1000.0)
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Per-test setup and teardown, ms (median of {} runs of {} tests each, minus a run of none: {:.0} ms)\n\n",
        options.reps,
        options.tests,
        empty * 1000.0
    ));
    out.push_str("| database | N migrations | `#[sqlx::test]` | `testing` (this) | this / sqlx | this: first run, template build included |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for &db in &options.dbs {
        for &n in &options.ns {
            let sqlx = per_test(db, n, Tool::Sqlx)?;
            let ours = per_test(db, n, Tool::Ours)?;
            let first = (first_run[&(db, n)] - empty).max(0.0) / k * 1000.0;
            out.push_str(&format!(
                "| {} | {n} | {sqlx:.1} | {ours:.1} | {:.3} | {first:.1} per test |\n",
                db.name(),
                ours / sqlx
            ));
        }
    }
    out.push_str(&format!("\nReproduce: `cd bench && {}`\n", options.command));
    Ok(out)
}

fn write_crate(
    dir: &Path,
    repo: &Path,
    lockfile: &Path,
    options: &Options,
    nonce: &str,
) -> Result<(), BoxError> {
    std::fs::create_dir_all(dir.join("tests"))?;
    let sqlite_dir = dir.join("ours-sqlite");
    if sqlite_dir.exists() {
        std::fs::remove_dir_all(&sqlite_dir)?;
    }
    let mut source = String::from(
        r#"//! Generated by `migrate-bench testdb`: K tests per tool, migration count and database.
#![allow(clippy::all)]

fn pg_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL")
}

fn sqlite_url() -> String {
    std::env::var("BENCH_SQLITE_URL").expect("BENCH_SQLITE_URL")
}

/// The body of every test: one query on the test's database.
macro_rules! check {
    ($pool:expr, $table:literal) => {{
        let rows: i64 = sqlx::query_scalar(concat!("SELECT count(*) FROM ", $table))
            .fetch_one(&$pool)
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }};
}

"#,
    );
    for &n in &options.ns {
        let migrations = dir.join("migrations").join(format!("n{n}"));
        generate::write(&migrations, Tool::Ours, n, generate::script)?;
        // A fresh migration set each benchmark run: a cold first run.
        let first = migrations.join(generate::file_name(Tool::Ours, 1, n));
        let script = std::fs::read_to_string(&first)?;
        std::fs::write(&first, format!("-- bench run {nonce}\n{script}"))?;
        source.push_str(&format!(
            "static N{n}: migrata::Migrations = migrata::embed_migrations!(\"migrations/n{n}\");\n"
        ));
    }
    let mut ours = String::new();
    let mut sqlx = String::new();
    let mut cleanup = String::new();
    for &n in &options.ns {
        ours.push_str(&format!("    mod n{n} {{\n"));
        sqlx.push_str(&format!("    mod n{n} {{\n"));
        for &db in &options.dbs {
            let (url, pool) = match db {
                Db::Sqlite => ("sqlite_url", "SqlitePool"),
                Db::Postgres => ("pg_url", "PgPool"),
            };
            ours.push_str(&format!("        mod {} {{\n", db.name()));
            sqlx.push_str(&format!("        mod {} {{\n", db.name()));
            for t in 0..options.tests {
                ours.push_str(&format!(
                    "            #[tokio::test] async fn t{t:03}() {{\n                \
                         let db = crate::N{n}.test_database(&crate::{url}()).await.unwrap();\n                \
                         let pool = sqlx::{pool}::connect(db.url()).await.unwrap();\n                \
                         check!(pool, \"t{n}\");\n                \
                         pool.close().await;\n            }}\n"
                ));
                sqlx.push_str(&format!(
                    "            #[sqlx::test(migrations = \"migrations/n{n}\")] async fn t{t:03}(pool: sqlx::{pool}) {{ check!(pool, \"t{n}\"); }}\n"
                ));
            }
            ours.push_str("        }\n");
            sqlx.push_str("        }\n");
            if db == Db::Postgres {
                cleanup.push_str(&format!(
                    "        crate::drop_template(&crate::N{n}).await;\n"
                ));
            }
        }
        ours.push_str("    }\n");
        sqlx.push_str("    }\n");
    }
    source.push_str(&format!(
        "\nmod ours {{\n{ours}}}\n\nmod sqlx_test {{\n{sqlx}}}\n"
    ));
    source.push_str(&format!(
        "\n/// Drops this run's PostgreSQL templates (SQLite's go with the directory).\n\
         async fn drop_template(migrations: &migrata::Migrations) {{\n    \
             let db = migrations.test_database(&pg_url()).await.unwrap();\n    \
             let template = db.template().to_owned();\n    \
             db.discard().await.unwrap();\n    \
             let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_url()).await.unwrap();\n    \
             for sql in [format!(\"ALTER DATABASE {{template}} WITH IS_TEMPLATE false\"), format!(\"DROP DATABASE {{template}}\")] {{\n        \
                 sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();\n    \
             }}\n\
         }}\n\n\
         mod zz_cleanup {{\n    \
             #[tokio::test]\n    \
             #[ignore = \"run by the benchmark at the end\"]\n    \
             async fn drop_templates() {{\n{cleanup}    }}\n\
         }}\n"
    ));
    std::fs::write(dir.join("tests").join("setup.rs"), source)?;
    let manifest = format!(
        "[package]\nname = \"testdb-bench\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n\
         [dev-dependencies]\n\
         migrata = {{ path = {:?}, features = [\"sqlite\", \"postgres\", \"testing\"] }}\n\
         sqlx = {{ version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"sqlite-bundled\", \"sqlite-deserialize\", \"postgres\", \"mysql\", \"migrate\", \"macros\"] }}\n\
         tokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\n",
        repo.join("migrate-runtime").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("src").join("lib.rs"),
        "//! Empty: the benchmark is in tests/setup.rs.\n",
    )?;
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(lockfile, dir.join("Cargo.lock"))?;
    }
    Ok(())
}

/// Builds the test binary (debug, as tests are); returns its path.
fn build(dir: &Path, target_dir: &Path, pg_url: &str) -> Result<PathBuf, BoxError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--no-run", "--test", "setup", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env("DATABASE_URL", pg_url)
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("building the test crate failed:\n{stderr}").into());
    }
    let executable = stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("Executable tests/setup.rs ("))
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("no test executable in cargo's output:\n{stderr}"))?;
    Ok(dir.join(executable))
}
