//! Scoring of labelled time segments: event-based detection metrics for audio (DCASE /
//! sed_eval) and temporal IoU for video segments.
//!
//! **Event-based metrics** follow sed_eval's `EventBasedMetrics` (Mesaros, Heittola, Virtanen,
//! "Metrics for polyphonic sound event detection", Applied Sciences 6(6):162, 2016) for one
//! file. An estimated event can count for a reference event when the labels are equal and
//! - onset: `|onset_ref − onset_est| ≤ t_collar` (if `evaluate_onset`);
//! - offset: `|offset_ref − offset_est| ≤ max(t_collar, percentage_of_length · (offset_ref −
//!   onset_ref))` (if `evaluate_offset`).
//!
//! Each event counts at most once. [`EventMatching::Optimal`] (sed_eval's default) takes a
//! maximum matching, so the number of true positives is the largest possible;
//! [`EventMatching::Greedy`] reproduces sed_eval's greedy pass: reference events in input
//! order, each taking the first still-unmatched estimated event (in input order) that
//! qualifies. Substitutions (an unmatched reference and an unmatched estimate meeting the time
//! conditions but not the label) are counted greedily over the leftovers as in sed_eval.
//! Among several maximum matchings the optimal mode picks the one with the smallest boundary
//! errors, so its leftovers (and only the substitution count) may differ from sed_eval's.
//!
//! Precision = TP / estimated, recall = TP / reference, F1 = 2·TP / (estimated + reference).
//! sed_eval leaves precision (recall) undefined (NaN) without estimates (references); here they
//! are `None`, and F1 is 1 when both lists are empty — nothing to find, nothing wrong.

use std::collections::BTreeMap;

use crate::geometry::clamp_ordered;
use crate::matching::{match_dense, match_pairs, Match, Objective};
use crate::order::sort_unstable;

/// A labelled time range in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event<'a> {
    pub onset: f64,
    pub offset: f64,
    pub label: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EventMatching {
    #[default]
    Optimal,
    Greedy,
}

/// When an estimated event counts as the reference event. The default is sed_eval's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventTolerance {
    /// Seconds.
    pub t_collar: f64,
    /// Fraction of the reference event's length the offset may be off by, when that is more
    /// than `t_collar`.
    pub percentage_of_length: f64,
    pub evaluate_onset: bool,
    pub evaluate_offset: bool,
    pub matching: EventMatching,
}

impl Default for EventTolerance {
    fn default() -> EventTolerance {
        EventTolerance {
            t_collar: 0.2,
            percentage_of_length: 0.5,
            evaluate_onset: true,
            evaluate_offset: true,
            matching: EventMatching::Optimal,
        }
    }
}

impl EventTolerance {
    /// Whether the estimate's boundaries are close enough to the reference's (labels aside).
    /// Same expressions as sed_eval's `validate_onset` / `validate_offset`, so the results
    /// agree exactly on the boundary.
    pub fn times_match(&self, reference: &Event<'_>, estimated: &Event<'_>) -> bool {
        let onset_ok = !self.evaluate_onset || (reference.onset - estimated.onset).abs() <= self.t_collar;
        let offset_ok = !self.evaluate_offset || {
            let length = reference.offset - reference.onset;
            (reference.offset - estimated.offset).abs() <= self.t_collar.max(self.percentage_of_length * length)
        };
        onset_ok && offset_ok
    }
}

/// Detection counts of one class (or of all classes together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DetectionCounts {
    pub reference: usize,
    pub estimated: usize,
    pub true_positives: usize,
}

impl DetectionCounts {
    pub fn false_positives(&self) -> usize {
        self.estimated.saturating_sub(self.true_positives)
    }

    pub fn false_negatives(&self) -> usize {
        self.reference.saturating_sub(self.true_positives)
    }

    /// `None` when nothing was estimated.
    pub fn precision(&self) -> Option<f64> {
        (self.estimated > 0).then(|| self.true_positives as f64 / self.estimated as f64)
    }

    /// `None` when there is no reference event.
    pub fn recall(&self) -> Option<f64> {
        (self.reference > 0).then(|| self.true_positives as f64 / self.reference as f64)
    }

    /// 2·TP / (estimated + reference); 1 when both are empty.
    pub fn f1(&self) -> f64 {
        let total = self.estimated + self.reference;
        if total == 0 {
            1.0
        } else {
            (2 * self.true_positives) as f64 / total as f64
        }
    }
}

