//! What a squash (`migrata squash --up-to V`) replaces and writes: the
//! versioned migrations up to V, and one baseline script holding the
//! schema they leave (`-- migrate:baseline`), named after the newest of
//! them so that it keeps its version. Pure: the replay and the files are
//! the caller's.

use migrata_core::{row_writes, Migration, SqlFlavor};

use crate::error::Error;

/// The name every baseline gets.
const BASELINE_NAME: &str = "baseline";

/// The versioned migrations a squash up to `version` replaces (a prefix of
/// `migrations`, ordered by version): every one up to it. `version` must
/// be one of theirs, and they must be more than an earlier baseline alone.
pub(crate) fn squashed(migrations: &[Migration], version: i64) -> Result<&[Migration], Error> {
    let versioned = &migrations[..migrations.partition_point(|m| !m.is_repeatable())];
    let squashed = &versioned[..versioned.partition_point(|m| m.version <= version)];
    let refuse = |problem| Err(Error::Squash { version, problem });
    match squashed {
        [] => refuse("no migration is that old"),
        [.., last] if last.version != version => {
            refuse("no migration has that version; squash up to the version of a migration")
        }
        [only] if only.is_baseline() => refuse("it is already the baseline"),
        _ => Ok(squashed),
    }
}

/// Where the baseline goes, relative to the migrations directory: the
/// newest squashed migration's path with its name replaced by `baseline`,
/// so the version (and diesel's version text) stays: `0005_baseline.sql`,
/// `V5__baseline.sql`, `2024-01-02-030405_baseline/up.sql`.
pub(crate) fn baseline_path(newest: &Migration) -> String {
    let file = newest.up.file.as_ref();
    match file.split_once('/') {
        Some((dir, up)) => {
            let prefix = dir.strip_suffix(newest.name.as_ref()).unwrap_or(dir);
            format!("{prefix}{BASELINE_NAME}/{up}")
        }
        None => {
            let stem = [".up.sql", ".sql", ".up.rs", ".rs"]
                .iter()
                .find_map(|suffix| file.strip_suffix(suffix))
                .unwrap_or(file);
            let prefix = stem.strip_suffix(newest.name.as_ref()).unwrap_or(stem);
            format!("{prefix}{BASELINE_NAME}.sql")
        }
    }
}

/// The baseline script: a header saying what it replaced, the directive,
/// and `dump` (the schema those migrations leave, as `Schema::to_sql` writes it).
pub(crate) fn baseline_script(squashed: &[Migration], dump: &str) -> String {
    let (first, last) = match squashed {
        [first, .., last] => (first.up.file.as_ref(), last.up.file.as_ref()),
        [only] => (only.up.file.as_ref(), only.up.file.as_ref()),
        [] => ("", ""),
    };
    let version = squashed.last().map_or(0, |m| m.version);
    let mut header = format!(
        "-- The schema after version {version}: `migrata squash --up-to {version}` replaced\n-- {} migration(s), from `{first}`\n-- to `{last}`, by this script. A database that applied\n-- them skips it; a new database runs it instead of them.\n-- migrate:baseline\n\n",
        squashed.len()
    );
    header.push_str(dump);
    header
}

/// A statement of a squashed script that writes rows: the baseline, a dump
/// of the schema, does not hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowWrite {
    /// The script's file name.
    pub file: String,
    /// 1-based line of the statement.
    pub line: usize,
    /// Its first word, uppercase: `INSERT`, `UPDATE`, ...
    pub verb: String,
}

/// Every statement of the squashed SQL scripts that writes rows.
pub(crate) fn row_writes_of(squashed: &[Migration], flavor: SqlFlavor) -> Vec<RowWrite> {
    squashed
        .iter()
        .filter(|m| !m.is_code())
        .flat_map(|m| {
            row_writes(m.up.sql(), flavor)
                .into_iter()
                .map(|write| RowWrite {
                    file: m.up.file.to_string(),
                    line: write.line,
                    verb: write.verb,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrata_core::load_files;

    fn load(files: &[(&str, &str)]) -> Vec<Migration> {
        load_files(
            files
                .iter()
                .map(|(file, sql)| (file.to_string(), sql.as_bytes().to_vec())),
        )
        .unwrap()
    }

    #[test]
    fn squashed_prefix_and_refusals() {
        let ms = load(&[
            ("0001_a.sql", "CREATE TABLE a (x INT);"),
            ("0003_b.up.sql", "INSERT INTO a VALUES (1);"),
            ("0003_b.down.sql", "DELETE FROM a;"),
            ("0004_c.sql", "CREATE TABLE c (x INT);"),
            ("R__v.sql", "CREATE VIEW v AS SELECT 1;"),
        ]);
        assert_eq!(squashed(&ms, 3).unwrap().len(), 2);
        assert_eq!(squashed(&ms, 4).unwrap().len(), 3);
        let refused = |version| squashed(&ms, version).unwrap_err().to_string();
        assert_eq!(
            refused(2),
            "cannot squash up to version 2: no migration has that version; squash up to the version of a migration"
        );
        assert_eq!(
            refused(0),
            "cannot squash up to version 0: no migration is that old"
        );
        let again = load(&[
            ("0003_baseline.sql", "-- migrate:baseline\nSELECT 1;"),
            ("0004_d.sql", "SELECT 1;"),
        ]);
        assert_eq!(
            squashed(&again, 3).unwrap_err().to_string(),
            "cannot squash up to version 3: it is already the baseline"
        );
        // Squashing again takes the old baseline in.
        assert_eq!(squashed(&again, 4).unwrap().len(), 2);
        assert_eq!(baseline_path(&again[1]), "0004_baseline.sql");
        assert_eq!(baseline_path(&ms[1]), "0003_baseline.sql");
        let writes = row_writes_of(squashed(&ms, 4).unwrap(), SqlFlavor::Standard);
        assert_eq!(
            writes,
            [RowWrite {
                file: "0003_b.up.sql".into(),
                line: 1,
                verb: "INSERT".into()
            }]
        );
        let script = baseline_script(squashed(&ms, 3).unwrap(), "CREATE TABLE a (x INT);\n");
        let reloaded = load(&[("0003_baseline.sql", &script)]);
        assert!(reloaded[0].is_baseline());
        assert!(script.contains("2 migration(s), from `0001_a.sql`\n-- to `0003_b.up.sql`"));
    }

    #[test]
    fn baseline_keeps_the_newest_version() {
        let flyway = load(&[("V7__add_tags.sql", "SELECT 1;")]);
        assert_eq!(baseline_path(&flyway[0]), "V7__baseline.sql");
        let dir = tempfile::tempdir().unwrap();
        let up = dir.path().join("2024-01-02-030405_create_users/up.sql");
        std::fs::create_dir_all(up.parent().unwrap()).unwrap();
        std::fs::write(&up, "SELECT 1;").unwrap();
        let diesel = migrata_core::load_dir(dir.path()).unwrap();
        assert_eq!(
            baseline_path(&diesel[0]),
            "2024-01-02-030405_baseline/up.sql"
        );
    }
}
