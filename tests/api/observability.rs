//! Logs and metrics an operator can use: JSON log lines that carry each request's id (the one
//! sent back in `X-Request-Id`), callback log lines that name the delivery, and `/metrics`
//! counters that move after the action each one counts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{exec_sql, spawn_app_with, Backend, Options, Receiver, TestApp};

backend_tests!(
    json_logs_carry_the_request_id_sent_back_in_the_header,
    metrics_move_after_claims_callbacks_refusals_and_escalations,
    a_request_that_fails_on_the_database_is_counted,
);

/// The samples of `/metrics`, by name with labels.
async fn metrics(app: &TestApp) -> HashMap<String, f64> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (name, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("not a sample: {line}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line}"));
            (name.to_string(), value)
        })
        .collect()
}

fn sample(m: &HashMap<String, f64>, name: &str) -> f64 {
    *m.get(name)
        .unwrap_or_else(|| panic!("no {name} in /metrics: {m:?}"))
}

/// Polls `/metrics` until `done` holds (callbacks and timers finish after the request).
async fn metrics_until(
    app: &TestApp,
    what: &str,
    done: impl Fn(&HashMap<String, f64>) -> bool,
) -> HashMap<String, f64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = metrics(app).await;
        if done(&m) {
            return m;
        }
        assert!(Instant::now() < deadline, "{what}: {m:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The request id of a response, checked to be one Baton would keep.
fn request_id(r: &reqwest::Response) -> String {
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {} {}", r.status(), r.url()))
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        (1..=64).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c)),
        "{id:?}"
    );
    id
}

async fn json_logs_carry_the_request_id_sent_back_in_the_header(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[
            ("BATON_LOG_FORMAT", "json"),
            ("BATON_LOG", "info,baton=debug"),
        ]),
    )
    .await;
    let hook = Receiver::start();
    let get = |id: Option<&str>| {
        let mut r = app.client.get(app.url("/v1/me")).bearer_auth(&app.api_key);
        if let Some(id) = id {
            r = r.header("X-Request-Id", id);
        }
        r.send()
    };
    // Without one, Baton makes one; a plain one is echoed; a bad one is replaced.
    let made = request_id(&get(None).await.unwrap());
    let again = request_id(&get(None).await.unwrap());
    assert_ne!(made, again, "each request gets its own id");
    let echoed = get(Some("n8n-exec:42.7_a")).await.unwrap();
    assert_eq!(echoed.status(), StatusCode::OK);
    assert_eq!(request_id(&echoed), "n8n-exec:42.7_a");
    for bad in ["has space", "quote\"d", &"x".repeat(65), "<b>"] {
        let replaced = request_id(&get(Some(bad)).await.unwrap());
        assert_ne!(replaced, bad);
    }
    // Problems carry it too: an unknown endpoint, a missing credential, a bad body.
    let missing = app.client.get(app.url("/v1/nowhere")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing_id = request_id(&missing);
    let anonymous = app.client.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    request_id(&anonymous);
    let bad_body = app
        .client
        .post(app.url("/v1/sessions/logs/messages"))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .header("X-Request-Id", "bad-body-1")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_body.status(), StatusCode::BAD_REQUEST);
    assert_eq!(request_id(&bad_body), "bad-body-1");

    // A callback: its log line names the delivery (the webhook-id the receiver saw) and the
    // session.
    let (s, _) = app.turn("logs", "user", "a person please").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.takeover("logs", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let (s, _) = app.post("/v1/sessions/logs/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let got = hook
        .wait_for("the claim", |g| {
            !Receiver::of_type(g, "takeover.claimed").is_empty()
        })
        .await;
    let webhook_id = Receiver::of_type(&got, "takeover.claimed")[0]
        .webhook_id
        .clone();

    let deadline = Instant::now() + Duration::from_secs(10);
    let lines = loop {
        let lines: Vec<Value> = app
            .log()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        let delivered = lines.iter().any(|l| {
            l["fields"]["message"] == "callback delivered" && l["fields"]["delivery"] == *webhook_id
        });
        if delivered || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for l in &lines {
        assert!(
            l["timestamp"].is_string() && l["level"].is_string() && l["fields"].is_object(),
            "{l}"
        );
    }
    let of = |id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"] == id)
            .collect()
    };
    for (id, status) in [
        (made.as_str(), 200),
        ("n8n-exec:42.7_a", 200),
        (missing_id.as_str(), 404),
        ("bad-body-1", 400),
    ] {
        let mine = of(id);
        assert!(
            mine.iter()
                .any(|l| l["fields"]["message"] == "request answered"
                    && l["fields"]["status"] == status),
            "no log line of request {id}: {lines:#?}"
        );
    }
    let callback = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "callback delivered" && l["fields"]["delivery"] == *webhook_id
        })
        .unwrap_or_else(|| panic!("no log line names delivery {webhook_id}: {lines:#?}"));
    assert_eq!(callback["fields"]["session"], "logs", "{callback}");
    assert_eq!(
        callback["fields"]["event"], "takeover.claimed",
        "{callback}"
    );
}

