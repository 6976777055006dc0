//! The mysql schema inspector and renderer: its own cases, beyond the
//! shared round trip and drift table of `schema`, on the fixture
//! `tests/schema-fixtures/mysql-features` (every object kind MariaDB has).

use migrata::schema::{Identity, Schema};
use migrata::{BackendKind, Migrator};

use crate::common::{test_name, Conn};
use crate::schema::{load, round_trip, scratch_base};

const FEATURES: &str = "tests/schema-fixtures/mysql-features";

/// The fixture round-trips (fixpoint and zero drift), and its dump states
/// each feature as expected: normalised types and defaults, quoting only
/// where needed, keys, indexes, options and the code objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_round_trip_and_render_as_written() {
    let test = test_name(module_path!(), "features_round_trip_and_render_as_written");
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let schema = round_trip(&load(FEATURES), &base).await;
    let dump = schema.to_sql();
    let expected_lines = [
        // Types, defaults, ON UPDATE, generated columns, collations, comments.
        "  id int(10) unsigned NOT NULL AUTO_INCREMENT,",
        "  handle varchar(40) COLLATE latin1_swedish_ci NOT NULL,",
        "  display_name varchar(100) COLLATE utf8mb4_bin DEFAULT 'it''s me' COMMENT 'shown to others',",
        "  status enum('Active','Locked','it''s gone') NOT NULL DEFAULT 'Active',",
        "  flags set('A','b') DEFAULT 'A,b',",
        "  mask bit(3) DEFAULT b'101',",
        "  balance decimal(12,2) NOT NULL DEFAULT 0.00,",
        "  zip smallint(5) unsigned zerofill,",
        "  settings json,",
        "  ticket bigint(20) NOT NULL DEFAULT nextval(`ticket_numbers`),",
        "  updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),",
        "  touched_at datetime(3) ON UPDATE current_timestamp(3),",
        "  deleted_at timestamp NULL,",
        "  token char(36) NOT NULL DEFAULT uuid(),",
        "  email_domain varchar(255) GENERATED ALWAYS AS (substring_index(`email`,'@',-1)) VIRTUAL,",
        "  email_lower varchar(255) GENERATED ALWAYS AS (lcase(`email`)) STORED,",
        // Keys: a unique constraint, unique indexes that are not plain
        // columns, methods, descending parts, checks.
        "  CONSTRAINT accounts_email UNIQUE (email),",
        "  UNIQUE KEY accounts_bio (bio) USING HASH,",
        "  FULLTEXT KEY accounts_bio_text (bio),",
        "  KEY accounts_created (created_at DESC),",
        "  UNIQUE KEY accounts_handle_prefix (handle(10), id DESC),",
        "  CONSTRAINT adult CHECK (`age` is null or `age` >= 18),",
        "  CONSTRAINT age CHECK (`age` >= 0),",
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC \
         COMMENT='who signs in; a quote '' and a backslash \\\\';",
        // Reserved words and other names quoted, plain ones not.
        "CREATE TABLE `order` (",
        "  `key` int(11) NOT NULL,",
        "  `my column` int(11),",
        "  `2fa` tinyint(1) NOT NULL DEFAULT 0,",
        "  PRIMARY KEY (`key`, `select`),",
        "  KEY `by my column` (`my column`)",
        // Foreign keys with their actions, and the index the server made
        // for one, stated.
        "  KEY a_child_parent (parent_a, parent_b),",
        "  CONSTRAINT a_child_order FOREIGN KEY (order_key, order_select) REFERENCES `order` (`key`, `select`) \
         ON UPDATE RESTRICT ON DELETE SET NULL,",
        "  CONSTRAINT z_parent_self FOREIGN KEY (parent_a, parent_b) REFERENCES z_parent (a, b) \
         ON UPDATE RESTRICT ON DELETE SET NULL",
        // Spatial (no prefix length), engine-default and other methods.
        "  SPATIAL KEY places_location (location)",
        "  KEY sessions_by_user (user_id) USING BTREE,",
        "  KEY sessions_by_user_hash (user_id)",
        ") ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='evicted on restart';",
        // System versioning, implicit and with period columns.
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci WITH SYSTEM VERSIONING;",
        "  valid_from timestamp(6) GENERATED ALWAYS AS ROW START,",
        "  PERIOD FOR SYSTEM_TIME (valid_from, valid_to),",
        "CREATE SEQUENCE ticket_numbers START WITH 1000 MINVALUE 1000 MAXVALUE 999999 INCREMENT BY 10 CACHE 20 CYCLE;",
        "CREATE VIEW adults AS select `accounts`.`id` AS `id`,`accounts`.`age` AS `age` from `accounts` \
         where `accounts`.`age` >= 18 WITH CASCADED CHECK OPTION;",
        "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW SET NEW.touched_at = NOW(3);",
    ];
    let lines: Vec<&str> = dump.lines().collect();
    for expected in expected_lines {
        assert!(
            lines.contains(&expected),
            "the dump lacks the line\n{expected}\n--- dump\n{dump}"
        );
    }
    for absent in ["DEFINER", "json_valid", "`test`.", "migrate_"] {
        assert!(!dump.contains(absent), "the dump holds {absent:?}:\n{dump}");
    }

    let accounts = table(&schema, "accounts");
    let column = |name: &str| accounts.column(name).expect(name);
    assert_eq!(column("id").identity, Some(Identity::AutoIncrement));
    assert_eq!(column("settings").data_type, "json");
    assert_eq!(column("settings").collation, None);
    assert_eq!(column("bio").default, None, "DEFAULT NULL is no default");
    assert_eq!(column("email").collation, None, "the table's own collation");
    let checks: Vec<_> = accounts.checks.iter().map(|c| c.name.as_deref()).collect();
    assert_eq!(
        checks,
        [Some("adult"), Some("age"), Some("balance_not_negative")]
    );
    let uniques: Vec<_> = accounts.uniques.iter().map(|k| k.name.as_deref()).collect();
    assert_eq!(uniques, [Some("accounts_email")]);

    // The index MariaDB made for a foreign key without one is there; the
    // one it dropped when a_child_by_account came is not.
    let indexes = |name: &str| -> Vec<String> {
        table(&schema, name)
            .indexes
            .iter()
            .map(|i| i.name.clone())
            .collect()
    };
    assert_eq!(
        indexes("a_child"),
        ["a_child_by_account", "a_child_order", "a_child_parent"]
    );
    assert_eq!(indexes("z_parent"), ["z_parent_self"]);

    let sequence = &schema.sequences[0];
    assert_eq!(
        (
            sequence.start,
            sequence.increment,
            sequence.min_value,
            sequence.max_value
        ),
        (1000, 10, 1000, 999_999)
    );
    assert_eq!((sequence.cache, sequence.cycle), (20, true));
    let routines: Vec<_> = schema
        .routines
        .iter()
        .map(|r| (r.name.name.as_str(), r.kind))
        .collect();
    assert_eq!(routines.len(), 3, "{routines:?}");
    assert_eq!(schema.triggers.len(), 2);
    assert_eq!(schema.events.len(), 1);
    assert!(schema.events[0].definition.starts_with(
        "CREATE EVENT `purge_daily` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'"
    ));
}

