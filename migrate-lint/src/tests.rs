use super::*;
use Database::{MySql, Postgres, Sqlite};

/// Lints `files` (name, SQL) loaded as a migrations directory would be.
fn report(database: Option<Database>, files: &[(&str, &str)]) -> Report {
    let migrations = migrata_core::load_files(
        files
            .iter()
            .map(|(name, sql)| (name.to_string(), sql.as_bytes().to_vec())),
    )
    .unwrap();
    let options = LintOptions {
        database,
        ..LintOptions::default()
    };
    lint(&Script::of_migrations(&migrations), &options)
}

fn rules(database: Option<Database>, sql: &str) -> Vec<Rule> {
    report(database, &[("0001_m.sql", sql)])
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

/// `rule` fires on `bad` and not on `good`, for each of `databases`.
#[track_caller]
fn check(rule: Rule, databases: &[Database], bad: &str, good: &str) {
    for &database in databases {
        let found = rules(Some(database), bad);
        assert!(
            found.contains(&rule),
            "{rule} on {database}: {bad}\n{found:?}"
        );
        let found = rules(Some(database), good);
        assert!(
            !found.contains(&rule),
            "{rule} on {database}: {good}\n{found:?}"
        );
    }
}

const TIMEOUT: &str = "SET lock_timeout = '5s';\n";

#[test]
fn concurrently_in_transaction() {
    let rule = Rule::ConcurrentlyInTransaction;
    let no_tx = "-- migrate:no-transaction\n";
    for statement in [
        "CREATE INDEX CONCURRENTLY i ON t (a);",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);",
        "DROP INDEX CONCURRENTLY i;",
        "REINDEX (VERBOSE) INDEX CONCURRENTLY i;",
    ] {
        check(rule, &[Postgres], statement, &format!("{no_tx}{statement}"));
    }
    // Only PostgreSQL has CONCURRENTLY.
    assert!(!rules(Some(MySql), "CREATE INDEX CONCURRENTLY i ON t (a);").contains(&rule));
    assert!(!rules(None, "CREATE INDEX CONCURRENTLY i ON t (a);").contains(&rule));
}

#[test]
fn vacuum_in_transaction() {
    let no_tx = "-- migrate:no-transaction\nVACUUM;";
    check(
        Rule::VacuumInTransaction,
        &[Postgres, Sqlite],
        "VACUUM;",
        no_tx,
    );
    check(
        Rule::VacuumInTransaction,
        &[Postgres],
        "VACUUM (ANALYZE) t;",
        "ANALYZE t;",
    );
}

#[test]
fn alter_system_in_transaction() {
    check(
        Rule::AlterSystemInTransaction,
        &[Postgres],
        "ALTER SYSTEM SET work_mem = '64MB';",
        "-- migrate:no-transaction\nALTER SYSTEM SET work_mem = '64MB';",
    );
}

#[test]
fn enum_value_used_in_transaction() {
    let add = "ALTER TYPE mood ADD VALUE 'meh';\n";
    check(
        Rule::EnumValueUsedInTransaction,
        &[Postgres],
        &format!("{TIMEOUT}{add}UPDATE people SET mood = 'meh' WHERE mood IS NULL;"),
        &format!("{TIMEOUT}{add}UPDATE people SET mood = 'ok' WHERE mood IS NULL;"),
    );
    assert_eq!(
        rules(
            Some(Postgres),
            &format!("-- migrate:no-transaction\n{add}UPDATE p SET mood = 'meh';")
        ),
        []
    );
}

#[test]
fn index_without_concurrently() {
    check(
        Rule::IndexWithoutConcurrently,
        &[Postgres],
        &format!("{TIMEOUT}CREATE INDEX i ON users (email);"),
        "CREATE TABLE users (email TEXT);\nCREATE INDEX i ON users (email);",
    );
    // A materialized view the script creates is new too (found by the lock
    // trace on crates.io's corpus).
    check(
        Rule::IndexWithoutConcurrently,
        &[Postgres],
        &format!("{TIMEOUT}CREATE UNIQUE INDEX i ON totals (id);"),
        "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS id;\nCREATE UNIQUE INDEX i ON totals (id);",
    );
    // MySQL (InnoDB) builds secondary indexes online.
    assert_eq!(rules(Some(MySql), "CREATE INDEX i ON users (email);"), []);
}

#[test]
fn not_null_without_default() {
    check(
        Rule::NotNullWithoutDefault,
        &[Postgres, MySql, Sqlite],
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN age INT NOT NULL;"),
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN age INT NOT NULL DEFAULT 0;"),
    );
    check(
        Rule::NotNullWithoutDefault,
        &[Postgres],
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN age INT NOT NULL;"),
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN id BIGSERIAL NOT NULL;"),
    );
    assert!(
        rules(None, "ALTER TABLE users ADD COLUMN age INT NOT NULL;")
            .contains(&Rule::NotNullWithoutDefault)
    );
}

