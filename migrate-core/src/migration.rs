use std::borrow::Cow;

use crate::Checksum;

/// One versioned migration: its up script, optional down script and the
/// checksum recorded in the version table.
///
/// The fields are `Cow<'static, str>` so the same type holds both scripts
/// embedded at compile time (borrowed, in a `static`) and scripts read from a
/// directory at run time (owned). Values come from
/// [`load_dir`](crate::load_dir) / [`load_files`](crate::load_files) or from
/// `embed_migrations!()`; the type is `#[non_exhaustive]` so it can grow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// The version: the leading number of the file name.
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
}

/// One SQL file of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Script {
    /// The file name, e.g. `0001_create_users.sql`, used in every message.
    pub file: Cow<'static, str>,
    /// The SQL text exactly as in the file.
    pub sql: Cow<'static, str>,
    /// Set by `-- migrate:no-transaction`, sqlx's `-- no-transaction` or
    /// diesel's `run_in_transaction = false`.
    pub no_transaction: bool,
}

impl Migration {
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
        }
    }

    /// The SQL to execute: the file's text without a leading UTF-8 BOM.
    pub fn sql(&self) -> &str {
        crate::strip_bom(&self.sql)
    }
}
