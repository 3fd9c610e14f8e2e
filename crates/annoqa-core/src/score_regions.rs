//! Gold scoring of boxes, polygons, keypoints, audio segments (with transcripts), video frame
//! boxes, video tracks, video temporal segments and pairwise preferences.
//!
//! Region kinds that pair one-to-one with gold share one staged optimal matcher:
//! 1. same label and within tolerance → `Matched`,
//! 2. within tolerance but another label → `WrongLabel`,
//! 3. same label, overlapping but outside tolerance → `LowOverlap` / `BoundaryOff`,
//! 4. what is left → `Missed` (gold) and `Extra` (annotation).
//!
//! Each stage is an optimal assignment (Hungarian, [`crate::matching`]) among what earlier
//! stages left. The control score is F1 = 2·matched / (2·matched + errors), where a stage-2 or
//! stage-3 pair counts as one miss and one extra — for audio that is exactly sed_eval's
//! event-based F1 = 2·TP / (reference + estimated).

use std::collections::BTreeMap;

use crate::events::{frame_iou, temporal_iou, Event, EventMatching, EventTolerance};
use crate::geometry::{keypoint_similarity, polygon_iou};
use crate::intervals::box_overlaps;
use crate::matching::{match_pairs, Objective};
use crate::score::{label_guideline, Feedback, RegionVerdict, Verdict};
use crate::tracking::{score_tracks, MotEvent, TrackedBox};
use crate::transcript::{char_errors, word_errors, Normalization};
use crate::{track_box_at, BoxGeometry, Control, ControlKind, Item, Media, Region, RegionValue, Tolerance};

/// What one control's scorer produces.
pub(crate) struct ControlOutcome {
    pub score: f64,
    pub metrics: BTreeMap<String, f64>,
    pub verdicts: Vec<RegionVerdict>,
    pub feedback: Vec<Feedback>,
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Matched,
    WrongLabel,
    Low,
}

struct Pairing {
    gold: usize,
    mine: usize,
    stage: Stage,
    similarity: f64,
}

struct Staged {
    pairs: Vec<Pairing>,
    missed: Vec<usize>,
    extra: Vec<usize>,
}

/// Every (gold, annotation) pair with a positive similarity, evaluating all n × m pairs.
fn dense_pairs(n: usize, m: usize, similarity: impl Fn(usize, usize) -> f64) -> Vec<(usize, usize, f64)> {
    let mut pairs = Vec::new();
    for g in 0..n {
        for k in 0..m {
            let s = similarity(g, k);
            if s.is_finite() && s > 0.0 {
                pairs.push((g, k, s));
            }
        }
    }
    pairs
}

/// Every (gold, annotation) pair of boxes that overlap, with its IoU, from the grid search of
/// [`box_overlaps`] over both lists at once (boxes on different video frames never pair), so
/// 500 boxes against 500 cost about the overlapping pairs, not 250,000 IoUs.
fn overlapping_box_pairs(gold: &[(u32, BoxGeometry)], mine: &[(u32, BoxGeometry)]) -> Vec<(usize, usize, f64)> {
    let all: Vec<(u32, BoxGeometry)> = gold.iter().chain(mine).copied().collect();
    let n = gold.len();
    box_overlaps(&all, f64::MIN_POSITIVE)
        .into_iter()
        .filter(|o| o.first < n && o.second >= n)
        .map(|o| (o.first, o.second - n, o.iou))
        .collect()
}

