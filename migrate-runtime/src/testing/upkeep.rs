//! The PostgreSQL work a test should not wait for, done by a thread of the
//! test process: dropping passing tests' databases and copying templates
//! ahead of demand.
//!
//! `CREATE DATABASE … TEMPLATE` copies the whole template (system catalogs
//! included) and `DROP DATABASE` removes every file and waits for a
//! checkpoint: on the benchmark machine each costs from 20 ms to over half
//! a second, growing with the schema. So a test neither creates nor drops:
//!
//! - it claims a **spare**, a copy made in advance (`migrate_spare_<key>_…`),
//!   by renaming it to its own name; only when none is left does it copy the
//!   template itself. Each claim asks for the stock to be topped up to
//!   [`SPARES`];
//! - when it passes, its database is **retired**: renamed into the trash
//!   (`migrate_trash_…`), which this thread drops.
//!
//! Renaming is atomic, so two processes never claim one spare. Spares
//! outlive the process to serve the next run; the ones a build of the
//! template makes are made before its first test database, so even a
//! process that ends at once leaves them.
//!
//! A process often ends (its tests passed) before this thread has dropped
//! its trash. So the names of trash and spares carry the process that made
//! them ([`process_owner`]), and this thread holds a mark of that owner on
//! the server for as long as the process lives (a session-level advisory
//! lock, which the server gives back when the process's session ends,
//! however it ended). A process's first test database on a server waits
//! while it drops the trash whose owner's mark is free: what earlier runs
//! left, and never the trash of a process still running, whose own thread
//! drops it. So the trash holds only what the processes still running
//! left, and what those that ended since a process last started left. Spares whose template is gone are dropped with the
//! trash, on the same rule.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{LazyLock, Mutex, PoisonError};

use sqlx::PgConnection;

use super::admin::{names, open_postgres, run, run_integer, run_text};
use super::database::{owner_of, process_owner, Template, TestPrefix};
use crate::error::Error;
use crate::sql::testing::postgres as pg_sql;

/// Copies of a template kept ready per server. Two keep a test run of one
/// test thread from waiting on most copies (one is claimed while the next
/// is made); more would hold more disk per migration set for little gain.
pub(super) const SPARES: usize = 2;

/// The name a retired test database of `prefix` takes.
pub(super) fn trash_name(prefix: &TestPrefix, test_database: &str) -> String {
    let suffix = test_database
        .strip_prefix(&prefix.test_databases())
        .unwrap_or(test_database);
    format!("{}{suffix}", prefix.trash())
}

