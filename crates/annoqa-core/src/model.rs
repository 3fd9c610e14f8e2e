//! The domain model: projects, task specs, items, annotations, regions and gold.
//!
//! Everything here is plain data with a stable JSON form (serde). The JSON form is the file
//! format of `static/demo/*` and the wire format between browser and server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::unit_enum;

use crate::rule::Rule;
use crate::transcript::Normalization;

mod control_de;
mod media_de;
mod region_de;

/// An annotation project: what annotators read (title, guidelines) and what they fill in (spec).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Project {
    pub id: String,
    pub title: String,
    /// Markdown. Headings are guideline sections; their anchors are what findings and gold
    /// feedback link to (see [`crate::guidelines`]).
    pub guidelines: String,
    pub spec: TaskSpec,
}

/// What an annotation of one item consists of.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub media: MediaKind,
    pub controls: Vec<Control>,
    /// Gold score (0–1) at or above which a gold item counts as passed.
    #[serde(default = "default_pass_threshold")]
    pub pass_threshold: f64,
    /// Declarative consistency rules beyond the built-in checks (see [`crate::rule`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// How much of a honeypot's gold the annotator sees after submitting.
    #[serde(default)]
    pub reveal: RevealPolicy,
    /// Upper bounds on one annotation, checked before validation.
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
}

/// Upper bounds on the size of one annotation. The server refuses a bigger one before it
/// validates anything (413), the browser warns before sending it; both through
/// [`crate::check::limits::check_limits`]. The defaults are far above real work.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Regions in one annotation; also ids plus buckets in one ranking.
    pub regions: usize,
    /// Points of one polygon.
    pub polygon_points: usize,
    /// Keyframes of one video track.
    pub track_keyframes: usize,
    /// Characters of one transcript, of a pairwise rationale, or of a text area's lines joined
    /// by "\n".
    pub transcript_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { regions: 50_000, polygon_points: 10_000, track_keyframes: 20_000, transcript_chars: 20_000 }
    }
}

impl Limits {
    pub fn is_default(&self) -> bool {
        *self == Limits::default()
    }
}

/// What an annotator is shown of a honeypot's gold after their submission is stored.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RevealPolicy {
    /// Pass/fail and the score; no answer, no verdicts.
    ScoreOnly,
    /// Score, verdicts on the annotator's own regions and hints that do not quote the answer.
    Hints,
    /// Everything: the gold answer, every verdict and the full feedback.
    #[default]
    FullDiff,
}

unit_enum!(RevealPolicy { ScoreOnly = "score_only", Hints = "hints", FullDiff = "full_diff" });

fn default_pass_threshold() -> f64 {
    0.8
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Text,
    Image,
    Audio,
    Video,
}

unit_enum!(MediaKind { Text = "text", Image = "image", Audio = "audio", Video = "video" });

/// One question the annotator answers about an item, e.g. "entities" or "sentiment".
///
/// In JSON, `kind`'s fields (with its `type`) sit beside `name`. `Deserialize` is written by
/// hand (`model/control_de.rs`), for the size of the browser app; it reads the same JSON as
/// `#[serde(flatten)]` would.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Control {
    /// Unique within the spec; regions name the control they answer.
    pub name: String,
    /// What the annotator is asked, shown above the control.
    #[serde(default)]
    pub prompt: String,
    #[serde(flatten)]
    pub kind: ControlKind,
    /// Empty for controls that take no labels (`text_area`, `ranker`).
    #[serde(default)]
    pub labels: Vec<Label>,
    /// At least one region for this control is needed before submitting.
    #[serde(default)]
    pub required: bool,
    /// Guideline section that explains this control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    #[serde(default)]
    pub tolerance: Tolerance,
    /// How transcripts are normalised before WER/CER (audio segments with transcripts, text
    /// areas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalization: Option<Normalization>,
    /// Single choice: the cost (0–1) of answering `got` when gold is `expected`; unlisted
    /// confusions cost 1. The choice score is 1 − cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<ChoiceCost>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChoiceCost {
    pub expected: String,
    pub got: String,
    pub cost: f64,
}

