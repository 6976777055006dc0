//! The postgres schema inspector and renderer: its own cases, beyond the
//! shared round trip and drift table of `schema`, on a fixture that holds
//! every kind of object the model has for PostgreSQL
//! (`tests/schema-fixtures/postgres-features`).

use migrata::schema::{
    Change, Column, Deferrable, Generated, Identity, QualifiedName, ReferentialAction, RoutineKind,
    Schema, Table,
};
use migrata::{BackendKind, Migrator};

use crate::common::{test_name, Conn};
use crate::schema::{load, round_trip, scratch_base};

const FEATURES: &str = "tests/schema-fixtures/postgres-features";

/// The scratch server for `test`, or `None` after a `SKIPPED:` line.
fn base(test: &str) -> Option<String> {
    scratch_base(BackendKind::Postgres, &test_name(module_path!(), test))
}

/// The features fixture's schema, as its migrations leave it.
async fn features(base: &str) -> Schema {
    Migrator::new(&load(FEATURES))
        .schema(base)
        .await
        .expect("the fixture's schema")
}

fn name(qualified: &str) -> QualifiedName {
    match qualified.split_once('.') {
        Some((schema, name)) => QualifiedName::new(Some(schema), name),
        None => QualifiedName::new(Some("public"), qualified),
    }
}

fn table<'a>(schema: &'a Schema, qualified: &str) -> &'a Table {
    schema
        .table(&name(qualified))
        .unwrap_or_else(|| panic!("no table {qualified}"))
}

fn column<'a>(table: &'a Table, name: &str) -> &'a Column {
    table
        .column(name)
        .unwrap_or_else(|| panic!("no column {name} in {}", table.name))
}

fn names<T>(items: &[T], name: impl Fn(&T) -> String) -> Vec<String> {
    items.iter().map(name).collect()
}

#[tokio::test]
async fn features_fixture_round_trips() {
    let Some(base) = base("features_fixture_round_trips") else {
        return;
    };
    let schema = round_trip(&load(FEATURES), &base).await;
    assert_eq!(schema.namespaces, ["app", "ext"]);
    // plpgsql, in every database, is the system's.
    assert_eq!(
        names(&schema.extensions, |e| e.name.clone()),
        ["citext", "pgcrypto"]
    );
    assert_eq!(schema.extensions[0].schema, "ext");
    assert_eq!(schema.enums.len(), 2);
    assert_eq!(schema.composite_types.len(), 2);
    assert_eq!(schema.sequences.len(), 2);
    assert_eq!(schema.tables.len(), 8);
    assert_eq!(schema.views.len(), 6);
    assert_eq!(schema.routines.len(), 8);
    assert_eq!(schema.triggers.len(), 6);
}

#[tokio::test]
async fn columns_read_as_written() {
    let Some(base) = base("columns_read_as_written") else {
        return;
    };
    let schema = features(&base).await;
    let accounts = table(&schema, "accounts");
    let posts = table(&schema, "posts");
    let votes = table(&schema, "app.votes");
    assert_eq!(
        names(&accounts.columns, |c| c.name.clone()),
        [
            "id",
            "email",
            "handle",
            "Display Name",
            "order",
            "mood",
            "secret",
            "tags",
            "balance",
            "created_at"
        ]
    );
    let id = column(accounts, "id");
    assert_eq!((id.data_type.as_str(), id.nullable), ("bigint", false));
    assert_eq!(id.identity, Some(Identity::Always));
    assert_eq!(id.default, None);
    assert_eq!(column(votes, "score").identity, Some(Identity::ByDefault));
    assert_eq!(column(accounts, "email").data_type, "ext.citext");
    assert_eq!(
        column(accounts, "Display Name").data_type,
        "character varying(80)"
    );
    assert!(column(accounts, "Display Name").nullable);
    assert_eq!(column(accounts, "balance").data_type, "numeric(12,2)");
    assert_eq!(column(accounts, "balance").default.as_deref(), Some("0.00"));
    assert_eq!(column(accounts, "tags").data_type, "text[]");
    assert_eq!(
        column(accounts, "mood").default.as_deref(),
        Some("'sad'::mood")
    );
    assert_eq!(
        column(accounts, "secret").default.as_deref(),
        Some("gen_random_bytes(16)")
    );
    let handle = column(accounts, "handle");
    assert_eq!(handle.collation.as_deref(), Some("\"C\""));
    assert_eq!(
        handle.comment.as_deref(),
        Some("Lowercase, unique per mood")
    );
    assert_eq!(column(accounts, "email").collation, None);
    assert_eq!(
        accounts.comment.as_deref(),
        Some("People who sign in; it's the root of everything.")
    );
    assert_eq!(
        column(posts, "slug").generated,
        Some(Generated {
            expression: "app.slug(title)".to_owned(),
            stored: true
        })
    );
    assert_eq!(column(posts, "slug").default, None);
    // A serial's default names its sequence; a sequence of another
    // schema is qualified.
    assert_eq!(
        column(posts, "id").default.as_deref(),
        Some("nextval('posts_id_seq'::regclass)")
    );
    assert_eq!(
        column(posts, "ticket").default.as_deref(),
        Some("nextval('app.ticket_numbers'::regclass)")
    );
}

