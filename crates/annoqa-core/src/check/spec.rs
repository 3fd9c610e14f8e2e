//! The one spec check: everything that makes a spec unusable, found before a project uses it.
//! The server's project import and demo loader, the CLI and the coordinator's editor all call
//! [`check_spec`], so a spec is refused everywhere with the same message.

use std::collections::HashSet;
use std::fmt;

use crate::guidelines::sections;
use crate::rule::{Check, Rule};
use crate::{Control, ControlKind, Gold, MediaKind, TaskSpec, Tolerance};

/// One problem with a spec: the field it is in, as a path into the spec's JSON (e.g.
/// `rules[2].pattern`), and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecProblem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Keys the annotator workspace keeps for itself (matched as `KeyboardEvent.key`, letters in
/// either case): a label hotkey may not take them. Shift+S skips and Shift+F flags, so the
/// capital letters are the workspace's too.
pub const WORKSPACE_KEYS: &[&str] = &["?", "Enter", "Escape", "Delete", "Backspace", "Tab", " ", "S", "F"];

/// The image workspace's own keys besides [`WORKSPACE_KEYS`]: its tools (V select, R rectangle,
/// P polygon, K keypoint, either case), zoom (`+`/`=`, `-`/`_`, Home fits, End is 100 %),
/// rotation (`[`, `]`, with Shift `{`, `}`), Insert (a shape without a pointer) and the arrows
/// (move, with Alt resize).
pub const IMAGE_WORKSPACE_KEYS: &[&str] = &[
    "v",
    "r",
    "p",
    "k",
    "+",
    "=",
    "-",
    "_",
    "[",
    "]",
    "{",
    "}",
    "Home",
    "End",
    "Insert",
    "ArrowLeft",
    "ArrowRight",
    "ArrowUp",
    "ArrowDown",
];

/// Whether `key` is one of the workspace's own keys for `media`.
pub fn is_workspace_key(key: &str, media: MediaKind) -> bool {
    WORKSPACE_KEYS.contains(&key)
        || (media == MediaKind::Image && IMAGE_WORKSPACE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)))
}

/// Every problem of `spec`; guideline anchors are checked when `guidelines` (the project's
/// Markdown) is given. Empty means the spec is usable.
pub fn check_spec(spec: &TaskSpec, guidelines: Option<&str>) -> Vec<SpecProblem> {
    let mut problems = Problems::default();
    let anchors: Option<Vec<String>> = guidelines.map(|g| sections(g).into_iter().map(|s| s.anchor).collect());
    let anchor = |problems: &mut Problems, field: String, anchor: &Option<String>| {
        if let (Some(anchors), Some(a)) = (&anchors, anchor) {
            if !anchors.contains(a) {
                problems.push(field, format!("guideline section `{a}` does not exist"));
            }
        }
    };
    if !(0.0..=1.0).contains(&spec.pass_threshold) {
        problems.push("pass_threshold".into(), format!("{} is not between 0 and 1", spec.pass_threshold));
    }
    let mut names = HashSet::new();
    let mut hotkeys: Vec<(String, String)> = Vec::new();
    for (c, control) in spec.controls.iter().enumerate() {
        let at = format!("controls[{c}]");
        if control.name.is_empty() {
            problems.push(format!("{at}.name"), "a control needs a name".into());
        } else if !names.insert(control.name.as_str()) {
            problems.push(format!("{at}.name"), format!("control name `{}` is used twice", control.name));
        }
        anchor(&mut problems, format!("{at}.guideline"), &control.guideline);
        check_tolerance(&mut problems, &format!("{at}.tolerance"), &control.tolerance);
        check_labels(&mut problems, &at, control, spec.media, &mut hotkeys);
        if let ControlKind::Ranker { buckets } = &control.kind {
            check_buckets(&mut problems, &at, &control.name, buckets);
        }
        for (l, label) in control.labels.iter().enumerate() {
            anchor(&mut problems, format!("{at}.labels[{l}].guideline"), &label.guideline);
        }
    }
    let limits = &spec.limits;
    for (name, value) in [
        ("regions", limits.regions),
        ("polygon_points", limits.polygon_points),
        ("track_keyframes", limits.track_keyframes),
        ("transcript_chars", limits.transcript_chars),
    ] {
        if value == 0 {
            problems.push(format!("limits.{name}"), "a limit of 0 would refuse every annotation".into());
        }
    }
    for (r, rule) in spec.rules.iter().enumerate() {
        check_rule(&mut problems, &format!("rules[{r}]"), spec, rule);
        anchor(&mut problems, format!("rules[{r}].guideline"), &rule.guideline);
    }
    problems.0
}

