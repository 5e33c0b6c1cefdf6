//! Processes: the `baton` admin CLI against a database (API keys, reviewers), and a server —
//! Baton or the bench's floor — started on 127.0.0.1:0, ready once its first stdout line says
//! where it listens, killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::PASSWORD;

/// Runs `baton ARGS` against `db_url`; its stdout as JSON.
pub fn baton_cli(bin: &Path, db_url: &str, args: &[&str]) -> anyhow::Result<Value> {
    let out = Command::new(bin)
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("BATON_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "baton {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).map_err(|e| anyhow::anyhow!("baton {args:?}: {e}"))
}

/// An API key as `baton api-key create` prints it.
pub struct ApiKey {
    pub key: String,
    pub signing_secret: String,
}

/// `baton api-key create --name NAME`.
pub fn create_api_key(bin: &Path, db_url: &str, name: &str) -> anyhow::Result<ApiKey> {
    let v = baton_cli(bin, db_url, &["api-key", "create", "--name", name])?;
    let field = |f: &str| {
        v[f].as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("api-key create: no {f} in {v}"))
    };
    Ok(ApiKey {
        key: field("key")?,
        signing_secret: field("signing_secret")?,
    })
}

/// `baton reviewer add --name NAME --team TEAM --password PASSWORD EXTRA…` (`--admin`,
/// `--display-name X`).
pub fn add_reviewer(
    bin: &Path,
    db_url: &str,
    name: &str,
    team: &str,
    extra: &[&str],
) -> anyhow::Result<()> {
    let mut args = vec![
        "reviewer",
        "add",
        "--name",
        name,
        "--team",
        team,
        "--password",
        PASSWORD,
    ];
    args.extend(extra);
    baton_cli(bin, db_url, &args)?;
    Ok(())
}

/// A running server process, killed (SIGKILL) and reaped on drop.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// From spawning until the first line arrived.
    pub startup: Duration,
}

impl Process {
    /// Spawns `cmd` with `BATON_BIND=127.0.0.1:0`, its stderr appended to `log`, and waits up
    /// to `timeout` for its first stdout line, `… listening on http://ADDR`.
    pub fn spawn(cmd: &mut Command, log: &Path, timeout: Duration) -> anyhow::Result<Process> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let t0 = Instant::now();
        let mut child = cmd
            .env("BATON_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so the process never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx.recv_timeout(timeout);
        let startup = t0.elapsed();
        let base = match &first {
            Ok(line) => line
                .split_once(" listening on ")
                .map(|(_, addr)| addr.trim().to_string())
                .filter(|addr| addr.starts_with("http://")),
            Err(_) => None,
        };
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(log).unwrap_or_default();
            anyhow::bail!(
                "{:?} did not start (first line {:?}); log:\n{log}",
                cmd.get_program(),
                first.ok()
            );
        };
        Ok(Process {
            child,
            base,
            startup,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as a service manager stops a service) and waits up to `within` for the
    /// process to exit; its exit status, or an error if it is still running.
    pub fn terminate(&mut self, within: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "still running {within:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