#[tokio::test]
async fn keys_checks_and_foreign_keys_read_as_written() {
    let Some(base) = base("keys_checks_and_foreign_keys_read_as_written") else {
        return;
    };
    let schema = features(&base).await;
    let accounts = table(&schema, "accounts");
    let votes = table(&schema, "app.votes");
    let posts = table(&schema, "posts");

    let votes_key = votes.primary_key.as_ref().expect("a primary key");
    assert_eq!(votes_key.name.as_deref(), Some("votes_pkey"));
    assert_eq!(votes_key.columns, ["post_id", "account_id"]);
    assert_eq!(
        names(&accounts.uniques, |k| format!(
            "{:?} {:?}",
            k.name, k.columns
        )),
        [
            r#"Some("accounts_email_key") ["email"]"#,
            r#"Some("accounts_handle_mood") ["handle", "mood"]"#
        ]
    );
    assert_eq!(
        names(&accounts.checks, |c| format!(
            "{:?}: {}",
            c.name, c.expression
        )),
        [
            r#"Some("accounts_balance_check"): balance >= 0::numeric"#,
            r#"Some("handle_shape"): handle ~ '^[a-z0-9_]+$'::text AND length(handle) <= 30"#
        ]
    );

    let fks = &votes.foreign_keys;
    assert_eq!(
        names(fks, |fk| fk.name.clone().unwrap_or_default()),
        ["votes_account", "votes_post"]
    );
    assert_eq!(fks[0].references, name("accounts"));
    assert_eq!(fks[0].referenced_columns, ["id"]);
    assert_eq!(fks[0].on_update, ReferentialAction::Restrict);
    assert_eq!(fks[0].on_delete, ReferentialAction::SetDefault);
    assert_eq!(fks[0].deferrable, Deferrable::InitiallyImmediate);
    assert_eq!(fks[1].on_update, ReferentialAction::NoAction);
    assert_eq!(fks[1].on_delete, ReferentialAction::Restrict);
    let parent = posts
        .foreign_keys
        .iter()
        .find(|fk| fk.columns == ["parent_id"])
        .expect("the self reference");
    assert_eq!(parent.references, name("posts"));
    assert_eq!(
        (parent.on_update, parent.on_delete, parent.deferrable),
        (
            ReferentialAction::Cascade,
            ReferentialAction::SetNull,
            Deferrable::InitiallyDeferred
        )
    );

    // Partitions: what they take from their parent is the parent's.
    let events = table(&schema, "events");
    assert_eq!(
        events.options,
        [("partition_by".to_owned(), "RANGE (at)".to_owned())]
    );
    assert_eq!(events.checks.len(), 1);
    let rest = table(&schema, "app.events_rest");
    assert_eq!(
        rest.options,
        [
            ("partition_bound".to_owned(), "DEFAULT".to_owned()),
            ("partition_by".to_owned(), "LIST (kind)".to_owned()),
            ("partition_of".to_owned(), "events".to_owned()),
        ]
    );
    assert!(rest.checks.is_empty(), "{:?}", rest.checks);
    let login = table(&schema, "app.events_rest_login");
    assert_eq!(
        login.options[..2],
        [
            (
                "partition_bound".to_owned(),
                "FOR VALUES IN ('login', 'logout')".to_owned()
            ),
            ("partition_of".to_owned(), "app.events_rest".to_owned()),
        ]
    );
    assert_eq!(
        table(&schema, "app.sessions").options,
        [("unlogged".to_owned(), "true".to_owned())]
    );
}

