//! Credentials as values: API keys, reviewer tokens, signing secrets and the first-run setup
//! token (made and digested), password hashes, CSRF tokens, and who an authenticated caller is. No HTTP, no SQL: `auth`
//! reads them from requests and `db::accounts` stores them.
//! Keys and tokens are 256-bit random strings stored as SHA-256 digests: their entropy makes a
//! slow hash pointless, and a fast lookup keeps the turn gate cheap. Passwords, which people
//! choose, are stored as argon2id hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

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

/// A new first-run setup token: 43 URL-safe characters (256 random bits), the last part of the
/// one-time setup link `baton serve` prints while no reviewer exists.
pub fn generate_setup_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
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
    secret_matches(&csrf_token(session_token), sent)
}

/// Is `sent` the secret `expected`? Compared in constant time, so the time an answer takes says
/// nothing about how much of a guess was right.
pub fn secret_matches(expected: &str, sent: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
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
