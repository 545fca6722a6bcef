use std::io::Write;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // A log line that cannot be written (stdout on a full disk, closed, or /dev/full) is lost, but never
        // takes a request or the process down: by default the subscriber reports such failures with
        // `eprintln!`, which panics when stderr fails too.
        .log_internal_errors(false)
        .init();
    let cli = tokenbatch::config::Cli::parse();
    if let Err(error) = tokenbatch::cli::run(cli).await {
        let _ = writeln!(std::io::stderr(), "error: {error}");
        std::process::exit(1);
    }
}