#[tokio::test]
async fn indexes_read_as_written() {
    let Some(base) = base("indexes_read_as_written") else {
        return;
    };
    let schema = features(&base).await;
    let shown = |table: &Table| {
        names(&table.indexes, |i| {
            format!(
                "{}{} {:?} ({}) include ({}) where {:?}",
                if i.unique { "unique " } else { "" },
                i.name,
                i.method,
                i.parts.join(" | "),
                i.include.join(", "),
                i.predicate
            )
        })
    };
    // The indexes of the primary key and the UNIQUE constraints are theirs.
    assert_eq!(
        shown(table(&schema, "accounts")),
        [
            "unique accounts_lower_handle None (lower(handle)) include () where None",
            "accounts_recent None (created_at DESC NULLS LAST | id) include (handle) where Some(\"balance > 0::numeric\")",
            "accounts_tags Some(\"gin\") (tags) include () where None",
        ]
    );
    assert_eq!(
        shown(table(&schema, "posts")),
        [
            "posts_body Some(\"gin\") (body jsonb_path_ops) include () where None",
            "posts_fallback None (COALESCE(title, 'a, (b'::text) | (body ->> 'x\"y'::text) | id) include () where None",
            "posts_slug_hash Some(\"hash\") (slug) include () where None",
            "posts_title_c None (title COLLATE \"C\" text_pattern_ops) include () where None",
        ]
    );
    assert_eq!(
        shown(table(&schema, "app.votes")),
        ["Votes By User None (\"user\" NULLS FIRST) include () where None"]
    );
    // A partition's copy of its parent's index is the parent's.
    assert_eq!(
        names(&table(&schema, "events").indexes, |i| i.name.clone()),
        ["events_at"]
    );
    assert_eq!(
        names(&table(&schema, "events_2024").indexes, |i| i.name.clone()),
        ["events_2024_kind"]
    );
    let top = schema
        .views
        .iter()
        .find(|v| v.name == name("app.top_posts"))
        .expect("the materialized view");
    assert!(top.materialized);
    assert_eq!(
        names(&top.indexes, |i| format!(
            "{} {}",
            i.unique,
            i.parts.join(",")
        )),
        ["true id"]
    );
}

#[tokio::test]
async fn views_come_after_the_views_they_read() {
    let Some(base) = base("views_come_after_the_views_they_read") else {
        return;
    };
    let schema = features(&base).await;
    let order = names(&schema.views, |v| v.name.to_string());
    let at = |view: &str| {
        order
            .iter()
            .position(|v| v == view)
            .unwrap_or_else(|| panic!("no view {view} in {order:?}"))
    };
    assert!(
        at("public.z_accounts") < at("public.a_handles"),
        "{order:?}"
    );
    assert!(at("app.scores") < at("app.top_posts"), "{order:?}");
    assert!(at("app.top_posts") < at("public.b_top"), "{order:?}");
    let handles = &schema.views[at("public.a_handles")];
    assert!(!handles.materialized);
    assert_eq!(
        handles.definition,
        "SELECT z_accounts.handle\n   FROM z_accounts\n  WHERE z_accounts.three = 3"
    );
}

