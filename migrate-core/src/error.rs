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
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A `.sql` file whose name does not follow the naming rules.
    #[error("`{file}` is not a valid migration file name: {rule}; expected `<version>_<name>.sql`, `<version>_<name>.up.sql` + `.down.sql`, or `V<version>__<name>.sql`")]
    BadFileName {
        /// The file name.
        file: String,
        /// The rule it broke.
        rule: &'static str,
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
    /// A `-- migrate:` directive after the leading comments, where it would
    /// silently have no effect.
    #[error("`{file}` line {line}: `-- migrate:` directives must come before the first statement, in the leading `--` comments")]
    MisplacedDirective {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// A `-- migrate:` directive this version does not know.
    #[error("`{file}` line {line}: unknown directive `-- migrate:{directive}` (known: {known})")]
    UnknownDirective {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What followed `-- migrate:`.
        directive: String,
        /// The directives that exist.
        known: &'static str,
    },
}
