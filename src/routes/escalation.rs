//! Escalation policies and team notification channels (API keys and admin reviewers).

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::utc;
use super::parse_json;
use crate::auth::{generate_signing_secret, Caller};
use crate::db::models::{EscalationPolicyRow, TeamChannelRow};
use crate::db::{accounts, escalation as repo, now};
use crate::domain::policy::{parse_steps, FallbackAction};
use crate::domain::types::{RecordId, WebhookUrl};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::ApiKey(_) => Ok(()),
        Caller::Reviewer(r) if r.is_admin => Ok(()),
        Caller::Reviewer(_) => Err(ApiError::forbidden(
            "only API keys and admin reviewers manage this",
        )),
    }
}

/// One step of a policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The team or reviewer that gets the takeover at this step.
    pub assignee: String,
    /// How long they have: `"5m"`, `"1h"` or seconds.
    #[schema(schema_with = super::dto::duration_schema)]
    pub wait: serde_json::Value,
}

/// An escalation policy as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// The team whose takeovers follow this policy unless a request names another.
    pub team: Option<String>,
    /// Steps after the takeover's own `timeout` runs out, in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Sent to the customer after the last step runs out.
    pub fallback_message: Option<String>,
    /// Then: `handback` (default) or `close`.
    pub fallback_action: Option<FallbackAction>,
}

/// An escalation policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Policy {
    /// Its name (referenced by `escalation_policy` in takeover requests).
    pub name: String,
    /// The team it applies to by default.
    pub team: Option<String>,
    /// The steps.
    pub steps: Vec<Step>,
    /// Sent to the customer after the last step.
    pub fallback_message: String,
    /// `handback` or `close`.
    pub fallback_action: FallbackAction,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn view(conn: &mut crate::db::DbConnection, p: &EscalationPolicyRow) -> Result<Policy, ApiError> {
    let team = match &p.team_id {
        Some(id) => repo::team_name(conn, id)?,
        None => None,
    };
    Ok(Policy {
        name: p.name.clone(),
        team,
        steps: repo::steps_of(p)
            .into_iter()
            .map(|s| Step {
                assignee: s.assignee,
                wait: serde_json::json!(s.wait_seconds),
            })
            .collect(),
        fallback_message: p.fallback_message.clone(),
        fallback_action: FallbackAction::parse(&p.fallback_action).unwrap_or_default(),
        updated_at: utc(p.updated_at),
    })
}

