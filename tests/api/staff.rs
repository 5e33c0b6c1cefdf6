//! Replies from outside Baton: a `staff` turn silences the AI, the inbox shows the conversation
//! as answered outside Baton, a reviewer may claim it, and the team's quiet time hands it back
//! (restarted by each staff turn).

use std::time::{Duration, Instant};

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    a_staff_turn_blocks_the_ai_and_shows_as_answered_outside_baton,
    a_reviewer_can_claim_a_conversation_answered_outside_baton,
    the_quiet_time_hands_the_session_back_with_a_callback_and_an_audit_entry,
    a_second_staff_turn_restarts_the_quiet_time,
    a_teams_quiet_time_is_validated_and_defaults_to_thirty_minutes,
);

fn messages(session: &str) -> String {
    format!("/v1/sessions/{}/messages", enc(session))
}

async fn staff_turn(
    app: &TestApp,
    session: &str,
    sender: &str,
    extra: Value,
) -> (StatusCode, Value) {
    let mut body =
        json!({"sender": sender, "content": "Hi, Maria here from the shop", "channel": "whatsapp"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.post(&messages(session), &app.api_key, body).await
}

async fn html(app: &TestApp, client: &reqwest::Client, cookie: &str, path: &str) -> String {
    let res = client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn set_quiet_time(app: &TestApp, team: &str, value: Value) -> (StatusCode, Value) {
    let root = app.login("root").await;
    app.put(
        &format!("/v1/teams/{team}"),
        &root,
        json!({"outside_quiet_time": value}),
    )
    .await
}

async fn a_staff_turn_blocks_the_ai_and_shows_as_answered_outside_baton(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = app.turn("wa-1", "user", "Is my order shipped?").await;
    assert_eq!(s, StatusCode::CREATED);

    // A session that never had a takeover needs somewhere to send a claim's replies.
    let (s, body) = staff_turn(&app, "wa-1", "staff:Maria", json!({})).await;
    assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");
    assert_eq!(body["errors"][0]["field"], "reply_webhook", "{body}");
    // Other senders ignore them: a customer turn opens no takeover.
    let (s, body) = app
        .post(
            &messages("wa-1"),
            &app.api_key,
            json!({"sender": "user", "content": "x", "reply_webhook": hook.url("/hook")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["owner"], "ai");
    assert!(body["takeover_id"].is_null(), "{body}");
    let (s, body) = staff_turn(&app, "wa-1", "staff:", json!({})).await;
    assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");

    let (s, turn) = staff_turn(
        &app,
        "wa-1",
        "staff:Maria",
        json!({"reply_webhook": hook.url("/hook"), "assignee": "support"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{turn}");
    assert_eq!(turn["owner"], "staff", "{turn}");
    assert_eq!(turn["status"], "staff_active");
    assert_eq!(turn["outside_by"], "staff:Maria");
    assert!(turn["takeover_id"].is_string(), "{turn}");

    // The AI is refused exactly as when a reviewer holds the conversation.
    let (s, body) = app.turn("wa-1", "ai", "It shipped yesterday!").await;
    assert_problem(s, &body, StatusCode::CONFLICT, "ai-turn-refused");
    // The customer's turns are recorded as usual; the AI stays refused.
    let (s, body) = app.turn("wa-1", "user", "Thanks Maria").await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["owner"], "staff");
    let (s, body) = app.turn("wa-1", "ai", "Anything else?").await;
    assert_problem(s, &body, StatusCode::CONFLICT, "ai-turn-refused");

    let (_, state) = app.get("/v1/sessions/wa-1", &app.api_key).await;
    assert_eq!(state["owner"], "staff");
    assert_eq!(state["outside_by"], "staff:Maria");
    let senders: Vec<String> = app
        .history("wa-1")
        .await
        .iter()
        .map(|m| m["sender"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(senders, ["user", "user", "staff:Maria", "user"]);

    // The reviewers' queue (their team's) lists it, answered outside Baton.
    let alice = app.login("alice").await;
    let (s, inbox) = app.get("/v1/inbox", &alice).await;
    assert_eq!(s, StatusCode::OK, "{inbox}");
    let item = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["session"]["session_id"] == "wa-1")
        .unwrap_or_else(|| panic!("wa-1 not in {inbox}"))
        .clone();
    assert_eq!(item["session"]["owner"], "staff");
    assert_eq!(item["session"]["outside_by"], "staff:Maria");
    let carol = app.login("carol").await;
    let (_, other_team) = app.get("/v1/inbox", &carol).await;
    assert!(
        !other_team.to_string().contains("wa-1"),
        "billing does not see support's conversation: {other_team}"
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = app.inbox_cookie(&client, "alice").await;
    let list = html(&app, &client, &cookie, "/inbox?view=waiting").await;
    assert!(
        list.contains("Answered outside Baton by Maria"),
        "the list says so: {list}"
    );
    let page = html(&app, &client, &cookie, "/inbox/sessions/wa-1").await;
    assert!(page.contains("Answered outside Baton by Maria"), "{page}");
    assert!(
        page.contains("Maria (outside Baton)"),
        "the staff turn in the timeline"
    );
    assert!(page.contains("Hi, Maria here from the shop"));
    assert!(page.contains(r#"data-action="claim""#), "claimable");

    let entries = app.audit_actions("session.answered_outside").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor"], "api_key:test");
    assert_eq!(entries[0]["to_status"], "staff_active");
    // Nothing was sent to the customer's channel: the person already answered there.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(hook.received().is_empty(), "{:?}", hook.received().len());
}

async fn a_reviewer_can_claim_a_conversation_answered_outside_baton(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = Receiver::start();
    let (s, _) = staff_turn(
        &app,
        "wa-2",
        "staff",
        json!({"reply_webhook": hook.url("/hook"), "assignee": "support"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, state) = app.get("/v1/sessions/wa-2", &app.api_key).await;
    assert_eq!(state["owner"], "staff");
    assert_eq!(state["outside_by"], "staff", "no name given");

    let alice = app.login("alice").await;
    let (s, claimed) = app.post("/v1/sessions/wa-2/claim", &alice, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    let (_, state) = app.get("/v1/sessions/wa-2", &app.api_key).await;
    assert_eq!(state["status"], "human_active", "{state}");
    assert_eq!(state["owner"], "human");
    assert_eq!(state["assigned_to"], "alice");
    assert!(state.get("outside_by").is_none(), "{state}");
    let (s, body) = app.turn("wa-2", "ai", "Hello!").await;
    assert_problem(s, &body, StatusCode::CONFLICT, "ai-turn-refused");

    // An ordinary claimed session: the reply reaches the workflow.
    let (s, body) = app
        .post(
            "/v1/sessions/wa-2/replies",
            &alice,
            json!({"content": "Alice here"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let got = hook
        .wait_for("claimed and reply", |g| {
            !Receiver::of_type(g, "reply").is_empty()
        })
        .await;
    let types: Vec<_> = got.iter().map(|r| r.body["type"].clone()).collect();
    assert_eq!(types, [json!("takeover.claimed"), json!("reply")]);
    assert!(got.iter().all(|r| verify_signature(&app.signing_secret, r)));

    // A staff turn while a reviewer holds it is recorded; the reviewer keeps it.
    let (s, body) = staff_turn(&app, "wa-2", "staff:Maria", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["owner"], "human");
    assert_eq!(body["assigned_to"], "alice");
}

async fn the_quiet_time_hands_the_session_back_with_a_callback_and_an_audit_entry(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (s, team) = set_quiet_time(&app, "support", json!("2s")).await;
    assert_eq!(s, StatusCode::OK, "{team}");
    let hook = Receiver::start();
    let back = Receiver::start();
    // A takeover waits in the queue; the manager answers from their phone instead.
    let (s, t) = app
        .takeover(
            "wa-3",
            &hook.url("/hook"),
            json!({"handback_signal": back.url("/back")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, turn) = staff_turn(&app, "wa-3", "staff:Maria", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{turn}");
    assert_eq!(turn["owner"], "staff");
    assert_eq!(
        turn["takeover_id"], t["id"],
        "the waiting takeover is the one held"
    );
    let (s, _) = app.turn("wa-3", "user", "Great, see you at 5").await;
    assert_eq!(s, StatusCode::CREATED);

    let got = back
        .wait_for("the handback after the quiet time", |g| !g.is_empty())
        .await;
    let handback = &got[0].body;
    assert_eq!(handback["type"], "session.handed_back", "{handback}");
    assert_eq!(handback["takeover_id"], t["id"]);
    assert!(verify_signature(&app.signing_secret, &got[0]));
    let memory: Vec<String> = handback["memory_messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{handback}"))
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        memory[..2],
        [
            "[Maria] Hi, Maria here from the shop".to_string(),
            "Great, see you at 5".to_string()
        ],
        "{handback}"
    );
    assert!(
        hook.received().is_empty(),
        "the handback goes to handback_signal only"
    );

    let (_, state) = app.get("/v1/sessions/wa-3", &app.api_key).await;
    assert_eq!(state["status"], "handed_back", "{state}");
    assert_eq!(state["owner"], "ai");
    let (s, body) = app.turn("wa-3", "ai", "Anything else I can do?").await;
    assert_eq!(s, StatusCode::CREATED, "the AI may answer again: {body}");

    let entries = app.audit_actions("session.handed_back").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor"], "timer");
    assert_eq!(entries[0]["from_status"], "staff_active");
    assert_eq!(
        entries[0]["detail"]["reason"], "outside_quiet_time",
        "{:?}",
        entries[0]
    );
    assert_eq!(entries[0]["detail"]["quiet_seconds"], 2);
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", t["id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    assert_eq!(t["outcome"], "handed_back", "{t}");
}

async fn a_second_staff_turn_restarts_the_quiet_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, _) = set_quiet_time(&app, "support", json!(4)).await;
    assert_eq!(s, StatusCode::OK);
    let hook = Receiver::start();
    let (s, _) = staff_turn(
        &app,
        "wa-4",
        "staff:Maria",
        json!({"reply_webhook": hook.url("/hook"), "assignee": "support"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Taken before the turn is sent: its quiet time starts no earlier.
    let second = Instant::now();
    let (s, _) = staff_turn(&app, "wa-4", "staff:Maria", json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    // Past the first turn's quiet time, within the second's.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        Receiver::of_type(&hook.received(), "session.handed_back").is_empty(),
        "handed back on the first turn's quiet time"
    );
    let (_, state) = app.get("/v1/sessions/wa-4", &app.api_key).await;
    assert_eq!(state["owner"], "staff", "{state}");

    let got = hook
        .wait_for("the handback", |g| {
            !Receiver::of_type(g, "session.handed_back").is_empty()
        })
        .await;
    let handback = &Receiver::of_type(&got, "session.handed_back")[0];
    assert!(
        handback.at.duration_since(second) >= Duration::from_secs(4),
        "handed back {:?} after the second staff turn",
        handback.at.duration_since(second)
    );
    let (_, state) = app.get("/v1/sessions/wa-4", &app.api_key).await;
    assert_eq!(state["owner"], "ai");
}

async fn a_teams_quiet_time_is_validated_and_defaults_to_thirty_minutes(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.login("root").await;
    let support = |teams: &Value| {
        teams
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "support")
            .unwrap()
            .clone()
    };
    let (_, teams) = app.get("/v1/teams", &root).await;
    assert_eq!(support(&teams)["outside_quiet_seconds"], 1800);
    assert_eq!(support(&teams)["outside_quiet_default"], true);

    for bad in [
        json!("0s"),
        json!("31d"),
        json!("soon"),
        json!(-5),
        json!(true),
        json!("500ms"),
    ] {
        let (s, body) = set_quiet_time(&app, "support", bad.clone()).await;
        assert_problem(s, &body, StatusCode::BAD_REQUEST, "validation");
        assert_eq!(
            body["errors"][0]["field"], "outside_quiet_time",
            "{bad}: {body}"
        );
    }
    let (s, body) = app
        .put(
            "/v1/teams/support",
            &app.api_key,
            json!({"outside_quiet_time": "45m"}),
        )
        .await;
    assert_problem(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let alice = app.login("alice").await;
    let (s, body) = app
        .put(
            "/v1/teams/support",
            &alice,
            json!({"outside_quiet_time": "45m"}),
        )
        .await;
    assert_problem(s, &body, StatusCode::FORBIDDEN, "forbidden");

    let (s, team) = set_quiet_time(&app, "support", json!("45m")).await;
    assert_eq!(s, StatusCode::OK, "{team}");
    assert_eq!(team["outside_quiet_seconds"], 2700);
    assert_eq!(team["outside_quiet_default"], false);
    // A PUT without the field leaves it as it is; null goes back to the default.
    let (s, team) = app.put("/v1/teams/support", &root, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(team["outside_quiet_seconds"], 2700);
    let (_, teams) = app.get("/v1/teams", &root).await;
    assert_eq!(support(&teams)["outside_quiet_seconds"], 2700);
    let (_, team) = set_quiet_time(&app, "support", Value::Null).await;
    assert_eq!(team["outside_quiet_default"], true);
    assert_eq!(team["outside_quiet_seconds"], 1800);
    assert_eq!(app.audit_actions("team.updated").await.len(), 2);

    // A team with none waits the default: the AI gets the session back in 30 minutes.
    let hook = Receiver::start();
    let (s, turn) = staff_turn(
        &app,
        "wa-5",
        "staff:Maria",
        json!({"reply_webhook": hook.url("/hook"), "assignee": "billing"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{turn}");
    let (_, t) = app
        .get(
            &format!("/v1/takeovers/{}", turn["takeover_id"].as_str().unwrap()),
            &app.api_key,
        )
        .await;
    let expires = chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).unwrap();
    let left = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        (1790..=1800).contains(&left.num_seconds()),
        "quiet time left: {left}"
    );

    // The admin page offers the setting.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = app.inbox_cookie(&client, "root").await;
    let page = html(&app, &client, &cookie, "/inbox/admin/teams").await;
    assert!(page.contains(r#"name="outside_quiet_time""#), "{page}");
    assert!(page.contains("30 min (default)"), "{page}");
}
