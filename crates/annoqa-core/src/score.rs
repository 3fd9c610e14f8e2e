//! Gold scoring: how far an annotation is from a gold answer, explained region by region.
//!
//! [`score_gold`] is the one scoring implementation: the browser calls it for instant feedback
//! on training items, the server calls it for the authoritative score of every gold item.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::score_regions::{
    score_audio, score_keypoints, score_pairwise, score_shapes, score_tracks_control, score_video_segments,
    ControlOutcome,
};
use crate::text;
use crate::{Control, ControlKind, Gold, Item, Media, Region, RegionValue, TaskSpec, Tolerance};

/// The result of checking one annotation against gold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldReport {
    pub passed: bool,
    /// 0–1: the mean of the scored controls' scores.
    pub score: f64,
    pub pass_threshold: f64,
    pub controls: Vec<ControlScore>,
    pub verdicts: Vec<RegionVerdict>,
    /// Short sentences for the annotator, most important first.
    pub feedback: Vec<Feedback>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ControlScore {
    pub control: String,
    pub score: f64,
    /// Kind-specific measures behind the score, e.g. `event_f1`, `wer`, `mota`, `idf1`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

/// The verdict on one region: an annotated region, a gold region, or a pair of them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegionVerdict {
    pub control: String,
    /// The annotated region, if the verdict concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The gold region, if the verdict concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_region: Option<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Counted as correct; the deltas say how far the boundaries are off within tolerance
    /// (annotation minus gold, in the control's unit: characters for text).
    Matched { start_delta: i64, end_delta: i64 },
    /// Gold has it, the annotation does not.
    Missed,
    /// The annotation has it, gold does not.
    Extra,
    /// Same place as gold, different label.
    WrongLabel { expected: String, got: String },
    /// Same label, overlapping gold, but the boundaries are outside tolerance (characters for
    /// text, milliseconds for audio, frames for video segments).
    BoundaryOff { start_delta: i64, end_delta: i64, overlap: f64 },
    /// Same label, overlapping gold, but below the IoU (boxes, polygons) or OKS (keypoints)
    /// threshold; `overlap` is that IoU or OKS.
    LowOverlap { overlap: f64 },
    /// The segment matches in time, but its transcript is too far from gold.
    TranscriptOff { wer: f64, cer: f64 },
}

