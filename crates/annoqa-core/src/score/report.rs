//! What gold scoring reports: per-control scores, a verdict per region or pair, and sentences
//! for the annotator. Plain data; [`crate::reveal`] decides how much of it an annotator sees.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The result of checking one annotation against gold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldReport {
    pub passed: bool,
    /// 0–1: the mean of the scored controls' scores.
    pub score: f64,
    pub pass_threshold: f64,
    pub controls: Vec<ControlScore>,
    pub verdicts: Vec<RegionVerdict>,
    /// The gold author's explanation of the item, when gold has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// Short sentences for the annotator about their regions, most important first.
    pub feedback: Vec<Feedback>,
}

/// Why gold is what it is, in the gold author's words.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Explanation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ControlScore {
    pub control: String,
    pub score: f64,
    /// Kind-specific measures behind the score, e.g. `event_f1`, `wer`, `mota`, `idf1`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

/// The verdict on one region: an annotated region, a gold region, or a pair of them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegionVerdict {
    pub control: String,
    /// The annotated region, if the verdict concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The gold region, if the verdict concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_region: Option<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// How an annotated region relates to gold. The same semantics hold for every region kind
/// (docs/formats.md, "How gold is scored"). Fields that quote gold are optional: the `hints`
/// reveal policy removes them ([`Verdict::without_gold_details`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Counted as correct. Kinds with boundaries (spans, audio and video segments) say how far
    /// the boundaries are off within tolerance.
    Matched {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offsets: Option<Offsets>,
    },
    /// Gold has it, the annotation does not.
    Missed,
    /// The annotation has it, gold does not.
    Extra,
    /// Within tolerance of a gold region with another label.
    WrongLabel {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected: Option<String>,
        got: String,
    },
    /// Same label, overlapping gold, but the boundaries are outside tolerance (spans, audio and
    /// video segments); `overlap` is their IoU.
    BoundaryOff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offsets: Option<Offsets>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        overlap: Option<f64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        directions: Vec<Direction>,
    },
    /// Same label, overlapping gold, but below the IoU (boxes, polygons) or OKS (keypoints)
    /// threshold; `overlap` is that IoU or OKS.
    LowOverlap {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        overlap: Option<f64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        directions: Vec<Direction>,
    },
    /// A ranking that differs from gold's; `agreement` is its 0–1 score (1 − normalised Kendall
    /// tau distance, bucket Jaccard index).
    RankingOff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agreement: Option<f64>,
    },
    /// The segment matches in time (or the text area exists), but its text is too far from
    /// gold.
    TranscriptOff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wer: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cer: Option<f64>,
    },
}

impl Verdict {
    pub fn is_correct(&self) -> bool {
        matches!(self, Verdict::Matched { .. })
    }

    /// The verdict with every magnitude, coordinate and gold label removed; directions stay.
    pub fn without_gold_details(&self) -> Verdict {
        match self {
            Verdict::Matched { .. } => Verdict::Matched { offsets: None },
            Verdict::Missed => Verdict::Missed,
            Verdict::Extra => Verdict::Extra,
            Verdict::WrongLabel { got, .. } => Verdict::WrongLabel { expected: None, got: got.clone() },
            Verdict::BoundaryOff { directions, .. } => {
                Verdict::BoundaryOff { offsets: None, overlap: None, directions: directions.clone() }
            }
            Verdict::LowOverlap { directions, .. } => {
                Verdict::LowOverlap { overlap: None, directions: directions.clone() }
            }
            Verdict::TranscriptOff { .. } => Verdict::TranscriptOff { wer: None, cer: None },
            Verdict::RankingOff { .. } => Verdict::RankingOff { agreement: None },
        }
    }
}

/// Annotation minus gold at both ends of a span or segment, in `unit`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offsets {
    pub start: i64,
    pub end: i64,
    pub unit: OffsetUnit,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OffsetUnit {
    /// Unicode scalar values of a text item.
    Chars,
    /// Milliseconds of an audio item.
    Ms,
    /// Video frames.
    Frames,
}

impl OffsetUnit {
    pub fn word(self) -> &'static str {
        match self {
            OffsetUnit::Chars => "chars",
            OffsetUnit::Ms => "ms",
            OffsetUnit::Frames => "frames",
        }
    }
}

impl Offsets {
    /// Which way each end is off, without saying by how much.
    pub fn directions(&self) -> Vec<Direction> {
        let mut out = Vec::new();
        match self.start.signum() {
            -1 => out.push(Direction::StartsTooEarly),
            1 => out.push(Direction::StartsTooLate),
            _ => {}
        }
        match self.end.signum() {
            -1 => out.push(Direction::EndsTooEarly),
            1 => out.push(Direction::EndsTooLate),
            _ => {}
        }
        out
    }
}

/// Which way a region is off from gold: what the `hints` policy may say instead of numbers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    StartsTooEarly,
    StartsTooLate,
    EndsTooEarly,
    EndsTooLate,
    /// A box or polygon covering clearly less area than gold.
    TooSmall,
    /// A box or polygon covering clearly more area than gold.
    TooLarge,
    /// About the right size (or a point), in the wrong place.
    Shifted,
}

impl Direction {
    /// Words for the annotator, e.g. "starts too early".
    pub fn words(self) -> &'static str {
        match self {
            Direction::StartsTooEarly => "starts too early",
            Direction::StartsTooLate => "starts too late",
            Direction::EndsTooEarly => "ends too early",
            Direction::EndsTooLate => "ends too late",
            Direction::TooSmall => "too small",
            Direction::TooLarge => "too large",
            Direction::Shifted => "shifted",
        }
    }

    /// The size direction of an area `mine` against gold's `gold`: a quarter off either way
    /// counts as a size error, anything closer as a shift.
    pub fn of_areas(mine: f64, gold: f64) -> Direction {
        if mine < 0.8 * gold {
            Direction::TooSmall
        } else if mine > 1.25 * gold {
            Direction::TooLarge
        } else {
            Direction::Shifted
        }
    }
}

/// One sentence for the annotator.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Feedback {
    pub message: String,
    /// The same point without quoting gold (no label, coordinate, time, frame or magnitude of
    /// gold), for the `hints` reveal policy; `None` when `message` quotes nothing of gold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}
