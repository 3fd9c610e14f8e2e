//! A YOLO dataset written from records handed over one part at a time (a large Label Studio
//! export read on several threads), with a spec.
//!
//! Most records of such an export are plain: an image of known size, boxes not turned, each
//! with a label of the spec and no attributes, no score. Where a record is read, a plain one
//! becomes its detect lines at once and keeps only its boxes' numbers; any other record is
//! kept whole. At the end the kept records decide the dataset's task as [`super::write`] does
//! (plain boxes never change it): a detect dataset takes the lines made, any other task
//! rebuilds the plain records from their boxes and writes every record through the one
//! writer. Either way the output equals [`super::write`]'s for the same records.

use std::sync::Arc;

use annoqa_core::geometry::box_is_rotated;
use annoqa_core::model::{BoxGeometry, Item, Media, Region, RegionValue, TaskSpec};

use super::write::{detect_numbers, push_numbers, task_of, visibility_told, Labels, Task, Writer};
use crate::coco::spec_object_labels;
use crate::diag::Diagnostics;
use crate::hash::FastMap;
use crate::record::{Record, Source, Written};

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

impl Entry {
    fn record(&self) -> Option<&Record> {
        match self {
            Entry::Record(record) => Some(record),
            Entry::Plain(_) => None,
        }
    }
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

    /// The record again, as far as the writer reads it (for a dataset that is not detect).
    fn to_record(&self, names: &[String]) -> Record {
        let regions = self.boxes.iter().map(|b| {
            let BoxGeometry { x, y, width, height, rotation } = b.geometry;
            let label = names[b.class as usize].clone();
            let value = RegionValue::BBox { x, y, width, height, rotation, label };
            Region { id: String::new(), control: String::new(), value, attributes: Default::default() }
        });
        Record {
            item: Item {
                id: self.item.clone(),
                media: Media::Image { src: self.src.clone(), width: self.width, height: self.height },
                candidates: Vec::new(),
            },
            annotator: String::new(),
            source: Source::Annotation,
            regions: regions.collect(),
            score: None,
        }
    }
}

/// Collects parts (or records) and writes the dataset at the end.
pub(crate) struct YoloWriter {
    spec: TaskSpec,
    classes: Arc<YoloClasses>,
    entries: Vec<Entry>,
}

impl YoloWriter {
    pub(crate) fn new(spec: TaskSpec) -> Self {
        let classes = Arc::new(YoloClasses::new(&spec));
        YoloWriter { spec, classes, entries: Vec::new() }
    }

    /// What the reading threads share to make parts ([`YoloClasses::part`]).
    pub(crate) fn classes(&self) -> Arc<YoloClasses> {
        Arc::clone(&self.classes)
    }

    pub(crate) fn add(&mut self, record: Record) {
        let entry = self.classes.entry(record);
        self.entries.push(entry);
    }

    /// A part's records, after those added before.
    pub(crate) fn append(&mut self, part: YoloPart) {
        self.entries.extend(part.entries);
    }

    pub(crate) fn finish(self) -> Written {
        let kept = || self.entries.iter().filter_map(Entry::record);
        let mut diagnostics = Diagnostics::default();
        // Plain records add no label and no keypoint: the kept ones decide these alone.
        let labels = Labels::new(&self.spec, kept(), &mut diagnostics);
        let task = task_of(kept());
        let told = visibility_told(kept());
        let mut writer = Writer::new(&labels, task, diagnostics);
        for entry in self.entries {
            match entry {
                Entry::Record(record) => writer.record(&record),
                Entry::Plain(plain) if task == Task::Detect => writer.formatted(&plain.item, &plain.src, plain.lines),
                Entry::Plain(plain) => writer.record(&plain.to_record(&self.classes.names)),
            }
        }
        writer.finish(told)
    }
}
