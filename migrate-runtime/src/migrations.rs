//! The migrations `embed_migrations!` baked into the binary, and the
//! one-call startup run over them.

use std::path::Path;

use migrata_core::Migration;

use crate::code::CompiledCode;
use crate::driver::handover::Handover;
use crate::driver::Backend;
use crate::error::Error;
use crate::migrator::Migrator;
use crate::report::Report;

/// The set of migrations `embed_migrations!()` baked into the binary.
///
/// Declare it once as a `static` and run it at startup:
///
/// ```
/// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
///
/// # async fn demo() -> Result<(), migrata::Error> {
/// let report = MIGRATIONS.run("sqlite::memory:").await?;
/// println!("applied {} migrations", report.applied.len());
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    migrations: &'static [Migration],
    /// The compiled `up`/`down` of the code migrations, by version.
    code: &'static [CompiledCode],
    source_dir: Option<&'static str>,
    /// The macro's `exclude` patterns, for reading `source_dir` again.
    exclude: &'static [&'static str],
}

impl Migrations {
    #[doc(hidden)]
    /// Called by `embed_migrations!`; `source_dir` is set in debug builds only.
    pub const fn __embedded(
        migrations: &'static [Migration],
        code: &'static [CompiledCode],
        source_dir: Option<&'static str>,
        exclude: &'static [&'static str],
    ) -> Self {
        Migrations {
            migrations,
            code,
            source_dir,
            exclude,
        }
    }

    /// The directory `embed_migrations!` read, in debug builds (where
    /// `new` in an app's own CLI writes); `None` in release builds, whose
    /// binaries run where the build machine's paths mean nothing.
    pub fn source_dir(&self) -> Option<&'static Path> {
        self.source_dir.map(Path::new)
    }

    /// The macro's `exclude` patterns.
    pub fn exclude(&self) -> &'static [&'static str] {
        self.exclude
    }

    /// Every embedded migration, ordered by version. Code migrations are
    /// among them ([`Migration::is_code`]); their compiled functions stay
    /// with [`migrator`](Self::migrator), so a [`Migrator::new`] over this
    /// slice refuses to run them.
    pub fn all(&self) -> &'static [Migration] {
        self.migrations
    }

    /// A [`Migrator`] over these migrations, to set options before running.
    ///
    /// In debug builds this first warns (through `tracing`) when the
    /// migrations directory holds a migration the binary does not embed: a
    /// file added since the last build that Cargo did not notice.
    pub fn migrator(&self) -> Migrator<'static> {
        // Tested here as well as in the macro's expansion: this `cfg!` is
        // a constant in this crate, so release builds link none of the
        // directory reading (the parser, the validation) into the app.
        if cfg!(debug_assertions) {
            if let Some(dir) = self.source_dir {
                crate::stale::warn_if_stale(Path::new(dir), self.exclude, self.migrations);
            }
        }
        Migrator::new(self.migrations).with_code(self.code)
    }

    /// Runs every pending migration with default options over a new
    /// connection to `url`. See [`Migrator::run`].
    pub async fn run(&self, url: &str) -> Result<Report, Error> {
        self.migrator().run(url).await
    }

    /// Runs every pending migration with default options over `conn`: a
    /// `&Pool`, a `&mut PoolConnection` or a connection (see [`Handover`]).
    /// See [`Migrator::run_on`].
    pub async fn run_on<'c, C: Backend>(
        &self,
        conn: impl Handover<'c, C>,
    ) -> Result<Report, Error> {
        self.migrator().run_on(conn).await
    }
}
