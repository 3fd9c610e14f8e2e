//! Whom to trust: an annotator's scorecard from plain counts, and gold items that reliable
//! annotators fail the same way (bad gold).
//!
//! **Scorecard.** Gold accuracy with Wilson's interval; Wald's SPRT qualification state with how
//! many more gold items it should take; review acceptance (accepted as submitted, out of all
//! reviewed; a fix is not an acceptance); error codes by frequency; the median lead time;
//! the pre-annotation edit rate ((edited + deleted) / all pre-annotated regions); agreement
//! with peers as the caller measured it (κ or α per control). Gold items pending a
//! coordinator's decision (see bad gold) count in neither the accuracy nor the SPRT.
//!
//! **Bad gold.** A gold item is suspect when at least [`BadGoldRule::min_annotators`] reliable
//! annotators fail it with the same answer. Reliable means: on their *other* gold items (this
//! one left out, so the item under suspicion cannot make its own witnesses look bad) they did
//! at least [`BadGoldRule::min_other_items`] and passed at least
//! [`BadGoldRule::min_other_pass_rate`] of them. And the failures must be what reliable
//! annotators mostly do on the item: at least [`BadGoldRule::min_failure_share`] of the reliable
//! annotators who attempted it failed it (by any answer). Without that share a correct item
//! done by hundreds of annotators is flagged as soon as three of them slip the same way, which
//! at 100,000 submissions happens by chance. "The same answer" is equality of the caller's
//! answer key (e.g. the chosen label, or a canonical form of the regions). The evidence names
//! each witness, their answer and record, and how the other reliable failures answered.
//!
//! An annotator's attempts at one gold item count once: the first in the input (a retried
//! training item must not count twice).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::intervals::{wilson, Sprt, SprtDecision};
use crate::StatsError;

/// One scored gold item of one annotator.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldResult {
    pub item: String,
    pub passed: bool,
}

/// Review verdicts on an annotator's submissions.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReviewCounts {
    pub accepted: u64,
    /// Accepted after the reviewer corrected them.
    pub fixed: u64,
    pub rejected: u64,
}

/// What the annotator did with pre-annotated (model-proposed) regions.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PreAnnotationEdits {
    pub kept: u64,
    pub edited: u64,
    pub deleted: u64,
}

/// Agreement of the annotator with their peers on one control, measured by the caller.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PeerAgreement {
    pub control: String,
    /// e.g. "cohen_kappa", "krippendorff_alpha", "pairwise_f1".
    pub measure: String,
    pub value: f64,
}

/// Everything a scorecard is computed from, as the API returns it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ScorecardInput {
    pub annotator: String,
    pub gold: Vec<GoldResult>,
    pub reviews: ReviewCounts,
    /// One entry per region-level error code a reviewer recorded against the annotator.
    pub error_codes: Vec<String>,
    pub lead_times_ms: Vec<u64>,
    pub pre_annotation: PreAnnotationEdits,
    pub peer_agreement: Vec<PeerAgreement>,
}

/// The qualification test as settings carry it: the parameters of [`Sprt::new`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct QualificationTest {
    /// Accuracy that fails.
    pub p0: f64,
    /// Accuracy that passes.
    pub p1: f64,
    /// Chance of passing someone at `p0`.
    pub alpha: f64,
    /// Chance of failing someone at `p1`.
    pub beta: f64,
}

/// How sure the accuracy interval is, and the qualification test.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct ScorecardSettings {
    pub confidence: f64,
    pub qualification: QualificationTest,
}

impl Default for ScorecardSettings {
    /// 95 % intervals; qualify at 95 % accuracy against 80 %, α = β = 0.05.
    fn default() -> ScorecardSettings {
        ScorecardSettings {
            confidence: 0.95,
            qualification: QualificationTest { p0: 0.8, p1: 0.95, alpha: 0.05, beta: 0.05 },
        }
    }
}

/// Gold items that count, after leaving out the pending ones.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoldTally {
    pub passed: u64,
    pub counted: u64,
    /// Items left out because a coordinator has not yet decided on them.
    pub pending: u64,
}

/// Gold accuracy: `passed / counted` and its Wilson interval.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub confidence: f64,
}

/// The qualification test's answer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QualificationDecision {
    Pass,
    Fail,
    KeepTesting,
}

/// Where the annotator stands in the SPRT.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Qualification {
    pub decision: QualificationDecision,
    pub log_likelihood_ratio: f64,
    /// Wald's boundaries: pass at or above `upper`, fail at or below `lower`.
    pub lower: f64,
    pub upper: f64,
    /// While testing: how many more gold items pass the annotator if they answer all correctly.
    pub items_to_pass_if_all_correct: Option<u64>,
    /// While testing and after at least one gold item: the expected number of further items
    /// until a decision if the annotator keeps their accuracy so far (at least 1).
    pub expected_further_items: Option<f64>,
}

