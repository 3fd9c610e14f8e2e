//! Evaluates a spec's declarative rules ([`crate::rule`]): one function per kind of rule, each
//! returning raw findings that [`apply_rules`] stamps with the rule's severity, message and
//! guideline. Overlap and duplicate rules on one control share one sweep ([`super::near`]).

use std::collections::HashMap;

use super::near::{cached_near_pairs, NearPair, NearPairs};
use super::region_box;
use crate::finding::Finding;
use crate::geometry::box_area;
use crate::rule::{Check, OverlapScope, Requirement};
use crate::{text, Item, Media, Region, RegionValue, TaskSpec};

/// A finding before the rule's severity, message override and guideline are applied.
struct Raw {
    code: &'static str,
    message: String,
    regions: Vec<String>,
}

fn raw(code: &'static str, message: String, regions: &[&Region]) -> Raw {
    Raw { code, message, regions: regions.iter().map(|r| r.id.clone()).collect() }
}

type NearCache<'a> = Vec<(String, OverlapScope, NearPairs<'a>)>;

/// At most this many findings of one rule are listed; one more finding counts the rest.
pub const MAX_FINDINGS_PER_RULE: usize = 500;

/// How many partners an aggregated overlap or duplicate finding names.
const LISTED_PARTNERS: usize = 5;

/// Findings of every declarative rule of `spec`.
pub(super) fn apply_rules(spec: &TaskSpec, item: &Item, regions: &[Region], findings: &mut Vec<Finding>) {
    let mut near_cache: NearCache<'_> = Vec::new();
    let least_iou = |control: &str, scope: OverlapScope| least_near_iou(spec, control, scope);
    for rule in &spec.rules {
        let of = |control: &str| -> Vec<&Region> { regions.iter().filter(|r| r.control == control).collect() };
        let with_label = |control: &str, label: &Option<String>| -> Vec<&Region> {
            of(control).into_iter().filter(|r| label.as_deref().is_none_or(|l| r.value.has_label(l))).collect()
        };
        let out = match &rule.check {
            Check::Count { control, label, min, max } => count(control, label, *min, *max, &with_label(control, label)),
            Check::RequiredAttribute { control, label, attribute, allowed } => {
                required_attribute(attribute, allowed, &with_label(control, label))
            }
            Check::Conditional { when_control, when_label, then_control, then } => {
                let triggered = of(when_control).iter().any(|r| r.value.has_label(when_label));
                if triggered {
                    conditional(when_control, when_label, then_control, *then, &of(then_control))
                } else {
                    Vec::new()
                }
            }
            Check::MinSize { control, label, min_width, min_height, min_area } => {
                min_size(*min_width, *min_height, *min_area, &with_label(control, label))
            }
            Check::NoDuplicates { control, min_iou } => {
                let scope = OverlapScope::SameLabel;
                let near = cached_near_pairs(&mut near_cache, control, scope, least_iou(control, scope), &of(control));
                let pairs = near.pairs.iter().filter(|p| p.iou >= *min_iou || p.identical);
                near_findings(pairs, near.complete, &NearWords::DUPLICATE)
            }
            Check::NoOverlap { control, scope, max_iou } => {
                let threshold = overlap_threshold(*max_iou);
                let near =
                    cached_near_pairs(&mut near_cache, control, *scope, least_iou(control, *scope), &of(control));
                near_findings(near.pairs.iter().filter(|p| p.iou >= threshold), near.complete, &NearWords::OVERLAP)
            }
            Check::TokenBoundaries { control } => match &item.media {
                Media::Text { text } => token_boundaries(text, &of(control)),
                _ => Vec::new(),
            },
            Check::SegmentLength { control, label, min, max } => {
                segment_length(*min, *max, &with_label(control, label))
            }
            Check::Transcript { control, required, charset, pattern, max_length } => {
                transcript(control, *required, charset.as_deref(), pattern.as_deref(), *max_length, &of(control))
            }
            Check::TrackContinuity { control, max_gap_frames } => track_continuity(*max_gap_frames, &of(control)),
        };
        let out = capped(out, rule.check.name());
        let control = spec.control(rule.check.control());
        findings.extend(out.into_iter().map(|r| Finding {
            severity: rule.severity,
            code: r.code.to_string(),
            message: rule.message.clone().unwrap_or(r.message),
            control: Some(rule.check.control().to_string()),
            regions: r.regions,
            guideline: rule.guideline.clone().or_else(|| control.and_then(|c| c.guideline.clone())),
        }));
    }
}

