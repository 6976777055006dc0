//! diesel's layout: one directory per migration, `<version>_<name>/` holding
//! `up.sql`, optionally `down.sql` and `metadata.toml`.
//!
//! diesel takes the part of the directory's name before the first `_`,
//! removes its dashes, records that text in
//! `__diesel_schema_migrations.version` and runs migrations in the order of
//! that text (`2019-11-15-182353_create_users` is `20191115182353`; since
//! diesel 2.2.7 `diesel migration generate` adds a hexadecimal subversion,
//! `2025-01-02-030405-0000_x` is `202501020304050000`; hand-named
//! directories have other lengths, `2024-03-13_x` is `20240313`).
//! Versions here are numbers, so the texts are mapped onto numbers in the
//! same order, each by its text alone, so that adding a migration never
//! renumbers another.

use std::borrow::Cow;

use crate::file_name::label_rule;
use crate::Error;

/// The migration's script, the one file a migration directory must hold.
pub(crate) const UP: &str = "up.sql";
/// The revert script.
pub(crate) const DOWN: &str = "down.sql";
/// The transaction setting.
pub(crate) const METADATA: &str = "metadata.toml";

/// Room after a timestamp's digits for diesel's subversion: 0 for none,
/// 1 + `0000`..=`ffff` for one, so `T` < `T-0000` < `T-0001` < `T+1s`, as
/// diesel orders them; the last 13 numbers before `T`'s are for the
/// shorter versions `T` starts with (`2024031300000` < `20240313000000`).
const SUBVERSION_SLOTS: i64 = 100_000;
/// The digits of diesel's `%Y-%m-%d-%H%M%S` timestamps.
const TIMESTAMP_DIGITS: usize = 14;
/// The hexadecimal digits of diesel's `-%04x` subversion.
const SUBVERSION_DIGITS: usize = 4;

/// A parsed diesel migration directory name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirName {
    /// The numeric version, ordered as diesel orders `diesel_version`.
    pub version: i64,
    /// The version as diesel records it: the name's version, dashes removed.
    pub diesel_version: String,
    /// The descriptive part after the first `_`.
    pub name: String,
}

/// Whether a subdirectory is named like a migration (it starts with a
/// version), so that lacking `up.sql` is an error rather than a sign that
/// it holds something else (`seeds/`).
pub(crate) fn named_like_migration(dir: &str) -> bool {
    dir.starts_with(|c: char| c.is_ascii_digit())
}

/// Parses a diesel migration directory's name, `<version>_<name>`.
///
/// diesel's version is the text before the first `_` without its dashes. A
/// 14-digit timestamp `T` becomes the number `T * 100000`, one with diesel's
/// subversion `-XXXX` (hexadecimal) `T * 100000 + 1 + 0xXXXX`. Fewer digits
/// `D` sort (as text) just before `T`, the 14 digits `D` padded with zeros,
/// and after every subversion of the timestamp before it, so they become
/// `T * 100000 - (14 - length of D)`: `2024-03-13` is
/// `2024031300000000000 - 6`. These numbers sort as diesel sorts the texts.
/// Longer digits are taken as they are; [`load_dir`](crate::load_dir)
/// checks that the numbers and diesel's text agree on the order of the
/// whole directory.
///
/// ```
/// let parsed = migrata_core::parse_dir_name("2025-01-02-030405-0000_add_users")?;
/// assert_eq!(parsed.diesel_version, "202501020304050000");
/// assert_eq!(parsed.version, 2025010203040500001);
/// assert_eq!(parsed.name, "add_users");
/// # Ok::<(), migrata_core::Error>(())
/// ```
pub fn parse_dir_name(dir: &str) -> Result<DirName, Error> {
    let bad = |rule| Error::BadDirName {
        dir: dir.to_owned(),
        rule,
    };
    if !named_like_migration(dir) {
        return Err(bad("the name must start with a version"));
    }
    let (version, name) = dir
        .split_once('_')
        .ok_or_else(|| bad("the version must be followed by `_` and a name"))?;
    if let Some(rule) = label_rule(name) {
        return Err(bad(rule));
    }
    let diesel_version = version.replace('-', "");
    let number = numeric_version(&diesel_version).map_err(|problem| match problem {
        VersionProblem::Shape => bad(
            "the version must be digits and dashes (`2019-11-15-182353`), optionally ending in diesel's hexadecimal subversion (`-000a`)",
        ),
        VersionProblem::PaddedOverflow => bad(
            "a version shorter than 14 digits is read as a timestamp padded with zeros (`2024-03-13` as `20240313000000`), which must be at most `92233720368547` to fit in a signed 64-bit version here",
        ),
        VersionProblem::ShortZeros => bad(
            "a version shorter than 14 digits cannot be all zeros: diesel runs it before `00000000000000`, which is version 0 here, the first there is",
        ),
        VersionProblem::Overflow => Error::VersionOverflow {
            file: format!("{dir}/"),
            digits: diesel_version.clone(),
        },
    })?;
    Ok(DirName {
        version: number,
        diesel_version,
        name: name.to_owned(),
    })
}

