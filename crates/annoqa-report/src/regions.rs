//! Spans, boxes and segments: pairwise agreement through `annoqa_stats::structured` (the QA
//! engine's staged matcher), and box consensus through `annoqa_stats::boxes`.
//!
//! The structured functions take a dense items × annotators table. The report calls them one
//! item at a time with only that item's annotators and adds the pairs' counts up, which gives
//! the same pairwise numbers (every count is a sum over items) in time and memory linear in the
//! answers, however many annotators the export has. The matcher runs on one label's regions at a
//! time: its first stage pairs only regions of the same label, so an item's matching is the union
//! of its labels' matchings, which gives the per-label numbers for free.

use std::collections::BTreeMap;

use annoqa_stats::boxes::{box_consensus, AnnotatedBox};
use annoqa_stats::structured::{
    box_agreement, segment_agreement, span_agreement, LabelledBox, Segment, Span, SpanMatch, StructuredAgreement,
};
use annoqa_stats::StatsError;

use crate::names::{ItemValue, Names};
use crate::report::{BoxConsensusSummary, LabelAgreement, RegionAgreement, RegionPair};

/// One control's regions, by item: `(annotator, region)`.
pub(crate) struct RegionData<T> {
    by_item: Vec<Vec<(u32, T)>>,
}

impl<T> Default for RegionData<T> {
    fn default() -> Self {
        RegionData { by_item: Vec::new() }
    }
}

impl<T> RegionData<T> {
    pub(crate) fn add(&mut self, item: u32, annotator: u32, region: T) {
        let item = item as usize;
        if self.by_item.len() <= item {
            self.by_item.resize_with(item + 1, Vec::new);
        }
        self.by_item[item].push((annotator, region));
    }
}

/// How regions pair, from the control's tolerance.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RegionMeasure {
    Spans(SpanMatch),
    /// Boxes pair at this IoU or more.
    Boxes(f64),
    /// Segments pair when onsets and offsets are within this many milliseconds.
    Segments(f64),
}

impl RegionMeasure {
    fn words(self) -> String {
        match self {
            RegionMeasure::Spans(SpanMatch::Exact) => "same label, same start and end".to_owned(),
            RegionMeasure::Spans(SpanMatch::Overlap { min_iou }) => format!("same label, character IoU ≥ {min_iou}"),
            RegionMeasure::Boxes(min_iou) => format!("same label, IoU ≥ {min_iou}"),
            RegionMeasure::Segments(collar) => format!("same label, onset and offset within {collar} ms"),
        }
    }
}

/// A region kind the structured agreement measures.
pub(crate) trait Measured: Copy {
    fn label(&self) -> u32;
    fn measure(
        rows: &[Vec<Option<Vec<Self>>>],
        annotators: usize,
        how: RegionMeasure,
    ) -> Result<StructuredAgreement, StatsError>;
    /// Boxes take part in box consensus.
    fn as_box(&self) -> Option<LabelledBox> {
        None
    }
}

fn mismatch() -> StatsError {
    StatsError::InvalidArgument("the control's measure does not fit its regions".to_owned())
}

impl Measured for Span {
    fn label(&self) -> u32 {
        self.label
    }
    fn measure(
        rows: &[Vec<Option<Vec<Self>>>],
        n: usize,
        how: RegionMeasure,
    ) -> Result<StructuredAgreement, StatsError> {
        let RegionMeasure::Spans(mode) = how else { return Err(mismatch()) };
        span_agreement(rows, n, mode)
    }
}

impl Measured for LabelledBox {
    fn label(&self) -> u32 {
        self.label
    }
    fn measure(
        rows: &[Vec<Option<Vec<Self>>>],
        n: usize,
        how: RegionMeasure,
    ) -> Result<StructuredAgreement, StatsError> {
        let RegionMeasure::Boxes(min_iou) = how else { return Err(mismatch()) };
        box_agreement(rows, n, min_iou)
    }
    fn as_box(&self) -> Option<LabelledBox> {
        Some(*self)
    }
}

