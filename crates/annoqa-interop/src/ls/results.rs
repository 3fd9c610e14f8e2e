//! One Label Studio result → annoqa region values, units converted: percent → pixels, 1-based
//! frames → 0-based, disabled keyframes → an `outside` keyframe after them (SOURCES.md
//! ambiguities 1–12).

use std::collections::BTreeMap;

use annoqa_core::model::{Keyframe, PairChoice, RegionValue};

use super::json::{At, Obj};
use super::text::CodePoints;
use super::value::Json;
use crate::diag::{Diagnostics, InputError};

/// What the caller decided a result is (from the labeling config, or from its `type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Target {
    BBox,
    Polygon,
    Keypoint,
    TextSpan,
    AudioSegment,
    VideoTrack,
    VideoSegments,
    Choice,
    TextArea,
    Pairwise,
    Ranking,
}

/// Facts about the item's media found in its results.
#[derive(Default, Debug)]
pub(super) struct MediaFacts {
    /// The first result's `original_width`/`original_height`.
    pub(super) size: Option<(u32, u32)>,
    /// A video's `framesCount`.
    pub(super) frame_count: Option<u32>,
    /// A video's frame rate from its `framesCount` and `duration` (the video's own, where the
    /// config's `framerate` may differ: ambiguity 9).
    pub(super) frame_rate: Option<f64>,
    /// An audio result's `original_length`, seconds.
    pub(super) duration: Option<f64>,
}

/// What a result converter needs besides the result.
pub(super) struct Cx<'a> {
    pub(super) task: &'a str,
    /// The media's pixel size when a result has no `original_width/height` of its own
    /// (`--media-size`, or the image's header through `--media-dir`).
    pub(super) size: Option<(f64, f64)>,
    /// The `<Video framerate>`, to compare keyframe `time`s with their frames.
    pub(super) frame_rate: f64,
    /// The item's text with the byte offset of every code point, for the span check.
    pub(super) text: Option<&'a CodePoints<'a>>,
    pub(super) diagnostics: &'a mut Diagnostics,
    pub(super) facts: &'a mut MediaFacts,
}

/// One result: its object, `type`, `value` and own media size.
pub(super) struct LsResult<'v, 'p> {
    pub(super) object: Obj<'v, 'p>,
    pub(super) kind: &'v str,
    pub(super) value: Obj<'v, 'p>,
    /// `original_width/height`: what the percentages are of.
    pub(super) original: Option<(f64, f64)>,
}

impl<'a> Cx<'a> {
    pub(super) fn report(&mut self, kind: &str, reason: &str) {
        self.diagnostics.skip(kind, reason, self.task);
    }
}

/// The region values of one result (several for a timeline result with several ranges; none
/// when it was reported instead).
pub(super) fn region_values(
    cx: &mut Cx<'_>,
    result: &LsResult<'_, '_>,
    target: Target,
    control: &str,
) -> Result<Vec<RegionValue>, InputError> {
    let value = &result.value;
    let one = |v: RegionValue| Ok(vec![v]);
    match target {
        Target::BBox | Target::Polygon | Target::Keypoint => image_shape(cx, result, target),
        Target::TextSpan => text_span(cx, result),
        Target::AudioSegment => {
            let label = label_of(cx, result)?;
            one(RegionValue::AudioSegment {
                start: value.number("start")?,
                end: value.number("end")?,
                label,
                transcript: None,
            })
        }
        Target::VideoTrack => video_track(cx, result),
        Target::VideoSegments => video_segments(cx, result),
        Target::Choice => one(RegionValue::Choice { labels: value.required("choices", |at| at.strings())? }),
        Target::TextArea => one(RegionValue::TextArea { text: value.required("text", |at| at.strings())? }),
        Target::Pairwise => pairwise(cx, value).map(|v| v.into_iter().collect()),
        Target::Ranking => one(ranking(value, control)?),
    }
}

/// A per-region control's answer as attribute text: lists joined by newlines, numbers in
/// Rust's round-tripping `{}` form.
pub(super) fn attribute_text(result: &LsResult<'_, '_>) -> Result<String, InputError> {
    let value = &result.value;
    let text = match result.kind {
        "choices" => value.required("choices", |at| at.strings())?.join("\n"),
        "textarea" => value.required("text", |at| at.strings())?.join("\n"),
        "number" => format!("{}", value.number("number")?),
        "rating" => format!("{}", value.number("rating")?),
        "datetime" => value.required("datetime", |at| at.string().map(str::to_owned))?,
        "taxonomy" => value
            .required("taxonomy", |at| {
                let mut paths = Vec::new();
                for (i, path) in at.array()?.iter().enumerate() {
                    let step = at.path.index(i);
                    paths.push(At::new(path, &step, at.file).strings()?.join(" / "));
                }
                Ok(paths)
            })?
            .join("\n"),
        other => match value.get(other) {
            Some(Json::String(s)) => s.as_ref().to_owned(),
            Some(v) => v.to_string(),
            None => serde_json::Value::Object(value.map.to_serde()).to_string(),
        },
    };
    Ok(text)
}

