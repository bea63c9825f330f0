use std::process::ExitCode;

use tessera::config::{Cli, Command, Settings};
use tessera::startup::{self, Application};
use tessera::telemetry;

/// Fewer cycles per allocation than glibc on the token path, and no per-thread arenas that keep
/// memory after bursts.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc hands freed pages back to the system on a later call in the freeing thread; an
/// Argon2 worker that has just released its 19 MiB goes idle, so it asks at once.
fn return_freed_memory() {
    // SAFETY: mi_collect takes no pointers and has no preconditions; it purges the calling
    // thread's freed pages (forced: without waiting for mimalloc's purge delay).
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[tokio::main]
async fn main() -> ExitCode {
    tessera::hashing::on_release(return_freed_memory);
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
