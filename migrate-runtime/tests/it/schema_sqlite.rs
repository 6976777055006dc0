//! The sqlite schema inspector and renderer: its own cases, beyond the
//! shared round trip and drift table of `schema`.

use migrata::schema::{compare, Change, Deferrable, Identity, Schema};
use migrata::{Migration, Migrator};

use crate::common::{migrations, Conn};
use crate::schema::{load, manifest_dir, round_trip};

const MEMORY: &str = "sqlite::memory:";

fn names(schema: &Schema) -> Vec<&str> {
    schema.tables.iter().map(|t| t.name.name.as_str()).collect()
}

/// The features fixture (every object kind SQLite has, some reached by
/// `ALTER TABLE`) round-trips, reads as written, and dumps as pinned in
/// `sqlite-features.sql`: the canonical text is the contract a reviewer
/// diffs.
#[tokio::test]
async fn features_fixture_round_trips_and_dumps_as_pinned() {
    let fixture = load("tests/schema-fixtures/sqlite-features");
    let schema = round_trip(&fixture, MEMORY).await;

    // Shadow tables of the FTS5 table and sqlite_sequence are not listed.
    assert_eq!(
        names(&schema),
        [
            "accounts",
            "archive",
            "memberships",
            "notes_search",
            "order items",
            "teams"
        ]
    );
    let accounts = &schema.tables[0];
    let column = |name: &str| accounts.column(name).unwrap();
    assert_eq!(column("id").identity, Some(Identity::AutoIncrement));
    assert_eq!(column("handle").data_type, "varchar(40)");
    assert_eq!(column("email").collation.as_deref(), Some("NOCASE"));
    assert_eq!(column("nickname").collation.as_deref(), Some("NOCASE"));
    assert_eq!(column("credit").default.as_deref(), Some("-1.5"));
    assert_eq!(
        column("updated_at").default.as_deref(),
        Some("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
    );
    let display = column("display").generated.as_ref().unwrap();
    assert_eq!(
        (display.expression.as_str(), display.stored),
        ("upper(handle)", false)
    );
    assert!(column("handle_length").generated.as_ref().unwrap().stored);
    let checks: Vec<(Option<&str>, &str)> = accounts
        .checks
        .iter()
        .map(|c| (c.name.as_deref(), c.expression.as_str()))
        .collect();
    assert_eq!(
        checks,
        [
            (None, "age >= 18"),
            (None, "length(handle) BETWEEN 3 AND 40"),
            (None, "nickname <> ''"),
            (Some("balance_not_negative"), "balance >= 0"),
            (Some("first_name_short"), "length(\"first name\") < 100"),
        ]
    );
    let uniques: Vec<&[String]> = accounts.uniques.iter().map(|u| &u.columns[..]).collect();
    assert_eq!(uniques, [&["email"][..], &["handle", "first name"][..]]);
    let indexes: Vec<(&str, bool, String, Option<&str>)> = accounts
        .indexes
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.unique,
                i.parts.join(", "),
                i.predicate.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        indexes,
        [
            (
                "accounts_by_lower_handle",
                true,
                "lower(handle)".to_owned(),
                None
            ),
            (
                "accounts_recent",
                false,
                "created_at DESC, email COLLATE BINARY".to_owned(),
                Some("balance > 0")
            ),
        ]
    );

    let memberships = schema
        .tables
        .iter()
        .find(|t| t.name.name == "memberships")
        .unwrap();
    assert_eq!(
        memberships.options,
        [
            ("strict".to_owned(), "true".to_owned()),
            ("without_rowid".to_owned(), "true".to_owned())
        ]
    );
    assert_eq!(
        memberships.primary_key.as_ref().unwrap().columns,
        ["account_id", "team_id"]
    );
    let fks: Vec<(String, String, Deferrable)> = memberships
        .foreign_keys
        .iter()
        .map(|fk| {
            let target = format!("{}({})", fk.references, fk.referenced_columns.join(", "));
            (fk.columns.join(", "), target, fk.deferrable)
        })
        .collect();
    // `REFERENCES accounts` names the parent's primary key.
    assert_eq!(
        fks,
        [
            (
                "account_id".into(),
                "accounts(id)".into(),
                Deferrable::NotDeferrable
            ),
            (
                "team_id".into(),
                "teams(id)".into(),
                Deferrable::InitiallyDeferred
            ),
        ]
    );
    // Renamed: the index and the check follow the column.
    let teams = schema
        .tables
        .iter()
        .find(|t| t.name.name == "teams")
        .unwrap();
    assert_eq!(teams.indexes[0].parts, ["title COLLATE NOCASE", "id"]);
    assert_eq!(teams.checks[0].expression, "title <> ''");
    let search = schema
        .tables
        .iter()
        .find(|t| t.name.name == "notes_search")
        .unwrap();
    assert_eq!(
        search.options,
        [(
            "using".to_owned(),
            "fts5(title, body, tokenize = 'porter ascii')".to_owned()
        )]
    );

    let views: Vec<(&str, &str)> = schema
        .views
        .iter()
        .map(|v| (v.name.name.as_str(), v.definition.as_str()))
        .collect();
    assert_eq!(
        views,
        [
            (
                "big_balances",
                "CREATE VIEW big_balances AS SELECT handle, balance FROM live_accounts WHERE balance > 1000"
            ),
            (
                "doubled_balances",
                "CREATE VIEW doubled_balances AS SELECT id, balance  *  2 FROM accounts"
            ),
            (
                "live_accounts",
                "CREATE VIEW live_accounts AS SELECT id, handle, balance FROM accounts WHERE age IS NOT NULL"
            ),
            (
                "team_sizes",
                "CREATE VIEW team_sizes AS SELECT team_id, count(*) FROM memberships GROUP BY team_id"
            ),
        ]
    );
    let triggers: Vec<(&str, &str)> = schema
        .triggers
        .iter()
        .map(|t| (t.name.name.as_str(), t.table.name.as_str()))
        .collect();
    assert_eq!(
        triggers,
        [
            ("accounts_touch", "accounts"),
            ("live_accounts_insert", "live_accounts")
        ]
    );

    let pinned = manifest_dir().join("tests/schema-fixtures/sqlite-features.sql");
    let expected = std::fs::read_to_string(&pinned).unwrap();
    let dump = schema.to_sql();
    assert!(
        dump == expected,
        "{} is not the dump any more; the dump is now:\n{dump}",
        pinned.display()
    );
}

