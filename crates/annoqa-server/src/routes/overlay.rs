//! What a reviewer reads beside a verdict: an item's overlay (several annotators' latest
//! submissions, to draw together) and a submission's revisions with their diffs.

use annoqa_api::{Endpoint, OverlayAnnotation, OverlayView, RegionDiff, SubmissionRevision, OVERLAY_ANNOTATORS};
use axum::extract::State;
use axum::Json;

use super::{project_access, visible_submission, Path};
use crate::auth::Caller;
use crate::{AppState, ServerError};

/// An item with the latest submissions of up to [`OVERLAY_ANNOTATORS`] annotators (one each: a
/// submission is per annotator and item). A caller with a vendor sees only that vendor's
/// annotators, as everywhere else; the item's gold is never part of it.
pub(super) async fn overlay(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, item_id)): Path<(String, String)>,
) -> Result<Json<OverlayView>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Overlay, "reviewing")?;
    let item = state
        .store()
        .item(access.id(), &item_id)
        .await?
        .ok_or_else(|| ServerError::not_found(format!("project `{project}` has no item `{item_id}`")))?;
    // Admins and vendor-less staff see every vendor (`routes::same_vendor`).
    let vendor = if caller.is_admin() { None } else { caller.user.vendor.as_deref() };
    let rows = state.store().latest_submissions(access.id(), &item_id, vendor, OVERLAY_ANNOTATORS).await?;
    let annotations = rows
        .into_iter()
        .map(|row| OverlayAnnotation {
            annotator: row.annotator,
            submission_id: row.id,
            status: row.status,
            regions: row.regions,
            submitted_at_ms: row.created_at_ms,
        })
        .collect();
    Ok(Json(OverlayView { item: item.item, annotations }))
}

/// The item a submission answers, for whoever may see the submission: the annotator reading a
/// reviewer's note about it sees the region where it is. An `Item` carries no gold.
pub(super) async fn submission_item(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, submission_id)): Path<(String, i64)>,
) -> Result<Json<annoqa_core::Item>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let submission = visible_submission(&state, &caller, &access, submission_id).await?;
    let item = state.store().item(access.id(), &submission.item_id).await?;
    let item = item.ok_or_else(|| ServerError::not_found(format!("submission {submission_id} has no item")))?;
    Ok(Json(item.item))
}

/// A submission's revisions: the annotator's (1), then each fix, every one with its diff to the
/// original. Visible to whoever may see the submission.
pub(super) async fn revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, submission_id)): Path<(String, i64)>,
) -> Result<Json<Vec<SubmissionRevision>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let submission = visible_submission(&state, &caller, &access, submission_id).await?;
    let later = state.store().revisions(access.id(), submission_id).await?;
    let mut revisions = Vec::with_capacity(later.len() + 1);
    for stored in later {
        revisions.push(SubmissionRevision {
            revision: stored.revision,
            author: stored.author,
            diff: RegionDiff::between(&submission.regions, &stored.regions),
            regions: stored.regions,
            review_id: stored.review_id,
            created_at_ms: stored.created_at_ms,
        });
    }
    let original = SubmissionRevision {
        revision: 1,
        author: submission.annotator,
        regions: submission.regions,
        diff: RegionDiff::default(),
        review_id: None,
        created_at_ms: submission.created_at_ms,
    };
    revisions.insert(0, original);
    Ok(Json(revisions))
}
