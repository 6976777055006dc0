static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/code_bad_name");

fn main() {}