#[test]
fn constraint_without_not_valid() {
    for constraint in [
        "ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id)",
        "ADD CONSTRAINT positive CHECK (age > 0)",
    ] {
        check(
            Rule::ConstraintWithoutNotValid,
            &[Postgres],
            &format!("{TIMEOUT}ALTER TABLE users {constraint};"),
            &format!("{TIMEOUT}ALTER TABLE users {constraint} NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;"),
        );
    }
}

#[test]
fn column_type_change() {
    check(
        Rule::ColumnTypeChange,
        &[Postgres],
        &format!("{TIMEOUT}ALTER TABLE users ALTER COLUMN id TYPE BIGINT;"),
        &format!("{TIMEOUT}ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(200);"),
    );
    check(
        Rule::ColumnTypeChange,
        &[MySql],
        "ALTER TABLE users MODIFY COLUMN id BIGINT NOT NULL;",
        "ALTER TABLE users ADD COLUMN note TEXT;",
    );
}

#[test]
fn set_not_null() {
    check(
        Rule::SetNotNull,
        &[Postgres],
        &format!("{TIMEOUT}ALTER TABLE users ALTER COLUMN email SET NOT NULL;"),
        &format!("{TIMEOUT}ALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
    );
}

#[test]
fn renames_and_drops() {
    let all = [Postgres, MySql, Sqlite];
    let created = "CREATE TABLE users (id INT, email TEXT);\n";
    for (rule, statement) in [
        (
            Rule::RenameColumn,
            "ALTER TABLE users RENAME COLUMN email TO mail;",
        ),
        (Rule::RenameTable, "ALTER TABLE users RENAME TO people;"),
        (Rule::DropColumn, "ALTER TABLE users DROP COLUMN email;"),
        (Rule::DropTable, "DROP TABLE users;"),
    ] {
        check(
            rule,
            &all,
            &format!("{TIMEOUT}{statement}"),
            &format!("{created}{statement}"),
        );
        assert!(rules(None, statement).contains(&rule), "{statement}");
    }
    check(
        Rule::RenameTable,
        &[MySql],
        "RENAME TABLE users TO people;",
        "CREATE TABLE users (id INT);\nRENAME TABLE users TO people;",
    );
}

/// Issue 23: in an expand migration the rolling-deploy rules suggest the
/// contract marker; in a contract migration (`-- migrate:phase contract`)
/// they are quiet, loaded from files as the macro and the CLI load them.
/// `set-not-null` suggests it too, but still fires in a contract
/// migration: the scan under an exclusive lock is the same in either
/// phase. Other rules are unaffected by the phase.
#[test]
fn contract_migrations_quiet_the_rolling_deploy_rules() {
    let contract = "-- migrate:phase contract\nSET lock_timeout = '5s';\n";
    for (rule, statement) in [
        (
            Rule::RenameColumn,
            "ALTER TABLE users RENAME COLUMN email TO mail;",
        ),
        (Rule::RenameTable, "ALTER TABLE users RENAME TO people;"),
        (Rule::DropColumn, "ALTER TABLE users DROP COLUMN email;"),
        (Rule::DropTable, "DROP TABLE users;"),
    ] {
        for database in [Some(Postgres), Some(MySql), Some(Sqlite), None] {
            let expand = report(
                database,
                &[("0001_m.sql", &format!("{TIMEOUT}{statement}"))],
            );
            let finding = expand.findings.iter().find(|f| f.rule == rule);
            let finding = finding.unwrap_or_else(|| panic!("{rule} on {database:?}"));
            assert!(
                finding.to_string().contains("`-- migrate:phase contract`"),
                "{finding}"
            );
            let quiet = report(
                database,
                &[("0001_m.sql", &format!("{contract}{statement}"))],
            );
            assert_eq!(quiet.findings, [], "{rule} on {database:?}");
        }
        // The same as plain data: a script marked contract.
        let script = Script::new(1, "0001_m.sql", statement, false);
        let options = LintOptions::for_database(Postgres);
        let expand = lint(&[script], &options);
        assert!(
            expand.findings.iter().any(|f| f.rule == rule),
            "{statement}"
        );
        let contract = lint(&[script.contract(true)], &options);
        assert!(
            contract.findings.iter().all(|f| f.rule != rule),
            "{statement}"
        );
    }

    let set_not_null = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    let expand = report(
        Some(Postgres),
        &[("0001_m.sql", &format!("{TIMEOUT}{set_not_null}"))],
    );
    assert_eq!(expand.findings.len(), 1, "{expand:?}");
    assert!(
        expand.findings[0].message.contains("may still write NULLs")
            && expand.findings[0]
                .message
                .contains("`-- migrate:phase contract`"),
        "{}",
        expand.findings[0]
    );
    let contracted = report(
        Some(Postgres),
        &[("0001_m.sql", &format!("{contract}{set_not_null}"))],
    );
    assert_eq!(contracted.findings.len(), 1, "{contracted:?}");
    assert_eq!(contracted.findings[0].rule, Rule::SetNotNull);
    assert!(
        !contracted.findings[0]
            .to_string()
            .contains("phase contract"),
        "{}",
        contracted.findings[0]
    );

    // Other rules fire in a contract migration as in an expand one.
    let index = report(
        Some(Postgres),
        &[(
            "0001_m.sql",
            &format!("{contract}CREATE INDEX users_email ON users (email);"),
        )],
    );
    let fired: Vec<Rule> = index.findings.iter().map(|f| f.rule).collect();
    assert_eq!(fired, [Rule::IndexWithoutConcurrently]);
}

#[test]
fn volatile_default() {
    check(
        Rule::VolatileDefault,
        &[Postgres],
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN token UUID DEFAULT gen_random_uuid();"),
        &format!("{TIMEOUT}ALTER TABLE users ADD COLUMN created TIMESTAMPTZ DEFAULT now();"),
    );
    assert!(!check::calls("my_random(1)", "random") && check::calls("x + random ()", "random"));
}

#[test]
fn missing_lock_timeout() {
    check(
        Rule::MissingLockTimeout,
        &[Postgres],
        "ALTER TABLE users ADD COLUMN note TEXT;\nALTER TABLE users ADD COLUMN other TEXT;",
        "SET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN note TEXT;",
    );
    let both = "ALTER TABLE users ADD COLUMN note TEXT;\nALTER TABLE users ADD COLUMN other TEXT;";
    assert_eq!(
        rules(Some(Postgres), both),
        [Rule::MissingLockTimeout],
        "once per script"
    );
    assert_eq!(
        rules(
            Some(Postgres),
            "CREATE TABLE a (id INT);\nALTER TABLE a ADD COLUMN b INT;"
        ),
        []
    );
}

#[test]
fn mysql_table_copy() {
    for statement in [
        "ALTER TABLE users DROP PRIMARY KEY;",
        "ALTER TABLE users ADD PRIMARY KEY (id);",
        "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY;",
    ] {
        check(
            Rule::MysqlTableCopy,
            &[MySql],
            statement,
            "ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INPLACE;",
        );
    }
}

#[test]
fn tables_created_in_earlier_scripts_are_new() {
    let files = [
        ("0001_users.sql", "CREATE TABLE users (id INT, email TEXT);"),
        (
            "0002_index.sql",
            "CREATE INDEX i ON users (email);\nALTER TABLE users DROP COLUMN email;",
        ),
    ];
    assert_eq!(report(Some(Postgres), &files).findings, []);
    let options = LintOptions::for_database(Postgres).after(1);
    let migrations =
        migrata_core::load_files(files.map(|(n, s)| (n.to_owned(), s.as_bytes().to_vec())))
            .unwrap();
    let after = lint(&Script::of_migrations(&migrations), &options);
    let found: Vec<_> = after.findings.iter().map(|f| (f.rule, f.line)).collect();
    assert_eq!(
        found,
        [
            (Rule::IndexWithoutConcurrently, 1),
            (Rule::MissingLockTimeout, 1),
            (Rule::DropColumn, 2)
        ]
    );
}

#[test]
fn crate_wide_allow() {
    let sql = "ALTER TABLE users ADD COLUMN note TEXT;";
    let scripts = [Script::new(1, "0001_m.sql", sql, false)];
    let mut options = LintOptions::for_database(Postgres);
    assert_eq!(lint(&scripts, &options).findings.len(), 1);
    options.allow = vec!["missing-lock-timeout".parse().unwrap()];
    assert_eq!(lint(&scripts, &options).findings, []);
    assert_eq!(
        "missing-lock-timout"
            .parse::<Rule>()
            .unwrap_err()
            .to_string(),
        "unknown lint rule `missing-lock-timout`"
    );
}

#[test]
fn renamed_new_tables_stay_new() {
    let sql = "CREATE TABLE a (id INT);\nALTER TABLE a RENAME TO b;\nALTER TABLE b DROP COLUMN id;";
    assert_eq!(rules(Some(Postgres), sql), []);
}

#[test]
fn down_scripts_get_error_rules_only() {
    let files = [
        ("0001_a.up.sql", "CREATE TABLE a (id INT);"),
        (
            "0001_a.down.sql",
            "DROP TABLE a;\nDROP TABLE other;\nVACUUM;",
        ),
    ];
    let found: Vec<_> = report(Some(Postgres), &files)
        .findings
        .into_iter()
        .map(|f| (f.rule, f.file, f.line))
        .collect();
    assert_eq!(
        found,
        [(Rule::VacuumInTransaction, "0001_a.down.sql".into(), 3)]
    );
}

#[test]
fn allow_directives() {
    let statement_level = format!(
        "{TIMEOUT}-- migrate:allow drop-column nothing reads it since v2.3\nALTER TABLE users DROP COLUMN a;\nALTER TABLE users DROP COLUMN b;"
    );
    let found = report(Some(Postgres), &[("0001_m.sql", &statement_level)]);
    let lines: Vec<_> = found.findings.iter().map(|f| (f.rule, f.line)).collect();
    assert_eq!(lines, [(Rule::DropColumn, 4)]);
    assert!(found.bad_allows.is_empty());

    let file_level = format!("-- migrate:allow drop-column unused since v2.3\n{TIMEOUT}ALTER TABLE users DROP COLUMN a;\nALTER TABLE users DROP COLUMN b;");
    assert_eq!(rules(Some(Postgres), &file_level), []);

    let bad = "-- migrate:allow drop-colum typo\n-- migrate:allow drop-table\nDROP TABLE t;";
    let report = report(Some(Postgres), &[("0001_m.sql", bad)]);
    assert!(report.has_errors());
    let problems: Vec<_> = report
        .bad_allows
        .iter()
        .map(|b| (b.line, b.to_string()))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, 1);
    assert!(problems[0].1.starts_with("`0001_m.sql` line 1: unknown lint rule `drop-colum` (known: concurrently-in-transaction, "), "{}", problems[0].1);
    assert_eq!(
        problems[1].1,
        "`0001_m.sql` line 2: `-- migrate:allow drop-table` gives no reason (say why the statement is safe); expected `-- migrate:allow <rule> <reason>`"
    );
}