async fn metrics_move_after_claims_callbacks_refusals_and_escalations(backend: Backend) {
    // One retry: a callback that fails twice is parked.
    let app = spawn_app_with(backend, Options::with(&[("BATON_RETRY_SCHEDULE", "200ms")])).await;
    let ok = Receiver::start();
    let failing = Receiver::start();
    failing.answer_next(vec![500, 500]);
    let alice = app.login("alice").await;
    let before = metrics(&app).await;
    for name in [
        "baton_time_to_claim_seconds_count",
        "baton_callback_delivery_seconds_count",
        "baton_callback_attempts_total{outcome=\"delivered\"}",
        "baton_callback_attempts_total{outcome=\"failed\"}",
        "baton_callback_attempts_total{outcome=\"parked\"}",
        "baton_escalations_total",
        "baton_fallbacks_total",
        "baton_turn_gate_refusals_total",
        "baton_db_errors_total",
    ] {
        assert_eq!(sample(&before, name), 0.0, "{name}");
    }
    // Every request so far took a pooled connection.
    assert!(sample(&before, "baton_db_pool_wait_seconds_count") >= 1.0);

    // A claim: the time from the takeover request; claiming again is no new claim.
    app.turn("quick", "user", "hello").await;
    let (s, _) = app.takeover("quick", &ok.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..2 {
        let (s, p) = app
            .post("/v1/sessions/quick/claim", &alice, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
    }
    let m = metrics(&app).await;
    assert_eq!(sample(&m, "baton_time_to_claim_seconds_count"), 1.0);
    let waited = sample(&m, "baton_time_to_claim_seconds_sum");
    assert!((0.3..30.0).contains(&waited), "{waited}");
    assert_eq!(
        sample(&m, "baton_time_to_claim_seconds_bucket{le=\"1\"}"),
        1.0
    );

    // An AI turn while Alice holds the conversation is refused, and counted.
    let (s, p) = app.turn("quick", "ai", "I can help").await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "/problems/ai-turn-refused");
    let (s, _) = app.turn("quick", "user", "still there?").await;
    assert_eq!(s, StatusCode::CREATED);
    let m = metrics(&app).await;
    assert_eq!(sample(&m, "baton_turn_gate_refusals_total"), 1.0);

    // The claim's callback reached the receiver: one attempt delivered, its latency observed.
    ok.wait_for("the claim", |g| {
        !Receiver::of_type(g, "takeover.claimed").is_empty()
    })
    .await;
    let m = metrics_until(&app, "a delivered attempt", |m| {
        m["baton_callback_attempts_total{outcome=\"delivered\"}"] >= 1.0
    })
    .await;
    assert!(sample(&m, "baton_callback_delivery_seconds_count") >= 1.0);
    assert_eq!(
        sample(&m, "baton_callback_attempts_total{outcome=\"failed\"}"),
        0.0
    );

    // A receiver that fails twice: one failed attempt, then parked.
    app.turn("failing", "user", "hello").await;
    let (s, _) = app
        .takeover("failing", &failing.url("/hook"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post("/v1/sessions/failing/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let m = metrics_until(&app, "a parked attempt", |m| {
        m["baton_callback_attempts_total{outcome=\"parked\"}"] >= 1.0
    })
    .await;
    assert_eq!(
        sample(&m, "baton_callback_attempts_total{outcome=\"failed\"}"),
        1.0
    );
    assert_eq!(
        sample(&m, "baton_callback_attempts_total{outcome=\"parked\"}"),
        1.0
    );
    assert_eq!(failing.received().len(), 2);

    // Nobody claims: one escalation step after 1 s, then the fallback after 1 s more.
    let (s, p) = app
        .put(
            "/v1/escalation-policies/observed",
            &app.api_key,
            json!({
                "team": "support",
                "steps": [{"assignee": "billing", "wait": "1s"}],
                "fallback_message": "Nobody is free.",
                "fallback_action": "handback"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    app.turn("unanswered", "user", "hello").await;
    let (s, p) = app
        .takeover(
            "unanswered",
            &ok.url("/late"),
            json!({"timeout": "1s", "escalation_policy": "observed"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    ok.wait_for("the fallback", |g| {
        !Receiver::of_type(g, "takeover.timed_out").is_empty()
    })
    .await;
    let m = metrics_until(&app, "the escalation and the fallback", |m| {
        m["baton_fallbacks_total"] >= 1.0
    })
    .await;
    assert_eq!(sample(&m, "baton_escalations_total"), 1.0);
    assert_eq!(sample(&m, "baton_fallbacks_total"), 1.0);
    assert!(
        sample(&m, "baton_db_pool_wait_seconds_count")
            > sample(&before, "baton_db_pool_wait_seconds_count")
    );
    assert_eq!(sample(&m, "baton_db_errors_total"), 0.0);
}

async fn a_request_that_fails_on_the_database_is_counted(backend: Backend) {
    let app = spawn_app_with(backend, Options::default()).await;
    let alice = app.login("alice").await;
    let (s, _) = app.get("/v1/canned-responses", &alice).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sample(&metrics(&app).await, "baton_db_errors_total"), 0.0);
    // The table the request reads is gone for a moment, as a broken database would have it.
    exec_sql(
        &app.db,
        "ALTER TABLE canned_responses RENAME TO canned_away",
    );
    let failed = app
        .client
        .get(app.url("/v1/canned-responses"))
        .bearer_auth(&alice)
        .header("X-Request-Id", "db-broke-1")
        .send()
        .await
        .unwrap();
    assert!(failed.status().is_server_error(), "{}", failed.status());
    assert_eq!(request_id(&failed), "db-broke-1");
    exec_sql(
        &app.db,
        "ALTER TABLE canned_away RENAME TO canned_responses",
    );
    let m = metrics(&app).await;
    assert!(sample(&m, "baton_db_errors_total") >= 1.0, "{m:?}");
    assert_eq!(sample(&m, "baton_http_responses_total{class=\"5xx\"}"), 1.0);
    let (s, _) = app.get("/v1/canned-responses", &alice).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "Baton answers again once the database does"
    );
    // The error's log line carries the request id (text format: in the span).
    let log = app.log();
    assert!(
        log.lines()
            .any(|l| l.contains("db-broke-1") && l.contains("request failed")),
        "{log}"
    );
}

#[test]
fn a_bad_log_format_stops_start_up() {
    let dir = std::env::temp_dir().join(format!("baton-logfmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(crate::helpers::baton_bin())
        .arg("serve")
        .env("DATABASE_URL", dir.join("never.db"))
        .env("BATON_BIND", "127.0.0.1:0")
        .env("BATON_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("BATON_LOG_FORMAT: \"yaml\" must be text or json"),
        "{stderr}"
    );
    assert!(!dir.join("never.db").exists(), "nothing started");
    let _ = std::fs::remove_dir_all(&dir);
}
