//! Records to COCO instances JSON.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{self, Write as _};
use std::ops::Range;

use annoqa_core::geometry::{box_bounds, box_corners, box_is_rotated, polygon_area};
use annoqa_core::model::{BoxGeometry, Media, Region, RegionValue, TaskSpec};
use serde_json::{json, Map, Value};

use super::{assign_category_ids, media_name, spec_keypoint_labels, spec_object_labels, STRUCTURAL_ATTRIBUTES};
use crate::diag::{Diagnostics, InputError};
use crate::hash::{FastMap, FastSet};
use crate::record::{OutputFile, Record, SpecBuilder, Written};

pub(super) fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    let mut writer = CocoWriter::new(spec.cloned());
    for record in records {
        writer.add(record);
    }
    writer.finish()
}

/// COCO instances JSON from records that stream past: each record is turned at once into its
/// images and annotations, held as compact rows (the annotation's JSON but its ids, which COCO
/// numbers over the whole file, and its keypoints, whose slots depend on every name seen);
/// `finish` numbers them and writes the file. That per-record work can also run elsewhere, on
/// the threads that read the records: each fills a [`CocoPart`] and the writer takes the parts
/// in order ([`CocoWriter::append`]).
pub(crate) struct CocoWriter {
    /// The spec given; without one, the spec is derived from the records as they pass.
    spec: Option<TaskSpec>,
    derived: SpecBuilder,
    all: CocoPart,
    early: Early,
}

/// Annotations written before the end ([`CocoWriter::write_early`]), their ids guessed: each
/// annotation the next number, each image its item id, each label its place among the spec's
/// labels and then the others (what `finish` decides when no key is a number, every item id is
/// one, no `category_id` attribute is given and there are no keypoints). `finish` checks the
/// guesses; the writer takes the bytes only when they all held.
#[derive(Default)]
struct Early {
    /// Annotations written so far.
    rows: usize,
    /// An annotation whose ids cannot be guessed came: nothing more is written early.
    stopped: bool,
    /// The spec's box and polygon labels by name, and each interned label's guessed category.
    spec_labels: Option<FastMap<String, u64>>,
    category_of: Vec<u64>,
    /// Interned labels not in the spec.
    others: u64,
}

/// Images and annotations of some records, labels, keypoint names and images numbered within
/// the part; a writer's own records and its appended parts are one part.
#[derive(Default)]
pub(crate) struct CocoPart {
    diagnostics: Diagnostics,
    /// Box and polygon labels, and keypoint names, in order of first appearance.
    labels: Interned,
    keypoint_names: Interned,
    images: Vec<Image>,
    image_of: FastMap<String, usize>,
    annotations: Vec<Row>,
    /// The annotations' JSON fragments, one after another, in chunks (see [`Row`]): a part's
    /// chunks move into the writer without a copy.
    texts: Vec<Vec<u8>>,
    keypoints: Vec<Keypoint>,
    /// Each label's `category_id` attributes on boxes and polygons.
    category_attributes: BTreeMap<u32, BTreeSet<u64>>,
}

struct Image {
    /// The item it is: images of one item in two parts are one image.
    item: String,
    wanted: Option<u64>,
    src: String,
    width: u32,
    height: u32,
}

/// One annotation: its image, the id it asks for, its label, its keypoints, and its JSON but
/// `category_id`, `id`, `image_id` (due after `text[start..after_bbox]`) and `keypoints`,
/// `num_keypoints` (due after `text[after_bbox..after_crowd]`), as keys sort.
struct Row {
    image: u32,
    wanted: Option<u64>,
    label: u32,
    keypoints: Range<usize>,
    /// The chunk of the part's `texts` its JSON is in.
    chunk: usize,
    start: usize,
    after_bbox: usize,
    after_crowd: usize,
    end: usize,
}

/// A keypoint of an annotation: its name and `x, y, v`.
struct Keypoint {
    name: u32,
    x: f64,
    y: f64,
    visibility: u8,
}

/// Names numbered in order of first appearance.
#[derive(Default)]
struct Interned {
    names: Vec<String>,
    index: FastMap<String, u32>,
}

impl Interned {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), id);
        id
    }
}

