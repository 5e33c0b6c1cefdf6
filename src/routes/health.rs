//! Liveness, readiness and the problem-type documentation.

use actix_web::{get, web, HttpResponse};

use super::dto::Health;
use crate::error::{ApiError, Kind, Problem};
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn get_healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers (within about a second, ready or not). Not ready while the
/// database is unreachable; ready again as soon as a connection opens.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer (`/problems/database-unavailable`, with `Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn get_readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::database_unavailable(format!("database: {}", e.detail)))?;
    Ok(web::Json(Health {
        status: "ok".into(),
    }))
}

/// What a problem `type` means (the `type` URIs of error responses resolve here).
#[utoipa::path(
    tag = "operations",
    params(("slug" = String, Path, description = "The last part of a problem `type`")),
    responses(
        (status = 200, description = "A short explanation", content_type = "text/plain", body = String),
        (status = 404, description = "No such problem type", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/problems/{slug}")]
pub async fn get_problem(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.slug() == slug.as_str())
        .ok_or_else(|| ApiError::not_found(format!("no problem type {:?}", slug.as_str())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{} ({})\n", kind.title(), kind.status())))
}
