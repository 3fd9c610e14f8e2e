//! Projects, the next-item queue, skips and submissions.

use annoqa_api::{
    ApiErrorCode, AssignedItem, Endpoint, GoldExposureReport, GoldReveal, NewProject, NextItem, ProjectSummary,
    ProjectView, SkipRequest, SubmissionView, SubmitRequest, SubmitResponse, IDEMPOTENCY_KEY,
};
use annoqa_core::guidelines::guideline_document;
use annoqa_core::{GoldMode, Item, Project, Region, RevealPolicy};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};

use super::{json_response, project_access, visible_submission, Path};
use crate::auth::Caller;
use crate::checks::{check_annotation, check_prediction_outcome};
use crate::import::check_project_id;
use crate::json::JsonBody;
use crate::store::{
    agreements, new_id, IdempotentOutcome, NewSubmission, Paired, PeerAgreement, SubmissionRow, SubmitClearance,
    SubmitOutcome,
};
use crate::{AppState, ServerError};

/// Longest accepted `Idempotency-Key`.
const MAX_KEY_CHARS: usize = 255;

pub(super) async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProjectSummary>>, ServerError> {
    Ok(Json(state.store().projects_for(caller.id(), caller.is_admin()).await?))
}

pub(super) async fn create_project(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<ProjectView>), ServerError> {
    if !caller.is_admin() {
        return Err(ServerError::forbidden("only an admin may create projects"));
    }
    let new: NewProject = body.parse()?;
    check_project_id(&new.id).map_err(ServerError::invalid_request)?;
    if new.title.trim().is_empty() || new.title.chars().count() > 200 {
        return Err(ServerError::invalid_request("title must be 1–200 characters"));
    }
    let policy = &new.assignment;
    let shares = [policy.gold_rate, policy.gold_max_exposure];
    if policy.overlap == 0 || policy.lease_ms == 0 || !shares.iter().all(|share| (0.0..=1.0).contains(share)) {
        return Err(ServerError::invalid_request(
            "assignment: overlap must be at least 1, lease_ms positive, and gold_rate and gold_max_exposure \
             between 0 and 1",
        ));
    }
    let spec = match (new.spec, &new.label_config) {
        (Some(spec), None) => spec,
        (None, Some(config)) => annoqa_interop::ls::spec_from_config(config, "label_config")
            .map(|config| config.spec)
            .map_err(|e| ServerError::new(ApiErrorCode::InvalidSpec, e.to_string()))?,
        _ => return Err(ServerError::invalid_request("give either `spec` or `label_config`")),
    };
    crate::import::check_project_spec(&spec, &new.guidelines)
        .map_err(|problems| ServerError::new(ApiErrorCode::InvalidSpec, problems))?;
    if state.store().project(&new.id).await?.is_some() {
        return Err(ServerError::new(ApiErrorCode::AlreadyExists, format!("project `{}` exists", new.id)));
    }
    let project = Project { id: new.id, title: new.title, guidelines: new.guidelines, spec };
    state.store().insert_project(&project, &new.assignment, &[], state.now_ms()).await?;
    Ok((StatusCode::CREATED, Json(view(project))))
}

fn view(project: Project) -> ProjectView {
    let guideline_document = guideline_document(&project.guidelines);
    ProjectView {
        id: project.id,
        title: project.title,
        guidelines: project.guidelines,
        guideline_document,
        spec: project.spec,
    }
}

pub(super) async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, ServerError> {
    let access = project_access(&state, &caller, &id).await?;
    Ok(Json(view(access.settings.project)))
}

pub(super) async fn next_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::NextItem, "annotating")?;
    let now = state.now_ms();
    let (assignment, progress) =
        state.store().next_item(access.id(), caller.id(), &access.settings.assignment, now).await?;
    let expires = assignment.as_ref().map(|a| a.expires_at_ms);
    let item = assignment.map(|a| AssignedItem {
        item: a.item.item,
        // Training answers ship with the item; honeypot answers never do.
        training_gold: a.item.gold.filter(|g| g.mode == GoldMode::Training),
        // Predictions are a model's guess, not gold: they ship with any item.
        predictions: a.item.predictions,
    });
    let mut response = Json(NextItem { item, progress }).into_response();
    if let Some(expires) = expires {
        if let Ok(value) = HeaderValue::from_str(&expires.to_string()) {
            response.headers_mut().insert("lease-expires-at-ms", value);
        }
    }
    Ok(response)
}

