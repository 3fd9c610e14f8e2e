//! The error taxonomy and the checks of what reviewers send with it: the default codes, a
//! coordinator's taxonomy, a review's region errors and a note's anchor. Pure functions: the
//! routes gather what they need (the stored taxonomy, the guideline anchors, the regions) and
//! answer an `Err` as 422 `invalid_request` with its message.

use std::collections::HashSet;

use annoqa_api::{ErrorCode, FeedbackAnchor, RegionError};
use annoqa_core::MediaKind;

/// Longest code, title and free text a reviewer or coordinator may send.
pub(crate) const MAX_CODE_CHARS: usize = 64;
pub(crate) const MAX_TITLE_CHARS: usize = 200;
pub(crate) const MAX_TEXT_CHARS: usize = 5000;
/// Most region errors one review may carry: far beyond a real review, small enough to store.
pub(crate) const MAX_REVIEW_ERRORS: usize = 1000;

/// The taxonomy of a project whose coordinators have not set one: the kinds of error every
/// media type has. None links a guideline section, since no project's sections are known here.
pub(crate) fn default_taxonomy() -> Vec<ErrorCode> {
    [
        ("missing_region", "Missing region", "Something the guidelines ask to mark is not marked."),
        ("extra_region", "Extra region", "A region marks something the guidelines do not ask for."),
        ("wrong_label", "Wrong label", "The region is in the right place with the wrong label or class."),
        (
            "loose_or_tight_geometry",
            "Loose or tight geometry",
            "The box, polygon or span is larger or smaller than what it marks.",
        ),
        ("wrong_attribute", "Wrong attribute", "An attribute of the region has the wrong value."),
        (
            "boundary_or_timing_off",
            "Boundary or timing off",
            "A span's or segment's start or end is in the wrong place.",
        ),
        (
            "track_drift_or_id_switch",
            "Track drift or ID switch",
            "A track leaves its object or continues on another one.",
        ),
        (
            "guideline_specific",
            "Guideline-specific",
            "Breaks a rule of this project's guidelines: name it in the comment.",
        ),
    ]
    .into_iter()
    .map(|(code, title, description)| ErrorCode {
        code: code.into(),
        title: title.into(),
        description: description.into(),
        guideline: None,
    })
    .collect()
}

/// Whether `code` is snake_case: a lower-case letter, then lower-case letters, digits and single
/// underscores, not ending in one; at most [`MAX_CODE_CHARS`].
fn is_snake_case(code: &str) -> bool {
    let starts_with_letter = code.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    starts_with_letter
        && code.len() <= MAX_CODE_CHARS
        && !code.ends_with('_')
        && !code.contains("__")
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A coordinator's taxonomy: at least one code, codes unique and snake_case, titles 1–200
/// characters, descriptions within [`MAX_TEXT_CHARS`], guideline anchors among `anchors`.
pub(crate) fn check_taxonomy(codes: &[ErrorCode], anchors: &HashSet<String>) -> Result<(), String> {
    if codes.is_empty() {
        return Err("a taxonomy has at least one error code".into());
    }
    let mut seen = HashSet::new();
    for (index, code) in codes.iter().enumerate() {
        let at = format!("error code {}", index + 1);
        if !is_snake_case(&code.code) {
            return Err(format!(
                "{at}: `code` must be snake_case (a–z, then a–z, 0–9 and single `_`), at most {MAX_CODE_CHARS} characters"
            ));
        }
        if !seen.insert(code.code.as_str()) {
            return Err(format!("{at}: code `{}` appears twice", code.code));
        }
        if code.title.trim().is_empty() || code.title.chars().count() > MAX_TITLE_CHARS {
            return Err(format!("{at}: `title` must be 1–{MAX_TITLE_CHARS} characters"));
        }
        if code.description.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("{at}: `description` must be at most {MAX_TEXT_CHARS} characters"));
        }
        if let Some(anchor) = code.guideline.as_ref().filter(|a| !anchors.contains(*a)) {
            return Err(format!("{at}: guideline section `{anchor}` does not exist in the project's guidelines"));
        }
    }
    Ok(())
}

/// A review's region errors: codes from `known` codes, regions among `regions` (the reviewed
/// submission's, and a fix's), comments within [`MAX_TEXT_CHARS`], no (region, code) twice.
pub(crate) fn check_region_errors(
    errors: &[RegionError],
    known: &HashSet<&str>,
    regions: &HashSet<&str>,
) -> Result<(), String> {
    if errors.len() > MAX_REVIEW_ERRORS {
        return Err(format!("a review carries at most {MAX_REVIEW_ERRORS} errors"));
    }
    let mut seen = HashSet::new();
    for (index, error) in errors.iter().enumerate() {
        let at = format!("error {}", index + 1);
        if !known.contains(error.code.as_str()) {
            return Err(format!("{at}: code `{}` is not in the project's taxonomy", error.code));
        }
        if let Some(region) = error.region.as_deref().filter(|r| !regions.contains(r)) {
            return Err(format!("{at}: the submission has no region `{region}`"));
        }
        if error.comment.as_ref().is_some_and(|c| c.chars().count() > MAX_TEXT_CHARS) {
            return Err(format!("{at}: `comment` must be at most {MAX_TEXT_CHARS} characters"));
        }
        if !seen.insert((error.region.as_deref(), error.code.as_str())) {
            return Err(format!("{at}: the same code on the same region twice"));
        }
    }
    Ok(())
}

/// A reviewer's note's anchor: a region among `regions`, a time range of an audio or video
/// item, or a frame range of a video item, ranges in order and finite.
pub(crate) fn check_anchor(anchor: &FeedbackAnchor, media: MediaKind, regions: &HashSet<&str>) -> Result<(), String> {
    match anchor {
        FeedbackAnchor::Region { region } if !regions.contains(region.as_str()) => {
            Err(format!("anchor: the submission has no region `{region}`"))
        }
        FeedbackAnchor::Region { .. } => Ok(()),
        FeedbackAnchor::Time { .. } if !matches!(media, MediaKind::Audio | MediaKind::Video) => {
            Err("anchor: a time range needs an audio or video project".into())
        }
        FeedbackAnchor::Time { start_s, end_s } => {
            let in_order = start_s.is_finite() && end_s.is_finite() && 0.0 <= *start_s && start_s <= end_s;
            if in_order {
                Ok(())
            } else {
                Err("anchor: a time range needs finite `0 <= start_s <= end_s`".into())
            }
        }
        FeedbackAnchor::Frames { .. } if media != MediaKind::Video => {
            Err("anchor: a frame range needs a video project".into())
        }
        FeedbackAnchor::Frames { first, last } if first > last => {
            Err("anchor: a frame range needs `first <= last`".into())
        }
        FeedbackAnchor::Frames { .. } => Ok(()),
    }
}
