//! Executing planned segments on a live connection.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use sqlx::{SqlSafeStr, SqlStr};

use super::{dynamic, Migrator};
use crate::backend::{Backend, BoxFuture};
use crate::dialect::Dialect;
use crate::plan::{self, Direction, Segment, Step};
use crate::{Applied, BackendKind, Error, Report, Script};

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
            if self.changed_meanwhile::<B>(&mut tx, dialect, step).await? {
                continue;
            }
            let started = Instant::now();
            tx.execute(script_sql(step.script))
                .await
                .map_err(|source| failed(step, source))?;
            let duration = started.elapsed();
            let record = match step.direction {
                Direction::Up => dialect.insert(step.migration, true, duration),
                Direction::Down => dialect.delete(step.migration.version),
            };
            tx.execute(dynamic(record))
                .await
                .map_err(|source| failed(step, source))?;
            done.push((step, duration));
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
        if self.changed_meanwhile(conn, dialect, step).await? {
            return Ok(());
        }
        let version = step.migration.version;
        let before = match step.direction {
            Direction::Up => dialect.insert(step.migration, false, Duration::ZERO),
            Direction::Down => dialect.mark_failed(version),
        };
        conn.execute(dynamic(before))
            .await
            .map_err(|source| failed(step, source))?;
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
        conn.execute(dynamic(after))
            .await
            .map_err(|source| failed(step, source))?;
        finish(B::KIND, step, duration, report);
        Ok(())
    }

    /// On backends without a session lock (SQLite), another migrator may have
    /// run `step` since we planned: re-check its row, under the transaction's
    /// write lock where there is one. `true` means skip the step.
    async fn changed_meanwhile<B: Backend>(
        &self,
        conn: &mut B,
        dialect: &Dialect,
        step: &Step<'_>,
    ) -> Result<bool, Error> {
        if B::KIND.session_lock() {
            return Ok(false);
        }
        let rows = conn
            .fetch_history(dynamic(dialect.select_version(step.migration.version)))
            .await
            .map_err(|source| self.history_error(source))?
            .unwrap_or_default();
        match (step.direction, rows.first()) {
            (Direction::Up, Some(row)) => {
                plan::check_applied(step.migration, row, &self.rules())?;
                Ok(true)
            }
            (Direction::Down, Some(row)) => {
                plan::ensure_succeeded(row)?;
                Ok(false)
            }
            (Direction::Up, None) => Ok(false),
            (Direction::Down, None) => Ok(true),
        }
    }
}

fn script_sql(script: &Script) -> SqlStr {
    match &script.sql {
        Cow::Borrowed(sql) => sql.strip_prefix('\u{feff}').unwrap_or(sql).into_sql_str(),
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
