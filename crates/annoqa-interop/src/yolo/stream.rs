//! A YOLO dataset written from records handed over one part at a time (a large Label Studio
//! export read on several threads), with a spec.
//!
//! Most records of such an export are plain: an image of known size, boxes not turned, each
//! with a label of the spec and no attributes, no score. Where a record is read, a plain one
//! becomes its detect lines at once and keeps only its boxes' numbers; any other record is
//! kept whole. As parts arrive, each record is placed in its label file (which does not
//! depend on the task), and the files of plain records can be written while the rest is read
//! ([`YoloWriter::write_early`]) as long as no kept record makes the dataset other than detect.
//! At the end the kept records decide the task as [`super::write()`] does (plain boxes never
//! change it): a detect dataset takes the lines made and the kept records' lines in their
//! places; any other task rebuilds the plain records from their boxes, writes every record
//! through the one writer, and drops what was written early. Either way the dataset equals
//! [`super::write()`]'s for the same records.

use std::sync::Arc;

use annoqa_core::geometry::box_is_rotated;
use annoqa_core::model::{BoxGeometry, Item, Media, Region, RegionValue, TaskSpec};

use super::label_files::LabelFiles;
use super::write::{
    detect_numbers, keypoint_dims, push_numbers, task_of, text_of, visibility_told, Labels, Line, Task, Writer,
};
use crate::coco::spec_object_labels;
use crate::diag::Diagnostics;
use crate::hash::FastMap;
use crate::record::{FilePiece, OutputFile, Record, Source, Written};

/// What the reading threads need to tell a plain record and write its lines: the spec's
/// labels and their classes (the first classes of the dataset, in spec order).
pub(crate) struct YoloClasses {
    names: Vec<String>,
    class_of: FastMap<String, u32>,
}

impl YoloClasses {
    fn new(spec: &TaskSpec) -> Self {
        let names = spec_object_labels(spec);
        let mut class_of = FastMap::default();
        for (class, name) in (0..).zip(&names) {
            class_of.entry(name.clone()).or_insert(class);
        }
        YoloClasses { names, class_of }
    }

    /// A part with no records yet.
    pub(crate) fn part(classes: &Arc<YoloClasses>) -> YoloPart {
        YoloPart { classes: Arc::clone(classes), entries: Vec::new() }
    }

    /// The entry of `record`: its lines when it is plain, else the record.
    fn entry(&self, mut record: Record) -> Entry {
        let plain = self.plain_boxes(&record);
        match (plain, &mut record.item.media) {
            (Some(boxes), Media::Image { src, width, height }) => {
                let image = (std::mem::take(src), *width, *height);
                Entry::Plain(Plain::new(record.item.id, image, boxes))
            }
            _ => Entry::Record(record),
        }
    }

    /// A plain record's boxes (see the module's comment); `None` for any other record.
    fn plain_boxes(&self, record: &Record) -> Option<Vec<PlainBox>> {
        let Media::Image { width, height, .. } = record.item.media else { return None };
        if width == 0 || height == 0 || record.score.is_some() {
            return None;
        }
        let mut boxes = Vec::with_capacity(record.regions.len());
        for region in &record.regions {
            let RegionValue::BBox { x, y, width, height, rotation, ref label } = region.value else { return None };
            let geometry = BoxGeometry { x, y, width, height, rotation };
            if !region.attributes.is_empty() || box_is_rotated(&geometry) {
                return None;
            }
            let &class = self.class_of.get(label.as_str())?;
            boxes.push(PlainBox { class, geometry });
        }
        Some(boxes)
    }
}

/// Records in input order, plain ones as their lines.
pub(crate) struct YoloPart {
    classes: Arc<YoloClasses>,
    entries: Vec<Entry>,
}

impl YoloPart {
    pub(crate) fn add(&mut self, record: Record) {
        let entry = self.classes.entry(record);
        self.entries.push(entry);
    }
}

enum Entry {
    Plain(Plain),
    Record(Record),
}

/// A plain record: what the writer reads of it, and its detect lines.
struct Plain {
    item: String,
    src: String,
    width: u32,
    height: u32,
    boxes: Vec<PlainBox>,
    lines: String,
}

struct PlainBox {
    class: u32,
    geometry: BoxGeometry,
}

impl Plain {
    fn new(item: String, (src, width, height): (String, u32, u32), boxes: Vec<PlainBox>) -> Plain {
        let size = (f64::from(width), f64::from(height));
        let mut lines = String::with_capacity(boxes.len() * 64);
        for b in &boxes {
            push_numbers(&mut lines, b.class as usize, &detect_numbers(&b.geometry, size));
            lines.push('\n');
        }
        Plain { item, src, width, height, boxes, lines }
    }
}

