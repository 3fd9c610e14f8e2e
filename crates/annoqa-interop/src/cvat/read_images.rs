//! `<image>` elements: one record per image.

use std::collections::{BTreeMap, HashSet};

use annoqa_core::model::{Item, Media, Region, RegionValue};

use super::fields::Fields;
use super::geometry::CvatBox;
use super::meta::Meta;
use super::xml::Element;
use super::{is_built_in, ANNOTATOR, ATTR_GROUP, ATTR_INSTANCE, ATTR_OCCLUDED, ATTR_SOURCE, ATTR_Z_ORDER};
use super::{CONTROL_BOX, CONTROL_POINTS, CONTROL_POLYGON, CONTROL_TAG};
use crate::diag::{Diagnostics, InputError};
use crate::record::{ReadOptions, Record, Source};

/// Shapes annoqa has no region for, with why.
const UNSUPPORTED: [(&str, &str); 5] = [
    ("polyline", "annoqa has no polyline region"),
    ("ellipse", "annoqa has no ellipse region"),
    ("mask", "annoqa has no mask region"),
    ("cuboid", "annoqa has no cuboid region"),
    ("skeleton", "skeletons are not mapped to keypoints yet"),
];

/// The labels shapes may carry: those the meta declares (every label when it declares none).
pub(super) struct KnownLabels(Option<HashSet<String>>);

impl KnownLabels {
    pub(super) fn new(meta: &Meta) -> Self {
        KnownLabels((!meta.labels.is_empty()).then(|| meta.labels.iter().map(|l| l.name.clone()).collect()))
    }

    /// Whether a shape of `kind` with `label` is kept; reports it when not (ambiguity 15: an
    /// empty label is not guessed).
    pub(super) fn admit(&self, label: &str, kind: &str, task: &str, diagnostics: &mut Diagnostics) -> bool {
        if label.is_empty() {
            diagnostics.skip(kind, "label=\"\": the shape has no label, and none is guessed", task);
            return false;
        }
        if let Some(known) = &self.0 {
            if !known.contains(label) {
                diagnostics.skip(kind, "its label is not declared in <meta>", task);
                return false;
            }
        }
        true
    }
}

pub(super) fn read(
    root: &Element,
    meta: &Meta,
    opts: &ReadOptions<'_>,
    fields: Fields<'_>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Record>, InputError> {
    let known = KnownLabels::new(meta);
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    for image in root.children_named("image") {
        let item = read_item(image, opts, fields)?;
        if !seen.insert(item.id.clone()) {
            return Err(fields.error(image, Some("id"), format!("a second image with id `{}`", item.id)));
        }
        let regions = read_shapes(image, &item.id, &known, fields, diagnostics)?;
        records.push(Record {
            item,
            annotator: ANNOTATOR.to_owned(),
            source: Source::Annotation,
            regions,
            score: None,
        });
    }
    for other in root.children.iter().filter(|c| !matches!(c.name.as_str(), "image" | "version" | "meta")) {
        diagnostics.skip(&format!("<{}>", other.name), "not an element of cvat xml for images", "");
    }
    Ok(records)
}

/// The item: id = the image's `id` (its `name` when absent), prefixed by its `subset` in
/// project exports, where every task numbers its images from 0.
fn read_item(image: &Element, opts: &ReadOptions<'_>, fields: Fields<'_>) -> Result<Item, InputError> {
    let name = fields.required(image, "name")?;
    let id = image.attr("id").unwrap_or(name);
    let id = match image.attr("subset") {
        Some(subset) => format!("{subset}/{id}"),
        None => id.to_owned(),
    };
    let size = match (image.attr("width"), image.attr("height")) {
        (None, None) => opts.media_size.or_else(|| opts.media.and_then(|m| m.image_size(name))),
        _ => Some((pixels(image, "width", fields)?, pixels(image, "height", fields)?)),
    };
    let Some((width, height)) = size else {
        return Err(fields.error(
            image,
            Some("width"),
            "no width and height, and no --media-size or --media-dir to take them from",
        ));
    };
    Ok(Item { id, media: Media::Image { src: name.to_owned(), width, height }, candidates: Vec::new() })
}

fn pixels(image: &Element, attr: &str, fields: Fields<'_>) -> Result<u32, InputError> {
    let raw = fields.required(image, attr)?;
    raw.trim()
        .parse()
        .map_err(|_| fields.error(image, Some(attr), format!("expected a whole number of pixels, got `{raw}`")))
}

fn read_shapes(
    image: &Element,
    task: &str,
    known: &KnownLabels,
    fields: Fields<'_>,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<Region>, InputError> {
    let mut regions = Vec::new();
    let mut tags = Tags::default();
    let mut kept = 0;
    for shape in &image.children {
        let kind = shape.name.as_str();
        if let Some((_, reason)) = UNSUPPORTED.iter().find(|(k, _)| *k == kind) {
            diagnostics.skip(kind, reason, task);
            continue;
        }
        if !matches!(kind, "box" | "polygon" | "points" | "tag") {
            diagnostics.skip(&format!("<{kind}>"), "not a shape of cvat xml 1.1", task);
            continue;
        }
        let label = fields.required(shape, "label")?;
        if !known.admit(label, kind, task, diagnostics) {
            continue;
        }
        let attributes = shape_attributes(shape, fields, task, diagnostics)?;
        // Ids number the kept shapes in order (tags are one region), so they survive a round
        // trip that leaves out what annoqa cannot hold.
        if kind != "tag" {
            kept += 1;
        }
        let id = format!("shape-{kept}");
        let region = |control: &str, value| Region {
            id: id.clone(),
            control: control.to_owned(),
            value,
            attributes: attributes.clone(),
        };
        match kind {
            "box" => regions.push(region(CONTROL_BOX, read_box(shape, label, fields)?)),
            "polygon" => {
                let points = fields.points(shape)?;
                regions.push(region(CONTROL_POLYGON, RegionValue::Polygon { points, label: label.to_owned() }));
            }
            "points" => read_points(shape, &id, label, &attributes, fields, task, diagnostics, &mut regions)?,
            _ => tags.add(label, attributes, task, diagnostics),
        }
    }
    regions.extend(tags.into_region());
    Ok(regions)
}