/// The regions of one COCO annotation: at most one box, its polygons and its keypoints.
struct Instance<'r> {
    /// The box's id, or the `instance` the polygons share: the annotation id when it is one.
    key: Cow<'r, str>,
    boxes: Vec<&'r Region>,
    polygons: Vec<&'r Region>,
    keypoints: Vec<&'r Region>,
}

impl<'r> Instance<'r> {
    fn new(key: Cow<'r, str>) -> Self {
        Instance { key, boxes: Vec::new(), polygons: Vec::new(), keypoints: Vec::new() }
    }
}

impl CocoWriter {
    pub(crate) fn new(spec: Option<TaskSpec>) -> Self {
        CocoWriter { spec, derived: SpecBuilder::default(), all: CocoPart::default(), early: Early::default() }
    }

    /// Whether records can go through parts: only with a spec (without one it is derived from
    /// the records, in order, here).
    pub(crate) fn takes_parts(&self) -> bool {
        self.spec.is_some()
    }

    pub(crate) fn add(&mut self, record: &Record) {
        if self.spec.is_none() {
            self.derived.add(record);
        }
        self.all.add(record);
    }

    /// A part's records, after those added before (see [`CocoWriter::takes_parts`]).
    pub(crate) fn append(&mut self, part: CocoPart) {
        self.all.append(part);
    }

    /// The file's start up to the annotations appended so far, as far as their ids can be
    /// guessed (see [`Early`]), appended to `out`; after the bytes given before. Only with a
    /// spec, which decides the categories' order.
    pub(crate) fn write_early(&mut self, out: &mut Vec<u8>) {
        let (Some(spec), early, part) = (&self.spec, &mut self.early, &self.all) else { return };
        if early.stopped {
            return;
        }
        let spec_labels = early.spec_labels.get_or_insert_with(|| {
            let labels = spec_object_labels(spec).into_iter().zip(1..);
            labels.collect()
        });
        // Keypoints get slots from every name in the file: they are not guessed.
        if spec_keypoint_labels(spec).is_some() {
            early.stopped = true;
            return;
        }
        for name in &part.labels.names[early.category_of.len()..] {
            let guess = spec_labels.get(name).copied().unwrap_or_else(|| {
                early.others += 1;
                spec_labels.len() as u64 + early.others
            });
            early.category_of.push(guess);
        }
        for row in &part.annotations[early.rows..] {
            let image = part.images[row.image as usize].wanted;
            let (Some(image), None, true) = (image, row.wanted, row.keypoints.is_empty()) else {
                early.stopped = true;
                return;
            };
            if early.rows == 0 {
                out.extend_from_slice(b"{\"annotations\":[");
            } else {
                out.push(b',');
            }
            early.rows += 1;
            let ids = [early.category_of[row.label as usize], early.rows as u64, image];
            part.write_row(out, row, ids, None);
        }
    }
}

impl CocoPart {
    pub(crate) fn add(&mut self, record: &Record) {
        // Every region's label counts for the category list, written or not.
        for region in &record.regions {
            match &region.value {
                RegionValue::BBox { label, .. } | RegionValue::Polygon { label, .. } => {
                    self.labels.id(label);
                }
                RegionValue::Keypoint { label, .. } => {
                    self.keypoint_names.id(label);
                }
                _ => {}
            }
        }
        let item = &record.item.id;
        let Media::Image { src, width, height } = &record.item.media else {
            self.diagnostics.skip(&format!("{} item", media_name(&record.item.media)), "COCO holds images only", item);
            return;
        };
        if record.score.is_some() {
            self.diagnostics.skip("record score", "COCO scores annotations, not whole images: dropped", item);
        }
        let image = match self.image_of.get(item) {
            Some(&at) => {
                self.diagnostics.skip("annotator", MERGED, item);
                at
            }
            None => {
                let wanted = wanted_id(item);
                let image = Image { item: item.clone(), wanted, src: src.clone(), width: *width, height: *height };
                self.images.push(image);
                self.image_of.insert(item.clone(), self.images.len() - 1);
                self.images.len() - 1
            }
        };
        if self.texts.is_empty() {
            self.texts.push(Vec::new());
        }
        for instance in self.instances(record) {
            self.row(&instance, image, item);
        }
    }

