//! Reviewer alert settings: the e-mail address alerts go to, whether they are on, and quiet
//! hours. Each reviewer sets their own (`/v1/me/alerts`); admins set anyone's
//! (`/v1/reviewers/{reviewer}/alerts`). When alerts go out is `db::alerts`.

use actix_web::{get, put, web, HttpRequest};
use serde::Deserialize;
use utoipa::ToSchema;

pub use super::dto::{alert_settings as view, AlertSettings, MailSetting};
use super::parse_json;
use crate::auth::{AdminAuth, ReviewerAuth};
use crate::db::accounts;
use crate::db::alerts::{self, AlertSettings as Checked};
use crate::domain::alerts::{EmailAddress, QuietHours, QuietHoursBody};
use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// New alert settings (all fields replace the stored ones).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsRequest {
    /// Where alert e-mails go, e.g. `alice@example.com`; null or left out removes it.
    pub email: Option<String>,
    /// Turn alerts on (requires `email`) or off.
    pub enabled: bool,
    /// Daily quiet hours in a time zone; null or left out: none.
    pub quiet_hours: Option<QuietHoursBody>,
}

/// Parses a request into settings; every bad field is named in one answer.
fn check(body: &AlertSettingsRequest) -> Result<Checked, ApiError> {
    let mut errors = Vec::new();
    let email = match body
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(raw) => match EmailAddress::parse(raw) {
            Ok(e) => Some(e),
            Err(message) => {
                errors.push(FieldError {
                    field: "email".into(),
                    message,
                });
                None
            }
        },
        None => None,
    };
    if body.enabled && body.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        errors.push(FieldError {
            field: "email".into(),
            message: "alerts need an e-mail address to go to".into(),
        });
    }
    let quiet_hours = match &body.quiet_hours {
        Some(q) => match QuietHours::parse(q) {
            Ok(q) => Some(q),
            Err(problems) => {
                errors.extend(problems.into_iter().map(|(field, message)| FieldError {
                    field: format!("quiet_hours.{field}"),
                    message,
                }));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Checked {
        email,
        enabled: body.enabled,
        quiet_hours,
    })
}

/// Your alert settings.
#[utoipa::path(
    tag = "alerts",
    responses(
        (status = 200, description = "Your alert settings", body = AlertSettings),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/me/alerts")]
pub async fn get_my_alerts(
    state: web::Data<AppState>,
    mail: web::Data<MailSetting>,
    reviewer: ReviewerAuth,
) -> Result<web::Json<AlertSettings>, ApiError> {
    let row = state
        .db
        .read(move |conn| alerts::settings(conn, &reviewer.id))
        .await?;
    Ok(web::Json(view(row, mail.configured)))
}

/// Set your alert settings: the e-mail address, on or off, quiet hours. While a conversation
/// waits unclaimed you get an e-mail when it is requested for you or your team, at each
/// escalation step that names you or your team, and when the router offers it to you.
#[utoipa::path(
    tag = "alerts",
    request_body = AlertSettingsRequest,
    responses(
        (status = 200, description = "Stored", body = AlertSettings),
        (status = 400, description = "Invalid address or quiet hours, or alerts on without an address", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/me/alerts")]
pub async fn put_my_alerts(
    state: web::Data<AppState>,
    mail: web::Data<MailSetting>,
    reviewer: ReviewerAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<AlertSettings>, ApiError> {
    let body: AlertSettingsRequest = parse_json(&req, &body, None)?;
    let settings = check(&body)?;
    let actor = format!("reviewer:{}", reviewer.name);
    let row = state
        .db
        .write(move |conn| alerts::put_settings(conn, &reviewer.id, &settings, &actor))
        .await?;
    Ok(web::Json(view(Some(row), mail.configured)))
}

/// A reviewer's alert settings (admins).
#[utoipa::path(
    tag = "alerts",
    params(("reviewer" = String, Path, description = "The reviewer's sign-in name")),
    responses(
        (status = 200, description = "Their alert settings", body = AlertSettings),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reviewer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/reviewers/{reviewer}/alerts")]
pub async fn get_reviewer_alerts(
    state: web::Data<AppState>,
    mail: web::Data<MailSetting>,
    _admin: AdminAuth,
    path: web::Path<String>,
) -> Result<web::Json<AlertSettings>, ApiError> {
    let name = path.into_inner();
    let row = state
        .db
        .read(move |conn| {
            let r = accounts::find_reviewer(conn, &name)?
                .ok_or_else(|| ApiError::not_found(format!("no reviewer named {name:?}")))?;
            alerts::settings(conn, &r.id)
        })
        .await?;
    Ok(web::Json(view(row, mail.configured)))
}

/// Set a reviewer's alert settings (admins).
#[utoipa::path(
    tag = "alerts",
    params(("reviewer" = String, Path, description = "The reviewer's sign-in name")),
    request_body = AlertSettingsRequest,
    responses(
        (status = 200, description = "Stored", body = AlertSettings),
        (status = 400, description = "Invalid address or quiet hours, or alerts on without an address", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reviewer", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[put("/v1/reviewers/{reviewer}/alerts")]
pub async fn put_reviewer_alerts(
    state: web::Data<AppState>,
    mail: web::Data<MailSetting>,
    admin: AdminAuth,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<AlertSettings>, ApiError> {
    let body: AlertSettingsRequest = parse_json(&req, &body, None)?;
    let settings = check(&body)?;
    let name = path.into_inner();
    let actor = admin.actor();
    let row = state
        .db
        .write(move |conn| {
            let r = accounts::find_reviewer(conn, &name)?
                .ok_or_else(|| ApiError::not_found(format!("no reviewer named {name:?}")))?;
            alerts::put_settings(conn, &r.id, &settings, &actor)
        })
        .await?;
    Ok(web::Json(view(Some(row), mail.configured)))
}
