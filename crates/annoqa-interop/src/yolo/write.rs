//! Records to an Ultralytics dataset folder (without the images).
//!
//! One task per dataset, as Ultralytics trains one: `pose` when any keypoint is present, else
//! `obb` when any box is turned, else `segment` when any polygon is present, else `detect`.
//! What the task has no line for is reported (docs/interop.md lists each case).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use annoqa_core::geometry::{box_bounds, box_corners, box_is_rotated};
use annoqa_core::model::{BoxGeometry, Media, Region, RegionValue, TaskSpec};

use super::label_files::{classes_txt, LabelFiles};
use crate::coco::{keypoint_labels, object_labels};
use crate::diag::{Diagnostics, InputError};
use crate::record::{OutputFile, Record, Written};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Task {
    Detect,
    Segment,
    Obb,
    Pose,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Detect => "detect",
            Task::Segment => "segment",
            Task::Obb => "obb",
            Task::Pose => "pose",
        }
    }
}

/// Region attributes that say how regions hang together rather than something about them;
/// any other attribute is reported as dropped (a label line has no place for it).
const STRUCTURAL: [&str; 4] = ["parent", "visibility", "instance", "category_id"];

/// One label line before formatting: the class and pixel values divided by the image size.
pub(super) enum Line {
    Numbers(usize, Vec<f64>),
    /// The box `cx cy w h` and each keypoint slot's `x y v` (`None`: not labelled).
    Pose(usize, [f64; 4], Vec<Option<(f64, f64, u8)>>),
    /// Lines formatted already, each ending in a newline ([`super::stream`]'s detect lines).
    Text(String),
}

pub(super) fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    let derived;
    let spec = match spec {
        Some(spec) => spec,
        None => {
            derived = crate::record::derive_spec(records);
            &derived
        }
    };
    let mut diagnostics = Diagnostics::default();
    let labels = Labels::new(spec, records.iter(), &mut diagnostics);
    let mut writer = Writer::new(&labels, task_of(records.iter()), diagnostics);
    let mut files = LabelFiles::default();
    let mut lines: Vec<Vec<Line>> = Vec::new();
    for record in records {
        if let Some((at, size)) = files.of_record(record, &mut writer.diagnostics) {
            let made = writer.lines(record, size);
            match lines.get_mut(at) {
                Some(file) => file.extend(made),
                None => lines.push(made),
            }
        }
    }
    Ok(writer.finish(files, lines, visibility_told(records.iter())))
}

/// The class names and keypoint slot names of a dataset: the spec's, then those of the
/// records that the spec lacks (reported).
pub(super) struct Labels {
    names: Vec<String>,
    keypoint_names: Vec<String>,
}

impl Labels {
    pub(super) fn new<'r>(
        spec: &TaskSpec,
        records: impl Iterator<Item = &'r Record> + Clone,
        diagnostics: &mut Diagnostics,
    ) -> Labels {
        let regions = records.flat_map(|r| &r.regions);
        let (mut names, extra) = object_labels(regions.clone(), spec);
        for label in extra {
            diagnostics.skip("label", &format!("`{label}` is not a label of the spec: written as a class"), "");
            names.push(label);
        }
        let keypoint_names = keypoint_labels(regions, spec).map(|(mut known, extra)| {
            for name in extra {
                diagnostics.skip("keypoint label", &format!("`{name}` is not a keypoint label of the spec: added"), "");
                known.push(name);
            }
            known
        });
        Labels { names, keypoint_names: keypoint_names.unwrap_or_default() }
    }
}

/// The dataset's task: see the module's comment. Only images count.
pub(super) fn task_of<'r>(records: impl Iterator<Item = &'r Record> + Clone) -> Task {
    let regions = || records.clone().filter(|r| matches!(r.item.media, Media::Image { .. })).flat_map(|r| &r.regions);
    if regions().any(|r| matches!(r.value, RegionValue::Keypoint { .. })) {
        Task::Pose
    } else if regions()
        .any(|r| matches!(r.value, RegionValue::BBox { .. }) && box_of(&r.value).is_some_and(|b| box_is_rotated(&b)))
    {
        Task::Obb
    } else if regions().any(|r| matches!(r.value, RegionValue::Polygon { .. })) {
        Task::Segment
    } else {
        Task::Detect
    }
}

