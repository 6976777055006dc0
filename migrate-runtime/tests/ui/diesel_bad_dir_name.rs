static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/diesel_bad_dir_name");

fn main() {}
