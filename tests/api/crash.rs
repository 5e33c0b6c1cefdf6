//! SIGKILL in the middle of traffic: whatever was acknowledged survives, in order, and every
//! accepted reply reaches the receiver after the restart. Losing the database connections
//! costs at most the request that found them gone.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::backend_tests;
use crate::helpers::{
    enc, postgres_available, spawn_app, spawn_app_with, Backend, Options, Receiver,
};
use crate::races::assert_contiguous;

backend_tests!(
    a_sigkill_under_load_loses_no_acknowledged_turn_or_reply,
    a_sigterm_lets_the_callback_in_flight_finish_and_exits,
);

/// A driver's view of the server: plain base URL and credential, no borrow of the `TestApp`.
#[derive(Clone)]
struct Driver {
    client: reqwest::Client,
    base: String,
}

impl Driver {
    /// Sends `make(i)` for i = 0, 1, ... until a request fails (the server is gone); returns the
    /// contents whose request was acknowledged with a 2xx, and the acknowledged `seq`s.
    async fn until_failure(
        self,
        path: String,
        token: String,
        make: impl Fn(usize) -> Value,
        content_of: impl Fn(usize) -> String,
        enough: Arc<Notify>,
        notify_after: usize,
    ) -> Vec<(String, i64)> {
        let mut acked = Vec::new();
        for i in 0.. {
            let r = self
                .client
                .post(format!("{}{path}", self.base))
                .bearer_auth(&token)
                .json(&make(i))
                .send()
                .await;
            let Ok(r) = r else { break };
            let status = r.status();
            let Ok(body) = r.json::<Value>().await else {
                break;
            };
            assert!(
                status.is_success(),
                "{path}: {status} {body} before the crash"
            );
            let seq = body["seq"]
                .as_i64()
                .or(body["message"]["seq"].as_i64())
                .expect("seq");
            acked.push((content_of(i), seq));
            if acked.len() == notify_after {
                enough.notify_one();
            }
        }
        acked
    }
}

