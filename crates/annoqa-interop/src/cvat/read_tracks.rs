//! `<track>` elements (CVAT for video): one record per task, one `video_track` per box track.

use std::collections::{BTreeMap, BTreeSet};

use annoqa_core::model::{Item, Keyframe, Media, Region, RegionValue};

use super::fields::Fields;
use super::geometry::CvatBox;
use super::meta::{Meta, TaskMeta};
use super::read_images::{custom_attributes, KnownLabels};
use super::xml::Element;
use super::{ANNOTATOR, ATTR_FRAME_STEP, ATTR_GROUP, ATTR_OCCLUDED, ATTR_OPEN_END, ATTR_SOURCE, ATTR_START_FRAME};
use super::{ATTR_Z_ORDER, CONTROL_TRACK};
use crate::diag::{Diagnostics, InputError};
use crate::record::{ReadOptions, Record, Source};

/// One kept (keyframe) shape of a track, with its per-shape values.
struct Shape {
    keyframe: Keyframe,
    /// `occluded` ("true"/"false"), `z_order` and the custom attributes.
    values: BTreeMap<String, String>,
}

pub(super) fn read(
    root: &Element,
    meta: &Meta,
    opts: &ReadOptions<'_>,
    fields: Fields<'_>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Record>, InputError> {
    let default_task = TaskMeta {
        id: None,
        name: None,
        start_frame: 0,
        stop_frame: None,
        step: 1,
        size: None,
        original_size: None,
        source: None,
    };
    // Tracks by task (project exports name theirs with `task_id`), tasks in order of appearance.
    let mut groups: Vec<(TaskMeta, Vec<&Element>)> = Vec::new();
    for track in root.children_named("track") {
        let task = match track.attr("task_id") {
            Some(id) => meta
                .tasks
                .iter()
                .find(|t| t.id.as_deref() == Some(id))
                .cloned()
                .unwrap_or_else(|| TaskMeta { id: Some(id.to_owned()), ..default_task.clone() }),
            None => meta.tasks.first().cloned().unwrap_or_else(|| default_task.clone()),
        };
        match groups.iter_mut().find(|(t, _)| t.id == task.id) {
            Some((_, tracks)) => tracks.push(track),
            None => groups.push((task, vec![track])),
        }
    }
    if groups.is_empty() {
        groups.push((meta.tasks.first().cloned().unwrap_or(default_task), Vec::new()));
    }
    for other in root.children.iter().filter(|c| !matches!(c.name.as_str(), "track" | "version" | "meta")) {
        diagnostics.skip(&format!("<{}>", other.name), "not an element of cvat xml for video", "");
    }
    let known = KnownLabels::new(meta);
    let mut records = Vec::new();
    for (task, tracks) in groups {
        let item_id = task.id.clone().or_else(|| task.source.clone()).or_else(|| task.name.clone());
        let item_id = item_id.unwrap_or_else(|| opts.file_name.to_owned());
        let mut regions = Vec::new();
        for (index, track) in tracks.iter().enumerate() {
            if let Some(region) = read_track(track, index, &task, &known, fields, &item_id, diagnostics)? {
                regions.push(region);
            }
        }
        let media = video_media(&task, &regions, opts, &item_id, root, fields, diagnostics)?;
        let item = Item { id: item_id, media, candidates: Vec::new() };
        records.push(Record {
            item,
            annotator: ANNOTATOR.to_owned(),
            source: Source::Annotation,
            regions,
            score: None,
        });
    }
    Ok(records)
}

/// The video: its size from `<original_size>` (else `--media-size`), `frame_count` = the task's
/// last frame + 1, and `frame_rate` 0, meaning unknown: CVAT XML does not record it.
fn video_media(
    task: &TaskMeta,
    regions: &[Region],
    opts: &ReadOptions<'_>,
    item_id: &str,
    root: &Element,
    fields: Fields<'_>,
    diagnostics: &mut Diagnostics,
) -> Result<Media, InputError> {
    let Some((width, height)) = task.original_size.or(opts.media_size) else {
        return Err(fields.error(root, None, "video without <original_size> in its meta, and no --media-size"));
    };
    diagnostics.skip(
        "frame rate",
        "cvat xml does not record the video's frame rate: frame_rate set to 0 (unknown)",
        item_id,
    );
    let frame_count = match task.last_frame() {
        Some(last) => last.saturating_add(1),
        None => {
            diagnostics.skip(
                "frame count",
                "the task's stop_frame and size are unknown: frame_count set to the last annotated frame + 1",
                item_id,
            );
            let last = regions.iter().filter_map(|r| match &r.value {
                RegionValue::VideoTrack { keyframes, .. } => keyframes.last().map(|k| k.frame),
                _ => None,
            });
            last.max().map_or(0, |f| f.saturating_add(1))
        }
    };
    Ok(Media::Video { src: task.source.clone().unwrap_or_default(), width, height, frame_rate: 0.0, frame_count })
}

