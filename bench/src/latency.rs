//! `latency`: the tools over a network's round-trip time. A TCP proxy
//! between the tools and the server delays each direction by half the
//! round-trip time and counts round trips; each tool applies N migrations,
//! runs its no-op check and connects through it. See bench/README.md.
//!
//! ```text
//! cd bench && cargo run --release -- latency --rtt 2ms,20ms
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection};

use crate::report::{self, Check, Figure, Results};
use crate::tools::{self, BoxError, Conn, Loaded, Target};
use crate::{generate, rotated, Tool};

/// A TCP proxy that delays every byte by `one_way` in each direction and
/// counts round trips: a round trip is a client send that follows data
/// from the server (the client waited for an answer), so messages the
/// client sends together count once, whatever the protocol (TLS too). The
/// TCP handshake between the client and the proxy is not delayed: connect
/// times lack that one round trip, for every tool alike.
pub struct DelayProxy {
    addr: SocketAddr,
    round_trips: Arc<AtomicU64>,
}

impl DelayProxy {
    pub fn start(upstream: String, one_way: Duration) -> io::Result<DelayProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = round_trips.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = connect_pair(client, server, one_way, counter.clone());
            }
        });
        Ok(DelayProxy { addr, round_trips })
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let userinfo = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"))
            .unwrap_or_default();
        format!("{scheme}://{userinfo}{}{path}", self.addr)
    }

    /// Round trips counted since the last call.
    pub fn take(&self) -> u64 {
        self.round_trips.swap(0, Ordering::SeqCst)
    }
}

/// Two delayed one-way pipes; the client's pipe counts a round trip at
/// each send that follows server data delivered to the client.
fn connect_pair(
    client: TcpStream,
    server: TcpStream,
    one_way: Duration,
    round_trips: Arc<AtomicU64>,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    // The first client send (the startup message) starts a round trip.
    let answered = Arc::new(AtomicBool::new(true));
    let up_answered = answered.clone();
    pipe(
        client.try_clone()?,
        server.try_clone()?,
        one_way,
        move || {
            if up_answered.swap(false, Ordering::SeqCst) {
                round_trips.fetch_add(1, Ordering::SeqCst);
            }
        },
        || {},
    );
    pipe(
        server,
        client,
        one_way,
        || {},
        move || answered.store(true, Ordering::SeqCst),
    );
    Ok(())
}

