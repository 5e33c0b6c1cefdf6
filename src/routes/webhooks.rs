//! Webhook subscriptions: where the n8n Baton Trigger registers itself.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::utc;
use super::parse_json;
use crate::auth::{generate_signing_secret, ApiKeyAuth};
use crate::db::models::WebhookRow;
use crate::db::now;
use crate::db::outbox::known_event;
use crate::db::webhooks as repo;
use crate::domain::event::EventType;
use crate::domain::subscription::SubscriptionScope;
use crate::domain::types::{RecordId, WebhookUrl};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where to POST events.
    #[schema(schema_with = super::dto::url_schema)]
    pub url: String,
    /// Event types to receive (`reply`, `typing`, `takeover.claimed`, ... or `*` for all).
    #[schema(schema_with = super::dto::event_names_schema)]
    pub events: Vec<String>,
    /// A note for people (e.g. the n8n workflow's name).
    pub description: Option<String>,
    /// Whose sessions to hear about: `all` (the default: every session's events) or
    /// `own_takeovers` (only takeovers made with this API key whose `reply_webhook` or
    /// `handback_signal` is this `url`, plus sessions that never had a takeover; an event outside
    /// a takeover belongs to the session's latest one). The Baton Trigger subscribes with
    /// `own_takeovers`, so two workflows on one key each get their own conversations.
    /// Whatever the scope, an event whose takeover callback already goes to this `url` (same
    /// API key) is not copied here: that one callback, signed with both the key's and this
    /// subscription's secret, is the only delivery.
    pub scope: Option<SubscriptionScope>,
    /// Only events of sessions on these channels (`telegram`, `web`...), at least one, each 1 to
    /// 64 characters; left out: every channel.
    #[schema(schema_with = channels_schema)]
    pub channels: Option<Vec<String>>,
}

/// `channels`: `null`, or one or more channel names of 1 to 64 characters, not blank.
fn channels_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(utoipa::openapi::RefOr::T(super::dto::text_schema(
            64, false,
        )))
        .min_items(Some(1))
        .description(Some(
            "Only events of sessions on these channels (`telegram`, `web`...), at least one; \
             left out: every channel.",
        ))
        .build()
        .into()
}

/// A subscription.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    /// Subscription id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    /// The note given at creation.
    pub description: Option<String>,
    /// Whose sessions it hears about (see the request's `scope`).
    pub scope: SubscriptionScope,
    /// The channels it receives events of; `null`: every channel.
    pub channels: Option<Vec<String>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Set when the receiver answered 410 Gone: no more events are sent.
    pub disabled_at: Option<DateTime<Utc>>,
    /// The `whsec_` signing secret: only in the answer to the creating request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Webhook {
    fn from_row(w: &WebhookRow, with_secret: bool) -> Webhook {
        Webhook {
            id: w.id.clone(),
            url: w.url.clone(),
            events: serde_json::from_str(&w.events).unwrap_or_default(),
            description: w.description.clone(),
            scope: SubscriptionScope::parse(&w.scope),
            channels: w
                .channels
                .as_deref()
                .map(|c| serde_json::from_str(c).unwrap_or_default()),
            created_at: utc(w.created_at),
            disabled_at: w.disabled_at.map(utc),
            secret: with_secret.then(|| w.secret.clone()),
        }
    }
}

/// Subscriptions of this API key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    /// The subscriptions, oldest first.
    pub items: Vec<Webhook>,
}

/// Subscribe a URL to events. The answer holds the signing secret; it is not shown again.
///
/// One delivery per event per URL: when a takeover's own callback goes to a subscription's URL
/// (made with the same API key), that callback is the only delivery, signed with the key's
/// signing secret and the subscription's secret. Choose `scope: own_takeovers` to hear only
/// about the takeovers whose callbacks point at this URL.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Subscribed; keep `secret` to verify signatures", body = Webhook),
        (status = 400, description = "Invalid URL or event type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: WebhookRequest = parse_json(&req, &body, None)?;
    let mut errors = Vec::new();
    let url = WebhookUrl::parse_with(&body.url, &state.config.url_policy)
        .map_err(|e| {
            errors.push(FieldError {
                field: "url".into(),
                message: e,
            })
        })
        .ok();
    if body.events.is_empty() {
        errors.push(FieldError {
            field: "events".into(),
            message: "name at least one event type, or \"*\"".into(),
        });
    }
    for (i, e) in body.events.iter().enumerate() {
        if !known_event(e) {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            errors.push(FieldError {
                field: format!("events[{i}]"),
                message: format!(
                    "{e:?} is not an event type; use one of {}, or *",
                    known.join(", ")
                ),
            });
        }
    }
    if let Some(channels) = &body.channels {
        if channels.is_empty() {
            errors.push(FieldError {
                field: "channels".into(),
                message: "name at least one channel, or leave channels out for every channel"
                    .into(),
            });
        }
        for (i, c) in channels.iter().enumerate() {
            if crate::domain::takeover::is_blank(c) || c.chars().count() > 64 {
                errors.push(FieldError {
                    field: format!("channels[{i}]"),
                    message: "a channel name is 1 to 64 characters".into(),
                });
            }
        }
    }
    let (Some(url), true) = (url, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let row = WebhookRow {
        id: RecordId::new().to_string(),
        api_key_id: key.id.clone(),
        url: url.as_str().to_string(),
        events: serde_json::to_string(&body.events).unwrap_or_else(|_| "[]".into()),
        secret: generate_signing_secret(),
        description: body.description,
        created_at: now(),
        disabled_at: None,
        previous_secret: None,
        previous_secret_expires_at: None,
        deleted_at: None,
        scope: body.scope.unwrap_or_default().as_str().to_string(),
        channels: body
            .channels
            .as_ref()
            .map(|c| serde_json::to_string(c).unwrap_or_else(|_| "[]".into())),
    };
    let stored = row.clone();
    state
        .db
        .write(move |conn| repo::insert(conn, &stored))
        .await?;
    Ok(HttpResponse::Created().json(Webhook::from_row(&row, true)))
}

/// The subscriptions made with this API key.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "Subscriptions (without secrets)", body = WebhookList),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
) -> Result<web::Json<WebhookList>, ApiError> {
    let rows: Vec<WebhookRow> = state
        .db
        .read(move |conn| repo::list_for_key(conn, &key.id))
        .await?;
    Ok(web::Json(WebhookList {
        items: rows.iter().map(|w| Webhook::from_row(w, false)).collect(),
    }))
}

/// Unsubscribe.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription for this key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let shown = id.clone();
    let removed = state
        .db
        .write(move |conn| repo::delete_for_key(conn, &id, &key.id))
        .await?;
    if removed == 0 {
        return Err(ApiError::not_found(format!("no subscription {shown:?}")));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a subscription's signing secret. For 24 hours every event is signed with both the
/// new and the old secret (two signatures in `webhook-signature`), so receivers can switch over.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription with its new `secret` (shown once)", body = Webhook),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription for this key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[post("/v1/webhooks/{id}/rotate")]
pub async fn create_webhook_rotation(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
    path: web::Path<String>,
) -> Result<web::Json<Webhook>, ApiError> {
    let id = path.into_inner();
    let row = state
        .db
        .write(move |conn| {
            repo::rotate_secret(conn, &id, &key.id, generate_signing_secret())?
                .ok_or_else(|| ApiError::not_found(format!("no subscription {id:?}")))
        })
        .await?;
    Ok(web::Json(Webhook::from_row(&row, true)))
}
