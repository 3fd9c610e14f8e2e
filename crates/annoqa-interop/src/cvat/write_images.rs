//! Image records to CVAT XML 1.1 for images; the `<labels>` meta both modes write.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use annoqa_core::model::{ControlKind, Media, Region, RegionValue, TaskSpec};

use super::fields::format_number;
use super::geometry::AnnoqaBox;
use super::xml::XmlOut;
use super::{is_built_in, ATTR_GROUP, ATTR_INSTANCE, ATTR_OCCLUDED, ATTR_SOURCE, ATTR_Z_ORDER};
use crate::diag::Diagnostics;
use crate::record::{OutputFile, Record};

/// A label of the meta, with the custom attributes its shapes carry.
pub(super) struct MetaLabel {
    pub(super) name: String,
    pub(super) color: Option<String>,
    /// Attribute names, each with whether its value changes along a track (`mutable`).
    pub(super) attributes: BTreeMap<String, bool>,
}

/// The labels to declare: the spec's labels of the controls CVAT can hold (in order), then any
/// other label the records use. Each gets the custom attributes found on its shapes.
pub(super) fn meta_labels(records: &[&Record], spec: &TaskSpec) -> Vec<MetaLabel> {
    let mut labels: Vec<MetaLabel> = Vec::new();
    // Each label's place in `labels`: one lookup per region, however many labels there are.
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut add = |labels: &mut Vec<MetaLabel>, name: &str, color: Option<&String>| -> usize {
        *at.entry(name.to_owned()).or_insert_with(|| {
            labels.push(MetaLabel { name: name.to_owned(), color: color.cloned(), attributes: BTreeMap::new() });
            labels.len() - 1
        })
    };
    for control in &spec.controls {
        let drawable = matches!(
            control.kind,
            ControlKind::BBox
                | ControlKind::Polygon
                | ControlKind::Keypoint
                | ControlKind::Choice { .. }
                | ControlKind::VideoBoxes
                | ControlKind::VideoTracks
        );
        if drawable {
            for label in &control.labels {
                add(&mut labels, &label.value, label.color.as_ref());
            }
        }
    }
    for region in records.iter().flat_map(|r| &r.regions) {
        if let RegionValue::Choice { labels: chosen } = &region.value {
            for label in chosen {
                let entry = add(&mut labels, label, None);
                let prefix = format!("{label}/");
                let names = region.attributes.keys().filter_map(|k| k.strip_prefix(&prefix));
                note_attributes(labels.get_mut(entry), names);
            }
        } else if let Some(label) = region.value.first_label() {
            let entry = add(&mut labels, label, None);
            note_attributes(labels.get_mut(entry), region.attributes.keys().map(String::as_str));
        }
    }
    labels
}

/// Records a label's custom attribute names; `name@frame` (a track's per-keyframe value) is
/// attribute `name`, mutable.
fn note_attributes<'a>(entry: Option<&mut MetaLabel>, names: impl Iterator<Item = &'a str>) {
    let Some(entry) = entry else { return };
    for name in names {
        let (base, mutable) = split_frame_key(name);
        if !is_built_in(base) {
            *entry.attributes.entry(base.to_owned()).or_insert(false) |= mutable;
        }
    }
}

/// `hgl@13` → (`hgl`, true); anything else → (itself, false).
pub(super) fn split_frame_key(key: &str) -> (&str, bool) {
    match key.rsplit_once('@') {
        Some((base, frame)) if !frame.is_empty() && frame.bytes().all(|b| b.is_ascii_digit()) => (base, true),
        _ => (key, false),
    }
}

/// `<labels>`: attribute definitions are free text (annoqa keeps no attribute schema).
pub(super) fn write_labels(out: &mut XmlOut, labels: &[MetaLabel]) {
    out.open("labels", &[]);
    for label in labels {
        out.open("label", &[]);
        out.leaf("name", &[], &label.name);
        if let Some(color) = &label.color {
            out.leaf("color", &[], color);
        }
        out.open("attributes", &[]);
        for (name, mutable) in &label.attributes {
            out.open("attribute", &[]);
            out.leaf("name", &[], name);
            out.leaf("mutable", &[], if *mutable { "True" } else { "False" });
            out.leaf("input_type", &[], "text");
            out.leaf("default_value", &[], "");
            out.leaf("values", &[], "");
            out.close("attribute");
        }
        out.close("attributes");
        out.close("label");
    }
    out.close("labels");
}

