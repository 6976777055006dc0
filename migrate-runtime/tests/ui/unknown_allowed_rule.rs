static MIGRATIONS: migrata::Migrations =
    migrata::embed_migrations!("ui-fixtures/lint_error", database = "sqlite", allow = ["drop-table", "missing-lock-timout"]);

fn main() {}
