//! The reviewer's queue.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{InboxCounts, InboxItem, InboxPage, Message, SessionState, Takeover};
use crate::auth::ReviewerAuth;
use crate::db::queue::{self as repo, InboxView};
use crate::db::{now, sessions};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Which part of the queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// `waiting` (default), `mine`, `team` or `handed_back` (the last 24 hours).
    pub view: Option<InboxView>,
    /// At most this many entries, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Conversations waiting for me or held by me, highest priority first, then longest waiting.
#[utoipa::path(
    tag = "conversations",
    params(InboxQuery),
    responses(
        (status = 200, description = "The queue", body = InboxPage),
        (status = 400, description = "Invalid view or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/inbox")]
pub async fn get_inbox(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    query: web::Query<InboxQuery>,
) -> Result<web::Json<InboxPage>, ApiError> {
    let view = query.view.unwrap_or_default();
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1 to 500"));
    }
    let base = state.public_base.clone();
    let page = state
        .db
        .read(move |conn| {
            let rows = repo::inbox(conn, &reviewer, view, limit)?;
            let ids: Vec<&str> = rows.iter().map(|(_, s)| s.id.as_str()).collect();
            let last = sessions::last_messages(conn, &ids)?;
            let at = now();
            let items = rows
                .iter()
                .map(|(t, s)| {
                    Ok(InboxItem {
                        waiting_seconds: (at - t.created_at).num_seconds().max(0),
                        takeover: Takeover::from_row(t, &base),
                        session: SessionState::try_from(s)?,
                        last_message: last.get(&s.id).map(Message::from),
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let c = repo::inbox_counts(conn, &reviewer)?;
            let counts = InboxCounts {
                waiting: c.waiting,
                mine: c.mine,
                team: c.team,
                handed_back: c.handed_back,
            };
            Ok(InboxPage { items, counts })
        })
        .await?;
    Ok(web::Json(page))
}

/// An open conversation with customer messages the reviewer has not read.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadItem {
    /// The conversation.
    pub session_id: String,
    /// Its open takeover.
    pub takeover_id: String,
    /// `waiting` (nobody holds it), `offered` (automatic assignment offered it to you),
    /// `mine` (you hold it) or `other` (someone else holds it).
    pub state: String,
    /// Customer messages you have not read.
    pub messages: i64,
}

/// What needs the reviewer: conversations with unread customer messages per view, and the
/// ones behind the counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unread {
    /// Waiting conversations with unread messages.
    pub waiting: i64,
    /// Conversations you hold (or were offered) with unread messages.
    pub mine: i64,
    /// Open conversations in your teams with unread messages.
    pub team: i64,
    /// Conversations that need you: waiting or yours, with unread messages (the number in the
    /// inbox's page title).
    pub needs_you: i64,
    /// The unread conversations, newest request first (at most 1000).
    pub items: Vec<UnreadItem>,
}

/// What needs me: unread customer messages in the open conversations I may see (each
/// reviewer reads on their own; `PUT /v1/sessions/{id}/read` moves the mark). The inbox polls
/// it on every live change for its badges, title and alerts.
#[utoipa::path(
    tag = "conversations",
    responses(
        (status = 200, description = "Unread conversations", body = Unread),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/inbox/unread")]
pub async fn get_unread(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
) -> Result<web::Json<Unread>, ApiError> {
    let rows = state
        .db
        .read(move |conn| crate::db::reads::open_unread(conn, &reviewer))
        .await?;
    let items: Vec<UnreadItem> = rows
        .iter()
        .map(|u| UnreadItem {
            session_id: u.session_id.clone(),
            takeover_id: u.takeover_id.clone(),
            state: if u.held_by_me {
                "mine"
            } else if u.offered_to_me {
                "offered"
            } else if u.waiting {
                "waiting"
            } else {
                "other"
            }
            .into(),
            messages: u.messages,
        })
        .collect();
    let t = crate::db::reads::tally(&rows);
    Ok(web::Json(Unread {
        waiting: t.waiting,
        mine: t.mine,
        team: t.team,
        needs_you: t.needs_you,
        items,
    }))
}
