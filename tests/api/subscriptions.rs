//! Who hears what: subscription scopes and channels, one delivery per event per workflow URL,
//! and the signature test the n8n credential test uses.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    two_scoped_subscriptions_on_one_key_each_get_their_own_takeovers_once,
    a_takeover_replying_to_a_subscription_url_is_delivered_there_once,
    subscriptions_made_without_scope_keep_hearing_every_session,
    scopes_and_channels_are_validated_and_listed,
    a_signature_test_verifies_with_the_keys_signing_secret_only,
);

const EVENTS: [&str; 3] = ["takeover.claimed", "reply", "session.handed_back"];

async fn subscribe(app: &TestApp, body: Value) -> Value {
    let (s, created) = app.post("/v1/webhooks", &app.api_key, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created
}

/// A takeover on `session` replying to `hook`, claimed by alice, one reply, handed back.
async fn a_whole_handoff(app: &TestApp, alice: &str, session: &str, hook: &str) {
    let (s, t) = app.takeover(session, hook, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, b) = app
        .post(&format!("/v1/sessions/{session}/claim"), alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            &format!("/v1/sessions/{session}/replies"),
            alice,
            json!({"content": format!("hello {session}")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(
            &format!("/v1/sessions/{session}/handback"),
            alice,
            json!({"summary": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// Every delivery queued for `session`, as `(url, event type)` (queued in the transaction of
/// the change that caused it, so complete once the request that made it has answered).
async fn queued(app: &TestApp, session: &str) -> Vec<(String, String)> {
    let (s, page) = app
        .get(
            &format!("/v1/deliveries?session_id={}&limit=200", enc(session)),
            &app.api_key,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut rows: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["url"].as_str().unwrap().to_string(),
                d["event_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn types(got: &[Received]) -> Vec<String> {
    let mut t: Vec<String> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Two n8n workflows on one API key, each with a Baton Trigger (a scoped subscription) and
/// takeovers replying to it: each workflow gets the events of its own takeovers, each once,
/// verifiable with its subscription's secret (and the key's).
async fn two_scoped_subscriptions_on_one_key_each_get_their_own_takeovers_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (wf_a, wf_b) = (Receiver::start(), Receiver::start());
    let (url_a, url_b) = (wf_a.url("/webhook/a"), wf_b.url("/webhook/b"));
    let sub_a = subscribe(
        &app,
        json!({"url": url_a, "events": EVENTS, "scope": "own_takeovers"}),
    )
    .await;
    let sub_b = subscribe(
        &app,
        json!({"url": url_b, "events": EVENTS, "scope": "own_takeovers"}),
    )
    .await;
    assert_eq!(sub_a["scope"], "own_takeovers");
    let alice = app.login("alice").await;
    a_whole_handoff(&app, &alice, "conv-a", &url_a).await;
    a_whole_handoff(&app, &alice, "conv-b", &url_b).await;

    // What Baton queued is exactly one delivery per event, to the workflow that asked.
    let expected = |url: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = EVENTS
            .iter()
            .map(|e| (url.to_string(), e.to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(queued(&app, "conv-a").await, expected(&url_a));
    assert_eq!(queued(&app, "conv-b").await, expected(&url_b));

    for (wf, session, sub, other) in [
        (&wf_a, "conv-a", &sub_a, &sub_b),
        (&wf_b, "conv-b", &sub_b, &sub_a),
    ] {
        wf.wait_for("the three events of its takeover", |g| g.len() >= 3)
            .await;
        // Nothing else is on its way: a late copy would show here.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let got = wf.received();
        assert_eq!(types(&got), sorted(&EVENTS), "{session}");
        assert!(got.iter().all(|r| r.body["session_id"] == session));
        let secret = sub["secret"].as_str().unwrap();
        assert!(got.iter().all(|r| verify_signature(secret, r)));
        assert!(got.iter().all(|r| verify_signature(&app.signing_secret, r)));
        assert!(!got
            .iter()
            .any(|r| verify_signature(other["secret"].as_str().unwrap(), r)));
    }
}

/// A subscription without a scope (every session) at the URL a takeover replies to: the
/// takeover's own callback is the one delivery of each event, and the subscription's secret
/// verifies it (a Baton Trigger whose credential lacks the key's secret still accepts it).
async fn a_takeover_replying_to_a_subscription_url_is_delivered_there_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let wf = Receiver::start();
    let url = wf.url("/webhook/baton");
    let sub = subscribe(&app, json!({"url": url, "events": ["*"]})).await;
    let elsewhere = Receiver::start();
    let alice = app.login("alice").await;
    // A handback signal elsewhere (another workflow's URL): the handback goes there, and this
    // workflow hears it through its subscription, once.
    let (s, t) = app
        .takeover(
            "same-url",
            &url,
            json!({"handback_signal": elsewhere.url("/handback")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    app.post("/v1/sessions/same-url/claim", &alice, json!({}))
        .await;
    for text in ["one", "two"] {
        let (s, _) = app
            .post(
                "/v1/sessions/same-url/replies",
                &alice,
                json!({"content": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, _) = app
        .post(
            "/v1/sessions/same-url/handback",
            &alice,
            json!({"summary": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let got = wf
        .wait_for("claimed, two replies, handed back", |g| g.len() >= 4)
        .await;
    elsewhere
        .wait_for("the handback signal", |g| !g.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got_now = wf.received();
    assert_eq!(got_now.len(), got.len(), "a late second copy arrived");
    assert_eq!(
        types(&got_now),
        sorted(&["takeover.claimed", "reply", "reply", "session.handed_back"])
    );
    let mut ids: Vec<&str> = got_now
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    let secret = sub["secret"].as_str().unwrap();
    assert!(got_now.iter().all(|r| verify_signature(secret, r)));
    // The replies are the takeover's own callbacks (signed with the key's secret as well).
    assert!(got_now
        .iter()
        .filter(|r| r.body["type"] == "reply")
        .all(|r| verify_signature(&app.signing_secret, r)));
    let handback = elsewhere.received();
    assert_eq!(types(&handback), sorted(&["session.handed_back"]));
    assert!(verify_signature(&app.signing_secret, &handback[0]));
    assert!(!verify_signature(secret, &handback[0]));
}

/// Subscriptions made without `scope` (outside n8n, or before scopes existed) hear every
/// session, whoever made its takeover; `channels` narrows them to some channels.
async fn subscriptions_made_without_scope_keep_hearing_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let watcher = Receiver::start();
    let watch_url = watcher.url("/all");
    subscribe(&app, json!({"url": watch_url, "events": ["reply"]})).await;
    let web_only = watcher.url("/web-only");
    subscribe(
        &app,
        json!({"url": web_only, "events": ["reply"], "channels": ["web"]}),
    )
    .await;
    let telegram_only = watcher.url("/telegram-only");
    subscribe(
        &app,
        json!({"url": telegram_only, "events": ["reply"], "channels": ["telegram"]}),
    )
    .await;
    // A scoped subscription whose URL no takeover uses hears none of them.
    let scoped = watcher.url("/scoped");
    subscribe(
        &app,
        json!({"url": scoped, "events": ["reply"], "scope": "own_takeovers"}),
    )
    .await;
    let (h1, h2) = (Receiver::start(), Receiver::start());
    let alice = app.login("alice").await;
    a_whole_handoff(&app, &alice, "any-1", &h1.url("/one")).await;
    a_whole_handoff(&app, &alice, "any-2", &h2.url("/two")).await;
    for (session, own) in [("any-1", h1.url("/one")), ("any-2", h2.url("/two"))] {
        let mut expected = vec![
            (own.clone(), "reply".to_string()),
            (own.clone(), "session.handed_back".to_string()),
            (own, "takeover.claimed".to_string()),
            (watch_url.clone(), "reply".to_string()),
            (telegram_only.clone(), "reply".to_string()),
        ];
        expected.sort();
        assert_eq!(queued(&app, session).await, expected, "{session}");
    }
    let got = watcher
        .wait_for("both replies, twice", |g| g.len() >= 4)
        .await;
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.body["session_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("/all".to_string(), "any-1".to_string()),
            ("/all".to_string(), "any-2".to_string()),
            ("/telegram-only".to_string(), "any-1".to_string()),
            ("/telegram-only".to_string(), "any-2".to_string()),
        ]
    );
}

async fn scopes_and_channels_are_validated_and_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/a", "events": ["reply"], "scope": "mine"}),
            None,
        ),
        (
            json!({"url": "http://127.0.0.1:9/a", "events": ["reply"], "channels": []}),
            Some("channels"),
        ),
        (
            json!({"url": "http://127.0.0.1:9/a", "events": ["reply"], "channels": [" "]}),
            Some("channels[0]"),
        ),
    ] {
        let (s, p) = app.post("/v1/webhooks", &app.api_key, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {p}");
        if let Some(field) = field {
            assert_eq!(p["errors"][0]["field"], field, "{p}");
        }
    }
    subscribe(
        &app,
        json!({"url": "http://127.0.0.1:9/plain", "events": ["reply"]}),
    )
    .await;
    subscribe(
        &app,
        json!({"url": "http://127.0.0.1:9/scoped", "events": ["*"], "scope": "own_takeovers",
               "channels": ["telegram", "web"]}),
    )
    .await;
    let (s, list) = app.get("/v1/webhooks", &app.api_key).await;
    assert_eq!(s, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["scope"], "all");
    assert_eq!(items[0]["channels"], Value::Null);
    assert_eq!(items[1]["scope"], "own_takeovers");
    assert_eq!(items[1]["channels"], json!(["telegram", "web"]));
}

/// The n8n credential test: Baton signs a sample event with the key's signing secret; the
/// right secret verifies it, another does not, and the secret itself is not in the answer.
async fn a_signature_test_verifies_with_the_keys_signing_secret_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, test) = app
        .post("/v1/signature-tests", &app.api_key, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{test}");
    let raw = test["body"].as_str().unwrap().to_string();
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["type"], "signature.test");
    assert_eq!(body["id"], test["webhook_id"]);
    let timestamp: i64 = test["webhook_timestamp"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    let signed = Received {
        path: String::new(),
        webhook_id: test["webhook_id"].as_str().unwrap().to_string(),
        timestamp: timestamp.to_string(),
        signature: test["webhook_signature"].as_str().unwrap().to_string(),
        raw,
        body,
        at: Instant::now(),
    };
    assert!(verify_signature(&app.signing_secret, &signed));
    let other = subscribe(
        &app,
        json!({"url": "http://127.0.0.1:9/x", "events": ["reply"]}),
    )
    .await;
    assert!(!verify_signature(
        other["secret"].as_str().unwrap(),
        &signed
    ));
    assert!(!test.to_string().contains(&app.signing_secret));
    // Reviewers have no signing secret to test.
    let alice = app.login("alice").await;
    let (s, p) = app.post("/v1/signature-tests", &alice, json!({})).await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
}
