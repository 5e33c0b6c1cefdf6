//! Sessions for integrations: the turn gate, state, history, handback and close.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{
    CloseRequest, HandbackRequest, Message, MessagePage, RecordMessage, SessionState, TurnRecorded,
};
use super::{parse_json, session_id};
use crate::auth::{ApiKeyAuth, Caller};
use crate::db::sessions::{self as repo, NewTurn, SessionFields};
use crate::db::staff::{self, OutsideRoute};
use crate::db::{routing, takeovers};
use crate::domain::change::Change;
use crate::domain::takeover::check_content;
use crate::domain::types::{Sender, WebhookUrl};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

fn text_field(field: &str, value: &Option<String>, max: usize, errors: &mut Vec<FieldError>) {
    if let Some(v) = value {
        if crate::domain::takeover::is_blank(v) || v.chars().count() > max {
            errors.push(FieldError {
                field: field.into(),
                message: format!("must be 1 to {max} characters"),
            });
        }
    }
}

/// Session fields from a request, checked.
pub fn session_fields(
    channel: &Option<String>,
    channel_ref: &Option<String>,
    user_id: &Option<String>,
    errors: &mut Vec<FieldError>,
) -> SessionFields {
    text_field("channel", channel, 64, errors);
    text_field("channel_ref", channel_ref, 255, errors);
    text_field("user_id", user_id, 255, errors);
    SessionFields {
        channel: channel.clone(),
        channel_ref: channel_ref.clone(),
        user_id: user_id.clone(),
    }
}

fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().filter(|v| !v.is_null()).map(|v| v.to_string())
}

