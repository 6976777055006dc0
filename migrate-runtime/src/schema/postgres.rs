//! postgres: the catalog queries that read a schema into the [model](super::model),
//! and the renderer that writes it back as canonical SQL.

use super::model::Schema;

pub(crate) async fn inspect(conn: &mut sqlx::PgConnection) -> Result<Schema, sqlx::Error> {
    let _ = conn;
    todo!("postgres introspection")
}

pub(crate) fn render(schema: &Schema) -> String {
    let _ = schema;
    todo!("postgres renderer")
}

/// The SQL of a generated migration's steps (see [`super::render_steps`]).
pub(crate) fn render_steps(
    steps: &[super::Step],
    old: &Schema,
    new: &Schema,
) -> Vec<super::GeneratedScript> {
    let _ = (steps, old, new);
    todo!("postgres: generated migrations")
}