#[tokio::test]
async fn types_sequences_routines_and_triggers_read_as_written() {
    let Some(base) = base("types_sequences_routines_and_triggers_read_as_written") else {
        return;
    };
    let schema = features(&base).await;
    assert_eq!(
        names(&schema.enums, |e| format!("{} {:?}", e.name, e.values)),
        [
            r#"app.Quoted Kind ["it's", "plain"]"#,
            r#"public.mood ["sad", "ok", "happy"]"#
        ]
    );
    assert_eq!(
        names(&schema.composite_types, |c| {
            let attributes = c
                .attributes
                .iter()
                .map(|a| format!("{} {} {:?}", a.name, a.data_type, a.collation));
            format!("{} ({})", c.name, attributes.collect::<Vec<_>>().join(", "))
        }),
        [
            r#"app.release (name text None, version zversion None, kind app."Quoted Kind" None)"#,
            r#"public.zversion (major integer None, minor integer None, label text Some("\"C\""))"#
        ]
    );
    // The identity columns' sequences are the columns'.
    assert_eq!(
        names(&schema.sequences, |s| format!(
            "{} {} {} {} {} {} {} {} {:?}",
            s.name,
            s.data_type,
            s.start,
            s.increment,
            s.min_value,
            s.max_value,
            s.cache,
            s.cycle,
            s.owned_by
        )),
        [
            "app.ticket_numbers integer 100 5 10 100000 20 true None",
            "public.posts_id_seq integer 1 1 1 2147483647 1 false Some(\"posts.id\")"
        ]
    );
    // pgcrypto's and citext's functions are theirs.
    assert_eq!(
        names(&schema.routines, |r| format!(
            "{:?} {}({})",
            r.kind, r.name, r.arguments
        )),
        [
            "Procedure app.archive(IN before timestamp with time zone)",
            "Function app.pass()",
            "Function app.recent_posts()",
            "Function app.slug(title text)",
            "Function public.add(a integer, b integer)",
            "Function public.add(a numeric, b numeric)",
            "Function public.post_label(p posts)",
            "Function public.touch()"
        ]
    );
    let touch = schema
        .routines
        .iter()
        .find(|r| r.name == name("touch"))
        .expect("touch()");
    assert_eq!(touch.kind, RoutineKind::Function);
    assert!(
        touch.definition.starts_with("CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$"),
        "{}",
        touch.definition
    );
    // The foreign keys' internal triggers and a partition's clones of its
    // parent's trigger are not the user's.
    assert_eq!(
        names(&schema.triggers, |t| format!(
            "{} on {}",
            t.name.name, t.table
        )),
        [
            "votes_scored on app.votes",
            "a_handles_insert on public.a_handles",
            "accounts_statement on public.accounts",
            "events_touch on public.events",
            "posts_checked on public.posts",
            "posts_touch on public.posts"
        ]
    );
}

/// Where `needle` starts in the dump, which must hold it.
fn position(dump: &str, needle: &str) -> usize {
    dump.find(needle)
        .unwrap_or_else(|| panic!("the dump lacks {needle:?}:\n{dump}"))
}