pub(super) async fn skip(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, item)): Path<(String, String)>,
    body: JsonBody,
) -> Result<StatusCode, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Skip, "skipping items")?;
    let request: SkipRequest = body.parse()?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ServerError::invalid_request("reason must be 1–2000 characters"));
    }
    if state.store().skip(access.id(), &item, caller.id(), reason, state.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServerError::new(ApiErrorCode::NotLeased, format!("item `{item}` is not leased to you")))
    }
}

/// Stores an annotation. Draft-ietf-httpapi-idempotency-key-header semantics: the key is
/// required (400); a key whose first request is still being processed gets 409; the same key
/// with the same body replays the first response; with another body, 422. Errors in the
/// annotation are 422 with the findings and store nothing (the key stays unused).
///
/// Order matters: the caller's lease (or the key's replay) is checked before anything reads
/// the annotation or the item, so an item the caller was not given answers `not_assigned`
/// whether it exists or not and no message quotes it; then the project's size limits, then
/// validation and scoring on the CPU pool.
pub(super) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((project_id, item_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project_id).await?;
    access.require(Endpoint::Submit, "submitting")?;
    let key = idempotency_key(&headers)?;
    let request_hash = {
        let mut hasher = Sha256::new();
        for part in [project_id.as_bytes(), b"\0", item_id.as_bytes(), b"\0", body.bytes()] {
            hasher.update(part);
        }
        format!("{:x}", hasher.finalize())
    };
    let Some(_in_flight) = state.begin_key(caller.id(), &key) else {
        return Err(ServerError::new(
            ApiErrorCode::InFlight,
            "a request with this Idempotency-Key is still being processed",
        ));
    };
    let clearance = state.store().submit_clearance(&project_id, &item_id, caller.id(), &key, &request_hash).await?;
    let stored = match clearance {
        SubmitClearance::Leased(stored) => stored,
        SubmitClearance::Key(outcome) => return replay(outcome),
        SubmitClearance::NotAssigned => return Err(not_assigned(&item_id)),
        SubmitClearance::AlreadySubmitted => return Err(already_submitted()),
    };
    let request: SubmitRequest = body.parse()?;
    let project = &access.settings.project;
    let is_gold = stored.gold.is_some();
    let predictions = stored.predictions;
    let item = stored.item.clone();
    let checked = check_annotation(&state, &project.spec, stored.item, stored.gold, request.regions).await?;
    let peers = peer_agreements(&state, project, &item, caller.id(), &checked.regions).await?;
    if let Some(outcome) = &request.prediction_outcome {
        check_prediction_outcome(&predictions, outcome).map_err(ServerError::invalid_request)?;
    }
    // For an item without predictions the only valid outcome is empty: nothing to keep.
    let prediction_outcome = request.prediction_outcome.filter(|_| !predictions.is_empty());
    let created_at_ms = state.now_ms();
    let submission_id = new_id();
    // The reveal is computed now but leaves only if the submission commits: it is part of the
    // response stored with the row, in the same transaction.
    let gold = checked.gold.as_ref().zip(checked.report.clone()).map(|(gold, report)| {
        // Training gold is already in the browser; the project's reveal policy guards honeypots.
        let policy = if gold.mode == GoldMode::Training { RevealPolicy::FullDiff } else { project.spec.reveal };
        GoldReveal::new(gold, report, policy)
    });
    let response = SubmitResponse { submission_id, created_at_ms, findings: checked.findings, gold };
    let response_json = serde_json::to_string(&response).map_err(|e| ServerError::Internal(e.into()))?;
    let submission = NewSubmission {
        id: submission_id,
        project_id: project_id.clone(),
        item_id: item_id.clone(),
        user_id: caller.id(),
        regions: checked.regions,
        lead_time_ms: request.lead_time_ms,
        created_at_ms,
        gold_report: checked.report,
        prediction_outcome,
        overlap: access.settings.assignment.overlap,
        is_gold,
        peers,
    };
    // The lease and the key are checked again in the storing transaction: they may have
    // changed since (a skip, an expiry, another replica).
    match state.store().submit(submission, &key, &request_hash, &response_json).await? {
        SubmitOutcome::Stored => Ok(json_response(StatusCode::OK, response_json)),
        SubmitOutcome::Key(outcome) => replay(outcome),
        SubmitOutcome::NotAssigned => Err(not_assigned(&item_id)),
        SubmitOutcome::AlreadySubmitted => Err(already_submitted()),
        SubmitOutcome::LeaseLost => Err(ServerError::new(
            ApiErrorCode::LeaseLost,
            "your lease on this item expired and it went to someone else",
        )),
    }
}

