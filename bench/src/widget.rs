//! The web chat (issue 15): a reviewer's reply until it is on the visitor's stream, many idle
//! visitor streams on one process, and the widget's two files.
//!
//! Every bench client comes from 127.0.0.1, and Baton limits new visitor conversations to 30
//! per client address in 10 minutes (`throttle::VisitorLimits`), so the relay starts at most 30
//! visitors through the API. The idle streams need thousands of visitors: their rows are
//! seeded into the database before Baton starts, through Baton's own `db::widgets` functions
//! (the rows `POST /widget/v1/conversations` writes), and each stream is opened through the API.

use std::pin::Pin;
use std::task::{Context, Poll};

use baton::db::widgets::{self as repo, VisitorRow, WidgetRow};
use baton::domain::credentials::token_digest;
use baton::domain::widget::{generate_public_key, generate_visitor_token, new_session_id};
use tokio::sync::mpsc::unbounded_channel;

use super::*;

/// The site the bench's widget is embedded in (sent as `Origin`).
pub const ORIGIN: &str = "http://shop.bench.test";
/// New conversations one client address may start in 10 minutes.
pub const STARTS_PER_ADDRESS: usize = 30;

/// Reviewer reply → that reply's `event: item` on the visitor's stream, one reply at a time,
/// round-robin over `visitors` conversations (each started through the API with a first
/// message, taken over on channel `web` and claimed by alice), after a tenth as warm-up.
/// Returns the arrival times and the reply requests' own times.
pub async fn relay(
    client: &reqwest::Client,
    baton: &Server,
    visitors: usize,
    n: usize,
) -> anyhow::Result<(Sample, Sample)> {
    anyhow::ensure!(
        (1..=STARTS_PER_ADDRESS).contains(&visitors),
        "--widget-visitors {visitors}: 1 to {STARTS_PER_ADDRESS} (Baton starts at most \
         {STARTS_PER_ADDRESS} conversations per client address in 10 minutes)"
    );
    let base = &baton.process.base;
    let root = login(client, base, "root").await?;
    let alice = login(client, base, "alice").await?;
    let widget = json_ok(
        client
            .post(format!("{base}/v1/widgets"))
            .bearer_auth(&root)
            .json(&json!({"name": "Bench shop", "allowed_origins": [ORIGIN], "team": "support"}))
            .send()
            .await?,
    )
    .await?;
    let key = widget["public_key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The channel's side of the takeover: Baton also posts each reply there.
    let receiver = Receiver::start();
    let hook = receiver.url("/web");
    let mut conversations = Vec::with_capacity(visitors);
    for i in 0..visitors {
        let started = json_ok(
            client
                .post(format!("{base}/widget/v1/conversations"))
                .header("Origin", ORIGIN)
                .json(&json!({ "key": key }))
                .send()
                .await?,
        )
        .await?;
        let token = started["token"].as_str().unwrap_or_default().to_string();
        let session = started["session_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        expect_ok(
            client
                .post(format!("{base}/widget/v1/messages"))
                .header("Origin", ORIGIN)
                .bearer_auth(&token)
                .json(
                    &json!({"text": format!("Visitor {i} would like a person"), "client_id": "c1"}),
                )
                .send()
                .await?,
        )
        .await?;
        expect_ok(
            client
                .post(format!("{base}/v1/takeovers"))
                .bearer_auth(&baton.api_key)
                .json(
                    &json!({"session_id": session, "channel": "web", "reply_webhook": hook,
                    "reason": "user_requested", "assignee": "support", "timeout": "1d"}),
                )
                .send()
                .await?,
        )
        .await?;
        expect_ok(
            client
                .post(format!("{base}/v1/sessions/{session}/claim"))
                .bearer_auth(&alice)
                .send()
                .await?,
        )
        .await?;
        conversations.push((session, token));
    }

    // Each visitor's stream, reporting every item's text with the moment its chunk was read.
    let sse = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let (tx, mut rx) = unbounded_channel::<(usize, String, Instant)>();
    let (ready_tx, mut ready_rx) = unbounded_channel::<()>();
    let mut tasks = Vec::new();
    for (i, (_, token)) in conversations.iter().enumerate() {
        let req = sse
            .get(format!("{base}/widget/v1/stream"))
            .header("Origin", ORIGIN)
            .bearer_auth(token);
        let (tx, ready) = (tx.clone(), ready_tx.clone());
        tasks.push(tokio::spawn(async move {
            let mut res = req.send().await?;
            anyhow::ensure!(res.status().is_success(), "stream: {}", res.status());
            let _ = ready.send(());
            let mut buf = String::new();
            while let Some(chunk) = res.chunk().await? {
                let at = Instant::now();
                buf.push_str(std::str::from_utf8(&chunk)?);
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if !frame.lines().any(|l| l == "event: item") {
                        continue;
                    }
                    if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                        let v: Value = serde_json::from_str(data)?;
                        let text = v["text"].as_str().unwrap_or_default().to_string();
                        let _ = tx.send((i, text, at));
                    }
                }
            }
            anyhow::Ok(())
        }));
    }
    for _ in 0..visitors {
        tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("a visitor stream failed to open"))?;
    }

    let warm = n / 10;
    let mut micros = Vec::with_capacity(n);
    let mut answered = Vec::with_capacity(n);
    for k in 0..warm + n {
        let v = k % visitors;
        let session = &conversations[v].0;
        let content = format!("Reply {k} from Alice");
        let t0 = Instant::now();
        let r = client
            .post(format!("{base}/v1/sessions/{session}/replies"))
            .bearer_auth(&alice)
            .json(&json!({ "content": content }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "reply: {}", r.status());
        let _ = r.bytes().await;
        if k >= warm {
            answered.push(t0.elapsed().as_micros() as u64);
        }
        loop {
            let (got, text, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .map_err(|_| anyhow::anyhow!("reply {k} never reached visitor {v}'s stream"))?
                .ok_or_else(|| anyhow::anyhow!("every visitor stream closed"))?;
            // The conversations' earlier items (the first message, "connecting", "joined")
            // come first; only this reply on this visitor's stream counts.
            if got == v && text == content {
                if k >= warm {
                    micros.push((at - t0).as_micros() as u64);
                }
                break;
            }
        }
    }
    for t in &tasks {
        t.abort();
    }
    micros.sort_unstable();
    answered.sort_unstable();
    let sample = |micros| Sample {
        micros,
        rps: 0.0,
        errors: 0,
    };
    Ok((sample(micros), sample(answered)))
}

/// Seeds a widget (team support, origin [`ORIGIN`]) and `count` visitors of it, as
/// `POST /widget/v1/conversations` would, in one transaction; returns their tokens. Run before
/// Baton starts on `db`.
pub fn seed_visitors(db: &TestDb, count: usize) -> anyhow::Result<Vec<String>> {
    let url = DatabaseUrl::parse(Some(&db.url)).map_err(anyhow::Error::msg)?;
    let pool = Db::connect(&url, 1)?;
    let mut conn = pool.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let conn: &mut DbConnection = &mut conn;
    let api = |e: baton::error::ApiError| anyhow::anyhow!("{e}");
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        let widget = WidgetRow {
            id: "wgt_bench".into(),
            public_key: generate_public_key(),
            name: "Bench shop".into(),
            team: Some("support".into()),
            allowed_origins: serde_json::to_string(&[ORIGIN])?,
            title: "Chat with us".into(),
            welcome: None,
            created_at: baton::db::now(),
            revoked_at: None,
        };
        repo::create(conn, &widget).map_err(api)?;
        let mut tokens = Vec::with_capacity(count);
        for _ in 0..count {
            let token = generate_visitor_token();
            repo::start_visitor(
                conn,
                &VisitorRow {
                    session_id: new_session_id(),
                    token_digest: token_digest(&token),
                    widget_id: widget.id.clone(),
                    created_at: baton::db::now(),
                    locale: None,
                },
            )
            .map_err(api)?;
            tokens.push(token);
        }
        Ok(tokens)
    })
}