/// The IoU from which a `no_overlap` rule with `max_iou` reports a pair (0: any overlap).
fn overlap_threshold(max_iou: f64) -> f64 {
    if max_iou > 0.0 {
        max_iou
    } else {
        f64::MIN_POSITIVE
    }
}

/// The least IoU that the overlap and duplicate rules on `control` within `scope` ask for: the
/// near pairs they share need no box pair below it.
fn least_near_iou(spec: &TaskSpec, control: &str, scope: OverlapScope) -> f64 {
    let asked = spec.rules.iter().filter_map(|rule| match &rule.check {
        Check::NoDuplicates { control: c, min_iou } if c == control && scope == OverlapScope::SameLabel => {
            Some(*min_iou)
        }
        Check::NoOverlap { control: c, scope: s, max_iou } if c == control && *s == scope => {
            Some(overlap_threshold(*max_iou))
        }
        _ => None,
    });
    asked.fold(f64::INFINITY, f64::min)
}

fn count(
    control: &str,
    label: &Option<String>,
    min: Option<usize>,
    max: Option<usize>,
    matching: &[&Region],
) -> Vec<Raw> {
    let what = label.as_deref().map_or_else(|| format!("`{control}` regions"), |l| format!("{l} regions"));
    let mut out = Vec::new();
    if let Some(min) = min.filter(|m| matching.len() < *m) {
        out.push(raw("count_min", format!("at least {min} {what} needed, found {}", matching.len()), &[]));
    }
    if let Some(max) = max.filter(|m| matching.len() > *m) {
        out.push(raw("count_max", format!("at most {max} {what} allowed, found {}", matching.len()), matching));
    }
    out
}

fn region_name(r: &Region) -> String {
    r.value.first_label().map_or("region".to_string(), |l| format!("{l} region"))
}

fn required_attribute(attribute: &str, allowed: &[String], regions: &[&Region]) -> Vec<Raw> {
    let mut out = Vec::new();
    for r in regions {
        match r.attributes.get(attribute) {
            None => out.push(raw(
                "required_attribute",
                format!("{} `{}` needs the attribute `{attribute}`", region_name(r), r.id),
                &[r],
            )),
            Some(v) if !allowed.is_empty() && !allowed.contains(v) => out.push(raw(
                "attribute_value",
                format!("{} `{}`: `{attribute}` is `{v}`, not one of {}", region_name(r), r.id, allowed.join(", ")),
                &[r],
            )),
            Some(_) => {}
        }
    }
    out
}

fn conditional(
    when_control: &str,
    when_label: &str,
    then_control: &str,
    then: Requirement,
    answers: &[&Region],
) -> Vec<Raw> {
    let has_content = |r: &&Region| match &r.value {
        RegionValue::AudioSegment { transcript, .. } => transcript.as_deref().is_some_and(|t| !t.trim().is_empty()),
        RegionValue::Pairwise { .. } => true,
        RegionValue::TextArea { text } => text.iter().any(|line| !line.trim().is_empty()),
        RegionValue::Ranking { order, buckets } => !order.is_empty() || buckets.values().any(|ids| !ids.is_empty()),
        value => value.first_label().is_some(),
    };
    let when = format!("when `{when_control}` is {when_label}");
    match then {
        Requirement::Required if !answers.iter().any(has_content) => {
            vec![raw("conditional_required", format!("`{then_control}` is required {when}"), &[])]
        }
        Requirement::Forbidden if !answers.is_empty() => {
            vec![raw("conditional_forbidden", format!("`{then_control}` must not be answered {when}"), answers)]
        }
        Requirement::Empty if answers.iter().any(has_content) => {
            vec![raw("conditional_empty", format!("`{then_control}` must be empty {when}"), answers)]
        }
        _ => Vec::new(),
    }
}

fn min_size(min_width: Option<f64>, min_height: Option<f64>, min_area: Option<f64>, regions: &[&Region]) -> Vec<Raw> {
    let mut out = Vec::new();
    for r in regions {
        let Some(b) = region_box(&r.value) else { continue };
        let small_w = min_width.is_some_and(|m| b.width < m);
        let small_h = min_height.is_some_and(|m| b.height < m);
        let small_a = min_area.is_some_and(|m| box_area(&b) < m);
        if small_w || small_h || small_a {
            let minimum = |name: &str, m: Option<f64>| m.map(|m| format!(" {name} {m}")).unwrap_or_default();
            out.push(raw(
                "min_size",
                format!(
                    "region `{}` is {:.0}×{:.0} px, smaller than the minimum{}{}{}",
                    r.id,
                    b.width,
                    b.height,
                    minimum("width", min_width),
                    minimum("height", min_height),
                    minimum("area", min_area),
                ),
                &[r],
            ));
        }
    }
    out
}

