use sqlx::Connection;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let mut conn = sqlx::PgConnection::connect(&url).await?;
    let before = sqlx::migrate!().iter().count();
    sqlx::migrate!().run(&mut conn).await?;
    println!("{before} migrations embedded, run");
    Ok(())
}
