//! Work done under the migration lock. A [`Session`] owns the lock and the
//! version table pinned while holding it, and offers apply, revert, stamp,
//! adopt and repair: the lock protocol lives here and nowhere else.

use std::time::Duration;

use migrata_core::Migration;

use super::lock::{self, Lock};
use crate::driver::{history, Backend};
use crate::error::Error;
use crate::model::{Direction, MigrationState, Peer};
use crate::plan::adopt::{self, Adoption, AdoptionPlan};
use crate::plan::program;
use crate::plan::repair::{self, Repair, RepairAction, Repaired};
use crate::plan::{self, Entry, Job, Plan};
use crate::report::Report;
use crate::sql::history::{Elapsed, HistoryTable};
use crate::sql::{sql_str, ForeignKeySuspension, LockWaitSql};

/// A connection holding the migration lock, with the version table named
/// exactly.
pub(crate) struct Session<'c, 'm, B: Backend> {
    pub(super) conn: &'c mut B,
    pub(super) job: &'c Job<'m>,
    pub(super) table: HistoryTable,
    pub(super) lock: Lock,
    pub(super) foreign_keys: ForeignKeys,
    /// The lock-wait bound in effect on the session, which stays for the
    /// units that follow (see [`Session::bound_lock_waits`]).
    pub(super) lock_wait: Option<LockWaitSql>,
    pub(super) blockers: Blockers,
}

/// How this session finds out what keeps it waiting for a lock (see
/// [`Watch`](super::retry::Watch)).
pub(crate) enum Blockers {
    /// Not asked yet; the migrator opened the connection at this URL, so a
    /// second one can watch.
    Unread(String),
    /// Asked from a second connection to `url` with `query`.
    Query { url: String, query: String },
    /// Not seen: no second connection (the connection was handed over),
    /// or the database cannot say (SQLite).
    Unseen,
}

/// Foreign-key enforcement over a session (see [`ForeignKeySuspension`]):
/// read once, switched off before the first transaction where the
/// connection enforces it, and back on before a script outside a
/// transaction and when the session closes; not three statements around
/// every migration.
#[derive(Clone, Copy)]
pub(crate) enum ForeignKeys {
    /// Not read since the session began or last restored it.
    Unread,
    /// Not enforced on this connection, or nothing to suspend on this
    /// database.
    NotSuspended,
    /// Switched off by this session.
    Suspended(&'static ForeignKeySuspension),
}

impl<'c, 'm, B: Backend> Session<'c, 'm, B> {
    /// Refuses a read-only server at once, pins the version table to the
    /// schema it was found in (or is created in), then takes the lock: a
    /// script may change `search_path` (a `pg_dump` baseline sets it
    /// empty), and the history writes must still reach the same table. `url`, when the migrator opened the connection itself,
    /// lets a lease be renewed from a second connection.
    pub async fn open(
        job: &'c Job<'m>,
        conn: &'c mut B,
        table: HistoryTable,
        url: Option<&str>,
    ) -> Result<Self, Error> {
        if let Some(sql) = table.dialect().read_only() {
            let read_only = conn
                .fetch_integer(sql_str(sql.to_owned()))
                .await
                .map_err(|source| table.error(source))?;
            if read_only == 1 {
                return Err(Error::ReadOnly {
                    database: lock::describe_database(conn, &table).await,
                });
            }
        }
        // Pinned before the lock, so the lease table is named exactly too.
        let table = match table.dialect().history_schema(table.quoted()) {
            Some(sql) => match conn.fetch_text(sql_str(sql)).await {
                Ok(Some(schema)) => table.in_schema(&schema)?,
                Ok(None) => table,
                Err(source) => return Err(table.error(source)),
            },
            None => table,
        };
        let lock = Lock::acquire(conn, &table, &job.options, url).await?;
        Ok(Session {
            conn,
            job,
            table,
            lock,
            foreign_keys: ForeignKeys::Unread,
            lock_wait: None,
            blockers: match url {
                Some(url) => Blockers::Unread(url.to_owned()),
                None => Blockers::Unseen,
            },
        })
    }

    /// Restores foreign-key enforcement and the lock-wait bound and
    /// releases the lock, whether the work under it (`result`) succeeded or
    /// failed; the work's error wins.
    pub async fn close<T>(mut self, result: Result<T, Error>) -> Result<T, Error> {
        let restored = match self.restore_lock_wait().await {
            Ok(()) => self.restore_foreign_keys().await,
            Err(error) => Err(error),
        };
        let released = self.lock.release(self.conn).await;
        let value = result?;
        restored?;
        released?;
        Ok(value)
    }

    /// Creates the version table if needed, then applies what the plan says.
    pub async fn apply(&mut self, warned: &mut Warned) -> Result<Report, Error> {
        self.create_table().await?;
        self.run_plans(Goal::Apply, warned).await
    }

