//! Records to COCO instances JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use annoqa_core::geometry::{box_bounds, box_corners, box_is_rotated, polygon_area};
use annoqa_core::model::{BoxGeometry, Media, Region, RegionValue, TaskSpec};
use serde_json::{json, Map, Value};

use super::{assign_category_ids, keypoint_labels, media_name, object_labels, STRUCTURAL_ATTRIBUTES};
use crate::diag::{Diagnostics, InputError};
use crate::record::{OutputFile, Record, Written};

pub(super) fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    let mut diagnostics = Diagnostics::default();
    let (mut labels, extra) = object_labels(records, spec);
    for label in extra {
        diagnostics.skip("label", &format!("`{label}` is not a label of the spec: written as a category"), "");
        labels.push(label);
    }
    let keypoint_names = keypoint_labels(records, spec).map(|(mut known, extra)| {
        for name in extra {
            diagnostics.skip("keypoint label", &format!("`{name}` is not a keypoint label of the spec: added"), "");
            known.push(name);
        }
        known
    });
    let mut collected = Collected::default();
    for record in records {
        collected.add(record, &mut diagnostics);
    }
    let category_ids = category_ids(&labels, &collected.instances, &mut diagnostics);
    let image_ids = numbered(collected.images.iter().map(|i| i.item.as_str()));
    let annotation_ids = numbered(collected.instances.iter().map(|i| i.key.as_str()));
    let context = Context {
        label_at: index_of(&labels),
        category_ids: &category_ids,
        keypoint_names: keypoint_names.as_deref(),
        keypoint_at: index_of(keypoint_names.as_deref().unwrap_or_default()),
    };
    let mut annotations = Vec::with_capacity(collected.instances.len());
    for (instance, id) in collected.instances.iter().zip(&annotation_ids) {
        if let Some(mut annotation) = context.annotation(instance, &mut diagnostics) {
            annotation.insert("id".to_owned(), json!(id));
            annotation.insert("image_id".to_owned(), json!(image_ids[instance.image]));
            annotations.push(Value::Object(annotation));
        }
    }
    let images: Vec<Value> = collected
        .images
        .iter()
        .zip(&image_ids)
        .map(|(image, id)| json!({"id": id, "file_name": image.src, "width": image.width, "height": image.height}))
        .collect();
    let categories: Vec<Value> = labels
        .iter()
        .zip(&category_ids)
        .map(|(name, id)| {
            let mut category = json!({"id": id, "name": name, "supercategory": ""});
            if let (Some(names), Value::Object(map)) = (&keypoint_names, &mut category) {
                map.insert("keypoints".to_owned(), json!(names));
                map.insert("skeleton".to_owned(), json!([]));
            }
            category
        })
        .collect();
    let file = json!({
        "info": {},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    });
    let mut bytes = serde_json::to_vec(&file).map_err(|e| InputError::new("", "", e.to_string()))?;
    bytes.push(b'\n');
    Ok(Written { files: vec![OutputFile { path: String::new(), bytes }], diagnostics })
}

struct Image {
    item: String,
    src: String,
    width: u32,
    height: u32,
}

/// The regions of one COCO annotation: at most one box, its polygons and its keypoints.
struct Instance<'r> {
    image: usize,
    /// The box's id, or the `instance` the polygons share: the annotation id when it is one.
    key: String,
    item: String,
    boxes: Vec<&'r Region>,
    polygons: Vec<&'r Region>,
    keypoints: Vec<&'r Region>,
}

#[derive(Default)]
struct Collected<'r> {
    images: Vec<Image>,
    image_of: BTreeMap<String, usize>,
    instances: Vec<Instance<'r>>,
}

