//! A reviewer's actions on a conversation: claim, reply, typing, notes, transfer, release.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{Message, Note, ReplyAccepted, SessionState, TextRequest, TransferRequest};
use super::{parse_json, session_id};
use crate::auth::ReviewerAuth;
use crate::db::routing;
use crate::db::takeovers as repo;
use crate::domain::change::Change;
use crate::domain::takeover::check_content;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Take a waiting conversation. Exactly one of concurrent claims wins; the others get 409
/// naming the reviewer who holds it. Claiming what you already hold is a no-op. An admin may
/// take over a conversation another reviewer holds with `{"take_over": true}`: the holder
/// loses it at once (their inbox says so live) and the audit names both.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body(content = Option<ClaimRequest>, description = "Optional"),
    responses(
        (status = 200, description = "You hold the conversation", body = Claimed),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token, or `take_over` by a reviewer who is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another reviewer holds it (`held_by`), it is offered to another reviewer (`held_by`), or no takeover is open", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/claim")]
pub async fn create_claim(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Claimed>, ApiError> {
    let id = session_id(&path)?;
    let body: ClaimRequest = parse_json(&req, &body, Some(ClaimRequest::default()))?;
    let take_over = body.take_over.unwrap_or(false);
    let (s, capacity_warning, waited) = state
        .db
        .write(move |conn| {
            let asked = crate::db::now();
            let (s, t) = repo::claim(conn, id.as_str(), &reviewer, take_over)?;
            // Claimed by this call (not one already held): how long the customer waited.
            let waited = t
                .claimed_at
                .filter(|at| *at >= asked)
                .and_then(|at| (at - t.created_at).to_std().ok());
            let warning = routing::capacity_warning(conn, &reviewer.id, &reviewer.name)?;
            Ok((s, warning, waited))
        })
        .await?;
    if let Some(waited) = waited {
        state.metrics.claim.observe(waited);
    }
    state.notify(&s.id, Change::Claimed);
    Ok(web::Json(Claimed {
        session: SessionState::try_from(&s)?,
        capacity_warning,
    }))
}

/// A claim's options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Admins only: take the conversation over from the reviewer who holds it.
    pub take_over: Option<bool>,
}

/// A claimed conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Claimed {
    /// The session, now yours.
    #[serde(flatten)]
    pub session: SessionState,
    /// Set when this claim takes you over your capacity (manual claims may; automatic
    /// assignment never does).
    pub capacity_warning: Option<String>,
}

fn text(req: &HttpRequest, body: &[u8]) -> Result<String, ApiError> {
    let body: TextRequest = parse_json(req, body, None)?;
    check_content(&body.content).map_err(|e| ApiError::field("content", e))?;
    Ok(body.content)
}

