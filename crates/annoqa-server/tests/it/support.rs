//! The test harness: a server on either backend, users, and HTTP clients acting as them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use annoqa_api::{self as api, LoginRequest, NewUser, Role, SessionView, UserView};
use annoqa_core::ItemSource;
use annoqa_server::{add_user, load_demo_projects, router, AppState, Backend, PasswordCost, Settings, Store};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use sqlx::{AnyConnection, Connection, Executor};
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// Runs each test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($server:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $server = $crate::support::Server::start(annoqa_server::Backend::Sqlite).await;
                $body
                $server.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $server = $crate::support::Server::start(annoqa_server::Backend::Postgres).await;
                $body
                $server.finish().await;
            }
        }
    )*};
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn demo_items() -> Vec<ItemSource> {
    let path = repo_root().join("static/demo/news-entities/items.jsonl");
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

pub const DEMO: &str = "news-entities";
pub const PASSWORD: &str = "correct horse battery staple";
/// The test clock starts here (ms since the epoch).
pub const T0: i64 = 1_700_000_000_000;

/// A PostgreSQL database made for one test and dropped when it ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> (PgDatabase, String) {
        let admin_url = std::env::var("ANNOQA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is unreachable at {admin_url} ({e}). Start one (cargo xtask test does) or point \
                 ANNOQA_TEST_POSTGRES_URL at a server where this user may create databases."
            )
        });
        let name = format!("annoqa_test_{:016x}", annoqa_server::new_id());
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        conn.close().await.unwrap();
        // Swap the database name, keeping any query (`?sslmode=…`).
        let (location, query) = admin_url.split_once('?').map_or((admin_url.as_str(), ""), |(l, q)| (l, q));
        let (base, _) = location.rsplit_once('/').expect("the PostgreSQL URL names a database");
        let url = if query.is_empty() { format!("{base}/{name}") } else { format!("{base}/{name}?{query}") };
        (PgDatabase { admin_url, name }, url)
    }

    pub async fn drop_database(&self) {
        let mut conn = AnyConnection::connect(&self.admin_url).await.unwrap();
        conn.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str()).await.unwrap();
        conn.close().await.unwrap();
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // A panicking test never reaches `finish`: drop the database from a thread with its own
        // runtime (this one may be shutting down).
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                if let Ok(mut conn) = AnyConnection::connect(&admin_url).await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            });
        })
        .join();
    }
}

pub struct Server {
    pub app: Router,
    pub state: AppState,
    pub store: Store,
    pub clock: Arc<AtomicI64>,
    pub dir: tempfile::TempDir,
    pg: Option<PgDatabase>,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.body))
    }

    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Answer {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    pub fn error(&self) -> String {
        self.json::<api::ApiError>().error
    }

    /// The error code of a refusal.
    pub fn code(&self) -> api::ApiErrorCode {
        self.json::<api::ApiError>().code
    }

    /// Asserts a refusal with `code` (and so its status).
    #[track_caller]
    pub fn refused(&self, code: api::ApiErrorCode) -> &Answer {
        assert_eq!(self.status.as_u16(), code.status(), "{}", self.body);
        assert_eq!(self.code(), code, "{}", self.body);
        self
    }
}

/// How a client proves who it is.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    /// A session cookie; non-GET requests carry the CSRF header unless `csrf` is false.
    Cookie {
        token: String,
        csrf: bool,
    },
    Bearer(String),
}

#[derive(Clone)]
pub struct Client<'a> {
    pub server: &'a Server,
    pub auth: Auth,
    pub user: Option<UserView>,
}

impl Server {
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, |_| {}).await
    }

    /// A server whose settings `configure` changes first.
    pub async fn start_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = match backend {
            Backend::Sqlite => (annoqa_server::sqlite_url(&dir.path().join("data/annoqa.sqlite3")), None),
            Backend::Postgres => {
                let (db, url) = PgDatabase::create().await;
                (url, Some(db))
            }
        };
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(store.backend(), backend);
        let loaded = load_demo_projects(&store, &repo_root().join("static/demo"), T0).await.unwrap();
        assert!(loaded >= 1);
        let mut settings =
            Settings::new(dir.path().join("no-dist"), repo_root().join("static"), dir.path().join("media"));
        // argon2id stays argon2id, just cheap: tests log in hundreds of times.
        settings.password_cost = PasswordCost { memory_kib: 64, passes: 1 };
        configure(&mut settings);
        let clock = Arc::new(AtomicI64::new(T0));
        let ticking = clock.clone();
        let state = AppState::new(store.clone(), settings, Arc::new(move || ticking.load(Ordering::SeqCst))).unwrap();
        let app = router(state.clone());
        Server { app, state, store, clock, dir, pg }
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some(pg) = &self.pg {
            pg.drop_database().await;
        }
    }

    pub fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn anonymous(&self) -> Client<'_> {
        Client { server: self, auth: Auth::None, user: None }
    }

    /// Creates a user (member of `projects` with `role`) and logs them in with a cookie.
    pub async fn user(&self, name: &str, role: Role, vendor: Option<&str>, projects: &[&str]) -> Client<'_> {
        let new =
            NewUser { username: name.into(), role, vendor: vendor.map(String::from), password: Some(PASSWORD.into()) };
        let created = add_user(&self.store, self.state.passwords(), new, T0).await.unwrap();
        for project in projects {
            self.store.set_member(project, created.user.id, role).await.unwrap();
        }
        self.login(name, PASSWORD).await
    }

    pub async fn annotator(&self, name: &str) -> Client<'_> {
        self.user(name, Role::Annotator, None, &[DEMO]).await
    }

    pub async fn login(&self, name: &str, password: &str) -> Client<'_> {
        let answer = self
            .anonymous()
            .post(api::SESSION, &LoginRequest { username: name.into(), password: password.into() })
            .await;
        assert_eq!(answer.status, StatusCode::OK, "login {name}: {}", answer.body);
        let cookie = answer.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
        let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
        let session: SessionView = answer.json();
        Client { server: self, auth: Auth::Cookie { token, csrf: true }, user: Some(session.user) }
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(self.store.pool()).await.unwrap()
    }
}

