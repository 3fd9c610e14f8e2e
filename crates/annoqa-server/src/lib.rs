//! annoqa's thin backend: accounts, work assignment, submissions re-validated and gold
//! re-scored with `annoqa-core`, review and feedback, import and export; it also serves the
//! built app.
//!
//! **Invariant:** a honeypot gold answer leaves this crate only inside the response to the
//! annotator's own stored submission of that item (see `routes::work::submit`).
//!
//! **Invariant:** no type that is serialised to a client holds a password hash; users go out
//! as [`annoqa_api::UserView`].

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

mod auth;
mod checks;
mod cpu;
mod demo;
mod error;
mod import;
mod import_formats;
mod json;
mod password_policy;
mod routes;
mod scorecard_sources;
mod store;
mod taxonomy;
mod versioned_cache;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;

pub use auth::{
    random_token, token_hash, Busy, LoginAttempt, LoginLimiter, LoginLimits, PasswordCost, Passwords, RetryAfter,
};
pub use cpu::CpuLimits;
pub use demo::{load_demo_projects, load_demo_projects_into, read_project_folder};
pub use error::ServerError;
pub use routes::{add_user, create_api_token, router, set_password, CONTENT_SECURITY_POLICY};
pub use store::{new_id, redact_url, sqlite_url, Backend, NewItem, Store, StoredToken, StoredUser};

/// Everything `annoqa serve` needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// `sqlite://FILE` (created with its folder when missing) or `postgres://…`.
    pub database_url: String,
    /// The app as built by Trunk (`dist/`).
    pub dist: PathBuf,
    /// The repo's `static/` folder: demo projects, media, guidelines.
    pub static_dir: PathBuf,
    /// Where each project's media root lives: `<media_dir>/<project id>/`.
    pub media_dir: PathBuf,
    /// Mark the session cookie `Secure` even when the request did not come over TLS (set this
    /// behind a TLS-terminating proxy that does not send `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Password hashes that run at once; `None`: one per core, at most eight.
    pub password_hashes_at_once: Option<usize>,
    /// How long an API token made through the API works.
    pub api_token_lifetime_ms: i64,
    /// Bytes of media uploads each project may hold.
    pub media_quota_bytes: u64,
}

/// Milliseconds since the Unix epoch. Injected so tests move time instead of sleeping.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(now_ms)
}

/// What the HTTP layer needs besides the store.
#[derive(Clone, Debug)]
pub struct Settings {
    pub dist: PathBuf,
    pub static_dir: PathBuf,
    pub media_dir: PathBuf,
    pub secure_cookies: bool,
    pub session_ttl_ms: i64,
    pub password_cost: PasswordCost,
    /// Validation and scoring threads, and how many requests may wait for one.
    pub cpu: CpuLimits,
    /// Password hashes that run at once (each holds `password_cost.memory_kib`); more logins
    /// wait for a turn, at most `password_queue_timeout_ms`, then answer `busy`.
    pub password_hashes_at_once: usize,
    pub password_queue_timeout_ms: u64,
    /// The login rate limits, per account and per client address.
    pub login_limits: LoginLimits,
    /// How long an API token works after it is made.
    pub api_token_lifetime_ms: i64,
    /// Bytes of media uploads each project may hold (`media_quota_exceeded` beyond).
    pub media_quota_bytes: u64,
}

impl Settings {
    pub fn new(dist: PathBuf, static_dir: PathBuf, media_dir: PathBuf) -> Settings {
        Settings {
            dist,
            static_dir,
            media_dir,
            secure_cookies: false,
            session_ttl_ms: 12 * 60 * 60 * 1000,
            password_cost: PasswordCost::default(),
            cpu: CpuLimits::default(),
            password_hashes_at_once: auth::default_hashes_at_once(),
            password_queue_timeout_ms: auth::DEFAULT_HASH_QUEUE_TIMEOUT_MS,
            login_limits: LoginLimits::default(),
            api_token_lifetime_ms: DEFAULT_API_TOKEN_LIFETIME_MS,
            media_quota_bytes: DEFAULT_MEDIA_QUOTA_BYTES,
        }
    }
}

