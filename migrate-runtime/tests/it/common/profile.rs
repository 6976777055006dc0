//! One entry per backend: every backend-specific fact the integration tests
//! need, so the tests themselves hold no `match kind`. Adding a database to
//! the tests means adding one entry here (and a module to `on_every_backend!`).

use std::path::Path;

use migrata::BackendKind;

/// What the tests need to know about one backend.
pub struct Profile {
    pub kind: BackendKind,
    /// Where a test's own database lives.
    pub location: Location,
    /// A statement that keeps the database busy for about `seconds`.
    pub pause: fn(seconds: f64) -> String,
    /// `SELECT count(*)`: 1 when `table` exists in the test database.
    pub table_exists: fn(table: &str) -> String,
    /// Tables, columns and indexes as one string per row, comparable across
    /// two databases built the same way.
    /// (The migrator's lease table, `migrate_history_lock`, is left out: it
    /// is lock bookkeeping, which offline scripts do without.)
    pub schema_dump: &'static str,
    /// How many `migrate_history` rows were applied in the last minute (UTC).
    pub applied_last_minute: &'static str,
    /// A string literal as this database's client reads it.
    pub string_literal: fn(value: &str) -> String,
    /// The keyword building an index without blocking writes ("" if none).
    pub concurrently: &'static str,
    /// Drops the index `index` of `table`.
    pub drop_index: fn(index: &str, table: &str) -> String,
    /// A script (on a `users (id, email)` table) that only runs outside a
    /// transaction block where the database has transactional DDL.
    pub outside_transaction_only: &'static str,
    /// The statement taking the migration lock by hand, where the lock is a
    /// write transaction another connection can hold (SQLite).
    pub lock_by_hand: Option<&'static str>,
    /// How a lock-timeout error names the database, from `TestDb::name`.
    pub lock_names_database: fn(name: &str) -> String,
    /// How lock-wait errors name a blocking session; `None` where the
    /// database cannot say which connection blocks (SQLite).
    pub blocking_session: Option<BlockingSession>,
    /// A statement that lowers the limit of the one-statement history read
    /// so that it truncates, forcing the row-by-row fallback.
    pub truncate_packed_history: Option<&'static str>,
    /// Whether a script can change the schema search path (PostgreSQL).
    pub search_path: bool,
    /// The command-line client and its arguments, reading SQL on stdin with
    /// default settings, for the database at `url`.
    pub client: fn(url: &str) -> (&'static str, Vec<String>),
}

/// How lock-wait errors name a session that blocks a migration.
#[derive(Clone, Copy)]
pub struct BlockingSession {
    /// A query for the connection's id on the server.
    pub id: &'static str,
    /// How a message names the session with that id.
    pub named: fn(id: i64) -> String,
}

/// Where a test's own database lives.
pub enum Location {
    /// A file in a temporary directory, reached by this URL.
    File { url: fn(path: &Path) -> String },
    /// A randomly named database on a server.
    Server(Server),
}

/// Facts about a backend that runs as a server.
pub struct Server {
    /// The variable holding the server's URL; unset means skip.
    pub url_env: &'static str,
    /// The administrative user of the test server's URL.
    pub admin_user: &'static str,
    /// How many other sessions are connected to the test database.
    pub other_sessions: &'static str,
    /// Drops database `name`, even with sessions still connected.
    pub drop_database: fn(name: &str) -> String,
}

/// The SQLite test database's file name, in its own temporary directory.
pub const SQLITE_FILE: &str = "test.db";

const TABLE: [Profile; 3] = [
    Profile {
        kind: BackendKind::Sqlite,
        location: Location::File {
            url: |path| format!("sqlite://{}?mode=rwc", path.display()),
        },
        // SQLite has no sleep: count far enough to take a while.
        pause: |seconds| {
            format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c;",
                (seconds * 4_000_000.0) as i64
            )
        },
        table_exists: |table| {
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        },
        schema_dump: "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'migrate_history_lock' ORDER BY name",
        applied_last_minute: "SELECT count(*) FROM migrate_history WHERE applied_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 minute')",
        string_literal: standard_literal,
        concurrently: "",
        drop_index: |index, _table| format!("DROP INDEX {index};"),
        outside_transaction_only: "VACUUM;",
        lock_by_hand: Some("BEGIN IMMEDIATE"),
        lock_names_database: |_name| SQLITE_FILE.to_owned(),
        blocking_session: None,
        truncate_packed_history: None,
        search_path: false,
        client: |url| {
            let path = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            ("sqlite3", vec![path])
        },
    },
    Profile {
        kind: BackendKind::Postgres,
        location: Location::Server(Server {
            url_env: "MIGRATE_TEST_POSTGRES_URL",
            admin_user: "postgres",
            other_sessions: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            drop_database: |name| format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        }),
        pause: |seconds| format!("SELECT pg_sleep({seconds});"),
        table_exists: |table| {
            format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{table}'")
        },
        schema_dump: "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'migrate_history_lock' \
             UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> 'migrate_history_lock' ORDER BY 1",
        applied_last_minute: "SELECT count(*) FROM migrate_history WHERE applied_at > now() - interval '1 minute'",
        string_literal: standard_literal,
        concurrently: "CONCURRENTLY ",
        drop_index: |index, _table| format!("DROP INDEX {index};"),
        outside_transaction_only: "CREATE INDEX CONCURRENTLY users_email ON users (email);\nCREATE INDEX CONCURRENTLY users_id_email ON users (id, email);",
        lock_by_hand: None,
        lock_names_database: |name| format!("database `{name}`"),
        blocking_session: Some(BlockingSession {
            id: "SELECT pg_backend_pid()",
            named: |id| format!("pid {id} ("),
        }),
        truncate_packed_history: None,
        search_path: true,
        client: |url| {
            (
                "psql",
                vec![url.to_owned(), "-q".into(), "-f".into(), "-".into()],
            )
        },
    },
    Profile {
        kind: BackendKind::MySql,
        location: Location::Server(Server {
            url_env: "MIGRATE_TEST_MYSQL_URL",
            admin_user: "root",
            other_sessions: "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
            drop_database: |name| format!("DROP DATABASE IF EXISTS {name}"),
        }),
        pause: |seconds| format!("DO SLEEP({seconds});"),
        table_exists: |table| {
            format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'")
        },
        schema_dump: "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name <> 'migrate_history_lock' \
             UNION ALL SELECT CONCAT('index ', table_name, '.', index_name, ' ', column_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name <> 'migrate_history_lock' ORDER BY 1",
        applied_last_minute: "SELECT count(*) FROM migrate_history WHERE applied_at > UTC_TIMESTAMP() - INTERVAL 1 MINUTE",
        // Backslash escapes, and a quote written as \' (MySQL's own style).
        string_literal: |value| {
            format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
        },
        concurrently: "",
        drop_index: |index, table| format!("DROP INDEX {index} ON {table};"),
        // MySQL has no statement refused inside a transaction block; every
        // script runs outside one anyway.
        outside_transaction_only: "CREATE INDEX users_email ON users (email);",
        lock_by_hand: None,
        lock_names_database: |name| format!("database `{name}`"),
        blocking_session: Some(BlockingSession {
            id: "SELECT CAST(CONNECTION_ID() AS SIGNED)",
            named: |id| format!("thread {id} ("),
        }),
        // MySQL truncates GROUP_CONCAT at group_concat_max_len.
        truncate_packed_history: Some("SET SESSION group_concat_max_len = 64"),
        search_path: false,
        client: mysql_client,
    },
];

