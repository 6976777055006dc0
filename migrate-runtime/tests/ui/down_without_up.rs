static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/down_without_up");

fn main() {}
