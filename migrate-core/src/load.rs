use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use crate::{checksum, parse_directives, parse_file_name, Error, FileKind, Migration, Script};

/// Reads every migration in `dir`, validates it and returns them ordered by
/// version. Files that are not `.sql` and subdirectories are ignored.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, Error> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::MissingDir {
                path: dir.to_owned(),
            })
        }
        Err(e) => return Err(io(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        let file = entry.file_name().to_string_lossy().into_owned();
        if parse_file_name(&file)?.is_none() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Io { path, source })?;
        files.push((file, bytes));
    }
    load_files(files)
}

/// Validates a set of `(file name, contents)` pairs, as [`load_dir`] does for
/// a directory, and returns the migrations ordered by version.
///
/// Files are considered in name order, so the first error reported is the
/// same on every platform.
pub fn load_files(
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<Vec<Migration>, Error> {
    let mut files: Vec<_> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let mut ups: BTreeMap<i64, Migration> = BTreeMap::new();
    let mut downs: Vec<(i64, String, Script)> = Vec::new();
    for (file, bytes) in files {
        let Some(parsed) = parse_file_name(&file)? else {
            continue;
        };
        let sql = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
            file: file.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        let directives = parse_directives(&file, &sql)?;
        let script = Script {
            file: Cow::Owned(file),
            sql: Cow::Owned(sql),
            no_transaction: directives.no_transaction,
        };
        if parsed.kind == FileKind::Down {
            downs.push((parsed.version, parsed.name, script));
            continue;
        }
        if let Some(existing) = ups.get(&parsed.version) {
            return Err(duplicate(parsed.version, &existing.up.file, &script.file));
        }
        let migration = Migration {
            version: parsed.version,
            name: Cow::Owned(parsed.name),
            checksum: checksum(&script.sql),
            up: script,
            down: None,
        };
        ups.insert(parsed.version, migration);
    }

    for (version, name, script) in downs {
        let expected = format!("{}.up.sql", strip_down_suffix(&script.file));
        let up = ups
            .get_mut(&version)
            .filter(|up| up.name == name && up.up.file == expected);
        let Some(up) = up else {
            if let Some(other) = ups.get(&version).filter(|up| up.up.file != expected) {
                if other.name != name {
                    return Err(duplicate(version, &other.up.file, &script.file));
                }
            }
            return Err(Error::DownWithoutUp {
                file: script.file.into_owned(),
                expected,
            });
        };
        if let Some(existing) = &up.down {
            return Err(duplicate(version, &existing.file, &script.file));
        }
        up.down = Some(script);
    }
    Ok(ups.into_values().collect())
}

fn strip_down_suffix(file: &str) -> &str {
    file.strip_suffix(".down.sql").unwrap_or(file)
}

fn duplicate(version: i64, first: &str, second: &str) -> Error {
    let (file, other) = if first <= second {
        (first, second)
    } else {
        (second, first)
    };
    Error::DuplicateVersion {
        version,
        file: file.to_owned(),
        other: other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<Vec<Migration>, Error> {
        load_files(
            files
                .iter()
                .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec())),
        )
    }

    #[test]
    fn orders_and_pairs() {
        let migrations = load(&[
            ("0010_b.sql", "B"),
            ("0002_a.down.sql", "DROP"),
            ("0002_a.up.sql", "CREATE"),
            ("V3__c.sql", "-- migrate:no-transaction\nC"),
        ])
        .unwrap();
        let versions: Vec<_> = migrations.iter().map(|m| m.version).collect();
        assert_eq!(versions, [2, 3, 10]);
        assert_eq!(migrations[0].down.as_ref().unwrap().sql, "DROP");
        assert_eq!(migrations[0].checksum, checksum("CREATE"));
        assert!(migrations[1].up.no_transaction);
        assert!(migrations[2].down.is_none());
    }

    #[test]
    fn duplicate_versions_name_both_files() {
        let err = load(&[("0001_a.sql", ""), ("1_b.sql", "")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` and `1_b.sql` both have version 1; each version must be unique"
        );
        assert!(matches!(
            load(&[("0001_a.sql", ""), ("0001_a.up.sql", "")]),
            Err(Error::DuplicateVersion { .. })
        ));
    }

    #[test]
    fn down_needs_its_up() {
        let err = load(&[("0001_a.down.sql", "")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.down.sql` has no matching up script: expected `0001_a.up.sql`"
        );
        assert!(matches!(
            load(&[("0001_a.sql", ""), ("0001_a.down.sql", "")]),
            Err(Error::DownWithoutUp { .. })
        ));
        assert!(matches!(
            load(&[("0001_a.up.sql", ""), ("0001_b.down.sql", "")]),
            Err(Error::DuplicateVersion { .. })
        ));
    }

    #[test]
    fn non_utf8_is_rejected() {
        let err = load_files([("0001_a.sql".to_string(), b"SELECT \xff;".to_vec())]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` is not valid UTF-8 (invalid byte at offset 7)"
        );
    }

    #[test]
    fn missing_dir() {
        let err = load_dir(Path::new("/definitely/not/here")).unwrap_err();
        assert!(matches!(err, Error::MissingDir { .. }), "{err}");
    }
}