    /// Reverts every applied migration newer than `target`.
    pub async fn revert(&mut self, target: RevertTarget) -> Result<Report, Error> {
        let version = match target {
            RevertTarget::To(version) => version,
            // Fixed once, under the lock: a re-plan must not move it.
            RevertTarget::Newest => {
                let history = history::list_applied_migrations(self.conn, &self.table).await?;
                let entries = plan::classify(self.job.migrations, history);
                match plan::revert_newest_target(&entries) {
                    Some(version) => version,
                    None => return Ok(Report::new(B::KIND)),
                }
            }
        };
        self.run_plans(Goal::RevertTo(version), &mut Warned::default())
            .await
    }

    /// Records the embedded migrations up to `version` as applied.
    pub async fn stamp(&mut self, version: i64) -> Result<Vec<i64>, Error> {
        self.create_table().await?;
        let history = history::list_applied_migrations(self.conn, &self.table).await?;
        let entries = plan::classify(self.job.migrations, history);
        let migrations = plan::plan_stamp(&entries, version)?;
        self.record_unrun(&migrations, "stamped as applied without running it")
            .await
    }

    /// Records what `peer` applied as applied here, once its history
    /// matches. Decided before the version table is created, so a refusal
    /// leaves none behind.
    pub async fn adopt(&mut self, peer: Peer) -> Result<Adoption, Error> {
        let plan = plan_adoption(self.conn, &self.table, self.job.migrations, peer).await?;
        if !plan.adopt.is_empty() {
            self.create_table().await?;
            self.record_unrun(
                &plan.adopt,
                "adopted as applied from another tool's history",
            )
            .await?;
        }
        Ok(plan.report(B::KIND, peer, false))
    }

    /// Records `migrations` as applied without running them, with the rows
    /// a run writes, in one transaction (where the lease is checked before
    /// it commits). `why` is logged with each.
    async fn record_unrun(
        &mut self,
        migrations: &[&Migration],
        why: &str,
    ) -> Result<Vec<i64>, Error> {
        if migrations.is_empty() {
            return Ok(Vec::new());
        }
        if let Err(error) = self.write_unrun(migrations).await {
            return Err(self.busy_as_lock_timeout(error).await);
        }
        for migration in migrations {
            tracing::info!(target: "migrata", version = migration.version, name = %migration.name, "{why}");
        }
        Ok(migrations.iter().map(|m| m.version).collect())
    }

    async fn write_unrun(&mut self, migrations: &[&Migration]) -> Result<(), Error> {
        let table = &self.table;
        let mut tx = self
            .conn
            .begin_with(table.dialect().begin())
            .await
            .map_err(|source| table.error(source))?;
        for migration in migrations {
            let insert = table.insert(migration, Elapsed::Client(Duration::ZERO));
            tx.execute(sql_str(insert))
                .await
                .map_err(|source| table.error(source))?;
        }
        self.lock.confirm(&mut *tx).await?;
        tx.commit().await.map_err(|source| table.error(source))
    }

    /// Clears the rows marked as failed, or marks them applied, as `choice`
    /// says.
    pub async fn repair(&mut self, choice: Repair) -> Result<Vec<Repaired>, Error> {
        let history = history::list_with_timings(self.conn, &self.table).await?;
        let repairs = repair::plan_repair(&history, choice);
        for repaired in &repairs {
            let sql = match repaired.action {
                RepairAction::Cleared => self.table.delete_failed(repaired.version),
                RepairAction::MarkedApplied => self.table.mark_failed_applied(repaired.version),
            };
            self.lock.confirm(self.conn).await?;
            self.conn
                .execute(sql_str(sql))
                .await
                .map_err(|source| self.table.error(source))?;
            let (version, name) = (repaired.version, &repaired.name);
            let failed = repaired.failed.name();
            match repaired.action {
                RepairAction::Cleared => {
                    tracing::warn!(target: "migrata", version, name = %name, failed_script = %failed, "cleared failed migration; it will run again")
                }
                RepairAction::MarkedApplied => {
                    tracing::warn!(target: "migrata", version, name = %name, failed_script = %failed, "marked failed migration as applied")
                }
            }
        }
        Ok(repairs)
    }

    /// Plans from the history and runs the plan's program. Where no session
    /// lock keeps other migrators out between transactions (SQLite), a unit
    /// that fails because another migrator recorded it first (its script or
    /// history write collides, and its transaction rolls back) is not an
    /// error: the history is read again and the rest re-planned. That keeps
    /// the common path free of per-migration re-checks.
    async fn run_plans(&mut self, goal: Goal, warned: &mut Warned) -> Result<Report, Error> {
        let mut report = Report::new(B::KIND);
        let direction = match goal {
            Goal::Apply => Direction::Up,
            Goal::RevertTo(_) => Direction::Down,
        };
        'plan: loop {
            let mut plan = self.plan(goal).await?;
            warned.log(&plan.warnings);
            report.held = std::mem::take(&mut plan.held);
            let program = program::compile(
                &plan.migrations,
                direction,
                self.job.options.transaction(),
                B::KIND,
                self.job.code,
            )?;
            let mut next = 0;
            while next < program.units.len() {
                match self.execute(&program.units[next..], &mut report).await {
                    Ok(ran) => next += ran,
                    Err(UnitFailed { index, error }) => {
                        let unit = &program.units[next + index];
                        // The history is read with the connection's own wait.
                        // A failure here is the connection's, which the
                        // unit's error already tells.
                        let _ = self.restore_lock_wait().await;
                        // The history's primary key is the arbiter: a unit that
                        // failed because another migrator recorded its steps
                        // first means re-plan, not fail.
                        // If the history cannot be read (the connection is
                        // gone), the unit's own error is the one to report.
                        if !self.changed_meanwhile(unit).await.unwrap_or(false) {
                            return Err(self.busy_as_lock_timeout(error).await);
                        }
                        tracing::info!(target: "migrata", "another migrator got there first; re-planning");
                        continue 'plan;
                    }
                }
            }
            return Ok(report);
        }
    }

