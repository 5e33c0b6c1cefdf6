//! Routing settings: a team's assignment policy and business hours, a reviewer's capacity and
//! availability.

use actix_web::{get, put, web, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{find_team, optional_duration_schema, team_view, TeamRouting};
use super::parse_json;
use crate::auth::{Caller, ReviewerAuth};
use crate::db::models::TeamRoutingRow;
use crate::db::{accounts, now, routing as repo, DbConnection};
use crate::domain::duration::Timeout;
use crate::domain::hours::{BusinessHours, BusinessHoursBody};
use crate::domain::routing::{AssignmentPolicy, Availability};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// A team's routing settings, as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRoutingRequest {
    /// `manual` (reviewers claim from the queue), `round_robin` or `least_busy`.
    pub policy: AssignmentPolicy,
    /// How long an automatic offer waits for its reviewer to accept (claim) before the
    /// conversation goes back to the queue and the reviewer is set away: `"2m"` or seconds.
    /// Default 2 minutes.
    #[schema(schema_with = optional_duration_schema)]
    pub offer_timeout: Option<serde_json::Value>,
    /// Weekly opening hours, holidays and the off-hours answer; null means always open.
    pub business_hours: Option<BusinessHoursBody>,
}

/// A team's routing: assignment policy, offer timeout, business hours, and its reviewers'
/// availability, capacity and load. API keys, admins and the team's own reviewers may read it.
#[utoipa::path(
    tag = "routing",
    params(("team" = String, Path, description = "Team name")),
    responses(
        (status = 200, description = "The team's routing", body = TeamRouting),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/teams/{team}/routing")]
pub async fn get_team_routing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<TeamRouting>, ApiError> {
    let name = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let team = find_team(conn, &name)?;
            if let Caller::Reviewer(r) = &caller {
                if !r.is_admin && !r.team_ids.contains(&team.id) {
                    return Err(ApiError::not_found(format!("no team {name:?}")));
                }
            }
            team_view(conn, &team)
        })
        .await?;
    Ok(web::Json(view))
}

/// Set a team's routing: `manual`, `round_robin` or `least_busy` assignment, how long an offer
/// waits for acceptance, and business hours (null: always open). API keys and admins only.
#[utoipa::path(
    tag = "routing",
    params(("team" = String, Path, description = "Team name")),
    request_body = TeamRoutingRequest,
    responses(
        (status = 200, description = "Stored", body = TeamRouting),
        (status = 400, description = "Invalid settings (`errors` names the fields)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[put("/v1/teams/{team}/routing")]
pub async fn put_team_routing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<TeamRouting>, ApiError> {
    require_admin(&caller)?;
    let body: TeamRoutingRequest = parse_json(&req, &body, None)?;
    let mut errors = Vec::new();
    let offer_seconds = match &body.offer_timeout {
        None => repo::DEFAULT_OFFER_SECONDS,
        Some(v) => match Timeout::parse(v) {
            Ok(t) => t.as_secs(),
            Err(e) => {
                errors.push(FieldError {
                    field: "offer_timeout".into(),
                    message: e,
                });
                0
            }
        },
    };
    let hours = match &body.business_hours {
        None => None,
        Some(b) => match BusinessHours::parse(b) {
            Ok(h) => Some(h),
            Err(errs) => {
                errors.extend(errs.into_iter().map(|(f, m)| FieldError {
                    field: format!("business_hours.{f}"),
                    message: m,
                }));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let name = path.into_inner();
    let actor = actor_of(&caller);
    let view = state
        .db
        .write(move |conn| {
            let team = find_team(conn, &name)?;
            let stored = hours
                .as_ref()
                .map(|h| serde_json::to_string(&h.to_body()))
                .transpose()
                .map_err(|e| ApiError::internal(e.into()))?;
            repo::put_team_routing(
                conn,
                TeamRoutingRow {
                    team_id: team.id.clone(),
                    policy: body.policy.as_str().into(),
                    offer_seconds,
                    business_hours: stored,
                    last_assigned: None,
                    updated_at: now(),
                },
            )?;
            crate::db::audit::record(
                conn,
                crate::db::audit::Entry {
                    actor: &actor,
                    action: "team.routing_changed",
                    session_id: None,
                    takeover_id: None,
                    from_status: None,
                    to_status: None,
                    detail: Some(serde_json::json!({
                        "team": team.name, "policy": body.policy.as_str(),
                        "offer_seconds": offer_seconds, "business_hours": hours.is_some(),
                    })),
                },
            )?;
            team_view(conn, &team)
        })
        .await?;
    state.wake_router();
    Ok(web::Json(view))
}

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::ApiKey(_) => Ok(()),
        Caller::Reviewer(r) if r.is_admin => Ok(()),
        Caller::Reviewer(_) => Err(ApiError::forbidden(
            "only API keys and admin reviewers change routing",
        )),
    }
}

fn actor_of(caller: &Caller) -> String {
    match caller {
        Caller::ApiKey(k) => format!("api_key:{}", k.name),
        Caller::Reviewer(r) => format!("reviewer:{}", r.name),
    }
}

/// A reviewer's availability and capacity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewerRouting {
    /// Sign-in name.
    pub name: String,
    /// `online`, `away` or `offline`.
    pub availability: Availability,
    /// Most conversations at once automatic assignment gives them (null: no limit).
    pub capacity: Option<i64>,
    /// Conversations they hold or have been offered now.
    pub load: i64,
}

/// Set your own availability.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    /// `online` (automatic assignment may pick you; keep the inbox open), `away` or `offline`.
    pub availability: Availability,
}

/// Set a reviewer's capacity (and, optionally, availability).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerRoutingRequest {
    /// Most conversations at once (1 to 100); null removes the limit.
    #[schema(minimum = 1, maximum = 100)]
    pub capacity: Option<i64>,
    /// Optionally set their availability too.
    pub availability: Option<Availability>,
}

