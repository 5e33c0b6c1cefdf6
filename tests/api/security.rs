//! Who may call what: every endpoint of the spec against every kind of caller, team isolation,
//! body size and JSON depth limits, and no secret in the log of a full run at debug level.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{read, spawn_app, spawn_app_with, Backend, Options, Receiver, TestApp};

backend_tests!(
    every_endpoint_admits_exactly_the_intended_callers,
    oversized_and_deeply_nested_bodies_are_refused_without_harm,
    a_full_run_at_debug_level_logs_no_secret,
    keys_tokens_and_passwords_are_stored_only_as_hashes,
    sign_in_tokens_and_inbox_cookies_expire,
    signing_out_ends_an_open_event_stream_at_its_next_event,
    sign_in_is_rate_limited_per_name,
    an_unknown_name_costs_as_much_as_a_wrong_password,
    callback_targets_are_checked_again_when_resolved,
    a_failed_sign_in_cannot_forge_a_log_line,
    the_api_browser_cannot_be_framed_by_another_site,
    a_new_sqlite_database_is_readable_by_its_owner_only,
    reviewers_see_where_callbacks_go_but_not_their_credentials,
    the_inbox_sign_in_refuses_other_sites_and_marks_its_cookie_secure_behind_https,
);

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    /// No `Authorization` header.
    Nobody,
    /// A bearer value that is no key and no token.
    WrongKey,
    /// The integration's API key.
    ApiKey,
    /// alice, a reviewer of the team the takeover is assigned to (support).
    Team,
    /// carol, a reviewer of another team (billing).
    OtherTeam,
    /// root, an admin of no relevant team.
    Admin,
}

const EVERYONE: [Who; 6] = [
    Who::Nobody,
    Who::WrongKey,
    Who::ApiKey,
    Who::Team,
    Who::OtherTeam,
    Who::Admin,
];

/// One endpoint, how to call it, and who gets past authentication and authorisation.
struct Case {
    method: Method,
    /// The spec's path template, e.g. `/v1/sessions/{session_id}/claim`.
    template: &'static str,
    body: Option<Value>,
    allowed: &'static [Who],
}

const PUBLIC: &[Who] = &EVERYONE;
const KEY: &[Who] = &[Who::ApiKey];
const KEY_TEAM_ADMIN: &[Who] = &[Who::ApiKey, Who::Team, Who::Admin];
const TEAM_ADMIN: &[Who] = &[Who::Team, Who::Admin];
const ANY_REVIEWER: &[Who] = &[Who::Team, Who::OtherTeam, Who::Admin];
const ANY_CREDENTIAL: &[Who] = &[Who::ApiKey, Who::Team, Who::OtherTeam, Who::Admin];
const KEY_ADMIN: &[Who] = &[Who::ApiKey, Who::Admin];
const ADMIN: &[Who] = &[Who::Admin];

