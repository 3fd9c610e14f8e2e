//! Consistency validation: what is wrong with an annotation before it is submitted, and what is
//! wrong with a spec before a project uses it.
//!
//! [`validate`] runs in the browser on every edit and on the server for every submit. It never
//! panics and never fails: whatever the input, it returns a list of [`Finding`]s — the built-in
//! checks ([`builtin`] for whole-item answers and text, [`media`] for geometry and time) and
//! then the spec's declarative rules ([`rules`]).

mod builtin;
pub mod limits;
mod media;
pub(crate) mod near;
pub mod rules;
pub mod spec;
mod validator;

use crate::finding::{Finding, Severity};
use crate::order::sort_unstable;
pub use validator::Validator;

use crate::{BoxGeometry, Control, ControlKind, Item, Region, RegionValue, TaskSpec};

/// A blocking finding about `control` (or the whole annotation), linked to the control's
/// guideline section.
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

pub(crate) trait FindingExt {
    /// The finding about these regions.
    fn on(self, regions: &[&Region]) -> Finding;
}

impl FindingExt for Finding {
    fn on(mut self, regions: &[&Region]) -> Finding {
        self.regions = regions.iter().map(|r| r.id.clone()).collect();
        self
    }
}

/// Everything inconsistent about `regions` as an answer to `item` under `spec`.
pub fn validate(spec: &TaskSpec, item: &Item, regions: &[Region]) -> Vec<Finding> {
    let own: Vec<OwnFindings> = regions.iter().map(|r| own_findings(spec, item, r)).collect();
    let own: Vec<&OwnFindings> = own.iter().collect();
    validate_with(spec, item, regions, &repeated_ids(regions), &own)
}

/// What is wrong with one region by itself, which depends on nothing but the region, the spec
/// and the item: what [`Validator`] keeps per region between edits.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct OwnFindings {
    /// Its control unknown, its value of another kind, a label that is not its control's.
    answer: Vec<Finding>,
    /// Its geometry or time in the media, when its control (the first of that name) takes
    /// media regions and the value is of its kind.
    media: Vec<Finding>,
}

pub(crate) fn own_findings(spec: &TaskSpec, item: &Item, region: &Region) -> OwnFindings {
    let mut own = OwnFindings::default();
    match spec.control(&region.control) {
        None => own.answer.push(
            error(
                "unknown_control",
                None,
                format!("region `{}` answers `{}`, which is not a control of this task", region.id, region.control),
            )
            .on(&[region]),
        ),
        Some(control) if !control.kind.accepts(&region.value) => own.answer.push(
            error(
                "wrong_region_type",
                Some(control),
                format!("`{}` takes {} answers, not this kind of region", control.name, control.kind.name()),
            )
            .on(&[region]),
        ),
        Some(control) => {
            builtin::check_labels(control, region, &mut own.answer);
            if takes_media_regions(&control.kind) {
                media::check_media_regions(control, item, &[region], &mut own.media);
            }
        }
    }
    own
}

fn takes_media_regions(kind: &ControlKind) -> bool {
    !matches!(
        kind,
        ControlKind::Choice { .. }
            | ControlKind::TextSpans { .. }
            | ControlKind::Pairwise { .. }
            | ControlKind::TextArea
            | ControlKind::Ranker { .. }
    )
}

