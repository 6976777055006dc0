//! `migrate-bench profile`: where apply time goes. Runs this project's apply
//! next to hand-written variants of the same work over the same sqlx
//! connection, each one step closer to or further from the raw lower bound,
//! so the cost of each bookkeeping round trip can be read off, and the effect
//! of a change to the runtime predicted before anyone makes it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use sqlx::{AssertSqlSafe, Connection, Executor};

use crate::report::Summary;
use crate::tools::{BoxError, Conn, Loaded, Target};
use crate::{generate, Databases, Db, Tool};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// `Migrator::run_on`, as in the main table.
    Ours,
    /// BEGIN; script; COMMIT (the main table's raw).
    Raw,
    /// BEGIN; script; INSERT history; COMMIT: one round trip per statement
    /// group, as this project sends them on PostgreSQL today.
    RawInsert,
    /// As `RawInsert` plus, on SQLite, `BEGIN IMMEDIATE` and the per-migration
    /// `SELECT ... WHERE version = v` re-check this project runs there.
    OursShape,
    /// BEGIN; script + INSERT as one query string; COMMIT.
    Batched,
    /// `BEGIN; script; INSERT; COMMIT` as one query string: one round trip.
    OneTrip,
}

impl Variant {
    const ALL: [Variant; 6] = [
        Variant::Ours,
        Variant::Raw,
        Variant::RawInsert,
        Variant::OursShape,
        Variant::Batched,
        Variant::OneTrip,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Ours => "this project (run_on)",
            Variant::Raw => "raw: BEGIN / script / COMMIT",
            Variant::RawInsert => "raw + history INSERT as its own statement",
            Variant::OursShape => "raw + INSERT + (SQLite) BEGIN IMMEDIATE and version re-check",
            Variant::Batched => "BEGIN / script+INSERT in one string / COMMIT",
            Variant::OneTrip => "BEGIN;script;INSERT;COMMIT in one string",
        }
    }
}

const CREATE_PG: &str = "CREATE TABLE IF NOT EXISTS \"migrate_history\" (version BIGINT PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL, duration_ms BIGINT NOT NULL, success BOOLEAN NOT NULL)";
const CREATE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS \"migrate_history\" (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, success BOOLEAN NOT NULL)";

fn insert(db: Db, m: &migrata::Migration) -> String {
    let now = match db {
        Db::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        Db::Postgres => "now()",
    };
    format!(
        "INSERT INTO \"migrate_history\" (version, name, checksum, applied_at, duration_ms, success) VALUES ({}, '{}', '{}', {now}, 0, TRUE)",
        m.version, m.name, m.checksum
    )
}

async fn exec<'c, E: Executor<'c>>(e: E, sql: String) -> Result<(), sqlx::Error> {
    e.execute(sqlx::raw_sql(AssertSqlSafe(sql))).await.map(drop)
}

macro_rules! variant_body {
    ($conn:expr, $db:expr, $variant:expr, $migrations:expr) => {{
        let conn = $conn;
        let db = $db;
        let create = if db == Db::Sqlite { CREATE_SQLITE } else { CREATE_PG };
        if $variant != Variant::Raw {
            exec(&mut *conn, create.to_owned()).await?;
        }
        for m in $migrations {
            let script = m.up.sql().to_owned();
            match $variant {
                Variant::Raw => {
                    let mut tx = conn.begin().await?;
                    exec(&mut *tx, script).await?;
                    tx.commit().await?;
                }
                Variant::RawInsert => {
                    let mut tx = conn.begin().await?;
                    exec(&mut *tx, script).await?;
                    exec(&mut *tx, insert(db, m)).await?;
                    tx.commit().await?;
                }
                Variant::OursShape => {
                    let begin = if db == Db::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
                    let mut tx = conn.begin_with(begin).await?;
                    if db == Db::Sqlite {
                        exec(
                            &mut *tx,
                            format!("SELECT version, name, checksum, success FROM \"migrate_history\" WHERE version = {}", m.version),
                        )
                        .await?;
                    }
                    exec(&mut *tx, script).await?;
                    exec(&mut *tx, insert(db, m)).await?;
                    tx.commit().await?;
                }
                Variant::Batched => {
                    let mut tx = conn.begin().await?;
                    exec(&mut *tx, format!("{script};\n{}", insert(db, m))).await?;
                    tx.commit().await?;
                }
                Variant::OneTrip => {
                    exec(&mut *conn, format!("BEGIN;\n{script};\n{};\nCOMMIT", insert(db, m))).await?;
                }
                Variant::Ours => unreachable!("run through the runtime"),
            }
        }
    }};
}

