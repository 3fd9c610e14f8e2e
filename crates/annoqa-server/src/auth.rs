//! Who is calling: passwords (argon2id, a few at a time in reused memory), session cookies and
//! API tokens (stored as SHA-256 hashes, tokens with an end of life), the CSRF rule and the login
//! rate limits.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use annoqa_api::{self as api, ApiErrorCode, Role};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::store::{fill_random, new_id, Store, StoredUser};
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

/// How many password hashes run at once by default: one per core, at most eight. Each holds
/// [`PasswordCost::memory_kib`] of memory while it runs, and that memory is kept for the next.
pub(crate) fn default_hashes_at_once() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// How long a login waits for a turn to hash before it is answered `busy`, in milliseconds.
pub(crate) const DEFAULT_HASH_QUEUE_TIMEOUT_MS: u64 = 5_000;

/// Logins waiting for a turn, per turn; past this many a login is answered `busy` at once, so a
/// flood cannot park an unbounded number of requests in memory.
const WAITING_PER_TURN: usize = 32;

/// There was no turn to hash a password: the queue was full or the wait timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking other passwords; try again in a moment")]
pub struct Busy;

impl From<Busy> for ServerError {
    fn from(busy: Busy) -> ServerError {
        ServerError::new(ApiErrorCode::Busy, busy.to_string())
    }
}

/// Hashes and checks passwords. At most `at_once` hashes run at the same time, each on a
/// blocking thread in one of at most `at_once` memory buffers that are reused, so the memory
/// argon2 takes is bounded by `at_once` × the cost's memory however many logins arrive. Cheap
/// to clone (one shared state).
#[derive(Clone, Debug)]
pub struct Passwords {
    inner: Arc<PasswordsInner>,
}

struct PasswordsInner {
    params: Params,
    /// Verified against when the username is unknown, so a wrong username costs as much time
    /// and memory as a wrong password and the two cannot be told apart.
    dummy_hash: String,
    turns: Arc<Semaphore>,
    at_once: usize,
    queue_timeout: Duration,
    waiting: AtomicUsize,
    /// Memory buffers of `params.block_count()` blocks, free for the next hash.
    memory: Mutex<Vec<Vec<Block>>>,
    counters: PasswordCounters,
}

impl std::fmt::Debug for PasswordsInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the buffers: megabytes of password-derived blocks.
        f.debug_struct("Passwords")
            .field("params", &self.params)
            .field("at_once", &self.at_once)
            .field("queue_timeout", &self.queue_timeout)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// What the password hashing did, for tests and operators.
#[derive(Debug, Default)]
struct PasswordCounters {
    verifications: AtomicU64,
    buffers_made: AtomicUsize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
}

impl Passwords {
    /// Passwords hashed [`default_hashes_at_once`] at a time.
    pub fn new(cost: PasswordCost) -> anyhow::Result<Passwords> {
        Passwords::with_turns(cost, default_hashes_at_once(), Duration::from_millis(DEFAULT_HASH_QUEUE_TIMEOUT_MS))
    }

    /// Passwords hashed `at_once` at a time (at least one); a hash waits at most `queue_timeout`
    /// for its turn.
    pub fn with_turns(cost: PasswordCost, at_once: usize, queue_timeout: Duration) -> anyhow::Result<Passwords> {
        let params = Params::new(cost.memory_kib, cost.passes, 1, None).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        let at_once = at_once.max(1);
        let inner = PasswordsInner {
            params,
            dummy_hash: String::new(),
            turns: Arc::new(Semaphore::new(at_once)),
            at_once,
            queue_timeout,
            waiting: AtomicUsize::new(0),
            memory: Mutex::new(Vec::new()),
            counters: PasswordCounters::default(),
        };
        let mut passwords = Passwords { inner: Arc::new(inner) };
        let dummy_hash = passwords.hash(&random_token())?;
        match Arc::get_mut(&mut passwords.inner) {
            Some(inner) => inner.dummy_hash = dummy_hash,
            None => anyhow::bail!("the password state is shared before it is made"),
        }
        Ok(passwords)
    }