/// The region's label: the list under the result's type (`rectanglelabels`) or `labels`;
/// empty for shapes drawn without labels. Extra labels are reported, the first kept.
fn label_of(cx: &mut Cx<'_>, result: &LsResult<'_, '_>) -> Result<String, InputError> {
    let key = if result.value.has(result.kind) { result.kind } else { "labels" };
    let (first, count) = result.value.field(key, |at| at.first_string())?.unwrap_or_default();
    if count > 1 {
        cx.report(result.kind, "a region with more than one label: annoqa regions have one (the first kept)");
    }
    Ok(first.map(str::to_owned).unwrap_or_default())
}

/// The pixel size percentages refer to, or a report when there is none.
fn pixel_size(cx: &mut Cx<'_>, result: &LsResult<'_, '_>) -> Option<(f64, f64)> {
    let size = result.original.or(cx.size);
    if size.is_none() {
        cx.report(result.kind, "percent geometry with no image size known (give --media-size or --media-dir)");
    }
    size
}

fn image_shape(cx: &mut Cx<'_>, result: &LsResult<'_, '_>, target: Target) -> Result<Vec<RegionValue>, InputError> {
    let value = &result.value;
    if result.object.opt_number("image_rotation")?.is_some_and(|r| r.rem_euclid(360.0) != 0.0) {
        cx.report(result.kind, "drawn on a rotated image (image_rotation ≠ 0): coordinates of the rotated view");
        return Ok(Vec::new());
    }
    if target == Target::Polygon && value.opt_bool("closed")? == Some(false) {
        cx.report(result.kind, "an open polygon (closed: false) is a polyline: annoqa has no polyline region");
        return Ok(Vec::new());
    }
    // Read everything before the size check so that malformed values are errors either way.
    let label = label_of(cx, result)?;
    let shape = match target {
        Target::BBox => Shape::Box {
            x: value.number("x")?,
            y: value.number("y")?,
            width: value.number("width")?,
            height: value.number("height")?,
            rotation: value.opt_number("rotation")?.unwrap_or(0.0),
        },
        Target::Polygon => Shape::Polygon(value.required("points", points)?),
        _ => Shape::Point { x: value.number("x")?, y: value.number("y")? },
    };
    let Some((w, h)) = pixel_size(cx, result) else { return Ok(Vec::new()) };
    let region = match shape {
        Shape::Box { x, y, width, height, rotation } => {
            let b = PixelBox::from_percent(x, y, width, height, rotation, w, h);
            RegionValue::BBox { x: b.x, y: b.y, width: b.width, height: b.height, rotation: b.rotation, label }
        }
        Shape::Polygon(points) => {
            RegionValue::Polygon { points: points.iter().map(|[x, y]| [x / 100.0 * w, y / 100.0 * h]).collect(), label }
        }
        Shape::Point { x, y } => RegionValue::Keypoint { x: x / 100.0 * w, y: y / 100.0 * h, label },
    };
    Ok(vec![region])
}

enum Shape {
    Box { x: f64, y: f64, width: f64, height: f64, rotation: f64 },
    Polygon(Vec<[f64; 2]>),
    Point { x: f64, y: f64 },
}

fn points(at: At<'_, '_>) -> Result<Vec<[f64; 2]>, InputError> {
    let mut out = Vec::new();
    for (i, point) in at.array()?.iter().enumerate() {
        let path = at.path.index(i);
        let point = At::new(point, &path, at.file);
        match point.array()? {
            [x, y] => {
                let (xp, yp) = (path.index(0), path.index(1));
                out.push([At::new(x, &xp, at.file).number()?, At::new(y, &yp, at.file).number()?]);
            }
            other => return Err(point.error(format!("expected a point [x, y], found {} numbers", other.len()))),
        }
    }
    Ok(out)
}

/// A box in pixels with its size made positive and its rotation in [0, 360).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PixelBox {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
    pub(super) rotation: f64,
}