/// `Control`'s hand-written `Deserialize` (`model/control_de.rs`) lists these kinds and their
/// fields again: a new kind or field goes there too (a new field is a compile error there).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlKind {
    /// Pick one label (or several when `multiple`) for the whole item.
    Choice {
        #[serde(default)]
        multiple: bool,
    },
    /// Label character ranges of a text item.
    TextSpans {
        #[serde(default)]
        overlap: SpanOverlap,
    },
    BBox,
    Polygon,
    Keypoint,
    /// Time ranges of an audio item, optionally transcribed.
    AudioSegments {
        #[serde(default)]
        transcript: bool,
    },
    VideoBoxes,
    VideoTracks,
    VideoSegments,
    /// Which of the item's two candidates is better.
    Pairwise {
        #[serde(default)]
        allow_tie: bool,
        #[serde(default)]
        rationale_required: bool,
    },
    /// Free text about the whole item, one or more lines.
    TextArea,
    /// Put ids in order (a flat ranking), or sort them into the named `buckets`.
    Ranker {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buckets: Vec<String>,
    },
}

impl ControlKind {
    /// The snake_case name used in JSON and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            ControlKind::Choice { .. } => "choice",
            ControlKind::TextSpans { .. } => "text_spans",
            ControlKind::BBox => "b_box",
            ControlKind::Polygon => "polygon",
            ControlKind::Keypoint => "keypoint",
            ControlKind::AudioSegments { .. } => "audio_segments",
            ControlKind::VideoBoxes => "video_boxes",
            ControlKind::VideoTracks => "video_tracks",
            ControlKind::VideoSegments => "video_segments",
            ControlKind::Pairwise { .. } => "pairwise",
            ControlKind::TextArea => "text_area",
            ControlKind::Ranker { .. } => "ranker",
        }
    }

    /// Whether a region value is the kind of answer this control takes.
    pub fn accepts(&self, value: &RegionValue) -> bool {
        matches!(
            (self, value),
            (ControlKind::Choice { .. }, RegionValue::Choice { .. })
                | (ControlKind::TextSpans { .. }, RegionValue::TextSpan { .. })
                | (ControlKind::BBox, RegionValue::BBox { .. })
                | (ControlKind::Polygon, RegionValue::Polygon { .. })
                | (ControlKind::Keypoint, RegionValue::Keypoint { .. })
                | (ControlKind::AudioSegments { .. }, RegionValue::AudioSegment { .. })
                | (ControlKind::VideoBoxes, RegionValue::VideoBox { .. })
                | (ControlKind::VideoTracks, RegionValue::VideoTrack { .. })
                | (ControlKind::VideoSegments, RegionValue::VideoSegment { .. })
                | (ControlKind::Pairwise { .. }, RegionValue::Pairwise { .. })
                | (ControlKind::TextArea, RegionValue::TextArea { .. })
                | (ControlKind::Ranker { .. }, RegionValue::Ranking { .. })
        )
    }
}

/// Which text spans may overlap each other.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpanOverlap {
    Allowed,
    #[default]
    SameLabelForbidden,
    AllForbidden,
}

unit_enum!(SpanOverlap {
    Allowed = "allowed",
    SameLabelForbidden = "same_label_forbidden",
    AllForbidden = "all_forbidden",
});

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Label {
    pub value: String,
    /// Key that picks this label in the annotator UI, e.g. "1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey: Option<String>,
    /// CSS colour for the label's highlights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Guideline section that defines this label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    /// Boxes, polygons, video boxes and tracks of this label match gold at this IoU or more
    /// (overrides the control's `tolerance.min_iou`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_iou: Option<f64>,
    /// Keypoints of this label: COCO's per-keypoint constant κ (= 2σ) in the OKS formula.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
}