/// Places records in their label files as they come and writes the dataset: the files' start
/// while the input is read where the caller asks ([`YoloWriter::write_early`]), the rest at
/// the end.
pub(crate) struct YoloWriter {
    spec: TaskSpec,
    classes: Arc<YoloClasses>,
    files: LabelFiles,
    /// What placing the records reported.
    diagnostics: Diagnostics,
    /// Per label file, what is not written yet, in order.
    pending: Vec<Vec<Pending>>,
    /// Per label file, whether it was made already (while the input was read).
    made: Vec<bool>,
    /// Per label file, whether a kept record's lines go in it: the rest of it waits for the end.
    held: Vec<bool>,
    /// Files given text since the last early write.
    touched: Vec<usize>,
    /// Every record in order, plain ones as their boxes, for a dataset that is not detect.
    placed: Vec<Placed>,
    /// Whether no kept record so far makes the dataset other than detect.
    detect_so_far: bool,
    /// Whether a file was made while the input was read.
    wrote_early: bool,
}

/// What a label file still waits for.
enum Pending {
    /// A plain record's detect lines.
    Text(String),
    /// The lines of kept record `placed[n]`, made at the end.
    Kept(usize),
}

enum Placed {
    Plain {
        item: String,
        size: (f64, f64),
        boxes: Vec<PlainBox>,
        file: usize,
    },
    /// A kept record, with its label file and image size when it has one.
    Kept {
        record: Record,
        file: Option<(usize, (f64, f64))>,
    },
}

impl Placed {
    fn kept(&self) -> Option<&Record> {
        match self {
            Placed::Kept { record, .. } => Some(record),
            Placed::Plain { .. } => None,
        }
    }
}

/// A YOLO dataset written by [`YoloWriter`]: its files, or the rest of those made before.
pub(crate) struct YoloOutput {
    pub(crate) pieces: Vec<FilePiece>,
    /// Whether what was written while the input was read is to be dropped: `pieces` are then
    /// the whole dataset.
    pub(crate) restarts: bool,
    pub(crate) diagnostics: Diagnostics,
}

impl YoloOutput {
    /// The dataset's files, for a writer asked for nothing early.
    pub(crate) fn into_written(self) -> Written {
        Written { files: self.pieces.into_iter().map(|piece| piece.file).collect(), diagnostics: self.diagnostics }
    }
}

impl YoloWriter {
    pub(crate) fn new(spec: TaskSpec) -> Self {
        let classes = Arc::new(YoloClasses::new(&spec));
        YoloWriter {
            spec,
            classes,
            files: LabelFiles::default(),
            diagnostics: Diagnostics::default(),
            pending: Vec::new(),
            made: Vec::new(),
            held: Vec::new(),
            touched: Vec::new(),
            placed: Vec::new(),
            detect_so_far: true,
            wrote_early: false,
        }
    }

    /// What the reading threads share to make parts ([`YoloClasses::part`]).
    pub(crate) fn classes(&self) -> Arc<YoloClasses> {
        Arc::clone(&self.classes)
    }

    pub(crate) fn add(&mut self, record: Record) {
        let entry = self.classes.entry(record);
        self.place(entry);
    }

    /// A part's records, after those added before.
    pub(crate) fn append(&mut self, part: YoloPart) {
        part.entries.into_iter().for_each(|entry| self.place(entry));
    }

    fn place(&mut self, entry: Entry) {
        match entry {
            Entry::Plain(plain) => {
                let file = self.files.of_image(&plain.item, &plain.src, &mut self.diagnostics);
                self.grow(file);
                self.pending[file].push(Pending::Text(plain.lines));
                self.touched.push(file);
                let size = (f64::from(plain.width), f64::from(plain.height));
                self.placed.push(Placed::Plain { item: plain.item, size, boxes: plain.boxes, file });
            }
            Entry::Record(record) => {
                let file = self.files.of_record(&record, &mut self.diagnostics);
                if let Some((at, _)) = file {
                    self.grow(at);
                    self.pending[at].push(Pending::Kept(self.placed.len()));
                    self.held[at] = true;
                }
                self.detect_so_far &= task_of(std::iter::once(&record)) == Task::Detect;
                self.placed.push(Placed::Kept { record, file });
            }
        }
    }

    fn grow(&mut self, file: usize) {
        if file == self.pending.len() {
            self.pending.push(Vec::new());
            self.made.push(false);
            self.held.push(false);
        }
    }

