static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/misplaced_directive");

fn main() {}
