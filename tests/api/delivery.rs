//! Callbacks survive receivers that are down or failing, and Baton itself dying.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    a_reply_accepted_while_the_receiver_is_down_arrives_once_it_is_up,
    a_failing_receiver_gets_retries_with_the_same_webhook_id_in_order,
    a_reply_accepted_before_a_crash_is_delivered_after_restart,
    subscriptions_receive_the_events_they_chose,
    replies_sent_at_once_arrive_once_each_in_the_order_they_were_accepted,
    the_handback_waits_for_the_replies_sent_elsewhere,
    the_delivery_log_shows_no_receiver_answer_and_no_credentials,
    a_failing_reply_shows_retrying_then_failed_and_retry_now_delivers_it,
    deliveries_stay_listed_after_their_subscription_is_deleted,
);

async fn claimed_session(app: &TestApp, session: &str, hook: &str) -> String {
    let (s, t) = app.takeover(session, hook, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let alice = app.login("alice").await;
    let (s, _) = app
        .post(&format!("/v1/sessions/{session}/claim"), &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    alice
}

async fn a_reply_accepted_while_the_receiver_is_down_arrives_once_it_is_up(backend: Backend) {
    let app = spawn_app(backend).await;
    let port = free_port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let alice = claimed_session(&app, "down", &hook).await;
    for text in ["first", "second", "third"] {
        let (s, _) = app
            .post(
                "/v1/sessions/down/replies",
                &alice,
                json!({"content": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let receiver = Receiver::start_on(port, vec![]);
    let got = receiver
        .wait_for("three replies", |g| {
            Receiver::of_type(g, "reply").len() >= 3
        })
        .await;
    let texts: Vec<_> = Receiver::of_type(&got, "reply")
        .iter()
        .map(|r| r.body["message"]["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, vec!["first", "second", "third"]);
    assert_eq!(got[0].body["type"], "takeover.claimed");
    assert!(got.iter().all(|r| verify_signature(&app.signing_secret, r)));
}

async fn a_failing_receiver_gets_retries_with_the_same_webhook_id_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    // the claimed notice fails twice, then everything succeeds
    receiver.answer_next(vec![500, 503]);
    let alice = claimed_session(&app, "flaky", &receiver.url("/hook")).await;
    let (s, _) = app
        .post(
            "/v1/sessions/flaky/replies",
            &alice,
            json!({"content": "after the claim"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let got = receiver
        .wait_for("the reply", |g| !Receiver::of_type(g, "reply").is_empty())
        .await;
    let claimed = Receiver::of_type(&got, "takeover.claimed");
    assert_eq!(claimed.len(), 3, "two failures then success");
    assert!(claimed
        .iter()
        .all(|c| c.webhook_id == claimed[0].webhook_id));
    // the reply waited for the claimed notice: nothing after it was sent before it succeeded
    let types: Vec<_> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        vec![
            "takeover.claimed",
            "takeover.claimed",
            "takeover.claimed",
            "reply"
        ]
    );
    // The two refusals are warnings (an operator grepping for them finds them), written
    // without terminal colours into a file.
    let log = app.log();
    let warnings = log
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("callback refused by its receiver"))
        .count();
    assert_eq!(warnings, 2, "{log}");
    assert!(!log.contains('\u{1b}'), "no ANSI escapes in a log file");
}

async fn a_reply_accepted_before_a_crash_is_delivered_after_restart(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let port = free_port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let alice = claimed_session(&app, "crash", &hook).await;
    let (s, reply) = app
        .post(
            "/v1/sessions/crash/replies",
            &alice,
            json!({"content": "do not lose me"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.kill();
    let receiver = Receiver::start_on(port, vec![]);
    app.restart();
    let got = receiver
        .wait_for("the reply after restart", |g| {
            !Receiver::of_type(g, "reply").is_empty()
        })
        .await;
    let r = &Receiver::of_type(&got, "reply")[0];
    assert_eq!(r.body["message"]["id"], reply["message"]["id"]);
    assert_eq!(r.webhook_id, reply["delivery_id"].as_str().unwrap());
}

async fn subscriptions_receive_the_events_they_chose(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let sub = Receiver::start();
    let (s, created) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": sub.url("/sub"), "events": ["takeover.claimed", "session.handed_back"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let (_, list) = app.get("/v1/webhooks", &app.api_key).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("secret").is_none());

    let alice = claimed_session(&app, "subbed", &hook.url("/hook")).await;
    app.post(
        "/v1/sessions/subbed/replies",
        &alice,
        json!({"content": "hello"}),
    )
    .await;
    app.post(
        "/v1/sessions/subbed/handback",
        &alice,
        json!({"summary": "done"}),
    )
    .await;
    let got = sub
        .wait_for("claimed and handed back", |g| g.len() >= 2)
        .await;
    let types: Vec<_> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, vec!["takeover.claimed", "session.handed_back"]);
    assert!(got.iter().all(|r| verify_signature(&secret, r)));
    assert!(!got.iter().any(|r| verify_signature(&app.signing_secret, r)));

    let (s, p) = app
        .post(
            "/v1/webhooks",
            &app.api_key,
            json!({"url": sub.url("/x"), "events": ["nonsense"]}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "events[0]");
    let id = created["id"].as_str().unwrap();
    let r = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A reply that heads its lane is sent straight from the request that committed it; the ones
/// behind it wait for the worker. Fired together (some answered 500 and retried), they still
/// arrive in the order of their sequence numbers, each once.
async fn replies_sent_at_once_arrive_once_each_in_the_order_they_were_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let alice = claimed_session(&app, "burst", &receiver.url("/hook")).await;
    receiver
        .wait_for("the claim notice", |g| !g.is_empty())
        .await;
    receiver.answer_next(vec![200, 200, 500, 200, 200, 503]);
    let (app_ref, alice_ref) = (&app, &alice);
    let replies = (0..30).map(|i| async move {
        app_ref
            .post(
                "/v1/sessions/burst/replies",
                alice_ref,
                json!({"content": format!("reply {i}")}),
            )
            .await
    });
    let mut accepted = Vec::new();
    for (status, body) in futures_util::future::join_all(replies).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        accepted.push(body["message"]["seq"].as_i64().unwrap());
    }
    accepted.sort_unstable();
    // Count distinct webhook-ids, not posts: retries repeat an id, and counting them could stop
    // the wait before the last replies arrived (seen once on a busy 2-core machine).
    let distinct = |g: &[Received]| {
        let ids: std::collections::HashSet<String> = Receiver::of_type(g, "reply")
            .iter()
            .map(|r| r.webhook_id.clone())
            .collect();
        ids.len()
    };
    let got = receiver
        .wait_for_within("30 distinct replies", Duration::from_secs(90), |g| {
            distinct(g) >= accepted.len()
        })
        .await;
    let replies = Receiver::of_type(&got, "reply");
    // Each webhook-id once among the successes; retries repeat only a failed one.
    let mut delivered: Vec<i64> = Vec::new();
    let mut last_id = String::new();
    for r in &replies {
        let seq = r.body["message"]["seq"].as_i64().unwrap();
        if r.webhook_id == last_id {
            assert_eq!(
                delivered.last(),
                Some(&seq),
                "a retry repeats its own reply"
            );
            continue;
        }
        last_id = r.webhook_id.clone();
        delivered.push(seq);
    }
    assert_eq!(delivered, accepted, "every reply once, in sequence order");
}

/// With `handback_signal` apart from `reply_webhook`, the handback used to be delivered while the
/// person's replies still waited for a retry: the AI had the turn back before the customer had
/// read the person. Now the handback (and the close) wait for every earlier callback of the
/// session, whatever its destination.
async fn the_handback_waits_for_the_replies_sent_elsewhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let replies = Receiver::start();
    let handback = Receiver::start();
    // The reply webhook fails its first four requests (the claimed notice's, then the reply's).
    replies.answer_next(vec![500, 503, 500, 503]);
    let (s, t) = app
        .takeover(
            "apart",
            &replies.url("/reply"),
            json!({"handback_signal": handback.url("/handback")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let alice = app.login("alice").await;
    let (s, _) = app
        .post("/v1/sessions/apart/claim", &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    for text in ["one moment", "your refund is on its way"] {
        let (s, _) = app
            .post(
                "/v1/sessions/apart/replies",
                &alice,
                json!({"content": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, p) = app
        .post(
            "/v1/sessions/apart/handback",
            &alice,
            json!({"summary": "refund issued"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let got = handback
        .wait_for("the handback", |g| {
            !Receiver::of_type(g, "session.handed_back").is_empty()
        })
        .await;
    let handed_back = &Receiver::of_type(&got, "session.handed_back")[0];
    let before: Vec<String> = replies
        .received()
        .iter()
        .filter(|r| r.at < handed_back.at)
        .map(|r| {
            r.body["message"]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    // Four failures, then the claimed notice and both replies, all before the handback.
    assert_eq!(before.len(), 7, "{before:?}");
    assert_eq!(
        before[5..],
        [
            "one moment".to_string(),
            "your refund is on its way".to_string()
        ]
    );
}

/// Any API-key holder could point a callback at an internal service and read its answer in the
/// delivery log. The log now keeps status and timing only, and shows URLs without
/// `user:password@`; an operator may opt in to excerpts, which only admins see.
async fn the_delivery_log_shows_no_receiver_answer_and_no_credentials(backend: Backend) {
    for keep in [false, true] {
        let options = if keep {
            Options::with(&[("BATON_DELIVERY_EXCERPTS", "true")])
        } else {
            Options::default()
        };
        let app = spawn_app_with(backend, options).await;
        let receiver = Receiver::start();
        let hook = format!("http://n8n:s3cret@127.0.0.1:{}/hook", receiver.port);
        claimed_session(&app, "internal", &hook).await;
        receiver
            .wait_for("the claimed notice", |g| !g.is_empty())
            .await;
        let key = app.api_key.clone();
        let root = app.login("root").await;
        let (s, page) = app.get("/v1/deliveries?session_id=internal", &key).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let id = page["items"][0]["id"].as_str().unwrap().to_string();
        for (who, token) in [("api key", &key), ("admin", &root)] {
            let mut d = serde_json::Value::Null;
            for _ in 0..50 {
                let (_, got) = app.get(&format!("/v1/deliveries/{id}"), token).await;
                d = got;
                if d["status"] == "delivered" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(d["status"], "delivered", "{d}");
            let text = d.to_string();
            assert!(
                !text.contains("s3cret") && !text.contains("n8n:"),
                "{who}: {d}"
            );
            assert_eq!(d["url"], format!("http://127.0.0.1:{}/hook", receiver.port));
            let excerpt = &d["attempt_log"][0]["response_excerpt"];
            if keep && who == "admin" {
                assert_eq!(excerpt, "ok", "{who}: {d}");
            } else {
                assert!(excerpt.is_null(), "keep={keep} {who}: {d}");
            }
        }
        // The receiver still got the credentials it was given.
        assert_eq!(receiver.received()[0].path, "/hook");
    }
}

/// The reviewer sees where a reply stands: "Sent · not yet delivered" for a day was all there
/// was. Now the conversation page says which attempt failed and why and when the next goes,
/// then that it failed, and "Retry now" (`POST …/replies/{id}/retry`) sends it at once.
async fn a_failing_reply_shows_retrying_then_failed_and_retry_now_delivers_it(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options::with(&[("BATON_RETRY_SCHEDULE", "2s,300ms")]),
    )
    .await;
    let receiver = Receiver::start();
    let alice = claimed_session(&app, "failing", &receiver.url("/hook")).await;
    receiver
        .wait_for("the claimed notice", |g| !g.is_empty())
        .await;
    receiver.answer_next(vec![500, 503, 500]);
    let (s, reply) = app
        .post(
            "/v1/sessions/failing/replies",
            &alice,
            json!({"content": "your refund is on its way"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let message = reply["message"]["id"].as_str().unwrap().to_string();
    let client = crate::inbox::no_redirects();
    let cookie = crate::inbox::inbox_sign_in(&app, &client, "alice").await;
    let page = || async {
        client
            .get(app.url("/inbox/sessions/failing"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // First attempt failed; the next is 2 s away.
    receiver
        .wait_for("the first attempt", |g| g.len() >= 2)
        .await;
    let mut html = String::new();
    for _ in 0..40 {
        html = page().await;
        if html.contains("attempt 1 failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        html.contains(
            "Not delivered yet: the webhook answered HTTP 500 · attempt 1 failed · next try"
        ),
        "{html}"
    );
    assert!(html.contains("Retry now"), "{html}");
    // All three attempts fail: the reply is parked.
    receiver.wait_for("three attempts", |g| g.len() >= 4).await;
    for _ in 0..60 {
        html = page().await;
        if html.contains("Not delivered after 3 attempts") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        html.contains("Not delivered after 3 attempts: the webhook answered HTTP 500"),
        "{html}"
    );
    // Carol (another team) cannot; Alice can, and the reply arrives with its webhook-id.
    let carol = app.login("carol").await;
    let retry = format!("/v1/sessions/failing/replies/{message}/retry");
    let (s, _) = app.post(&retry, &carol, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, d) = app.post(&retry, &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "pending");
    let got = receiver
        .wait_for("the retried reply", |g| g.len() >= 5)
        .await;
    assert_eq!(got[4].webhook_id, reply["delivery_id"].as_str().unwrap());
    for _ in 0..60 {
        html = page().await;
        if html.contains("✓ Delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(html.contains("✓ Delivered"), "{html}");
    // Delivered: nothing to retry.
    let (s, p) = app.post(&retry, &alice, json!({})).await;
    assert_problem(s, &p, StatusCode::CONFLICT, "conflict");
}

/// Deleting a subscription used to take the deliveries it had received out of
/// `GET /v1/deliveries` (4 of 8 rows were listed). They stay; the subscription itself is gone
/// from `GET /v1/webhooks`, receives nothing more, and cannot be deleted twice.
async fn deliveries_stay_listed_after_their_subscription_is_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let sub = Receiver::start();
    let key = app.api_key.clone();
    let (s, created) = app
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": sub.url("/sub"), "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let alice = claimed_session(&app, "kept", &hook.url("/hook")).await;
    let (s, _) = app
        .post(
            "/v1/sessions/kept/replies",
            &alice,
            json!({"content": "hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    sub.wait_for("claimed and reply", |g| g.len() >= 2).await;
    hook.wait_for("claimed and reply", |g| g.len() >= 2).await;
    let listed = |page: &serde_json::Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "delivered")
            .count()
    };
    // The receivers have them; Baton records each attempt right after its answer.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, before) = app.get("/v1/deliveries?session_id=kept", &key).await;
        if listed(&before) == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{before}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = created["id"].as_str().unwrap();
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            &key,
            json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, after) = app.get("/v1/deliveries?session_id=kept", &key).await;
    assert_eq!(listed(&after), 4, "{after}");
    let (_, subs) = app.get("/v1/webhooks", &key).await;
    assert_eq!(subs["items"].as_array().map(Vec::len), Some(0), "{subs}");
    let (s, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            &key,
            json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // It receives nothing more.
    let (s, _) = app
        .post(
            "/v1/sessions/kept/replies",
            &alice,
            json!({"content": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    hook.wait_for("the second reply", |g| g.len() >= 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sub.received().len(), 2);
}