    /// `other`'s images and annotations after this part's: its labels, keypoint names and
    /// images renumbered into this part's, in its order of first appearance.
    fn append(&mut self, other: CocoPart) {
        let label_of: Vec<u32> = other.labels.names.iter().map(|name| self.labels.id(name)).collect();
        let name_of: Vec<u32> = other.keypoint_names.names.iter().map(|name| self.keypoint_names.id(name)).collect();
        let image_of: Vec<u32> = other
            .images
            .into_iter()
            .map(|image| match self.image_of.get(&image.item) {
                Some(&at) => {
                    self.diagnostics.skip("annotator", MERGED, &image.item);
                    to_u32(at)
                }
                None => {
                    self.image_of.insert(image.item.clone(), self.images.len());
                    self.images.push(image);
                    to_u32(self.images.len() - 1)
                }
            })
            .collect();
        let (chunks, keypoints) = (self.texts.len(), self.keypoints.len());
        self.texts.extend(other.texts);
        self.keypoints.extend(other.keypoints.into_iter().map(|k| Keypoint { name: name_of[k.name as usize], ..k }));
        self.annotations.extend(other.annotations.into_iter().map(|row| Row {
            image: image_of[row.image as usize],
            label: label_of[row.label as usize],
            keypoints: row.keypoints.start + keypoints..row.keypoints.end + keypoints,
            chunk: row.chunk + chunks,
            ..row
        }));
        for (label, ids) in other.category_attributes {
            self.category_attributes.entry(label_of[label as usize]).or_default().extend(ids);
        }
        self.diagnostics.merge(other.diagnostics);
    }

