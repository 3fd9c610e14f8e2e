//! CVAT XML 1.1 for images and for video to and from records.
//!
//! Images (`<image>` with `<box>`, `<polygon>`, `<points>`, `<tag>`) become one record per
//! image; video (`<track>`s of `<box>` shapes, "interpolation" mode) one record per task with
//! one `video_track` region per track. Frame numbers stay CVAT's absolute video frames. What
//! annoqa cannot hold (polylines, ellipses, masks, cuboids, skeletons, point tracks, attribute
//! schemas, shapes with an empty label, …) is reported in the diagnostics, never guessed.
//! `docs/interop.md` (section CVAT) has the full mapping.

mod fields;
mod geometry;
mod meta;
mod read_images;
mod read_tracks;
mod write_images;
mod write_video;
mod xml;

use std::collections::BTreeMap;

use annoqa_core::model::{Control, ControlKind, Label, MediaKind, TaskSpec, Tolerance};

use crate::diag::{Diagnostics, InputError};
use crate::record::{Converted, ReadOptions, Record, Source, Written};
use fields::Fields;
pub(crate) use write_video::safe_file_name;

/// Controls of the spec a CVAT file describes, one per kind of shape: images have `box`,
/// `polygon`, `points` and `tag`; video has `track`.
pub const CONTROL_BOX: &str = "box";
pub const CONTROL_POLYGON: &str = "polygon";
pub const CONTROL_POINTS: &str = "points";
pub const CONTROL_TAG: &str = "tag";
pub const CONTROL_TRACK: &str = "track";

/// Region attributes with a meaning of their own (the rest are CVAT's custom attributes, by
/// name). `occluded` = `"true"`; `z_order` when not 0; `source` and `group_id` as written;
/// `instance` = the `<points>` element several keypoints came from.
pub const ATTR_OCCLUDED: &str = "occluded";
pub const ATTR_Z_ORDER: &str = "z_order";
pub const ATTR_SOURCE: &str = "source";
pub const ATTR_GROUP: &str = "group_id";
pub const ATTR_INSTANCE: &str = "instance";
/// On a track: its last keyframe was added by the reader at the task's last frame, because the
/// CVAT track had no closing `outside` shape and so runs to the end of the task.
pub const ATTR_OPEN_END: &str = "cvat_open_end";
/// On a track: the task's `start_frame` (when not 0) and frame step (when not 1).
pub const ATTR_START_FRAME: &str = "cvat_start_frame";
pub const ATTR_FRAME_STEP: &str = "cvat_frame_step";

const BUILT_IN: [&str; 8] = [
    ATTR_OCCLUDED,
    ATTR_Z_ORDER,
    ATTR_SOURCE,
    ATTR_GROUP,
    ATTR_INSTANCE,
    ATTR_OPEN_END,
    ATTR_START_FRAME,
    ATTR_FRAME_STEP,
];

/// Whether `name` is one of annoqa's CVAT attributes rather than a custom one.
fn is_built_in(name: &str) -> bool {
    BUILT_IN.contains(&name)
}

/// The annotator of every record read from CVAT (the format has none).
pub const ANNOTATOR: &str = "cvat";

/// Reads a CVAT XML 1.1 file, for images or for video.
pub fn read(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let fields = Fields { file: opts.file_name };
    let root = xml::parse(bytes, opts.file_name)?;
    if root.name != "annotations" {
        return Err(fields.error(
            &root,
            None,
            format!("expected <annotations> as the root element, got <{}>", root.name),
        ));
    }
    let mut diagnostics = Diagnostics::default();
    if let Some(version) = root.child_text("version") {
        if version != "1.1" {
            diagnostics.skip("version", &format!("cvat xml version `{version}` read as 1.1"), "");
        }
    }
    let meta = meta::read_meta(&root, fields)?;
    for label in &meta.labels {
        for attribute in &label.attributes {
            let reason = format!(
                "attribute `{attribute}` of label `{}`: annoqa specs have no attribute schema, so its \
                 input_type, values and default_value are dropped (the values on shapes are kept)",
                label.name
            );
            diagnostics.skip("attribute definition", &reason, "");
        }
    }
    let has_images = root.child("image").is_some();
    let has_tracks = root.child("track").is_some();
    let (records, media) = match (has_images, has_tracks) {
        (true, true) => {
            return Err(fields.error(
                &root,
                None,
                "both <image> and <track> elements: a cvat file is for images or for video",
            ));
        }
        (false, true) => (read_tracks::read(&root, &meta, opts, fields, &mut diagnostics)?, MediaKind::Video),
        (false, false) if meta.interpolation => {
            (read_tracks::read(&root, &meta, opts, fields, &mut diagnostics)?, MediaKind::Video)
        }
        _ => (read_images::read(&root, &meta, opts, fields, &mut diagnostics)?, MediaKind::Image),
    };
    let spec = derive_spec(&meta, &records, media);
    Ok(Converted { records, spec: Some(spec), diagnostics })
}