    /// The PHC string of `password` with a fresh salt, hashed now on this thread (the command
    /// line, startup). Requests use [`Passwords::hash_in_turn`].
    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        let params = &self.inner.params;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.with_memory(params.block_count(), |memory| {
            argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, memory)
        })
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("argon2: {e}"))?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) it checks against a
    /// dummy of the same cost and answers `false`. Runs now on this thread; requests use
    /// [`Passwords::verify_in_turn`].
    pub fn verify(&self, hash: Option<&str>, password: &str) -> bool {
        self.inner.counters.verifications.fetch_add(1, Ordering::Relaxed);
        let stored = hash.unwrap_or(&self.inner.dummy_hash);
        let matches = self.matches(stored, password).unwrap_or(false);
        matches && hash.is_some()
    }

    /// [`Passwords::hash`] on a blocking thread once a turn is free.
    pub async fn hash_in_turn(&self, password: String) -> Result<anyhow::Result<String>, Busy> {
        self.in_turn(move |passwords| passwords.hash(&password)).await
    }

    /// [`Passwords::verify`] on a blocking thread once a turn is free.
    pub async fn verify_in_turn(&self, hash: Option<String>, password: String) -> Result<bool, Busy> {
        self.in_turn(move |passwords| passwords.verify(hash.as_deref(), &password)).await
    }

    /// Password checks run so far (known and unknown usernames alike).
    pub fn verifications(&self) -> u64 {
        self.inner.counters.verifications.load(Ordering::Relaxed)
    }

    /// The most hashes that ever ran at the same time in turn.
    pub fn peak_at_once(&self) -> usize {
        self.inner.counters.peak_running.load(Ordering::Relaxed)
    }

    /// Memory buffers of the configured cost ever allocated (they are reused).
    pub fn buffers_made(&self) -> usize {
        self.inner.counters.buffers_made.load(Ordering::Relaxed)
    }

    /// Runs `work` on a blocking thread when one of the turns is free, or answers [`Busy`] when
    /// the queue is full or the turn does not come within the queue timeout.
    async fn in_turn<T: Send + 'static>(&self, work: impl FnOnce(&Passwords) -> T + Send + 'static) -> Result<T, Busy> {
        let inner = &self.inner;
        let waiting = Waiting::enter(&inner.waiting, inner.at_once * WAITING_PER_TURN).ok_or(Busy)?;
        let turn = tokio::time::timeout(inner.queue_timeout, inner.turns.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        drop(waiting);
        let passwords = self.clone();
        // The turn moves into the blocking task: if the client goes away this future is dropped,
        // but the hash runs to its end, and only then is the turn given back.
        let task = tokio::task::spawn_blocking(move || {
            let counters = &passwords.inner.counters;
            let running = counters.running.fetch_add(1, Ordering::SeqCst) + 1;
            counters.peak_running.fetch_max(running, Ordering::SeqCst);
            let result = work(&passwords);
            counters.running.fetch_sub(1, Ordering::SeqCst);
            drop(turn);
            result
        });
        // A hash that panicked has no answer; the caller treats it like a busy server.
        task.await.map_err(|_| Busy)
    }

    /// Whether `password` hashes to the PHC string `stored`, in pooled memory; `None` when
    /// `stored` is not an argon2 PHC string.
    fn matches(&self, stored: &str, password: &str) -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut output = [0u8; Output::MAX_LENGTH];
        let output = output.get_mut(..expected.len())?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        self.with_memory(params.block_count(), |memory| {
            argon2.hash_password_into_with_memory(password.as_bytes(), salt, output, memory)
        })
        .ok()?;
        // `Output`'s comparison takes the same time wherever the bytes differ.
        Some(Output::new(output).ok()? == expected)
    }

    /// Calls `work` with `blocks` blocks of memory: a pooled buffer when the configured cost
    /// needs no more, else a buffer made for this call only (a hash stored with a higher cost).
    fn with_memory<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        let standard = self.inner.params.block_count();
        if blocks > standard {
            return work(&mut vec![Block::new(); blocks]);
        }
        let pooled = self.inner.memory.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buffer = pooled.unwrap_or_else(|| {
            self.inner.counters.buffers_made.fetch_add(1, Ordering::Relaxed);
            vec![Block::new(); standard]
        });
        let result = work(&mut buffer[..blocks]);
        let mut pool = self.inner.memory.lock().unwrap_or_else(|e| e.into_inner());
        // Hashes outside the turns (command line, startup) may have made one more; keep no more
        // than there are turns.
        if pool.len() < self.inner.at_once {
            pool.push(buffer);
        }
        result
    }
}

/// One login counted among those waiting for a turn, for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(waiting: &'a AtomicUsize, most: usize) -> Option<Waiting<'a>> {
        let before = waiting.fetch_add(1, Ordering::SeqCst);
        let entered = Waiting(waiting);
        (before < most).then_some(entered)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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

/// The login rate limits: at most `per_account` attempts for one username (case-insensitive,
/// from any address) and `per_address` attempts from one client address (for any username)
/// within `window_ms`, not counting those that succeeded.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_account: i64,
    pub per_address: i64,
    pub window_ms: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits { per_account: 5, per_address: 30, window_ms: 60_000 }
    }
}

/// Stripes of the limiter's locks per kind (username, address).
const LIMITER_STRIPES: usize = 64;

/// Enforces [`LoginLimits`]. An attempt is counted when it starts, before its password is
/// checked, so parallel attempts cannot all get past a limit; the attempts live in the
/// database, so every replica on it enforces the same limits. Within one process the attempts
/// of one username, or of one address, are written and counted one after the other, so exactly
/// the first ones within the limit pass; attempts racing on two replicas may both be refused,
/// never both admitted over the limit.
#[derive(Clone, Debug)]
pub struct LoginLimiter {
    limits: LoginLimits,
    /// `LIMITER_STRIPES` locks for usernames, then as many for addresses; always taken in that
    /// order, so two attempts never wait for each other's lock.
    locks: Arc<[tokio::sync::Mutex<()>]>,
    stripe_of: RandomState,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        let locks = (0..2 * LIMITER_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect();
        LoginLimiter { limits, locks, stripe_of: RandomState::new() }
    }