/// How often one error code was recorded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorCodeCount {
    pub code: String,
    pub count: u64,
}

/// One annotator's scorecard; see the module documentation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Scorecard {
    pub annotator: String,
    pub gold: GoldTally,
    /// `None` before any gold item counts.
    pub accuracy: Option<Accuracy>,
    pub qualification: Qualification,
    pub reviews: ReviewCounts,
    /// `accepted / (accepted + fixed + rejected)`; `None` before any review.
    pub review_acceptance: Option<f64>,
    /// Most frequent first, then by code.
    pub error_codes: Vec<ErrorCodeCount>,
    /// The mean of the two middle values for an even count; `None` without lead times.
    pub median_lead_time_ms: Option<f64>,
    pub pre_annotation: PreAnnotationEdits,
    /// `(edited + deleted) / (kept + edited + deleted)`; `None` without pre-annotations.
    pub pre_annotation_edit_rate: Option<f64>,
    pub peer_agreement: Vec<PeerAgreement>,
}

/// The gold results that count: the first result per item, items in `pending` left out.
pub fn tally_gold(results: &[GoldResult], pending: &BTreeSet<String>) -> GoldTally {
    let mut seen = HashSet::new();
    let mut tally = GoldTally { passed: 0, counted: 0, pending: 0 };
    for result in results.iter().filter(|r| seen.insert(r.item.as_str())) {
        if pending.contains(&result.item) {
            tally.pending += 1;
        } else {
            tally.counted += 1;
            tally.passed += u64::from(result.passed);
        }
    }
    tally
}

/// The scorecard of `input`, gold items in `pending` left out; see the module documentation.
/// Fails on a confidence outside (0, 1), an invalid SPRT, or a non-finite peer agreement.
pub fn scorecard(
    input: &ScorecardInput,
    pending: &BTreeSet<String>,
    settings: &ScorecardSettings,
) -> Result<Scorecard, StatsError> {
    let test = settings.qualification;
    let sprt = Sprt::new(test.p0, test.p1, test.alpha, test.beta)?;
    if !(settings.confidence > 0.0 && settings.confidence < 1.0) {
        return Err(StatsError::InvalidArgument(format!("confidence {} is not in (0, 1)", settings.confidence)));
    }
    if let Some(bad) = input.peer_agreement.iter().find(|p| !p.value.is_finite()) {
        return Err(StatsError::InvalidArgument(format!("peer agreement on {} is {}", bad.control, bad.value)));
    }
    let gold = tally_gold(&input.gold, pending);
    let accuracy = match gold.counted {
        0 => None,
        n => {
            let i = wilson(gold.passed, n, settings.confidence)?;
            Some(Accuracy { estimate: i.estimate, low: i.low, high: i.high, confidence: i.confidence })
        }
    };
    let r = input.reviews;
    let reviewed = r.accepted + r.fixed + r.rejected;
    let e = input.pre_annotation;
    let pre_annotated = e.kept + e.edited + e.deleted;
    Ok(Scorecard {
        annotator: input.annotator.clone(),
        gold,
        accuracy,
        qualification: qualification(&sprt, gold.passed, gold.counted)?,
        reviews: r,
        review_acceptance: (reviewed > 0).then(|| r.accepted as f64 / reviewed as f64),
        error_codes: error_codes_by_frequency(&input.error_codes),
        median_lead_time_ms: median(&input.lead_times_ms),
        pre_annotation: e,
        pre_annotation_edit_rate: (pre_annotated > 0).then(|| (e.edited + e.deleted) as f64 / pre_annotated as f64),
        peer_agreement: input.peer_agreement.clone(),
    })
}

fn error_codes_by_frequency(codes: &[String]) -> Vec<ErrorCodeCount> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for code in codes {
        *counts.entry(code).or_default() += 1;
    }
    let mut out: Vec<ErrorCodeCount> =
        counts.into_iter().map(|(code, count)| ErrorCodeCount { code: code.to_string(), count }).collect();
    // The map gave them sorted by code; a stable sort by count keeps that order among equals.
    out.sort_by_key(|c| std::cmp::Reverse(c.count));
    out
}

