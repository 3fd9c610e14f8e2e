//! Multi-object tracking scores: CLEAR MOT (MOTA, MOTP, ID switches) and IDF1, as defined by
//! py-motmetrics.
//!
//! Input is a list of boxes, each tagged with its track (an index chosen by the caller, e.g. the
//! region's position) and frame; a track's keyframes become such boxes through
//! [`crate::model::track_box_at`] for every frame of interest.
//!
//! **CLEAR MOT** (Bernardin & Stiefelhagen, "Evaluating multiple object tracking performance:
//! the CLEAR MOT metrics", EURASIP JIVP 2008), frame by frame in increasing order, exactly as
//! py-motmetrics' `MOTAccumulator.update`:
//! 1. A gold object and a predicted track may pair in a frame when `1 − IoU ≤ 1 − min_iou`
//!    (py-motmetrics' `iou_matrix(…, max_iou = 1 − min_iou)`), and never at IoU 0.
//! 2. Correspondences are kept: every gold object (in track order) whose last matched
//!    prediction is present and still may pair with it is matched to it again.
//! 3. The remaining objects and predictions are paired by the assignment that has the most
//!    pairs and, among those, the highest total IoU (py-motmetrics' `linear_sum_assignment`
//!    with "expensive edges"). A pair whose object was last matched to another prediction is
//!    an ID switch (it still counts as a detection).
//! 4. Unpaired objects are misses (FN), unpaired predictions false positives (FP).
//!
//! MOTA = 1 − (FN + FP + IDSW) / (number of gold boxes); MOTP here is the mean IoU of the
//! detections (matches and switches) — py-motmetrics reports the mean distance, i.e.
//! 1 − this value.
//!
//! **IDF1** (Ristani et al., "Performance measures and a data set for multi-target,
//! multi-camera tracking", ECCV 2016): gold tracks and predicted tracks are matched one-to-one
//! for the whole video so that the number of frames in which matched tracks may pair (rule 1)
//! is largest; those frames are the IDTP. IDFN = gold boxes − IDTP, IDFP = predicted boxes −
//! IDTP, IDF1 = 2·IDTP / (2·IDTP + IDFP + IDFN).
//!
//! Conventions where the papers divide by zero: without gold boxes MOTA is 1 if nothing was
//! predicted and 0 otherwise; MOTP is 0 without detections; IDF1 is 1 when both sides are empty.

use std::collections::{BTreeMap, HashMap};

use crate::geometry::box_iou;
use crate::matching::{match_pairs, Objective};
use crate::order::{sort_by_key, sort_unstable};
use crate::BoxGeometry;

/// One box of one track at one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedBox {
    pub track: usize,
    pub frame: u32,
    pub bbox: BoxGeometry,
}

