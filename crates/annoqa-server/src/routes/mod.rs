//! HTTP routes. Handlers authenticate, check object-level access, parse, call the store and
//! `annoqa-core`, and shape responses; no QA logic lives here.
//!
//! Access answers are consistent: 401 without a valid login; 404 for any object the caller may
//! not know exists (a project they are not a member of, someone else's submission, review,
//! feedback or user); 403 when they can see the project but their role there does not allow
//! the action.

mod accounts;

pub use accounts::{add_user, create_api_token, set_password};
pub(crate) mod io;
pub(crate) mod media;
mod overlay;
mod qa;
mod queue;
pub(crate) mod ranges;
mod tiles;
mod trust;
pub(crate) use trust::ScorecardsCache;
mod work;

use annoqa_api::{Access, Endpoint, Method, Role};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, on, MethodFilter, MethodRouter};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::Caller;
use crate::store::{ProjectSettings, SubmissionRow};
use crate::{AppState, ServerError};

/// Largest accepted request body for ordinary API calls. A text annotation is a few kilobytes.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest item import or media upload.
pub(crate) const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Every other path under `/api/`: answered `not_found` in JSON rather than with the app.
pub(crate) const UNKNOWN_API: &str = "/api/{*rest}";

/// The Content-Security-Policy of every response: the app's own Wasm and files, nothing inline.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The whole HTTP surface: the JSON API (exactly the routes of [`Endpoint::ALL`]), `static/`,
/// and the built app as the fallback.
pub fn router(state: AppState) -> Router {
    let dist = state.settings().dist.clone();
    let static_dir = state.settings().static_dir.clone();
    let index = dist.join("index.html");
    let app = if index.is_file() {
        Router::new()
            // `cargo xtask dist` writes a gzip copy (`FILE.gz`) of each file: sent to browsers
            // that accept gzip, so the app downloads compressed without compressing per request.
            .fallback_service(
                ServeDir::new(&dist).precompressed_gzip().fallback(ServeFile::new(index).precompressed_gzip()),
            )
            .layer(middleware::from_fn(media::app_files))
    } else {
        // The folder is named in the log only: answers never show server paths.
        tracing::warn!("the app is not built in {}", dist.display());
        let message = "<!doctype html><title>annoqa</title><p>The app is not built. Run <code>cargo xtask run</code> \
             (or <code>cargo xtask dist</code>) from the repository root, or point <code>--dist</code> at the built app.</p>";
        Router::new().fallback(move || async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) })
    };
    let mut api = Router::new();
    for &endpoint in Endpoint::ALL {
        api = api.route(endpoint.route().path, handler(endpoint));
    }
    api.route(UNKNOWN_API, any(unknown_api))
        .method_not_allowed_fallback(method_not_allowed)
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