impl Measured for Segment {
    fn label(&self) -> u32 {
        self.label
    }
    fn measure(
        rows: &[Vec<Option<Vec<Self>>>],
        n: usize,
        how: RegionMeasure,
    ) -> Result<StructuredAgreement, StatsError> {
        let RegionMeasure::Segments(collar) = how else { return Err(mismatch()) };
        segment_agreement(rows, n, collar)
    }
}

/// Sums of one pair of annotators over the items they shared.
#[derive(Default, Clone, Copy)]
struct PairSums {
    items: usize,
    regions_a: usize,
    regions_b: usize,
    matched: usize,
    /// Sum of the matched pairs' IoU (boxes).
    similarity: f64,
}

/// Box consensus counts over all items.
#[derive(Default)]
struct ConsensusSums {
    objects: usize,
    unanimous: usize,
    majority: usize,
    single: usize,
    by_support: Vec<usize>,
    member_iou: f64,
    shared_objects: usize,
}

/// What a region control contributes to the report.
pub(crate) struct RegionOutcome {
    pub(crate) agreement: RegionAgreement,
    pub(crate) shared_items: usize,
    pub(crate) item_values: Vec<ItemValue>,
    pub(crate) peer: Vec<Option<f64>>,
}

/// The running sums of [`finish_regions`] over a range of items.
struct Sums {
    pairs: BTreeMap<(u32, u32), PairSums>,
    /// Per label: (matched, regions of both sides).
    labels: Vec<(usize, usize)>,
    /// Per annotator: (matched, regions of both sides, pairs).
    peer: Vec<(usize, usize, usize)>,
    consensus: ConsensusSums,
    item_values: Vec<ItemValue>,
    failures: Vec<String>,
}