/// Whether a keypoint of `records` says its visibility (pose lines then carry `v`).
pub(super) fn visibility_told<'r>(mut records: impl Iterator<Item = &'r Record>) -> bool {
    records.any(|record| {
        record
            .regions
            .iter()
            .any(|r| matches!(r.value, RegionValue::Keypoint { .. }) && r.attributes.contains_key("visibility"))
    })
}

fn box_of(value: &RegionValue) -> Option<BoxGeometry> {
    match *value {
        RegionValue::BBox { x, y, width, height, rotation, .. } => Some(BoxGeometry { x, y, width, height, rotation }),
        _ => None,
    }
}

/// Each name's first position: a class or keypoint slot found by lookup, not by a scan of all.
fn first_positions(names: &[String]) -> HashMap<&str, usize> {
    let mut positions = HashMap::with_capacity(names.len());
    for (at, name) in names.iter().enumerate() {
        positions.entry(name.as_str()).or_insert(at);
    }
    positions
}

/// How one record's regions hang together, found once per record: its boxes' ids and the
/// keypoints of each parent (in record order).
struct Family<'r> {
    boxes: HashSet<&'r str>,
    keypoints_of: HashMap<&'r str, Vec<&'r Region>>,
}

impl<'r> Family<'r> {
    fn new(record: &'r Record) -> Self {
        let mut family = Family { boxes: HashSet::new(), keypoints_of: HashMap::new() };
        for region in &record.regions {
            match &region.value {
                RegionValue::BBox { .. } => {
                    family.boxes.insert(&region.id);
                }
                RegionValue::Keypoint { .. } => {
                    if let Some(parent) = region.attributes.get("parent") {
                        family.keypoints_of.entry(parent).or_default().push(region);
                    }
                }
                _ => {}
            }
        }
        family
    }

    fn has_parent_box(&self, keypoint: &Region) -> bool {
        keypoint.attributes.get("parent").is_some_and(|p| self.boxes.contains(p.as_str()))
    }
}

/// Makes records' label lines for one task and class list.
pub(super) struct Writer<'a> {
    names: &'a [String],
    /// Each class name's index.
    class_of: HashMap<&'a str, usize>,
    /// Each keypoint name's slot, and how many slots there are.
    slot_of: HashMap<&'a str, usize>,
    slots: usize,
    task: Task,
    pub(super) diagnostics: Diagnostics,
}

impl<'a> Writer<'a> {
    pub(super) fn new(labels: &'a Labels, task: Task, diagnostics: Diagnostics) -> Self {
        Writer {
            names: &labels.names,
            class_of: first_positions(&labels.names),
            slot_of: first_positions(&labels.keypoint_names),
            slots: labels.keypoint_names.len(),
            task,
            diagnostics,
        }
    }

    /// The dataset: `data.yaml`, `classes.txt` and each of `files` with its `lines`.
    /// `visibility_told`: whether a keypoint said its visibility ([`visibility_told`]).
    pub(super) fn finish(self, files: LabelFiles, lines: Vec<Vec<Line>>, visibility_told: bool) -> Written {
        let dims = keypoint_dims(&lines, visibility_told);
        let mut written = Vec::with_capacity(files.len() + 2);
        written.extend(self.dataset_files(&files, dims));
        for (path, lines) in files.paths.into_iter().zip(lines) {
            written.push(OutputFile { path, bytes: text_of(lines, dims).into_bytes() });
        }
        Written { files: written, diagnostics: self.diagnostics }
    }

    /// `data.yaml` and `classes.txt`, for `files` and keypoints of `dims` numbers.
    pub(super) fn dataset_files(&self, files: &LabelFiles, dims: usize) -> [OutputFile; 2] {
        let kpt_shape = (self.task == Task::Pose).then_some((self.slots, dims));
        let yaml = files.data_yaml(self.task.name(), kpt_shape, self.names);
        [
            OutputFile { path: "data.yaml".to_owned(), bytes: yaml.into_bytes() },
            OutputFile { path: "classes.txt".to_owned(), bytes: classes_txt(self.names).into_bytes() },
        ]
    }