/// The first [`MAX_FINDINGS_PER_RULE`] findings, and one that counts the rest.
fn capped(mut out: Vec<Raw>, rule: &str) -> Vec<Raw> {
    if out.len() > MAX_FINDINGS_PER_RULE {
        let more = out.len() - MAX_FINDINGS_PER_RULE;
        out.truncate(MAX_FINDINGS_PER_RULE);
        out.push(raw(
            "findings_capped",
            format!("{} more findings of the {rule} rule are not listed", grouped(more)),
            &[],
        ));
    }
    out
}

/// 4999 → "4,999".
pub(crate) fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The words of an overlap-like rule.
struct NearWords {
    code: &'static str,
    /// "regions `a` and `b` overlap"
    pair: &'static str,
    /// "region `a` overlaps 3 other regions"
    many: &'static str,
}

impl NearWords {
    const OVERLAP: NearWords = NearWords { code: "overlap", pair: "overlap", many: "overlaps" };
    const DUPLICATE: NearWords = NearWords { code: "duplicate", pair: "are duplicates", many: "duplicates" };
}

/// One finding per region involved, so hostile input (thousands of regions on one spot, each
/// overlapping every other) costs findings linear in the regions: a region with one partner is
/// reported as a pair (once when the partner has no other), a region with several says how
/// many and lists a few. A search stopped at its budget says so.
fn near_findings<'p, 'a: 'p>(
    pairs: impl Iterator<Item = &'p NearPair<'a>>,
    complete: bool,
    words: &NearWords,
) -> Vec<Raw> {
    // Partners per region (the first few with how they meet, then only counted), regions in
    // the order they first appear. Regions are told apart by address: ids may repeat.
    let mut order: Vec<&Region> = Vec::new();
    let mut partners: Vec<(Vec<(&Region, String)>, usize)> = Vec::new();
    let mut index: HashMap<*const Region, usize> = HashMap::new();
    for p in pairs {
        for (me, other) in [(p.a, p.b), (p.b, p.a)] {
            let at = *index.entry(me as *const Region).or_insert_with(|| {
                order.push(me);
                partners.push((Vec::new(), 0));
                order.len() - 1
            });
            let (listed, count) = &mut partners[at];
            if listed.len() < LISTED_PARTNERS {
                listed.push((other, p.describe()));
            }
            *count += 1;
        }
    }
    let mut out = Vec::new();
    // First, so that the rule's cap never hides it.
    if !complete {
        out.push(raw(
            "search_stopped",
            "so many regions overlap that only part of them were compared: remove stacked regions first".into(),
            &[],
        ));
    }
    for (at, region) in order.iter().enumerate() {
        let (listed, count) = &partners[at];
        if *count == 1 {
            let (other, how) = &listed[0];
            let other_at = index[&(*other as *const Region)];
            // A lone pair is reported once, by whichever of the two comes first.
            if partners[other_at].1 == 1 && other_at < at {
                continue;
            }
            let message = format!("regions `{}` and `{}` {} ({how})", region.id, other.id, words.pair);
            out.push(raw(words.code, message, &[region, other]));
            continue;
        }
        let names: Vec<String> = listed.iter().map(|(o, how)| format!("`{}` ({how})", o.id)).collect();
        let rest = count - listed.len();
        let more = if rest > 0 { format!(" and {} more", grouped(rest)) } else { String::new() };
        let mut involved: Vec<&Region> = vec![region];
        involved.extend(listed.iter().map(|(o, _)| *o));
        // A stopped search found a part of the overlaps: the count is a lower bound.
        let how_many = if complete { grouped(*count) } else { format!("at least {}", grouped(*count)) };
        let message =
            format!("region `{}` {} {how_many} other regions: {}{more}", region.id, words.many, names.join(", "));
        out.push(raw(words.code, message, &involved));
    }
    out
}

fn edge_name(start: bool, end: bool) -> &'static str {
    match (start, end) {
        (true, true) => "both ends",
        (true, false) => "start",
        _ => "end",
    }
}

