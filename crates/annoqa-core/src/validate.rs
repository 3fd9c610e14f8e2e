//! Consistency validation: what is wrong with an annotation before it is submitted.
//!
//! [`validate`] runs in the browser on every edit and on the server for every submit. It never
//! panics and never fails: whatever the input, it returns a list of [`Finding`]s.

use serde::{Deserialize, Serialize};

use crate::geometry::{box_in_media, point_in_media, polygon_in_media, polygon_problem};
use crate::text::{self, is_edge_space};
use crate::{BoxGeometry, Control, ControlKind, Item, Media, PairChoice, Region, RegionValue, SpanOverlap, TaskSpec};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks submitting.
    Error,
    /// Submitting needs a confirmation.
    Warning,
}

/// One problem with an annotation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine name of the rule, e.g. `span_whitespace_edge`.
    pub code: String,
    /// What is wrong, in words the annotator can act on.
    pub message: String,
    /// The control the finding concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// Ids of the regions involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Guideline section that explains the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

impl Finding {
    pub(crate) fn error(code: &str, control: Option<&Control>, message: String) -> Finding {
        Finding {
            severity: Severity::Error,
            code: code.to_string(),
            message,
            control: control.map(|c| c.name.clone()),
            regions: Vec::new(),
            guideline: control.and_then(|c| c.guideline.clone()),
        }
    }

    pub(crate) fn on(mut self, regions: &[&Region]) -> Finding {
        self.regions = regions.iter().map(|r| r.id.clone()).collect();
        self
    }
}

/// Whether any finding blocks submitting.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Everything inconsistent about `regions` as an answer to `item` under `spec`.
pub fn validate(spec: &TaskSpec, item: &Item, regions: &[Region]) -> Vec<Finding> {
    let mut findings = Vec::new();

    // Duplicate ids by sorting rather than hashing: this runs on every edit, in Wasm too.
    let mut ids: Vec<(&str, usize)> = regions.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    ids.sort_unstable();
    let mut repeated: Vec<usize> = ids.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[0].1.max(w[1].1)).collect();
    repeated.sort_unstable();
    let mut repeated = repeated.into_iter().peekable();
    for (index, region) in regions.iter().enumerate() {
        if repeated.next_if_eq(&index).is_some() {
            findings.push(
                Finding::error("duplicate_region_id", None, format!("region id `{}` is used twice", region.id))
                    .on(&[region]),
            );
        }
        match spec.control(&region.control) {
            None => findings.push(
                Finding::error(
                    "unknown_control",
                    None,
                    format!("region `{}` answers `{}`, which is not a control of this task", region.id, region.control),
                )
                .on(&[region]),
            ),
            Some(control) if !control.kind.accepts(&region.value) => findings.push(
                Finding::error(
                    "wrong_region_type",
                    Some(control),
                    format!("`{}` takes {} answers, not this kind of region", control.name, control.kind.name()),
                )
                .on(&[region]),
            ),
            Some(control) => check_labels(control, region, &mut findings),
        }
    }

    for control in &spec.controls {
        let answers: Vec<&Region> =
            regions.iter().filter(|r| r.control == control.name && control.kind.accepts(&r.value)).collect();
        let empty = answers.iter().all(|r| matches!(&r.value, RegionValue::Choice { labels } if labels.is_empty()));
        if control.required && empty {
            let what = if control.prompt.is_empty() { control.name.clone() } else { control.prompt.clone() };
            findings.push(Finding::error("required", Some(control), format!("answer required: {what}")));
        }
        match &control.kind {
            ControlKind::Choice { multiple } => check_choice(control, *multiple, &answers, &mut findings),
            ControlKind::TextSpans { overlap } => check_spans(control, *overlap, item, &answers, &mut findings),
            ControlKind::Pairwise { allow_tie, rationale_required } => {
                check_pairwise(control, *allow_tie, *rationale_required, item, &answers, &mut findings)
            }
            _ => check_media_regions(control, item, &answers, &mut findings),
        }
    }
    crate::rules::apply_rules(spec, item, regions, &mut findings);
    findings
}

/// The axis-aligned box of a box-like region: a box, a video box, or a polygon's bounds.
pub(crate) fn region_box(value: &RegionValue) -> Option<BoxGeometry> {
    match value {
        RegionValue::BBox { x, y, width, height, .. } | RegionValue::VideoBox { x, y, width, height, .. } => {
            Some(BoxGeometry { x: *x, y: *y, width: *width, height: *height })
        }
        RegionValue::Polygon { points, .. } if !points.is_empty() => {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for [x, y] in points {
                x0 = x0.min(*x);
                y0 = y0.min(*y);
                x1 = x1.max(*x);
                y1 = y1.max(*y);
            }
            Some(BoxGeometry { x: x0, y: y0, width: x1 - x0, height: y1 - y0 })
        }
        _ => None,
    }
}

