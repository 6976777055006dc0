static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_error", exclude = ["seed*.sql", "seeds/"]);

fn main() {}
