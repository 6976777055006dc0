static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/mixed_layouts");

fn main() {}