impl Verdict {
    pub fn is_correct(&self) -> bool {
        matches!(self, Verdict::Matched { .. })
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Feedback {
    pub message: String,
    /// The same point without quoting the gold answer, for the `hints` reveal policy; `None`
    /// when `message` quotes nothing of gold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

/// Check `regions` (an annotation of `item`) against `gold`.
pub fn score_gold(spec: &TaskSpec, item: &Item, gold: &Gold, regions: &[Region]) -> GoldReport {
    let mut scores = Vec::new();
    let mut verdicts = Vec::new();
    let mut feedback = Vec::new();

    for control in &spec.controls {
        let mine: Vec<&Region> =
            regions.iter().filter(|r| r.control == control.name && control.kind.accepts(&r.value)).collect();
        let theirs: Vec<&Region> = gold.answer.iter().filter(|r| r.control == control.name).collect();
        let tolerance = control.tolerance.overridden_by(gold.tolerance.get(&control.name));
        if theirs.is_empty() && (mine.is_empty() || matches!(control.kind, ControlKind::Choice { .. })) {
            // Nothing in gold and nothing drawn: no evidence either way.
            continue;
        }
        let outcome = match &control.kind {
            ControlKind::Choice { .. } => {
                let score = score_choice(control, &mine, &theirs, &mut verdicts, &mut feedback);
                ControlOutcome { score, metrics: BTreeMap::new(), verdicts: Vec::new(), feedback: Vec::new() }
            }
            ControlKind::TextSpans { .. } => {
                let Media::Text { text } = &item.media else { continue };
                let score = score_spans(control, tolerance, text, &mine, &theirs, &mut verdicts, &mut feedback);
                ControlOutcome { score, metrics: BTreeMap::new(), verdicts: Vec::new(), feedback: Vec::new() }
            }
            ControlKind::BBox | ControlKind::VideoBoxes | ControlKind::Polygon => {
                score_shapes(control, &tolerance, &mine, &theirs)
            }
            ControlKind::Keypoint => score_keypoints(control, &tolerance, item, &mine, &theirs),
            ControlKind::AudioSegments { .. } => score_audio(control, &tolerance, &mine, &theirs),
            ControlKind::VideoTracks => score_tracks_control(control, &tolerance, &mine, &theirs),
            ControlKind::VideoSegments => score_video_segments(control, &tolerance, &mine, &theirs),
            ControlKind::Pairwise { .. } => score_pairwise(control, &mine, &theirs),
        };
        verdicts.extend(outcome.verdicts);
        feedback.extend(outcome.feedback);
        scores.push(ControlScore { control: control.name.clone(), score: outcome.score, metrics: outcome.metrics });
    }

    let score = if scores.is_empty() { 1.0 } else { scores.iter().map(|s| s.score).sum::<f64>() / scores.len() as f64 };
    let passed = score >= spec.pass_threshold;
    if !gold.explanation.is_empty() {
        let hint = gold.guideline.as_ref().map(|g| format!("see the guideline section `{g}`"));
        feedback.insert(0, Feedback { message: gold.explanation.clone(), hint, guideline: gold.guideline.clone() });
    }
    GoldReport { passed, score, pass_threshold: spec.pass_threshold, controls: scores, verdicts, feedback }
}

pub(crate) fn label_guideline(control: &Control, label: &str) -> Option<String> {
    control.label(label).and_then(|l| l.guideline.clone()).or_else(|| control.guideline.clone())
}

/// Choice controls: the Jaccard index of the chosen and gold label sets (1 for an exact match,
/// 0 for a wrong single choice).
fn score_choice(
    control: &Control,
    mine: &[&Region],
    theirs: &[&Region],
    verdicts: &mut Vec<RegionVerdict>,
    feedback: &mut Vec<Feedback>,
) -> f64 {
    let mut chosen: Vec<&str> = mine.iter().flat_map(|r| r.value.labels()).collect();
    let mut expected: Vec<&str> = theirs.iter().flat_map(|r| r.value.labels()).collect();
    chosen.sort_unstable();
    chosen.dedup();
    expected.sort_unstable();
    expected.dedup();
    let both = chosen.iter().filter(|l| expected.contains(l)).count();
    let either = chosen.len() + expected.len() - both;
    let mut score = if either == 0 { 1.0 } else { both as f64 / either as f64 };
    if let ([e], [g]) = (expected.as_slice(), chosen.as_slice()) {
        // A single choice may have a cheaper confusion than "completely wrong".
        if e != g {
            let cost = control.costs.iter().find(|c| c.expected == *e && c.got == *g).map_or(1.0, |c| c.cost);
            score = 1.0 - cost.clamp(0.0, 1.0);
        }
    }
    let region = mine.first().map(|r| r.id.clone());
    let gold_region = theirs.first().map(|r| r.id.clone());
    let verdict = if both == either {
        Verdict::Matched { start_delta: 0, end_delta: 0 }
    } else if chosen.is_empty() {
        Verdict::Missed
    } else {
        Verdict::WrongLabel { expected: expected.join(", "), got: chosen.join(", ") }
    };
    let what = if control.prompt.is_empty() { control.name.as_str() } else { control.prompt.as_str() };
    match &verdict {
        Verdict::Missed => feedback.push(Feedback {
            message: format!("{what}: no answer; gold is {}", expected.join(", ")),
            hint: Some(format!("{what}: no answer")),
            guideline: control.guideline.clone(),
        }),
        Verdict::WrongLabel { expected: e, got } => feedback.push(Feedback {
            message: format!("{what}: you chose {got}; gold is {e}"),
            hint: Some(format!("{what}: reconsider {got}")),
            guideline: expected.first().and_then(|l| label_guideline(control, l)),
        }),
        _ => {}
    }
    verdicts.push(RegionVerdict { control: control.name.clone(), region, gold_region, verdict });
    score
}

struct SpanRef<'a> {
    id: &'a str,
    start: usize,
    end: usize,
    label: &'a str,
}

fn span_refs<'a>(regions: &[&'a Region]) -> Vec<SpanRef<'a>> {
    regions
        .iter()
        .filter_map(|r| match &r.value {
            RegionValue::TextSpan { start, end, label } => Some(SpanRef { id: &r.id, start: *start, end: *end, label }),
            _ => None,
        })
        .collect()
}

