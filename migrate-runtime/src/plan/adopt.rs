//! Adopting another tool's history, decided without side effects: which row
//! of sqlx's, refinery's or diesel's history table names which embedded
//! migration, whether the two agree (versions, names and checksums, as far
//! as each tool records them), and what the version table gains ([`plan`]).
//! The session then writes exactly the rows `stamp` writes.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha384};
use siphasher::sip::SipHasher13;

use migrata_core::Migration;

use crate::error::Error;
use crate::model::{AdoptionProblem, BackendKind, HistoryRow, MigrationState, Peer, PeerRow};
use crate::plan;

/// Where a row `peer` recorded for `migration` disagrees with it: its
/// name, and its checksum where the tool records one.
fn disagreements(peer: Peer, row: &PeerRow, migration: &Migration) -> Vec<AdoptionProblem> {
    let (name, checksum) = match peer {
        Peer::Sqlx => (
            Some(sqlx_description(migration)),
            Some(vec![sqlx_checksum(migration)]),
        ),
        Peer::Refinery => {
            let name = refinery_name(migration);
            // Hashed with the recorded name, so that a renamed file is
            // reported as renamed, not also as edited.
            let hashed = row.name.as_deref().unwrap_or(&name);
            (
                Some(name.clone()),
                Some(refinery_checksums(
                    hashed,
                    migration.version,
                    &migration.up.sql,
                )),
            )
        }
        Peer::Diesel => (None, None),
    };
    let recorded_name = row.name.clone().unwrap_or_default();
    let recorded_sum = row.checksum.clone().unwrap_or_default();
    let mut problems = Vec::new();
    if let Some(expected) = name.filter(|expected| *expected != recorded_name) {
        problems.push(AdoptionProblem::Renamed {
            version: migration.version,
            recorded: recorded_name,
            expected,
        });
    }
    if let Some(accepted) = checksum {
        if !accepted
            .iter()
            .any(|sum| sum.eq_ignore_ascii_case(&recorded_sum))
        {
            problems.push(AdoptionProblem::Edited {
                version: migration.version,
                file: migration.up.file.to_string(),
                recorded: recorded_sum,
                expected: accepted.into_iter().next().unwrap_or_default(),
            });
        }
    }
    problems
}

/// The embedded migration a version recorded by a peer stands for: a
/// diesel-layout migration by the text diesel records (its directory's
/// version, dashes removed: `20191115182353`), any other by its number.
/// The one place peer versions are compared with embedded ones.
fn embedded<'m>(recorded: &str, migrations: &'m [Migration]) -> Option<&'m Migration> {
    if let Some(migration) = migrations
        .iter()
        .find(|m| m.diesel_version.as_deref() == Some(recorded))
    {
        return Some(migration);
    }
    let version: i64 = recorded.parse().ok()?;
    let index = migrations
        .binary_search_by_key(&version, |m| m.version)
        .ok()?;
    migrations
        .get(index)
        .filter(|migration| migration.diesel_version.is_none())
}

/// sqlx's description of a migration: the file name after the version, `_`
/// read as a space (sqlx-core 0.9 `migrate/source.rs`, `resolve_blocking_with_config`).
fn sqlx_description(migration: &Migration) -> String {
    migration.name.replace('_', " ")
}

