//! The server's checks of one annotation, shared by the submit and a reviewer's fix: the
//! project's size limits first (linear, on the request's thread), then validation and, for a
//! gold item, scoring on the CPU pool ([`crate::cpu`]); and the bound on the findings a response
//! carries.

use std::collections::HashMap;

use annoqa_api::{ApiErrorCode, PredictionOutcome};
use annoqa_core::{check_limits, has_errors, score_gold, validate, Finding, Gold, GoldReport, Item, LimitExceeded};
use annoqa_core::{Region, TaskSpec};

use crate::{AppState, ServerError};

/// Most bytes of findings one response carries. Core caps how many findings a validation
/// makes, but a finding quotes region ids, which a hostile annotation can make long; the rest
/// are counted in one last finding.
pub(crate) const MAX_FINDINGS_BYTES: usize = 64 * 1024;

/// An annotation that passed the checks.
#[derive(Debug)]
pub(crate) struct Checked {
    /// Warnings only, bounded by [`MAX_FINDINGS_BYTES`].
    pub findings: Vec<Finding>,
    /// The gold score, when a gold answer was given.
    pub report: Option<GoldReport>,
    /// The annotation and gold answer, handed back from the pool.
    pub regions: Vec<Region>,
    pub gold: Option<Gold>,
}

/// Checks `regions` as an answer to `item`: 413 `limit_exceeded` over the spec's limits, 422
/// `invalid_annotation` with the (bounded) findings when any is an error; else the warnings and,
/// with `gold`, the score. Validation and scoring run on the CPU pool (503 `busy` when full).
pub(crate) async fn check_annotation(
    state: &AppState,
    spec: &TaskSpec,
    item: Item,
    gold: Option<Gold>,
    regions: Vec<Region>,
) -> Result<Checked, ServerError> {
    check_limits(spec, &regions).map_err(limit_exceeded)?;
    let spec = spec.clone();
    let checked = state
        .cpu()
        .run(move || {
            let findings = validate(&spec, &item, &regions);
            // A refused annotation is not scored: nobody will see the score.
            let report = match &gold {
                Some(gold) if !has_errors(&findings) => Some(score_gold(&spec, &item, gold, &regions)),
                _ => None,
            };
            Checked { findings: bounded_findings(findings), report, regions, gold }
        })
        .await?;
    if has_errors(&checked.findings) {
        return Err(ServerError::Invalid(checked.findings));
    }
    Ok(checked)
}

/// Checks what a submission says became of the item's predictions: every id is one of
/// `predictions`, listed once across `kept`, `edited` and `deleted`, and every prediction is
/// listed. The message names the list and the id (cut short: ids come from users).
pub(crate) fn check_prediction_outcome(predictions: &[Region], outcome: &PredictionOutcome) -> Result<(), String> {
    let mut listed: HashMap<&str, Option<&str>> = predictions.iter().map(|p| (p.id.as_str(), None)).collect();
    let lists = [("kept", &outcome.kept), ("edited", &outcome.edited), ("deleted", &outcome.deleted)];
    for (list, ids) in lists {
        for id in ids {
            match listed.get_mut(id.as_str()) {
                None => {
                    return Err(format!(
                        "prediction_outcome.{list}: `{}` is not a prediction of this item",
                        short_id(id)
                    ))
                }
                Some(Some(first)) => {
                    return Err(format!(
                        "prediction_outcome.{list}: `{}` is listed twice (also in `{first}`)",
                        short_id(id)
                    ))
                }
                Some(slot) => *slot = Some(list),
            }
        }
    }
    let mut missing = predictions.iter().filter(|p| listed.get(p.id.as_str()).is_some_and(Option::is_none));
    match (missing.next(), missing.count()) {
        (None, _) => Ok(()),
        (Some(first), others) => {
            let more = if others > 0 { format!(" (and {others} more)") } else { String::new() };
            Err(format!(
                "prediction_outcome: prediction `{}`{more} is in none of `kept`, `edited` and `deleted`",
                short_id(&first.id)
            ))
        }
    }
}

/// An id as a message quotes it: at most 40 characters (ids come from users).
pub(crate) fn short_id(id: &str) -> String {
    match id.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &id[..end]),
        None => id.to_string(),
    }
}

fn limit_exceeded(exceeded: LimitExceeded) -> ServerError {
    ServerError::new(ApiErrorCode::LimitExceeded, exceeded.to_string())
}

/// The first findings that fit in [`MAX_FINDINGS_BYTES`] of JSON, and, when some do not, one
/// more that counts them, as severe as the worst of them (so whether the list has errors does
/// not change).
pub(crate) fn bounded_findings(mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut bytes = 0;
    let mut kept = 0;
    for finding in &findings {
        // The separating comma included.
        let size = json_size(finding).saturating_add(1);
        if bytes + size > MAX_FINDINGS_BYTES {
            break;
        }
        bytes += size;
        kept += 1;
    }
    if kept == findings.len() {
        return findings;
    }
    let dropped = findings.split_off(kept);
    let severity = dropped.iter().map(|f| f.severity).min().unwrap_or(annoqa_core::Severity::Warning);
    findings.push(Finding {
        severity,
        code: "findings_capped".into(),
        message: format!(
            "{} more findings are not listed (a response lists at most {} KiB of findings)",
            dropped.len(),
            MAX_FINDINGS_BYTES / 1024
        ),
        control: None,
        regions: Vec::new(),
        guideline: None,
    });
    findings
}

/// Bytes of `value` as JSON, counted without keeping them.
fn json_size(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // A finding is plain data: serialising it cannot fail, but if it did it would not fit.
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}