#[tokio::test]
async fn the_dump_creates_what_each_object_needs_first() {
    let Some(base) = base("the_dump_creates_what_each_object_needs_first") else {
        return;
    };
    let schema = features(&base).await;
    let dump = schema.to_sql();
    assert!(dump.starts_with("SET check_function_bodies = false;\nSET search_path = public;\n\n"));
    assert_eq!(
        dump,
        schema.clone().to_sql(),
        "the same model renders the same text"
    );
    // Each pair: the first is created before the second.
    let order = [
        ("CREATE SCHEMA ext;", "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext CASCADE;"),
        ("CREATE EXTENSION IF NOT EXISTS citext", "CREATE TYPE app.\"Quoted Kind\" AS ENUM (\n    'it''s',\n    'plain'\n);"),
        ("CREATE TYPE mood", "CREATE SEQUENCE app.ticket_numbers\n    AS integer\n    START WITH 100\n    INCREMENT BY 5\n    MINVALUE 10\n    MAXVALUE 100000\n    CACHE 20\n    CYCLE;"),
        ("CREATE SEQUENCE posts_id_seq", "CREATE OR REPLACE FUNCTION app.slug(title text)"),
        // A generated column calls it.
        ("CREATE OR REPLACE FUNCTION app.slug(", "CREATE TABLE posts ("),
        ("CREATE TABLE accounts (", "CREATE TABLE posts ("),
        // A partition after its parent, whatever their names.
        ("CREATE TABLE events (", "CREATE TABLE app.events_rest PARTITION OF events DEFAULT PARTITION BY LIST (kind);"),
        ("CREATE TABLE app.events_rest PARTITION OF", "CREATE TABLE app.events_rest_login PARTITION OF app.events_rest FOR VALUES IN ('login', 'logout');"),
        ("CREATE TABLE posts (", "ALTER SEQUENCE posts_id_seq OWNED BY posts.id;"),
        ("CREATE TABLE events_2024 PARTITION OF events (\n    kind WITH OPTIONS DEFAULT 'other'::text NOT NULL\n) FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');", "CREATE INDEX events_at ON events (at);"),
        ("CREATE TABLE app.votes (", "ALTER TABLE app.votes\n    ADD CONSTRAINT votes_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON UPDATE RESTRICT ON DELETE SET DEFAULT DEFERRABLE;"),
        ("CREATE TABLE posts (", "ALTER TABLE posts\n    ADD CONSTRAINT posts_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES posts (id) ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;"),
        // A function of a table's row type after the table, before the
        // view that calls it.
        ("CREATE TABLE posts (", "CREATE OR REPLACE FUNCTION public.post_label(p posts)"),
        ("CREATE OR REPLACE FUNCTION public.post_label(", "CREATE VIEW labelled_posts AS\nSELECT post_label(p.*) AS label\n   FROM posts p;"),
        ("CREATE TABLE posts (", "CREATE OR REPLACE FUNCTION app.recent_posts()\n RETURNS SETOF posts"),
        ("CREATE VIEW z_accounts AS", "CREATE VIEW a_handles AS"),
        ("CREATE MATERIALIZED VIEW app.top_posts AS", "CREATE UNIQUE INDEX top_posts_id ON app.top_posts (id);"),
        ("CREATE UNIQUE INDEX top_posts_id", "CREATE VIEW b_top AS"),
        ("CREATE VIEW a_handles AS", "CREATE TRIGGER a_handles_insert INSTEAD OF INSERT ON a_handles FOR EACH ROW EXECUTE FUNCTION app.pass();"),
        ("CREATE TRIGGER posts_touch", "COMMENT ON TABLE accounts IS 'People who sign in; it''s the root of everything.';"),
        ("COMMENT ON TABLE accounts", "COMMENT ON COLUMN accounts.handle IS 'Lowercase, unique per mood';"),
    ];
    for (first, then) in order {
        assert!(
            position(&dump, first) < position(&dump, then),
            "{first:?} comes after {then:?}:\n{dump}"
        );
    }
    // One column a line, quoted only where PostgreSQL needs it.
    for line in [
        "CREATE TABLE accounts (\n    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,\n    email ext.citext NOT NULL,\n    handle text COLLATE \"C\" NOT NULL,\n    \"Display Name\" character varying(80),\n    \"order\" integer DEFAULT 0 NOT NULL,",
        "    CONSTRAINT accounts_pkey PRIMARY KEY (id),\n    CONSTRAINT accounts_email_key UNIQUE (email),\n    CONSTRAINT accounts_handle_mood UNIQUE (handle, mood),\n    CONSTRAINT accounts_balance_check CHECK (balance >= 0::numeric),",
        "    slug text GENERATED ALWAYS AS (app.slug(title)) STORED,",
        "    score smallint GENERATED BY DEFAULT AS IDENTITY NOT NULL,\n    \"user\" text,\n    CONSTRAINT votes_pkey PRIMARY KEY (post_id, account_id)\n);",
        "CREATE UNLOGGED TABLE app.sessions (",
        ") PARTITION BY RANGE (at);",
        "CREATE INDEX accounts_recent ON accounts (created_at DESC NULLS LAST, id) INCLUDE (handle) WHERE balance > 0::numeric;",
        "CREATE INDEX \"Votes By User\" ON app.votes (\"user\" NULLS FIRST);",
        "CREATE INDEX posts_body ON posts USING gin (body jsonb_path_ops);",
    ] {
        position(&dump, line);
    }
    // Only the objects' own: no extension's function, no identity sequence.
    for absent in [
        "gen_random_bytes(integer)",
        "citext(",
        "accounts_id_seq",
        "EXTENSION IF NOT EXISTS plpgsql",
    ] {
        assert!(!dump.contains(absent), "the dump holds {absent:?}:\n{dump}");
    }
}