/// Claims a spare copy of `template` under the name `name`; `false` when
/// none is left (or every one was claimed by another process first).
pub(super) async fn claim_spare(
    admin: &mut PgConnection,
    template: &Template,
    name: &str,
) -> Result<bool, Error> {
    let prefix = template.spare_prefix();
    for spare in databases_starting_with(admin, &prefix).await? {
        match run(admin, pg_sql::rename_database(&spare, name), &spare, || {
            "claim".into()
        })
        .await
        {
            Ok(()) => return Ok(true),
            // Renamed by another process between the list and here.
            Err(Error::TestDatabase {
                error: sqlx::Error::Database(_),
                ..
            }) => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(false)
}

enum Job {
    /// Only start: the thread holds the process's mark from its start.
    Hold,
    /// Drop the trash.
    Sweep,
    /// Keep [`SPARES`] copies of this template.
    Stock(String),
}

/// Has this process's thread for `prefix` on the server at `admin_url`
/// drop the trash.
pub(super) fn sweep(admin_url: &str, prefix: &TestPrefix) {
    send(admin_url, prefix, Job::Sweep);
}

/// The first time this process uses the server at `admin_url`: starts its
/// thread, which marks the process as alive there, and drops what dead
/// processes left (before anything else, so that trash cannot pile up
/// across runs of processes that end before their thread gets to it). A
/// failure is printed, not the test's: that trash is not the test's, and
/// the next process tries again.
pub(super) async fn start_using(admin: &mut PgConnection, admin_url: &str, prefix: &TestPrefix) {
    static STARTED: LazyLock<Mutex<BTreeSet<(String, String)>>> = LazyLock::new(Mutex::default);
    let first = STARTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((prefix.as_str().to_owned(), admin_url.to_owned()));
    if !first {
        return;
    }
    send(admin_url, prefix, Job::Hold);
    if let Err(error) = drop_trash(admin, prefix).await {
        report(&error);
    }
}

/// Has this process's thread for the server at `admin_url` top up the
/// spares of `template`.
pub(super) fn stock(admin_url: &str, template: &Template) {
    send(
        admin_url,
        &template.prefix,
        Job::Stock(template.name.clone()),
    );
}

/// One thread per prefix and server: each sweeps its prefix's trash only,
/// and holds its process's mark for that prefix.
fn send(admin_url: &str, prefix: &TestPrefix, job: Job) {
    type Threads = HashMap<(TestPrefix, String), Sender<Job>>;
    static THREADS: LazyLock<Mutex<Threads>> = LazyLock::new(Mutex::default);
    let mut threads = THREADS.lock().unwrap_or_else(PoisonError::into_inner);
    let key = (prefix.clone(), admin_url.to_owned());
    let thread = threads
        .entry(key.clone())
        .or_insert_with(|| start(admin_url.to_owned(), prefix.clone()));
    if thread.send(job).is_err() {
        // It could not start or is gone: the next request starts another.
        threads.remove(&key);
    }
}

fn start(admin_url: String, prefix: TestPrefix) -> Sender<Job> {
    let (jobs, received) = channel::<Job>();
    let _ = std::thread::Builder::new()
        .name("migrata-testdb".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            // A session of its own holds the process's mark, idle, so that
            // the server ends it (and frees the mark) as soon as the
            // process ends: a session busy dropping a database would hold
            // it until the drop is done. Taken again should it be lost.
            let mut mark = None;
            loop {
                runtime.block_on(keep_mark(&mut mark, &admin_url, &prefix));
                let Some((sweep, templates)) = next_batch(&received) else {
                    return;
                };
                // A `Hold` alone asks for nothing more.
                if sweep || !templates.is_empty() {
                    runtime.block_on(upkeep(&admin_url, &prefix, sweep, &templates));
                }
            }
        });
    jobs
}

/// Waits for a job, then takes every other one already queued: one pass
/// serves them all.
fn next_batch(received: &Receiver<Job>) -> Option<(bool, BTreeSet<String>)> {
    let first = received.recv().ok()?;
    let mut sweep = false;
    let mut templates = BTreeSet::new();
    for job in std::iter::once(first).chain(received.try_iter()) {
        match job {
            Job::Hold => {}
            Job::Sweep => sweep = true,
            Job::Stock(template) => {
                templates.insert(template);
            }
        }
    }
    Some((sweep, templates))
}

fn report(error: &Error) {
    eprintln!("migrata: test database upkeep: {error}");
}

/// Makes `mark` a live session holding this process's mark: kept if it
/// answers, else opened anew (`None`, printed, when the server cannot be
/// reached: tried again next pass).
async fn keep_mark(mark: &mut Option<PgConnection>, admin_url: &str, prefix: &TestPrefix) {
    if let Some(conn) = mark.as_mut() {
        if sqlx::Connection::ping(conn).await.is_ok() {
            return;
        }
        *mark = None;
    }
    let owner = process_owner();
    let held = async {
        let mut conn = open_postgres(admin_url).await?;
        match run_text(
            &mut conn,
            pg_sql::hold_owner(prefix.as_str(), owner),
            owner,
            || "mark as alive".into(),
        )
        .await
        {
            Ok(()) => Ok(conn),
            Err(error) => {
                let _ = sqlx::Connection::close(conn).await;
                Err(error)
            }
        }
    }
    .await;
    match held {
        Ok(conn) => *mark = Some(conn),
        Err(error) => report(&error),
    }
}

/// Spares first (a test may be waiting for one), then the trash. A failure
/// leaves the work for the next pass (or `drop_all`) and is printed, as a
/// failed drop always was.
async fn upkeep(admin_url: &str, prefix: &TestPrefix, sweep: bool, templates: &BTreeSet<String>) {
    let mut admin = match open_postgres(admin_url).await {
        Ok(admin) => admin,
        Err(error) => return report(&error),
    };
    for template in templates {
        if let Err(error) = top_up(&mut admin, &Template::named(prefix, template)).await {
            report(&error);
        }
    }
    if sweep {
        if let Err(error) = drop_trash(&mut admin, prefix).await {
            report(&error);
        }
    }
    let _ = sqlx::Connection::close(admin).await;
}

/// Makes copies of `template` until [`SPARES`] are ready.
pub(super) async fn top_up(admin: &mut PgConnection, template: &Template) -> Result<(), Error> {
    let template_name = &template.name;
    let prefix = template.spare_prefix();
    let ready = databases_starting_with(admin, &prefix).await?.len();
    for _ in ready..SPARES {
        let spare = template.spare_name();
        run(
            admin,
            pg_sql::clone_database(&spare, template_name),
            &spare,
            || format!("copy template {template_name}"),
        )
        .await?;
    }
    Ok(())
}

/// Drops the retired test databases, and the spares of templates that are
/// gone, that this process made or whose maker is gone (a live process's
/// thread drops its own). One that cannot be dropped (another role's, say)
/// is printed and passed over; only a failed look-up stops the sweep.
async fn drop_trash(admin: &mut PgConnection, prefix: &TestPrefix) -> Result<(), Error> {
    let templates: BTreeSet<String> = databases_starting_with(admin, &prefix.templates())
        .await?
        .into_iter()
        .collect();
    let orphans = databases_starting_with(admin, &prefix.spares())
        .await?
        .into_iter()
        .filter(|spare| !templates.contains(&Template::named(prefix, spare).name));
    let trash = databases_starting_with(admin, &prefix.trash()).await?;
    // Asked once per owner: a run leaves many.
    let mut gone: HashMap<String, bool> = HashMap::new();
    for name in trash.into_iter().chain(orphans.collect::<Vec<_>>()) {
        // A name of another form (none is made) has no owner to wait for.
        let owner = owner_of(prefix, &name).unwrap_or_default();
        let droppable = match gone.get(&owner) {
            Some(&droppable) => droppable,
            None => {
                let droppable = owner == process_owner()
                    || run_integer(
                        admin,
                        pg_sql::owner_is_gone(prefix.as_str(), &owner),
                        &name,
                        || "ask whether the process that made it runs".into(),
                    )
                    .await?
                        == 1;
                gone.insert(owner, droppable);
                droppable
            }
        };
        if droppable {
            // `IF EXISTS`: another process may have been first.
            if let Err(error) =
                run(admin, pg_sql::drop_database(&name), &name, || "drop".into()).await
            {
                report(&error);
            }
        }
    }
    Ok(())
}

async fn databases_starting_with(
    admin: &mut PgConnection,
    prefix: &str,
) -> Result<Vec<String>, Error> {
    names(admin, pg_sql::databases_starting_with(prefix), prefix).await
}
