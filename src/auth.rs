//! Credentials: API keys (integrations), reviewer bearer tokens, inbox cookie sessions with
//! their CSRF tokens, and password hashing.
//! Keys and tokens are 256-bit random strings stored as SHA-256 digests: their entropy makes a
//! slow hash pointless, and a fast lookup keeps the turn gate cheap. Passwords, which people
//! choose, are stored as argon2id hashes.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::{web, FromRequest, HttpRequest};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::models::{ApiKeyRow, ReviewerRow};
use crate::db::schema::{api_keys, reviewer_tokens, reviewers, team_members, teams};
use crate::db::{now, DbConnection};
use crate::error::ApiError;
use crate::startup::AppState;

pub const API_KEY_PREFIX: &str = "bk_";
pub const REVIEWER_TOKEN_PREFIX: &str = "brt_";
/// The inbox's session cookie: holds a reviewer token (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "baton_session";
/// The header the inbox script sends its CSRF token in.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The form field a plain HTML form sends its CSRF token in.
pub const CSRF_FIELD: &str = "_csrf";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A new API key: `bk_` and 43 URL-safe characters.
pub fn generate_api_key() -> String {
    format!(
        "{API_KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

/// A new reviewer token.
pub fn generate_reviewer_token() -> String {
    format!(
        "{REVIEWER_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

/// A new Standard Webhooks signing secret: `whsec_` and base64 of 24 random bytes.
pub fn generate_signing_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes::<24>())
    )
}

/// The stored digest of a key or token.
pub fn token_digest(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// The CSRF token of a cookie session: an HMAC of a fixed label keyed by the session token.
/// A page of the inbox can read it; another site cannot (it never sees the HttpOnly cookie).
pub fn csrf_token(session_token: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(session_token.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"baton inbox csrf v1");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Does `sent` match the CSRF token of this session (compared in constant time)?
pub fn csrf_matches(session_token: &str, sent: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = csrf_token(session_token);
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// The digest of the credential a request carries (bearer token, else inbox cookie), so a
/// long-lived response (the event stream) can check that it still holds.
pub fn credential_digest(req: &HttpRequest) -> Option<String> {
    credential(req).ok().map(|token| token_digest(&token))
}

/// The reviewer token in the inbox cookie, if any.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.starts_with(REVIEWER_TOKEN_PREFIX))
}

/// Constant-time password check (argon2 compares digests in constant time).
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the reviewer does not exist, so a wrong name costs as much
/// time as a wrong password and names cannot be probed by timing.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("baton-dummy-password").unwrap_or_default())
}

/// An authenticated integration.
#[derive(Clone, Debug)]
pub struct ApiKeyAuth {
    pub id: String,
    pub name: String,
    pub signing_secret: String,
}

/// An authenticated reviewer with the teams they belong to.
#[derive(Clone, Debug)]
pub struct ReviewerAuth {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub is_admin: bool,
    pub team_ids: Vec<String>,
    pub team_names: Vec<String>,
}

/// Either kind of caller, for endpoints both may use.
#[derive(Clone, Debug)]
pub enum Caller {
    ApiKey(ApiKeyAuth),
    Reviewer(ReviewerAuth),
}

impl Caller {
    /// The name written to the audit trail.
    pub fn actor(&self) -> String {
        match self {
            Caller::ApiKey(k) => format!("api_key:{}", k.name),
            Caller::Reviewer(r) => format!("reviewer:{}", r.name),
        }
    }
}

/// Recently verified API keys, so the turn gate does not pay a lookup on every call.
/// Entries live for a short time; a revocation empties the cache at once (on every replica, via
/// [`crate::live::LiveBus::credentials_revoked`]), so a revoked key is refused from then on.
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<String, (ApiKeyAuth, Instant)>>,
    /// Bumped by every revocation: a lookup that started before one must not refill the cache.
    generation: AtomicU64,
}

const KEY_CACHE_TTL: Duration = Duration::from_secs(30);

impl KeyCache {
    fn get(&self, digest: &str) -> Option<ApiKeyAuth> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(digest)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(k, _)| k.clone())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches a key looked up while the cache was at `generation`, unless a revocation came since.
    fn put(&self, digest: String, key: ApiKeyAuth, generation: u64) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(digest, (key, Instant::now()));
    }

    /// Forgets every cached key: the next use of each is checked against the database again.
    pub fn forget_all(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized("send `Authorization: Bearer <api key or reviewer token>`")
        })?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must use the Bearer scheme")
        })?;
    Ok(token.trim().to_string())
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))
}

/// The credential of a request: the bearer token, else the inbox cookie. A cookie-borne
/// request that changes state must carry the session's CSRF token in `X-CSRF-Token`, because a
/// browser attaches the cookie to requests other sites trigger.
fn credential(req: &HttpRequest) -> Result<String, ApiError> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return bearer(req);
    }
    let Some(token) = session_cookie(req) else {
        return bearer(req);
    };
    if !req.method().is_safe() {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !csrf_matches(&token, sent) {
            return Err(ApiError::forbidden(
                "missing or wrong CSRF token: a signed-in inbox page sends it as `X-CSRF-Token`",
            ));
        }
    }
    Ok(token)
}