/// The staged matching described in the module documentation, over the candidate `pairs`
/// (gold index, annotation index, similarity > 0); `accept` says whether a pair is within
/// tolerance.
fn staged_match(
    gold_labels: &[&str],
    mine_labels: &[&str],
    pairs: Vec<(usize, usize, f64)>,
    accept: impl Fn(usize, usize, f64) -> bool,
    first_objective: Objective,
) -> Staged {
    let (n, m) = (gold_labels.len(), mine_labels.len());
    let cells: Vec<(usize, usize, f64, bool)> = pairs
        .into_iter()
        .filter(|(_, _, s)| s.is_finite() && *s > 0.0)
        .map(|(g, k, s)| (g, k, s, accept(g, k, s)))
        .collect();
    let mut gold_used = vec![false; n];
    let mut mine_used = vec![false; m];
    let mut pairs = Vec::new();
    for stage in [Stage::Matched, Stage::WrongLabel, Stage::Low] {
        let candidates: Vec<(usize, usize, f64)> = cells
            .iter()
            .filter(|(g, k, _, ok)| {
                !gold_used[*g]
                    && !mine_used[*k]
                    && match stage {
                        Stage::Matched => *ok && gold_labels[*g] == mine_labels[*k],
                        Stage::WrongLabel => *ok,
                        Stage::Low => gold_labels[*g] == mine_labels[*k],
                    }
            })
            .map(|&(g, k, s, _)| (g, k, s))
            .collect();
        let objective = if stage == Stage::Matched { first_objective } else { Objective::MaxTotalSimilarity };
        for found in match_pairs(n, m, &candidates, f64::MIN_POSITIVE, objective) {
            gold_used[found.row] = true;
            mine_used[found.col] = true;
            pairs.push(Pairing { gold: found.row, mine: found.col, stage, similarity: found.similarity });
        }
    }
    pairs.sort_by_key(|p| p.gold);
    Staged {
        pairs,
        missed: (0..n).filter(|g| !gold_used[*g]).collect(),
        extra: (0..m).filter(|k| !mine_used[*k]).collect(),
    }
}

fn f1(matched: usize, errors: usize) -> f64 {
    if matched + errors == 0 {
        1.0
    } else {
        (2 * matched) as f64 / (2 * matched + errors) as f64
    }
}

/// A region as the scorers see it: its id, label and value.
struct Piece<'a> {
    id: &'a str,
    label: &'a str,
    value: &'a RegionValue,
}

fn pieces<'a>(regions: &[&'a Region]) -> Vec<Piece<'a>> {
    regions.iter().map(|r| Piece { id: &r.id, label: r.value.first_label().unwrap_or(""), value: &r.value }).collect()
}

/// Words and guideline for one stage outcome of one kind of region.
struct Wording {
    /// e.g. "box", "polygon", "segment".
    noun: &'static str,
    /// Describes a gold region's place for a miss, e.g. "at (10, 20, 30×40)".
    place: fn(&RegionValue) -> String,
}

/// Turns a staged matching into verdicts, feedback and the F1 score.
fn emit(
    control: &Control,
    gold: &[Piece<'_>],
    mine: &[Piece<'_>],
    staged: &Staged,
    wording: &Wording,
    low: impl Fn(&Pairing) -> (Verdict, String),
    matched: impl Fn(&Pairing) -> (Verdict, Option<String>),
) -> ControlOutcome {
    let mut verdicts = Vec::new();
    let mut feedback = Vec::new();
    let (mut ok, mut errors) = (0, 0);
    let noun = wording.noun;
    for pair in &staged.pairs {
        let (g, m) = (&gold[pair.gold], &mine[pair.mine]);
        let guideline = label_guideline(control, g.label);
        let verdict = match pair.stage {
            Stage::Matched => {
                ok += 1;
                let (verdict, note) = matched(pair);
                if let Some(note) = note {
                    feedback.push(Feedback { message: note, hint: None, guideline });
                }
                verdict
            }
            Stage::WrongLabel => {
                errors += 2;
                feedback.push(Feedback {
                    message: format!("{noun} `{}` is {}, not {}", m.id, g.label, m.label),
                    hint: Some(format!("check the label of {noun} `{}`", m.id)),
                    guideline,
                });
                Verdict::WrongLabel { expected: g.label.to_string(), got: m.label.to_string() }
            }
            Stage::Low => {
                errors += 2;
                let (verdict, message) = low(pair);
                feedback.push(Feedback {
                    message,
                    hint: Some(format!("{} {noun} `{}`: check its extent", m.label, m.id)),
                    guideline,
                });
                verdict
            }
        };
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(m.id.to_string()),
            gold_region: Some(g.id.to_string()),
            verdict,
        });
    }
    for &gi in &staged.missed {
        errors += 1;
        let g = &gold[gi];
        feedback.push(Feedback {
            message: format!("missed {} {noun} {}", g.label, (wording.place)(g.value)),
            hint: Some(format!("a {} {noun} is missing", g.label)),
            guideline: label_guideline(control, g.label),
        });
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: None,
            gold_region: Some(g.id.to_string()),
            verdict: Verdict::Missed,
        });
    }
    for &mi in &staged.extra {
        errors += 1;
        let m = &mine[mi];
        feedback.push(Feedback {
            message: format!("{} {noun} `{}` is not in gold", m.label, m.id),
            hint: None,
            guideline: label_guideline(control, m.label),
        });
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(m.id.to_string()),
            gold_region: None,
            verdict: Verdict::Extra,
        });
    }
    ControlOutcome { score: f1(ok, errors), metrics: BTreeMap::new(), verdicts, feedback }
}

