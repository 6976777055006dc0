#[migrata::test(MIGRATIONS, env = "APP_DATABASE_URL")]
async fn counts_users(db: &migrata::testing::TestDatabase) {
    let _ = db;
}

fn main() {}