#[test]
fn unparsed_statements_are_noted_not_errors() {
    let sql = "CREATE TABLE a (id INT);\nCREATE FROBNICATOR f;\nCOPY a FROM stdin;";
    let report = report(Some(Postgres), &[("0001_m.sql", sql)]);
    assert!(!report.has_errors());
    assert_eq!(report.unparsed.len(), 1);
    assert_eq!(
        report.unparsed_note(Some(Postgres)).unwrap(),
        "1 statement(s) could not be parsed for postgres and were checked by keyword rules only (first: `0001_m.sql` line 2)"
    );
}

#[test]
fn finding_display_names_file_line_rule_and_fix() {
    let report = report(
        Some(Postgres),
        &[("0002_idx.sql", "\n\nCREATE INDEX CONCURRENTLY i ON t (a);")],
    );
    assert_eq!(
        report.findings[0].to_string(),
        format!(
            "`0002_idx.sql` line 3: [concurrently-in-transaction] CREATE INDEX CONCURRENTLY in a transactional script: {}; safe pattern: {}",
            Rule::ConcurrentlyInTransaction.why(),
            Rule::ConcurrentlyInTransaction.fix()
        )
    );
}

#[test]
fn rule_names_are_kebab_case_and_unique() {
    let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
    assert!(names
        .iter()
        .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert_eq!(Rule::from_name(rule.name()), Some(*rule));
    }
    assert_eq!("PostgreSQL".parse(), Ok(Postgres));
    assert!("oracle".parse::<Database>().is_err());
}

/// Issue 14: repeatable migrations are linted, after every versioned
/// script and whatever `after` says (they run again whenever they change);
/// code migrations are Rust, which the compiler checks.
#[test]
fn repeatable_and_code_migrations() {
    let migrations = migrata_core::load_files(
        [
            ("0001_a.sql", "CREATE TABLE t (id INT);"),
            ("0002_b.rs", "pub async fn up() {}"),
            ("R__index.sql", "VACUUM;"),
        ]
        .map(|(name, text)| (name.to_owned(), text.as_bytes().to_vec())),
    )
    .unwrap();
    let scripts = Script::of_migrations(&migrations);
    let files: Vec<&str> = scripts.iter().map(|s| s.file).collect();
    assert_eq!(files, ["0001_a.sql", "R__index.sql"]);
    let options = LintOptions {
        database: Some(Postgres),
        after: Some(1),
        ..LintOptions::default()
    };
    let found: Vec<_> = lint(&scripts, &options)
        .findings
        .into_iter()
        .map(|f| (f.rule, f.file))
        .collect();
    assert_eq!(found, [(Rule::VacuumInTransaction, "R__index.sql".into())]);
}
