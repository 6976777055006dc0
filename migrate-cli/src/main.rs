//! The standalone `migrata` command (named so that it does not collide with
//! golang-migrate's `migrate`): the same subcommands as an app's
//! embedded CLI, over a migrations directory read at run time, plus `new`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    migrata_cli::run_standalone(std::env::args_os()).await
}