/// Writes records as CVAT XML 1.1: image records in images mode, a video record in video
/// (interpolation) mode, one file per video when there are several.
pub fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    let mut diagnostics = Diagnostics::default();
    let chosen = one_record_per_item(records, &mut diagnostics);
    let derived;
    let spec = match spec {
        Some(spec) => spec,
        None => {
            derived = crate::record::derive_spec(records);
            &derived
        }
    };
    let labels = write_images::meta_labels(&chosen, spec);
    let all = |kind: MediaKind| chosen.iter().all(|r| r.item.media.kind() == kind);
    let files = if all(MediaKind::Image) {
        vec![write_images::write(&chosen, &labels, &mut diagnostics)]
    } else if all(MediaKind::Video) {
        write_video::write(&chosen, &labels, &mut diagnostics)
    } else {
        let odd = chosen.iter().find(|r| !matches!(r.item.media.kind(), MediaKind::Image | MediaKind::Video));
        let message = match odd {
            Some(r) => format!("item `{}` is not an image or a video: cvat xml holds only those", r.item.id),
            None => "images and videos mixed: a cvat file is for images or for video".to_owned(),
        };
        return Err(InputError::new("records", "", message));
    };
    Ok(Written { files, diagnostics })
}

/// CVAT holds one annotation per image or video: an item's first annotation record (its first
/// prediction when it has none); the others are reported.
fn one_record_per_item<'r>(records: &'r [Record], diagnostics: &mut Diagnostics) -> Vec<&'r Record> {
    let mut chosen: Vec<&Record> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for record in records {
        match index.get(record.item.id.as_str()) {
            None => {
                index.insert(&record.item.id, chosen.len());
                chosen.push(record);
            }
            Some(&i) => {
                let prediction_replaced = chosen[i].source == Source::Prediction && record.source == Source::Annotation;
                let skipped = if prediction_replaced { std::mem::replace(&mut chosen[i], record) } else { record };
                diagnostics.skip(
                    "record",
                    "cvat xml holds one annotation per item: further annotators' records skipped",
                    &skipped.item.id,
                );
            }
        }
    }
    chosen
}

/// The spec a CVAT file describes: one control per kind of shape read, each with the labels
/// declared in the meta that CVAT allows on that kind (all of them unless the label has a
/// `<type>`); the labels used by the shapes when the meta declares none.
fn derive_spec(meta: &meta::Meta, records: &[Record], media: MediaKind) -> TaskSpec {
    let controls_in_order: &[(&str, ControlKind)] = match media {
        MediaKind::Video => &[(CONTROL_TRACK, ControlKind::VideoTracks)],
        _ => &[
            (CONTROL_BOX, ControlKind::BBox),
            (CONTROL_POLYGON, ControlKind::Polygon),
            (CONTROL_POINTS, ControlKind::Keypoint),
            (CONTROL_TAG, ControlKind::Choice { multiple: true }),
        ],
    };
    let mut controls = Vec::new();
    for (name, kind) in controls_in_order {
        let regions = records.iter().flat_map(|r| &r.regions).filter(|r| r.control == *name);
        let mut used: Vec<String> = Vec::new();
        for region in regions {
            for label in region.value.labels() {
                if !used.iter().any(|u| u == label) {
                    used.push(label.to_owned());
                }
            }
        }
        if used.is_empty() {
            continue;
        }
        let labels = if meta.labels.is_empty() {
            used.into_iter().map(plain_label).collect()
        } else {
            meta.labels
                .iter()
                .filter(|l| l.parent.is_none() && label_allows(l.kind.as_deref(), name))
                .map(|l| Label { color: l.color.clone(), ..plain_label(l.name.clone()) })
                .collect()
        };
        controls.push(Control {
            name: (*name).to_owned(),
            prompt: String::new(),
            kind: kind.clone(),
            labels,
            required: false,
            guideline: None,
            tolerance: Tolerance::default(),
            normalization: None,
            costs: Vec::new(),
        });
    }
    TaskSpec {
        media,
        controls,
        pass_threshold: 0.8,
        rules: Vec::new(),
        reveal: Default::default(),
        limits: Default::default(),
    }
}

fn plain_label(value: String) -> Label {
    Label { value, hotkey: None, color: None, guideline: None, min_iou: None, kappa: None }
}

/// Whether a CVAT label of `<type>` `kind` may be drawn as `control`'s shapes.
fn label_allows(kind: Option<&str>, control: &str) -> bool {
    match kind {
        None | Some("any") => true,
        Some("rectangle" | "bbox") => control == CONTROL_BOX || control == CONTROL_TRACK,
        Some(other) => other == control,
    }
}