/// sqlx's checksum: SHA-384 of the file's text, byte for byte (a BOM or CRLF
/// included), as lowercase hex.
fn sqlx_checksum(migration: &Migration) -> String {
    Sha384::digest(migration.up.sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// refinery's name of a migration: the word characters its file-name
/// pattern `[U|V](\d+)__(\w+)` captures (refinery_core `util.rs`).
fn refinery_name(migration: &Migration) -> String {
    migration
        .name
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The checksums refinery may have recorded for a migration, as decimal
/// text: SipHash-1-3 with zero keys over `Hash` of the name, the version and
/// the script (refinery_core `runner.rs`, `Migration::unapplied`). The
/// version is an `i32`, or an `i64` in builds with refinery's
/// `int8-versions` feature: both are accepted. `Hash` writes integers in
/// native byte order, so these match what refinery computed on a machine of
/// the same endianness (every common one is little-endian).
fn refinery_checksums(name: &str, version: i64, sql: &str) -> Vec<String> {
    fn checksum(name: &str, version: impl Hash, sql: &str) -> String {
        let mut hasher = SipHasher13::new();
        name.hash(&mut hasher);
        version.hash(&mut hasher);
        sql.hash(&mut hasher);
        hasher.finish().to_string()
    }
    let narrow = i32::try_from(version)
        .ok()
        .map(|version| checksum(name, version, sql));
    narrow
        .into_iter()
        .chain([checksum(name, version, sql)])
        .collect()
}

/// What adopting another tool's history did (or, from
/// [`Database::check_adoption`](crate::Database::check_adoption), would do).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Adoption {
    /// The database.
    pub backend: BackendKind,
    /// The tool whose history was read.
    pub peer: Peer,
    /// The versions recorded as applied in the version table (or that
    /// would be, from a check): the tool's, not recorded before.
    pub adopted: Vec<i64>,
    /// The tool's versions the version table already recorded: all of them
    /// when its history was adopted before.
    pub already_adopted: Vec<i64>,
    /// Embedded migrations newer than every one the tool applied, not
    /// applied here either: a run applies them.
    pub pending: Vec<i64>,
    /// Whether this was a check, which writes nothing.
    pub dry_run: bool,
}

impl Adoption {
    /// `true` when the version table already recorded everything the tool
    /// applied (adopting again changes nothing).
    pub fn is_already_adopted(&self) -> bool {
        self.adopted.is_empty() && !self.already_adopted.is_empty()
    }
}

/// What adopting records, decided from both histories.
#[derive(Debug)]
pub(crate) struct AdoptionPlan<'m> {
    /// The migrations the tool applied that the version table lacks.
    pub adopt: Vec<&'m Migration>,
    pub already_adopted: Vec<i64>,
    pub pending: Vec<i64>,
}

impl AdoptionPlan<'_> {
    pub fn report(&self, backend: BackendKind, peer: Peer, dry_run: bool) -> Adoption {
        Adoption {
            backend,
            peer,
            adopted: self.adopt.iter().map(|m| m.version).collect(),
            already_adopted: self.already_adopted.clone(),
            pending: self.pending.clone(),
            dry_run,
        }
    }
}