#[tokio::test]
async fn session_settings_do_not_change_what_is_read() {
    let Some(base) = base("session_settings_do_not_change_what_is_read") else {
        return;
    };
    let migrations = load(FEATURES);
    let migrator = Migrator::new(&migrations);
    let db = migrator
        .test_database(&base)
        .await
        .expect("a migrated database");
    let plain = migrator.at(db.url()).inspect().await.expect("inspected");
    // Another search_path changes how the catalog names types and tables,
    // another interval style how it prints an interval default. (sqlx sets
    // the time zone and date style of each connection it opens.)
    let separator = if db.url().contains('?') { '&' } else { '?' };
    let unusual = format!(
        "{}{separator}options[search_path]=app&options[IntervalStyle]=sql_standard",
        db.url()
    );
    let mut conn = Conn::open(&unusual).await;
    let settings = conn
        .strings("SELECT current_setting('search_path') || ' ' || current_setting('IntervalStyle')")
        .await;
    assert_eq!(settings, ["app sql_standard"], "the options apply");
    conn.close().await;
    let read = migrator.at(&unusual).inspect().await.expect("inspected");
    db.discard().await.expect("dropped");
    assert_eq!(read, plain);
    assert_eq!(read.to_sql(), plain.to_sql());
}

/// A PostgreSQL-only change made by hand, and the one difference drift
/// must report: `(verb, kind, path)`.
const HAND_CHANGES: &[(&str, (&str, &str, &str))] = &[
    ("ALTER TYPE mood ADD VALUE 'angry'", ("changed", "enum", "public.mood")),
    ("ALTER SEQUENCE app.ticket_numbers INCREMENT BY 10", ("changed", "sequence", "app.ticket_numbers")),
    ("CREATE SEQUENCE app.spare", ("added", "sequence", "app.spare")),
    (
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        ("changed", "function", "public.touch"),
    ),
    (
        "CREATE FUNCTION add(a bigint, b bigint) RETURNS bigint LANGUAGE sql AS 'SELECT a + b'",
        ("added", "function", "public.add(a bigint, b bigint)"),
    ),
    ("DROP PROCEDURE app.archive", ("removed", "procedure", "app.archive(IN before timestamp with time zone)")),
    ("DROP TRIGGER posts_touch ON posts", ("removed", "trigger", "posts_touch")),
    ("CREATE EXTENSION hstore", ("added", "extension", "hstore")),
    ("CREATE SCHEMA audit", ("added", "schema", "audit")),
    ("COMMENT ON COLUMN accounts.handle IS 'Changed'", ("changed", "column", "public.accounts.handle")),
    ("COMMENT ON TABLE app.votes IS 'Scores'", ("changed", "table", "app.votes")),
    (
        "ALTER TABLE accounts ALTER COLUMN \"Display Name\" TYPE varchar(80) COLLATE \"POSIX\"",
        ("changed", "column", "public.accounts.Display Name"),
    ),
    ("ALTER TABLE app.votes ALTER COLUMN score SET GENERATED ALWAYS", ("changed", "column", "app.votes.score")),
    ("ALTER TABLE posts ALTER COLUMN ticket DROP DEFAULT", ("changed", "column", "public.posts.ticket")),
    ("ALTER TABLE app.sessions SET LOGGED", ("changed", "table", "app.sessions")),
    (
        "DROP INDEX posts_slug_hash; CREATE INDEX posts_slug_hash ON posts (slug)",
        ("changed", "index", "public.posts.posts_slug_hash"),
    ),
    ("DROP INDEX app.top_posts_id", ("removed", "index", "app.top_posts.top_posts_id")),
    (
        "ALTER TABLE app.votes DROP CONSTRAINT votes_account, ADD CONSTRAINT votes_account \
         FOREIGN KEY (account_id) REFERENCES accounts (id) ON UPDATE RESTRICT ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED",
        ("changed", "foreign key", "app.votes.votes_account"),
    ),
    ("CREATE OR REPLACE VIEW labelled_posts AS SELECT post_label(p) || '!' AS label FROM posts p", ("changed", "view", "public.labelled_posts")),
    // A new partition takes its parent's index, check and trigger: the
    // partition is the one difference.
    (
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        ("added", "table", "public.events_2025"),
    ),
];

#[tokio::test]
async fn postgres_hand_changes_each_drift_once() {
    let Some(base) = base("postgres_hand_changes_each_drift_once") else {
        return;
    };
    let migrations = load(FEATURES);
    let migrator = Migrator::new(&migrations);
    for (sql, (verb, kind, path)) in HAND_CHANGES {
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
        assert_eq!(found, [(*verb, *kind, path.to_string())], "{sql}");
    }
}
