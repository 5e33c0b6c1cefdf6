//! Test harness: the real `baton` binary on port 0 over a fresh database (a temp SQLite file or
//! a fresh PostgreSQL database), real callback receivers, typed helpers. The databases, the
//! process, the receiver and the signature check come from `testkit` (shared with the bench);
//! this file keeps the tests' own fixture (reviewers, fast retry settings) and request helpers.

use std::path::PathBuf;
use std::time::Duration;

use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::Process;

#[allow(
    unused_imports,
    reason = "the browser test includes this file too and uses only some of these"
)]
pub use testkit::{free_port, verify_signature, Backend, Received, Receiver, TestDb, PASSWORD};

/// Runs one test body on a backend, or says clearly why PostgreSQL was skipped.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::postgres_available() {
                        super::$name($crate::helpers::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

/// True when PostgreSQL answers. Without it: under CI the test fails; elsewhere it is skipped
/// with a visible message.
pub fn postgres_available() -> bool {
    match diesel::PgConnection::establish(&format!("{}/postgres", testkit::pg_admin_url())) {
        Ok(_) => true,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
                panic!(
                    "PostgreSQL is required under CI but unreachable at {}: {e}",
                    testkit::pg_admin_url()
                );
            }
            eprintln!(
                "SKIPPED (PostgreSQL not reachable at {}: {e}; set CI=true to make this a failure)",
                testkit::pg_admin_url()
            );
            false
        }
    }
}

pub fn baton_bin() -> &'static str {
    env!("CARGO_BIN_EXE_baton")
}

/// Runs a `baton` admin command against the database and returns its stdout as JSON.
pub fn baton_cli(db: &TestDb, args: &[&str]) -> Value {
    testkit::baton_cli(baton_bin().as_ref(), &db.url, args).unwrap_or_else(|e| panic!("{e:#}"))
}

/// A running Baton process with an API key and reviewers alice, bob (team support), carol
/// (team billing) and root (admin).
pub struct TestApp {
    pub base: String,
    pub api_key: String,
    pub signing_secret: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    env: Vec<(String, String)>,
    process: Option<Process>,
    pub log_path: PathBuf,
}

pub struct Options {
    pub env: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            env: vec![
                (
                    "BATON_RETRY_SCHEDULE",
                    "200ms,400ms,800ms,1s,1s,1s,1s,1s".into(),
                ),
                ("BATON_WORKER_POLL", "100ms".into()),
                ("BATON_DELIVERY_TIMEOUT", "3s".into()),
            ],
        }
    }
}

