static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/transaction_control");

fn main() {}