/// The result of [`event_based_scores`].
#[derive(Clone, Debug, PartialEq)]
pub struct EventScore<'a> {
    pub overall: DetectionCounts,
    /// Per label appearing in either list.
    pub per_class: BTreeMap<&'a str, DetectionCounts>,
    /// Unmatched reference–estimate pairs that match in time but not in label.
    pub substitutions: usize,
    /// `(reference index, estimated index)` of every true positive, sorted.
    pub matches: Vec<(usize, usize)>,
    /// `(reference index, estimated index)` of every substitution.
    pub substituted: Vec<(usize, usize)>,
}

impl EventScore<'_> {
    /// Estimated events that are neither true positives nor substitutions (sed_eval's overall
    /// `Nfp`).
    pub fn insertions(&self) -> usize {
        self.overall.false_positives().saturating_sub(self.substitutions)
    }

    /// Reference events that are neither found nor substituted (sed_eval's overall `Nfn`).
    pub fn deletions(&self) -> usize {
        self.overall.false_negatives().saturating_sub(self.substitutions)
    }
}

/// Event-based detection scores of `estimated` against `reference`; see the module
/// documentation for the definitions. Events with NaN times never match.
pub fn event_based_scores<'a>(
    reference: &[Event<'a>],
    estimated: &[Event<'a>],
    tolerance: &EventTolerance,
) -> EventScore<'a> {
    let qualifies = |r: &Event<'_>, e: &Event<'_>| r.label == e.label && tolerance.times_match(r, e);
    let mut matches: Vec<(usize, usize)> = match tolerance.matching {
        EventMatching::Greedy => {
            let mut taken = vec![false; estimated.len()];
            let mut matches = Vec::new();
            for (ri, r) in reference.iter().enumerate() {
                if let Some(ei) = (0..estimated.len()).find(|&ei| !taken[ei] && qualifies(r, &estimated[ei])) {
                    taken[ei] = true;
                    matches.push((ri, ei));
                }
            }
            matches
        }
        EventMatching::Optimal => {
            // Every qualifying pair is worth the same for the count; the closeness weight only
            // chooses, among maximum matchings, the one with the smallest boundary errors.
            let mut candidates = Vec::new();
            for (ri, r) in reference.iter().enumerate() {
                for (ei, e) in estimated.iter().enumerate() {
                    if qualifies(r, e) {
                        let error = (r.onset - e.onset).abs() + (r.offset - e.offset).abs();
                        let closeness = if error.is_finite() { 1.0 / (1.0 + error) } else { f64::MIN_POSITIVE };
                        candidates.push((ri, ei, closeness));
                    }
                }
            }
            match_pairs(reference.len(), estimated.len(), &candidates, 0.0, Objective::MaxPairsThenSimilarity)
                .into_iter()
                .map(|m| (m.row, m.col))
                .collect()
        }
    };
    sort_unstable(&mut matches);

    let mut ref_matched = vec![false; reference.len()];
    let mut est_matched = vec![false; estimated.len()];
    for &(ri, ei) in &matches {
        ref_matched[ri] = true;
        est_matched[ei] = true;
    }
    // sed_eval's substitution pass: leftover references in order, each taking the first
    // leftover estimate that matches in time.
    let mut substituted = Vec::new();
    let mut est_counted = est_matched.clone();
    for (ri, r) in reference.iter().enumerate().filter(|(ri, _)| !ref_matched[*ri]) {
        if let Some(ei) = (0..estimated.len()).find(|&ei| !est_counted[ei] && tolerance.times_match(r, &estimated[ei]))
        {
            est_counted[ei] = true;
            substituted.push((ri, ei));
        }
    }

    let mut per_class: BTreeMap<&'a str, DetectionCounts> = BTreeMap::new();
    for r in reference {
        per_class.entry(r.label).or_default().reference += 1;
    }
    for e in estimated {
        per_class.entry(e.label).or_default().estimated += 1;
    }
    for &(ri, _) in &matches {
        per_class.entry(reference[ri].label).or_default().true_positives += 1;
    }
    EventScore {
        overall: DetectionCounts {
            reference: reference.len(),
            estimated: estimated.len(),
            true_positives: matches.len(),
        },
        per_class,
        substitutions: substituted.len(),
        matches,
        substituted,
    }
}

/// Temporal IoU of two half-open time ranges `[start, end)` in seconds, in [0, 1]. Reversed,
/// empty or non-finite ranges: 0.
pub fn temporal_iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let valid = |(s, e): (f64, f64)| s.is_finite() && e.is_finite() && s < e;
    if !valid(a) || !valid(b) {
        return 0.0;
    }
    let inter = a.1.min(b.1) - a.0.max(b.0);
    if inter <= 0.0 || inter.is_nan() {
        return 0.0;
    }
    let union = a.1.max(b.1) - a.0.min(b.0);
    clamp_ordered(inter / union, 0.0, 1.0)
}

