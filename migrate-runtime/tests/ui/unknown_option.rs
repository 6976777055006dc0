static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_error", dialect = "postgres");

fn main() {}
