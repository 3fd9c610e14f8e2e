//! Review queue and verdicts, error taxonomy, flags and feedback (and its acknowledgement).

use std::collections::{HashMap, HashSet};

use annoqa_api::{
    ApiErrorCode, Endpoint, ErrorCode, FeedbackKind, FeedbackView, FlagRequest, ReviewRequest, ReviewTask,
    ReviewVerdict, ReviewView, ReviewerFeedbackRequest, Role, SubmissionStatus, UnreadFeedback,
};
use annoqa_core::guidelines::sections;
use annoqa_stats::sampling::{random_sample, risk_weighted_sample, stratified_sample};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::work::submission_view;
use super::{may_see_submission, project_access, same_vendor, visible_submission, Path, ProjectAccess};
use crate::auth::Caller;
use crate::json::JsonBody;
use crate::store::{NewFeedback, NewReview, SubmissionRow};
use crate::taxonomy::{check_anchor, check_region_errors, check_taxonomy, default_taxonomy, MAX_TEXT_CHARS};
use crate::{AppState, ServerError};

const MAX_QUEUE: usize = 500;

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    #[serde(default)]
    strategy: Option<String>,
    #[serde(default)]
    size: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
}

/// Submissions awaiting review, sampled: `random` (simple random sample), `stratified` (by
/// annotator, so every annotator is seen) or `risk` (weighted by how badly the annotator does on
/// gold). The seed makes a queue reproducible.
pub(super) async fn review_queue(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ReviewTask>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::ReviewQueue, "reviewing")?;
    let Query(query) = query.map_err(|e| ServerError::bad_request(e.body_text()))?;
    let size = query.size.unwrap_or(20).min(MAX_QUEUE);
    let seed = query.seed.unwrap_or(0);
    let pending: Vec<_> = state
        .store()
        .submissions(access.id(), Some(SubmissionStatus::Submitted))
        .await?
        .into_iter()
        .filter(|s| s.annotator.id != caller.id() && same_vendor(&caller, s.annotator.vendor.as_deref()))
        .collect();
    let picked = match query.strategy.as_deref().unwrap_or("random") {
        "random" => random_sample(pending.len(), size, seed),
        "stratified" => {
            let mut strata: HashMap<i64, u32> = HashMap::new();
            let labels: Vec<u32> = pending
                .iter()
                .map(|s| {
                    let next = u32::try_from(strata.len()).unwrap_or(u32::MAX);
                    *strata.entry(s.annotator.id).or_insert(next)
                })
                .collect();
            stratified_sample(&labels, size, seed)
        }
        "risk" => {
            let means: HashMap<i64, f64> = state.store().gold_means(access.id()).await?.into_iter().collect();
            // No gold record yet is a middling risk; a failed gold item is itself a risk.
            let risk: Vec<f64> = pending
                .iter()
                .map(|s| {
                    let annotator = 1.0 - means.get(&s.annotator.id).copied().unwrap_or(0.5);
                    let own = s.gold_score.map_or(0.0, |g| 1.0 - g);
                    annotator.max(own).clamp(0.0, 1.0) + 1e-6
                })
                .collect();
            risk_weighted_sample(&risk, size, seed).map_err(|e| ServerError::Internal(anyhow::anyhow!("{e}")))?
        }
        other => {
            return Err(ServerError::bad_request(format!("strategy `{other}` is not one of random, stratified, risk")))
        }
    };
    let mut tasks = Vec::with_capacity(picked.len());
    for index in picked {
        let Some(row) = pending.get(index) else { continue };
        let Some(item) = state.store().item(access.id(), &row.item_id).await? else { continue };
        tasks.push(ReviewTask {
            submission: submission_view(row.clone()),
            item: item.item,
            predictions: item.predictions,
        });
    }
    Ok(Json(tasks))
}

pub(super) async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, submission_id)): Path<(String, i64)>,
    body: JsonBody,
) -> Result<(StatusCode, Json<ReviewView>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let submission = visible_submission(&state, &caller, &access, submission_id).await?;
    access.require(Endpoint::Review, "reviewing")?;
    let request: ReviewRequest = body.parse()?;
    if submission.annotator.id == caller.id() {
        return Err(ServerError::forbidden("you cannot review your own submission"));
    }
    if submission.status != SubmissionStatus::Submitted {
        return Err(already_reviewed(submission_id));
    }
    check_review(&state, &access, &submission, &request).await?;
    let now = state.now_ms();
    let stored = state
        .store()
        .insert_review(&NewReview {
            project_id: access.id(),
            submission_id,
            reviewer_id: caller.id(),
            verdict: request.verdict,
            regions: request.regions.as_deref(),
            error_codes: &request.error_codes,
            errors: &request.errors,
            comment: &request.comment,
            now_ms: now,
        })
        .await?;
    // Another review got there first, after the check above.
    let Some(id) = stored else { return Err(already_reviewed(submission_id)) };
    Ok((
        StatusCode::CREATED,
        Json(ReviewView {
            id,
            submission_id,
            reviewer: caller.user.view(),
            verdict: request.verdict,
            regions: request.regions,
            error_codes: request.error_codes,
            errors: request.errors,
            comment: request.comment,
            created_at_ms: now,
        }),
    ))
}

