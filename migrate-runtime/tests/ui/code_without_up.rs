static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/code_without_up");

fn main() {}