/// Send a message to the customer. It is stored and queued for `reply_webhook` in one
/// transaction: once this answers 201 the reply will be delivered, even across a crash.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body = TextRequest,
    responses(
        (status = 201, description = "Stored and queued for delivery", body = ReplyAccepted),
        (status = 400, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You do not hold the conversation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/replies")]
pub async fn create_reply(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let content = text(&req, &body)?;
    let lease = state.delivery_lease;
    let (m, delivery_id, taken) = state
        .db
        .write(move |conn| repo::reply(conn, id.as_str(), &reviewer, &content, lease))
        .await?;
    state.deliver_now(taken);
    state.notify(&m.session_id, Change::Message);
    Ok(HttpResponse::Created().json(ReplyAccepted {
        message: Message::from(&m),
        delivery_id,
    }))
}

/// "Retry now" on a reply whose delivery is failing or failed: a parked reply is queued again
/// with a fresh retry schedule (same `webhook-id`); one waiting for its next try goes at once.
/// Any reviewer who can see the conversation may, whether or not they still hold it.
#[utoipa::path(
    tag = "conversations",
    params(
        ("session_id" = String, Path, description = "The integration's session id"),
        ("message_id" = String, Path, description = "The reply's message id"),
    ),
    responses(
        (status = 200, description = "Queued to be sent now", body = super::deliveries::Delivery),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams, or no such reply in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already delivered, or being sent right now", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/replies/{message_id}/retry")]
pub async fn create_reply_retry(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<(String, String)>,
) -> Result<web::Json<super::deliveries::Delivery>, ApiError> {
    let (raw, message_id) = path.into_inner();
    let id = session_id(&raw)?;
    let row = state
        .db
        .write(move |conn| repo::retry_reply(conn, id.as_str(), &message_id, &reviewer))
        .await?;
    state.wake_outbox();
    if let Some(s) = &row.session_id {
        state.notify(s, Change::Message);
    }
    Ok(web::Json(super::deliveries::Delivery::from_row(&row, None)))
}

/// Tell the customer's channel the reviewer is typing (forwarded at most every 3 s).
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    responses(
        (status = 202, description = "Forwarded"),
        (status = 204, description = "Skipped: one was forwarded less than 3 s ago"),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You do not hold the conversation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/typing")]
pub async fn create_typing(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let name = reviewer.display_name.clone();
    let session = id.as_str().to_string();
    let sent = state
        .db
        .write(move |conn| repo::typing(conn, id.as_str(), &reviewer))
        .await?;
    if sent {
        state.wake_outbox();
        // A web chat visitor sees it too (nobody listening is fine).
        let _ = state
            .visitor_signals
            .send(crate::state::VisitorSignal::Typing {
                session_id: session,
                name,
            });
        Ok(HttpResponse::Accepted().finish())
    } else {
        Ok(HttpResponse::NoContent().finish())
    }
}

/// Add an internal note: for reviewers only, never sent to the customer or shown to the AI.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body = TextRequest,
    responses(
        (status = 201, description = "Stored", body = Note),
        (status = 400, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No open takeover", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/notes")]
pub async fn create_note(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let content = text(&req, &body)?;
    let note = state
        .db
        .write(move |conn| repo::add_note(conn, id.as_str(), &reviewer, &content))
        .await?;
    state.notify(&note.session_id, Change::Note);
    Ok(HttpResponse::Created().json(Note::from(&note)))
}

/// The internal notes of a conversation, oldest first.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    responses(
        (status = 200, description = "Notes", body = [Note]),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/sessions/{session_id}/notes")]
pub async fn list_notes(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Note>>, ApiError> {
    let id = session_id(&path)?;
    let caller = crate::auth::Caller::Reviewer(reviewer);
    let notes = state
        .db
        .read(move |conn| {
            if !repo::can_read_session(conn, &caller, id.as_str())? {
                return Err(ApiError::not_found(format!("no session {:?}", id.as_str())));
            }
            repo::list_notes(conn, id.as_str())
        })
        .await?;
    Ok(web::Json(notes.iter().map(Note::from).collect()))
}

/// Move the conversation to another team or reviewer; it waits in their queue.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body = TransferRequest,
    responses(
        (status = 200, description = "Transferred; waiting for the new assignee", body = SessionState),
        (status = 400, description = "`to` names no team or reviewer", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another reviewer holds it, or no takeover is open", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/transfer")]
pub async fn create_transfer(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<SessionState>, ApiError> {
    let id = session_id(&path)?;
    let body: TransferRequest = parse_json(&req, &body, None)?;
    let s = state
        .db
        .write(move |conn| {
            repo::transfer(conn, id.as_str(), &reviewer, &body.to, body.note.as_deref())
        })
        .await?;
    state.notify(&s.id, Change::Transferred);
    Ok(web::Json(SessionState::try_from(&s)?))
}

/// Put the conversation back in the queue for someone else to take.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    responses(
        (status = 200, description = "Back in the queue", body = SessionState),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You do not hold it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/release")]
pub async fn create_release(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
) -> Result<web::Json<SessionState>, ApiError> {
    let id = session_id(&path)?;
    let s = state
        .db
        .write(move |conn| repo::release(conn, id.as_str(), &reviewer))
        .await?;
    state.notify(&s.id, Change::Released);
    Ok(web::Json(SessionState::try_from(&s)?))
}

/// How far the reviewer has read a conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The `seq` of the last turn the reviewer saw (a mark never moves back; one above the
    /// conversation's last turn counts as its last turn).
    #[schema(minimum = 0)]
    pub seq: i64,
}

/// Where the reviewer's read mark stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadMark {
    /// The conversation.
    pub session_id: String,
    /// The `seq` of the last turn the reviewer has read: customer messages above it are unread.
    pub read_seq: i64,
}

/// Mark a conversation read up to a turn, for the reviewer calling: its customer messages up to
/// `seq` no longer count as unread in their queue, tab counts, page title and alerts (each
/// reviewer has their own mark). The inbox sends it while the conversation is on screen.
#[utoipa::path(
    tag = "conversations",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body = ReadRequest,
    responses(
        (status = 200, description = "The mark now stored", body = ReadMark),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/sessions/{session_id}/read")]
pub async fn put_read(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ReadMark>, ApiError> {
    let id = session_id(&path)?;
    let wanted: ReadRequest = parse_json(&req, &body, None)?;
    if wanted.seq < 0 {
        return Err(ApiError::field("seq", "must be 0 or more"));
    }
    let caller = crate::auth::Caller::Reviewer(reviewer.clone());
    let session = id.as_str().to_string();
    let read_seq = state
        .db
        .write(move |conn| {
            if crate::db::sessions::get(conn, &session)?.is_none()
                || !repo::can_read_session(conn, &caller, &session)?
            {
                return Err(ApiError::not_found(format!("no session \"{session}\"")));
            }
            crate::db::reads::mark(conn, &session, &reviewer.id, wanted.seq)
        })
        .await?;
    Ok(web::Json(ReadMark {
        session_id: id.as_str().to_string(),
        read_seq,
    }))
}