impl PixelBox {
    /// From Label Studio's percentages of `w` × `h` pixels. A negative width or height (a box
    /// drawn leftwards or upwards, ambiguity 3) moves the anchor to the other corner along the
    /// rotated side, so the box covers the same pixels.
    pub(super) fn from_percent(x: f64, y: f64, width: f64, height: f64, rotation: f64, w: f64, h: f64) -> PixelBox {
        let (mut x, mut y, mut width, mut height) =
            (x / 100.0 * w, y / 100.0 * h, width / 100.0 * w, height / 100.0 * h);
        let (sin, cos) = rotation.to_radians().sin_cos();
        if width < 0.0 {
            x += width * cos;
            y += width * sin;
            width = -width;
        }
        if height < 0.0 {
            x -= height * sin;
            y += height * cos;
            height = -height;
        }
        PixelBox { x, y, width, height, rotation: normal_angle(rotation) }
    }
}

/// Degrees in [0, 360) (Label Studio stores any angle, e.g. −31.86; ambiguity 2).
pub(super) fn normal_angle(degrees: f64) -> f64 {
    let r = degrees.rem_euclid(360.0);
    // rem_euclid of a tiny negative angle rounds to 360.0; `+ 0.0` turns −0 into 0.
    if r >= 360.0 {
        0.0
    } else {
        r + 0.0
    }
}

fn text_span(cx: &mut Cx<'_>, result: &LsResult<'_, '_>) -> Result<Vec<RegionValue>, InputError> {
    let value = &result.value;
    let offset = |key: &str| {
        value.required(key, |at| {
            let n = at.count()?;
            usize::try_from(n).map_err(|_| at.error("offset too large"))
        })
    };
    let (start, end) = (offset("start")?, offset("end")?);
    let label = label_of(cx, result)?;
    let stored = value.opt_str("text")?;
    if let (Some(stored), Some(text)) = (stored, cx.text) {
        if text.slice(start, end) != Some(stored) {
            let reason = if text.slice_utf16(start, end).as_deref() == Some(stored) {
                "span offsets count UTF-16 units, not code points (an export from before Label Studio's fix): kept as given"
            } else {
                "span text differs from the task text at its offsets: kept as given"
            };
            cx.report(result.kind, reason);
        }
    }
    Ok(vec![RegionValue::TextSpan { start, end, label }])
}

/// One Label Studio keyframe, read.
struct LsKeyframe {
    frame: u32,
    enabled: bool,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    rotation: f64,
}

fn video_track(cx: &mut Cx<'_>, result: &LsResult<'_, '_>) -> Result<Vec<RegionValue>, InputError> {
    let value = &result.value;
    let label = label_of(cx, result)?;
    let count = value.field("framesCount", |at| frame_number(at, 0))?;
    if let Some(count) = count {
        cx.facts.frame_count.get_or_insert(count);
    }
    if let (Some(count), Some(duration)) = (count, value.opt_number("duration")?) {
        if count > 0 && duration > 0.0 {
            cx.facts.frame_rate.get_or_insert(f64::from(count) / duration);
        }
    }
    let (sequence, notes) = value.required("sequence", |at| keyframes(at, cx.frame_rate))?;
    if notes.time_off {
        cx.report(result.kind, "keyframe `time` disagrees with frame / framerate: frames used (ambiguity 9)");
    }
    if notes.scored {
        cx.report(result.kind, "per-keyframe scores: annoqa keyframes have none (dropped)");
    }
    let Some((w, h)) = pixel_size(cx, result) else { return Ok(Vec::new()) };
    if sequence.last().is_some_and(|k| k.enabled) {
        cx.report(
            result.kind,
            "last keyframe enabled: Label Studio shows the box until the video ends, annoqa's track ends at its last keyframe",
        );
    }
    let mut out = Vec::with_capacity(sequence.len());
    for (i, k) in sequence.iter().enumerate() {
        let b = PixelBox::from_percent(k.x, k.y, k.width, k.height, k.rotation, w, h);
        let at = |frame: u32, outside: bool| Keyframe {
            frame,
            x: b.x,
            y: b.y,
            width: b.width,
            height: b.height,
            rotation: b.rotation,
            outside,
        };
        // Label Studio frames are 1-based: frame f is annoqa's f − 1.
        out.push(at(k.frame - 1, false));
        // A disabled keyframe is shown on its own frame and hides the box until the next
        // keyframe (ambiguity 10): annoqa's outside keyframe goes on the next frame, unless the
        // next keyframe is there already or the video ends.
        let next = sequence.get(i + 1).map(|n| n.frame);
        let video_ends = cx.facts.frame_count.is_some_and(|n| k.frame >= n);
        // `checked_add`: frame u32::MAX is readable, and nothing can follow it.
        let next_is_adjacent = next.is_some_and(|n| Some(n) == k.frame.checked_add(1));
        if !k.enabled && !next_is_adjacent && !video_ends {
            out.push(at(k.frame, true));
        }
    }
    Ok(vec![RegionValue::VideoTrack { label, keyframes: out }])
}

