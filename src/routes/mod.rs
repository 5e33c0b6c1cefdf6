//! HTTP handlers, one resource per file, named `<verb>_<resource>` (the OpenAPI operationId).
//! Handlers are thin: parse, call `db`/`domain`, wake the outbox worker, shape the answer.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod canned;
pub mod conversation;
pub mod deliveries;
pub mod dto;
pub mod erasure;
pub mod escalation;
pub mod events;
pub mod health;
pub mod inbox;
pub mod metrics;
pub mod reviewers;
pub mod routing;
pub mod search;
pub mod sessions;
pub mod signals;
pub mod signature_tests;
pub mod stats;
pub mod takeovers;
pub mod teams;
pub mod templates;
pub mod texts;
pub mod webhooks;
pub mod widgets;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::types::{SessionId, NUL_REFUSED};
use crate::error::{ApiError, FieldError, Kind};

/// Registers every API route.
/// Lists every API handler once: the router's `configure` and the OpenAPI document's paths
/// (`ApiPaths`) are both generated from this one list, so they cannot disagree.
macro_rules! api_handlers {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// Registers every API handler.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.service($module::$handler);)+
        }

        /// The paths of every API handler, merged into `openapi::ApiDoc`'s document.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),+))]
        pub struct ApiPaths;
    };
}

api_handlers!(
    health::get_healthz,
    health::get_readyz,
    health::get_problem,
    auth::create_login,
    auth::delete_login,
    auth::get_me,
    sessions::create_message,
    sessions::get_session,
    sessions::list_messages,
    sessions::create_handback,
    sessions::create_close,
    takeovers::create_takeover,
    takeovers::get_takeover,
    takeovers::create_decision,
    conversation::create_claim,
    conversation::create_reply,
    conversation::create_reply_retry,
    conversation::create_release,
    conversation::create_note,
    conversation::list_notes,
    conversation::create_typing,
    conversation::create_transfer,
    conversation::put_read,
    inbox::get_unread,
    inbox::get_inbox,
    search::list_search,
    events::get_events,
    webhooks::create_webhook,
    webhooks::list_webhooks,
    webhooks::delete_webhook,
    webhooks::create_webhook_rotation,
    signature_tests::create_signature_test,
    texts::list_customer_texts,
    texts::put_customer_text,
    texts::delete_customer_text,
    canned::list_canned_responses,
    canned::create_canned_response,
    canned::patch_canned_response,
    canned::delete_canned_response,
    widgets::create_widget,
    widgets::list_widgets,
    widgets::delete_widget,
    widgets::get_widget_look,
    widgets::create_visitor_conversation,
    widgets::get_visitor_conversation,
    widgets::create_visitor_message,
    widgets::get_visitor_stream,
    deliveries::list_deliveries,
    deliveries::get_delivery,
    deliveries::create_redelivery,
    escalation::put_escalation_policy,
    escalation::list_escalation_policies,
    escalation::delete_escalation_policy,
    escalation::create_team_channel,
    escalation::list_team_channels,
    signals::create_evaluation,
    signals::get_signal_rules,
    signals::put_signal_rules,
    audit::list_audit,
    metrics::get_metrics,
    stats::get_stats,
    routing::get_team_routing,
    routing::put_team_routing,
    routing::get_availability,
    routing::put_availability,
    routing::put_reviewer_routing,
    stats::get_review,
    reviewers::list_reviewers,
    reviewers::create_reviewer,
    reviewers::patch_reviewer,
    alerts::get_my_alerts,
    alerts::put_my_alerts,
    alerts::get_reviewer_alerts,
    alerts::put_reviewer_alerts,
    teams::list_teams,
    teams::put_team,
    teams::delete_team,
    api_keys::list_api_keys,
    api_keys::create_api_key,
    api_keys::delete_api_key,
    erasure::create_erasure,
    templates::list_whatsapp_templates,
    templates::create_whatsapp_template,
    templates::get_whatsapp_template,
    templates::put_whatsapp_template,
    templates::delete_whatsapp_template,
    templates::create_template_reply,
);

/// Parses a JSON body; an empty body becomes `T::default()` when `empty_ok`.
pub fn parse_json<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    empty: Option<T>,
) -> Result<T, ApiError> {
    // Where the body is optional, `null` says "no body" as well as an empty one does.
    let optional_null = empty.is_some() && body.trim_ascii() == b"null";
    if body.iter().all(u8::is_ascii_whitespace) || optional_null {
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
    // Every body is an object: serde would also fill a struct from an array of its fields in
    // order (`["name","password"]`), which the contract does not allow.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Err(e) => json_error(e),
                Ok(_) => ApiError::field("body", "must be a JSON object"),
            },
        );
    }
    // One rule on both backends: no text holds U+0000 (PostgreSQL cannot store it). The escape
    // is searched first so that only a body that may hold one is walked.
    if contains(body, br"\u0000") {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            if let Some(field) = nul_field(&value, String::new()) {
                return Err(ApiError::field(field, NUL_REFUSED));
            }
        }
    }
    serde_json::from_slice(body).or_else(|e| {
        // JSON Schema counts `31.0` as an integer; serde does not. Only on this error path the
        // body is read again with whole-number floats written as integers.
        if e.classify() == serde_json::error::Category::Data
            && e.to_string().contains("floating point")
        {
            if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) {
                integers_for_whole_floats(&mut value);
                if let Ok(parsed) = serde_json::from_value(value) {
                    return Ok(parsed);
                }
            }
        }
        Err(located::<T>(json_error(e), body))
    })
}

/// Writes `31.0` as `31` throughout a JSON value (whole numbers within ±2^53 only).
fn integers_for_whole_floats(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_for_whole_floats),
        Value::Object(map) => map.values_mut().for_each(integers_for_whole_floats),
        _ => {}
    }
}

/// Names the field of a data error that serde's message does not name (a custom check such as
/// a timestamp's range): the body is read again, only on this error path, tracking the path.
fn located<T: DeserializeOwned>(error: ApiError, body: &[u8]) -> ApiError {
    let unnamed = error.errors.len() == 1 && error.errors[0].field == "body";
    if !unnamed {
        return error;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => return error,
        Err(e) => e.path().to_string(),
    };
    if path == "." || path.is_empty() {
        return error;
    }
    ApiError::validation(vec![FieldError {
        field: path,
        message: error.errors[0].message.clone(),
    }])
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JSON path (`history[2].content`) of the first string, or object key, holding U+0000.
fn nul_field(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if at.is_empty() { "body".into() } else { at })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_field(v, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            // The path names the key with its NUL written out: the answer holds no NUL either.
            let has_nul = k.contains('\0');
            let k = k.replace('\0', "\\u0000");
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if has_nul {
                Some(path)
            } else {
                nul_field(v, path)
            }
        }),
        _ => None,
    }
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
