//! `migrate new <name>`: the next migration file.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Versions this long or longer are taken for timestamps (YYYYMMDDhhmmss).
const TIMESTAMP_DIGITS: usize = 14;

/// Creates the next migration in `dir` (empty files), named after `name`,
/// and returns their paths. Sequence numbers continue the directory's own
/// width (`0001`, `0002`, ...); a directory of timestamps gets the current
/// UTC time.
pub(super) fn create(dir: &Path, name: &str, reversible: bool) -> Result<Vec<PathBuf>, String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "`{name}` is not a valid migration name: use ASCII letters, digits, `_` and `-`"
        ));
    }
    let existing = match migrate_core::load_dir(dir) {
        Ok(existing) => existing,
        Err(errors) if errors.is_missing_dir() => Vec::new(),
        Err(error) => return Err(error.to_string()),
    };
    let digits = existing
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
        vec![format!("{stem}.up.sql"), format!("{stem}.down.sql")]
    } else {
        vec![format!("{stem}.sql")]
    };
    for file in &files {
        migrate_core::parse_file_name(file).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut created = Vec::new();
    for file in files {
        let path = dir.join(file);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        created.push(path);
    }
    Ok(created)
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
        let err = create(dir.path(), "next", false).unwrap_err();
        assert!(err.contains("no version after"), "{err}");
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "a file was created");
    }
}
