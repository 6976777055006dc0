static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/code_not_rust");

fn main() {}
