static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/version_overflow");

fn main() {}
