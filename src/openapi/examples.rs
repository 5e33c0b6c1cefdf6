//! Examples and links in the OpenAPI document (issue 20): a realistic request body for every
//! operation that takes one, examples of the answers an integration reads most, and the links
//! from an answer to the operations that follow it (a takeover's id to reading it, its session to
//! claiming it, a claim to replying and handing back...), so generated clients and stateful
//! fuzzers can walk a handoff the way n8n and a reviewer do.
//!
//! The examples are checked against their schemas, and the links against their target
//! operations, by `tests/api/openapi.rs`; schemathesis sends every request example and follows
//! the links (`tests/api/fuzz.rs`).

use serde_json::{json, Value};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

use super::operations;

/// A request body example for each operation that takes a JSON body, by operation id.
fn request_examples() -> Vec<(&'static str, Value)> {
    let webhook = "http://127.0.0.1:5678/webhook/baton";
    vec![
        ("create_api_key", json!({"name": "n8n production"})),
        ("create_erasure", json!({"user_id": "tg-48213977"})),
        (
            "create_login",
            json!({"name": "alice", "password": "correct horse battery staple"}),
        ),
        (
            "create_canned_response",
            json!({
                "shortcut": "refund",
                "title": "Refund timeline",
                "content": "Hi {customer_name}, refunds reach your card within 5 working days.",
                "team": null
            }),
        ),
        (
            "create_whatsapp_template",
            json!({
                "team": "support",
                "name": "order_update",
                "language": "en_US",
                "category": "UTILITY",
                "header": {"format": "TEXT", "text": "Order {{1}}"},
                "body": "Hi {{1}}, your order {{2}} is on its way.",
                "footer": "Shop Inc.",
                "buttons": [{"type": "URL", "text": "Track it", "url": "https://shop.example/track/{{1}}"}]
            }),
        ),
        (
            "put_whatsapp_template",
            json!({
                "team": "support",
                "name": "order_update",
                "language": "en_US",
                "category": "UTILITY",
                "body": "Hi {{1}}, your order {{2}} has shipped."
            }),
        ),
        (
            "create_template_reply",
            json!({
                "name": "order_update",
                "language": "en_US",
                "parameters": ["Ana", "#123"],
                "header_parameters": ["#123"],
                "button_parameters": ["123"]
            }),
        ),
        (
            "patch_canned_response",
            json!({"content": "Hi {customer_name}, refunds take 3 to 5 working days."}),
        ),
        (
            "put_customer_text",
            json!({"template": "You are now talking with {reviewer}.", "locale": "en", "team": null}),
        ),
        (
            "put_escalation_policy",
            json!({
                "team": "support",
                "steps": [{"wait": "5m", "assignee": "support"}, {"wait": "15m", "assignee": "billing"}],
                "fallback_action": "handback",
                "fallback_message": "Sorry, nobody is free right now. The assistant will help you meanwhile."
            }),
        ),
        ("put_availability", json!({"availability": "online"})),
        (
            "put_my_alerts",
            json!({"email": "alice@example.com", "enabled": true,
                   "quiet_hours": {"timezone": "Europe/Berlin", "start": "22:00", "end": "07:00"}}),
        ),
        (
            "put_reviewer_alerts",
            json!({"email": "bob@example.com", "enabled": true}),
        ),
        (
            "create_reviewer",
            json!({
                "name": "bob",
                "display_name": "Bob Martin",
                "password": "a long pass phrase 42",
                "teams": ["support"],
                "admin": false
            }),
        ),
        (
            "patch_reviewer",
            json!({"display_name": "Robert Martin", "teams": ["support", "billing"]}),
        ),
        (
            "put_reviewer_routing",
            json!({"availability": "away", "capacity": 3}),
        ),
        ("create_claim", json!({"take_over": false})),
        ("create_close", json!({"reason": "resolved"})),
        (
            "create_handback",
            json!({"summary": "Refund of 42 EUR approved; told the customer it arrives within 5 days."}),
        ),
        (
            "create_message",
            json!({
                "sender": "user",
                "content": "Can I talk to a person? I was charged twice.",
                "id": "tg-5512",
                "channel": "telegram",
                "channel_ref": "123456789",
                "user_id": "tg-123456789"
            }),
        ),
        (
            "create_note",
            json!({"content": "Charged twice on 3 December; the second charge is pending."}),
        ),
        ("put_read", json!({"seq": 12})),
        (
            "create_reply",
            json!({"content": "Hi Dana, I'm Alice from support. I can see both charges; let me fix that."}),
        ),
        (
            "create_transfer",
            json!({"to": "billing", "note": "Refund above 100 EUR: billing decides."}),
        ),
        (
            "put_signal_rules",
            json!({
                "scope": [{"name": "refunds", "phrases": ["refund", "money back"], "amount_threshold": 100.0}],
                "human_request": {"enabled": true, "extra_phrases": ["talk to a Baton buddy"]},
                "confidence": {"min_confidence": 0.5, "min_grounding": 0.3, "require_retrieved_chunks": true}
            }),
        ),
        (
            "create_evaluation",
            json!({
                "text": "can I speak to a human please",
                "language": "en",
                "confidence": 0.42,
                "retrieved_chunks": 3
            }),
        ),
        (
            "create_takeover",
            json!({
                "mode": "takeover",
                "session_id": "tg-123456789",
                "channel": "telegram",
                "channel_ref": "123456789",
                "user_id": "tg-123456789",
                "reply_webhook": webhook,
                "reason": "user_requested",
                "summary": "Customer was charged twice for order 1042 and asks for a person.",
                "history": [
                    {"sender": "user", "content": "I was charged twice for order 1042", "id": "tg-5510"},
                    {"sender": "ai", "content": "I'm sorry to hear that. Let me check your order."},
                    {"sender": "user", "content": "Can I talk to a person?", "id": "tg-5512"}
                ],
                "context": {"retrieved_chunks": ["Refunds are issued within 5 working days."], "confidence": 0.42},
                "customer": {"name": "Dana", "plan": "pro", "language": "en"},
                "assignee": "support",
                "timeout": "10m",
                "priority": 1
            }),
        ),
        (
            "create_decision",
            json!({"decision": "approve", "comment": "Within the refund policy."}),
        ),
        ("put_team", json!({})),
        (
            "create_team_channel",
            json!({"kind": "webhook", "url": "http://127.0.0.1:5678/webhook/baton-alerts"}),
        ),
        (
            "put_team_routing",
            json!({"policy": "round_robin", "offer_timeout": "2m"}),
        ),
        (
            "create_webhook",
            json!({
                "url": webhook,
                "events": ["reply", "takeover.claimed", "session.handed_back"],
                "description": "n8n Baton Trigger",
                "scope": "own_takeovers"
            }),
        ),
        (
            "create_widget",
            json!({
                "name": "Shop",
                "allowed_origins": ["https://shop.example.com"],
                "team": "support",
                "title": "Chat with us",
                "welcome": "Hi! How can we help?"
            }),
        ),
        (
            "create_visitor_conversation",
            json!({"key": "wk_3f9c2a7d5e8b4c1a9f0e6d2b7c4a8e1f", "locale": "en"}),
        ),
        (
            "create_visitor_message",
            json!({"text": "Where is my order?", "client_id": "c-7f3a"}),
        ),
    ]
}

