static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(migrations);

fn main() {}
