//! Records to an Ultralytics dataset folder (without the images).
//!
//! One task per dataset, as Ultralytics trains one: `pose` when any keypoint is present, else
//! `obb` when any box is turned, else `segment` when any polygon is present, else `detect`.
//! What the task has no line for is reported (docs/interop.md lists each case).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use annoqa_core::geometry::{box_bounds, box_corners, box_is_rotated};
use annoqa_core::model::{BoxGeometry, Media, Region, RegionValue, TaskSpec};

use super::layout::{label_path, without_extension};
use crate::coco::{keypoint_labels, media_name, object_labels};
use crate::diag::{Diagnostics, InputError};
use crate::hash::{FastMap, FastSet};
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
    for record in records {
        writer.record(record);
    }
    Ok(writer.finish(visibility_told(records.iter())))
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

pub(super) struct Writer<'a> {
    names: &'a [String],
    /// Each class name's index.
    class_of: HashMap<&'a str, usize>,
    /// Each keypoint name's slot, and how many slots there are.
    slot_of: HashMap<&'a str, usize>,
    slots: usize,
    task: Task,
    diagnostics: Diagnostics,
    /// Label files in first-seen order: path, the image's folder, lines.
    files: Vec<(String, String, Vec<Line>)>,
    file_of: FastMap<String, usize>,
    taken: FastSet<String>,
    /// Per label file stem, the suffix to try next when an image's name is taken again (so
    /// many images of one name take linear time).
    next_suffix: HashMap<String, usize>,
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
            files: Vec::new(),
            file_of: FastMap::default(),
            taken: FastSet::default(),
            next_suffix: HashMap::new(),
        }
    }

    pub(super) fn record(&mut self, record: &Record) {
        let item = record.item.id.as_str();
        let Media::Image { src, width, height } = &record.item.media else {
            self.diagnostics.skip(&format!("{} item", media_name(&record.item.media)), "YOLO holds images only", item);
            return;
        };
        if *width == 0 || *height == 0 {
            self.diagnostics.skip("image size", "no image size: normalised coordinates cannot be written", item);
            return;
        }
        if record.score.is_some() {
            self.diagnostics.skip("record score", "YOLO label files have no scores: dropped", item);
        }
        let at = self.file_for(item, src);
        let size = (f64::from(*width), f64::from(*height));
        let lines = self.lines(record, size);
        self.files[at].2.extend(lines);
    }

    /// A record's lines formatted already: those [`Writer::record`] makes of an image of known
    /// size in a detect dataset (see [`super::stream`]).
    pub(super) fn formatted(&mut self, item: &str, src: &str, text: String) {
        let at = self.file_for(item, src);
        self.files[at].2.push(Line::Text(text));
    }

    /// The label file of image `item`: a new one, or the one an earlier record of the image
    /// has (reported: its regions are merged into it).
    fn file_for(&mut self, item: &str, src: &str) -> usize {
        if let Some(&at) = self.file_of.get(item) {
            let reason = "YOLO has one label file per image: several records' regions merged into one file";
            self.diagnostics.skip("annotator", reason, item);
            return at;
        }
        let (path, folder) = self.label_file(src, item);
        self.files.push((path, folder, Vec::new()));
        self.file_of.insert(item.to_owned(), self.files.len() - 1);
        self.files.len() - 1
    }

    /// `data.yaml`, `classes.txt` and the label files; `visibility_told`: whether a keypoint
    /// said its visibility ([`visibility_told`]).
    pub(super) fn finish(self, visibility_told: bool) -> Written {
        let dims = if visibility_told || self.keypoint_gaps() { 3 } else { 2 };
        let mut files = Vec::with_capacity(self.files.len() + 2);
        files.push(OutputFile { path: "data.yaml".to_owned(), bytes: self.data_yaml(dims).into_bytes() });
        let classes: String = self.names.iter().map(|n| format!("{n}\n")).collect();
        files.push(OutputFile { path: "classes.txt".to_owned(), bytes: classes.into_bytes() });
        for (path, _, lines) in self.files {
            let mut text = String::new();
            for line in lines {
                match line {
                    Line::Text(formatted) if text.is_empty() => text = formatted,
                    line => push_line(&mut text, &line, dims),
                }
            }
            files.push(OutputFile { path, bytes: text.into_bytes() });
        }
        Written { files, diagnostics: self.diagnostics }
    }

    /// The label file Ultralytics reads for the image at `src` (relative to the dataset), and
    /// the image's folder for `data.yaml`. A URL or absolute path keeps its file name only; a
    /// second image of one name gets `-2`, `-3`, … (reported: it no longer matches its image).
    fn label_file(&mut self, src: &str, item: &str) -> (String, String) {
        let relative = relative_src(src).unwrap_or_else(|| format!("images/{}.jpg", file_stem(item)));
        let mut path = label_path(&relative);
        if !self.taken.insert(path.clone()) {
            let stem = without_extension(&path).to_owned();
            let n = self.next_suffix.entry(stem.clone()).or_insert(2);
            while !self.taken.insert(format!("{stem}-{n}.txt")) {
                *n += 1;
            }
            path = format!("{stem}-{n}.txt");
            *n += 1;
            self.diagnostics.skip("file name", "two images share a label file name: numbered, match it by hand", item);
        }
        let folder = relative.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
        (path, folder)
    }

    fn lines(&mut self, record: &Record, size: (f64, f64)) -> Vec<Line> {
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

    /// Whether a box of a pose dataset lacks a keypoint (written as `0 0 0`, so lines need `v`).
    fn keypoint_gaps(&self) -> bool {
        let mut lines = self.files.iter().flat_map(|(_, _, lines)| lines);
        lines.any(|line| matches!(line, Line::Pose(_, _, slots) if slots.iter().any(Option::is_none)))
    }

    fn data_yaml(&self, dims: usize) -> String {
        let mut splits: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (_, folder, _) in &self.files {
            let last = folder.rsplit('/').next().unwrap_or_default();
            let split = match last {
                "val" | "valid" | "validation" => "val",
                "test" => "test",
                _ => "train",
            };
            splits.entry(split).or_default().insert(folder.as_str());
        }
        let mut yaml =
            String::from("# written by annoqa: put the images at the paths below, relative to this folder\npath: .\n");
        for split in ["train", "val", "test"] {
            let Some(folders) = splits.get(split) else { continue };
            let folders: Vec<String> =
                folders.iter().map(|f| if f.is_empty() { ".".to_owned() } else { quoted(f) }).collect();
            match &folders[..] {
                [one] => yaml.push_str(&format!("{split}: {one}\n")),
                many => {
                    yaml.push_str(&format!("{split}:\n"));
                    for folder in many {
                        yaml.push_str(&format!("  - {folder}\n"));
                    }
                }
            }
        }
        yaml.push_str(&format!("task: {}\n", self.task.name()));
        if self.task == Task::Pose {
            yaml.push_str(&format!("kpt_shape: [{}, {dims}]\n", self.slots));
        }
        yaml.push_str("names:\n");
        for (index, name) in self.names.iter().enumerate() {
            yaml.push_str(&format!("  {index}: {}\n", quoted(name)));
        }
        yaml
    }
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

/// A name as a YAML scalar: plain when that reads back the same, double-quoted otherwise.
fn quoted(name: &str) -> String {
    let plain = !name.is_empty()
        && !name
            .starts_with([' ', '-', '[', '{', '\'', '"', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?', ':', ','])
        && !name.ends_with(' ')
        && !name.contains(": ")
        && !name.contains(" #")
        && !name.ends_with(':')
        && !name.contains(['\n', '\t', ',', '[', ']', '{', '}'])
        && !matches!(name, "~" | "null");
    if plain {
        return name.to_owned();
    }
    let escaped = name.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\t', "\\t");
    format!("\"{escaped}\"")
}

/// `src` as a path inside the dataset: a URL's path, no leading `/`; `None` when it leaves the
/// folder (`..`) or is empty. Such a source keeps its file name only.
fn relative_src(src: &str) -> Option<String> {
    let path = match src.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => src,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default().trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    if path.split('/').any(|part| part.is_empty() || part == "." || part == "..")
        || src.contains("://")
        || src.starts_with('/')
    {
        let name = path.rsplit('/').next().filter(|n| !n.is_empty() && *n != "." && *n != "..")?;
        return Some(format!("images/{name}"));
    }
    Some(path.to_owned())
}

fn file_stem(item: &str) -> String {
    let name = item.rsplit('/').next().unwrap_or(item);
    let safe: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if safe.is_empty() || safe.chars().all(|c| c == '.') {
        "item".to_owned()
    } else {
        safe
    }
}
