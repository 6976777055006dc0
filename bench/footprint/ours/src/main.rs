static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let report = MIGRATIONS.run(&url).await?;
    println!("{} migrations applied", report.applied.len());
    Ok(())
}