    pub fn limits(&self) -> LoginLimits {
        self.limits
    }

    fn stripe(&self, key: &str) -> usize {
        // The remainder is below `LIMITER_STRIPES`, so the cast cannot truncate.
        (self.stripe_of.hash_one(key) % LIMITER_STRIPES as u64) as usize
    }

    /// Counts an attempt of `username` from `client` at `now_ms`; refuses it, uncounted, when
    /// either limit is exceeded.
    pub async fn begin(
        &self,
        store: &Store,
        username: &str,
        client: &str,
        now_ms: i64,
    ) -> anyhow::Result<Result<LoginAttempt, RetryAfter>> {
        let attempt = LoginAttempt { id: new_id(), username: username.to_lowercase(), client: client.to_string() };
        let _username_turn = self.locks[self.stripe(&attempt.username)].lock().await;
        let _address_turn = self.locks[LIMITER_STRIPES + self.stripe(&attempt.client)].lock().await;
        store.insert_login_attempt(attempt.id, &attempt.username, &attempt.client, now_ms).await?;
        // Own row included: the n-th attempt written sees at least n, so at most the limit pass.
        let LoginLimits { per_account, per_address, window_ms } = self.limits;
        let since = now_ms - window_ms;
        let by_username = store.login_attempts_by_username(&attempt.username, since).await?;
        let by_client = store.login_attempts_by_client(&attempt.client, since).await?;
        let over = [(by_username, per_account), (by_client, per_address)]
            .into_iter()
            .filter(|((count, _), limit)| count > limit)
            .map(|((_, oldest), _)| oldest.map_or(window_ms, |at| at + window_ms - now_ms))
            .max();
        match over {
            None => Ok(Ok(attempt)),
            Some(wait_ms) => {
                store.delete_login_attempt(attempt.id).await?;
                Ok(Err(RetryAfter(wait_ms.max(1000))))
            }
        }
    }
}

/// A login attempt within the limits, counted until it succeeds.
#[derive(Debug)]
pub struct LoginAttempt {
    id: i64,
    username: String,
    client: String,
}

/// Over a limit: try again after this many milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub i64);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header, at least one.
    pub fn seconds(self) -> i64 {
        (self.0.max(0) + 999) / 1000
    }
}

impl LoginAttempt {
    /// The right password: the attempt and this username's earlier failures from this address
    /// stop counting.
    pub async fn succeeded(self, store: &Store) -> anyhow::Result<()> {
        store.clear_login_attempts(&self.username, &self.client).await?;
        Ok(())
    }

    /// Not checked (the server was busy): the attempt stops counting.
    pub async fn not_checked(self, store: &Store) -> anyhow::Result<()> {
        store.delete_login_attempt(self.id).await?;
        Ok(())
    }

    // A failed attempt keeps its row: that is what the limits count.
}

/// The address the limits count a client by: an IPv4 address, or the /64 network of an IPv6
/// one (a single host commonly has a whole /64).
pub(crate) fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The address the login limits count a request by: [`client_key`] of the peer's socket
/// address, or `unknown` without one (a router driven without a listener, as in tests).
pub(crate) struct ClientAddress(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddress, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddress(peer.map_or_else(|| "unknown".to_string(), |ConnectInfo(addr)| client_key(addr.ip()))))
    }
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// A session cookie; the session token's hash.
    Session(String),
    /// An API token; its id.
    Token(i64),
}

/// The authenticated user of a request. Extracting it answers 401 without credentials and 403
/// for a cookie-authenticated state-changing request without the CSRF header.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) user: StoredUser,
    pub(crate) credential: Credential,
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

/// How stale a token's `last_used_at_ms` may get before a request writes it again: a script's
/// every request would otherwise be a write.
const TOKEN_USE_RESOLUTION_MS: i64 = 60_000;

async fn token_caller(state: &AppState, token: &str, now: i64) -> Result<Caller, ServerError> {
    let Some((user, stored)) = state.store().token_user(&token_hash(token)).await? else {
        return Err(ServerError::unauthorized("the API token is not valid"));
    };
    if stored.expires_at_ms <= now {
        return Err(ServerError::unauthorized("the API token has expired; ask for a new one"));
    }
    if stored.last_used_at_ms.is_none_or(|at| now - at >= TOKEN_USE_RESOLUTION_MS) {
        state.store().touch_api_token(stored.id, now).await?;
    }
    Ok(Caller { user, credential: Credential::Token(stored.id) })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ServerError> {
        let now = state.now_ms();
        if let Some(token) = bearer(parts) {
            return token_caller(state, &token?, now).await;
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
        Ok(Caller { user, credential: Credential::Session(hash) })
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
