//! The handoff decision over HTTP, and versioned rules.

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(signals_follow_the_rule_order_and_rules_are_versioned);

async fn signals_follow_the_rule_order_and_rules_are_versioned(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.api_key.clone();
    let eval = |body: serde_json::Value| {
        let app = &app;
        let key = key.clone();
        async move { app.post("/v1/signals/evaluate", &key, body).await }
    };
    let (s, e) = eval(json!({"text": "I want a refund of 500 EUR, let me talk to a human"})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["handoff"], true);
    assert_eq!(e["reason"], "out_of_scope");
    assert_eq!(e["rules_version"], 0);
    let (_, e) = eval(json!({"text": "Kann ich bitte mit einem Mitarbeiter sprechen?"})).await;
    assert_eq!(e["reason"], "user_requested");
    let (_, e) = eval(json!({"text": "Where is my parcel?", "confidence": 0.2})).await;
    assert_eq!(e["reason"], "low_confidence");
    let (_, e) =
        eval(json!({"text": "Where is my parcel?", "confidence": 0.9, "retrieved_chunks": 3}))
            .await;
    assert_eq!(e["handoff"], false);
    let (s, p) = eval(json!({"text": "x", "confidence": 7})).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "confidence");

    let (s, current) = app.get("/v1/signal-rules", &key).await;
    assert_eq!(s, StatusCode::OK);
    let mut rules = current["rules"].clone();
    rules["human_request"]["extra_phrases"] = json!(["beam me up"]);
    let (s, stored) = put_rules(&app, &key, &rules).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    assert_eq!(stored["version"], 1);
    let (_, e) = eval(json!({"text": "beam me up please"})).await;
    assert_eq!(e["reason"], "user_requested");
    assert_eq!(e["rules_version"], 1);

    // The statistical second opinion is on by default, says it decided, and can be turned off.
    assert_eq!(current["rules"]["human_request"]["model"], true);
    let wording = json!({"text": "un vrai conseiller doit voir ça"});
    let (_, e) = eval(wording.clone()).await;
    assert_eq!(e["reason"], "user_requested", "{e}");
    assert_eq!(e["rule"], "human_request:fr");
    let matched = e["matched"].as_str().unwrap_or_default();
    assert!(matched.contains("(model score 0."), "{e}");
    let score = e["request_score"]
        .as_f64()
        .expect("the second opinion's score");
    assert!(
        score >= 0.8 && matched.ends_with(&format!("{score:.2})")),
        "{e}"
    );
    // Close below the threshold: no handoff, but the score for the flow to ask.
    let (_, e) = eval(json!({"text": "a real employee needs to see this"})).await;
    assert_eq!(e["handoff"], false, "{e}");
    let near = e["request_score"].as_f64().expect("judged");
    assert!((0.5..0.8).contains(&near), "{e}");
    rules["human_request"]["model"] = json!(false);
    let (s, stored) = put_rules(&app, &key, &rules).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    assert_eq!(stored["rules"]["human_request"]["model"], false);
    let (_, e) = eval(wording).await;
    assert_eq!(e["handoff"], false, "{e}");
    assert_eq!(e["request_score"], serde_json::Value::Null, "{e}");
    assert_eq!(e["rules_version"], 2);

    let mut bad = rules.clone();
    bad["scope"][0]["regexes"] = json!(["(unclosed"]);
    let (s, p) = put_rules(&app, &key, &bad).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "scope[0].regexes[0]");
    let (_, after) = app.get("/v1/signal-rules", &key).await;
    assert_eq!(after["version"], 2);
}

/// `PUT /v1/signal-rules` with `rules`: the status and the body.
async fn put_rules(
    app: &TestApp,
    key: &str,
    rules: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let r = app
        .client
        .put(app.url("/v1/signal-rules"))
        .bearer_auth(key)
        .json(rules)
        .send()
        .await
        .unwrap();
    read(r).await
}
