//! The reviewer's overlay of one item: up to [`MAX_OVERLAY_ANNOTATORS`] annotators' regions
//! matched across annotators, each match group classed all-agree / majority / disagree, the
//! item's agreement, and a consensus proposal the reviewer can start a fix from.
//!
//! **Matching.** For every control and every pair of annotators, regions are paired by
//! `annoqa_core::score::staged::staged_match`, the matcher gold scoring uses, with the candidate
//! searches and tolerance defaults of `annoqa_core::score` for that kind (the first annotator of
//! the pair stands where gold stands): spans by a 1-D sweep, character IoU ≥
//! `span_min_overlap` (1) or both ends within `span_boundary_chars` (0); boxes and video boxes
//! (per frame) by the grid, IoU ≥ the label's `min_iou`, else the control's, else 0.5; polygons
//! by exact polygon IoU with the same threshold; keypoints by OKS ≥ `min_oks` (0.5); audio
//! segments by sed_eval's collars (`collar_ms` 200, `offset_length_ratio` 0.5); video segments
//! by temporal IoU ≥ `min_temporal_iou` (0.5); tracks by the IDF1 identity assignment of CLEAR
//! MOT at `min_iou`. Where gold scoring would read the gold region's label (a threshold, a κ)
//! or its length (the audio offset collar), the overlay is symmetric instead: a pair must meet
//! the stricter of the two, so the result does not depend on which annotator comes first.
//! Choices and pairwise preferences are one answer per region: any two pair up, and they agree
//! when their (sorted) labels are equal.
//!
//! **Groups.** The matcher's stage-1 pairs (same label, within tolerance) and stage-2 pairs
//! (within tolerance, another label) of all annotator pairs are joined into groups, stage-1
//! pairs first, then by similarity (IoU, OKS, …), then by position; two groups join only when
//! no annotator would appear in the result twice. Pairs outside tolerance (stage 3) join
//! nothing: a box drawn too loose is a disagreement about the object. Every region the overlay
//! can match is in exactly one group, alone if nothing paired with it.
//!
//! **Classes.** With `n` annotators shown and `top` the largest number of a group's members
//! sharing one label: `all_agree` when every annotator is in the group with the same label
//! (`top = n`), `majority` when `2·top > n`, `disagree` otherwise. With one annotator every
//! group agrees; with two there is no majority short of agreement.
//!
//! **Agreement of the item.** For each pair of annotators, `F1 = 2·matched / (regions of A +
//! regions of B)` over all matched controls, `matched` counting stage-1 pairs (1 when neither
//! has a region); the item's value is the mean over pairs, as `structured`'s `mean_f1`.
//!
//! **Proposal.** For each group with a majority (all-agree included), from its members with
//! the majority label: boxes by [`crate::boxes::box_consensus`] at the label's IoU threshold
//! (proposed when the largest cluster still holds more than half the annotators); spans,
//! audio and video segments by the lower median of each boundary, so every boundary is one an
//! annotator drew (for text, a token boundary), with the most common transcript; keypoints by
//! the coordinate-wise median; polygons by the medoid (the member with the largest total IoU
//! with the others). Choices and pairwise preferences by plurality vote over the annotators
//! who answered, no proposal on a tie. Tracks get no proposal: the reviewer starts from one
//! annotator's track.
//!
//! **Input.** Regions whose control is not in the spec, whose value is not the control's kind,
//! or whose control takes free text or a ranking (`text_area`, `ranker`: no regions to match)
//! are listed in [`Overlay::ignored`] and take part in nothing. Non-finite or empty geometry
//! pairs with nothing. More than [`MAX_OVERLAY_ANNOTATORS`] submissions are refused rather than
//! cut, so the caller decides whom to leave out.

use std::borrow::Cow;
use std::collections::HashMap;

use annoqa_core::events::{temporal_iou, Event, EventMatching, EventTolerance};
use annoqa_core::geometry::{keypoint_similarity, polygon_iou};
use annoqa_core::intervals::box_overlaps;
use annoqa_core::matching::Objective;
use annoqa_core::score::staged::{dense_candidates, range_candidates, staged_match, Candidate, Pairing, Stage};
use annoqa_core::tracking::{score_tracks, TrackedBox};
use annoqa_core::{track_frames, BoxGeometry, Control, ControlKind, Item, Media, Region, RegionValue, TaskSpec};
use serde::{Deserialize, Serialize};