impl<'r> Collected<'r> {
    fn add(&mut self, record: &'r Record, diagnostics: &mut Diagnostics) {
        let item = &record.item.id;
        let Media::Image { src, width, height } = &record.item.media else {
            diagnostics.skip(&format!("{} item", media_name(&record.item.media)), "COCO holds images only", item);
            return;
        };
        if record.score.is_some() {
            diagnostics.skip("record score", "COCO scores annotations, not whole images: dropped", item);
        }
        let image = match self.image_of.get(item) {
            Some(&at) => {
                diagnostics.skip(
                    "annotator",
                    "COCO has one set of annotations per image: several records' annotations merged into one image",
                    item,
                );
                at
            }
            None => {
                let image = Image { item: item.clone(), src: src.clone(), width: *width, height: *height };
                self.images.push(image);
                self.image_of.insert(item.clone(), self.images.len() - 1);
                self.images.len() - 1
            }
        };
        let first = self.instances.len();
        let mut at_key: BTreeMap<String, usize> = BTreeMap::new();
        // The first region of each id, as a keypoint's `parent` names it.
        let mut by_id: HashMap<&str, &Region> = HashMap::new();
        for region in &record.regions {
            by_id.entry(region.id.as_str()).or_insert(region);
        }
        for region in &record.regions {
            if !geometry_is_finite(&region.value) {
                diagnostics.skip("non-finite coordinate", "a coordinate is NaN or infinite: region not written", item);
                continue;
            }
            if !matches!(
                region.value,
                RegionValue::BBox { .. } | RegionValue::Polygon { .. } | RegionValue::Keypoint { .. }
            ) {
                diagnostics.skip(region.value.type_name(), "COCO has no place for this region type", item);
                continue;
            }
            let key = instance_key(region, &by_id);
            let at = *at_key.entry(key.clone()).or_insert_with(|| {
                self.instances.push(Instance {
                    image,
                    key,
                    item: item.clone(),
                    boxes: Vec::new(),
                    polygons: Vec::new(),
                    keypoints: Vec::new(),
                });
                self.instances.len() - 1
            });
            let instance = &mut self.instances[at];
            match region.value {
                RegionValue::BBox { .. } => instance.boxes.push(region),
                RegionValue::Polygon { .. } => instance.polygons.push(region),
                _ => instance.keypoints.push(region),
            }
        }
        // A second box in one instance is an instance of its own (its id is not a number
        // given, so it gets a new one).
        for at in first..self.instances.len() {
            while self.instances[at].boxes.len() > 1 {
                let extra = self.instances[at].boxes.remove(1);
                let key = format!("{} {}", self.instances[at].key, extra.id);
                let instance = Instance {
                    image,
                    key,
                    item: item.clone(),
                    boxes: vec![extra],
                    polygons: Vec::new(),
                    keypoints: Vec::new(),
                };
                self.instances.push(instance);
            }
        }
    }
}

/// Which annotation a region belongs to: a keypoint to its parent's, a polygon to its
/// `instance`, anything else to itself (a box's id is its annotation's id).
fn instance_key(region: &Region, by_id: &HashMap<&str, &Region>) -> String {
    if let RegionValue::Keypoint { .. } = region.value {
        let parent = region.attributes.get("parent").and_then(|p| by_id.get(p.as_str()));
        if let Some(parent) = parent.filter(|p| !matches!(p.value, RegionValue::Keypoint { .. })) {
            return instance_key(parent, by_id);
        }
    }
    region.attributes.get("instance").cloned().unwrap_or_else(|| region.id.clone())
}

/// Category ids: each label's `category_id` attribute where its boxes and polygons agree on
/// one, otherwise numbered (see [`assign_category_ids`]).
fn category_ids(labels: &[String], instances: &[Instance<'_>], diagnostics: &mut Diagnostics) -> Vec<u64> {
    let mut seen: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for region in instances.iter().flat_map(|i| i.boxes.iter().chain(&i.polygons)) {
        if let (Some(label), Some(id)) =
            (region.value.first_label(), region.attributes.get("category_id").and_then(|id| id.parse::<u64>().ok()))
        {
            seen.entry(label).or_default().insert(id);
        }
    }
    let is_label: HashSet<&str> = labels.iter().map(String::as_str).collect();
    let mut known: BTreeMap<String, u64> = BTreeMap::new();
    let mut owners: BTreeMap<u64, usize> = BTreeMap::new();
    for ids in seen.values() {
        for id in ids {
            *owners.entry(*id).or_default() += 1;
        }
    }
    for (label, ids) in seen {
        let only = ids.iter().next().copied().filter(|id| ids.len() == 1 && owners.get(id) == Some(&1));
        match only {
            Some(id) if is_label.contains(label) => {
                known.insert(label.to_owned(), id);
            }
            _ => diagnostics.skip(
                "category_id",
                &format!("label `{label}` has no single category_id of its own: numbered anew"),
                "",
            ),
        }
    }
    assign_category_ids(labels, &known)
}

/// COCO ids for keys in order: a key that is a number no earlier key took keeps it; the others
/// get the smallest numbers no key takes.
fn numbered<'k>(keys: impl Iterator<Item = &'k str>) -> Vec<u64> {
    let wanted: Vec<Option<u64>> = keys.map(|k| k.parse::<u64>().ok().filter(|n| n.to_string() == k)).collect();
    let mut taken: BTreeSet<u64> = BTreeSet::new();
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
                taken.insert(next);
                next
            }
        })
        .collect()
}

struct Context<'a> {
    /// Each label's position in the category list.
    label_at: HashMap<&'a str, usize>,
    category_ids: &'a [u64],
    keypoint_names: Option<&'a [String]>,
    /// Each keypoint name's slot.
    keypoint_at: HashMap<&'a str, usize>,
}

/// Each name's first position, so that finding one is a lookup, not a scan of them all.
fn index_of(names: &[String]) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(names.len());
    for (at, name) in names.iter().enumerate() {
        index.entry(name.as_str()).or_insert(at);
    }
    index
}