/// How far from gold an answer may be and still count as matched. A control sets defaults;
/// a gold item can override them per control. Unset fields take the defaults named below.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// A span matches when its character IoU with the gold span is at least this (0–1; 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_min_overlap: Option<f64>,
    /// A span matches when both of its ends are within this many characters of gold (0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_boundary_chars: Option<u32>,
    /// Boxes, polygons, video boxes and tracks match at this IoU or more (0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_iou: Option<f64>,
    /// Keypoints match at this object keypoint similarity or more (0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_oks: Option<f64>,
    /// Object area s² in px² for keypoint OKS (the media's area).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keypoint_area: Option<f64>,
    /// Audio segments: onset (and minimum offset) collar in milliseconds (200, as sed_eval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collar_ms: Option<f64>,
    /// Audio segments: the offset may also be off by this fraction of the gold length (0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_length_ratio: Option<f64>,
    /// Transcripts of matched segments pass at this word error rate or less (0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wer: Option<f64>,
    /// Video temporal segments match at this temporal IoU or more (0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_temporal_iou: Option<f64>,
}

impl Tolerance {
    /// `self` with the fields `overrides` sets replaced.
    pub fn overridden_by(self, overrides: Option<&Tolerance>) -> Tolerance {
        let Some(o) = overrides else { return self };
        Tolerance {
            span_min_overlap: o.span_min_overlap.or(self.span_min_overlap),
            span_boundary_chars: o.span_boundary_chars.or(self.span_boundary_chars),
            min_iou: o.min_iou.or(self.min_iou),
            min_oks: o.min_oks.or(self.min_oks),
            keypoint_area: o.keypoint_area.or(self.keypoint_area),
            collar_ms: o.collar_ms.or(self.collar_ms),
            offset_length_ratio: o.offset_length_ratio.or(self.offset_length_ratio),
            max_wer: o.max_wer.or(self.max_wer),
            min_temporal_iou: o.min_temporal_iou.or(self.min_temporal_iou),
        }
    }
}

/// One unit of work. Gold is deliberately not part of this type: an `Item` can be sent to any
/// browser, gold only through `annoqa_api` types that are built after the checks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Item {
    pub id: String,
    pub media: Media,
    /// The two candidates of a pairwise preference task ("A" and "B").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Media>,
}

/// The content an annotator looks at. Text is inline; other media are referenced by URL with
/// the metadata validation needs.
///
/// In JSON an object with the kind as `type`. `Deserialize` is written by hand
/// (`model/media_de.rs`), for the size of the browser app; it reads the same JSON as the derive
/// of `#[serde(tag = "type")]` would, and lists these kinds and their fields again: a new kind
/// or field goes there too.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Media {
    Text {
        text: String,
    },
    Image {
        src: String,
        width: u32,
        height: u32,
    },
    Audio {
        src: String,
        /// Seconds.
        duration: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sample_rate: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channels: Option<u16>,
    },
    Video {
        src: String,
        width: u32,
        height: u32,
        /// Frames per second.
        frame_rate: f64,
        frame_count: u32,
    },
}

impl Media {
    pub fn kind(&self) -> MediaKind {
        match self {
            Media::Text { .. } => MediaKind::Text,
            Media::Image { .. } => MediaKind::Image,
            Media::Audio { .. } => MediaKind::Audio,
            Media::Video { .. } => MediaKind::Video,
        }
    }
}

/// An item as stored and imported: the item plus its gold, if it is a gold item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ItemSource {
    #[serde(flatten)]
    pub item: Item,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold: Option<Gold>,
}

/// A known answer for an item, used to check annotators.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Gold {
    pub mode: GoldMode,
    pub answer: Vec<Region>,
    /// Per-control tolerance overrides, keyed by control name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tolerance: BTreeMap<String, Tolerance>,
    /// Why the answer is what it is, shown to the annotator after submitting.
    #[serde(default)]
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GoldMode {
    /// Onboarding item: the answer ships with the item so feedback is instant.
    Training,
    /// Hidden check: the answer is revealed only after the submission is stored.
    Honeypot,
}

unit_enum!(GoldMode { Training = "training", Honeypot = "honeypot" });

/// One annotator's answer for one item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Annotation {
    pub item_id: String,
    pub annotator: String,
    /// Unix milliseconds when the answer was stored (set by the server).
    pub created_at_ms: i64,
    /// Milliseconds the annotator spent on the item.
    pub lead_time_ms: u64,
    pub regions: Vec<Region>,
}

