//! HTTP handlers, one resource per file, named `<verb>_<resource>` (the OpenAPI operationId).
//! Handlers are thin: parse, call `db`/`domain`, wake the outbox worker, shape the answer.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod conversation;
pub mod deliveries;
pub mod dto;
pub mod escalation;
pub mod events;
pub mod health;
pub mod inbox;
pub mod metrics;
pub mod reviewers;
pub mod routing;
pub mod sessions;
pub mod signals;
pub mod stats;
pub mod takeovers;
pub mod teams;
pub mod webhooks;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::types::SessionId;
use crate::error::{ApiError, FieldError, Kind};

/// Registers every API route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::get_healthz)
        .service(health::get_readyz)
        .service(health::get_problem)
        .service(auth::create_login)
        .service(auth::delete_login)
        .service(auth::get_me)
        .service(sessions::create_message)
        .service(sessions::get_session)
        .service(sessions::list_messages)
        .service(sessions::create_handback)
        .service(sessions::create_close)
        .service(takeovers::create_takeover)
        .service(takeovers::get_takeover)
        .service(takeovers::create_decision)
        .service(conversation::create_claim)
        .service(conversation::create_reply)
        .service(conversation::create_release)
        .service(conversation::create_note)
        .service(conversation::list_notes)
        .service(conversation::create_typing)
        .service(conversation::create_transfer)
        .service(inbox::get_inbox)
        .service(events::get_events)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::delete_webhook)
        .service(webhooks::create_webhook_rotation)
        .service(deliveries::list_deliveries)
        .service(deliveries::get_delivery)
        .service(deliveries::create_redelivery)
        .service(escalation::put_escalation_policy)
        .service(escalation::list_escalation_policies)
        .service(escalation::delete_escalation_policy)
        .service(escalation::create_team_channel)
        .service(escalation::list_team_channels)
        .service(signals::create_evaluation)
        .service(signals::get_signal_rules)
        .service(signals::put_signal_rules)
        .service(audit::list_audit)
        .service(metrics::get_metrics)
        .service(stats::get_stats)
        .service(routing::get_team_routing)
        .service(routing::put_team_routing)
        .service(routing::get_availability)
        .service(routing::put_availability)
        .service(routing::put_reviewer_routing)
        .service(stats::get_review)
        .service(reviewers::list_reviewers)
        .service(reviewers::create_reviewer)
        .service(reviewers::patch_reviewer)
        .service(teams::list_teams)
        .service(teams::put_team)
        .service(teams::delete_team)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key)
        .service(api_keys::delete_api_key);
}

/// Parses a JSON body; an empty body becomes `T::default()` when `empty_ok`.
pub fn parse_json<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    empty: Option<T>,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return empty.ok_or_else(|| {
            ApiError::new(
                Kind::MalformedJson,
                "the request body is empty; send a JSON object",
            )
        });
    }
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            Kind::UnsupportedMediaType,
            "send the body with `Content-Type: application/json`",
        ));
    }
    serde_json::from_slice(body).map_err(json_error)
}

/// Turns a serde error into a problem that names the field where possible.
pub fn json_error(e: serde_json::Error) -> ApiError {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text).to_string();
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .map(str::to_string);
    match (e.classify(), field) {
        (serde_json::error::Category::Data, Some(field)) => {
            ApiError::validation(vec![FieldError { field, message }])
        }
        (serde_json::error::Category::Data, None) => ApiError::validation(vec![FieldError {
            field: "body".into(),
            message,
        }]),
        _ => ApiError::new(
            Kind::MalformedJson,
            format!("the body is not valid JSON: {text}"),
        ),
    }
}

/// Checks a session id taken from the path.
pub fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(raw).map_err(|e| ApiError::field("session_id", e))
}
