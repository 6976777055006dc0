static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_bad_allow", database = "postgres");

fn main() {}
