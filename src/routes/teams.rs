//! Teams, for admins: list with members, create (an upsert by name; teams are not renamed),
//! delete when nothing open depends on them. Members are managed on the reviewers
//! (`PATCH /v1/reviewers/{reviewer}` with `teams`); notification channels live in `escalation.rs`.

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{optional_duration_schema, utc};
use super::parse_json;
use crate::auth::AdminAuth;
use crate::db::accounts::{self, TeamWithMembers};
use crate::domain::accounts::TeamName;
use crate::domain::staff;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// A team and who is in it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Team {
    /// The team's name (a takeover's `assignee`).
    pub name: String,
    /// Enabled reviewers in the team, by sign-in name.
    pub members: Vec<String>,
    /// When the team was created.
    pub created_at: DateTime<Utc>,
    /// Seconds after a person's last `staff` turn (a reply from outside Baton) before the AI
    /// gets the conversation back: the team's own setting, else the default (1800).
    pub outside_quiet_seconds: i64,
    /// True when the team has set no quiet time of its own and uses the default.
    pub outside_quiet_default: bool,
}

impl From<&TeamWithMembers> for Team {
    fn from(t: &TeamWithMembers) -> Team {
        Team {
            name: t.team.name.clone(),
            members: t.members.clone(),
            created_at: utc(t.team.created_at),
            outside_quiet_seconds: staff::quiet_seconds(t.team.outside_quiet_seconds),
            outside_quiet_default: t.team.outside_quiet_seconds.is_none(),
        }
    }
}

/// A team's settings; a field left out stays as it is (send `{}` or no body to only create or
/// confirm the team). Routing settings are under `/v1/teams/{team}/routing`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    /// How long after a person's last reply from outside Baton (a `staff` turn) the AI gets
    /// the conversation back: `"30m"` or seconds, 1 second to 30 days. `null`: back to the
    /// default, 30 minutes.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_duration_schema)]
    pub outside_quiet_time: Option<Option<serde_json::Value>>,
}

/// A field that is present, `null` included (`Some(None)`); a missing one stays `None`.
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<serde_json::Value>>, D::Error> {
    Option::<serde_json::Value>::deserialize(d).map(Some)
}

/// Every team, by name, with its members.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Teams by name", body = [Team]),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    _admin: AdminAuth,
) -> Result<web::Json<Vec<Team>>, ApiError> {
    let rows = state.db.read(accounts::list_teams).await?;
    Ok(web::Json(rows.iter().map(Team::from).collect()))
}

/// Create a team (201), or confirm that it exists (200), and set its settings. A deleted team
/// of the same name comes back, without its former members.
#[utoipa::path(
    tag = "admin",
    params(("team" = String, Path, description = "Team name: up to 100 characters, no `/`, no surrounding spaces")),
    request_body(content = Option<TeamRequest>, description = "Optional: a team is created or kept by its name alone"),
    responses(
        (status = 200, description = "The team already existed", body = Team),
        (status = 201, description = "Created", body = Team),
        (status = 400, description = "Invalid team name or body (e.g. `outside_quiet_time` not a duration of 1 second to 30 days)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reviewer has this name", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/teams/{team}")]
pub async fn put_team(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let name = TeamName::parse(&path).map_err(|e| ApiError::field("team", e))?;
    let settings: TeamRequest = parse_json(&req, &body, Some(TeamRequest::default()))?;
    // Some(None): back to the default; None: unchanged.
    let quiet: Option<Option<i64>> = match settings.outside_quiet_time {
        None => None,
        Some(None | Some(serde_json::Value::Null)) => Some(None),
        Some(Some(v)) => Some(Some(
            staff::parse_quiet_time(&v).map_err(|e| ApiError::field("outside_quiet_time", e))?,
        )),
    };
    let actor = admin.actor();
    let (team, created) = state
        .db
        .write(move |conn| {
            let (mut team, created) = accounts::put_team(conn, &name, &actor)?;
            if let Some(seconds) = quiet {
                if team.team.outside_quiet_seconds != seconds {
                    accounts::set_quiet_seconds(conn, &team.team.id, seconds, &actor)?;
                    team.team.outside_quiet_seconds = seconds;
                }
            }
            Ok((team, created))
        })
        .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(Team::from(&team)))
}

/// Delete a team nothing open depends on. Its members leave it and its notification channels
/// are removed; past takeovers, analytics and the audit trail keep its name.
#[utoipa::path(
    tag = "admin",
    params(("team" = String, Path, description = "Team name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Open takeovers are assigned to it, or an escalation policy refers to it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/teams/{team}")]
pub async fn delete_team(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let shown = name.clone();
    let actor = admin.actor();
    let deleted = state
        .db
        .write(move |conn| accounts::delete_team(conn, &name, &actor))
        .await?;
    if !deleted {
        return Err(ApiError::not_found(format!("no team named {shown:?}")));
    }
    Ok(HttpResponse::NoContent().finish())
}
