//! Lints the migrations of real projects (copied under `tests/corpora/`
//! with their licences): no script they applied without trouble may raise a
//! lint error, and the warning counts per rule are pinned in
//! `tests/corpora/warnings.txt` (rerun with `UPDATE_CORPORA=1` to rewrite it
//! after a deliberate rule change, and review the diff).
#![cfg(feature = "lint")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use migrate_core::lint::{lint, Database, LintOptions, Report, Rule, Script};

/// One script of a corpus.
struct Owned {
    file: String,
    sql: String,
    no_transaction: bool,
}

/// A corpus: where its scripts are, how they are laid out, which database.
struct Corpus {
    name: &'static str,
    dir: &'static str,
    diesel: bool,
    database: Database,
}

const CORPORA: &[Corpus] = &[
    Corpus {
        name: "crates.io",
        dir: "crates.io/migrations",
        diesel: true,
        database: Database::Postgres,
    },
    Corpus {
        name: "lemmy",
        dir: "lemmy/migrations",
        diesel: true,
        database: Database::Postgres,
    },
    Corpus {
        name: "atuin-server-postgres",
        dir: "atuin/crates/atuin-server-postgres/migrations",
        diesel: false,
        database: Database::Postgres,
    },
    Corpus {
        name: "atuin-server-sqlite",
        dir: "atuin/crates/atuin-server-sqlite/migrations",
        diesel: false,
        database: Database::Sqlite,
    },
    Corpus {
        name: "atuin-client",
        dir: "atuin/crates/atuin-client/migrations",
        diesel: false,
        database: Database::Sqlite,
    },
];

fn corpora_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora")
}

/// The scripts in the order their tool applies them.
fn load(corpus: &Corpus) -> Vec<Owned> {
    let dir = corpora_dir().join(corpus.dir);
    if !corpus.diesel {
        // sqlx's `<version>_<description>.sql` is a valid file name here too.
        let migrations = migrate_core::load_dir(&dir).unwrap();
        return migrations
            .into_iter()
            .map(|m| Owned {
                file: m.up.file.into_owned(),
                sql: m.up.sql.into_owned(),
                no_transaction: m.up.no_transaction,
            })
            .collect();
    }
    // diesel: `<version>_<name>/up.sql`, in name order, each in a
    // transaction unless its metadata.toml says `run_in_transaction = false`.
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("up.sql").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|path| {
            let metadata = std::fs::read_to_string(path.join("metadata.toml")).unwrap_or_default();
            Owned {
                file: format!("{}/up.sql", path.file_name().unwrap().to_string_lossy()),
                sql: std::fs::read_to_string(path.join("up.sql")).unwrap(),
                no_transaction: metadata
                    .lines()
                    .any(|line| line.replace(' ', "") == "run_in_transaction=false"),
            }
        })
        .collect()
}

fn scripts(owned: &[Owned]) -> Vec<Script<'_>> {
    owned
        .iter()
        .zip(1..)
        .map(|(s, version)| Script::new(version, &s.file, &s.sql, s.no_transaction))
        .collect()
}

fn assert_no_errors(corpus: &Corpus, report: &Report) {
    let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
    assert!(
        errors.is_empty() && report.bad_allows.is_empty(),
        "{}: lint errors on scripts that applied fine:\n{}",
        corpus.name,
        errors.join("\n")
    );
}

#[test]
fn real_corpora_raise_no_errors_and_pinned_warnings() {
    let mut summary = String::new();
    for corpus in CORPORA {
        let owned = load(corpus);
        let scripts = scripts(&owned);
        assert!(scripts.len() > 5, "{}: corpus missing", corpus.name);

        // The whole history at once: every table is created in the set.
        let options = LintOptions::for_database(corpus.database);
        assert_no_errors(corpus, &lint(&scripts, &options));

        // Each script as the one pending migration on a database where
        // every earlier one is applied: what a reviewer of that script sees.
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut unparsed = 0;
        for script in &scripts {
            let report = lint(std::slice::from_ref(script), &options);
            assert_no_errors(corpus, &report);
            for finding in report.warnings() {
                *counts.entry(finding.rule.name()).or_default() += 1;
            }
            unparsed += report.unparsed.len();
        }
        writeln!(
            summary,
            "{} ({}, {} scripts, {} unparsed statements):",
            corpus.name,
            corpus.database,
            scripts.len(),
            unparsed
        )
        .unwrap();
        for rule in Rule::ALL {
            if let Some(count) = counts.get(rule.name()) {
                writeln!(summary, "  {:<32} {count}", rule.name()).unwrap();
            }
        }
    }
    println!("{summary}");
    let pinned = corpora_dir().join("warnings.txt");
    if std::env::var_os("UPDATE_CORPORA").is_some() {
        std::fs::write(&pinned, &summary).unwrap();
    }
    let expected = std::fs::read_to_string(&pinned).unwrap_or_default();
    assert_eq!(
        summary, expected,
        "warning counts changed; review, then rerun with UPDATE_CORPORA=1"
    );
}