/// Create or replace an escalation policy.
#[utoipa::path(
    tag = "escalation",
    params(("name" = String, Path, description = "Policy name")),
    request_body = PolicyRequest,
    responses(
        (status = 200, description = "Stored", body = Policy),
        (status = 400, description = "Invalid steps, team or message", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key or admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[put("/v1/escalation-policies/{name}")]
pub async fn put_escalation_policy(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Policy>, ApiError> {
    require_admin(&caller)?;
    let name = path.into_inner();
    if name.trim().is_empty() || name.len() > 100 {
        return Err(ApiError::field("name", "must be 1 to 100 characters"));
    }
    let body: PolicyRequest = parse_json(&req, &body, None)?;
    let raw: Vec<(String, serde_json::Value)> = body
        .steps
        .into_iter()
        .map(|s| (s.assignee, s.wait))
        .collect();
    let steps = parse_steps(&raw).map_err(|errs| {
        ApiError::validation(
            errs.into_iter()
                .map(|(field, message)| FieldError { field, message })
                .collect(),
        )
    })?;
    let message = body
        .fallback_message
        .unwrap_or_else(|| state.config.fallback_message.clone());
    if message.trim().is_empty() || message.chars().count() > 2000 {
        return Err(ApiError::field(
            "fallback_message",
            "must be 1 to 2000 characters",
        ));
    }
    let action = body.fallback_action.unwrap_or(state.config.fallback_action);
    let policy = state
        .db
        .write(move |conn| {
            let team_id = match &body.team {
                Some(t) => Some(
                    accounts::find_team(conn, t)?
                        .ok_or_else(|| ApiError::field("team", format!("no team named {t:?}")))?
                        .id,
                ),
                None => None,
            };
            for (i, s) in steps.iter().enumerate() {
                crate::db::takeovers::resolve_assignee(
                    conn,
                    &format!("steps[{i}].assignee"),
                    Some(&s.assignee),
                )?;
            }
            let at = now();
            let row = repo::put_policy(
                conn,
                EscalationPolicyRow {
                    id: RecordId::new().to_string(),
                    name,
                    team_id,
                    steps: serde_json::to_string(&steps).unwrap_or_else(|_| "[]".into()),
                    fallback_message: message,
                    fallback_action: action.as_str().into(),
                    created_at: at,
                    updated_at: at,
                },
            )?;
            view(conn, &row)
        })
        .await?;
    Ok(web::Json(policy))
}

/// All escalation policies.
#[utoipa::path(
    tag = "escalation",
    responses(
        (status = 200, description = "Policies by name", body = [Policy]),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key or admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/escalation-policies")]
pub async fn list_escalation_policies(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Vec<Policy>>, ApiError> {
    require_admin(&caller)?;
    let list = state
        .db
        .read(|conn| {
            repo::list_policies(conn)?
                .iter()
                .map(|p| view(conn, p))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(web::Json(list))
}

/// Remove a policy (takeovers that follow it fall back to their own timeout).
#[utoipa::path(
    tag = "escalation",
    params(("name" = String, Path, description = "Policy name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such policy", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[delete("/v1/escalation-policies/{name}")]
pub async fn delete_escalation_policy(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&caller)?;
    let name = path.into_inner();
    let shown = name.clone();
    if !state
        .db
        .write(move |conn| repo::delete_policy(conn, &name))
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no escalation policy {shown:?}"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Kinds of notification channel.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Slack incoming webhook (`{"text": ...}`).
    Slack,
    /// A Microsoft Teams incoming webhook (`{"text": ...}`).
    Teams,
    /// A Telegram bot's `sendMessage` URL (`https://<bot api host>/bot<token>/sendMessage`) and `chat_id`.
    Telegram,
    /// Any URL; Standard Webhooks signed with the channel's own secret.
    Webhook,
}

/// A new notification channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRequest {
    /// What kind of receiver it is.
    pub kind: ChannelKind,
    /// Where to POST.
    #[schema(schema_with = super::dto::url_schema)]
    pub url: String,
    /// For `telegram`: the chat to post into.
    pub chat_id: Option<String>,
}

/// A team's notification channel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    /// Channel id.
    pub id: String,
    /// Kind.
    pub kind: ChannelKind,
    /// Where notices go.
    pub url: String,
    /// Telegram chat.
    pub chat_id: Option<String>,
    /// Signing secret (only when created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

fn channel_view(c: &TeamChannelRow, with_secret: bool) -> Channel {
    Channel {
        id: c.id.clone(),
        kind: serde_json::from_value(serde_json::json!(c.kind)).unwrap_or(ChannelKind::Webhook),
        url: c.url.clone(),
        chat_id: c.chat_id.clone(),
        secret: with_secret.then(|| c.secret.clone()),
        created_at: utc(c.created_at),
    }
}

/// Notify a team of new takeovers, escalations and silent reviewers through a channel.
#[utoipa::path(
    tag = "escalation",
    params(("team" = String, Path, description = "Team name")),
    request_body = ChannelRequest,
    responses(
        (status = 201, description = "Added", body = Channel),
        (status = 400, description = "Invalid URL or missing chat_id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[post("/v1/teams/{team}/channels")]
pub async fn create_team_channel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    require_admin(&caller)?;
    let team = path.into_inner();
    let body: ChannelRequest = parse_json(&req, &body, None)?;
    let url = WebhookUrl::parse_with(&body.url, &state.config.url_policy)
        .map_err(|e| ApiError::field("url", e))?;
    if body.kind == ChannelKind::Telegram
        && body.chat_id.as_deref().is_none_or(|c| c.trim().is_empty())
    {
        return Err(ApiError::field(
            "chat_id",
            "a telegram channel needs the chat_id to post into",
        ));
    }
    let kind = serde_json::to_value(body.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let row = state
        .db
        .write(move |conn| {
            let t = accounts::find_team(conn, &team)?
                .ok_or_else(|| ApiError::not_found(format!("no team {team:?}")))?;
            let row = TeamChannelRow {
                id: RecordId::new().to_string(),
                team_id: t.id,
                kind,
                url: url.as_str().to_string(),
                chat_id: body.chat_id,
                secret: generate_signing_secret(),
                created_at: now(),
            };
            crate::db::escalation::insert_team_channel(conn, &row)?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(channel_view(&row, true)))
}

/// A team's notification channels.
#[utoipa::path(
    tag = "escalation",
    params(("team" = String, Path, description = "Team name")),
    responses(
        (status = 200, description = "Channels", body = [Channel]),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/teams/{team}/channels")]
pub async fn list_team_channels(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Channel>>, ApiError> {
    require_admin(&caller)?;
    let team = path.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            let t = accounts::find_team(conn, &team)?
                .ok_or_else(|| ApiError::not_found(format!("no team {team:?}")))?;
            repo::list_channels(conn, &t.id)
        })
        .await?;
    Ok(web::Json(
        rows.iter().map(|c| channel_view(c, false)).collect(),
    ))
}
