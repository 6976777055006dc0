static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/many_bad_files");

fn main() {}