    async fn plan(&mut self, goal: Goal) -> Result<Plan<'m>, Error> {
        let history = history::list_applied_migrations(self.conn, &self.table).await?;
        let standing = self.job.classify(history);
        match goal {
            Goal::Apply => {
                // Read under the lock: the decision to apply a contract
                // migration is made once, by the lease's holder.
                let live = if self.job.may_hold() {
                    super::presence::live(self.conn, &self.table).await?
                } else {
                    Vec::new()
                };
                self.job.plan_up(&standing, &live)
            }
            Goal::RevertTo(target) => plan::plan_revert(
                &standing.versioned,
                &self.job.options,
                target,
                self.job.code,
            ),
        }
    }

    async fn create_table(&mut self) -> Result<(), Error> {
        match self.conn.execute(sql_str(self.table.create())).await {
            Ok(_) => Ok(()),
            Err(source) => Err(self.busy_as_lock_timeout(self.table.error(source)).await),
        }
    }

    /// A busy database (SQLite's write lock held past the busy timeout) is a
    /// lock timeout, whichever statement met it.
    pub(super) async fn busy_as_lock_timeout(&mut self, error: Error) -> Error {
        let busy = match &error {
            Error::Migration { error: source, .. } | Error::History { error: source, .. } => {
                matches!(source, sqlx::Error::Database(e) if self.table.dialect().is_busy(e.as_ref()))
            }
            _ => false,
        };
        if !busy {
            return error;
        }
        lock::timeout_error(
            self.conn,
            &self.table,
            self.job.options.lock_timeout(),
            None,
        )
        .await
    }
}

/// Reads `peer`'s history and the version table `table`, and decides what
/// adopting records (see [`adopt::plan`](crate::plan::adopt::plan)).
pub(crate) async fn plan_adoption<'m, B: Backend>(
    conn: &mut B,
    table: &HistoryTable,
    migrations: &'m [Migration],
    peer: Peer,
) -> Result<AdoptionPlan<'m>, Error> {
    let history = history::list_applied_migrations(conn, table).await?;
    let recorded = match conn
        .fetch_peer_history(sql_str(table.dialect().peer_history(peer).to_owned()))
        .await
    {
        Ok(Some(recorded)) => recorded,
        Ok(None) => return Err(Error::NoPeerHistory { peer }),
        Err(source) => {
            return Err(Error::History {
                table: peer.table().to_owned(),
                error: source,
            })
        }
    };
    adopt::plan(peer, migrations, recorded, history)
}

/// The findings a run has logged, so each is logged once however often the
/// run re-plans.
#[derive(Debug, Default)]
pub(crate) struct Warned(Vec<(i64, MigrationState)>);

impl Warned {
    /// Logs each tolerated finding not logged before.
    pub fn log(&mut self, findings: &[Entry<'_>]) {
        for entry in findings {
            let key = (entry.version, entry.state);
            if self.0.contains(&key) {
                continue;
            }
            self.0.push(key);
            let (version, file) = (entry.version, entry.label());
            match entry.state {
                MigrationState::Divergent => {
                    tracing::warn!(target: "migrata", version, file, "applied migration was edited since it ran")
                }
                MigrationState::Missing => {
                    tracing::warn!(target: "migrata", version, name = file, "applied migration is missing from this binary")
                }
                MigrationState::OutOfOrder => {
                    tracing::warn!(target: "migrata", version, file, "applying a migration older than the newest applied one")
                }
                MigrationState::Applied
                | MigrationState::Pending
                | MigrationState::Failed
                | MigrationState::Squashed
                | MigrationState::BehindBaseline => {}
            }
        }
    }
}

/// What a revert ends at.
#[derive(Clone, Copy)]
pub(crate) enum RevertTarget {
    /// Every applied migration newer than this version reverted.
    To(i64),
    /// The newest applied migration reverted.
    Newest,
}

/// A unit that failed: its index among the units given to
/// [`Session::execute`], and why.
pub(crate) struct UnitFailed {
    pub index: usize,
    pub error: Error,
}

/// What a run of plans works towards.
#[derive(Debug, Clone, Copy)]
enum Goal {
    /// Every pending migration, up to the migrator's target.
    Apply,
    /// Every applied migration newer than this version reverted.
    RevertTo(i64),
}
