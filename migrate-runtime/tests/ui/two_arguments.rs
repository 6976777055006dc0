static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("a", "b");

fn main() {}