/// A review's body, before anything is stored: its codes, comment and region errors, and a fix's
/// regions (validated like a submission), present exactly for a fix.
async fn check_review(
    state: &AppState,
    access: &ProjectAccess,
    submission: &SubmissionRow,
    request: &ReviewRequest,
) -> Result<(), ServerError> {
    check_codes(state, access, &request.error_codes).await?;
    check_text("comment", &request.comment, true)?;
    match (request.verdict, &request.regions) {
        (ReviewVerdict::Fix, None) => return Err(ServerError::invalid_request("a fix needs the corrected `regions`")),
        (ReviewVerdict::Fix, Some(regions)) => {
            let item = state
                .store()
                .item(access.id(), &submission.item_id)
                .await?
                .ok_or_else(|| ServerError::Internal(anyhow::anyhow!("submission without item")))?;
            let spec = &access.settings.project.spec;
            crate::checks::check_annotation(state, spec, item.item, None, regions.clone()).await?;
        }
        (_, Some(_)) => return Err(ServerError::invalid_request("only a fix carries `regions`")),
        (_, None) => {}
    }
    let taxonomy = project_taxonomy(state, access).await?;
    let known: HashSet<&str> = taxonomy.iter().map(|c| c.code.as_str()).collect();
    // A region error may name a region of the original or, for a fix, one the fix added.
    let fixed = request.regions.iter().flatten();
    let regions: HashSet<&str> = submission.regions.iter().chain(fixed).map(|r| r.id.as_str()).collect();
    check_region_errors(&request.errors, &known, &regions).map_err(ServerError::invalid_request)
}

fn already_reviewed(submission_id: i64) -> ServerError {
    ServerError::new(ApiErrorCode::AlreadyReviewed, format!("submission {submission_id} is already reviewed"))
}

pub(super) async fn get_review(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, review_id)): Path<(String, i64)>,
) -> Result<Json<ReviewView>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let not_found = || ServerError::not_found(format!("no review {review_id}"));
    let review = state.store().review(access.id(), review_id).await?.ok_or_else(not_found)?;
    let submission = state.store().submission(access.id(), review.submission_id).await?.ok_or_else(not_found)?;
    if !may_see_submission(&caller, &access, &submission) {
        return Err(not_found());
    }
    Ok(Json(review))
}

pub(super) async fn get_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<ErrorCode>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    Ok(Json(project_taxonomy(&state, &access).await?))
}

/// The project's taxonomy: as its coordinators set it, or the default when they never did.
async fn project_taxonomy(state: &AppState, access: &ProjectAccess) -> Result<Vec<ErrorCode>, ServerError> {
    let stored = state.store().taxonomy(access.id()).await?;
    Ok(if stored.is_empty() { default_taxonomy() } else { stored })
}

/// Replaces the taxonomy: at least one code, codes unique and snake_case, guideline anchors
/// among the project's sections. A refused taxonomy leaves the stored one as it was.
pub(super) async fn set_taxonomy(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: JsonBody,
) -> Result<Json<Vec<ErrorCode>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::SetTaxonomy, "editing the error taxonomy")?;
    let codes: Vec<ErrorCode> = body.parse()?;
    let anchors: HashSet<String> =
        sections(&access.settings.project.guidelines).into_iter().map(|s| s.anchor).collect();
    check_taxonomy(&codes, &anchors).map_err(ServerError::invalid_request)?;
    state.store().set_taxonomy(access.id(), &codes).await?;
    Ok(Json(codes))
}

async fn check_codes(state: &AppState, access: &ProjectAccess, codes: &[String]) -> Result<(), ServerError> {
    let known: HashSet<String> = project_taxonomy(state, access).await?.into_iter().map(|c| c.code).collect();
    match codes.iter().find(|c| !known.contains(*c)) {
        Some(code) => {
            Err(ServerError::invalid_request(format!("error code `{code}` is not in the project's taxonomy")))
        }
        None => Ok(()),
    }
}

