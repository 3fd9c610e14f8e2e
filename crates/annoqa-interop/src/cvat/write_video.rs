//! A video record to CVAT XML 1.1 for video (interpolation mode), with CVAT's per-frame
//! interpolated shapes (`keyframe="0"`) between keyframes as CVAT itself exports them.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use annoqa_core::model::{Keyframe, Media, Region, RegionValue};

use super::fields::format_number;
use super::geometry::{interpolate, AnnoqaBox, CvatBox};
use super::write_images::{split_frame_key, write_element, write_labels, MetaLabel};
use super::xml::XmlOut;
use super::{is_built_in, ATTR_FRAME_STEP, ATTR_GROUP, ATTR_OCCLUDED, ATTR_OPEN_END, ATTR_SOURCE};
use super::{ATTR_START_FRAME, ATTR_Z_ORDER};
use crate::diag::Diagnostics;
use crate::record::{OutputFile, Record};

/// CVAT's in-between shapes the writer makes for one file at most: a huge task (its frame range
/// comes from the input) must not turn into gigabytes of derived shapes.
const MAX_INTERPOLATED_SHAPES: u64 = 2_000_000;

/// The task's frames: `start, start + step, …` up to `last`.
#[derive(Clone, Copy)]
struct Grid {
    start: u32,
    step: u32,
    last: u32,
}

impl Grid {
    fn contains(&self, frame: u32) -> bool {
        frame >= self.start && frame <= self.last && (frame - self.start) % self.step == 0
    }

    /// The first task frame after `after` and the end (exclusive) of those before `before`, in
    /// u64: the next grid frame after the video's last one may not fit a u32.
    fn span_between(&self, after: u32, before: u32) -> (u64, u64) {
        let (start, step) = (u64::from(self.start), u64::from(self.step));
        let first = match u64::from(after).checked_sub(start) {
            Some(span) => start + (span / step + 1) * step,
            None => start,
        };
        (first, u64::from(before).min(u64::from(self.last) + 1))
    }

    /// The task's frames strictly between `after` and `before`.
    fn between(&self, after: u32, before: u32) -> impl Iterator<Item = u32> {
        let (first, end) = self.span_between(after, before);
        (first..end).step_by(self.step as usize).filter_map(|f| u32::try_from(f).ok())
    }

    /// How many frames [`Grid::between`] yields, without walking them.
    fn count_between(&self, after: u32, before: u32) -> u64 {
        let (first, end) = self.span_between(after, before);
        if first >= end {
            0
        } else {
            (end - 1 - first) / u64::from(self.step) + 1
        }
    }

    /// How many frames the task has, in u64: frames 0 to 4294967295 are one more than a u32
    /// holds.
    fn size(&self) -> u64 {
        u64::from(self.last.saturating_sub(self.start)) / u64::from(self.step) + 1
    }
}

/// One file per video: `""` when there is one, `<item id>.xml` (made safe) when several.
pub(super) fn write(records: &[&Record], labels: &[MetaLabel], diagnostics: &mut Diagnostics) -> Vec<OutputFile> {
    let several = records.len() > 1;
    records
        .iter()
        .map(|record| OutputFile {
            path: if several { format!("{}.xml", safe_file_name(&record.item.id)) } else { String::new() },
            bytes: write_one(record, labels, diagnostics),
        })
        .collect()
}

/// `id` with every byte outside `[A-Za-z0-9_.-]` (and a leading dot) percent-encoded, so it
/// names one file in the output folder and no two ids share a name.
pub(crate) fn safe_file_name(id: &str) -> String {
    let mut out = String::new();
    for (i, b) in id.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0);
        if plain {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    out
}

