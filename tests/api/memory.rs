//! The handback restores the AI's memory: `session.handed_back` carries the person's stretch of
//! the conversation as chat-memory messages (`{type, message}`, as n8n's Chat Memory Manager
//! inserts them).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    the_handback_gives_the_ai_the_person_stretch_as_chat_memory_messages,
    a_second_handoff_remembers_only_its_own_stretch_and_an_integration_may_hand_back_without_summary,
);

const CLOSING: &str = "answered the customer in the messages above (their answers are marked with their name) and handed the conversation back to you.";

fn memory(handback: &Value) -> Vec<(String, String)> {
    handback["memory_messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no memory_messages in {handback}"))
        .iter()
        .map(|m| {
            assert_eq!(
                m.as_object().unwrap().len(),
                2,
                "only type and message: {m}"
            );
            (
                m["type"].as_str().unwrap().to_string(),
                m["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(t, m)| (t.to_string(), m.to_string()))
        .collect()
}

async fn the_handback_gives_the_ai_the_person_stretch_as_chat_memory_messages(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let session = "web 42/ä";
    for (sender, content) in [
        ("user", "Hi"),
        ("ai", "Hello! How can I help?"),
        ("user", "I was charged twice"),
    ] {
        let (status, body) = app.turn(session, sender, content).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, takeover) = app
        .takeover(
            session,
            &receiver.url("/reply"),
            json!({
                "handback_signal": receiver.url("/handback"),
                "summary": "Charged twice for order 1234",
                "history": [{"sender": "user", "content": "An earlier chat the AI imported", "id": "old-1"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{takeover}");

    // While the customer waits for a person, and while Alice, then Bob, answer.
    let (status, _) = app.turn(session, "user", "Is anyone there?").await;
    assert_eq!(status, StatusCode::CREATED);
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let path = |action: &str| format!("/v1/sessions/{}/{action}", enc(session));
    let (status, body) = app.post(&path("claim"), &alice, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &path("replies"),
            &alice,
            json!({"content": "Hi, I'm Alice. Let me check."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .post(
            &path("notes"),
            &alice,
            json!({"content": "internal: looks like a double capture"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = app.turn(session, "ai", "I can answer that!").await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "ai-turn-refused");
    let (status, _) = app.turn(session, "user", "Thanks").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post(&path("release"), &alice, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post(&path("claim"), &bob, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &path("replies"),
            &bob,
            json!({"content": "Refunded the second charge."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            &path("handback"),
            &bob,
            json!({"summary": "  Refunded the duplicate charge on order 1234.  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let got = receiver
        .wait_for("the handback", |g| {
            !Receiver::of_type(g, "session.handed_back").is_empty()
        })
        .await;
    let handback = &Receiver::of_type(&got, "session.handed_back")[0];
    assert_eq!(handback.path, "/handback");
    assert!(verify_signature(&app.signing_secret, handback));
    assert_eq!(
        handback.body["summary"],
        "Refunded the duplicate charge on order 1234."
    );
    assert_eq!(
        handback.body["text"],
        "Bob is handing you back to the assistant"
    );
    assert_eq!(
        memory(&handback.body),
        pairs(&[
            ("user", "Is anyone there?"),
            ("ai", "[Alice] Hi, I'm Alice. Let me check."),
            ("user", "Thanks"),
            ("ai", "[Bob] Refunded the second charge."),
            (
                "system",
                &format!("Bob, a person from the team, {CLOSING} Summary: Refunded the duplicate charge on order 1234."),
            ),
        ])
    );
    // Only the handback carries them.
    for other in got
        .iter()
        .filter(|g| g.body["type"] != "session.handed_back")
    {
        assert!(
            other.body.get("memory_messages").is_none(),
            "{:?}",
            other.body
        );
    }
}

async fn a_second_handoff_remembers_only_its_own_stretch_and_an_integration_may_hand_back_without_summary(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start();
    let session = "tg-77";
    let alice = app.login("alice").await;

    let (status, _) = app.turn(session, "user", "Where is my parcel?").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .takeover(session, &receiver.url("/hook"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.post("/v1/sessions/tg-77/claim", &alice, json!({}))
        .await;
    let (status, _) = app
        .post(
            "/v1/sessions/tg-77/replies",
            &alice,
            json!({"content": "It left the depot today."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post(
            "/v1/sessions/tg-77/handback",
            &alice,
            json!({"summary": "Parcel shipped"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for (sender, content) in [("user", "And my invoice?"), ("ai", "Let me look.")] {
        let (status, body) = app.turn(session, sender, content).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = app
        .takeover(session, &receiver.url("/hook"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app.turn(session, "user", "Hello?").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post("/v1/sessions/tg-77/handback", &app.api_key, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let got = receiver
        .wait_for("both handbacks", |g| {
            Receiver::of_type(g, "session.handed_back").len() == 2
        })
        .await;
    let handbacks = Receiver::of_type(&got, "session.handed_back");
    assert_eq!(
        memory(&handbacks[0].body),
        pairs(&[
            ("ai", "[Alice] It left the depot today."),
            (
                "system",
                &format!("Alice, a person from the team, {CLOSING} Summary: Parcel shipped")
            ),
        ])
    );
    assert_eq!(
        memory(&handbacks[1].body),
        pairs(&[
            ("user", "Hello?"),
            ("system", &format!("A person from the team {CLOSING}")),
        ])
    );
    assert!(handbacks[1].body.get("summary").is_none());
}
