static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/diesel_missing_up");

fn main() {}
