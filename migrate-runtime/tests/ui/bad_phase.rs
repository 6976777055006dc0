static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/bad_phase");

fn main() {}