/// Frame size in pixels of an image or video item.
fn frame_size(media: &Media) -> Option<(f64, f64)> {
    match media {
        Media::Image { width, height, .. } | Media::Video { width, height, .. } => {
            Some((f64::from(*width), f64::from(*height)))
        }
        _ => None,
    }
}

fn describe(b: &BoxGeometry) -> String {
    format!("({:.1}, {:.1}, {:.1}×{:.1})", b.x, b.y, b.width, b.height)
}

/// Built-in geometry and time checks: every coordinate finite, every region inside its media,
/// polygons simple, segments ordered and inside the duration, keyframes ordered.
fn check_media_regions(control: &Control, item: &Item, answers: &[&Region], findings: &mut Vec<Finding>) {
    let needs = |what: &str, region: &Region| {
        Finding::error("wrong_media", Some(control), format!("{what} need {} items", media_word(control))).on(&[region])
    };
    for region in answers {
        let mut problem = |code: &str, message: String| {
            findings.push(Finding::error(code, Some(control), message).on(&[region]));
        };
        match &region.value {
            RegionValue::BBox { x, y, width, height, label }
            | RegionValue::VideoBox { x, y, width, height, label, .. } => {
                let b = BoxGeometry { x: *x, y: *y, width: *width, height: *height };
                let Some((w, h)) = frame_size(&item.media) else {
                    findings.push(needs("boxes", region));
                    continue;
                };
                if ![*x, *y, *width, *height].iter().all(|v| v.is_finite()) {
                    problem("not_finite", format!("{label} box `{}` has a coordinate that is not a number", region.id));
                } else if *width <= 0.0 || *height <= 0.0 {
                    problem("empty_box", format!("{label} box `{}` has no area {}", region.id, describe(&b)));
                } else if !box_in_media(&b, w, h) {
                    problem(
                        "outside_media",
                        format!("{label} box `{}` {} reaches outside the {w}×{h} frame", region.id, describe(&b)),
                    );
                }
                if let (RegionValue::VideoBox { frame, .. }, Media::Video { frame_count, .. }) =
                    (&region.value, &item.media)
                {
                    if frame >= frame_count {
                        problem(
                            "outside_frames",
                            format!(
                                "{label} box `{}` is on frame {frame}; the video has frames 0–{}",
                                region.id,
                                frame_count.saturating_sub(1)
                            ),
                        );
                    }
                }
            }
            RegionValue::Polygon { points, label } => {
                let Some((w, h)) = frame_size(&item.media) else {
                    findings.push(needs("polygons", region));
                    continue;
                };
                if let Some(p) = polygon_problem(points) {
                    problem("invalid_polygon", format!("{label} polygon `{}`: {p}", region.id));
                } else if !polygon_in_media(points, w, h) {
                    problem(
                        "outside_media",
                        format!("{label} polygon `{}` reaches outside the {w}×{h} frame", region.id),
                    );
                }
            }
            RegionValue::Keypoint { x, y, label } => {
                let Some((w, h)) = frame_size(&item.media) else {
                    findings.push(needs("keypoints", region));
                    continue;
                };
                if !x.is_finite() || !y.is_finite() {
                    problem(
                        "not_finite",
                        format!("{label} keypoint `{}` has a coordinate that is not a number", region.id),
                    );
                } else if !point_in_media(*x, *y, w, h) {
                    problem(
                        "outside_media",
                        format!("{label} keypoint `{}` ({x:.1}, {y:.1}) lies outside the {w}×{h} frame", region.id),
                    );
                }
            }
            RegionValue::AudioSegment { start, end, label, transcript } => {
                let Media::Audio { duration, .. } = &item.media else {
                    findings.push(needs("audio segments", region));
                    continue;
                };
                if !start.is_finite() || !end.is_finite() {
                    problem("not_finite", format!("{label} segment `{}` has a time that is not a number", region.id));
                } else if start >= end {
                    problem(
                        "empty_segment",
                        format!("{label} segment `{}` ends ({end:.3} s) before it starts ({start:.3} s)", region.id),
                    );
                } else if *start < 0.0 || end > duration {
                    problem(
                        "outside_media",
                        format!(
                            "{label} segment `{}` {start:.3}–{end:.3} s lies outside the {duration:.3} s recording",
                            region.id
                        ),
                    );
                }
                let transcribed = matches!(control.kind, ControlKind::AudioSegments { transcript: true });
                if !transcribed && transcript.is_some() {
                    problem("unexpected_transcript", format!("`{}` takes no transcripts", control.name));
                }
            }
            RegionValue::VideoTrack { keyframes, label } => {
                let Media::Video { width, height, frame_count, .. } = &item.media else {
                    findings.push(needs("tracks", region));
                    continue;
                };
                if keyframes.is_empty() {
                    problem("empty_track", format!("{label} track `{}` has no keyframes", region.id));
                }
                if keyframes.windows(2).any(|k| k[0].frame >= k[1].frame) {
                    problem(
                        "keyframes_unordered",
                        format!("{label} track `{}` has keyframes out of order or repeated", region.id),
                    );
                }
                for k in keyframes {
                    let b = k.geometry();
                    if k.frame >= *frame_count {
                        problem(
                            "outside_frames",
                            format!(
                                "{label} track `{}` has a keyframe on frame {}; the video has frames 0–{}",
                                region.id,
                                k.frame,
                                frame_count.saturating_sub(1)
                            ),
                        );
                        break;
                    }
                    let visible_box_ok =
                        b.width > 0.0 && b.height > 0.0 && box_in_media(&b, f64::from(*width), f64::from(*height));
                    if !k.outside && !visible_box_ok {
                        problem(
                            "outside_media",
                            format!(
                                "{label} track `{}` at frame {}: box {} is empty or outside the frame",
                                region.id,
                                k.frame,
                                describe(&b)
                            ),
                        );
                        break;
                    }
                }
            }
            RegionValue::VideoSegment { start_frame, end_frame, label } => {
                let Media::Video { frame_count, .. } = &item.media else {
                    findings.push(needs("video segments", region));
                    continue;
                };
                if start_frame > end_frame {
                    problem(
                        "empty_segment",
                        format!(
                            "{label} segment `{}` ends (frame {end_frame}) before it starts (frame {start_frame})",
                            region.id
                        ),
                    );
                } else if end_frame >= frame_count {
                    problem(
                        "outside_frames",
                        format!(
                            "{label} segment `{}` ends on frame {end_frame}; the video has frames 0–{}",
                            region.id,
                            frame_count.saturating_sub(1)
                        ),
                    );
                }
            }
            RegionValue::Choice { .. } | RegionValue::TextSpan { .. } | RegionValue::Pairwise { .. } => {}
        }
    }
}

