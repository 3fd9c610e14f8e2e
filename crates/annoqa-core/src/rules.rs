//! Declarative consistency rules: the checks a project adds to the built-in ones in its spec.
//!
//! ```json
//! {"rule": "count", "control": "boxes", "label": "car", "max": 20, "severity": "warning"}
//! {"rule": "required_attribute", "control": "boxes", "label": "car", "attribute": "occluded"}
//! {"rule": "conditional", "when_control": "sentiment", "when_label": "negative",
//!  "then_control": "reason", "then": "required", "guideline": "reasons"}
//! ```
//!
//! Every rule has a `severity` (`error` blocks submitting, the default; `warning` asks to
//! confirm), an optional `message` that replaces the generated one, and an optional `guideline`
//! anchor. Overlap and duplicate checks sweep sorted coordinates (O(n log n) plus the pairs
//! found), never all pairs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::geometry::{box_area, polygon_iou};
use crate::intervals::box_overlaps;
use crate::validate::{region_box, Finding, Severity};
use crate::{text, BoxGeometry, Item, Media, Region, RegionValue, TaskSpec};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Rule {
    #[serde(flatten)]
    pub check: Check,
    #[serde(default = "error_severity")]
    pub severity: Severity,
    /// Replaces the generated message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

fn error_severity() -> Severity {
    Severity::Error
}

fn default_duplicate_iou() -> f64 {
    0.95
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// At least `min` and at most `max` regions of `control` (of `label` when given).
    Count {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<usize>,
    },
    /// Every region of `control` (of `label` when given) sets `attribute`, to one of `allowed`
    /// when that list is not empty.
    RequiredAttribute {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        attribute: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allowed: Vec<String>,
    },
    /// When some region of `when_control` carries `when_label`, `then_control` is
    /// `required` (answered), `forbidden` (no region at all) or `empty` (regions carry no
    /// label and no transcript).
    Conditional { when_control: String, when_label: String, then_control: String, then: Requirement },
    /// Boxes, video boxes and polygons (their bounding box) at least this large, in pixels.
    MinSize {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_width: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_height: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_area: Option<f64>,
    },
    /// No two regions of the same label that are (nearly) the same: IoU ≥ `min_iou` for
    /// boxes, polygons and segments, the same range for spans, the same point for keypoints.
    NoDuplicates {
        control: String,
        #[serde(default = "default_duplicate_iou")]
        min_iou: f64,
    },
    /// No two regions (of the same label, or of any label) overlapping by more than
    /// `max_iou` (0: any overlap at all). Boxes, polygons, audio and video segments.
    NoOverlap {
        control: String,
        #[serde(default)]
        scope: OverlapScope,
        #[serde(default)]
        max_iou: f64,
    },
    /// Text spans start and end at token boundaries: not inside a run of letters or digits.
    TokenBoundaries { control: String },
    /// Audio segments last `min`–`max` seconds; video segments `min`–`max` frames.
    SegmentLength {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Transcripts of audio segments: `required` (non-blank), only characters from
    /// `charset`, matching the regular expression `pattern` in full, at most `max_length`
    /// characters.
    Transcript {
        control: String,
        #[serde(default)]
        required: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charset: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    /// Video tracks: no gap longer than `max_gap_frames` between consecutive keyframes while
    /// the object is visible.
    TrackContinuity { control: String, max_gap_frames: u32 },
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Forbidden,
    Empty,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OverlapScope {
    #[default]
    SameLabel,
    Any,
}

impl Check {
    /// The control the rule constrains (for a conditional rule, the one it requires).
    pub fn control(&self) -> &str {
        match self {
            Check::Count { control, .. }
            | Check::RequiredAttribute { control, .. }
            | Check::MinSize { control, .. }
            | Check::NoDuplicates { control, .. }
            | Check::NoOverlap { control, .. }
            | Check::TokenBoundaries { control }
            | Check::SegmentLength { control, .. }
            | Check::Transcript { control, .. }
            | Check::TrackContinuity { control, .. } => control,
            Check::Conditional { then_control, .. } => then_control,
        }
    }
}

/// Problems with the rules themselves (unknown controls, bad patterns), for spec checking.
pub fn check_rules(spec: &TaskSpec) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, rule) in spec.rules.iter().enumerate() {
        let mut controls = vec![rule.check.control()];
        if let Check::Conditional { when_control, .. } = &rule.check {
            controls.push(when_control);
        }
        for control in controls {
            if spec.control(control).is_none() {
                problems.push(format!("rule {} names control `{control}`, which does not exist", i + 1));
            }
        }
        if let Check::Transcript { pattern: Some(pattern), .. } = &rule.check {
            if let Err(e) = regex_lite::Regex::new(pattern) {
                problems.push(format!("rule {}: pattern `{pattern}` is not a valid regular expression: {e}", i + 1));
            }
        }
    }
    problems
}

/// Findings of every declarative rule of `spec`.
pub(crate) fn apply_rules(spec: &TaskSpec, item: &Item, regions: &[Region], findings: &mut Vec<Finding>) {
    // Overlap and duplicate rules on the same control share one sweep.
    let mut near_cache: Vec<(String, OverlapScope, Vec<NearPair<'_>>)> = Vec::new();
    for rule in &spec.rules {
        let of = |control: &str| -> Vec<&Region> { regions.iter().filter(|r| r.control == control).collect() };
        let mut out = Vec::new();
        match &rule.check {
            Check::Count { control, label, min, max } => {
                let matching: Vec<&Region> =
                    of(control).into_iter().filter(|r| label.as_deref().is_none_or(|l| r.value.has_label(l))).collect();
                let what = label.as_deref().map_or_else(|| format!("`{control}` regions"), |l| format!("{l} regions"));
                if let Some(min) = min.filter(|m| matching.len() < *m) {
                    out.push(("count_min", format!("at least {min} {what} needed, found {}", matching.len()), vec![]));
                }
                if let Some(max) = max.filter(|m| matching.len() > *m) {
                    let ids = matching.iter().map(|r| r.id.clone()).collect();
                    out.push(("count_max", format!("at most {max} {what} allowed, found {}", matching.len()), ids));
                }
            }
            Check::RequiredAttribute { control, label, attribute, allowed } => {
                for r in of(control) {
                    if label.as_deref().is_some_and(|l| !r.value.has_label(l)) {
                        continue;
                    }
                    let name = || r.value.first_label().map_or("region".to_string(), |l| format!("{l} region"));
                    match r.attributes.get(attribute) {
                        None => out.push((
                            "required_attribute",
                            format!("{} `{}` needs the attribute `{attribute}`", name(), r.id),
                            vec![r.id.clone()],
                        )),
                        Some(v) if !allowed.is_empty() && !allowed.contains(v) => out.push((
                            "attribute_value",
                            format!("{} `{}`: `{attribute}` is `{v}`, not one of {}", name(), r.id, allowed.join(", ")),
                            vec![r.id.clone()],
                        )),
                        Some(_) => {}
                    }
                }
            }
            Check::Conditional { when_control, when_label, then_control, then } => {
                let triggered = of(when_control).iter().any(|r| r.value.has_label(when_label));
                if triggered {
                    let answers = of(then_control);
                    let has_content = |r: &&Region| match &r.value {
                        RegionValue::AudioSegment { transcript, .. } => {
                            transcript.as_deref().is_some_and(|t| !t.trim().is_empty())
                        }
                        RegionValue::Pairwise { .. } => true,
                        value => value.first_label().is_some(),
                    };
                    let ids = |rs: &[&Region]| rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
                    match then {
                        Requirement::Required if !answers.iter().any(has_content) => out.push((
                            "conditional_required",
                            format!("`{then_control}` is required when `{when_control}` is {when_label}"),
                            vec![],
                        )),
                        Requirement::Forbidden if !answers.is_empty() => out.push((
                            "conditional_forbidden",
                            format!("`{then_control}` must not be answered when `{when_control}` is {when_label}"),
                            ids(&answers),
                        )),
                        Requirement::Empty if answers.iter().any(has_content) => out.push((
                            "conditional_empty",
                            format!("`{then_control}` must be empty when `{when_control}` is {when_label}"),
                            ids(&answers),
                        )),
                        _ => {}
                    }
                }
            }
            Check::MinSize { control, label, min_width, min_height, min_area } => {
                for r in of(control) {
                    if label.as_deref().is_some_and(|l| !r.value.has_label(l)) {
                        continue;
                    }
                    let Some(b) = region_box(&r.value) else { continue };
                    let small_w = min_width.is_some_and(|m| b.width < m);
                    let small_h = min_height.is_some_and(|m| b.height < m);
                    let small_a = min_area.is_some_and(|m| box_area(&b) < m);
                    if small_w || small_h || small_a {
                        out.push((
                            "min_size",
                            format!(
                                "region `{}` is {:.0}×{:.0} px, smaller than the minimum{}{}{}",
                                r.id,
                                b.width,
                                b.height,
                                min_width.map(|m| format!(" width {m}")).unwrap_or_default(),
                                min_height.map(|m| format!(" height {m}")).unwrap_or_default(),
                                min_area.map(|m| format!(" area {m}")).unwrap_or_default(),
                            ),
                            vec![r.id.clone()],
                        ));
                    }
                }
            }
            Check::NoDuplicates { control, min_iou } => {
                let pairs = cached_near_pairs(&mut near_cache, control, OverlapScope::SameLabel, &of(control));
                for p in pairs.iter().filter(|p| p.iou >= *min_iou || p.identical) {
                    out.push((
                        "duplicate",
                        format!("regions `{}` and `{}` are duplicates ({})", p.a.id, p.b.id, p.describe()),
                        vec![p.a.id.clone(), p.b.id.clone()],
                    ));
                }
            }
            Check::NoOverlap { control, scope, max_iou } => {
                let threshold = if *max_iou > 0.0 { *max_iou } else { f64::MIN_POSITIVE };
                let pairs = cached_near_pairs(&mut near_cache, control, *scope, &of(control));
                for p in pairs.iter().filter(|p| p.iou >= threshold) {
                    out.push((
                        "overlap",
                        format!("regions `{}` and `{}` overlap ({})", p.a.id, p.b.id, p.describe()),
                        vec![p.a.id.clone(), p.b.id.clone()],
                    ));
                }
            }
            Check::TokenBoundaries { control } => {
                let Media::Text { text } = &item.media else { continue };
                let len = text::scalar_len(text);
                for r in of(control) {
                    let RegionValue::TextSpan { start, end, label } = &r.value else { continue };
                    let (start, end) = (*start, *end);
                    if start >= end || end > len {
                        continue; // the built-in bounds check reports these
                    }
                    let (s, e) = text::snap_to_tokens(text, start, end);
                    if (s, e) != (start, end) {
                        let covered = text::slice(text, start, end).unwrap_or_default();
                        let word = text::slice(text, s, e).unwrap_or_default();
                        out.push((
                            "token_boundary",
                            format!(
                                "{label} span “{covered}” cuts a word at its {}; the whole word is “{word}”",
                                edge_name(s != start, e != end)
                            ),
                            vec![r.id.clone()],
                        ));
                    }
                }
            }
            Check::SegmentLength { control, label, min, max } => {
                for r in of(control) {
                    if label.as_deref().is_some_and(|l| !r.value.has_label(l)) {
                        continue;
                    }
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
                        out.push((
                            "segment_too_short",
                            format!("segment `{}` lasts {length:.3}{unit}, less than {m}{unit}", r.id),
                            vec![r.id.clone()],
                        ));
                    }
                    if let Some(m) = max.filter(|m| length > *m) {
                        out.push((
                            "segment_too_long",
                            format!("segment `{}` lasts {length:.3}{unit}, more than {m}{unit}", r.id),
                            vec![r.id.clone()],
                        ));
                    }
                }
            }
            Check::Transcript { control, required, charset, pattern, max_length } => {
                let regex = match pattern.as_deref().map(|p| regex_lite::Regex::new(&format!("^(?:{p})$"))) {
                    Some(Ok(r)) => Some(r),
                    Some(Err(_)) => {
                        out.push(("bad_rule", format!("the transcript pattern of `{control}` is invalid"), vec![]));
                        None
                    }
                    None => None,
                };
                for r in of(control) {
                    let RegionValue::AudioSegment { transcript, .. } = &r.value else { continue };
                    let t = transcript.as_deref().unwrap_or("");
                    let id = vec![r.id.clone()];
                    if t.trim().is_empty() {
                        if *required {
                            out.push(("transcript_required", format!("segment `{}` needs a transcript", r.id), id));
                        }
                        continue;
                    }
                    if let Some(set) = charset {
                        let bad: String = t.chars().filter(|c| !set.contains(*c)).take(5).collect();
                        if !bad.is_empty() {
                            out.push((
                                "transcript_charset",
                                format!("transcript of `{}` has characters outside the allowed set: {bad}", r.id),
                                id.clone(),
                            ));
                        }
                    }
                    if let Some(re) = &regex {
                        if !re.is_match(t) {
                            out.push((
                                "transcript_pattern",
                                format!("transcript of `{}` does not match the required form", r.id),
                                id.clone(),
                            ));
                        }
                    }
                    if let Some(m) = max_length.filter(|m| t.chars().count() > *m) {
                        out.push((
                            "transcript_too_long",
                            format!("transcript of `{}` has {} characters, more than {m}", r.id, t.chars().count()),
                            id.clone(),
                        ));
                    }
                }
            }
            Check::TrackContinuity { control, max_gap_frames } => {
                for r in of(control) {
                    let RegionValue::VideoTrack { keyframes, label } = &r.value else { continue };
                    for pair in keyframes.windows(2) {
                        let gap = pair[1].frame.saturating_sub(pair[0].frame);
                        if !pair[0].outside && gap > *max_gap_frames {
                            out.push((
                                "track_gap",
                                format!(
                                    "{label} track `{}` has no keyframe between frames {} and {} ({gap} frames, at most {max_gap_frames})",
                                    r.id, pair[0].frame, pair[1].frame
                                ),
                                vec![r.id.clone()],
                            ));
                        }
                    }
                }
            }
        }
        let control = spec.control(rule.check.control());
        for (code, message, ids) in out {
            findings.push(Finding {
                severity: rule.severity,
                code: code.to_string(),
                message: rule.message.clone().unwrap_or(message),
                control: Some(rule.check.control().to_string()),
                regions: ids,
                guideline: rule.guideline.clone().or_else(|| control.and_then(|c| c.guideline.clone())),
            });
        }
    }
}

fn edge_name(start: bool, end: bool) -> &'static str {
    match (start, end) {
        (true, true) => "both ends",
        (true, false) => "start",
        _ => "end",
    }
}

/// Two regions of one control that overlap or coincide.
struct NearPair<'a> {
    a: &'a Region,
    b: &'a Region,
    /// IoU of boxes or polygons, or of time/character ranges; 0 for keypoints.
    iou: f64,
    /// Same range, or same keypoint position.
    identical: bool,
    ranged: bool,
}

