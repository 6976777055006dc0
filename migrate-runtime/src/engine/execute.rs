//! Executing a step program's units on a live connection.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use sqlx::{SqlSafeStr, SqlStr};

use super::retry::{Retry, Watch};
use super::session::{Blockers, ForeignKeys, Session, UnitFailed};
use migrata_core::{Script, ScriptStatement};

use crate::code::CodeFn;
use crate::driver::{history, Backend, BoxFuture, Executed};
use crate::error::Error;
use crate::model::{ClaimMark, CodeError, Direction, HistoryRow};
use crate::options::LockWait;
use crate::plan::program::{Op, Step, Unit};
use crate::report::{Applied, Report};
use crate::sql::history::{ClaimGuard, Elapsed, HistoryTable, Writer};
use crate::sql::{sql_str, Dialect, ForeignKeySuspension, LockWaitSql};

impl<'m, B: Backend> Session<'_, 'm, B> {
    /// Runs the first of `units`, or, where it goes to the server as one
    /// query string, it and the units after it that can go with it (see
    /// [`run_pipelined`](Self::run_pipelined)); records what they did in
    /// `report` and returns how many ran.
    pub(super) fn execute<'a>(
        &'a mut self,
        units: &'a [Unit<'m>],
        report: &'a mut Report,
    ) -> BoxFuture<'a, Result<usize, UnitFailed>> {
        // Boxed so its `Send` is proved once, generically: the compiler cannot
        // infer it through sqlx's transaction futures for a concrete backend
        // (rust-lang/rust#110338), which would make `run` unusable in `tokio::spawn`.
        Box::pin(async move {
            let Some(unit) = units.first() else {
                return Ok(0);
            };
            let first = |error| UnitFailed { index: 0, error };
            if !unit.transaction {
                self.run_untransacted(unit, report).await.map_err(first)?;
                return Ok(1);
            }
            let suspension = self.suspend_foreign_keys().await.map_err(first)?;
            if let Some((count, fence)) = self.pipelined_prefix(units, suspension).map_err(first)? {
                return self.run_pipelined(&units[..count], &fence, report).await;
            }
            self.run_transaction(unit, suspension, report)
                .await
                .map_err(first)?;
            Ok(1)
        })
    }

    /// Runs a unit's scripts and history writes in one transaction, with
    /// foreign-key enforcement suspended where the transaction cannot
    /// suspend it (see [`ForeignKeys`]), and each lock wait bounded: a try
    /// whose statement gave up waiting rolls back, and the unit is tried
    /// again within the retry budget. The history rows commit with the
    /// scripts, so a rolled-back try recorded nothing and no script runs
    /// twice.
    async fn run_transaction(
        &mut self,
        unit: &Unit<'m>,
        suspension: Option<&ForeignKeySuspension>,
        report: &mut Report,
    ) -> Result<(), Error> {
        let lock_wait = super::lock_wait_sql(&self.job.options, self.table.dialect(), unit);
        let mut retry = Retry::new(self.job.options.lock_retry_budget());
        loop {
            let watch = self.watch().await;
            if let Some(sql) = lock_wait.as_ref().filter(|sql| !sql.after_begin) {
                self.bound_lock_waits(sql).await?;
            }
            let result = self
                .run_in_transaction(
                    unit,
                    suspension,
                    lock_wait.as_ref(),
                    retry.retries(),
                    report,
                )
                .await;
            match result {
                Err(error) => {
                    let wait = self.waited_too_long(error, lock_wait.is_some())?;
                    // The pause renews the lease with the connection's own wait.
                    self.restore_lock_wait().await?;
                    self.pause_or_give_up(&mut retry, wait, watch, true).await?
                }
                Ok(()) => return Ok(()),
            }
        }
    }

    /// How many of `units`, from the first, go to the server together as
    /// one query string ([`run_pipelined`](Self::run_pipelined)), at most
    /// [`MAX_PIPELINED_UNITS`] and, past the first, [`MAX_PIPELINED_BYTES`]
    /// of script. A unit goes that way where the database has a lease
    /// fence and measures a script's duration itself, and the unit is
    /// transactional and runs one script (a unit of several,
    /// single-transaction mode, keeps a transaction sqlx rolls back if the
    /// run is dropped between its strings), with no foreign-key suspension
    /// and no checks (a check refuses its script with an error of its own,
    /// so a script that has checks keeps their round trips); with the
    /// lease fence they send. `None` where the first unit does not go so.
    fn pipelined_prefix(
        &self,
        units: &[Unit<'m>],
        suspension: Option<&ForeignKeySuspension>,
    ) -> Result<Option<(usize, String)>, Error> {
        let dialect = self.table.dialect();
        if suspension.is_some() || dialect.server_elapsed_ms().is_none() {
            return Ok(None);
        }
        let Some(fence) = self.lock.fence_statement()? else {
            return Ok(None);
        };
        let mut bytes = 0;
        let mut count = 0;
        for unit in units.iter().take(MAX_PIPELINED_UNITS) {
            // A bound set before the transaction would not be the unit's own.
            let bound_before = super::lock_wait_sql(&self.job.options, dialect, unit)
                .is_some_and(|sql| !sql.after_begin);
            let Some(step) = pipelined_step(unit)?.filter(|_| !bound_before) else {
                break;
            };
            bytes += step.script.sql().len();
            if count > 0 && bytes > MAX_PIPELINED_BYTES {
                break;
            }
            count += 1;
        }
        Ok((count > 0).then_some((count, fence)))
    }

    /// Runs `units`, each a one-script transactional unit (see
    /// [`pipelined_prefix`](Self::pipelined_prefix)), as one query string:
    /// one round trip (see [`pipelined`]). Where a statement gives up
    /// waiting for a lock, the units from the one it belongs to are tried
    /// again within the retry budget; the ones before it are committed and
    /// do not run again.
    async fn run_pipelined(
        &mut self,
        units: &[Unit<'m>],
        fence: &str,
        report: &mut Report,
    ) -> Result<usize, UnitFailed> {
        let mut done = 0;
        let mut alone = false;
        let mut retry = Retry::new(self.job.options.lock_retry_budget());
        loop {
            let watch = self.watch().await;
            let batch = match alone {
                true => &units[done..=done],
                false => &units[done..],
            };
            let (committed, result) = self
                .run_pipelined_once(batch, fence, retry.retries(), report)
                .await;
            if committed > 0 {
                // The unit that failed is another: its own tries start now.
                done += committed;
                retry = Retry::new(self.job.options.lock_retry_budget());
            }
            let at = |error| UnitFailed { index: done, error };
            let bounded = matches!(self.job.options.lock_wait(), LockWait::Max(_));
            match result {
                Ok(()) if done == units.len() => return Ok(done),
                Ok(()) => alone = false,
                // PostgreSQL parses a whole string before it runs any of
                // it: a syntax error in any unit fails the first. Sent
                // alone, the first says whether the error is its own.
                Err(Error::Migration { .. }) if committed == 0 && batch.len() > 1 => alone = true,
                Err(error) => {
                    let wait = self.waited_too_long(error, bounded).map_err(at)?;
                    self.restore_lock_wait().await.map_err(at)?;
                    self.pause_or_give_up(&mut retry, wait, watch, true)
                        .await
                        .map_err(at)?
                }
            }
        }
    }

    /// One try of [`run_pipelined`](Self::run_pipelined): how many of
    /// `units` committed, and the error that stopped the rest. The server
    /// runs the string's statements in order and stops at the first error.
    /// A lone unit's string is one implicit transaction, committed at its
    /// end and rolled back at its first error; no transaction is left open,
    /// not even when the run is dropped while the server works. Several
    /// units each get an explicit `BEGIN` … `COMMIT`: each commits on its
    /// own, an error aborts the transaction it is in and skips the rest, and
    /// the session stays in that aborted transaction until the `ROLLBACK`
    /// sent here (a run dropped at that moment leaves it so, on a plain
    /// connection handed over; the migrator's own connections, and those of
    /// a pool, are closed). The failed unit is then the first the history,
    /// read again, does not record as done: each row commits with its
    /// script.
    async fn run_pipelined_once(
        &mut self,
        units: &[Unit<'m>],
        fence: &str,
        retries: u32,
        report: &mut Report,
    ) -> (usize, Result<(), Error>) {
        let dialect = self.table.dialect();
        let (steps, mut blocks): (Vec<&Step<'m>>, Vec<String>) = units
            .iter()
            .filter_map(|unit| {
                let lock_wait = super::lock_wait_sql(&self.job.options, dialect, unit);
                pipelined(unit, &self.table, lock_wait.as_ref(), fence)
            })
            .unzip();
        let (Some(&first), Some(&last)) = (steps.first(), steps.last()) else {
            return (0, Ok(()));
        };
        let string = match blocks.len() {
            1 => blocks.swap_remove(0),
            _ => blocks
                .iter()
                .map(|block| format!("{}\n;\n{block}\n;\nCOMMIT", dialect.begin()))
                .collect::<Vec<_>>()
                .join("\n;\n"),
        };
        let started = Instant::now();
        for step in &steps {
            starting(step);
        }
        if steps.len() > 1 {
            tracing::info!(
                target: "migrata",
                count = steps.len(),
                first = first.migration.version,
                last = last.migration.version,
                "sending migrations together in one query string"
            );
        }
        let (marks, result) = match self
            .conn
            .execute_each(sql_str(string), Some(ELAPSED_MARKER))
            .await
        {
            Ok(done) => (done.marks, Ok(())),
            Err(stopped) => (stopped.done.marks, Err(stopped.error)),
        };
        let finish_first = |count: usize, report: &mut Report| {
            for (index, step) in steps.iter().take(count).enumerate() {
                let duration = match marks.get(index) {
                    Some(&ms) => Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
                    None => started.elapsed(),
                };
                let retries = if index == 0 { retries } else { 0 };
                finish(B::KIND.name(), step, duration, retries, report);
            }
        };
        let source = match result {
            Ok(()) => {
                finish_first(steps.len(), report);
                return (units.len(), Ok(()));
            }
            Err(source) => source,
        };
        // The server may have committed any of them before the connection went.
        let unknown = |source| Error::OutcomeUnknown {
            version: last.migration.version,
            file: last.script.file.to_string(),
            sent_with: steps.len() - 1,
            error: source,
        };
        if connection_lost(&source) {
            return (0, Err(unknown(source)));
        }
        let committed = if steps.len() == 1 {
            0
        } else {
            // The script's error is the one to report, not the one the
            // connection gives next.
            if self
                .conn
                .execute(sql_str(ROLLBACK.to_owned()))
                .await
                .is_err()
            {
                return (0, Err(unknown(source)));
            }
            match history::list_applied_migrations(self.conn, &self.table).await {
                // A unit committed only after its history row sent its
                // mark: rows another migrator wrote since (it took the
                // lease over) are not this run's.
                Ok(rows) => committed_prefix(units, &rows)
                    .min(steps.len() - 1)
                    .min(marks.len()),
                Err(_) => return (0, Err(unknown(source))),
            }
        };
        finish_first(committed, report);
        let step = steps.get(committed).copied().unwrap_or(first);
        let error = match &source {
            sqlx::Error::Database(e) if dialect.is_lease_lost(e.as_ref()) => self.lock.lost(),
            _ => failed(step, source),
        };
        (committed, Err(error))
    }

    /// Bounds lock waits with `sql` (set before a transaction, or around a
    /// script outside one), unless it is in effect already: set once for
    /// the units that follow, not around each (two statements, on MySQL
    /// two round trips, per migration), and restored before anything that
    /// must wait as the connection did (an exempt script, a pause between
    /// tries of a transaction, reading the history after a failure,
    /// closing the session).
    async fn bound_lock_waits(&mut self, sql: &LockWaitSql) -> Result<(), Error> {
        if self.lock_wait.as_ref() == Some(sql) {
            return Ok(());
        }
        self.restore_lock_wait().await?;
        self.execute_own(&sql.set).await?;
        self.lock_wait = Some(sql.clone());
        Ok(())
    }

    /// Puts back the wait [`bound_lock_waits`](Self::bound_lock_waits) replaced.
    pub(super) async fn restore_lock_wait(&mut self) -> Result<(), Error> {
        if let Some(restore) = self.lock_wait.take().and_then(|sql| sql.restore) {
            self.execute_own(&restore).await?;
        }
        Ok(())
    }

    /// Runs one of this crate's own statements (session settings).
    async fn execute_own(&mut self, sql: &str) -> Result<(), Error> {
        self.conn
            .execute(sql_str(sql.to_owned()))
            .await
            .map(drop)
            .map_err(|source| self.table.error(source))
    }

    /// A watch on what keeps this session waiting for a lock during the
    /// next try, where lock waits are bounded and the migrator can open a
    /// second connection; the session's id is read the first time.
    async fn watch(&mut self) -> Option<Watch> {
        let LockWait::Max(wait) = self.job.options.lock_wait() else {
            return None;
        };
        if let Blockers::Unread(url) = &self.blockers {
            let url = url.clone();
            let dialect = self.table.dialect();
            self.blockers = match dialect.session_id() {
                Some(sql) => match self.conn.fetch_integer(sql_str(sql.to_owned())).await {
                    Ok(id) => Blockers::Query {
                        url,
                        query: dialect.blockers(id),
                    },
                    Err(_) => Blockers::Unseen,
                },
                None => Blockers::Unseen,
            };
        }
        match &self.blockers {
            Blockers::Query { url, query } => Some(Watch::start::<B>(url, query.clone(), wait)),
            Blockers::Unread(_) | Blockers::Unseen => None,
        }
    }

    /// `error`, if it is a script's statement (or a check) giving up
    /// waiting for a lock under the bound this crate set (`bounded`), as
    /// such; else `error` itself.
    fn waited_too_long(&self, error: Error, bounded: bool) -> Result<LockWaitFailure, Error> {
        let dialect = self.table.dialect();
        let is_lock_wait = |source: &sqlx::Error| {
            bounded
                && matches!(source, sqlx::Error::Database(e) if dialect.is_lock_wait(e.as_ref()))
        };
        match error {
            Error::Migration {
                version,
                file,
                error,
                ..
            }
            | Error::CheckFailed {
                version,
                file,
                error: Some(error),
                ..
            } if is_lock_wait(&error) => Ok(LockWaitFailure {
                version,
                file,
                error,
            }),
            other => Err(other),
        }
    }

    /// After a try that gave up waiting for a lock: logs it with what held
    /// the lock, waits, and keeps the lease, so the caller tries again; or,
    /// when it may not (`may_retry`) or the budget is spent, the error
    /// naming what held the lock.
    async fn pause_or_give_up(
        &mut self,
        retry: &mut Retry,
        wait: LockWaitFailure,
        watch: Option<Watch>,
        may_retry: bool,
    ) -> Result<(), Error> {
        let blocker = watch.as_ref().and_then(Watch::seen);
        drop(watch);
        let pause = if may_retry { retry.next_pause() } else { None };
        let LockWaitFailure {
            version,
            file,
            error,
        } = wait;
        let Some(pause) = pause else {
            let lock_wait = match self.job.options.lock_wait() {
                LockWait::Max(wait) => self.table.dialect().effective_lock_wait(wait),
                LockWait::Off => Duration::ZERO,
            };
            return Err(Error::LockWaitExhausted {
                version,
                file,
                blocker: blocker.map(String::into_boxed_str),
                attempts: retry.attempts(),
                lock_wait,
                retried: may_retry && !self.job.options.lock_retry_budget().is_zero(),
                error,
                left_failed: false,
            });
        };
        tracing::info!(
            target: "migrata",
            version,
            file = %file,
            retry = retry.retries(),
            blocker = blocker.as_deref().unwrap_or("not seen"),
            pause_ms = pause.as_millis() as u64,
            "a statement waited longer than lock_wait for a lock and was rolled back; trying again"
        );
        tokio::time::sleep(pause).await;
        self.lock.keep(self.conn).await
    }

    /// Switches foreign-key enforcement off for the transactions that
    /// follow, if the connection enforces it; returns the suspension in
    /// effect.
    async fn suspend_foreign_keys(
        &mut self,
    ) -> Result<Option<&'static ForeignKeySuspension>, Error> {
        let suspension = match self.foreign_keys {
            ForeignKeys::NotSuspended => return Ok(None),
            ForeignKeys::Suspended(suspension) => return Ok(Some(suspension)),
            ForeignKeys::Unread => {
                let Some(suspension) = self.table.dialect().foreign_key_suspension() else {
                    self.foreign_keys = ForeignKeys::NotSuspended;
                    return Ok(None);
                };
                let enforced = self
                    .conn
                    .fetch_integer(sql_str(suspension.enforced.to_owned()))
                    .await
                    .map_err(|source| self.table.error(source))?;
                if enforced != 1 {
                    self.foreign_keys = ForeignKeys::NotSuspended;
                    return Ok(None);
                }
                suspension
            }
        };
        self.conn
            .execute(sql_str(suspension.off.to_owned()))
            .await
            .map_err(|source| self.table.error(source))?;
        self.foreign_keys = ForeignKeys::Suspended(suspension);
        Ok(Some(suspension))
    }

    /// Switches foreign-key enforcement back on where this session switched
    /// it off. What comes next reads it again: a script outside a
    /// transaction may set it.
    pub(super) async fn restore_foreign_keys(&mut self) -> Result<(), Error> {
        if let ForeignKeys::Suspended(suspension) = self.foreign_keys {
            self.conn
                .execute(sql_str(suspension.on.to_owned()))
                .await
                .map_err(|source| self.table.error(source))?;
        }
        self.foreign_keys = ForeignKeys::Unread;
        Ok(())
    }

    /// Where the server measures durations, a script and its history row go
    /// in one round trip. With `suspension`, each script is checked for rows
    /// left without their parent before the transaction goes on.
    async fn run_in_transaction(
        &mut self,
        unit: &Unit<'m>,
        suspension: Option<&ForeignKeySuspension>,
        lock_wait: Option<&LockWaitSql>,
        retries: u32,
        report: &mut Report,
    ) -> Result<(), Error> {
        let (Some(first), Some(last)) = (unit.ops.first(), unit.ops.last()) else {
            return Ok(());
        };
        let dialect = self.table.dialect();
        let fuse = dialect.server_elapsed_ms().is_some();
        let mut tx = self
            .conn
            .begin_with(dialect.begin())
            .await
            .map_err(|source| failed(first.step(), source))?;
        if let Some(sql) = lock_wait.filter(|sql| sql.after_begin) {
            tx.execute(sql_str(sql.set.clone()))
                .await
                .map_err(|source| self.table.error(source))?;
        }
        let mut done = Vec::new();
        let mut started = Instant::now();
        let mut fenced = false;
        let mut ops = unit.ops.iter().peekable();
        while let Some(op) = ops.next() {
            let step = op.step();
            let mut records = matches!(op, Op::Record(_));
            // An applied migration's row, written only where the script
            // left no row without its parent and, last in the unit, only
            // while the lease is held: a check and the fence in the
            // history row's own statement.
            let recorded_if = match op {
                Op::Record(_) if step.direction == Direction::Up => {
                    let lease = match ops.peek() {
                        None => self.lock.fence_condition()?,
                        Some(_) => None,
                    };
                    fenced = lease.is_some();
                    let conditions: Vec<&str> = suspension
                        .map(|suspension| suspension.none_violated)
                        .into_iter()
                        .chain(lease.as_deref())
                        .collect();
                    (!conditions.is_empty()).then(|| conditions.join(" AND "))
                }
                _ => None,
            };
            if matches!(op, Op::Run(_)) {
                run_checks(&mut *tx, dialect, step).await?;
            }
            let pieces = match (op, step.code) {
                (Op::Run(_), Some(code)) => {
                    started = starting(step);
                    run_code(code, &mut *tx, step).await?;
                    still_in_transaction(&mut *tx, dialect, step).await?;
                    Vec::new()
                }
                (Op::Run(_), None) => {
                    started = starting(step);
                    let record = ops
                        .next_if(|next| fuse && matches!(next, Op::Record(_)))
                        .and_then(|record| {
                            self.table
                                .write_for(record, Elapsed::Server, Writer::Transaction)
                        });
                    match record {
                        Some(record) => {
                            records = true;
                            vec![sql_str(format!("{}\n;\n{record}", step.script.sql()))]
                        }
                        None if is_empty(step, dialect) => continue,
                        None => script_pieces(step.script, dialect),
                    }
                }
                _ => {
                    let elapsed = Elapsed::Client(started.elapsed());
                    let writer = match &recorded_if {
                        Some(condition) => Writer::TransactionIf(condition),
                        None => Writer::Transaction,
                    };
                    match self.table.write_for(op, elapsed, writer) {
                        Some(sql) if recorded_if.is_some() => {
                            let written = tx
                                .execute(sql_str(sql))
                                .await
                                .map_err(|source| failed(step, source))?;
                            if written != 1 {
                                return Err(
                                    refused_record(&mut *tx, suspension, &self.lock, step).await
                                );
                            }
                            done.push((*step, started.elapsed()));
                            continue;
                        }
                        Some(sql) => vec![sql_str(sql)],
                        None => continue,
                    }
                }
            };
            for piece in pieces {
                tx.execute(piece)
                    .await
                    .map_err(|source| failed(step, source))?;
            }
            let checked_by_record =
                matches!(ops.peek(), Some(Op::Record(next)) if next.direction == Direction::Up);
            if let (Op::Run(_), Some(suspension), false) = (op, suspension, checked_by_record) {
                check_foreign_keys(&mut *tx, suspension, step).await?;
            }
            if records {
                done.push((*step, started.elapsed()));
            }
        }
        // Inside the transaction: if the lease was lost, nothing commits.
        if !fenced {
            self.lock.confirm(&mut *tx).await?;
        }
        tx.commit().await.map_err(|source| {
            if connection_lost(&source) {
                // The server may have committed before the connection went.
                Error::OutcomeUnknown {
                    version: last.step().migration.version,
                    file: last.step().script.file.to_string(),
                    sent_with: 0,
                    error: source,
                }
            } else {
                failed(last.step(), source)
            }
        })?;
        for (step, duration) in done {
            finish(B::KIND.name(), &step, duration, retries, report);
        }
        Ok(())
    }

    /// Runs a script outside any transaction, between its claim (a history
    /// row marked not successful) and its settle. A failure in between
    /// (the script's, or a lost connection's) leaves the row marked failed,
    /// and its error says so.
    async fn run_untransacted(
        &mut self,
        unit: &Unit<'m>,
        report: &mut Report,
    ) -> Result<(), Error> {
        let lock_wait = super::lock_wait_sql(&self.job.options, self.table.dialect(), unit);
        match &lock_wait {
            Some(sql) => self.bound_lock_waits(sql).await?,
            // Exempt: it waits as the connection did.
            None => self.restore_lock_wait().await?,
        }
        let mut claimed = false;
        let result = self
            .run_claimed(unit, report, lock_wait.is_some(), &mut claimed)
            .await;
        match result {
            Err(error) if claimed => Err(left_failed(error)),
            result => result,
        }
    }

    /// [`run_untransacted`](Self::run_untransacted)'s steps; `claimed` is
    /// whether a claimed row is not settled yet. The checks run before the
    /// claim, so a refusal leaves no row; `bounded` says whether this crate
    /// bounded the lock waits.
    async fn run_claimed(
        &mut self,
        unit: &Unit<'m>,
        report: &mut Report,
        bounded: bool,
        claimed: &mut bool,
    ) -> Result<(), Error> {
        // The script runs with enforcement as the connection had it.
        self.restore_foreign_keys().await?;
        let dialect = self.table.dialect();
        let mut started = Instant::now();
        let mut retries = 0;
        let guard = match unit.ops.first() {
            Some(op) => {
                run_checks(self.conn, dialect, op.step()).await?;
                ClaimGuard {
                    mark: ClaimMark::new(op.step().direction),
                    fence: self.lock.fence(),
                }
            }
            None => return Ok(()),
        };
        if let Some((step, statements)) = one_string_script(unit, dialect)? {
            if let Some(confirm) = self.lock.confirm_in_string()? {
                let script = OneString {
                    unit,
                    step,
                    statements: &statements,
                    guard: &guard,
                    confirm: &confirm,
                };
                return self
                    .run_in_one_string(script, bounded, claimed, report)
                    .await;
            }
        }
        for op in &unit.ops {
            let step = op.step();
            match op {
                Op::Run(_) if step.code.is_none() && is_empty(step, dialect) => {
                    started = Instant::now()
                }
                Op::Run(_) => {
                    let mut retry = Retry::new(self.job.options.lock_retry_budget());
                    started = starting(step);
                    match untransacted_statements(step, dialect) {
                        // A statement that gave up waiting for a lock did
                        // nothing (it ran alone, in its own transaction):
                        // it alone runs again, after those that succeeded.
                        Some(statements) => {
                            for statement in &statements {
                                let attempt = Attempt::Statement(statement);
                                self.retry_on_lock_waits(
                                    &mut retry, bounded, bounded, step, attempt,
                                )
                                .await?;
                            }
                        }
                        // Code, or a script sent whole: a try may have done
                        // part of its work, so only a script that says it
                        // may be repeated is tried again.
                        None => {
                            let retry_safe = bounded && step.directives()?.retry_safe;
                            let attempt = Attempt::Whole;
                            self.retry_on_lock_waits(
                                &mut retry, bounded, retry_safe, step, attempt,
                            )
                            .await?;
                        }
                    }
                    retries = retry.retries();
                    *claimed = true;
                }
                _ => {
                    if matches!(op, Op::Claim(_)) {
                        self.lock.confirm(self.conn).await?;
                    }
                    let duration = started.elapsed();
                    let elapsed = Elapsed::Client(duration);
                    let Some(sql) = self.table.write_for(op, elapsed, Writer::Claimed(&guard))
                    else {
                        continue;
                    };
                    let written = self
                        .conn
                        .execute(sql_str(sql))
                        .await
                        .map_err(|source| failed(step, source))?;
                    match op {
                        Op::Claim(_) => *claimed = true,
                        Op::Settle(_) => *claimed = false,
                        _ => {}
                    }
                    if matches!(op, Op::Settle(_)) {
                        if written != 1 {
                            // A lost lease is why, when it is.
                            self.lock.confirm(self.conn).await?;
                            return Err(Error::HistoryRowVanished {
                                version: step.migration.version,
                                file: step.script.file.to_string(),
                            });
                        }
                        finish(B::KIND.name(), step, duration, retries, report);
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs an untransacted unit as one query string per try, one round
    /// trip: the lease's renewal and check, the history writes before the
    /// script (the claim), the script's statements and the settle, which
    /// the server runs one after another, each committed by itself, and
    /// stops at the first error. The part that failed is the one after
    /// those whose results arrived: a statement is named by its line, and
    /// the row is left marked failed with the statements before it done,
    /// as when each is sent alone. A statement that gave up waiting for a
    /// lock did nothing: after the pause the next try starts at it, the
    /// lease checked again, the claim and the statements before it not
    /// repeated. The settle measures the script on the server, from its
    /// claim.
    async fn run_in_one_string(
        &mut self,
        script: OneString<'_, '_, 'm>,
        bounded: bool,
        claimed: &mut bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        let OneString {
            step, statements, ..
        } = script;
        let mut retry = Retry::new(self.job.options.lock_retry_budget());
        let started = starting(step);
        let mut next = 0;
        loop {
            let (sql, parts) = script.string(&self.table, next, *claimed);
            let watch = self.watch().await;
            let stopped = match self.conn.execute_each(sql_str(sql), None).await {
                Ok(Executed { rows_affected, .. }) => {
                    self.lock.confirmed();
                    *claimed = false;
                    if rows_affected.last() != Some(&1) {
                        // A lost lease is why, when it is.
                        self.lock.confirm(self.conn).await?;
                        return Err(Error::HistoryRowVanished {
                            version: step.migration.version,
                            file: step.script.file.to_string(),
                        });
                    }
                    finish(
                        B::KIND.name(),
                        step,
                        started.elapsed(),
                        retry.retries(),
                        report,
                    );
                    return Ok(());
                }
                Err(stopped) => stopped,
            };
            let source = stopped.error;
            if connection_lost(&source) {
                // How far the server got is not known: the claim may
                // have been written, and statements run.
                *claimed = true;
                return Err(failed(step, source));
            }
            let part = parts.get(stopped.done.rows_affected.len()).copied();
            if part > Some(Part::LeaseCheck) {
                self.lock.confirmed();
            }
            let error = match part {
                Some(Part::Renewal) => Error::Lock { error: source },
                Some(Part::LeaseCheck) => match &source {
                    sqlx::Error::Database(e) if self.table.dialect().is_lease_lost(e.as_ref()) => {
                        self.lock.lost()
                    }
                    _ => Error::Lock { error: source },
                },
                Some(Part::Before) => failed(step, source),
                Some(Part::Statement(index)) => {
                    *claimed = true;
                    let error = failed_at(step, statements[index].line, source);
                    let wait = self.waited_too_long(error, bounded)?;
                    self.pause_or_give_up(&mut retry, wait, watch, bounded)
                        .await?;
                    next = index;
                    continue;
                }
                Some(Part::Settle) | None => {
                    *claimed = true;
                    failed(step, source)
                }
            };
            return Err(error);
        }
    }

    /// Runs `attempt` until it does not give up waiting for a lock, pausing
    /// between tries while `may_retry` and the budget allow.
    async fn retry_on_lock_waits(
        &mut self,
        retry: &mut Retry,
        bounded: bool,
        may_retry: bool,
        step: &Step<'m>,
        attempt: Attempt<'_>,
    ) -> Result<(), Error> {
        loop {
            let watch = self.watch().await;
            let tried = match attempt {
                Attempt::Statement(statement) => self
                    .conn
                    .execute(sql_str(statement.text.to_owned()))
                    .await
                    .map(drop)
                    .map_err(|source| failed_at(step, statement.line, source)),
                Attempt::Whole => self.run_outside_transaction(step).await,
            };
            match tried {
                Ok(()) => return Ok(()),
                Err(error) => {
                    let wait = self.waited_too_long(error, bounded)?;
                    self.pause_or_give_up(retry, wait, watch, may_retry).await?;
                }
            }
        }
    }

    /// One try of a step outside a transaction that is not sent statement
    /// by statement: its code, or its script whole.
    async fn run_outside_transaction(&mut self, step: &Step<'m>) -> Result<(), Error> {
        if let Some(code) = step.code {
            return run_code(code, self.conn, step).await;
        }
        for piece in script_pieces(step.script, self.table.dialect()) {
            self.conn
                .execute(piece)
                .await
                .map_err(|source| failed(step, source))?;
        }
        Ok(())
    }

    /// Whether another migrator recorded (or, reverting, removed) any step
    /// of a failed transactional `unit` since the plan was made.
    pub(super) async fn changed_meanwhile(&mut self, unit: &Unit<'m>) -> Result<bool, Error> {
        // An untransacted step's failure leaves its own failed row behind:
        // never mistake that for another migrator's.
        if !unit.transaction {
            return Ok(false);
        }
        for op in unit.ops.iter().filter(|op| matches!(op, Op::Record(_))) {
            let step = op.step();
            let row = history::find(self.conn, &self.table, step.migration.version).await?;
            if is_recorded(step, row.as_ref()) != (step.direction == Direction::Down) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// At most this many units go together in one query string (see
/// [`Session::run_pipelined`]), so a long run does not become one giant
/// string, and a failure near its end re-sends a bounded rest.
const MAX_PIPELINED_UNITS: usize = 100;

/// At most this many bytes of script go together in one query string,
/// beyond the first unit's (which goes whole, however long).
const MAX_PIPELINED_BYTES: usize = 1 << 20;

/// The column of the row each pipelined unit returns after its script: its
/// duration, measured on the server.
const ELAPSED_MARKER: &str = "migrata_elapsed_ms";

const ROLLBACK: &str = "ROLLBACK";

/// The one step of a unit that can go in a query string with others (see
/// [`Session::pipelined_prefix`]), or `None`.
fn pipelined_step<'u, 'm>(unit: &'u Unit<'m>) -> Result<Option<&'u Step<'m>>, Error> {
    if !unit.transaction {
        return Ok(None);
    }
    let mut runs = unit.ops.iter().filter(|op| matches!(op, Op::Run(_)));
    let (Some(run), None) = (runs.next(), runs.next()) else {
        return Ok(None);
    };
    let step = run.step();
    if step.code.is_some() || !step.directives()?.checks.is_empty() {
        return Ok(None);
    }
    Ok(Some(step))
}

/// A one-script transactional unit as statements of a query string: the
/// mark its duration is measured from, the lock-wait bound, the script,
/// its history writes (which measure it on the server, and return that as
/// a row named [`ELAPSED_MARKER`]; a revert's statement of its own does)
/// and the lease fence; and the step a
/// failure is reported for. No `BEGIN` or `COMMIT` (see
/// [`Session::run_pipelined_once`]). `None` for a unit without a step.
fn pipelined<'u, 'm>(
    unit: &'u Unit<'m>,
    table: &HistoryTable,
    lock_wait: Option<&LockWaitSql>,
    fence: &str,
) -> Option<(&'u Step<'m>, String)> {
    let step = unit.ops.first()?.step();
    let dialect = table.dialect();
    let mut statements: Vec<String> = dialect
        .elapsed_mark()
        .map(str::to_owned)
        .into_iter()
        .collect();
    statements.extend(
        lock_wait
            .filter(|sql| sql.after_begin)
            .map(|sql| sql.set.clone()),
    );
    // An applied migration's row returns the duration it records; a
    // reverted one's has none to return, so a statement of its own does.
    let records_applied =
        |op: &Op<'_>| matches!(op, Op::Record(_)) && op.step().direction == Direction::Up;
    let row_returns_duration = unit.ops.iter().any(records_applied);
    for op in &unit.ops {
        match op {
            Op::Run(run) => {
                statements.push(run.script.sql().to_owned());
                if let (Some(elapsed), false) = (dialect.server_elapsed_ms(), row_returns_duration)
                {
                    statements.push(format!("SELECT {elapsed} AS {ELAPSED_MARKER}"));
                }
            }
            _ => statements.extend(
                table
                    .write_for(op, Elapsed::Server, Writer::Transaction)
                    .map(|write| match records_applied(op) {
                        true => format!("{write} RETURNING duration_ms AS {ELAPSED_MARKER}"),
                        false => write,
                    }),
            ),
        }
    }
    statements.push(fence.to_owned());
    Some((step, statements.join("\n;\n")))
}

/// How many of `units`, from the first, the history `rows` record as done
/// (applied, or reverted).
fn committed_prefix(units: &[Unit<'_>], rows: &[HistoryRow]) -> usize {
    units
        .iter()
        .take_while(|unit| {
            unit.ops
                .iter()
                .filter(|op| matches!(op, Op::Record(_)))
                .all(|op| {
                    let step = op.step();
                    let row = rows
                        .iter()
                        .find(|row| row.version == step.migration.version);
                    is_recorded(step, row) != (step.direction == Direction::Down)
                })
        })
        .count()
}

/// Whether `row` is `step`'s migration's: a repeatable migration's row of
/// a previous version is not.
fn is_recorded(step: &Step<'_>, row: Option<&HistoryRow>) -> bool {
    row.is_some_and(|row| {
        !step.migration.is_repeatable() || step.migration.checksum.matches_hex(&row.checksum)
    })
}

/// Fails with the rows `step`'s script left without their parent, if any.
async fn check_foreign_keys<B: Backend>(
    conn: &mut B,
    suspension: &ForeignKeySuspension,
    step: &Step<'_>,
) -> Result<(), Error> {
    let violations = conn
        .fetch_text(sql_str(suspension.violations.to_owned()))
        .await
        .map_err(|source| failed(step, source))?;
    match violations {
        Some(violations) => Err(Error::ForeignKeyViolation {
            version: step.migration.version,
            file: step.script.file.to_string(),
            violations,
        }),
        None => Ok(()),
    }
}

/// Why a history row written only where its conditions held was not:
/// rows left without their parent, else the lease, lost.
async fn refused_record<B: Backend>(
    conn: &mut B,
    suspension: Option<&ForeignKeySuspension>,
    lock: &super::lock::Lock,
    step: &Step<'_>,
) -> Error {
    if let Some(suspension) = suspension {
        if let Err(error) = check_foreign_keys(conn, suspension, step).await {
            return error;
        }
    }
    lock.lost()
}

/// A script's statement (or check) that gave up waiting for a lock.
struct LockWaitFailure {
    version: i64,
    file: String,
    error: sqlx::Error,
}

/// Runs the `-- migrate:check` queries of `step` over `conn` (inside the
/// unit's transaction where it has one): a check that does not return
/// true, or fails, refuses the migration.
async fn run_checks<B: Backend>(
    conn: &mut B,
    dialect: &dyn Dialect,
    step: &Step<'_>,
) -> Result<(), Error> {
    for check in step.directives()?.checks {
        let passed = conn.fetch_integer(sql_str(dialect.check(&check.sql))).await;
        let error = match passed {
            Ok(1) => continue,
            Ok(_) => None,
            Err(error) => Some(error),
        };
        return Err(Error::CheckFailed {
            version: step.migration.version,
            file: step.script.file.to_string(),
            line: check.line,
            check: check.sql,
            error,
        });
    }
    Ok(())
}

/// Runs a code migration's function over `conn`: inside the unit's
/// transaction, or outside any between its claim and settle.
async fn run_code<B: Backend>(code: CodeFn, conn: &mut B, step: &Step<'_>) -> Result<(), Error> {
    let mut conn = conn.code_connection();
    code(&mut conn)
        .await
        .map_err(|error| code_failed(step, error))
}

/// Refuses to record a code migration that ended the runner's transaction
/// itself (`COMMIT`, `ROLLBACK`): its row would no longer commit with its
/// effects, and sqlx's own count of open transactions would be wrong.
async fn still_in_transaction<B: Backend>(
    conn: &mut B,
    dialect: &dyn Dialect,
    step: &Step<'_>,
) -> Result<(), Error> {
    let Some(probe) = dialect.transaction_probe() else {
        return Ok(());
    };
    let failed = conn.execute(sql_str(probe.sql.to_owned())).await.is_err();
    if failed == probe.fails_inside {
        return Ok(());
    }
    Err(Error::CodeEndedTransaction {
        version: step.migration.version,
        file: step.script.file.to_string(),
    })
}

/// A code migration's error, named like a script's: a database error is
/// [`Error::Migration`], as a script's would be (so a busy database is a
/// lock timeout there too), anything else [`Error::Code`].
fn code_failed(step: &Step<'_>, error: CodeError) -> Error {
    match error.downcast::<sqlx::Error>() {
        Ok(source) => failed(step, *source),
        Err(source) => Error::Code {
            version: step.migration.version,
            file: step.script.file.to_string(),
            error: source,
            left_failed: false,
        },
    }
}

/// What one try outside a transaction runs.
#[derive(Clone, Copy)]
enum Attempt<'a> {
    /// One statement of a script sent statement by statement.
    Statement(&'a ScriptStatement<'a>),
    /// A step's code, or its script sent whole.
    Whole,
}

/// A script's statements, where the database runs scripts outside a
/// transaction one statement at a time (`None`: code, or a script sent
/// whole).
fn untransacted_statements<'m>(
    step: &Step<'m>,
    dialect: &dyn Dialect,
) -> Option<Vec<ScriptStatement<'m>>> {
    (step.code.is_none() && dialect.splits_untransacted_scripts())
        .then(|| migrata_core::script_statements(step.script.sql(), dialect.sql_flavor()))
}

/// The step and statements of an untransacted unit whose script can go
/// to the server in one query string with its history writes
/// ([`OneString`]), on a database whose lease has a check for such a
/// string ([`Dialect::lease_held_check`]): a script sent statement by
/// statement, none of them a `CALL` (or an `EXECUTE`, which may run one),
/// whose procedure sends a result per result set besides its own, so the
/// results would no longer count the statements. `None`: the unit keeps a
/// round trip per statement.
fn one_string_script<'u, 'm>(
    unit: &'u Unit<'m>,
    dialect: &dyn Dialect,
) -> Result<Option<(&'u Step<'m>, Vec<ScriptStatement<'m>>)>, Error> {
    let mut runs = unit.ops.iter().filter(|op| matches!(op, Op::Run(_)));
    let (Some(run), None) = (runs.next(), runs.next()) else {
        return Ok(None);
    };
    let step = run.step();
    let Some(statements) = untransacted_statements(step, dialect) else {
        return Ok(None);
    };
    let sends_results = |verb: &str| {
        SENDS_RESULTS_OF_ITS_OWN
            .iter()
            .any(|own| verb.eq_ignore_ascii_case(own))
    };
    if statements
        .iter()
        .any(|statement| statement.verb.is_some_and(sends_results))
        || changes_delimiter(step.script.sql())
        || step.script.sql().len() > MAX_ONE_STRING_BYTES
    {
        return Ok(None);
    }
    Ok(Some((step, statements)))
}

/// First words of MySQL statements that may send more than one result
/// (a procedure's result sets; a MariaDB compound statement's inner
/// statements), so counting results would no longer count statements.
const SENDS_RESULTS_OF_ITS_OWN: [&str; 8] = [
    "CALL", "EXECUTE", "BEGIN", "IF", "CASE", "LOOP", "REPEAT", "WHILE",
];

/// A script longer than this keeps a round trip per statement: one
/// string must fit the server's packet limit (MariaDB's default
/// `max_allowed_packet` is 16 MiB), which each statement alone did.
const MAX_ONE_STRING_BYTES: usize = 1024 * 1024;

/// Whether a MySQL script has the client's `DELIMITER` lines: a piece
/// between custom delimiters may end in `;` or hold several statements,
/// which the server would count as more than one. Such scripts (triggers,
/// procedures) keep a round trip per statement.
fn changes_delimiter(sql: &str) -> bool {
    sql.lines().any(|line| {
        line.trim_start()
            .get(..10)
            .is_some_and(|word| word.eq_ignore_ascii_case("DELIMITER "))
    })
}

/// An untransacted unit as the query strings of
/// [`run_in_one_string`](Session::run_in_one_string).
#[derive(Clone, Copy)]
struct OneString<'s, 'u, 'm> {
    unit: &'u Unit<'m>,
    step: &'u Step<'m>,
    statements: &'s [ScriptStatement<'m>],
    guard: &'s ClaimGuard,
    /// [`Lock::confirm_in_string`](super::lock::Lock::confirm_in_string)'s statements.
    confirm: &'s [String; 2],
}

/// What one statement of a [`OneString`] query string is, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// The lease's renewal.
    Renewal,
    /// The query failing unless the lease is held.
    LeaseCheck,
    /// A history write before the script: the claim (and a repeatable
    /// migration's previous row removed).
    Before,
    /// The script's statement of this index.
    Statement(usize),
    /// The claimed row settled.
    Settle,
}

impl OneString<'_, '_, '_> {
    /// The query string of a try that starts at statement `next`, with
    /// the writes before the script while the row is not `claimed`; and
    /// what each of its statements is.
    fn string(&self, table: &HistoryTable, next: usize, claimed: bool) -> (String, Vec<Part>) {
        let mut sql = String::new();
        let mut parts = Vec::new();
        let mut push = |part: Part, text: &str| {
            if !sql.is_empty() {
                // On a line of its own: a statement may end in a comment.
                sql.push_str("\n;\n");
            }
            sql.push_str(text);
            parts.push(part);
        };
        let [renewal, check] = self.confirm;
        push(Part::Renewal, renewal);
        push(Part::LeaseCheck, check);
        for op in &self.unit.ops {
            match op {
                Op::Run(_) => {
                    for (index, statement) in self.statements.iter().enumerate().skip(next) {
                        push(Part::Statement(index), statement.text);
                    }
                }
                Op::Settle(_) => {
                    let writer = Writer::Claimed(self.guard);
                    if let Some(settle) = table.write_for(op, Elapsed::SinceClaim, writer) {
                        push(Part::Settle, &settle);
                    }
                }
                _ if claimed => {}
                _ => {
                    let writer = Writer::Claimed(self.guard);
                    if let Some(write) = table.write_for(op, Elapsed::SinceClaim, writer) {
                        push(Part::Before, &write);
                    }
                }
            }
        }
        (sql, parts)
    }
}

/// A script with nothing but blanks and comments: sending it would be an
/// error on MySQL ("Query was empty"), so it is recorded without running.
fn is_empty(step: &Step<'_>, dialect: &dyn Dialect) -> bool {
    migrata_core::has_no_statements(step.script.sql(), dialect.sql_flavor())
}

/// What a script is sent as: whole, or in batches of whole statements
/// where the database asks for them ([`Dialect::script_batch_bytes`]); an
/// embedded script's text is not copied.
fn script_pieces(script: &Script, dialect: &dyn Dialect) -> Vec<SqlStr> {
    fn batches(sql: &str, max_bytes: Option<usize>) -> Vec<&str> {
        match max_bytes {
            Some(max_bytes) => migrata_core::statement_batches(sql, max_bytes),
            None => vec![sql],
        }
    }
    let max_bytes = dialect.script_batch_bytes();
    match &script.sql {
        Cow::Borrowed(sql) => batches(migrata_core::strip_bom(sql), max_bytes)
            .into_iter()
            .map(SqlSafeStr::into_sql_str)
            .collect(),
        Cow::Owned(_) => batches(script.sql(), max_bytes)
            .into_iter()
            .map(|batch| sql_str(batch.to_owned()))
            .collect(),
    }
}

/// Whether `error` means the connection went away, rather than the server
/// answering: the server's answer is known, a lost connection's is not.
fn connection_lost(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    )
}

fn failed(step: &Step<'_>, source: sqlx::Error) -> Error {
    Error::Migration {
        version: step.migration.version,
        file: step.script.file.to_string(),
        line: None,
        error: source,
        left_failed: false,
    }
}

/// [`failed`], in the script's statement on `line`.
fn failed_at(step: &Step<'_>, line: usize, source: sqlx::Error) -> Error {
    Error::Migration {
        version: step.migration.version,
        file: step.script.file.to_string(),
        line: Some(line),
        error: source,
        left_failed: false,
    }
}

/// `error` of a step whose history row was claimed and not settled: the
/// row stays marked failed, and the message says what that requires.
fn left_failed(error: Error) -> Error {
    match error {
        Error::Migration {
            version,
            file,
            line,
            error,
            ..
        } => Error::Migration {
            version,
            file,
            line,
            error,
            left_failed: true,
        },
        Error::Code {
            version,
            file,
            error,
            ..
        } => Error::Code {
            version,
            file,
            error,
            left_failed: true,
        },
        Error::LockWaitExhausted {
            version,
            file,
            blocker,
            attempts,
            lock_wait,
            retried,
            error,
            ..
        } => Error::LockWaitExhausted {
            version,
            file,
            blocker,
            attempts,
            lock_wait,
            retried,
            error,
            left_failed: true,
        },
        other => other,
    }
}

/// Logs a finished step and adds it to the report.
/// When a script starts: its event (what a CLI prints as progress), and
/// the time its duration is measured from.
fn starting(step: &Step<'_>) -> Instant {
    tracing::info!(
        target: "migrata",
        version = step.migration.version,
        name = %step.migration.name,
        file = %step.script.file,
        direction = step.direction.name(),
        "starting migration"
    );
    Instant::now()
}

fn finish(
    backend: &str,
    step: &Step<'_>,
    duration: Duration,
    lock_retries: u32,
    report: &mut Report,
) {
    let done = Applied {
        version: step.migration.version,
        name: step.migration.name.to_string(),
        file: step.script.file.to_string(),
        duration,
        lock_retries,
    };
    let (message, list) = match step.direction {
        Direction::Up => ("applied migration", &mut report.applied),
        Direction::Down => ("reverted migration", &mut report.reverted),
    };
    tracing::info!(
        target: "migrata",
        version = done.version,
        name = %done.name,
        file = %done.file,
        backend = %backend,
        duration_ms = done.duration.as_millis() as u64,
        "{message}"
    );
    list.push(done);
}

#[cfg(test)]
mod tests {
    use super::script_pieces;
    use crate::model::BackendKind;
    use crate::sql::dialect_of;

    /// SQLite copies the rest of a query string at every statement it
    /// prepares: a long script goes in batches of whole statements, so no
    /// prepare sees more than a batch. Other databases get it whole.
    #[test]
    fn sqlite_gets_a_long_script_in_batches_of_whole_statements() {
        let sql: String = (0..20_000)
            .map(|n| format!("INSERT INTO t VALUES ({n}, 'a; b'); -- {n};\n"))
            .collect();
        let set =
            migrata_core::load_files([("0001_many.sql".to_owned(), sql.into_bytes())]).unwrap();
        let script = &set[0].up;
        let pieces = script_pieces(script, dialect_of(BackendKind::Sqlite));
        assert!(pieces.len() > 50, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|piece| piece.as_str().len() <= 8 * 1024));
        let joined: String = pieces.iter().map(|piece| piece.as_str()).collect();
        assert_eq!(joined, script.sql());
        for kind in [BackendKind::Postgres, BackendKind::MySql] {
            assert_eq!(script_pieces(script, dialect_of(kind)).len(), 1);
        }
    }
}
