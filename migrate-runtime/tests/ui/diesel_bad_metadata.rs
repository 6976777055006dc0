static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("ui-fixtures/diesel_bad_metadata");

fn main() {}
