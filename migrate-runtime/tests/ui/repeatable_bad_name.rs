static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/repeatable_bad_name");

fn main() {}