fn cases() -> Vec<Case> {
    use Method as M;
    let case = |method: M, template, body: Option<Value>, allowed| Case {
        method,
        template,
        body,
        allowed,
    };
    vec![
        case(M::GET, "/healthz", None, PUBLIC),
        case(M::GET, "/readyz", None, PUBLIC),
        case(M::GET, "/problems/{slug}", None, PUBLIC),
        case(M::GET, "/v1/me", None, ANY_CREDENTIAL),
        case(M::DELETE, "/v1/auth/login", None, ANY_REVIEWER),
        case(
            M::POST,
            "/v1/sessions/{session_id}/messages",
            Some(json!({"sender": "user", "content": "hello"})),
            KEY,
        ),
        case(M::GET, "/v1/sessions/{session_id}", None, KEY_TEAM_ADMIN),
        case(
            M::GET,
            "/v1/sessions/{session_id}/messages",
            None,
            KEY_TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/handback",
            Some(json!({"summary": "done"})),
            KEY_TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/close",
            Some(json!({})),
            KEY_TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/takeovers",
            Some(
                json!({"session_id": "new-one", "reply_webhook": "http://127.0.0.1:9/h",
                        "assignee": "support"}),
            ),
            KEY,
        ),
        case(M::GET, "/v1/takeovers/{id}", None, KEY_TEAM_ADMIN),
        case(
            M::POST,
            "/v1/sessions/{session_id}/claim",
            Some(json!({})),
            TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/replies",
            Some(json!({"content": "hi"})),
            TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/replies/{message_id}/retry",
            None,
            TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/typing",
            None,
            TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/notes",
            Some(json!({"content": "internal"})),
            TEAM_ADMIN,
        ),
        case(M::GET, "/v1/sessions/{session_id}/notes", None, TEAM_ADMIN),
        case(
            M::POST,
            "/v1/sessions/{session_id}/transfer",
            Some(json!({"to": "billing"})),
            TEAM_ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/release",
            Some(json!({})),
            TEAM_ADMIN,
        ),
        case(M::GET, "/v1/inbox", None, ANY_REVIEWER),
        case(M::GET, "/v1/inbox/unread", None, ANY_REVIEWER),
        case(
            M::PUT,
            "/v1/sessions/{session_id}/read",
            Some(json!({"seq": 1})),
            TEAM_ADMIN,
        ),
        // Everyone with credentials may search; what a reviewer finds is tested in search.rs.
        case(M::GET, "/v1/search", None, ANY_CREDENTIAL),
        case(
            M::POST,
            "/v1/webhooks",
            Some(json!({"url": "http://127.0.0.1:9/sub", "events": ["reply"]})),
            KEY,
        ),
        case(M::GET, "/v1/webhooks", None, KEY),
        case(M::DELETE, "/v1/webhooks/{id}", None, KEY),
        case(M::POST, "/v1/webhooks/{id}/rotate", None, KEY),
        // Signs a sample event with the caller's key's signing secret: keys only.
        case(M::POST, "/v1/signature-tests", Some(json!({})), KEY),
        case(
            M::POST,
            "/v1/takeovers/{id}/decision",
            Some(json!({"decision": "approve"})),
            TEAM_ADMIN,
        ),
        case(M::GET, "/v1/deliveries", None, KEY_ADMIN),
        case(M::GET, "/v1/deliveries/{id}", None, KEY_ADMIN),
        case(M::POST, "/v1/deliveries/{id}/redeliver", None, KEY_ADMIN),
        case(
            M::PUT,
            "/v1/escalation-policies/{name}",
            Some(json!({"steps": [{"assignee": "billing", "wait": "5m"}]})),
            KEY_ADMIN,
        ),
        case(M::GET, "/v1/escalation-policies", None, KEY_ADMIN),
        case(M::DELETE, "/v1/escalation-policies/{name}", None, KEY_ADMIN),
        case(
            M::POST,
            "/v1/teams/{team}/channels",
            Some(json!({"kind": "webhook", "url": "http://127.0.0.1:9/page"})),
            KEY_ADMIN,
        ),
        case(M::GET, "/v1/teams/{team}/channels", None, KEY_ADMIN),
        case(
            M::POST,
            "/v1/signals/evaluate",
            Some(json!({"text": "can I talk to a human?"})),
            ANY_CREDENTIAL,
        ),
        case(M::GET, "/v1/signal-rules", None, ANY_CREDENTIAL),
        case(
            M::PUT,
            "/v1/signal-rules",
            Some(
                json!({"scope": [], "human_request": {"extra_phrases": [], "enabled": true},
                        "confidence": {"min_confidence": 0.5, "min_grounding": 0.3, "require_retrieved_chunks": false}}),
            ),
            KEY_ADMIN,
        ),
        case(M::GET, "/v1/teams/{team}/routing", None, KEY_TEAM_ADMIN),
        case(
            M::PUT,
            "/v1/teams/{team}/routing",
            Some(json!({"policy": "manual"})),
            KEY_ADMIN,
        ),
        case(M::GET, "/v1/me/availability", None, ANY_REVIEWER),
        case(
            M::PUT,
            "/v1/me/availability",
            Some(json!({"availability": "away"})),
            ANY_REVIEWER,
        ),
        case(
            M::PUT,
            "/v1/reviewers/{reviewer}/routing",
            Some(json!({"capacity": 5})),
            KEY_ADMIN,
        ),
        case(M::GET, "/v1/me/alerts", None, ANY_REVIEWER),
        case(
            M::PUT,
            "/v1/me/alerts",
            Some(json!({"enabled": false})),
            ANY_REVIEWER,
        ),
        case(M::GET, "/v1/reviewers/{reviewer}/alerts", None, ADMIN),
        case(
            M::PUT,
            "/v1/reviewers/{reviewer}/alerts",
            Some(json!({"enabled": false})),
            ADMIN,
        ),
        case(M::GET, "/v1/audit", None, KEY_ADMIN),
        case(M::GET, "/v1/stats", None, KEY_ADMIN),
        case(M::GET, "/v1/stats/review", None, ANY_CREDENTIAL),
        // Administration is for admin reviewers only: not even API keys.
        case(M::GET, "/v1/reviewers", None, ADMIN),
        case(
            M::POST,
            "/v1/reviewers",
            Some(json!({"name": "newcomer", "password": "long enough", "teams": ["support"]})),
            ADMIN,
        ),
        case(
            M::PATCH,
            "/v1/reviewers/{reviewer}",
            Some(json!({"display_name": "Bob B."})),
            ADMIN,
        ),
        case(M::GET, "/v1/teams", None, ADMIN),
        case(M::PUT, "/v1/teams/{team}", Some(json!({})), ADMIN),
        case(M::DELETE, "/v1/teams/{team}", None, ADMIN),
        case(M::GET, "/v1/api-keys", None, ADMIN),
        case(
            M::POST,
            "/v1/api-keys",
            Some(json!({"name": "spare"})),
            ADMIN,
        ),
        case(M::DELETE, "/v1/api-keys/{id}", None, ADMIN),
        case(
            M::POST,
            "/v1/erasures",
            Some(json!({"session_id": "nobody-here"})),
            ADMIN,
        ),
        case(M::GET, "/v1/customer-texts", None, ADMIN),
        case(
            M::PUT,
            "/v1/customer-texts/{key}",
            Some(json!({"template": "{reviewer} is here"})),
            ADMIN,
        ),
        case(M::DELETE, "/v1/customer-texts/{key}", None, ADMIN),
        case(
            M::POST,
            "/v1/widgets",
            Some(json!({"name": "Shop", "allowed_origins": ["https://shop.test"]})),
            ADMIN,
        ),
        case(M::GET, "/v1/widgets", None, ADMIN),
        case(M::DELETE, "/v1/widgets/{widget_id}", None, ADMIN),
        case(M::GET, "/v1/canned-responses", None, ANY_REVIEWER),
        case(
            M::POST,
            "/v1/canned-responses",
            Some(json!({"shortcut": "hello", "title": "Hello", "content": "Hello!"})),
            ANY_REVIEWER,
        ),
        // On alice's personal one: carol (another team) does not see it (404), nor would bob.
        case(
            M::PATCH,
            "/v1/canned-responses/{canned_id}",
            Some(json!({"title": "Hi"})),
            TEAM_ADMIN,
        ),
        case(
            M::DELETE,
            "/v1/canned-responses/{canned_id}",
            None,
            TEAM_ADMIN,
        ),
        // WhatsApp templates: admins write; a team's reviewers read their team's (carol, of
        // billing, gets 404 for support's) and send them in a conversation they may act on.
        case(M::GET, "/v1/whatsapp-templates", None, ANY_REVIEWER),
        case(
            M::POST,
            "/v1/whatsapp-templates",
            Some(
                json!({"team": "support", "name": "security_new", "language": "en",
                        "category": "UTILITY", "body": "Hello {{1}}"}),
            ),
            ADMIN,
        ),
        case(
            M::GET,
            "/v1/whatsapp-templates/{template_id}",
            None,
            TEAM_ADMIN,
        ),
        case(
            M::PUT,
            "/v1/whatsapp-templates/{template_id}",
            Some(
                json!({"team": "support", "name": "security_put", "language": "en",
                        "category": "UTILITY", "body": "Hi {{1}}"}),
            ),
            ADMIN,
        ),
        case(
            M::DELETE,
            "/v1/whatsapp-templates/{template_id}",
            None,
            ADMIN,
        ),
        case(
            M::POST,
            "/v1/sessions/{session_id}/template-replies",
            Some(json!({"name": "security_new", "language": "en", "parameters": ["Ana"]})),
            TEAM_ADMIN,
        ),
        case(M::GET, "/metrics", None, PUBLIC),
        case(M::GET, "/v1/events", None, ANY_REVIEWER),
        // `POST /v1/auth/login` takes no credentials by design; its checks (wrong password,
        // throttling, timing) are below and in errors.rs. What `GET /v1/events` carries to
        // whom is tested in inbox.rs (carol never hears of support's conversations).
    ]
}

