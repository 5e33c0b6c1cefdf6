//! Baton's own web chat. Admins create widget keys (`/v1/widgets`); a site embeds
//! `<script src="…/widget.js" data-baton-key="pk_…">`; the visitor's browser talks to
//! `/widget/v1/…` with a visitor token that reaches its one conversation and nothing else, and
//! reads the conversation live from `/widget/v1/stream` (server-sent events, resumed with
//! `Last-Event-ID`).
//!
//! Cross-origin rules: every visitor request must come from one of the widget's origins
//! (`Origin`, checked here); answers allow any origin to read them (`*`), which is safe because
//! nothing rides on cookies: the token travels in `Authorization`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa::ToSchema;

use super::dto::utc;
use super::parse_json;
use crate::auth::AdminAuth;
use crate::db::widgets::{self as repo, Feed, VisitorRow, WidgetRow};
use crate::db::{accounts, now};
use crate::domain::change::Change;
use crate::domain::credentials::token_digest;
use crate::domain::types::{RecordId, Sender};
use crate::domain::widget::{
    generate_public_key, generate_visitor_token, new_session_id, snippet, visible_author,
    AllowedOrigins, Author, Cursor, MAX_VISITOR_TEXT, VISITOR_TOKEN_PREFIX,
};
use crate::error::{ApiError, FieldError, Kind, Problem};
use crate::live::LiveEvent;
use crate::state::{AppState, VisitorSignal};

/// The widget's script and its style sheet (loaded into the widget's shadow root).
const WIDGET_JS: &str = include_str!("../inbox/assets/widget.js");
const WIDGET_CSS: &str = include_str!("../inbox/assets/widget.css");

/// How often an idle visitor stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a visitor stream looks at the feed and its widget even when told nothing: a
/// change made on another replica, or a key revoked there, shows up within this.
const RECHECK: Duration = Duration::from_secs(10);
/// The most feed items read at once.
const PAGE: i64 = 200;

// ---- Admin: widget keys ----

/// A new widget key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetRequest {
    /// A name for people (the site or brand).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The sites that may embed it, as browsers send `Origin`: `https://shop.example.com`
    /// (scheme, host, port; no path). `*` allows any site, for trying it out.
    #[schema(min_items = 1, max_items = 50)]
    pub allowed_origins: Vec<String>,
    /// The team its conversations go to; sent to the workflow with each `customer.message`
    /// (use it as the takeover's `assignee`).
    pub team: Option<String>,
    /// The chat window's title (default "Chat with us").
    #[schema(max_length = 100)]
    pub title: Option<String>,
    /// The first line the visitor reads, before anyone writes.
    #[schema(max_length = 500)]
    pub welcome: Option<String>,
}

/// A widget key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Widget {
    /// Widget id (`wgt_…`).
    pub id: String,
    /// The public key the site's script tag names (`pk_…`).
    pub public_key: String,
    pub name: String,
    pub team: Option<String>,
    pub allowed_origins: Vec<String>,
    pub title: String,
    pub welcome: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set once revoked: its visitors can no longer write, and their streams end.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The tag to paste into the site's pages.
    pub snippet: String,
}

impl Widget {
    fn from_row(w: &WidgetRow, base: &str) -> Widget {
        Widget {
            id: w.id.clone(),
            public_key: w.public_key.clone(),
            name: w.name.clone(),
            team: w.team.clone(),
            allowed_origins: w.origins(),
            title: w.title.clone(),
            welcome: w.welcome.clone(),
            created_at: utc(w.created_at),
            revoked_at: w.revoked_at.map(utc),
            snippet: snippet(base, &w.public_key),
        }
    }
}

fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError {
            field: field.into(),
            message: format!("must be at most {max} characters"),
        });
    }
    Some(v)
}

/// Create a widget key for Baton's web chat. The answer's `snippet` is the script tag to
/// paste into the site.
#[utoipa::path(
    tag = "web chat",
    request_body = WidgetRequest,
    responses(
        (status = 201, description = "Created", body = Widget),
        (status = 400, description = "Invalid fields (an origin with a path, an unknown team…)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/widgets")]
