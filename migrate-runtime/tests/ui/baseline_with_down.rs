static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/baseline_with_down");

fn main() {}
