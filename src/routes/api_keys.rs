//! API keys, for admins: list (never the key or its secret), create (the key and its signing
//! secret are shown once, as `baton api-key create` prints them), revoke (refused at once, on
//! every replica).

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::utc;
use super::parse_json;
use crate::auth::AdminAuth;
use crate::db::accounts;
use crate::db::models::ApiKeyRow;
use crate::domain::accounts::Label;
use crate::domain::types::RecordId;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// An API key as listed: never the key itself or its signing secret.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// The key's id.
    pub id: String,
    /// Its name, e.g. the n8n instance that uses it.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiKeyRow> for ApiKey {
    fn from(k: &ApiKeyRow) -> ApiKey {
        ApiKey {
            id: k.id.clone(),
            name: k.name.clone(),
            created_at: utc(k.created_at),
            revoked_at: k.revoked_at.map(utc),
        }
    }
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    /// A name for it (1 to 100 characters), e.g. the n8n instance that will use it.
    #[schema(
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub name: String,
}

/// A created key, with what is shown only now.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key (`bk_...`), for `Authorization: Bearer`. Shown once: Baton keeps only a digest.
    #[serde(rename = "key")]
    pub secret_key: String,
    /// The `whsec_...` secret that signs this key's callbacks. Shown once.
    pub signing_secret: String,
}

/// Every API key, oldest first, revoked ones included.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Keys (without the keys or secrets)", body = [ApiKey]),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[get("/v1/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    _admin: AdminAuth,
) -> Result<web::Json<Vec<ApiKey>>, ApiError> {
    let rows = state.db.read(accounts::list_api_keys).await?;
    Ok(web::Json(rows.iter().map(ApiKey::from).collect()))
}

/// Create an API key; the answer holds the key and its signing secret, shown this once.
#[utoipa::path(
    tag = "admin",
    request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "Created; keep `key` and `signing_secret` now", body = CreatedApiKey),
        (status = 400, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[post("/v1/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    admin: AdminAuth,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ApiKeyRequest = parse_json(&req, &body, None)?;
    let name = Label::parse(&body.name).map_err(|e| ApiError::field("name", e))?;
    let actor = admin.actor();
    let created = state
        .db
        .write(move |conn| accounts::create_api_key(conn, name.as_str(), &actor))
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKey {
        key: ApiKey::from(&created.row),
        secret_key: created.key,
        signing_secret: created.row.signing_secret,
    }))
}

/// Revoke an API key: refused from now on, on every replica. Its event subscriptions stop;
/// callbacks of takeovers it already made are still delivered.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin reviewer (API keys included)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("reviewer_token" = []))
)]
#[delete("/v1/api-keys/{id}")]
pub async fn delete_api_key(
    state: web::Data<AppState>,
    admin: AdminAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RecordId::parse(&path).map_err(|e| ApiError::field("id", e))?;
    let actor = admin.actor();
    let revoked = state
        .db
        .write(move |conn| accounts::revoke_api_key(conn, &id.to_string(), &actor))
        .await?;
    if revoked.is_none() {
        return Err(ApiError::not_found(format!(
            "no API key {:?}",
            path.as_str()
        )));
    }
    // The transaction has committed: from here no cache may answer for the key.
    state.key_cache.forget_all();
    state.live.credentials_revoked();
    Ok(HttpResponse::NoContent().finish())
}
