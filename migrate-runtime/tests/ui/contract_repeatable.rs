static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/contract_repeatable");

fn main() {}
