static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/lint_error", exclude = ["seed*.sql", "seeds/"]);

fn main() {}