    /// A record's regions grouped into annotations, in order of their first region; a second
    /// box of one group is an annotation of its own, after them all (its id is not a number
    /// given, so it gets a new one).
    fn instances<'r>(&mut self, record: &'r Record) -> Vec<Instance<'r>> {
        let item = &record.item.id;
        let regions = record.regions.len();
        let mut instances: Vec<Instance<'r>> = Vec::with_capacity(regions);
        let mut at_key: FastMap<&'r str, usize> = FastMap::with_capacity_and_hasher(regions, Default::default());
        // The first region of each id, as a keypoint's `parent` names it.
        let mut by_id: FastMap<&str, &Region> = FastMap::with_capacity_and_hasher(regions, Default::default());
        for region in &record.regions {
            by_id.entry(region.id.as_str()).or_insert(region);
        }
        for region in &record.regions {
            if !geometry_is_finite(&region.value) {
                self.diagnostics.skip(
                    "non-finite coordinate",
                    "a coordinate is NaN or infinite: region not written",
                    item,
                );
                continue;
            }
            if !matches!(
                region.value,
                RegionValue::BBox { .. } | RegionValue::Polygon { .. } | RegionValue::Keypoint { .. }
            ) {
                self.diagnostics.skip(region.value.type_name(), "COCO has no place for this region type", item);
                continue;
            }
            let key = instance_key(region, &by_id);
            let at = *at_key.entry(key).or_insert_with(|| {
                instances.push(Instance::new(Cow::Borrowed(key)));
                instances.len() - 1
            });
            let instance = &mut instances[at];
            match region.value {
                RegionValue::BBox { .. } => instance.boxes.push(region),
                RegionValue::Polygon { .. } => instance.polygons.push(region),
                _ => instance.keypoints.push(region),
            }
        }
        let mut extra = Vec::new();
        for instance in &mut instances {
            while instance.boxes.len() > 1 {
                let region = instance.boxes.remove(1);
                let mut own = Instance::new(Cow::Owned(format!("{} {}", instance.key, region.id)));
                own.boxes.push(region);
                extra.push(own);
            }
        }
        instances.extend(extra);
        instances
    }

    /// Files one annotation; reported and dropped when it has no box or polygon to give it a
    /// category.
    fn row(&mut self, instance: &Instance<'_>, image: usize, item: &str) {
        let Some(head) = instance.boxes.first().or(instance.polygons.first()) else {
            for _ in &instance.keypoints {
                self.diagnostics.skip("keypoint", "no box or polygon of its instance gives it a category", item);
            }
            return;
        };
        let label = head.value.first_label().unwrap_or_default();
        if instance.boxes.iter().chain(&instance.polygons).any(|r| r.value.first_label() != Some(label)) {
            self.diagnostics.skip(
                "instance label",
                "regions of one instance differ in label: the box's is written",
                item,
            );
        }
        let label = self.labels.id(label);
        for region in instance.boxes.iter().chain(&instance.polygons) {
            if let (Some(name), Some(id)) =
                (region.value.first_label(), region.attributes.get("category_id").and_then(|id| id.parse::<u64>().ok()))
            {
                let at = self.labels.id(name);
                self.category_attributes.entry(at).or_default().insert(id);
            }
        }
        let first_keypoint = self.keypoints.len();
        self.keypoint_rows(instance, item);
        let keypoints = first_keypoint..self.keypoints.len();
        let chunk = self.texts.len() - 1;
        let text = &mut self.texts[chunk];
        let start = text.len();
        let [after_bbox, after_crowd] = write_fragments(text, instance, item, &mut self.diagnostics);
        self.annotations.push(Row {
            image: to_u32(image),
            wanted: wanted_id(&instance.key),
            label,
            keypoints,
            chunk,
            start,
            after_bbox,
            after_crowd,
            end: text.len(),
        });
    }

    /// One annotation's JSON with its `[category, id, image]` ids and, when there are slots,
    /// its keypoints in them (`(slots, slot of each interned name)`).
    fn write_row(
        &self,
        out: &mut Vec<u8>,
        row: &Row,
        [category, id, image]: [u64; 3],
        slots: Option<(usize, &[usize])>,
    ) {
        let text = &self.texts[row.chunk];
        out.extend_from_slice(&text[row.start..row.after_bbox]);
        out.extend_from_slice(b"\"category_id\":");
        write_integer(out, category);
        out.extend_from_slice(b",\"id\":");
        write_integer(out, id);
        out.extend_from_slice(b",\"image_id\":");
        write_integer(out, image);
        out.push(b',');
        out.extend_from_slice(&text[row.after_bbox..row.after_crowd]);
        if let Some((slots, slot_of)) = slots {
            write_keypoints(out, slots, slot_of, &self.keypoints[row.keypoints.clone()]);
        }
        out.extend_from_slice(&text[row.after_crowd..row.end]);
    }

    /// The instance's keypoints: one per name (a second is reported), with its visibility.
    fn keypoint_rows(&mut self, instance: &Instance<'_>, item: &str) {
        let first = self.keypoints.len();
        for region in &instance.keypoints {
            let RegionValue::Keypoint { x, y, label } = &region.value else { continue };
            let name = self.keypoint_names.id(label);
            if self.keypoints[first..].iter().any(|k| k.name == name) {
                self.diagnostics.skip("keypoint", "a second keypoint of one name in one instance: not written", item);
                continue;
            }
            let visibility = match region.attributes.get("visibility").map(String::as_str) {
                Some("1") => 1,
                None | Some("2") => 2,
                Some(_) => {
                    self.diagnostics.skip("visibility", "not 1 or 2: written as 2 (visible)", item);
                    2
                }
            };
            self.keypoints.push(Keypoint { name, x: *x, y: *y, visibility });
        }
    }
}

/// What is reported of a second record of one image.
const MERGED: &str = "COCO has one set of annotations per image: several records' annotations merged into one image";

impl CocoWriter {
    pub(crate) fn finish(mut self) -> Result<Written, InputError> {
        // Whatever was written early, the whole file is made here.
        self.early = Early::default();
        let (file, diagnostics) = self.finish_numbered();
        let mut bytes = Vec::new();
        // One piece, into memory: nothing can fail.
        let _ = file.write_pieces(usize::MAX, &mut |piece| {
            bytes = piece;
            Ok(Vec::new())
        });
        Ok(Written { files: vec![OutputFile { path: String::new(), bytes }], diagnostics })
    }

    /// Everything numbered and reported, the bytes not made yet: [`CocoFile::write_pieces`]
    /// makes them a piece at a time, so the file is never held whole.
    pub(crate) fn finish_numbered(self) -> (CocoFile, Diagnostics) {
        let spec = match self.spec {
            Some(spec) => spec,
            None => self.derived.finish(),
        };
        let (mut file, diagnostics) = self.all.numbered(&spec);
        if self.early.rows > 0 {
            match file.guessed(&self.early) {
                true => file.written_early = self.early.rows,
                false => file.restarts = true,
            }
        }
        (file, diagnostics)
    }
}