use crate::boxes::{box_consensus, AnnotatedBox};
use crate::StatsError;

/// The most annotators one overlay shows (the reviewer screen's limit).
pub const MAX_OVERLAY_ANNOTATORS: usize = 5;

/// One annotator's answer to the item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Submission {
    pub annotator: String,
    pub regions: Vec<Region>,
}

/// A region of the overlay: the annotator's position in the input and the region's position in
/// that annotator's `regions` (ids come from users and may repeat), with its id for display.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OverlayRegion {
    pub annotator: usize,
    pub index: usize,
    pub id: String,
}

/// How far the annotators agree on one group; see the module documentation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AgreementClass {
    AllAgree,
    Majority,
    Disagree,
}

/// Regions of different annotators the matcher pairs: one object, span or answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegionGroup {
    pub control: String,
    /// By annotator, at most one region each.
    pub members: Vec<OverlayRegion>,
    pub class: AgreementClass,
    /// The label most members gave; `None` on a tie. Choices: their labels joined by ", ".
    pub label: Option<String>,
}

/// The agreement of two annotators on the item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AnnotatorPair {
    pub a: usize,
    pub b: usize,
    /// Regions the overlay matches (ignored regions do not count).
    pub regions_a: usize,
    pub regions_b: usize,
    /// Stage-1 pairs: same label, within tolerance.
    pub matched: usize,
    /// `2·matched / (regions_a + regions_b)`, 1 when both are 0.
    pub f1: f64,
}

/// A region of the consensus proposal and the group it comes from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProposedRegion {
    /// Index into [`Overlay::groups`].
    pub group: usize,
    /// How many annotators' regions the proposal stands for.
    pub support: usize,
    /// Ids are `consensus-1`, `consensus-2`, … in group order.
    pub region: Region,
}

/// The overlay of one item; see the module documentation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Overlay {
    pub annotators: Vec<String>,
    /// In the spec's control order, then by each group's first region.
    pub groups: Vec<RegionGroup>,
    /// Regions of unknown controls, of the wrong kind, or of free-text and ranking controls.
    pub ignored: Vec<OverlayRegion>,
    pub pairs: Vec<AnnotatorPair>,
    /// Mean pairwise F1; `None` with fewer than two annotators.
    pub agreement: Option<f64>,
    pub proposal: Vec<ProposedRegion>,
}

/// One matchable region: where it came from and its label (a choice's sorted labels) as an
/// index into the overlay's label names, so the hot loops compare integers.
struct Piece<'a> {
    annotator: usize,
    index: usize,
    region: &'a Region,
    label: u32,
}

/// The matchable regions, and the names of their labels.
struct Pieces<'a> {
    pieces: Vec<Piece<'a>>,
    labels: Vec<Cow<'a, str>>,
}

/// The regions of one control, by annotator, as indices into the overlay's pieces.
struct ControlRegions<'s> {
    control: &'s Control,
    by_annotator: Vec<Vec<usize>>,
}

/// A pair the matcher made, between pieces: stage-1 pairs sort before stage-2 pairs.
struct Edge {
    wrong_label: bool,
    similarity: f64,
    first: usize,
    second: usize,
}

