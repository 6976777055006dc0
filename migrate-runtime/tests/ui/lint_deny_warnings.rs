static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_deny_warnings", database = "postgres", lint_after = 1, deny_warnings = true);

fn main() {}
