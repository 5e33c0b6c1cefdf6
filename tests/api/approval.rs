//! Approval mode: pause, decide, resume — with a real receiver standing in for n8n's Wait-node
//! resume URL.

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    an_approval_is_decided_in_the_inbox_and_resumes_the_workflow,
    an_undecided_approval_gets_its_default_decision
);

async fn an_approval_is_decided_in_the_inbox_and_resumes_the_workflow(backend: Backend) {
    let app = spawn_app(backend).await;
    let resume = Receiver::start();
    app.turn("appr", "user", "Please refund my order").await;
    let (s, t) = app
        .takeover(
            "appr",
            &resume.url("/webhook-waiting/42"),
            json!({"mode": "approval", "reason": "out_of_scope", "proposal": {"refund": {"order": 1234, "amount": 250}}, "decisions": ["approve", "reject", "edit"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["mode"], "approval");
    // nobody waits in real time: the AI keeps the conversation
    let (s, state) = app
        .turn("appr", "ai", "A colleague is checking your refund.")
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(state["owner"], "ai");

    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let (_, inbox) = app.get("/v1/inbox", &alice).await;
    assert_eq!(
        inbox["items"][0]["takeover"]["proposal"]["refund"]["amount"],
        250
    );
    let id = t["id"].as_str().unwrap();
    let path = format!("/v1/takeovers/{id}/decision");
    let (s, p) = app
        .post(&path, &carol, json!({"decision": "approve"}))
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = app.post(&path, &alice, json!({"decision": "maybe"})).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, p) = app.post(&path, &alice, json!({"decision": "edit"})).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "edited");
    let (s, decided) = app
        .post(&path, &alice, json!({"decision": "edit", "edited": {"refund": {"order": 1234, "amount": 200}}, "comment": "Shipping is not refunded"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{decided}");
    assert_eq!(decided["outcome"], "edited");
    let got = resume.wait_for("the decision", |g| !g.is_empty()).await;
    let d = &got[0];
    assert_eq!(d.path, "/webhook-waiting/42");
    assert!(verify_signature(&app.signing_secret, d));
    assert_eq!(d.body["type"], "approval.decided");
    assert_eq!(d.body["decision"], "edit");
    assert_eq!(d.body["edited"]["refund"]["amount"], 200);
    assert_eq!(d.body["comment"], "Shipping is not refunded");
    assert_eq!(d.body["reviewer"]["name"], "alice");
    let (s, p) = app
        .post(&path, &alice, json!({"decision": "approve"}))
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
}

async fn an_undecided_approval_gets_its_default_decision(backend: Backend) {
    let app = spawn_app(backend).await;
    let resume = Receiver::start();
    let (s, t) = app
        .takeover(
            "appr-timeout",
            &resume.url("/resume"),
            json!({"mode": "approval", "proposal": "Send the apology email?", "timeout": "1s", "default_decision": "reject"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let got = resume
        .wait_for("the default decision", |g| !g.is_empty())
        .await;
    assert_eq!(got[0].body["type"], "approval.decided");
    assert_eq!(got[0].body["decision"], "reject");
    assert!(got[0].body["comment"].as_str().unwrap().contains("timeout"));
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", t["id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    assert_eq!(t["outcome"], "rejected");
    let (s, p) = app
        .takeover(
            "x",
            "http://127.0.0.1:9/h",
            json!({"default_decision": "approve"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
}
