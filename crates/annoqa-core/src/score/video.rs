//! Video temporal segments (staged matching on the temporal IoU of inclusive frame ranges) and
//! video tracks (keyframes interpolated to every frame, then CLEAR MOT and IDF1).

use std::collections::BTreeMap;

use super::outcome::{boundary_off, emit, label_guideline, labels, ControlOutcome, Piece, Said, Sides, Wording};
use super::report::{Feedback, OffsetUnit, Offsets, RegionVerdict, Verdict};
use super::staged::{range_candidates, staged_match, Pairing};
use crate::matching::Objective;
use crate::tracking::{score_tracks, MotEvent, TrackedBox};
use crate::{track_frames, Control, Region, RegionValue, Tolerance};

fn frames(value: &RegionValue) -> (u32, u32) {
    match value {
        RegionValue::VideoSegment { start_frame, end_frame, .. } => (*start_frame, *end_frame),
        _ => (1, 0),
    }
}

fn offsets(sides: &Sides<'_>, pair: &Pairing) -> Offsets {
    let ((gs, ge), (s, e)) = (frames(sides.gold[pair.gold].value), frames(sides.mine[pair.mine].value));
    Offsets { start: i64::from(s) - i64::from(gs), end: i64::from(e) - i64::from(ge), unit: OffsetUnit::Frames }
}

struct SegmentWords {
    min_tiou: f64,
}

impl Wording for SegmentWords {
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String {
        let (start, end) = frames(sides.gold[gold].value);
        format!("on frames {start}–{end}")
    }

    fn matched(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Option<Said>) {
        (Verdict::Matched { offsets: Some(offsets(sides, pair)) }, None)
    }

    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said) {
        let o = offsets(sides, pair);
        let m = &sides.mine[pair.mine];
        let message = format!(
            "{} segment `{}`: start off by {:+} frames, end by {:+} (temporal IoU {:.2}; {:.2} is needed)",
            m.label, m.id, o.start, o.end, pair.similarity, self.min_tiou
        );
        boundary_off(o, pair.similarity, message, format!("{} segment `{}`", m.label, m.id))
    }
}

/// Frame ranges are inclusive; as half-open ranges `[start, end + 1)` their IoU is the
/// temporal IoU of the frames.
pub(crate) fn score_video_segments(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let sides = Sides::new(control, mine, theirs, "segment");
    let half_open = |p: &Piece<'_>| {
        let (s, e) = frames(p.value);
        (f64::from(s), f64::from(e) + 1.0)
    };
    let gold: Vec<(f64, f64)> = sides.gold.iter().map(half_open).collect();
    let mine: Vec<(f64, f64)> = sides.mine.iter().map(half_open).collect();
    let min_tiou = tolerance.min_temporal_iou.unwrap_or(0.5);
    let staged = staged_match(
        &labels(&sides.gold),
        &labels(&sides.mine),
        range_candidates(&gold, &mine),
        |_, _, tiou| tiou >= min_tiou,
        Objective::MaxTotalSimilarity,
    );
    emit(&sides, &staged, &SegmentWords { min_tiou })
}

fn expand(pieces: &[Piece<'_>]) -> Vec<TrackedBox> {
    let mut out = Vec::new();
    for (track, p) in pieces.iter().enumerate() {
        let RegionValue::VideoTrack { keyframes, .. } = p.value else { continue };
        out.extend(track_frames(keyframes).map(|(frame, bbox)| TrackedBox { track, frame, bbox }));
    }
    out
}

/// The control score is IDF1 (how much of the time each object keeps the right identity),
/// less the share of tracks with a wrong label; MOTA, MOTP and the switch, miss and
/// false-positive counts are reported as metrics.
pub(crate) fn score_tracks_control(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let sides = Sides::new(control, mine, theirs, "track");
    let (gold, mine) = (&sides.gold, &sides.mine);
    let min_iou = tolerance.min_iou.unwrap_or(0.5);
    let mot = score_tracks(&expand(gold), &expand(mine), min_iou);
    let mut out = ControlOutcome::scored(0.0);
    let verdict = |m: Option<&Piece<'_>>, g: Option<&Piece<'_>>, verdict| RegionVerdict {
        control: control.name.clone(),
        region: m.map(|p| p.id.to_string()),
        gold_region: g.map(|p| p.id.to_string()),
        verdict,
    };
    let mut gold_assigned = vec![false; gold.len()];
    let mut mine_assigned = vec![false; mine.len()];
    for &(g, m) in &mot.id_assignment {
        gold_assigned[g] = true;
        mine_assigned[m] = true;
        let (gp, mp) = (&gold[g], &mine[m]);
        let v = if gp.label == mp.label {
            Verdict::Matched { offsets: None }
        } else {
            out.feedback.push(Feedback {
                message: format!("track `{}` is {}, not {}", mp.id, gp.label, mp.label),
                hint: Some(format!("check the label of track `{}`", mp.id)),
                guideline: label_guideline(control, gp.label),
            });
            Verdict::WrongLabel { expected: Some(gp.label.to_string()), got: mp.label.to_string() }
        };
        out.verdicts.push(verdict(Some(mp), Some(gp), v));
    }
    for (gp, _) in gold.iter().zip(&gold_assigned).filter(|(_, a)| !**a) {
        out.feedback.push(Feedback {
            message: format!("missed {} track `{}`", gp.label, gp.id),
            hint: Some(format!("a {} track is missing", gp.label)),
            guideline: label_guideline(control, gp.label),
        });
        out.verdicts.push(verdict(None, Some(gp), Verdict::Missed));
    }
    for (mp, _) in mine.iter().zip(&mine_assigned).filter(|(_, a)| !**a) {
        out.feedback.push(Feedback {
            message: format!("{} track `{}` follows no gold object", mp.label, mp.id),
            hint: None,
            guideline: label_guideline(control, mp.label),
        });
        out.verdicts.push(verdict(Some(mp), None, Verdict::Extra));
    }
    for event in &mot.events {
        if let MotEvent::Switch { frame, gold: g, predicted, previous, .. } = event {
            out.feedback.push(Feedback {
                message: format!(
                    "at frame {frame} the {} object `{}` switches from track `{}` to `{}`",
                    gold[*g].label, gold[*g].id, mine[*previous].id, mine[*predicted].id
                ),
                hint: Some(format!("track `{}` takes over another object", mine[*predicted].id)),
                guideline: control.guideline.clone(),
            });
        }
    }
    if mot.misses > 0 || mot.false_positives > 0 {
        out.feedback.push(Feedback {
            message: format!(
                "{} gold boxes not covered and {} boxes on nothing, over all frames (IoU below {min_iou:.2})",
                mot.misses, mot.false_positives
            ),
            hint: Some("on some frames a box is missing or lies on nothing".into()),
            guideline: control.guideline.clone(),
        });
    }
    let mut metrics = BTreeMap::new();
    metrics.insert("mota".into(), mot.mota);
    metrics.insert("motp".into(), mot.motp);
    metrics.insert("idf1".into(), mot.idf1);
    metrics.insert("id_switches".into(), mot.switches as f64);
    metrics.insert("misses".into(), mot.misses as f64);
    metrics.insert("false_positives".into(), mot.false_positives as f64);
    out.metrics = metrics;
    // Wrong labels cost their share of identity credit.
    let wrong = out.verdicts.iter().filter(|v| matches!(v.verdict, Verdict::WrongLabel { .. })).count();
    let tracks = gold.len().max(mine.len()).max(1);
    out.score = mot.idf1 * (1.0 - wrong as f64 / tracks as f64);
    out
}
