//! What an annotator may see of a gold answer and its report, by the project's reveal policy.
//! The server builds a [`GoldReveal`] only after the submission is stored; the browser shows
//! exactly what it holds.

use serde::{Deserialize, Serialize};

use crate::{Gold, GoldMode, GoldReport, Region, RevealPolicy};

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
    /// - `hints`: the score and per-control scores, the verdicts on the annotator's own regions
    ///   with directions ("starts too early", "too small") but no magnitude, coordinate, time,
    ///   frame or label of gold, and feedback in its gold-free form; no answer, no explanation,
    ///   no metrics;
    /// - `score_only`: pass/fail and the per-control scores.
    pub fn new(gold: &Gold, mut report: GoldReport, policy: RevealPolicy) -> GoldReveal {
        let withheld = |report: GoldReport, guideline: Option<String>| GoldReveal {
            mode: gold.mode,
            answer: Vec::new(),
            explanation: String::new(),
            guideline,
            report,
        };
        match policy {
            RevealPolicy::FullDiff => GoldReveal {
                mode: gold.mode,
                answer: gold.answer.clone(),
                explanation: gold.explanation.clone(),
                guideline: gold.guideline.clone(),
                report,
            },
            RevealPolicy::Hints => {
                report.verdicts.retain(|v| v.region.is_some());
                for v in &mut report.verdicts {
                    v.gold_region = None;
                    v.verdict = v.verdict.without_gold_details();
                }
                report.explanation = None;
                report.controls.iter_mut().for_each(|c| c.metrics.clear());
                for f in &mut report.feedback {
                    if let Some(hint) = f.hint.take() {
                        f.message = hint;
                    }
                }
                withheld(report, gold.guideline.clone())
            }
            RevealPolicy::ScoreOnly => {
                report.verdicts.clear();
                report.feedback.clear();
                report.explanation = None;
                report.controls.iter_mut().for_each(|c| c.metrics.clear());
                withheld(report, None)
            }
        }
    }
}
