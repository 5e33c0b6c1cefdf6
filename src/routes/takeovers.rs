//! Takeover requests from integrations.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::dto::{DecisionRequest, Takeover, TakeoverRequest};
use super::parse_json;
use super::sessions::session_fields;
use crate::auth::{ApiKeyAuth, Caller};
use crate::db::routing;
use crate::db::takeovers as repo;
use crate::domain::change::Change;
use crate::domain::duration::Timeout;
use crate::domain::policy::UrlPolicy;
use crate::domain::takeover::{check_content, HistoryTurn, TakeoverSpec, DECISIONS};
use crate::domain::types::{Mode, Sender, SessionId, TakeoverId, WebhookUrl};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// Checks a takeover request, collecting every problem at once.
fn parse(
    req: TakeoverRequest,
    default_timeout: std::time::Duration,
    policy: &UrlPolicy,
) -> Result<TakeoverSpec, ApiError> {
    let mut errors = Vec::new();
    let mut err = |field: String, message: String| errors.push(FieldError { field, message });
    let session_id = SessionId::parse(&req.session_id)
        .map_err(|e| err("session_id".into(), e))
        .ok();
    let reply_webhook = WebhookUrl::parse_with(&req.reply_webhook, policy)
        .map_err(|e| err("reply_webhook".into(), e))
        .ok();
    let handback_signal = match &req.handback_signal {
        Some(u) => WebhookUrl::parse_with(u, policy)
            .map(Some)
            .map_err(|e| err("handback_signal".into(), e))
            .ok()
            .flatten(),
        None => None,
    };
    let timeout = match &req.timeout {
        None | Some(serde_json::Value::Null) => Timeout::new(default_timeout).ok(),
        Some(v) => Timeout::parse(v).map_err(|e| err("timeout".into(), e)).ok(),
    };
    let priority = req.priority.unwrap_or(0);
    if !(0..=10).contains(&priority) {
        err("priority".into(), "must be 0 to 10".into());
    }
    if let Some(a) = &req.assignee {
        if crate::domain::takeover::is_blank(a) || a.chars().count() > 100 {
            err("assignee".into(), "must name a team or a reviewer".into());
        }
    }
    if let Some(s) = &req.summary {
        if s.chars().count() > 10_000 {
            err("summary".into(), "must be at most 10000 characters".into());
        }
    }
    if req.history.len() > 1_000 {
        err(
            "history".into(),
            "holds more than 1000 items; send the most recent 1000".into(),
        );
    }
    let mut history = Vec::with_capacity(req.history.len());
    for (i, item) in req.history.iter().enumerate() {
        let sender = Sender::parse(&item.sender)
            .map_err(|e| err(format!("history[{i}].sender"), e))
            .ok();
        if let Err(e) = check_content(&item.content) {
            err(format!("history[{i}].content"), e);
        }
        if let Some(id) = &item.id {
            if id.is_empty() || id.chars().count() > 255 {
                err(
                    format!("history[{i}].id"),
                    "must be 1 to 255 characters".into(),
                );
            }
        }
        if let Some(sender) = sender {
            history.push(HistoryTurn {
                sender,
                content: item.content.clone(),
                at: item.at.map(|t| t.naive_utc()),
                external_id: item.id.clone(),
                tool_calls: item.tool_calls.as_ref().map(|v| v.to_string()),
                meta: item.meta.as_ref().map(|v| v.to_string()),
            });
        }
    }
    if req.mode == Mode::Approval && req.proposal.as_ref().is_none_or(|p| p.is_null()) {
        err(
            "proposal".into(),
            "an approval needs a proposal to decide on".into(),
        );
    }
    if let Some(d) = &req.decisions {
        if d.is_empty() || d.iter().any(|x| !DECISIONS.contains(&x.as_str())) {
            err(
                "decisions".into(),
                "must be a non-empty list of approve, reject, edit".into(),
            );
        }
    }
    if let Some(d) = &req.default_decision {
        if !["approve", "reject"].contains(&d.as_str()) {
            err(
                "default_decision".into(),
                "must be approve or reject".into(),
            );
        } else if req.mode != Mode::Approval {
            err(
                "default_decision".into(),
                "only approvals have a default decision".into(),
            );
        }
    }
    let locale = req.locale.as_deref().and_then(|l| {
        crate::domain::texts::Lang::parse(l)
            .map_err(|e| err("locale".into(), e))
            .ok()
    });
    let customer = req.customer.clone().and_then(|fields| {
        crate::domain::takeover::Customer::parse(fields)
            .map_err(|problems| {
                for (name, what) in problems {
                    let at = if name.is_empty() {
                        "customer".to_string()
                    } else {
                        format!("customer.{name}")
                    };
                    err(at, what);
                }
            })
            .ok()
    });
    let mut field_errors = Vec::new();
    let fields = session_fields(
        &req.channel,
        &req.channel_ref,
        &req.user_id,
        &mut field_errors,
    );
    errors.extend(field_errors);
    match (session_id, reply_webhook, timeout) {
        (Some(session_id), Some(reply_webhook), Some(timeout)) if errors.is_empty() => {
            Ok(TakeoverSpec {
                mode: req.mode,
                session_id,
                channel: fields.channel,
                channel_ref: fields.channel_ref,
                user_id: fields.user_id,
                reply_webhook,
                handback_signal,
                history,
                context: req.context.filter(|c| !c.is_null()).map(|c| c.to_string()),
                assignee: req.assignee,
                escalation_policy: req.escalation_policy,
                timeout,
                reason: req.reason,
                summary: req.summary,
                priority,
                proposal: req.proposal.filter(|p| !p.is_null()).map(|p| p.to_string()),
                decisions: req.decisions,
                default_decision: req.default_decision,
                queue_updates: req.queue_updates,
                locale,
                customer,
            })
        }
        _ => Err(ApiError::validation(errors)),
    }
}