impl NearPair<'_> {
    fn describe(&self) -> String {
        match (self.ranged, self.iou > 0.0) {
            (_, false) => "same point".to_string(),
            (false, true) => format!("IoU {:.2}", self.iou),
            (true, true) => format!("overlap {:.2}", self.iou),
        }
    }
}

fn cached_near_pairs<'c, 'a>(
    cache: &'c mut Vec<(String, OverlapScope, Vec<NearPair<'a>>)>,
    control: &str,
    scope: OverlapScope,
    regions: &[&'a Region],
) -> &'c [NearPair<'a>] {
    let at = match cache.iter().position(|(c, s, _)| c == control && *s == scope) {
        Some(at) => at,
        None => {
            cache.push((control.to_string(), scope, near_pairs(regions, scope)));
            cache.len() - 1
        }
    };
    &cache[at].2
}

/// Every pair of regions (within a label, or across labels for `OverlapScope::Any`) that
/// overlaps at all — boxes and polygons by IoU, segments and spans by range IoU — or that are
/// the same keypoint. Candidates come from sweeps over sorted coordinates, so sparse input never
/// costs all pairs.
fn near_pairs<'a>(regions: &[&'a Region], scope: OverlapScope) -> Vec<NearPair<'a>> {
    // Labels become small integers so the sweeps compare groups without touching strings. A
    // spec has a handful of labels, so a linear search beats hashing (in Wasm especially).
    let mut names: Vec<&str> = Vec::new();
    let mut group = |r: &'a Region| -> u32 {
        let name = match scope {
            OverlapScope::SameLabel => r.value.first_label().unwrap_or(""),
            OverlapScope::Any => "",
        };
        let at = names.iter().position(|n| *n == name).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        });
        at as u32
    };
    let mut out = Vec::new();
    // Boxes and polygons: sweep over bounding boxes, then the exact IoU.
    let mut shaped_regions: Vec<&Region> = Vec::new();
    let mut keyed: Vec<(u32, BoxGeometry)> = Vec::new();
    for r in regions {
        if let Some(b) = region_box(&r.value) {
            shaped_regions.push(r);
            keyed.push((group(r), b));
        }
    }
    for pair in box_overlaps(&keyed, f64::MIN_POSITIVE) {
        let (a, b) = (shaped_regions[pair.first], shaped_regions[pair.second]);
        let iou = match (&a.value, &b.value) {
            (RegionValue::Polygon { points: p, .. }, RegionValue::Polygon { points: q, .. }) => polygon_iou(p, q),
            (RegionValue::VideoBox { frame: f, .. }, RegionValue::VideoBox { frame: g, .. }) if f != g => 0.0,
            _ => pair.iou,
        };
        if iou > 0.0 {
            out.push(NearPair { a, b, iou, identical: false, ranged: false });
        }
    }
    // Time ranges and text spans: a 1-D sweep finds overlapping candidates.
    let mut ranged: Vec<(u32, f64, f64, &Region)> = Vec::new();
    for r in regions {
        let (s, e) = match &r.value {
            RegionValue::AudioSegment { start, end, .. } => (*start, *end),
            RegionValue::VideoSegment { start_frame, end_frame, .. } => {
                (f64::from(*start_frame), f64::from(*end_frame) + 1.0)
            }
            RegionValue::TextSpan { start, end, .. } => (*start as f64, *end as f64),
            _ => continue,
        };
        ranged.push((group(r), s, e, r));
    }
    if !ranged.is_empty() {
        let keyed: Vec<(u32, f64, f64)> = ranged.iter().map(|(g, s, e, _)| (*g, *s, *e)).collect();
        for (i, j) in all_interval_pairs(&keyed) {
            let (a, b) = (&ranged[i], &ranged[j]);
            let inter = a.2.min(b.2) - a.1.max(b.1);
            let union = a.2.max(b.2) - a.1.min(b.1);
            let iou = if union > 0.0 { inter / union } else { 0.0 };
            let identical = a.1 == b.1 && a.2 == b.2;
            out.push(NearPair { a: a.3, b: b.3, iou, identical, ranged: true });
        }
    }
    // Keypoints: the same label at the same pixel.
    let mut seen: HashMap<(u32, u64, u64), &Region> = HashMap::new();
    for r in regions {
        if let RegionValue::Keypoint { x, y, .. } = &r.value {
            if let Some(first) = seen.insert((group(r), x.to_bits(), y.to_bits()), r) {
                out.push(NearPair { a: first, b: r, iou: 0.0, identical: true, ranged: false });
            }
        }
    }
    out
}

/// Every overlapping pair among half-open ranges within a group: sort by start, then walk
/// forward from each range only while the next ones start before it ends (O(n log n + pairs)).
fn all_interval_pairs(ranges: &[(u32, f64, f64)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..ranges.len()).filter(|&i| ranges[i].1 < ranges[i].2).collect();
    order.sort_by(|&a, &b| ranges[a].0.cmp(&ranges[b].0).then(ranges[a].1.total_cmp(&ranges[b].1)));
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if ranges[j].0 != ranges[i].0 || ranges[j].1 >= ranges[i].2 {
                break;
            }
            pairs.push((i.min(j), i.max(j)));
        }
    }
    pairs
}
