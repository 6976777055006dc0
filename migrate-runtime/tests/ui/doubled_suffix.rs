static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/doubled_suffix");

fn main() {}
