//! Offline mode: the SQL a run would execute, rendered without a connection.

use std::fmt::Write;
use std::time::Duration;

use super::Migrator;
use crate::dialect::{Dialect, Elapsed};
use crate::plan::{self, Direction, Segment, Step};
use crate::{BackendKind, Error, Migration};

impl Migrator<'_> {
    /// Renders the SQL that [`run`](Self::run) would execute on `backend` to
    /// apply the migrations after `from` (exclusive; `None`: from the start)
    /// up to `to` (inclusive; `None`: the target set with
    /// [`target`](Self::target), or the newest): version table creation, the
    /// transaction statements the mode implies, each script, and the history
    /// writes with literal values. Pipe it into `psql`, `mysql` or `sqlite3`.
    ///
    /// ```
    /// use migrate_runtime::{BackendKind, Migrator};
    /// static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("../migrations");
    ///
    /// let sql = MIGRATIONS.migrator().render_up(BackendKind::Postgres, None, Some(1))?;
    /// assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"migrate_history\""));
    /// assert!(sql.contains("INSERT INTO \"migrate_history\""));
    /// # Ok::<(), migrate_runtime::Error>(())
    /// ```
    pub fn render_up(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<String, Error> {
        let dialect = Dialect::new(backend, &self.table)?;
        let to = to.or(self.target);
        let selected: Vec<&Migration> = self
            .migrations
            .iter()
            .filter(|m| {
                from.is_none_or(|from| m.version > from) && to.is_none_or(|to| m.version <= to)
            })
            .collect();
        let mut out = header(backend, "up", &selected);
        let _ = writeln!(out, "{};\n", dialect.create_table());
        render_segments(
            &mut out,
            &dialect,
            &plan::segments(&selected, Direction::Up, self.transaction, backend),
        );
        Ok(out)
    }

    /// Renders the SQL that [`revert`](Self::revert) would execute on
    /// `backend` to go from version `from` (`None`: the newest embedded) down
    /// to `to`, newest first. Every migration in the range needs a down script.
    pub fn render_down(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: i64,
    ) -> Result<String, Error> {
        let dialect = Dialect::new(backend, &self.table)?;
        let mut selected: Vec<&Migration> = self
            .migrations
            .iter()
            .filter(|m| m.version > to && from.is_none_or(|from| m.version <= from))
            .collect();
        selected.reverse();
        if let Some(m) = selected.iter().find(|m| m.down.is_none()) {
            return Err(Error::Irreversible {
                version: m.version,
                file: m.up.file.to_string(),
            });
        }
        let mut out = header(backend, "down", &selected);
        render_segments(
            &mut out,
            &dialect,
            &plan::segments(&selected, Direction::Down, self.transaction, backend),
        );
        Ok(out)
    }
}

fn header(backend: BackendKind, direction: &str, selected: &[&Migration]) -> String {
    let versions: Vec<String> = selected.iter().map(|m| m.version.to_string()).collect();
    format!(
        "-- migrate: offline SQL for {backend}, {direction}: {}\n\n",
        if versions.is_empty() {
            "nothing to do".to_owned()
        } else {
            format!("versions {}", versions.join(", "))
        }
    )
}

fn render_segments(out: &mut String, dialect: &Dialect, segments: &[Segment<'_>]) {
    // As online: where the server measures durations, it does here too.
    let recorded_duration = if dialect.kind().measures_duration() {
        Elapsed::Server
    } else {
        Elapsed::Client(Duration::ZERO)
    };
    for segment in segments {
        match segment {
            Segment::Transaction(steps) => {
                let _ = writeln!(out, "{};", dialect.kind().begin());
                for step in steps {
                    let _ = writeln!(
                        out,
                        "-- {} {} ({})",
                        step.migration.version, step.migration.name, step.script.file
                    );
                    render_statements(out, step);
                    let record = match step.direction {
                        Direction::Up => dialect.insert(step.migration, true, recorded_duration),
                        Direction::Down => dialect.delete(step.migration.version),
                    };
                    let _ = writeln!(out, "{record};");
                }
                let _ = writeln!(out, "{};\n", dialect.kind().commit());
            }
            Segment::Untransacted(step) => {
                let version = step.migration.version;
                let (before, after) = match step.direction {
                    Direction::Up => (
                        dialect.insert(step.migration, false, Elapsed::Client(Duration::ZERO)),
                        dialect.mark_success(version, Duration::ZERO),
                    ),
                    Direction::Down => (dialect.mark_failed(version), dialect.delete(version)),
                };
                let _ = writeln!(
                    out,
                    "-- {} {} ({}), outside a transaction",
                    step.migration.version, step.migration.name, step.script.file
                );
                let _ = writeln!(out, "{before};");
                render_statements(out, step);
                let _ = writeln!(out, "{after};\n");
            }
        }
    }
}

fn render_statements(out: &mut String, step: &Step<'_>) {
    for statement in migrate_core::split_statements(step.script.sql()) {
        let _ = writeln!(out, "{statement};");
    }
}
