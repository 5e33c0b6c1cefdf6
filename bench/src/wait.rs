//! The customer's whole wait (issue 19): what a customer and a reviewer feel, end to end on
//! loopback, with `conversations` customers arriving at once or at a steady rate (all of them
//! stay open, so the last arrives among `conversations` open ones).
//!
//! Each customer writes (the turn gate), the workflow asks for a takeover (with a real HTTP
//! receiver as its reply webhook), and one simulated reviewer, connected to `GET /v1/events`,
//! claims each conversation the moment its takeover shows in the stream and sends the first
//! reply at once. Per conversation the scenario records each step's time, from the request being
//! sent to its answer (or to the event or callback arriving), and the whole wait: the customer's
//! message sent → the reviewer's first reply at the receiver. The reviewer's own reaction is
//! instant, so everything measured is Baton's time (and the loopback between the parts).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::{login, Receiver, TestDb};
use tokio::sync::{mpsc, Mutex};

use super::{expect_ok, row, Binaries, Row, Server};

/// The steps of one conversation, in microseconds.
#[derive(Default, Clone)]
struct Steps {
    turn: u64,
    takeover: u64,
    visible: u64,
    claim: u64,
    reply: u64,
    delivered: u64,
    whole: u64,
}

/// A reported step: its name, how to read it from [`Steps`], its target.
type Column = (&'static str, fn(&Steps) -> u64, &'static str);

/// When each conversation's customer wrote and when its takeover was sent.
#[derive(Default)]
struct Clock {
    wrote: Option<Instant>,
    asked: Option<Instant>,
}