fn token_boundaries(text: &str, regions: &[&Region]) -> Vec<Raw> {
    let len = text::scalar_len(text);
    let mut out = Vec::new();
    for r in regions {
        let RegionValue::TextSpan { start, end, label } = &r.value else { continue };
        let (start, end) = (*start, *end);
        if start >= end || end > len {
            continue; // the built-in bounds check reports these
        }
        let (s, e) = text::snap_to_tokens(text, start, end);
        if (s, e) != (start, end) {
            let covered = text::slice(text, start, end).unwrap_or_default();
            let word = text::slice(text, s, e).unwrap_or_default();
            out.push(raw(
                "token_boundary",
                format!(
                    "{label} span “{covered}” cuts a word at its {}; the whole word is “{word}”",
                    edge_name(s != start, e != end)
                ),
                &[r],
            ));
        }
    }
    out
}

fn segment_length(min: Option<f64>, max: Option<f64>, regions: &[&Region]) -> Vec<Raw> {
    let mut out = Vec::new();
    for r in regions {
        let (length, unit) = match &r.value {
            RegionValue::AudioSegment { start, end, .. } => (end - start, "s"),
            RegionValue::VideoSegment { start_frame, end_frame, .. } => {
                (f64::from(end_frame.saturating_sub(*start_frame)) + 1.0, " frames")
            }
            _ => continue,
        };
        if !length.is_finite() || length <= 0.0 {
            continue; // the built-in checks report reversed and non-finite segments
        }
        if let Some(m) = min.filter(|m| length < *m) {
            out.push(raw(
                "segment_too_short",
                format!("segment `{}` lasts {length:.3}{unit}, less than {m}{unit}", r.id),
                &[r],
            ));
        }
        if let Some(m) = max.filter(|m| length > *m) {
            out.push(raw(
                "segment_too_long",
                format!("segment `{}` lasts {length:.3}{unit}, more than {m}{unit}", r.id),
                &[r],
            ));
        }
    }
    out
}

fn transcript(
    control: &str,
    required: bool,
    charset: Option<&str>,
    pattern: Option<&str>,
    max_length: Option<usize>,
    regions: &[&Region],
) -> Vec<Raw> {
    let mut out = Vec::new();
    // `check_spec` refuses a spec with an invalid pattern; this guards a spec that skipped it.
    let regex = match pattern.map(|p| regex_lite::Regex::new(&format!("^(?:{p})$"))) {
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => {
            out.push(raw("bad_rule", format!("the transcript pattern of `{control}` is invalid"), &[]));
            None
        }
        None => None,
    };
    for r in regions {
        let RegionValue::AudioSegment { transcript, .. } = &r.value else { continue };
        let t = transcript.as_deref().unwrap_or("");
        if t.trim().is_empty() {
            if required {
                out.push(raw("transcript_required", format!("segment `{}` needs a transcript", r.id), &[r]));
            }
            continue;
        }
        if let Some(set) = charset {
            let bad: String = t.chars().filter(|c| !set.contains(*c)).take(5).collect();
            if !bad.is_empty() {
                out.push(raw(
                    "transcript_charset",
                    format!("transcript of `{}` has characters outside the allowed set: {bad}", r.id),
                    &[r],
                ));
            }
        }
        if regex.as_ref().is_some_and(|re| !re.is_match(t)) {
            out.push(raw(
                "transcript_pattern",
                format!("transcript of `{}` does not match the required form", r.id),
                &[r],
            ));
        }
        if let Some(m) = max_length.filter(|m| t.chars().count() > *m) {
            out.push(raw(
                "transcript_too_long",
                format!("transcript of `{}` has {} characters, more than {m}", r.id, t.chars().count()),
                &[r],
            ));
        }
    }
    out
}

fn track_continuity(max_gap_frames: u32, regions: &[&Region]) -> Vec<Raw> {
    let mut out = Vec::new();
    for r in regions {
        let RegionValue::VideoTrack { keyframes, label } = &r.value else { continue };
        for pair in keyframes.windows(2) {
            let gap = pair[1].frame.saturating_sub(pair[0].frame);
            if !pair[0].outside && gap > max_gap_frames {
                out.push(raw(
                    "track_gap",
                    format!(
                        "{label} track `{}` has no keyframe between frames {} and {} ({gap} frames, at most {max_gap_frames})",
                        r.id, pair[0].frame, pair[1].frame
                    ),
                    &[r],
                ));
            }
        }
    }
    out
}
