//! Who is calling: API keys (integrations), reviewer bearer tokens and inbox cookie sessions
//! with their CSRF tokens, read from requests as actix extractors, and the cache of recently
//! verified keys. The credentials themselves are `domain::credentials`; their rows `db::accounts`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::{web, FromRequest, HttpRequest};

use crate::db::accounts::{api_key_by_digest, reviewer_by_token};
use crate::db::Db;
use crate::error::{ApiError, Kind};
use crate::throttle::LoginThrottle;

pub use crate::domain::credentials::*;

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

/// The database and key cache the app registered (`web::Data<Db>`, `web::Data<KeyCache>`).
struct Gate {
    db: web::Data<Db>,
    key_cache: web::Data<KeyCache>,
}

fn state(req: &HttpRequest) -> Result<Gate, ApiError> {
    let missing = || ApiError::internal(anyhow::anyhow!("application state missing"));
    Ok(Gate {
        db: req
            .app_data::<web::Data<Db>>()
            .cloned()
            .ok_or_else(missing)?,
        key_cache: req
            .app_data::<web::Data<KeyCache>>()
            .cloned()
            .ok_or_else(missing)?,
    })
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
        let key = state
            .db
            .read(move |conn| api_key_by_digest(conn, &lookup))
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
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

/// A successful sign-in: a new reviewer token.
pub struct SignedIn {
    pub token: String,
    pub expires_at: chrono::NaiveDateTime,
    pub reviewer: ReviewerAuth,
}

/// Checks a name and password under the sign-in throttle and issues a token; shared by the API
/// and the inbox's sign-in form.
pub async fn sign_in(
    db: &Db,
    throttle: &LoginThrottle,
    ttl: Duration,
    req: &HttpRequest,
    name: String,
    password: String,
) -> Result<SignedIn, ApiError> {
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    // The form is not parsed by `parse_json`; the same rule on U+0000 holds for it.
    for (field, value) in [("name", &name), ("password", &password)] {
        if value.contains('\0') {
            return Err(ApiError::field(field, crate::domain::types::NUL_REFUSED));
        }
    }
    let throttle_key = format!("{ip}|{name}");
    if let Some(wait) = throttle.wait(&throttle_key) {
        return Err(ApiError::new(
            Kind::TooManyRequests,
            "too many failed sign-ins for this name; wait and try again (see Retry-After)",
        )
        .with_retry_after(wait.as_secs_f64().ceil() as u64));
    }
    let lookup = name.clone();
    let row = db
        .read(move |conn| {
            Ok(crate::db::accounts::find_reviewer(conn, &lookup)?
                .filter(|r| r.disabled_at.is_none()))
        })
        .await?;
    // Argon2 takes tens of milliseconds by design: verify off the executor and outside any
    // write transaction (on SQLite that would hold every writer, the turn gate included).
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || {
        verify_password(
            &password,
            stored.as_deref().unwrap_or(dummy_password_hash()),
        )
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("password check failed: {e}")))?;
    let found = match row {
        Some(r) if ok => Some(
            db.write(move |conn| {
                let (token, expires) = crate::db::accounts::create_token(conn, &r.id, ttl)?;
                let auth = crate::db::accounts::reviewer_auth(conn, r)?;
                Ok((token, expires, auth))
            })
            .await?,
        ),
        _ => None,
    };
    match found {
        Some((token, expires_at, reviewer)) => {
            throttle.succeeded(&throttle_key);
            Ok(SignedIn {
                token,
                expires_at,
                reviewer,
            })
        }
        None => {
            throttle.failed(&throttle_key);
            // Debug formatting escapes newlines and control characters: a name cannot forge a log line
            // or send terminal escape codes (the name comes before any authentication).
            tracing::info!(reviewer = ?name, "failed sign-in");
            Err(ApiError::unauthorized("wrong name or password"))
        }
    }
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
    fn setup_tokens_are_long_random_and_url_safe() {
        let a = generate_setup_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, generate_setup_token());
        assert!(secret_matches(&a, &a.clone()));
        assert!(!secret_matches(&a, &a[..42]));
        assert!(!secret_matches(&a, ""));
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