/// Runs one round of `conversations` on a fresh Baton; one row per step for p50 and p99.
pub async fn run(
    bins: &Binaries,
    db: TestDb,
    backend: &'static str,
    conversations: usize,
    rate: f64,
) -> anyhow::Result<Vec<Row>> {
    super::fanout::raise_fd_limit(conversations * 2);
    let baton = Server::baton(bins, &db)?;
    let base = baton.process.base.clone();
    let api = reqwest::Client::builder()
        .pool_max_idle_per_host(conversations)
        .timeout(Duration::from_secs(60))
        .build()?;
    let receiver = Receiver::start();
    let mut arrivals = receiver.arrivals();
    let hook = receiver.url("/hook");
    let token = login(&api, &base, "alice").await?;

    // The reviewer's stream: each takeover event, with when it was read.
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let stream = {
        let sse = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()?;
        let mut res = sse
            .get(format!("{base}/v1/events"))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "events: {}", res.status());
        tokio::spawn(async move {
            let mut buf = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                let at = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if frame.contains("event: reset") {
                        // Fell behind: reload the view, as the inbox does.
                        let _ = seen_tx.send((String::new(), at));
                        continue;
                    }
                    let Some(data) = frame
                        .lines()
                        .find_map(|l| l.strip_prefix("data: "))
                        .filter(|_| frame.contains("event: session"))
                    else {
                        continue;
                    };
                    let v: Value = serde_json::from_str(data).unwrap_or_default();
                    if v["kind"] == "takeover" {
                        let session = v["session_id"].as_str().unwrap_or("").to_string();
                        let _ = seen_tx.send((session, at));
                    }
                }
            }
        })
    };

    let clocks: Arc<Mutex<HashMap<String, Clock>>> = Arc::default();
    let steps: Arc<Mutex<HashMap<String, Steps>>> = Arc::default();
    let reply_sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();

    // The simulated reviewer: claims and answers each conversation as soon as it shows. When
    // the stream says it fell behind (`reset`), the reviewer reads the waiting queue instead, as
    // the inbox does, and keeps reading it until every conversation is taken.
    let resets: Arc<Mutex<usize>> = Arc::default();
    let reviewer = {
        let (api, base, token) = (api.clone(), base.clone(), token.clone());
        let shared = (clocks.clone(), steps.clone(), reply_sent.clone());
        let resets = resets.clone();
        tokio::spawn(async move {
            let mut tasks = Vec::new();
            let mut handled = std::collections::HashSet::new();
            let mut behind = false;
            while handled.len() < conversations {
                let next = tokio::time::timeout(Duration::from_millis(200), seen_rx.recv()).await;
                let (sessions, at) = match next {
                    Ok(Some((seen, at))) if !seen.is_empty() => (vec![seen], at),
                    Ok(Some((_, at))) => {
                        *resets.lock().await += 1;
                        behind = true;
                        (waiting(&api, &base, &token).await?, at)
                    }
                    Ok(None) => break,
                    // Quiet: after a reset, what is still waiting shows in the queue.
                    Err(_) if behind => (waiting(&api, &base, &token).await?, Instant::now()),
                    Err(_) => continue,
                };
                for session in sessions {
                    if handled.insert(session.clone()) {
                        tasks.push(tokio::spawn(answer(
                            api.clone(),
                            base.clone(),
                            token.clone(),
                            session,
                            at,
                            shared.clone(),
                        )));
                    }
                }
            }
            for t in tasks {
                t.await??;
            }
            anyhow::Ok(())
        })
    };

    // The customers, all at once (`rate` 0) or `rate` a second: a turn, then the workflow's
    // takeover request.
    let started = Instant::now();
    let mut customers = Vec::new();
    for i in 0..conversations {
        if rate > 0.0 {
            tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into())
                .await;
        }
        let (api, base, key, hook) = (
            api.clone(),
            base.clone(),
            baton.api_key.clone(),
            hook.clone(),
        );
        let (clocks, steps) = (clocks.clone(), steps.clone());
        customers.push(tokio::spawn(async move {
            let session = format!("wait-{i}");
            let t0 = Instant::now();
            clocks
                .lock()
                .await
                .entry(session.clone())
                .or_default()
                .wrote = Some(t0);
            expect_ok(
                api.post(format!("{base}/v1/sessions/{session}/messages"))
                    .bearer_auth(&key)
                    .json(
                        &json!({"sender": "user", "content": "I want to talk to a person",
                                  "channel": "telegram"}),
                    )
                    .send()
                    .await?,
            )
            .await?;
            let turn = t0.elapsed().as_micros() as u64;
            let t1 = Instant::now();
            clocks
                .lock()
                .await
                .entry(session.clone())
                .or_default()
                .asked = Some(t1);
            expect_ok(
                api.post(format!("{base}/v1/takeovers"))
                    .bearer_auth(&key)
                    .json(&json!({"session_id": session, "channel": "telegram",
                                  "reply_webhook": hook, "reason": "user_requested",
                                  "assignee": "support", "timeout": "1h",
                                  "summary": "Wants a person"}))
                    .send()
                    .await?,
            )
            .await?;
            let takeover = t1.elapsed().as_micros() as u64;
            let mut all = steps.lock().await;
            let s = all.entry(session).or_default();
            s.turn = turn;
            s.takeover = takeover;
            anyhow::Ok(())
        }));
    }
    for c in customers {
        c.await??;
    }
    // The first reply of each conversation at the receiver (the claim's `takeover.claimed`
    // callback reaches it too, and is not counted).
    let mut delivered = 0;
    while delivered < conversations {
        let got = tokio::time::timeout(Duration::from_secs(120), arrivals.recv())
            .await
            .map_err(|_| anyhow::anyhow!("only {delivered} of {conversations} replies arrived"))?
            .ok_or_else(|| anyhow::anyhow!("the receiver stopped"))?;
        if got.body["type"] != "reply" {
            continue;
        }
        let session = got.body["session_id"].as_str().unwrap_or("").to_string();
        let sent = reply_sent.lock().await.get(&session).copied();
        let wrote = clocks.lock().await.get(&session).and_then(|c| c.wrote);
        let (Some(sent), Some(wrote)) = (sent, wrote) else {
            anyhow::bail!("a reply for {session:?}, which the bench did not send");
        };
        let mut all = steps.lock().await;
        let s = all.entry(session).or_default();
        s.delivered = (got.at - sent).as_micros() as u64;
        s.whole = (got.at - wrote).as_micros() as u64;
        delivered += 1;
    }
    let elapsed = started.elapsed();
    reviewer.await??;
    stream.abort();

    let all: Vec<Steps> = steps.lock().await.values().cloned().collect();
    let label = if rate > 0.0 {
        format!("{conversations} at {rate}/s")
    } else {
        format!("{conversations} at once")
    };
    anyhow::ensure!(all.len() == conversations, "{} conversations", all.len());
    let mut rows = vec![
        row(
            backend,
            "customer's wait",
            leak(format!("{label}: all answered in")),
            "s",
            elapsed.as_secs_f64(),
            None,
            "",
        ),
        row(
            backend,
            "customer's wait",
            leak(format!("{label}: stream resets")),
            "",
            *resets.lock().await as f64,
            None,
            "",
        ),
    ];
    let columns: [Column; 7] = [
        ("turn gate", |s| s.turn, "≤ 50 ms p99"),
        ("takeover request", |s| s.takeover, "≤ 50 ms p99"),
        ("takeover → reviewer's stream", |s| s.visible, "≤ 50 ms p99"),
        ("claim", |s| s.claim, "≤ 50 ms p99"),
        ("first reply accepted", |s| s.reply, "≤ 50 ms p99"),
        ("reply → receiver", |s| s.delivered, "≤ 50 ms p99"),
        ("whole wait (message → first reply)", |s| s.whole, ""),
    ];
    for (name, get, target) in columns {
        let mut micros: Vec<u64> = all.iter().map(get).collect();
        micros.sort_unstable();
        let p = |q: f64| {
            let i = ((q / 100.0) * (micros.len() - 1) as f64).round() as usize;
            micros[i] as f64 / 1000.0
        };
        rows.push(row(
            backend,
            "customer's wait",
            leak(format!("{label}: {name} p50")),
            "ms",
            p(50.0),
            None,
            "",
        ));
        rows.push(row(
            backend,
            "customer's wait",
            leak(format!("{label}: {name} p99")),
            "ms",
            p(99.0),
            None,
            target,
        ));
    }
    Ok(rows)
}

