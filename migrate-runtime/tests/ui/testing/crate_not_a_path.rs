#[migrata::test(MIGRATIONS, crate = "migrata")]
async fn counts_users(db: &migrata::testing::TestDatabase) {
    let _ = db;
}

fn main() {}
