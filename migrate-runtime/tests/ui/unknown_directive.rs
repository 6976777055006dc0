static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/unknown_directive");

fn main() {}