/// Examples of the answers an integration reads most: (operation id, status, example).
fn response_examples() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "create_message",
            "201",
            json!({
                "session_id": "tg-123456789",
                "channel": "telegram",
                "channel_ref": "123456789",
                "user_id": "tg-123456789",
                "owner": "human",
                "status": "human_active",
                "assigned_to": "alice",
                "takeover_id": "0193a4c2-6f1e-7d3a-9b8e-2f4c6a1d9e07",
                "created_at": "2026-12-05T09:12:03Z",
                "updated_at": "2026-12-05T09:20:41Z",
                "last_user_message_at": "2026-12-05T09:20:41Z",
                "seq": 7,
                "message_id": "0193a4ca-0c55-7b21-8e3f-5d9a2b7c1e44",
                "duplicate": false
            }),
        ),
        (
            "create_evaluation",
            "200",
            json!({
                "handoff": true,
                "reason": "user_requested",
                "rule": "human_request:en",
                "matched": "speak to a human",
                "request_score": null,
                "rules_version": 1
            }),
        ),
    ]
}

/// One link: (from operation, status, link name, to operation, parameters as (name, runtime
/// expression)).
type LinkSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// How one answer leads to the next request.
const LINKS: &[LinkSpec] = &[
    (
        "create_takeover",
        "201",
        "GetTakeover",
        "get_takeover",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_takeover",
        "201",
        "GetSession",
        "get_session",
        &[("session_id", "$response.body#/session_id")],
    ),
    (
        "create_takeover",
        "201",
        "ListMessages",
        "list_messages",
        &[("session_id", "$response.body#/session_id")],
    ),
    (
        "create_takeover",
        "201",
        "Claim",
        "create_claim",
        &[("session_id", "$response.body#/session_id")],
    ),
    (
        "create_takeover",
        "201",
        "Decide",
        "create_decision",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_message",
        "201",
        "GetSession",
        "get_session",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_message",
        "201",
        "ListMessages",
        "list_messages",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_claim",
        "200",
        "Reply",
        "create_reply",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_claim",
        "200",
        "Note",
        "create_note",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_claim",
        "200",
        "Transfer",
        "create_transfer",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_claim",
        "200",
        "Release",
        "create_release",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_claim",
        "200",
        "Handback",
        "create_handback",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_reply",
        "201",
        "Handback",
        "create_handback",
        &[("session_id", "$request.path.session_id")],
    ),
    (
        "create_webhook",
        "201",
        "Rotate",
        "create_webhook_rotation",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_webhook",
        "201",
        "Delete",
        "delete_webhook",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_api_key",
        "201",
        "Delete",
        "delete_api_key",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_canned_response",
        "201",
        "Update",
        "patch_canned_response",
        &[("canned_id", "$response.body#/id")],
    ),
    (
        "create_canned_response",
        "201",
        "Delete",
        "delete_canned_response",
        &[("canned_id", "$response.body#/id")],
    ),
    (
        "create_whatsapp_template",
        "201",
        "Get",
        "get_whatsapp_template",
        &[("template_id", "$response.body#/id")],
    ),
    (
        "create_whatsapp_template",
        "201",
        "Replace",
        "put_whatsapp_template",
        &[("template_id", "$response.body#/id")],
    ),
    (
        "create_whatsapp_template",
        "201",
        "Delete",
        "delete_whatsapp_template",
        &[("template_id", "$response.body#/id")],
    ),
    (
        "create_widget",
        "201",
        "Delete",
        "delete_widget",
        &[("widget_id", "$response.body#/id")],
    ),
    (
        "get_delivery",
        "200",
        "Redeliver",
        "create_redelivery",
        &[("id", "$request.path.id")],
    ),
];

pub(super) struct Examples;

impl Modify for Examples {
    fn modify(&self, openapi: &mut OpenApi) {
        let requests = request_examples();
        let responses = response_examples();
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                if let Some(body) = op.request_body.as_mut() {
                    if let (Some(content), Some((_, example))) = (
                        body.content.get_mut("application/json"),
                        requests.iter().find(|(op, _)| *op == id),
                    ) {
                        content.example = Some(example.clone());
                    }
                }
                for (_, status, example) in responses.iter().filter(|(op, ..)| *op == id) {
                    if let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) {
                        if let Some(content) = response.content.get_mut("application/json") {
                            content.example = Some(example.clone());
                        }
                    }
                }
                for (_, status, name, target, params) in LINKS.iter().filter(|l| l.0 == id) {
                    if let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) {
                        let mut link = LinkBuilder::new().operation_id(*target);
                        for (param, expr) in params.iter() {
                            link = link.parameter(*param, *expr);
                        }
                        response
                            .links
                            .insert(name.to_string(), RefOr::T(link.build()));
                    }
                }
            }
        }
    }
}