/// The overlay of `submissions` of `item`; see the module documentation. Fails only when
/// there are more than [`MAX_OVERLAY_ANNOTATORS`] submissions.
pub fn overlay(spec: &TaskSpec, item: &Item, submissions: &[Submission]) -> Result<Overlay, StatsError> {
    if submissions.len() > MAX_OVERLAY_ANNOTATORS {
        return Err(StatsError::InvalidArgument(format!(
            "an overlay shows at most {MAX_OVERLAY_ANNOTATORS} annotators, got {}",
            submissions.len()
        )));
    }
    let n = submissions.len();
    let (Pieces { pieces, labels }, controls, ignored) = sort_regions(spec, submissions);
    let mut box_candidates: Vec<Vec<Vec<Candidate>>> =
        controls.iter().map(|c| box_candidates_by_pair(&pieces, c, n)).collect();
    let mut edges = Vec::new();
    let mut pairs = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let mut pair = AnnotatorPair { a, b, regions_a: 0, regions_b: 0, matched: 0, f1: 1.0 };
            for (control, boxes) in controls.iter().zip(&mut box_candidates) {
                let (left, right) = (&control.by_annotator[a], &control.by_annotator[b]);
                pair.regions_a += left.len();
                pair.regions_b += right.len();
                let found = boxes.get_mut(a * n + b).map(std::mem::take);
                for p in match_control(control.control, item, (&pieces, &labels), (left, right), found) {
                    pair.matched += usize::from(p.stage == Stage::Matched);
                    let wrong_label = match p.stage {
                        Stage::Matched => false,
                        Stage::WrongLabel => true,
                        Stage::Low => continue,
                    };
                    edges.push(Edge {
                        wrong_label,
                        similarity: p.similarity,
                        first: left[p.gold],
                        second: right[p.mine],
                    });
                }
            }
            let total = pair.regions_a + pair.regions_b;
            if total > 0 {
                pair.f1 = 2.0 * pair.matched as f64 / total as f64;
            }
            pairs.push(pair);
        }
    }
    let agreement = (!pairs.is_empty()).then(|| pairs.iter().map(|p| p.f1).sum::<f64>() / pairs.len() as f64);
    let groups = group_pieces(&pieces, &controls, edges);
    let mut overlay_groups = Vec::with_capacity(groups.len());
    let mut proposal = Vec::new();
    for (control, members) in groups {
        let (class, label) = classify(&pieces, &members, n);
        let name = label.map(|l| labels[l as usize].as_ref());
        if let Some((support, value)) = propose(control, &pieces, &members, label.zip(name), class, n) {
            let region = Region {
                id: format!("consensus-{}", proposal.len() + 1),
                control: control.name.clone(),
                value,
                attributes: Default::default(),
            };
            proposal.push(ProposedRegion { group: overlay_groups.len(), support, region });
        }
        let label = name.map(|l| l.replace(CHOICE_SEPARATOR, ", "));
        let members = members.iter().map(|&p| overlay_region(&pieces[p])).collect();
        overlay_groups.push(RegionGroup { control: control.name.clone(), members, class, label });
    }
    Ok(Overlay {
        annotators: submissions.iter().map(|s| s.annotator.clone()).collect(),
        groups: overlay_groups,
        ignored,
        pairs,
        agreement,
        proposal,
    })
}

fn overlay_region(piece: &Piece<'_>) -> OverlayRegion {
    OverlayRegion { annotator: piece.annotator, index: piece.index, id: piece.region.id.clone() }
}

/// Joins a choice's sorted labels into one comparable key; a control character, so no label
/// a person types can make two different answers look the same.
const CHOICE_SEPARATOR: char = '\u{1f}';

fn label_of(region: &Region) -> Cow<'_, str> {
    match &region.value {
        RegionValue::Choice { labels } => {
            let mut sorted: Vec<&str> = labels.iter().map(String::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            Cow::Owned(sorted.join(&CHOICE_SEPARATOR.to_string()))
        }
        RegionValue::Pairwise { choice, .. } => Cow::Owned(format!("{choice:?}")),
        other => Cow::Borrowed(other.first_label().unwrap_or("")),
    }
}

/// The matchable regions as pieces, grouped by control (in spec order) and annotator; the rest
/// as ignored.
fn sort_regions<'s, 'r>(
    spec: &'s TaskSpec,
    submissions: &'r [Submission],
) -> (Pieces<'r>, Vec<ControlRegions<'s>>, Vec<OverlayRegion>) {
    let matchable = |c: &Control| !matches!(c.kind, ControlKind::TextArea | ControlKind::Ranker { .. });
    // The first control of a name wins, as `TaskSpec::control` finds it.
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut controls: Vec<ControlRegions<'s>> = Vec::new();
    for control in spec.controls.iter().filter(|c| matchable(c)) {
        if spec.control(&control.name).is_some_and(|first| std::ptr::eq(first, control)) {
            position.insert(&control.name, controls.len());
            controls.push(ControlRegions { control, by_annotator: vec![Vec::new(); submissions.len()] });
        }
    }
    let (mut pieces, mut ignored) = (Vec::new(), Vec::new());
    let (mut labels, mut label_ids): (Vec<Cow<'r, str>>, HashMap<Cow<'r, str>, u32>) = Default::default();
    for (annotator, submission) in submissions.iter().enumerate() {
        for (index, region) in submission.regions.iter().enumerate() {
            let slot = position.get(region.control.as_str()).copied();
            match slot.filter(|&c| controls[c].control.kind.accepts(&region.value)) {
                Some(c) => {
                    controls[c].by_annotator[annotator].push(pieces.len());
                    let name = label_of(region);
                    let label = *label_ids.entry(name.clone()).or_insert_with(|| {
                        labels.push(name);
                        (labels.len() - 1) as u32
                    });
                    pieces.push(Piece { annotator, index, region, label });
                }
                None => ignored.push(OverlayRegion { annotator, index, id: region.id.clone() }),
            }
        }
    }
    (Pieces { pieces, labels }, controls, ignored)
}