pub async fn create_widget(
    state: web::Data<AppState>,
    admin: AdminAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: WidgetRequest = parse_json(&req, &body, None)?;
    let mut errors = Vec::new();
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError {
            field: "name".into(),
            message: "must be 1 to 100 characters".into(),
        });
    }
    let origins = AllowedOrigins::parse(&body.allowed_origins).unwrap_or_else(|e| {
        errors.push(FieldError {
            field: "allowed_origins".into(),
            message: e,
        });
        AllowedOrigins::from_stored(Vec::new())
    });
    let title = optional_text("title", body.title, 100, &mut errors)
        .unwrap_or_else(|| "Chat with us".into());
    let welcome = optional_text("welcome", body.welcome, 500, &mut errors);
    let team = body
        .team
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = WidgetRow {
        id: format!("wgt_{}", RecordId::new().to_string().replace('-', "")),
        public_key: generate_public_key(),
        name,
        team,
        allowed_origins: serde_json::to_string(&origins.to_vec())
            .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?,
        title,
        welcome,
        created_at: now(),
        revoked_at: None,
    };
    let actor = admin.actor();
    let row = state
        .db
        .write(move |conn| {
            if let Some(team) = &row.team {
                if accounts::find_team(conn, team)?.is_none() {
                    return Err(ApiError::field("team", format!("no team {team:?}")));
                }
            }
            repo::create(conn, &row)?;
            crate::db::audit::record(
                conn,
                crate::db::audit::Entry {
                    actor: &actor,
                    action: "widget.created",
                    detail: Some(serde_json::json!({"widget": row.id, "name": row.name})),
                    ..Default::default()
                },
            )?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(Widget::from_row(&row, &state.public_base)))
}

/// List widget keys, revoked ones included.
#[utoipa::path(
    tag = "web chat",
    responses(
        (status = 200, description = "Widget keys, oldest first", body = [Widget]),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/widgets")]
pub async fn list_widgets(
    state: web::Data<AppState>,
    _admin: AdminAuth,
) -> Result<web::Json<Vec<Widget>>, ApiError> {
    let rows = state.db.read(repo::list).await?;
    Ok(web::Json(
        rows.iter()
            .map(|w| Widget::from_row(w, &state.public_base))
            .collect(),
    ))
}

/// Revoke a widget key: its visitors can no longer start or continue a conversation, and
/// their open streams end at once. Conversations already in the inbox stay there.
#[utoipa::path(
    tag = "web chat",
    params(("widget_id" = String, Path, description = "Widget id (`wgt_…`)")),
    responses(
        (status = 200, description = "Revoked (revoking again changes nothing)", body = Widget),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such widget", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/widgets/{widget_id}")]
pub async fn delete_widget(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
) -> Result<web::Json<Widget>, ApiError> {
    let id = path.into_inner();
    let actor = admin.actor();
    let (row, _sessions) = state
        .db
        .write(move |conn| {
            let found = repo::revoke(conn, &id)?
                .ok_or_else(|| ApiError::not_found(format!("no widget {id:?}")))?;
            crate::db::audit::record(
                conn,
                crate::db::audit::Entry {
                    actor: &actor,
                    action: "widget.revoked",
                    detail: Some(serde_json::json!({"widget": id})),
                    ..Default::default()
                },
            )?;
            Ok(found)
        })
        .await?;
    let _ = state
        .visitor_signals
        .send(VisitorSignal::WidgetRevoked(row.id.clone()));
    Ok(web::Json(Widget::from_row(&row, &state.public_base)))
}

// ---- Visitors ----

/// A visitor opens the chat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorStart {
    /// The widget's public key (`pk_…`), from the script tag.
    pub key: String,
    /// The visitor's browser language (`navigator.language`): what Baton says to them is in
    /// this language when it has it.
    #[schema(max_length = 64)]
    pub locale: Option<String>,
}

/// A visitor's conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorConversation {
    /// The visitor's token: keep it (the widget keeps it in local storage) and send it as
    /// `Authorization: Bearer vt_…`. Only in the answer that starts the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The session the conversation is recorded under (the workflow sees it as `session_id`).
    pub session_id: String,
    /// The chat window's title.
    pub title: String,
    /// The first line the visitor reads.
    pub welcome: Option<String>,
}