/// Problems of one gold answer under a usable `spec`: tolerance overrides of unknown controls
/// or out of range, and a guideline link that does not resolve. (The answer's regions are
/// checked by `validate`, like any annotation.)
pub fn check_gold(spec: &TaskSpec, guidelines: Option<&str>, gold: &Gold) -> Vec<SpecProblem> {
    let mut problems = Problems::default();
    for (control, tolerance) in &gold.tolerance {
        let at = format!("gold.tolerance.{control}");
        if spec.control(control).is_none() {
            problems.push(at, format!("`{control}` is not a control of this task"));
        } else {
            check_tolerance(&mut problems, &at, tolerance);
        }
    }
    if let (Some(guidelines), Some(a)) = (guidelines, &gold.guideline) {
        if !sections(guidelines).iter().any(|s| &s.anchor == a) {
            problems.push("gold.guideline".into(), format!("guideline section `{a}` does not exist"));
        }
    }
    problems.0
}

#[derive(Default)]
struct Problems(Vec<SpecProblem>);

impl Problems {
    fn push(&mut self, field: String, message: String) {
        self.0.push(SpecProblem { field, message });
    }

    /// `value` must lie in [0, 1], or in (0, 1] when `open_low`.
    fn fraction(&mut self, field: String, value: Option<f64>, open_low: bool) {
        if let Some(v) = value {
            let ok = if open_low { v > 0.0 && v <= 1.0 } else { (0.0..=1.0).contains(&v) };
            if !ok {
                let range = if open_low { "above 0 and at most 1" } else { "between 0 and 1" };
                self.push(field, format!("{v} is not {range}"));
            }
        }
    }

    fn non_negative(&mut self, field: String, value: Option<f64>) {
        if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
            self.push(field, format!("{v} is not a non-negative number"));
        }
    }
}

fn check_tolerance(problems: &mut Problems, at: &str, t: &Tolerance) {
    problems.fraction(format!("{at}.span_min_overlap"), t.span_min_overlap, false);
    problems.fraction(format!("{at}.min_iou"), t.min_iou, true);
    problems.fraction(format!("{at}.min_oks"), t.min_oks, true);
    problems.fraction(format!("{at}.min_temporal_iou"), t.min_temporal_iou, true);
    if let Some(area) = t.keypoint_area.filter(|a| !(a.is_finite() && *a > 0.0)) {
        problems.push(format!("{at}.keypoint_area"), format!("{area} is not a positive area"));
    }
    problems.non_negative(format!("{at}.collar_ms"), t.collar_ms);
    problems.non_negative(format!("{at}.offset_length_ratio"), t.offset_length_ratio);
    problems.non_negative(format!("{at}.max_wer"), t.max_wer);
}

/// Labels unique in their control, hotkeys unique in the spec (either case) and free of the
/// workspace's keys, label thresholds and choice costs in range.
fn check_labels(
    problems: &mut Problems,
    at: &str,
    control: &Control,
    media: MediaKind,
    hotkeys: &mut Vec<(String, String)>,
) {
    let mut values = HashSet::new();
    for (l, label) in control.labels.iter().enumerate() {
        let here = format!("{at}.labels[{l}]");
        if !values.insert(label.value.as_str()) {
            problems
                .push(format!("{here}.value"), format!("label `{}` appears twice in `{}`", label.value, control.name));
        }
        problems.fraction(format!("{here}.min_iou"), label.min_iou, true);
        if let Some(kappa) = label.kappa.filter(|k| !(k.is_finite() && *k > 0.0)) {
            problems.push(format!("{here}.kappa"), format!("{kappa} is not a positive number"));
        }
        let Some(key) = &label.hotkey else { continue };
        let field = format!("{here}.hotkey");
        if key.is_empty() {
            problems.push(field, "a hotkey cannot be empty".into());
        } else if is_workspace_key(key, media) {
            problems.push(field, format!("hotkey `{key}` is one of the workspace's own keys"));
        } else if let Some((_, other)) = hotkeys.iter().find(|(k, _)| k.to_lowercase() == key.to_lowercase()) {
            problems.push(field, format!("hotkey `{key}` is bound to both `{other}` and `{}`", label.value));
        } else {
            hotkeys.push((key.clone(), label.value.clone()));
        }
    }
    for (i, cost) in control.costs.iter().enumerate() {
        let here = format!("{at}.costs[{i}]");
        for (name, label) in [("expected", &cost.expected), ("got", &cost.got)] {
            if control.label(label).is_none() {
                problems.push(format!("{here}.{name}"), format!("`{label}` is not a label of `{}`", control.name));
            }
        }
        problems.fraction(format!("{here}.cost"), Some(cost.cost), false);
    }
}

