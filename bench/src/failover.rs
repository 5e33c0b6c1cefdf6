//! A replica dies (issue 18, `--only failover`, PostgreSQL): two Baton processes on one database
//! behind testkit's loopback balancer; `concurrency` clients send customer turns and reviewer
//! replies through it over `sessions` claimed conversations, and one replica is killed with
//! SIGKILL mid-load. Reported: kill → the first 2xx through the balancer; kill → every reply
//! acknowledged before the kill at the receiver (the dead replica's leased callbacks wait for
//! its lease, `BATON_DELIVERY_TIMEOUT` + 5 s, to run out); replies delivered under two delivery
//! ids (duplicates, must be 0); callbacks repeated under the same id (in flight at the kill:
//! at least once, a receiver drops them by `webhook-id`); acknowledged replies lost (must be 0).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::{login, Balancer, Receiver, TestDb};

use super::{expect_ok, row, Binaries, Row, Server};

/// One request of the load: when it was sent and answered, and whether with a 2xx.
struct Answer {
    sent: Instant,
    answered: Instant,
    ok: bool,
}

/// Runs the scenario once on a fresh database; one row per figure.
pub async fn run(
    bins: &Binaries,
    db: TestDb,
    backend: &'static str,
    sessions: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Row>> {
    let mut doomed = Some(Server::baton(bins, &db)?);
    let key = doomed
        .as_ref()
        .map(|s| s.api_key.clone())
        .unwrap_or_default();
    let survivor = Server::baton_bare(bins, &db)?;
    let doomed_base = doomed
        .as_ref()
        .map(|s| s.process.base.clone())
        .unwrap_or_default();
    let balancer = Balancer::start(&[&doomed_base, &survivor.process.base])?;
    let base = balancer.base.clone();
    let api = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let receiver = Receiver::start();
    let alice = login(&api, &base, "alice").await?;
    for s in 0..sessions {
        let id = format!("failover-{s}");
        expect_ok(
            api.post(format!("{base}/v1/takeovers"))
                .bearer_auth(&key)
                .json(&json!({"session_id": id, "channel": "telegram", "reply_webhook": receiver.url("/hook"), "reason": "user_requested", "assignee": "support", "timeout": "1h"}))
                .send()
                .await?,
        )
        .await?;
        expect_ok(
            api.post(format!("{base}/v1/sessions/{id}/claim"))
                .bearer_auth(&alice)
                .json(&json!({}))
                .send()
                .await?,
        )
        .await?;
    }

    // The load: each client alternates a customer turn and a reviewer reply on its sessions.
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let replied = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let mut clients = Vec::new();
    for c in 0..concurrency {
        let (stop, answers, replied) = (stop.clone(), answers.clone(), replied.clone());
        let (base, key, alice) = (base.clone(), key.clone(), alice.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let mut i = 0usize;
            while !stop.load(Ordering::Acquire) {
                let session = format!("failover-{}", (c + i) % sessions);
                let content = format!("client {c} request {i}");
                let reply = i % 2 == 1;
                i += 1;
                let req = if reply {
                    http.post(format!("{base}/v1/sessions/{session}/replies"))
                        .bearer_auth(&alice)
                        .json(&json!({"content": content}))
                } else {
                    http.post(format!("{base}/v1/sessions/{session}/messages"))
                        .bearer_auth(&key)
                        .json(&json!({"sender": "user", "content": content}))
                };
                let sent = Instant::now();
                let ok = match req.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let answered = Instant::now();
                if ok && reply {
                    replied.lock().unwrap().push((content, answered));
                }
                answers.lock().unwrap().push(Answer { sent, answered, ok });
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // SIGKILL (the process is killed and reaped on drop).
    drop(doomed.take());
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Release);
    for c in clients {
        c.await?;
    }

    let first_ok = answers
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.ok && a.sent >= killed)
        .map(|a| a.answered - killed)
        .min()
        .ok_or_else(|| anyhow::anyhow!("no request succeeded after the kill"))?;
    let failed = answers.lock().unwrap().iter().filter(|a| !a.ok).count();
    let acked: Vec<(String, Instant)> = replied.lock().unwrap().clone();
    let before_kill: BTreeSet<String> = acked
        .iter()
        .filter(|(_, at)| *at < killed)
        .map(|(c, _)| c.clone())
        .collect();
    let all: BTreeSet<String> = acked.iter().map(|(c, _)| c.clone()).collect();

    // Every acknowledged reply at the receiver (the lease runs out first; 15 s + 5 s by default).
    let deadline = Instant::now() + Duration::from_secs(120);
    let got = loop {
        let got = receiver.received();
        let contents: BTreeSet<String> = Receiver::of_type(&got, "reply")
            .iter()
            .filter_map(|r| r.body["message"]["content"].as_str().map(str::to_string))
            .collect();
        if all.is_subset(&contents) || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut first_arrival: BTreeMap<String, Instant> = BTreeMap::new();
    let mut ids_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut arrivals_of: BTreeMap<String, usize> = BTreeMap::new();
    for r in Receiver::of_type(&got, "reply") {
        let Some(content) = r.body["message"]["content"].as_str() else {
            continue;
        };
        first_arrival.entry(content.to_string()).or_insert(r.at);
        ids_of
            .entry(content.to_string())
            .or_default()
            .insert(r.webhook_id.clone());
        *arrivals_of.entry(r.webhook_id.clone()).or_default() += 1;
    }
    let lost = all
        .iter()
        .filter(|c| !first_arrival.contains_key(*c))
        .count();
    // The last arrival after the kill of a reply acknowledged before it: the dead replica's
    // leased callbacks (sent again once the lease ran out) and any still queued at the kill.
    let leased_sent = Receiver::of_type(&got, "reply")
        .iter()
        .filter(|r| r.at > killed)
        .filter(|r| {
            r.body["message"]["content"]
                .as_str()
                .is_some_and(|c| before_kill.contains(c))
        })
        .map(|r| r.at - killed)
        .max()
        .unwrap_or_default();
    let duplicates = ids_of.values().filter(|ids| ids.len() > 1).count();
    let repeated = arrivals_of.values().filter(|n| **n > 1).count();
    eprintln!(
        "   failover: {} requests ({failed} failed), {} replies acknowledged, balancer served {:?}",
        answers.lock().unwrap().len(),
        all.len(),
        balancer.served()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(vec![
        row(
            backend,
            "failover",
            "kill to first 2xx",
            "ms",
            ms(first_ok),
            None,
            "",
        ),
        row(
            backend,
            "failover",
            "kill to leased callbacks sent",
            "ms",
            ms(leased_sent),
            None,
            "<= lease + poll",
        ),
        row(
            backend,
            "failover",
            "duplicate deliveries",
            "count",
            duplicates as f64,
            None,
            "0",
        ),
        row(
            backend,
            "failover",
            "repeated callbacks (same id)",
            "count",
            repeated as f64,
            None,
            "",
        ),
        row(
            backend,
            "failover",
            "acknowledged replies lost",
            "count",
            lost as f64,
            None,
            "0",
        ),
        row(
            backend,
            "failover",
            "requests failed at the kill",
            "count",
            failed as f64,
            None,
            "",
        ),
    ])
}
