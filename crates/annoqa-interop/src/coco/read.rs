//! COCO JSON to records: an instances (or person keypoints) object, or a results list.

use std::collections::{BTreeMap, HashMap, HashSet};

use annoqa_core::model::{Item, Media, Region, RegionValue, TaskSpec};
use serde_json::{Map, Value};

use super::{assign_category_ids, image_spec, BOX_CONTROL, KEYPOINT_CONTROL, POLYGON_CONTROL, STRUCTURAL_ATTRIBUTES};
use crate::diag::{Diagnostics, InputError};
use crate::record::{Converted, ReadOptions, Record, Source};

/// Keys the reader reads (or recomputes, like `area` and `num_keypoints`); any other key with
/// content is reported as dropped.
const FILE_KEYS: [&str; 3] = ["images", "annotations", "categories"];
const IMAGE_KEYS: [&str; 4] = ["id", "file_name", "width", "height"];
const CATEGORY_KEYS: [&str; 5] = ["id", "name", "supercategory", "keypoints", "skeleton"];
const ANNOTATION_KEYS: [&str; 11] = [
    "id",
    "image_id",
    "category_id",
    "bbox",
    "segmentation",
    "keypoints",
    "num_keypoints",
    "area",
    "iscrowd",
    "attributes",
    "score",
];

pub(super) fn read(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        InputError::new(opts.file_name, format!("line {} column {}", e.line(), e.column()), e.to_string())
    })?;
    let mut reader = Reader { opts, diagnostics: Diagnostics::default() };
    let (records, spec) = match &value {
        Value::Object(file) => reader.instances(file)?,
        Value::Array(entries) => reader.results(entries)?,
        _ => {
            return Err(
                reader.error("$", "expected a COCO object (images, annotations, categories) or a COCO results list")
            )
        }
    };
    Ok(Converted { records, spec: Some(spec), diagnostics: reader.diagnostics })
}

/// A category as the file defines it.
struct Category {
    id: u64,
    name: String,
    /// `Some` when the category has a `keypoints` list (empty in some files: then the keypoints
    /// are named by their 1-based slot).
    keypoint_names: Option<Vec<String>>,
}

impl Category {
    fn keypoint_name(&self, slot: usize) -> String {
        match self.keypoint_names.as_deref().and_then(|names| names.get(slot)) {
            Some(name) => name.clone(),
            None => (slot + 1).to_string(),
        }
    }
}

/// How an annotation names its category: by a category of the file, or (in a results list,
/// which has none) by its bare id.
enum CategoryRef<'a> {
    Defined(&'a Category),
    Bare(u64),
}

impl CategoryRef<'_> {
    fn label(&self) -> String {
        match self {
            CategoryRef::Defined(c) => c.name.clone(),
            CategoryRef::Bare(id) => id.to_string(),
        }
    }
    fn id(&self) -> u64 {
        match self {
            CategoryRef::Defined(c) => c.id,
            CategoryRef::Bare(id) => *id,
        }
    }
}

/// The annotation that keypoints belong to: its id, the region they hang from (its box, or its
/// first polygon) and its item.
struct Instance<'a> {
    id: &'a str,
    parent: Option<String>,
    item: &'a str,
}

struct Reader<'a> {
    opts: &'a ReadOptions<'a>,
    diagnostics: Diagnostics,
}

