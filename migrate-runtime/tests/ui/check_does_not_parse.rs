static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/check_does_not_parse", database = "postgres");

fn main() {}
