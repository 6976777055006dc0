static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/baseline_no_transaction");

fn main() {}