/// The dump creates what an object needs before it: sequences before the
/// tables whose defaults call them, routines before the views calling
/// them, a view after the view it reads, triggers after routines, events
/// last; foreign key checks are off around the tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dump_creates_what_an_object_needs_first() {
    let test = test_name(module_path!(), "dump_creates_what_an_object_needs_first");
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let schema = Migrator::new(&load(FEATURES))
        .schema(&base)
        .await
        .expect("the fixture's schema");
    let dump = schema.to_sql();
    let at = |statement: &str| {
        dump.find(statement)
            .unwrap_or_else(|| panic!("no {statement:?} in the dump:\n{dump}"))
    };
    let order = [
        "SET FOREIGN_KEY_CHECKS = 0;",
        "CREATE SEQUENCE ticket_numbers",
        "CREATE TABLE a_child (",
        "CREATE TABLE accounts (",
        "CREATE TABLE z_parent (",
        "CREATE FUNCTION `account_label`",
        "CREATE PROCEDURE `purge_deleted`",
        "CREATE VIEW adults",
        "CREATE VIEW b_active_accounts",
        "CREATE VIEW a_labelled_accounts",
        "CREATE TRIGGER accounts_lowercase",
        "CREATE TRIGGER accounts_touch",
        "CREATE EVENT `purge_daily`",
        "SET FOREIGN_KEY_CHECKS = 1;",
    ];
    let positions: Vec<usize> = order.iter().map(|statement| at(statement)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "out of order: {:?}\n{dump}",
        order.iter().zip(&positions).collect::<Vec<_>>()
    );
    assert!(dump.starts_with("SET FOREIGN_KEY_CHECKS = 0;\n\nCREATE SEQUENCE"));
    assert!(dump.ends_with("SET FOREIGN_KEY_CHECKS = 1;\n"));
}

