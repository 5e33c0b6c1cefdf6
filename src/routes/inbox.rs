//! The reviewer's queue.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

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
