//! Canned responses (`/v1/canned-responses`): texts reviewers insert into a reply with
//! `/shortcut`, team-wide (admins manage them) or personal (their owner manages them). Who may
//! see and change which is `domain::canned::access`; the inbox fills in their variables.
//! Reviewers only: API keys are refused, as for the other people-facing settings
//! (`/v1/customer-texts`).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::utc;
use super::parse_json;
use crate::auth::ReviewerAuth;
use crate::db::accounts;
use crate::db::canned::{self as repo, Canned, CannedChanges, NewCanned, Which};
use crate::domain::canned::{
    access, may_create, Access, Content, Owner, Shortcut, Title, Viewer, MAX_CONTENT, MAX_TITLE,
};
use crate::domain::types::RecordId;
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// Whose a canned response is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CannedScope {
    /// Team-wide: offered to the team's members, managed by admins.
    Team,
    /// Personal: offered to its owner only, managed by them (and admins).
    Personal,
}

/// A canned response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CannedResponse {
    /// Canned response id.
    pub id: String,
    /// What a reviewer types after `/` in the reply box, e.g. `refund-policy`.
    pub shortcut: String,
    /// A title for people, shown in the suggestion list.
    pub title: String,
    /// The text inserted, with `{customer_name}`, `{reviewer}` and `{team}` filled in for the
    /// conversation (any other `{…}` stays as written).
    pub content: String,
    /// Team-wide or personal.
    pub scope: CannedScope,
    /// The team, for a team-wide one (left out for a personal one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub team: Option<String>,
    /// The owner's sign-in name, for a personal one (left out for a team-wide one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub owner: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Canned> for CannedResponse {
    fn from(c: Canned) -> CannedResponse {
        let scope = if c.row.team_id.is_some() {
            CannedScope::Team
        } else {
            CannedScope::Personal
        };
        CannedResponse {
            id: c.row.id,
            shortcut: c.row.shortcut,
            title: c.row.title,
            content: c.row.content,
            scope,
            team: c.team,
            owner: c.owner,
            created_at: utc(c.row.created_at),
            updated_at: utc(c.row.updated_at),
        }
    }
}

fn title_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_TITLE, false)
}

fn content_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_CONTENT, false)
}

fn title_patch_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_TITLE, true)
}

fn content_patch_schema() -> utoipa::openapi::schema::Schema {
    super::dto::text_schema(MAX_CONTENT, true)
}

/// A new canned response.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponseRequest {
    /// What reviewers type after `/`: 1 to 40 lowercase letters, digits and `-`. Unique within
    /// the team (team-wide) or within the owner's own (personal).
    #[schema(pattern = "^[a-z0-9-]{1,40}$", min_length = 1, max_length = 40)]
    pub shortcut: String,
    /// A title for people (1 to 100 characters).
    #[schema(schema_with = title_schema)]
    pub title: String,
    /// The text (1 to 4 000 characters), with `{customer_name}`, `{reviewer}` and `{team}`
    /// where the conversation's values go.
    #[schema(schema_with = content_schema)]
    pub content: String,
    /// A team's name makes it team-wide (admins only); left out or null, it is the caller's
    /// personal one.
    pub team: Option<String>,
}

/// Changes to a canned response; a field left out (or null) stays as it is. Its team or owner
/// does not change (create a new one instead).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponsePatch {
    /// A new shortcut (1 to 40 lowercase letters, digits and `-`).
    #[schema(pattern = "^[a-z0-9-]{1,40}$", min_length = 1, max_length = 40)]
    pub shortcut: Option<String>,
    /// A new title (1 to 100 characters).
    #[schema(schema_with = title_patch_schema)]
    pub title: Option<String>,
    /// A new text (1 to 4 000 characters).
    #[schema(schema_with = content_patch_schema)]
    pub content: Option<String>,
}

/// Which canned responses to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedResponseFilter {
    /// Only the team-wide ones of this team (by name); an unknown team lists none.
    pub team: Option<String>,
}

/// Collects per-field parse failures, so one answer names every bad field.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed
            .map_err(|message| {
                self.0.push(FieldError {
                    field: field.into(),
                    message,
                })
            })
            .ok()
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

fn viewer(r: &ReviewerAuth) -> Viewer<'_> {
    Viewer {
        id: &r.id,
        is_admin: r.is_admin,
        team_ids: &r.team_ids,
    }
}

/// The canned response `raw` names, if the reviewer may change it: 404 when it does not exist
/// for them, 403 when they may only use it.
fn manageable(
    conn: &mut crate::db::DbConnection,
    reviewer: &ReviewerAuth,
    raw: &str,
) -> Result<Canned, ApiError> {
    let missing = || ApiError::not_found(format!("no canned response {raw:?}"));
    let id = RecordId::parse(raw).map_err(|_| missing())?.to_string();
    let found = repo::get(conn, &id)?.ok_or_else(missing)?;
    match access(found.row.owner(), viewer(reviewer)) {
        Access::Manage => Ok(found),
        Access::Use => Err(ApiError::forbidden(
            "only admins change team-wide canned responses",
        )),
        Access::Hidden => Err(missing()),
    }
}

const NOT_A_REVIEWER: &str = "Missing or unknown reviewer token";
const API_KEY_REFUSED: &str = "An API key (canned responses are managed by reviewers)";