    /// The label files given lines since the last call, as far as they are final already:
    /// those of plain records, while no kept record makes the dataset other than detect, and
    /// of files no kept record goes in. [`YoloOutput::restarts`] says whether they stood.
    pub(crate) fn write_early(&mut self, out: &mut Vec<FilePiece>) {
        if !self.detect_so_far {
            self.touched.clear();
            return;
        }
        for file in self.touched.drain(..) {
            if self.held[file] || (self.made[file] && self.pending[file].is_empty()) {
                continue;
            }
            let mut text = String::new();
            for pending in self.pending[file].drain(..) {
                if let Pending::Text(lines) = pending {
                    text.push_str(&lines);
                }
            }
            let file_out = OutputFile { path: self.files.paths[file].clone(), bytes: text.into_bytes() };
            out.push(FilePiece { file: file_out, append: self.made[file] });
            self.made[file] = true;
            self.wrote_early = true;
        }
    }

    pub(crate) fn finish(self) -> YoloOutput {
        let kept = || self.placed.iter().filter_map(Placed::kept);
        let mut diagnostics = self.diagnostics;
        // Plain records add no label and no keypoint: the kept ones decide these alone.
        let labels = Labels::new(&self.spec, kept(), &mut diagnostics);
        let task = task_of(kept());
        let told = visibility_told(kept());
        let mut writer = Writer::new(&labels, task, diagnostics);
        let restarts = task != Task::Detect && self.wrote_early;
        let lines = if task == Task::Detect {
            pending_lines(self.pending, &self.placed, &mut writer)
        } else {
            all_lines(self.files.len(), &self.placed, &self.classes.names, &mut writer)
        };
        let dims = keypoint_dims(&lines, told);
        let mut pieces: Vec<FilePiece> =
            writer.dataset_files(&self.files, dims).into_iter().map(|file| FilePiece { file, append: false }).collect();
        for ((path, lines), made) in self.files.paths.into_iter().zip(lines).zip(self.made) {
            let append = made && !restarts;
            if append && lines.is_empty() {
                continue;
            }
            pieces.push(FilePiece { file: OutputFile { path, bytes: text_of(lines, dims).into_bytes() }, append });
        }
        YoloOutput { pieces, restarts, diagnostics: writer.diagnostics }
    }
}

/// In a detect dataset, each file's lines not written yet: plain records' as they are, kept
/// records' made now.
fn pending_lines(pending: Vec<Vec<Pending>>, placed: &[Placed], writer: &mut Writer<'_>) -> Vec<Vec<Line>> {
    let lines_of = |pending: Pending, writer: &mut Writer<'_>| match pending {
        Pending::Text(text) => vec![Line::Text(text)],
        Pending::Kept(at) => match &placed[at] {
            Placed::Kept { record, file: Some((_, size)) } => writer.lines(record, *size),
            _ => Vec::new(),
        },
    };
    pending.into_iter().map(|file| file.into_iter().flat_map(|p| lines_of(p, writer)).collect()).collect()
}

/// Every file's lines from every record, in order, for a dataset that is not detect.
fn all_lines(files: usize, placed: &[Placed], names: &[String], writer: &mut Writer<'_>) -> Vec<Vec<Line>> {
    let mut lines: Vec<Vec<Line>> = (0..files).map(|_| Vec::new()).collect();
    for placed in placed {
        match placed {
            Placed::Plain { item, size, boxes, file } => {
                let record = boxes_record(item, boxes, names);
                lines[*file].extend(writer.lines(&record, *size));
            }
            Placed::Kept { record, file: Some((file, size)) } => lines[*file].extend(writer.lines(record, *size)),
            Placed::Kept { file: None, .. } => {}
        }
    }
    lines
}

/// A plain record again from its boxes, as far as [`Writer::lines`] reads it (the item id and
/// the regions).
fn boxes_record(item: &str, boxes: &[PlainBox], names: &[String]) -> Record {
    let regions = boxes.iter().map(|b| {
        let BoxGeometry { x, y, width, height, rotation } = b.geometry;
        let label = names[b.class as usize].clone();
        let value = RegionValue::BBox { x, y, width, height, rotation, label };
        Region { id: String::new(), control: String::new(), value, attributes: Default::default() }
    });
    Record {
        item: Item {
            id: item.to_owned(),
            media: Media::Image { src: String::new(), width: 0, height: 0 },
            candidates: Vec::new(),
        },
        annotator: String::new(),
        source: Source::Annotation,
        regions: regions.collect(),
        score: None,
    }
}