fn read_box(shape: &Element, label: &str, fields: Fields<'_>) -> Result<RegionValue, InputError> {
    let b = CvatBox {
        xtl: fields.number(shape, "xtl")?,
        ytl: fields.number(shape, "ytl")?,
        xbr: fields.number(shape, "xbr")?,
        ybr: fields.number(shape, "ybr")?,
        rotation: fields.optional_number(shape, "rotation")?.unwrap_or(0.0),
    }
    .to_annoqa();
    Ok(RegionValue::BBox {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
        rotation: b.rotation,
        label: label.to_owned(),
    })
}

/// One point is one keypoint `shape-N`; several are keypoints `shape-N.1`, `shape-N.2`, …
/// sharing the attribute `instance` = `shape-N`, which the writer joins back into one element.
#[allow(clippy::too_many_arguments)]
fn read_points(
    shape: &Element,
    id: &str,
    label: &str,
    attributes: &BTreeMap<String, String>,
    fields: Fields<'_>,
    task: &str,
    diagnostics: &mut Diagnostics,
    regions: &mut Vec<Region>,
) -> Result<(), InputError> {
    let points = fields.points(shape)?;
    let keypoint = |id: String, [x, y]: [f64; 2], attributes: BTreeMap<String, String>| Region {
        id,
        control: CONTROL_POINTS.to_owned(),
        value: RegionValue::Keypoint { x, y, label: label.to_owned() },
        attributes,
    };
    match points.as_slice() {
        [] => diagnostics.skip("points", "a <points> element without points", task),
        [point] => regions.push(keypoint(id.to_owned(), *point, attributes.clone())),
        several => {
            let mut shared = attributes.clone();
            shared.insert(ATTR_INSTANCE.to_owned(), id.to_owned());
            for (n, point) in several.iter().enumerate() {
                regions.push(keypoint(format!("{id}.{}", n + 1), *point, shared.clone()));
            }
        }
    }
    Ok(())
}

/// `occluded`, `z_order`, `source`, `group_id` and the `<attribute>` children, whose values are
/// kept as written (untrimmed, ambiguity 15).
pub(super) fn shape_attributes(
    shape: &Element,
    fields: Fields<'_>,
    task: &str,
    diagnostics: &mut Diagnostics,
) -> Result<BTreeMap<String, String>, InputError> {
    let mut attributes = BTreeMap::new();
    if fields.flag(shape, "occluded", false)? {
        attributes.insert(ATTR_OCCLUDED.to_owned(), "true".to_owned());
    }
    let z_order = fields.integer(shape, "z_order")?;
    if z_order != 0 {
        attributes.insert(ATTR_Z_ORDER.to_owned(), z_order.to_string());
    }
    for key in [ATTR_SOURCE, ATTR_GROUP] {
        if let Some(value) = shape.attr(key) {
            attributes.insert(key.to_owned(), value.to_owned());
        }
    }
    custom_attributes(shape, fields, task, diagnostics, &mut attributes)?;
    Ok(attributes)
}

/// The `<attribute name="…">value</attribute>` children of `shape` into `into`.
pub(super) fn custom_attributes(
    shape: &Element,
    fields: Fields<'_>,
    task: &str,
    diagnostics: &mut Diagnostics,
    into: &mut BTreeMap<String, String>,
) -> Result<(), InputError> {
    for attribute in shape.children_named("attribute") {
        let name = fields.required(attribute, "name")?;
        if is_built_in(name) {
            diagnostics.skip("attribute", &format!("a custom attribute named `{name}` like a built-in one"), task);
        } else if into.insert(name.to_owned(), attribute.text.clone()).is_some() {
            return Err(fields.error(attribute, Some("name"), format!("attribute `{name}` given twice")));
        }
    }
    Ok(())
}

/// An image's `<tag>`s, as one choice region of control `tag` (an answer per control): labels
/// in order, each tag's attributes as `<label>/<name>`.
#[derive(Default)]
struct Tags {
    labels: Vec<String>,
    attributes: BTreeMap<String, String>,
}

impl Tags {
    fn add(&mut self, label: &str, attributes: BTreeMap<String, String>, task: &str, diagnostics: &mut Diagnostics) {
        if self.labels.iter().any(|l| l == label) {
            diagnostics.skip("tag", "a second <tag> with the same label on one image", task);
            return;
        }
        self.labels.push(label.to_owned());
        for (name, value) in attributes {
            self.attributes.insert(format!("{label}/{name}"), value);
        }
    }

    fn into_region(self) -> Option<Region> {
        (!self.labels.is_empty()).then(|| Region {
            id: CONTROL_TAG.to_owned(),
            control: CONTROL_TAG.to_owned(),
            value: RegionValue::Choice { labels: self.labels },
            attributes: self.attributes,
        })
    }
}