fn boxed(value: &RegionValue) -> BoxGeometry {
    match value {
        RegionValue::BBox { x, y, width, height, .. } | RegionValue::VideoBox { x, y, width, height, .. } => {
            BoxGeometry { x: *x, y: *y, width: *width, height: *height }
        }
        _ => BoxGeometry { x: 0.0, y: 0.0, width: 0.0, height: 0.0 },
    }
}

fn place_box(value: &RegionValue) -> String {
    let b = boxed(value);
    let frame = match value {
        RegionValue::VideoBox { frame, .. } => format!(" on frame {frame}"),
        _ => String::new(),
    };
    format!("at ({:.0}, {:.0}, {:.0}×{:.0}){frame}", b.x, b.y, b.width, b.height)
}

fn iou_threshold(control: &Control, tolerance: &Tolerance, label: &str) -> f64 {
    control.label(label).and_then(|l| l.min_iou).or(tolerance.min_iou).unwrap_or(0.5)
}

fn labels<'a>(pieces: &[Piece<'a>]) -> Vec<&'a str> {
    pieces.iter().map(|p| p.label).collect()
}

/// Mean similarity of the matched pairs (0 without any).
fn mean_matched(staged: &Staged) -> f64 {
    let matched: Vec<f64> = staged.pairs.iter().filter(|p| p.stage == Stage::Matched).map(|p| p.similarity).collect();
    if matched.is_empty() {
        0.0
    } else {
        matched.iter().sum::<f64>() / matched.len() as f64
    }
}

fn place_polygon(value: &RegionValue) -> String {
    match value {
        RegionValue::Polygon { points, .. } => {
            let n = points.len().max(1) as f64;
            let (cx, cy) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0] / n, y + p[1] / n));
            format!("around ({cx:.0}, {cy:.0})")
        }
        _ => String::new(),
    }
}

/// Boxes, video frame boxes (per frame) and polygons: optimal IoU matching with a threshold
/// per label. Boxes start from the overlapping pairs the grid finds; polygons are few, so every
/// pair gets an exact polygon IoU.
pub(crate) fn score_shapes(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let (gold, mine) = (pieces(theirs), pieces(mine));
    let (pairs, wording) = if let ControlKind::Polygon = control.kind {
        let points = |p: &Piece<'_>| match p.value {
            RegionValue::Polygon { points, .. } => points.clone(),
            _ => Vec::new(),
        };
        let (g, m): (Vec<_>, Vec<_>) = (gold.iter().map(points).collect(), mine.iter().map(points).collect());
        let pairs = dense_pairs(g.len(), m.len(), |a, b| polygon_iou(&g[a], &m[b]));
        (pairs, Wording { noun: "polygon", place: place_polygon })
    } else {
        let framed = |p: &Piece<'_>| match p.value {
            RegionValue::VideoBox { frame, .. } => (*frame, boxed(p.value)),
            value => (0, boxed(value)),
        };
        let (g, m): (Vec<_>, Vec<_>) = (gold.iter().map(framed).collect(), mine.iter().map(framed).collect());
        (overlapping_box_pairs(&g, &m), Wording { noun: "box", place: place_box })
    };
    let needed = |g: usize| iou_threshold(control, tolerance, gold[g].label);
    let staged = staged_match(
        &labels(&gold),
        &labels(&mine),
        pairs,
        |g, _, iou| iou >= needed(g),
        Objective::MaxTotalSimilarity,
    );
    let noun = wording.noun;
    let mut outcome = emit(
        control,
        &gold,
        &mine,
        &staged,
        &wording,
        |p| {
            let message = format!(
                "{} {noun} `{}` overlaps gold with IoU {:.2}; {:.2} is needed",
                mine[p.mine].label,
                mine[p.mine].id,
                p.similarity,
                needed(p.gold)
            );
            (Verdict::LowOverlap { overlap: p.similarity }, message)
        },
        |_| (Verdict::Matched { start_delta: 0, end_delta: 0 }, None),
    );
    outcome.metrics.insert("mean_iou".into(), mean_matched(&staged));
    outcome
}