impl Reader<'_> {
    fn error(&self, path: &str, message: impl Into<String>) -> InputError {
        InputError::new(self.opts.file_name, path, message)
    }

    fn instances(&mut self, file: &Map<String, Value>) -> Result<(Vec<Record>, TaskSpec), InputError> {
        self.report_dropped_keys(file, &FILE_KEYS, "file field", "");
        let categories = self.categories(file)?;
        let images = array(file.get("images")).ok_or_else(|| self.error("$.images", "expected a list of images"))?;
        let mut records = Vec::with_capacity(images.len());
        let mut record_of = BTreeMap::new();
        for (index, image) in images.iter().enumerate() {
            let record = self.image(image, &format!("$.images[{index}]"))?;
            if record_of.insert(record.item.id.clone(), records.len()).is_some() {
                return Err(self.error(format!("$.images[{index}].id").as_str(), "duplicate image id"));
            }
            records.push(record);
        }
        let annotations = match file.get("annotations") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(list)) => list.as_slice(),
            Some(_) => return Err(self.error("$.annotations", "expected a list of annotations")),
        };
        let category_at: BTreeMap<u64, usize> = categories.iter().enumerate().map(|(at, c)| (c.id, at)).collect();
        let mut seen_ids = std::collections::BTreeSet::new();
        let mut used = BTreeMap::new();
        for (index, annotation) in annotations.iter().enumerate() {
            let path = format!("$.annotations[{index}]");
            let object = annotation.as_object().ok_or_else(|| self.error(&path, "expected an object"))?;
            let image = self.id_field(object, "image_id", &path)?;
            let Some(&at) = record_of.get(&image) else {
                return Err(self.error(&format!("{path}.image_id"), format!("no image has id {image}")));
            };
            let id = self.id_field(object, "id", &path)?;
            if !seen_ids.insert(id.clone()) {
                return Err(self.error(&format!("{path}.id"), format!("duplicate annotation id {id}")));
            }
            let category_id = self.category_id(object, &path)?;
            let category = category_at.get(&category_id).and_then(|&at| categories.get(at)).ok_or_else(|| {
                self.error(&format!("{path}.category_id"), format!("no category has id {category_id}"))
            })?;
            if !used.contains_key(&category.name) {
                used.insert(category.name.clone(), category.id);
            }
            let item = records[at].item.id.clone();
            let regions = self.annotation(object, &path, &id, &CategoryRef::Defined(category), &item)?;
            records[at].regions.extend(regions);
        }
        self.report_renumbered_categories(&categories, &used);
        let spec = self.instances_spec(&categories, annotations);
        Ok((records, spec))
    }

    fn categories(&mut self, file: &Map<String, Value>) -> Result<Vec<Category>, InputError> {
        let list =
            array(file.get("categories")).ok_or_else(|| self.error("$.categories", "expected a list of categories"))?;
        let mut categories: Vec<Category> = Vec::with_capacity(list.len());
        // Where each id and name was first seen, so a duplicate is found without a scan.
        let (mut by_id, mut by_name) = (HashMap::new(), HashMap::new());
        for (index, category) in list.iter().enumerate() {
            let path = format!("$.categories[{index}]");
            let object = category.as_object().ok_or_else(|| self.error(&path, "expected an object"))?;
            self.report_dropped_keys(object, &CATEGORY_KEYS, "category field", "");
            let id = self.category_id_value(object.get("id"), &format!("{path}.id"))?;
            let name = match object.get("name") {
                Some(Value::String(name)) => name.clone(),
                _ => return Err(self.error(&format!("{path}.name"), "expected a string")),
            };
            let earlier = by_id.get(&id).into_iter().chain(by_name.get(&name)).min();
            if let Some(other) = earlier.and_then(|&at: &usize| categories.get(at)) {
                let message = if other.id == id {
                    format!("duplicate category id {id}")
                } else {
                    format!("duplicate category name `{name}` (ids {} and {id}): labels must differ", other.id)
                };
                return Err(self.error(&path, message));
            }
            if object.get("supercategory").is_some_and(|v| !is_empty(v)) {
                self.diagnostics.skip("supercategory", "an annoqa spec has no supercategories: dropped", "");
            }
            if object.get("skeleton").is_some_and(|v| !is_empty(v)) {
                self.diagnostics.skip("skeleton", "an annoqa spec has no keypoint skeleton: dropped", "");
            }
            let keypoint_names = match object.get("keypoints") {
                None | Some(Value::Null) => None,
                Some(Value::Array(names)) => Some(
                    names
                        .iter()
                        .enumerate()
                        .map(|(k, n)| {
                            n.as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| self.error(&format!("{path}.keypoints[{k}]"), "expected a string"))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Some(_) => return Err(self.error(&format!("{path}.keypoints"), "expected a list of names")),
            };
            by_id.insert(id, categories.len());
            by_name.insert(name.clone(), categories.len());
            categories.push(Category { id, name, keypoint_names });
        }
        // Labels are the names in id order (the order COCO tools list them in).
        categories.sort_by_key(|c| c.id);
        Ok(categories)
    }

    fn image(&mut self, image: &Value, path: &str) -> Result<Record, InputError> {
        let object = image.as_object().ok_or_else(|| self.error(path, "expected an object"))?;
        let id = self.id_field(object, "id", path)?;
        self.report_dropped_keys(object, &IMAGE_KEYS, "image field", &id);
        let src = match object.get("file_name") {
            Some(Value::String(name)) => name.clone(),
            _ => return Err(self.error(&format!("{path}.file_name"), "expected a string")),
        };
        let width = self.size_field(object, "width", path)?;
        let height = self.size_field(object, "height", path)?;
        let (width, height) = match (width, height) {
            (Some(w), Some(h)) => (w, h),
            _ => self.fallback_size(&src, &id),
        };
        Ok(record(id, Media::Image { src, width, height }, Source::Annotation, "coco"))
    }

    /// An image's size from `--media-dir` or `--media-size` when the file lacks it.
    fn fallback_size(&mut self, src: &str, item: &str) -> (u32, u32) {
        if let Some(size) = self.opts.media.and_then(|tree| tree.image_size(src)).or(self.opts.media_size) {
            return size;
        }
        self.diagnostics.skip(
            "image size",
            "no width and height in the file, the media folder or --media-size: the item's size is 0×0",
            item,
        );
        (0, 0)
    }

    /// The regions of one annotation (or one results entry): its box, its polygons, its
    /// keypoints.
    fn annotation(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        id: &str,
        category: &CategoryRef<'_>,
        item: &str,
    ) -> Result<Vec<Region>, InputError> {
        self.report_dropped_keys(object, &ANNOTATION_KEYS, "annotation field", item);
        let attributes = self.shared_attributes(object, path, category, item)?;
        let label = category.label();
        let mut regions = Vec::new();
        if let Some(bbox) = object.get("bbox").filter(|v| !v.is_null()) {
            let [x, y, width, height] = self.numbers::<4>(bbox, &format!("{path}.bbox"))?;
            let value = RegionValue::BBox { x, y, width, height, rotation: 0.0, label: label.clone() };
            regions.push(Region {
                id: id.to_owned(),
                control: BOX_CONTROL.to_owned(),
                value,
                attributes: attributes.clone(),
            });
        }
        self.polygons(object, path, id, &label, &attributes, item, &mut regions)?;
        if let Some(keypoints) = object.get("keypoints").filter(|v| !v.is_null()) {
            let parent = regions.first().map(|r| r.id.clone());
            let instance = Instance { id, parent, item };
            self.keypoints(keypoints, &format!("{path}.keypoints"), &instance, category, &mut regions)?;
        }
        Ok(regions)
    }

    /// `category_id`, `iscrowd`, `score` and custom `attributes`: what every box and polygon of
    /// the annotation carries.
    fn shared_attributes(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        category: &CategoryRef<'_>,
        item: &str,
    ) -> Result<BTreeMap<String, String>, InputError> {
        let mut attributes = BTreeMap::new();
        attributes.insert("category_id".to_owned(), category.id().to_string());
        if self.is_crowd(object.get("iscrowd"), item) {
            attributes.insert("iscrowd".to_owned(), "1".to_owned());
        }
        match object.get("score") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                let score = n.as_f64().ok_or_else(|| self.error(&format!("{path}.score"), "expected a number"))?;
                attributes.insert("score".to_owned(), score.to_string());
            }
            Some(_) => return Err(self.error(&format!("{path}.score"), "expected a number")),
        }
        match object.get("attributes") {
            None | Some(Value::Null) => {}
            Some(Value::Object(custom)) => {
                for (name, value) in custom {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            self.diagnostics.skip("attribute", "not a string, number or boolean: dropped", item);
                            continue;
                        }
                    };
                    if STRUCTURAL_ATTRIBUTES.contains(&name.as_str()) {
                        self.diagnostics.skip(
                            "attribute",
                            "a custom attribute named as one annoqa uses: dropped",
                            item,
                        );
                        continue;
                    }
                    attributes.insert(name.clone(), text);
                }
            }
            Some(_) => return Err(self.error(&format!("{path}.attributes"), "expected an object")),
        }
        Ok(attributes)
    }

    /// `iscrowd` as 0/1, "0"/"1", true/false or "true"/"false" (COCO-Annotator writes the
    /// string "false", which a naive truthiness test takes for a crowd; SOURCES.md ambiguity 17).
    fn is_crowd(&mut self, value: Option<&Value>, item: &str) -> bool {
        match value {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) if n.as_f64() == Some(0.0) => false,
            Some(Value::Number(n)) if n.as_f64() == Some(1.0) => true,
            Some(Value::String(s)) if s == "0" || s == "false" => false,
            Some(Value::String(s)) if s == "1" || s == "true" => true,
            Some(_) => {
                self.diagnostics.skip("iscrowd", "not 0, 1, true or false: read as 0", item);
                false
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn polygons(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        id: &str,
        label: &str,
        attributes: &BTreeMap<String, String>,
        item: &str,
        regions: &mut Vec<Region>,
    ) -> Result<(), InputError> {
        let list = match object.get("segmentation") {
            None | Some(Value::Null) => return Ok(()),
            Some(Value::Array(list)) => list,
            Some(Value::Object(mask)) if mask.contains_key("counts") => {
                self.diagnostics.skip(
                    "rle mask",
                    "COCO RLE masks (compressed or not) have no annoqa region type: the mask is dropped, the \
                     annotation's bbox kept as given",
                    item,
                );
                return Ok(());
            }
            Some(_) => {
                return Err(self.error(&format!("{path}.segmentation"), "expected a list of polygons or an RLE mask"))
            }
        };
        let mut attributes = attributes.clone();
        attributes.insert("instance".to_owned(), id.to_owned());
        for (k, polygon) in list.iter().enumerate() {
            let at = format!("{path}.segmentation[{k}]");
            let coordinates = array(Some(polygon)).ok_or_else(|| self.error(&at, "expected a flat list of x, y"))?;
            if coordinates.len() % 2 != 0 {
                return Err(self.error(&at, format!("{} numbers: expected pairs of x, y", coordinates.len())));
            }
            let mut points = Vec::with_capacity(coordinates.len() / 2);
            for (j, pair) in coordinates.chunks_exact(2).enumerate() {
                let x = self.number(&pair[0], &format!("{at}[{}]", 2 * j))?;
                let y = self.number(&pair[1], &format!("{at}[{}]", 2 * j + 1))?;
                points.push([x, y]);
            }
            if points.len() < 3 {
                self.diagnostics.skip("polygon", "fewer than 3 points: not a polygon", item);
                continue;
            }
            let value = RegionValue::Polygon { points, label: label.to_owned() };
            let id = format!("{id}-polygon-{}", k + 1);
            regions.push(Region { id, control: POLYGON_CONTROL.to_owned(), value, attributes: attributes.clone() });
        }
        Ok(())
    }

    /// Keypoint triples `x, y, v`: v = 0 is "not labelled" (no region), 1 labelled but not
    /// visible, 2 visible.
    fn keypoints(
        &mut self,
        keypoints: &Value,
        path: &str,
        instance: &Instance<'_>,
        category: &CategoryRef<'_>,
        regions: &mut Vec<Region>,
    ) -> Result<(), InputError> {
        let list = array(Some(keypoints)).ok_or_else(|| self.error(path, "expected a flat list of x, y, v"))?;
        if list.len() % 3 != 0 {
            return Err(self.error(path, format!("{} numbers: expected triples of x, y, v", list.len())));
        }
        let slots = list.len() / 3;
        if let CategoryRef::Defined(c) = category {
            if let Some(names) = c.keypoint_names.as_deref().filter(|n| !n.is_empty()) {
                if names.len() != slots {
                    let message = format!("{slots} keypoints but category `{}` names {}", c.name, names.len());
                    return Err(self.error(path, message));
                }
            }
        }
        let (id, item) = (instance.id, instance.item);
        let mut attributes = BTreeMap::new();
        match &instance.parent {
            Some(parent) => attributes.insert("parent".to_owned(), parent.clone()),
            None => attributes.insert("instance".to_owned(), id.to_owned()),
        };
        for (slot, triple) in list.chunks_exact(3).enumerate() {
            let x = self.number(&triple[0], &format!("{path}[{}]", 3 * slot))?;
            let y = self.number(&triple[1], &format!("{path}[{}]", 3 * slot + 1))?;
            let v = self.number(&triple[2], &format!("{path}[{}]", 3 * slot + 2))?;
            let visibility = if v == 0.0 {
                continue;
            } else if v == 1.0 {
                "1"
            } else if v == 2.0 {
                "2"
            } else {
                self.diagnostics.skip("keypoint", "visibility not 0, 1 or 2: keypoint left out", item);
                continue;
            };
            let mut attributes = attributes.clone();
            attributes.insert("visibility".to_owned(), visibility.to_owned());
            let label = match category {
                CategoryRef::Defined(c) => c.keypoint_name(slot),
                CategoryRef::Bare(_) => (slot + 1).to_string(),
            };
            let value = RegionValue::Keypoint { x, y, label };
            let id = format!("{id}-keypoint-{}", slot + 1);
            regions.push(Region { id, control: KEYPOINT_CONTROL.to_owned(), value, attributes });
        }
        Ok(())
    }

    /// The spec: categories as labels in id order; a keypoint control when a category lists
    /// keypoints or an annotation has them, its labels the union of the categories' names
    /// (numbered `1`, `2`, … where a category's list is empty).
    fn instances_spec(&mut self, categories: &[Category], annotations: &[Value]) -> TaskSpec {
        let labels: Vec<String> = categories.iter().map(|c| c.name.clone()).collect();
        let mut slots: BTreeMap<u64, usize> = BTreeMap::new();
        for annotation in annotations {
            if let (Some(category), Some(Value::Array(list))) =
                (annotation.get("category_id").and_then(Value::as_u64), annotation.get("keypoints"))
            {
                let count = slots.entry(category).or_default();
                *count = (*count).max(list.len() / 3);
            }
        }
        let keypoint_categories: Vec<(&Category, Vec<String>)> = categories
            .iter()
            .filter(|c| c.keypoint_names.is_some() || slots.contains_key(&c.id))
            .map(|c| {
                let count = c.keypoint_names.as_ref().map_or(0, Vec::len).max(slots.get(&c.id).copied().unwrap_or(0));
                (c, (0..count).map(|slot| c.keypoint_name(slot)).collect())
            })
            .collect();
        if keypoint_categories.is_empty() {
            return image_spec(&labels, None);
        }
        let mut union: Vec<String> = Vec::new();
        let mut in_union: HashSet<&str> = HashSet::new();
        for (_, names) in &keypoint_categories {
            for name in names {
                if in_union.insert(name) {
                    union.push(name.clone());
                }
            }
        }
        for (category, names) in &keypoint_categories {
            if *names != union {
                let reason = format!(
                    "category `{}` names other keypoints than the union of all categories' (one keypoint control): a \
                     coco write lists the union for every category",
                    category.name
                );
                self.diagnostics.skip("keypoint names", &reason, "");
            }
        }
        image_spec(&labels, Some(&union))
    }

    /// A category no annotation uses keeps its name and place but not its id (a spec has no
    /// field for it, a box's `category_id` attribute keeps the others): reports those a write
    /// would number differently.
    fn report_renumbered_categories(&mut self, categories: &[Category], used: &BTreeMap<String, u64>) {
        let labels: Vec<String> = categories.iter().map(|c| c.name.clone()).collect();
        let written = assign_category_ids(&labels, used);
        for (category, id) in categories.iter().zip(written) {
            if category.id != id {
                let reason = format!(
                    "category `{}` (id {}) is used by no annotation and a spec keeps no ids: a coco write numbers it {id}",
                    category.name, category.id
                );
                self.diagnostics.skip("category id", &reason, "");
            }
        }
    }

    /// A results list: `[{image_id, category_id, bbox, score}, …]`, as detectors write for
    /// cocoapi's `loadRes`. It has no images (sizes from `--media-size`) and no categories (labels
    /// are the category ids).
    fn results(&mut self, entries: &[Value]) -> Result<(Vec<Record>, TaskSpec), InputError> {
        let mut records: Vec<Record> = Vec::new();
        let mut record_of = BTreeMap::new();
        let mut category_ids = std::collections::BTreeSet::new();
        let mut seen_ids = std::collections::BTreeSet::new();
        for (index, entry) in entries.iter().enumerate() {
            let path = format!("$[{index}]");
            let object = entry.as_object().ok_or_else(|| self.error(&path, "expected an object"))?;
            let image = self.id_field(object, "image_id", &path)?;
            let at = match record_of.get(&image) {
                Some(&at) => at,
                None => {
                    let media = self.results_media(&image);
                    record_of.insert(image.clone(), records.len());
                    records.push(record(image.clone(), media, Source::Prediction, "prediction"));
                    records.len() - 1
                }
            };
            let id = match object.get("id") {
                None | Some(Value::Null) => format!("shape-{}", index + 1),
                Some(_) => self.id_field(object, "id", &path)?,
            };
            if !seen_ids.insert((image.clone(), id.clone())) {
                return Err(self.error(&format!("{path}.id"), format!("duplicate id {id} in image {image}")));
            }
            let category_id = self.category_id(object, &path)?;
            category_ids.insert(category_id);
            self.diagnostics.skip(
                "category name",
                "a COCO results list has no categories: the label is the id",
                &image,
            );
            let regions = self.annotation(object, &path, &id, &CategoryRef::Bare(category_id), &image)?;
            records[at].regions.extend(regions);
        }
        let labels: Vec<String> = category_ids.iter().map(u64::to_string).collect();
        let slots =
            entries.iter().filter_map(|e| e.get("keypoints").and_then(Value::as_array)).map(|l| l.len() / 3).max();
        let keypoint_names: Option<Vec<String>> = slots.map(|n| (1..=n).map(|k| k.to_string()).collect());
        Ok((records, image_spec(&labels, keypoint_names.as_deref())))
    }

    fn results_media(&mut self, image: &str) -> Media {
        let (width, height) = match self.opts.media_size {
            Some(size) => size,
            None => {
                self.diagnostics.skip(
                    "image size",
                    "a COCO results list has no image sizes: the item's size is 0×0 (give --media-size)",
                    image,
                );
                (0, 0)
            }
        };
        Media::Image { src: String::new(), width, height }
    }

    /// Reports every key outside `known` whose value has content (empty strings, zeros, false,
    /// nulls and empty lists carry nothing to lose).
    fn report_dropped_keys(&mut self, object: &Map<String, Value>, known: &[&str], what: &str, item: &str) {
        for (key, value) in object {
            if !known.contains(&key.as_str()) && !is_empty(value) {
                self.diagnostics.skip(&format!("{what} `{key}`"), "annoqa has no place for it: dropped", item);
            }
        }
    }

    fn id_field(&self, object: &Map<String, Value>, key: &str, path: &str) -> Result<String, InputError> {
        match object.get(key) {
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(self.error(&format!("{path}.{key}"), "expected an integer id")),
        }
    }

    fn category_id(&self, object: &Map<String, Value>, path: &str) -> Result<u64, InputError> {
        self.category_id_value(object.get("category_id"), &format!("{path}.category_id"))
    }

    fn category_id_value(&self, value: Option<&Value>, path: &str) -> Result<u64, InputError> {
        value.and_then(Value::as_u64).ok_or_else(|| self.error(path, "expected a non-negative integer category id"))
    }

    fn size_field(&self, object: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u32>, InputError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.error(&format!("{path}.{key}"), "expected a pixel count")),
        }
    }

    fn number(&self, value: &Value, path: &str) -> Result<f64, InputError> {
        value.as_f64().ok_or_else(|| self.error(path, "expected a number"))
    }

    fn numbers<const N: usize>(&self, value: &Value, path: &str) -> Result<[f64; N], InputError> {
        let list = array(Some(value)).filter(|l| l.len() == N);
        let list = list.ok_or_else(|| self.error(path, format!("expected a list of {N} numbers")))?;
        let mut out = [0.0; N];
        for (k, (slot, value)) in out.iter_mut().zip(list).enumerate() {
            *slot = self.number(value, &format!("{path}[{k}]"))?;
        }
        Ok(out)
    }
}

fn record(id: String, media: Media, source: Source, annotator: &str) -> Record {
    Record {
        item: Item { id, media, candidates: Vec::new() },
        annotator: annotator.to_owned(),
        source,
        regions: Vec::new(),
        score: None,
    }
}

fn array(value: Option<&Value>) -> Option<&Vec<Value>> {
    value.and_then(Value::as_array)
}

/// Whether a value carries nothing: null, "", 0, false, or lists and objects of such values.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(list) => list.iter().all(is_empty),
        Value::Object(map) => map.values().all(is_empty),
    }
}
