//! HTTP routes. Handlers authenticate, check object-level access, parse, call the store and
//! `annoqa-core`, and shape responses; no QA logic lives here.
//!
//! Access answers are consistent: 401 without a valid login; 404 for any object the caller may
//! not know exists (a project they are not a member of, someone else's submission, review,
//! feedback or user); 403 when they can see the project but their role there does not allow
//! the action.

mod accounts;

pub use accounts::{add_user, create_api_token};
pub(crate) mod io;
pub(crate) mod media;
mod qa;
mod work;

use annoqa_core::api::{self, Role};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::Caller;
use crate::store::{ProjectSettings, SubmissionRow};
use crate::{AppState, ServerError};

/// Largest accepted request body for ordinary API calls. A text annotation is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest item import or media upload.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// The Content-Security-Policy of every response: the app's own Wasm and files, nothing inline.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The whole HTTP surface: the JSON API, `static/`, and the built app as the fallback.
pub fn router(state: AppState) -> Router {
    let dist = state.settings().dist.clone();
    let static_dir = state.settings().static_dir.clone();
    let index = dist.join("index.html");
    let app = if index.is_file() {
        Router::new().fallback_service(ServeDir::new(&dist).fallback(ServeFile::new(index)))
    } else {
        let message = format!(
            "<!doctype html><title>annoqa</title><p>The app is not built in <code>{}</code>. \
             Run <code>cargo xtask run</code> (or <code>cargo xtask dist</code>) from the repository root.</p>",
            html_escape(&dist.display().to_string())
        );
        Router::new().fallback(move || async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) })
    };
    let uploads = Router::new()
        .route("/api/projects/{project}/items", post(io::import_items))
        .route("/api/projects/{project}/media", post(media::upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES));
    Router::new()
        .route(api::SESSION, post(accounts::login).get(accounts::current).delete(accounts::logout))
        .route(api::USERS, get(accounts::list_users).post(accounts::create_user))
        .route("/api/users/{user}", get(accounts::get_user))
        .route("/api/users/{user}/tokens", post(accounts::create_token))
        .route(api::MY_FEEDBACK, get(qa::my_feedback))
        .route(api::PROJECTS, get(work::list_projects).post(work::create_project))
        .route("/api/projects/{project}", get(work::get_project))
        .route("/api/projects/{project}/members", get(accounts::list_members))
        .route("/api/projects/{project}/members/{user}", put(accounts::set_member).delete(accounts::remove_member))
        .route("/api/projects/{project}/next", get(work::next_item))
        .route("/api/projects/{project}/items/{item}/skip", post(work::skip))
        .route("/api/projects/{project}/items/{item}/submissions", post(work::submit))
        .route("/api/projects/{project}/submissions/{submission}", get(work::get_submission))
        .route("/api/projects/{project}/submissions/{submission}/reviews", post(qa::review))
        .route("/api/projects/{project}/review-queue", get(qa::review_queue))
        .route("/api/projects/{project}/reviews/{review}", get(qa::get_review))
        .route("/api/projects/{project}/taxonomy", get(qa::get_taxonomy).put(qa::set_taxonomy))
        .route("/api/projects/{project}/flags", post(qa::flag))
        .route("/api/projects/{project}/feedback", post(qa::reviewer_feedback))
        .route("/api/projects/{project}/feedback/{feedback}", get(qa::get_feedback))
        .route("/api/projects/{project}/inbox", get(qa::inbox))
        .route("/api/projects/{project}/export", get(io::export))
        .route("/api/projects/{project}/media/{*path}", get(media::serve_file))
        .route("/api/{*rest}", axum::routing::any(unknown_api))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .merge(uploads)
        .with_state(state)
        .nest(
            "/static",
            Router::new()
                .fallback_service(ServeDir::new(static_dir))
                .layer(middleware::from_fn(media::static_allowlist)),
        )
        .merge(app)
        .layer(middleware::from_fn(security_headers))
}

/// Security headers on every response, API, static files and app alike.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if is_api {
        // API answers are per user; no shared cache may keep them.
        headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

async fn unknown_api(request: Request) -> ServerError {
    ServerError::NotFound(format!("no API route {} {}", request.method(), request.uri().path()))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub(crate) fn no_project(id: &str) -> ServerError {
    ServerError::NotFound(format!("no project `{id}`"))
}

/// A project the caller may see, with the role they act in there (`Admin` for admins).
pub(crate) struct ProjectAccess {
    pub settings: ProjectSettings,
    pub role: Role,
}

impl ProjectAccess {
    pub fn id(&self) -> &str {
        &self.settings.project.id
    }

    /// 403 unless the caller's role in the project is one of `roles` (admins pass every check
    /// but the annotator-only ones, where `roles` is exactly `[Annotator]`).
    pub fn require(&self, roles: &[Role], action: &str) -> Result<(), ServerError> {
        let admin_may = self.role == Role::Admin && roles != [Role::Annotator];
        if roles.contains(&self.role) || admin_may {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ServerError::forbidden(format!(
            "{action} needs the role {} in project `{}`",
            names.join(" or "),
            self.id()
        )))
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Reviewer | Role::Coordinator | Role::Admin)
    }
}

/// The project if the caller may see it: admins see every project, others those they are
/// members of. Anything else is 404, the same as a project that does not exist.
pub(crate) async fn project_access(
    state: &AppState,
    caller: &Caller,
    project_id: &str,
) -> Result<ProjectAccess, ServerError> {
    let found = state.store().project_with_role(project_id, caller.id()).await?;
    let Some((settings, member_role)) = found else { return Err(no_project(project_id)) };
    let role = if caller.is_admin() { Some(Role::Admin) } else { member_role };
    let Some(role) = role else { return Err(no_project(project_id)) };
    Ok(ProjectAccess { settings, role })
}

/// Whether the caller may see `submission`: its own annotator, or project staff of the same
/// vendor (staff without a vendor see every vendor).
pub(crate) fn may_see_submission(caller: &Caller, access: &ProjectAccess, submission: &SubmissionRow) -> bool {
    if submission.annotator.id == caller.id() {
        return true;
    }
    access.is_staff() && same_vendor(caller, submission.annotator.vendor.as_deref())
}

/// Vendors never see each other's data: a caller with a vendor sees only that vendor's users.
pub(crate) fn same_vendor(caller: &Caller, vendor: Option<&str>) -> bool {
    caller.is_admin() || caller.user.vendor.is_none() || caller.user.vendor.as_deref() == vendor
}

/// A JSON response with a status.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}