/// The same answer for an item never given to the caller and for one that does not exist.
/// The answer's agreement with the latest earlier submissions of the item by others, for the
/// review queue's `risk` order: read and matched before the storing transaction, so that the
/// overlays never hold the writer (see `store::queue`'s `submit_writes`).
async fn peer_agreements(
    state: &AppState,
    project: &Project,
    item: &Item,
    user_id: i64,
    regions: &[Region],
) -> Result<Vec<PeerAgreement>, ServerError> {
    let paired = Paired { project_id: &project.id, item_id: &item.id, user_id, regions, before: None };
    let earlier = state.store().earlier_submissions(&paired).await?;
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    let (spec, item, regions) = (project.spec.clone(), item.clone(), regions.to_vec());
    state.cpu().run(move || agreements(&spec, &item, &regions, &earlier)).await
}

fn not_assigned(item_id: &str) -> ServerError {
    ServerError::new(
        ApiErrorCode::NotAssigned,
        format!("item `{item_id}` is not assigned to you; ask for your next item"),
    )
}

fn already_submitted() -> ServerError {
    ServerError::new(ApiErrorCode::AlreadySubmitted, "you have already submitted this item")
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ServerError> {
    let value = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| ServerError::bad_request("the `Idempotency-Key` header is required"))?;
    let key = value.to_str().map_err(|_| ServerError::bad_request("`Idempotency-Key` must be visible ASCII"))?;
    // The draft defines the value as a structured-field string; accept it quoted or bare.
    let key = key.trim();
    let key = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')).unwrap_or(key);
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Err(ServerError::bad_request(format!("`Idempotency-Key` must be 1–{MAX_KEY_CHARS} characters")));
    }
    Ok(key.to_string())
}

fn replay(outcome: IdempotentOutcome) -> Result<Response, ServerError> {
    match outcome {
        IdempotentOutcome::Replay { status, body } => {
            Ok(json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body))
        }
        IdempotentOutcome::Mismatch => Err(ServerError::new(
            ApiErrorCode::PayloadMismatch,
            "this Idempotency-Key was used with a different request; use a new key for a new request",
        )),
    }
}

pub(crate) fn submission_view(row: SubmissionRow) -> SubmissionView {
    SubmissionView {
        id: row.id,
        project_id: row.project_id,
        item_id: row.item_id,
        annotator: row.annotator,
        regions: row.regions,
        lead_time_ms: row.lead_time_ms,
        created_at_ms: row.created_at_ms,
        status: row.status,
        gold_score: row.gold_score,
        gold_passed: row.gold_passed,
        prediction_outcome: row.prediction_outcome,
    }
}

pub(super) async fn get_submission(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, i64)>,
) -> Result<Json<SubmissionView>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    Ok(Json(submission_view(visible_submission(&state, &caller, &access, id).await?)))
}

pub(crate) fn no_submission(id: i64) -> ServerError {
    ServerError::not_found(format!("no submission {id}"))
}

pub(super) async fn gold_exposure(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<GoldExposureReport>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::GoldExposure, "the gold exposure report")?;
    let max_share = access.settings.assignment.gold_max_exposure;
    Ok(Json(state.store().gold_exposure(access.id(), max_share).await?))
}
