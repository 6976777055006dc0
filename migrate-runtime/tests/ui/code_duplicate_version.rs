static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/code_duplicate_version");

fn main() {}
