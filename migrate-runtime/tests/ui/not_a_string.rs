static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!(migrations);

fn main() {}
