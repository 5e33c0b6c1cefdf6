//! Signature tests: a sample event signed with the API key's signing secret, so a client (the
//! n8n credential test) can check that the secret it holds verifies Baton's callbacks before a
//! real callback fails.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiKeyAuth;
use crate::domain::signing;
use crate::domain::types::RecordId;
use crate::error::{ApiError, Problem};

/// A sample event, signed as every callback of this API key's takeovers is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignatureTest {
    /// The `webhook-id` header the event would carry.
    pub webhook_id: String,
    /// The `webhook-timestamp` header: unix time in seconds.
    pub webhook_timestamp: String,
    /// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the
    /// key's signing secret.
    pub webhook_signature: String,
    /// The exact body that was signed (a JSON text with `type` `signature.test`); verify these
    /// bytes, not a re-serialisation.
    pub body: String,
}

/// Sign a sample event with this API key's signing secret. Nothing is sent anywhere and the
/// secret is not in the answer: the caller verifies `webhook_signature` over
/// `webhook_id.webhook_timestamp.body` with the secret it holds, as it would a callback. A
/// mismatch means that secret is not this key's (the n8n credential test fails on it).
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "The signed sample event", body = SignatureTest),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an API key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
#[post("/v1/signature-tests")]
pub async fn create_signature_test(key: ApiKeyAuth) -> Result<web::Json<SignatureTest>, ApiError> {
    let id = format!("evt_{}", RecordId::new().to_string().replace('-', ""));
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "id": id,
        "type": "signature.test",
        "occurred_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "api_key": key.name,
    })
    .to_string();
    let timestamp = now.timestamp();
    let signature = signing::sign(&key.signing_secret, &id, timestamp, body.as_bytes())
        .map_err(|e| ApiError::internal(e.context("signing a test event")))?;
    Ok(web::Json(SignatureTest {
        webhook_id: id,
        webhook_timestamp: timestamp.to_string(),
        webhook_signature: signature,
        body,
    }))
}
