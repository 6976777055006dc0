static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!();

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|arg| arg == "migrate") {
        // `footprint-ours-cli migrate status`, `... migrate up`, ...
        return Ok(migrata_cli::run_from(&MIGRATIONS, args.into_iter().skip(1)).await);
    }
    let url = std::env::var("DATABASE_URL")?;
    let report = MIGRATIONS.run(&url).await?;
    println!("{} migrations applied", report.applied.len());
    Ok(std::process::ExitCode::SUCCESS)
}
