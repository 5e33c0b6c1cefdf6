//! The `baton` command line: serve (default), migrate, api-key, reviewer, backup, erase, openapi.

use clap::{Parser, Subcommand};

use crate::config::{Config, DatabaseUrl};
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
            let bytes = backup(&config.database_url, &path)?;
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

/// Copies a live SQLite database with `VACUUM INTO`: one read transaction, so the copy is the
/// database as of one commit, while writers go on (WAL). The copy is created 0600 before SQLite
/// fills it (it holds signing secrets). VACUUM may renumber the rows of `messages`, whose rowids
/// key the full-text index, so the copy's index is rebuilt. Returns the copy's size in bytes.
fn backup(url: &DatabaseUrl, path: &std::path::Path) -> anyhow::Result<u64> {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let source = match url {
        DatabaseUrl::Sqlite(source) => source,
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "baton backup copies a SQLite database; for PostgreSQL use its own tools: \
             pg_dump -Fc -h HOST -U USER -d DATABASE -f baton.dump, and to restore \
             pg_restore -h HOST -U USER -d NEW_DATABASE baton.dump (see docs/OPERATIONS.md)"
        ),
    };
    if !std::path::Path::new(source).exists() {
        anyhow::bail!("no SQLite database at {source:?} (DATABASE_URL)");
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    let dest = path.to_string_lossy().into_owned();
    let copied = (|| -> anyhow::Result<()> {
        let mut conn = diesel::SqliteConnection::establish(source)?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(&dest)
            .execute(&mut conn)?;
        let mut copy = diesel::SqliteConnection::establish(&dest)?;
        copy.batch_execute("INSERT INTO message_search(message_search) VALUES ('rebuild');")?;
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(path);
        anyhow::bail!("backup failed: {e:#}");
    }
    Ok(std::fs::metadata(path)?.len())
}