/// A COCO file with its categories, keypoint slots and ids decided, made into bytes by
/// [`CocoFile::write_pieces`].
pub(crate) struct CocoFile {
    part: CocoPart,
    labels: Vec<String>,
    category_ids: Vec<u64>,
    /// Each interned label's category id.
    category_of: Vec<u64>,
    /// The keypoint names in slot order, and each interned name's slot.
    slots: Option<(Vec<String>, Vec<usize>)>,
    image_ids: Vec<u64>,
    annotation_ids: Vec<u64>,
    /// Annotations written early, their guessed ids right: the file goes on after them.
    written_early: usize,
    /// Annotations were written early on a wrong guess: the file starts again.
    restarts: bool,
}

impl CocoPart {
    fn numbered(mut self, spec: &TaskSpec) -> (CocoFile, Diagnostics) {
        let labels = self.final_labels(spec);
        let slots = self.final_keypoint_names(spec);
        let category_ids = self.category_ids(&labels);
        let mut category_of = vec![0u64; self.labels.names.len()];
        for (name, id) in labels.iter().zip(&category_ids) {
            if let Some(&at) = self.labels.index.get(name) {
                category_of[at as usize] = *id;
            }
        }
        let slots = slots.map(|names| {
            let mut slot_of = vec![0; self.keypoint_names.names.len()];
            for (slot, name) in names.iter().enumerate().rev() {
                if let Some(&at) = self.keypoint_names.index.get(name) {
                    slot_of[at as usize] = slot;
                }
            }
            (names, slot_of)
        });
        let image_ids = numbered(self.images.iter().map(|i| i.wanted));
        let annotation_ids = numbered(self.annotations.iter().map(|a| a.wanted));
        let diagnostics = std::mem::take(&mut self.diagnostics);
        let file = CocoFile {
            part: self,
            labels,
            category_ids,
            category_of,
            slots,
            image_ids,
            annotation_ids,
            written_early: 0,
            restarts: false,
        };
        (file, diagnostics)
    }
}

impl CocoFile {
    /// The file's bytes in pieces of at least `piece` bytes (the last may be shorter), each
    /// handed to `sink`, which gives back an empty buffer for the next.
    pub(crate) fn write_pieces(
        &self,
        piece: usize,
        sink: &mut dyn FnMut(Vec<u8>) -> io::Result<Vec<u8>>,
    ) -> io::Result<()> {
        let part = &self.part;
        let text_bytes: usize = part.texts.iter().map(Vec::len).sum();
        let whole = text_bytes + 64 * part.annotations.len() + 96 * part.images.len();
        let mut out = Vec::with_capacity(whole.min(piece.saturating_add(1 << 16)));
        if self.written_early == 0 {
            out.extend_from_slice(b"{\"annotations\":[");
        }
        let rows = part.annotations.iter().zip(&self.annotation_ids).enumerate().skip(self.written_early);
        for (at, (row, &id)) in rows {
            if out.len() >= piece {
                out = sink(out)?;
                out.clear();
            }
            if at > 0 {
                out.push(b',');
            }
            let ids = [self.category_of[row.label as usize], id, self.image_ids[row.image as usize]];
            let slots = self.slots.as_ref().map(|(names, slot_of)| (names.len(), slot_of.as_slice()));
            part.write_row(&mut out, row, ids, slots);
        }
        self.write_categories(&mut out);
        out.extend_from_slice(b"],\"images\":[");
        for (at, (image, id)) in part.images.iter().zip(&self.image_ids).enumerate() {
            if out.len() >= piece {
                out = sink(out)?;
                out.clear();
            }
            if at > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"file_name\":");
            json_into(&mut out, &image.src);
            let _ = write!(out, ",\"height\":{},\"id\":{id},\"width\":{}}}", image.height, image.width);
        }
        out.extend_from_slice(b"],\"info\":{},\"licenses\":[]}\n");
        sink(out).map(drop)
    }

    /// Whether the bytes written early ([`CocoWriter::write_early`]) are not this file's start:
    /// then [`CocoFile::write_pieces`] makes the file from its start, and they are dropped.
    pub(crate) fn restarts(&self) -> bool {
        self.restarts
    }

    /// Whether the ids [`Early`] guessed for the annotations written early are these.
    fn guessed(&self, early: &Early) -> bool {
        let rows = &self.part.annotations[..early.rows];
        self.slots.is_none()
            && self.annotation_ids[..early.rows].iter().zip(1..).all(|(&id, n)| id == n)
            && rows.iter().all(|row| {
                let image = row.image as usize;
                let label = row.label as usize;
                Some(self.image_ids[image]) == self.part.images[image].wanted
                    && self.category_of[label] == early.category_of[label]
            })
    }

    /// `],"categories":[…` (the list left open).
    fn write_categories(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"],\"categories\":[");
        for (at, (name, id)) in self.labels.iter().zip(&self.category_ids).enumerate() {
            if at > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{{\"id\":{id},");
            if let Some((names, _)) = &self.slots {
                out.extend_from_slice(b"\"keypoints\":");
                json_into(out, names);
                out.push(b',');
            }
            out.extend_from_slice(b"\"name\":");
            json_into(out, name);
            if self.slots.is_some() {
                out.extend_from_slice(b",\"skeleton\":[]");
            }
            out.extend_from_slice(b",\"supercategory\":\"\"}");
        }
    }
}

