//! Annotator scorecards computed in the browser by annoqa-stats from what
//! `GET …/scorecards` returns, DOM-free. Peer agreement per choice control is Cohen's κ of the
//! annotator against every peer who answered the same items, pooled into one table (each
//! shared item adds one cell per peer).

use std::collections::{BTreeSet, HashMap};

use annoqa_api::{ChoiceAnswers, ScorecardRow, ScorecardsData};
use annoqa_stats::agreement::cohen_kappa;
use annoqa_stats::trust::{
    scorecard, GoldResult, PeerAgreement, PreAnnotationEdits, QualificationTest, ReviewCounts, Scorecard,
    ScorecardInput, ScorecardSettings,
};
use annoqa_stats::{ContingencyTable, Weights};

/// The pooled κ of `annotator` against their peers on one control; `None` when they share no
/// item with anyone or κ is undefined (every answer the same).
pub fn peer_kappa(answers: &ChoiceAnswers, annotator: &str) -> Option<f64> {
    let me = answers.annotators.iter().position(|a| a == annotator)? as u32;
    let mut by_item: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    for &[item, who, label] in &answers.answers {
        by_item.entry(item).or_default().push((who, label));
    }
    let k = answers.labels.len();
    let mut table = ContingencyTable::new(k);
    for answers in by_item.values() {
        for &(_, mine) in answers.iter().filter(|(who, _)| *who == me) {
            for &(_, theirs) in answers.iter().filter(|(who, _)| *who != me) {
                table.add(mine, theirs, 1.0);
            }
        }
    }
    let weights = Weights::Identity.matrix(&(0..k).map(|i| i as f64).collect::<Vec<_>>()).ok()?;
    cohen_kappa(&table, &weights).ok().map(|c| c.value)
}

fn input(row: &ScorecardRow, choices: &[ChoiceAnswers], retired: &BTreeSet<String>) -> ScorecardInput {
    ScorecardInput {
        annotator: row.annotator.clone(),
        // Retired gold counts against nobody, ever.
        gold: row
            .gold
            .iter()
            .filter(|g| !retired.contains(&g.item))
            .map(|g| GoldResult { item: g.item.clone(), passed: g.passed })
            .collect(),
        reviews: ReviewCounts { accepted: row.accepted, fixed: row.fixed, rejected: row.rejected },
        error_codes: row.error_codes.clone(),
        lead_times_ms: row.lead_times_ms.clone(),
        pre_annotation: PreAnnotationEdits { kept: row.pre_kept, edited: row.pre_edited, deleted: row.pre_deleted },
        peer_agreement: choices
            .iter()
            .filter_map(|c| {
                let value = peer_kappa(c, &row.annotator)?;
                Some(PeerAgreement { control: c.control.clone(), measure: "cohen_kappa_pooled".into(), value })
            })
            .collect(),
    }
}

/// Every annotator's scorecard, pending gold left out of accuracy and the SPRT, retired gold
/// left out altogether.
pub fn scorecards(data: &ScorecardsData) -> Vec<Result<Scorecard, String>> {
    let q = data.qualification;
    let settings = ScorecardSettings {
        confidence: q.confidence,
        qualification: QualificationTest { p0: q.p0, p1: q.p1, alpha: q.alpha, beta: q.beta },
    };
    let pending: BTreeSet<String> = data.pending_gold.iter().cloned().collect();
    let retired: BTreeSet<String> = data.retired_gold.iter().cloned().collect();
    data.annotators
        .iter()
        .map(|row| scorecard(&input(row, &data.choices, &retired), &pending, &settings).map_err(|e| e.to_string()))
        .collect()
}
