//! `migrata new <name>`: the next migration file.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use migrata_core::{Exclude, Migration};

/// Versions this long or longer are taken for timestamps (YYYYMMDDhhmmss).
const TIMESTAMP_DIGITS: usize = 14;

/// `new <name> [--reversible] [--timestamp] [--code | --repeatable]`.
#[derive(Debug, clap::Args)]
pub(super) struct NewArgs {
    /// The descriptive part of the file name (letters, digits, `_`, `-`); one no other migration has
    name: String,
    /// Create an .up.sql and .down.sql pair
    #[arg(long)]
    reversible: bool,
    /// Version it with the current UTC time (YYYYMMDDhhmmss) instead of the next sequence number [default: timestamps only in a directory of timestamps]
    #[arg(long)]
    timestamp: bool,
    /// A code migration: a .rs file with `async fn up` (and `down` with --reversible) for the app to compile
    #[arg(long, conflicts_with = "repeatable")]
    code: bool,
    /// A repeatable migration, R__<name>.sql: applied again whenever it changes
    #[arg(long, conflicts_with_all = ["reversible", "timestamp"])]
    repeatable: bool,
}

impl NewArgs {
    /// Creates the migration the arguments describe in `dir` (see [`create`]).
    pub(super) fn create(&self, dir: &Path, exclude: &Exclude) -> Result<Vec<PathBuf>, String> {
        let kind = match (self.code, self.repeatable) {
            (true, _) => Kind::Code,
            (_, true) => Kind::Repeatable,
            _ => Kind::Script,
        };
        create(
            dir,
            exclude,
            &self.name,
            kind,
            self.reversible,
            self.timestamp,
        )
    }
}

/// What `new` creates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// SQL: empty files.
    Script,
    /// `<version>_<name>.rs` with the functions the macro expects.
    Code,
    /// `R__<name>.sql`, empty.
    Repeatable,
}

/// The start of a code migration: what `embed_migrations!` looks for, and
/// the types to fill it with.
const CODE_TEMPLATE: &str = "\
use migrata::{CodeConnection, CodeError};

/// Runs in version order with the scripts (see https://docs.rs/migrata/latest/migrata/guide/code_migrations/).
pub async fn up(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    let _ = conn;
    Ok(())
}
";

/// Appended to [`CODE_TEMPLATE`] with `--reversible`.
const CODE_DOWN_TEMPLATE: &str = "
pub async fn down(conn: &mut CodeConnection<'_>) -> Result<(), CodeError> {
    let _ = conn;
    Ok(())
}
";

/// Creates the next migration in `dir`, named after `name`, and returns
/// the paths of its files. Sequence numbers continue the directory's own
/// width (`0001`, `0002`, ...; `0001` in an empty directory); a directory of
/// timestamps, or `timestamp`, gets the current UTC time; a directory in
/// diesel's layout gets a diesel directory. Scripts start empty; a code
/// migration starts with an `up` (and `down`) that does nothing.
pub(super) fn create(
    dir: &Path,
    exclude: &Exclude,
    name: &str,
    kind: Kind,
    reversible: bool,
    timestamp: bool,
) -> Result<Vec<PathBuf>, String> {
    let (files, contents) = name_files(dir, exclude, name, kind, reversible, timestamp)?;
    write(dir, files.into_iter().map(|file| (file, contents.clone())))
}

/// Creates the next SQL migration in `dir` with `up` (and `down`) as its
/// content, named as [`create`] names them.
#[cfg(feature = "schema")]
pub(super) fn create_script(
    dir: &Path,
    exclude: &Exclude,
    name: &str,
    timestamp: bool,
    up: &str,
    down: Option<&str>,
) -> Result<Vec<PathBuf>, String> {
    let (files, _) = name_files(dir, exclude, name, Kind::Script, down.is_some(), timestamp)?;
    // The up script first, then the down script (see `flat_files`, `diesel_files`).
    let contents = std::iter::once(up).chain(down);
    write(dir, files.into_iter().zip(contents.map(str::to_owned)))
}