/// A visitor's message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorMessage {
    /// What the visitor wrote (1–4 000 characters).
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
    /// The widget's own id for this message: a retry with the same id is recorded once.
    #[schema(min_length = 1, max_length = 100)]
    pub client_id: Option<String>,
}

/// A visitor's message, recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorMessageAccepted {
    /// Message id.
    pub id: String,
    /// Its place in the conversation.
    pub seq: i64,
    /// True when a message with this `client_id` was already recorded.
    pub duplicate: bool,
}

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// The request's `Origin`, if the widget allows it; else 403.
fn check_origin(req: &HttpRequest, widget: &WidgetRow) -> Result<(), ApiError> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if origin.is_empty() {
        return Err(ApiError::forbidden(
            "the web chat answers browsers on the widget's sites only (no Origin header)",
        ));
    }
    if !AllowedOrigins::from_stored(widget.origins()).allows(origin) {
        return Err(ApiError::forbidden(format!(
            "this chat widget is not allowed on {origin}; an admin can add it to the widget's origins"
        )));
    }
    Ok(())
}

fn revoked() -> ApiError {
    ApiError::forbidden("this chat widget was switched off by the site's team")
}

fn limited(wait: Duration) -> ApiError {
    ApiError::new(
        Kind::TooManyRequests,
        "too many messages; wait a moment and try again",
    )
    .with_retry_after(wait.as_secs().max(1))
}

/// The widget a page names by its public key, if the page's origin is one of the widget's and
/// the key still works.
async fn page_widget(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    key: String,
) -> Result<WidgetRow, ApiError> {
    let widget = state
        .db
        .read(move |conn| repo::by_public_key(conn, &key))
        .await?
        .ok_or_else(|| ApiError::not_found("no chat widget with this key"))?;
    check_origin(req, &widget)?;
    if widget.revoked_at.is_some() {
        return Err(revoked());
    }
    Ok(widget)
}

/// The visitor behind `Authorization: Bearer vt_…`, checked against its widget's origins.
async fn visitor(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<(VisitorRow, WidgetRow), ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(VISITOR_TOKEN_PREFIX))
        .ok_or_else(|| {
            ApiError::unauthorized("send the visitor token as Authorization: Bearer vt_…")
        })?;
    let digest = token_digest(token);
    let (v, w) = state
        .db
        .read(move |conn| repo::visitor(conn, &digest))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown visitor token; start a new conversation"))?;
    check_origin(req, &w)?;
    if w.revoked_at.is_some() {
        return Err(revoked());
    }
    Ok((v, w))
}

/// What the widget shows before a conversation starts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetLook {
    /// The chat window's title (also the bubble's label).
    pub title: String,
    /// The first line the visitor reads.
    pub welcome: Option<String>,
}