/// Keypoints: optimal matching on object keypoint similarity (COCO OKS for one point).
pub(crate) fn score_keypoints(
    control: &Control,
    tolerance: &Tolerance,
    item: &Item,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let (gold, mine) = (pieces(theirs), pieces(mine));
    let xy = |v: &RegionValue| match v {
        RegionValue::Keypoint { x, y, .. } => (*x, *y),
        _ => (f64::NAN, f64::NAN),
    };
    let media_area = match &item.media {
        Media::Image { width, height, .. } | Media::Video { width, height, .. } => {
            f64::from(*width) * f64::from(*height)
        }
        _ => 0.0,
    };
    let area = tolerance.keypoint_area.unwrap_or(media_area);
    let kappa = |label: &str| control.label(label).and_then(|l| l.kappa).unwrap_or(0.1);
    let min_oks = tolerance.min_oks.unwrap_or(0.5);
    let distance = |g: usize, m: usize| {
        let ((gx, gy), (mx, my)) = (xy(gold[g].value), xy(mine[m].value));
        ((gx - mx).powi(2) + (gy - my).powi(2)).sqrt()
    };
    let staged = staged_match(
        &labels(&gold),
        &labels(&mine),
        dense_pairs(gold.len(), mine.len(), |g, m| {
            keypoint_similarity(distance(g, m).powi(2), area, kappa(gold[g].label))
        }),
        |_, _, oks| oks >= min_oks,
        Objective::MaxTotalSimilarity,
    );
    let wording = Wording {
        noun: "keypoint",
        place: |v| match v {
            RegionValue::Keypoint { x, y, .. } => format!("at ({x:.0}, {y:.0})"),
            _ => String::new(),
        },
    };
    let mut outcome = emit(
        control,
        &gold,
        &mine,
        &staged,
        &wording,
        |p| {
            (
                Verdict::LowOverlap { overlap: p.similarity },
                format!(
                    "{} keypoint `{}` is {:.1} px from gold (OKS {:.2}; {min_oks:.2} is needed)",
                    mine[p.mine].label,
                    mine[p.mine].id,
                    distance(p.gold, p.mine),
                    p.similarity
                ),
            )
        },
        |_| (Verdict::Matched { start_delta: 0, end_delta: 0 }, None),
    );
    outcome.metrics.insert("mean_oks".into(), mean_matched(&staged));
    outcome
}

fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// Audio segments: sed_eval's event-based matching (onset collar; offset collar or a fraction
/// of the gold length), maximising the number of matched events; then the transcripts of
/// matched segments by WER after normalisation.
pub(crate) fn score_audio(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let (gold, mine) = (pieces(theirs), pieces(mine));
    let times = |v: &RegionValue| match v {
        RegionValue::AudioSegment { start, end, .. } => (*start, *end),
        _ => (f64::NAN, f64::NAN),
    };
    let transcript = |v: &RegionValue| match v {
        RegionValue::AudioSegment { transcript, .. } => transcript.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let events_tolerance = EventTolerance {
        t_collar: tolerance.collar_ms.unwrap_or(200.0) / 1000.0,
        percentage_of_length: tolerance.offset_length_ratio.unwrap_or(0.5),
        evaluate_onset: true,
        evaluate_offset: true,
        matching: EventMatching::Optimal,
    };
    fn event<'a>(p: &Piece<'a>) -> Event<'a> {
        let (onset, offset) = match p.value {
            RegionValue::AudioSegment { start, end, .. } => (*start, *end),
            _ => (f64::NAN, f64::NAN),
        };
        Event { onset, offset, label: p.label }
    }
    let staged = staged_match(
        &labels(&gold),
        &labels(&mine),
        dense_pairs(gold.len(), mine.len(), |g, m| {
            // A pair that meets the collars always counts as a candidate, even when the
            // segments do not overlap (very short events).
            let iou = temporal_iou(times(gold[g].value), times(mine[m].value));
            if events_tolerance.times_match(&event(&gold[g]), &event(&mine[m])) {
                iou.max(f64::MIN_POSITIVE)
            } else {
                iou
            }
        }),
        |g, m, _| events_tolerance.times_match(&event(&gold[g]), &event(&mine[m])),
        Objective::MaxPairsThenSimilarity,
    );
    let wording = Wording {
        noun: "segment",
        place: |v| match v {
            RegionValue::AudioSegment { start, end, .. } => format!("at {start:.2}–{end:.2} s"),
            _ => String::new(),
        },
    };
    let deltas = |p: &Pairing| {
        let ((gs, ge), (ms_, me)) = (times(gold[p.gold].value), times(mine[p.mine].value));
        (ms(ms_ - gs), ms(me - ge))
    };
    let mut outcome = emit(
        control,
        &gold,
        &mine,
        &staged,
        &wording,
        |p| {
            let (start_delta, end_delta) = deltas(p);
            (
                Verdict::BoundaryOff { start_delta, end_delta, overlap: p.similarity },
                format!(
                    "{} segment `{}`: onset off by {start_delta:+} ms, offset by {end_delta:+} ms (collar {:.0} ms)",
                    mine[p.mine].label,
                    mine[p.mine].id,
                    events_tolerance.t_collar * 1000.0
                ),
            )
        },
        |p| {
            let (start_delta, end_delta) = deltas(p);
            (Verdict::Matched { start_delta, end_delta }, None)
        },
    );
    let true_positives = staged.pairs.iter().filter(|p| p.stage == Stage::Matched).count();
    let event_f1 = f1(true_positives, gold.len() + mine.len() - 2 * true_positives);
    outcome.metrics.insert("event_f1".into(), event_f1);

    // Transcripts of matched segments.
    if matches!(control.kind, ControlKind::AudioSegments { transcript: true }) {
        let normalization = control.normalization.clone().unwrap_or_default();
        let max_wer = tolerance.max_wer.unwrap_or(0.1);
        let (mut words, mut chars) = (Vec::new(), Vec::new());
        let mut off = 0;
        for (verdict, pair) in outcome.verdicts.iter_mut().zip(staged.pairs.iter()) {
            if pair.stage != Stage::Matched {
                continue;
            }
            let (reference, hypothesis) = (transcript(gold[pair.gold].value), transcript(mine[pair.mine].value));
            let w = word_errors(&reference, &hypothesis, &normalization);
            let c = char_errors(&reference, &hypothesis, &normalization);
            let (wer, cer) = (w.error_rate(), c.error_rate());
            words.push(w);
            chars.push(c);
            if wer > max_wer {
                off += 1;
                verdict.verdict = Verdict::TranscriptOff { wer, cer };
                outcome.feedback.push(Feedback {
                    message: format!(
                        "transcript of `{}`: WER {:.0}% (at most {:.0}%); gold reads “{}”",
                        mine[pair.mine].id,
                        wer * 100.0,
                        max_wer * 100.0,
                        normalization_preview(&reference, &normalization)
                    ),
                    hint: Some(format!(
                        "transcript of `{}`: WER {:.0}%, listen again",
                        mine[pair.mine].id,
                        wer * 100.0
                    )),
                    guideline: control.guideline.clone(),
                });
            }
        }
        let corpus = |counts: &[crate::transcript::EditCounts]| {
            let errors: usize = counts.iter().map(|c| c.errors()).sum();
            let reference: usize = counts.iter().map(|c| c.reference_len()).sum();
            if reference == 0 {
                errors as f64
            } else {
                errors as f64 / reference as f64
            }
        };
        outcome.metrics.insert("wer".into(), corpus(&words));
        outcome.metrics.insert("cer".into(), corpus(&chars));
        // A matched segment with a bad transcript is half right: one error on each side.
        let matched = true_positives - off;
        outcome.score = f1(matched, gold.len() + mine.len() - 2 * matched);
    }
    outcome
}

