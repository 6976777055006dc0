static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/one_table", crate = "migrata");

fn main() {}