/// Ask for a person: put the conversation in the reviewers' queue.
///
/// The session stops being the AI's at once (the turn gate answers `owner: human`). `history`
/// is imported into the session once. With an `Idempotency-Key`, a repeat of the same request
/// returns the same takeover; while a takeover is open, a new request returns the open one.
#[utoipa::path(
    tag = "takeovers",
    request_body = TakeoverRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries of this request safe")),
    responses(
        (status = 201, description = "Takeover created", body = Takeover),
        (status = 200, description = "The session's open takeover, or the result of the same idempotent request", body = Takeover),
        (status = 400, description = "Invalid fields (each one named in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Idempotency-Key reused with a different body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[post("/v1/takeovers")]
pub async fn create_takeover(
    state: web::Data<AppState>,
    key: ApiKeyAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let request: TakeoverRequest = parse_json(&req, &body, None)?;
    let spec = parse(
        request,
        state.config.default_takeover_timeout,
        &state.config.url_policy,
    )?;
    let idempotency_key = match req.headers().get("idempotency-key") {
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?;
            if v.is_empty() || v.len() > 255 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 characters",
                ));
            }
            Some(v.to_string())
        }
        None => None,
    };
    let actor = format!("api_key:{}", key.name);
    let base = state.public_base.clone();
    let (requested, queue) = state
        .db
        .write(move |conn| {
            let requested = repo::request(
                conn,
                &key.id,
                &actor,
                spec,
                idempotency_key.as_deref(),
                &hash,
                &base,
            )?;
            let queue = routing::queue_info(conn, &requested.takeover)?;
            Ok((requested, queue))
        })
        .await?;
    if requested.created {
        state.notify(&requested.takeover.session_id, Change::Takeover);
    }
    let mut body = Takeover::from_row(&requested.takeover, &state.public_base);
    body.queue = queue;
    Ok(if requested.created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// A takeover: state, timings and outcome.
#[utoipa::path(
    tag = "takeovers",
    params(("id" = String, Path, description = "Takeover id (UUID)")),
    responses(
        (status = 200, description = "The takeover", body = Takeover),
        (status = 400, description = "Not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such takeover", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/takeovers/{id}")]
pub async fn get_takeover(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<Takeover>, ApiError> {
    let id = TakeoverId::parse(&path).map_err(|e| ApiError::field("id", e))?;
    let reviewer = matches!(caller, Caller::Reviewer(_));
    let (row, queue) = state
        .db
        .read(move |conn| {
            let row = repo::get(conn, &id.to_string())?.filter(|t| match &caller {
                Caller::ApiKey(_) => true,
                Caller::Reviewer(r) => repo::can_see(r, t),
            });
            Ok(match row {
                Some(t) => {
                    let queue = routing::queue_info(conn, &t)?;
                    Some((t, queue))
                }
                None => None,
            })
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no takeover {:?}", path.as_str())))?;
    let mut body = Takeover::from_row(&row, &state.public_base);
    body.queue = queue;
    if reviewer {
        // Reviewers see where callbacks go, not the integration's credentials in the URL.
        body.reply_webhook = crate::domain::types::url_origin(&body.reply_webhook);
        body.handback_signal = body
            .handback_signal
            .as_deref()
            .map(crate::domain::types::url_origin);
    }
    Ok(web::Json(body))
}

/// Decide an approval. Baton delivers `approval.decided` (with `decision`, `edited`, `comment`
/// and the reviewer) to its `reply_webhook`, which may be n8n's Wait-node resume URL.
#[utoipa::path(
    tag = "takeovers",
    params(("id" = String, Path, description = "Takeover id (UUID)")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decided", body = Takeover),
        (status = 400, description = "Not an allowed decision, or an edit without `edited`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such takeover in your teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or not an approval", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/takeovers/{id}/decision")]
pub async fn create_decision(
    state: web::Data<AppState>,
    reviewer: crate::auth::ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Takeover>, ApiError> {
    let id = TakeoverId::parse(&path).map_err(|e| ApiError::field("id", e))?;
    let body: DecisionRequest = parse_json(&req, &body, None)?;
    if body
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > 10_000)
    {
        return Err(ApiError::field(
            "comment",
            "must be at most 10000 characters",
        ));
    }
    let row = state
        .db
        .write(move |conn| {
            crate::db::approvals::decide(
                conn,
                &id.to_string(),
                &reviewer,
                &body.decision,
                body.edited.as_ref(),
                body.comment.as_deref(),
            )
        })
        .await?;
    state.notify(&row.session_id, Change::Decided);
    Ok(web::Json(Takeover::from_row(&row, &state.public_base)))
}