/// Compares `peer`'s history (`recorded`) with the embedded `migrations`
/// (sorted by version) and with this binary's version table (`history`), and
/// decides what adopting records. Every disagreement is reported at once, in
/// [`Error::AdoptionRefused`]; then nothing may be written.
pub(crate) fn plan<'m>(
    peer: Peer,
    migrations: &'m [Migration],
    recorded: Vec<PeerRow>,
    history: Vec<HistoryRow>,
) -> Result<AdoptionPlan<'m>, Error> {
    let mut problems = Vec::new();
    let mut applied_there: BTreeMap<i64, &'m Migration> = BTreeMap::new();
    let mut seen_there = BTreeSet::new();
    for row in &recorded {
        let Some(migration) = embedded(&row.version, migrations) else {
            problems.push(AdoptionProblem::NotEmbedded {
                version: row.version.clone(),
                name: row.name.clone(),
            });
            continue;
        };
        seen_there.insert(migration.version);
        if !row.success {
            problems.push(AdoptionProblem::Failed {
                version: migration.version,
                name: row.name.clone(),
            });
            continue;
        }
        problems.extend(disagreements(peer, row, migration));
        applied_there.insert(migration.version, migration);
    }
    let newest_there = seen_there.last().copied();
    let older_than_newest = |version: i64| newest_there.is_some_and(|newest| version < newest);
    for migration in migrations {
        if !seen_there.contains(&migration.version) && older_than_newest(migration.version) {
            problems.push(AdoptionProblem::NotRecorded {
                version: migration.version,
                file: migration.up.file.to_string(),
            });
        }
    }
    let mut recorded_here = BTreeSet::new();
    let mut already_adopted = Vec::new();
    for entry in plan::classify(migrations, history) {
        let Some(row) = entry.row else { continue };
        recorded_here.insert(entry.version);
        let conflicting = match entry.state {
            MigrationState::Applied => {
                !seen_there.contains(&entry.version) && older_than_newest(entry.version)
            }
            _ => true,
        };
        if conflicting {
            problems.push(AdoptionProblem::Conflicting {
                version: entry.version,
                name: row.name,
                state: entry.state,
            });
        } else if applied_there.contains_key(&entry.version) {
            already_adopted.push(entry.version);
        }
    }
    if !problems.is_empty() {
        return Err(Error::AdoptionRefused { peer, problems });
    }
    let unrecorded_here = |version: &i64| !recorded_here.contains(version);
    Ok(AdoptionPlan {
        adopt: applied_there
            .into_values()
            .filter(|m| unrecorded_here(&m.version))
            .collect(),
        already_adopted,
        pending: migrations
            .iter()
            .map(|m| m.version)
            .filter(|version| !seen_there.contains(version) && unrecorded_here(version))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::row as ours;
    use migrata_core::load_files;

    fn migrations(files: &[(&str, &str)]) -> Vec<Migration> {
        load_files(
            files
                .iter()
                .map(|(file, sql)| (file.to_string(), sql.as_bytes().to_vec())),
        )
        .unwrap()
    }

    fn set() -> Vec<Migration> {
        migrations(&[
            ("0001_create_users.sql", "CREATE TABLE users (id INT);"),
            ("0002_create_posts.sql", "CREATE TABLE posts (id INT);"),
            ("0003_index_posts.sql", "CREATE INDEX p ON posts (id);"),
        ])
    }

    /// The row `peer` writes for `m`, computed as the tool computes it.
    fn row_of(peer: Peer, m: &Migration) -> PeerRow {
        let (name, checksum) = match peer {
            Peer::Sqlx => (Some(sqlx_description(m)), Some(sqlx_checksum(m))),
            Peer::Refinery => {
                let migration = refinery_core::Migration::unapplied(
                    &format!("V{}__{}", m.version, m.name),
                    &m.up.sql,
                )
                .unwrap();
                (
                    Some(migration.name().to_owned()),
                    Some(migration.checksum().to_string()),
                )
            }
            Peer::Diesel => (None, None),
        };
        PeerRow {
            version: m.version.to_string(),
            name,
            checksum,
            success: true,
        }
    }

    fn problems(result: Result<AdoptionPlan<'_>, Error>) -> Vec<AdoptionProblem> {
        match result {
            Err(Error::AdoptionRefused { problems, .. }) => problems,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn refinery_checksum_is_refinerys_own() {
        for (file, sql) in [
            ("V1__initial", "CREATE TABLE persons (id int);"),
            (
                "V2024050409__add_cars",
                "\u{feff}CREATE TABLE cars (id int);\r\n",
            ),
            ("V7__x", ""),
        ] {
            let theirs = refinery_core::Migration::unapplied(file, sql).unwrap();
            let ours = refinery_checksums(theirs.name(), i64::from(theirs.version()), sql);
            assert_eq!(ours[0], theirs.checksum().to_string(), "{file}");
            assert_eq!(ours.len(), 2, "the int8-versions form is accepted too");
        }
        assert_eq!(refinery_checksums("big", 1 << 40, "").len(), 1);
    }

    #[test]
    fn sqlx_checksum_is_sqlxs_own() {
        for sql in ["CREATE TABLE t (id INT);", "\u{feff}SELECT 1;\r\n", ""] {
            let m = &migrations(&[("0001_create_t.sql", sql)])[0];
            let theirs = sqlx::migrate::Migration::new(
                1,
                "create t".into(),
                sqlx::migrate::MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql.to_owned())),
                false,
            );
            let hex: String = theirs.checksum.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(sqlx_checksum(m), hex);
        }
    }

    #[test]
    fn a_matching_history_is_adopted_and_newer_migrations_stay_pending() {
        let ms = set();
        for peer in [Peer::Sqlx, Peer::Refinery, Peer::Diesel] {
            let recorded = ms[..2].iter().map(|m| row_of(peer, m)).collect();
            let plan = plan(peer, &ms, recorded, Vec::new()).unwrap();
            let adopted: Vec<i64> = plan.adopt.iter().map(|m| m.version).collect();
            assert_eq!(adopted, [1, 2], "{peer}");
            assert_eq!(plan.pending, [3], "{peer}");
            assert!(plan.already_adopted.is_empty());
        }
    }

    /// diesel records a diesel-layout migration by its directory's version
    /// text, dashes removed, not by the number this crate orders it by.
    #[test]
    fn a_diesel_layout_is_matched_by_the_version_text_diesel_records() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/layout-fixtures/diesel");
        let ms = migrata_core::load_dir(&dir).unwrap();
        let recorded: Vec<PeerRow> = ["20191115182353", "202405011200000000"]
            .into_iter()
            .map(|version| PeerRow {
                version: version.to_owned(),
                name: None,
                checksum: None,
                success: true,
            })
            .collect();
        let plan = plan(Peer::Diesel, &ms, recorded, Vec::new()).unwrap();
        let adopted: Vec<Option<&str>> = plan
            .adopt
            .iter()
            .map(|m| m.diesel_version.as_deref())
            .collect();
        assert_eq!(
            adopted,
            [Some("20191115182353"), Some("202405011200000000")]
        );
        assert_eq!(plan.pending.len(), ms.len() - 2);
    }

    #[test]
    fn adopting_again_records_nothing() {
        let ms = set();
        let recorded: Vec<PeerRow> = ms[..2].iter().map(|m| row_of(Peer::Sqlx, m)).collect();
        // Adopted, then a run applied 3.
        let history = ms.iter().map(ours).collect();
        let plan = plan(Peer::Sqlx, &ms, recorded, history).unwrap();
        assert!(plan.adopt.is_empty());
        assert_eq!(plan.already_adopted, [1, 2]);
        assert!(plan.pending.is_empty());
        let report = plan.report(BackendKind::Sqlite, Peer::Sqlx, false);
        assert!(report.is_already_adopted());
    }

    #[test]
    fn every_disagreement_is_reported_at_once() {
        let ms = set();
        let mut renamed = row_of(Peer::Sqlx, &ms[0]);
        renamed.name = Some("make users".into());
        let mut edited = row_of(Peer::Sqlx, &ms[2]);
        edited.checksum = Some("00".repeat(48));
        let unknown = PeerRow {
            version: "9".into(),
            name: Some("ghost".into()),
            checksum: Some(String::new()),
            success: true,
        };
        // 2 is missing from the history, though 3 was applied.
        let found = problems(plan(
            Peer::Sqlx,
            &ms,
            vec![renamed, edited, unknown],
            Vec::new(),
        ));
        assert_eq!(
            found,
            [
                AdoptionProblem::Renamed {
                    version: 1,
                    recorded: "make users".into(),
                    expected: "create users".into()
                },
                AdoptionProblem::Edited {
                    version: 3,
                    file: "0003_index_posts.sql".into(),
                    recorded: "00".repeat(48),
                    expected: sqlx_checksum(&ms[2]),
                },
                AdoptionProblem::NotEmbedded {
                    version: "9".into(),
                    name: Some("ghost".into())
                },
                AdoptionProblem::NotRecorded {
                    version: 2,
                    file: "0002_create_posts.sql".into()
                },
            ]
        );
    }

    #[test]
    fn refinery_renamed_is_not_also_edited() {
        let ms = set();
        let mut row = row_of(Peer::Refinery, &ms[0]);
        let renamed = refinery_core::Migration::unapplied("V1__make_users", &ms[0].up.sql).unwrap();
        row.name = Some("make_users".into());
        row.checksum = Some(renamed.checksum().to_string());
        let found = problems(plan(Peer::Refinery, &ms, vec![row], Vec::new()));
        assert!(
            matches!(&found[..], [AdoptionProblem::Renamed { version: 1, .. }]),
            "{found:?}"
        );
    }

    #[test]
    fn failed_rows_and_unparsable_versions_are_refused() {
        let ms = set();
        let mut failed = row_of(Peer::Sqlx, &ms[0]);
        failed.success = false;
        let found = problems(plan(Peer::Sqlx, &ms, vec![failed], Vec::new()));
        assert!(
            matches!(&found[..], [AdoptionProblem::Failed { version: 1, .. }]),
            "{found:?}"
        );
        let odd = PeerRow {
            version: "2019-11-15".into(),
            name: None,
            checksum: None,
            success: true,
        };
        let found = problems(plan(Peer::Diesel, &ms, vec![odd], Vec::new()));
        assert!(
            matches!(&found[..], [AdoptionProblem::NotEmbedded { version, .. }] if version == "2019-11-15"),
            "{found:?}"
        );
    }

    #[test]
    fn a_version_table_that_disagrees_is_refused() {
        let ms = set();
        let recorded: Vec<PeerRow> = ms[..2].iter().map(|m| row_of(Peer::Diesel, m)).collect();
        let mut edited = ours(&ms[0]);
        edited.checksum = "0".repeat(64);
        let mut failed = ours(&ms[1]);
        failed.success = false;
        let found = problems(plan(
            Peer::Diesel,
            &ms,
            recorded.clone(),
            vec![edited, failed],
        ));
        let states: Vec<MigrationState> = found
            .iter()
            .map(|p| match p {
                AdoptionProblem::Conflicting { state, .. } => *state,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(states, [MigrationState::Divergent, MigrationState::Failed]);

        // Recorded here but never there, though there has newer ones.
        let found = problems(plan(
            Peer::Diesel,
            &ms,
            recorded[1..].to_vec(),
            vec![ours(&ms[0])],
        ));
        assert!(found.contains(&AdoptionProblem::Conflicting {
            version: 1,
            name: "create_users".into(),
            state: MigrationState::Applied
        }));
    }
}