fn normalization_preview(text: &str, normalization: &Normalization) -> String {
    let normalized = normalization.apply(text);
    if normalized.chars().count() > 80 {
        format!("{}…", normalized.chars().take(80).collect::<String>())
    } else {
        normalized
    }
}

/// Video temporal segments: optimal matching on temporal IoU of inclusive frame ranges.
pub(crate) fn score_video_segments(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let (gold, mine) = (pieces(theirs), pieces(mine));
    let frames = |v: &RegionValue| match v {
        RegionValue::VideoSegment { start_frame, end_frame, .. } => (*start_frame, *end_frame),
        _ => (1, 0),
    };
    let min_tiou = tolerance.min_temporal_iou.unwrap_or(0.5);
    let staged = staged_match(
        &labels(&gold),
        &labels(&mine),
        dense_pairs(gold.len(), mine.len(), |g, m| frame_iou(frames(gold[g].value), frames(mine[m].value))),
        |_, _, tiou| tiou >= min_tiou,
        Objective::MaxTotalSimilarity,
    );
    let wording = Wording {
        noun: "segment",
        place: |v| match v {
            RegionValue::VideoSegment { start_frame, end_frame, .. } => format!("on frames {start_frame}–{end_frame}"),
            _ => String::new(),
        },
    };
    let deltas = |p: &Pairing| {
        let ((gs, ge), (s, e)) = (frames(gold[p.gold].value), frames(mine[p.mine].value));
        (i64::from(s) - i64::from(gs), i64::from(e) - i64::from(ge))
    };
    emit(
        control,
        &gold,
        &mine,
        &staged,
        &wording,
        |p| {
            let (start_delta, end_delta) = deltas(p);
            (
                Verdict::BoundaryOff { start_delta, end_delta, overlap: p.similarity },
                format!(
                    "{} segment `{}`: start off by {start_delta:+} frames, end by {end_delta:+} (temporal IoU {:.2}; {min_tiou:.2} is needed)",
                    mine[p.mine].label, mine[p.mine].id, p.similarity
                ),
            )
        },
        |p| {
            let (start_delta, end_delta) = deltas(p);
            (Verdict::Matched { start_delta, end_delta }, None)
        },
    )
}

