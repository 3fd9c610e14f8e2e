//! HTTP routes. Handlers parse, call the store and `annoqa-core`, and shape responses; no QA
//! logic lives here.

use std::path::Path;

use annoqa_core::api::{self, AssignedItem, GoldReveal, NextItem, ProjectView, SubmitRequest, SubmitResponse};
use annoqa_core::validate::has_errors;
use annoqa_core::{score_gold, validate, GoldMode, RevealPolicy};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path as UrlPath, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tower_http::services::{ServeDir, ServeFile};

use crate::store::{NewSubmission, SubmitError};
use crate::{now_ms, ServerError, Store};

/// Largest accepted request body. A text annotation is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP surface: the JSON API, `static/`, and the built app as the fallback.
pub fn router(store: Store, dist: &Path, static_dir: &Path) -> Router {
    let index = dist.join("index.html");
    let app = if index.is_file() {
        Router::new().fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
    } else {
        let message = format!(
            "<!doctype html><title>annoqa</title><p>The app is not built in <code>{}</code>. \
             Run <code>cargo xtask run</code> (or <code>cargo xtask dist</code>) from the repository root.</p>",
            html_escape(&dist.display().to_string())
        );
        Router::new().fallback(move || async move { (StatusCode::SERVICE_UNAVAILABLE, Html(message)) })
    };
    Router::new()
        .route(api::PROJECTS, get(list_projects))
        .route("/api/projects/{project}", get(get_project))
        .route("/api/projects/{project}/next", get(next_item))
        .route("/api/projects/{project}/items/{item}/submissions", post(submit))
        .route("/api/{*rest}", axum::routing::any(unknown_api))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
        .nest_service("/static", ServeDir::new(static_dir))
        .merge(app)
}

async fn list_projects(State(store): State<Store>) -> Result<impl IntoResponse, ServerError> {
    Ok(Json(store.projects().await?))
}

async fn get_project(
    State(store): State<Store>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<ProjectView>, ServerError> {
    let project = store.project(&id).await?.ok_or_else(|| no_project(&id))?;
    Ok(Json(ProjectView { id: project.id, title: project.title, guidelines: project.guidelines, spec: project.spec }))
}

#[derive(Deserialize)]
struct AnnotatorQuery {
    annotator: String,
}

async fn next_item(
    State(store): State<Store>,
    UrlPath(project): UrlPath<String>,
    query: Result<Query<AnnotatorQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<NextItem>, ServerError> {
    let Query(query) =
        query.map_err(|_| ServerError::BadRequest("the `annotator` query parameter is required".into()))?;
    check_annotator(&query.annotator)?;
    store.project(&project).await?.ok_or_else(|| no_project(&project))?;
    let (next, progress) = store.next_item(&project, &query.annotator).await?;
    let item = next.map(|stored| AssignedItem {
        item: stored.item,
        // Training answers ship with the item; honeypot answers never do.
        training_gold: stored.gold.filter(|g| g.mode == GoldMode::Training),
    });
    Ok(Json(NextItem { item, progress }))
}

async fn submit(
    State(store): State<Store>,
    UrlPath((project_id, item_id)): UrlPath<(String, String)>,
    JsonBody(request): JsonBody<SubmitRequest>,
) -> Result<Json<SubmitResponse>, ServerError> {
    check_annotator(&request.annotator)?;
    let project = store.project(&project_id).await?.ok_or_else(|| no_project(&project_id))?;
    let stored = store
        .item(&project_id, &item_id)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("project `{project_id}` has no item `{item_id}`")))?;
    let findings = validate(&project.spec, &stored.item, &request.regions);
    if has_errors(&findings) {
        return Err(ServerError::Invalid(findings));
    }
    let report = stored.gold.as_ref().map(|gold| score_gold(&project.spec, &stored.item, gold, &request.regions));
    let created_at_ms = now_ms();
    let submission_id = store
        .insert_submission(&NewSubmission {
            project_id: &project_id,
            item_id: &item_id,
            annotator: &request.annotator,
            regions: &request.regions,
            lead_time_ms: request.lead_time_ms,
            created_at_ms,
            gold_report: report.as_ref(),
        })
        .await
        .map_err(|e| match e {
            SubmitError::AlreadySubmitted => ServerError::Conflict(e.to_string()),
            SubmitError::Database(e) => e.into(),
        })?;
    // The submission is stored: only now may the gold answer leave the server.
    // Training gold is already in the browser; the project's reveal policy guards honeypots.
    let gold = stored.gold.zip(report).map(|(gold, report)| {
        let policy = if gold.mode == GoldMode::Training { RevealPolicy::FullDiff } else { project.spec.reveal };
        GoldReveal::new(&gold, report, policy)
    });
    Ok(Json(SubmitResponse { submission_id, created_at_ms, findings, gold }))
}

async fn unknown_api(request: Request) -> ServerError {
    ServerError::NotFound(format!("no API route {} {}", request.method(), request.uri().path()))
}

fn no_project(id: &str) -> ServerError {
    ServerError::NotFound(format!("no project `{id}`"))
}

fn check_annotator(name: &str) -> Result<(), ServerError> {
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ServerError::BadRequest("annotator must be 1–64 characters without control characters".into()));
    }
    Ok(())
}

/// `Json` whose rejections come back as [`ServerError`] bodies, keeping axum's status and
/// its precise message (which line and column of the JSON is wrong, and why).
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ServerError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ServerError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(rejected(rejection)),
        }
    }
}

fn rejected(rejection: JsonRejection) -> ServerError {
    ServerError::Rejected { status: rejection.status(), message: rejection.body_text() }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
