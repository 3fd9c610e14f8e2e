//! The built-in checks of whole-item answers and text: labels known, choices, text areas and
//! rankings answered once, rankings in known buckets without repeated ids, spans inside the
//! text without white space at their edges or forbidden overlaps, pairwise answers whole.
//! Media regions are checked in [`super::media`].

use super::limits::truncated;
use super::{error, FindingExt};
use crate::finding::Finding;
use crate::order::{sort_by, sort_by_key, sort_unstable};
use crate::text::{self, is_edge_space};
use crate::{Control, Item, Media, PairChoice, Region, RegionValue, SpanOverlap};

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

/// A whole-item answer given by more than one region.
pub(super) fn check_answered_once(control: &Control, answers: &[&Region], findings: &mut Vec<Finding>) {
    if answers.len() > 1 {
        findings.push(
            error("choice_repeated", Some(control), format!("`{}` is answered more than once", control.name))
                .on(answers),
        );
    }
}

/// One ranking per control, its buckets the control's (when it names any), no id ranked twice:
/// neither within `order` nor across the buckets. Sorting, not hashing, finds repeats.
pub(super) fn check_ranking(control: &Control, allowed: &[String], answers: &[&Region], findings: &mut Vec<Finding>) {
    check_answered_once(control, answers, findings);
    for region in answers {
        let RegionValue::Ranking { order, buckets } = &region.value else { continue };
        if !allowed.is_empty() {
            for name in buckets.keys().filter(|name| !allowed.contains(name)) {
                findings.push(
                    error(
                        "unknown_bucket",
                        Some(control),
                        format!(
                            "`{}` is not a bucket of `{}` (allowed: {})",
                            truncated(name),
                            control.name,
                            allowed.join(", ")
                        ),
                    )
                    .on(&[region]),
                );
            }
        }
        let repeated = [first_repeat(order.iter()), first_repeat(buckets.values().flatten())];
        for (id, count) in repeated.into_iter().flatten() {
            let others = match count {
                0 => String::new(),
                1 => " (and 1 more repeated id)".to_string(),
                n => format!(" (and {n} more repeated ids)"),
            };
            findings.push(
                error(
                    "ranked_twice",
                    Some(control),
                    format!("`{}` is ranked more than once in `{}`{others}", truncated(id), truncated(&region.id)),
                )
                .on(&[region]),
            );
        }
    }
}

/// The first id (in sort order) that occurs more than once, and how many other ids repeat too.
fn first_repeat<'a>(ids: impl Iterator<Item = &'a String>) -> Option<(&'a str, usize)> {
    let mut sorted: Vec<&str> = ids.map(String::as_str).collect();
    sort_unstable(&mut sorted);
    let mut repeats = sorted.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect::<Vec<_>>();
    repeats.dedup();
    let first = *repeats.first()?;
    Some((first, repeats.len() - 1))
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
    sort_by(spans, |a, b| (a.label, a.start, a.end).cmp(&(b.label, b.start, b.end)));
    if rule == SpanOverlap::AllForbidden {
        sort_by_key(spans, |s| (s.start, s.end));
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
