//! Concurrent requests that touch the same conversation: each race has one defined result.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{spawn_app, Backend, TestApp};

backend_tests!(
    fifty_concurrent_claims_have_exactly_one_winner,
    a_handback_racing_a_user_message_has_one_order,
    racing_takeover_requests_open_one_takeover,
);

/// Sequence numbers of a history are 1, 2, 3, ... with no gap and no repeat.
pub fn assert_contiguous(history: &[Value]) {
    let seqs: Vec<i64> = history.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "sequence numbers have gaps or repeats");
}

async fn fifty_concurrent_claims_have_exactly_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, _) = app
        .takeover("claim-race", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let tokens = [
        app.login("alice").await,
        app.login("bob").await,
        app.login("root").await,
    ];
    let claims = (0..50).map(|i| {
        let token = tokens[i % 3].clone();
        let app = &app;
        async move {
            let r = app
                .post("/v1/sessions/claim-race/claim", &token, json!({}))
                .await;
            (i % 3, r)
        }
    });
    let results = futures_util::future::join_all(claims).await;
    let names = ["alice", "bob", "root"];
    let mut holders = std::collections::BTreeSet::new();
    for (who, (status, body)) in &results {
        match *status {
            // A holder's own repeated claim is idempotent: it answers 200 with the same holder.
            StatusCode::OK => {
                assert_eq!(body["assigned_to"], names[*who], "{body}");
                holders.insert(names[*who]);
            }
            StatusCode::CONFLICT => assert_eq!(body["type"], "/problems/already-claimed"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(holders.len(), 1, "winners: {holders:?}");
    let holder = *holders.iter().next().unwrap();
    for (who, (status, body)) in &results {
        if *status == StatusCode::CONFLICT {
            assert_ne!(names[*who], holder);
            assert_eq!(body["held_by"], holder, "{body}");
        }
    }
    let (_, state) = app.get("/v1/sessions/claim-race", &app.api_key).await;
    assert_eq!(state["assigned_to"], holder);
    assert_eq!(state["status"], "human_active");
}

async fn a_handback_racing_a_user_message_has_one_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.login("alice").await;
    for round in 0..8 {
        let session = format!("handback-race-{round}");
        let (s, _) = app.turn(&session, "user", "hello").await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = app
            .takeover(&session, "http://127.0.0.1:9/hook", json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = app
            .post(&format!("/v1/sessions/{session}/claim"), &alice, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);

        let handback_path = format!("/v1/sessions/{session}/handback");
        let handback = app.post(
            &handback_path,
            &alice,
            json!({"summary": format!("summary {round}")}),
        );
        let user = app.turn(&session, "user", "are you still there?");
        let ((hs, hb), (us, turn)) = tokio::join!(handback, user);
        assert_eq!(hs, StatusCode::OK, "{hb}");
        assert_eq!(us, StatusCode::CREATED, "{turn}");

        let history = app.history(&session).await;
        assert_contiguous(&history);
        let summary_seq = history
            .iter()
            .find(|m| m["sender"] == "system")
            .and_then(|m| m["seq"].as_i64())
            .expect("the handback summary is in the history");
        let turn_seq = turn["seq"].as_i64().unwrap();
        let (_, state) = app
            .get(&format!("/v1/sessions/{session}"), &app.api_key)
            .await;
        if turn_seq < summary_seq {
            // The message came first: a person owned that turn, then the handback.
            assert_eq!(turn["owner"], "human", "{turn}");
            assert_eq!(state["status"], "handed_back", "{state}");
        } else {
            // The handback came first: the message is the first turn back with the AI.
            assert_eq!(turn["owner"], "ai", "{turn}");
            assert_eq!(state["status"], "ai", "{state}");
        }
        assert_eq!(state["owner"], "ai");
        assert!(state["takeover_id"].is_null(), "{state}");
        // The AI may answer now, whichever order it was.
        let (s, _) = app.turn(&session, "ai", "I am back").await;
        assert_eq!(s, StatusCode::CREATED);
    }
}

async fn racing_takeover_requests_open_one_takeover(backend: Backend) {
    let app = spawn_app(backend).await;
    for (session, idempotency) in [("dup-plain", false), ("dup-keyed", true)] {
        let requests = (0..20).map(|_| request(&app, session, idempotency));
        let results = futures_util::future::join_all(requests).await;
        let ids: std::collections::BTreeSet<String> = results
            .iter()
            .map(|(s, b)| {
                assert!(*s == StatusCode::CREATED || *s == StatusCode::OK, "{s} {b}");
                b["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{session}: several takeovers {ids:?}");
        let created = results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "{session}: {created} requests answered 201");
        let (_, state) = app
            .get(&format!("/v1/sessions/{session}"), &app.api_key)
            .await;
        assert_eq!(state["takeover_id"], ids.iter().next().unwrap().as_str());
        assert_eq!(state["status"], "human_requested");
    }
}

async fn request(app: &TestApp, session: &str, idempotency: bool) -> (StatusCode, Value) {
    let body = json!({
        "session_id": session, "channel": "telegram", "reply_webhook": "http://127.0.0.1:9/hook",
        "reason": "user_requested", "assignee": "support", "timeout": "10m",
    });
    let mut req = app
        .client
        .post(app.url("/v1/takeovers"))
        .bearer_auth(&app.api_key)
        .json(&body);
    if idempotency {
        req = req.header("Idempotency-Key", format!("{session}-1"));
    }
    crate::helpers::read(req.send().await.expect("request")).await
}
