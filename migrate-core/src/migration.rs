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
    /// The descriptive part of the file name.
    pub name: Cow<'static, str>,
    /// The script that applies the migration.
    pub up: Script,
    /// The script that reverts it, from a `.down.sql` file.
    pub down: Option<Script>,
    /// Checksum of the up script (see [`checksum`](crate::checksum())).
    pub checksum: Checksum,
}

/// One SQL file of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Script {
    /// The file name, e.g. `0001_create_users.sql`, used in every message.
    pub file: Cow<'static, str>,
    /// The SQL text exactly as in the file.
    pub sql: Cow<'static, str>,
    /// Set by `-- migrate:no-transaction`.
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
    ) -> Self {
        Migration {
            version,
            name: Cow::Borrowed(name),
            up,
            down,
            checksum: Checksum(checksum),
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