async fn schema_of(migrations: &[Migration]) -> Schema {
    Migrator::new(migrations).schema(MEMORY).await.unwrap()
}

/// The same schema, reached by other statements (renames, added columns,
/// other spacing, case, quoting and comments, `REFERENCES parent` without
/// its key, `DEFERRABLE INITIALLY IMMEDIATE`), reads as the same model and
/// dumps the same text: the model comes from the pragmas, and the texts it
/// does read are spaced canonically.
#[tokio::test]
async fn the_same_schema_reached_otherwise_compares_equal() {
    let direct = migrations(&[(
        "0001_direct.sql",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL COLLATE NOCASE, note TEXT);
         CREATE TABLE child (
             id INTEGER PRIMARY KEY,
             parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE,
             total INTEGER DEFAULT (1 + 2),
             doubled INTEGER AS (total * 2),
             CHECK (total > 0)
         );
         CREATE INDEX child_by_total ON child (abs(total), parent_id DESC) WHERE total > 0;
         CREATE VIEW totals AS SELECT parent_id, sum(total) AS total FROM child GROUP BY parent_id;
         CREATE TRIGGER child_positive BEFORE INSERT ON child WHEN new.total < 0
         BEGIN SELECT RAISE(ABORT, 'negative'); END;",
    )]);
    let reshaped = migrations(&[
        (
            "0001_first.sql",
            "create table parent_v1 ( \"id\"  integer primary key , code text not null collate \"nocase\" );
             create table child (
                 id integer primary key,
                 parent_id integer,
                 amount integer default ( 1+2 ), -- the total
                 doubled integer generated always as ( amount*2 ) virtual,
                 check(amount>0),
                 foreign key (parent_id) references PARENT on delete cascade deferrable initially immediate
             );
             create index child_by_total on child(abs( amount ),parent_id desc)where amount>0;",
        ),
        (
            "0002_second.sql",
            "ALTER TABLE parent_v1 RENAME TO parent;
             ALTER TABLE parent ADD COLUMN note TEXT;
             ALTER TABLE child RENAME COLUMN amount TO total;
             CREATE VIEW totals AS
                 SELECT parent_id,
                        sum(total) AS total /* per parent */
                 FROM child
                 GROUP BY parent_id;
             CREATE TRIGGER child_positive BEFORE INSERT ON child WHEN new.total<0 BEGIN
                 SELECT RAISE( ABORT,'negative' ) ;
             END;",
        ),
    ]);
    let (direct, reshaped) = (schema_of(&direct).await, schema_of(&reshaped).await);
    let differences = compare(&direct, &reshaped);
    assert!(
        differences.is_empty(),
        "{}",
        differences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(direct, reshaped);
    assert_eq!(direct.to_sql(), reshaped.to_sql());
}