impl Sums {
    fn new(labels: usize, annotators: usize) -> Sums {
        Sums {
            pairs: BTreeMap::new(),
            labels: vec![(0, 0); labels],
            peer: vec![(0, 0, 0); annotators],
            consensus: ConsensusSums::default(),
            item_values: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Adds the sums of the items after this range's.
    fn merge(&mut self, later: Sums) {
        for (key, p) in later.pairs {
            let ours = self.pairs.entry(key).or_default();
            ours.items += p.items;
            ours.regions_a += p.regions_a;
            ours.regions_b += p.regions_b;
            ours.matched += p.matched;
            ours.similarity += p.similarity;
        }
        for (ours, theirs) in self.labels.iter_mut().zip(later.labels) {
            *ours = (ours.0 + theirs.0, ours.1 + theirs.1);
        }
        for (ours, theirs) in self.peer.iter_mut().zip(later.peer) {
            *ours = (ours.0 + theirs.0, ours.1 + theirs.1, ours.2 + theirs.2);
        }
        let (c, theirs) = (&mut self.consensus, later.consensus);
        c.objects += theirs.objects;
        c.unanimous += theirs.unanimous;
        c.majority += theirs.majority;
        c.single += theirs.single;
        if c.by_support.len() < theirs.by_support.len() {
            c.by_support.resize(theirs.by_support.len(), 0);
        }
        for (ours, n) in c.by_support.iter_mut().zip(theirs.by_support) {
            *ours += n;
        }
        c.member_iou += theirs.member_iou;
        c.shared_objects += theirs.shared_objects;
        self.item_values.extend(later.item_values);
        for failure in later.failures {
            if self.failures.len() < 3 {
                self.failures.push(failure);
            }
        }
    }
}

/// Items are cut into this many ranges whatever the thread count, and the ranges' sums added
/// in order, so threads never change a bit of the result.
const RANGES: usize = 64;

#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_regions<T: Measured + Send + Sync>(
    data: &RegionData<T>,
    item_annotators: &[Vec<u32>],
    labels: &[String],
    annotators: &Names,
    how: RegionMeasure,
    threads: usize,
) -> RegionOutcome {
    let items = item_annotators.len();
    let step = items.div_ceil(RANGES).max(1);
    let ranges: Vec<std::ops::Range<usize>> = (0..items).step_by(step).map(|s| s..(s + step).min(items)).collect();
    let run = |range: std::ops::Range<usize>| -> Sums {
        let mut sums = Sums::new(labels.len(), annotators.len());
        let empty: Vec<(u32, T)> = Vec::new();
        for item in range {
            let who = &item_annotators[item];
            if who.len() < 2 {
                continue;
            }
            let mut who = who.clone();
            who.sort_unstable();
            let regions = data.by_item.get(item).unwrap_or(&empty);
            add_item(&mut sums, u32::try_from(item).unwrap_or(u32::MAX), &who, regions, how);
        }
        sums
    };
    let partials: Vec<Sums> = if threads > 1 && ranges.len() > 1 {
        // Worker w takes ranges w, w + threads, …; results go back to their range's place.
        let workers = threads.min(ranges.len());
        let mut slots: Vec<Option<Sums>> = (0..ranges.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let mine: Vec<(usize, std::ops::Range<usize>)> =
                        ranges.iter().cloned().enumerate().skip(w).step_by(workers).collect();
                    scope.spawn(move || mine.into_iter().map(|(i, r)| (i, run(r))).collect::<Vec<_>>())
                })
                .collect();
            for handle in handles {
                match handle.join() {
                    Ok(done) => done.into_iter().for_each(|(i, sums)| slots[i] = Some(sums)),
                    // As if the work had run on this thread.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        slots.into_iter().flatten().collect()
    } else {
        ranges.into_iter().map(run).collect()
    };
    let mut sums = Sums::new(labels.len(), annotators.len());
    for partial in partials {
        sums.merge(partial);
    }
    let mut counts = vec![0usize; labels.len()];
    for (_, region) in data.by_item.iter().flatten() {
        if let Some(n) = counts.get_mut(region.label() as usize) {
            *n += 1;
        }
    }
    summarise(sums, labels, &counts, annotators, how)
}

/// One item's pairs, labels and consensus, added to the sums. The matcher runs once per label
/// present: its first stage pairs only regions of one label, so the item's matching is the union
/// of the labels' matchings, and the item's counts are their sums.
fn add_item<T: Measured>(sums: &mut Sums, item: u32, who: &[u32], regions: &[(u32, T)], how: RegionMeasure) {
    let mut present: Vec<u32> = regions.iter().map(|(_, r)| r.label()).collect();
    present.sort_unstable();
    present.dedup();
    let mut item_pairs: Vec<PairSums> = vec![PairSums::default(); who.len() * who.len().saturating_sub(1) / 2];
    for &label in &present {
        let row: Vec<Option<Vec<T>>> = who
            .iter()
            .map(|a| Some(regions.iter().filter(|(w, r)| w == a && r.label() == label).map(|(_, r)| *r).collect()))
            .collect();
        let result = match T::measure(std::slice::from_ref(&row), who.len(), how) {
            Ok(result) => result,
            Err(e) => {
                if sums.failures.len() < 3 {
                    sums.failures.push(e.to_string());
                }
                return;
            }
        };
        let (mut matched, mut total) = (0, 0);
        for (slot, pair) in item_pairs.iter_mut().zip(&result.pairs) {
            slot.regions_a += pair.regions_a;
            slot.regions_b += pair.regions_b;
            slot.matched += pair.matched;
            slot.similarity += pair.mean_iou.unwrap_or(0.0) * pair.matched as f64;
            matched += pair.matched;
            total += pair.regions_a + pair.regions_b;
        }
        if let Some(slot) = sums.labels.get_mut(label as usize) {
            slot.0 += matched;
            slot.1 += total;
        }
    }
    // Pairs in the structured functions' order: (0, 1), (0, 2), …, (1, 2), …
    let pairs = (0..who.len()).flat_map(|a| (a + 1..who.len()).map(move |b| (a, b)));
    let (mut matched, mut total) = (0usize, 0usize);
    for ((a, b), p) in pairs.zip(&item_pairs) {
        let (a, b) = (who[a], who[b]);
        let ours = sums.pairs.entry((a, b)).or_default();
        ours.items += 1;
        ours.regions_a += p.regions_a;
        ours.regions_b += p.regions_b;
        ours.matched += p.matched;
        ours.similarity += p.similarity;
        for w in [a, b] {
            if let Some(peer) = sums.peer.get_mut(w as usize) {
                *peer = (peer.0 + p.matched, peer.1 + p.regions_a + p.regions_b, peer.2 + 1);
            }
        }
        matched += p.matched;
        total += p.regions_a + p.regions_b;
    }
    sums.item_values.push((item, who.len(), f1(matched, total)));
    if let RegionMeasure::Boxes(threshold) = how {
        add_consensus(&mut sums.consensus, who.len(), regions, threshold);
    }
}

fn add_consensus<T: Measured>(sums: &mut ConsensusSums, annotators: usize, regions: &[(u32, T)], threshold: f64) {
    let boxes: Vec<AnnotatedBox> = regions
        .iter()
        .filter_map(|(a, r)| r.as_box().map(|b| AnnotatedBox { annotator: *a, geometry: b.geometry, label: b.label }))
        .collect();
    let Ok(objects) = box_consensus(&boxes, threshold) else { return };
    if sums.by_support.len() < annotators {
        sums.by_support.resize(annotators, 0);
    }
    for object in objects {
        let support = object.support;
        sums.objects += 1;
        if let Some(n) = sums.by_support.get_mut(support.saturating_sub(1)) {
            *n += 1;
        }
        sums.unanimous += usize::from(support == annotators);
        sums.majority += usize::from(2 * support > annotators);
        sums.single += usize::from(support == 1);
        if support >= 2 {
            sums.member_iou += object.mean_iou;
            sums.shared_objects += 1;
        }
    }
}

/// `2·matched / regions`, 1 when neither side drew anything.
fn f1(matched: usize, regions: usize) -> f64 {
    if regions == 0 {
        1.0
    } else {
        2.0 * matched as f64 / regions as f64
    }
}

fn summarise(sums: Sums, labels: &[String], counts: &[usize], annotators: &Names, how: RegionMeasure) -> RegionOutcome {
    let boxes = matches!(how, RegionMeasure::Boxes(_));
    let pairs: Vec<RegionPair> = sums
        .pairs
        .iter()
        .map(|(&(a, b), p)| RegionPair {
            a: annotators.name(a).to_owned(),
            b: annotators.name(b).to_owned(),
            items: p.items,
            regions_a: p.regions_a,
            regions_b: p.regions_b,
            matched: p.matched,
            f1: (p.items > 0).then(|| f1(p.matched, p.regions_a + p.regions_b)),
            mean_iou: (boxes && p.matched > 0).then(|| p.similarity / p.matched as f64),
        })
        .collect();
    let f1s: Vec<f64> = pairs.iter().filter_map(|p| p.f1).collect();
    let all_matched: usize = sums.pairs.values().map(|p| p.matched).sum();
    let all_similarity: f64 = sums.pairs.values().map(|p| p.similarity).sum();
    let per_label = labels
        .iter()
        .zip(&sums.labels)
        .zip(counts)
        .map(|((label, &(m, t)), &count)| LabelAgreement {
            label: label.clone(),
            count,
            value: (t > 0).then(|| f1(m, t)),
        })
        .collect();
    let c = sums.consensus;
    let consensus = boxes.then(|| BoxConsensusSummary {
        threshold: match how {
            RegionMeasure::Boxes(t) => t,
            _ => 0.0,
        },
        objects: c.objects,
        unanimous: c.unanimous,
        majority: c.majority,
        single: c.single,
        by_support: c.by_support,
        mean_member_iou: (c.shared_objects > 0).then(|| c.member_iou / c.shared_objects as f64),
    });
    let shared_items = sums.item_values.len();
    let peer = sums.peer.iter().map(|&(m, t, pairs)| (pairs > 0).then(|| f1(m, t))).collect();
    let agreement = RegionAgreement {
        matching: how.words(),
        mean_f1: (!f1s.is_empty()).then(|| f1s.iter().sum::<f64>() / f1s.len() as f64),
        mean_iou: (boxes && all_matched > 0).then(|| all_similarity / all_matched as f64),
        pairs,
        per_label,
        consensus,
        notes: sums.failures,
    };
    RegionOutcome { agreement, shared_items, item_values: sums.item_values, peer }
}
