use std::process::ExitCode;

use tessera::config::{Cli, Command, Settings};
use tessera::startup::{self, Application};
use tessera::telemetry;

/// Fewer cycles per allocation than glibc on the token path, and no per-thread arenas that keep
/// memory after bursts.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let result = match telemetry::init(&cli.settings.log, cli.settings.log_format) {
        Ok(telemetry) => {
            let result = run(cli.command.unwrap_or(Command::Serve), cli.settings).await;
            telemetry.shutdown().await;
            result
        }
        Err(e) => Err(e),
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

async fn run(command: Command, settings: Settings) -> Result<(), String> {
    match command {
        Command::Serve => match Application::build(settings).await {
            Ok(app) => app.run_until_stopped(startup::shutdown_signal()).await,
            Err(e) => Err(e),
        },
        Command::Migrate => startup::migrate(&settings).await,
        Command::RotateAdminToken => startup::rotate_admin_token(&settings).await,
        Command::Reseal => startup::reseal(&settings).await,
        Command::AdminCredentials(command) => tessera::commands::admin_credentials(&settings, command).await,
    }
}
