//! The takeover contract end to end.

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    the_whole_handoff_round_trip_works,
    a_repeated_takeover_request_returns_the_same_takeover,
    exactly_one_of_twenty_concurrent_claims_wins,
    a_restart_keeps_sessions_history_and_takeovers,
    reviewers_only_see_their_teams_conversations,
    release_and_transfer_put_the_conversation_back_in_a_queue,
);

async fn the_whole_handoff_round_trip_works(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let session = "tg 4242/ä";

    let (status, state) = app.turn(session, "user", "Where is my order?").await;
    assert_eq!(status, StatusCode::CREATED, "{state}");
    assert_eq!(state["owner"], "ai");
    assert_eq!(state["seq"], 1);
    let (status, _) = app.turn(session, "ai", "Let me check that for you.").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .turn(session, "user", "I want to talk to a person")
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, takeover) = app
        .takeover(
            session,
            &receiver.url("/reply"),
            json!({
                "handback_signal": receiver.url("/handback"),
                "summary": "Customer wants a person about order 1234",
                "context": {"tool_calls": [{"name": "order_lookup", "args": {"id": 1234}, "result": "shipped"}], "classifier": {"topic": "shipping", "score": 0.41}},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{takeover}");
    assert_eq!(takeover["status"], "requested");
    assert_eq!(takeover["reason"], "user_requested");
    assert_eq!(takeover["context"]["classifier"]["topic"], "shipping");
    assert!(takeover["inbox_url"]
        .as_str()
        .unwrap()
        .starts_with(&app.base));
    let takeover_id = takeover["id"].as_str().unwrap().to_string();

    let (status, problem) = app.turn(session, "ai", "I can answer that!").await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "ai-turn-refused");

    let (_, state) = app
        .get(&format!("/v1/sessions/{}", enc(session)), &app.api_key)
        .await;
    assert_eq!(state["owner"], "human");
    assert_eq!(state["status"], "human_requested");
    assert_eq!(state["takeover_id"], takeover_id.as_str());

    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let (_, inbox) = app.get("/v1/inbox", &alice).await;
    assert_eq!(inbox["items"][0]["takeover"]["id"], takeover_id.as_str());
    assert_eq!(inbox["counts"]["waiting"], 1);

    let (status, claimed) = app
        .post(
            &format!("/v1/sessions/{}/claim", enc(session)),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["assigned_to"], "alice");
    let (status, problem) = app
        .post(
            &format!("/v1/sessions/{}/claim", enc(session)),
            &bob,
            json!({}),
        )
        .await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "already-claimed");
    assert_eq!(problem["held_by"], "alice");

    let (status, reply) = app
        .post(
            &format!("/v1/sessions/{}/replies", enc(session)),
            &alice,
            json!({"content": "Hi, I'm Alice. Let me look."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let got = receiver
        .wait_for("the reply", |g| !Receiver::of_type(g, "reply").is_empty())
        .await;
    let claimed_cb = &Receiver::of_type(&got, "takeover.claimed")[0];
    assert_eq!(claimed_cb.body["text"], "Alice joined the conversation");
    let r = &Receiver::of_type(&got, "reply")[0];
    assert_eq!(r.path, "/reply");
    assert!(
        verify_signature(&app.signing_secret, r),
        "bad signature on {r:?}"
    );
    assert!(!verify_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        r
    ));
    assert_eq!(r.body["id"], r.webhook_id.as_str());
    assert_eq!(r.body["session_id"], session);
    assert_eq!(r.body["channel"], "telegram");
    assert_eq!(r.body["channel_ref"], session);
    assert_eq!(r.body["takeover_id"], takeover_id.as_str());
    assert_eq!(r.body["reviewer"]["display_name"], "Alice");
    assert_eq!(r.body["message"]["content"], "Hi, I'm Alice. Let me look.");
    assert_eq!(
        r.body["message"]["prefixed_content"],
        "[Alice] Hi, I'm Alice. Let me look."
    );
    let ts: i64 = r.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    // claimed was queued before the reply and arrives before it
    let order: Vec<_> = got
        .iter()
        .map(|g| g.body["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, vec!["takeover.claimed", "reply"]);

    let (status, state) = app.turn(session, "user", "Thanks, it's order 1234").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state["owner"], "human");
    assert_eq!(state["status"], "human_active");

    let (status, problem) = app
        .post(
            &format!("/v1/sessions/{}/handback", enc(session)),
            &alice,
            json!({}),
        )
        .await;
    assert_problem(status, &problem, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(problem["errors"][0]["field"], "summary");
    let (status, state) = app
        .post(
            &format!("/v1/sessions/{}/handback", enc(session)),
            &alice,
            json!({"summary": "Order 1234 was re-shipped; customer is happy."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["owner"], "ai");
    assert_eq!(state["status"], "handed_back");
    let got = receiver
        .wait_for("the handback", |g| {
            !Receiver::of_type(g, "session.handed_back").is_empty()
        })
        .await;
    let h = &Receiver::of_type(&got, "session.handed_back")[0];
    assert_eq!(h.path, "/handback");
    assert!(verify_signature(&app.signing_secret, h));
    assert_eq!(
        h.body["summary"],
        "Order 1234 was re-shipped; customer is happy."
    );
    assert_eq!(h.body["text"], "Alice is handing you back to the assistant");

    let (status, state) = app.turn(session, "user", "One more question").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state["owner"], "ai");
    assert_eq!(state["status"], "ai");
    let (status, _) = app.turn(session, "ai", "Sure, go ahead.").await;
    assert_eq!(status, StatusCode::CREATED);

    let history = app.history(session).await;
    let seqs: Vec<i64> = history.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=history.len() as i64).collect::<Vec<_>>());
    let senders: Vec<&str> = history
        .iter()
        .map(|m| m["sender"].as_str().unwrap())
        .collect();
    assert_eq!(
        senders,
        vec![
            "user",
            "ai",
            "user",
            "human:alice",
            "user",
            "system",
            "user",
            "ai"
        ]
    );
    assert!(history[5]["content"]
        .as_str()
        .unwrap()
        .contains("Order 1234 was re-shipped"));
    assert_eq!(history[5]["meta"]["kind"], "handback_summary");

    let (_, t) = app
        .get(&format!("/v1/takeovers/{takeover_id}"), &app.api_key)
        .await;
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["outcome"], "handed_back");
    assert_eq!(t["claimed_by"], "alice");
}

async fn a_repeated_takeover_request_returns_the_same_takeover(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "session_id": "s-1",
        "reply_webhook": "http://127.0.0.1:9/hook",
        "history": [
            {"sender": "user", "content": "hi", "id": "m1"},
            {"sender": "ai", "content": "hello", "id": "m2"},
            {"sender": "user", "content": "human please"}
        ],
    });
    let send = |key: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/v1/takeovers"))
                .bearer_auth(&app.api_key)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            read(r).await
        }
    };
    let (s1, first) = send("k-1", body.clone()).await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let (s2, second) = send("k-1", body.clone()).await;
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(first["id"], second["id"]);

    let mut changed = body.clone();
    changed["summary"] = json!("different");
    let (s3, problem) = send("k-1", changed.clone()).await;
    assert_problem(
        s3,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
    );

    // a new key while the takeover is open returns the open one, and imports nothing twice
    let mut more = body.clone();
    more["history"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sender": "user", "content": "anyone?"}));
    let (s4, open) = send("k-2", more).await;
    assert_eq!(s4, StatusCode::OK);
    assert_eq!(open["id"], first["id"]);
    let history = app.history("s-1").await;
    let contents: Vec<&str> = history
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, vec!["hi", "hello", "human please", "anyone?"]);
}

