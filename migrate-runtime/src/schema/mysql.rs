//! mysql: the catalog queries that read a schema into the [model](super::model),
//! and the renderer that writes it back as canonical SQL.

use super::model::Schema;

pub(crate) async fn inspect(conn: &mut sqlx::MySqlConnection) -> Result<Schema, sqlx::Error> {
    let _ = conn;
    todo!("mysql introspection")
}

pub(crate) fn render(schema: &Schema) -> String {
    let _ = schema;
    todo!("mysql renderer")
}
