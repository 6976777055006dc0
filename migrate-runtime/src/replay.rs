//! The schema the migrations produce, read from a scratch database they
//! were replayed on (a test database of [`crate::testing`]), and drift: how
//! a live database differs from it.

use crate::database::{Database, Reach};
use crate::driver::{with_connection, Backend};
use crate::error::Error;
use crate::migrator::Migrator;
use crate::model::BackendKind;
use crate::plan::squash;
use crate::schema::{compare, draft, Desired, Draft, Drift, GenerateOptions, Schema, Squash};
use crate::sql::{dialect_of, sql_str};

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
        let (base, backend) = scratch_base(scratch_url)?;
        let scratch = self.test_database(base).await?;
        let schema = inspect(scratch.url(), backend, self.options().lock_timeout()).await;
        scratch.discard().await?;
        Ok(schema?.without_bookkeeping(self.options().table()))
    }

    /// The next migration (Alembic's autogenerate): the steps from the
    /// schema these migrations produce (see [`schema`](Self::schema)) to
    /// `desired`, a schema in SQL (the format [`Schema::to_sql`] writes,
    /// or any DDL: it is applied to a scratch database and read back) or
    /// the schema of another database, written as migration scripts for
    /// the database `scratch_url` names, with the scripts that undo them.
    ///
    /// Nothing is lost silently: dropping a table or a column is refused
    /// (listed in [`ChangePlan::refused`](crate::schema::ChangePlan::refused)) unless
    /// [`GenerateOptions::allow_destructive`]; a column or table dropped
    /// and added with the same shape is listed as a possible rename, and
    /// written as one only when named in [`GenerateOptions::renames`].
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// use migrata::schema::{Desired, GenerateOptions};
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let desired = "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);";
    /// let draft = MIGRATIONS
    ///     .migrator()
    ///     .diff("sqlite::memory:", Desired::Sql(desired), &GenerateOptions::default())
    ///     .await?;
    /// // Every table of the migrations is missing from `desired`: refused, not dropped.
    /// assert!(!draft.plan.refused.is_empty());
    /// assert!(draft.up[0].sql.contains("CREATE TABLE tags"));
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn diff(
        &self,
        scratch_url: &str,
        desired: Desired<'_>,
        options: &GenerateOptions,
    ) -> Result<Draft, Error> {
        let current = self.schema(scratch_url).await?;
        let wanted = match desired {
            Desired::Sql(sql) => {
                schema_of_sql(scratch_url, sql, self.options().lock_timeout()).await?
            }
            Desired::Url(url) => Migrator::new(&[]).at(url).inspect().await?,
        };
        Ok(draft(&current, &wanted, options))
    }
}

impl Migrator<'_> {
    /// A baseline for the versioned migrations up to `version` (`migrata
    /// squash`): one script, `-- migrate:baseline`, holding the schema they
    /// leave (replayed on a scratch database, see [`schema`](Self::schema);
    /// repeatable migrations left out, as they run after the versioned
    /// ones), to write in their place. A new database then runs the
    /// baseline; one that applied them skips it
    /// ([`MigrationState::Squashed`](crate::MigrationState::Squashed)).
    ///
    /// The baseline is applied to another scratch database and read back:
    /// unless it rebuilds the same schema, the squash is refused
    /// ([`Error::UnfaithfulBaseline`]). Rows the squashed scripts wrote
    /// (seed data) are not in a schema: they are listed in
    /// [`Squash::row_writes`] for the caller to decide.
    ///
    /// ```
    /// # async fn demo() -> Result<(), migrata::Error> {
    /// static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("migrations");
    ///
    /// let squash = MIGRATIONS.migrator().squash("sqlite::memory:", 2).await?;
    /// assert_eq!(squash.path, "0002_baseline.sql");
    /// assert!(squash.sql.contains("-- migrate:baseline"));
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn squash(&self, scratch_url: &str, version: i64) -> Result<Squash, Error> {
        let job = self.job();
        let squashed = squash::squashed(job.migrations, version)?;
        let mut replay = job.clone();
        replay.migrations = squashed;
        replay.repeatables = &[];
        replay.target = None;
        let schema = Migrator::of_job(&replay).schema(scratch_url).await?;
        let sql = squash::baseline_script(squashed, &schema.to_sql());
        let timeout = self.options().lock_timeout();
        let differences = match schema_of_sql(scratch_url, &sql, timeout).await {
            Ok(rebuilt) => compare(&schema, &rebuilt)
                .iter()
                .map(ToString::to_string)
                .collect(),
            Err(Error::DesiredSchema { error }) => vec![error.to_string()],
            Err(error) => return Err(error),
        };
        if !differences.is_empty() {
            return Err(Error::UnfaithfulBaseline {
                version,
                differences,
            });
        }
        let flavor = dialect_of(schema.backend).sql_flavor();
        Ok(Squash {
            version,
            path: squash::baseline_path(&squashed[squashed.len() - 1]),
            sql,
            replaced: squashed.iter().map(|m| m.up.file.to_string()).collect(),
            row_writes: squash::row_writes_of(squashed, flavor),
            schema,
        })
    }
}

/// The schema `sql` creates, applied to an empty scratch database.
async fn schema_of_sql(
    scratch_url: &str,
    sql: &str,
    timeout: std::time::Duration,
) -> Result<Schema, Error> {
    let (base, backend) = scratch_base(scratch_url)?;
    let empty = Migrator::new(&[]);
    let scratch = empty.test_database(base).await?;
    let applied = with_connection!(scratch.url(), timeout, |conn| conn
        .execute(sql_str(sql.to_owned()))
        .await
        .map_err(|error| Error::DesiredSchema { error }));
    let schema = match applied {
        Ok(_) => inspect(scratch.url(), backend, timeout).await,
        Err(error) => Err(error),
    };
    scratch.discard().await?;
    Ok(schema?.without_bookkeeping(empty.options().table()))
}

/// The base URL for scratch databases: the server `scratch_url` names, or
/// in-memory SQLite.
fn scratch_base(scratch_url: &str) -> Result<(&str, BackendKind), Error> {
    let backend = BackendKind::from_url(scratch_url)?;
    let base = match backend {
        BackendKind::Sqlite => "sqlite::memory:",
        _ => scratch_url,
    };
    Ok((base, backend))
}

async fn inspect(
    url: &str,
    backend: BackendKind,
    timeout: std::time::Duration,
) -> Result<Schema, Error> {
    with_connection!(url, timeout, |conn| conn
        .inspect()
        .await
        .map_err(|error| Error::Inspect { backend, error }))
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
        let version = status.newest_applied();
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
