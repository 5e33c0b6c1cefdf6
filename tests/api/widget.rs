//! Baton's own web chat: widget keys, the visitor's API and live stream, `customer.message` to
//! the workflow, and what a visitor token can and cannot reach.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{
    assert_problem, enc, read, spawn_app, verify_signature, Backend, Receiver, TestApp,
};

const SHOP: &str = "http://shop.test:8080";

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    event: String,
    id: Option<String>,
    data: Value,
}

/// Reads a `text/event-stream` answer event by event.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    /// The next event (comments skipped); `None` when the stream ended or 10 s passed.
    async fn next(&mut self) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(cut) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..cut + 2).collect();
                let mut ev = Sse {
                    event: "message".into(),
                    id: None,
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        ev.event = v.into();
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        ev.id = Some(v.into());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if !data.is_empty() {
                    ev.data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some(ev);
                }
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next `item` event, leaving out the place in the queue (its timing is the timers').
    async fn item(&mut self) -> Sse {
        loop {
            let ev = self.next().await.expect("an item on the visitor's stream");
            if ev.event == "item" && ev.data["kind"] != "queue.updated" {
                return ev;
            }
        }
    }

    /// The next `item` event, whatever it is.
    async fn any_item(&mut self) -> Sse {
        loop {
            let ev = self.next().await.expect("an item on the visitor's stream");
            if ev.event == "item" {
                return ev;
            }
        }
    }
}

struct Visitor {
    token: String,
    session_id: String,
}

async fn create_widget(app: &TestApp, admin: &str) -> Value {
    let (status, body) = app
        .post(
            "/v1/widgets",
            admin,
            json!({"name": "Shop", "allowed_origins": [SHOP], "team": "support",
                   "title": "Ask the shop", "welcome": "Hi! How can we help?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn start_visitor(app: &TestApp, key: &str) -> Visitor {
    start_visitor_in(app, key, None).await
}

/// A visitor whose browser says `locale`.
async fn start_visitor_in(app: &TestApp, key: &str, locale: Option<&str>) -> Visitor {
    let r = app
        .client
        .post(app.url("/widget/v1/conversations"))
        .header("Origin", SHOP)
        .json(&json!({"key": key, "locale": locale}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string()),
        Some("*".into())
    );
    let (status, body) = read(r).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["title"], "Ask the shop");
    Visitor {
        token: body["token"].as_str().unwrap().into(),
        session_id: body["session_id"].as_str().unwrap().into(),
    }
}

async fn say(app: &TestApp, v: &Visitor, text: &str, client_id: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url("/widget/v1/messages"))
        .header("Origin", SHOP)
        .bearer_auth(&v.token)
        .json(&json!({"text": text, "client_id": client_id}))
        .send()
        .await
        .unwrap();
    read(r).await
}

async fn open_stream(app: &TestApp, v: &Visitor, after: Option<&str>) -> Stream {
    let mut req = app
        .client
        .get(app.url("/widget/v1/stream"))
        .header("Origin", SHOP)
        .bearer_auth(&v.token);
    if let Some(id) = after {
        req = req.header("Last-Event-ID", id);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    Stream {
        res,
        buf: String::new(),
    }
}

async fn a_visitor_chats_with_the_ai_and_a_person_through_the_widget(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let key = widget["public_key"].as_str().unwrap();
    assert!(widget["snippet"]
        .as_str()
        .unwrap()
        .contains(&format!("/widget.js\" data-baton-key=\"{key}\"")));

    // The n8n workflow: a Baton Trigger subscribed to customer.message.
    let workflow = Receiver::start();
    let (status, sub) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": workflow.url("/trigger"), "events": ["customer.message"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let channel = Receiver::start();

    let v = start_visitor(&app, key).await;
    let mut stream = open_stream(&app, &v, None).await;
    let (status, body) = say(&app, &v, "Where is my parcel 1234?", "c1").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The visitor's message reaches the workflow, signed, with its widget.
    let got = workflow
        .wait_for("customer.message", |r| !r.is_empty())
        .await;
    let ev = &got[0].body;
    assert_eq!(ev["type"], "customer.message");
    assert_eq!(ev["session_id"], v.session_id.as_str());
    assert_eq!(ev["channel"], "web");
    assert_eq!(ev["message"]["content"], "Where is my parcel 1234?");
    assert_eq!(ev["widget"]["id"], widget["id"]);
    assert_eq!(ev["widget"]["team"], "support");
    assert!(verify_signature(sub["secret"].as_str().unwrap(), &got[0]));

    let first = stream.item().await;
    assert_eq!(first.data["from"], "visitor");
    assert_eq!(first.data["client_id"], "c1");

    // The workflow answers with an AI turn: the visitor sees it live.
    let (status, _) = app
        .turn(&v.session_id, "ai", "Let me check parcel 1234.")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let answer = stream.item().await;
    assert_eq!(answer.data["from"], "assistant");
    assert_eq!(answer.data["text"], "Let me check parcel 1234.");

    // A person is asked for.
    let (status, body) = app
        .takeover(
            &v.session_id,
            &channel.url("/reply"),
            json!({"channel": "web"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let connecting = stream.item().await;
    assert_eq!(connecting.data["type"], "notice");
    assert_eq!(connecting.data["kind"], "takeover.requested");

    // While a person owns it, the visitor's messages go to the inbox, not the workflow.
    let (status, _) = say(&app, &v, "Hello? Anyone?", "c2").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(stream.item().await.data["text"], "Hello? Anyone?");

    let alice = app.login("alice").await;
    let path = format!("/v1/sessions/{}", enc(&v.session_id));
    let (status, body) = app.post(&format!("{path}/claim"), &alice, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let joined = stream.item().await;
    assert_eq!(joined.data["text"], "Alice joined the conversation");
    assert_eq!(joined.data["name"], "Alice");

    let (status, _) = app.post(&format!("{path}/typing"), &alice, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let typing = stream.next().await.expect("typing");
    assert_eq!(typing.event, "typing");
    assert_eq!(typing.data["name"], "Alice");

    let (status, body) = app
        .post(
            &format!("{path}/replies"),
            &alice,
            json!({"content": "Hi, I'm Alice. Parcel 1234 left the depot today."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reply = stream.item().await;
    assert_eq!(reply.data["from"], "agent");
    assert_eq!(reply.data["name"], "Alice");
    let seen = reply.id.clone().expect("items carry an id");

    // The page reloads after the reply: the stream resumes after it, repeating nothing.
    drop(stream);
    let mut resumed = open_stream(&app, &v, Some(&seen)).await;
    let (status, body) = app
        .post(
            &format!("{path}/handback"),
            &alice,
            json!({"summary": "Parcel 1234 is on its way."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let back = resumed.item().await;
    assert_eq!(back.data["type"], "notice", "{:?}", back.data);
    assert_eq!(back.data["kind"], "session.handed_back");
    assert_eq!(
        back.data["text"],
        "Alice is handing you back to the assistant"
    );

    // Back with the AI: the next message goes to the workflow again.
    let (status, _) = say(&app, &v, "Thanks! One more question.", "c3").await;
    assert_eq!(status, StatusCode::CREATED);
    let got = workflow
        .wait_for("a second customer.message", |r| r.len() >= 2)
        .await;
    assert_eq!(
        got.len(),
        2,
        "nothing was sent while a person owned the chat"
    );
    assert_eq!(
        got[1].body["message"]["content"],
        "Thanks! One more question."
    );
    assert_eq!(resumed.item().await.data["client_id"], "c3");

    // A fresh page load reads the whole conversation in order; the summary for the AI (a
    // system turn) is not shown to the visitor.
    let mut fresh = open_stream(&app, &v, None).await;
    let mut texts = Vec::new();
    for _ in 0..8 {
        let it = fresh.item().await;
        texts.push(it.data["text"].as_str().unwrap().to_string());
    }
    assert_eq!(
        texts,
        [
            "Where is my parcel 1234?",
            "Let me check parcel 1234.",
            "Connecting you with a person. Stay here: they will answer in this chat.",
            "Hello? Anyone?",
            "Alice joined the conversation",
            "Hi, I'm Alice. Parcel 1234 left the depot today.",
            "Alice is handing you back to the assistant",
            "Thanks! One more question.",
        ]
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(500), fresh.item())
            .await
            .is_err(),
        "nothing more: the summary for the AI is not shown to the visitor"
    );
}

async fn a_visitor_token_reaches_its_own_conversation_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let key = widget["public_key"].as_str().unwrap();
    let a = start_visitor(&app, key).await;
    let b = start_visitor(&app, key).await;
    assert_ne!(a.session_id, b.session_id);
    assert_eq!(
        say(&app, &b, "B's secret order number 9876", "b1").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        say(&app, &a, "Hello from A", "a1").await.0,
        StatusCode::CREATED
    );

    // A's stream holds A's conversation and nothing of B's.
    let mut stream = open_stream(&app, &a, None).await;
    let it = stream.item().await;
    assert_eq!(it.data["text"], "Hello from A");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), stream.item())
            .await
            .is_err(),
        "A's stream shows nothing more"
    );

    // A visitor token is no API key and no reviewer token.
    for path in [
        format!("/v1/sessions/{}/messages", enc(&b.session_id)),
        format!("/v1/sessions/{}", enc(&b.session_id)),
        "/v1/inbox".to_string(),
    ] {
        let (status, body) = app.get(&path, &a.token).await;
        assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }

    // Nor is an API key or a reviewer token a visitor token.
    let alice = app.login("alice").await;
    for token in [app.api_key.as_str(), root.as_str(), alice.as_str()] {
        let r = app
            .client
            .post(app.url("/widget/v1/messages"))
            .header("Origin", SHOP)
            .bearer_auth(token)
            .json(&json!({"text": "hi"}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(r).await;
        assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
        let r = app
            .client
            .get(app.url("/widget/v1/stream"))
            .header("Origin", SHOP)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }

    // The widget's own API answers only on the widget's sites.
    for origin in [
        Some("http://evil.test"),
        Some("http://shop.test:8081"),
        None,
    ] {
        let mut req = app
            .client
            .post(app.url("/widget/v1/messages"))
            .bearer_auth(&a.token)
            .json(&json!({"text": "hi"}));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let (status, body) = read(req.send().await.unwrap()).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .client
            .post(app.url("/widget/v1/conversations"))
            .header("Origin", origin.unwrap_or("null"))
            .json(&json!({"key": key}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(r).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }

    // An unknown token, a key that does not exist, bad bodies: clear errors, never a 500.
    let stranger = Visitor {
        token: "vt_nobody".into(),
        session_id: a.session_id.clone(),
    };
    let (status, body) = say(&app, &stranger, "hi", "x").await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = say(&app, &a, "   ", "x").await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(body["errors"][0]["field"], "text");
    let (status, body) = say(&app, &a, &"x".repeat(4001), "x").await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
    let r = app
        .client
        .post(app.url("/widget/v1/conversations"))
        .header("Origin", SHOP)
        .json(&json!({"key": "pk_unknown"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(r).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");

    // Nothing B wrote is in A's history, and B's message was recorded once.
    let history = app.history(&b.session_id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["content"], "B's secret order number 9876");
}

async fn a_revoked_widget_key_ends_open_streams_and_starts_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let key = widget["public_key"].as_str().unwrap();
    let v = start_visitor(&app, key).await;
    let mut stream = open_stream(&app, &v, None).await;

    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/widgets/{}", widget["id"].as_str().unwrap()),
            &root,
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].is_string());

    let end = stream.next().await.expect("an end event");
    assert_eq!(end.event, "end");
    assert_eq!(end.data["reason"], "revoked");
    assert!(stream.next().await.is_none(), "the stream is closed");

    let (status, body) = say(&app, &v, "still there?", "r1").await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .client
        .post(app.url("/widget/v1/conversations"))
        .header("Origin", SHOP)
        .json(&json!({"key": key}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(r).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, list) = app.get("/v1/widgets", &root).await;
    assert!(list[0]["revoked_at"].is_string());
}

async fn widget_keys_are_for_admins_and_check_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let good = json!({"name": "Shop", "allowed_origins": [SHOP]});
    for token in [&alice, &app.api_key] {
        let (status, body) = app.post("/v1/widgets", token, good.clone()).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    for (bad, field) in [
        (
            json!({"name": "Shop", "allowed_origins": ["https://shop.test/path"]}),
            "allowed_origins",
        ),
        (
            json!({"name": "Shop", "allowed_origins": []}),
            "allowed_origins",
        ),
        (json!({"name": "", "allowed_origins": [SHOP]}), "name"),
        (
            json!({"name": "Shop", "allowed_origins": [SHOP], "team": "nope"}),
            "team",
        ),
    ] {
        let (status, body) = app.post("/v1/widgets", &root, bad).await;
        assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let (status, body) = app.post("/v1/widgets", &root, good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["title"], "Chat with us");
    assert_eq!(body["allowed_origins"], json!([SHOP]));
    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            "/v1/widgets/wgt_nope",
            &root,
            json!(null),
        )
        .await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_rate_limit_answers_429_with_retry_after() {
    let app = spawn_app(Backend::Sqlite).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let v = start_visitor(&app, widget["public_key"].as_str().unwrap()).await;
    for i in 0..20 {
        let (status, body) = say(&app, &v, &format!("message {i}"), &format!("m{i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let r = app
        .client
        .post(app.url("/widget/v1/messages"))
        .header("Origin", SHOP)
        .bearer_auth(&v.token)
        .json(&json!({"text": "one too many"}))
        .send()
        .await
        .unwrap();
    let wait: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, body) = read(r).await;
    assert_problem(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-requests",
    );
    assert_eq!(
        app.history(&v.session_id).await.len(),
        20,
        "the refused one was not recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_script_and_style_sheet_are_served_small() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut total = 0;
    for (path, kind) in [
        ("/widget.js", "text/javascript"),
        ("/widget.css", "text/css"),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
        let body = r.bytes().await.unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &body).unwrap();
        total += gz.finish().unwrap().len();
    }
    assert!(
        total <= 25 * 1024,
        "widget.js + widget.css are {total} bytes compressed"
    );
    // A browser that accepts gzip gets it compressed.
    let r = app
        .client
        .get(app.url("/widget.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // The browser's preflight for the visitor API.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/widget/v1/messages"))
        .header("Origin", SHOP)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("last-event-id"));
}

/// A schedule open every day for one hour in Berlin, starting three hours from now there;
/// the opening's hour and whether it is today there.
fn berlin_schedule() -> (Value, u32, bool) {
    use chrono::Timelike;
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let open = (now.hour() + 3) % 24;
    let close = if open == 23 {
        "24:00".to_string()
    } else {
        format!("{:02}:00", open + 1)
    };
    let mut weekly = serde_json::Map::new();
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        weekly.insert(
            d.into(),
            json!([{"open": format!("{open:02}:00"), "close": close}]),
        );
    }
    let body = json!({"policy": "manual", "business_hours": {
        "timezone": "Europe/Berlin", "weekly": weekly, "holidays": [],
        "off_hours_message": "We're closed. A person will answer from {opens_at}.",
        "off_hours_action": "queue",
    }});
    (body, open, open > now.hour())
}

async fn a_german_visitor_gets_the_german_off_hours_text_in_the_teams_zone(backend: Backend) {
    let (schedule, open, today) = berlin_schedule();
    let app = spawn_app(backend).await;
    let (status, team) = app
        .put("/v1/teams/support/routing", &app.api_key, schedule)
        .await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team["open"], false, "{team}");
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let v = start_visitor_in(&app, widget["public_key"].as_str().unwrap(), Some("de-DE")).await;
    let mut stream = open_stream(&app, &v, None).await;
    assert_eq!(
        say(&app, &v, "Ich möchte mit einem Menschen sprechen", "d1")
            .await
            .0,
        StatusCode::CREATED
    );
    stream.item().await;

    // The workflow asks for a person without naming a language: the browser's is used.
    let channel = Receiver::start();
    let (status, body) = app
        .takeover(
            &v.session_id,
            &channel.url("/reply"),
            json!({"channel": "web"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let connecting = stream.item().await;
    assert!(
        connecting.data["text"]
            .as_str()
            .unwrap()
            .starts_with("Wir verbinden Sie"),
        "{:?}",
        connecting.data
    );
    let off = stream.item().await;
    assert_eq!(off.data["kind"], "takeover.off_hours", "{:?}", off.data);
    let text = off.data["text"].as_str().unwrap().to_string();
    assert!(
        text.starts_with("Wir sind gerade nicht erreichbar. Ab "),
        "{text}"
    );
    let day = if today { "heute" } else { "morgen" };
    assert_eq!(
        text,
        format!("Wir sind gerade nicht erreichbar. Ab {day} {open:02}:00 (Europe/Berlin) antwortet Ihnen ein Mensch.")
    );
    // The same words reach the channel's callback: texts are the same for every channel.
    let got = channel
        .wait_for("the off-hours callback", |got| {
            !Receiver::of_type(got, "takeover.off_hours").is_empty()
        })
        .await;
    assert_eq!(
        Receiver::of_type(&got, "takeover.off_hours")[0].body["text"],
        text.as_str()
    );
}

async fn admins_set_what_customers_are_told_per_team_and_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let alice = app.login("alice").await;
    let rx = Receiver::start();

    let (status, all) = app.get("/v1/customer-texts", &root).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let joined = all["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "joined")
        .unwrap();
    assert_eq!(joined["variables"], json!(["reviewer"]));
    assert_eq!(
        joined["built_in"]["de"],
        "{reviewer} ist dem Gespräch beigetreten"
    );

    let (status, body) = app
        .put(
            "/v1/customer-texts/joined",
            &root,
            json!({"team": "support", "locale": "de", "template": "{reviewer} ist jetzt für Sie da"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["locale"], "de");

    // Refused: an unknown variable, an unknown team, a bad language, a sentence that does not
    // exist, a reviewer who is not an admin.
    for (bad, field) in [
        (json!({"template": "{reviewr} is here"}), "template"),
        (
            json!({"team": "nope", "template": "{reviewer} is here"}),
            "team",
        ),
        (
            json!({"locale": "deutsch!", "template": "{reviewer} is here"}),
            "locale",
        ),
        (json!({"template": ""}), "template"),
    ] {
        let (status, body) = app.put("/v1/customer-texts/joined", &root, bad).await;
        assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let (status, body) = app
        .put("/v1/customer-texts/hello", &root, json!({"template": "hi"}))
        .await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (status, body) = app
        .put(
            "/v1/customer-texts/joined",
            &alice,
            json!({"template": "hi"}),
        )
        .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Three customers on Telegram: Austrian German (the team's template), French (Baton's
    // French), and one whose language the workflow did not send (Baton's English).
    for (session, locale) in [
        ("de-1", Some("de-AT")),
        ("fr-1", Some("fr")),
        ("en-1", None),
    ] {
        let (status, body) = app
            .takeover(
                session,
                &rx.url(&format!("/{session}")),
                json!({"locale": locale}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .post(&format!("/v1/sessions/{session}/claim"), &alice, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let got = rx
        .wait_for("three claims", |got| {
            Receiver::of_type(got, "takeover.claimed").len() == 3
        })
        .await;
    let said = |path: &str| {
        Receiver::of_type(&got, "takeover.claimed")
            .into_iter()
            .find(|r| r.path == path)
            .map(|r| r.body["text"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(said("/de-1"), "Alice ist jetzt für Sie da");
    assert_eq!(said("/fr-1"), "Alice a rejoint la conversation");
    assert_eq!(said("/en-1"), "Alice joined the conversation");

    let (status, body) = app
        .takeover(
            "bad-locale",
            &rx.url("/x"),
            json!({"locale": "not a language"}),
        )
        .await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(body["errors"][0]["field"], "locale");

    let delete = |q: &'static str| {
        app.client
            .delete(app.url(&format!("/v1/customer-texts/joined{q}")))
            .bearer_auth(&root)
            .send()
    };
    assert_eq!(
        delete("?team=support&locale=de").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let (status, body) = read(delete("?team=support&locale=de").await.unwrap()).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
}

/// A visitor waiting for a person is told their place in the queue without the workflow
/// asking for it, and on PostgreSQL their stream may live on another replica than the one the
/// reviewer works on.
async fn a_waiting_visitor_hears_the_queue_and_replies_from_any_replica(backend: Backend) {
    let app = spawn_app(backend).await;
    // Replicas share live changes through PostgreSQL; on SQLite one process serves all.
    let replica = matches!(backend, Backend::Postgres).then(|| app.spawn_replica());
    let stream_base = replica
        .as_ref()
        .map_or(app.base.clone(), |r| r.base.clone());
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let v = start_visitor(&app, widget["public_key"].as_str().unwrap()).await;
    assert_eq!(
        say(&app, &v, "A person, please", "q1").await.0,
        StatusCode::CREATED
    );
    let channel = Receiver::start();
    let (status, body) = app
        .takeover(
            &v.session_id,
            &channel.url("/reply"),
            json!({"channel": "web"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // On PostgreSQL the stream is opened on the other process.
    let res = app
        .client
        .get(format!("{stream_base}/widget/v1/stream"))
        .header("Origin", SHOP)
        .bearer_auth(&v.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = Stream {
        res,
        buf: String::new(),
    };
    let mut texts = Vec::new();
    while texts.len() < 3 {
        texts.push(
            stream.any_item().await.data["text"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(texts[0], "A person, please");
    assert!(
        texts[1].starts_with("Connecting you with a person"),
        "{texts:?}"
    );
    assert_eq!(texts[2], "You are next in the queue.", "{texts:?}");

    // Alice works on the first process; her reply reaches the stream on the second.
    let alice = app.login("alice").await;
    let path = format!("/v1/sessions/{}", enc(&v.session_id));
    assert_eq!(
        app.post(&format!("{path}/claim"), &alice, json!({}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        stream.item().await.data["text"],
        "Alice joined the conversation"
    );
    let (status, _) = app
        .post(
            &format!("{path}/replies"),
            &alice,
            json!({"content": "Hello from Alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(stream.item().await.data["text"], "Hello from Alice");
}

/// Nobody claims in time: the visitor reads the same apology the channel's callback carries.
async fn a_visitor_nobody_answered_in_time_reads_the_apology(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let v = start_visitor(&app, widget["public_key"].as_str().unwrap()).await;
    let mut stream = open_stream(&app, &v, None).await;
    assert_eq!(
        say(&app, &v, "Anyone there?", "t1").await.0,
        StatusCode::CREATED
    );
    let channel = Receiver::start();
    let (status, body) = app
        .takeover(
            &v.session_id,
            &channel.url("/reply"),
            json!({"channel": "web", "timeout": "1s"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let got = channel
        .wait_for("the timeout", |g| {
            !Receiver::of_type(g, "takeover.timed_out").is_empty()
        })
        .await;
    let apology = Receiver::of_type(&got, "takeover.timed_out")[0].body["text"]
        .as_str()
        .expect("the timeout carries a text for the customer")
        .to_string();
    loop {
        let it = stream.item().await;
        if it.data["kind"] == "takeover.timed_out" {
            assert_eq!(it.data["text"], apology.as_str());
            break;
        }
    }
}

/// Two transactions adding a notice to one visitor's feed at once (a claim's and the router's,
/// say) both land, numbered in the order they committed. Each read the feed's highest number;
/// the second's insert used to fail on the key: a 500 for the claim, or a failed timer pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_added_at_once_to_one_feed_both_land_in_commit_order() {
    use baton::db::schema::widget_notices;
    use diesel::prelude::*;
    if !crate::helpers::postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let v = start_visitor(&app, widget["public_key"].as_str().unwrap()).await;
    let url = baton::config::DatabaseUrl::parse(Some(&app.db.url)).unwrap();
    let db = baton::db::Db::connect(&url, 2).unwrap();
    let session = v.session_id.clone();

    // The first holds its notice uncommitted for a while; the second comes in meanwhile.
    let first = {
        let (db, session) = (db.clone(), session.clone());
        std::thread::spawn(move || {
            db.write_blocking(move |c| {
                baton::db::widgets::notice(c, &session, "test.first", "first", None)?;
                std::thread::sleep(Duration::from_millis(600));
                Ok(())
            })
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = {
        let (db, session) = (db.clone(), session.clone());
        tokio::task::spawn_blocking(move || {
            db.write_blocking(move |c| {
                baton::db::widgets::notice(c, &session, "test.second", "second", None)
            })
        })
        .await
        .unwrap()
    };
    first.join().unwrap().expect("the first notice");
    second.expect("the second notice, added while the first was uncommitted");

    let feed: Vec<(i64, String)> = db
        .write_blocking(move |c| {
            Ok(widget_notices::table
                .filter(widget_notices::session_id.eq(&session))
                .order(widget_notices::seq.asc())
                .select((widget_notices::seq, widget_notices::kind))
                .load(c)?)
        })
        .unwrap();
    let kinds: Vec<&str> = feed.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["test.first", "test.second"],
        "{feed:?}"
    );
    let seqs: Vec<i64> = feed.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "{feed:?}"
    );
}

backend_tests!(
    a_visitor_nobody_answered_in_time_reads_the_apology,
    a_waiting_visitor_hears_the_queue_and_replies_from_any_replica,
    a_german_visitor_gets_the_german_off_hours_text_in_the_teams_zone,
    admins_set_what_customers_are_told_per_team_and_language,
    a_visitor_chats_with_the_ai_and_a_person_through_the_widget,
    a_visitor_token_reaches_its_own_conversation_only,
    a_revoked_widget_key_ends_open_streams_and_starts_nothing,
    widget_keys_are_for_admins_and_check_their_fields,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_the_widget_look_without_starting_a_conversation() {
    let app = spawn_app(Backend::Sqlite).await;
    let root = app.login("root").await;
    let widget = create_widget(&app, &root).await;
    let path = format!(
        "/widget/v1/widgets/{}",
        widget["public_key"].as_str().unwrap()
    );
    let get = |origin: &'static str| {
        app.client
            .get(app.url(&path))
            .header("Origin", origin)
            .send()
    };
    let (status, body) = read(get(SHOP).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"title": "Ask the shop", "welcome": "Hi! How can we help?"})
    );
    let (status, body) = read(get("http://evil.test").await.unwrap()).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = app.get("/widget/v1/widgets/pk_nope", "").await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (_, sessions) = app.get("/v1/inbox", &root).await;
    assert!(
        !sessions.to_string().contains("web_"),
        "no session was started by looking: {sessions}"
    );
}
