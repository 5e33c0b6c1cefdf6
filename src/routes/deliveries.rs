//! The outbox, seen from outside: what was sent where, every attempt, and redelivery.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::utc;
use crate::auth::Caller;
use crate::db::models::DeliveryRow;
use crate::db::{outbox, DbConnection};
use crate::domain::types::{url_without_credentials, DeliveryStatus};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// One attempt to deliver.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The URL it went to.
    pub url: String,
    /// The receiver's HTTP status, if it answered (an alert e-mail's: the SMTP server's
    /// reply code, 250 when it accepted the mail).
    pub status_code: Option<i32>,
    /// How long it took.
    pub latency_ms: i64,
    /// Why it failed without an answer (connect error, timeout, refused address...).
    pub error: Option<String>,
    /// The first 512 characters of the receiver's answer: only when the operator set
    /// `BATON_DELIVERY_EXCERPTS=true`, and only to admins; otherwise null.
    pub response_excerpt: Option<String>,
}

/// One callback in the outbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id`, stable across retries.
    pub id: String,
    /// `pending`, `delivered`, `parked` (out of attempts, or the endpoint is gone) or
    /// `dropped` (an alert about a takeover claimed before it went out; `last_error` says so).
    pub status: String,
    /// The event type.
    pub event_type: String,
    /// Where it goes, without any `user:password@`; `mailto:<address>` for an alert e-mail.
    pub url: String,
    /// The session it belongs to.
    pub session_id: Option<String>,
    /// The takeover it belongs to.
    pub takeover_id: Option<String>,
    /// The reply message it carries, for `reply`.
    pub message_id: Option<String>,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last HTTP status received.
    pub last_status_code: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body as sent.
    pub payload: serde_json::Value,
    /// Every attempt, oldest first (only on `GET /v1/deliveries/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<Attempt>>,
}

impl Delivery {
    pub fn from_row(d: &DeliveryRow, attempts: Option<Vec<Attempt>>) -> Delivery {
        Delivery {
            id: d.id.clone(),
            status: d.status.clone(),
            event_type: d.event_type.clone(),
            url: url_without_credentials(&d.url),
            session_id: d.session_id.clone(),
            takeover_id: d.takeover_id.clone(),
            message_id: d.message_id.clone(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending.as_str())
                .then(|| utc(d.next_attempt_at)),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            created_at: utc(d.created_at),
            delivered_at: d.delivered_at.map(utc),
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            attempt_log: attempts,
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    /// Newest first.
    pub items: Vec<Delivery>,
}

/// Filters for the outbox.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `parked`.
    #[param(schema_with = super::dto::delivery_status_schema)]
    pub status: Option<String>,
    /// Only this session's deliveries.
    pub session_id: Option<String>,
    /// At most this many, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Deliveries an API key may see: its takeovers' callbacks and its subscriptions'; admins all.
fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
) -> Result<Option<(String, Vec<String>)>, ApiError> {
    match caller {
        Caller::ApiKey(k) => {
            let subs = outbox::subscription_ids(conn, &k.id)?;
            Ok(Some((k.id.clone(), subs)))
        }
        Caller::Reviewer(r) if r.is_admin => Ok(None),
        Caller::Reviewer(_) => Err(ApiError::forbidden("the outbox is for API keys and admins")),
    }
}

/// The outbox: pending, delivered and parked callbacks, newest first.
#[utoipa::path(
    tag = "deliveries",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryPage),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<DeliveryQuery>,
) -> Result<web::Json<DeliveryPage>, ApiError> {
    let query = query.into_inner();
    if let Some(s) = &query.status {
        if DeliveryStatus::parse(s).is_none() {
            return Err(ApiError::field(
                "status",
                "must be pending, delivered or parked",
            ));
        }
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 500"));
    }
    let rows = state
        .db
        .read(move |conn| {
            let scope = visible(conn, &caller)?;
            outbox::list(conn, scope, query.status, query.session_id, limit)
        })
        .await?;
    Ok(web::Json(DeliveryPage {
        items: rows.iter().map(|d| Delivery::from_row(d, None)).collect(),
    }))
}

fn load_one(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<DeliveryRow, ApiError> {
    let scope = visible(conn, caller)?;
    let row = outbox::find(conn, id)?;
    row.filter(|d| match &scope {
        None => true,
        Some((key, subs)) => {
            d.api_key_id.as_deref() == Some(key)
                || d.webhook_id.as_ref().is_some_and(|w| subs.contains(w))
        }
    })
    .ok_or_else(|| ApiError::not_found(format!("no delivery {id:?}")))
}

/// The attempts of a delivery; receivers' answers only for an admin (`with_excerpts`).
fn attempts(
    conn: &mut DbConnection,
    id: &str,
    with_excerpts: bool,
) -> Result<Vec<Attempt>, ApiError> {
    let rows = outbox::attempts_of(conn, id)?;
    Ok(rows
        .into_iter()
        .map(|a| Attempt {
            attempted_at: utc(a.attempted_at),
            url: url_without_credentials(&a.url),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response_excerpt: a.response_excerpt.filter(|_| with_excerpts),
        })
        .collect())
}

/// One delivery with every attempt.
#[utoipa::path(
    tag = "deliveries",
    params(("id" = String, Path, description = "The delivery id (`evt_...`, the webhook-id)")),
    responses(
        (status = 200, description = "The delivery and its attempts", body = Delivery),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery for these credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/deliveries/{id}")]
pub async fn get_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<Delivery>, ApiError> {
    let id = path.into_inner();
    let d = state
        .db
        .read(move |conn| {
            let row = load_one(conn, &caller, &id)?;
            let admin = matches!(&caller, Caller::Reviewer(r) if r.is_admin);
            let log = attempts(conn, &id, admin)?;
            Ok(Delivery::from_row(&row, Some(log)))
        })
        .await?;
    Ok(web::Json(d))
}

/// Send a delivery again: it becomes pending with a fresh retry schedule (same `webhook-id`),
/// and goes before anything queued after it for the same session and destination.
#[utoipa::path(
    tag = "deliveries",
    params(("id" = String, Path, description = "The delivery id")),
    responses(
        (status = 200, description = "Queued again", body = Delivery),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery for these credentials", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is still pending", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[post("/v1/deliveries/{id}/redeliver")]
pub async fn create_redelivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<Delivery>, ApiError> {
    let id = path.into_inner();
    let d = state
        .db
        .write(move |conn| {
            let row = load_one(conn, &caller, &id)?;
            if row.status == DeliveryStatus::Pending.as_str() {
                return Err(ApiError::conflict(format!(
                    "delivery {id:?} is still pending; it will be retried"
                )));
            }
            let row = outbox::redeliver(conn, row.position)?;
            Ok(Delivery::from_row(&row, None))
        })
        .await?;
    state.wake_outbox();
    Ok(web::Json(d))
}