/// The files of the next migration, and what a new one starts with.
fn name_files(
    dir: &Path,
    exclude: &Exclude,
    name: &str,
    kind: Kind,
    reversible: bool,
    timestamp: bool,
) -> Result<(Vec<String>, String), String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "`{name}` is not a valid migration name: use ASCII letters, digits, `_` and `-`"
        ));
    }
    let existing = match migrata_core::load_dir_excluding(dir, exclude) {
        Ok(existing) => existing,
        Err(errors) if errors.is_missing_dir() => Vec::new(),
        Err(error) => return Err(error.to_string()),
    };
    if let Some(taken) = existing.iter().find(|m| *m.name == *name) {
        return Err(format!(
            "a migration named `{name}` exists: {}; pick another name",
            taken.up.file
        ));
    }
    let diesel = existing.iter().any(|m| m.diesel_version.is_some());
    Ok(match kind {
        Kind::Code if diesel => {
            return Err(format!(
                "{} is in diesel's layout, which has no code migrations: put the code in a directory of <version>_<name> files",
                dir.display()
            ))
        }
        Kind::Script if diesel => (
            diesel_files(dir, &existing, name, reversible)?,
            String::new(),
        ),
        Kind::Script => (
            flat_files(dir, &existing, name, reversible, timestamp, "sql")?,
            String::new(),
        ),
        // One file: `down`, if asked for, lives beside `up`.
        Kind::Code => (
            flat_files(dir, &existing, name, false, timestamp, "rs")?,
            [CODE_TEMPLATE, if reversible { CODE_DOWN_TEMPLATE } else { "" }].concat(),
        ),
        Kind::Repeatable => {
            let file = format!("R__{name}.sql");
            migrata_core::parse_file_name(&file).map_err(|e| e.to_string())?;
            (vec![file], String::new())
        }
    })
}

/// Writes each `(file, contents)` under `dir`, refusing to replace a file.
fn write(
    dir: &Path,
    files: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut created = Vec::new();
    for (file, contents) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut opened| std::io::Write::write_all(&mut opened, contents.as_bytes()))
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        created.push(path);
    }
    Ok(created)
}

/// `<version>_<name>.<extension>`, or `.up.<extension>` + `.down.<extension>`.
fn flat_files(
    dir: &Path,
    existing: &[Migration],
    name: &str,
    reversible: bool,
    timestamp: bool,
    extension: &str,
) -> Result<Vec<String>, String> {
    let width = existing
        .iter()
        .map(|m| {
            m.up.file
                .trim_start_matches('V')
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count()
        })
        .max()
        .unwrap_or(4);
    let digits = if timestamp { TIMESTAMP_DIGITS } else { width };
    let newest = existing.last().map_or(0, |m| m.version);
    let next = newest.checked_add(1).ok_or_else(|| {
        format!(
            "there is no version after {newest} (i64::MAX), the newest in {}: a new migration needs a larger version",
            dir.display()
        )
    })?;
    let version = if digits >= TIMESTAMP_DIGITS {
        utc_timestamp().max(next)
    } else {
        next
    };
    let stem = format!("{version:0digits$}_{name}");
    let files = if reversible {
        vec![
            format!("{stem}.up.{extension}"),
            format!("{stem}.down.{extension}"),
        ]
    } else {
        vec![format!("{stem}.{extension}")]
    };
    for file in &files {
        migrata_core::parse_file_name(file).map_err(|e| e.to_string())?;
    }
    Ok(files)
}

/// `<YYYY-MM-DD-HHMMSS>-<subversion>_<name>/up.sql` (+ `down.sql`), as
/// `diesel migration generate` names them: the current UTC time, with the
/// first subversion that sorts after the newest migration.
fn diesel_files(
    dir: &Path,
    existing: &[Migration],
    name: &str,
    reversible: bool,
) -> Result<Vec<String>, String> {
    let newest = existing.last().map_or(i64::MIN, |m| m.version);
    let stamp = utc_timestamp();
    let (date, time) = (stamp / 1_000_000, stamp % 1_000_000);
    let (year, month, day) = (date / 10_000, date / 100 % 100, date % 100);
    let migration_dir = (0..=0xffff)
        .map(|subversion| format!("{year:04}-{month:02}-{day:02}-{time:06}-{subversion:04x}_{name}"))
        .find(|candidate| {
            migrata_core::parse_dir_name(candidate).is_ok_and(|parsed| parsed.version > newest)
        })
        .ok_or_else(|| {
            format!(
                "the newest migration in {} (version {newest}) is dated after the current time: a new diesel migration needs a later one",
                dir.display()
            )
        })?;
    let mut files = vec![format!("{migration_dir}/up.sql")];
    if reversible {
        files.push(format!("{migration_dir}/down.sql"));
    }
    Ok(files)
}

