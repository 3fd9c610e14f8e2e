//! What an annotator may see of a gold answer and its report, by the project's reveal policy.

use serde::{Deserialize, Serialize};

use crate::{Gold, GoldMode, GoldReport, Region, RevealPolicy, Verdict};

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

