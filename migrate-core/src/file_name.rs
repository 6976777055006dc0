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
    /// `<version>_<name>.rs` or `V<version>__<name>.rs`: a code migration,
    /// one Rust file holding `up` and optionally `down`.
    Code,
    /// `R__<name>.sql` or `repeatable_<name>.sql`: a repeatable migration,
    /// applied after the versioned ones whenever it changed. Its `version`
    /// is [`repeatable_version`] of its name.
    Repeatable,
}

/// The prefixes of a repeatable migration's file name: Flyway's, and one
/// spelled like the versioned names (`<version>_<name>.sql`).
const REPEATABLE_PREFIXES: [&str; 2] = ["R__", "repeatable_"];

/// The version a repeatable migration named `name` is recorded under: a
/// negative number (versioned migrations' are not) derived from the name
/// alone, so the same name keeps its row in the version table across
/// builds and file moves, and `down --to -1` never reaches it.
///
/// ```
/// let views = migrata_core::repeatable_version("views");
/// assert!(views < -1);
/// assert_eq!(views, migrata_core::repeatable_version("views"));
/// assert_ne!(views, migrata_core::repeatable_version("grants"));
/// ```
pub fn repeatable_version(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("repeatable:{name}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 62 bits: -2 - n stays within i64 and below -1.
    -2 - (u64::from_be_bytes(first) >> 2) as i64
}

/// Whether `version` is a repeatable migration's key: those are negative
/// ([`repeatable_version`]); versioned migrations' never are.
pub fn is_repeatable_version(version: i64) -> bool {
    version < 0
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
/// ignored (neither `.sql` nor `.rs`, or a dotfile); a `.sql` or `.rs` file
/// that breaks a naming rule is an error naming the rule.
pub fn parse_file_name(file: &str) -> Result<Option<FileName>, Error> {
    if file.starts_with('.') {
        return Ok(None);
    }
    if let Some(stem) = file.strip_suffix(".rs") {
        return parse_code_name(file, stem).map(Some);
    }
    let bad = |rule| Error::BadFileName {
        file: file.to_owned(),
        rule,
    };
    let Some(stem) = file.strip_suffix(".sql") else {
        let lowercase = file.to_ascii_lowercase();
        if lowercase.ends_with(".sql") {
            return Err(bad("the extension must be lowercase `.sql`"));
        }
        if lowercase.ends_with(".rs") {
            return Err(Error::BadCodeFileName {
                file: file.to_owned(),
                rule: "the extension must be lowercase `.rs`",
            });
        }
        return Ok(None);
    };
    if let Some(name) = REPEATABLE_PREFIXES
        .iter()
        .find_map(|prefix| stem.strip_prefix(prefix))
    {
        return parse_repeatable_name(name, bad).map(Some);
    }
    let (stem, kind) = if let Some(stem) = stem.strip_suffix(".up") {
        (stem, FileKind::Up)
    } else if let Some(stem) = stem.strip_suffix(".down") {
        (stem, FileKind::Down)
    } else {
        (stem, FileKind::Plain)
    };
    let (version, name) = versioned(file, stem, bad)?;
    if ends_in_suffix(name, &[".up", ".down", ".sql"]) {
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

/// A repeatable migration's name (after its prefix): a label, without
/// `.up` or `.down`, since a repeatable migration is never reverted.
fn parse_repeatable_name(
    name: &str,
    bad: impl Fn(&'static str) -> Error,
) -> Result<FileName, Error> {
    if let Some(rule) = label_rule(name) {
        return Err(bad(rule));
    }
    if ends_in_suffix(name, &[".up", ".down", ".sql"]) {
        return Err(bad(
            "a repeatable migration (`R__<name>.sql` or `repeatable_<name>.sql`) is one file, never reverted: its name cannot end in `.up`, `.down` or `.sql`",
        ));
    }
    Ok(FileName {
        version: repeatable_version(name),
        name: name.to_owned(),
        kind: FileKind::Repeatable,
    })
}

/// A code migration's name: like a plain script's, with `.rs`; one file
/// holds both directions, so `.up` and `.down` suffixes are errors.
fn parse_code_name(file: &str, stem: &str) -> Result<FileName, Error> {
    let bad = |rule| Error::BadCodeFileName {
        file: file.to_owned(),
        rule,
    };
    let (version, name) = versioned(file, stem, bad)?;
    if ends_in_suffix(name, &[".up", ".down", ".rs", ".sql"]) {
        return Err(bad(
            "the name ends in `.up`, `.down`, `.rs` or `.sql`; a code migration is one file, holding `up` and optionally `down`",
        ));
    }
    Ok(FileName {
        version,
        name: name.to_owned(),
        kind: FileKind::Code,
    })
}

/// The version and descriptive name of a file name's stem
/// (`<version>_<name>` or `V<version>__<name>`); `bad` makes the error for
/// a broken rule.
fn versioned<'s>(
    file: &str,
    stem: &'s str,
    bad: impl Fn(&'static str) -> Error,
) -> Result<(i64, &'s str), Error> {
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
    Ok((version, name))
}

/// Whether `name` ends in one of `suffixes`, in any case.
fn ends_in_suffix(name: &str, suffixes: &[&str]) -> bool {
    let lowercase = name.to_ascii_lowercase();
    suffixes.iter().any(|suffix| lowercase.ends_with(suffix))
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
    fn names_are_labels() {
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
    fn ambiguous_names_are_rejected() {
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

    /// Issue 14: code migrations share the versions and name rules of
    /// scripts; one file holds both directions.
    #[test]
    fn code_migration_names() {
        assert_eq!(
            parsed("0003_backfill_domains.rs"),
            (3, "backfill_domains".into(), FileKind::Code)
        );
        assert_eq!(parsed("V4__seed.rs"), (4, "seed".into(), FileKind::Code));
        for (file, rule) in [
            ("0003_a.up.rs", "one file"),
            ("0003_a.down.rs", "one file"),
            ("0003_a.rs.rs", "one file"),
            ("backfill.rs", "followed by `_`"),
            ("x_backfill.rs", "decimal digits"),
            ("mod.rs", "followed by `_`"),
            ("0003_.rs", "empty"),
            ("0003_a.RS", "lowercase `.rs`"),
        ] {
            let err = parse_file_name(file).unwrap_err();
            assert!(
                matches!(&err, Error::BadCodeFileName { rule: r, .. } if r.contains(rule)),
                "{file}: {err}"
            );
        }
        assert!(matches!(
            parse_file_name("9223372036854775808_big.rs"),
            Err(Error::VersionOverflow { .. })
        ));
    }

    /// Issue 14: repeatable migrations, in Flyway's spelling and one like
    /// the versioned names; their version is derived from the name.
    #[test]
    fn repeatable_names() {
        let views = parsed("R__views.sql");
        assert_eq!(
            views,
            (
                repeatable_version("views"),
                "views".into(),
                FileKind::Repeatable
            )
        );
        assert_eq!(parsed("repeatable_views.sql"), views);
        assert_eq!(parsed("R__grants, v2.sql").1, "grants, v2");
        for file in [
            "R__.sql",
            "R__views.down.sql",
            "repeatable_x.up.sql",
            "R__a\tb.sql",
        ] {
            assert!(
                matches!(parse_file_name(file), Err(Error::BadFileName { .. })),
                "{file}"
            );
        }
        // Distinct names, distinct versions, all below -1.
        let versions: std::collections::BTreeSet<i64> = (0..1000)
            .map(|i| repeatable_version(&format!("view_{i}")))
            .collect();
        assert_eq!(versions.len(), 1000);
        assert!(versions.iter().all(|&v| v < -1));
    }

    #[test]
    fn ignored_files() {
        for file in [
            "README.md",
            ".gitkeep",
            ".hidden.sql",
            ".hidden.rs",
            "notes.txt",
            "sql",
            "rs",
        ] {
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
