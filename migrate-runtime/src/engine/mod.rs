//! The work done over a connection, one function per operation: the
//! startup check and apply, revert, stamp, adopt, status and repair. Each
//! runs the session setup, reads the history, decides with [`crate::plan`],
//! and does what was decided under the lock ([`session`]), executing the
//! step program ([`execute`]); offline SQL is rendered by [`render`].

mod execute;
pub(crate) mod lock;
pub(crate) mod presence;
pub(crate) mod render;
mod retry;
pub(crate) mod session;

use crate::driver::{history, Backend};
use crate::error::Error;
use crate::model::{MigrationState, Peer};
use crate::options::{LockWait, Options};
use crate::plan::adopt::Adoption;
use crate::plan::program::{Op, Unit};
use crate::plan::repair::{Repair, Repaired};
use crate::plan::Job;
use crate::report::{PendingSql, Report};
use crate::sql::history::HistoryTable;
use crate::sql::{sql_str, Dialect, LockWaitSql};
use crate::status::Status;
use session::{plan_adoption, Session, Warned};

/// Runs `$work` with `$session`, a session over `$conn` (session setup
/// run, lock taken), then closes it, releasing the lock whatever the outcome.
macro_rules! under_lock {
    ($job:expr, $conn:expr, $url:expr, |$session:ident| $work:expr) => {{
        let table = prepare($job, $conn).await?;
        let mut $session = Session::open($job, $conn, table, $url).await?;
        let result = $work;
        $session.close(result).await
    }};
}

/// The startup check, then (only with work to do) the locked slow path.
/// `url` is set when the migrator opened `conn` itself.
pub(crate) async fn apply<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    url: Option<&str>,
) -> Result<Report, Error> {
    let table = prepare(job, conn).await?;
    let standing = job.classify(
        history::read_packed(conn, &table)
            .await?
            .unwrap_or_default(),
    );
    let mut warned = Warned::default();
    // A row still marked failed may belong to a migrator running right
    // now; only under the lock can it be told apart from a dead one.
    let maybe_in_progress = standing.all().any(|e| e.state == MigrationState::Failed);
    if !maybe_in_progress {
        let mut plan = job.plan_up(&standing, &[])?;
        // Only held contract migrations left: the replicas decide, still
        // without the lock.
        if job.may_hold() && plan.migrations.iter().all(|m| m.is_contract()) {
            plan = job.plan_up(&standing, &presence::live(conn, &table).await?)?;
        }
        if plan.migrations.is_empty() {
            warned.log(&plan.warnings);
            tracing::info!(target: "migrata", backend = %B::KIND, held = plan.held.len(), "database is up to date");
            let mut report = Report::new(B::KIND);
            report.held = plan.held;
            return Ok(report);
        }
    }
    let mut session = Session::open(job, conn, table, url).await?;
    let result = session.apply(&mut warned).await;
    session.close(result).await
}

/// Reverts to `target` under the lock.
pub(crate) async fn revert<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    target: session::RevertTarget,
    url: Option<&str>,
) -> Result<Report, Error> {
    under_lock!(job, conn, url, |session| session.revert(target).await)
}

/// Records migrations up to `version` as applied, under the lock.
pub(crate) async fn stamp<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    version: i64,
    url: Option<&str>,
) -> Result<Vec<i64>, Error> {
    under_lock!(job, conn, url, |session| session.stamp(version).await)
}

/// Takes over `peer`'s history, under the lock.
pub(crate) async fn adopt<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    peer: Peer,
    url: Option<&str>,
) -> Result<Adoption, Error> {
    under_lock!(job, conn, url, |session| session.adopt(peer).await)
}

/// What adopting `peer`'s history would record; no lock, no write.
pub(crate) async fn check_adoption<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    peer: Peer,
) -> Result<Adoption, Error> {
    let table = prepare(job, conn).await?;
    let plan = plan_adoption(conn, &table, job.migrations, peer).await?;
    Ok(plan.report(B::KIND, peer, true))
}

/// Where every migration stands; no lock, no write.
pub(crate) async fn status<B: Backend>(job: &Job<'_>, conn: &mut B) -> Result<Status, Error> {
    let table = prepare(job, conn).await?;
    let standing = job.classify(history::list_with_timings(conn, &table).await?);
    let live = if job.may_hold() {
        presence::live(conn, &table).await?
    } else {
        Vec::new()
    };
    Ok(Status::new(B::KIND, standing, &job.options, &live))
}

/// The replicas registered beside the version table, live and dead
/// ([`Database::replicas`](crate::Database::replicas)).
pub(crate) async fn replicas<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
) -> Result<Vec<crate::model::Replica>, Error> {
    let table = prepare(job, conn).await?;
    presence::all(conn, &table).await
}

/// The SQL a run would execute now: planned from the history and the live
/// replicas as [`apply`] plans without the lock; no lock, no write.
pub(crate) async fn pending_sql<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
) -> Result<PendingSql, Error> {
    let table = prepare(job, conn).await?;
    let history = history::read_packed(conn, &table).await?;
    let creates_table = history.is_none();
    let standing = job.classify(history.unwrap_or_default());
    let live = if job.may_hold() && !creates_table {
        presence::live(conn, &table).await?
    } else {
        Vec::new()
    };
    let plan = job.select_up(&standing, &live)?;
    render::pending(job, B::KIND, &plan.migrations, creates_table)
}

/// Settles the rows of failed migrations, under the lock.
pub(crate) async fn repair<B: Backend>(
    job: &Job<'_>,
    conn: &mut B,
    choice: Repair,
    url: Option<&str>,
) -> Result<Vec<Repaired>, Error> {
    under_lock!(job, conn, url, |session| session.repair(choice).await)
}

/// Validates the table name and runs the session setup SQL.
async fn prepare<B: Backend>(job: &Job<'_>, conn: &mut B) -> Result<HistoryTable, Error> {
    let table = HistoryTable::new(B::KIND, job.options.table())?;
    if let Some(sql) = &job.session_setup {
        conn.execute(sql_str(sql.clone()))
            .await
            .map_err(|source| Error::SessionSetup { error: source })?;
    }
    Ok(table)
}

/// What bounds the lock waits of `unit`'s statements, online and offline;
/// `None` with lock waits off, and for a script outside a transaction that
/// the database exempts ([`Dialect::lock_wait_exempts`]).
pub(crate) fn lock_wait_sql(
    options: &Options,
    dialect: &dyn Dialect,
    unit: &Unit<'_>,
) -> Option<LockWaitSql> {
    let LockWait::Max(wait) = options.lock_wait() else {
        return None;
    };
    let exempt = !unit.transaction
        && unit.ops.iter().any(|op| match op {
            Op::Run(step) => step.code.is_none() && dialect.lock_wait_exempts(step.script.sql()),
            _ => false,
        });
    (!exempt).then(|| dialect.lock_wait(wait, unit.transaction, options.lock_timeout()))
}