async fn a_sigkill_under_load_loses_no_acknowledged_turn_or_reply(backend: Backend) {
    let mut app = spawn_app(backend).await;
    // The receiver stays up: replies acknowledged but still queued or in flight at the kill
    // must come out of the durable outbox after the restart. (A receiver that is down during
    // the crash is covered in delivery.rs.)
    let receiver = Receiver::start();
    let hook = receiver.url("/hook");
    let (s, _) = app.takeover("crash-replies", &hook, json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let (s, _) = app
        .post("/v1/sessions/crash-replies/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);

    let driver = Driver {
        client: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap(),
        base: app.base.clone(),
    };
    let enough = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    // Two turn drivers share one session (so sequence numbers are contended) and one has its
    // own; the reviewer replies on the claimed session meanwhile.
    for (n, session) in ["crash-a", "crash-a", "crash-b"].into_iter().enumerate() {
        let path = format!("/v1/sessions/{}/messages", enc(session));
        tasks.push(tokio::spawn(driver.clone().until_failure(
            path,
            app.api_key.clone(),
            move |i| json!({"sender": "user", "content": format!("turn {n}-{i}"), "id": format!("ext-{n}-{i}")}),
            move |i| format!("turn {n}-{i}"),
            enough.clone(),
            usize::MAX,
        )));
    }
    let replies = tokio::spawn(driver.clone().until_failure(
        "/v1/sessions/crash-replies/replies".into(),
        alice.clone(),
        |i| json!({"content": format!("reply {i}")}),
        |i| format!("reply {i}"),
        enough.clone(),
        30,
    ));
    // Kill once 30 replies are acknowledged; the drivers are mid-request.
    enough.notified().await;
    app.kill();
    let replied = replies.await.unwrap();
    let mut turns = Vec::new();
    for t in tasks {
        turns.push(t.await.unwrap());
    }
    assert!(
        turns.iter().all(|t| !t.is_empty()),
        "a driver got nothing through"
    );

    app.restart();

    for (session, acked) in [
        ("crash-a", [&turns[0][..], &turns[1][..]].concat()),
        ("crash-b", turns[2].clone()),
        ("crash-replies", replied.clone()),
    ] {
        let history = app.history(session).await;
        assert_contiguous(&history);
        let mut contents: Vec<&str> = history
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        for (content, seq) in &acked {
            let stored = history
                .iter()
                .find(|m| m["seq"] == *seq)
                .unwrap_or_else(|| panic!("{session}: acknowledged seq {seq} is missing"));
            assert_eq!(stored["content"], content.as_str(), "{session} seq {seq}");
        }
        let before = contents.len();
        contents.sort_unstable();
        contents.dedup();
        assert_eq!(before, contents.len(), "{session}: a turn is stored twice");
    }

    // Every acknowledged reply is delivered, in order; anything delivered was stored.
    let stored: Vec<String> = app
        .history("crash-replies")
        .await
        .iter()
        .filter(|m| m["sender"] == "human:alice")
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    let got = receiver
        .wait_for("every stored reply", |g| {
            // Count distinct replies: one in flight at the kill may arrive twice (at least once).
            let distinct: std::collections::BTreeSet<String> = Receiver::of_type(g, "reply")
                .iter()
                .map(|r| r.body["message"]["id"].to_string())
                .collect();
            distinct.len() >= stored.len()
        })
        .await;
    let mut delivered: Vec<String> = Receiver::of_type(&got, "reply")
        .iter()
        .map(|r| r.body["message"]["content"].as_str().unwrap().to_string())
        .collect();
    // At least once: a retry after the crash may repeat one; order is kept per session.
    delivered.dedup();
    assert_eq!(delivered, stored, "replies delivered out of order or lost");
    for (content, _) in &replied {
        assert!(delivered.contains(content), "{content} was not delivered");
    }
}

/// The pool skips the liveness query for connections used moments ago; when PostgreSQL drops
/// them all (a restart, a failover, an administrator), the first request that meets a dead one
/// fails and every other connection is tested before its next use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_every_postgres_connection_costs_at_most_one_request() {
    if !postgres_available() {
        return;
    }
    use diesel::{Connection, RunQueryDsl};
    // Workers that wake rarely, so the requests below meet the dead connections first.
    let app = spawn_app_with(
        Backend::Postgres,
        Options::with(&[("BATON_WORKER_POLL", "60s")]),
    )
    .await;
    for i in 0..20 {
        let (status, _) = app.turn("lost", "user", &format!("turn {i}")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut admin = diesel::PgConnection::establish(&app.db.url).expect("connect");
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .expect("terminate");
    let mut failed = 0;
    for i in 20..60 {
        let (status, body) = app.turn("lost", "user", &format!("turn {i}")).await;
        if status.is_server_error() {
            failed += 1;
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    assert!(
        failed <= 1,
        "{failed} requests failed after the connections were lost"
    );
    let history = app.history("lost").await;
    assert_contiguous(&history);
    assert_eq!(history.len(), 60 - failed);
}

/// A service manager stops Baton with SIGTERM. The workers used to be dropped mid-send: the
/// callback in flight reached its receiver but was never recorded, so it was sent again after the
/// restart. Now the server stops, the worker waits for the callback under way, records it, and
/// the process exits on its own.
async fn a_sigterm_lets_the_callback_in_flight_finish_and_exits(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let receiver = Receiver::start();
    receiver.answer_after(Duration::from_millis(1500));
    let (s, _) = app
        .takeover("stopping", &receiver.url("/hook"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let (s, _) = app
        .post("/v1/sessions/stopping/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // The claimed notice has reached the receiver, which takes 1.5 s to answer.
    receiver
        .wait_for("the claimed notice", |g| !g.is_empty())
        .await;
    let status = app.terminate();
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        app.log()
    );
    assert!(
        app.log().contains("delivery worker stopped"),
        "{}",
        app.log()
    );
    receiver.answer_after(Duration::ZERO);
    app.restart();
    let (s, page) = app
        .get("/v1/deliveries?session_id=stopping", &app.api_key)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let claimed: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["event_type"] == "takeover.claimed")
        .collect();
    assert_eq!(claimed.len(), 1, "{page}");
    assert_eq!(claimed[0]["status"], "delivered", "{page}");
    assert_eq!(claimed[0]["attempts"], 1, "{page}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "sent once, never again");
}
