static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/diesel_stray_script");

fn main() {}
