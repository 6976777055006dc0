static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/nul_byte");

fn main() {}