/// Video tracks: keyframes interpolated to every frame, then CLEAR MOT and IDF1. The control
/// score is IDF1 (how much of the time each object keeps the right identity); MOTA, MOTP and
/// the switch, miss and false-positive counts are reported as metrics.
pub(crate) fn score_tracks_control(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let (gold, mine) = (pieces(theirs), pieces(mine));
    let expand = |ps: &[Piece<'_>]| -> Vec<TrackedBox> {
        let mut out = Vec::new();
        for (track, p) in ps.iter().enumerate() {
            let RegionValue::VideoTrack { keyframes, .. } = p.value else { continue };
            let (Some(first), Some(last)) = (keyframes.first(), keyframes.last()) else { continue };
            // Guard against hostile frame numbers: at most a day of 60 fps video per track.
            let last_frame = last.frame.min(first.frame.saturating_add(5_184_000));
            for frame in first.frame..=last_frame {
                if let Some(bbox) = track_box_at(keyframes, frame) {
                    out.push(TrackedBox { track, frame, bbox });
                }
            }
        }
        out
    };
    let min_iou = tolerance.min_iou.unwrap_or(0.5);
    let mot = score_tracks(&expand(&gold), &expand(&mine), min_iou);
    let mut verdicts = Vec::new();
    let mut feedback = Vec::new();
    let assigned_gold: Vec<usize> = mot.id_assignment.iter().map(|(g, _)| *g).collect();
    let assigned_mine: Vec<usize> = mot.id_assignment.iter().map(|(_, m)| *m).collect();
    for &(g, m) in &mot.id_assignment {
        let (gp, mp) = (&gold[g], &mine[m]);
        let verdict = if gp.label == mp.label {
            Verdict::Matched { start_delta: 0, end_delta: 0 }
        } else {
            feedback.push(Feedback {
                message: format!("track `{}` is {}, not {}", mp.id, gp.label, mp.label),
                hint: Some(format!("check the label of track `{}`", mp.id)),
                guideline: label_guideline(control, gp.label),
            });
            Verdict::WrongLabel { expected: gp.label.to_string(), got: mp.label.to_string() }
        };
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(mp.id.to_string()),
            gold_region: Some(gp.id.to_string()),
            verdict,
        });
    }
    for (g, gp) in gold.iter().enumerate().filter(|(g, _)| !assigned_gold.contains(g)) {
        feedback.push(Feedback {
            message: format!("missed {} track `{}`", gp.label, gp.id),
            hint: Some(format!("a {} track is missing", gp.label)),
            guideline: label_guideline(control, gp.label),
        });
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: None,
            gold_region: Some(gold[g].id.to_string()),
            verdict: Verdict::Missed,
        });
    }
    for (_, mp) in mine.iter().enumerate().filter(|(m, _)| !assigned_mine.contains(m)) {
        feedback.push(Feedback {
            message: format!("{} track `{}` follows no gold object", mp.label, mp.id),
            hint: None,
            guideline: label_guideline(control, mp.label),
        });
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(mp.id.to_string()),
            gold_region: None,
            verdict: Verdict::Extra,
        });
    }
    for event in &mot.events {
        if let MotEvent::Switch { frame, gold: g, predicted, previous, .. } = event {
            feedback.push(Feedback {
                message: format!(
                    "at frame {frame} the {} object `{}` switches from track `{}` to `{}`",
                    gold[*g].label, gold[*g].id, mine[*previous].id, mine[*predicted].id
                ),
                hint: Some(format!("track `{}` takes over another object at frame {frame}", mine[*predicted].id)),
                guideline: control.guideline.clone(),
            });
        }
    }
    if mot.misses > 0 || mot.false_positives > 0 {
        feedback.push(Feedback {
            message: format!(
                "{} gold boxes not covered and {} boxes on nothing, over all frames (IoU below {min_iou:.2})",
                mot.misses, mot.false_positives
            ),
            hint: None,
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
    // Wrong labels cost their share of identity credit.
    let wrong = verdicts.iter().filter(|v| matches!(v.verdict, Verdict::WrongLabel { .. })).count();
    let tracks = gold.len().max(mine.len()).max(1);
    let score = mot.idf1 * (1.0 - wrong as f64 / tracks as f64);
    ControlOutcome { score, metrics, verdicts, feedback }
}

/// Pairwise preference: the same choice as gold scores 1, anything else 0.
pub(crate) fn score_pairwise(control: &Control, mine: &[&Region], theirs: &[&Region]) -> ControlOutcome {
    let choice = |r: &Region| match &r.value {
        RegionValue::Pairwise { choice, .. } => Some(*choice),
        _ => None,
    };
    let expected = theirs.first().and_then(|r| choice(r));
    let got = mine.first().and_then(|r| choice(r));
    let (verdict, score) = match (expected, got) {
        (Some(e), Some(g)) if e == g => (Verdict::Matched { start_delta: 0, end_delta: 0 }, 1.0),
        (Some(e), Some(g)) => (Verdict::WrongLabel { expected: format!("{e:?}"), got: format!("{g:?}") }, 0.0),
        (_, None) => (Verdict::Missed, 0.0),
        (None, Some(_)) => (Verdict::Extra, 0.0),
    };
    let mut feedback = Vec::new();
    if let Verdict::WrongLabel { expected, got } = &verdict {
        feedback.push(Feedback {
            message: format!("you preferred {got}; gold prefers {expected}"),
            hint: Some("compare the two answers again".into()),
            guideline: control.guideline.clone(),
        });
    }
    let verdicts = vec![RegionVerdict {
        control: control.name.clone(),
        region: mine.first().map(|r| r.id.clone()),
        gold_region: theirs.first().map(|r| r.id.clone()),
        verdict,
    }];
    ControlOutcome { score, metrics: BTreeMap::new(), verdicts, feedback }
}