    pub(super) fn lines(&mut self, record: &Record, size: (f64, f64)) -> Vec<Line> {
        let item = record.item.id.as_str();
        let instance_boxes: BTreeSet<&str> =
            record.regions.iter().filter_map(|r| r.attributes.get("instance").map(String::as_str)).collect();
        let family = Family::new(record);
        let mut lines = Vec::new();
        for region in &record.regions {
            for name in region.attributes.keys().filter(|k| !STRUCTURAL.contains(&k.as_str())) {
                let kind = format!("attribute `{name}`");
                self.diagnostics.skip(&kind, "YOLO label lines have no attributes: dropped", item);
            }
            let label = match &region.value {
                RegionValue::BBox { label, .. } | RegionValue::Polygon { label, .. } => label,
                RegionValue::Keypoint { .. } => {
                    if !family.has_parent_box(region) {
                        let reason = "no box of its own (attribute `parent`): not written";
                        self.diagnostics.skip("keypoint", reason, item);
                    }
                    continue;
                }
                other => {
                    self.diagnostics.skip(other.type_name(), "YOLO has no line for this region type", item);
                    continue;
                }
            };
            let Some(&class) = self.class_of.get(label.as_str()) else { continue };
            match (&region.value, self.task) {
                (RegionValue::Polygon { points, .. }, Task::Segment) => {
                    let (w, h) = size;
                    lines.push(Line::Numbers(class, points.iter().flat_map(|&[x, y]| [x / w, y / h]).collect()));
                }
                (RegionValue::Polygon { .. }, task) => {
                    let reason = format!("a {} dataset has no polygons", task.name());
                    self.diagnostics.skip("polygon", &reason, item);
                }
                (RegionValue::BBox { .. }, Task::Segment) if instance_boxes.contains(region.id.as_str()) => {
                    let reason = "the box of an instance with a polygon: a segment dataset keeps the polygon";
                    self.diagnostics.skip("b_box", reason, item);
                }
                (value, _) => {
                    if let Some(geometry) = box_of(value) {
                        lines.push(self.box_line(class, region, geometry, (record, &family), size));
                    }
                }
            }
        }
        lines
    }

