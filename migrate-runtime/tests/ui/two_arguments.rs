static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("a", "b");

fn main() {}