enum VersionProblem {
    Shape,
    Overflow,
    PaddedOverflow,
    ShortZeros,
}

fn numeric_version(text: &str) -> Result<i64, VersionProblem> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let lowercase_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let mut overflow = VersionProblem::Overflow;
    let (timestamp, slot) = match text.split_at_checked(TIMESTAMP_DIGITS) {
        Some((timestamp, "")) if all_digits(timestamp) => (Cow::Borrowed(timestamp), 0),
        Some((timestamp, subversion))
            if all_digits(timestamp)
                && subversion.len() == SUBVERSION_DIGITS
                && lowercase_hex(subversion) =>
        {
            let subversion =
                i64::from_str_radix(subversion, 16).map_err(|_| VersionProblem::Shape)?;
            (Cow::Borrowed(timestamp), subversion + 1)
        }
        // Shorter: a prefix of its zero-padded timestamp, so just before it.
        None if all_digits(text) => {
            let missing = TIMESTAMP_DIGITS - text.len();
            let padded = format!("{text}{}", "0".repeat(missing));
            overflow = VersionProblem::PaddedOverflow;
            (Cow::Owned(padded), -(missing as i64))
        }
        _ if all_digits(text) => return text.parse().map_err(|_| VersionProblem::Overflow),
        _ => return Err(VersionProblem::Shape),
    };
    let number = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|t| t.checked_mul(SUBVERSION_SLOTS))
        .and_then(|t| t.checked_add(slot))
        .ok_or(overflow)?;
    // Only a short run of zeros lands below `00000000000000`'s 0, where
    // versions would look like repeatable migrations' keys.
    if number < 0 {
        return Err(VersionProblem::ShortZeros);
    }
    Ok(number)
}

