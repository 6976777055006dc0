use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use crate::transaction_control::transaction_control;
use crate::{
    checksum, parse_directives, parse_file_name, Error, Errors, FileKind, Migration, Script,
};

/// Problems found so far, each with the file it is about (for ordering).
type Problems = Vec<(String, Error)>;

/// Reads every migration in `dir`, validates it and returns them ordered by
/// version. Files that are not `.sql` and subdirectories are ignored.
///
/// Every problem in the directory is reported, in file-name order, so one
/// build shows them all.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, Errors> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::MissingDir {
                path: dir.to_owned(),
            }
            .into())
        }
        Err(e) => return Err(io(e).into()),
    };
    let mut files = Vec::new();
    let mut problems = Problems::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            // Sorts before every file name: the listing itself broke.
            Err(source) => {
                problems.push((String::new(), io(source)));
                continue;
            }
        };
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        let file = entry.file_name().to_string_lossy().into_owned();
        match parse_file_name(&file) {
            Ok(Some(_)) => {}
            Ok(None) => continue,
            Err(error) => {
                problems.push((file, error));
                continue;
            }
        }
        match std::fs::read(&path) {
            Ok(bytes) => files.push((file, bytes)),
            Err(source) => problems.push((file, Error::Io { path, source })),
        }
    }
    validate(files, problems)
}

/// Validates a set of `(file name, contents)` pairs, as [`load_dir`] does for
/// a directory, and returns the migrations ordered by version, or every
/// problem found, in file-name order (the same on every platform).
pub fn load_files(
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<Vec<Migration>, Errors> {
    validate(files.into_iter().collect(), Problems::new())
}

/// An up (or plain) file, whether or not its content was valid: versions and
/// pairs are checked for every file, so a bad script does not also make its
/// down script look orphaned.
struct UpFile {
    file: String,
    name: String,
}

fn validate(
    mut files: Vec<(String, Vec<u8>)>,
    mut problems: Problems,
) -> Result<Vec<Migration>, Errors> {
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let mut up_files: BTreeMap<i64, UpFile> = BTreeMap::new();
    let mut ups: BTreeMap<i64, Migration> = BTreeMap::new();
    let mut downs = Vec::new();
    for (file, bytes) in files {
        let parsed = match parse_file_name(&file) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => continue,
            Err(error) => {
                problems.push((file, error));
                continue;
            }
        };
        if parsed.kind != FileKind::Down {
            if let Some(existing) = up_files.get(&parsed.version) {
                let error = duplicate(parsed.version, &existing.file, &file);
                problems.push((file, error));
                continue;
            }
            let up_file = UpFile {
                file: file.clone(),
                name: parsed.name.clone(),
            };
            up_files.insert(parsed.version, up_file);
        }
        let script = match script(&file, bytes) {
            Ok(script) => Some(script),
            Err(errors) => {
                problems.extend(errors.into_iter().map(|error| (file.clone(), error)));
                None
            }
        };
        match (parsed.kind, script) {
            (FileKind::Down, script) => downs.push((parsed.version, parsed.name, file, script)),
            (_, Some(script)) => {
                let migration = Migration {
                    version: parsed.version,
                    name: Cow::Owned(parsed.name),
                    checksum: checksum(&script.sql),
                    up: script,
                    down: None,
                };
                ups.insert(parsed.version, migration);
            }
            (_, None) => {}
        }
    }

    for (version, name, file, script) in downs {
        let expected = format!("{}.up.sql", strip_down_suffix(&file));
        match up_files.get(&version) {
            Some(up) if up.file == expected => {
                // Absent when the up script itself was rejected.
                let (Some(script), Some(up)) = (script, ups.get_mut(&version)) else {
                    continue;
                };
                match &up.down {
                    Some(existing) => {
                        let error = duplicate(version, &existing.file, &file);
                        problems.push((file, error));
                    }
                    None => up.down = Some(script),
                }
            }
            Some(other) if other.name != name => {
                let error = duplicate(version, &other.file, &file);
                problems.push((file, error));
            }
            _ => problems.push((file.clone(), Error::DownWithoutUp { file, expected })),
        }
    }
    match Errors::sorted(problems) {
        Some(errors) => Err(errors),
        None => Ok(ups.into_values().collect()),
    }
}