async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let token = credential(&req)?;
    let state = state(&req)?;
    let digest = token_digest(&token);
    if token.starts_with(API_KEY_PREFIX) {
        if let Some(key) = state.key_cache.get(&digest) {
            return Ok(Caller::ApiKey(key));
        }
        let generation = state.key_cache.generation();
        let lookup = digest.clone();
        let row = state
            .db
            .read(move |conn| {
                Ok(api_keys::table
                    .filter(api_keys::key_hash.eq(lookup))
                    .filter(api_keys::revoked_at.is_null())
                    .first::<ApiKeyRow>(conn)
                    .optional()?)
            })
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
        let key = ApiKeyAuth {
            id: row.id,
            name: row.name,
            signing_secret: row.signing_secret,
        };
        state.key_cache.put(digest, key.clone(), generation);
        return Ok(Caller::ApiKey(key));
    }
    if token.starts_with(REVIEWER_TOKEN_PREFIX) {
        let reviewer = state
            .db
            .read(move |conn| reviewer_by_token(conn, &digest))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("unknown or expired reviewer token; sign in again")
            })?;
        return Ok(Caller::Reviewer(reviewer));
    }
    Err(ApiError::unauthorized(
        "the bearer token is neither an API key nor a reviewer token",
    ))
}

/// The reviewer signed in to the inbox by cookie, with their token; `None` when there is no
/// live cookie session (the page then asks them to sign in).
pub async fn cookie_reviewer(
    req: &HttpRequest,
) -> Result<Option<(ReviewerAuth, String)>, ApiError> {
    let Some(token) = session_cookie(req) else {
        return Ok(None);
    };
    let state = state(req)?;
    let digest = token_digest(&token);
    let reviewer = state
        .db
        .read(move |conn| reviewer_by_token(conn, &digest))
        .await?;
    Ok(reviewer.map(|r| (r, token)))
}

/// Is the token behind this digest still live, and its reviewer enabled?
pub fn token_is_live(conn: &mut DbConnection, digest: &str) -> Result<bool, ApiError> {
    let n: i64 = reviewer_tokens::table
        .inner_join(reviewers::table)
        .filter(reviewer_tokens::token_hash.eq(digest))
        .filter(reviewer_tokens::expires_at.gt(now()))
        .filter(reviewers::disabled_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Loads the reviewer behind a token digest, if the token is live and the reviewer enabled.
pub fn reviewer_by_token(
    conn: &mut DbConnection,
    digest: &str,
) -> Result<Option<ReviewerAuth>, ApiError> {
    let row = reviewer_tokens::table
        .inner_join(reviewers::table)
        .filter(reviewer_tokens::token_hash.eq(digest))
        .filter(reviewer_tokens::expires_at.gt(now()))
        .filter(reviewers::disabled_at.is_null())
        .select(reviewers::all_columns)
        .first::<ReviewerRow>(conn)
        .optional()?;
    row.map(|r| reviewer_auth(conn, r)).transpose()
}

/// A reviewer row with its teams, as an authenticated reviewer.
pub fn reviewer_auth(conn: &mut DbConnection, r: ReviewerRow) -> Result<ReviewerAuth, ApiError> {
    let team_rows: Vec<(String, String)> = team_members::table
        .inner_join(teams::table)
        .filter(team_members::reviewer_id.eq(&r.id))
        .select((teams::id, teams::name))
        .order(teams::name.asc())
        .load(conn)?;
    let (team_ids, team_names) = team_rows.into_iter().unzip();
    Ok(ReviewerAuth {
        id: r.id,
        name: r.name,
        display_name: r.display_name,
        is_admin: r.is_admin,
        team_ids,
        team_names,
    })
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Fut<Caller>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

impl FromRequest for ApiKeyAuth {
    type Error = ApiError;
    type Future = Fut<ApiKeyAuth>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(req).await? {
                Caller::ApiKey(k) => Ok(k),
                Caller::Reviewer(_) => Err(ApiError::forbidden(
                    "this endpoint takes an API key, not a reviewer token",
                )),
            }
        })
    }
}

impl FromRequest for ReviewerAuth {
    type Error = ApiError;
    type Future = Fut<ReviewerAuth>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(req).await? {
                Caller::Reviewer(r) => Ok(r),
                Caller::ApiKey(_) => Err(ApiError::forbidden(
                    "this endpoint takes a reviewer token, not an API key",
                )),
            }
        })
    }
}

/// An admin reviewer: what the administration endpoints (reviewers, teams, API keys) take.
/// API keys are refused on purpose: a leaked integration key must not be able to mint more keys
/// or admins, and people, not workflows, manage who may read conversations.
#[derive(Clone, Debug)]
pub struct AdminAuth(pub ReviewerAuth);

impl AdminAuth {
    /// The name written to the audit trail.
    pub fn actor(&self) -> String {
        format!("reviewer:{}", self.0.name)
    }
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Fut<AdminAuth>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(req).await? {
                Caller::Reviewer(r) if r.is_admin => Ok(AdminAuth(r)),
                Caller::Reviewer(_) => Err(ApiError::forbidden(
                    "only admin reviewers manage reviewers, teams and API keys",
                )),
                Caller::ApiKey(_) => Err(ApiError::forbidden(
                    "administration takes an admin reviewer's token or inbox session, not an API key",
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn keys_are_random_and_prefixed() {
        let a = generate_api_key();
        assert!(a.starts_with("bk_") && a.len() == 46);
        assert_ne!(a, generate_api_key());
        assert!(generate_signing_secret().starts_with("whsec_"));
        assert_eq!(
            token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        let a = generate_reviewer_token();
        let b = generate_reviewer_token();
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
    }
}
