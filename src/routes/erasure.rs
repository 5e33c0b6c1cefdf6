//! Erasure on request, for admins: `POST /v1/erasures` forgets everything about one customer
//! (by `user_id`) or one conversation (by `session_id`), as `baton erase` does. What stays and
//! what goes is `db::erasure`'s to say.

use actix_web::{post, web, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_json;
use crate::auth::AdminAuth;
use crate::db::erasure::{self, Target};
use crate::domain::takeover::is_blank;
use crate::domain::types::SessionId;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Whom to erase: exactly one of `user_id` and `session_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// Every conversation whose `user_id` is exactly this (1 to 255 characters, not blank).
    #[schema(schema_with = super::dto::text_255_schema)]
    pub user_id: Option<String>,
    /// One conversation.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\uFFFD]+$"
    )]
    pub session_id: Option<String>,
}

/// What was erased. The audit trail keeps these counts under the action `erasure`, and nothing
/// that names the customer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Erasure {
    /// Conversations erased.
    pub sessions: u64,
    /// Their messages (with their full-text index entries).
    pub messages: u64,
    /// Their internal notes.
    pub notes: u64,
    /// Their callbacks, sent or not, with their attempt logs.
    pub deliveries: u64,
}

/// Erase a customer or a conversation: messages, notes, callbacks, customer attributes and the
/// texts of its takeovers go; the takeovers' timings and outcomes stay for the analytics, under
/// a pseudonym. Refused with 409 while a person holds one of the conversations.
#[utoipa::path(
    tag = "admin",
    request_body = ErasureRequest,
    responses(
        (status = 200, description = "Erased (all counts 0 when nothing matched)", body = Erasure),
        (status = 400, description = "Neither or both of `user_id` and `session_id`, or an invalid one", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A person holds one of the conversations (a takeover is waiting or claimed); nothing was erased", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/erasures")]
pub async fn create_erasure(
    state: web::Data<AppState>,
    admin: AdminAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Erasure>, ApiError> {
    let body: ErasureRequest = parse_json(&req, &body, None)?;
    let target = match (body.user_id, body.session_id) {
        (Some(user), None) => {
            if is_blank(&user) || user.chars().count() > 255 {
                return Err(ApiError::field("user_id", "must be 1 to 255 characters"));
            }
            Target::User(user)
        }
        (None, Some(session)) => {
            let id = SessionId::parse(&session).map_err(|e| ApiError::field("session_id", e))?;
            Target::Session(id.as_str().to_string())
        }
        _ => {
            return Err(ApiError::field(
                "user_id",
                "give exactly one of user_id and session_id",
            ))
        }
    };
    let actor = admin.actor();
    let erased = state
        .db
        .write(move |conn| erasure::erase(conn, &target, &actor))
        .await?;
    Ok(web::Json(Erasure {
        sessions: erased.sessions,
        messages: erased.messages,
        notes: erased.notes,
        deliveries: erased.deliveries,
    }))
}
