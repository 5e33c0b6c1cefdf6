//! The inbox's cookie sessions with CSRF protection, and the live event stream.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    an_inbox_cookie_works_only_with_its_csrf_token_for_changes,
    a_wrong_inbox_password_shows_the_sign_in_page_again,
    the_event_stream_carries_only_visible_changes_and_resumes_after_a_reconnect,
    an_approval_is_decided_from_its_conversation_page,
    the_queue_counts_follow_every_change_and_agree_with_the_lists,
    the_timeline_shows_who_handed_the_conversation_to_whom,
    an_admin_takes_over_a_conversation_another_reviewer_holds,
);

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Signs in through the inbox form; returns the `Cookie` header value.
pub async fn inbox_sign_in(app: &TestApp, client: &reqwest::Client, name: &str) -> String {
    let res = client
        .post(app.url("/inbox/login"))
        .form(&[
            ("name", name),
            ("password", PASSWORD),
            ("next", "/inbox?view=mine"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/inbox?view=mine");
    let set = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with("baton_session=brt_"), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    set.split(';').next().unwrap().to_string()
}

fn meta_csrf(html: &str) -> String {
    let start = html
        .find(r#"<meta name="csrf-token" content=""#)
        .expect("the page carries a CSRF token")
        + r#"<meta name="csrf-token" content=""#.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn an_inbox_cookie_works_only_with_its_csrf_token_for_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let client = no_redirects();

    let res = client.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "anonymous visitors sign in first"
    );
    assert!(res.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/inbox/login?next="));

    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let res = client
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let page = res.text().await.unwrap();
    assert!(page.contains("Signed in as"), "{page}");
    let csrf = meta_csrf(&page);

    let session = "csrf 1";
    app.turn(session, "user", "hello").await;
    let (status, _) = app
        .takeover(session, &receiver.url("/reply"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let claim = app.url(&format!("/v1/sessions/{}/claim", enc(session)));

    // Reading needs no token.
    let res = client
        .get(app.url("/v1/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["counts"]["waiting"], 1);

    for sent in [None, Some("wrong"), Some(csrf.as_str()).map(|c| &c[1..])] {
        let mut req = client.post(claim.clone()).header(COOKIE, &cookie);
        if let Some(t) = sent {
            req = req.header("X-CSRF-Token", t);
        }
        let (status, body) = read(req.send().await.unwrap()).await;
        assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
        assert!(body["detail"].as_str().unwrap().contains("CSRF"), "{body}");
    }
    let (_, state) = app
        .get(&format!("/v1/sessions/{}", enc(session)), &app.api_key)
        .await;
    assert_eq!(
        state["status"], "human_requested",
        "refused claims changed nothing"
    );

    // Another reviewer's token does not fit this cookie.
    let bob_cookie = inbox_sign_in(&app, &client, "bob").await;
    let (status, body) = read(
        client
            .post(claim.clone())
            .header(COOKIE, &bob_cookie)
            .header("X-CSRF-Token", &csrf)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let (status, body) = read(
        client
            .post(claim.clone())
            .header(COOKIE, &cookie)
            .header("X-CSRF-Token", &csrf)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assigned_to"], "alice");

    // Sign-out is a form: without `_csrf` it is refused, with it the cookie stops working.
    let logout = app.url("/inbox/logout");
    let (status, body) = read(
        client
            .post(logout.clone())
            .header(COOKIE, &cookie)
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let res = client
        .post(logout)
        .header(COOKIE, &cookie)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("baton_session=;"));
    let res = client
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
    let (status, body) = read(
        client
            .get(app.url("/v1/inbox"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn a_wrong_inbox_password_shows_the_sign_in_page_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = no_redirects()
        .post(app.url("/inbox/login"))
        .form(&[("name", "alice"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(SET_COOKIE).is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains("wrong name or password"), "{page}");
    assert!(
        page.contains(r#"value="alice""#),
        "the name is kept: {page}"
    );
}

/// A minimal server-sent events reader.
struct Events {
    res: reqwest::Response,
    buf: String,
}

#[derive(Debug)]
struct Event {
    id: Option<String>,
    name: String,
    data: Value,
}

impl Events {
    async fn open(app: &TestApp, token: &str, last_id: Option<&str>) -> Events {
        Events::open_at(app, &app.base, token, last_id).await
    }

    async fn open_at(app: &TestApp, base: &str, token: &str, last_id: Option<&str>) -> Events {
        let mut req = app
            .client
            .get(format!("{base}/v1/events"))
            .bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[CONTENT_TYPE], "text/event-stream");
        Events {
            res,
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` after `wait` without one.
    async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = Event {
                    id: None,
                    name: "message".into(),
                    data: Value::Null,
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        event.id = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event.name = v.to_string();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        event.data = serde_json::from_str(v).unwrap();
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => panic!("the event stream ended"),
                Err(_) => return None,
            }
        }
    }
}

async fn the_event_stream_carries_only_visible_changes_and_resumes_after_a_reconnect(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    // The first turns come before any takeover, when nobody may see them yet.
    app.turn("support-1", "user", "help").await;
    app.turn("billing-1", "user", "invoice?").await;
    let mut alice_events = Events::open(&app, &alice, None).await;
    let mut carol_events = Events::open(&app, &carol, None).await;

    let (status, _) = app
        .takeover("support-1", &receiver.url("/reply"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .takeover(
            "billing-1",
            &receiver.url("/reply"),
            json!({"assignee": "billing"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let wait = Duration::from_secs(5);
    let first = alice_events
        .next(wait)
        .await
        .expect("alice hears the takeover");
    assert_eq!(first.name, "session");
    assert_eq!(first.data["session_id"], "support-1");
    assert_eq!(first.data["kind"], "takeover");
    assert_eq!(
        first.id.as_deref(),
        Some(first.data["id"].to_string().as_str())
    );
    let seen = first.id.clone().unwrap();
    let heard = carol_events.next(wait).await.expect("carol hears hers");
    assert_eq!(
        heard.data["session_id"], "billing-1",
        "carol never hears of support's conversation"
    );
    assert!(
        alice_events
            .next(Duration::from_millis(500))
            .await
            .is_none(),
        "alice never hears of billing's conversation"
    );

    // While alice is away, the customer writes; reconnecting with Last-Event-ID catches up.
    drop(alice_events);
    let (status, _) = app.turn("support-1", "user", "anyone there?").await;
    assert_eq!(status, StatusCode::CREATED);
    let mut again = Events::open(&app, &alice, Some(&seen)).await;
    let missed = again
        .next(wait)
        .await
        .expect("the missed event is replayed");
    assert_eq!(missed.data["session_id"], "support-1");
    assert_eq!(missed.data["kind"], "message");
    assert!(missed.data["id"].as_u64().unwrap() > seen.parse::<u64>().unwrap());

    // And live ones follow on the same stream.
    let (status, _) = app
        .post(
            &format!("/v1/sessions/{}/claim", enc("support-1")),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let live = again.next(wait).await.expect("the claim arrives");
    assert_eq!(live.data["kind"], "claimed");

    // An id older than anything kept asks the client to reload.
    let mut stale = Events::open(&app, &alice, Some("1")).await;
    let reset = stale.next(wait).await.expect("a reset");
    assert_eq!(reset.name, "reset");

    // Integrations have no stream.
    let (status, body) = app.get("/v1/events", &app.api_key).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
}

/// With PostgreSQL, a change made through one replica reaches reviewers connected to another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_on_one_postgres_replica_reaches_reviewers_on_another() {
    if !postgres_available() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let other = app.spawn_replica();
    let receiver = Receiver::start();
    let alice = app.login("alice").await;
    app.turn("replicated", "user", "hello").await;
    let mut on_other = Events::open_at(&app, &other.base, &alice, None).await;
    // The replica's listener connects in the background: retry until it relays.
    let (status, _) = app
        .takeover("replicated", &receiver.url("/reply"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut heard = on_other.next(Duration::from_secs(5)).await;
    let mut n = 0;
    while heard.is_none() && n < 5 {
        app.turn("replicated", "user", "still there?").await;
        heard = on_other.next(Duration::from_secs(3)).await;
        n += 1;
    }
    let heard = heard.expect("the other replica relays the change");
    assert_eq!(heard.name, "session");
    assert_eq!(heard.data["session_id"], "replicated");
    assert!(
        heard.data["kind"] == "takeover" || heard.data["kind"] == "message",
        "{:?}",
        heard.data
    );
}

async fn an_approval_is_decided_from_its_conversation_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let resume = Receiver::start();
    let (s, t) = app
        .takeover(
            "appr-page",
            &resume.url("/resume"),
            json!({"mode": "approval", "proposal": {"refund": 40}, "decisions": ["approve", "reject"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "alice").await;
    let page = client
        .get(app.url("/inbox/sessions/appr-page"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let endpoint = format!("/v1/takeovers/{}/decision", t["id"].as_str().unwrap());
    assert!(
        page.contains(&format!(r#"data-endpoint="{endpoint}""#)),
        "no decision form:\n{page}"
    );
    assert!(page.contains(r#"value="approve""#) && page.contains(r#"value="reject""#));
    assert!(
        !page.contains(r#"value="edit""#),
        "edit was not allowed for this approval"
    );
    // what the form's script sends: the cookie and the page's CSRF token
    let r = client
        .post(app.url(&endpoint))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", meta_csrf(&page))
        .json(&json!({"decision": "approve", "comment": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got = resume.wait_for("the decision", |g| !g.is_empty()).await;
    assert_eq!(got[0].body["decision"], "approve");
    let page = client
        .get(app.url("/inbox/sessions/appr-page"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Approval decided"), "{page}");
    assert!(!page.contains("data-endpoint="));
}

/// Every reviewer's tab counts (kept by triggers and folded by the timer) against the lists the
/// same views return, after each kind of change and after concurrent ones.
async fn the_queue_counts_follow_every_change_and_agree_with_the_lists(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = "http://127.0.0.1:9/hook";
    let mut tokens = Vec::new();
    for who in ["alice", "bob", "carol", "root"] {
        tokens.push((who, app.login(who).await));
    }
    // Counts as listed: (waiting, mine, team) per reviewer.
    let check = |step: &'static str| {
        let (app, tokens) = (&app, &tokens);
        async move {
            let mut seen = Vec::new();
            for (who, token) in tokens {
                let (status, page) = app.get("/v1/inbox?view=waiting&limit=500", token).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                let counts = page["counts"].clone();
                let mut listed = Vec::new();
                for view in ["waiting", "mine", "team"] {
                    let (_, p) = app
                        .get(&format!("/v1/inbox?view={view}&limit=500"), token)
                        .await;
                    listed.push(p["items"].as_array().unwrap().len() as i64);
                }
                let counted = [
                    counts["waiting"].as_i64().unwrap(),
                    counts["mine"].as_i64().unwrap(),
                    counts["team"].as_i64().unwrap(),
                ];
                assert_eq!(counted.to_vec(), listed, "{step}: {who}'s counts {counts}");
                seen.push((*who, counted));
            }
            seen
        }
    };
    let counts_of =
        |seen: &[(&str, [i64; 3])], who: &str| seen.iter().find(|(w, _)| *w == who).unwrap().1;

    for (session, assignee) in [
        ("count-support", json!("support")),
        ("count-billing", json!("billing")),
        ("count-alice", json!("alice")),
        ("count-nobody", Value::Null),
    ] {
        let (status, body) = app
            .takeover(session, hook, json!({"assignee": assignee}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let seen = check("requested").await;
    assert_eq!(
        counts_of(&seen, "alice"),
        [3, 0, 3],
        "support, her own, nobody's"
    );
    assert_eq!(counts_of(&seen, "carol"), [2, 0, 2], "billing, nobody's");
    assert_eq!(counts_of(&seen, "root"), [4, 0, 4], "admins see all");

    let alice = &tokens[0].1;
    let bob = &tokens[1].1;
    let (status, _) = app
        .post("/v1/sessions/count-support/claim", alice, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen = check("claimed").await;
    assert_eq!(counts_of(&seen, "alice"), [2, 1, 3]);
    app.post("/v1/sessions/count-support/release", alice, json!({}))
        .await;
    check("released").await;
    app.post("/v1/sessions/count-support/claim", bob, json!({}))
        .await;
    let (status, body) = app
        .post(
            "/v1/sessions/count-support/transfer",
            bob,
            json!({"to": "billing"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = check("transferred").await;
    assert_eq!(counts_of(&seen, "carol"), [3, 0, 3]);
    assert_eq!(
        counts_of(&seen, "bob"),
        [1, 0, 1],
        "only nobody's is left for bob"
    );
    app.post("/v1/sessions/count-alice/claim", alice, json!({}))
        .await;
    let (status, body) = app
        .post(
            "/v1/sessions/count-alice/handback",
            alice,
            json!({"summary": "done"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post("/v1/sessions/count-nobody/close", &app.api_key, json!({}))
        .await;
    assert!(status.is_success(), "{body}");
    let seen = check("handed back and closed").await;
    assert_eq!(counts_of(&seen, "root"), [2, 0, 2]);
    let (status, body) = app
        .takeover("count-expiring", hook, json!({"timeout": "1s"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, s) = app.get("/v1/sessions/count-expiring", &app.api_key).await;
        if s["status"] != "human_requested" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never expired: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check("timed out").await;

    // Many at once: 24 requests, then claims racing for them.
    let sessions: Vec<String> = (0..24).map(|i| format!("count-burst-{i}")).collect();
    let requests = sessions.iter().map(|s| app.takeover(s, hook, json!({})));
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let shared = &app;
    let claims = sessions.iter().enumerate().map(|(i, s)| {
        let who = if i % 2 == 0 { alice } else { bob };
        let path = format!("/v1/sessions/{s}/claim");
        async move { shared.post(&path, who, json!({})).await }
    });
    futures_util::future::join_all(claims).await;
    let seen = check("after the burst").await;
    assert_eq!(counts_of(&seen, "root")[2], 26);
    // The timer folds the rows; the counts stay what they were.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let folded = check("folded").await;
    assert_eq!(folded, seen);
}

/// Claims, transfers (with their note), releases and handbacks used to leave no trace in the
/// conversation: they are now lines of its timeline, between the messages, naming who.
async fn the_timeline_shows_who_handed_the_conversation_to_whom(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, _) = app.turn("trail", "user", "I want my money back").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .takeover("trail", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let ok = |(s, b): (StatusCode, Value)| assert!(s.is_success(), "{s} {b}");
    ok(app
        .post("/v1/sessions/trail/claim", &alice, json!({}))
        .await);
    ok(app
        .post(
            "/v1/sessions/trail/replies",
            &alice,
            json!({"content": "Let me check"}),
        )
        .await);
    ok(app
        .post(
            "/v1/sessions/trail/transfer",
            &alice,
            json!({"to": "billing", "note": "needs a refund"}),
        )
        .await);
    ok(app
        .post("/v1/sessions/trail/claim", &carol, json!({}))
        .await);
    ok(app
        .post(
            "/v1/sessions/trail/handback",
            &carol,
            json!({"summary": "refunded"}),
        )
        .await);
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "root").await;
    let html = client
        .get(app.url("/inbox/sessions/trail"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let order = [
        "I want my money back",
        "The chatbot asked for a person",
        "Alice joined the conversation",
        "Let me check",
        "Alice transferred it to billing: “needs a refund”",
        "Carol joined the conversation",
        "Carol handed it back to the AI",
    ];
    let mut at = 0;
    for text in order {
        let found = html[at..]
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not after position {at}:\n{html}"));
        at += found + text.len();
    }
    // "Recently handed back" says from whom.
    let queue = client
        .get(app.url("/inbox?view=handed_back"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("Handed back from <strong>Carol</strong>"),
        "{queue}"
    );
}

/// A lead steps in: an admin takes over a conversation Alice holds. Bob (not an admin) may not;
/// after the take-over Alice's replies are refused naming the admin, the customer hears who
/// joined, the audit names both, and the timeline says so.
async fn an_admin_takes_over_a_conversation_another_reviewer_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app.takeover("lead", &hook.url("/hook"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    let (s, _) = app.post("/v1/sessions/lead/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    // Without take_over, a claim of a held conversation is refused as before, admin or not.
    let (s, p) = app.post("/v1/sessions/lead/claim", &root, json!({})).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "already-claimed");
    let (s, p) = app
        .post("/v1/sessions/lead/claim", &bob, json!({"take_over": true}))
        .await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, claimed) = app
        .post("/v1/sessions/lead/claim", &root, json!({"take_over": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["assigned_to"], "root");
    let (s, p) = app
        .post(
            "/v1/sessions/lead/replies",
            &alice,
            json!({"content": "still me?"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::CONFLICT, "already-claimed");
    assert_eq!(p["held_by"], "root", "{p}");
    let (s, _) = app
        .post(
            "/v1/sessions/lead/replies",
            &root,
            json!({"content": "I am the team lead"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The customer's channel heard both joins.
    let got = hook
        .wait_for("two joins and the reply", |g| g.len() >= 3)
        .await;
    let joined: Vec<&str> = got
        .iter()
        .filter(|r| r.body["type"] == "takeover.claimed")
        .map(|r| r.body["reviewer"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(joined, ["alice", "root"]);
    let (_, audit) = app
        .get(
            "/v1/audit?session_id=lead&action=takeover.taken_over",
            &root,
        )
        .await;
    let entries = audit.as_array().expect("a JSON array");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], "reviewer:root");
    assert_eq!(entries[0]["detail"]["from"], "alice");
    let client = no_redirects();
    let cookie = inbox_sign_in(&app, &client, "root").await;
    let html = client
        .get(app.url("/inbox/sessions/lead"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("took it over from Alice"), "{html}");
}
