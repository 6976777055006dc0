use crate::Error;

/// What a migration file contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `<version>_<name>.sql` or `V<version>__<name>.sql`: an irreversible migration.
    Plain,
    /// `<version>_<name>.up.sql`: the forward half of a reversible migration.
    Up,
    /// `<version>_<name>.down.sql`: the revert half.
    Down,
}

/// A parsed migration file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The version number.
    pub version: i64,
    /// The descriptive name.
    pub name: String,
    /// Plain, up or down.
    pub kind: FileKind,
}

/// Parses a file name. `Ok(None)` means the file is not a migration and is
/// ignored (not `.sql`, or a dotfile); a `.sql` file that breaks a naming rule
/// is an error naming the rule.
pub fn parse_file_name(file: &str) -> Result<Option<FileName>, Error> {
    let bad = |rule| Error::BadFileName {
        file: file.to_owned(),
        rule,
    };
    if file.starts_with('.') {
        return Ok(None);
    }
    let Some(stem) = file.strip_suffix(".sql") else {
        if file.to_ascii_lowercase().ends_with(".sql") {
            return Err(bad("the extension must be lowercase `.sql`"));
        }
        return Ok(None);
    };
    let (stem, kind) = if let Some(stem) = stem.strip_suffix(".up") {
        (stem, FileKind::Up)
    } else if let Some(stem) = stem.strip_suffix(".down") {
        (stem, FileKind::Down)
    } else {
        (stem, FileKind::Plain)
    };
    let (digits, name) = match stem.strip_prefix('V').and_then(|s| s.split_once("__")) {
        Some(flyway) => flyway,
        None => stem
            .split_once('_')
            .ok_or_else(|| bad("the version must be followed by `_` and a name"))?,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "the name must start with a version made of decimal digits",
        ));
    }
    let version = digits.parse::<i64>().map_err(|_| Error::VersionOverflow {
        file: file.to_owned(),
        digits: digits.to_owned(),
    })?;
    if name.is_empty() {
        return Err(bad("the name after the version is empty"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(bad(
            "the name may contain only ASCII letters, digits, `_` and `-`",
        ));
    }
    Ok(Some(FileName {
        version,
        name: name.to_owned(),
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(file: &str) -> (i64, String, FileKind) {
        let n = parse_file_name(file).unwrap().unwrap();
        (n.version, n.name, n.kind)
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(parsed("0001_init.sql"), (1, "init".into(), FileKind::Plain));
        assert_eq!(
            parsed("20261121093000_add-users_table.up.sql"),
            (20261121093000, "add-users_table".into(), FileKind::Up)
        );
        assert_eq!(parsed("7_x.down.sql"), (7, "x".into(), FileKind::Down));
        assert_eq!(
            parsed("V3__seed_data.sql"),
            (3, "seed_data".into(), FileKind::Plain)
        );
        assert_eq!(parsed("9223372036854775807_max.sql").0, i64::MAX);
    }

    #[test]
    fn ignored_files() {
        for file in ["README.md", ".gitkeep", ".hidden.sql", "notes.txt", "sql"] {
            assert_eq!(parse_file_name(file).unwrap(), None, "{file}");
        }
    }

    #[test]
    fn rejected_names() {
        for file in [
            "init.sql",
            "0001.sql",
            "0001_.sql",
            "_init.sql",
            "V1_init.sql",
            "0001_has space.sql",
            "0001_ünïcode.sql",
            "-1_neg.sql",
            "0001_init.SQL",
            "V__x.sql",
        ] {
            assert!(
                matches!(parse_file_name(file), Err(Error::BadFileName { .. })),
                "{file}"
            );
        }
        assert!(matches!(
            parse_file_name("9223372036854775808_big.sql"),
            Err(Error::VersionOverflow { .. })
        ));
    }
}
