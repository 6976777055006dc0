static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/lint_bad_allow", database = "postgres");

fn main() {}
