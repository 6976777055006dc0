static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/malformed_directive");

fn main() {}