/// An image's CVAT `id` and `subset`: an item id `<subset>/<n>` (as the reader makes for
/// project exports) or `<n>` keeps them; other ids get the next free numbers.
fn image_ids(records: &[&Record]) -> Vec<(u64, Option<String>)> {
    let parse = |id: &str| -> Option<(u64, Option<String>)> {
        let (subset, n) = match id.rsplit_once('/') {
            Some((subset, n)) => (Some(subset.to_owned()), n),
            None => (None, id),
        };
        let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        // CVAT's image ids are frame numbers: a u32 keeps the next free one from overflowing.
        digits.then(|| n.parse::<u32>().ok()).flatten().map(|n| (u64::from(n), subset))
    };
    let mut used: HashSet<(u64, Option<String>)> = HashSet::new();
    let mut ids: Vec<Option<(u64, Option<String>)>> =
        records.iter().map(|r| parse(&r.item.id).filter(|key| used.insert(key.clone()))).collect();
    let mut free = used.iter().map(|(n, _)| n + 1).max().unwrap_or(0)..;
    for id in ids.iter_mut().filter(|id| id.is_none()) {
        *id = free.next().map(|n| (n, None));
    }
    ids.into_iter().flatten().collect()
}

pub(super) fn write(records: &[&Record], labels: &[MetaLabel], diagnostics: &mut Diagnostics) -> OutputFile {
    let ids = image_ids(records);
    let subsets: Vec<&str> = {
        let mut seen = Vec::new();
        for (_, subset) in &ids {
            if let Some(s) = subset.as_deref() {
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
        }
        seen
    };
    let mut out = XmlOut::new();
    out.open("annotations", &[]);
    out.leaf("version", &[], "1.1");
    out.open("meta", &[]);
    if subsets.is_empty() {
        out.open("task", &[]);
        write_task_fields(&mut out, records.len(), None);
        write_labels(&mut out, labels);
        out.close("task");
    } else {
        write_project(&mut out, &ids, &subsets, labels);
    }
    out.close("meta");
    for (record, (id, subset)) in records.iter().zip(&ids) {
        let Media::Image { src, width, height } = &record.item.media else { continue };
        let mut attrs = vec![("id", id.to_string()), ("name", src.clone())];
        if !subsets.is_empty() {
            let subset = subset.as_deref().unwrap_or("default");
            let task = subsets.iter().position(|s| *s == subset).map_or(subsets.len() + 1, |p| p + 1);
            attrs.push(("subset", subset.to_owned()));
            attrs.push(("task_id", task.to_string()));
        }
        attrs.push(("width", width.to_string()));
        attrs.push(("height", height.to_string()));
        out.open("image", &attrs);
        write_shapes(&mut out, record, diagnostics);
        out.close("image");
    }
    out.close("annotations");
    OutputFile { path: String::new(), bytes: out.finish() }
}

fn write_task_fields(out: &mut XmlOut, size: usize, subset: Option<&str>) {
    out.leaf("size", &[], &size.to_string());
    out.leaf("mode", &[], "annotation");
    out.leaf("overlap", &[], "0");
    if let Some(subset) = subset {
        out.leaf("subset", &[], subset);
    }
    out.leaf("start_frame", &[], "0");
    out.leaf("stop_frame", &[], &size.saturating_sub(1).to_string());
    out.leaf("frame_filter", &[], "");
}

/// A project export: one task per subset, numbered from 1 in order of appearance.
fn write_project(out: &mut XmlOut, ids: &[(u64, Option<String>)], subsets: &[&str], labels: &[MetaLabel]) {
    out.open("project", &[]);
    out.leaf("name", &[], "annoqa");
    out.open("tasks", &[]);
    let mut all: Vec<&str> = subsets.to_vec();
    if ids.iter().any(|(_, s)| s.is_none()) {
        all.push("default");
    }
    for (n, subset) in all.iter().enumerate() {
        let size = ids.iter().filter(|(_, s)| s.as_deref().unwrap_or("default") == *subset).count();
        out.open("task", &[]);
        out.leaf("id", &[], &(n + 1).to_string());
        out.leaf("name", &[], subset);
        write_task_fields(out, size, Some(subset));
        out.close("task");
    }
    out.close("tasks");
    out.leaf("subsets", &[], &all.join("\n"));
    write_labels(out, labels);
    out.close("project");
}

fn write_shapes(out: &mut XmlOut, record: &Record, diagnostics: &mut Diagnostics) {
    let mut instances_written: HashSet<&str> = HashSet::new();
    for region in &record.regions {
        match &region.value {
            RegionValue::BBox { x, y, width, height, rotation, label } => {
                let b = AnnoqaBox { x: *x, y: *y, width: *width, height: *height, rotation: *rotation }.to_cvat();
                let mut geometry = vec![
                    ("xtl", format_number(b.xtl)),
                    ("ytl", format_number(b.ytl)),
                    ("xbr", format_number(b.xbr)),
                    ("ybr", format_number(b.ybr)),
                ];
                if b.rotation != 0.0 {
                    geometry.push(("rotation", format_number(b.rotation)));
                }
                write_shape(out, "box", label, geometry, &region.attributes);
            }
            RegionValue::Polygon { points, label } => {
                write_shape(out, "polygon", label, vec![("points", format_points(points))], &region.attributes);
            }
            RegionValue::Keypoint { label, .. } => {
                let instance = region.attributes.get(ATTR_INSTANCE).map(String::as_str);
                if let Some(instance) = instance {
                    if !instances_written.insert(instance) {
                        continue;
                    }
                }
                let points: Vec<[f64; 2]> = record
                    .regions
                    .iter()
                    .filter(|r| match instance {
                        Some(i) => r.attributes.get(ATTR_INSTANCE).map(String::as_str) == Some(i),
                        None => std::ptr::eq(*r, region),
                    })
                    .filter_map(|r| match r.value {
                        RegionValue::Keypoint { x, y, .. } => Some([x, y]),
                        _ => None,
                    })
                    .collect();
                write_shape(out, "points", label, vec![("points", format_points(&points))], &region.attributes);
            }
            RegionValue::Choice { .. } => {}
            other => diagnostics.skip(other.type_name(), "cvat xml for images has no such shape", &record.item.id),
        }
    }
    for region in &record.regions {
        if let RegionValue::Choice { labels } = &region.value {
            write_tags(out, region, labels);
        }
    }
}

/// `x0,y0;x1,y1;…`
pub(super) fn format_points(points: &[[f64; 2]]) -> String {
    let pairs: Vec<String> =
        points.iter().map(|[x, y]| format!("{},{}", format_number(*x), format_number(*y))).collect();
    pairs.join(";")
}

fn write_shape(
    out: &mut XmlOut,
    name: &str,
    label: &str,
    geometry: Vec<(&'static str, String)>,
    attributes: &BTreeMap<String, String>,
) {
    let mut attrs = vec![("label", label.to_owned())];
    if let Some(source) = attributes.get(ATTR_SOURCE) {
        attrs.push(("source", source.clone()));
    }
    let occluded = attributes.get(ATTR_OCCLUDED).is_some_and(|v| v == "true");
    attrs.push(("occluded", if occluded { "1" } else { "0" }.to_owned()));
    attrs.extend(geometry);
    attrs.push(("z_order", attributes.get(ATTR_Z_ORDER).cloned().unwrap_or_else(|| "0".to_owned())));
    if let Some(group) = attributes.get(ATTR_GROUP) {
        attrs.push(("group_id", group.clone()));
    }
    let custom: BTreeSet<(&str, &str)> =
        attributes.iter().filter(|(k, _)| !is_built_in(k)).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    write_element(out, name, &attrs, custom);
}

/// An element with `<attribute>` children (or none: then self-closing).
pub(super) fn write_element<'a>(
    out: &mut XmlOut,
    name: &str,
    attrs: &[(&str, String)],
    custom: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let mut custom = custom.into_iter().peekable();
    if custom.peek().is_none() {
        out.empty(name, attrs);
        return;
    }
    out.open(name, attrs);
    for (key, value) in custom {
        out.leaf("attribute", &[("name", key.to_owned())], value);
    }
    out.close(name);
}

/// One `<tag>` per label; `<label>/<name>` attributes go back to their tag.
fn write_tags(out: &mut XmlOut, region: &Region, labels: &[String]) {
    for label in labels {
        let prefix = format!("{label}/");
        let own: Vec<(&str, &str)> =
            region.attributes.iter().filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v.as_str()))).collect();
        let mut attrs = vec![("label", label.clone())];
        for key in [ATTR_SOURCE, ATTR_GROUP] {
            if let Some((_, value)) = own.iter().find(|(k, _)| *k == key) {
                attrs.push((key, (*value).to_owned()));
            }
        }
        write_element(out, "tag", &attrs, own.into_iter().filter(|(k, _)| !is_built_in(k)));
    }
}
