//! Bad input gets a precise problem document, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    bad_inputs_get_precise_problems,
    credentials_are_checked,
    a_session_id_that_is_not_utf8_is_refused_not_merged,
);

async fn bad_inputs_get_precise_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.api_key.clone();

    // missing field
    let (s, p) = app
        .post("/v1/takeovers", &key, json!({"session_id": "x"}))
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "reply_webhook", "{p}");

    // unknown field
    let (s, p) = app
        .post(
            "/v1/takeovers",
            &key,
            json!({"session_id": "x", "reply_webhook": "http://127.0.0.1/x", "colour": "red"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "colour", "{p}");

    // several bad values are all named
    let (s, p) = app
        .post(
            "/v1/takeovers",
            &key,
            json!({"session_id": "", "reply_webhook": "ftp://example.org/x", "timeout": "3 weeks", "priority": 99}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let mut fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec!["priority", "reply_webhook", "session_id", "timeout"],
        "{p}"
    );

    for (timeout, ok) in [
        (json!("90s"), true),
        (json!(3600), true),
        (json!(0), false),
        (json!("31d"), false),
        (json!("soon"), false),
    ] {
        let (s, p) = app
            .takeover(
                &format!("t-{timeout}"),
                "http://127.0.0.1:9/x",
                json!({"timeout": timeout}),
            )
            .await;
        if ok {
            assert_eq!(s, StatusCode::CREATED, "{timeout}: {p}");
        } else {
            assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
            assert_eq!(p["errors"][0]["field"], "timeout");
        }
    }

    // metadata addresses are refused as callback targets
    let (s, p) = app
        .takeover("meta", "http://169.254.169.254/latest", json!({}))
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "reply_webhook");

    // unknown assignee is named
    let (s, p) = app
        .takeover(
            "nobody",
            "http://127.0.0.1:9/x",
            json!({"assignee": "night-shift"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert!(p["detail"].as_str().unwrap().contains("night-shift"));
    // ...and nothing was created by the refused request
    let (s, _) = app.get("/v1/sessions/nobody", &key).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // unknown session and takeover
    let (s, p) = app.get("/v1/sessions/never-seen", &key).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");
    let (s, p) = app.get("/v1/takeovers/not-a-uuid", &key).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, p) = app
        .get(&format!("/v1/takeovers/{}", uuid::Uuid::new_v4()), &key)
        .await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");

    // turn gate: bad sender, empty content, reviewer sender
    for body in [
        json!({"sender": "bot", "content": "x"}),
        json!({"sender": "user", "content": "   "}),
        json!({"sender": "human:alice", "content": "x"}),
        json!({"sender": "user"}),
    ] {
        let (s, p) = app
            .post("/v1/sessions/t/messages", &key, body.clone())
            .await;
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    }

    // malformed JSON, wrong content type, empty body, too large, wrong method, unknown path
    let r = app
        .client
        .post(app.url("/v1/takeovers"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{\"session_id\": ")
        .send()
        .await
        .unwrap();
    let (s, p) = read(r).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "malformed-json");
    let r = app
        .client
        .post(app.url("/v1/takeovers"))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let (s, p) = read(r).await;
    assert_problem(
        s,
        &p,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    let r = app
        .client
        .post(app.url("/v1/takeovers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (s, p) = read(r).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "malformed-json");
    let huge = json!({"sender": "user", "content": "x".repeat(3 << 20)});
    let (s, p) = app.post("/v1/sessions/t/messages", &key, huge).await;
    assert_problem(s, &p, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    let r = app
        .client
        .delete(app.url("/v1/takeovers"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (s, _) = read(r).await;
    assert!(
        s == StatusCode::METHOD_NOT_ALLOWED || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, p) = app.get("/v1/nothing-here", &key).await;
    assert_problem(s, &p, StatusCode::NOT_FOUND, "not-found");

    // paging bounds
    app.turn("paged", "user", "one").await;
    let (s, p) = app.get("/v1/sessions/paged/messages?limit=0", &key).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, p) = app.get("/v1/sessions/paged/messages?after=abc", &key).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");

    // a session id of 256 characters is refused, 255 accepted
    let (s, _) = app.turn(&"x".repeat(255), "user", "ok").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, p) = app.turn(&"x".repeat(256), "user", "ok").await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");

    // nothing above was a server error
    assert!(
        !app.log().contains("request failed"),
        "a client mistake was logged as a server error:\n{}",
        app.log()
    );
}

async fn credentials_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, p) = app.turn("c", "user", "hi").await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let r = app
        .client
        .get(app.url("/v1/sessions/c"))
        .send()
        .await
        .unwrap();
    let (s, p) = read(r).await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, p) = app.get("/v1/sessions/c", "bk_wrongwrongwrong").await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, p) = app.get("/v1/sessions/c", "brt_wrongwrongwrong").await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, p) = app.get("/v1/sessions/c", "something-else").await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, p) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": "alice", "password": "wrong-password"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, p) = app
        .post(
            "/v1/auth/login",
            "",
            json!({"name": "nobody", "password": "wrong-password"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::UNAUTHORIZED, "unauthorized");
    // reviewer tokens cannot use the integration-only turn gate, API keys cannot claim
    let alice = app.login("alice").await;
    let (s, p) = app
        .post(
            "/v1/sessions/c/messages",
            &alice,
            json!({"sender": "user", "content": "x"}),
        )
        .await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, p) = app
        .post("/v1/sessions/c/claim", &app.api_key, json!({}))
        .await;
    assert_problem(s, &p, StatusCode::FORBIDDEN, "forbidden");
    let (s, me) = app.get("/v1/me", &alice).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["reviewer"]["teams"], json!(["support"]));
    // sign out ends the token
    assert_eq!(app.sign_out(&alice).await, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/v1/me", &alice).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // secrets never reach the log
    let log = app.log();
    assert!(
        !log.contains(&app.api_key)
            && !log.contains(&app.signing_secret)
            && !log.contains(PASSWORD)
    );
}

/// `%ff%fe` and `%fe%ff` are not UTF-8: decoded lossily they would both become `ab\u{FFFD}\u{FFFD}`
/// and two senders' turns would land in one session. Both are refused; nothing is stored.
async fn a_session_id_that_is_not_utf8_is_refused_not_merged(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.api_key.clone();
    for path in [
        "/v1/sessions/ab%ff%fe/messages",
        "/v1/sessions/ab%fe%ff/messages",
    ] {
        let (s, p) = app
            .post(path, &key, json!({"sender": "user", "content": "hello"}))
            .await;
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(p["errors"][0]["field"], "session_id", "{p}");
    }
    let (s, _) = app.get("/v1/sessions/ab%EF%BF%BD%EF%BF%BD", &key).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the lossy id was never a session"
    );
}
