//! The test kit Baton's API tests (`tests/api/helpers.rs`) and its benchmark (`bench/`) share:
//! fresh databases on either backend, the real `baton` process on port 0 with its admin CLI, a
//! real HTTP callback receiver and the receiver's signature check, a TCP proxy that can take
//! PostgreSQL away and bring it back, and a loopback load balancer in front of several replicas.
//!
//! It knows nothing of the `baton` library: it drives the binary whose path it is given (the
//! tests pass `CARGO_BIN_EXE_baton`, the bench the release binary next to itself).

pub mod balancer;
pub mod db;
pub mod first_schema;
pub mod process;
pub mod proxy;
pub mod receiver;

pub use balancer::Balancer;
pub use db::{pg_admin_url, TestDb, DEFAULT_PG_URL};
pub use process::{add_reviewer, baton_cli, create_api_key, ApiKey, Process};
pub use proxy::Proxy;
pub use receiver::{free_port, verify_signature, Received, Receiver};

/// The password of every reviewer the kit's users create.
pub const PASSWORD: &str = "correct-horse-battery";

/// The database a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`, as the bench labels its rows and parses `--backend`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Signs a reviewer in (`POST /v1/auth/login` with [`PASSWORD`]); their bearer token.
pub async fn login(client: &reqwest::Client, base: &str, name: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"name": name, "password": PASSWORD}))
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "login {name}: {status}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("login {name}: no token in {body}"))
}