/// A ranker's bucket names: not empty, none twice.
fn check_buckets(problems: &mut Problems, at: &str, control: &str, buckets: &[String]) {
    let mut seen = HashSet::new();
    for (b, bucket) in buckets.iter().enumerate() {
        if bucket.trim().is_empty() {
            problems.push(format!("{at}.buckets[{b}]"), "a bucket needs a name".into());
        } else if !seen.insert(bucket.as_str()) {
            problems.push(format!("{at}.buckets[{b}]"), format!("bucket `{bucket}` appears twice in `{control}`"));
        }
    }
}

/// Which control kinds a rule applies to (`None`: any).
fn rule_kinds(check: &Check) -> Option<&'static [&'static str]> {
    const SHAPES: &[&str] = &["b_box", "polygon", "video_boxes"];
    const OVERLAPPING: &[&str] =
        &["b_box", "polygon", "keypoint", "video_boxes", "audio_segments", "video_segments", "text_spans"];
    match check {
        Check::MinSize { .. } => Some(SHAPES),
        Check::NoDuplicates { .. } | Check::NoOverlap { .. } => Some(OVERLAPPING),
        Check::TokenBoundaries { .. } => Some(&["text_spans"]),
        Check::SegmentLength { .. } => Some(&["audio_segments", "video_segments"]),
        Check::Transcript { .. } => Some(&["audio_segments"]),
        Check::TrackContinuity { .. } => Some(&["video_tracks"]),
        Check::Count { .. } | Check::RequiredAttribute { .. } | Check::Conditional { .. } => None,
    }
}

fn check_rule(problems: &mut Problems, at: &str, spec: &TaskSpec, rule: &Rule) {
    let name = rule.check.name();
    let mut control_named = |field: &str, control: &str| -> Option<&Control> {
        let found = spec.control(control);
        if found.is_none() {
            problems
                .push(format!("{at}.{field}"), format!("{name} rule names control `{control}`, which does not exist"));
        }
        found
    };
    let field = if matches!(rule.check, Check::Conditional { .. }) { "then_control" } else { "control" };
    let target = control_named(field, rule.check.control());
    let when = match &rule.check {
        Check::Conditional { when_control, when_label, .. } => {
            control_named("when_control", when_control).map(|c| (c, when_label))
        }
        _ => None,
    };
    if let Some(control) = target {
        if let Some(kinds) = rule_kinds(&rule.check).filter(|k| !k.contains(&control.kind.name())) {
            problems.push(
                format!("{at}.{field}"),
                format!(
                    "a {name} rule applies to {} controls, not to `{}` ({})",
                    kinds.join(", "),
                    control.name,
                    control.kind.name()
                ),
            );
        }
        if let Some(label) = rule.check.label().filter(|l| control.label(l).is_none()) {
            problems.push(
                format!("{at}.label"),
                format!("{name} rule names label `{label}`, which `{}` does not have", control.name),
            );
        }
    }
    if let Some((control, label)) = when {
        if control.label(label).is_none() {
            problems.push(
                format!("{at}.when_label"),
                format!("conditional rule names label `{label}`, which `{}` does not have", control.name),
            );
        }
    }
    check_rule_values(problems, at, &rule.check);
}

fn check_rule_values(problems: &mut Problems, at: &str, check: &Check) {
    match check {
        Check::Count { min: Some(min), max: Some(max), .. } if min > max => {
            problems.push(format!("{at}.min"), format!("count rule: min {min} is above max {max}"));
        }
        Check::MinSize { min_width, min_height, min_area, .. } => {
            problems.non_negative(format!("{at}.min_width"), *min_width);
            problems.non_negative(format!("{at}.min_height"), *min_height);
            problems.non_negative(format!("{at}.min_area"), *min_area);
        }
        Check::NoDuplicates { min_iou, .. } => problems.fraction(format!("{at}.min_iou"), Some(*min_iou), false),
        Check::NoOverlap { max_iou, .. } => problems.fraction(format!("{at}.max_iou"), Some(*max_iou), false),
        Check::SegmentLength { min, max, .. } => {
            problems.non_negative(format!("{at}.min"), *min);
            problems.non_negative(format!("{at}.max"), *max);
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    problems.push(format!("{at}.min"), format!("segment_length rule: min {min} is above max {max}"));
                }
            }
        }
        Check::Transcript { pattern: Some(pattern), .. } => {
            if let Err(e) = regex_lite::Regex::new(&format!("^(?:{pattern})$")) {
                problems.push(
                    format!("{at}.pattern"),
                    format!("transcript rule: `{pattern}` is not a valid regular expression ({e})"),
                );
            }
        }
        _ => {}
    }
}
