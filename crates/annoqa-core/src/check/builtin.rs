//! The built-in checks every spec gets: labels known, choices answered once, spans inside the
//! text without white space at their edges, geometry finite and inside the media, polygons
//! simple, segments ordered and inside the duration, keyframes ordered, pairwise answers whole.

use super::{error, FindingExt};
use crate::finding::Finding;
use crate::geometry::{box_in_media, point_in_media, polygon_in_media, polygon_problem};
use crate::text::{self, is_edge_space};
use crate::{BoxGeometry, Control, ControlKind, Item, Media, PairChoice, Region, RegionValue, SpanOverlap};

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
pub(super) fn check_media_regions(control: &Control, item: &Item, answers: &[&Region], findings: &mut Vec<Finding>) {
    let needs = |what: &str, region: &Region| {
        error("wrong_media", Some(control), format!("{what} need {} items", media_word(control))).on(&[region])
    };
    for region in answers {
        let mut problem = |code: &str, message: String| {
            findings.push(error(code, Some(control), message).on(&[region]));
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

pub(super) fn check_pairwise(
    control: &Control,
    allow_tie: bool,
    rationale_required: bool,
    item: &Item,
    answers: &[&Region],
    findings: &mut Vec<Finding>,
) {
    if answers.len() > 1 {
        findings.push(
            error("choice_repeated", Some(control), format!("`{}` takes exactly one preference", control.name))
                .on(answers),
        );
    }
    if item.candidates.len() != 2 && !answers.is_empty() {
        findings.push(error(
            "pairwise_needs_two",
            Some(control),
            format!("a preference needs an item with two candidates; this one has {}", item.candidates.len()),
        ));
    }
    for region in answers {
        let RegionValue::Pairwise { choice, rationale } = &region.value else { continue };
        if *choice == PairChoice::Tie && !allow_tie {
            findings.push(
                error("tie_not_allowed", Some(control), "pick A or B: a tie is not allowed here".into()).on(&[region]),
            );
        }
        if rationale_required && rationale.as_deref().is_none_or(|r| r.trim().is_empty()) {
            findings.push(
                error("rationale_required", Some(control), "say why you prefer this answer".into()).on(&[region]),
            );
        }
    }
}

pub(super) fn check_labels(control: &Control, region: &Region, findings: &mut Vec<Finding>) {
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
                error(
                    "unknown_label",
                    Some(control),
                    format!("`{label}` is not a label of `{}` (allowed: {})", control.name, allowed.join(", ")),
                )
                .on(&[region]),
            );
        }
    }
}

pub(super) fn check_choice(control: &Control, multiple: bool, answers: &[&Region], findings: &mut Vec<Finding>) {
    let chosen: usize = answers
        .iter()
        .map(|r| match &r.value {
            RegionValue::Choice { labels } => labels.len(),
            _ => 0,
        })
        .sum();
    if answers.len() > 1 {
        findings.push(
            error("choice_repeated", Some(control), format!("`{}` is answered more than once", control.name))
                .on(answers),
        );
    } else if !multiple && chosen > 1 {
        findings.push(
            error("single_choice", Some(control), format!("pick only one label for `{}`", control.name)).on(answers),
        );
    }
}

struct Span<'a> {
    region: &'a Region,
    start: usize,
    end: usize,
    label: &'a str,
}

pub(super) fn check_spans(
    control: &Control,
    overlap: SpanOverlap,
    item: &Item,
    answers: &[&Region],
    findings: &mut Vec<Finding>,
) {
    let Media::Text { text } = &item.media else {
        if !answers.is_empty() {
            findings.push(
                error("span_needs_text", Some(control), "text spans can only be drawn on text items".into())
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
                error(
                    "span_out_of_bounds",
                    Some(control),
                    format!("span {start}–{end} lies outside the text (0–{len})"),
                )
                .on(&[region]),
            );
            continue;
        }
        if start == end {
            findings.push(error("span_empty", Some(control), format!("span at {start} is empty")).on(&[region]));
            continue;
        }
        let covered = text::slice(text, start, end).unwrap_or_default();
        if covered.chars().all(is_edge_space) {
            findings.push(
                error("span_empty", Some(control), format!("span {start}–{end} covers only white space")).on(&[region]),
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
                error(
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
                findings.push(error("span_overlap", Some(control), message).on(&[other.region, span.region]));
            }
            if !same_group || span.end > other.end {
                furthest = Some(i);
            }
        } else {
            furthest = Some(i);
        }
    }
}