impl<'a> Client<'a> {
    pub fn id(&self) -> i64 {
        self.user.as_ref().unwrap().id
    }

    pub fn without_csrf(&self) -> Client<'a> {
        let auth = match &self.auth {
            Auth::Cookie { token, .. } => Auth::Cookie { token: token.clone(), csrf: false },
            other => other.clone(),
        };
        Client { auth, ..self.clone() }
    }

    pub async fn request(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Answer {
        send(self.server.app.clone(), &self.auth, method, uri, headers, body).await
    }

    /// Sends a JSON request from a task of its own, so many can run in parallel.
    pub fn spawn_json(&self, method: &'static str, uri: String, body: &impl serde::Serialize) -> JoinHandle<Answer> {
        let (app, auth, bytes) = (self.server.app.clone(), self.auth.clone(), serde_json::to_vec(body).unwrap());
        tokio::spawn(async move {
            send(app, &auth, method, &uri, &[("content-type", "application/json")], Some(bytes)).await
        })
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.request("GET", uri, &[], None).await
    }

    pub async fn send_json(&self, method: &str, uri: &str, body: &impl serde::Serialize) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap();
        self.request(method, uri, &[("content-type", "application/json")], Some(bytes)).await
    }

    pub async fn post(&self, uri: &str, body: &impl serde::Serialize) -> Answer {
        self.send_json("POST", uri, body).await
    }

    pub async fn put(&self, uri: &str, body: &impl serde::Serialize) -> Answer {
        self.send_json("PUT", uri, body).await
    }

    /// Submits with a fresh idempotency key.
    pub async fn submit(&self, project: &str, item: &str, regions: Vec<annoqa_core::Region>) -> Answer {
        let key = format!("k-{}", annoqa_server::new_id());
        self.submit_with_key(project, item, regions, &key).await
    }

    pub async fn submit_with_key(
        &self,
        project: &str,
        item: &str,
        regions: Vec<annoqa_core::Region>,
        key: &str,
    ) -> Answer {
        let body = serde_json::json!({ "lead_time_ms": 1200, "regions": regions });
        let bytes = serde_json::to_vec(&body).unwrap();
        self.request(
            "POST",
            &api::submit_path(project, item),
            &[("content-type", "application/json"), ("idempotency-key", key)],
            Some(bytes),
        )
        .await
    }

    /// Leases the next item; its id, or `None` when the queue is empty.
    pub async fn next(&self, project: &str) -> Option<String> {
        let answer = self.get(&api::next_path(project)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json::<api::NextItem>().item.map(|a| a.item.id)
    }
}

async fn send(
    app: Router,
    auth: &Auth,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    match auth {
        Auth::None => {}
        Auth::Cookie { token, csrf } => {
            request = request.header("cookie", format!("{}={token}", api::SESSION_COOKIE));
            if *csrf && method != "GET" {
                request = request.header(api::CSRF_HEADER, api::CSRF_HEADER_VALUE);
            }
        }
        Auth::Bearer(token) => request = request.header("authorization", format!("Bearer {token}")),
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub fn sentiment(label: &str) -> annoqa_core::Region {
    annoqa_core::Region {
        id: "c1".into(),
        control: "sentiment".into(),
        value: annoqa_core::RegionValue::Choice { labels: vec![label.into()] },
        attributes: Default::default(),
    }
}

/// An answer that passes validation for any demo item: its gold answer, or a sentiment.
pub fn valid_answer(item: &str) -> Vec<annoqa_core::Region> {
    demo_items()
        .into_iter()
        .find(|i| i.item.id == item)
        .and_then(|i| i.gold)
        .map_or_else(|| vec![sentiment("neutral")], |g| g.answer)
}
