//! The schema the migrations produce, read from a scratch database they
//! were replayed on (a test database of [`crate::testing`]), and drift: how
//! a live database differs from it.

use crate::database::{Database, Reach};
use crate::driver::{with_connection, Backend};
use crate::error::Error;
use crate::migrator::Migrator;
use crate::model::{BackendKind, MigrationState};
use crate::schema::{compare, Drift, Schema};

impl Migrator<'_> {
    /// The schema this migrator's migrations produce (up to its
    /// [`target`](Self::target)), read from a scratch database they were
    /// applied to, never from yours: a database created on the server
    /// `scratch_url` names and dropped after (as
    /// [`test_database`](Self::test_database) makes them, from a template
    /// kept for the next call), or for SQLite one in memory.
    ///
    /// [`Schema::to_sql`] renders it as canonical SQL: commit that file and
    /// compare it in CI to see each migration's effect in review.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let schema = MIGRATIONS.migrator().schema("sqlite::memory:").await?;
    /// assert!(schema.tables.iter().any(|table| table.name.name == "users"));
    /// println!("{}", schema.to_sql());
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn schema(&self, scratch_url: &str) -> Result<Schema, Error> {
        let backend = BackendKind::from_url(scratch_url)?;
        let base = match backend {
            BackendKind::Sqlite => "sqlite::memory:",
            _ => scratch_url,
        };
        let scratch = self.test_database(base).await?;
        let schema = with_connection!(scratch.url(), self.options().lock_timeout(), |conn| conn
            .inspect()
            .await
            .map_err(|error| Error::Inspect { backend, error }));
        scratch.discard().await?;
        Ok(schema?.without_bookkeeping(self.options().table()))
    }
}

impl<W: Reach> Database<'_, W> {
    /// How the live database differs from the schema its applied
    /// migrations produce: they are replayed up to its newest applied
    /// version on a scratch database (see [`Migrator::schema`] for
    /// `scratch_url`; usually the same URL), both schemas are read, and
    /// every object added, removed or changed outside the migrations is a
    /// [`Difference`](crate::schema::Difference). Changes nothing in the
    /// database and takes no lock.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    /// # let dir = tempfile::tempdir().expect("a temporary directory");
    /// # let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    /// let migrator = MIGRATIONS.migrator();
    /// migrator.run(&url).await?;
    /// # {
    /// #     use sqlx::Connection as _;
    /// #     let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connected");
    /// #     sqlx::raw_sql("CREATE INDEX notes_by_created_at ON notes (created_at)").execute(&mut conn).await.expect("created");
    /// # }
    /// // ... an index added by hand during an incident ...
    /// let drift = migrator.at(&url).drift(&url).await?;
    /// for difference in &drift.differences {
    ///     println!("{difference}"); // added index notes.notes_by_created_at
    /// }
    /// # assert_eq!(drift.differences.len(), 1);
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn drift(self, scratch_url: &str) -> Result<Drift, Error> {
        let (job, status, live) = self.status_and_schema().await?;
        let version = status
            .entries
            .iter()
            .filter(|entry| entry.state == MigrationState::Applied)
            .map(|entry| entry.version)
            .max();
        let expected = match version {
            Some(version) => {
                Migrator::of_job(job)
                    .target(version)
                    .schema(scratch_url)
                    .await?
            }
            None => Schema::empty(live.backend),
        };
        Ok(Drift {
            version,
            differences: compare(&expected, &live),
        })
    }
}