#[allow(clippy::too_many_arguments)]
fn read_track(
    track: &Element,
    index: usize,
    task: &TaskMeta,
    known: &KnownLabels,
    fields: Fields<'_>,
    item_id: &str,
    diagnostics: &mut Diagnostics,
) -> Result<Option<Region>, InputError> {
    let label = fields.required(track, "label")?;
    // Nested <track>s are a skeleton's elements; <attribute>s are not shapes.
    let shapes: Vec<&Element> = track.children.iter().filter(|c| c.name != "track" && c.name != "attribute").collect();
    let Some(first) = shapes.first() else {
        diagnostics.skip("track", "a track without shapes", item_id);
        return Ok(None);
    };
    let kind = first.name.as_str();
    if let Some(other) = shapes.iter().find(|s| s.name != kind) {
        return Err(fields.error(other, None, format!("a <{}> in a track of <{kind}> shapes", other.name)));
    }
    if kind != "box" {
        let reason = match kind {
            "skeleton" => "skeleton tracks are not mapped to keypoints yet".to_owned(),
            _ => format!("annoqa tracks only boxes: a track of <{kind}> shapes has no region"),
        };
        diagnostics.skip(&format!("{kind} track"), &reason, item_id);
        return Ok(None);
    }
    if !known.admit(label, "box track", item_id, diagnostics) {
        return Ok(None);
    }
    let mut kept: Vec<Shape> = Vec::new();
    for shape in shapes {
        // keyframe="0" shapes are CVAT's interpolation between keyframes and copies to the end
        // of the task, which CVAT's own importer drops too; the writer makes them again.
        if !fields.flag(shape, "keyframe", true)? {
            continue;
        }
        let parsed = read_shape(shape, fields, item_id, diagnostics)?;
        if kept.iter().any(|k| k.keyframe.frame == parsed.keyframe.frame) {
            return Err(fields.error(
                shape,
                Some("frame"),
                format!("a second shape of the track on frame {}", parsed.keyframe.frame),
            ));
        }
        kept.push(parsed);
    }
    if kept.is_empty() {
        diagnostics.skip("box track", "a track whose shapes are all interpolated (keyframe=\"0\")", item_id);
        return Ok(None);
    }
    kept.sort_by_key(|s| s.keyframe.frame);
    let mut attributes = compact_values(&kept);
    for key in [ATTR_SOURCE, ATTR_GROUP] {
        if let Some(value) = track.attr(key) {
            attributes.insert(key.to_owned(), value.to_owned());
        }
    }
    if task.start_frame != 0 {
        attributes.insert(ATTR_START_FRAME.to_owned(), task.start_frame.to_string());
    }
    if task.step != 1 {
        attributes.insert(ATTR_FRAME_STEP.to_owned(), task.step.to_string());
    }
    let mut keyframes: Vec<Keyframe> = kept.iter().map(|s| s.keyframe).collect();
    extend_open_end(&mut keyframes, &mut attributes, task, item_id, diagnostics);
    Ok(Some(Region {
        id: track.attr("id").map_or_else(|| format!("track-{}", index + 1), str::to_owned),
        control: CONTROL_TRACK.to_owned(),
        value: RegionValue::VideoTrack { label: label.to_owned(), keyframes },
        attributes,
    }))
}

fn read_shape(
    shape: &Element,
    fields: Fields<'_>,
    item_id: &str,
    diagnostics: &mut Diagnostics,
) -> Result<Shape, InputError> {
    let b = CvatBox {
        xtl: fields.number(shape, "xtl")?,
        ytl: fields.number(shape, "ytl")?,
        xbr: fields.number(shape, "xbr")?,
        ybr: fields.number(shape, "ybr")?,
        rotation: fields.optional_number(shape, "rotation")?.unwrap_or(0.0),
    }
    .to_annoqa();
    let keyframe = Keyframe {
        frame: fields.frame(shape, "frame")?,
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
        rotation: b.rotation,
        outside: fields.flag(shape, "outside", false)?,
    };
    let mut values = BTreeMap::new();
    values.insert(ATTR_OCCLUDED.to_owned(), fields.flag(shape, "occluded", false)?.to_string());
    values.insert(ATTR_Z_ORDER.to_owned(), fields.integer(shape, "z_order")?.to_string());
    custom_attributes(shape, fields, item_id, diagnostics, &mut values)?;
    Ok(Shape { keyframe, values })
}

/// Per-shape values as track attributes: a value every keyframe shares as `name` (left out
/// when it is the default, `occluded` false or `z_order` 0); values that change as
/// `name@frame`, one per keyframe that has one.
fn compact_values(shapes: &[Shape]) -> BTreeMap<String, String> {
    let names: BTreeSet<&String> = shapes.iter().flat_map(|s| s.values.keys()).collect();
    let mut out = BTreeMap::new();
    for name in names {
        let first = shapes.first().and_then(|s| s.values.get(name));
        let shared = shapes.iter().all(|s| s.values.get(name) == first);
        match first {
            Some(value) if shared => {
                let default = (name == ATTR_OCCLUDED && value == "false") || (name == ATTR_Z_ORDER && value == "0");
                if !default {
                    out.insert(name.clone(), value.clone());
                }
            }
            _ => {
                for shape in shapes {
                    if let Some(value) = shape.values.get(name) {
                        out.insert(format!("{name}@{}", shape.keyframe.frame), value.clone());
                    }
                }
            }
        }
    }
    out
}

/// A CVAT track whose last shape is not `outside` runs to the task's last frame (ambiguity
/// 14); an annoqa track ends at its last keyframe. So such a track gets a copy of its last box
/// at the task's last frame, marked `cvat_open_end` so the writer leaves it to CVAT again.
fn extend_open_end(
    keyframes: &mut Vec<Keyframe>,
    attributes: &mut BTreeMap<String, String>,
    task: &TaskMeta,
    item_id: &str,
    diagnostics: &mut Diagnostics,
) {
    let Some(last) = keyframes.last().copied() else { return };
    if last.outside {
        return;
    }
    match task.last_frame() {
        Some(end) if end > last.frame => {
            keyframes.push(Keyframe { frame: end, ..last });
            attributes.insert(ATTR_OPEN_END.to_owned(), "true".to_owned());
        }
        Some(_) => {}
        None => diagnostics.skip(
            "track end",
            "the task's last frame is unknown: a track without a closing outside shape ends at its last keyframe",
            item_id,
        ),
    }
}
