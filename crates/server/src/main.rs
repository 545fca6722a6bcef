use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = tokenbatch::config::Cli::parse();
    if let Err(error) = tokenbatch::cli::run(cli).await {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