/// Hand changes of what only MySQL has, each reported as exactly that one
/// difference: an `ON UPDATE`, a table option, a column's collation, a
/// trigger, an event, and a foreign key dropped (its index stays).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_reports_mysql_hand_changes() {
    let test = test_name(module_path!(), "drift_reports_mysql_hand_changes");
    let Some(base) = scratch_base(BackendKind::MySql, &test) else {
        return;
    };
    let changes = [
        (
            "ALTER TABLE accounts MODIFY updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "changed column accounts.updated_at: on update current_timestamp() -> none",
        ),
        (
            "ALTER TABLE sessions_cache COMMENT = 'kept'",
            "changed table sessions_cache: comment evicted on restart -> kept",
        ),
        (
            "ALTER TABLE places ENGINE = MyISAM",
            "changed table places: options",
        ),
        (
            "ALTER TABLE accounts MODIFY handle VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
            "changed column accounts.handle: collation latin1_swedish_ci -> utf8mb4_bin",
        ),
        (
            "ALTER TABLE accounts DROP CONSTRAINT adult",
            "removed check constraint accounts.adult",
        ),
        (
            "DROP TRIGGER accounts_touch",
            "removed trigger accounts_touch",
        ),
        (
            "ALTER EVENT purge_daily ENABLE",
            "changed event purge_daily: definition",
        ),
        (
            "ALTER TABLE a_child DROP FOREIGN KEY a_child_order",
            "removed foreign key a_child.a_child_order",
        ),
        (
            "ALTER TABLE accounts MODIFY settings LONGTEXT",
            "changed column accounts.settings: type json -> longtext",
        ),
    ];
    let migrations = load(FEATURES);
    let migrator = Migrator::new(&migrations);
    for (sql, expected) in changes {
        let db = migrator
            .test_database(&base)
            .await
            .expect("a migrated database");
        let mut conn = Conn::open(db.url()).await;
        conn.execute(sql).await;
        conn.close().await;
        let drift = migrator
            .at(db.url())
            .drift(&base)
            .await
            .expect("drift read");
        db.discard().await.expect("dropped");
        let found: Vec<String> = drift.differences.iter().map(ToString::to_string).collect();
        assert!(
            found.len() == 1 && found[0].starts_with(expected),
            "{sql}: expected exactly `{expected}…`, drift found {found:#?}"
        );
    }
}

fn table<'s>(schema: &'s Schema, name: &str) -> &'s migrata::schema::Table {
    schema
        .tables
        .iter()
        .find(|table| table.name.name == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}
