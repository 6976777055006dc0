// No `database = ...`: a build for every database lints for each of them,
// so PostgreSQL's rule fires and says whose it is.
static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!("ui-fixtures/lint_error");

fn main() {}