fn median(values: &[u64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

fn qualification(sprt: &Sprt, passed: u64, counted: u64) -> Result<Qualification, StatsError> {
    let state = sprt.state(passed, counted)?;
    let decision = match state.decision {
        SprtDecision::Pass => QualificationDecision::Pass,
        SprtDecision::Fail => QualificationDecision::Fail,
        SprtDecision::Continue => QualificationDecision::KeepTesting,
    };
    let testing = decision == QualificationDecision::KeepTesting;
    let step_up = (sprt.p1 / sprt.p0).ln();
    let to_upper = state.upper - state.log_likelihood_ratio;
    // The same slack as `Sprt::state`, so the count lands exactly where the test passes.
    let items_to_pass = testing.then(|| ((to_upper - 1e-12) / step_up).ceil().max(1.0) as u64);
    let expected = (testing && counted > 0).then(|| {
        let accuracy = passed as f64 / counted as f64;
        expected_items(sprt, state.log_likelihood_ratio, state.lower, state.upper, accuracy)
    });
    Ok(Qualification {
        decision,
        log_likelihood_ratio: state.log_likelihood_ratio,
        lower: state.lower,
        upper: state.upper,
        items_to_pass_if_all_correct: items_to_pass,
        expected_further_items: expected,
    })
}

/// The expected number of further gold items until the test decides, when each is passed with
/// probability `p`, computed exactly rather than by Wald's approximation (which ignores the
/// overshoot of the last step and, at 8 of 9 passed, says 36 where the truth is 44):
/// `E[N] = Σ_t P(N > t)`, following the probability of every undecided state. After `t` more
/// items with `j` failures the ratio is `llr + (t − j)·s + j·f` (`s = ln(p1/p0)`, `f =
/// ln((1−p1)/(1−p0))`), so only the few `j` between the boundaries are alive at each `t`. The
/// sum stops once less than 1e-12 of the probability is undecided, or after 100,000 items.
fn expected_items(sprt: &Sprt, llr: f64, lower: f64, upper: f64, p: f64) -> f64 {
    let s = (sprt.p1 / sprt.p0).ln();
    let f = ((1.0 - sprt.p1) / (1.0 - sprt.p0)).ln();
    // The same slack as `Sprt::state`.
    let undecided = |t: u64, j: u64| {
        let ratio = llr + (t - j) as f64 * s + j as f64 * f;
        ratio > lower + 1e-12 && ratio < upper - 1e-12
    };
    // `alive[k]`: the probability of being undecided with `first + k` failures so far.
    let (mut first, mut alive) = (0u64, vec![1.0]);
    let mut expected = 0.0;
    for t in 1..=100_000u64 {
        let mass: f64 = alive.iter().sum();
        if mass < 1e-12 {
            break;
        }
        expected += mass;
        let mut next = vec![0.0; alive.len() + 1];
        for (k, m) in alive.iter().enumerate() {
            next[k] += m * p;
            next[k + 1] += m * (1.0 - p);
        }
        for (k, m) in next.iter_mut().enumerate() {
            if !undecided(t, first + k as u64) {
                *m = 0.0;
            }
        }
        // The undecided `j` are contiguous (the ratio is linear in `j`): trim the decided ends.
        let lead = next.iter().take_while(|m| **m == 0.0).count();
        let kept = next.len() - lead - next.iter().rev().take_while(|m| **m == 0.0).count().min(next.len() - lead);
        first += lead as u64;
        alive = next[lead..lead + kept].to_vec();
    }
    expected
}

/// One annotator's attempt at one gold item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldAttempt {
    pub item: String,
    pub annotator: String,
    pub passed: bool,
    /// A comparable form of what the annotator answered: equal keys, same answer.
    pub answer: String,
}

/// When a gold item is suspect; see the module documentation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct BadGoldRule {
    pub min_annotators: usize,
    pub min_other_pass_rate: f64,
    pub min_other_items: u64,
    /// Of the reliable annotators who attempted the item, the share that must have failed it.
    #[serde(default = "half")]
    pub min_failure_share: f64,
}

fn half() -> f64 {
    0.5
}

impl Default for BadGoldRule {
    /// Three reliable annotators, each passing at least 90 % of at least 10 other gold items:
    /// with fewer than 10, one unlucky item moves the rate by more than 10 points. And at least
    /// half of the reliable annotators who did the item failed it: a reliable annotator fails
    /// one item in ten at most, so a correct item failed by half of them is a 1-in-32 event
    /// already at five annotators.
    fn default() -> BadGoldRule {
        BadGoldRule { min_annotators: 3, min_other_pass_rate: 0.9, min_other_items: 10, min_failure_share: 0.5 }
    }
}

/// A reliable annotator who failed the item, and their record on their other gold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldWitness {
    pub annotator: String,
    pub answer: String,
    pub other_passed: u64,
    pub other_items: u64,
}