/// How many bytes of media uploads a project may hold by default: 2 GiB.
pub const DEFAULT_MEDIA_QUOTA_BYTES: u64 = 2 << 30;

/// How long an API token works by default: 90 days.
pub const DEFAULT_API_TOKEN_LIFETIME_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// What kept scorecards responses may take: a project of 100,000 submissions answers with
/// about 3 MB, so some twenty such projects.
const SCORECARDS_CACHE_BYTES: usize = 64 << 20;

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    settings: Settings,
    passwords: Passwords,
    limiter: LoginLimiter,
    cpu: cpu::CpuPool,
    /// Idempotency keys being processed by this process: a second request with the same key
    /// meanwhile gets 409. Finished keys live in the database.
    in_flight: Mutex<HashSet<(i64, String)>>,
    /// One lock per tile pyramid folder being made: a second first request waits for the
    /// first instead of decoding the same image again.
    pyramid_builds: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    /// Scorecards responses by project and the caller's vendor scope.
    scorecards: routes::ScorecardsCache,
    /// What scorecards and bad gold are computed from, per annotator.
    scorecard_sources: scorecard_sources::SourcesCache,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.inner.store).field("settings", &self.inner.settings).finish()
    }
}

impl AppState {
    pub fn new(store: Store, settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
        let queue_timeout = std::time::Duration::from_millis(settings.password_queue_timeout_ms);
        let passwords = Passwords::with_turns(settings.password_cost, settings.password_hashes_at_once, queue_timeout)?;
        let limiter = LoginLimiter::new(settings.login_limits);
        let cpu = cpu::CpuPool::new(settings.cpu);
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                clock,
                settings,
                passwords,
                limiter,
                cpu,
                in_flight: Mutex::new(HashSet::new()),
                pyramid_builds: Mutex::new(HashMap::new()),
                scorecards: routes::ScorecardsCache::new(SCORECARDS_CACHE_BYTES),
                scorecard_sources: scorecard_sources::SourcesCache::default(),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub(crate) fn scorecards_cache(&self) -> &routes::ScorecardsCache {
        &self.inner.scorecards
    }

    pub(crate) fn scorecard_sources(&self) -> &scorecard_sources::SourcesCache {
        &self.inner.scorecard_sources
    }

    /// The pool that validates and scores annotations off the request threads.
    pub(crate) fn cpu(&self) -> &cpu::CpuPool {
        &self.inner.cpu
    }

    /// The lock of the tile pyramid folder `dir` ([`Self::release_pyramid_lock`] after use).
    pub(crate) fn pyramid_lock(&self, dir: &std::path::Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut builds = self.inner.pyramid_builds.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(builds.entry(dir.to_path_buf()).or_default())
    }

    /// Forgets `dir`'s lock once nobody holds or waits for it, so the map stays small.
    pub(crate) fn release_pyramid_lock(&self, dir: &std::path::Path, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut builds = self.inner.pyramid_builds.lock().unwrap_or_else(|e| e.into_inner());
        // Ours and the map's: nobody else has it.
        if Arc::strong_count(&lock) == 2 {
            builds.remove(dir);
        }
    }

    /// Validation and scoring jobs running now.
    pub fn cpu_jobs_running(&self) -> usize {
        self.inner.cpu.running()
    }

    pub fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }

    pub(crate) fn limiter(&self) -> &LoginLimiter {
        &self.inner.limiter
    }

    /// Whether a request of `user_id` with idempotency key `key` is being processed here.
    pub fn is_in_flight(&self, user_id: i64, key: &str) -> bool {
        let set = self.inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        set.contains(&(user_id, key.to_string()))
    }