async fn run_variant(
    variant: Variant,
    db: Db,
    loaded: &Loaded,
    conn: &mut Conn,
) -> Result<(), BoxError> {
    let Loaded::Ours(migrations) = loaded else {
        return Err("profile needs this project's migrations".into());
    };
    if variant == Variant::Ours {
        crate::tools::run(loaded, conn).await?;
        return Ok(());
    }
    match conn {
        Conn::Sqlite(c) => variant_body!(c, db, variant, migrations),
        Conn::Pg(c) => variant_body!(c, db, variant, migrations),
        _ => return Err("profile runs on sqlx connections".into()),
    }
    Ok(())
}

/// `profile [--n N] [--reps R] [--db sqlite,postgres] [--pg-url URL]`.
pub async fn main(args: &[String]) -> Result<(), BoxError> {
    let mut n = 1000;
    let mut reps = 5;
    let mut dbs = vec![Db::Sqlite, Db::Postgres];
    let mut pg_url = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--n" => n = value.parse()?,
            "--reps" => reps = value.parse()?,
            "--pg-url" => pg_url = value.clone(),
            "--db" => {
                dbs = value
                    .split(',')
                    .map(|d| {
                        if d == "sqlite" {
                            Db::Sqlite
                        } else {
                            Db::Postgres
                        }
                    })
                    .collect()
            }
            other => return Err(format!("unknown profile option {other}").into()),
        }
    }
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("work");
    let root = work.join("migrations");
    let dir = generate::dir(&root, Tool::Ours, n);
    generate::write(&dir, Tool::Ours, n, generate::script)?;
    let loaded = Loaded::load(Tool::Ours, &dir).await?;
    println!("| database | N | variant | ms median (min–max) | / raw |\n| --- | ---: | --- | ---: | ---: |");
    for db in dbs {
        let mut databases = Databases::new(db, &work, &pg_url).await?;
        let mut samples: BTreeMap<Variant, Vec<f64>> = BTreeMap::new();
        for rep in 0..reps {
            for i in 0..Variant::ALL.len() {
                let variant = Variant::ALL[(i + rep) % Variant::ALL.len()];
                let tag = format!("profile_{n}");
                let target: Target = databases.fresh(&tag).await?;
                let mut conn = Conn::open(Tool::Ours, &target).await?;
                let started = Instant::now();
                run_variant(variant, db, &loaded, &mut conn).await?;
                let elapsed = started.elapsed().as_secs_f64() * 1e3;
                let rows = conn.rows_in(&format!("t{n}")).await?;
                conn.close().await?;
                databases.drop(&tag).await?;
                if rows != 1 {
                    return Err(format!("{} left t{n} with {rows} rows", variant.name()).into());
                }
                eprintln!(
                    "{} rep {rep} {}: {elapsed:.1} ms",
                    db_name(db),
                    variant.name()
                );
                samples.entry(variant).or_default().push(elapsed);
            }
        }
        let raw = Summary::of(&samples[&Variant::Raw]).map_or(f64::NAN, |s| s.median);
        for variant in Variant::ALL {
            if let Some(s) = Summary::of(&samples[&variant]) {
                println!(
                    "| {} | {n} | {} | {:.0} ({:.0}–{:.0}) | {:.2} |",
                    db_name(db),
                    variant.name(),
                    s.median,
                    s.min,
                    s.max,
                    s.median / raw
                );
            }
        }
    }
    Ok(())
}

fn db_name(db: Db) -> &'static str {
    match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    }
}