/// One answer to one control: a class choice, a span, a box, a segment, …
///
/// In JSON, `value`'s fields (with its `type`) sit beside `id` and `control`. `Deserialize` is
/// written by hand (`model/region_de.rs`), for the size of the browser app; it reads the same
/// JSON as `#[serde(flatten)]` would, and `attributes` may be absent.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Region {
    /// Unique within an annotation; findings and verdicts point at regions by id.
    pub id: String,
    pub control: String,
    #[serde(flatten)]
    pub value: RegionValue,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// Geometry and label of a region. Pixel coordinates are in the media's own pixels with the
/// origin at the top left; times are seconds; text offsets are Unicode scalar values
/// (see [`crate::text`]), half-open `[start, end)`. A box's `rotation` is in degrees,
/// clockwise on screen (y points down), about the box's top-left corner `(x, y)`, as Label
/// Studio's rectangles; any value is allowed and taken modulo 360.
///
/// `Region`'s hand-written `Deserialize` (`model/region_de.rs`) lists these types and their
/// fields again: a new type goes there too (a new field is a compile error there).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RegionValue {
    Choice {
        labels: Vec<String>,
    },
    TextSpan {
        start: usize,
        end: usize,
        label: String,
    },
    BBox {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        #[serde(default, skip_serializing_if = "is_zero")]
        rotation: f64,
        label: String,
    },
    Polygon {
        points: Vec<[f64; 2]>,
        label: String,
    },
    Keypoint {
        x: f64,
        y: f64,
        label: String,
    },
    AudioSegment {
        start: f64,
        end: f64,
        label: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    VideoBox {
        frame: u32,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        #[serde(default, skip_serializing_if = "is_zero")]
        rotation: f64,
        label: String,
    },
    VideoTrack {
        label: String,
        keyframes: Vec<Keyframe>,
    },
    VideoSegment {
        start_frame: u32,
        /// Inclusive.
        end_frame: u32,
        label: String,
    },
    Pairwise {
        choice: PairChoice,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rationale: Option<String>,
    },
    /// Free text about the whole item: its lines, in order.
    TextArea {
        text: Vec<String>,
    },
    /// A flat ranking (`order`, best first) or the ids sorted into buckets (each bucket's ids
    /// in order), or both.
    Ranking {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        order: Vec<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        buckets: BTreeMap<String, Vec<String>>,
    },
}

/// `skip_serializing_if` for fields whose default is 0.
fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

impl RegionValue {
    /// The box of a box or a video box (rotation kept); `None` for every other kind.
    pub fn box_geometry(&self) -> Option<BoxGeometry> {
        match self {
            RegionValue::BBox { x, y, width, height, rotation, .. }
            | RegionValue::VideoBox { x, y, width, height, rotation, .. } => {
                Some(BoxGeometry { x: *x, y: *y, width: *width, height: *height, rotation: *rotation })
            }
            _ => None,
        }
    }

    /// The region's `type` in JSON (`b_box`, `text_span`, …), for messages and reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            RegionValue::Choice { .. } => "choice",
            RegionValue::TextSpan { .. } => "text_span",
            RegionValue::BBox { .. } => "b_box",
            RegionValue::Polygon { .. } => "polygon",
            RegionValue::Keypoint { .. } => "keypoint",
            RegionValue::AudioSegment { .. } => "audio_segment",
            RegionValue::VideoBox { .. } => "video_box",
            RegionValue::VideoTrack { .. } => "video_track",
            RegionValue::VideoSegment { .. } => "video_segment",
            RegionValue::Pairwise { .. } => "pairwise",
            RegionValue::TextArea { .. } => "text_area",
            RegionValue::Ranking { .. } => "ranking",
        }
    }

    /// The single label of a region that has one (a choice: its first label), without
    /// allocating; validation calls this for every region on every edit.
    pub fn first_label(&self) -> Option<&str> {
        match self {
            RegionValue::Choice { labels } => labels.first().map(String::as_str),
            RegionValue::TextSpan { label, .. }
            | RegionValue::BBox { label, .. }
            | RegionValue::Polygon { label, .. }
            | RegionValue::Keypoint { label, .. }
            | RegionValue::AudioSegment { label, .. }
            | RegionValue::VideoBox { label, .. }
            | RegionValue::VideoTrack { label, .. }
            | RegionValue::VideoSegment { label, .. } => Some(label),
            RegionValue::Pairwise { .. } | RegionValue::TextArea { .. } | RegionValue::Ranking { .. } => None,
        }
    }

    /// Whether the region carries `label`.
    pub fn has_label(&self, label: &str) -> bool {
        match self {
            RegionValue::Choice { labels } => labels.iter().any(|l| l == label),
            other => other.first_label() == Some(label),
        }
    }

    /// The labels this region carries (none for a pairwise choice, a text area or a ranking).
    pub fn labels(&self) -> Vec<&str> {
        match self {
            RegionValue::Choice { labels } => labels.iter().map(String::as_str).collect(),
            other => other.first_label().into_iter().collect(),
        }
    }
}

