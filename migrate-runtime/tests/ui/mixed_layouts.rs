static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/mixed_layouts");

fn main() {}
