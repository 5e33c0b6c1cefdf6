//! Reviewer accounts, for admins: list, add, change (display name, password, teams, admin,
//! disabled). There is no delete: histories and the audit trail keep naming reviewers.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::utc;
use super::parse_json;
use crate::auth::{hash_password, AdminAuth};
use crate::db::accounts::{self, AccountChanges, NewAccount, ReviewerWithTeams};
use crate::domain::accounts::{Label, Password, ReviewerName, TeamName};
use crate::domain::change::Change;
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// A reviewer account as admins see it (never the password).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewerAccount {
    /// Sign-in name; also `human:<name>` in histories and a possible takeover `assignee`.
    pub name: String,
    /// The name customers see, e.g. "Alice".
    pub display_name: String,
    /// The teams whose conversations the reviewer takes, by name.
    pub teams: Vec<String>,
    /// Admins see every team's conversations and manage Baton.
    pub admin: bool,
    /// A disabled reviewer cannot sign in.
    pub disabled: bool,
    /// When the reviewer was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When the reviewer was added.
    pub created_at: DateTime<Utc>,
}

impl From<&ReviewerWithTeams> for ReviewerAccount {
    fn from(r: &ReviewerWithTeams) -> ReviewerAccount {
        ReviewerAccount {
            name: r.reviewer.name.clone(),
            display_name: r.reviewer.display_name.clone(),
            teams: r.teams.clone(),
            admin: r.reviewer.is_admin,
            disabled: r.reviewer.disabled_at.is_some(),
            disabled_at: r.reviewer.disabled_at.map(utc),
            created_at: utc(r.reviewer.created_at),
        }
    }
}

/// A new reviewer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerCreate {
    /// Sign-in name: letters, digits and `. _ - @`, up to 100 characters; not a team's name.
    pub name: String,
    /// The name customers see (default: the name, capitalised).
    pub display_name: Option<String>,
    /// At least 8 characters.
    pub password: String,
    /// Existing teams to join (none is fine for an admin).
    #[serde(default)]
    pub teams: Vec<String>,
    /// Make the reviewer an admin.
    #[serde(default)]
    pub admin: bool,
}

/// Changes to a reviewer; a field left out (or null) stays as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerPatch {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new password (at least 8 characters); ends the reviewer's sign-ins.
    pub password: Option<String>,
    /// The complete new list of teams (replaces the old one).
    pub teams: Option<Vec<String>>,
    /// Grant or take away admin rights.
    pub admin: Option<bool>,
    /// `true` disables the reviewer: every sign-in ends at once and the conversations they hold
    /// go back to the queue. `false` enables them again.
    pub disabled: Option<bool>,
}

/// Collects per-field parse failures, so one answer names every bad field.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError {
                    field: field.to_string(),
                    message,
                });
                None
            }
        }
    }

    fn teams(&mut self, raw: &[String]) -> Vec<TeamName> {
        raw.iter()
            .enumerate()
            .filter_map(|(i, t)| self.check(&format!("teams[{i}]"), TeamName::parse(t)))
            .collect()
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// argon2 takes tens of milliseconds on purpose: off the async executor.
async fn hash(password: Password) -> Result<String, ApiError> {
    web::block(move || hash_password(password.expose()))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing task failed: {e}")))?
        .map_err(ApiError::internal)
}

/// Every reviewer, disabled ones included, by name.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Reviewers by name", body = [ReviewerAccount]),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/reviewers")]
pub async fn list_reviewers(
    state: web::Data<AppState>,
    _admin: AdminAuth,
) -> Result<web::Json<Vec<ReviewerAccount>>, ApiError> {
    let rows = state.db.read(accounts::list_reviewers).await?;
    Ok(web::Json(rows.iter().map(ReviewerAccount::from).collect()))
}

/// Add a reviewer.
#[utoipa::path(
    tag = "admin",
    request_body = ReviewerCreate,
    responses(
        (status = 201, description = "Added", body = ReviewerAccount),
        (status = 400, description = "Invalid name, display name or password, or an unknown team", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reviewer or team already has this name", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/reviewers")]
pub async fn create_reviewer(
    state: web::Data<AppState>,
    admin: AdminAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ReviewerCreate = parse_json(&req, &body, None)?;
    let mut fields = Fields::default();
    let name = fields.check("name", ReviewerName::parse(&body.name));
    let display = match &body.display_name {
        Some(d) => fields.check("display_name", Label::parse(d)),
        None => None,
    };
    let password = fields.check("password", Password::parse(&body.password));
    let teams = fields.teams(&body.teams);
    fields.finish()?;
    let (Some(name), Some(password)) = (name, password) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "checked fields went missing"
        )));
    };
    let password_hash = hash(password).await?;
    let actor = admin.actor();
    let created = state
        .db
        .write(move |conn| {
            accounts::create_reviewer(
                conn,
                NewAccount {
                    name: &name,
                    display_name: display.as_ref(),
                    password_hash,
                    teams: &teams,
                    admin: body.admin,
                },
                &actor,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(ReviewerAccount::from(&created)))
}

/// Change a reviewer: display name, password, teams, admin rights, disabled.
#[utoipa::path(
    tag = "admin",
    params(("reviewer" = String, Path, description = "The reviewer's sign-in name")),
    request_body = ReviewerPatch,
    responses(
        (status = 200, description = "The reviewer as now stored", body = ReviewerAccount),
        (status = 400, description = "Invalid display name or password, or an unknown team", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reviewer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would leave no enabled admin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[patch("/v1/reviewers/{reviewer}")]
pub async fn patch_reviewer(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<ReviewerAccount>, ApiError> {
    // Looked up as written: reviewers added by the CLI may have names the API would not create.
    let name = path.into_inner();
    let body: ReviewerPatch = parse_json(&req, &body, None)?;
    let mut fields = Fields::default();
    let display_name = match &body.display_name {
        Some(d) => fields.check("display_name", Label::parse(d)),
        None => None,
    };
    let password = match &body.password {
        Some(p) => fields.check("password", Password::parse(p)),
        None => None,
    };
    let teams = body.teams.as_deref().map(|t| fields.teams(t));
    fields.finish()?;
    let password_hash = match password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let changes = AccountChanges {
        display_name,
        password_hash,
        teams,
        admin: body.admin,
        disabled: body.disabled,
    };
    let by = admin.0.clone();
    let shown = name.clone();
    let updated = state
        .db
        .write(move |conn| accounts::update_reviewer(conn, &name, changes, &by))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no reviewer named {shown:?}")))?;
    // A new password or a disabled account ended sign-ins: open streams must look again.
    state.live.sign_ins_changed();
    for session in &updated.released {
        state.notify(session, Change::Released);
    }
    Ok(web::Json(ReviewerAccount::from(&updated.account)))
}