/// Whether `metadata.toml` says `run_in_transaction = false`, which means
/// what `-- migrate:no-transaction` means, for both scripts.
///
/// Only what diesel reads is accepted: `run_in_transaction = true | false`,
/// `#` comments and blank lines. diesel falls back to a transaction when it
/// cannot read the file; here that is an error naming the line, so a typo
/// cannot silently put a `CREATE INDEX CONCURRENTLY` in a transaction.
pub(crate) fn runs_outside_transaction(file: &str, text: &str) -> Result<bool, Error> {
    let mut run_in_transaction = None;
    for (index, line) in crate::strip_bom(text).lines().enumerate() {
        let bad = |rule| Error::BadMetadata {
            file: file.to_owned(),
            line: index + 1,
            rule,
        };
        let setting = line.split('#').next().unwrap_or_default().trim();
        if setting.is_empty() {
            continue;
        }
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| bad("expected `run_in_transaction = false`"))?;
        if key.trim() != "run_in_transaction" {
            return Err(bad("the only key is `run_in_transaction`"));
        }
        let value = match value.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(bad("`run_in_transaction` is `true` or `false`")),
        };
        if run_in_transaction.replace(value).is_some() {
            return Err(bad("`run_in_transaction` is set twice"));
        }
    }
    Ok(run_in_transaction == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(dir: &str) -> (i64, String, String) {
        let parsed = parse_dir_name(dir).unwrap();
        (parsed.version, parsed.diesel_version, parsed.name)
    }

    #[test]
    fn versions_as_diesel_records_them() {
        assert_eq!(
            version("2019-11-15-182353_create_users"),
            (
                2019111518235300000,
                "20191115182353".into(),
                "create_users".into()
            )
        );
        assert_eq!(
            version("00000000000000_diesel_initial_setup"),
            (0, "00000000000000".into(), "diesel_initial_setup".into())
        );
        assert_eq!(
            version("2025-01-02-030405-0000_add-thing.v2").0,
            2025010203040500001
        );
        assert_eq!(version("2025-01-02-030405-ffff_x").0, 2025010203040565536);
        assert_eq!(version("2025-01-02-030405-000a_x").1, "20250102030405000a");
        assert_eq!(
            version("20140924113530_dumped migration 1").0,
            2014092411353000000
        );
        assert_eq!(version("7_short").0, 7_000_000_000_000_000_000 - 13);
        assert_eq!(version("0042_short").1, "0042");
        assert_eq!(
            version("2024-03-13_date_only"),
            (
                2024031300000000000 - 6,
                "20240313".into(),
                "date_only".into()
            )
        );
    }

    /// Issue 12, item 3: the numbers sort as diesel sorts the text, also
    /// across the two timestamp shapes (crates.io mixes them); issue 25,
    /// item 13: and across versions of other lengths.
    #[test]
    fn numbers_follow_diesels_text_order() {
        let mut dirs = [
            "2024-03-13_date_only",
            "2024-03-06-170000_full",
            "2024-03-12-235959-ffff_last_sub",
            "2024-03-13-000000_padded",
            "2024-03-130_longer_prefix",
            "2024-03-13-000000-0000_padded_sub",
            "2024-03-14_next_day",
            "2024_year",
            "10_ten",
            "9_nine",
            "0001_first",
            "2026-05-27-120000-0000_semver_ord_v2_not_null",
            "2026-05-27-120000_add_username_to_users",
            "2026-01-20-162913_oauth_github_table",
            "2025-12-29-110242-0000_add_distribution",
            "2025-12-29-110242-000b_later_same_second",
            "2025-12-29-110242-0002_earlier_same_second",
            "00000000000000_diesel_initial_setup",
        ]
        .map(|dir| parse_dir_name(dir).unwrap());
        dirs.sort_by_key(|d| d.version);
        let texts: Vec<&str> = dirs.iter().map(|d| d.diesel_version.as_str()).collect();
        let mut diesel_order = texts.clone();
        diesel_order.sort_unstable();
        assert_eq!(texts, diesel_order);
        let mut numbers: Vec<i64> = dirs.iter().map(|d| d.version).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), dirs.len(), "every version is distinct");
        let names: Vec<&str> = dirs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "diesel_initial_setup",
                "first",
                "ten",
                "year",
                "full",
                "last_sub",
                "date_only",
                "longer_prefix",
                "padded",
                "padded_sub",
                "next_day",
                "add_distribution",
                "earlier_same_second",
                "later_same_second",
                "oauth_github_table",
                "add_username_to_users",
                "semver_ord_v2_not_null",
                "nine",
            ]
        );
    }

    #[test]
    fn bad_names_name_the_rule() {
        for (dir, rule) in [
            ("seeds", "must start with a version"),
            ("20190101000000", "followed by `_`"),
            ("2019-01-01-000000_", "is empty"),
            ("2019-01-01-000000_tab\there", "control characters"),
            ("2019-01-01-00000x_x", "digits and dashes"),
            ("2019-01-01-000000-00AB_x", "digits and dashes"),
            ("0_zero", "cannot be all zeros"),
            ("0000-00-00_zero", "cannot be all zeros"),
            ("95_big", "at most `92233720368547`"),
        ] {
            let err = parse_dir_name(dir).unwrap_err();
            assert!(
                matches!(&err, Error::BadDirName { rule: r, .. } if r.contains(rule)),
                "{dir}: {err}"
            );
        }
        for dir in ["9999-12-31-235959_far", "99999999999999999999_big"] {
            assert!(
                matches!(parse_dir_name(dir), Err(Error::VersionOverflow { .. })),
                "{dir}"
            );
        }
        assert!(named_like_migration("2019_x") && !named_like_migration("seeds"));
    }

    #[test]
    fn metadata() {
        let outside = |text| runs_outside_transaction("x/metadata.toml", text);
        assert!(outside("run_in_transaction = false\n").unwrap());
        assert!(outside("\u{feff}# why\r\nrun_in_transaction=false # CONCURRENTLY\r\n").unwrap());
        assert!(!outside("run_in_transaction = true").unwrap());
        assert!(!outside("").unwrap());
        for (text, line, rule) in [
            ("run_in_transactions = false", 1, "the only key"),
            ("\nrun_in_transaction = no", 2, "`true` or `false`"),
            ("[migration]", 1, "expected"),
            (
                "run_in_transaction = false\nrun_in_transaction = false",
                2,
                "set twice",
            ),
        ] {
            let err = outside(text).unwrap_err();
            assert!(
                matches!(&err, Error::BadMetadata { line: l, rule: r, .. } if *l == line && r.contains(rule)),
                "{text}: {err}"
            );
        }
        assert_eq!(
            outside("run_in_transaction = maybe").unwrap_err().to_string(),
            "`x/metadata.toml` line 1: `run_in_transaction` is `true` or `false`; diesel's `metadata.toml` holds `run_in_transaction = false` (or `true`), comments and blank lines"
        );
    }
}
