use std::borrow::Cow;

use crate::Checksum;

/// One migration: its up script, optional down script and the checksum
/// recorded in the version table. Versioned migrations run once, in version
/// order; a repeatable one ([`is_repeatable`](Self::is_repeatable)) runs
/// after them whenever its checksum changed.
///
/// The fields are `Cow<'static, str>` so the same type holds both scripts
/// embedded at compile time (borrowed, in a `static`) and scripts read from a
/// directory at run time (owned). Values come from
/// [`load_dir`](crate::load_dir) / [`load_files`](crate::load_files) or from
/// `embed_migrations!()`; the type is `#[non_exhaustive]` so it can grow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// The version: the leading number of the file name. A repeatable
    /// migration's is [`repeatable_version`](crate::repeatable_version) of
    /// its name (negative), the key of its row in the version table.
    pub version: i64,
    /// The descriptive part of the file (or diesel directory) name, as
    /// written: `[2.0.0]_initial` for `20251218140442_[2.0.0]_initial.up.sql`.
    /// It is what the version table records. sqlx records a description
    /// instead, this name with every `_` replaced by a space (`[2.0.0]
    /// initial`); refinery records the name as it is; diesel records no name.
    pub name: Cow<'static, str>,
    /// The script that applies the migration.
    pub up: Script,
    /// The script that reverts it, from a `.down.sql` file.
    pub down: Option<Script>,
    /// Checksum of the up script (see [`checksum`](crate::checksum())).
    pub checksum: Checksum,
    /// For a migration in diesel's layout, the version as diesel records it
    /// in `__diesel_schema_migrations.version`: the directory's version with
    /// the dashes removed (`2019-11-15-182353_create_users` is
    /// `20191115182353`; `version` is then `2019111518235300000`, see the
    /// README's "Directory layouts"). `None` for migration files.
    pub diesel_version: Option<Cow<'static, str>>,
    /// An `R__<name>.sql` (or `repeatable_<name>.sql`) migration.
    pub repeatable: bool,
    /// Set by `-- migrate:phase contract` in the up script (or
    /// `// migrate:phase contract` in a code migration).
    pub phase: Phase,
    /// Set by `-- migrate:baseline`: the script is the schema after every
    /// migration up to its version, squashed into one (`migrata squash`).
    /// Always the oldest migration of its set; a database whose history
    /// holds the migrations it replaced skips it.
    pub baseline: bool,
}

/// When a migration may apply during a rolling deploy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// The default: applies as soon as a release embedding it starts. Old
    /// code must keep working on the schema it leaves (add, never remove).
    #[default]
    Expand,
    /// A destructive change (drop, rename, set NOT NULL) that old code may
    /// still depend on: held while a live replica of a release that does
    /// not embed it runs.
    Contract,
}

/// One file of a migration: a SQL script, or a code migration's Rust
/// source (see [`Script::language`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Script {
    /// The file name, e.g. `0001_create_users.sql`, used in every message.
    pub file: Cow<'static, str>,
    /// The text exactly as in the file: SQL, or Rust source, which is
    /// hashed but never executed as SQL.
    pub sql: Cow<'static, str>,
    /// Set by `-- migrate:no-transaction`, sqlx's `-- no-transaction`,
    /// diesel's `run_in_transaction = false`, or a code migration's
    /// `// migrate:no-transaction`.
    pub no_transaction: bool,
    /// What the file holds.
    pub language: Language,
}

/// What a migration file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Language {
    /// SQL, run as written.
    Sql,
    /// Rust (a `.rs` code migration): its `up` and `down` functions are
    /// compiled into the application by `embed_migrations!`; the text is
    /// only hashed.
    Rust,
}

impl Migration {
    /// Whether this is a repeatable migration (`R__<name>.sql`): applied
    /// after the versioned ones, whenever its checksum differs from the one
    /// last applied.
    pub fn is_repeatable(&self) -> bool {
        self.repeatable
    }

    /// Whether this is a code migration (a `.rs` file), which only a
    /// binary that embeds it can run.
    pub fn is_code(&self) -> bool {
        self.up.language == Language::Rust
    }

