static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/baseline_not_oldest");

fn main() {}
