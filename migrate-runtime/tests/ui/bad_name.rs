static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/bad_name");

fn main() {}
