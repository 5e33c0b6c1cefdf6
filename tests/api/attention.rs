//! What needs a reviewer (issue 14): unread customer messages per reviewer and per view, read
//! marks, the customer a takeover describes, and what the customer hears on a transfer or a
//! release.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;
use crate::inbox::{inbox_sign_in, no_redirects};

backend_tests!(
    unread_messages_count_per_reviewer_until_each_reads_them,
    a_read_mark_needs_a_conversation_the_reviewer_may_see,
    the_customer_a_takeover_describes_is_checked_and_shown_beside_the_conversation,
    the_customer_hears_where_a_transfer_sends_them_and_that_a_release_means_someone_else,
    a_reviewer_who_signs_in_to_the_inbox_is_online_unless_they_chose_otherwise,
    every_way_a_customer_turn_arrives_counts_once_as_unread,
);

fn item<'a>(unread: &'a Value, session: &str) -> Option<&'a Value> {
    unread["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["session_id"] == session)
}

async fn unread_messages_count_per_reviewer_until_each_reads_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app.turn("u1", "user", "hello").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.turn("u1", "ai", "hi, how can I help?").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.turn("u1", "user", "a person please").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.takeover("u1", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;

    // Nobody has read anything: both customer messages are unread for alice and bob alike.
    let (s, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let it = item(&a, "u1").expect("u1 needs alice");
    assert_eq!(it["messages"], 2, "{a}");
    assert_eq!(it["state"], "waiting");
    assert_eq!(
        (a["waiting"].as_i64(), a["needs_you"].as_i64()),
        (Some(1), Some(1))
    );
    // Carol is in another team: nothing of it reaches her.
    let (_, c) = app.get("/v1/inbox/unread", &carol).await;
    assert!(item(&c, "u1").is_none(), "{c}");
    assert_eq!(c["needs_you"], 0);

    // Alice claims and reads up to the last turn; bob's count is his own.
    let (s, _) = app.post("/v1/sessions/u1/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let last = app.history("u1").await.last().unwrap()["seq"]
        .as_i64()
        .unwrap();
    let (s, mark) = app
        .put("/v1/sessions/u1/read", &alice, json!({"seq": last + 50}))
        .await;
    assert_eq!(s, StatusCode::OK, "{mark}");
    assert_eq!(mark["read_seq"], last, "a mark never passes the last turn");
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert!(item(&a, "u1").is_none(), "{a}");
    assert_eq!(a["needs_you"], 0);
    let (_, b) = app.get("/v1/inbox/unread", &bob).await;
    assert_eq!(
        item(&b, "u1").expect("still unread for bob")["state"],
        "other"
    );
    assert_eq!(
        b["needs_you"], 0,
        "someone else holds it: it does not need bob"
    );
    assert_eq!(b["team"], 1);

    // The customer writes again: one unread message in the conversation alice holds.
    let (s, _) = app.turn("u1", "user", "are you there?").await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    let it = item(&a, "u1").expect("a new message needs alice");
    assert_eq!(
        (it["state"].as_str(), it["messages"].as_i64()),
        (Some("mine"), Some(1))
    );
    assert_eq!(
        (a["mine"].as_i64(), a["needs_you"].as_i64()),
        (Some(1), Some(1))
    );
    // An older tab cannot un-read it: a mark never moves back.
    let (_, mark) = app
        .put("/v1/sessions/u1/read", &alice, json!({"seq": 1}))
        .await;
    assert_eq!(mark["read_seq"], last);
    // The reviewer's own reply is not something to read.
    let (s, _) = app
        .post(
            "/v1/sessions/u1/replies",
            &alice,
            json!({"content": "yes!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(item(&a, "u1").unwrap()["messages"], 1);

    // The queue page shows the count on the row and on its tab.
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let page = client
        .get(app.url("/inbox?view=mine"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"class="row unread""#), "{page}");
    assert!(page.contains("1 unread"), "{page}");
    // The row shows the last turn and who wrote it (alice's own reply: "You").
    assert!(
        page.contains(r#"<span class="who">You: </span><span class="text">yes!</span>"#),
        "the row shows the last message: {page}"
    );
    // Read through the cookie, as the inbox script does (with its CSRF token).
    let last = app.history("u1").await.last().unwrap()["seq"]
        .as_i64()
        .unwrap();
    let csrf = page
        .split(r#"name="csrf-token" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf meta");
    let res = client
        .put(app.url("/v1/sessions/u1/read"))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"seq": last}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert!(item(&a, "u1").is_none(), "{a}");
}

async fn a_read_mark_needs_a_conversation_the_reviewer_may_see(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app.turn("r1", "user", "hello").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.takeover("r1", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let (s, p) = app
        .put("/v1/sessions/r1/read", &carol, json!({"seq": 1}))
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = app
        .put("/v1/sessions/nobody/read", &alice, json!({"seq": 1}))
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = app
        .put("/v1/sessions/r1/read", &alice, json!({"seq": -1}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let (s, p) = app.put("/v1/sessions/r1/read", &alice, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    // Read marks are a person's: an API key is refused.
    let (s, _) = app
        .put("/v1/sessions/r1/read", &app.api_key, json!({"seq": 1}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/v1/inbox/unread", &app.api_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn the_customer_a_takeover_describes_is_checked_and_shown_beside_the_conversation(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    // Each bad attribute is named.
    let (s, p) = app
        .takeover(
            "c1",
            &hook.url("/hook"),
            json!({"customer": {"full name": "Ada", "plan": " ", "ok": "fine"}}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"customer.full name"), "{p}");
    assert!(fields.contains(&"customer.plan"), "{p}");
    let (s, p) = app
        .takeover("c1", &hook.url("/hook"), json!({"customer": {"plan": 3}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");

    // An earlier conversation of the same user, handed back.
    let (s, _) = app
        .takeover("c0", &hook.url("/hook"), json!({"user_id": "user-77"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let root = app.login("root").await;
    let (s, _) = app.post("/v1/sessions/c0/claim", &root, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            "/v1/sessions/c0/handback",
            &root,
            json!({"summary": "sorted"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, t) = app
        .takeover(
            "c1",
            &hook.url("/hook"),
            json!({
                "user_id": "user-77",
                "customer": {
                    "name": "Ada Lovelace",
                    "email": "ada@example.org",
                    "plan": "enterprise",
                    "account_manager": "Grace"
                }
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    // A canned response's {customer_name} is the name the workflow sent.
    let (s, body) = app
        .post(
            "/v1/canned-responses",
            &root,
            json!({"shortcut": "hello", "title": "Hello", "content": "Hello {customer_name}!", "team": "support"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let alice = app.login("alice").await;
    let (s, _) = app.post("/v1/sessions/c1/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let page = client
        .get(app.url("/inbox/sessions/c1"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hello Ada Lovelace!"), "{page}");
    let panel = page
        .split(r#"id="customer""#)
        .nth(1)
        .expect("a customer panel")
        .split("</section>")
        .next()
        .unwrap();
    for shown in [
        "Ada Lovelace",
        "mailto:ada@example.org",
        "enterprise",
        "account manager",
        "Grace",
        "user-77",
    ] {
        assert!(panel.contains(shown), "{shown} missing from {panel}");
    }
    // The same customer's earlier conversation is one click away.
    assert!(page.contains(r#"href="/inbox/sessions/c0""#), "{page}");
}

async fn the_customer_hears_where_a_transfer_sends_them_and_that_a_release_means_someone_else(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app
        .takeover("t1", &hook.url("/hook"), json!({"locale": "de"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let (s, _) = app.post("/v1/sessions/t1/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            "/v1/sessions/t1/transfer",
            &alice,
            json!({"to": "billing", "note": "refund over the limit"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/v1/sessions/t1/claim", &carol, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/v1/sessions/t1/release", &carol, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let got = hook
        .wait_for("join, transfer, join, release", |g| g.len() >= 4)
        .await;
    let said: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r.body["type"].as_str().unwrap_or("").to_string(),
                r.body["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let transferred = said
        .iter()
        .find(|(t, _)| t == "takeover.transferred")
        .unwrap_or_else(|| panic!("no transfer callback: {said:?}"));
    assert_eq!(
        transferred.1,
        "Alice leitet Sie an billing weiter. Dort antwortet Ihnen gleich jemand in diesem Chat.",
        "in the customer's language, without the reviewers' note"
    );
    let released = said
        .iter()
        .find(|(t, _)| t == "takeover.released")
        .unwrap_or_else(|| panic!("no release callback: {said:?}"));
    assert!(released.1.starts_with("Carol musste"), "{said:?}");
    let order: Vec<&str> = said.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        order,
        [
            "takeover.claimed",
            "takeover.transferred",
            "takeover.claimed",
            "takeover.released"
        ]
    );
    // An admin's own wording in the customer's language wins over Baton's.
    let root = app.login("root").await;
    let (s, body) = app
        .put(
            "/v1/customer-texts/transferred",
            &root,
            json!({"locale": "de", "template": "Wir verbinden Sie mit {team}."}),
        )
        .await;
    assert!(s.is_success(), "{s} {body}");
    let (s, _) = app.post("/v1/sessions/t1/claim", &carol, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post("/v1/sessions/t1/transfer", &carol, json!({"to": "alice"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let got = hook.wait_for("the second transfer", |g| g.len() >= 6).await;
    assert_eq!(got[5].body["type"], "takeover.transferred");
    assert_eq!(
        got[5].body["text"], "Wir verbinden Sie mit Alice.",
        "a person is named as customers see them"
    );
}

async fn a_reviewer_who_signs_in_to_the_inbox_is_online_unless_they_chose_otherwise(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let alice = app.login("alice").await;
    let (_, me) = app.get("/v1/me/availability", &alice).await;
    assert_eq!(
        me["availability"], "offline",
        "an API sign-in changes nothing: {me}"
    );
    let client = no_redirects();
    inbox_sign_in(&app, &client, "alice").await;
    let (_, me) = app.get("/v1/me/availability", &alice).await;
    assert_eq!(me["availability"], "online", "{me}");
    // Alice picks offline herself: the next sign-in keeps it.
    let (s, _) = app
        .put(
            "/v1/me/availability",
            &alice,
            json!({"availability": "offline"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    inbox_sign_in(&app, &client, "alice").await;
    let (_, me) = app.get("/v1/me/availability", &alice).await;
    assert_eq!(me["availability"], "offline", "{me}");
}

/// The unread count is kept with the session as turns are recorded (not counted from the
/// messages on each request), so each way a customer's turn can arrive must count it once:
/// history sent with the takeover, a turn with the caller's id and its repeat, a plain turn;
/// a mark in the middle of the history leaves the turns above it.
async fn every_way_a_customer_turn_arrives_counts_once_as_unread(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, t) = app
        .post(
            "/v1/takeovers",
            &app.api_key,
            json!({
                "session_id": "u9",
                "channel": "telegram",
                "reply_webhook": "http://127.0.0.1:9/hook",
                "assignee": "support",
                "history": [
                    {"sender": "user", "content": "hi", "id": "h1"},
                    {"sender": "ai", "content": "hello"},
                    {"sender": "user", "content": "my order is late"},
                    {"sender": "ai", "content": "let me get someone"},
                ],
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let alice = app.login("alice").await;
    let count = |v: &Value| item(v, "u9").map(|i| i["messages"].as_i64().unwrap());
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(count(&a), Some(2), "the history's two customer turns: {a}");

    // A turn with the caller's id, sent twice, is one turn; a plain turn is another.
    let with_id = json!({"sender": "user", "content": "still there?", "id": "t-7"});
    for _ in 0..2 {
        let (s, body) = app
            .post("/v1/sessions/u9/messages", &app.api_key, with_id.clone())
            .await;
        assert!(s.is_success(), "{s} {body}");
    }
    let (s, _) = app.turn("u9", "user", "hello??").await;
    assert!(s.is_success(), "{s}");
    // Neither the AI (refused while a person is asked for) nor notes count.
    let (s, _) = app.turn("u9", "ai", "I am here").await;
    assert!(!s.is_success(), "the AI is refused now: {s}");
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(count(&a), Some(4), "{a}");

    // A mark after the second history turn leaves the two turns written since.
    let history = app.history("u9").await;
    let second = history
        .iter()
        .find(|m| m["content"] == "my order is late")
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    let (s, _) = app
        .put("/v1/sessions/u9/read", &alice, json!({"seq": second}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(count(&a), Some(2), "{a}");
    let last = history.last().unwrap()["seq"].as_i64().unwrap();
    let (s, _) = app
        .put("/v1/sessions/u9/read", &alice, json!({"seq": last}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = app.get("/v1/inbox/unread", &alice).await;
    assert_eq!(count(&a), None, "all read: {a}");
}