/// The turn gate: record a turn and learn who owns the next one.
///
/// Call it on every inbound message (sender `user`) and before sending every AI answer (sender
/// `ai`). While a person owns the session an `ai` turn is refused with 409: the AI never talks
/// over a person. The session is created on its first turn.
///
/// A message a person sent from outside Baton (the WhatsApp Business app, a shared phone) is
/// recorded with sender `staff` or `staff:<name>`: the session then answers `owner: staff` and
/// refuses the AI's turns until the quiet time of its team (default 30 minutes; see
/// `PUT /v1/teams/{team}`) passes without another staff turn, when Baton hands it back to the
/// AI with the usual `session.handed_back` callback. Customer turns in between are recorded as
/// usual. The inbox shows it as answered outside Baton, and a reviewer may claim it. If the
/// session has no open takeover, Baton opens one for the outside person (its `reply_webhook`,
/// `handback_signal` and `assignee` from this turn, else from the session's last takeover).
#[utoipa::path(
    tag = "sessions",
    params(("session_id" = String, Path, description = "The integration's session id (1–255 characters, percent-encoded)")),
    request_body = RecordMessage,
    responses(
        (status = 201, description = "Recorded; `owner` says who answers next", body = TurnRecorded),
        (status = 200, description = "A turn with this `id` was already recorded; nothing added", body = TurnRecorded),
        (status = 400, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An `ai` turn while a person owns the session (a reviewer, the queue, or a person outside Baton)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[post("/v1/sessions/{session_id}/messages")]
pub async fn create_message(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let body: RecordMessage = parse_json(&req, &body, None)?;
    let mut errors = Vec::new();
    let sender = match Sender::parse(&body.sender) {
        Ok(s @ (Sender::User | Sender::Ai | Sender::System | Sender::Staff(_))) => Some(s),
        Ok(Sender::Human(_)) => {
            errors.push(FieldError {
                field: "sender".into(),
                message: "reviewer turns are written through the inbox; use user, ai or system"
                    .into(),
            });
            None
        }
        Err(e) => {
            errors.push(FieldError {
                field: "sender".into(),
                message: e,
            });
            None
        }
    };
    if let Err(e) = check_content(&body.content) {
        errors.push(FieldError {
            field: "content".into(),
            message: e,
        });
    }
    text_field("id", &body.id, 255, &mut errors);
    let fields = session_fields(&body.channel, &body.channel_ref, &body.user_id, &mut errors);
    let route = outside_route(&state, &body, sender.as_ref(), &mut errors);
    let Some(sender) = sender.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let turn = NewTurn {
        sender,
        content: body.content,
        external_id: body.id,
        at: body.at.map(|t| t.naive_utc()),
        tool_calls: json_text(&body.tool_calls),
        meta: json_text(&body.meta),
    };
    let actor = format!("api_key:{}", key.name);
    let outcome = match route {
        // A staff turn opens or restarts the quiet time: always the full transactional path.
        Some(route) => {
            let key_id = key.id.clone();
            state
                .db
                .write(move |conn| {
                    staff::record_turn(conn, &id, &fields, turn, &key_id, &actor, &route)
                })
                .await?
        }
        // Any other turn through the turn gate's group commit (`db::batch`).
        None => {
            state
                .db
                .record_turn_at_gate(repo::PendingTurn { id, fields, turn }, actor)
                .await?
        }
    };
    let body = TurnRecorded {
        state: SessionState::try_from(&outcome.session)?,
        seq: outcome.message.seq,
        message_id: outcome.message.id.clone(),
        duplicate: outcome.duplicate,
    };
    if !outcome.duplicate {
        state.notify(&outcome.session.id, Change::Message);
    }
    Ok(if outcome.duplicate {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::Created().json(body)
    })
}

/// For a `staff` turn: where the takeover Baton may open for it sends its callbacks, checked.
/// `None` for other senders, which ignore these fields once checked (a workflow may send them on
/// every turn).
fn outside_route(
    state: &AppState,
    body: &RecordMessage,
    sender: Option<&Sender>,
    errors: &mut Vec<FieldError>,
) -> Option<OutsideRoute> {
    let staff = matches!(sender, Some(Sender::Staff(_)));
    let policy = &state.config.url_policy;
    let mut url = |field: &str, raw: &Option<String>| match raw {
        Some(u) => match WebhookUrl::parse_with(u, policy) {
            Ok(u) => Some(u.as_str().to_string()),
            Err(e) => {
                errors.push(FieldError {
                    field: field.into(),
                    message: e,
                });
                None
            }
        },
        None => None,
    };
    let reply_webhook = url("reply_webhook", &body.reply_webhook);
    let handback_signal = url("handback_signal", &body.handback_signal);
    text_field("assignee", &body.assignee, 100, errors);
    if !staff {
        return None;
    }
    Some(OutsideRoute {
        reply_webhook,
        handback_signal,
        assignee: body.assignee.clone(),
    })
}

/// Who owns the next turn, and the session around it.
#[utoipa::path(
    tag = "sessions",
    params(("session_id" = String, Path, description = "The integration's session id")),
    responses(
        (status = 200, description = "The session", body = SessionState),
        (status = 400, description = "Invalid session id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/sessions/{session_id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<SessionState>, ApiError> {
    let id = session_id(&path)?;
    let (row, queue) = state
        .db
        .read(move |conn| {
            let row = repo::get(conn, id.as_str())?;
            match row {
                Some(r) if takeovers::can_read_session(conn, &caller, &r.id)? => {
                    let queue = match r.open_takeover_id.as_deref() {
                        Some(t) => match takeovers::get(conn, t)? {
                            Some(t) => routing::queue_info(conn, &t)?,
                            None => None,
                        },
                        None => None,
                    };
                    Ok(Some((r, queue)))
                }
                _ => Ok(None),
            }
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no session {:?}", path.as_str())))?;
    let mut body = SessionState::try_from(&row)?;
    body.queue = queue;
    Ok(web::Json(body))
}

/// Paging of a history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Return messages with `seq` greater than this (default 0: from the start).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The full ordered history, paged by sequence number.
#[utoipa::path(
    tag = "sessions",
    params(("session_id" = String, Path, description = "The integration's session id"), HistoryQuery),
    responses(
        (status = 200, description = "A page of history, oldest first", body = MessagePage),
        (status = 400, description = "Invalid paging", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/sessions/{session_id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<MessagePage>, ApiError> {
    let id = session_id(&path)?;
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    if after < 0 {
        return Err(ApiError::field("after", "must be 0 or more"));
    }
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 500"));
    }
    let rows = state
        .db
        .read(move |conn| {
            match repo::get(conn, id.as_str())? {
                Some(r) if takeovers::can_read_session(conn, &caller, &r.id)? => {}
                _ => return Ok(None),
            }
            repo::page(conn, id.as_str(), after, limit + 1).map(Some)
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no session {:?}", path.as_str())))?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Message> = rows
        .iter()
        .take(limit as usize)
        .map(Message::from)
        .collect();
    let next_after = if more {
        items.last().map(|m| m.seq)
    } else {
        None
    };
    Ok(web::Json(MessagePage { items, next_after }))
}

/// Hand the conversation back to the AI.
///
/// Reviewers hand back what they hold, with a summary (required) that is appended to the
/// history as a `system` message the AI will read. The integration may hand back any open
/// takeover (the summary is then optional). The `session.handed_back` callback goes to the
/// takeover's `handback_signal`, else its `reply_webhook`.
#[utoipa::path(
    tag = "sessions",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body(content = Option<HandbackRequest>, description = "Optional for the integration; `summary` required for reviewers"),
    responses(
        (status = 200, description = "Handed back; the AI owns the next turn", body = SessionState),
        (status = 400, description = "Invalid fields (a reviewer sent no summary)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No open takeover, or another reviewer holds it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/handback")]
pub async fn create_handback(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<SessionState>, ApiError> {
    let id = session_id(&path)?;
    let body: HandbackRequest = parse_json(&req, &body, Some(HandbackRequest::default()))?;
    if let Some(s) = &body.summary {
        if s.chars().count() > 10_000 {
            return Err(ApiError::field(
                "summary",
                "must be at most 10000 characters",
            ));
        }
    }
    if matches!(caller, Caller::Reviewer(_))
        && body.summary.as_deref().is_none_or(|s| s.trim().is_empty())
    {
        return Err(ApiError::field(
            "summary",
            "say in a sentence what was resolved, so the AI continues from it",
        ));
    }
    let s = state
        .db
        .write(move |conn| takeovers::handback(conn, id.as_str(), &caller, body.summary.as_deref()))
        .await?;
    state.notify(&s.id, Change::HandedBack);
    Ok(web::Json(SessionState::try_from(&s)?))
}

/// Close the conversation (and its open takeover). A new user turn opens it again as `ai`.
#[utoipa::path(
    tag = "sessions",
    params(("session_id" = String, Path, description = "The integration's session id")),
    request_body(content = Option<CloseRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Closed", body = SessionState),
        (status = 400, description = "Invalid session id or body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another reviewer holds it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[post("/v1/sessions/{session_id}/close")]
pub async fn create_close(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<SessionState>, ApiError> {
    let id = session_id(&path)?;
    let body: CloseRequest = parse_json(&req, &body, Some(CloseRequest::default()))?;
    let s = state
        .db
        .write(move |conn| takeovers::close(conn, id.as_str(), &caller, body.reason.as_deref()))
        .await?;
    state.notify(&s.id, Change::Closed);
    Ok(web::Json(SessionState::try_from(&s)?))
}
