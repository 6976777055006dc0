#[migrata::test(MIGRATIONS)]
async fn counts_users(db: &migrata::testing::TestDatabase, other: &migrata::testing::TestDatabase) {
    let _ = (db, other);
}

fn main() {}
