//! Agreement on structured annotations, judged by the QA engine's own matchers: text spans
//! (exact or overlapping), boxes (IoU matching) and time segments (onset/offset collar).
//!
//! For every pair of annotators, over the items both annotated, regions are paired one-to-one
//! by `annoqa_core::score::staged` — the staged matcher gold scoring uses, with the same
//! candidate searches (1-D sweep for spans, grid for boxes) — counting its stage-1 pairs (same
//! label, within tolerance), and
//! F1 = 2·matched / (regions of A + regions of B), which is symmetric, so it needs no reference
//! annotator. Two empty annotations of an item agree. A region counts only with the same label.
//!
//! Input is per item, per annotator: `Some(regions)` when the annotator did the item (possibly
//! finding nothing), `None` when not.

use annoqa_core::events::{temporal_iou, Event, EventMatching, EventTolerance};
use annoqa_core::matching::Objective;
use annoqa_core::score::staged::{box_candidates, dense_candidates, range_candidates, staged_match, Stage, Staged};
use annoqa_core::BoxGeometry;
use serde::Serialize;

use crate::StatsError;

/// A labelled text span `[start, end)` in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: u32,
}

/// When two spans count as the same.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpanMatch {
    /// Same start, end and label.
    Exact,
    /// Same label and character IoU of at least `min_iou` (any overlap when 0).
    Overlap { min_iou: f64 },
}

/// A labelled box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelledBox {
    pub geometry: BoxGeometry,
    pub label: u32,
}

/// A labelled time segment in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub onset: f64,
    pub offset: f64,
    pub label: u32,
}

/// The agreement of one pair of annotators.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairAgreement {
    pub a: usize,
    pub b: usize,
    /// Items both annotated.
    pub items: usize,
    pub regions_a: usize,
    pub regions_b: usize,
    pub matched: usize,
    /// `2·matched / (regions_a + regions_b)`; 1 when both found nothing; `None` without shared
    /// items.
    pub f1: Option<f64>,
    /// Boxes only: mean IoU of the matched pairs (`None` without a match).
    pub mean_iou: Option<f64>,
}

/// Pairwise agreement and its summaries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StructuredAgreement {
    pub annotators: usize,
    pub pairs: Vec<PairAgreement>,
    /// Mean of the defined pairwise F1 values.
    pub mean_f1: Option<f64>,
    /// Boxes only: mean IoU over all matched pairs of all annotator pairs.
    pub mean_iou: Option<f64>,
}

/// One item's matching: matched pairs and the sum of their similarities.
struct ItemMatch {
    matched: usize,
    similarity: f64,
}

impl ItemMatch {
    fn of(staged: &Staged) -> ItemMatch {
        let matched = staged.pairs.iter().filter(|p| p.stage == Stage::Matched);
        ItemMatch { matched: staged.matched(), similarity: matched.map(|p| p.similarity).sum() }
    }
}

fn span_labels(spans: &[Span]) -> Vec<u32> {
    spans.iter().map(|s| s.label).collect()
}

fn pairwise<T>(
    items: &[Vec<Option<Vec<T>>>],
    annotators: usize,
    mut match_item: impl FnMut(&[T], &[T]) -> ItemMatch,
    report_iou: bool,
) -> Result<StructuredAgreement, StatsError> {
    if annotators < 2 {
        return Err(StatsError::TooFewCoders(annotators));
    }
    if let Some(row) = items.iter().find(|row| row.len() != annotators) {
        return Err(StatsError::WrongLength { expected: annotators, got: row.len() });
    }
    let mut pairs = Vec::new();
    let (mut all_matched, mut all_similarity) = (0usize, 0.0);
    for a in 0..annotators {
        for b in a + 1..annotators {
            let mut pair =
                PairAgreement { a, b, items: 0, regions_a: 0, regions_b: 0, matched: 0, f1: None, mean_iou: None };
            let mut similarity = 0.0;
            for row in items {
                if let (Some(ra), Some(rb)) = (&row[a], &row[b]) {
                    pair.items += 1;
                    pair.regions_a += ra.len();
                    pair.regions_b += rb.len();
                    let m = match_item(ra, rb);
                    pair.matched += m.matched;
                    similarity += m.similarity;
                }
            }
            if pair.items > 0 {
                let total = pair.regions_a + pair.regions_b;
                pair.f1 = Some(if total == 0 { 1.0 } else { 2.0 * pair.matched as f64 / total as f64 });
            }
            if report_iou && pair.matched > 0 {
                pair.mean_iou = Some(similarity / pair.matched as f64);
            }
            all_matched += pair.matched;
            all_similarity += similarity;
            pairs.push(pair);
        }
    }
    let defined: Vec<f64> = pairs.iter().filter_map(|p| p.f1).collect();
    let mean_f1 = (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64);
    let mean_iou = (report_iou && all_matched > 0).then(|| all_similarity / all_matched as f64);
    Ok(StructuredAgreement { annotators, pairs, mean_f1, mean_iou })
}

