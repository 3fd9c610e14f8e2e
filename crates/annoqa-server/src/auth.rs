//! Who is calling: passwords (argon2id), session cookies and API tokens (stored as SHA-256
//! hashes), the CSRF rule and the login rate limit.

use annoqa_api::{self as api, ApiErrorCode, Role};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::store::{fill_random, Store, StoredUser};
use crate::{AppState, ServerError};

/// argon2id cost. The default is OWASP's minimum (19 MiB, 2 passes); tests use a cheap one.
#[derive(Clone, Copy, Debug)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub passes: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost { memory_kib: 19 * 1024, passes: 2 }
    }
}

/// Hashes and checks passwords.
#[derive(Debug)]
pub struct Passwords {
    argon2: Argon2<'static>,
    /// Verified against when the username is unknown, so a wrong username costs as much time
    /// as a wrong password and the two cannot be told apart.
    dummy_hash: String,
}

impl Passwords {
    pub fn new(cost: PasswordCost) -> anyhow::Result<Passwords> {
        let params = Params::new(cost.memory_kib, cost.passes, 1, None).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut passwords = Passwords { argon2, dummy_hash: String::new() };
        passwords.dummy_hash = passwords.hash(&random_token())?;
        Ok(passwords)
    }

    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Ok(self
            .argon2
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
            .to_string())
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) it checks against a
    /// dummy and answers `false`, spending the same time.
    pub fn verify(&self, hash: Option<&str>, password: &str) -> bool {
        let stored = hash.unwrap_or(&self.dummy_hash);
        let matches = PasswordHash::new(stored)
            .map(|parsed| self.argon2.verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        matches && hash.is_some()
    }
}

/// 256 random bits, base64url without padding: session tokens, API tokens, generated passwords.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The login rate limit: at most `max_failures` failed logins per username (case-insensitive)
/// and client address within `window_ms`. The failures live in the database, so every replica
/// on it enforces the same limit (attempts that race each other at the limit may all get
/// through: the count is read before the failure is written).
#[derive(Clone, Copy, Debug)]
pub struct LoginLimiter {
    pub max_failures: usize,
    pub window_ms: i64,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter { max_failures: 5, window_ms: 60_000 }
    }
}

impl LoginLimiter {
    /// Whether another attempt is allowed now.
    pub async fn allows(&self, store: &Store, username: &str, client: &str, now_ms: i64) -> anyhow::Result<bool> {
        let recent = store.login_failures_since(&username.to_lowercase(), client, now_ms - self.window_ms).await?;
        Ok(recent < self.max_failures as i64)
    }

    pub async fn record_failure(&self, store: &Store, username: &str, client: &str, now_ms: i64) -> anyhow::Result<()> {
        store.record_login_failure(&username.to_lowercase(), client, now_ms).await?;
        Ok(())
    }

    pub async fn clear(&self, store: &Store, username: &str, client: &str) -> anyhow::Result<()> {
        store.clear_login_failures(&username.to_lowercase(), client).await?;
        Ok(())
    }
}

/// The authenticated user of a request. Extracting it answers 401 without credentials and 403
/// for a cookie-authenticated state-changing request without the CSRF header.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub user: StoredUser,
    /// The session token's hash when the caller came with a cookie (for logout).
    pub session_hash: Option<String>,
}

impl Caller {
    pub(crate) fn id(&self) -> i64 {
        self.user.id
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// The session token from the request's cookies, if any.
pub(crate) fn session_cookie(parts: &Parts) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == api::SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
    })
}

fn bearer(parts: &Parts) -> Option<Result<String, ServerError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Some(token.ok_or_else(|| ServerError::unauthorized("the Authorization header must be `Bearer <token>`")))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ServerError> {
        let now = state.now_ms();
        if let Some(token) = bearer(parts) {
            let token = token?;
            let user = state.store().token_user(&token_hash(&token)).await?;
            return match user {
                Some(user) => Ok(Caller { user, session_hash: None }),
                None => Err(ServerError::unauthorized("the API token is not valid")),
            };
        }
        let Some(token) = session_cookie(parts) else {
            return Err(ServerError::unauthorized("log in first"));
        };
        let hash = token_hash(&token);
        let Some(user) = state.store().session_user(&hash, now).await? else {
            return Err(ServerError::unauthorized("the session has ended; log in again"));
        };
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            check_csrf(parts)?;
        }
        Ok(Caller { user, session_hash: Some(hash) })
    }
}

/// Cookie-authenticated writes must carry `X-Requested-With: annoqa`. A cross-site page can
/// make the browser send the cookie, but it cannot add a custom header without a CORS
/// preflight, which this server never grants.
pub(crate) fn check_csrf(parts: &Parts) -> Result<(), ServerError> {
    let ok = parts.headers.get(api::CSRF_HEADER).and_then(|v| v.to_str().ok()) == Some(api::CSRF_HEADER_VALUE);
    if ok {
        Ok(())
    } else {
        Err(ServerError::new(
            ApiErrorCode::MissingCsrfHeader,
            format!(
                "cookie-authenticated requests that change data need the header `X-Requested-With: {}`",
                api::CSRF_HEADER_VALUE
            ),
        ))
    }
}