/// Now as YYYYMMDDhhmmss in UTC.
fn utc_timestamp() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    ((year * 100 + month) * 100 + day) * 1_000_000
        + (rest / 3600) * 10_000
        + (rest % 3600 / 60) * 100
        + rest % 60
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_413), (2025, 11, 21));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn sequence_and_timestamp_versions() {
        let dir = tempfile::tempdir().unwrap();
        let create = |dir: &Path, name, reversible| {
            create(dir, &Exclude::NONE, name, Kind::Script, reversible, false)
        };
        let first = create(dir.path(), "init", false).unwrap();
        assert!(first[0].ends_with("0001_init.sql"));
        let pair = create(dir.path(), "users", true).unwrap();
        assert!(pair[0].ends_with("0002_users.up.sql") && pair[1].ends_with("0002_users.down.sql"));
        assert!(create(dir.path(), "bad name", false).is_err());
        assert!(create(dir.path(), "sneaky.down", false).is_err());

        let stamped = tempfile::tempdir().unwrap();
        std::fs::write(stamped.path().join("20200101000000_old.sql"), "").unwrap();
        let next = create(stamped.path(), "next", false).unwrap();
        let file = next[0].file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            file.starts_with("20") && file.len() == "20261121093000_next.sql".len(),
            "{file}"
        );
        assert!(file.as_str() > "20250101000000", "{file}");
    }

    /// Issue 10 ("also seen"): the newest version is `i64::MAX`, so there is
    /// no next one; refuse instead of writing a second file with it.
    #[test]
    fn newest_version_at_i64_max_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let last = format!("{}_last.sql", i64::MAX);
        std::fs::write(dir.path().join(&last), "").unwrap();
        let err = create(
            dir.path(),
            &Exclude::NONE,
            "next",
            Kind::Script,
            false,
            false,
        )
        .unwrap_err();
        assert!(err.contains("no version after"), "{err}");
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "a file was created");
    }

    /// Issue 12, item 3: in a directory of diesel migrations, `new` adds a
    /// diesel migration directory, ordered after the newest.
    #[test]
    fn diesel_layout_gets_a_diesel_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2019-11-15-182353_users")).unwrap();
        std::fs::write(dir.path().join("2019-11-15-182353_users/up.sql"), "").unwrap();
        let first = create(
            dir.path(),
            &Exclude::NONE,
            "posts",
            Kind::Script,
            true,
            false,
        )
        .unwrap();
        let second = create(
            dir.path(),
            &Exclude::NONE,
            "tags",
            Kind::Script,
            false,
            false,
        )
        .unwrap();
        let relative = |path: &PathBuf| {
            path.strip_prefix(dir.path())
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        let (up, down) = (relative(&first[0]), relative(&first[1]));
        assert!(
            up.ends_with("-0000_posts/up.sql") && down.ends_with("-0000_posts/down.sql"),
            "{up} {down}"
        );
        assert_eq!(second.len(), 1);
        let loaded = migrata_core::load_dir(dir.path()).unwrap();
        let files: Vec<&str> = loaded.iter().map(|m| m.up.file.as_ref()).collect();
        assert_eq!(files[0], "2019-11-15-182353_users/up.sql");
        assert_eq!(files[1], up);
        assert_eq!(files[2], relative(&second[0]));
        assert!(loaded[1].down.is_some());

        let future = tempfile::tempdir().unwrap();
        std::fs::create_dir(future.path().join("2999-01-01-000000_later")).unwrap();
        std::fs::write(future.path().join("2999-01-01-000000_later/up.sql"), "").unwrap();
        let err = create(
            future.path(),
            &Exclude::NONE,
            "now",
            Kind::Script,
            false,
            false,
        )
        .unwrap_err();
        assert!(err.contains("dated after the current time"), "{err}");
    }

    /// Issue 12, item 3: `migrate.exclude` applies to `new` too.
    #[test]
    fn excluded_files_do_not_stop_new() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0001_init.sql"), "").unwrap();
        std::fs::write(dir.path().join("seed.sql"), "").unwrap();
        let err = create(
            dir.path(),
            &Exclude::NONE,
            "next",
            Kind::Script,
            false,
            false,
        )
        .unwrap_err();
        assert!(err.contains("seed.sql"), "{err}");
        let exclude = Exclude::new(["seed.sql"]).unwrap();
        let created = create(dir.path(), &exclude, "next", Kind::Script, false, false).unwrap();
        assert!(created[0].ends_with("0002_next.sql"));
    }
}
