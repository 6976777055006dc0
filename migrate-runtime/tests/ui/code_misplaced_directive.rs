static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/code_misplaced_directive");

fn main() {}
