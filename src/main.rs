//! `baton`: load the configuration, set up logging, run the chosen command.

use std::io::Write;
use std::process::ExitCode;

use baton::cli::{Cli, Command};
use baton::config::{Config, LogFormat};
use baton::startup::App;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", baton::openapi::spec_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("baton: the configuration has problems:");
            for e in errors {
                eprintln!("  - {e}");
            }
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never into a file or a log collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => logs.with_ansi(ansi).init(),
        // One object per line; the request's span (its `request_id`) rides along as `span`.
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let result = match cli.command {
        None | Some(Command::Serve) => serve(config),
        Some(other) => baton::cli::run_admin(other, &config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        tracing::info!(database = %config.database_url.redacted(), "starting");
        let app = App::build(config).await?;
        let addr = app.addr();
        tracing::info!(%addr, "listening; Swagger UI at /docs/");
        if let Some(link) = app.setup_url() {
            announce_setup(link);
        }
        // Tests and scripts read the bound port from this line.
        println!("baton listening on http://{addr}");
        std::io::stdout().flush()?;
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// A new Baton has no reviewer: the one-time setup link goes to the log and, framed so that it
/// stands out of the log lines around it, to stderr (whatever `BATON_LOG` filters). Before the
/// "listening" line on stdout, so whoever waits for that line finds the link already written.
fn announce_setup(link: &str) {
    tracing::warn!(
        setup_link = %link,
        "no reviewer yet: open the setup link to create the first admin, team and API key (it works once)"
    );
    let rule = "=".repeat(78);
    eprintln!(
        "\n{rule}\n  Baton has no reviewer yet. Open this link to create the first admin,\n  \
         their team and an API key for n8n (it works once):\n\n  {link}\n{rule}\n"
    );
}