/// A view's text is respaced only when that cannot rename its columns
/// (SQLite names an unaliased column by its expression's text, spaces
/// included); kept as written otherwise, and the dump keeps those names.
/// A view whose table is gone is kept as written, and reading it is no
/// error.
#[tokio::test]
async fn view_texts_are_respaced_only_when_their_column_names_survive() {
    let views = migrations(&[(
        "0001_views.sql",
        "CREATE TABLE t (a INTEGER, b INTEGER);
         CREATE VIEW aliased AS SELECT a  +  b AS total,  max( a ) AS top FROM t;
         CREATE VIEW named_by_text AS SELECT a  +  b, a FROM t;
         CREATE VIEW quoted AS SELECT \"a b\" FROM (SELECT a AS \"a b\" FROM t);
         CREATE TABLE gone (x INTEGER);
         CREATE VIEW broken AS SELECT x   FROM gone -- its table is dropped below
         ;
         DROP TABLE gone;",
    )]);
    let schema = round_trip(&views, MEMORY).await;
    let definition = |name: &str| {
        schema
            .views
            .iter()
            .find(|v| v.name.name == name)
            .unwrap()
            .definition
            .as_str()
    };
    assert_eq!(
        definition("aliased"),
        "CREATE VIEW aliased AS SELECT a + b AS total, max(a) AS top FROM t"
    );
    assert_eq!(
        definition("named_by_text"),
        "CREATE VIEW named_by_text AS SELECT a  +  b, a FROM t"
    );
    assert_eq!(
        definition("quoted"),
        "CREATE VIEW quoted AS SELECT \"a b\" FROM (SELECT a AS \"a b\" FROM t)"
    );
    assert_eq!(
        definition("broken"),
        "CREATE VIEW broken AS SELECT x   FROM gone"
    );

    // The dump, applied, names the view's columns as the migrations did.
    let db = Migrator::new(&[]).test_database(MEMORY).await.unwrap();
    let mut conn = Conn::open(db.url()).await;
    conn.execute(&schema.to_sql()).await;
    let columns = conn
        .strings("SELECT group_concat(name, '|') FROM pragma_table_info('named_by_text')")
        .await;
    conn.close().await;
    db.discard().await.unwrap();
    assert_eq!(columns, ["a  +  b|a"]);
}

