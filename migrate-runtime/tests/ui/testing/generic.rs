#[migrata::test(MIGRATIONS)]
async fn counts_users<T>(db: &migrata::testing::TestDatabase) {
    let _ = db;
}

fn main() {}