/// A tracked object's box at one frame. Between keyframes the box is interpolated linearly,
/// rotation included (in the values as given: 350 → 10 turns back through 180; write 350 → 370
/// for the short way); `outside` marks the object as absent from this keyframe until the next
/// one.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Keyframe {
    pub frame: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Degrees, clockwise about `(x, y)`, as a box's rotation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside: bool,
}

/// A box in pixels: `(x, y)` is its top-left corner before rotation, `rotation` degrees
/// clockwise about that corner (0: axis-aligned). See [`crate::geometry`] for its corners,
/// bounds and IoU.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct BoxGeometry {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation: f64,
}

impl BoxGeometry {
    /// An axis-aligned box.
    pub fn new(x: f64, y: f64, width: f64, height: f64) -> BoxGeometry {
        BoxGeometry { x, y, width, height, rotation: 0.0 }
    }
}

/// Every frame of a track from its first to its last keyframe with the box it has there
/// ([`track_box_at`]; frames where the object is outside are left out), as gold scoring and
/// the reviewer's overlay expand tracks. At most a day of 60 fps video per track, against
/// hostile frame numbers.
pub fn track_frames(keyframes: &[Keyframe]) -> impl Iterator<Item = (u32, BoxGeometry)> + '_ {
    let span = keyframes
        .first()
        .zip(keyframes.last())
        .map(|(first, last)| first.frame..=last.frame.min(first.frame.saturating_add(5_184_000)));
    span.into_iter().flatten().filter_map(|frame| track_box_at(keyframes, frame).map(|bbox| (frame, bbox)))
}

/// The box of a track at `frame`: the keyframe's box, or the linear interpolation between the
/// surrounding keyframes; `None` before the first keyframe, after the last one, or while the
/// object is marked outside. `keyframes` must be sorted by frame.
pub fn track_box_at(keyframes: &[Keyframe], frame: u32) -> Option<BoxGeometry> {
    let after = keyframes.partition_point(|k| k.frame <= frame);
    let prev = keyframes.get(after.checked_sub(1)?)?;
    if prev.outside {
        return None;
    }
    if prev.frame == frame {
        return Some(prev.geometry());
    }
    let next = keyframes.get(after)?;
    let t = f64::from(frame - prev.frame) / f64::from(next.frame - prev.frame);
    let lerp = |a: f64, b: f64| a + (b - a) * t;
    Some(BoxGeometry {
        x: lerp(prev.x, next.x),
        y: lerp(prev.y, next.y),
        width: lerp(prev.width, next.width),
        height: lerp(prev.height, next.height),
        rotation: lerp(prev.rotation, next.rotation),
    })
}

impl Keyframe {
    pub fn geometry(&self) -> BoxGeometry {
        BoxGeometry { x: self.x, y: self.y, width: self.width, height: self.height, rotation: self.rotation }
    }
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairChoice {
    A,
    B,
    Tie,
}

unit_enum!(PairChoice { A = "A", B = "B", Tie = "Tie" });

impl TaskSpec {
    pub fn control(&self, name: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.name == name)
    }
}

impl Control {
    pub fn label(&self, value: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.value == value)
    }
}