fn media_word(control: &Control) -> &'static str {
    match control.kind {
        ControlKind::AudioSegments { .. } => "audio",
        ControlKind::VideoBoxes | ControlKind::VideoTracks | ControlKind::VideoSegments => "video",
        _ => "image or video",
    }
}

fn check_pairwise(
    control: &Control,
    allow_tie: bool,
    rationale_required: bool,
    item: &Item,
    answers: &[&Region],
    findings: &mut Vec<Finding>,
) {
    if answers.len() > 1 {
        findings.push(
            Finding::error(
                "choice_repeated",
                Some(control),
                format!("`{}` takes exactly one preference", control.name),
            )
            .on(answers),
        );
    }
    if item.candidates.len() != 2 && !answers.is_empty() {
        findings.push(Finding::error(
            "pairwise_needs_two",
            Some(control),
            format!("a preference needs an item with two candidates; this one has {}", item.candidates.len()),
        ));
    }
    for region in answers {
        let RegionValue::Pairwise { choice, rationale } = &region.value else { continue };
        if *choice == PairChoice::Tie && !allow_tie {
            findings.push(
                Finding::error("tie_not_allowed", Some(control), "pick A or B: a tie is not allowed here".into())
                    .on(&[region]),
            );
        }
        if rationale_required && rationale.as_deref().is_none_or(|r| r.trim().is_empty()) {
            findings.push(
                Finding::error("rationale_required", Some(control), "say why you prefer this answer".into())
                    .on(&[region]),
            );
        }
    }
}

fn check_labels(control: &Control, region: &Region, findings: &mut Vec<Finding>) {
    let unknown: Vec<&str> = match &region.value {
        RegionValue::Choice { labels } => {
            labels.iter().map(String::as_str).filter(|l| control.label(l).is_none()).collect()
        }
        other => other.first_label().filter(|l| control.label(l).is_none()).into_iter().collect(),
    };
    for label in unknown {
        {
            let allowed: Vec<&str> = control.labels.iter().map(|l| l.value.as_str()).collect();
            findings.push(
                Finding::error(
                    "unknown_label",
                    Some(control),
                    format!("`{label}` is not a label of `{}` (allowed: {})", control.name, allowed.join(", ")),
                )
                .on(&[region]),
            );
        }
    }
}