/// [`validate`], given [`repeated_ids`] and each region's [`OwnFindings`] (same indices as
/// `regions`).
fn validate_with(
    spec: &TaskSpec,
    item: &Item,
    regions: &[Region],
    repeated: &[usize],
    own: &[&OwnFindings],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_regions(regions, repeated, own, &mut findings);
    for control in &spec.controls {
        let answers: Vec<(usize, &Region)> = regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.control == control.name && control.kind.accepts(&r.value))
            .collect();
        let empty = answers.iter().all(|(_, r)| is_empty_answer(&r.value));
        if control.required && empty {
            let what = if control.prompt.is_empty() { control.name.clone() } else { control.prompt.clone() };
            findings.push(error("required", Some(control), format!("answer required: {what}")));
        }
        if takes_media_regions(&control.kind) {
            for &(at, region) in &answers {
                // A second control of the same name (which the spec check refuses) is not the
                // one the region's own findings were made with.
                if spec.control(&control.name).is_some_and(|first| std::ptr::eq(first, control)) {
                    findings.extend(own[at].media.iter().cloned());
                } else {
                    media::check_media_regions(control, item, &[region], &mut findings);
                }
            }
            continue;
        }
        let answers: Vec<&Region> = answers.into_iter().map(|(_, r)| r).collect();
        match &control.kind {
            ControlKind::Choice { multiple } => builtin::check_choice(control, *multiple, &answers, &mut findings),
            ControlKind::TextSpans { overlap } => {
                builtin::check_spans(control, *overlap, item, &answers, &mut findings)
            }
            ControlKind::Pairwise { allow_tie, rationale_required } => {
                builtin::check_pairwise(control, *allow_tie, *rationale_required, item, &answers, &mut findings)
            }
            ControlKind::TextArea => builtin::check_answered_once(control, &answers, &mut findings),
            ControlKind::Ranker { buckets } => builtin::check_ranking(control, buckets, &answers, &mut findings),
            _ => {}
        }
    }
    rules::apply_rules(spec, item, regions, &mut findings);
    cap_findings(&mut findings);
    findings
}

/// Whether a region answers nothing: a choice without labels, a text area without any text,
/// a ranking without ids.
fn is_empty_answer(value: &RegionValue) -> bool {
    match value {
        RegionValue::Choice { labels } => labels.is_empty(),
        RegionValue::TextArea { text } => text.iter().all(|line| line.trim().is_empty()),
        RegionValue::Ranking { order, buckets } => order.is_empty() && buckets.values().all(Vec::is_empty),
        _ => false,
    }
}

/// At most this many findings come out of one validation; one more finding counts the rest
/// (a response, and the browser's list, stay bounded whatever the annotation holds).
pub const MAX_FINDINGS: usize = 2_000;

fn cap_findings(findings: &mut Vec<Finding>) {
    if findings.len() <= MAX_FINDINGS {
        return;
    }
    let dropped = findings.split_off(MAX_FINDINGS);
    let severity = dropped.iter().map(|f| f.severity).min().unwrap_or(Severity::Warning);
    findings.push(Finding {
        severity,
        code: "findings_capped".into(),
        message: format!("{} more findings are not listed", rules::grouped(dropped.len())),
        control: None,
        regions: Vec::new(),
        guideline: None,
    });
}

/// The positions, in order, of the regions whose id an earlier region already has.
fn repeated_ids(regions: &[Region]) -> Vec<usize> {
    // By sorting rather than hashing: this runs on every edit, in Wasm too.
    let mut ids: Vec<(&str, usize)> = regions.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    sort_unstable(&mut ids);
    let mut repeated: Vec<usize> = ids.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[0].1.max(w[1].1)).collect();
    sort_unstable(&mut repeated);
    repeated
}

/// Per region: its id unique (`repeated` from [`repeated_ids`]), then its
/// [`OwnFindings::answer`].
fn check_regions(regions: &[Region], repeated: &[usize], own: &[&OwnFindings], findings: &mut Vec<Finding>) {
    let mut repeated = repeated.iter().copied().peekable();
    for (index, region) in regions.iter().enumerate() {
        if repeated.next_if_eq(&index).is_some() {
            findings.push(
                error("duplicate_region_id", None, format!("region id `{}` is used twice", region.id)).on(&[region]),
            );
        }
        findings.extend(own[index].answer.iter().cloned());
    }
}

/// The box of a box-like region: a box or a video box (rotation kept), or a polygon's
/// axis-aligned bounds.
pub(crate) fn region_box(value: &RegionValue) -> Option<BoxGeometry> {
    match value {
        RegionValue::BBox { .. } | RegionValue::VideoBox { .. } => value.box_geometry(),
        RegionValue::Polygon { points, .. } if !points.is_empty() => {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for [x, y] in points {
                x0 = x0.min(*x);
                y0 = y0.min(*y);
                x1 = x1.max(*x);
                y1 = y1.max(*y);
            }
            Some(BoxGeometry::new(x0, y0, x1 - x0, y1 - y0))
        }
        _ => None,
    }
}