/// The canned responses the caller may use: their own and their teams' (admins: every one,
/// reviewers' personal ones included). Team-wide ones first, by team, then personal ones.
#[utoipa::path(
    tag = "conversations",
    params(CannedResponseFilter),
    responses(
        (status = 200, description = "Canned responses", body = [CannedResponse]),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = API_KEY_REFUSED, body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/canned-responses")]
pub async fn list_canned_responses(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    query: web::Query<CannedResponseFilter>,
) -> Result<web::Json<Vec<CannedResponse>>, ApiError> {
    let team = query
        .into_inner()
        .team
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let list = state
        .db
        .read(move |conn| {
            let which = if reviewer.is_admin {
                Which::All
            } else {
                Which::For {
                    reviewer_id: &reviewer.id,
                    team_ids: &reviewer.team_ids,
                }
            };
            repo::list(conn, which, team.as_deref())
        })
        .await?;
    Ok(web::Json(list.into_iter().map(Into::into).collect()))
}

/// Create a canned response: a personal one (any reviewer, for themselves), or with `team` a
/// team-wide one (admins only).
#[utoipa::path(
    tag = "conversations",
    request_body = CannedResponseRequest,
    responses(
        (status = 201, description = "Created", body = CannedResponse),
        (status = 400, description = "A bad shortcut, an empty or too long title or text, or an unknown team", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A team-wide one from a reviewer who is not an admin, or an API key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The team (or the caller's own) already has this shortcut", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/canned-responses")]
pub async fn create_canned_response(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: CannedResponseRequest = parse_json(&req, &body, None)?;
    let mut fields = Fields::default();
    let shortcut = fields.check("shortcut", Shortcut::parse(&body.shortcut));
    let title = fields.check("title", Title::parse(&body.title));
    let content = fields.check("content", Content::parse(&body.content));
    let team = body
        .team
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if team.is_some() && !reviewer.is_admin {
        return Err(ApiError::forbidden(
            "only admins create team-wide canned responses; leave out `team` for a personal one",
        ));
    }
    fields.finish()?;
    let new = NewCanned {
        shortcut: shortcut.expect("checked"),
        title: title.expect("checked"),
        content: content.expect("checked"),
    };
    let actor = format!("reviewer:{}", reviewer.name);
    let created = state
        .db
        .write(move |conn| {
            let team_row = match &team {
                Some(name) => Some(
                    accounts::find_team(conn, name)?
                        .ok_or_else(|| ApiError::field("team", format!("no team {name:?}")))?,
                ),
                None => None,
            };
            let owner = match &team_row {
                Some(t) => Owner::Team(&t.id),
                None => Owner::Reviewer(&reviewer.id),
            };
            if !may_create(owner, viewer(&reviewer)) {
                return Err(ApiError::forbidden(
                    "only admins create team-wide canned responses",
                ));
            }
            repo::create(conn, owner, team.as_deref(), new, &actor)
        })
        .await?;
    Ok(HttpResponse::Created().json(CannedResponse::from(created)))
}

/// Change a canned response's shortcut, title or text: its owner's own, or any as an admin.
#[utoipa::path(
    tag = "conversations",
    params(("canned_id" = String, Path, description = "Canned response id")),
    request_body = CannedResponsePatch,
    responses(
        (status = 200, description = "Changed", body = CannedResponse),
        (status = 400, description = "A bad shortcut, or an empty or too long title or text", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A team-wide one and the caller is not an admin, or an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such canned response, or another reviewer's or team's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new shortcut is taken in its team (or its owner's own)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[patch("/v1/canned-responses/{canned_id}")]
pub async fn patch_canned_response(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<CannedResponse>, ApiError> {
    let body: CannedResponsePatch = parse_json(&req, &body, Some(CannedResponsePatch::default()))?;
    let mut fields = Fields::default();
    let changes = CannedChanges {
        shortcut: body
            .shortcut
            .and_then(|s| fields.check("shortcut", Shortcut::parse(&s))),
        title: body
            .title
            .and_then(|t| fields.check("title", Title::parse(&t))),
        content: body
            .content
            .and_then(|c| fields.check("content", Content::parse(&c))),
    };
    fields.finish()?;
    let actor = format!("reviewer:{}", reviewer.name);
    let raw = path.into_inner();
    let changed = state
        .db
        .write(move |conn| {
            let current = manageable(conn, &reviewer, &raw)?;
            repo::update(conn, &current, changes, &actor)
        })
        .await?;
    Ok(web::Json(changed.into()))
}

/// Delete a canned response: its owner's own, or any as an admin.
#[utoipa::path(
    tag = "conversations",
    params(("canned_id" = String, Path, description = "Canned response id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = NOT_A_REVIEWER, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A team-wide one and the caller is not an admin, or an API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such canned response, or another reviewer's or team's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/canned-responses/{canned_id}")]
pub async fn delete_canned_response(
    state: web::Data<AppState>,
    reviewer: ReviewerAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = format!("reviewer:{}", reviewer.name);
    let raw = path.into_inner();
    state
        .db
        .write(move |conn| {
            let current = manageable(conn, &reviewer, &raw)?;
            repo::delete(conn, &current, &actor)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
