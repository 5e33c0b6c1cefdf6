//! Conversation search: words in messages, session and user ids, filters and order, over open
//! and closed conversations the caller may see.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{inbox_url, utc};
use crate::auth::Caller;
use crate::db::search as repo;
use crate::domain::search::{highlighted, RawSearch, Search, SearchSort, StatusFilter};
use crate::domain::session::SessionStatus;
use crate::domain::types::{Outcome, Reason};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// What to find, and how to order it. Blank values filter nothing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to find in the conversation's messages (all of them, in any message; case and
    /// punctuation do not matter). The whole text also finds a session id or user id that
    /// equals it or starts with it. At most 200 characters.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only conversations whose latest takeover is assigned to this team (its name).
    pub team: Option<String>,
    /// Only this channel (`telegram`, `whatsapp`, `web`...).
    pub channel: Option<String>,
    /// Only conversations whose latest takeover was requested for this reason.
    #[param(schema_with = reason_schema)]
    pub reason: Option<String>,
    /// Only conversations whose latest takeover ended this way.
    #[param(schema_with = outcome_schema)]
    pub outcome: Option<String>,
    /// Only conversations this reviewer (sign-in name) held at some point.
    pub reviewer: Option<String>,
    /// `open` or `closed`.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// Last activity at or after this time.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<String>,
    /// Last activity before this time.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub to: Option<String>,
    /// `recent` (last activity first, the default), `oldest`, or `relevance` (best match of
    /// the words first).
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// At most this many conversations, 1 to 100 (default 25).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Skip this many conversations, 0 (default) to 1000: the next page of the same search
    /// starts at `offset + limit`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1000)]
    pub offset: Option<String>,
}

fn reason_schema() -> utoipa::openapi::schema::Schema {
    super::dto::one_of(Reason::NAMES)
}

fn outcome_schema() -> utoipa::openapi::schema::Schema {
    super::dto::one_of(Outcome::NAMES)
}

fn status_schema() -> utoipa::openapi::schema::Schema {
    super::dto::one_of(StatusFilter::NAMES)
}

fn sort_schema() -> utoipa::openapi::schema::Schema {
    super::dto::one_of(SearchSort::NAMES)
}

/// Conversations found, in the order asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    /// The conversations.
    pub items: Vec<SearchHit>,
}

/// One conversation found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// The integration's session id.
    pub session_id: String,
    /// The channel, as the integration named it.
    pub channel: Option<String>,
    /// The integration's user id, if given.
    pub user_id: Option<String>,
    /// Where the conversation stands.
    pub status: SessionStatus,
    /// When the conversation last changed.
    pub last_activity_at: DateTime<Utc>,
    /// Its latest handoff to a person.
    pub latest_takeover: SearchTakeover,
    /// When words matched: the best matching message around them, cut into parts; the matched
    /// words are the parts with `matched: true`. Empty when only an id matched.
    pub snippet: Vec<SnippetPart>,
    /// The conversation in the reviewer inbox.
    pub inbox_url: String,
}

/// The latest takeover of a conversation found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchTakeover {
    /// Takeover id.
    pub id: String,
    /// Why the bot stopped.
    pub reason: Reason,
    /// How it ended, once resolved.
    pub outcome: Option<Outcome>,
    /// The team it is assigned to.
    pub team: Option<String>,
    /// The reviewer who held it (sign-in name).
    pub claimed_by: Option<String>,
}

/// A piece of a snippet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SnippetPart {
    /// The text, as written (escape it before showing it as HTML).
    pub text: String,
    /// Whether this is a word the search matched.
    pub matched: bool,
}

/// Finds conversations by words in their messages, by session id or user id, and by team,
/// channel, reason, outcome, reviewer, status and last activity, over open and closed
/// conversations. Reviewers find only conversations they may see (their teams', their own and
/// unassigned ones); API keys and admins find all. Conversations that never reached a person
/// are not listed.
#[utoipa::path(
    tag = "conversations",
    params(SearchQuery),
    responses(
        (status = 200, description = "The conversations found, at most `limit`", body = SearchPage),
        (status = 400, description = "An invalid parameter (`type` /problems/validation names it)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Credentials that cannot read conversations", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/search")]
pub async fn list_search(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<SearchPage>, ApiError> {
    let q = query.into_inner();
    let search = Search::parse(&RawSearch {
        q: q.q.as_deref(),
        team: q.team.as_deref(),
        channel: q.channel.as_deref(),
        reason: q.reason.as_deref(),
        outcome: q.outcome.as_deref(),
        reviewer: q.reviewer.as_deref(),
        status: q.status.as_deref(),
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        sort: q.sort.as_deref(),
        limit: q.limit.as_deref(),
        offset: q.offset.as_deref(),
    })
    .map_err(|problems| {
        ApiError::validation(
            problems
                .into_iter()
                .map(|(field, message)| FieldError {
                    field: field.into(),
                    message,
                })
                .collect(),
        )
    })?;
    let hits = state
        .db
        .read(move |conn| repo::search(conn, &caller, &search))
        .await?;
    let base = state.public_base.clone();
    let items = hits
        .into_iter()
        .map(|repo::Found { hit: h, snippet }| {
            let status = SessionStatus::parse(&h.status).ok_or_else(|| {
                crate::db::sessions::unknown_status("session", &h.session_id, &h.status)
            })?;
            Ok(SearchHit {
                inbox_url: inbox_url(&base, &h.session_id),
                status,
                last_activity_at: utc(h.updated_at),
                latest_takeover: SearchTakeover {
                    id: h.takeover_id,
                    reason: Reason::parse(&h.reason).unwrap_or_default(),
                    outcome: h.outcome.as_deref().and_then(Outcome::parse),
                    team: h.team,
                    claimed_by: h.claimed_by,
                },
                snippet: snippet
                    .as_deref()
                    .map(highlighted)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(text, matched)| SnippetPart { text, matched })
                    .collect(),
                session_id: h.session_id,
                channel: h.channel,
                user_id: h.user_id,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(web::Json(SearchPage { items }))
}