    /// Whether this is a contract migration (`-- migrate:phase contract`).
    pub fn is_contract(&self) -> bool {
        self.phase == Phase::Contract
    }

    /// Whether this is a baseline (`-- migrate:baseline`): the schema
    /// after the migrations it replaced, run only on a database that has
    /// none of them.
    pub fn is_baseline(&self) -> bool {
        self.baseline
    }

    #[doc(hidden)]
    /// Called by `embed_migrations!` on a baseline, chained like
    /// [`Migration::__contract`].
    pub const fn __baseline(mut self) -> Self {
        self.baseline = true;
        self
    }

    #[doc(hidden)]
    /// Called by `embed_migrations!` on a contract migration, chained after
    /// [`Migration::__embedded`] so the older constructor keeps its shape.
    pub const fn __contract(mut self) -> Self {
        self.phase = Phase::Contract;
        self
    }

    #[doc(hidden)]
    /// Called by `embed_migrations!`: the macro never names fields, so they
    /// can change without breaking code expanded by an older macro version.
    pub const fn __embedded(
        version: i64,
        name: &'static str,
        up: Script,
        down: Option<Script>,
        checksum: [u8; 32],
        diesel_version: Option<&'static str>,
    ) -> Self {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up,
            down,
            checksum: Checksum(checksum),
            diesel_version: match diesel_version {
                Some(text) => Some(Cow::Borrowed(text)),
                None => None,
            },
            repeatable: false,
            phase: Phase::Expand,
            baseline: false,
        }
    }

    #[doc(hidden)]
    /// Called by `embed_migrations!` for a repeatable migration.
    pub const fn __embedded_repeatable(
        version: i64,
        name: &'static str,
        up: Script,
        checksum: [u8; 32],
    ) -> Self {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up,
            down: None,
            checksum: Checksum(checksum),
            diesel_version: None,
            repeatable: true,
            phase: Phase::Expand,
            baseline: false,
        }
    }
}

impl Script {
    #[doc(hidden)]
    /// Called by `embed_migrations!`, like [`Migration::__embedded`].
    pub const fn __embedded(file: &'static str, sql: &'static str, no_transaction: bool) -> Self {
        Script {
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(sql),
            no_transaction,
            language: Language::Sql,
        }
    }

    #[doc(hidden)]
    /// Called by `embed_migrations!` for a code migration's file.
    pub const fn __embedded_code(
        file: &'static str,
        source: &'static str,
        no_transaction: bool,
    ) -> Self {
        Script {
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(source),
            no_transaction,
            language: Language::Rust,
        }
    }

    /// The `-- migrate:` (or, in a code migration, `// migrate:`)
    /// directives of the file, read again from its text: `retry_safe` and
    /// `checks` live only there. [`no_transaction`](Self::no_transaction)
    /// is the field, which diesel's `metadata.toml` may also set.
    ///
    /// ```
    /// let set = migrata_core::load_files([(
    ///     "0002_email.sql".to_owned(),
    ///     b"-- migrate:check SELECT count(*) = 0 FROM users WHERE email IS NULL\nALTER TABLE users ALTER email SET NOT NULL;".to_vec(),
    /// )])?;
    /// let directives = set[0].up.directives().expect("validated when loaded");
    /// assert_eq!(directives.checks[0].sql, "SELECT count(*) = 0 FROM users WHERE email IS NULL");
    /// # Ok::<(), migrata_core::Errors>(())
    /// ```
    ///
    /// # Errors
    ///
    /// What [`parse_directives`](crate::parse_directives) reports; never
    /// for a script as loaded, whose directives were checked then.
    pub fn directives(&self) -> Result<crate::Directives, crate::Error> {
        match self.language {
            Language::Rust => crate::parse_code_directives(&self.file, &self.sql),
            Language::Sql => crate::parse_directives(&self.file, &self.sql),
        }
    }

    /// The file's text without a leading UTF-8 BOM: the SQL to execute, or
    /// a code migration's source.
    pub fn sql(&self) -> &str {
        crate::strip_bom(&self.sql)
    }
}
