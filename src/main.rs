use std::process::ExitCode;

use tessera::config::{Cli, Command};
use tessera::startup::{self, Application};
use tessera::telemetry;

/// Fewer cycles per allocation than glibc on the token path, and no per-thread arenas that keep
/// memory after bursts.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    telemetry::init(&cli.settings.log, cli.settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match Application::build(cli.settings).await {
            Ok(app) => app.run_until_stopped(startup::shutdown_signal()).await,
            Err(e) => Err(e),
        },
        Command::Migrate => startup::migrate(&cli.settings).await,
        Command::RotateAdminToken => startup::rotate_admin_token(&cli.settings).await,
        Command::Reseal => startup::reseal(&cli.settings).await,
        Command::AdminCredentials(command) => tessera::commands::admin_credentials(&cli.settings, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("tessera: {e}");
            ExitCode::FAILURE
        }
    }
}
