//! Timers: escalation, fallback, silent reviewers, idle close, the WhatsApp window; and the
//! outbox API (parked, redeliver, 410, rotation) and several replicas on one database.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    escalation_walks_its_steps_and_ends_in_the_fallback_message,
    a_timeout_fires_after_a_restart,
    a_silent_reviewer_is_released_to_the_queue,
    an_idle_session_is_closed_and_reopens_as_ai,
    whatsapp_refuses_a_free_text_reply_after_the_window,
    a_parked_delivery_is_listed_and_redelivered,
    gone_disables_a_subscription_and_rotation_signs_with_both_secrets,
    callback_targets_follow_the_allow_list,
);

async fn escalation_walks_its_steps_and_ends_in_the_fallback_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let pager = Receiver::start();
    let (s, policy) = app
        .client
        .put(app.url("/v1/escalation-policies/support-default"))
        .bearer_auth(&app.api_key)
        .json(&json!({
            "team": "support",
            "steps": [{"assignee": "billing", "wait": "1s"}, {"assignee": "carol", "wait": 1}],
            "fallback_message": "Sorry, nobody is free. We will email you.",
            "fallback_action": "close"
        }))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{:?}", policy.text().await);
    let (s, channel) = app
        .post(
            "/v1/teams/billing/channels",
            &app.api_key,
            json!({"kind": "webhook", "url": pager.url("/page")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{channel}");

    let (s, t) = app
        .takeover("escalating", &hook.url("/hook"), json!({"timeout": "1s"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let got = hook
        .wait_for("the timeout", |g| {
            !Receiver::of_type(g, "takeover.timed_out").is_empty()
        })
        .await;
    let types: Vec<_> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        vec![
            "takeover.escalated",
            "takeover.escalated",
            "takeover.timed_out"
        ]
    );
    assert_eq!(got[0].body["assignee"], "billing");
    assert_eq!(got[1].body["assignee"], "carol");
    assert_eq!(
        got[2].body["text"],
        "Sorry, nobody is free. We will email you."
    );
    assert!(got.iter().all(|r| verify_signature(&app.signing_secret, r)));

    let (_, state) = app.get("/v1/sessions/escalating", &app.api_key).await;
    assert_eq!(state["status"], "closed");
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", t["id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    assert_eq!(t["outcome"], "unanswered");
    assert_eq!(t["escalation_step"], 2);
    let history = app.history("escalating").await;
    assert_eq!(
        history.last().unwrap()["meta"]["kind"],
        "takeover_timed_out"
    );
    // the billing team's pager heard about the escalation, signed with its own secret
    let pages = pager.wait_for("the page", |g| !g.is_empty()).await;
    assert_eq!(pages[0].body["type"], "notification.takeover_escalated");
    // Like every callback, the notice names itself with the id it is signed under.
    assert_eq!(
        pages[0].body["id"],
        pages[0].webhook_id.as_str(),
        "{}",
        pages[0].raw
    );
    assert!(verify_signature(
        channel["secret"].as_str().unwrap(),
        &pages[0]
    ));
}

async fn a_timeout_fires_after_a_restart(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app
        .takeover("late", &hook.url("/hook"), json!({"timeout": "1s"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(hook.received().is_empty());
    app.restart();
    let got = hook
        .wait_for("the timeout after restart", |g| !g.is_empty())
        .await;
    assert_eq!(got[0].body["type"], "takeover.timed_out");
    assert!(got[0].body["text"]
        .as_str()
        .unwrap()
        .contains("isn't available"));
    let (_, state) = app.get("/v1/sessions/late", &app.api_key).await;
    assert_eq!(state["status"], "handed_back");
    assert_eq!(state["owner"], "ai");
}

async fn a_silent_reviewer_is_released_to_the_queue(backend: Backend) {
    // Long enough for alice to claim both and answer one on a loaded machine: "answered" must
    // get its reply before it has been silent this long.
    let app = spawn_app_with(backend, Options::with(&[("BATON_REVIEWER_SILENCE", "3s")])).await;
    let sub = Receiver::start();
    app.post(
        "/v1/webhooks",
        &app.api_key,
        json!({"url": sub.url("/s"), "events": ["takeover.released"]}),
    )
    .await;
    // a reviewer who answers keeps the conversation
    app.takeover("answered", "http://127.0.0.1:9/h", json!({}))
        .await;
    app.takeover("ignored", "http://127.0.0.1:9/h", json!({}))
        .await;
    let alice = app.login("alice").await;
    app.post("/v1/sessions/answered/claim", &alice, json!({}))
        .await;
    app.post("/v1/sessions/ignored/claim", &alice, json!({}))
        .await;
    app.post(
        "/v1/sessions/answered/replies",
        &alice,
        json!({"content": "on it"}),
    )
    .await;
    let got = sub.wait_for("the release", |g| !g.is_empty()).await;
    assert_eq!(got[0].body["session_id"], "ignored");
    let (_, ignored) = app.get("/v1/sessions/ignored", &app.api_key).await;
    assert_eq!(ignored["status"], "human_requested");
    assert_eq!(ignored["assigned_to"], serde_json::Value::Null);
    let (_, answered) = app.get("/v1/sessions/answered", &app.api_key).await;
    assert_eq!(answered["status"], "human_active");
}

async fn an_idle_session_is_closed_and_reopens_as_ai(backend: Backend) {
    let app = spawn_app_with(backend, Options::with(&[("BATON_IDLE_CLOSE", "1s")])).await;
    app.turn("quiet", "user", "hello").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, s) = app.get("/v1/sessions/quiet", &app.api_key).await;
        if s["status"] == "closed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never closed: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, s) = app.turn("quiet", "user", "back again").await;
    assert_eq!(s["status"], "ai");
}

async fn whatsapp_refuses_a_free_text_reply_after_the_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrote = chrono::Utc::now() - chrono::Duration::hours(25);
    let (s, state) = app
        .post(
            "/v1/sessions/wa-1/messages",
            &app.api_key,
            json!({"sender": "user", "content": "hello?", "channel": "whatsapp", "at": wrote}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(state["reply_window_closes_at"].is_string());
    app.takeover(
        "wa-1",
        "http://127.0.0.1:9/h",
        json!({"channel": "whatsapp"}),
    )
    .await;
    let alice = app.login("alice").await;
    app.post("/v1/sessions/wa-1/claim", &alice, json!({})).await;
    let (s, p) = app
        .post(
            "/v1/sessions/wa-1/replies",
            &alice,
            json!({"content": "hi"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "reply-window-closed");
    // the customer writes again: the window opens
    app.turn("wa-1", "user", "still there?").await;
    let (s, _) = app
        .post(
            "/v1/sessions/wa-1/replies",
            &alice,
            json!({"content": "yes!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // other channels have no window
    let (_, tg) = app.turn("tg-1", "user", "hi").await;
    assert_eq!(tg["reply_window_closes_at"], serde_json::Value::Null);
}

async fn a_parked_delivery_is_listed_and_redelivered(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[("BATON_RETRY_SCHEDULE", "100ms,100ms")]),
    )
    .await;
    let hook = Receiver::start();
    hook.answer_next(vec![500, 500, 500]);
    app.takeover("parked", &hook.url("/hook"), json!({})).await;
    let alice = app.login("alice").await;
    app.post("/v1/sessions/parked/claim", &alice, json!({}))
        .await;
    hook.wait_for("three failures", |g| g.len() >= 3).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let parked = loop {
        let (_, page) = app.get("/v1/deliveries?status=parked", &app.api_key).await;
        if let Some(d) = page["items"].as_array().unwrap().first() {
            break d.clone();
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(parked["event_type"], "takeover.claimed");
    assert_eq!(parked["attempts"], 3);
    let id = parked["id"].as_str().unwrap();
    let (_, one) = app.get(&format!("/v1/deliveries/{id}"), &app.api_key).await;
    let codes: Vec<_> = one["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(500), json!(500)]);
    // a reviewer who is not an admin cannot read the outbox
    let (s, _) = app.get("/v1/deliveries", &alice).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, again) = app
        .post(
            &format!("/v1/deliveries/{id}/redeliver"),
            &app.api_key,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    let got = hook.wait_for("the redelivery", |g| g.len() >= 4).await;
    assert_eq!(got[3].webhook_id, id);
    // The receiver has answered; Baton records the attempt right after (not before the
    // receiver's answer reaches it), so the status is read until it says so.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, one) = app.get(&format!("/v1/deliveries/{id}"), &app.api_key).await;
        if one["status"] == "delivered" {
            assert_eq!(one["attempts"], 1, "a fresh schedule: {one}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{one}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn gone_disables_a_subscription_and_rotation_signs_with_both_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let gone = Receiver::start();
    gone.answer_next(vec![410]);
    let rotating = Receiver::start();
    let (_, g) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": gone.url("/g"), "events": ["*"]}),
        )
        .await;
    let (_, r) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": rotating.url("/r"), "events": ["takeover.claimed", "reply"]}),
        )
        .await;
    let old_secret = r["secret"].as_str().unwrap().to_string();
    let (s, rotated) = app
        .post(
            &format!("/v1/webhooks/{}/rotate", r["id"].as_str().unwrap()),
            &app.api_key,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old_secret, new_secret);

    let alice = {
        app.takeover("subs", "http://127.0.0.1:9/h", json!({}))
            .await;
        let alice = app.login("alice").await;
        app.post("/v1/sessions/subs/claim", &alice, json!({})).await;
        alice
    };
    app.post(
        "/v1/sessions/subs/replies",
        &alice,
        json!({"content": "one"}),
    )
    .await;
    let got = rotating.wait_for("two events", |g| g.len() >= 2).await;
    assert!(got
        .iter()
        .all(|e| verify_signature(&new_secret, e) && verify_signature(&old_secret, e)));
    // the 410 receiver got exactly one request, and the subscription is now disabled
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(gone.received().len(), 1);
    let (_, list) = app.get("/v1/webhooks", &app.api_key).await;
    let gone_sub = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == g["id"])
        .unwrap()
        .clone();
    assert!(gone_sub["disabled_at"].is_string(), "{gone_sub}");
}

async fn callback_targets_follow_the_allow_list(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[
            ("BATON_WEBHOOK_ALLOW", "127.0.0.0/8,localhost"),
            ("BATON_WEBHOOK_DENY", "127.0.0.9"),
        ]),
    )
    .await;
    let (s, _) = app.takeover("ok", "http://127.0.0.1:9/h", json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    // (a host name is checked again when it is resolved at send time)
    for bad in ["http://10.1.2.3/h", "http://127.0.0.9/h", "http://[::2]/h"] {
        let (s, p) = app.takeover("refused", bad, json!({})).await;
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(p["errors"][0]["field"], "reply_webhook", "{bad}: {p}");
    }
}

/// Two processes on one PostgreSQL database deliver each callback once and fire each timer once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_deliver_each_callback_and_fire_each_timer_once() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let replica = app.spawn_replica();
    let hook = Receiver::start();
    let alice = app.login("alice").await;
    for i in 0..6 {
        let session = format!("multi-{i}");
        app.takeover(&session, &hook.url("/hook"), json!({})).await;
        app.post(&format!("/v1/sessions/{session}/claim"), &alice, json!({}))
            .await;
        for n in 0..3 {
            // write through both replicas
            let base = if n % 2 == 0 {
                app.base.clone()
            } else {
                replica.base.clone()
            };
            let r = app
                .client
                .post(format!("{base}/v1/sessions/{session}/replies"))
                .bearer_auth(&alice)
                .json(&json!({"content": format!("reply {n}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }
    for i in 0..4 {
        app.takeover(
            &format!("timer-{i}"),
            &hook.url("/hook"),
            json!({"timeout": "1s"}),
        )
        .await;
    }
    let got = hook
        .wait_for("all callbacks", |g| {
            Receiver::of_type(g, "reply").len() >= 18
                && Receiver::of_type(g, "takeover.timed_out").len() >= 4
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = hook.received().len().max(got.len());
    let all = hook.received();
    assert_eq!(all.len(), got);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &all {
        *seen.entry(r.webhook_id.clone()).or_default() += 1;
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "a callback was delivered twice: {seen:?}"
    );
    assert_eq!(Receiver::of_type(&all, "takeover.timed_out").len(), 4);
    assert_eq!(Receiver::of_type(&all, "takeover.claimed").len(), 6);
    // per session, replies arrive in the order they were written
    for i in 0..6 {
        let texts: Vec<_> = Receiver::of_type(&all, "reply")
            .iter()
            .filter(|r| r.body["session_id"] == format!("multi-{i}"))
            .map(|r| r.body["message"]["content"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(texts, vec!["reply 0", "reply 1", "reply 2"]);
    }
}
