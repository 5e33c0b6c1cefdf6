//! The `baton` command line: serve (default), migrate, api-key, reviewer, backup, erase, openapi.

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db::erasure::{self, Target};
use crate::db::{self, accounts, Db};

#[derive(Parser, Debug)]
#[command(
    name = "baton",
    version,
    about = "Hand a live n8n chatbot conversation to a person and take it back"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default). Configuration comes from environment variables.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys for integrations.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage reviewers.
    #[command(subcommand)]
    Reviewer(ReviewerCommand),
    /// Copy a live SQLite database to PATH (a consistent copy, taken while Baton runs; created
    /// readable by its owner only). For PostgreSQL use pg_dump (see docs/OPERATIONS.md).
    Backup {
        /// Where to write the copy; it must not exist yet.
        path: std::path::PathBuf,
    },
    /// Erase everything about one customer or one conversation (as POST /v1/erasures does);
    /// prints the counts as JSON.
    #[command(group(clap::ArgGroup::new("whom").required(true).args(["user_id", "session_id"])))]
    Erase {
        /// Every conversation with this user id.
        #[arg(long)]
        user_id: Option<String>,
        /// One conversation.
        #[arg(long)]
        session_id: Option<String>,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key; prints {"key", "signing_secret"} as JSON (shown once).
    Create {
        /// A name for the key (e.g. the n8n instance).
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReviewerCommand {
    /// Add a reviewer (or update one of the same name); creates the team if needed.
    Add {
        #[arg(long)]
        name: String,
        /// Team to join; repeat for several.
        #[arg(long = "team", required = true)]
        teams: Vec<String>,
        /// Password (or set BATON_REVIEWER_PASSWORD to keep it out of shell history).
        #[arg(long, env = "BATON_REVIEWER_PASSWORD", hide_env_values = true)]
        password: String,
        /// Name shown to customers, e.g. "Alice" (defaults to the name, capitalised).
        #[arg(long)]
        display_name: Option<String>,
        /// Admins see and act on every team's conversations.
        #[arg(long)]
        admin: bool,
    },
}

fn open(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&config.database_url, 2)
}

/// Runs a non-serve command; returns the process exit code.
pub fn run_admin(command: Command, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => unreachable!("serve is handled by main"),
        Command::Openapi => {
            print!("{}", crate::openapi::spec_json());
        }
        Command::Migrate => {
            let applied = db::migrate(&config.database_url)?;
            eprintln!(
                "database {} is up to date ({} migration(s) applied)",
                config.database_url.redacted(),
                applied.len()
            );
        }
        Command::Backup { path } => {
            let bytes = crate::db::backup::copy_sqlite(&config.database_url, &path)?;
            println!(
                "{}",
                serde_json::json!({"backup": path.display().to_string(), "bytes": bytes})
            );
        }
        Command::Erase {
            user_id,
            session_id,
        } => {
            let target = match (user_id, session_id) {
                (Some(user), None) if !user.trim().is_empty() => Target::User(user.trim().into()),
                (None, Some(session)) => Target::Session(
                    crate::domain::types::SessionId::parse(&session)
                        .map_err(|e| anyhow::anyhow!("--session-id {e}"))?
                        .as_str()
                        .to_string(),
                ),
                _ => anyhow::bail!("give exactly one of --user-id and --session-id"),
            };
            let db = open(config)?;
            let erased = db
                .write_blocking(|conn| erasure::erase(conn, &target, "cli"))
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            println!("{}", serde_json::to_string(&erased)?);
        }
        Command::ApiKey(ApiKeyCommand::Create { name }) => {
            let name = name.trim().to_string();
            if name.is_empty() || name.len() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let db = open(config)?;
            let created = db
                .write_blocking(|conn| accounts::create_api_key(conn, &name, "cli"))
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            println!(
                "{}",
                serde_json::json!({"key": created.key, "signing_secret": created.row.signing_secret, "name": name})
            );
        }
        Command::Reviewer(ReviewerCommand::Add {
            name,
            teams,
            password,
            display_name,
            admin,
        }) => {
            let name = name.trim().to_string();
            if name.is_empty() || name.len() > 100 || name.contains(char::is_whitespace) {
                anyhow::bail!("--name must be 1 to 100 characters without spaces");
            }
            if password.chars().count() < 8 {
                anyhow::bail!("--password must be at least 8 characters");
            }
            if teams.iter().any(|t| t.trim().is_empty() || t.len() > 100) {
                anyhow::bail!("--team must be 1 to 100 characters");
            }
            let hash = crate::auth::hash_password(&password)?;
            let db = open(config)?;
            let row = db
                .write_blocking(|conn| {
                    accounts::upsert_reviewer(
                        conn,
                        accounts::NewReviewer {
                            name: &name,
                            display_name: display_name.as_deref(),
                            password_hash: hash,
                            teams: &teams,
                            is_admin: admin,
                        },
                    )
                })
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            println!(
                "{}",
                serde_json::json!({"name": row.name, "display_name": row.display_name, "teams": teams, "admin": row.is_admin})
            );
        }
    }
    Ok(())
}