/// A hand change only SQLite has, or that only SQLite makes by rebuilding
/// a table, is the one difference drift reports.
#[tokio::test]
async fn drift_reports_each_sqlite_hand_change() {
    const BASE: &str = "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT COLLATE NOCASE);
        CREATE TABLE child (
            id INTEGER PRIMARY KEY,
            parent_id INTEGER REFERENCES parent (id),
            total INTEGER,
            doubled INTEGER AS (total * 2),
            CONSTRAINT positive CHECK (total > 0)
        );
        CREATE INDEX child_by_total ON child (total) WHERE total > 10;
        CREATE VIRTUAL TABLE search USING fts5(body);
        CREATE TRIGGER child_insert AFTER INSERT ON child BEGIN SELECT 1; END;";
    let child = |change: &str| {
        format!(
            "DROP TABLE child; CREATE TABLE child (id INTEGER PRIMARY KEY, {change}); \
             CREATE INDEX child_by_total ON child (total) WHERE total > 10; \
             CREATE TRIGGER child_insert AFTER INSERT ON child BEGIN SELECT 1; END;"
        )
    };
    let cases: Vec<(String, (&str, &str, &str))> = vec![
        (
            "DROP TABLE parent; CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT);".into(),
            ("changed", "column", "parent.code"),
        ),
        (
            "DROP TABLE parent; CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT COLLATE NOCASE);".into(),
            ("changed", "column", "parent.id"),
        ),
        (
            "DROP TABLE parent; CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT COLLATE NOCASE) STRICT;".into(),
            ("changed", "table", "parent"),
        ),
        (
            child("parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED, total INTEGER, doubled INTEGER AS (total * 2), CONSTRAINT positive CHECK (total > 0)"),
            ("changed", "foreign key", "child.(parent_id) -> parent"),
        ),
        (
            child("parent_id INTEGER REFERENCES parent (id), total INTEGER, doubled INTEGER AS (total * 3), CONSTRAINT positive CHECK (total > 0)"),
            ("changed", "column", "child.doubled"),
        ),
        (
            child("parent_id INTEGER REFERENCES parent (id), total INTEGER, doubled INTEGER AS (total * 2) STORED, CONSTRAINT positive CHECK (total > 0)"),
            ("changed", "column", "child.doubled"),
        ),
        (
            child("parent_id INTEGER REFERENCES parent (id), total INTEGER, doubled INTEGER AS (total * 2), CONSTRAINT positive CHECK (total >= 0)"),
            ("changed", "check constraint", "child.positive"),
        ),
        (
            "DROP INDEX child_by_total; CREATE INDEX child_by_total ON child (total) WHERE total > 20;".into(),
            ("changed", "index", "child.child_by_total"),
        ),
        (
            "DROP INDEX child_by_total; CREATE INDEX child_by_total ON child (total COLLATE NOCASE) WHERE total > 10;".into(),
            ("changed", "index", "child.child_by_total"),
        ),
        (
            "DROP TABLE search; CREATE VIRTUAL TABLE search USING fts5(body, title);".into(),
            ("changed", "table", "search"),
        ),
        (
            "DROP TRIGGER child_insert; CREATE TRIGGER child_insert AFTER INSERT ON child BEGIN SELECT 2; END;".into(),
            ("changed", "trigger", "child_insert"),
        ),
    ];
    let base = migrations(&[("0001_base.sql", BASE)]);
    let migrator = Migrator::new(&base);
    for (sql, (verb, kind, path)) in cases {
        let db = migrator.test_database(MEMORY).await.unwrap();
        let mut conn = Conn::open(db.url()).await;
        conn.execute(&sql).await;
        conn.close().await;
        let drift = migrator.at(db.url()).drift(MEMORY).await.unwrap();
        db.discard().await.unwrap();
        let found: Vec<(&str, &str, String)> = drift
            .differences
            .iter()
            .map(|d| {
                let verb = match d.change {
                    Change::Added(_) => "added",
                    Change::Removed(_) => "removed",
                    Change::Changed { .. } => "changed",
                };
                (verb, d.kind(), d.path())
            })
            .collect();
        assert_eq!(
            found,
            [(verb, kind, path.to_owned())],
            "{sql}:\n{}",
            drift
                .differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