async fn exactly_one_of_twenty_concurrent_claims_wins(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = app
        .takeover("race", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    let tokens = [alice, bob, root];
    let claims = (0..20).map(|i| {
        let token = tokens[i % 3].clone();
        let app = &app;
        async move { app.post("/v1/sessions/race/claim", &token, json!({})).await }
    });
    let results = futures_util::future::join_all(claims).await;
    let winners: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    let losers: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .collect();
    // the winner's own repeated claims also answer 200 (idempotent), so count distinct holders
    let holder = winners[0].1["assigned_to"].as_str().unwrap().to_string();
    assert!(
        winners
            .iter()
            .all(|(_, b)| b["assigned_to"] == holder.as_str()),
        "two different winners: {winners:?}"
    );
    assert_eq!(winners.len() + losers.len(), 20, "{results:?}");
    assert!(losers.iter().all(|(_, b)| b["held_by"] == holder.as_str()));
    assert!(!losers.is_empty());
}

async fn a_restart_keeps_sessions_history_and_takeovers(backend: Backend) {
    let mut app = spawn_app(backend).await;
    app.turn("persist", "user", "hello").await;
    let (_, t) = app
        .takeover("persist", "http://127.0.0.1:9/hook", json!({}))
        .await;
    let alice = app.login("alice").await;
    let (status, _) = app
        .post("/v1/sessions/persist/claim", &alice, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.restart();
    let (status, state) = app.get("/v1/sessions/persist", &app.api_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["status"], "human_active");
    assert_eq!(state["assigned_to"], "alice");
    assert_eq!(state["takeover_id"], t["id"]);
    // the token survives too
    let (status, _) = app
        .post(
            "/v1/sessions/persist/replies",
            &alice,
            json!({"content": "still here"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let history = app.history("persist").await;
    assert_eq!(history.len(), 2);
    let (status, state) = app.turn("persist", "user", "after restart").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(state["seq"], 3);
}

async fn reviewers_only_see_their_teams_conversations(backend: Backend) {
    let app = spawn_app(backend).await;
    app.takeover(
        "support-1",
        "http://127.0.0.1:9/hook",
        json!({"assignee": "support"}),
    )
    .await;
    app.takeover(
        "billing-1",
        "http://127.0.0.1:9/hook",
        json!({"assignee": "billing"}),
    )
    .await;
    app.takeover(
        "for-carol",
        "http://127.0.0.1:9/hook",
        json!({"assignee": "carol"}),
    )
    .await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let root = app.login("root").await;
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["session"]["session_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&app.get("/v1/inbox", &alice).await.1),
        vec!["support-1"]
    );
    assert_eq!(
        ids(&app.get("/v1/inbox", &carol).await.1),
        vec!["billing-1", "for-carol"]
    );
    assert_eq!(ids(&app.get("/v1/inbox", &root).await.1).len(), 3);
    let (status, problem) = app
        .post("/v1/sessions/billing-1/claim", &alice, json!({}))
        .await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (status, _) = app.get("/v1/sessions/billing-1/messages", &alice).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post("/v1/sessions/billing-1/claim", &root, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn release_and_transfer_put_the_conversation_back_in_a_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    app.takeover("moving", "http://127.0.0.1:9/hook", json!({}))
        .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    app.post("/v1/sessions/moving/claim", &alice, json!({}))
        .await;
    let (status, problem) = app
        .post("/v1/sessions/moving/release", &bob, json!({}))
        .await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "already-claimed");
    let (status, state) = app
        .post("/v1/sessions/moving/release", &alice, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["status"], "human_requested");
    assert_eq!(state["assigned_to"], serde_json::Value::Null);
    let (status, _) = app.post("/v1/sessions/moving/claim", &bob, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            "/v1/sessions/moving/notes",
            &bob,
            json!({"content": "VIP customer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, state) = app
        .post(
            "/v1/sessions/moving/transfer",
            &bob,
            json!({"to": "billing", "note": "refund question"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["status"], "human_requested");
    let (_, inbox) = app.get("/v1/inbox", &carol).await;
    assert_eq!(inbox["items"][0]["session"]["session_id"], "moving");
    let (status, notes) = app.get("/v1/sessions/moving/notes", &carol).await;
    assert_eq!(status, StatusCode::OK);
    let texts: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["VIP customer", "refund question"]);
    // notes never enter the history the AI sees
    assert!(app.history("moving").await.is_empty());
}