/// Span-level pairwise F1. `Overlap` pairs spans by the optimal matching that maximises the
/// number of pairs, then their total IoU.
pub fn span_agreement(
    items: &[Vec<Option<Vec<Span>>>],
    annotators: usize,
    mode: SpanMatch,
) -> Result<StructuredAgreement, StatsError> {
    if let SpanMatch::Overlap { min_iou } = mode {
        if !(0.0..=1.0).contains(&min_iou) {
            return Err(StatsError::InvalidArgument(format!("span IoU threshold {min_iou} is not in [0, 1]")));
        }
    }
    let match_item = |a: &[Span], b: &[Span]| -> ItemMatch {
        let ranges = |s: &[Span]| -> Vec<(f64, f64)> { s.iter().map(|x| (x.start as f64, x.end as f64)).collect() };
        let accept = |i: usize, j: usize, iou: f64| match mode {
            SpanMatch::Exact => a[i].start == b[j].start && a[i].end == b[j].end,
            SpanMatch::Overlap { min_iou } => iou >= min_iou,
        };
        let candidates = range_candidates(&ranges(a), &ranges(b));
        ItemMatch::of(&staged_match(
            &span_labels(a),
            &span_labels(b),
            candidates,
            accept,
            Objective::MaxPairsThenSimilarity,
        ))
    };
    pairwise(items, annotators, match_item, false)
}

/// Box agreement: same-label boxes paired by IoU ≥ `min_iou` with the maximum total IoU (the
/// matching gold scoring of boxes uses); pairwise F1 and the mean IoU of matched pairs.
pub fn box_agreement(
    items: &[Vec<Option<Vec<LabelledBox>>>],
    annotators: usize,
    min_iou: f64,
) -> Result<StructuredAgreement, StatsError> {
    if !(min_iou > 0.0 && min_iou <= 1.0) {
        return Err(StatsError::InvalidArgument(format!("box IoU threshold {min_iou} is not in (0, 1]")));
    }
    let match_item = |a: &[LabelledBox], b: &[LabelledBox]| -> ItemMatch {
        let geometry = |x: &[LabelledBox]| -> Vec<(u32, BoxGeometry)> { x.iter().map(|x| (0, x.geometry)).collect() };
        let labels = |x: &[LabelledBox]| -> Vec<u32> { x.iter().map(|x| x.label).collect() };
        let candidates = box_candidates(&geometry(a), &geometry(b));
        ItemMatch::of(&staged_match(
            &labels(a),
            &labels(b),
            candidates,
            |_, _, iou| iou >= min_iou,
            Objective::MaxTotalSimilarity,
        ))
    };
    pairwise(items, annotators, match_item, true)
}

/// Segment agreement: same-label segments pair when both onsets and both offsets lie within
/// `collar_ms` milliseconds of each other (sed_eval's event-based matching with
/// `percentage_of_length` 0, which makes it symmetric), as many pairs as possible.
pub fn segment_agreement(
    items: &[Vec<Option<Vec<Segment>>>],
    annotators: usize,
    collar_ms: f64,
) -> Result<StructuredAgreement, StatsError> {
    if !(collar_ms.is_finite() && collar_ms >= 0.0) {
        return Err(StatsError::InvalidArgument(format!("collar {collar_ms} ms is not a non-negative number")));
    }
    let tolerance = EventTolerance {
        t_collar: collar_ms / 1000.0,
        percentage_of_length: 0.0,
        evaluate_onset: true,
        evaluate_offset: true,
        matching: EventMatching::Optimal,
    };
    let match_item = |a: &[Segment], b: &[Segment]| -> ItemMatch {
        // Labels are compared by the matcher's stages; the collar test ignores them.
        let event = |x: &Segment| Event { onset: x.onset, offset: x.offset, label: "" };
        let times_match = |i: usize, j: usize| tolerance.times_match(&event(&a[i]), &event(&b[j]));
        // A pair that meets the collars is a candidate even when the segments do not overlap.
        let candidates = dense_candidates(a.len(), b.len(), |i, j| {
            if times_match(i, j) {
                temporal_iou((a[i].onset, a[i].offset), (b[j].onset, b[j].offset)).max(f64::MIN_POSITIVE)
            } else {
                0.0
            }
        });
        let labels = |x: &[Segment]| -> Vec<u32> { x.iter().map(|x| x.label).collect() };
        let staged = staged_match(
            &labels(a),
            &labels(b),
            candidates,
            |i, j, _| times_match(i, j),
            Objective::MaxPairsThenSimilarity,
        );
        ItemMatch { matched: staged.matched(), similarity: 0.0 }
    };
    pairwise(items, annotators, match_item, false)
}
