static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/lint_deny_warnings", database = "postgres", lint_after = 1, deny_warnings = true);

fn main() {}