fn check_choice(control: &Control, multiple: bool, answers: &[&Region], findings: &mut Vec<Finding>) {
    let chosen: usize = answers
        .iter()
        .map(|r| match &r.value {
            RegionValue::Choice { labels } => labels.len(),
            _ => 0,
        })
        .sum();
    if answers.len() > 1 {
        findings.push(
            Finding::error("choice_repeated", Some(control), format!("`{}` is answered more than once", control.name))
                .on(answers),
        );
    } else if !multiple && chosen > 1 {
        findings.push(
            Finding::error("single_choice", Some(control), format!("pick only one label for `{}`", control.name))
                .on(answers),
        );
    }
}

struct Span<'a> {
    region: &'a Region,
    start: usize,
    end: usize,
    label: &'a str,
}

fn check_spans(control: &Control, overlap: SpanOverlap, item: &Item, answers: &[&Region], findings: &mut Vec<Finding>) {
    let Media::Text { text } = &item.media else {
        if !answers.is_empty() {
            findings.push(
                Finding::error("span_needs_text", Some(control), "text spans can only be drawn on text items".into())
                    .on(answers),
            );
        }
        return;
    };
    let len = text::scalar_len(text);
    let mut spans = Vec::new();
    for region in answers {
        let RegionValue::TextSpan { start, end, label } = &region.value else { continue };
        let (start, end) = (*start, *end);
        if start > end || end > len {
            findings.push(
                Finding::error(
                    "span_out_of_bounds",
                    Some(control),
                    format!("span {start}–{end} lies outside the text (0–{len})"),
                )
                .on(&[region]),
            );
            continue;
        }
        if start == end {
            findings
                .push(Finding::error("span_empty", Some(control), format!("span at {start} is empty")).on(&[region]));
            continue;
        }
        let covered = text::slice(text, start, end).unwrap_or_default();
        if covered.chars().all(is_edge_space) {
            findings.push(
                Finding::error("span_empty", Some(control), format!("span {start}–{end} covers only white space"))
                    .on(&[region]),
            );
            continue;
        }
        let leading = covered.starts_with(is_edge_space);
        let trailing = covered.ends_with(is_edge_space);
        if leading || trailing {
            let edge = match (leading, trailing) {
                (true, true) => "both ends",
                (true, false) => "its start",
                _ => "its end",
            };
            findings.push(
                Finding::error(
                    "span_whitespace_edge",
                    Some(control),
                    format!("{label} span “{}” has white space at {edge}", covered.trim()),
                )
                .on(&[region]),
            );
        }
        spans.push(Span { region, start, end, label });
    }
    check_span_overlap(control, overlap, text, &mut spans, findings);
}

/// Sweep over spans sorted by start: a span overlaps an earlier one exactly when it starts
/// before the furthest end seen so far, so one pass (O(n log n) with the sort) finds every
/// overlapping span, each reported once beside the span that reaches furthest.
fn check_span_overlap(
    control: &Control,
    rule: SpanOverlap,
    text: &str,
    spans: &mut [Span<'_>],
    findings: &mut Vec<Finding>,
) {
    if rule == SpanOverlap::Allowed {
        return;
    }
    spans.sort_by(|a, b| (a.label, a.start, a.end).cmp(&(b.label, b.start, b.end)));
    if rule == SpanOverlap::AllForbidden {
        spans.sort_by_key(|s| (s.start, s.end));
    }
    let mut furthest: Option<usize> = None;
    for i in 0..spans.len() {
        let span = &spans[i];
        if let Some(f) = furthest {
            let other = &spans[f];
            let same_group = rule == SpanOverlap::AllForbidden || other.label == span.label;
            if same_group && span.start < other.end {
                let quote = |s: &Span<'_>| text::slice(text, s.start, s.end).unwrap_or_default().to_string();
                let message = if other.label == span.label {
                    format!("{} spans “{}” and “{}” overlap", span.label, quote(other), quote(span))
                } else {
                    format!("{} span “{}” overlaps {} span “{}”", other.label, quote(other), span.label, quote(span))
                };
                findings.push(Finding::error("span_overlap", Some(control), message).on(&[other.region, span.region]));
            }
            if !same_group || span.end > other.end {
                furthest = Some(i);
            }
        } else {
            furthest = Some(i);
        }
    }
}
