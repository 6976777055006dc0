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
    if let Some(rule) = label_rule(name) {
        return Err(bad(rule));
    }
    let lowercase = name.to_ascii_lowercase();
    if [".up", ".down", ".sql"]
        .iter()
        .any(|suffix| lowercase.ends_with(suffix))
    {
        return Err(bad(
            "the name ends in `.up`, `.down` or `.sql`, a doubled or miscased suffix; a file ends in exactly one of `.sql`, `.up.sql` and `.down.sql`, lowercase",
        ));
    }
    Ok(Some(FileName {
        version,
        name: name.to_owned(),
        kind,
    }))
}

/// The rule a migration's descriptive name breaks, if any. The name is a
/// label, kept as written (sqlx and diesel accept any text there): anything
/// but path separators and control characters, which could not name a file
/// on every platform or would garble a message.
pub(crate) fn label_rule(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name after the version is empty")
    } else if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        Some("the name may contain anything but `/`, `\\` and control characters")
    } else {
        None
    }
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

    /// Issue 12, item 3: names sqlx and diesel accept are labels, kept as
    /// written (sqlx's own description replaces `_` by spaces; this one
    /// does not, see `Migration::name`).
    #[test]
    fn issue_12_names_are_labels() {
        assert_eq!(
            parsed("20251218140442_[2.0.0]_initial.up.sql"),
            (20251218140442, "[2.0.0]_initial".into(), FileKind::Up)
        );
        assert_eq!(
            parsed("0001_has space.sql"),
            (1, "has space".into(), FileKind::Plain)
        );
        assert_eq!(
            parsed("0002_v1.2 users, \"quoted\": it's.down.sql").1,
            "v1.2 users, \"quoted\": it's"
        );
        assert_eq!(parsed("0003_ünïcode.sql").1, "ünïcode");
        assert_eq!(parsed("V4__dotted.name.sql").1, "dotted.name");
    }

    /// Issue 12, item 3: what stays rejected is what is ambiguous or cannot
    /// name a file everywhere.
    #[test]
    fn issue_12_ambiguous_names_are_rejected() {
        for (file, rule) in [
            ("0001_a.up.down.sql", "doubled or miscased suffix"),
            ("0001_a.down.up.sql", "doubled or miscased suffix"),
            ("0001_a.UP.sql", "doubled or miscased suffix"),
            ("0001_a.Down.sql", "doubled or miscased suffix"),
            ("0001_a.sql.sql", "doubled or miscased suffix"),
            ("0001_back\\slash.sql", "anything but `/`"),
            ("0001_tab\there.sql", "anything but `/`"),
            ("0001_new\nline.sql", "anything but `/`"),
        ] {
            let err = parse_file_name(file).unwrap_err();
            assert!(
                matches!(&err, Error::BadFileName { rule: r, .. } if r.contains(rule)),
                "{file}: {err}"
            );
        }
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