/// Box candidates of every annotator pair (`a·n + b` for `a < b`) from one grid search over all
/// of a box control's regions, rather than one search per pair, and only pairs that can be
/// within tolerance (IoU at least the lowest threshold of any label): the overlay keeps only
/// the matcher's first two stages, which never look at other pairs, so its pairs are those of
/// `box_candidates` with the same IoUs in the same order (the search reports pairs sorted),
/// while dense piles of boxes cost far less. Empty for other kinds.
fn box_candidates_by_pair(pieces: &[Piece<'_>], control: &ControlRegions<'_>, n: usize) -> Vec<Vec<Candidate>> {
    if !matches!(control.control.kind, ControlKind::BBox | ControlKind::VideoBoxes) {
        return Vec::new();
    }
    // Regions in annotator order: an overlap's `first` belongs to the lower annotator.
    let mut owner = Vec::new();
    let mut framed = Vec::new();
    for (annotator, ids) in control.by_annotator.iter().enumerate() {
        for (local, &p) in ids.iter().enumerate() {
            owner.push((annotator, local));
            framed.push(framed_box(&pieces[p]));
        }
    }
    let mut by_pair = vec![Vec::new(); n * n];
    let lowest =
        control.control.labels.iter().filter_map(|l| l.min_iou).fold(iou_threshold(control.control, ""), f64::min);
    let lowest = if lowest > 0.0 { lowest } else { f64::MIN_POSITIVE };
    for o in box_overlaps(&framed, lowest) {
        let ((a, i), (b, j)) = (owner[o.first], owner[o.second]);
        if a != b {
            by_pair[a * n + b].push((i, j, o.iou));
        }
    }
    by_pair
}

/// The matcher's pairs between two annotators' regions of one control (`gold` indexes `left`,
/// `mine` indexes `right`).
/// `box_candidates`: for box controls, the pair's candidates from [`box_candidates_by_pair`].
fn match_control<'p>(
    control: &Control,
    item: &Item,
    (pieces, names): (&'p [Piece<'_>], &[Cow<'_, str>]),
    (left, right): (&[usize], &[usize]),
    box_candidates: Option<Vec<Candidate>>,
) -> Vec<Pairing> {
    if left.is_empty() || right.is_empty() {
        return Vec::new();
    }
    let side = |ids: &[usize]| -> Vec<&'p Piece<'_>> { ids.iter().map(|&i| &pieces[i]).collect() };
    let (a, b) = (side(left), side(right));
    let labels = |s: &[&'p Piece<'_>]| -> Vec<u32> { s.iter().map(|p| p.label).collect() };
    let name = |p: &Piece<'_>| names[p.label as usize].as_ref();
    let (la, lb) = (labels(&a), labels(&b));
    let tolerance = &control.tolerance;
    let staged = |candidates, accept: &dyn Fn(usize, usize, f64) -> bool, objective| {
        staged_match(&la, &lb, candidates, accept, objective).pairs
    };
    match &control.kind {
        ControlKind::Choice { .. } | ControlKind::Pairwise { .. } => {
            staged(dense_candidates(a.len(), b.len(), |_, _| 1.0), &|_, _, _| true, Objective::MaxTotalSimilarity)
        }
        ControlKind::TextSpans { .. } => {
            let min_overlap = tolerance.span_min_overlap.unwrap_or(1.0);
            let boundary = i64::from(tolerance.span_boundary_chars.unwrap_or(0));
            let (ra, rb) = (span_ranges(&a), span_ranges(&b));
            let within = |i: usize, j: usize, iou: f64| {
                let (ds, de) = (ra[i].0 - rb[j].0, ra[i].1 - rb[j].1);
                iou >= min_overlap || (ds.abs() <= boundary as f64 && de.abs() <= boundary as f64)
            };
            staged(range_candidates(&ra, &rb), &within, Objective::MaxPairsThenSimilarity)
        }
        ControlKind::BBox | ControlKind::VideoBoxes => {
            let candidates = box_candidates.unwrap_or_default();
            let needed =
                |i: usize, j: usize| iou_threshold(control, name(a[i])).max(iou_threshold(control, name(b[j])));
            staged(candidates, &|i, j, iou| iou >= needed(i, j), Objective::MaxTotalSimilarity)
        }
        ControlKind::Polygon => {
            let candidates = dense_candidates(a.len(), b.len(), |i, j| {
                polygon_iou(points(&a[i].region.value), points(&b[j].region.value))
            });
            let needed =
                |i: usize, j: usize| iou_threshold(control, name(a[i])).max(iou_threshold(control, name(b[j])));
            staged(candidates, &|i, j, iou| iou >= needed(i, j), Objective::MaxTotalSimilarity)
        }
        ControlKind::Keypoint => {
            let kappa = |i: usize, j: usize| kappa(control, name(a[i])).min(kappa(control, name(b[j])));
            keypoint_pairs(control, item, (&a, &b), (&la, &lb), &kappa)
        }
        ControlKind::AudioSegments { .. } => audio_pairs(control, &a, &b, &la, &lb),
        ControlKind::VideoSegments => {
            let (ra, rb) = (frame_ranges(&a), frame_ranges(&b));
            let min_tiou = tolerance.min_temporal_iou.unwrap_or(0.5);
            staged(range_candidates(&ra, &rb), &|_, _, tiou| tiou >= min_tiou, Objective::MaxTotalSimilarity)
        }
        ControlKind::VideoTracks => track_pairs(control, &a, &b),
        ControlKind::TextArea | ControlKind::Ranker { .. } => Vec::new(),
    }
}

/// The IoU a box or polygon of `label` needs, as gold scoring reads it.
fn iou_threshold(control: &Control, label: &str) -> f64 {
    control.label(label).and_then(|l| l.min_iou).or(control.tolerance.min_iou).unwrap_or(0.5)
}

fn span_ranges(pieces: &[&Piece<'_>]) -> Vec<(f64, f64)> {
    let range = |p: &&Piece<'_>| match p.region.value {
        RegionValue::TextSpan { start, end, .. } => (start as f64, end as f64),
        _ => (0.0, 0.0),
    };
    pieces.iter().map(range).collect()
}

/// Inclusive frame ranges as half-open `[start, end + 1)`, whose IoU is the frames' temporal IoU.
fn frame_ranges(pieces: &[&Piece<'_>]) -> Vec<(f64, f64)> {
    let range = |p: &&Piece<'_>| match p.region.value {
        RegionValue::VideoSegment { start_frame, end_frame, .. } => {
            (f64::from(start_frame), f64::from(end_frame) + 1.0)
        }
        _ => (1.0, 0.0),
    };
    pieces.iter().map(range).collect()
}

/// A box region's geometry; an empty box for other kinds (which never pair with boxes).
fn boxed(value: &RegionValue) -> BoxGeometry {
    value.box_geometry().unwrap_or(BoxGeometry::new(0.0, 0.0, 0.0, 0.0))
}

/// A box keyed by frame (0 for still images), so boxes of different frames never pair.
fn framed_box(piece: &Piece<'_>) -> (u32, BoxGeometry) {
    match &piece.region.value {
        RegionValue::VideoBox { frame, .. } => (*frame, boxed(&piece.region.value)),
        value => (0, boxed(value)),
    }
}

fn points(value: &RegionValue) -> &[[f64; 2]] {
    match value {
        RegionValue::Polygon { points, .. } => points,
        _ => &[],
    }
}

fn xy(value: &RegionValue) -> (f64, f64) {
    match value {
        RegionValue::Keypoint { x, y, .. } => (*x, *y),
        _ => (f64::NAN, f64::NAN),
    }
}

/// COCO's κ of a keypoint label, as gold scoring reads it.
fn kappa(control: &Control, label: &str) -> f64 {
    control.label(label).and_then(|l| l.kappa).unwrap_or(0.1)
}

/// Keypoints by OKS with the media's area (or `keypoint_area`); `kappa` of a pair is the
/// smaller of its labels' κ, the stricter.
fn keypoint_pairs(
    control: &Control,
    item: &Item,
    (a, b): (&[&Piece<'_>], &[&Piece<'_>]),
    (la, lb): (&[u32], &[u32]),
    kappa: &dyn Fn(usize, usize) -> f64,
) -> Vec<Pairing> {
    let media_area = match &item.media {
        Media::Image { width, height, .. } | Media::Video { width, height, .. } => {
            f64::from(*width) * f64::from(*height)
        }
        _ => 0.0,
    };
    let area = control.tolerance.keypoint_area.unwrap_or(media_area);
    let min_oks = control.tolerance.min_oks.unwrap_or(0.5);
    let candidates = dense_candidates(a.len(), b.len(), |i, j| {
        let ((ax, ay), (bx, by)) = (xy(&a[i].region.value), xy(&b[j].region.value));
        let distance_sq = (ax - bx).powi(2) + (ay - by).powi(2);
        keypoint_similarity(distance_sq, area, kappa(i, j))
    });
    staged_match(la, lb, candidates, |_, _, oks| oks >= min_oks, Objective::MaxTotalSimilarity).pairs
}

fn times(value: &RegionValue) -> (f64, f64) {
    match value {
        RegionValue::AudioSegment { start, end, .. } => (*start, *end),
        _ => (f64::NAN, f64::NAN),
    }
}

/// Audio segments by sed_eval's collars, each segment taken as the reference in turn (the
/// offset collar grows with the reference's length), as many pairs as possible.
fn audio_pairs(control: &Control, a: &[&Piece<'_>], b: &[&Piece<'_>], la: &[u32], lb: &[u32]) -> Vec<Pairing> {
    let tolerance = EventTolerance {
        t_collar: control.tolerance.collar_ms.unwrap_or(200.0) / 1000.0,
        percentage_of_length: control.tolerance.offset_length_ratio.unwrap_or(0.5),
        evaluate_onset: true,
        evaluate_offset: true,
        matching: EventMatching::Optimal,
    };
    let event = |p: &Piece<'_>| {
        let (onset, offset) = times(&p.region.value);
        Event { onset, offset, label: "" }
    };
    let times_match = |i: usize, j: usize| {
        let (x, y) = (event(a[i]), event(b[j]));
        tolerance.times_match(&x, &y) && tolerance.times_match(&y, &x)
    };
    let candidates = dense_candidates(a.len(), b.len(), |i, j| {
        // A pair within the collars is a candidate even when the segments do not overlap.
        let iou = temporal_iou(times(&a[i].region.value), times(&b[j].region.value));
        if times_match(i, j) {
            iou.max(f64::MIN_POSITIVE)
        } else {
            iou
        }
    });
    staged_match(la, lb, candidates, |i, j, _| times_match(i, j), Objective::MaxPairsThenSimilarity).pairs
}

