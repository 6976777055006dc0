//! The postgres schema inspector and renderer: its own cases, beyond the
//! shared round trip and drift table of `schema`.

use migrata::schema::Schema;
use migrata::{BackendKind, Migrator};

use crate::common::test_name;
use crate::schema::{load, round_trip, scratch_base};

const FEATURES: &str = "tests/schema-fixtures/postgres-features";

/// The scratch server for `test`, or `None` after a `SKIPPED:` line.
fn base(test: &str) -> Option<String> {
    scratch_base(BackendKind::Postgres, &test_name(module_path!(), test))
}

/// The features fixture's schema, as the migrations leave it.
async fn features(base: &str) -> Schema {
    Migrator::new(&load(FEATURES))
        .schema(base)
        .await
        .expect("the fixture's schema")
}

#[tokio::test]
async fn features_fixture_round_trips() {
    let Some(base) = base("features_fixture_round_trips") else {
        return;
    };
    let schema = round_trip(&load(FEATURES), &base).await;
    eprintln!("{}", schema.to_sql());
}
