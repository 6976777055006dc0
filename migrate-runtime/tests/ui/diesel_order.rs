static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/diesel_order");

fn main() {}