/// Every frame's box of each track, as gold scoring expands tracks (`annoqa_core::track_frames`).
fn expand_tracks(pieces: &[&Piece<'_>]) -> Vec<TrackedBox> {
    let mut out = Vec::new();
    for (track, p) in pieces.iter().enumerate() {
        let RegionValue::VideoTrack { keyframes, .. } = &p.region.value else { continue };
        out.extend(track_frames(keyframes).map(|(frame, bbox)| TrackedBox { track, frame, bbox }));
    }
    out
}

/// Tracks pair as IDF1's identity assignment pairs them (similarity 1: the assignment is
/// already optimal); the label decides the stage.
fn track_pairs(control: &Control, a: &[&Piece<'_>], b: &[&Piece<'_>]) -> Vec<Pairing> {
    let min_iou = control.tolerance.min_iou.unwrap_or(0.5);
    let mot = score_tracks(&expand_tracks(a), &expand_tracks(b), min_iou);
    mot.id_assignment
        .into_iter()
        .filter(|&(i, j)| i < a.len() && j < b.len())
        .map(|(i, j)| Pairing {
            gold: i,
            mine: j,
            stage: if a[i].label == b[j].label { Stage::Matched } else { Stage::WrongLabel },
            similarity: 1.0,
        })
        .collect()
}

/// Groups of pieces from the matcher's pairs (see the module documentation), each with its
/// control, in control order and then by first piece.
fn group_pieces<'s>(
    pieces: &[Piece<'_>],
    controls: &[ControlRegions<'s>],
    mut edges: Vec<Edge>,
) -> Vec<(&'s Control, Vec<usize>)> {
    edges.sort_by(|x, y| {
        x.wrong_label
            .cmp(&y.wrong_label)
            .then(y.similarity.total_cmp(&x.similarity))
            .then(x.first.cmp(&y.first))
            .then(x.second.cmp(&y.second))
    });
    // Union–find over pieces; each root knows its members' annotators as a bit mask.
    let mut parent: Vec<usize> = (0..pieces.len()).collect();
    let mut annotators: Vec<u8> = pieces.iter().map(|p| 1u8 << p.annotator).collect();
    for edge in edges {
        let (r1, r2) = (root(&mut parent, edge.first), root(&mut parent, edge.second));
        if r1 != r2 && annotators[r1] & annotators[r2] == 0 {
            let (keep, gone) = (r1.min(r2), r1.max(r2));
            parent[gone] = keep;
            annotators[keep] |= annotators[gone];
        }
    }
    let mut groups = Vec::new();
    // A root's group; roots are pieces, and a group never spans two controls.
    let mut slot_of_root = vec![usize::MAX; pieces.len()];
    for control in controls {
        let first = groups.len();
        // Pieces of one control are numbered annotator by annotator, in input order.
        let mut ids: Vec<usize> = control.by_annotator.iter().flatten().copied().collect();
        ids.sort_unstable();
        for piece in ids {
            let r = root(&mut parent, piece);
            if slot_of_root[r] == usize::MAX {
                slot_of_root[r] = groups.len();
                groups.push((control.control, Vec::new()));
            }
            groups[slot_of_root[r]].1.push(piece);
        }
        for group in &mut groups[first..] {
            group.1.sort_by_key(|&p| pieces[p].annotator);
        }
    }
    groups
}

/// The root of `x` in the union–find forest, halving the path on the way.
fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The group's class and its most common label (`None` on a tie).
fn classify(pieces: &[Piece<'_>], members: &[usize], shown: usize) -> (AgreementClass, Option<u32>) {
    let (label, top) = most_common(members.iter().map(|&p| pieces[p].label));
    let class = if top == shown && members.len() == shown {
        AgreementClass::AllAgree
    } else if 2 * top > shown {
        AgreementClass::Majority
    } else {
        AgreementClass::Disagree
    };
    (class, label)
}

/// The most common value and its count; `None` (with the count) when two values tie, in the
/// first-seen order.
fn most_common<T: Copy + PartialEq>(values: impl Iterator<Item = T>) -> (Option<T>, usize) {
    let mut counts: Vec<(T, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|c| c.0 == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    let top = counts.iter().map(|c| c.1).max().unwrap_or(0);
    let mut at_top = counts.iter().filter(|c| c.1 == top);
    match (at_top.next(), at_top.next()) {
        (Some(c), None) => (Some(c.0), top),
        _ => (None, top),
    }
}

/// The proposal of one group, with its support; see the module documentation.
fn propose(
    control: &Control,
    pieces: &[Piece<'_>],
    members: &[usize],
    label: Option<(u32, &str)>,
    class: AgreementClass,
    shown: usize,
) -> Option<(usize, RegionValue)> {
    let (id, label) = label?;
    let winners: Vec<&Region> =
        members.iter().map(|&p| &pieces[p]).filter(|p| p.label == id).map(|p| p.region).collect();
    if matches!(control.kind, ControlKind::Choice { .. } | ControlKind::Pairwise { .. }) {
        // Plurality over those who answered: the group holds every answer of the control.
        return Some((winners.len(), winners[0].value.clone()));
    }
    if class == AgreementClass::Disagree {
        return None;
    }
    let value = match &control.kind {
        ControlKind::BBox | ControlKind::VideoBoxes => return box_proposal(control, &winners, label, shown),
        ControlKind::Polygon => medoid_polygon(&winners),
        ControlKind::Keypoint => {
            let x = lower_median_f64(winners.iter().map(|r| xy(&r.value).0).collect());
            let y = lower_median_f64(winners.iter().map(|r| xy(&r.value).1).collect());
            RegionValue::Keypoint { x, y, label: label.to_string() }
        }
        ControlKind::TextSpans { .. } => RegionValue::TextSpan {
            start: lower_median(winners.iter().map(|r| span_of(&r.value).0).collect()),
            end: lower_median(winners.iter().map(|r| span_of(&r.value).1).collect()),
            label: label.to_string(),
        },
        ControlKind::AudioSegments { .. } => audio_proposal(&winners, label),
        ControlKind::VideoSegments => RegionValue::VideoSegment {
            start_frame: lower_median(winners.iter().map(|r| frames_of(&r.value).0).collect()),
            end_frame: lower_median(winners.iter().map(|r| frames_of(&r.value).1).collect()),
            label: label.to_string(),
        },
        _ => return None,
    };
    sound(&value).then_some((winners.len(), value))
}

/// Whether a proposed value is one an editor can show: finite, non-empty ranges.
fn sound(value: &RegionValue) -> bool {
    match value {
        RegionValue::TextSpan { start, end, .. } => start < end,
        RegionValue::AudioSegment { start, end, .. } => start.is_finite() && end.is_finite() && start < end,
        RegionValue::VideoSegment { start_frame, end_frame, .. } => start_frame <= end_frame,
        RegionValue::Keypoint { x, y, .. } => x.is_finite() && y.is_finite(),
        RegionValue::Polygon { points, .. } => points.len() >= 3,
        _ => true,
    }
}

fn span_of(value: &RegionValue) -> (usize, usize) {
    match value {
        RegionValue::TextSpan { start, end, .. } => (*start, *end),
        _ => (0, 0),
    }
}

fn frames_of(value: &RegionValue) -> (u32, u32) {
    match value {
        RegionValue::VideoSegment { start_frame, end_frame, .. } => (*start_frame, *end_frame),
        _ => (1, 0),
    }
}

/// The lower median (the middle value, or the smaller of the two middle ones), so the result
/// is a value some annotator gave. `values` is never empty here: a group has members.
fn lower_median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// [`lower_median`] of numbers in IEEE total order: a NaN sorts last and shows only when it
/// is the median, which [`sound`] then refuses.
fn lower_median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

/// Box consensus of the group's majority-label boxes at the label's IoU threshold: the largest
/// cluster, if it still holds more than half of the annotators shown.
fn box_proposal(control: &Control, winners: &[&Region], label: &str, shown: usize) -> Option<(usize, RegionValue)> {
    let boxes: Vec<AnnotatedBox> = winners
        .iter()
        .enumerate()
        .map(|(i, r)| AnnotatedBox { annotator: i as u32, geometry: boxed(&r.value), label: 0 })
        .collect();
    let clusters = box_consensus(&boxes, iou_threshold(control, label)).ok()?;
    let best = clusters.iter().max_by(|x, y| x.support.cmp(&y.support).then(y.members[0].cmp(&x.members[0])))?;
    let g = best.geometry();
    let finite = [g.x, g.y, g.width, g.height, g.rotation].iter().all(|v| v.is_finite());
    if 2 * best.support <= shown || !finite {
        return None;
    }
    let label = label.to_string();
    let value = match &winners[best.members[0]].value {
        RegionValue::VideoBox { frame, .. } => RegionValue::VideoBox {
            frame: *frame,
            x: g.x,
            y: g.y,
            width: g.width,
            height: g.height,
            rotation: g.rotation,
            label,
        },
        _ => RegionValue::BBox { x: g.x, y: g.y, width: g.width, height: g.height, rotation: g.rotation, label },
    };
    Some((best.support, value))
}

/// The member polygon with the largest total IoU with the others (the first on a tie).
fn medoid_polygon(winners: &[&Region]) -> RegionValue {
    let total = |i: usize| -> f64 {
        (0..winners.len())
            .filter(|&j| j != i)
            .map(|j| polygon_iou(points(&winners[i].value), points(&winners[j].value)))
            .sum()
    };
    let mut best = (0, f64::NEG_INFINITY);
    for i in 0..winners.len() {
        let t = total(i);
        if t > best.1 {
            best = (i, t);
        }
    }
    winners[best.0].value.clone()
}

/// Median boundaries and the most common transcript (the first given on a tie).
fn audio_proposal(winners: &[&Region], label: &str) -> RegionValue {
    let start = lower_median_f64(winners.iter().map(|r| times(&r.value).0).collect());
    let end = lower_median_f64(winners.iter().map(|r| times(&r.value).1).collect());
    let transcripts = winners.iter().filter_map(|r| match &r.value {
        RegionValue::AudioSegment { transcript: Some(t), .. } => Some(t.as_str()),
        _ => None,
    });
    let (common, _) = most_common(transcripts.clone());
    let transcript = common.or_else(|| transcripts.clone().next()).map(str::to_string);
    RegionValue::AudioSegment { start, end, label: label.to_string(), transcript }
}
