//! The standalone `migrate` command: the same subcommands as an app's
//! embedded CLI, over a migrations directory read at run time, plus `new`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    migrate_runtime::cli::run_standalone(std::env::args_os()).await
}