/// What the clocks, steps and reply times of every conversation are kept in.
type Shared = (
    Arc<Mutex<HashMap<String, Clock>>>,
    Arc<Mutex<HashMap<String, Steps>>>,
    Arc<Mutex<HashMap<String, Instant>>>,
);

/// The sessions waiting in the reviewer's queue (the first 500).
async fn waiting(api: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Vec<String>> {
    let page: Value = api
        .get(format!("{base}/v1/inbox?view=waiting&limit=500"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["session"]["session_id"].as_str().map(String::from))
        .collect())
}

/// The reviewer's part for one conversation seen at `at`: claim it, send the first reply.
async fn answer(
    api: reqwest::Client,
    base: String,
    token: String,
    session: String,
    at: Instant,
    (clocks, steps, reply_sent): Shared,
) -> anyhow::Result<()> {
    let asked = clocks.lock().await.get(&session).and_then(|c| c.asked);
    let visible = asked.map_or(0, |t| at.saturating_duration_since(t).as_micros() as u64);
    let t0 = Instant::now();
    expect_ok(
        api.post(format!("{base}/v1/sessions/{session}/claim"))
            .bearer_auth(&token)
            .send()
            .await?,
    )
    .await?;
    let claim = t0.elapsed().as_micros() as u64;
    let t1 = Instant::now();
    reply_sent.lock().await.insert(session.clone(), t1);
    expect_ok(
        api.post(format!("{base}/v1/sessions/{session}/replies"))
            .bearer_auth(&token)
            .json(&json!({"content": format!("Hello {session}, I am Alice.")}))
            .send()
            .await?,
    )
    .await?;
    let reply = t1.elapsed().as_micros() as u64;
    let mut all = steps.lock().await;
    let s = all.entry(session).or_default();
    s.visible = visible;
    s.claim = claim;
    s.reply = reply;
    Ok(())
}

/// Row names are `&'static str`; a handful per run.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