/// Every backend's entry.
pub static PROFILES: [Profile; 3] = TABLE;

// `on_every_backend!` writes one module per entry by hand.
const _: () = assert!(
    TABLE.len() == 3,
    "add the new backend's module to on_every_backend!"
);

/// Every backend the tests cover, in table order.
pub const ALL_KINDS: [BackendKind; 3] = [TABLE[0].kind, TABLE[1].kind, TABLE[2].kind];

impl Profile {
    /// The server facts, for a backend that runs as a server.
    pub fn server(&self) -> Option<&Server> {
        match &self.location {
            Location::Server(server) => Some(server),
            Location::File { .. } => None,
        }
    }
}

/// The table entry of `kind`.
pub fn profile(kind: BackendKind) -> &'static Profile {
    PROFILES
        .iter()
        .find(|p| p.kind == kind)
        .unwrap_or_else(|| panic!("no test profile for {kind}"))
}

/// Every profile, in table order.
pub fn profiles() -> impl Iterator<Item = &'static Profile> {
    PROFILES.iter()
}

/// The profiles of backends that run as a server, with their server facts.
pub fn servers() -> impl Iterator<Item = (&'static Profile, &'static Server)> {
    PROFILES.iter().filter_map(|p| p.server().map(|s| (p, s)))
}

/// SQL-standard literal: a quote is doubled, a backslash is just a character.
fn standard_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `mysql` arguments for `mysql://user[:password]@host:port/db`.
fn mysql_client(url: &str) -> (&'static str, Vec<String>) {
    let rest = url.trim_start_matches("mysql://");
    let (auth, location) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (host_port, database) = location.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
    let mut args = vec![
        format!("-h{host}"),
        format!("-P{port}"),
        format!("-u{user}"),
    ];
    if !password.is_empty() {
        args.push(format!("-p{password}"));
    }
    args.push(database.split('?').next().unwrap().to_owned());
    ("mysql", args)
}