/// How many reliable failures gave one answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AnswerCount {
    pub answer: String,
    pub count: usize,
}

/// A gold item the coordinator should look at, with the evidence.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SuspectGold {
    pub item: String,
    /// The answer the reliable annotators agree on instead of gold.
    pub answer: String,
    /// The reliable annotators who gave that answer, by name.
    pub witnesses: Vec<GoldWitness>,
    /// Every answer of a reliable annotator who failed the item, most frequent first, then by
    /// answer: how far the failures agree with each other.
    pub reliable_failures: Vec<AnswerCount>,
    /// Annotators who attempted the item, and how many of them passed it.
    pub attempts: usize,
    pub passed: usize,
}

/// Gold items failed the same way by reliable annotators, by item; see the module
/// documentation. When two answers tie for the most witnesses, the first by answer is named
/// and both show in `reliable_failures`.
pub fn suspect_gold(attempts: &[GoldAttempt], rule: &BadGoldRule) -> Result<Vec<SuspectGold>, StatsError> {
    if rule.min_annotators == 0 {
        return Err(StatsError::InvalidArgument("a suspect gold item needs at least one witness".into()));
    }
    if !(0.0..=1.0).contains(&rule.min_other_pass_rate) {
        return Err(StatsError::InvalidArgument(format!("pass rate {} is not in [0, 1]", rule.min_other_pass_rate)));
    }
    if !(0.0..=1.0).contains(&rule.min_failure_share) {
        return Err(StatsError::InvalidArgument(format!("failure share {} is not in [0, 1]", rule.min_failure_share)));
    }
    let mut seen = HashSet::new();
    let firsts: Vec<&GoldAttempt> =
        attempts.iter().filter(|a| seen.insert((a.item.as_str(), a.annotator.as_str()))).collect();
    // (passed, attempted) per annotator over all their gold items.
    let mut record: HashMap<&str, (u64, u64)> = HashMap::new();
    for a in &firsts {
        let r = record.entry(&a.annotator).or_default();
        r.0 += u64::from(a.passed);
        r.1 += 1;
    }
    let mut by_item: BTreeMap<&str, Vec<&GoldAttempt>> = BTreeMap::new();
    for a in &firsts {
        by_item.entry(&a.item).or_default().push(a);
    }
    let mut suspects = Vec::new();
    for (item, tries) in by_item {
        // Each reliable annotator of the item with their record on their other gold items.
        let reliable: Vec<(&GoldAttempt, u64, u64)> = tries
            .iter()
            .filter_map(|a| {
                let (passed, total) = record[a.annotator.as_str()];
                // Leave this item out of their record.
                let (other_passed, other_items) = (passed - u64::from(a.passed), total - 1);
                let rate_ok = other_passed as f64 >= rule.min_other_pass_rate * other_items as f64 - 1e-9;
                (other_items >= rule.min_other_items && rate_ok).then_some((*a, other_passed, other_items))
            })
            .collect();
        let failed = reliable.iter().filter(|(a, ..)| !a.passed).count();
        if (failed as f64) < rule.min_failure_share * reliable.len() as f64 - 1e-9 {
            continue;
        }
        let witnesses: Vec<GoldWitness> = reliable
            .iter()
            .filter(|(a, ..)| !a.passed)
            .map(|&(a, other_passed, other_items)| GoldWitness {
                annotator: a.annotator.clone(),
                answer: a.answer.clone(),
                other_passed,
                other_items,
            })
            .collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for w in &witnesses {
            *counts.entry(&w.answer).or_default() += 1;
        }
        let mut reliable_failures: Vec<AnswerCount> =
            counts.into_iter().map(|(answer, count)| AnswerCount { answer: answer.to_string(), count }).collect();
        reliable_failures.sort_by_key(|c| std::cmp::Reverse(c.count));
        let Some(top) = reliable_failures.first().filter(|t| t.count >= rule.min_annotators) else { continue };
        let answer = top.answer.clone();
        suspects.push(SuspectGold {
            item: item.to_string(),
            witnesses: witnesses.into_iter().filter(|w| w.answer == answer).collect(),
            answer,
            reliable_failures,
            attempts: tries.len(),
            passed: tries.iter().filter(|a| a.passed).count(),
        });
    }
    Ok(suspects)
}

/// The items of `suspects`: pass them (less those a coordinator has decided) as `pending` to
/// [`scorecard`] so suspect gold counts against nobody meanwhile.
pub fn pending_items(suspects: &[SuspectGold]) -> BTreeSet<String> {
    suspects.iter().map(|s| s.item.clone()).collect()
}
