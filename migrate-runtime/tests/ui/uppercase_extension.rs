static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/uppercase_extension");

fn main() {}
