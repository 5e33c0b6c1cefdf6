//! Administration through the API (reviewers, teams, API keys; admin reviewers only), the
//! weekly review of handoff reasons, and the inbox's admin and insights pages.

use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    an_admin_manages_reviewers_and_disabling_one_signs_them_out_and_frees_their_conversations,
    teams_are_listed_with_members_and_deleted_only_when_nothing_depends_on_them,
    an_api_key_is_shown_once_and_refused_as_soon_as_it_is_revoked,
    the_review_groups_handoffs_by_reason_with_the_messages_that_triggered_them,
    the_admin_and_insights_pages_act_through_the_api_and_respect_roles,
);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    read(req.send().await.expect("request")).await
}

async fn login_with(app: &TestApp, name: &str, password: &str) -> (StatusCode, Value) {
    app.post(
        "/v1/auth/login",
        "",
        json!({"name": name, "password": password}),
    )
    .await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn an_admin_manages_reviewers_and_disabling_one_signs_them_out_and_frees_their_conversations(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;

    let (s, list) = app.get("/v1/reviewers", &root).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol", "root"]);
    assert_eq!(list[0]["teams"], json!(["support"]));
    assert_eq!(list[0]["display_name"], "Alice");
    assert_eq!(list[3]["admin"], true);
    assert!(
        !list.to_string().contains("argon2"),
        "no password hash: {list}"
    );

    // Only admin reviewers administer: not other reviewers, not API keys.
    let new = json!({"name": "dave", "display_name": "Dave D.", "password": "dave-password-1",
                     "teams": ["support", "billing"]});
    for (token, expected) in [
        (alice.as_str(), StatusCode::FORBIDDEN),
        (app.api_key.as_str(), StatusCode::FORBIDDEN),
        ("", StatusCode::UNAUTHORIZED),
    ] {
        let (s, p) = call(
            &app,
            Method::POST,
            "/v1/reviewers",
            token,
            Some(new.clone()),
        )
        .await;
        assert_eq!(s, expected, "{p}");
    }
    let (s, dave) = app.post("/v1/reviewers", &root, new.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{dave}");
    assert_eq!(
        dave,
        json!({"name": "dave", "display_name": "Dave D.", "teams": ["billing", "support"],
               "admin": false, "disabled": false, "disabled_at": null,
               "created_at": dave["created_at"]})
    );
    let (s, signed_in) = login_with(&app, "dave", "dave-password-1").await;
    assert_eq!(s, StatusCode::OK, "{signed_in}");
    let dave_token = signed_in["token"].as_str().unwrap().to_string();

    // Bad input: every bad field named at once; then unknown teams; then taken names.
    let (s, p) = app
        .post(
            "/v1/reviewers",
            &root,
            json!({"name": "two words", "password": "short", "teams": ["ok", " padded"]}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["name", "password", "teams[1]"]);
    let (s, p) = app
        .post(
            "/v1/reviewers",
            &root,
            json!({"name": "erin", "password": "long enough", "teams": ["support", "nope"]}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["teams[1]"]);
    let (s, p) = app.post("/v1/reviewers", &root, new.clone()).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    let (s, p) = app
        .post(
            "/v1/reviewers",
            &root,
            json!({"name": "support", "password": "long enough"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("team"), "{p}");
    let (s, p) = app
        .post(
            "/v1/reviewers",
            &root,
            json!({"name": "x", "password": "long enough", "colour": "red"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");

    // A new password and teams: the old sign-in ends, the old password stops working.
    let (s, dave) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/dave",
        &root,
        Some(json!({"display_name": "David", "teams": ["billing"], "password": "new-password-2"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{dave}");
    assert_eq!(dave["display_name"], "David");
    assert_eq!(dave["teams"], json!(["billing"]));
    let (s, _) = app.get("/v1/me", &dave_token).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a password reset ends sign-ins"
    );
    let (s, _) = login_with(&app, "dave", "dave-password-1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, signed_in) = login_with(&app, "dave", "new-password-2").await;
    assert_eq!(s, StatusCode::OK);
    let dave_token = signed_in["token"].as_str().unwrap().to_string();
    let (s, p) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/dave",
        &root,
        Some(json!({"password": "short", "teams": ["nope"]})),
    )
    .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["password"]);

    // Dave holds a billing conversation and watches the event stream; then he is disabled.
    let receiver = Receiver::start();
    app.turn("held-by-dave", "user", "I was double charged")
        .await;
    let (s, _) = app
        .takeover(
            "held-by-dave",
            &receiver.url("/reply"),
            json!({"assignee": "billing"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, p) = app
        .post("/v1/sessions/held-by-dave/claim", &dave_token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let mut stream = app.events(&dave_token).await;
    assert_eq!(stream.status(), StatusCode::OK);

    let (s, dave) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/dave",
        &root,
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{dave}");
    assert_eq!(dave["disabled"], true);
    assert!(dave["disabled_at"].is_string());
    let (s, p) = app.get("/v1/me", &dave_token).await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, _) = login_with(&app, "dave", "new-password-2").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a disabled reviewer cannot sign in"
    );
    let (_, session) = app.get("/v1/sessions/held-by-dave", &app.api_key).await;
    assert_eq!(session["status"], "human_requested", "{session}");
    assert_eq!(session["assigned_to"], Value::Null);
    // The open event stream ends (the release is an event it checks the sign-in for).
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the disabled reviewer's event stream ended");
    let (_, teams) = app.get("/v1/teams", &root).await;
    let billing = teams
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "billing")
        .unwrap();
    assert_eq!(
        billing["members"],
        json!(["carol"]),
        "disabled reviewers are not listed as members"
    );
    // Nobody can hand a conversation to a disabled reviewer: it would wait where no one looks.
    app.turn("for-dave", "user", "Dave helped me last time")
        .await;
    let (s, p) = app
        .takeover(
            "for-dave",
            &receiver.url("/reply"),
            json!({"assignee": "dave"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["assignee"]);
    assert!(p.to_string().contains("disabled"), "{p}");
    let (s, p) = app
        .post(
            "/v1/sessions/held-by-dave/transfer",
            &root,
            json!({"to": "dave"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["to"]);

    let (s, dave) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/dave",
        &root,
        Some(json!({"disabled": false})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(dave["disabled"], false);
    assert_eq!(dave["teams"], json!(["billing"]), "teams survive disabling");
    let (s, _) = login_with(&app, "dave", "new-password-2").await;
    assert_eq!(s, StatusCode::OK);

    // Baton never loses its last admin; unknown reviewers are 404.
    for change in [json!({"admin": false}), json!({"disabled": true})] {
        let (s, p) = call(
            &app,
            Method::PATCH,
            "/v1/reviewers/root",
            &root,
            Some(change),
        )
        .await;
        assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    }
    let (s, _) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/dave",
        &root,
        Some(json!({"admin": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/root",
        &root,
        Some(json!({"admin": false})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "another admin exists now: {p}");
    let (s, p) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/nobody",
        &dave_token_of(&app).await,
        Some(json!({})),
    )
    .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");

    let actions: Vec<String> = app
        .audit_actions("reviewer.")
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "reviewer.created",
            "reviewer.updated",
            "reviewer.disabled",
            "reviewer.enabled",
            "reviewer.updated",
            "reviewer.updated"
        ]
    );
    let disabled = &app.audit_actions("reviewer.disabled").await[0];
    assert_eq!(disabled["actor"], "reviewer:root");
    assert_eq!(disabled["detail"]["released"], json!(["held-by-dave"]));
    let updated = &app.audit_actions("reviewer.updated").await[0];
    assert_eq!(updated["detail"]["password_changed"], true);
    assert!(
        !updated.to_string().contains("new-password-2"),
        "no password in the audit trail"
    );
}

async fn dave_token_of(app: &TestApp) -> String {
    let (s, body) = login_with(app, "dave", "new-password-2").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

async fn teams_are_listed_with_members_and_deleted_only_when_nothing_depends_on_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let hook = "http://127.0.0.1:9/hook";

    let (s, team) = call(&app, Method::PUT, "/v1/teams/returns", &root, None).await;
    assert_eq!(s, StatusCode::CREATED, "{team}");
    assert_eq!(team["name"], "returns");
    assert_eq!(team["members"], json!([]));
    let (s, _) = call(
        &app,
        Method::PUT,
        "/v1/teams/returns",
        &root,
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "a second PUT changes nothing");
    let (s, p) = call(&app, Method::PUT, "/v1/teams/alice", &root, None).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    let (s, p) = call(&app, Method::PUT, "/v1/teams/%20padded", &root, None).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, p) = call(
        &app,
        Method::PUT,
        "/v1/teams/returns",
        &root,
        Some(json!({"rename": "x"})),
    )
    .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, _) = call(&app, Method::PUT, "/v1/teams/returns", &app.api_key, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, _) = call(
        &app,
        Method::PATCH,
        "/v1/reviewers/bob",
        &root,
        Some(json!({"teams": ["support", "returns"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, teams) = app.get("/v1/teams", &root).await;
    assert_eq!(s, StatusCode::OK);
    let listed: Vec<(String, Value)> = teams
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["members"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("billing".to_string(), json!(["carol"])),
            ("ops".to_string(), json!(["root"])),
            ("returns".to_string(), json!(["bob"])),
            ("support".to_string(), json!(["alice", "bob"])),
        ]
    );

    // An open takeover depends on it.
    app.turn("ret-1", "user", "I want to send this back").await;
    let (s, _) = app
        .takeover("ret-1", hook, json!({"assignee": "returns"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let bob = app.login("bob").await;
    let (s, _) = app.post("/v1/sessions/ret-1/claim", &bob, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = call(&app, Method::DELETE, "/v1/teams/returns", &root, None).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"].as_str().unwrap().contains("open takeover"),
        "{p}"
    );
    let (s, _) = app
        .post(
            "/v1/sessions/ret-1/handback",
            &bob,
            json!({"summary": "label sent"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // So does an escalation policy that escalates to it.
    let (s, _) = call(
        &app,
        Method::PUT,
        "/v1/escalation-policies/to-returns",
        &root,
        Some(json!({"team": "support", "steps": [{"assignee": "returns", "wait": "5m"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = call(&app, Method::DELETE, "/v1/teams/returns", &root, None).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("to-returns"), "{p}");
    let (s, _) = call(
        &app,
        Method::DELETE,
        "/v1/escalation-policies/to-returns",
        &root,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, _) = call(
        &app,
        Method::DELETE,
        "/v1/teams/returns",
        &app.api_key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = call(&app, Method::DELETE, "/v1/teams/returns", &root, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, p) = call(&app, Method::DELETE, "/v1/teams/returns", &root, None).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");

    // Gone from lists, memberships and assignment; kept in history.
    let (_, teams) = app.get("/v1/teams", &root).await;
    assert!(!teams.to_string().contains("returns"), "{teams}");
    let (_, reviewers) = app.get("/v1/reviewers", &root).await;
    assert_eq!(reviewers[1]["name"], "bob");
    assert_eq!(reviewers[1]["teams"], json!(["support"]));
    let (s, p) = app
        .takeover("ret-2", hook, json!({"assignee": "returns"}))
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (_, stats) = app.get("/v1/stats?group_by=team", &app.api_key).await;
    assert_eq!(stats["groups"][0]["key"], "returns", "{stats}");
    let deleted = &app.audit_actions("team.deleted").await[0];
    assert_eq!(deleted["detail"]["members"], json!(["bob"]));

    // A PUT brings it back, without its old members.
    let (s, team) = call(&app, Method::PUT, "/v1/teams/returns", &root, None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(team["members"], json!([]));
    let created = app.audit_actions("team.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[1]["detail"]["restored"], true);
}

async fn an_api_key_is_shown_once_and_refused_as_soon_as_it_is_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;

    let (s, created) = app
        .post("/v1/api-keys", &root, json!({"name": " n8n staging "}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    let secret = created["signing_secret"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(key.starts_with("bk_") && secret.starts_with("whsec_"));
    assert_eq!(created["name"], "n8n staging");
    assert_eq!(created["revoked_at"], Value::Null);

    // The key works, twice (the second answer comes from the key cache).
    for _ in 0..2 {
        let (s, me) = app.get("/v1/me", &key).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["name"], "n8n staging");
    }
    let (s, sub) = app
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": "http://127.0.0.1:9/sub", "events": ["reply"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");

    let (s, list) = app.get("/v1/api-keys", &root).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["test", "n8n staging"]);
    let text = list.to_string();
    for shown_once in [&key, &secret, &app.api_key, &app.signing_secret] {
        assert!(
            !text.contains(shown_once.as_str()),
            "the list shows a secret"
        );
    }
    assert!(!text.contains("\"key\""), "{text}");

    for (token, expected) in [
        (app.api_key.as_str(), StatusCode::FORBIDDEN),
        (key.as_str(), StatusCode::FORBIDDEN),
        ("", StatusCode::UNAUTHORIZED),
    ] {
        let (s, _) = call(&app, Method::GET, "/v1/api-keys", token, None).await;
        assert_eq!(s, expected);
        let (s, _) = call(
            &app,
            Method::DELETE,
            &format!("/v1/api-keys/{id}"),
            token,
            None,
        )
        .await;
        assert_eq!(s, expected);
    }
    let (s, p) = app.post("/v1/api-keys", &root, json!({"name": "  "})).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(fields(&p), ["name"]);

    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/v1/api-keys/{id}"),
        &root,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = app.get("/v1/me", &key).await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/v1/api-keys/{id}"),
        &root,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "revoking twice is harmless");
    let (s, p) = call(
        &app,
        Method::DELETE,
        &format!("/v1/api-keys/{}", uuid::Uuid::new_v4()),
        &root,
        None,
    )
    .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = call(&app, Method::DELETE, "/v1/api-keys/nope", &root, None).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");

    let (_, list) = app.get("/v1/api-keys", &root).await;
    assert!(list[1]["revoked_at"].is_string(), "{list}");
    assert_eq!(list[0]["revoked_at"], Value::Null);
    let (s, _) = app.get("/v1/me", &app.api_key).await;
    assert_eq!(s, StatusCode::OK, "other keys keep working");
    let revoked = app.audit_actions("api_key.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["detail"]["subscriptions_disabled"], 1);
    assert_eq!(revoked[0]["actor"], "reviewer:root");
    assert_eq!(app.audit_actions("api_key.created").await.len(), 2);
}

/// With PostgreSQL and two replicas, a key revoked through one is refused by the other at once,
/// even though the other had it cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_one_replica_is_refused_by_the_other() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let other = app.spawn_replica();
    let root = app.login("root").await;
    let (s, created) = app
        .post("/v1/api-keys", &root, json!({"name": "shared"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let key = created["key"].as_str().unwrap().to_string();
    let on_other = |token: String| {
        let client = app.client.clone();
        let url = format!("{}/v1/me", other.base);
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(on_other(key.clone()).await, StatusCode::OK);
    // The other replica's LISTEN connection starts in the background: wait until it relays
    // (a live event from here reaches a reviewer there), so the revocation cannot be missed.
    let alice = app.login("alice").await;
    let mut events = app
        .client
        .get(format!("{}/v1/events", other.base))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    app.turn("relay-check", "user", "hello").await;
    app.takeover("relay-check", "http://127.0.0.1:9/h", json!({}))
        .await;
    let relayed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Ok(Some(chunk)) = events.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("relay-check") {
                return;
            }
            app.turn("relay-check", "user", "still there?").await;
        }
    })
    .await;
    assert!(relayed.is_ok(), "the replicas are bridged");
    assert_eq!(on_other(key.clone()).await, StatusCode::OK, "cached there");

    let (s, _) = call(
        &app,
        Method::DELETE,
        &format!("/v1/api-keys/{}", created["id"].as_str().unwrap()),
        &root,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let revoked = Instant::now();
    // The notice crosses replicas in about 100 ms; the cache would otherwise answer for 30 s.
    loop {
        let status = on_other(key.clone()).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(2),
            "the other replica still accepts the revoked key ({status})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("refused by the other replica after {:?}", revoked.elapsed());
}

async fn the_review_groups_handoffs_by_reason_with_the_messages_that_triggered_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hook = "http://127.0.0.1:9/hook";
    // r1 and r2: the same refund wording (case and "!" aside); r3 asks for a person; r4's trigger
    // arrives with the takeover's history, for billing; r5 is an approval, not a handoff.
    app.turn("r1", "user", "I want a refund of 250 EUR").await;
    let (s, _) = app
        .takeover("r1", hook, json!({"reason": "out_of_scope"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.turn("r1", "user", "thanks, waiting").await;
    for (sender, text) in [
        ("user", "hello"),
        ("ai", "Hi! How can I help?"),
        ("user", "i want a refund of 250 eur!"),
    ] {
        app.turn("r2", sender, text).await;
    }
    let (s, _) = app
        .takeover("r2", hook, json!({"reason": "out_of_scope"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.turn("r3", "user", "Can I talk to a human?").await;
    let (s, _) = app
        .takeover("r3", hook, json!({"reason": "user_requested"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .takeover(
            "r4",
            hook,
            json!({"reason": "low_confidence", "assignee": "billing",
                   "history": [{"sender": "user", "content": "Why was I charged twice?"},
                               {"sender": "ai", "content": "Let me check."}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.turn("r5", "user", "Please refund me").await;
    let (s, _) = app
        .takeover(
            "r5",
            hook,
            json!({"mode": "approval", "reason": "out_of_scope", "proposal": {"refund": 5}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, review) = app.get("/v1/stats/review", &app.api_key).await;
    assert_eq!(s, StatusCode::OK, "{review}");
    assert_eq!(review["handoffs"], 4);
    let reasons: Vec<(&str, u64)> = review["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["reason"].as_str().unwrap(),
                g["handoffs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("out_of_scope", 2),
            ("low_confidence", 1),
            ("user_requested", 1)
        ]
    );
    let scope = &review["reasons"][0];
    assert_eq!(scope["share"], 0.5);
    assert_eq!(scope["distinct_messages"], 1);
    assert_eq!(scope["messages"][0]["text"], "i want a refund of 250 eur!");
    assert_eq!(scope["messages"][0]["count"], 2);
    let sessions: Vec<&str> = scope["messages"][0]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(sessions, ["r2", "r1"], "newest first");
    assert_eq!(
        review["reasons"][1]["messages"][0]["text"],
        "Why was I charged twice?"
    );
    assert_eq!(
        review["reasons"][2]["messages"][0]["text"],
        "Can I talk to a human?"
    );
    assert!(!review.to_string().contains("thanks, waiting"));
    assert!(!review.to_string().contains("Please refund me"));

    // Reviewers see their teams' handoffs only; admins see all.
    let carol = app.login("carol").await;
    let (_, mine) = app.get("/v1/stats/review", &carol).await;
    assert_eq!(mine["handoffs"], 1, "{mine}");
    assert_eq!(mine["reasons"][0]["reason"], "low_confidence");
    let alice = app.login("alice").await;
    let (_, mine) = app.get("/v1/stats/review", &alice).await;
    assert_eq!(mine["handoffs"], 3, "{mine}");
    assert!(!mine.to_string().contains("charged twice"));
    let root = app.login("root").await;
    let (_, all) = app.get("/v1/stats/review", &root).await;
    assert_eq!(all["handoffs"], 4);

    // The range.
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let (s, empty) = app
        .get(&format!("/v1/stats/review?to={}", enc(&past)), &app.api_key)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(empty["handoffs"], 0);
    assert_eq!(empty["reasons"], json!([]));
    let future = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (s, p) = app
        .get(
            &format!("/v1/stats/review?from={}", enc(&future)),
            &app.api_key,
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, _) = app.get("/v1/stats/review", "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn page(
    app: &TestApp,
    client: &reqwest::Client,
    cookie: &str,
    path: &str,
) -> (StatusCode, String) {
    let res = client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html.find(marker).expect("a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn the_admin_and_insights_pages_act_through_the_api_and_respect_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = no_redirects();
    let root = app.inbox_cookie(&client, "root").await;
    let alice = app.inbox_cookie(&client, "alice").await;

    // Admins get a nav link and the pages; others neither.
    let (_, queue) = page(&app, &client, &root, "/inbox").await;
    assert!(queue.contains(r#"href="/inbox/admin""#), "{queue}");
    assert!(queue.contains(r#"href="/inbox/insights""#));
    let (_, queue) = page(&app, &client, &alice, "/inbox").await;
    assert!(!queue.contains(r#"href="/inbox/admin""#));
    let res = client
        .get(app.url("/inbox/admin"))
        .header(COOKIE, &root)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/inbox/admin/reviewers");
    for (path, expect) in [
        ("/inbox/admin/reviewers", "Add a reviewer"),
        ("/inbox/admin/teams", "Add team"),
        ("/inbox/admin/api-keys", "Create key"),
        ("/inbox/admin/escalation", "Add a policy"),
    ] {
        let (s, html) = page(&app, &client, &root, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(html.contains(expect), "{path}: {html}");
        assert!(html.len() < 200 * 1024, "{path} is {} bytes", html.len());
        let (s, html) = page(&app, &client, &alice, path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path} for alice");
        assert!(html.contains("Admins only"));
    }
    let (s, _) = page(&app, &client, &root, "/inbox/admin/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = client
        .get(app.url("/inbox/admin/teams"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "anonymous: sign in first"
    );

    // The reviewers page lists everyone, and what its form sends (cookie + CSRF) works.
    let (_, html) = page(&app, &client, &root, "/inbox/admin/reviewers").await;
    for name in ["alice", "bob", "carol", "root"] {
        assert!(html.contains(&format!("({name})")), "{name} listed");
    }
    assert!(html.contains(r#"data-endpoint="/v1/reviewers/alice""#));
    let csrf = csrf_of(&html);
    let body =
        json!({"name": "erin", "password": "erin-password", "teams": ["billing"], "admin": false});
    let res = client
        .post(app.url("/v1/reviewers"))
        .header(COOKIE, &root)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no change"
    );
    let res = client
        .post(app.url("/v1/reviewers"))
        .header(COOKIE, &root)
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, html) = page(&app, &client, &root, "/inbox/admin/reviewers").await;
    assert!(html.contains("(erin)"));

    // The WhatsApp window shows on the queue: open for one customer, closed for another.
    let wrote_long_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    app.post(
        "/v1/sessions/wa-open/messages",
        &app.api_key,
        json!({"sender": "user", "content": "hola", "channel": "whatsapp"}),
    )
    .await;
    app.post(
        "/v1/sessions/wa-late/messages",
        &app.api_key,
        json!({"sender": "user", "content": "hello?", "channel": "whatsapp", "at": wrote_long_ago}),
    )
    .await;
    for s in ["wa-open", "wa-late"] {
        let (status, _) = app
            .takeover(s, "http://127.0.0.1:9/h", json!({"channel": "whatsapp"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, queue) = page(&app, &client, &alice, "/inbox").await;
    assert!(queue.contains("window closes in 23 h"), "{queue}");
    assert!(queue.contains("window closed"), "{queue}");
    let (_, conv) = page(&app, &client, &alice, "/inbox/sessions/wa-late").await;
    assert!(conv.contains("window closed"), "{conv}");

    // Insights: charts and the review, for the reviewer's teams.
    app.turn("ins-1", "user", "My parcel is lost").await;
    app.takeover(
        "ins-1",
        "http://127.0.0.1:9/h",
        json!({"reason": "low_confidence"}),
    )
    .await;
    let (s, html) = page(&app, &client, &alice, "/inbox/insights").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(html.contains(r#"role="img""#));
    assert!(html.contains("Weekly review"));
    assert!(html.contains("My parcel is lost"));
    assert!(html.contains(r#"href="/inbox/sessions/ins-1""#));
    assert!(html.contains("your teams: support"));
    assert!(html.len() < 200 * 1024);
    let (s, html) = page(&app, &client, &alice, "/inbox/insights?days=30").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"<option value="30" selected>"#), "{html}");
    let carol = app.inbox_cookie(&client, "carol").await;
    let (_, html) = page(&app, &client, &carol, "/inbox/insights").await;
    assert!(
        !html.contains("My parcel is lost"),
        "another team's trigger"
    );
    assert!(html.contains("No handoffs in this range."));
}