/// Copies `from` to `to`, each chunk delivered `delay` after it was read:
/// a reader thread stamps the chunks, a writer thread waits until each is
/// due. `on_read` runs as a chunk arrives, `on_delivered` as it is written.
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    on_read: impl Fn() + Send + 'static,
    on_delivered: impl Fn() + Send + 'static,
) {
    let (chunks, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    on_read();
                    if chunks
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        let mut pending = VecDeque::new();
        while let Ok(chunk) = due.recv() {
            pending.push_back(chunk);
            while let Some((at, bytes)) = pending.pop_front() {
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                // Marked before the write: once written, the client may
                // answer before this thread runs again.
                on_delivered();
                if to.write_all(&bytes).is_err() {
                    return;
                }
                pending.extend(due.try_iter());
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

struct LatencyOptions {
    rtts: Vec<Duration>,
    ns: Vec<usize>,
    reps: usize,
    dbs: Vec<&'static str>,
    pg_url: String,
    mysql_url: String,
    work: PathBuf,
    out: Option<PathBuf>,
}

const USAGE: &str = "\
migrate-bench latency: apply, no-op check and connect over a delayed link (see bench/README.md)

USAGE: cargo run --release -- latency [OPTIONS]     (from bench/)

OPTIONS:
  --rtt LIST       round-trip times, e.g. 2ms,20ms (default 0ms,2ms,20ms; 0ms, the proxy
                   without delay, is always measured: the floor's server time comes from it)
  --n LIST         migration counts (default 10,100)
  --reps R         repetitions per tool and cell (default 3)
  --db LIST        postgres,mysql (default both)
  --pg-url URL     admin URL (default $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/test)
  --mysql-url URL  admin URL (default $BENCH_MYSQL_URL or mysql://root@127.0.0.1:3306/test)
  --out PATH       also write the figures as JSON
";

fn parse(args: &[String]) -> Result<LatencyOptions, String> {
    let mut o = LatencyOptions {
        rtts: vec![
            Duration::ZERO,
            Duration::from_millis(2),
            Duration::from_millis(20),
        ],
        ns: vec![10, 100],
        reps: 3,
        dbs: vec!["postgres", "mysql"],
        pg_url: std::env::var("BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
        mysql_url: std::env::var("BENCH_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned()),
        work: Path::new(env!("CARGO_MANIFEST_DIR")).join("work"),
        out: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--rtt" => {
                let mut rtts = vec![Duration::ZERO];
                for rtt in value()?.split(',') {
                    let ms: f64 = rtt
                        .trim()
                        .trim_end_matches("ms")
                        .parse()
                        .map_err(|_| format!("not a time in ms: {rtt}"))?;
                    rtts.push(Duration::from_secs_f64(ms / 1e3));
                }
                rtts.dedup();
                o.rtts = rtts;
            }
            "--n" => {
                o.ns = value()?
                    .split(',')
                    .map(|n| n.trim().parse().map_err(|_| format!("not a number: {n}")))
                    .collect::<Result<_, _>>()?
            }
            "--reps" => o.reps = value()?.parse().map_err(|_| "--reps needs a number")?,
            "--db" => {
                o.dbs = value()?
                    .split(',')
                    .map(|d| match d.trim() {
                        "postgres" => Ok("postgres"),
                        "mysql" => Ok("mysql"),
                        other => Err(format!("unknown database: {other}")),
                    })
                    .collect::<Result<_, _>>()?
            }
            "--pg-url" => o.pg_url = value()?,
            "--mysql-url" => o.mysql_url = value()?,
            "--out" => o.out = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}\n\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Creates and drops `bench_lat_*` databases on one server.
enum Admin {
    Postgres(PgConnection, String),
    MySql(MySqlConnection, String),
}

impl Admin {
    async fn fresh(&mut self, tag: &str) -> Result<Target, BoxError> {
        self.drop(tag).await?;
        let name = format!("bench_lat_{tag}");
        Ok(match self {
            Admin::Postgres(conn, url) => {
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut *conn)
                    .await?;
                let _ = sqlx::raw_sql("CHECKPOINT").execute(&mut *conn).await;
                Target::Postgres(crate::database_url(url, &name))
            }
            Admin::MySql(conn, url) => {
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut *conn)
                    .await?;
                let base = url.split('?').next().unwrap_or(url);
                let authority = base.split_once("://").map_or(base, |(_, r)| r);
                let authority = authority.split('/').next().unwrap_or(authority);
                Target::MySql(format!("mysql://{authority}/{name}?ssl-mode=disabled"))
            }
        })
    }

    async fn drop(&mut self, tag: &str) -> Result<(), BoxError> {
        let name = format!("bench_lat_{tag}");
        match self {
            Admin::Postgres(conn, _) => {
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(conn)
                .await?;
            }
            Admin::MySql(conn, _) => {
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// `target` reached through `proxy`.
fn through(proxy: &DelayProxy, target: &Target) -> Target {
    match target {
        Target::Postgres(url) => Target::Postgres(proxy.url(url)),
        Target::MySql(url) => Target::MySql(proxy.url(url)),
        Target::Sqlite(path) => Target::Sqlite(path.clone()),
    }
}

/// Samples of one (database, RTT, N) cell.
#[derive(Default)]
struct Cell {
    apply: BTreeMap<Tool, Vec<f64>>,
    apply_round_trips: BTreeMap<Tool, Vec<f64>>,
    noop: BTreeMap<Tool, Vec<f64>>,
    noop_round_trips: BTreeMap<Tool, Vec<f64>>,
    connect: BTreeMap<Tool, Vec<f64>>,
    connect_round_trips: BTreeMap<Tool, Vec<f64>>,
}

pub async fn main(args: &[String]) -> Result<(), BoxError> {
    let o = parse(args)?;
    let root = o.work.join("latency-migrations");
    for &n in &o.ns {
        generate::write_all_portable(&root, n)?;
    }
    let mut figures = Vec::new();
    let mut targets = Vec::new();
    for &db in &o.dbs {
        let (mut admin, upstream, tools) = match db {
            "postgres" => (
                Admin::Postgres(PgConnection::connect(&o.pg_url).await?, o.pg_url.clone()),
                crate::count::host_port(&o.pg_url, 5432),
                Tool::ALL.to_vec(),
            ),
            _ => (
                Admin::MySql(
                    MySqlConnection::connect(&o.mysql_url).await?,
                    o.mysql_url.clone(),
                ),
                crate::count::host_port(&o.mysql_url, 3306),
                // refinery is built here without its MySQL driver.
                vec![Tool::Ours, Tool::Sqlx, Tool::Raw],
            ),
        };
        // Raw's apply time without delay: the server's own work, the
        // floor's second term.
        let mut server_work: BTreeMap<usize, f64> = BTreeMap::new();
        for &rtt in &o.rtts {
            let proxy = DelayProxy::start(upstream.clone(), rtt / 2)?;
            for &n in &o.ns {
                let mut cell = Cell::default();
                for rep in 0..o.reps {
                    for &tool in &rotated(&tools, rep) {
                        measure(&mut admin, &proxy, &root, tool, n, &mut cell).await?;
                    }
                }
                let label = format!("{db} @ {} ms RTT", rtt.as_secs_f64() * 1e3);
                let apply =
                    Figure::new(&label, n, "apply", "ms", &cell.apply).with_note("excl. connect");
                if rtt.is_zero() {
                    if let Some(raw) = apply.values.get(Tool::Raw.label()) {
                        server_work.insert(n, raw.median);
                    }
                }
                let floor = server_work
                    .get(&n)
                    .map(|work| n as f64 * rtt.as_secs_f64() * 1e3 + work);
                if let (Some(floor), Some(ours)) = (floor, apply.ours()) {
                    let mut floor_samples = BTreeMap::new();
                    floor_samples.insert(Tool::Ours, vec![floor]);
                    figures.push(
                        Figure::new(&label, n, "apply: round-trip floor", "ms", &floor_samples)
                            .with_note(format!(
                            "N round trips × RTT + raw's apply time at 0 ms; this/floor = {:.2}",
                            ours.median / floor
                        )),
                    );
                    if n == 100 && rtt == Duration::from_millis(20) {
                        let ratio = ours.median / floor;
                        targets.push(Check {
                            target: format!("apply ≤ 1.1× the round-trip floor ({label} N=100)"),
                            measured: format!("{ratio:.2}× ({:.0} ms)", floor),
                            met: ratio <= 1.1,
                        });
                        if let Some(sqlx) = apply.ratio(Tool::Sqlx) {
                            targets.push(Check {
                                target: format!("apply ≤ 0.3× sqlx ({label} N=100)"),
                                measured: format!("{sqlx:.2}×"),
                                met: sqlx <= 0.3,
                            });
                        }
                    }
                }
                figures.push(apply);
                figures.push(Figure::new(
                    &label,
                    n,
                    "apply: round trips",
                    "round trips",
                    &cell.apply_round_trips,
                ));
                figures.push(
                    Figure::new(&label, n, "no-op: check", "ms", &cell.noop)
                        .with_note("fresh connection, excl. connect"),
                );
                let noop_trips = Figure::new(
                    &label,
                    n,
                    "no-op: round trips",
                    "round trips",
                    &cell.noop_round_trips,
                );
                if let Some(ours) = noop_trips.ours() {
                    targets.push(Check {
                        target: format!("no-op check = 1 round trip after connect ({label} N={n})"),
                        measured: format!("{}", ours.median),
                        met: ours.median == 1.0,
                    });
                }
                figures.push(noop_trips);
                figures.push(Figure::new(&label, n, "connect", "ms", &cell.connect));
                figures.push(Figure::new(
                    &label,
                    n,
                    "connect: round trips",
                    "round trips",
                    &cell.connect_round_trips,
                ));
                for f in &figures[figures.len().saturating_sub(7)..] {
                    let values: Vec<String> = f
                        .values
                        .iter()
                        .map(|(tool, s)| format!("{tool}={:.1}", s.median))
                        .collect();
                    eprintln!(
                        "  {} N={} {}: {}",
                        f.database,
                        f.n,
                        f.figure,
                        values.join(" ")
                    );
                }
            }
        }
    }
    let results = Results {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine: crate::machine_info(),
        options: BTreeMap::new(),
        figures,
        targets,
        noop_statements: BTreeMap::new(),
        notes: Vec::new(),
    };
    println!("{}", report::markdown(&results));
    if let Some(out) = &o.out {
        std::fs::write(out, serde_json::to_string_pretty(&results)? + "\n")?;
    }
    Ok(())
}

/// One tool on one fresh database: connect, apply; then a fresh
/// connection and the no-op check; each timed and its round trips counted.
async fn measure(
    admin: &mut Admin,
    proxy: &DelayProxy,
    root: &Path,
    tool: Tool,
    n: usize,
    cell: &mut Cell,
) -> Result<(), BoxError> {
    let tag = format!("{}_{n}", tool.name());
    let target = through(proxy, &admin.fresh(&tag).await?);
    let loaded = Loaded::load(tool, &generate::dir(root, tool, n)).await?;
    proxy.take();
    let started = Instant::now();
    let mut conn = Conn::open(tool, &target).await?;
    let connected = Instant::now();
    let connect_trips = proxy.take();
    tools::run(&loaded, &mut conn).await?;
    let applied = Instant::now();
    let apply_trips = proxy.take();
    let rows = conn.rows_in(&format!("t{n}")).await?;
    if rows != 1 {
        return Err(format!("{}: t{n} holds {rows} rows", tool.name()).into());
    }
    conn.close().await?;

    // The no-op check: raw's is the one history SELECT of this project.
    let check = match tool {
        Tool::Raw => Loaded::HistoryRead,
        _ => loaded,
    };
    let noop_target = match (tool, &target) {
        // Raw has no history table of its own: read one this project wrote.
        (Tool::Raw, _) => {
            let ours = through(proxy, &admin.fresh("raw_history").await?);
            let migrations = Loaded::load(Tool::Ours, &generate::dir(root, Tool::Ours, n)).await?;
            let mut conn = Conn::open(Tool::Ours, &ours).await?;
            tools::run(&migrations, &mut conn).await?;
            conn.close().await?;
            ours
        }
        (_, target) => target.clone(),
    };
    let mut conn = Conn::open(tool, &noop_target).await?;
    proxy.take();
    let started_check = Instant::now();
    tools::run(&check, &mut conn).await?;
    let checked = Instant::now();
    let noop_trips = proxy.take();
    conn.close().await?;
    admin.drop(&tag).await?;
    admin.drop("raw_history").await?;

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    cell.connect
        .entry(tool)
        .or_default()
        .push(ms(connected - started));
    cell.connect_round_trips
        .entry(tool)
        .or_default()
        .push(connect_trips as f64);
    cell.apply
        .entry(tool)
        .or_default()
        .push(ms(applied - connected));
    cell.apply_round_trips
        .entry(tool)
        .or_default()
        .push(apply_trips as f64);
    cell.noop
        .entry(tool)
        .or_default()
        .push(ms(checked - started_check));
    cell.noop_round_trips
        .entry(tool)
        .or_default()
        .push(noop_trips as f64);
    Ok(())
}
