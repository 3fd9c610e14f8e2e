//! Consistency validation: what is wrong with an annotation before it is submitted.
//!
//! [`validate`] runs in the browser on every edit and on the server for every submit. It never
//! panics and never fails: whatever the input, it returns a list of [`Finding`]s.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::text::{self, is_edge_space};
use crate::{Control, ControlKind, Item, Media, Region, RegionValue, SpanOverlap, TaskSpec};

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
    fn error(code: &str, control: Option<&Control>, message: String) -> Finding {
        Finding {
            severity: Severity::Error,
            code: code.to_string(),
            message,
            control: control.map(|c| c.name.clone()),
            regions: Vec::new(),
            guideline: control.and_then(|c| c.guideline.clone()),
        }
    }

    fn on(mut self, regions: &[&Region]) -> Finding {
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

    let mut ids = HashSet::new();
    for region in regions {
        if !ids.insert(region.id.as_str()) {
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
            // Geometry, audio, video and pairwise rules arrive with the QA engine (issue 3);
            // the generic checks above (control, region type, labels) already apply to them.
            _ => {}
        }
    }
    findings
}

fn check_labels(control: &Control, region: &Region, findings: &mut Vec<Finding>) {
    for label in region.value.labels() {
        if control.label(label).is_none() {
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
    let chosen: usize = answers.iter().map(|r| r.value.labels().len()).sum();
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
