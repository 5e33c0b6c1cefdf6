//! The turn gate's bookkeeping: a repeated caller id is recorded once and leaves no gap, a
//! refused turn takes no sequence number, session fields and the customer's last-message time
//! follow the turns, a closed session reopens; turns arriving together (which SQLite commits as a
//! group) keep each other's effects apart.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;
use crate::races::assert_contiguous;

backend_tests!(
    a_repeated_turn_id_is_recorded_once_and_leaves_no_gap,
    turns_keep_session_fields_and_the_customers_last_message_time,
    turns_arriving_together_are_each_kept_or_refused_alone,
    a_turn_id_sent_ten_times_at_once_is_recorded_once,
);

async fn turn(app: &TestApp, session: &str, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/sessions/{}/messages", enc(session)),
        &app.api_key,
        body,
    )
    .await
}

async fn a_repeated_turn_id_is_recorded_once_and_leaves_no_gap(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = "dedupe";
    let (status, first) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "one", "id": "m1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        (first["seq"].as_i64(), &first["duplicate"]),
        (Some(1), &json!(false))
    );

    // The same id again (a webhook retry): 200, the stored turn, nothing added.
    let (status, again) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "one", "id": "m1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["seq"], 1);
    assert_eq!(again["message_id"], first["message_id"]);

    // Turns without and with ids continue without a gap.
    let (status, _) = turn(&app, s, json!({"sender": "ai", "content": "two"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, third) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "three", "id": "m3"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(third["seq"], 3);

    // While a person owns the session the AI is refused, and the refusal takes no number.
    let (status, t) = app.takeover(s, "http://127.0.0.1:9/hook", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    for id in [None, Some("ai-1")] {
        let mut body = json!({"sender": "ai", "content": "I can help!"});
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        let (status, p) = turn(&app, s, body).await;
        assert_problem(status, &p, StatusCode::CONFLICT, "ai-turn-refused");
    }
    let (status, fourth) = turn(&app, s, json!({"sender": "user", "content": "four"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fourth["seq"], 4);
    assert_eq!(fourth["owner"], "human");

    let history = app.history(s).await;
    assert_contiguous(&history);
    let contents: Vec<&str> = history
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["one", "two", "three", "four"]);

    // Closed, then a customer turn opens it again as `ai`, numbered after the rest.
    let (status, p) = app
        .post(&format!("/v1/sessions/{s}/close"), &app.api_key, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (status, reopened) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "back again", "id": "m5"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reopened}");
    assert_eq!(
        (&reopened["status"], &reopened["owner"], &reopened["seq"]),
        (&json!("ai"), &json!("ai"), &json!(5))
    );
    assert_contiguous(&app.history(s).await);
}

async fn turns_keep_session_fields_and_the_customers_last_message_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = "fields";
    let (status, first) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "hi", "at": "2026-11-20T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // channel_ref defaults to the session id; the customer wrote when the channel said.
    assert_eq!(first["channel_ref"], s);
    assert_eq!(first["channel"], Value::Null);
    assert_eq!(first["last_user_message_at"], "2026-11-20T10:00:00Z");

    // Fields given later are kept; fields left out are not cleared.
    let (_, second) = turn(
        &app,
        s,
        json!({"sender": "ai", "content": "hello", "channel": "whatsapp",
               "channel_ref": "+4912345", "user_id": "u-7"}),
    )
    .await;
    assert_eq!(
        (
            &second["channel"],
            &second["channel_ref"],
            &second["user_id"]
        ),
        (&json!("whatsapp"), &json!("+4912345"), &json!("u-7"))
    );
    // An AI turn does not move the customer's time.
    assert_eq!(second["last_user_message_at"], "2026-11-20T10:00:00Z");
    let (_, third) = turn(&app, s, json!({"sender": "user", "content": "more"})).await;
    assert_eq!(
        (&third["channel"], &third["channel_ref"], &third["user_id"]),
        (&json!("whatsapp"), &json!("+4912345"), &json!("u-7"))
    );
    let latest = third["last_user_message_at"].as_str().unwrap().to_string();
    assert!(latest.as_str() > "2026-11-20T10:00:00Z", "{third}");
    assert!(third["reply_window_closes_at"].is_string(), "{third}");

    // A late-arriving older customer turn, or a repeat, never moves it back or forward.
    let (_, older) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "old", "at": "2026-11-21T09:00:00Z", "id": "o1"}),
    )
    .await;
    assert_eq!(older["last_user_message_at"], latest.as_str());
    let (status, repeat) = turn(
        &app,
        s,
        json!({"sender": "user", "content": "old", "id": "o1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(repeat["last_user_message_at"], latest.as_str());
    let (_, state) = app.get(&format!("/v1/sessions/{s}"), &app.api_key).await;
    assert_eq!(state["last_user_message_at"], latest.as_str());
    assert_contiguous(&app.history(s).await);
}

/// 120 turns at once over five sessions, a third of them AI turns into a session a person owns.
/// They share transactions (group commit, `db/batch.rs`): each refusal must undo only
/// itself, and every accepted turn must be stored once, under the number it was answered with,
/// without gaps.
async fn turns_arriving_together_are_each_kept_or_refused_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = app.turn("held", "user", "I want a person").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, t) = app
        .takeover("held", "http://127.0.0.1:9/hook", json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let held_before = app.history("held").await.len();

    let requests = (0..120).map(|i| {
        let app = &app;
        async move {
            let (session, sender) = if i % 3 == 0 {
                ("held".to_string(), "ai")
            } else {
                (format!("busy-{}", i % 4), "user")
            };
            let content = format!("turn {i}");
            let (status, body) =
                turn(app, &session, json!({"sender": sender, "content": content})).await;
            (session, content, status, body)
        }
    });
    let results = futures_util::future::join_all(requests).await;

    let mut answered: std::collections::HashMap<String, Vec<(i64, String)>> = Default::default();
    for (session, content, status, body) in results {
        if session == "held" {
            assert_problem(status, &body, StatusCode::CONFLICT, "ai-turn-refused");
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
            answered
                .entry(session)
                .or_default()
                .push((body["seq"].as_i64().unwrap(), content));
        }
    }
    assert_eq!(answered.len(), 4);
    for (session, mut turns) in answered {
        let history = app.history(&session).await;
        assert_contiguous(&history);
        turns.sort();
        let stored: Vec<(i64, String)> = history
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(stored, turns, "{session}: stored as answered");
    }
    let held = app.history("held").await;
    assert_eq!(held.len(), held_before, "refused turns left nothing");
    let (status, next) = app.turn("held", "user", "still there?").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        next["seq"].as_i64(),
        Some(held_before as i64 + 1),
        "the refused turns took no number"
    );

    // The burst really was grouped (SQLite: savepoints of one transaction; PostgreSQL: one
    // statement per group): fewer transactions than writes.
    let metrics = app.text("/metrics", &app.api_key).await;
    let counter = |name: &str| -> Option<u64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    let grouped = (
        counter("baton_group_commit_transactions_total "),
        counter("baton_group_commit_writes_total "),
    );
    let (Some(transactions), Some(writes)) = grouped else {
        panic!("no group commit counters in /metrics:\n{metrics}");
    };
    assert!(writes >= 120, "{writes} grouped writes");
    assert!(
        transactions < writes,
        "{transactions} transactions for {writes} writes"
    );
}

/// A webhook retried while the first attempt is still in flight. On PostgreSQL the common turn is
/// one statement outside a transaction; racing copies of an id collide on the unique index and
/// must fall back to the full path, which answers them as repeats.
async fn a_turn_id_sent_ten_times_at_once_is_recorded_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _) = app.turn("retried", "user", "hello").await;
    assert_eq!(status, StatusCode::CREATED);
    let copies = (0..10).map(|_| {
        turn(
            &app,
            "retried",
            json!({"sender": "user", "content": "are you there?", "id": "tg-77"}),
        )
    });
    let results = futures_util::future::join_all(copies).await;
    let created: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(created.len(), 1, "{results:?}");
    for (status, body) in &results {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::OK,
            "{status} {body}"
        );
        assert_eq!(body["seq"], 2, "{body}");
        assert_eq!(body["message_id"], created[0]["message_id"]);
    }
    let history = app.history("retried").await;
    assert_contiguous(&history);
    assert_eq!(history.len(), 2);
    let (status, next) = app.turn("retried", "user", "thanks").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(next["seq"], 3, "no number was lost to the race");
}