/// Paths of the spec that are not API calls with credentials: the sign-in, and the web chat's
/// visitor calls, which take a visitor token (or, to start, nothing) and no key or reviewer
/// token; widget.rs checks who gets in there.
const NOT_IN_MATRIX: [&str; 6] = [
    "/v1/auth/login POST",
    "/widget/v1/widgets/{public_key} GET",
    "/widget/v1/conversations POST",
    "/widget/v1/conversation GET",
    "/widget/v1/messages POST",
    "/widget/v1/stream GET",
];

async fn every_endpoint_admits_exactly_the_intended_callers(backend: Backend) {
    let app = spawn_app_with(backend, Options::default()).await;
    let cases = cases();
    let mut tokens = std::collections::HashMap::new();
    for who in EVERYONE {
        tokens.insert(who, credential(&app, who).await);
    }

    // Every operation of the committed spec is in the matrix.
    let spec: Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("spec");
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            let name = format!("{path} {}", method.to_uppercase());
            let covered = NOT_IN_MATRIX.contains(&name.as_str())
                || cases
                    .iter()
                    .any(|c| c.template == path && c.method.as_str() == method.to_uppercase());
            assert!(
                covered,
                "{name} is in openapi.json but not in the security matrix (tests/api/security.rs)"
            );
        }
    }

    for (n, case) in cases.iter().enumerate() {
        for who in EVERYONE {
            // A fresh conversation per call, so one caller's success cannot change another's
            // answer.
            let session = format!("sec-{n}-{who:?}");
            let (s, takeover) = app
                .takeover(&session, "http://127.0.0.1:9/hook", json!({}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{takeover}");
            let (s, hook) = app
                .post(
                    "/v1/webhooks",
                    &app.api_key,
                    json!({"url": "http://127.0.0.1:9/sub", "events": ["reply"]}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{hook}");
            // A delivery to name: the outbox always holds some once the claim cases have run.
            let delivery = if case.template.starts_with("/v1/deliveries/") {
                let (_, page) = app.get("/v1/deliveries?limit=1", &app.api_key).await;
                page["items"][0]["id"]
                    .as_str()
                    .expect("a delivery")
                    .to_string()
            } else {
                String::new()
            };
            // Deleting takes something of its own to delete: a spare team, a spare key.
            let (team, spare_key) = if case.method == Method::DELETE {
                spare_team_and_key(&app, &tokens[&Who::Admin], &format!("spare-{n}-{who:?}")).await
            } else {
                ("support".to_string(), String::new())
            };
            let id = if case.template.starts_with("/v1/webhooks") {
                hook["id"].as_str().unwrap()
            } else if case.template.starts_with("/v1/deliveries") {
                delivery.as_str()
            } else if case.template.starts_with("/v1/api-keys") {
                spare_key.as_str()
            } else {
                takeover["id"].as_str().unwrap()
            };
            // A template and a widget of its own for the customer-text and widget cases.
            if case.template == "/v1/customer-texts/{key}" && case.method == Method::DELETE {
                let admin = tokens[&Who::Admin].clone().expect("the admin's token");
                let (s, body) = app
                    .put(
                        "/v1/customer-texts/joined",
                        &admin,
                        json!({"template": "{reviewer} is here"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{body}");
            }
            let widget = if case.template.contains("{widget_id}") {
                let admin = tokens[&Who::Admin].clone().expect("the admin's token");
                let (s, w) = app
                    .post(
                        "/v1/widgets",
                        &admin,
                        json!({"name": "Shop", "allowed_origins": ["https://shop.test"]}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{w}");
                w["id"].as_str().unwrap().to_string()
            } else {
                String::new()
            };
            // A personal canned response of alice's for the canned-response cases.
            let canned = if case.template.contains("{canned_id}") {
                let alice = tokens[&Who::Team].clone().expect("alice's token");
                let (s, c) = app
                    .post(
                        "/v1/canned-responses",
                        &alice,
                        json!({"shortcut": format!("c-{n}-{who:?}").to_lowercase(),
                               "title": "Mine", "content": "Hello from {reviewer}"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{c}");
                c["id"].as_str().unwrap().to_string()
            } else {
                String::new()
            };
            // A support template of its own for the template cases.
            let template = if case.template.contains("{template_id}") {
                let admin = tokens[&Who::Admin].clone().expect("the admin's token");
                let (s, t) = app
                    .post(
                        "/v1/whatsapp-templates",
                        &admin,
                        json!({"team": "support", "name": format!("t_{n}_{who:?}").to_lowercase(),
                               "language": "en", "category": "UTILITY", "body": "Hi {{1}}"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{t}");
                t["id"].as_str().unwrap().to_string()
            } else {
                String::new()
            };
            // A reply to retry: alice claims the conversation and answers.
            let message = if case.template.contains("{message_id}") {
                let alice = tokens[&Who::Team].clone().expect("alice's token");
                let (s, _) = app
                    .post(&format!("/v1/sessions/{session}/claim"), &alice, json!({}))
                    .await;
                assert_eq!(s, StatusCode::OK);
                let (s, r) = app
                    .post(
                        &format!("/v1/sessions/{session}/replies"),
                        &alice,
                        json!({"content": "hi"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{r}");
                r["message"]["id"].as_str().unwrap().to_string()
            } else {
                String::new()
            };
            let path = case
                .template
                .replace("{message_id}", &message)
                .replace("{widget_id}", &widget)
                .replace("{canned_id}", &canned)
                .replace("{template_id}", &template)
                .replace("{key}", "joined")
                .replace("{session_id}", &session)
                .replace("{slug}", "validation")
                .replace("{name}", &format!("policy-{who:?}"))
                .replace("{reviewer}", "bob")
                .replace("{team}", &team)
                .replace("{id}", id);
            // Sign-out ends the token it is called with: that call gets one of its own.
            let token = if case.method == Method::DELETE && case.template == "/v1/auth/login" {
                credential(&app, who).await
            } else {
                tokens[&who].clone()
            };
            let mut req = app.client.request(case.method.clone(), app.url(&path));
            if let Some(token) = &token {
                req = req.bearer_auth(token);
            }
            if let Some(body) = &case.body {
                req = req.json(body);
            }
            let response = req.send().await.expect("request");
            // The event stream never ends: judge it by its status line alone.
            let (status, body) = if case.template == "/v1/events" && response.status().is_success()
            {
                (response.status(), Value::Null)
            } else {
                read(response).await
            };
            let what = format!("{} {path} as {who:?}: {status} {body}", case.method);
            assert!(!status.is_server_error(), "{what}");
            if case.allowed.contains(&who) {
                assert!(
                    ![401, 403, 404].contains(&status.as_u16()),
                    "refused an intended caller: {what}"
                );
            } else {
                let expected: &[u16] = match who {
                    Who::Nobody | Who::WrongKey => &[401],
                    // another team's conversation does not exist for carol
                    Who::OtherTeam if case.allowed.contains(&Who::Team) => &[404],
                    _ => &[403],
                };
                assert!(
                    expected.contains(&status.as_u16()),
                    "expected {expected:?}: {what}"
                );
            }
        }
    }
    reviewers_never_see_another_teams_sessions(&app).await;
}

/// A team and an API key made for a DELETE case to remove.
async fn spare_team_and_key(app: &TestApp, admin: &Option<String>, name: &str) -> (String, String) {
    let admin = admin.as_deref().expect("the admin's token");
    let r = app
        .client
        .put(app.url(&format!("/v1/teams/{name}")))
        .bearer_auth(admin)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::CREATED, "spare team");
    let (s, key) = app.post("/v1/api-keys", admin, json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{key}");
    (name.to_string(), key["id"].as_str().unwrap().to_string())
}

/// The bearer value for a caller; reviewers sign in afresh (sign-out is in the matrix).
async fn credential(app: &TestApp, who: Who) -> Option<String> {
    match who {
        Who::Nobody => None,
        Who::WrongKey => Some("bk_0000000000000000000000000000000000000000000".into()),
        Who::ApiKey => Some(app.api_key.clone()),
        Who::Team => Some(app.login("alice").await),
        Who::OtherTeam => Some(app.login("carol").await),
        Who::Admin => Some(app.login("root").await),
    }
}

async fn reviewers_never_see_another_teams_sessions(app: &TestApp) {
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let (s, _) = app
        .takeover(
            "billing-only",
            "http://127.0.0.1:9/hook",
            json!({"assignee": "billing"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for view in ["waiting", "mine", "team"] {
        let (s, page) = app
            .get(&format!("/v1/inbox?view={view}&limit=500"), &carol)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["takeover"]["assignee"], "billing", "carol sees {item}");
        }
        let (s, page) = app
            .get(&format!("/v1/inbox?view={view}&limit=500"), &alice)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_ne!(
                item["session"]["session_id"], "billing-only",
                "alice sees {item}"
            );
        }
    }
    let (s, _) = app.get("/v1/sessions/billing-only", &alice).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/v1/sessions/billing-only", &carol).await;
    assert_eq!(s, StatusCode::OK);
}

async fn oversized_and_deeply_nested_bodies_are_refused_without_harm(backend: Backend) {
    let app = spawn_app_with(backend, Options::default()).await;
    let turn = |body: Vec<u8>| {
        app.client
            .post(app.url("/v1/sessions/deep/messages"))
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Nesting far beyond any real tool call: a 400 problem, not a stack overflow.
    for depth in [200, 100_000] {
        let body = format!(
            r#"{{"sender":"user","content":"x","meta":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let (s, p) = read(turn(body.into_bytes()).await.expect("request")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "depth {depth}: {p}");
    }
    // Nesting a real payload can have is stored and read back intact.
    let depth = 60;
    let meta: Value =
        serde_json::from_str(&format!("{}1{}", "[".repeat(depth), "]".repeat(depth))).unwrap();
    let body =
        serde_json::to_vec(&json!({"sender": "user", "content": "x", "meta": meta})).unwrap();
    let (s, p) = read(turn(body).await.expect("request")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(app.history("deep").await[0]["meta"], meta);
    // Larger than BATON_MAX_BODY (2 MiB by default): 413.
    let big = format!(
        r#"{{"sender":"user","content":"{}"}}"#,
        "a".repeat(3 * 1024 * 1024)
    );
    let (s, p) = read(turn(big.into_bytes()).await.expect("request")).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    // And the server is still there.
    let (s, _) = app.get("/healthz", "").await;
    assert_eq!(s, StatusCode::OK);
}

async fn a_full_run_at_debug_level_logs_no_secret(backend: Backend) {
    let mut options = Options::default();
    options.env.push(("BATON_LOG", "debug".into()));
    let app = spawn_app_with(backend, options).await;
    let receiver = Receiver::start();
    let (s, sub) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": receiver.url("/sub"), "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let sub_secret = sub["secret"].as_str().expect("secret").to_string();
    let (s, _) = app.turn("log", "user", "I want a person").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.takeover("log", &receiver.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    for (path, body) in [
        ("claim", json!({})),
        ("replies", json!({"content": "hello"})),
        ("handback", json!({"summary": "done"})),
    ] {
        let (s, p) = app
            .post(&format!("/v1/sessions/log/{path}"), &alice, body)
            .await;
        assert!(s.is_success(), "{path}: {p}");
    }
    receiver
        .wait_for("the handback", |got| {
            !Receiver::of_type(got, "session.handed_back").is_empty()
        })
        .await;
    assert_eq!(app.sign_out(&alice).await, StatusCode::NO_CONTENT);
    let log = app.log();
    assert!(log.contains("DEBUG"), "the run did not log at debug level");
    let key_secret = app.signing_secret.strip_prefix("whsec_").unwrap();
    let sub_secret_b64 = sub_secret.strip_prefix("whsec_").unwrap();
    for (what, secret) in [
        ("API key", app.api_key.as_str()),
        ("signing secret", key_secret),
        ("subscription secret", sub_secret_b64),
        ("password", crate::helpers::PASSWORD),
        ("reviewer token", alice.as_str()),
    ] {
        assert!(!log.contains(secret), "the log contains the {what}");
    }
}

/// Everything stored in the database, as text: the SQLite file and its write-ahead log byte for
/// byte, or every row of every table of the PostgreSQL database.
fn database_contents(app: &TestApp) -> String {
    if !app.db.url.starts_with("postgres") {
        let mut all = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(bytes) = std::fs::read(format!("{}{suffix}", app.db.url)) {
                all.extend(bytes);
            }
        }
        return String::from_utf8_lossy(&all).into_owned();
    }
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        text: Option<String>,
    }
    let mut conn = diesel::PgConnection::establish(&app.db.url).expect("connect");
    let tables: Vec<Text> = diesel::sql_query(
        "SELECT table_name::text AS text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .load(&mut conn)
    .expect("tables");
    let mut all = String::new();
    for t in tables.into_iter().filter_map(|t| t.text) {
        let rows: Vec<Text> = diesel::sql_query(format!(
            "SELECT string_agg(r::text, E'\\n') AS text FROM \"{t}\" r"
        ))
        .load(&mut conn)
        .expect("rows");
        all.extend(rows.into_iter().filter_map(|r| r.text));
    }
    all
}

async fn keys_tokens_and_passwords_are_stored_only_as_hashes(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.login("alice").await;
    let (s, _) = app.turn("stored", "user", "hello").await;
    assert_eq!(s, StatusCode::CREATED);
    let stored = database_contents(&app);
    assert!(stored.contains("hello"), "the dump does not show the data");
    for (what, secret) in [
        ("API key", app.api_key.as_str()),
        ("reviewer token", token.as_str()),
        ("password", crate::helpers::PASSWORD),
    ] {
        assert!(
            !stored.contains(secret),
            "the database holds the {what} in clear"
        );
    }
    // What is stored instead: SHA-256 digests of the random keys and tokens, argon2id hashes
    // of the passwords people choose.
    for secret in [&app.api_key, &token] {
        assert!(stored.contains(&baton::auth::token_digest(secret)));
    }
    assert_eq!(stored.matches("$argon2id$").count(), 4, "one per reviewer");
}

async fn sign_in_tokens_and_inbox_cookies_expire(backend: Backend) {
    // Long enough for the requests made while the token is good, on a loaded machine too.
    let app = spawn_app_with(backend, Options::with(&[("BATON_TOKEN_TTL", "5s")])).await;
    let token = app.login("alice").await;
    let (s, login) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": "bob", "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let expires = chrono::DateTime::parse_from_rfc3339(login["expires_at"].as_str().unwrap())
        .expect("expires_at");
    let left = expires.signed_duration_since(chrono::Utc::now());
    assert!(left <= chrono::Duration::seconds(5), "expires in {left}");
    let cookie = format!("baton_session={token}");
    let inbox = |cookie: String| {
        app.client
            .get(app.url("/v1/inbox"))
            .header("cookie", cookie)
            .send()
    };
    let (s, _) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        inbox(cookie.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let (s, p) = app.get("/v1/me", &token).await;
    crate::helpers::assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        inbox(cookie).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app.get("/v1/events", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Signing in again works.
    let fresh = app.login("alice").await;
    let (s, _) = app.get("/v1/me", &fresh).await;
    assert_eq!(s, StatusCode::OK);
}

async fn sign_in_is_rate_limited_per_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let attempt = |name: &'static str, password: &'static str| {
        app.post(
            "/v1/auth/login",
            "",
            json!({"name": name, "password": password}),
        )
    };
    for _ in 0..5 {
        let (s, p) = attempt("alice", "not-her-password").await;
        crate::helpers::assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // The sixth try is refused before the password is looked at, even the right one.
    let (s, p) = attempt("alice", crate::helpers::PASSWORD).await;
    crate::helpers::assert_problem(s, &p, StatusCode::TOO_MANY_REQUESTS, "too-many-requests");
    // Other names are not affected.
    let (s, _) = attempt("bob", crate::helpers::PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    // The refusal says how long to wait: the lock after five failures is 32 seconds.
    let r = reqwest::Client::new()
        .post(app.url("/v1/auth/login"))
        .json(&json!({"name": "alice", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=32).contains(&wait), "Retry-After {wait}");
    // The lock is for this name from this address: Alice signing in from another machine
    // (another loopback address here) is not refused.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = elsewhere
        .post(app.url("/v1/auth/login"))
        .json(&json!({"name": "alice", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Login CSRF: a sign-in form posted from another site would sign the victim in as the
/// attacker. Refused whether the browser says so (Sec-Fetch-Site) or only sends its Origin; the
/// inbox's own form is accepted. Behind an https public URL the session cookie is `Secure`.
async fn the_inbox_sign_in_refuses_other_sites_and_marks_its_cookie_secure_behind_https(
    backend: Backend,
) {
    let app = spawn_app_with(
        backend,
        Options::with(&[("BATON_PUBLIC_URL", "https://baton.example.org")]),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = [("name", "alice"), ("password", crate::helpers::PASSWORD)];
    let post = |headers: Vec<(&'static str, String)>| {
        let mut r = client.post(app.url("/inbox/login")).form(&form);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    for headers in [
        vec![("sec-fetch-site", "cross-site".to_string())],
        vec![("origin", "https://attacker.example".to_string())],
        vec![
            ("sec-fetch-site", "same-site".to_string()),
            ("origin", "null".to_string()),
        ],
    ] {
        let r = post(headers.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(r.headers().get("set-cookie").is_none(), "{headers:?}");
    }
    for headers in [
        vec![("sec-fetch-site", "same-origin".to_string())],
        // What Chromium sends for the inbox's own form (its pages set no-referrer).
        vec![
            ("sec-fetch-site", "same-origin".to_string()),
            ("origin", "null".to_string()),
        ],
        vec![("origin", "https://baton.example.org".to_string())],
        vec![("origin", app.base.clone())],
        vec![],
    ] {
        let r = post(headers.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{headers:?}");
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Secure"),
            "{cookie}"
        );
    }
}

async fn an_unknown_name_costs_as_much_as_a_wrong_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let timed = |name: String| {
        let app = &app;
        async move {
            let t0 = std::time::Instant::now();
            let (s, _) = app
                .post(
                    "/v1/auth/login",
                    "",
                    json!({"name": name, "password": "a wrong password"}),
                )
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
            t0.elapsed()
        }
    };
    // Interleaved, so load from other tests slows both kinds alike; four tries per name stay
    // under the throttle.
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for i in 0..8 {
        unknown.push(timed(format!("nobody-{i}")).await);
        known.push(timed(["alice", "bob"][i % 2].to_string()).await);
    }
    unknown.sort();
    known.sort();
    let (u, k) = (unknown[4], known[4]);
    // A name that does not exist is checked against a dummy hash: without it the answer would
    // come back in a fraction of the time and tell which names exist.
    assert!(
        u * 5 >= k * 2,
        "unknown name {u:?} vs wrong password {k:?}: names can be probed by timing"
    );
}

async fn callback_targets_are_checked_again_when_resolved(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[("BATON_WEBHOOK_DENY", "127.0.0.0/8,::1/128")]),
    )
    .await;
    // Cloud metadata addresses in any spelling are refused when the takeover is requested.
    for bad in [
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.169.254./latest",
        "http://2852039166/latest",
        "http://0xa9.0xfe.0xa9.0xfe/latest",
        "http://[::ffff:169.254.169.254]/latest",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/latest",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./computeMetadata/v1/",
        "http://0.0.0.0:8080/",
        "http://127.0.0.1:9/denied-literal",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
    ] {
        let (s, p) = app.takeover("ssrf", bad, json!({})).await;
        crate::helpers::assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(p["errors"][0]["field"], "reply_webhook", "{bad}: {p}");
    }
    // A host name passes the request-time check, but what it resolves to is checked when the
    // callback is sent: `localhost` resolves only to denied loopback addresses, so nothing
    // reaches the receiver listening there and the attempt says why.
    let receiver = Receiver::start();
    let hook = format!("http://localhost:{}/hook", receiver.port);
    let (s, t) = app.takeover("rebind", &hook, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let alice = app.login("alice").await;
    let (s, p) = app
        .post("/v1/sessions/rebind/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let mut error = String::new();
    for _ in 0..100 {
        let (_, page) = app
            .get("/v1/deliveries?session_id=rebind", &app.api_key)
            .await;
        if let Some(e) = page["items"][0]["last_error"].as_str() {
            error = e.to_string();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(error.contains("refused"), "attempt error: {error:?}");
    assert!(
        receiver.received().is_empty(),
        "a denied address was called"
    );
}

/// An admin's stream sees every change. Once its token is signed out, the next change must not
/// reach it: the stream ends instead (streams check their sign-in again when sign-ins changed).
async fn signing_out_ends_an_open_event_stream_at_its_next_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let mut stream = app.events(&root).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("connected"));
    // A change reaches the stream while the sign-in lives.
    app.turn("watched", "user", "hello").await;
    let seen = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
        .await
        .expect("the change arrived")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&seen).contains("watched"));

    assert_eq!(app.sign_out(&root).await, StatusCode::NO_CONTENT);
    app.turn("watched", "user", "after sign-out").await;
    let rest = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut rest = Vec::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            rest.extend_from_slice(&chunk);
        }
        rest
    })
    .await
    .expect("the stream ended");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        !rest.contains("watched"),
        "a signed-out stream received a change: {rest}"
    );
}

/// The sign-in name is logged before anyone is authenticated: a newline in it must not start a
/// forged log line, nor may terminal escape codes reach the log.
async fn a_failed_sign_in_cannot_forge_a_log_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let name = "mallory\n2026-01-01T00:00:00.000000Z  INFO baton: forged admin sign-in\u{1b}[31m";
    let (s, _) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": name, "password": "wrong password here"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app.log().contains("failed sign-in") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let log = app.log();
    assert!(
        log.contains("failed sign-in") && log.contains("mallory"),
        "{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00.000000Z")),
        "a sign-in name forged a log line:\n{log}"
    );
    assert!(
        !log.contains("\u{1b}[31m"),
        "an escape code from the name reached the log"
    );
}

/// `/docs/` (Swagger UI) is a page too: another site must not frame it.
async fn the_api_browser_cannot_be_framed_by_another_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = reqwest::get(app.url("/docs/")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("x-frame-options"), "DENY");
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    let inbox = reqwest::get(app.url("/inbox/login")).await.unwrap();
    let csp = inbox
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("script-src"),
        "the inbox keeps its own policy: {csp}"
    );
}

/// The SQLite file holds signing secrets: a new one is created 0600, and so are its WAL files.
async fn a_new_sqlite_database_is_readable_by_its_owner_only(backend: Backend) {
    if backend != Backend::Sqlite {
        return; // PostgreSQL's files are the server's to guard.
    }
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app(backend).await;
    let (s, _) = app.turn("perm", "user", "hello").await;
    assert!(s.is_success(), "{s}");
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", app.db.url);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{path} is readable by others: {mode:o}");
    }
}

/// A callback URL may carry the integration's credentials (`user:password@`, a secret path):
/// the integration reads it back whole, a reviewer of the team sees only its host.
async fn reviewers_see_where_callbacks_go_but_not_their_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = "http://bot:s3cret@127.0.0.1:9/webhook/secret-path-42";
    let (s, t) = app
        .takeover("creds", hook, json!({"handback_signal": hook}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let path = format!("/v1/takeovers/{}", t["id"].as_str().unwrap());
    let (s, by_key) = app.get(&path, &app.api_key).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_key["reply_webhook"], hook);
    let alice = app.login("alice").await;
    let (s, by_reviewer) = app.get(&path, &alice).await;
    assert_eq!(s, StatusCode::OK, "{by_reviewer}");
    assert_eq!(by_reviewer["reply_webhook"], "http://127.0.0.1:9");
    assert_eq!(by_reviewer["handback_signal"], "http://127.0.0.1:9");
    assert!(!by_reviewer.to_string().contains("s3cret"));
    assert!(!by_reviewer.to_string().contains("secret-path-42"));
}
