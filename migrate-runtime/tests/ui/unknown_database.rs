static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_error", database = "oracle");

fn main() {}
