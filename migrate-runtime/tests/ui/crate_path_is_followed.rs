// The generated code reaches migrata by the path given, not by the name in
// Cargo.toml, so a path that leads nowhere fails at the macro call.
static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/one_table", crate = nowhere);

fn main() {}
