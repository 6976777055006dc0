use std::path::PathBuf;

/// Why a migrations directory or file was rejected. Every variant names the
/// file (or directory) and the rule it broke.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The migrations directory does not exist.
    #[error("migrations directory `{}` does not exist", path.display())]
    MissingDir {
        /// The directory that was looked for.
        path: PathBuf,
    },
    /// The directory or a file in it could not be read.
    #[error("cannot read `{}`: {error}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A `.sql` file whose name does not follow the naming rules.
    #[error("`{file}` is not a valid migration file name: {rule}; expected `<version>_<name>.sql`, `<version>_<name>.up.sql` + `.down.sql`, `V<version>__<name>.sql`, or `R__<name>.sql` for a repeatable migration")]
    BadFileName {
        /// The file name.
        file: String,
        /// The rule it broke.
        rule: &'static str,
    },
    /// A `.rs` file whose name does not follow the naming rules of a code
    /// migration.
    #[error("`{file}` is not a valid code migration file name: {rule}; expected `<version>_<name>.rs` or `V<version>__<name>.rs`, holding `async fn up` and optionally `async fn down`")]
    BadCodeFileName {
        /// The file name.
        file: String,
        /// The rule it broke.
        rule: &'static str,
    },
    /// A code migration whose file defines no `up` function at its top level.
    #[error("`{file}` is a code migration but defines no `up` function at its top level; expected `pub async fn up(conn: &mut migrata::CodeConnection<'_>) -> Result<(), migrata::CodeError>`")]
    CodeWithoutUp {
        /// The file name.
        file: String,
    },
    /// A code migration whose file is not Rust: it cannot even be split
    /// into tokens, so whether it has `up` and `down` is unknown.
    #[error("`{file}` is a code migration but is not valid Rust: it cannot be split into tokens (an unclosed string, comment or bracket?)")]
    NotRust {
        /// The file name.
        file: String,
    },
    /// The version does not fit in an `i64`.
    #[error("`{file}`: version {digits} does not fit in a signed 64-bit integer (max {max})", max = i64::MAX)]
    VersionOverflow {
        /// The file name.
        file: String,
        /// The version digits as written.
        digits: String,
    },
    /// Two scripts claim the same version.
    #[error("`{file}` and `{other}` both have version {version}; each version must be unique")]
    DuplicateVersion {
        /// The shared version.
        version: i64,
        /// The first file, in name order.
        file: String,
        /// The second file.
        other: String,
    },
    /// Two files of one repeatable migration: `R__<name>.sql` and
    /// `repeatable_<name>.sql` spell the same name.
    #[error("`{file}` and `{other}` are both the repeatable migration `{name}` (`R__<name>.sql` and `repeatable_<name>.sql` are two spellings of one name); each repeatable migration's name must be unique")]
    DuplicateRepeatable {
        /// The shared name.
        name: String,
        /// The first file, in name order.
        file: String,
        /// The second file.
        other: String,
    },
    /// A `.down.sql` file with no `.up.sql` file of the same version and name.
    #[error("`{file}` has no matching up script: expected `{expected}`")]
    DownWithoutUp {
        /// The down script.
        file: String,
        /// The up script it needs.
        expected: String,
    },
    /// A script that is not valid UTF-8.
    #[error("`{file}` is not valid UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file name.
        file: String,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A script holding a NUL byte, which no database takes in a query's
    /// text: SQLite stops reading the statement there (and `up` never got
    /// past it), PostgreSQL rejects the message.
    #[error("`{file}` line {line}: the script holds a NUL byte, which no database accepts in a query's text; remove it")]
    NulByte {
        /// The file name.
        file: String,
        /// 1-based line number of the first NUL byte.
        line: usize,
    },
    /// A `-- migrate:` directive after the leading comments, where it would
    /// silently have no effect.
    #[error("`{file}` line {line}: `{comment} migrate:` directives must come before the first statement, in the leading `{comment}` comments")]
    MisplacedDirective {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The comment that starts a directive: `--` in SQL, `//` in a
        /// code migration.
        comment: &'static str,
    },
    /// A `-- migrate:phase` directive whose value is neither `contract` nor
    /// `expand`.
    #[error("`{file}` line {line}: unknown phase `{value}` in `{comment} migrate:phase`; expected `contract` or `expand`")]
    BadPhase {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The comment that starts a directive: `--` in SQL, `//` in a
        /// code migration.
        comment: &'static str,
        /// What followed `migrate:phase`.
        value: String,
    },
    /// A `-- migrate:phase` directive in a down script: the phase is the
    /// migration's, set in its up script.
    #[error("`{file}`: `-- migrate:phase contract` belongs in the up script, which decides when the migration applies")]
    PhaseInDown {
        /// The down script's file name.
        file: String,
    },
    /// A `-- migrate:baseline` where it cannot stand: in a down script,
    /// with a down script, outside a transaction, or on a repeatable
    /// migration.
    #[error("`{file}`: `-- migrate:baseline` {problem}")]
    BaselineMisuse {
        /// The file name.
        file: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A baseline that is not the oldest migration: it stands for every
    /// migration up to its version, which must be gone from the directory.
    #[error("`{file}` is a baseline (`-- migrate:baseline`), but `{older}` is older: a baseline replaces every migration up to its version, so it must be the oldest migration and the only baseline; delete the migrations it replaced")]
    BaselineNotOldest {
        /// The baseline's file name.
        file: String,
        /// The oldest migration's up script.
        older: String,
    },
    /// `-- migrate:phase contract` in a repeatable migration: it is applied
    /// again whenever it changes, after the versioned migrations, and has
    /// no release to wait for.
    #[error("`{file}`: a repeatable migration cannot be a contract migration (it is applied again whenever it changes and has no release to wait for); put what it removes in a versioned migration marked `-- migrate:phase contract`")]
    PhaseInRepeatable {
        /// The repeatable migration's file name.
        file: String,
    },
    /// A `-- migrate:` directive this version does not know.
    #[error(
        "`{file}` line {line}: unknown directive `{comment} migrate:{directive}` (known: {known})"
    )]
    UnknownDirective {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The comment that starts a directive: `--` in SQL, `//` in a
        /// code migration.
        comment: &'static str,
        /// What followed `-- migrate:`.
        directive: String,
        /// The directives that exist.
        known: &'static str,
    },
    /// A known `-- migrate:` directive written with the wrong arguments:
    /// `retry-safe` with one, or `check` without its query.
    #[error("`{file}` line {line}: `{comment} migrate:{directive}` {problem}")]
    MalformedDirective {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The comment that starts a directive: `--` in SQL, `//` in a
        /// code migration.
        comment: &'static str,
        /// What followed `-- migrate:`.
        directive: String,
        /// What is wrong, and the expected form.
        problem: &'static str,
    },
    /// A subdirectory holding `up.sql` (diesel's layout) whose name is not
    /// `<version>_<name>`.
    #[error("`{dir}/` holds `up.sql`, so it is a diesel-style migration directory, but its name is invalid: {rule}; expected `<version>_<name>`, e.g. `2019-11-15-182353_create_users`")]
    BadDirName {
        /// The directory's name.
        dir: String,
        /// The rule it broke.
        rule: &'static str,
    },
    /// A subdirectory named like a migration (`<version>_<name>`) with no
    /// `up.sql`: a migration that would otherwise be silently skipped.
    #[error("`{dir}/` is named like a diesel-style migration directory but has no `up.sql`; add `{dir}/up.sql`, or leave the directory out with an `exclude` pattern")]
    MissingUpScript {
        /// The directory's name.
        dir: String,
    },
    /// A `.sql` file in a diesel-style migration directory other than
    /// `up.sql` and `down.sql`, which would never run.
    #[error("`{file}`: a diesel-style migration directory holds only `up.sql` and `down.sql` (and `metadata.toml`); rename it, or leave it out with an `exclude` pattern")]
    StrayScript {
        /// The file, as `<directory>/<file>`.
        file: String,
    },
    /// A diesel `metadata.toml` line that is not `run_in_transaction = true`
    /// or `false`.
    #[error("`{file}` line {line}: {rule}; diesel's `metadata.toml` holds `run_in_transaction = false` (or `true`), comments and blank lines")]
    BadMetadata {
        /// The file, as `<directory>/metadata.toml`.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        rule: &'static str,
    },
    /// Flat migration files and diesel-style migration directories side by
    /// side in one migrations directory.
    #[error("`{file}` is a migration file and `{dir}/` a diesel-style migration directory: one migrations directory uses one layout, because diesel skips the files, sqlx and refinery skip the directories, and the two record versions differently; move one of them, or leave it out with an `exclude` pattern")]
    MixedLayouts {
        /// The first migration file, in name order.
        file: String,
        /// The first migration directory, in name order.
        dir: String,
    },
    /// Two diesel-style migration directories whose versions diesel orders
    /// (as text) differently than their numeric versions order here: only
    /// versions longer than a timestamp, taken as they are, can.
    #[error("`{dir}/` (diesel version `{text}`) runs before `{other}/` (`{other_text}`) in diesel, which compares versions as text, but after it here, where versions are numbers ({version} > {other_version}); rename one so both orders agree")]
    DieselOrder {
        /// The directory diesel runs first.
        dir: String,
        /// Its version as diesel records it.
        text: String,
        /// Its numeric version here.
        version: i64,
        /// The directory diesel runs second.
        other: String,
        /// Its version as diesel records it.
        other_text: String,
        /// Its numeric version here.
        other_version: i64,
    },
    /// An `exclude` pattern that cannot match what it seems to.
    #[error("exclude pattern `{pattern}` is invalid: {rule}; a pattern matches a path inside the migrations directory (`seed.sql`, `seeds`, `2019-11-15-182353_x/notes.sql`), with `*` for any characters and `?` for one, neither crossing `/`")]
    BadExcludePattern {
        /// The pattern as given.
        pattern: String,
        /// The rule it broke.
        rule: &'static str,
    },
    /// A statement that begins or ends a transaction, in a script that runs
    /// inside its migration's transaction.
    #[error("`{file}` line {line}: `{statement}` is transaction control, but this script runs inside its migration's transaction, which also records it in the version table; remove the statement, or add `-- migrate:no-transaction` to the file's leading comments to run the script outside a transaction")]
    TransactionControl {
        /// The file name.
        file: String,
        /// 1-based line number of the statement.
        line: usize,
        /// The statement's kind, e.g. `COMMIT` or `START TRANSACTION`.
        statement: &'static str,
    },
}

/// Every problem found in a migrations directory (or set of files), in
/// file-name order, so that one build reports them all. Never empty.
///
/// Displayed as one message per line; iterate for the [`Error`]s.
#[derive(Debug)]
pub struct Errors(Vec<Error>);

impl Errors {
    /// Collects problems sorted by the file each one is about (stable, so
    /// one file's problems keep their order).
    pub(crate) fn sorted(mut problems: Vec<(String, Error)>) -> Option<Self> {
        problems.sort_by(|a, b| a.0.cmp(&b.0));
        let errors: Vec<Error> = problems.into_iter().map(|(_, error)| error).collect();
        (!errors.is_empty()).then_some(Errors(errors))
    }

    /// The errors, in file-name order.
    pub fn as_slice(&self) -> &[Error] {
        &self.0
    }

    /// The errors, in file-name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// Whether the only problem is that the directory does not exist, which
    /// some callers treat as "no migrations yet".
    pub fn is_missing_dir(&self) -> bool {
        matches!(self.0.as_slice(), [Error::MissingDir { .. }])
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Self {
        Errors(vec![error])
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}