impl Context<'_> {
    /// The annotation's fields but `id` and `image_id`; `None` (reported) when it has no box or
    /// polygon to give it a category.
    fn annotation(&self, instance: &Instance<'_>, diagnostics: &mut Diagnostics) -> Option<Map<String, Value>> {
        let item = instance.item.as_str();
        let Some(head) = instance.boxes.first().or(instance.polygons.first()) else {
            for _ in &instance.keypoints {
                diagnostics.skip("keypoint", "no box or polygon of its instance gives it a category", item);
            }
            return None;
        };
        let label = head.value.first_label().unwrap_or_default();
        if instance.boxes.iter().chain(&instance.polygons).any(|r| r.value.first_label() != Some(label)) {
            diagnostics.skip("instance label", "regions of one instance differ in label: the box's is written", item);
        }
        let at = *self.label_at.get(label)?;
        let category_id = *self.category_ids.get(at)?;
        let mut polygons: Vec<Vec<[f64; 2]>> = instance
            .polygons
            .iter()
            .filter_map(|r| match &r.value {
                RegionValue::Polygon { points, .. } => Some(points.clone()),
                _ => None,
            })
            .collect();
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
                        polygons.push(box_corners(&geometry).to_vec());
                    }
                }
                box_bounds(&geometry)
            }
            _ => points_bounds(polygons.iter().flatten()),
        };
        let area =
            if polygons.is_empty() { bbox.width * bbox.height } else { polygons.iter().map(|p| polygon_area(p)).sum() };
        let regions: Vec<&Region> = instance.boxes.iter().chain(&instance.polygons).copied().collect();
        let mut annotation = Map::new();
        annotation.insert("category_id".to_owned(), json!(category_id));
        let segmentation: Vec<Value> =
            polygons.iter().map(|p| Value::Array(p.iter().flatten().map(|&c| number(c)).collect())).collect();
        annotation.insert("segmentation".to_owned(), Value::Array(segmentation));
        annotation.insert("area".to_owned(), number(area));
        let bbox = [bbox.x, bbox.y, bbox.width, bbox.height].map(number);
        annotation.insert("bbox".to_owned(), Value::Array(bbox.to_vec()));
        let crowd = regions.iter().any(|r| r.attributes.get("iscrowd").is_some_and(|v| v == "1" || v == "true"));
        annotation.insert("iscrowd".to_owned(), json!(u8::from(crowd)));
        if let Some(names) = self.keypoint_names {
            let (keypoints, labelled) =
                keypoint_triples(names.len(), &self.keypoint_at, &instance.keypoints, item, diagnostics);
            annotation.insert("keypoints".to_owned(), Value::Array(keypoints));
            annotation.insert("num_keypoints".to_owned(), json!(labelled));
        }
        if let Some(score) = regions.iter().find_map(|r| r.attributes.get("score")?.parse::<f64>().ok()) {
            annotation.insert("score".to_owned(), number(score));
        }
        let custom: Map<String, Value> = regions
            .iter()
            .flat_map(|r| &r.attributes)
            .filter(|(name, _)| !STRUCTURAL_ATTRIBUTES.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), typed(value)))
            .collect();
        if !custom.is_empty() {
            annotation.insert("attributes".to_owned(), Value::Object(custom));
        }
        Some(annotation)
    }
}

/// `x, y, v` for each of the `names` keypoint slots in order (`slot_of` a name's slot); 0, 0, 0
/// where the instance has no keypoint of that name. Returns the triples and how many are
/// labelled.
fn keypoint_triples(
    names: usize,
    slot_of: &HashMap<&str, usize>,
    keypoints: &[&Region],
    item: &str,
    diagnostics: &mut Diagnostics,
) -> (Vec<Value>, usize) {
    let mut slots: Vec<Option<(f64, f64, u8)>> = vec![None; names];
    for region in keypoints {
        let RegionValue::Keypoint { x, y, label } = &region.value else { continue };
        let Some(slot) = slot_of.get(label.as_str()).and_then(|&at| slots.get_mut(at)) else { continue };
        if slot.is_some() {
            diagnostics.skip("keypoint", "a second keypoint of one name in one instance: not written", item);
            continue;
        }
        let visibility = match region.attributes.get("visibility").map(String::as_str) {
            Some("1") => 1,
            None | Some("2") => 2,
            Some(_) => {
                diagnostics.skip("visibility", "not 1 or 2: written as 2 (visible)", item);
                2
            }
        };
        *slot = Some((*x, *y, visibility));
    }
    let labelled = slots.iter().flatten().count();
    let triples = slots
        .iter()
        .flat_map(|slot| {
            let (x, y, v) = slot.unwrap_or((0.0, 0.0, 0));
            [number(x), number(y), json!(v)]
        })
        .collect();
    (triples, labelled)
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