/// What holding many idle streams cost a server process.
pub struct Held {
    /// RSS before the streams, MB.
    pub baseline: f64,
    /// The highest RSS while they were all open, MB.
    pub peak: f64,
    /// Time to open all of them.
    pub connect: Duration,
    /// The server's CPU while they were held, in cores (1.0 = one core busy).
    pub cpu: f64,
}

impl Held {
    pub fn growth(&self) -> f64 {
        self.peak - self.baseline
    }
}

/// Opens one stream per token on Baton's `GET /widget/v1/stream` (or, with `tokens` empty,
/// `count` streams on the floor's `GET /stream`), a hundred at a time, each counted once its
/// first chunk arrived; then keeps them open for `hold`, sampling the server's RSS. Every stream
/// must still be open at the end. One stream is opened and closed first; the baseline is read
/// after it, so the growth also holds what the first streams cost once (buffers, timers).
pub async fn hold_streams(
    server: &Server,
    tokens: &[String],
    count: usize,
    hold: Duration,
) -> anyhow::Result<Held> {
    fanout::raise_fd_limit(count);
    let sse = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let open = |i: usize| {
        let req = match tokens.get(i) {
            Some(token) => sse
                .get(format!("{}/widget/v1/stream", server.process.base))
                .header("Origin", ORIGIN)
                .bearer_auth(token),
            None => sse.get(format!("{}/stream", server.process.base)),
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut res = req.send().await?;
            anyhow::ensure!(res.status().is_success(), "stream: {}", res.status());
            let mut ready = Some(ready_tx);
            while res.chunk().await?.is_some() {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
            anyhow::Ok(())
        });
        (task, ready_rx)
    };
    let open_all = |range: std::ops::Range<usize>| {
        let open = &open;
        async move {
            let mut tasks = Vec::with_capacity(range.len());
            let ids: Vec<usize> = range.collect();
            for batch in ids.chunks(100) {
                let mut waits = Vec::with_capacity(batch.len());
                for &i in batch {
                    let (task, ready) = open(i);
                    tasks.push(task);
                    waits.push(ready);
                }
                for w in waits {
                    tokio::time::timeout(Duration::from_secs(30), w)
                        .await
                        .map_err(|_| anyhow::anyhow!("a stream did not connect within 30 s"))?
                        .map_err(|_| anyhow::anyhow!("a stream failed while connecting"))?;
                }
            }
            anyhow::Ok(tasks)
        }
    };
    // Warm-up: the last visitor's stream, opened and closed (that visitor opens a second one
    // below, as a second tab would).
    for t in open_all(count - 1..count).await? {
        t.abort();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = server.rss_mb();

    let t0 = Instant::now();
    let tasks = open_all(0..count).await?;
    let connect = t0.elapsed();
    let mut peak = server.rss_mb();
    let (cpu0, held) = (cpu_seconds(server), Instant::now());
    while held.elapsed() < hold {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak = peak.max(server.rss_mb());
    }
    let cpu = (cpu_seconds(server) - cpu0) / held.elapsed().as_secs_f64();
    // A stream task only finishes when its stream ended (or failed).
    let ended = tasks.iter().filter(|t| t.is_finished()).count();
    for t in &tasks {
        t.abort();
    }
    anyhow::ensure!(
        ended == 0,
        "{ended} of {count} idle streams ended while held"
    );
    Ok(Held {
        baseline,
        peak,
        connect,
        cpu,
    })
}

/// The user and system CPU seconds a server process has used (`/proc/<pid>/stat`, in ticks
/// of 1/100 s).
fn cpu_seconds(server: &Server) -> f64 {
    std::fs::read_to_string(format!("/proc/{}/stat", server.process.id()))
        .ok()
        .and_then(|s| {
            // The fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
            Some((ticks(11)? + ticks(12)?) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// The widget's two files as a visitor's first page load fetches them: `/widget.js`, then
/// `/widget.css` (the script loads it into its shadow root), each on a new connection, with
/// `Accept-Encoding: gzip`. Returns the bytes as served, their gzip size (level 6, what a
/// compressing proxy would send) and the time to fetch both, `n` times after a tenth as warm-up.
pub async fn files(base: &str, n: usize) -> anyhow::Result<(usize, usize, bool, Sample)> {
    let cold = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let (mut served, mut gzipped, mut encoded) = (0, 0, false);
    let mut micros = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let t0 = Instant::now();
        let mut sizes = Vec::with_capacity(2);
        for path in ["/widget.js", "/widget.css"] {
            let r = cold
                .get(format!("{base}{path}"))
                .header("Accept-Encoding", "gzip")
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "GET {path}: {}", r.status());
            let gz = r
                .headers()
                .get("content-encoding")
                .is_some_and(|v| v == "gzip");
            sizes.push((gz, r.bytes().await?));
        }
        if i >= n / 10 {
            micros.push(t0.elapsed().as_micros() as u64);
        }
        if i == 0 {
            for (gz, body) in sizes {
                served += body.len();
                encoded |= gz;
                gzipped += if gz { body.len() } else { gzip_len(&body)? };
            }
        }
    }
    micros.sort_unstable();
    Ok((
        served,
        gzipped,
        encoded,
        Sample {
            micros,
            rps: 0.0,
            errors: 0,
        },
    ))
}

/// The size of `body` compressed by `gzip -6` (the level compressing proxies and `flate2` use
/// by default); the `gzip` tool keeps the bench free of a compression crate.
fn gzip_len(body: &[u8]) -> anyhow::Result<usize> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .args(["-6", "-n", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("the gzip tool: {e}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("gzip's stdin"))?
        .write_all(body)?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "gzip failed");
    Ok(out.stdout.len())
}

/// The floor's idle stream: one comment, then nothing, never ending: the least an open
/// `text/event-stream` answer costs an actix-web process.
#[derive(Default)]
pub struct IdleBody(bool);

impl actix_web::body::MessageBody for IdleBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        if self.0 {
            Poll::Pending
        } else {
            self.0 = true;
            Poll::Ready(Some(Ok(web::Bytes::from_static(b": connected\n\n"))))
        }
    }
}

async fn json_ok(r: reqwest::Response) -> anyhow::Result<Value> {
    let s = r.status();
    let body = r.text().await.unwrap_or_default();
    anyhow::ensure!(s.is_success(), "{s}: {body}");
    Ok(serde_json::from_str(&body)?)
}
