static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/misplaced_directive");

fn main() {}
