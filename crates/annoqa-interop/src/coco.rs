//! COCO instances and person keypoints JSON, and COCO results lists, to and from records.
//!
//! One record per image (item id = the image `id`, media = `file_name` with its `width` and
//! `height`); each annotation becomes a `b_box` region in control `bbox` (region id = the
//! annotation id), one `polygon` region per polygon of its `segmentation` in control
//! `segmentation` (attribute `instance` = the annotation id), and one `keypoint` region per
//! labelled keypoint in control `keypoints` (attribute `parent` = the box). Every box and
//! polygon carries attribute `category_id`, so a write gives each category its id back; see
//! docs/interop.md for what is reported and why.

mod read;
mod write;

use std::collections::{BTreeMap, HashSet};

use annoqa_core::model::{
    Control, ControlKind, Label, Limits, Media, MediaKind, Region, RegionValue, RevealPolicy, TaskSpec, Tolerance,
};

use crate::diag::InputError;
use crate::record::{Converted, ReadOptions, Record, Written};

/// The control of the boxes.
pub(crate) const BOX_CONTROL: &str = "bbox";
/// The control of the polygons.
pub(crate) const POLYGON_CONTROL: &str = "segmentation";
/// The control of the keypoints.
pub(crate) const KEYPOINT_CONTROL: &str = "keypoints";

/// Region attributes with a meaning of their own (docs/interop.md); everything else on a box
/// or polygon is a custom attribute, written to the annotation's `attributes`.
const STRUCTURAL_ATTRIBUTES: [&str; 6] = ["instance", "parent", "visibility", "iscrowd", "score", "category_id"];

/// Reads a COCO instances (or person keypoints) file, or a COCO results list.
pub fn read(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    read::read(bytes, opts)
}

/// Writes COCO instances JSON: images, categories, and one annotation per instance (a box with
/// its polygons and keypoints).
pub fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    write::write(records, spec)
}

pub(crate) use write::{CocoFile, CocoPart, CocoWriter};

/// The spec of an image dataset with these categories (and keypoint names, when it has
/// keypoints): a `bbox` control and a `segmentation` control with the categories as labels, and
/// a `keypoints` control with the keypoint names. COCO and YOLO both use it, so converting one
/// into the other keeps control names.
pub(crate) fn image_spec(categories: &[String], keypoint_names: Option<&[String]>) -> TaskSpec {
    let mut controls = vec![
        control(BOX_CONTROL, ControlKind::BBox, categories),
        control(POLYGON_CONTROL, ControlKind::Polygon, categories),
    ];
    if let Some(names) = keypoint_names {
        controls.push(control(KEYPOINT_CONTROL, ControlKind::Keypoint, names));
    }
    TaskSpec {
        media: MediaKind::Image,
        controls,
        pass_threshold: 0.8,
        rules: Vec::new(),
        reveal: RevealPolicy::default(),
        limits: Limits::default(),
    }
}

fn control(name: &str, kind: ControlKind, labels: &[String]) -> Control {
    Control {
        name: name.to_owned(),
        prompt: String::new(),
        kind,
        labels: labels.iter().map(|l| label(l)).collect(),
        required: false,
        guideline: None,
        tolerance: Tolerance::default(),
        normalization: None,
        costs: Vec::new(),
    }
}

fn label(value: &str) -> Label {
    Label { value: value.to_owned(), hotkey: None, color: None, guideline: None, min_iou: None, kappa: None }
}

/// The labels a writer numbers as classes or categories: those of `spec`'s box and polygon
/// controls in spec order, then labels of box and polygon regions the spec lacks, in
/// first-seen order (the second list, so the writer can report them).
pub(crate) fn object_labels<'r>(
    regions: impl Iterator<Item = &'r Region>,
    spec: &TaskSpec,
) -> (Vec<String>, Vec<String>) {
    let known = spec_object_labels(spec);
    // `seen` holds known and extra labels alike: one hash lookup per region, however many
    // labels there are.
    let mut seen: HashSet<&str> = known.iter().map(String::as_str).collect();
    let mut extra: Vec<String> = Vec::new();
    for region in regions {
        if let RegionValue::BBox { label, .. } | RegionValue::Polygon { label, .. } = &region.value {
            if seen.insert(label) {
                extra.push(label.clone());
            }
        }
    }
    (known, extra)
}

/// The keypoint names in slot order: the labels of `spec`'s first keypoint control, then
/// keypoint labels the spec lacks in first-seen order (the second list). `None` when there
/// is neither a keypoint control nor a keypoint.
pub(crate) fn keypoint_labels<'r>(
    regions: impl Iterator<Item = &'r Region>,
    spec: &TaskSpec,
) -> Option<(Vec<String>, Vec<String>)> {
    let spec_names = spec_keypoint_labels(spec);
    let has_control = spec_names.is_some();
    let known = spec_names.unwrap_or_default();
    let mut seen: HashSet<&str> = known.iter().map(String::as_str).collect();
    let mut extra: Vec<String> = Vec::new();
    for region in regions {
        if let RegionValue::Keypoint { label, .. } = &region.value {
            if seen.insert(label) {
                extra.push(label.clone());
            }
        }
    }
    (has_control || !extra.is_empty()).then_some((known, extra))
}

/// The labels of the spec's box and polygon controls, in spec order, each once.
pub(crate) fn spec_object_labels(spec: &TaskSpec) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut labels = Vec::new();
    for control in spec.controls.iter().filter(|c| matches!(c.kind, ControlKind::BBox | ControlKind::Polygon)) {
        for label in &control.labels {
            if seen.insert(&label.value) {
                labels.push(label.value.clone());
            }
        }
    }
    labels
}

/// The labels of the spec's first keypoint control (the slots' names); `None` without one.
pub(crate) fn spec_keypoint_labels(spec: &TaskSpec) -> Option<Vec<String>> {
    let control = spec.controls.iter().find(|c| matches!(c.kind, ControlKind::Keypoint))?;
    Some(control.labels.iter().map(|l| l.value.clone()).collect())
}

/// COCO category ids for `labels` (in order): a label's id where `known` has it, otherwise the
/// smallest positive id not yet taken. The reader uses the same function to report which
/// categories a write would renumber.
pub(crate) fn assign_category_ids(labels: &[String], known: &BTreeMap<String, u64>) -> Vec<u64> {
    let mut taken: std::collections::BTreeSet<u64> = labels.iter().filter_map(|l| known.get(l).copied()).collect();
    let mut next = 1u64;
    labels
        .iter()
        .map(|l| match known.get(l) {
            Some(&id) => id,
            None => {
                while taken.contains(&next) {
                    next += 1;
                }
                taken.insert(next);
                next
            }
        })
        .collect()
}

pub(crate) fn media_name(media: &Media) -> &'static str {
    match media {
        Media::Text { .. } => "text",
        Media::Image { .. } => "image",
        Media::Audio { .. } => "audio",
        Media::Video { .. } => "video",
    }
}
