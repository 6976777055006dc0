//! Offline mode: a run's step program printed as SQL, without a connection.

use super::Migrator;
use crate::code::CodeTable;
use crate::history::HistoryTable;
use crate::plan;
use crate::program::{self, push_script, Direction};
use crate::{BackendKind, Error, Migration};

impl Migrator<'_> {
    /// Renders the SQL that [`run`](Self::run) would execute on `backend` to
    /// apply the migrations after `from` (exclusive; `None`: from the start)
    /// up to `to` (inclusive; `None`: the target set with
    /// [`target`](Self::target), or the newest): version table creation, the
    /// transaction statements the mode implies, each script, and the history
    /// writes with literal values. Pipe it into `psql`, `mysql` or `sqlite3`.
    ///
    /// When the range reaches the newest versioned migration, every
    /// repeatable migration follows, replacing its history row: offline
    /// SQL cannot know which changed.
    ///
    /// SQL cannot hold a code migration: a range may end with one (the
    /// script then stops with a comment saying how to run it and go on),
    /// and a range past one is [`Error::CodeOffline`].
    ///
    /// ```
    /// use migrata::{BackendKind, Migrator};
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let sql = MIGRATIONS.migrator().render_up(BackendKind::Postgres, None, Some(1))?;
    /// assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"migrate_history\""));
    /// assert!(sql.contains("INSERT INTO \"migrate_history\""));
    /// # Ok::<(), migrata::Error>(())
    /// ```
    pub fn render_up(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<String, Error> {
        let table = HistoryTable::new(backend, self.options.table())?;
        let to = to.or(self.target);
        let mut selected: Vec<&Migration> = self
            .migrations
            .iter()
            .filter(|m| {
                from.is_none_or(|from| m.version > from) && to.is_none_or(|to| m.version <= to)
            })
            .collect();
        // Written for the newest schema, as online; and without the
        // history, every one is applied again. Not past a code migration,
        // where the script stops.
        let newest = self.migrations.last().map(|m| m.version);
        let reaches_newest = to.is_none_or(|to| newest.is_none_or(|newest| to >= newest));
        if reaches_newest && !selected.iter().any(|m| m.is_code()) {
            selected.extend(self.repeatables);
        }
        let stop = ends_at_code(&selected, |code| code.version)?;
        let mut out = self.header(&table, "up", &selected);
        out.push_str(&table.create());
        out.push_str(";\n\n");
        self.render(&table, &selected, stop, Direction::Up, &mut out)?;
        Ok(out)
    }

    /// Renders the SQL that [`revert`](Self::revert) would execute on
    /// `backend` to go from version `from` (`None`: the newest embedded) down
    /// to `to`, newest first. Every migration in the range needs a down
    /// script; a code migration may end the range, as in
    /// [`render_up`](Self::render_up).
    pub fn render_down(
        &self,
        backend: BackendKind,
        from: Option<i64>,
        to: i64,
    ) -> Result<String, Error> {
        let table = HistoryTable::new(backend, self.options.table())?;
        let mut selected: Vec<&Migration> = self
            .migrations
            .iter()
            .filter(|m| m.version > to && from.is_none_or(|from| m.version <= from))
            .collect();
        selected.reverse();
        plan::require_down_scripts(&selected)?;
        let stop = ends_at_code(&selected, |code| code.version - 1)?;
        let mut out = self.header(&table, "down", &selected);
        self.render(&table, &selected, stop, Direction::Down, &mut out)?;
        Ok(out)
    }

    /// The program of `selected`'s scripts, then, when `stop` says the
    /// range ends with a code migration, the marker that stops there.
    fn render(
        &self,
        table: &HistoryTable,
        selected: &[&Migration],
        stop: Option<&Migration>,
        direction: Direction,
        out: &mut String,
    ) -> Result<(), Error> {
        let scripts = &selected[..selected.len() - usize::from(stop.is_some())];
        let program = program::compile(
            scripts,
            direction,
            self.options.transaction(),
            table.dialect(),
            CodeTable::default(),
        )?;
        program.render(table, out);
        if let Some(code) = stop {
            let (command, resume) = match direction {
                Direction::Up => ("up --to", code.version),
                Direction::Down => ("down --to", code.version - 1),
            };
            out.push_str(&format!(
                "-- STOP: migration {version} {name} (`{file}`) is a code migration, which SQL cannot contain.\n\
                 -- Run it with the application binary (`<app> migrate {command} {resume}`), then render the rest of the range from it.\n",
                version = code.version,
                name = code.name,
                file = code.up.file,
            ));
        }
        Ok(())
    }

    /// What the script covers, the client setting that stops it at the first
    /// error (as an online run stops), and the session setup SQL.
    fn header(&self, table: &HistoryTable, direction: &str, selected: &[&Migration]) -> String {
        let versions: Vec<String> = selected
            .iter()
            .map(|m| match m.is_repeatable() {
                true => m.up.file.to_string(),
                false => m.version.to_string(),
            })
            .collect();
        let covers = if versions.is_empty() {
            "nothing to do".to_owned()
        } else {
            format!("versions {}", versions.join(", "))
        };
        let mut out = format!(
            "-- Offline SQL generated by migrate for {}, {direction}: {covers}\n",
            table.kind()
        );
        out.push_str(table.dialect().offline_preamble());
        out.push('\n');
        if let Some(setup) = &self.session_setup {
            push_script(&mut out, table.dialect(), setup);
            out.push('\n');
        }
        out
    }
}

/// The code migration that ends `selected`, if one does; a code migration
/// elsewhere in it is an error naming the range end (`stop`) that would
/// end there. Offline SQL never skips one silently.
fn ends_at_code<'m>(
    selected: &[&'m Migration],
    stop: impl Fn(&Migration) -> i64,
) -> Result<Option<&'m Migration>, Error> {
    match selected.iter().position(|m| m.is_code()) {
        None => Ok(None),
        Some(index) if index + 1 == selected.len() => Ok(Some(selected[index])),
        Some(index) => {
            let code = selected[index];
            Err(Error::CodeOffline {
                version: code.version,
                file: code.up.file.to_string(),
                stop: stop(code),
            })
        }
    }
}