/// The widget's title and welcome line, for a page that has no conversation yet (no session is
/// started until the visitor writes or opens the chat).
#[utoipa::path(
    tag = "web chat",
    params(("public_key" = String, Path, description = "The widget's public key (`pk_…`)")),
    responses(
        (status = 200, description = "The widget's look", body = WidgetLook),
        (status = 403, description = "The page's origin is not one of the widget's, or the key was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such widget key", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/widget/v1/widgets/{public_key}")]
pub async fn get_widget_look(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<WidgetLook>, ApiError> {
    let widget = page_widget(&state, &req, path.into_inner()).await?;
    Ok(web::Json(WidgetLook {
        title: widget.title,
        welcome: widget.welcome,
    }))
}

/// Start a visitor's conversation (the widget calls it when the visitor first opens the chat).
#[utoipa::path(
    tag = "web chat",
    request_body = VisitorStart,
    responses(
        (status = 201, description = "Started: keep the token", body = VisitorConversation),
        (status = 400, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The page's origin is not one of the widget's, or the key was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such widget key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many new conversations from this address (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/widget/v1/conversations")]
pub async fn create_visitor_conversation(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: VisitorStart = parse_json(&req, &body, None)?;
    let widget = page_widget(&state, &req, body.key.trim().to_string()).await?;
    state
        .visitor_limits
        .starts_per_address
        .check(&client_address(&req))
        .map_err(limited)?;
    // A language tag the browser sent; anything else is left out rather than refused.
    let locale = body
        .locale
        .as_deref()
        .and_then(|l| crate::domain::texts::Lang::parse(l).ok())
        .map(|l| l.as_str().to_string());
    let token = generate_visitor_token();
    let row = VisitorRow {
        session_id: new_session_id(),
        token_digest: token_digest(&token),
        widget_id: widget.id.clone(),
        created_at: now(),
        locale,
    };
    let session_id = row.session_id.clone();
    state
        .db
        .write(move |conn| repo::start_visitor(conn, &row))
        .await?;
    Ok(HttpResponse::Created().json(VisitorConversation {
        token: Some(token),
        session_id,
        title: widget.title,
        welcome: widget.welcome,
    }))
}

/// The visitor's conversation (the widget calls it on a page load, with the kept token).
#[utoipa::path(
    tag = "web chat",
    responses(
        (status = 200, description = "The conversation", body = VisitorConversation),
        (status = 401, description = "Missing or unknown visitor token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong origin, or the key was revoked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("visitor_token" = []))
)]
#[get("/widget/v1/conversation")]
pub async fn get_visitor_conversation(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<web::Json<VisitorConversation>, ApiError> {
    let (v, w) = visitor(&state, &req).await?;
    Ok(web::Json(VisitorConversation {
        token: None,
        session_id: v.session_id,
        title: w.title,
        welcome: w.welcome,
    }))
}

/// A visitor writes. The message is recorded through the turn gate; when the AI owns the next
/// turn it goes to the workflow as `customer.message`, else the reviewer sees it live.
#[utoipa::path(
    tag = "web chat",
    request_body = VisitorMessage,
    responses(
        (status = 201, description = "Recorded", body = VisitorMessageAccepted),
        (status = 200, description = "Already recorded (same `client_id`)", body = VisitorMessageAccepted),
        (status = 400, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown visitor token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong origin, or the key was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("visitor_token" = []))
)]
#[post("/widget/v1/messages")]
pub async fn create_visitor_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (v, w) = visitor(&state, &req).await?;
    let body: VisitorMessage = parse_json(&req, &body, None)?;
    let text = body.text.trim().to_string();
    let n = text.chars().count();
    if n == 0 || n > MAX_VISITOR_TEXT {
        return Err(ApiError::field(
            "text",
            format!("must be 1 to {MAX_VISITOR_TEXT} characters"),
        ));
    }
    let client_id = body.client_id.filter(|c| !c.trim().is_empty());
    if client_id.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(ApiError::field(
            "client_id",
            "must be at most 100 characters",
        ));
    }
    state
        .visitor_limits
        .per_visitor
        .check(&v.session_id)
        .map_err(limited)?;
    state
        .visitor_limits
        .per_address
        .check(&client_address(&req))
        .map_err(limited)?;
    let outcome = state
        .db
        .write(move |conn| repo::record_visitor_turn(conn, &v, &w, &text, client_id))
        .await?;
    let answer = VisitorMessageAccepted {
        id: outcome.message.id.clone(),
        seq: outcome.message.seq,
        duplicate: outcome.duplicate,
    };
    if outcome.duplicate {
        return Ok(HttpResponse::Ok().json(answer));
    }
    // The workflow's copy was queued with the turn: wake the worker, and tell the inbox.
    state.wake_outbox();
    state.notify(&outcome.session.id, Change::Message);
    Ok(HttpResponse::Created().json(answer))
}

/// The visitor's conversation, live, as server-sent events.
///
/// `event: item` carries one turn or notice (JSON `VisitorItem`) with an `id:` to send back as
/// `Last-Event-ID` after a reconnect or a page load: the stream then starts after it, so
/// nothing is lost or shown twice. Without it the stream starts with the whole conversation.
/// `event: typing` says a person is writing (`{"name": "Alice"}`); `event: end` says the
/// widget was switched off, and the stream ends.
#[utoipa::path(
    tag = "web chat",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last item id the widget showed (`m<seq>.n<seq>`)")),
    responses(
        (status = 200, description = "`text/event-stream` of `VisitorItem`s", body = VisitorItem, content_type = "text/event-stream"),
        (status = 401, description = "Missing or unknown visitor token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Wrong origin, or the key was revoked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("visitor_token" = []))
)]
#[get("/widget/v1/stream")]
pub async fn get_visitor_stream(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (v, w) = visitor(&state, &req).await?;
    let cursor = req
        .headers()
        .get("last-event-id")
        .and_then(|h| h.to_str().ok())
        .and_then(Cursor::parse)
        .unwrap_or_default();
    let now = Instant::now();
    let s = VisitorStream {
        rx: state.live.subscribe(),
        signals: state.visitor_signals.subscribe(),
        state,
        session_id: v.session_id,
        widget_id: w.id,
        cursor,
        pending: VecDeque::from(["retry: 2000\n: connected\n\n".to_string()]),
        read_feed: true,
        ended: false,
        last_sent: now,
        next_check: now + RECHECK,
    };
    let body = stream::unfold(s, |mut s| async move {
        let chunk = s.next_chunk().await?;
        Some((
            Ok::<_, std::convert::Infallible>(web::Bytes::from(chunk)),
            s,
        ))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// One turn or notice of a visitor's conversation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorItem {
    /// `message` (a turn) or `notice` ("Alice joined the conversation"…).
    #[serde(rename = "type")]
    pub item_type: String,
    /// For a message: `visitor`, `assistant` or `agent` (a person).
    pub from: Option<String>,
    /// For a person's message or notice: their display name.
    pub name: Option<String>,
    /// The text, to show as text (never as HTML).
    pub text: String,
    /// For a notice: the event it comes from (`takeover.claimed`, `session.handed_back`…).
    pub kind: Option<String>,
    /// For a visitor's message: the `client_id` it was sent with.
    pub client_id: Option<String>,
    pub at: DateTime<Utc>,
}

struct VisitorStream {
    state: web::Data<AppState>,
    rx: broadcast::Receiver<LiveEvent>,
    signals: broadcast::Receiver<VisitorSignal>,
    session_id: String,
    widget_id: String,
    cursor: Cursor,
    pending: VecDeque<String>,
    /// The feed may hold what the widget has not shown.
    read_feed: bool,
    ended: bool,
    last_sent: Instant,
    next_check: Instant,
}

impl VisitorStream {
    async fn next_chunk(&mut self) -> Option<String> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                self.last_sent = Instant::now();
                return Some(chunk);
            }
            if self.ended {
                return None;
            }
            if self.read_feed {
                self.read_feed = false;
                self.read().await;
                continue;
            }
            let keep_alive = self.last_sent + KEEP_ALIVE;
            tokio::select! {
                got = self.rx.recv() => match got {
                    Ok(e) if e.session_id == self.session_id => self.read_feed = true,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => self.read_feed = true,
                    Err(RecvError::Closed) => return None,
                },
                got = self.signals.recv() => match got {
                    Ok(VisitorSignal::Typing { session_id, name }) if session_id == self.session_id => {
                        let data = serde_json::json!({"name": name});
                        self.pending.push_back(format!("event: typing\ndata: {data}\n\n"));
                    }
                    Ok(VisitorSignal::WidgetRevoked(id)) if id == self.widget_id => self.read_feed = true,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.next_check.into()) => self.read_feed = true,
                _ = tokio::time::sleep_until(keep_alive.into()) => {
                    self.pending.push_back(": keep-alive\n\n".into());
                }
            }
        }
    }

    /// Reads what the widget has not shown (and whether its key still works) into `pending`.
    async fn read(&mut self) {
        self.next_check = Instant::now() + RECHECK;
        let (session, widget, after) =
            (self.session_id.clone(), self.widget_id.clone(), self.cursor);
        let read = self
            .state
            .db
            .read(move |conn| {
                let w = repo::get(conn, &widget)?;
                let feed = repo::feed_after(conn, &session, after, PAGE)?;
                Ok((w, feed))
            })
            .await;
        // A database hiccup is no reason to drop the visitor: try again shortly.
        let (widget, feed) = match read {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!(error = %e, session = %self.session_id, "reading a visitor's feed failed; retrying");
                self.next_check = Instant::now() + Duration::from_millis(500);
                return;
            }
        };
        if widget.is_none_or(|w| w.revoked_at.is_some()) {
            self.pending
                .push_back("event: end\ndata: {\"reason\":\"revoked\"}\n\n".into());
            self.ended = true;
            return;
        }
        let full = feed.messages.len() as i64 == PAGE || feed.notices.len() as i64 == PAGE;
        for (cursor, item) in merge(feed, self.cursor) {
            self.cursor = cursor;
            if let Some(item) = item {
                let data = serde_json::to_string(&item).unwrap_or_default();
                self.pending.push_back(format!(
                    "id: {}\nevent: item\ndata: {data}\n\n",
                    cursor.id()
                ));
            }
        }
        self.read_feed = full;
    }
}

/// The feed's turns and notices in the order they happened, each with the cursor just past it;
/// turns the visitor does not see move the cursor without an item.
fn merge(feed: Feed, mut cursor: Cursor) -> Vec<(Cursor, Option<VisitorItem>)> {
    let Feed {
        messages,
        notices,
        names,
    } = feed;
    let mut messages = messages.into_iter().peekable();
    let mut notices = notices.into_iter().peekable();
    let mut out = Vec::new();
    loop {
        let take_message = match (messages.peek(), notices.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(m), Some(n)) => m.recorded_at <= n.created_at,
        };
        if take_message {
            let Some(m) = messages.next() else { break };
            cursor.message = m.seq;
            let author = Sender::parse(&m.sender)
                .ok()
                .as_ref()
                .and_then(visible_author);
            let item = author.map(|a| VisitorItem {
                item_type: "message".into(),
                from: Some(a.as_str().to_string()),
                name: match &a {
                    Author::Agent(login) => {
                        Some(names.get(login).cloned().unwrap_or_else(|| login.clone()))
                    }
                    _ => None,
                },
                text: m.content,
                kind: None,
                client_id: match a {
                    Author::Visitor => m.external_id,
                    _ => None,
                },
                at: utc(m.recorded_at),
            });
            out.push((cursor, item));
        } else {
            let Some(n) = notices.next() else { break };
            cursor.notice = n.seq;
            out.push((
                cursor,
                Some(VisitorItem {
                    item_type: "notice".into(),
                    from: None,
                    name: n.author,
                    text: n.text,
                    kind: Some(n.kind),
                    client_id: None,
                    at: utc(n.created_at),
                }),
            ));
        }
    }
    out
}

// ---- The script, and the browsers' preflight ----

/// `/widget.js`, `/widget.css` and the CORS preflight of `/widget/v1/…` (neither is part of the JSON API).
pub fn configure_public(cfg: &mut web::ServiceConfig) {
    // Sent compressed to browsers that ask for it (the two files are about 5 KB gzipped).
    cfg.service(
        web::resource("/widget.js")
            .wrap(actix_web::middleware::Compress::default())
            .route(web::get().to(get_widget_script)),
    )
    .service(
        web::resource("/widget.css")
            .wrap(actix_web::middleware::Compress::default())
            .route(web::get().to(get_widget_stylesheet)),
    )
    .route(
        "/widget/v1/{tail:.*}",
        web::method(actix_web::http::Method::OPTIONS).to(preflight),
    );
}

async fn get_widget_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(WIDGET_JS)
}

async fn get_widget_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(WIDGET_CSS)
}

async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Access-Control-Allow-Methods", "GET, POST"))
        .insert_header((
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, Last-Event-ID",
        ))
        .insert_header(("Access-Control-Max-Age", "600"))
        .finish()
}

/// Lets the widget's sites read the answers of `/widget/v1/…` (errors included, so the widget
/// can say what went wrong) and its `Retry-After`. Which sites may *act* is checked per request
/// against the widget's origins; no cookie is involved, so `*` exposes nothing.
pub async fn cors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let widget = req.path().starts_with("/widget/");
    let mut res = next.call(req).await?;
    if widget {
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::HeaderValue::from_static("Retry-After"),
        );
    }
    Ok(res)
}