impl CocoPart {
    /// The categories in order: the spec's box and polygon labels, then those it lacks in
    /// order of first appearance (reported).
    fn final_labels(&mut self, spec: &TaskSpec) -> Vec<String> {
        let reason = |label: &str| format!("`{label}` is not a label of the spec: written as a category");
        let (labels, _) =
            with_unseen(spec_object_labels(spec), &self.labels.names, "label", reason, &mut self.diagnostics);
        labels
    }

    /// The keypoint slots: the spec's first keypoint control's labels, then names it lacks
    /// (reported); `None` when there are neither.
    fn final_keypoint_names(&mut self, spec: &TaskSpec) -> Option<Vec<String>> {
        let known = spec_keypoint_labels(spec);
        let has_control = known.is_some();
        let reason = |name: &str| format!("`{name}` is not a keypoint label of the spec: added");
        let (names, added) = with_unseen(
            known.unwrap_or_default(),
            &self.keypoint_names.names,
            "keypoint label",
            reason,
            &mut self.diagnostics,
        );
        (has_control || added).then_some(names)
    }

    /// Category ids: each label's `category_id` attribute where its boxes and polygons agree on
    /// one, otherwise numbered (see [`assign_category_ids`]).
    fn category_ids(&mut self, labels: &[String]) -> Vec<u64> {
        let seen: BTreeMap<&str, &BTreeSet<u64>> =
            self.category_attributes.iter().map(|(at, ids)| (self.labels.names[*at as usize].as_str(), ids)).collect();
        let is_label: HashSet<&str> = labels.iter().map(String::as_str).collect();
        let mut owners: BTreeMap<u64, usize> = BTreeMap::new();
        for ids in seen.values() {
            for id in *ids {
                *owners.entry(*id).or_default() += 1;
            }
        }
        let mut known: BTreeMap<String, u64> = BTreeMap::new();
        for (label, ids) in seen {
            let only = ids.iter().next().copied().filter(|id| ids.len() == 1 && owners.get(id) == Some(&1));
            match only {
                Some(id) if is_label.contains(label) => {
                    known.insert(label.to_owned(), id);
                }
                _ => self.diagnostics.skip(
                    "category_id",
                    &format!("label `{label}` has no single category_id of its own: numbered anew"),
                    "",
                ),
            }
        }
        assign_category_ids(labels, &known)
    }
}

/// `known`, then the names of `seen` it lacks in their order, each reported as `kind`; and
/// whether any was added.
fn with_unseen(
    mut known: Vec<String>,
    seen: &[String],
    kind: &str,
    reason: impl Fn(&str) -> String,
    diagnostics: &mut Diagnostics,
) -> (Vec<String>, bool) {
    let given: HashSet<String> = known.iter().cloned().collect();
    let before = known.len();
    for name in seen.iter().filter(|name| !given.contains(*name)) {
        diagnostics.skip(kind, &reason(name), "");
        known.push(name.clone());
    }
    let added = known.len() > before;
    (known, added)
}

