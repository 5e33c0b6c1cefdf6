//! Bad input gets a precise problem document, never a 500.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    bad_inputs_get_precise_problems,
    credentials_are_checked,
    a_session_id_that_is_not_utf8_is_refused_not_merged,
    nul_characters_and_times_outside_the_calendar_are_refused_alike,
    arrays_are_not_accepted_as_objects,
    a_status_this_version_does_not_know_is_an_error_not_a_close,
);

/// actix-http answered a URL the `http` crate cannot hold (64 KiB and up) with a bare 400 and no
/// body. A request line over 16 KiB now gets a 414 problem, on a fresh connection and whether
/// the line arrives at once or in pieces, with a request id; a line under the limit that
/// arrives in pieces is served as before, and the server keeps serving.
#[tokio::test]
async fn a_request_line_too_long_gets_a_problem_not_a_bare_400() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(Backend::Sqlite).await;
    let key = app.api_key.clone();
    let addr = app.base.trim_start_matches("http://").to_string();
    // Raw requests (no client sends a URL over 64 KiB), written in two pieces 50 ms apart:
    // (path, expected status line start).
    let long = format!("/v1/search?q={}", "a".repeat(100 * 1024));
    let just_over = format!("/v1/sessions/{}", "b".repeat(17 * 1024));
    let just_under = format!("/v1/sessions/{}", "c".repeat(1000));
    for (path, expected) in [
        (long.as_str(), "HTTP/1.1 414"),
        (just_over.as_str(), "HTTP/1.1 414"),
        (just_under.as_str(), "HTTP/1.1 400"),
    ] {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
        );
        let (first, rest) = request.as_bytes().split_at(path.len() / 2);
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(first).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        conn.write_all(rest).await.unwrap();
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(expected), "{path:.40}…: {answer}");
        assert!(
            answer.contains("application/problem+json"),
            "{path:.40}…: {answer}"
        );
        if expected.ends_with("414") {
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            let p: Value = serde_json::from_str(body).expect("a problem document");
            assert_eq!(p["type"], "/problems/uri-too-long", "{p}");
            assert_eq!(p["status"], 414, "{p}");
            // Like every other answer, it carries a request id to find it in the logs by.
            let head = answer.split("\r\n\r\n").next().unwrap_or_default();
            let id = head
                .lines()
                .find_map(|l| l.strip_prefix("x-request-id: "))
                .unwrap_or_else(|| panic!("no request id: {head}"));
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        }
    }
    // The id of 1 000 characters was read and judged by the API (too long for a session id).
    let (s, p) = app.get(&just_under, &key).await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
}

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

