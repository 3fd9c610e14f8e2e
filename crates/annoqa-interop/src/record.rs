//! The interchange record: one annotation or prediction of one item, as `annoqa convert --to
//! annoqa` writes it (one JSON object per line).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use annoqa_core::model::{
    Control, ControlKind, Item, Label, Limits, MediaKind, PairChoice, Region, RegionValue, RevealPolicy, SpanOverlap,
    TaskSpec, Tolerance,
};
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostics, InputError};

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

/// Work a reader may do on each record where it makes it (natively, on its reading threads),
/// gathering records into parts that reach the caller in input order: a writer's per-record
/// work then runs in parallel, and a record is freed on the thread that allocated it.
pub trait RecordFold: Sync {
    type Part: Send;
    /// A part with no records yet.
    fn part(&self) -> Self::Part;
    fn add(&self, part: &mut Self::Part, record: Record);
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

/// A file of a folder output, or when `append`, the rest of one whose start was written
/// before (while the input was read).
#[derive(Debug, Clone, PartialEq)]
pub struct FilePiece {
    pub file: OutputFile,
    pub append: bool,
}

/// A spec for records that came without one: one control per control name in first-seen order,
/// its kind from its regions' type, its labels in first-seen order. The media kind is the first
/// record's. Nothing about tolerances or rules is invented: they take their defaults, and span
/// controls allow overlaps (a derived spec describes the data; it does not judge it).
pub fn derive_spec(records: &[Record]) -> TaskSpec {
    let mut builder = SpecBuilder::default();
    for record in records {
        builder.add(record);
    }
    builder.finish()
}

/// [`derive_spec`] for records that stream past: add each, then finish.
#[derive(Default)]
pub struct SpecBuilder {
    media: Option<MediaKind>,
    controls: Vec<Control>,
    /// Each control's position and the labels it has, so adding a region is a lookup whatever
    /// the number of controls and labels.
    index: HashMap<String, (usize, HashSet<String>)>,
}

impl SpecBuilder {
    pub fn add(&mut self, record: &Record) {
        self.media.get_or_insert(record.item.media.kind());
        for region in &record.regions {
            if !self.index.contains_key(&region.control) {
                self.controls.push(derived_control(&region.control, &region.value));
                self.index.insert(region.control.clone(), (self.controls.len() - 1, HashSet::new()));
            }
            let Some((at, known)) = self.index.get_mut(&region.control) else { continue };
            let Some(control) = self.controls.get_mut(*at) else { continue };
            // A control's flags follow every region, not its first: one multi-label answer makes
            // it multiple-choice, one transcribed segment makes it transcribed.
            match (&mut control.kind, &region.value) {
                (ControlKind::Choice { multiple }, RegionValue::Choice { labels }) => *multiple |= labels.len() > 1,
                (ControlKind::AudioSegments { transcript }, RegionValue::AudioSegment { transcript: text, .. }) => {
                    *transcript |= text.is_some();
                }
                _ => {}
            }
            for label in region.value.labels() {
                if !known.contains(label) {
                    known.insert(label.to_owned());
                    control.labels.push(Label {
                        value: label.to_owned(),
                        hotkey: None,
                        color: None,
                        guideline: None,
                        min_iou: None,
                        kappa: None,
                    });
                }
            }
        }
    }

    pub fn finish(self) -> TaskSpec {
        TaskSpec {
            media: self.media.unwrap_or(MediaKind::Image),
            controls: self.controls,
            pass_threshold: 0.8,
            rules: Vec::new(),
            reveal: RevealPolicy::default(),
            limits: Limits::default(),
        }
    }
}

fn derived_control(name: &str, value: &RegionValue) -> Control {
    let kind = match value {
        RegionValue::Choice { .. } => ControlKind::Choice { multiple: false },
        RegionValue::TextSpan { .. } => ControlKind::TextSpans { overlap: SpanOverlap::Allowed },
        RegionValue::BBox { .. } => ControlKind::BBox,
        RegionValue::Polygon { .. } => ControlKind::Polygon,
        RegionValue::Keypoint { .. } => ControlKind::Keypoint,
        RegionValue::AudioSegment { transcript, .. } => ControlKind::AudioSegments { transcript: transcript.is_some() },
        RegionValue::VideoBox { .. } => ControlKind::VideoBoxes,
        RegionValue::VideoTrack { .. } => ControlKind::VideoTracks,
        RegionValue::VideoSegment { .. } => ControlKind::VideoSegments,
        RegionValue::Pairwise { choice, .. } => {
            ControlKind::Pairwise { allow_tie: *choice == PairChoice::Tie, rationale_required: false }
        }
        RegionValue::TextArea { .. } => ControlKind::TextArea,
        RegionValue::Ranking { buckets, .. } => ControlKind::Ranker { buckets: buckets.keys().cloned().collect() },
    };
    Control {
        name: name.to_owned(),
        prompt: String::new(),
        kind,
        labels: Vec::new(),
        required: false,
        guideline: None,
        tolerance: Tolerance::default(),
        normalization: None,
        costs: Vec::new(),
    }
}

/// Reads `annoqa` JSON Lines records one line at a time (blank lines are skipped). An error names
/// the file and the line.
pub fn for_each_jsonl(reader: impl BufRead, file_name: &str, sink: &mut dyn FnMut(Record)) -> Result<(), InputError> {
    for (index, line) in reader.lines().enumerate() {
        let location = format!("line {}", index + 1);
        let line = line.map_err(|e| InputError::new(file_name, &location, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record =
            serde_json::from_str(&line).map_err(|e| InputError::new(file_name, &location, e.to_string()))?;
        sink(record);
    }
    Ok(())
}

/// All records of an `annoqa` JSON Lines file, with the spec derived from them.
pub fn read_jsonl(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let mut records = Vec::new();
    for_each_jsonl(bytes, opts.file_name, &mut |r| records.push(r))?;
    let spec = opts.spec.cloned().unwrap_or_else(|| derive_spec(&records));
    Ok(Converted { records, spec: Some(spec), diagnostics: Diagnostics::default() })
}

/// `annoqa` JSON Lines: one record per line, in the order given.
pub fn write_jsonl(records: &[Record]) -> Result<Written, InputError> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, record)
            .map_err(|e| InputError::new("", format!("item {}", record.item.id), e.to_string()))?;
        bytes.push(b'\n');
    }
    Ok(Written { files: vec![OutputFile { path: String::new(), bytes }], diagnostics: Diagnostics::default() })
}
