//! Declarative consistency rules: the checks a project adds to the built-in ones in its spec.
//! This module is the rules' data (what a spec says); `check::rules` evaluates them.
//!
//! ```json
//! {"rule": "count", "control": "boxes", "label": "car", "max": 20, "severity": "warning"}
//! {"rule": "required_attribute", "control": "boxes", "label": "car", "attribute": "occluded"}
//! {"rule": "conditional", "when_control": "sentiment", "when_label": "negative",
//!  "then_control": "reason", "then": "required", "guideline": "reasons"}
//! ```
//!
//! Every rule has a `severity` (`error` blocks submitting, the default; `warning` asks to
//! confirm), an optional `message` that replaces the generated one, and an optional `guideline`
//! anchor.

use serde::{Deserialize, Serialize};

use crate::unit_enum;

use crate::finding::Severity;

mod rule_de;

/// One rule of a spec. In JSON, `check`'s fields (with its `rule`) sit beside `severity`.
/// `Deserialize` is written by hand (`rule/rule_de.rs`), for the size of the browser app; it
/// reads the same JSON as `#[serde(flatten)]` would.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Rule {
    #[serde(flatten)]
    pub check: Check,
    #[serde(default = "error_severity")]
    pub severity: Severity,
    /// Replaces the generated message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

fn error_severity() -> Severity {
    Severity::Error
}

fn default_duplicate_iou() -> f64 {
    0.95
}

/// `Rule`'s hand-written `Deserialize` (`rule/rule_de.rs`) lists these checks and their fields
/// again: a new check or field goes there too (a new field is a compile error there).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// At least `min` and at most `max` regions of `control` (of `label` when given).
    Count {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<usize>,
    },
    /// Every region of `control` (of `label` when given) sets `attribute`, to one of `allowed`
    /// when that list is not empty.
    RequiredAttribute {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        attribute: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allowed: Vec<String>,
    },
    /// When some region of `when_control` carries `when_label`, `then_control` is
    /// `required` (answered), `forbidden` (no region at all) or `empty` (regions carry no
    /// label and no transcript).
    Conditional { when_control: String, when_label: String, then_control: String, then: Requirement },
    /// Boxes, video boxes and polygons (their bounding box) at least this large, in pixels.
    MinSize {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_width: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_height: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_area: Option<f64>,
    },
    /// No two regions of the same label that are (nearly) the same: IoU ≥ `min_iou` for
    /// boxes, polygons and segments, the same range for spans, the same point for keypoints.
    NoDuplicates {
        control: String,
        #[serde(default = "default_duplicate_iou")]
        min_iou: f64,
    },
    /// No two regions (of the same label, or of any label) overlapping by more than
    /// `max_iou` (0: any overlap at all). Boxes, polygons, audio and video segments.
    NoOverlap {
        control: String,
        #[serde(default)]
        scope: OverlapScope,
        #[serde(default)]
        max_iou: f64,
    },
    /// Text spans start and end at token boundaries: not inside a run of letters or digits.
    TokenBoundaries { control: String },
    /// Audio segments last `min`–`max` seconds; video segments `min`–`max` frames.
    SegmentLength {
        control: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// Transcripts of audio segments: `required` (non-blank), only characters from
    /// `charset`, matching the regular expression `pattern` in full, at most `max_length`
    /// characters.
    Transcript {
        control: String,
        #[serde(default)]
        required: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charset: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    /// Video tracks: no gap longer than `max_gap_frames` between consecutive keyframes while
    /// the object is visible.
    TrackContinuity { control: String, max_gap_frames: u32 },
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Forbidden,
    Empty,
}

unit_enum!(Requirement { Required = "required", Forbidden = "forbidden", Empty = "empty" });

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OverlapScope {
    #[default]
    SameLabel,
    Any,
}

unit_enum!(OverlapScope { SameLabel = "same_label", Any = "any" });

impl Check {
    /// The control the rule constrains (for a conditional rule, the one it requires).
    pub fn control(&self) -> &str {
        match self {
            Check::Count { control, .. }
            | Check::RequiredAttribute { control, .. }
            | Check::MinSize { control, .. }
            | Check::NoDuplicates { control, .. }
            | Check::NoOverlap { control, .. }
            | Check::TokenBoundaries { control }
            | Check::SegmentLength { control, .. }
            | Check::Transcript { control, .. }
            | Check::TrackContinuity { control, .. } => control,
            Check::Conditional { then_control, .. } => then_control,
        }
    }

    /// The label the rule is limited to, when it names one.
    pub fn label(&self) -> Option<&str> {
        match self {
            Check::Count { label, .. }
            | Check::RequiredAttribute { label, .. }
            | Check::MinSize { label, .. }
            | Check::SegmentLength { label, .. } => label.as_deref(),
            _ => None,
        }
    }

    /// The rule's name as written in the spec, e.g. `no_overlap`.
    pub fn name(&self) -> &'static str {
        match self {
            Check::Count { .. } => "count",
            Check::RequiredAttribute { .. } => "required_attribute",
            Check::Conditional { .. } => "conditional",
            Check::MinSize { .. } => "min_size",
            Check::NoDuplicates { .. } => "no_duplicates",
            Check::NoOverlap { .. } => "no_overlap",
            Check::TokenBoundaries { .. } => "token_boundaries",
            Check::SegmentLength { .. } => "segment_length",
            Check::Transcript { .. } => "transcript",
            Check::TrackContinuity { .. } => "track_continuity",
        }
    }
}
