static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/does_not_exist");

fn main() {}
