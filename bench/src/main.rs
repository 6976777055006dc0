//! Benchmark of this project's migrator against sqlx's `Migrator` and
//! refinery, on SQLite (file, durable defaults) and PostgreSQL. See
//! `bench/README.md` for what is measured and how.
//!
//! ```text
//! cd bench && cargo run --release -- --out results.json
//! cd bench && cargo run --release -- --quick
//! ```

mod compile;
mod count;
mod generate;
mod latency;
mod profile;
mod report;
mod testdb;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::count::PgProxy;
use crate::report::{Figure, Results};
use crate::tools::{BoxError, Conn, Loaded, Target};

/// The contenders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    /// This project: `migrata::Migrator::run_on`.
    Ours,
    /// `sqlx::migrate::Migrator::run` (sqlx 0.9).
    Sqlx,
    /// `refinery::Runner::run` / `run_async` (refinery 0.10).
    Refinery,
    /// The lower bound: each script in its own transaction, same driver as
    /// this project (sqlx), no bookkeeping.
    Raw,
}

impl Tool {
    const ALL: [Tool; 4] = [Tool::Ours, Tool::Sqlx, Tool::Refinery, Tool::Raw];
    const MIGRATORS: [Tool; 3] = [Tool::Ours, Tool::Sqlx, Tool::Refinery];

    /// Used in paths and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Raw => "raw",
        }
    }

    /// Used in the table and the JSON.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Ours => "this",
            other => other.name(),
        }
    }

    fn parse(s: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        }
    }
}

/// `tools` rotated left by `round`, so every tool takes every position in
/// turn (alternating run by run).
pub fn rotated(tools: &[Tool], round: usize) -> Vec<Tool> {
    let mut order = tools.to_vec();
    let len = order.len();
    order.rotate_left(round % len);
    order
}

struct Options {
    ns: Vec<usize>,
    dbs: Vec<Db>,
    reps: usize,
    noop_runs: usize,
    compile_n: Option<usize>,
    compile_reps: usize,
    compile_refinery_reps: usize,
    pg_url: String,
    work: PathBuf,
    out: PathBuf,
    markdown: Option<PathBuf>,
    pg_log: Option<PathBuf>,
    command: String,
}

const USAGE: &str = "\
migrate-bench: this project vs sqlx migrate vs refinery (see bench/README.md)

USAGE: cargo run --release -- [OPTIONS]     (from bench/)