impl Options {
    /// The defaults plus (or overridden by) these variables.
    pub fn with(extra: &[(&'static str, &str)]) -> Options {
        let mut o = Options::default();
        for (k, v) in extra {
            o.env.retain(|(name, _)| name != k);
            o.env.push((k, v.to_string()));
        }
        o
    }
}

/// A second Baton process on the same database (a replica), killed on drop.
pub struct Replica {
    pub base: String,
    _process: Process,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> TestApp {
    let db = TestDb::new(backend);
    let bin = std::path::Path::new(baton_bin());
    let key = testkit::create_api_key(bin, &db.url, "test").expect("api key");
    for (name, team, extra) in [
        ("alice", "support", vec!["--display-name", "Alice"]),
        ("bob", "support", vec!["--display-name", "Bob"]),
        ("carol", "billing", vec!["--display-name", "Carol"]),
        ("root", "ops", vec!["--admin"]),
    ] {
        testkit::add_reviewer(bin, &db.url, name, team, &extra).expect("reviewer");
    }
    launch_on(db, key.key, key.signing_secret, options)
}

/// A Baton as `cargo run` first starts one: a fresh database with no reviewer and no API key
/// (`api_key` and `signing_secret` are empty), so it prints its one-time setup link.
pub async fn spawn_new_app(backend: Backend) -> TestApp {
    launch_on(
        TestDb::new(backend),
        String::new(),
        String::new(),
        Options::default(),
    )
}

fn launch_on(db: TestDb, api_key: String, signing_secret: String, options: Options) -> TestApp {
    let log_path = db.dir().join("baton.log");
    let mut app = TestApp {
        base: String::new(),
        api_key,
        signing_secret,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        env: options
            .env
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        process: None,
        log_path,
        db,
    };
    app.start();
    app
}

impl TestApp {
    /// The audit entries whose action starts with `prefix` (a whole action name picks that one).
    pub async fn audit_actions(&self, prefix: &str) -> Vec<Value> {
        let (s, audit) = self.get("/v1/audit?limit=10000", &self.api_key).await;
        assert_eq!(s, StatusCode::OK, "{audit}");
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"].as_str().unwrap_or_default().starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Signs `name` in to the inbox (password [`PASSWORD`]); the `name=value` of its cookie.
    pub async fn inbox_cookie(&self, client: &reqwest::Client, name: &str) -> String {
        let res = client
            .post(self.url("/inbox/login"))
            .form(&[("name", name), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    /// Starts a process on the database (after [`TestApp::kill`]).
    pub fn start(&mut self) {
        let process = self.launch();
        self.base = process.base.clone();
        self.process = Some(process);
    }

    /// Starts another process on the same database, as a second replica would run.
    pub fn spawn_replica(&self) -> Replica {
        let process = self.launch();
        Replica {
            base: process.base.clone(),
            _process: process,
        }
    }

    fn launch(&self) -> Process {
        Process::spawn(
            std::process::Command::new(baton_bin())
                .arg("serve")
                .env("DATABASE_URL", &self.db.url)
                .env("BATON_LOG", "info")
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            &self.log_path,
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("baton did not start: {e:#}"))
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Stops the process as a service manager does (SIGTERM) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut process = self.process.take().expect("a running process");
        process
            .terminate(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}; log:\n{}", self.log()))
    }

    /// Kills the process and starts a new one on the same database.
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The setup links (`<base>/setup/<token>`) the processes of this app printed, in order:
    /// the first process's first (replicas share the log).
    pub fn setup_links(&self) -> Vec<String> {
        let re = regex::Regex::new(r"http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]+").unwrap();
        let mut links: Vec<String> = Vec::new();
        for m in re.find_iter(&self.log()) {
            if !links.iter().any(|l| l == m.as_str()) {
                links.push(m.as_str().to_string());
            }
        }
        links
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, token, body).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        read(r).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        read(r).await
    }

    pub async fn turn(&self, session: &str, sender: &str, content: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/v1/sessions/{}/messages", enc(session)),
            &self.api_key,
            json!({"sender": sender, "content": content, "channel": "telegram"}),
        )
        .await
    }

    pub async fn takeover(
        &self,
        session: &str,
        reply_webhook: &str,
        extra: Value,
    ) -> (StatusCode, Value) {
        let mut body = json!({
            "session_id": session,
            "channel": "telegram",
            "reply_webhook": reply_webhook,
            "reason": "user_requested",
            "assignee": "support",
            "timeout": "10m",
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post("/v1/takeovers", &self.api_key, body).await
    }

    pub async fn login(&self, name: &str) -> String {
        testkit::login(&self.client, &self.base, name)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    pub async fn history(&self, session: &str) -> Vec<Value> {
        let (status, body) = self
            .get(
                &format!("/v1/sessions/{}/messages?limit=500", enc(session)),
                &self.api_key,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    /// Opens `GET /v1/events` with this token (the response streams; read it with `chunk`).
    pub async fn events(&self, token: &str) -> reqwest::Response {
        self.client
            .get(self.url("/v1/events"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Signs a reviewer token out (`DELETE /v1/auth/login`); the status.
    pub async fn sign_out(&self, token: &str) -> StatusCode {
        self.client
            .delete(self.url("/v1/auth/login"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// A GET whose body is not JSON (`/metrics`, CSV exports), as text.
    pub async fn text(&self, path: &str, token: &str) -> String {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

pub async fn read(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.unwrap_or_default();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(
            ct, "application/problem+json",
            "error {status} without a problem document: {text}"
        );
    }
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Asserts a problem document of the given status and type slug.
pub fn assert_problem(status: StatusCode, body: &Value, expected: StatusCode, slug: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["type"], format!("/problems/{slug}"), "{body}");
    assert_eq!(body["status"], expected.as_u16(), "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
}

/// Runs SQL straight on the test database (to seed history the API cannot backdate).
pub fn exec_sql(db: &TestDb, sql: &str) {
    use diesel::connection::SimpleConnection;
    if db.url.starts_with("postgres") {
        diesel::PgConnection::establish(&db.url)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    } else {
        let mut conn = diesel::SqliteConnection::establish(&db.url).unwrap();
        // The server may be writing (its timers run): wait for the lock, as the server does.
        conn.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
        conn.batch_execute(sql).unwrap();
    }
}
