//! One entry per backend: the backend-specific facts these tests need, so
//! the tests themselves hold no `match kind`.

use std::path::Path;

use migrata::BackendKind;

/// What the tests need to know about one backend.
pub struct Profile {
    pub kind: BackendKind,
    /// Where a test's own database lives.
    pub location: Location,
    /// `SELECT count(*)`: 1 when `table` exists in the test database.
    pub table_exists: fn(table: &str) -> String,
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
        table_exists: |table| {
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        },
    },
    Profile {
        kind: BackendKind::Postgres,
        location: Location::Server(Server {
            url_env: "MIGRATE_TEST_POSTGRES_URL",
            drop_database: |name| format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        }),
        table_exists: |table| {
            format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{table}'")
        },
    },
    Profile {
        kind: BackendKind::MySql,
        location: Location::Server(Server {
            url_env: "MIGRATE_TEST_MYSQL_URL",
            drop_database: |name| format!("DROP DATABASE IF EXISTS {name}"),
        }),
        table_exists: |table| {
            format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'")
        },
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

/// The table entry of `kind`.
pub fn profile(kind: BackendKind) -> &'static Profile {
    PROFILES
        .iter()
        .find(|p| p.kind == kind)
        .unwrap_or_else(|| panic!("no test profile for {kind}"))
}
