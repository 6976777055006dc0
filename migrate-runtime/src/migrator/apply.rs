//! Executing planned segments on a live connection.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use sqlx::{SqlSafeStr, SqlStr};

use super::{dynamic, Migrator};
use crate::backend::{Backend, BoxFuture};
use crate::dialect::{Dialect, Elapsed};
use crate::plan::{self, Direction, Segment, Step};
use crate::{Applied, BackendKind, Error, HistoryRow, Report, Script};

impl<'m> Migrator<'m> {
    /// Runs one segment and records what it did in `report`.
    pub(super) fn apply_segment<'a, B: Backend>(
        &'a self,
        conn: &'a mut B,
        dialect: &'a Dialect,
        segment: &'a Segment<'m>,
        report: &'a mut Report,
    ) -> BoxFuture<'a, Result<(), Error>> {
        // Boxed so its `Send` is proved once, generically: the compiler cannot
        // infer it through sqlx's transaction futures for a concrete backend
        // (rust-lang/rust#110338), which would make `run` unusable in `tokio::spawn`.
        Box::pin(async move {
            match segment {
                Segment::Transaction(steps) => {
                    self.run_transaction(conn, dialect, steps, report).await
                }
                Segment::Untransacted(step) => {
                    self.run_untransacted(conn, dialect, step, report).await
                }
            }
        })
    }

    /// Runs `steps` and their history writes in one transaction.
    async fn run_transaction<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        steps: &[Step<'_>],
        report: &mut Report,
    ) -> Result<(), Error> {
        let Some(first) = steps.first() else {
            return Ok(());
        };
        let mut tx = conn
            .begin_with(B::KIND.begin())
            .await
            .map_err(|source| failed(first, source))?;
        let mut done = Vec::new();
        for step in steps {
            let started = Instant::now();
            if B::KIND.measures_duration() {
                // The script and its history row in one round trip; the
                // server measures the duration.
                let record = match step.direction {
                    Direction::Up => dialect.insert(step.migration, true, Elapsed::Server),
                    Direction::Down => dialect.delete(step.migration.version),
                };
                tx.execute(dynamic(format!("{}\n;\n{record}", step.script.sql())))
                    .await
                    .map_err(|source| failed(step, source))?;
            } else {
                tx.execute(script_sql(step.script))
                    .await
                    .map_err(|source| failed(step, source))?;
                let record = match step.direction {
                    Direction::Up => {
                        dialect.insert(step.migration, true, Elapsed::Client(started.elapsed()))
                    }
                    Direction::Down => dialect.delete(step.migration.version),
                };
                tx.execute(dynamic(record))
                    .await
                    .map_err(|source| failed(step, source))?;
            }
            done.push((step, started.elapsed()));
        }
        let last = steps.last().unwrap_or(first);
        tx.commit().await.map_err(|source| failed(last, source))?;
        for (step, duration) in done {
            finish(B::KIND, step, duration, report);
        }
        Ok(())
    }

    /// Runs one script outside any transaction, bracketed by its history row
    /// marked failed before and settled (success, or deleted on revert) after.
    async fn run_untransacted<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        step: &Step<'_>,
        report: &mut Report,
    ) -> Result<(), Error> {
        let version = step.migration.version;
        let before = match step.direction {
            Direction::Up => dialect.insert(step.migration, false, Elapsed::Client(Duration::ZERO)),
            Direction::Down => dialect.mark_failed(version),
        };
        if B::KIND.session_lock() {
            conn.execute(dynamic(before))
                .await
                .map_err(|source| failed(step, source))?;
        } else if !self.claim(conn, dialect, step, before).await? {
            return Ok(());
        }
        let started = Instant::now();
        if B::KIND.query_string_is_atomic() {
            let statements: Vec<String> = migrate_core::split_statements(step.script.sql())
                .into_iter()
                .map(str::to_owned)
                .collect();
            for statement in statements {
                conn.execute(dynamic(statement))
                    .await
                    .map_err(|source| failed(step, source))?;
            }
        } else {
            conn.execute(script_sql(step.script))
                .await
                .map_err(|source| failed(step, source))?;
        }
        let duration = started.elapsed();
        let after = match step.direction {
            Direction::Up => dialect.mark_success(version, duration),
            Direction::Down => dialect.delete(version),
        };
        let settled = conn
            .execute(dynamic(after))
            .await
            .map_err(|source| failed(step, source))?;
        if settled != 1 {
            return Err(Error::HistoryRowVanished {
                version,
                file: step.script.file.to_string(),
            });
        }
        finish(B::KIND, step, duration, report);
        Ok(())
    }

    /// Without a session lock (SQLite), writes `before` for an untransacted
    /// step only after checking, in the same `BEGIN IMMEDIATE` transaction,
    /// that no other migrator has recorded (or, reverting, removed) it.
    /// `false` means another migrator got there first: skip the step.
    async fn claim<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        step: &Step<'_>,
        before: String,
    ) -> Result<bool, Error> {
        let mut tx = conn
            .begin_with(B::KIND.begin())
            .await
            .map_err(|source| failed(step, source))?;
        let row = self
            .recorded_row(&mut *tx, dialect, step.migration.version)
            .await?;
        match (step.direction, row) {
            (Direction::Up, Some(row)) => {
                plan::check_applied(step.migration, &row, &self.rules())?;
                return Ok(false);
            }
            (Direction::Down, None) => return Ok(false),
            _ => {}
        }
        tx.execute(dynamic(before))
            .await
            .map_err(|source| failed(step, source))?;
        tx.commit().await.map_err(|source| failed(step, source))?;
        Ok(true)
    }

    /// Whether another migrator recorded (or, reverting, removed) any step
    /// of a failed transaction `segment` since the plan was made.
    pub(super) async fn changed_meanwhile<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        segment: &Segment<'_>,
    ) -> Result<bool, Error> {
        // An untransacted step's failure leaves its own failed row behind:
        // never mistake that for another migrator's (see `run_untransacted`).
        let Segment::Transaction(steps) = segment else {
            return Ok(false);
        };
        for step in steps {
            let recorded = self
                .recorded_row(conn, dialect, step.migration.version)
                .await?
                .is_some();
            if recorded == (step.direction == Direction::Down) {
                continue;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// The history row of `version`, if there is one.
    async fn recorded_row<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        version: i64,
    ) -> Result<Option<HistoryRow>, Error> {
        Ok(conn
            .fetch_history(dynamic(dialect.select_version(version)))
            .await
            .map_err(|source| self.history_error(source))?
            .and_then(|rows| rows.into_iter().next()))
    }
}

fn script_sql(script: &Script) -> SqlStr {
    match &script.sql {
        Cow::Borrowed(sql) => migrate_core::strip_bom(sql).into_sql_str(),
        Cow::Owned(_) => dynamic(script.sql().to_owned()),
    }
}

fn failed(step: &Step<'_>, source: sqlx::Error) -> Error {
    Error::Migration {
        version: step.migration.version,
        file: step.script.file.to_string(),
        source,
    }
}

/// Logs a finished step and adds it to the report.
fn finish(backend: BackendKind, step: &Step<'_>, duration: Duration, report: &mut Report) {
    let done = Applied {
        version: step.migration.version,
        name: step.migration.name.to_string(),
        file: step.script.file.to_string(),
        duration,
    };
    let (message, list) = match step.direction {
        Direction::Up => ("applied migration", &mut report.applied),
        Direction::Down => ("reverted migration", &mut report.reverted),
    };
    tracing::info!(
        target: "migrate",
        version = done.version,
        name = %done.name,
        backend = %backend,
        duration_ms = done.duration.as_millis() as u64,
        "{message}"
    );
    list.push(done);
}