    /// Marks `(user, key)` in flight; `None` when it already is. The guard unmarks on drop.
    pub(crate) fn begin_key(&self, user_id: i64, key: &str) -> Option<InFlight> {
        let mut set = self.inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        set.insert((user_id, key.to_string()))
            .then(|| InFlight { state: self.clone(), entry: (user_id, key.to_string()) })
    }
}

pub(crate) struct InFlight {
    state: AppState,
    entry: (i64, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut set = self.state.inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.entry);
    }
}

/// Creates the first admin when the database has no user, returning the one-time password.
/// Replicas starting together race harmlessly: the username is unique.
pub async fn ensure_admin(state: &AppState) -> anyhow::Result<Option<String>> {
    if state.store().user_count().await? > 0 {
        return Ok(None);
    }
    let password = random_token();
    let hash = state.passwords().hash_in_turn(password.clone()).await??;
    match state.store().insert_user("admin", annoqa_api::Role::Admin, None, &hash, state.now_ms()).await {
        Ok(_) => Ok(Some(password)),
        Err(store::UserError::Taken(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Opens the database, loads the demo projects on first start, creates the first admin, and
/// serves until Ctrl-C. Calls `on_listening` with the bound address once the socket accepts
/// connections.
pub async fn serve(config: Config, on_listening: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url).await?;
    if store.project_count().await? == 0 {
        let demo = config.static_dir.join("demo");
        if demo.is_dir() {
            let loaded = load_demo_projects_into(&store, &demo, Some(&config.media_dir), now_ms())
                .await
                .with_context(|| format!("loading the demo projects from {}", demo.display()))?;
            tracing::info!(projects = loaded, "loaded demo projects");
        }
    }
    let mut settings = Settings::new(config.dist.clone(), config.static_dir.clone(), config.media_dir.clone());
    settings.secure_cookies = config.secure_cookies;
    if let Some(at_once) = config.password_hashes_at_once {
        settings.password_hashes_at_once = at_once;
    }
    settings.api_token_lifetime_ms = config.api_token_lifetime_ms;
    settings.media_quota_bytes = config.media_quota_bytes;
    let state = AppState::new(store, settings, system_clock())?;
    if let Some(password) = ensure_admin(&state).await? {
        // Printed once, to stderr only; it is stored nowhere but as an argon2id hash.
        eprintln!("created user `admin` with one-time password: {password}");
        eprintln!("log in and keep it safe; it is not shown again");
    }
    tokio::spawn(purge_expired_rows(state.clone()));
    tokio::spawn(scorecard_sources::warm(state.clone()));
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    on_listening(listener.local_addr()?);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            // Ignoring the error is right: without a signal handler we simply run until killed.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// How long a used `Idempotency-Key` is remembered: a client retrying later than this gets
/// "already submitted" (409) instead of the replayed response.
pub const IDEMPOTENCY_KEY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// How often expired sessions and old idempotency keys are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Deletes expired sessions, old idempotency keys and failed logins older than the rate limit's
/// window now and every [`PURGE_EVERY`], so no table grows without bound. Several replicas doing
/// the same is harmless.
async fn purge_expired_rows(state: AppState) {
    let mut ticks = tokio::time::interval(PURGE_EVERY);
    loop {
        ticks.tick().await;
        let now = state.now_ms();
        let keys_before = now.saturating_sub(IDEMPOTENCY_KEY_RETENTION_MS);
        let failures_before = now.saturating_sub(state.limiter().limits().window_ms);
        match state.store().purge_expired(now, keys_before, failures_before).await {
            Ok((0, 0)) => {}
            Ok((sessions, keys)) => tracing::info!(sessions, keys, "deleted expired sessions and idempotency keys"),
            Err(e) => tracing::warn!("could not delete expired sessions and idempotency keys: {e}"),
        }
    }
}

/// Wall-clock time for stored rows. The server is the only place that reads the clock; the
/// core receives times as arguments.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