fn check_text(field: &str, text: &str, may_be_empty: bool) -> Result<(), ServerError> {
    if (!may_be_empty && text.trim().is_empty()) || text.chars().count() > MAX_TEXT_CHARS {
        let least = if may_be_empty { 0 } else { 1 };
        return Err(ServerError::invalid_request(format!("{field} must be {least}–{MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

/// An annotator flags an item they were given, or a guideline section.
pub(super) async fn flag(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<FeedbackView>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Flag, "flagging")?;
    let request: FlagRequest = body.parse()?;
    check_text("text", &request.text, false)?;
    if request.item_id.is_none() && request.guideline.is_none() {
        return Err(ServerError::invalid_request("a flag names an `item_id`, a `guideline` section, or both"));
    }
    if let Some(item) = &request.item_id {
        // Only items the annotator was given: others they may not know exist.
        if !state.store().was_assigned(access.id(), item, caller.id()).await? {
            return Err(ServerError::not_found(format!("project `{project}` has no item `{item}` for you")));
        }
    }
    if let Some(anchor) = &request.guideline {
        if !sections(&access.settings.project.guidelines).iter().any(|s| &s.anchor == anchor) {
            return Err(ServerError::invalid_request(format!("guideline section `{anchor}` does not exist")));
        }
    }
    let now = state.now_ms();
    let id = state
        .store()
        .insert_feedback(&NewFeedback {
            project_id: access.id(),
            kind: FeedbackKind::Flag,
            author_id: caller.id(),
            recipient_id: None,
            item_id: request.item_id.as_deref(),
            guideline: request.guideline.as_deref(),
            submission_id: None,
            reason: Some(request.reason),
            error_codes: &[],
            text: &request.text,
            anchor: None,
            now_ms: now,
        })
        .await?;
    let entry =
        state.store().feedback_entry(access.id(), id).await?.ok_or_else(|| ServerError::not_found("feedback"))?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// A reviewer's note to the annotator of a submission, tied to error codes.
pub(super) async fn reviewer_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<FeedbackView>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let request: ReviewerFeedbackRequest = body.parse()?;
    let submission = visible_submission(&state, &caller, &access, request.submission_id).await?;
    access.require(Endpoint::ReviewerFeedback, "sending feedback")?;
    check_text("text", &request.text, false)?;
    check_codes(&state, &access, &request.error_codes).await?;
    check_note_anchors(&state, &access, &submission, &request).await?;
    let id = state
        .store()
        .insert_feedback(&NewFeedback {
            project_id: access.id(),
            kind: FeedbackKind::Review,
            author_id: caller.id(),
            recipient_id: Some(submission.annotator.id),
            item_id: Some(&submission.item_id),
            guideline: request.guideline.as_deref(),
            submission_id: Some(submission.id),
            reason: None,
            error_codes: &request.error_codes,
            text: &request.text,
            anchor: request.anchor.as_ref(),
            now_ms: state.now_ms(),
        })
        .await?;
    let entry =
        state.store().feedback_entry(access.id(), id).await?.ok_or_else(|| ServerError::not_found("feedback"))?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// A note's anchor (a region of the submission or of a fix of it, a time or frame range the
/// project's media has) and guideline section (one of the project's).
async fn check_note_anchors(
    state: &AppState,
    access: &ProjectAccess,
    submission: &SubmissionRow,
    request: &ReviewerFeedbackRequest,
) -> Result<(), ServerError> {
    if let Some(anchor) = &request.anchor {
        let revisions = state.store().revisions(access.id(), submission.id).await?;
        let fixed = revisions.iter().flat_map(|r| &r.regions);
        let regions: HashSet<&str> = submission.regions.iter().chain(fixed).map(|r| r.id.as_str()).collect();
        let media = access.settings.project.spec.media;
        check_anchor(anchor, media, &regions).map_err(ServerError::invalid_request)?;
    }
    if let Some(section) = &request.guideline {
        if !sections(&access.settings.project.guidelines).iter().any(|s| &s.anchor == section) {
            return Err(ServerError::invalid_request(format!("guideline section `{section}` does not exist")));
        }
    }
    Ok(())
}

fn may_see_feedback(caller: &Caller, access: &ProjectAccess, entry: &FeedbackView) -> bool {
    let involved = entry.author.id == caller.id() || entry.recipient.as_ref().is_some_and(|r| r.id == caller.id());
    let vendor_ok = same_vendor(caller, entry.author.vendor.as_deref())
        && entry.recipient.as_ref().is_none_or(|r| same_vendor(caller, r.vendor.as_deref()));
    involved || (matches!(access.role, Role::Coordinator | Role::Admin) && vendor_ok)
}

pub(super) async fn get_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, i64)>,
) -> Result<Json<FeedbackView>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    match state.store().feedback_entry(access.id(), id).await? {
        Some(entry) if may_see_feedback(&caller, &access, &entry) => Ok(Json(entry)),
        _ => Err(ServerError::not_found(format!("no feedback {id}"))),
    }
}

/// The coordinator's inbox: flags and reviewer feedback, newest first.
pub(super) async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<FeedbackView>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Inbox, "reading the inbox")?;
    let entries = state.store().inbox(access.id()).await?;
    Ok(Json(entries.into_iter().filter(|e| may_see_feedback(&caller, &access, e)).collect()))
}

pub(super) async fn my_feedback(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<FeedbackView>>, ServerError> {
    Ok(Json(state.store().feedback_for(caller.id()).await?))
}

/// The recipient acknowledges a feedback entry. Anyone else's entry, or one that does not exist,
/// is 404 alike; acknowledging again keeps the first time.
pub(super) async fn ack_feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<FeedbackView>, ServerError> {
    match state.store().acknowledge_feedback(caller.id(), id, state.now_ms()).await? {
        Some(entry) => Ok(Json(entry)),
        None => Err(ServerError::not_found(format!("no feedback {id} to you"))),
    }
}

pub(super) async fn unread_feedback(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UnreadFeedback>, ServerError> {
    Ok(Json(UnreadFeedback { unread: state.store().unread_feedback(caller.id()).await? }))
}