/// Temporal IoU of two inclusive frame ranges `[start_frame, end_frame]` (as
/// [`crate::RegionValue::VideoSegment`]), counting frames: `[0, 9]` and `[5, 14]` share 5 of
/// 15 frames. A reversed range (start after end) scores 0.
pub fn frame_iou(a: (u32, u32), b: (u32, u32)) -> f64 {
    if a.0 > a.1 || b.0 > b.1 {
        return 0.0;
    }
    let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
    if lo > hi {
        return 0.0;
    }
    let inter = u64::from(hi - lo) + 1;
    let union = u64::from(a.1.max(b.1) - a.0.min(b.0)) + 1;
    inter as f64 / union as f64
}

/// A labelled inclusive frame range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameSegment<'a> {
    pub start_frame: u32,
    pub end_frame: u32,
    pub label: &'a str,
}

/// Optimal one-to-one matching of gold (rows) and annotated (columns) video segments of the
/// same label by [`frame_iou`], pairs below `min_iou` left unmatched (see [`crate::matching`]).
pub fn match_frame_segments(gold: &[FrameSegment<'_>], annotated: &[FrameSegment<'_>], min_iou: f64) -> Vec<Match> {
    match_dense(
        gold.len(),
        annotated.len(),
        |g, a| {
            let (g, a) = (&gold[g], &annotated[a]);
            if g.label == a.label {
                frame_iou((g.start_frame, g.end_frame), (a.start_frame, a.end_frame))
            } else {
                0.0
            }
        },
        min_iou,
        Objective::MaxTotalSimilarity,
    )
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ev(onset: f64, offset: f64, label: &str) -> Event<'_> {
        Event { onset, offset, label }
    }

    #[test]
    fn worked_example_with_a_substitution() {
        // Reference: dog [0, 1], dog [2, 4], cat [5, 6].
        // Estimated: dog [0.1, 1.15] — onset off by 0.1 ≤ 0.2, offset by 0.15 ≤ max(0.2, 0.5):
        //            a hit for the first dog;
        //            dog [2.3, 4] — onset off by 0.3 > 0.2: no hit;
        //            dog [5, 6] — the cat's times with the wrong label: a substitution.
        // TP 1 of 3 either way: precision = recall = F1 = 1/3; insertions 1, deletions 1.
        let reference = [ev(0.0, 1.0, "dog"), ev(2.0, 4.0, "dog"), ev(5.0, 6.0, "cat")];
        let estimated = [ev(0.1, 1.15, "dog"), ev(2.3, 4.0, "dog"), ev(5.0, 6.0, "dog")];
        for matching in [EventMatching::Optimal, EventMatching::Greedy] {
            let tolerance = EventTolerance { matching, ..EventTolerance::default() };
            let score = event_based_scores(&reference, &estimated, &tolerance);
            assert_eq!(score.matches, [(0, 0)]);
            assert_eq!(score.substituted, [(2, 2)]);
            assert_eq!((score.insertions(), score.deletions()), (1, 1));
            assert_eq!(score.overall.precision(), Some(1.0 / 3.0));
            assert_eq!(score.overall.f1(), 1.0 / 3.0);
            assert_eq!(score.per_class["dog"], DetectionCounts { reference: 2, estimated: 3, true_positives: 1 });
            assert_eq!(score.per_class["cat"], DetectionCounts { reference: 1, estimated: 0, true_positives: 0 });
            assert_eq!(score.per_class["cat"].precision(), None);
        }
    }

    #[test]
    fn greedy_takes_the_first_qualifying_estimate_optimal_finds_more() {
        // E1 = [0.15, 1] qualifies for R1 = [0, 1] and R2 = [0.3, 1]; E2 = [−0.1, 1] only for R1
        // (onset 0.4 from R2). Greedy: R1 takes E1 (first in order), R2 has nothing left: TP 1.
        // Optimal: R1–E2 and R2–E1: TP 2.
        let reference = [ev(0.0, 1.0, "x"), ev(0.3, 1.0, "x")];
        let estimated = [ev(0.15, 1.0, "x"), ev(-0.1, 1.0, "x")];
        let greedy = EventTolerance { matching: EventMatching::Greedy, ..EventTolerance::default() };
        assert_eq!(event_based_scores(&reference, &estimated, &greedy).matches, [(0, 0)]);
        let optimal = EventTolerance::default();
        assert_eq!(event_based_scores(&reference, &estimated, &optimal).matches, [(0, 1), (1, 0)]);
    }

    #[test]
    fn offset_condition_scales_with_length() {
        // A 10 s reference event tolerates an offset error of max(0.2, 0.5 · 10) = 5 s.
        let tolerance = EventTolerance::default();
        let r = ev(0.0, 10.0, "x");
        assert!(tolerance.times_match(&r, &ev(0.0, 14.0, "x")));
        assert!(tolerance.times_match(&r, &ev(0.0, 15.0, "x")));
        assert!(!tolerance.times_match(&r, &ev(0.0, 15.5, "x")));
        let onset_only = EventTolerance { evaluate_offset: false, ..tolerance };
        assert!(onset_only.times_match(&r, &ev(0.1, 100.0, "x")));
        assert!(!tolerance.times_match(&r, &ev(f64::NAN, 10.0, "x")));
    }

    #[test]
    fn empty_lists() {
        let none: [Event<'_>; 0] = [];
        let score = event_based_scores(&none, &none, &EventTolerance::default());
        assert_eq!((score.overall.f1(), score.overall.precision(), score.overall.recall()), (1.0, None, None));
        let score = event_based_scores(&[ev(0.0, 1.0, "x")], &none, &EventTolerance::default());
        assert_eq!((score.overall.f1(), score.overall.recall()), (0.0, Some(0.0)));
    }

    #[test]
    fn temporal_iou_worked_examples() {
        // [0, 2) and [1, 4): overlap 1 s of 4 s.
        assert_eq!(temporal_iou((0.0, 2.0), (1.0, 4.0)), 0.25);
        assert_eq!(temporal_iou((0.0, 2.0), (2.0, 4.0)), 0.0);
        assert_eq!(temporal_iou((0.0, f64::NAN), (0.0, 1.0)), 0.0);
        // Frames [0, 9] and [5, 14]: frames 5–9 (5) of 0–14 (15).
        assert_eq!(frame_iou((0, 9), (5, 14)), 1.0 / 3.0);
        assert_eq!(frame_iou((3, 3), (3, 3)), 1.0);
        assert_eq!(frame_iou((0, u32::MAX), (0, u32::MAX)), 1.0);
        assert_eq!(frame_iou((5, 1), (0, 9)), 0.0);
        let gold = [FrameSegment { start_frame: 0, end_frame: 9, label: "goal" }];
        let annotated = [
            FrameSegment { start_frame: 0, end_frame: 9, label: "foul" },
            FrameSegment { start_frame: 2, end_frame: 9, label: "goal" },
        ];
        let m = match_frame_segments(&gold, &annotated, 0.5);
        assert_eq!(m, [Match { row: 0, col: 1, similarity: 0.8 }]);
    }

    fn time() -> impl Strategy<Value = f64> {
        prop_oneof![8 => (0i32..40).prop_map(|t| f64::from(t) / 4.0), 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)]
    }

    fn events() -> impl Strategy<Value = Vec<(f64, f64, u8)>> {
        proptest::collection::vec((time(), time(), 0u8..3), 0..7)
    }

    proptest! {
        #[test]
        fn optimal_finds_at_least_as_many_as_greedy_and_counts_add_up(r in events(), e in events()) {
            const LABELS: [&str; 3] = ["a", "b", "c"];
            let to_events = |v: &[(f64, f64, u8)]| -> Vec<Event<'static>> {
                v.iter().map(|&(a, b, l)| Event { onset: a.min(b), offset: a.max(b), label: LABELS[usize::from(l)] }).collect()
            };
            let (reference, estimated) = (to_events(&r), to_events(&e));
            let optimal = event_based_scores(&reference, &estimated, &EventTolerance::default());
            let greedy_tolerance = EventTolerance { matching: EventMatching::Greedy, ..EventTolerance::default() };
            let greedy = event_based_scores(&reference, &estimated, &greedy_tolerance);
            prop_assert!(optimal.overall.true_positives >= greedy.overall.true_positives);
            for score in [&optimal, &greedy] {
                let tp: usize = score.per_class.values().map(|c| c.true_positives).sum();
                prop_assert_eq!(tp, score.overall.true_positives);
                prop_assert!((0.0..=1.0).contains(&score.overall.f1()));
                prop_assert_eq!(
                    score.overall.true_positives + score.substitutions + score.deletions(),
                    reference.len()
                );
            }
        }
    }
}