fn write_one(record: &Record, labels: &[MetaLabel], diagnostics: &mut Diagnostics) -> Vec<u8> {
    let Media::Video { src, width, height, frame_count, .. } = &record.item.media else { return Vec::new() };
    let grid = grid_of(record, *frame_count, diagnostics);
    let mut out = XmlOut::new();
    out.open("annotations", &[]);
    out.leaf("version", &[], "1.1");
    out.open("meta", &[]);
    out.open("task", &[]);
    out.leaf("id", &[], &record.item.id);
    out.leaf("name", &[], &record.item.id);
    out.leaf("size", &[], &grid.size().to_string());
    out.leaf("mode", &[], "interpolation");
    out.leaf("overlap", &[], "0");
    out.leaf("start_frame", &[], &grid.start.to_string());
    out.leaf("stop_frame", &[], &grid.last.to_string());
    out.leaf("frame_filter", &[], &if grid.step == 1 { String::new() } else { format!("step={}", grid.step) });
    write_labels(&mut out, labels);
    out.open("original_size", &[]);
    out.leaf("width", &[], &width.to_string());
    out.leaf("height", &[], &height.to_string());
    out.close("original_size");
    out.leaf("source", &[], src);
    out.close("task");
    out.close("meta");
    let mut ids = TrackIds::new(&record.regions);
    let mut budget = MAX_INTERPOLATED_SHAPES;
    for region in &record.regions {
        let keyframes = match &region.value {
            RegionValue::VideoTrack { keyframes, .. } => keyframes.clone(),
            // A box on one frame is a one-frame track, as CVAT exports its shapes.
            RegionValue::VideoBox { frame, x, y, width, height, rotation, .. } => {
                let (frame, x, y, width, height, rotation) = (*frame, *x, *y, *width, *height, *rotation);
                vec![Keyframe { frame, x, y, width, height, rotation, outside: false }]
            }
            other => {
                diagnostics.skip(other.type_name(), "cvat xml for video holds only box tracks", &record.item.id);
                continue;
            }
        };
        let label = region.value.first_label().unwrap_or_default();
        let id = ids.next(&region.id);
        write_track(&mut out, id, label, region, keyframes, grid, &record.item.id, &mut budget, diagnostics);
    }
    out.close("annotations");
    out.finish()
}

/// The frame grid from the tracks' `cvat_start_frame` / `cvat_frame_step` (0 and 1 when
/// absent), ending at the video's last frame.
fn grid_of(record: &Record, frame_count: u32, diagnostics: &mut Diagnostics) -> Grid {
    let read = |region: &Region, key: &str| region.attributes.get(key).and_then(|v| v.parse::<u32>().ok());
    let mut grids =
        record.regions.iter().map(|r| (read(r, ATTR_START_FRAME).unwrap_or(0), read(r, ATTR_FRAME_STEP).unwrap_or(1)));
    let (start, step) = grids.next().unwrap_or((0, 1));
    if grids.any(|g| g != (start, step)) {
        diagnostics.skip(
            "frame grid",
            "tracks disagree on cvat_start_frame / cvat_frame_step: the first track's are written",
            &record.item.id,
        );
    }
    let step = step.max(1);
    let last_keyframe = record.regions.iter().filter_map(|r| match &r.value {
        RegionValue::VideoTrack { keyframes, .. } => keyframes.iter().map(|k| k.frame).max(),
        RegionValue::VideoBox { frame, .. } => Some(*frame),
        _ => None,
    });
    let last = frame_count.checked_sub(1).or_else(|| last_keyframe.max()).unwrap_or(start).max(start);
    Grid { start, step, last: last - (last - start) % step }
}

/// Track ids: a region id that is a number keeps it, the others get the next free numbers.
struct TrackIds {
    used: HashSet<u64>,
    next: u64,
}

impl TrackIds {
    fn new(regions: &[Region]) -> Self {
        let mut used = HashSet::new();
        for region in regions {
            if let Ok(n) = region.id.parse::<u64>() {
                used.insert(n);
            }
        }
        TrackIds { used, next: 0 }
    }

    fn next(&mut self, region_id: &str) -> u64 {
        if let Ok(n) = region_id.parse::<u64>() {
            if self.used.remove(&n) {
                return n;
            }
        }
        while self.used.contains(&self.next) {
            self.next += 1;
        }
        let id = self.next;
        self.used.insert(id);
        id
    }
}

#[allow(clippy::too_many_arguments)]
fn write_track(
    out: &mut XmlOut,
    id: u64,
    label: &str,
    region: &Region,
    mut keyframes: Vec<Keyframe>,
    grid: Grid,
    item_id: &str,
    budget: &mut u64,
    diagnostics: &mut Diagnostics,
) {
    keyframes.sort_by_key(|k| k.frame);
    keyframes.dedup_by_key(|k| k.frame);
    if keyframes.iter().any(|k| !grid.contains(k.frame)) {
        diagnostics.skip(
            "video_track",
            "a keyframe off the task's frames (cvat_start_frame + n × cvat_frame_step, up to the last frame)",
            item_id,
        );
        return;
    }
    if !drop_open_end(&mut keyframes, region) {
        close_track(&mut keyframes, grid);
    }
    let mut attrs = vec![("id", id.to_string()), ("label", label.to_owned())];
    if let Some(source) = region.attributes.get(ATTR_SOURCE) {
        attrs.push(("source", source.clone()));
    }
    if let Some(group) = region.attributes.get(ATTR_GROUP) {
        attrs.push(("group_id", group.clone()));
    }
    out.open("track", &attrs);
    let until = |i: usize| keyframes.get(i + 1).map_or(grid.last.saturating_add(1), |n| n.frame);
    let needed: u64 = keyframes
        .iter()
        .enumerate()
        .filter(|(_, k)| !k.outside)
        .map(|(i, k)| grid.count_between(k.frame, until(i)))
        .sum();
    let fill = needed <= *budget;
    if fill {
        *budget -= needed;
    } else {
        diagnostics.skip(
            "interpolated shapes",
            "more in-between frames than the writer fills (2,000,000 a file): only keyframes written, which CVAT's importer fills itself",
            item_id,
        );
    }
    let names = value_names(region);
    let mut previous: BTreeMap<String, String> = BTreeMap::new();
    for (i, key) in keyframes.iter().enumerate() {
        let values = values_at(region, &names, key.frame, &previous);
        write_box(out, key.frame, key.outside, true, to_cvat(key), &values);
        let next = keyframes.get(i + 1);
        if fill && !key.outside {
            for frame in grid.between(key.frame, until(i)) {
                let b = match next {
                    Some(n) => interpolate(
                        to_cvat(key),
                        to_cvat(n),
                        f64::from(frame - key.frame) / f64::from(n.frame - key.frame),
                    ),
                    None => to_cvat(key),
                };
                write_box(out, frame, false, false, b, &values);
            }
        }
        previous = values;
    }
    out.close("track");
}