OPTIONS:
  --out PATH          JSON results (default: bench/results.json)
  --markdown PATH     also write the Markdown table to PATH
  --quick             N=100 only, 3 repetitions, 20 no-op runs, no compile benchmark
  --n LIST            migration counts, e.g. 100,1000 (default 100,1000)
  --db LIST           sqlite,postgres (default both; `none` for the compile benchmark only)
  --reps R            apply repetitions per tool (default 5)
  --noop-runs R       no-op startup checks per tool (default 50)
  --compile-n N       files for the compile benchmark (default 1000)
  --compile-reps R    timed rebuilds per tool (default 10)
  --compile-refinery-reps R
                      of those, how many include refinery (default 3; its rebuild
                      takes about a minute at 1,000 files)
  --no-compile        skip the compile benchmark
  --pg-url URL        admin URL of the PostgreSQL server (default $BENCH_POSTGRES_URL
                      or postgres://postgres@127.0.0.1:5432/test); databases named
                      bench_* are created and dropped there
  --pg-log FILE       cross-check the no-op statement counts against the server's own
                      log: sets log_statement = 'all' on the no-op databases and counts
                      their `statement:`/`execute` lines in FILE (e.g.
                      /var/log/postgresql/postgresql-15-main.log; needs a superuser)
  --work DIR          scratch directory (default bench/work)

PROFILING (see README): cargo run --release -- profile [--n 1000] [--reps 5] [--db sqlite,postgres]
LATENCY (see README): cargo run --release -- latency [--rtt 2ms,20ms] [--n 10,100] [--reps 3] [--db postgres,mysql]
PER-TEST DATABASES (see README): cargo run --release -- testdb [--n 10,100,500] [--tests 10] [--reps 3]
";

fn parse_options() -> Result<Options, String> {
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut o = Options {
        ns: vec![100, 1000],
        dbs: vec![Db::Sqlite, Db::Postgres],
        reps: 5,
        noop_runs: 50,
        compile_n: Some(1000),
        compile_reps: 10,
        compile_refinery_reps: 3,
        pg_url: std::env::var("BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
        work: bench_dir.join("work"),
        out: bench_dir.join("results.json"),
        markdown: None,
        pg_log: None,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let mut args = std::env::args().skip(1);
    let list = |v: String| -> Result<Vec<usize>, String> {
        v.split(',')
            .map(|x| x.trim().parse().map_err(|_| format!("not a number: {x}")))
            .collect()
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => o.out = PathBuf::from(value()?),
            "--markdown" => o.markdown = Some(PathBuf::from(value()?)),
            "--quick" => {
                o.ns = vec![100];
                o.reps = 3;
                o.noop_runs = 20;
                o.compile_n = None;
            }
            "--n" => o.ns = list(value()?)?,
            "--db" => {
                o.dbs = value()?
                    .split(',')
                    .filter(|d| d.trim() != "none")
                    .map(|d| match d.trim() {
                        "sqlite" => Ok(Db::Sqlite),
                        "postgres" => Ok(Db::Postgres),
                        other => Err(format!("unknown database: {other}")),
                    })
                    .collect::<Result<_, _>>()?
            }
            "--reps" => o.reps = value()?.parse().map_err(|_| "--reps needs a number")?,
            "--noop-runs" => {
                o.noop_runs = value()?.parse().map_err(|_| "--noop-runs needs a number")?
            }
            "--compile-n" => {
                o.compile_n = Some(value()?.parse().map_err(|_| "--compile-n needs a number")?)
            }
            "--compile-reps" => {
                o.compile_reps = value()?
                    .parse()
                    .map_err(|_| "--compile-reps needs a number")?
            }
            "--compile-refinery-reps" => {
                o.compile_refinery_reps = value()?
                    .parse()
                    .map_err(|_| "--compile-refinery-reps needs a number")?
            }
            "--no-compile" => o.compile_n = None,
            "--pg-url" => o.pg_url = value()?,
            "--pg-log" => o.pg_log = Some(PathBuf::from(value()?)),
            "--work" => o.work = PathBuf::from(value()?),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}\n\n{USAGE}")),
        }
    }
    if o.reps == 0 || o.noop_runs == 0 || o.compile_reps == 0 {
        return Err("repetitions must be at least 1".to_owned());
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if args.get(1).map(String::as_str) == Some("child") {
        if let Err(e) = runtime.block_on(child(&args[2..])) {
            eprintln!("child failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("profile") {
        if let Err(e) = runtime.block_on(profile::main(&args[2..])) {
            eprintln!("profile failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("latency") {
        if let Err(e) = runtime.block_on(latency::main(&args[2..])) {
            eprintln!("latency failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("testdb") {
        if let Err(e) = testdb::main(&args[2..]) {
            eprintln!("testdb failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = runtime.block_on(bench(options)) {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

/// What a child process reports for one apply run.
#[derive(serde::Serialize, serde::Deserialize)]
struct ApplyOutcome {
    connect_ns: u64,
    apply_ns: u64,
    /// VmHWM of the child: its peak resident set size.
    peak_rss_kib: u64,
}

/// `child apply <tool> <dir> <target>`: one apply run in a process of its
/// own, so its peak memory is its own and the tools never share a process.
async fn child(args: &[String]) -> Result<(), BoxError> {
    if let [command, tool, dir, target, runs] = args {
        if command == "noop" {
            return child_noop(tool, dir, target, runs).await;
        }
    }
    let [command, tool, dir, target] = args else {
        return Err(
            "usage: child apply <tool> <dir> <target> | child noop <tool> <dir> <target> <runs>"
                .into(),
        );
    };
    if command != "apply" {
        return Err(format!("unknown child command {command}").into());
    }
    let tool = Tool::parse(tool).ok_or("unknown tool")?;
    let target = Target::from_arg(target);
    let loaded = Loaded::load(tool, Path::new(dir)).await?;
    let n = loaded.len();
    let started = Instant::now();
    let mut conn = Conn::open(tool, &target).await?;
    let connected = Instant::now();
    let applied = tools::run(&loaded, &mut conn).await?;
    let done = Instant::now();
    if applied.is_some_and(|a| a != n) {
        return Err(format!("{} applied {applied:?} of {n} migrations", tool.name()).into());
    }
    let rows = conn.rows_in(&format!("t{n}")).await?;
    if rows != 1 {
        return Err(format!(
            "{}: the last migration's table holds {rows} rows",
            tool.name()
        )
        .into());
    }
    let peak_rss_kib = peak_rss_kib()?;
    conn.close().await?;
    let outcome = ApplyOutcome {
        connect_ns: (connected - started).as_nanos() as u64,
        apply_ns: (done - connected).as_nanos() as u64,
        peak_rss_kib,
    };
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// `child noop <tool> <dir> <target> <runs>`: `runs` startup checks over
/// fresh connections on an already migrated database, for profilers
/// (`valgrind --tool=callgrind`): compare 1 run with 11 to isolate the cost
/// of one check.
async fn child_noop(tool: &str, dir: &str, target: &str, runs: &str) -> Result<(), BoxError> {
    let tool = Tool::parse(tool).ok_or("unknown tool")?;
    let target = Target::from_arg(target);
    let runs: usize = runs.parse()?;
    let loaded = Loaded::load(tool, Path::new(dir)).await?;
    for _ in 0..runs {
        let mut conn = Conn::open(tool, &target).await?;
        tools::run(&loaded, &mut conn).await?;
        conn.close().await?;
    }
    Ok(())
}

fn peak_rss_kib() -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status".into())
}

/// Creates and drops the databases (PostgreSQL) or files (SQLite) the runs use.
struct Databases {
    db: Db,
    files: PathBuf,
    admin: Option<PgConnection>,
    pg_url: String,
}

impl Databases {
    async fn new(db: Db, work: &Path, pg_url: &str) -> Result<Databases, BoxError> {
        let files = work.join("db");
        std::fs::create_dir_all(&files)?;
        let admin = match db {
            Db::Postgres => Some(PgConnection::connect(pg_url).await?),
            Db::Sqlite => None,
        };
        Ok(Databases {
            db,
            files,
            admin,
            pg_url: pg_url.to_owned(),
        })
    }

    /// A fresh, empty database named after `tag`.
    async fn fresh(&mut self, tag: &str) -> Result<Target, BoxError> {
        self.drop(tag).await?;
        match self.db {
            Db::Sqlite => Ok(Target::Sqlite(self.files.join(format!("{tag}.db")))),
            Db::Postgres => {
                let admin = self.admin.as_mut().ok_or("no admin connection")?;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE bench_{tag}")))
                    .execute(&mut *admin)
                    .await?;
                // CREATE/DROP DATABASE leave dirty buffers and WAL behind; a
                // checkpoint now keeps that work out of the timed run (it
                // otherwise made PostgreSQL apply times bimodal). Needs a
                // superuser or pg_checkpoint; skipped if refused.
                let _ = sqlx::raw_sql("CHECKPOINT").execute(&mut *admin).await;
                Ok(Target::Postgres(database_url(
                    &self.pg_url,
                    &format!("bench_{tag}"),
                )))
            }
        }
    }

    async fn drop(&mut self, tag: &str) -> Result<(), BoxError> {
        match self.db {
            Db::Sqlite => {
                for suffix in ["db", "db-journal", "db-wal", "db-shm"] {
                    let path = self.files.join(format!("{tag}.{suffix}"));
                    if path.exists() {
                        std::fs::remove_file(path)?;
                    }
                }
            }
            Db::Postgres => {
                let admin = self.admin.as_mut().ok_or("no admin connection")?;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS bench_{tag} WITH (FORCE)"
                )))
                .execute(admin)
                .await?;
            }
        }
        Ok(())
    }
}

/// The URL of database `name` on the server of `url`, without TLS (no tool
/// is built with TLS here; stating it keeps every driver on plain TCP).
pub(crate) fn database_url(url: &str, name: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}?sslmode=disable")
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Samples of one (database, N) cell, per figure and tool.
#[derive(Default)]
struct Cell {
    apply: BTreeMap<Tool, Vec<f64>>,
    apply_connect: BTreeMap<Tool, Vec<f64>>,
    apply_rss: BTreeMap<Tool, Vec<f64>>,
    apply_statements: BTreeMap<Tool, Vec<f64>>,
    apply_round_trips: BTreeMap<Tool, Vec<f64>>,
    noop: BTreeMap<Tool, Vec<f64>>,
    noop_connect: BTreeMap<Tool, Vec<f64>>,
    noop_statements: BTreeMap<Tool, Vec<f64>>,
    noop_round_trips: BTreeMap<Tool, Vec<f64>>,
    noop_server_log: BTreeMap<Tool, Vec<f64>>,
    noop_sql: BTreeMap<String, Vec<String>>,
}

async fn bench(o: Options) -> Result<(), BoxError> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("bench/ has a parent")?
        .to_owned();
    std::fs::create_dir_all(&o.work)?;
    let migrations_root = o.work.join("migrations");
    for &n in &o.ns {
        generate::write_all(&migrations_root, n)?;
    }

    let mut figures = Vec::new();
    let mut noop_statements = BTreeMap::new();
    let mut notes = vec![
        "Times are this machine's, noisy and not comparable across machines: read the ratios.".to_owned(),
        "refinery runs on its own drivers (rusqlite 0.39, tokio-postgres 0.7); rusqlite 0.39 links the same libsqlite3-sys 0.37 as sqlx, so all tools share one bundled SQLite.".to_owned(),
        "SQLite: a file with the drivers' defaults (rollback journal, synchronous=FULL). PostgreSQL: the local server, plain TCP.".to_owned(),
    ];
    let mut machine = machine_info();
    let mut dbs = o.dbs.clone();
    if dbs.contains(&Db::Postgres) {
        match PgConnection::connect(&o.pg_url).await {
            Ok(mut c) => {
                let version: String = sqlx::query_scalar("SELECT version()")
                    .fetch_one(&mut c)
                    .await?;
                machine.insert("postgres".to_owned(), version);
                c.close().await?;
            }
            Err(e) => {
                eprintln!(
                    "SKIPPED: PostgreSQL at {} is unreachable ({e})",
                    migrata::redact_url(&o.pg_url)
                );
                notes.push(format!("PostgreSQL skipped: server unreachable ({e})"));
                dbs.retain(|d| *d != Db::Postgres);
            }
        }
    }
    {
        let mut c = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
        let version: String = sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(&mut c)
            .await?;
        machine.insert("sqlite".to_owned(), version);
        c.close().await?;
    }

    for &db in &dbs {
        let mut databases = Databases::new(db, &o.work, &o.pg_url).await?;
        let proxy = match db {
            Db::Postgres => Some(PgProxy::start(count::host_port(&o.pg_url, 5432)).await?),
            Db::Sqlite => None,
        };
        for &n in &o.ns {
            let mut cell = Cell::default();
            apply_runs(&o, db, n, &migrations_root, &mut databases, &mut cell).await?;
            noop_runs(
                &o,
                db,
                n,
                &migrations_root,
                &mut databases,
                proxy.as_ref(),
                &mut cell,
            )
            .await?;
            apply_counts(
                db,
                n,
                &migrations_root,
                &mut databases,
                proxy.as_ref(),
                &mut cell,
            )
            .await?;
            let d = db.name();
            figures.push(Figure::new(d, n, "apply", "ms", &cell.apply).with_note("excl. connect"));
            figures.push(Figure::new(
                d,
                n,
                "apply: connect",
                "ms",
                &cell.apply_connect,
            ));
            figures.push(Figure::new(d, n, "apply: peak RSS", "KiB", &cell.apply_rss));
            figures.push(Figure::new(
                d,
                n,
                "apply: statements",
                "statements",
                &cell.apply_statements,
            ));
            if db == Db::Postgres {
                figures.push(Figure::new(
                    d,
                    n,
                    "apply: round trips",
                    "round trips",
                    &cell.apply_round_trips,
                ));
            }
            figures.push(
                Figure::new(d, n, "no-op: check", "ms", &cell.noop)
                    .with_note("fresh connection, excl. connect; raw = the one history SELECT, fetched, nothing compared"),
            );
            figures.push(Figure::new(
                d,
                n,
                "no-op: connect",
                "ms",
                &cell.noop_connect,
            ));
            figures.push(Figure::new(
                d,
                n,
                "no-op: statements",
                "statements",
                &cell.noop_statements,
            ));
            if db == Db::Postgres {
                figures.push(Figure::new(
                    d,
                    n,
                    "no-op: round trips",
                    "round trips",
                    &cell.noop_round_trips,
                ));
            }
            if !cell.noop_server_log.is_empty() {
                figures.push(Figure::new(
                    d,
                    n,
                    "no-op: statements, server log",
                    "statements",
                    &cell.noop_server_log,
                ));
            }
            noop_statements.insert(format!("{d} N={n}"), cell.noop_sql);
            print_progress(&figures);
        }
    }

    if let Some(n) = o.compile_n {
        let bench = compile::CompileBench::new(&o.work, &repo);
        let samples = bench.run(n, o.compile_reps, o.compile_refinery_reps)?;
        figures.push(
            Figure::new("-", n, "compile time", "s", &samples).with_note(format!(
                "touch main.rs + cargo build --release; refinery in {} of {} rounds",
                o.compile_refinery_reps.min(o.compile_reps),
                o.compile_reps
            )),
        );
    }

    let targets = report::checks(&figures);
    let mut options = BTreeMap::new();
    options.insert("n".to_owned(), format!("{:?}", o.ns));
    options.insert(
        "databases".to_owned(),
        dbs.iter().map(|d| d.name()).collect::<Vec<_>>().join(","),
    );
    options.insert("apply_repetitions".to_owned(), o.reps.to_string());
    options.insert("noop_runs".to_owned(), o.noop_runs.to_string());
    options.insert(
        "compile_n".to_owned(),
        o.compile_n.map_or("skipped".to_owned(), |n| n.to_string()),
    );
    options.insert("compile_repetitions".to_owned(), o.compile_reps.to_string());
    options.insert(
        "compile_refinery_repetitions".to_owned(),
        o.compile_refinery_reps.min(o.compile_reps).to_string(),
    );
    let results = Results {
        command: o.command.clone(),
        machine,
        options,
        figures,
        targets,
        noop_statements,
        notes,
    };
    let table = report::markdown(&results);
    println!("{table}");
    std::fs::write(&o.out, serde_json::to_string_pretty(&results)? + "\n")?;
    eprintln!("wrote {}", o.out.display());
    if let Some(path) = &o.markdown {
        std::fs::write(path, &table)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn print_progress(figures: &[Figure]) {
    if let Some(last) = figures.last() {
        let start = figures
            .iter()
            .rposition(|f| f.database != last.database || f.n != last.n)
            .map_or(0, |i| i + 1);
        for f in &figures[start..] {
            let values: Vec<String> = f
                .values
                .iter()
                .map(|(tool, s)| format!("{tool}={:.3}", s.median))
                .collect();
            eprintln!(
                "  {} N={} {}: {} [{}]",
                f.database,
                f.n,
                f.figure,
                values.join(" "),
                f.unit
            );
        }
    }
}

/// Apply all N on a fresh database, each run a child process, alternating tools.
async fn apply_runs(
    o: &Options,
    db: Db,
    n: usize,
    root: &Path,
    databases: &mut Databases,
    cell: &mut Cell,
) -> Result<(), BoxError> {
    let exe = std::env::current_exe()?;
    for rep in 0..o.reps {
        for tool in rotated(&Tool::ALL, rep) {
            let tag = format!("apply_{}_{n}", tool.name());
            let target = databases.fresh(&tag).await?;
            let output = Command::new(&exe)
                .args(["child", "apply", tool.name()])
                .arg(generate::dir(root, tool, n))
                .arg(target.to_arg())
                .output()?;
            databases.drop(&tag).await?;
            if !output.status.success() {
                return Err(format!(
                    "{} apply on {} N={n} failed: {}",
                    tool.name(),
                    db.name(),
                    String::from_utf8_lossy(&output.stderr)
                )
                .into());
            }
            let outcome: ApplyOutcome = serde_json::from_slice(&output.stdout)?;
            eprintln!(
                "{} N={n} rep {rep} {}: apply {:.1} ms, connect {:.2} ms, peak {} KiB",
                db.name(),
                tool.name(),
                ms(outcome.apply_ns),
                ms(outcome.connect_ns),
                outcome.peak_rss_kib
            );
            cell.apply
                .entry(tool)
                .or_default()
                .push(ms(outcome.apply_ns));
            cell.apply_connect
                .entry(tool)
                .or_default()
                .push(ms(outcome.connect_ns));
            cell.apply_rss
                .entry(tool)
                .or_default()
                .push(outcome.peak_rss_kib as f64);
        }
    }
    Ok(())
}

/// Already migrated: a startup check over a fresh connection, `noop_runs`
/// times per tool, alternating; then one more per tool with statements counted.
async fn noop_runs(
    o: &Options,
    db: Db,
    n: usize,
    root: &Path,
    databases: &mut Databases,
    proxy: Option<&PgProxy>,
    cell: &mut Cell,
) -> Result<(), BoxError> {
    let mut prepared = Vec::new();
    for tool in Tool::MIGRATORS {
        let target = databases
            .fresh(&format!("noop_{}_{n}", tool.name()))
            .await?;
        let loaded = Loaded::load(tool, &generate::dir(root, tool, n)).await?;
        let mut conn = Conn::open(tool, &target).await?;
        tools::run(&loaded, &mut conn).await?;
        conn.close().await?;
        prepared.push((tool, target, loaded));
    }
    // The floor: this project's one SELECT, sent with the same driver and
    // fetched, nothing compared (on this project's migrated database).
    let ours_target = prepared[0].1.clone();
    prepared.push((Tool::Raw, ours_target, Loaded::HistoryRead));
    for run in 0..o.noop_runs {
        let order = rotated(&Tool::ALL, run);
        for tool in order {
            let (_, target, loaded) = prepared
                .iter()
                .find(|(t, _, _)| *t == tool)
                .ok_or("prepared tool")?;
            let started = Instant::now();
            let mut conn = Conn::open(tool, target).await?;
            let connected = Instant::now();
            let applied = tools::run(loaded, &mut conn).await?;
            let done = Instant::now();
            conn.close().await?;
            if applied.is_some_and(|a| a != 0) {
                return Err(format!(
                    "{} applied {applied:?} migrations in a no-op run",
                    tool.name()
                )
                .into());
            }
            cell.noop_connect
                .entry(tool)
                .or_default()
                .push(ms((connected - started).as_nanos() as u64));
            cell.noop
                .entry(tool)
                .or_default()
                .push(ms((done - connected).as_nanos() as u64));
        }
    }
    // Counting, outside the timed runs.
    for (tool, target, loaded) in &prepared {
        if *tool == Tool::Raw {
            continue;
        }
        let server_log = match (&o.pg_log, target) {
            (Some(path), Target::Postgres(_)) => {
                let name = format!("bench_noop_{}_{n}", tool.name());
                Some(ServerLog::start(databases, path, &name).await?)
            }
            _ => None,
        };
        let target = match (target, proxy) {
            (Target::Postgres(url), Some(proxy)) => Target::Postgres(proxy.url(url)),
            (other, _) => other.clone(),
        };
        let mut conn = Conn::open(*tool, &target).await?;
        let trace = conn.trace().await?;
        if let Some(proxy) = proxy {
            proxy.take();
        }
        tools::run(loaded, &mut conn).await?;
        let (statements, round_trips) = match (&trace, proxy) {
            (Some(trace), _) => (trace.take(), None),
            (None, Some(proxy)) => {
                let log = proxy.take();
                (log.statements, Some(log.round_trips))
            }
            (None, None) => return Err("no statement counter".into()),
        };
        conn.close().await?;
        eprintln!(
            "{} N={n} no-op {}: {} statements {statements:?}",
            db.name(),
            tool.name(),
            statements.len()
        );
        cell.noop_statements
            .entry(*tool)
            .or_default()
            .push(statements.len() as f64);
        if let Some(rt) = round_trips {
            cell.noop_round_trips
                .entry(*tool)
                .or_default()
                .push(rt as f64);
        }
        if let Some(server_log) = server_log {
            let logged = server_log.count().await?;
            eprintln!(
                "{} N={n} no-op {}: {logged} statements in the server log",
                db.name(),
                tool.name()
            );
            cell.noop_server_log
                .entry(*tool)
                .or_default()
                .push(logged as f64);
        }
        cell.noop_sql.insert(tool.label().to_owned(), statements);
    }
    for tool in Tool::MIGRATORS {
        databases.drop(&format!("noop_{}_{n}", tool.name())).await?;
    }
    Ok(())
}

/// One counted apply per tool (statements, and round trips on PostgreSQL).
async fn apply_counts(
    db: Db,
    n: usize,
    root: &Path,
    databases: &mut Databases,
    proxy: Option<&PgProxy>,
    cell: &mut Cell,
) -> Result<(), BoxError> {
    for tool in Tool::ALL {
        let tag = format!("count_{}_{n}", tool.name());
        let target = match (databases.fresh(&tag).await?, proxy) {
            (Target::Postgres(url), Some(proxy)) => Target::Postgres(proxy.url(&url)),
            (other, _) => other,
        };
        let loaded = Loaded::load(tool, &generate::dir(root, tool, n)).await?;
        let mut conn = Conn::open(tool, &target).await?;
        let trace = conn.trace().await?;
        if let Some(proxy) = proxy {
            proxy.take();
        }
        tools::run(&loaded, &mut conn).await?;
        let (statements, round_trips) = match (&trace, proxy) {
            (Some(trace), _) => (trace.take().len(), None),
            (None, Some(proxy)) => {
                let log = proxy.take();
                (log.statements.len(), Some(log.round_trips))
            }
            (None, None) => return Err("no statement counter".into()),
        };
        conn.close().await?;
        databases.drop(&tag).await?;
        eprintln!(
            "{} N={n} apply {}: {statements} statements, {round_trips:?} round trips",
            db.name(),
            tool.name()
        );
        cell.apply_statements
            .entry(tool)
            .or_default()
            .push(statements as f64);
        if let Some(rt) = round_trips {
            cell.apply_round_trips
                .entry(tool)
                .or_default()
                .push(rt as f64);
        }
    }
    Ok(())
}

/// Statements PostgreSQL itself logged for one database (`log_statement =
/// 'all'` set on it), read from the server log: the cross-check of the proxy.
struct ServerLog {
    path: PathBuf,
    offset: u64,
    marker: String,
}

impl ServerLog {
    async fn start(
        databases: &mut Databases,
        path: &Path,
        database: &str,
    ) -> Result<ServerLog, BoxError> {
        let admin = databases.admin.as_mut().ok_or("no admin connection")?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "ALTER DATABASE {database} SET log_statement = 'all'"
        )))
        .execute(admin)
        .await?;
        Ok(ServerLog {
            path: path.to_owned(),
            offset: std::fs::metadata(path)?.len(),
            // log_line_prefix '%m [%p] %q%u@%d ' (Debian's default).
            marker: format!("@{database} LOG:  "),
        })
    }

    async fn count(self) -> Result<usize, BoxError> {
        // The server writes its log asynchronously to the client's replies.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let bytes = std::fs::read(&self.path)?;
        let appended =
            String::from_utf8_lossy(bytes.get(self.offset as usize..).unwrap_or_default());
        Ok(appended
            .lines()
            .filter_map(|line| line.split_once(&self.marker).map(|(_, rest)| rest))
            .filter(|rest| rest.starts_with("statement: ") || rest.starts_with("execute "))
            .count())
    }
}

pub(crate) fn machine_info() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    if let Ok(p) = std::thread::available_parallelism() {
        m.insert("nproc".to_owned(), p.to_string());
    }
    if let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") {
        if let Some(model) = cpuinfo.lines().find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        }) {
            m.insert("cpu".to_owned(), model);
        }
    }
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
        if let Some(total) = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:")) {
            m.insert("memory".to_owned(), total.trim().to_owned());
        }
    }
    if let Ok(out) = Command::new("rustc").arg("--version").output() {
        m.insert(
            "rustc".to_owned(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        );
    }
    m
}