/// PostgreSQL cannot store U+0000 nor years before 4713 BC, and answered 500 to both while
/// SQLite stored them: one rule now holds on both backends. Every text field, path and query
/// parameter holding NUL is refused with 400 naming it, and so is a time outside years
/// 0001–9999; a refused turn is not half-stored, and the same turn without the NUL is kept.
async fn nul_characters_and_times_outside_the_calendar_are_refused_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.api_key.clone();
    let (s, _) = app
        .takeover("held", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let root = app.login("root").await;
    let (s, _) = app.post("/v1/sessions/held/claim", &root, json!({})).await;
    assert_eq!(s, StatusCode::OK);

    let nul = "a\u{0}b";
    let turn = |field: &str| {
        let mut body = json!({"sender": "user", "content": "hello", "channel": "web"});
        body[field] = json!(nul);
        body
    };
    let cases: Vec<(&str, String, String, Value, &str)> = vec![
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            turn("content"),
            "content",
        ),
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            turn("id"),
            "id",
        ),
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            turn("channel"),
            "channel",
        ),
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            turn("user_id"),
            "user_id",
        ),
        (
            "POST",
            "/v1/takeovers".into(),
            key.clone(),
            json!({"session_id": "s2", "reply_webhook": "http://127.0.0.1:9/x", "summary": nul}),
            "summary",
        ),
        (
            "POST",
            "/v1/takeovers".into(),
            key.clone(),
            json!({"session_id": "s2", "reply_webhook": "http://127.0.0.1:9/x",
                   "history": [{"sender": "user", "content": "hi"}, {"sender": "user", "content": nul}]}),
            "history[1].content",
        ),
        (
            "POST",
            "/v1/takeovers".into(),
            key.clone(),
            json!({"session_id": "s2", "reply_webhook": "http://127.0.0.1:9/x", "context": {nul: 1}}),
            "context.a\\u0000b",
        ),
        (
            "POST",
            "/v1/sessions/held/replies".into(),
            root.clone(),
            json!({"content": nul}),
            "content",
        ),
        (
            "POST",
            "/v1/sessions/held/notes".into(),
            root.clone(),
            json!({"content": nul}),
            "content",
        ),
        (
            "POST",
            "/v1/webhooks".into(),
            key.clone(),
            json!({"url": "http://127.0.0.1:9/w", "description": nul}),
            "description",
        ),
        (
            "POST",
            "/v1/auth/login".into(),
            String::new(),
            json!({"name": nul, "password": "x"}),
            "name",
        ),
        (
            "GET",
            "/v1/audit?actor=a%00b".into(),
            root.clone(),
            Value::Null,
            "actor",
        ),
        (
            "GET",
            "/v1/audit?session_id=%00".into(),
            root.clone(),
            Value::Null,
            "session_id",
        ),
        (
            "GET",
            "/v1/deliveries?session_id=x%00".into(),
            key.clone(),
            Value::Null,
            "session_id",
        ),
        (
            "GET",
            "/v1/sessions/a%00b".into(),
            key.clone(),
            Value::Null,
            "path",
        ),
        (
            "GET",
            "/v1/stats?from=-5000-01-01T00:00:00Z".into(),
            root.clone(),
            Value::Null,
            "query",
        ),
        (
            "GET",
            "/v1/stats/review?to=-5000-01-01T00:00:00Z".into(),
            root.clone(),
            Value::Null,
            "query",
        ),
        (
            "GET",
            "/v1/audit?from=-5000-01-01T00:00:00Z".into(),
            root.clone(),
            Value::Null,
            "query",
        ),
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            json!({"sender": "user", "content": "hello", "at": "-5000-01-01T00:00:00Z"}),
            "at",
        ),
        (
            "POST",
            "/v1/sessions/s1/messages".into(),
            key.clone(),
            json!({"sender": "user", "content": "hello", "at": "+10000-01-01T00:00:00Z"}),
            "at",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let (s, p) = if method == "GET" {
            app.get(&path, &token).await
        } else {
            app.post(&path, &token, body.clone()).await
        };
        assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(
            p["errors"][0]["field"], field,
            "{method} {path} {body}: {p}"
        );
    }
    // The inbox's sign-in form obeys the same rule.
    let r = app
        .client
        .post(app.url("/inbox/login"))
        .form(&[("name", nul), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Nothing of the refused turns was stored; the same turn without NUL is.
    let (s, _) = app.get("/v1/sessions/s1", &key).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/v1/sessions/s2", &key).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            "/v1/sessions/s1/messages",
            &key,
            json!({"sender": "user", "content": "a b", "at": "0001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // An escaped backslash before `u0000` is text, not NUL.
    let (s, p) = app
        .post(
            "/v1/sessions/s1/messages",
            &key,
            json!({"sender": "user", "content": "C:\\u0000 is a path"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, m) = app.get("/v1/sessions/s1/messages", &key).await;
    let texts: Vec<&str> = m["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["a b", "C:\\u0000 is a path"], "{m}");
    assert!(!app.log().contains("panicked"));
}

/// serde fills a struct from an array of its fields in order; the contract says objects, so a
/// sign-in with `["name","password"]` or routing with `[null,null]` is refused.
async fn arrays_are_not_accepted_as_objects(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let (s, p) = app
        .post("/v1/auth/login", "", json!(["root", PASSWORD]))
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(p["errors"][0]["field"], "body", "{p}");
    let (s, p) = app
        .put("/v1/reviewers/alice/routing", &root, json!([null, null]))
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    let (s, p) = app
        .post(
            "/v1/sessions/x/messages",
            &app.api_key,
            json!(["user", "hello"]),
        )
        .await;
    assert_problem(s, &p, StatusCode::BAD_REQUEST, "validation");
    assert!(
        !p["detail"].as_str().unwrap().contains("struct"),
        "no Rust type names: {p}"
    );
}

/// A stored status this version cannot read (a newer version wrote it, or the row is corrupt)
/// used to be read as `closed`: the conversation looked over and the next turn reopened it. It
/// is now an error that is logged and answered 500, and nothing is changed.
async fn a_status_this_version_does_not_know_is_an_error_not_a_close(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.api_key.clone();
    let (s, _) = app.turn("future", "user", "hello").await;
    assert_eq!(s, StatusCode::CREATED);
    exec_sql(
        &app.db,
        "UPDATE sessions SET status = 'paused' WHERE id = 'future'",
    );
    let (s, p) = app.get("/v1/sessions/future", &key).await;
    assert_problem(s, &p, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    let (s, p) = app.turn("future", "user", "are you there?").await;
    assert_problem(s, &p, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(
        app.log()
            .contains("which this version of Baton does not know"),
        "{}",
        app.log()
    );
    // Nothing was rewritten: the row still says what it said.
    exec_sql(
        &app.db,
        "UPDATE sessions SET status = 'ai' WHERE id = 'future' AND status = 'paused'",
    );
    let (s, st) = app.get("/v1/sessions/future", &key).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["status"], "ai");
}
