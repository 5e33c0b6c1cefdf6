//! Audit trail, analytics and metrics against a hand-built scenario.

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(analytics_audit_and_metrics_report_a_known_scenario);

async fn analytics_audit_and_metrics_report_a_known_scenario(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.login("alice").await;
    let hook = "http://127.0.0.1:9/h";
    for s in ["s1", "s2", "s3"] {
        app.turn(s, "user", "hello").await;
    }
    app.takeover("s1", hook, json!({"reason": "user_requested"}))
        .await;
    app.post("/v1/sessions/s1/claim", &alice, json!({})).await;
    app.post(
        "/v1/sessions/s1/handback",
        &alice,
        json!({"summary": "sorted"}),
    )
    .await;
    app.takeover("s2", hook, json!({"reason": "out_of_scope"}))
        .await;
    app.post("/v1/sessions/s2/close", &app.api_key, json!({}))
        .await;
    app.turn("s1", "user", "me again").await;
    app.takeover("s1", hook, json!({"reason": "low_confidence"}))
        .await;

    let (s, stats) = app.get("/v1/stats?group_by=reason", &app.api_key).await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["sessions_active"], 3);
    assert_eq!(stats["sessions_with_handoff"], 2);
    assert!((stats["handoff_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(stats["handoffs"], 3);
    assert_eq!(stats["rehandoffs_within_24h"], 1);
    assert_eq!(
        stats["outcomes"],
        json!({"handed_back": 1, "closed": 1, "open": 1})
    );
    assert_eq!(stats["time_to_claim"]["count"], 1);
    let keys: Vec<&str> = stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec!["low_confidence", "out_of_scope", "user_requested"]
    );
    let (s, p) = app.get("/v1/stats?group_by=colour", &app.api_key).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, _) = app.get("/v1/stats", &alice).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, audit) = app.get("/v1/audit?session_id=s1", &app.api_key).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "takeover.requested",
            "takeover.claimed",
            "session.handed_back",
            "session.reopened",
            "takeover.requested"
        ]
    );
    assert_eq!(audit[1]["actor"], "reviewer:alice");
    assert_eq!(audit[1]["from_status"], "human_requested");
    assert_eq!(audit[1]["to_status"], "human_active");
    let csv = app
        .text("/v1/audit?session_id=s1&format=csv", &app.api_key)
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,actor,action,session_id,takeover_id,from_status,to_status,detail"
    );
    assert_eq!(lines.len(), 6);
    assert!(lines[1].contains(",takeover.requested,s1,"));
    let jsonl = app
        .text("/v1/audit?session_id=s1&format=jsonl", &app.api_key)
        .await;
    let parsed: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, *audit.as_array().unwrap());

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut samples = std::collections::HashMap::new();
    for line in metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(name.chars().next().unwrap().is_ascii_alphabetic(), "{line}");
        samples.insert(name.to_string(), value);
    }
    assert_eq!(samples["baton_turn_gate_seconds_count"], 4.0);
    assert_eq!(samples["baton_turn_gate_seconds_bucket{le=\"+Inf\"}"], 4.0);
    assert_eq!(samples["baton_open_takeovers{status=\"requested\"}"], 1.0);
    assert!(samples["baton_http_responses_total{class=\"2xx\"}"] >= 10.0);
    assert!(metrics.contains("# TYPE baton_turn_gate_seconds histogram"));
}
