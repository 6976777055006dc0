//! Lints the migrations of real projects (copied under
//! `migrate-core/tests/corpora/` with their licences, where migrata-core's
//! layout test reads them too): no script they applied without trouble may
//! raise a lint error, and the warning counts per rule are pinned in
//! `tests/corpora-warnings.txt` (rerun with `UPDATE_CORPORA=1` to rewrite it
//! after a deliberate rule change, and review the diff).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use migrata_core::Migration;
use migrata_lint::{lint, Database, LintOptions, Report, Rule, Script};

/// A corpus: where its scripts are and which database they are for.
struct Corpus {
    name: &'static str,
    dir: &'static str,
    database: Database,
}

const CORPORA: &[Corpus] = &[
    Corpus {
        name: "crates.io",
        dir: "crates.io/migrations",
        database: Database::Postgres,
    },
    Corpus {
        name: "lemmy",
        dir: "lemmy/migrations",
        database: Database::Postgres,
    },
    Corpus {
        name: "atuin-server-postgres",
        dir: "atuin/crates/atuin-server-postgres/migrations",
        database: Database::Postgres,
    },
    Corpus {
        name: "atuin-server-sqlite",
        dir: "atuin/crates/atuin-server-sqlite/migrations",
        database: Database::Sqlite,
    },
    Corpus {
        name: "atuin-client",
        dir: "atuin/crates/atuin-client/migrations",
        database: Database::Sqlite,
    },
    Corpus {
        name: "vaultwarden",
        dir: "vaultwarden/migrations/mysql",
        database: Database::MySql,
    },
];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The corpora stay with migrata-core, whose layout test loads them too.
fn corpora_dir() -> PathBuf {
    manifest_dir().join("../migrate-core/tests/corpora")
}

/// The migrations in the order their tool applies them: the loader reads
/// diesel's directories (crates.io, lemmy, vaultwarden) and sqlx's files
/// (atuin) alike.
fn load(corpus: &Corpus) -> Vec<Migration> {
    migrata_core::load_dir(&corpora_dir().join(corpus.dir)).unwrap()
}

/// The up scripts only: these corpora keep no down scripts.
fn scripts(migrations: &[Migration]) -> Vec<Script<'_>> {
    migrations
        .iter()
        .map(|m| Script::new(m.version, &m.up.file, m.up.sql(), m.up.no_transaction))
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
        let migrations = load(corpus);
        let scripts = scripts(&migrations);
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
    let pinned = manifest_dir().join("tests/corpora-warnings.txt");
    if std::env::var_os("UPDATE_CORPORA").is_some() {
        std::fs::write(&pinned, &summary).unwrap();
    }
    let expected = std::fs::read_to_string(&pinned).unwrap_or_default();
    assert_eq!(
        summary, expected,
        "warning counts changed; review, then rerun with UPDATE_CORPORA=1"
    );
}
