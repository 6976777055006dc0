static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/diesel_bad_metadata");

fn main() {}
