//! Wire types and routes shared by the app (client) and the server, so the two cannot drift.
//!
//! All bodies are JSON. Errors are [`ApiError`] with a non-2xx status.

use serde::{Deserialize, Serialize};

use crate::{Finding, Gold, GoldMode, GoldReport, Item, MediaKind, Region, RevealPolicy, TaskSpec, Verdict};

/// `GET` — every project, as [`ProjectSummary`]s.
pub const PROJECTS: &str = "/api/projects";

/// `GET` — one project as [`ProjectView`].
pub fn project_path(project: &str) -> String {
    format!("/api/projects/{}", encode(project))
}

/// `GET ?annotator=NAME` — the annotator's next item as [`NextItem`].
pub fn next_item_path(project: &str, annotator: &str) -> String {
    format!("/api/projects/{}/next?annotator={}", encode(project), encode(annotator))
}

/// `POST` a [`SubmitRequest`] — stores the answer and returns a [`SubmitResponse`].
pub fn submit_path(project: &str, item: &str) -> String {
    format!("/api/projects/{}/items/{}/submissions", encode(project), encode(item))
}

/// Percent-encodes everything but unreserved characters, for ids in paths and queries.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectSummary {
    pub id: String,
    pub title: String,
    pub media: MediaKind,
    pub items: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectView {
    pub id: String,
    pub title: String,
    pub guidelines: String,
    pub spec: TaskSpec,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Progress {
    /// Items this annotator has submitted in the project.
    pub done: u32,
    pub total: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NextItem {
    /// `None` when the annotator has done every item.
    pub item: Option<AssignedItem>,
    pub progress: Progress,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AssignedItem {
    pub item: Item,
    /// Present only for training gold, whose answer ships with the item. Honeypot gold is never
    /// sent here; its answer comes back in [`SubmitResponse::gold`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_gold: Option<Gold>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmitRequest {
    pub annotator: String,
    pub lead_time_ms: u64,
    pub regions: Vec<Region>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmitResponse {
    pub submission_id: i64,
    pub created_at_ms: i64,
    /// Warnings the annotator confirmed (errors are refused with 422).
    pub findings: Vec<Finding>,
    /// For a gold item: the answer and the server's score, computed after the submission was
    /// stored, with the same [`crate::score_gold`] the browser uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold: Option<GoldReveal>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldReveal {
    pub mode: GoldMode,
    pub answer: Vec<Region>,
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    pub report: GoldReport,
}

impl GoldReveal {
    /// What the annotator may see of `gold` and its `report` under `policy`:
    /// - `full_diff`: everything;
    /// - `hints`: the score, the verdicts on the annotator's own regions (a wrong label does not
    ///   say the right one) and feedback that quotes nothing of gold; no answer, no explanation;
    /// - `score_only`: pass/fail and the per-control scores.
    pub fn new(gold: &Gold, mut report: GoldReport, policy: RevealPolicy) -> GoldReveal {
        let full = GoldReveal {
            mode: gold.mode,
            answer: gold.answer.clone(),
            explanation: gold.explanation.clone(),
            guideline: gold.guideline.clone(),
            report: report.clone(),
        };
        match policy {
            RevealPolicy::FullDiff => full,
            RevealPolicy::Hints => {
                report.verdicts.retain(|v| v.region.is_some());
                for v in &mut report.verdicts {
                    v.gold_region = None;
                    if let Verdict::WrongLabel { expected, .. } = &mut v.verdict {
                        expected.clear();
                    }
                }
                report.feedback = report
                    .feedback
                    .into_iter()
                    .skip(usize::from(!gold.explanation.is_empty()))
                    .map(|mut f| {
                        if let Some(hint) = f.hint.take() {
                            f.message = hint;
                        }
                        f
                    })
                    .collect();
                GoldReveal { answer: Vec::new(), explanation: String::new(), report, ..full }
            }
            RevealPolicy::ScoreOnly => {
                report.verdicts.clear();
                report.feedback.clear();
                GoldReveal { answer: Vec::new(), explanation: String::new(), guideline: None, report, ..full }
            }
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ApiError {
    pub error: String,
    /// Validation errors that made the server refuse a submission.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}
