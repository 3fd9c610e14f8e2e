//! The interchange record: one annotation or prediction of one item, as `annoqa convert --to
//! annoqa` writes it (one JSON object per line).

use annoqa_core::model::{Item, Region, TaskSpec};
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostics;

/// One annotator's (or one model's) regions for one item:
/// `{"item": {"id", "media"}, "annotator", "source", "regions"}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Record {
    pub item: Item,
    /// Who made it: an annotator's name or id, or a prediction's model version.
    pub annotator: String,
    pub source: Source,
    pub regions: Vec<Region>,
    /// A prediction's overall confidence, where the format has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// Whether a record is a person's annotation or a model's prediction (a pre-annotation).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Annotation,
    Prediction,
}

/// What a reader made of its input.
#[derive(Debug, Default)]
pub struct Converted {
    pub records: Vec<Record>,
    /// The spec the input describes (a Label Studio config, COCO categories, YOLO class names,
    /// CVAT labels), when it describes one.
    pub spec: Option<TaskSpec>,
    /// What could not be represented.
    pub diagnostics: Diagnostics,
}

/// What `annoqa convert` and the server's import pass to a reader besides the input itself.
#[derive(Clone, Copy, Default)]
pub struct ReadOptions<'a> {
    /// The input's name as the user gave it, for error messages.
    pub file_name: &'a str,
    /// A Label Studio labeling config (`--config`): its XML text.
    pub config: Option<&'a str>,
    /// An annoqa spec (`--spec`).
    pub spec: Option<&'a TaskSpec>,
    /// The size of every image or video frame (`--media-size WxH`), when the input lacks it.
    pub media_size: Option<(u32, u32)>,
    /// The folder holding the media (`--media-dir`), to read image sizes from.
    pub media: Option<&'a dyn crate::tree::FileTree>,
}

/// What a writer produced.
#[derive(Debug, Default)]
pub struct Written {
    /// One file with an empty path for the single-file formats; a folder's files (relative
    /// `/`-separated paths) for YOLO.
    pub files: Vec<OutputFile>,
    /// What the target format cannot represent.
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}
