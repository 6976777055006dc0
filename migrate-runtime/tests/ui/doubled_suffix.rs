static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/doubled_suffix");

fn main() {}