fn to_u32(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// The COCO id a key asks for: itself when it is a number written plainly (digits only, no
/// leading zero: as the number prints).
fn wanted_id(key: &str) -> Option<u64> {
    let plain = key.bytes().all(|b| b.is_ascii_digit()) && (key == "0" || !key.starts_with('0'));
    if plain {
        key.parse().ok()
    } else {
        None
    }
}

/// Writes `value` as JSON (strings escaped as serde_json escapes them).
fn json_into(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    // Writing strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Which annotation a region belongs to: a keypoint to its parent's, a polygon to its
/// `instance`, anything else to itself (a box's id is its annotation's id).
fn instance_key<'r>(region: &'r Region, by_id: &FastMap<&str, &'r Region>) -> &'r str {
    if let RegionValue::Keypoint { .. } = region.value {
        let parent = region.attributes.get("parent").and_then(|p| by_id.get(p.as_str()));
        if let Some(parent) = parent.filter(|p| !matches!(p.value, RegionValue::Keypoint { .. })) {
            return instance_key(parent, by_id);
        }
    }
    region.attributes.get("instance").unwrap_or(&region.id)
}

/// COCO ids in order: a wanted id (a key that is a number, [`wanted_id`]) no earlier one took
/// is kept; the others get the smallest numbers nobody takes.
fn numbered(wanted: impl Iterator<Item = Option<u64>>) -> Vec<u64> {
    let wanted: Vec<Option<u64>> = wanted.collect();
    // Only kept ids go into the set: the new ones rise, so none is handed out twice.
    let mut taken: FastSet<u64> = FastSet::default();
    let mut keeps = vec![false; wanted.len()];
    for (keep, id) in keeps.iter_mut().zip(&wanted) {
        if let Some(id) = id {
            *keep = taken.insert(*id);
        }
    }
    let mut next = 1u64;
    wanted
        .iter()
        .zip(keeps)
        .map(|(id, keep)| match id {
            Some(id) if keep => *id,
            _ => {
                while taken.contains(&next) {
                    next += 1;
                }
                next += 1;
                next - 1
            }
        })
        .collect()
}

/// An annotation's JSON but its ids and keypoints (see [`Row`]), appended to `out`; returns
/// where the ids and where the keypoints are due.
fn write_fragments(
    out: &mut Vec<u8>,
    instance: &Instance<'_>,
    item: &str,
    diagnostics: &mut Diagnostics,
) -> [usize; 2] {
    let mut polygons: Vec<&[[f64; 2]]> = instance
        .polygons
        .iter()
        .filter_map(|r| match &r.value {
            RegionValue::Polygon { points, .. } => Some(points.as_slice()),
            _ => None,
        })
        .collect();
    let corners;
    let bbox = match instance.boxes.first().map(|r| &r.value) {
        Some(&RegionValue::BBox { x, y, width, height, rotation, .. }) => {
            let geometry = BoxGeometry { x, y, width, height, rotation };
            if box_is_rotated(&geometry) {
                diagnostics.skip(
                    "rotated b_box",
                    "COCO boxes do not turn: written as their axis-aligned bounds (with the box's corners as \
                     the segmentation when the instance has no polygon)",
                    item,
                );
                if polygons.is_empty() {
                    corners = box_corners(&geometry);
                    polygons.push(&corners[..]);
                }
            }
            box_bounds(&geometry)
        }
        _ => points_bounds(polygons.iter().copied().flatten()),
    };
    let area =
        if polygons.is_empty() { bbox.width * bbox.height } else { polygons.iter().map(|p| polygon_area(p)).sum() };
    let regions = || instance.boxes.iter().chain(&instance.polygons);
    out.extend_from_slice(b"{\"area\":");
    write_number(out, area);
    let custom: Map<String, Value> = regions()
        .flat_map(|r| &r.attributes)
        .filter(|(name, _)| !STRUCTURAL_ATTRIBUTES.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), typed(value)))
        .collect();
    if !custom.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        json_into(out, &custom);
    }
    out.extend_from_slice(b",\"bbox\":[");
    for (at, value) in [bbox.x, bbox.y, bbox.width, bbox.height].into_iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        write_number(out, value);
    }
    out.extend_from_slice(b"],");
    let after_bbox = out.len();
    let crowd = regions().any(|r| r.attributes.get("iscrowd").is_some_and(|v| v == "1" || v == "true"));
    out.extend_from_slice(if crowd { b"\"iscrowd\":1," } else { b"\"iscrowd\":0," });
    let after_crowd = out.len();
    if let Some(score) = regions().find_map(|r| r.attributes.get("score")?.parse::<f64>().ok()) {
        out.extend_from_slice(b"\"score\":");
        write_number(out, score);
        out.push(b',');
    }
    out.extend_from_slice(b"\"segmentation\":[");
    for (at, polygon) in polygons.iter().enumerate() {
        out.extend_from_slice(if at > 0 { b",[" } else { b"[" });
        for (i, value) in polygon.iter().flatten().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_number(out, *value);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
    [after_bbox, after_crowd]
}