#[derive(Default)]
struct SequenceNotes {
    time_off: bool,
    scored: bool,
}

fn keyframes(at: At<'_, '_>, frame_rate: f64) -> Result<(Vec<LsKeyframe>, SequenceNotes), InputError> {
    let mut out = Vec::new();
    let mut notes = SequenceNotes::default();
    for (i, item) in at.array()?.iter().enumerate() {
        let path = at.path.index(i);
        let k = At::new(item, &path, at.file).object()?;
        let frame = k.required("frame", |f| frame_number(f, 1))?;
        if let Some(time) = k.opt_number("time")? {
            // `time` is the end of the frame's interval: frame / framerate (ambiguity 8).
            notes.time_off |= (time - f64::from(frame) / frame_rate).abs() > 0.5 / frame_rate;
        }
        notes.scored |= k.has("score");
        out.push(LsKeyframe {
            frame,
            enabled: k.opt_bool("enabled")?.unwrap_or(true),
            x: k.number("x")?,
            y: k.number("y")?,
            width: k.number("width")?,
            height: k.number("height")?,
            rotation: k.opt_number("rotation")?.unwrap_or(0.0),
        });
    }
    Ok((out, notes))
}

/// A frame number of at least `min` that fits annoqa's frames.
fn frame_number(at: At<'_, '_>, min: u64) -> Result<u32, InputError> {
    let n = at.count()?;
    if n < min {
        return Err(at.error("Label Studio frames start at 1"));
    }
    u32::try_from(n).map_err(|_| at.error("frame number too large"))
}

fn video_segments(cx: &mut Cx<'_>, result: &LsResult<'_, '_>) -> Result<Vec<RegionValue>, InputError> {
    let label = label_of(cx, result)?;
    result.value.required("ranges", |at| {
        let mut out = Vec::new();
        for (i, range) in at.array()?.iter().enumerate() {
            let path = at.path.index(i);
            let range = At::new(range, &path, at.file).object()?;
            // 1-based, end inclusive (ambiguity 12) → 0-based, end inclusive.
            let start = range.required("start", |f| frame_number(f, 1))?;
            let end = range.required("end", |f| frame_number(f, 1))?;
            out.push(RegionValue::VideoSegment { start_frame: start - 1, end_frame: end - 1, label: label.clone() });
        }
        Ok(out)
    })
}

fn pairwise(cx: &mut Cx<'_>, value: &Obj<'_, '_>) -> Result<Option<RegionValue>, InputError> {
    let selected = value.required("selected", |at| at.string())?;
    let choice = match selected {
        "left" => PairChoice::A,
        "right" => PairChoice::B,
        "tie" => PairChoice::Tie,
        _ => {
            cx.report("pairwise", "`selected` is neither left, right nor tie");
            return Ok(None);
        }
    };
    Ok(Some(RegionValue::Pairwise { choice, rationale: None }))
}

/// `ranker`: a list (a flat ranking, older frontends), or an object of bucket → ids. Label
/// Studio saves a flat ranking as one list under the control's own name; `_` is its internal
/// "not moved to a bucket" column and is left out.
fn ranking(value: &Obj<'_, '_>, control: &str) -> Result<RegionValue, InputError> {
    value.required("ranker", |at| {
        if at.value.is_array() {
            return Ok(RegionValue::Ranking { order: at.strings()?, buckets: BTreeMap::new() });
        }
        let object = at.object()?;
        let mut buckets = BTreeMap::new();
        for (name, ids) in object.map.distinct() {
            if name == "_" {
                continue;
            }
            let path = at.path.key(name);
            buckets.insert(name.to_owned(), At::new(ids, &path, at.file).strings()?);
        }
        if buckets.len() == 1 {
            if let Some(order) = buckets.remove(control) {
                return Ok(RegionValue::Ranking { order, buckets });
            }
        }
        Ok(RegionValue::Ranking { order: Vec::new(), buckets })
    })
}