fn reviewer_view(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
) -> Result<ReviewerRouting, ApiError> {
    let p = repo::presence(conn, id)?;
    Ok(ReviewerRouting {
        name: name.to_string(),
        availability: p
            .as_ref()
            .and_then(|p| Availability::parse(&p.availability))
            .unwrap_or_default(),
        capacity: p.and_then(|p| p.capacity).map(i64::from),
        load: repo::load_of(conn, name)?,
    })
}

/// Your availability, capacity and load.
#[utoipa::path(
    tag = "routing",
    responses(
        (status = 200, description = "Your routing state", body = ReviewerRouting),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/me/availability")]
pub async fn get_availability(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
) -> Result<web::Json<ReviewerRouting>, ApiError> {
    let view = state
        .db
        .read(move |conn| reviewer_view(conn, &reviewer.id, &reviewer.name))
        .await?;
    Ok(web::Json(view))
}

/// Set your availability. `online` makes you eligible for automatic assignment while your
/// inbox (or any `GET /v1/events` stream) stays connected; after `BATON_AWAY_GRACE` without a
/// connection you are set `away`.
#[utoipa::path(
    tag = "routing",
    request_body = AvailabilityRequest,
    responses(
        (status = 200, description = "Stored", body = ReviewerRouting),
        (status = 400, description = "Unknown availability", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/me/availability")]
pub async fn put_availability(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ReviewerRouting>, ApiError> {
    let body: AvailabilityRequest = parse_json(&req, &body, None)?;
    let view = state
        .db
        .write(move |conn| {
            let actor = format!("reviewer:{}", reviewer.name);
            repo::set_availability(conn, &reviewer.id, body.availability, &actor)?;
            reviewer_view(conn, &reviewer.id, &reviewer.name)
        })
        .await?;
    state.wake_router();
    Ok(web::Json(view))
}

/// Set a reviewer's capacity (and optionally availability). API keys and admins only.
#[utoipa::path(
    tag = "routing",
    params(("reviewer" = String, Path, description = "Reviewer name")),
    request_body = ReviewerRoutingRequest,
    responses(
        (status = 200, description = "Stored", body = ReviewerRouting),
        (status = 400, description = "Invalid capacity", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reviewer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[put("/v1/reviewers/{reviewer}/routing")]
pub async fn put_reviewer_routing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ReviewerRouting>, ApiError> {
    require_admin(&caller)?;
    let body: ReviewerRoutingRequest = parse_json(&req, &body, None)?;
    if body.capacity.is_some_and(|c| !(1..=100).contains(&c)) {
        return Err(ApiError::field(
            "capacity",
            "must be 1 to 100, or null for no limit",
        ));
    }
    let name = path.into_inner();
    let actor = actor_of(&caller);
    let view = state
        .db
        .write(move |conn| {
            let r = accounts::find_reviewer(conn, &name)?
                .ok_or_else(|| ApiError::not_found(format!("no reviewer {name:?}")))?;
            repo::set_capacity(conn, &r.id, body.capacity.map(|c| c as i32))?;
            if let Some(a) = body.availability {
                repo::set_availability(conn, &r.id, a, &actor)?;
            }
            crate::db::audit::record(
                conn,
                crate::db::audit::Entry {
                    actor: &actor,
                    action: "reviewer.routing_changed",
                    session_id: None,
                    takeover_id: None,
                    from_status: None,
                    to_status: None,
                    detail: Some(serde_json::json!({
                        "reviewer": r.name, "capacity": body.capacity,
                        "availability": body.availability.map(|a| a.as_str()),
                    })),
                },
            )?;
            reviewer_view(conn, &r.id, &r.name)
        })
        .await?;
    state.wake_router();
    Ok(web::Json(view))
}
