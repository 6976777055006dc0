#[migrata::test(MIGRATIONS)]
async fn counts_users() {}

fn main() {}