/// Character IoU of two half-open ranges.
pub fn span_iou(a: (usize, usize), b: (usize, usize)) -> f64 {
    let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let union = (a.1.max(b.1)).saturating_sub(a.0.min(b.0));
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Text spans: pair annotated and gold spans one-to-one (best pairs first: a match, then a
/// same-label boundary miss, then a wrong label; higher IoU first within each), then score
/// F1 = 2·matched / (2·matched + errors on both sides).
fn score_spans(
    control: &Control,
    tolerance: Tolerance,
    text: &str,
    mine: &[&Region],
    theirs: &[&Region],
    verdicts: &mut Vec<RegionVerdict>,
    feedback: &mut Vec<Feedback>,
) -> f64 {
    let mine = span_refs(mine);
    let theirs = span_refs(theirs);
    let min_overlap = tolerance.span_min_overlap.unwrap_or(1.0);
    let boundary = i64::from(tolerance.span_boundary_chars.unwrap_or(0));
    let judge = |m: &SpanRef<'_>, g: &SpanRef<'_>| -> Option<Verdict> {
        let overlap = span_iou((m.start, m.end), (g.start, g.end));
        if overlap <= 0.0 {
            return None;
        }
        let start_delta = m.start as i64 - g.start as i64;
        let end_delta = m.end as i64 - g.end as i64;
        let within = overlap >= min_overlap || (start_delta.abs() <= boundary && end_delta.abs() <= boundary);
        Some(if m.label != g.label {
            Verdict::WrongLabel { expected: g.label.to_string(), got: m.label.to_string() }
        } else if within {
            Verdict::Matched { start_delta, end_delta }
        } else {
            Verdict::BoundaryOff { start_delta, end_delta, overlap }
        })
    };
    let rank = |v: &Verdict| match v {
        Verdict::Matched { .. } => 0,
        Verdict::BoundaryOff { .. } => 1,
        _ => 2,
    };

    let mut candidates = Vec::new();
    for (mi, m) in mine.iter().enumerate() {
        for (gi, g) in theirs.iter().enumerate() {
            if let Some(v) = judge(m, g) {
                let iou = span_iou((m.start, m.end), (g.start, g.end));
                candidates.push((rank(&v), iou, gi, mi, v));
            }
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));

    let mut mine_used = vec![false; mine.len()];
    let mut gold_used = vec![false; theirs.len()];
    let mut paired = Vec::new();
    for (_, _, gi, mi, verdict) in candidates {
        if !mine_used[mi] && !gold_used[gi] {
            mine_used[mi] = true;
            gold_used[gi] = true;
            paired.push((gi, mi, verdict));
        }
    }
    paired.sort_by_key(|(gi, _, _)| theirs[*gi].start);

    let quote = |s: &SpanRef<'_>| text::slice(text, s.start, s.end).unwrap_or("").to_string();
    let (mut matched, mut errors) = (0usize, 0usize);
    for (gi, mi, verdict) in paired {
        let (g, m) = (&theirs[gi], &mine[mi]);
        let message = match &verdict {
            Verdict::Matched { start_delta, end_delta } => {
                matched += 1;
                if *start_delta != 0 || *end_delta != 0 {
                    Some((
                        format!(
                            "{} “{}”: accepted, boundary off by {} within tolerance (gold “{}”)",
                            g.label,
                            quote(m),
                            start_delta.abs() + end_delta.abs(),
                            quote(g)
                        ),
                        Some(format!("{} “{}”: accepted, boundary slightly off", g.label, quote(m))),
                    ))
                } else {
                    None
                }
            }
            Verdict::WrongLabel { expected, got } => {
                errors += 2;
                Some((
                    format!("“{}” is {expected}, not {got}", quote(g)),
                    Some(format!("check the label of “{}”", quote(m))),
                ))
            }
            Verdict::BoundaryOff { start_delta, end_delta, .. } => {
                errors += 2;
                Some((
                    format!(
                        "{} “{}”: boundary off by {} (start {start_delta:+}, end {end_delta:+}); gold is “{}”",
                        g.label,
                        quote(m),
                        start_delta.abs() + end_delta.abs(),
                        quote(g)
                    ),
                    Some(format!("{} “{}”: check where it starts and ends", g.label, quote(m))),
                ))
            }
            _ => None,
        };
        if let Some((message, hint)) = message {
            feedback.push(Feedback { message, hint, guideline: label_guideline(control, g.label) });
        }
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(m.id.to_string()),
            gold_region: Some(g.id.to_string()),
            verdict,
        });
    }
    for (gi, g) in theirs.iter().enumerate().filter(|(i, _)| !gold_used[*i]) {
        errors += 1;
        feedback.push(Feedback {
            message: format!("missed {} “{}” ({}–{})", g.label, quote(g), g.start, g.end),
            hint: Some(format!("a {} is missing", g.label)),
            guideline: label_guideline(control, g.label),
        });
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: None,
            gold_region: Some(theirs[gi].id.to_string()),
            verdict: Verdict::Missed,
        });
    }
    for (_, m) in mine.iter().enumerate().filter(|(i, _)| !mine_used[*i]) {
        errors += 1;
        feedback.push(Feedback {
            message: format!("“{}” is not marked {} in gold", quote(m), m.label),
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
    if matched == 0 && errors == 0 {
        1.0
    } else {
        (2 * matched) as f64 / (2 * matched + errors) as f64
    }
}