fn to_cvat(k: &Keyframe) -> CvatBox {
    AnnoqaBox { x: k.x, y: k.y, width: k.width, height: k.height, rotation: k.rotation }.to_cvat()
}

/// The reader's copy of an open track's last box at the task's end (`cvat_open_end`) goes:
/// CVAT runs such a track to the end by itself. Kept when it was edited since. Whether the
/// track is left open.
fn drop_open_end(keyframes: &mut Vec<Keyframe>, region: &Region) -> bool {
    if region.attributes.get(ATTR_OPEN_END).map(String::as_str) != Some("true") {
        return false;
    }
    if let [.., before, last] = keyframes.as_slice() {
        let copy = Keyframe { frame: last.frame, ..*before };
        if !before.outside && *last == copy {
            keyframes.pop();
            return true;
        }
    }
    false
}

/// An annoqa track ends at its last keyframe, a CVAT track only at an `outside` shape: a track
/// that ends before the task does gets one on the task's next frame, as CVAT's own export
/// closes single shapes.
fn close_track(keyframes: &mut Vec<Keyframe>, grid: Grid) {
    let Some(last) = keyframes.last().copied() else { return };
    if last.outside {
        return;
    }
    if let Some(next) = last.frame.checked_add(grid.step).filter(|f| *f <= grid.last) {
        keyframes.push(Keyframe { frame: next, outside: true, ..last });
    }
}

/// The per-shape value names of a track: `occluded`, `z_order` and its custom attributes.
fn value_names(region: &Region) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = [ATTR_OCCLUDED, ATTR_Z_ORDER].map(str::to_owned).into();
    for key in region.attributes.keys() {
        let (base, _) = split_frame_key(key);
        if !is_built_in(base) {
            names.insert(base.to_owned());
        }
    }
    names
}

/// A keyframe's values: `name@frame`, else `name`, else the previous keyframe's (CVAT carries
/// a value on until a keyframe changes it).
fn values_at(
    region: &Region,
    names: &BTreeSet<String>,
    frame: u32,
    previous: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for name in names {
        let own = region.attributes.get(&format!("{name}@{frame}")).or_else(|| region.attributes.get(name));
        if let Some(value) = own.or_else(|| previous.get(name)) {
            values.insert(name.clone(), value.clone());
        }
    }
    values
}

fn write_box(
    out: &mut XmlOut,
    frame: u32,
    outside: bool,
    keyframe: bool,
    b: CvatBox,
    values: &BTreeMap<String, String>,
) {
    let flag = |on: bool| if on { "1" } else { "0" }.to_owned();
    let occluded = values.get(ATTR_OCCLUDED).is_some_and(|v| v == "true");
    let mut attrs = vec![
        ("frame", frame.to_string()),
        ("outside", flag(outside)),
        ("occluded", flag(occluded)),
        ("keyframe", flag(keyframe)),
        ("xtl", format_number(b.xtl)),
        ("ytl", format_number(b.ytl)),
        ("xbr", format_number(b.xbr)),
        ("ybr", format_number(b.ybr)),
    ];
    if b.rotation != 0.0 {
        attrs.push(("rotation", format_number(b.rotation)));
    }
    attrs.push(("z_order", values.get(ATTR_Z_ORDER).cloned().unwrap_or_else(|| "0".to_owned())));
    let custom = values.iter().filter(|(k, _)| !is_built_in(k)).map(|(k, v)| (k.as_str(), v.as_str()));
    write_element(out, "box", &attrs, custom);
}