    fn box_line(
        &mut self,
        class: usize,
        region: &Region,
        geometry: BoxGeometry,
        (record, family): (&Record, &Family<'_>),
        size: (f64, f64),
    ) -> Line {
        let (w, h) = size;
        let item = record.item.id.as_str();
        let corners = |g: &BoxGeometry| box_corners(g).iter().flat_map(|&[x, y]| [x / w, y / h]).collect::<Vec<f64>>();
        match self.task {
            Task::Obb => Line::Numbers(class, corners(&geometry)),
            Task::Segment => {
                self.diagnostics.skip("b_box", "written as a 4-point polygon (a segment dataset has no boxes)", item);
                Line::Numbers(class, corners(&geometry))
            }
            Task::Detect | Task::Pose => {
                let bounds = if box_is_rotated(&geometry) {
                    let reason = "a pose dataset's boxes do not turn: written as their bounds";
                    self.diagnostics.skip("rotated b_box", reason, item);
                    box_bounds(&geometry)
                } else {
                    geometry
                };
                let numbers = detect_numbers(&bounds, size);
                if self.task == Task::Detect {
                    return Line::Numbers(class, numbers.to_vec());
                }
                let keypoints = family.keypoints_of.get(region.id.as_str()).map_or(&[][..], Vec::as_slice);
                Line::Pose(class, numbers, self.keypoint_slots(keypoints, record, size))
            }
        }
    }

    /// A box's keypoints (those whose `parent` it is) by slot.
    fn keypoint_slots(
        &mut self,
        keypoints: &[&Region],
        record: &Record,
        (w, h): (f64, f64),
    ) -> Vec<Option<(f64, f64, u8)>> {
        let mut slots = vec![None; self.slots];
        let item = record.item.id.as_str();
        for region in keypoints {
            let RegionValue::Keypoint { x, y, label } = &region.value else { continue };
            let Some(slot) = self.slot_of.get(label.as_str()).and_then(|&at| slots.get_mut(at)) else { continue };
            if slot.is_some() {
                self.diagnostics.skip("keypoint", "a second keypoint of one name on one box: not written", item);
                continue;
            }
            let visibility = match region.attributes.get("visibility").map(String::as_str) {
                Some("1") => 1,
                _ => 2,
            };
            *slot = Some((x / w, y / h, visibility));
        }
        slots
    }
}

/// Numbers per keypoint on pose lines: `x y v` when a keypoint said its visibility or a box
/// lacks a keypoint (written as `0 0 0`), else `x y`.
pub(super) fn keypoint_dims(lines: &[Vec<Line>], visibility_told: bool) -> usize {
    let mut lines = lines.iter().flatten();
    let gaps = lines.any(|line| matches!(line, Line::Pose(_, _, slots) if slots.iter().any(Option::is_none)));
    if visibility_told || gaps {
        3
    } else {
        2
    }
}

/// A label file's text.
pub(super) fn text_of(lines: Vec<Line>, dims: usize) -> String {
    let mut text = String::new();
    for line in lines {
        match line {
            Line::Text(formatted) if text.is_empty() => text = formatted,
            line => push_line(&mut text, &line, dims),
        }
    }
    text
}

/// Appends `line` and its newline to `out`.
pub(super) fn push_line(out: &mut String, line: &Line, dims: usize) {
    match line {
        Line::Numbers(class, values) => {
            push_numbers(out, *class, values);
            out.push('\n');
        }
        Line::Pose(class, numbers, slots) => {
            push_numbers(out, *class, numbers);
            for slot in slots {
                let (x, y, v) = slot.unwrap_or((0.0, 0.0, 0));
                push_number(out, x);
                push_number(out, y);
                if dims == 3 {
                    push_number(out, f64::from(v));
                }
            }
            out.push('\n');
        }
        Line::Text(text) => out.push_str(text),
    }
}

/// Appends `class v1 v2 …` to `out`.
pub(super) fn push_numbers(out: &mut String, class: usize, values: &[f64]) {
    write_display(out, class);
    values.iter().for_each(|&v| push_number(out, v));
}

/// A space and the shortest text that reads back as the same f64 (Rust's `Display`, never an
/// exponent), so pixels come back to the bit after the division by the image size is undone.
fn push_number(out: &mut String, value: f64) {
    out.push(' ');
    if value == 0.0 {
        out.push('0');
        return;
    }
    if zmij_writes_display(value) {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(value);
        if !text.contains('e') {
            out.push_str(text);
            return;
        }
    }
    write_display(out, value);
}

/// Whether zmij's shortest text for `value` is `Display`'s, which takes five times as long.
/// Both give the shortest digits that read back as `value` and, of those, the closest; they
/// differ only on an exact tie between two closest (zmij rounds it to even, `Display` up),
/// which needs `value`'s exact decimal expansion to end one digit after the 17th. An odd
/// multiple of 2⁻ᵏ has k decimals, the last a 5, so with k ≥ 23 and `value` ≥ 10⁻⁵ (at most
/// four zeros after the point) it has at least 19 significant digits: no tie. Below 10¹³
/// zmij writes no exponent. Label line numbers are mostly such fractions; any other value
/// goes to `Display`.
fn zmij_writes_display(value: f64) -> bool {
    let magnitude = value.abs();
    if !(1e-5..1e13).contains(&magnitude) {
        return false;
    }
    let bits = magnitude.to_bits();
    // A normal number: (2⁵² + fraction) · 2^(exponent − 1075).
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let fraction_bits = -(exponent + i64::from(mantissa.trailing_zeros()));
    fraction_bits >= 23
}

fn write_display(out: &mut String, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
}

/// A box's detect line numbers `cx cy w h` for an image of `size` pixels.
pub(super) fn detect_numbers(bounds: &BoxGeometry, (w, h): (f64, f64)) -> [f64; 4] {
    [(bounds.x + bounds.width / 2.0) / w, (bounds.y + bounds.height / 2.0) / h, bounds.width / w, bounds.height / h]
}