/// `"keypoints":[x,y,v,…],"num_keypoints":n,` over `slots` slots (0, 0, 0 where the instance
/// has no keypoint of that name).
fn write_keypoints(out: &mut Vec<u8>, slots: usize, slot_of: &[usize], keypoints: &[Keypoint]) {
    let mut filled: Vec<Option<&Keypoint>> = vec![None; slots];
    for keypoint in keypoints {
        if let Some(slot) = slot_of.get(keypoint.name as usize).and_then(|&s| filled.get_mut(s)) {
            *slot = Some(keypoint);
        }
    }
    out.extend_from_slice(b"\"keypoints\":[");
    for (at, slot) in filled.iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        match slot {
            Some(k) => {
                write_number(out, k.x);
                out.push(b',');
                write_number(out, k.y);
                let _ = write!(out, ",{}", k.visibility);
            }
            None => out.extend_from_slice(b"0,0,0"),
        }
    }
    let labelled = filled.iter().flatten().count();
    let _ = write!(out, "],\"num_keypoints\":{labelled},");
}

/// The axis-aligned bounds of some points (a box of zeros for none).
fn points_bounds<'p>(points: impl Iterator<Item = &'p [f64; 2]>) -> BoxGeometry {
    let mut bounds: Option<[f64; 4]> = None;
    for &[x, y] in points {
        let b = bounds.get_or_insert([x, y, x, y]);
        *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    let [x0, y0, x1, y1] = bounds.unwrap_or_default();
    BoxGeometry::new(x0, y0, x1 - x0, y1 - y0)
}

/// A whole number as its decimal digits.
fn write_integer(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn write_number(out: &mut Vec<u8>, value: f64) {
    // As `number` prints, without making a `Value`.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation)]
        json_into(out, &(value as i64));
    } else {
        json_into(out, &value);
    }
}

/// A JSON number, integral values without a fraction (`3651`, not `3651.0`), as COCO tools
/// write pixel values; a non-finite value (an area that overflowed) as null.
fn number(value: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is an exact f64
    if value.fract() == 0.0 && value.abs() < EXACT {
        // In range and integral, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        return json!(value as i64);
    }
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// A custom attribute's value as JSON: numbers and booleans typed back as COCO tools wrote
/// them (the reader turned them into text), anything else a string.
fn typed(value: &str) -> Value {
    if value == "true" || value == "false" {
        return Value::Bool(value == "true");
    }
    if let Ok(n) = value.parse::<i64>() {
        if n.to_string() == value {
            return json!(n);
        }
    }
    match value.parse::<f64>() {
        Ok(f) if f.is_finite() && f.to_string() == value => number(f),
        _ => Value::String(value.to_owned()),
    }
}

fn geometry_is_finite(value: &RegionValue) -> bool {
    match value {
        RegionValue::BBox { x, y, width, height, rotation, .. } => {
            [x, y, width, height, rotation].iter().all(|v| v.is_finite())
        }
        RegionValue::Polygon { points, .. } => points.iter().flatten().all(|v| v.is_finite()),
        RegionValue::Keypoint { x, y, .. } => x.is_finite() && y.is_finite(),
        _ => true,
    }
}
