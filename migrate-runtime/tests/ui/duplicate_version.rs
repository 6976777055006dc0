static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/duplicate_version");

fn main() {}
