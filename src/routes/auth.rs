//! Reviewer sign-in and "who am I".

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};

use super::dto::{LoginRequest, LoginResponse, Me, ReviewerView};
use super::parse_json;
use crate::auth::{self as credentials, sign_in, Caller};
use crate::db::accounts;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn reviewer_view(r: &credentials::ReviewerAuth) -> ReviewerView {
    ReviewerView {
        name: r.name.clone(),
        display_name: r.display_name.clone(),
        teams: r.team_names.clone(),
        is_admin: r.is_admin,
    }
}

/// Sign in as a reviewer and get a bearer token.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong name or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; wait and retry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/login")]
pub async fn create_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let body: LoginRequest = parse_json(&req, &body, None)?;
    let signed_in = sign_in(
        &state.db,
        &state.login_throttle,
        state.config.token_ttl,
        &req,
        body.name,
        body.password,
    )
    .await?;
    Ok(web::Json(LoginResponse {
        token: signed_in.token,
        expires_at: signed_in.expires_at.and_utc(),
        reviewer: reviewer_view(&signed_in.reviewer),
    }))
}

/// Sign out: the token stops working.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Missing or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a reviewer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/auth/login")]
pub async fn delete_login(
    state: web::Data<AppState>,
    _reviewer: credentials::ReviewerAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    state
        .db
        .write(move |conn| accounts::revoke_token(conn, &token))
        .await?;
    state.live.sign_ins_changed();
    Ok(HttpResponse::NoContent().finish())
}

/// Who these credentials belong to.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("reviewer_token" = []))
)]
#[get("/v1/me")]
pub async fn get_me(caller: Caller) -> web::Json<Me> {
    web::Json(match caller {
        Caller::ApiKey(k) => Me {
            kind: "api_key".into(),
            name: k.name,
            reviewer: None,
        },
        Caller::Reviewer(r) => Me {
            kind: "reviewer".into(),
            name: r.name.clone(),
            reviewer: Some(reviewer_view(&r)),
        },
    })
}
