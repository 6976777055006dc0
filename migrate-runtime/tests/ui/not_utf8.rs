static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/not_utf8");

fn main() {}