/// Reads one script: UTF-8, directives, and no transaction control in a
/// script that runs inside its migration's transaction.
fn script(file: &str, bytes: Vec<u8>) -> Result<Script, Vec<Error>> {
    let sql = String::from_utf8(bytes).map_err(|e| {
        vec![Error::NotUtf8 {
            file: file.to_owned(),
            offset: e.utf8_error().valid_up_to(),
        }]
    })?;
    let directives = parse_directives(file, &sql).map_err(|error| vec![error])?;
    if !directives.no_transaction {
        let found: Vec<Error> = transaction_control(&sql)
            .into_iter()
            .map(|found| Error::TransactionControl {
                file: file.to_owned(),
                line: found.line,
                statement: found.statement,
            })
            .collect();
        if !found.is_empty() {
            return Err(found);
        }
    }
    Ok(Script {
        file: Cow::Owned(file.to_owned()),
        sql: Cow::Owned(sql),
        no_transaction: directives.no_transaction,
    })
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

    fn load(files: &[(&str, &str)]) -> Result<Vec<Migration>, Errors> {
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
            only_error(load(&[("0001_a.sql", ""), ("0001_a.up.sql", "")])),
            Error::DuplicateVersion { .. }
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
            only_error(load(&[("0001_a.sql", ""), ("0001_a.down.sql", "")])),
            Error::DownWithoutUp { .. }
        ));
        assert!(matches!(
            only_error(load(&[("0001_a.up.sql", ""), ("0001_b.down.sql", "")])),
            Error::DuplicateVersion { .. }
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
        assert!(err.is_missing_dir(), "{err}");
    }

    fn only_error(loaded: Result<Vec<Migration>, Errors>) -> Error {
        let errors: Vec<Error> = loaded.unwrap_err().into_iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap()
    }

    /// Issue 10, item 13: every problem of every file is reported, in name
    /// order, and a rejected script does not make its pair look orphaned.
    #[test]
    fn item_13_every_file_error_in_name_order() {
        let errors = load_files([
            ("0009_z.sql".to_string(), b"SELECT 1;".to_vec()),
            ("0003_c.up.sql".to_string(), b"\xff".to_vec()),
            ("0003_c.down.sql".to_string(), b"DROP TABLE c;".to_vec()),
            (
                "0002_b.sql".to_string(),
                b"BEGIN;\nSELECT 1;\nCOMMIT;".to_vec(),
            ),
            ("bad.sql".to_string(), Vec::new()),
            ("0001_a.sql".to_string(), b"-- migrate:bogus\n".to_vec()),
            ("9_z.sql".to_string(), Vec::new()),
            ("0004_d.down.sql".to_string(), Vec::new()),
            ("0005_e.SQL".to_string(), Vec::new()),
        ])
        .unwrap_err();
        let described: Vec<String> = errors
            .iter()
            .map(|error| match error {
                Error::TransactionControl { file, line, .. } => format!("{file}:{line}"),
                Error::DuplicateVersion { file, other, .. } => format!("{file}={other}"),
                Error::UnknownDirective { file, .. }
                | Error::NotUtf8 { file, .. }
                | Error::DownWithoutUp { file, .. }
                | Error::BadFileName { file, .. } => file.clone(),
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(
            described,
            [
                "0001_a.sql",
                "0002_b.sql:1",
                "0002_b.sql:3",
                "0003_c.up.sql",
                "0004_d.down.sql",
                "0005_e.SQL",
                "0009_z.sql=9_z.sql",
                "bad.sql",
            ]
        );
        assert_eq!(errors.to_string().lines().count(), described.len());
    }

    /// Issue 10, item 5: transaction control in a transactional script is an
    /// error naming the file, the line and the directive; with the directive
    /// it is allowed, and down scripts are checked too.
    #[test]
    fn item_5_transaction_control_needs_no_transaction() {
        let err = load(&[("0001_a.sql", "CREATE TABLE t (id INT);\n\nCOMMIT;\n")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`0001_a.sql` line 3: `COMMIT` is transaction control, but this script runs inside its migration's transaction, \
             which also records it in the version table; remove the statement, or add `-- migrate:no-transaction` \
             to the file's leading comments to run the script outside a transaction"
        );
        let allowed = load(&[(
            "0001_a.sql",
            "-- migrate:no-transaction\nBEGIN;\nCREATE TABLE t (id INT);\nCOMMIT;\n",
        )])
        .unwrap();
        assert!(allowed[0].up.no_transaction);
        assert!(matches!(
            only_error(load(&[
                ("0001_a.up.sql", ""),
                ("0001_a.down.sql", "ROLLBACK;")
            ])),
            Error::TransactionControl {
                line: 1,
                statement: "ROLLBACK",
                ..
            }
        ));
    }
}