/// What happened to a gold object or a prediction in one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MotEvent {
    Match {
        frame: u32,
        gold: usize,
        predicted: usize,
        iou: f64,
    },
    /// Matched, but the gold object was last matched to `previous`.
    Switch {
        frame: u32,
        gold: usize,
        predicted: usize,
        previous: usize,
        iou: f64,
    },
    Miss {
        frame: u32,
        gold: usize,
    },
    FalsePositive {
        frame: u32,
        predicted: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct MotScore {
    /// Gold boxes (py-motmetrics' `num_objects`).
    pub objects: usize,
    /// Predicted boxes (`num_predictions`).
    pub predictions: usize,
    /// Detections that kept or started a correspondence (`num_matches`).
    pub matches: usize,
    pub switches: usize,
    pub misses: usize,
    pub false_positives: usize,
    pub mota: f64,
    /// Mean IoU of matches and switches.
    pub motp: f64,
    pub idtp: usize,
    pub idfp: usize,
    pub idfn: usize,
    pub idf1: f64,
    /// `(gold track, predicted track)` pairs of the global ID assignment, sorted.
    pub id_assignment: Vec<(usize, usize)>,
    /// Per frame, in frame order.
    pub events: Vec<MotEvent>,
}

/// CLEAR MOT and IDF1 of `predicted` tracks against `gold` tracks; see the module documentation.
/// When a track has two boxes in one frame, the first counts and the other is ignored.
pub fn score_tracks(gold: &[TrackedBox], predicted: &[TrackedBox], min_iou: f64) -> MotScore {
    let gold_frames = by_frame(gold);
    let predicted_frames = by_frame(predicted);
    let max_distance = 1.0 - min_iou;
    // py-motmetrics' rule: pairable when the distance 1 − IoU is at most 1 − min_iou.
    let pairable = |a: &BoxGeometry, b: &BoxGeometry| -> Option<f64> {
        let iou = box_iou(a, b);
        (iou > 0.0 && 1.0 - iou <= max_distance).then_some(iou)
    };

    let mut frames: Vec<u32> = gold_frames.keys().chain(predicted_frames.keys()).copied().collect();
    sort_unstable(&mut frames);
    frames.dedup();

    let empty = Vec::new();
    let mut last_match: HashMap<usize, usize> = HashMap::new();
    let mut id_pairs: HashMap<(usize, usize), usize> = HashMap::new();
    let mut events = Vec::new();
    let (mut matches, mut switches, mut misses, mut false_positives) = (0, 0, 0, 0);
    let mut iou_sum = 0.0;
    let (mut objects, mut predictions) = (0, 0);

    for frame in frames {
        let objs = gold_frames.get(&frame).unwrap_or(&empty);
        let hyps = predicted_frames.get(&frame).unwrap_or(&empty);
        objects += objs.len();
        predictions += hyps.len();
        let mut ious: Vec<Vec<Option<f64>>> = vec![vec![None; hyps.len()]; objs.len()];
        for (i, o) in objs.iter().enumerate() {
            for (j, h) in hyps.iter().enumerate() {
                ious[i][j] = pairable(&o.bbox, &h.bbox);
                if ious[i][j].is_some() {
                    *id_pairs.entry((o.track, h.track)).or_default() += 1;
                }
            }
        }
        let mut obj_done = vec![false; objs.len()];
        let mut hyp_done = vec![false; hyps.len()];

        // Rule 2: keep still-valid correspondences.
        for (i, o) in objs.iter().enumerate() {
            let Some(&prev) = last_match.get(&o.track) else {
                continue;
            };
            let Some(j) = (0..hyps.len()).find(|&j| !hyp_done[j] && hyps[j].track == prev) else {
                continue;
            };
            if let Some(iou) = ious[i][j] {
                obj_done[i] = true;
                hyp_done[j] = true;
                matches += 1;
                iou_sum += iou;
                events.push(MotEvent::Match { frame, gold: o.track, predicted: prev, iou });
            }
        }

        // Rule 3: the best assignment of the rest.
        let mut candidates = Vec::new();
        for i in (0..objs.len()).filter(|&i| !obj_done[i]) {
            for j in (0..hyps.len()).filter(|&j| !hyp_done[j]) {
                if let Some(iou) = ious[i][j] {
                    candidates.push((i, j, iou));
                }
            }
        }
        for m in match_pairs(objs.len(), hyps.len(), &candidates, 0.0, Objective::MaxPairsThenSimilarity) {
            let (o, h) = (objs[m.row].track, hyps[m.col].track);
            obj_done[m.row] = true;
            hyp_done[m.col] = true;
            iou_sum += m.similarity;
            match last_match.insert(o, h) {
                Some(previous) if previous != h => {
                    switches += 1;
                    events.push(MotEvent::Switch { frame, gold: o, predicted: h, previous, iou: m.similarity });
                }
                _ => {
                    matches += 1;
                    events.push(MotEvent::Match { frame, gold: o, predicted: h, iou: m.similarity });
                }
            }
        }

        // Rule 4.
        for (_, o) in objs.iter().enumerate().filter(|(i, _)| !obj_done[*i]) {
            misses += 1;
            events.push(MotEvent::Miss { frame, gold: o.track });
        }
        for (_, h) in hyps.iter().enumerate().filter(|(j, _)| !hyp_done[*j]) {
            false_positives += 1;
            events.push(MotEvent::FalsePositive { frame, predicted: h.track });
        }
    }

    let mota = if objects == 0 {
        if false_positives == 0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - (misses + false_positives + switches) as f64 / objects as f64
    };
    let detections = matches + switches;
    let motp = if detections == 0 { 0.0 } else { iou_sum / detections as f64 };

    let (id_assignment, idtp) = global_id_assignment(&id_pairs);
    let (idfn, idfp) = (objects.saturating_sub(idtp), predictions.saturating_sub(idtp));
    let idf1 = if objects + predictions == 0 { 1.0 } else { (2 * idtp) as f64 / (objects + predictions) as f64 };

    MotScore {
        objects,
        predictions,
        matches,
        switches,
        misses,
        false_positives,
        mota,
        motp,
        idtp,
        idfp,
        idfn,
        idf1,
        id_assignment,
        events,
    }
}

/// Boxes grouped by frame, one per track and frame (the first given), in track order: rule 2
/// visits gold objects in this order, as py-motmetrics visits them in the order given.
fn by_frame(boxes: &[TrackedBox]) -> BTreeMap<u32, Vec<TrackedBox>> {
    let mut frames: BTreeMap<u32, Vec<TrackedBox>> = BTreeMap::new();
    for b in boxes {
        let list = frames.entry(b.frame).or_default();
        if !list.iter().any(|o| o.track == b.track) {
            list.push(*b);
        }
    }
    for list in frames.values_mut() {
        sort_by_key(list, |b| b.track);
    }
    frames
}

/// The one-to-one gold–predicted track pairing with the most frames in common (IDTP).
fn global_id_assignment(id_pairs: &HashMap<(usize, usize), usize>) -> (Vec<(usize, usize)>, usize) {
    let mut gold_ids: Vec<usize> = id_pairs.keys().map(|k| k.0).collect();
    let mut pred_ids: Vec<usize> = id_pairs.keys().map(|k| k.1).collect();
    sort_unstable(&mut gold_ids);
    gold_ids.dedup();
    sort_unstable(&mut pred_ids);
    pred_ids.dedup();
    let index = |ids: &[usize], id: usize| ids.binary_search(&id).unwrap_or(0);
    let candidates: Vec<(usize, usize, f64)> =
        id_pairs.iter().map(|(&(g, p), &n)| (index(&gold_ids, g), index(&pred_ids, p), n as f64)).collect();
    let matched = match_pairs(gold_ids.len(), pred_ids.len(), &candidates, 0.0, Objective::MaxTotalSimilarity);
    let idtp = matched.iter().map(|m| m.similarity as usize).sum();
    let mut pairs: Vec<(usize, usize)> = matched.iter().map(|m| (gold_ids[m.row], pred_ids[m.col])).collect();
    sort_unstable(&mut pairs);
    (pairs, idtp)
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{track_box_at, Keyframe};

    fn tb(track: usize, frame: u32, x: f64) -> TrackedBox {
        TrackedBox { track, frame, bbox: BoxGeometry::new(x, 0.0, 10.0, 10.0) }
    }

    #[test]
    fn perfect_tracking_scores_one() {
        let gold = [tb(0, 0, 0.0), tb(0, 1, 1.0), tb(1, 0, 50.0), tb(1, 1, 51.0)];
        let predicted = [tb(7, 0, 0.0), tb(7, 1, 1.0), tb(3, 0, 50.0), tb(3, 1, 51.0)];
        let s = score_tracks(&gold, &predicted, 0.5);
        assert_eq!((s.mota, s.motp, s.idf1), (1.0, 1.0, 1.0));
        assert_eq!(s.id_assignment, [(0, 7), (1, 3)]);
    }

    #[test]
    fn worked_example_with_a_switch_a_miss_and_a_false_positive() {
        // Gold object 0 moves right by 1 px a frame for 4 frames (boxes 10×10).
        // Prediction 10 follows it in frames 0–1, prediction 11 takes over in frames 2–3
        // (an ID switch at frame 2). Frame 3 also has a stray prediction 12 far away (FP),
        // and gold object 1 appears only in frame 3, unseen (a miss).
        // Frame 1: prediction 10 at x = 3 vs gold at 1: intersection 8·10, union 120: IoU 2/3.
        let gold = [tb(0, 0, 0.0), tb(0, 1, 1.0), tb(0, 2, 2.0), tb(0, 3, 3.0), tb(1, 3, 100.0)];
        let predicted = [tb(10, 0, 0.0), tb(10, 1, 3.0), tb(11, 2, 2.0), tb(11, 3, 3.0), tb(12, 3, 200.0)];
        let s = score_tracks(&gold, &predicted, 0.5);
        assert_eq!((s.objects, s.predictions), (5, 5));
        assert_eq!((s.matches, s.switches, s.misses, s.false_positives), (3, 1, 1, 1));
        // MOTA = 1 − (1 + 1 + 1) / 5 = 0.4; MOTP = (1 + 2/3 + 1 + 1) / 4.
        assert!((s.mota - 0.4).abs() < 1e-12);
        assert!((s.motp - (3.0 + 2.0 / 3.0) / 4.0).abs() < 1e-12);
        // IDF1: gold 0 shares 2 frames with 10 and 2 with 11; one of them is its identity:
        // IDTP 2, IDF1 = 2·2 / (5 + 5) = 0.4.
        assert_eq!(s.idtp, 2);
        assert_eq!((s.idfn, s.idfp), (3, 3));
        assert!((s.idf1 - 0.4).abs() < 1e-12);
        assert!(s.events.contains(&MotEvent::Switch { frame: 2, gold: 0, predicted: 11, previous: 10, iou: 1.0 }));
    }

    #[test]
    fn correspondence_is_kept_over_a_better_overlap() {
        // Frame 0 pairs gold 0 with prediction 10. In frame 1 prediction 11 sits exactly on
        // gold 0 while 10 drifted to IoU 2/3: CLEAR MOT keeps 10 (still ≥ 0.5), so no switch,
        // and 11 is a false positive.
        let gold = [tb(0, 0, 0.0), tb(0, 1, 0.0)];
        let predicted = [tb(10, 0, 0.0), tb(10, 1, 2.0), tb(11, 1, 0.0)];
        let s = score_tracks(&gold, &predicted, 0.5);
        assert_eq!((s.matches, s.switches, s.false_positives), (2, 0, 1));
    }

    #[test]
    fn interpolated_keyframes_feed_the_scores() {
        // A gold track keyframed at frames 0 and 10 (x from 0 to 10) and a prediction keyframed
        // at 0 and 10 (x from 0 to 20): at frame f the boxes are f px and 2f px from the left,
        // offset by f px; IoU = (10 − f)/(10 + f) ≥ 0.5 up to f = 3.
        let key = |frame, x| Keyframe { frame, x, y: 0.0, width: 10.0, height: 10.0, rotation: 0.0, outside: false };
        let gold_keys = [key(0, 0.0), key(10, 10.0)];
        let pred_keys = [key(0, 0.0), key(10, 20.0)];
        let sample = |track, keys: &[Keyframe]| -> Vec<TrackedBox> {
            (0..=10).filter_map(|frame| Some(TrackedBox { track, frame, bbox: track_box_at(keys, frame)? })).collect()
        };
        let s = score_tracks(&sample(0, &gold_keys), &sample(1, &pred_keys), 0.5);
        assert_eq!((s.matches, s.misses, s.false_positives), (4, 7, 7));
        assert_eq!(s.idtp, 4);
    }

    #[test]
    fn empty_inputs() {
        let s = score_tracks(&[], &[], 0.5);
        assert_eq!((s.mota, s.motp, s.idf1), (1.0, 0.0, 1.0));
        let s = score_tracks(&[], &[tb(0, 0, 0.0)], 0.5);
        assert_eq!((s.mota, s.false_positives, s.idf1), (0.0, 1, 0.0));
    }

    fn boxes() -> impl Strategy<Value = Vec<TrackedBox>> {
        proptest::collection::vec(
            (0usize..3, 0u32..5, 0i32..6, prop_oneof![9 => Just(10.0), 1 => Just(f64::NAN)]),
            0..15,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(track, frame, x, w)| TrackedBox {
                    track,
                    frame,
                    bbox: BoxGeometry::new(f64::from(x) * 3.0, 0.0, w, 10.0),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn counts_are_consistent(gold in boxes(), predicted in boxes()) {
            let s = score_tracks(&gold, &predicted, 0.5);
            prop_assert_eq!(s.matches + s.switches + s.misses, s.objects);
            prop_assert_eq!(s.matches + s.switches + s.false_positives, s.predictions);
            prop_assert!(s.idtp <= s.objects.min(s.predictions));
            prop_assert!(s.mota <= 1.0 && (0.0..=1.0).contains(&s.motp) && (0.0..=1.0).contains(&s.idf1));
            // Against itself only degenerate boxes go unmatched, on both sides alike.
            let me = score_tracks(&gold, &gold, 0.5);
            prop_assert_eq!(me.misses, me.false_positives);
        }
    }
}