/// The handler of `endpoint`, on its method, with its body size limit.
fn handler(endpoint: Endpoint) -> MethodRouter<AppState> {
    let method = match endpoint.route().method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    };
    let limit = match endpoint {
        Endpoint::ImportItems | Endpoint::UploadMedia => MAX_UPLOAD_BYTES,
        _ => MAX_BODY_BYTES,
    };
    let handler = match endpoint {
        Endpoint::Login => on(method, accounts::login),
        Endpoint::Session => on(method, accounts::current),
        Endpoint::Logout => on(method, accounts::logout),
        Endpoint::ListUsers => on(method, accounts::list_users),
        Endpoint::CreateUser => on(method, accounts::create_user),
        Endpoint::GetUser => on(method, accounts::get_user),
        Endpoint::ChangePassword => on(method, accounts::change_password),
        Endpoint::CreateToken => on(method, accounts::create_token),
        Endpoint::ListTokens => on(method, accounts::list_tokens),
        Endpoint::RevokeTokens => on(method, accounts::revoke_tokens),
        Endpoint::RevokeToken => on(method, accounts::revoke_token),
        Endpoint::MyFeedback => on(method, qa::my_feedback),
        Endpoint::UnreadFeedback => on(method, qa::unread_feedback),
        Endpoint::AckFeedback => on(method, qa::ack_feedback),
        Endpoint::ListProjects => on(method, work::list_projects),
        Endpoint::CreateProject => on(method, work::create_project),
        Endpoint::GetProject => on(method, work::get_project),
        Endpoint::ListMembers => on(method, accounts::list_members),
        Endpoint::SetMember => on(method, accounts::set_member),
        Endpoint::RemoveMember => on(method, accounts::remove_member),
        Endpoint::NextItem => on(method, work::next_item),
        Endpoint::ImportItems => on(method, io::import_items),
        Endpoint::Skip => on(method, work::skip),
        Endpoint::Submit => on(method, work::submit),
        Endpoint::GetSubmission => on(method, work::get_submission),
        Endpoint::Revisions => on(method, overlay::revisions),
        Endpoint::SubmissionItem => on(method, overlay::submission_item),
        Endpoint::Review => on(method, qa::review),
        Endpoint::ReviewQueue => on(method, qa::review_queue),
        Endpoint::ReviewQueuePage => on(method, queue::review_queue_page),
        Endpoint::Overlay => on(method, overlay::overlay),
        Endpoint::GetReview => on(method, qa::get_review),
        Endpoint::GetTaxonomy => on(method, qa::get_taxonomy),
        Endpoint::SetTaxonomy => on(method, qa::set_taxonomy),
        Endpoint::Flag => on(method, qa::flag),
        Endpoint::ReviewerFeedback => on(method, qa::reviewer_feedback),
        Endpoint::GetFeedback => on(method, qa::get_feedback),
        Endpoint::Inbox => on(method, qa::inbox),
        Endpoint::GoldExposure => on(method, work::gold_exposure),
        Endpoint::Scorecards => on(method, trust::scorecards),
        Endpoint::BadGold => on(method, trust::bad_gold),
        Endpoint::DecideBadGold => on(method, trust::decide_bad_gold),
        Endpoint::Export => on(method, io::export),
        Endpoint::UploadMedia => on(method, media::upload),
        Endpoint::GetMedia => on(method, media::serve_file),
        Endpoint::GetPyramid => on(method, tiles::pyramid),
        Endpoint::GetTile => on(method, tiles::tile),
    };
    handler.layer(DefaultBodyLimit::max(limit))
}

/// axum's `Path`, answering a parameter that does not parse (`/api/users/abc`) with an
/// [`annoqa_api::ApiError`] like every other refusal.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ServerError))]
pub(crate) struct Path<T>(pub T);

impl From<PathRejection> for ServerError {
    fn from(rejection: PathRejection) -> ServerError {
        if rejection.status().is_server_error() {
            ServerError::Internal(anyhow::anyhow!("{}", rejection.body_text()))
        } else {
            ServerError::bad_request(rejection.body_text())
        }
    }
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

async fn method_not_allowed(request: Request) -> ServerError {
    ServerError::new(
        annoqa_api::ApiErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", request.method(), request.uri().path()),
    )
}

async fn unknown_api(request: Request) -> ServerError {
    ServerError::not_found(format!("no API route {} {}", request.method(), request.uri().path()))
}

pub(crate) fn no_project(id: &str) -> ServerError {
    ServerError::not_found(format!("no project `{id}`"))
}

/// A project the caller may see, with the role they act in there (`Admin` for admins).
pub(crate) struct ProjectAccess {
    pub settings: ProjectSettings,
    pub role: Role,
}

impl ProjectAccess {
    pub(crate) fn id(&self) -> &str {
        &self.settings.project.id
    }

    /// 403 unless the caller's role in the project is one `endpoint` allows (admins pass every
    /// check but the annotator-only ones, where the roles are exactly `[Annotator]`).
    pub(crate) fn require(&self, endpoint: Endpoint, action: &str) -> Result<(), ServerError> {
        let Access::Members(roles) = endpoint.route().access else { return Ok(()) };
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

    pub(crate) fn is_staff(&self) -> bool {
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

/// Submission `id` of the project if the caller may see it ([`may_see_submission`]); else
/// `not_found`, the same answer whether it exists or not.
pub(crate) async fn visible_submission(
    state: &AppState,
    caller: &Caller,
    access: &ProjectAccess,
    id: i64,
) -> Result<SubmissionRow, ServerError> {
    let row = state.store().submission(access.id(), id).await?;
    row.filter(|s| may_see_submission(caller, access, s)).ok_or_else(|| work::no_submission(id))
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
pub(crate) fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.into()).into_response()
}
