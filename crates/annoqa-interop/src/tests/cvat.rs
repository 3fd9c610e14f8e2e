//! Tests of the cvat reader and writer: the datumaro and cvat-datumaro corpus files with their
//! numbers checked by hand, `cvat → annoqa → cvat` round trips compared shape by shape, CVAT's
//! interpolated shapes regenerated, rotated boxes, malformed input.

use std::collections::BTreeMap;

use annoqa_core::geometry::box_bounds;
use annoqa_core::model::{BoxGeometry, Item, Keyframe, Media, Region, RegionValue};
use quick_xml::events::Event;

use crate::cvat;
use crate::record::{Converted, ReadOptions, Record, Source};

fn corpus_file(path: &str) -> Option<Vec<u8>> {
    let dir = super::corpus_dir()?;
    Some(std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn read(bytes: &[u8]) -> Converted {
    cvat::read(bytes, &ReadOptions { file_name: "in.xml", ..ReadOptions::default() }).unwrap()
}

fn region<'a>(record: &'a Record, id: &str) -> &'a Region {
    record.regions.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no region {id}"))
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Diagnostics as `(kind, count, tasks)`, sorted by kind.
fn reported(converted: &Converted) -> Vec<(String, usize, Vec<String>)> {
    let mut by_kind: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for u in converted.diagnostics.entries() {
        let entry = by_kind.entry(u.kind.clone()).or_default();
        entry.0 += u.count;
        entry.1.extend(u.tasks.iter().cloned());
    }
    by_kind.into_iter().map(|(k, (n, t))| (k, n, t)).collect()
}

fn write(records: &[Record]) -> Vec<u8> {
    let written = cvat::write(records, None).unwrap();
    assert_eq!(written.files.len(), 1);
    assert_eq!(written.files[0].path, "");
    written.files[0].bytes.clone()
}

/// One shape element of a file: who holds it (`image 0`, `image Test/0`, `track 3`), its name,
/// its XML attributes (defaults filled in) and its `<attribute>` children.
#[derive(Debug, Clone)]
struct Shape {
    owner: String,
    name: String,
    attrs: BTreeMap<String, String>,
    custom: BTreeMap<String, String>,
}

/// Every shape under `<image>` and top-level `<track>` elements, in document order.
fn shapes(xml: &[u8]) -> Vec<Shape> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut stack: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut out: Vec<Shape> = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).unwrap();
        let (start, empty) = match &event {
            Event::Start(s) => (Some(s.clone()), false),
            Event::Empty(s) => (Some(s.clone()), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            let name = String::from_utf8(s.name().as_ref().to_vec()).unwrap();
            let a: BTreeMap<String, String> = s
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), a.unescape_value().unwrap().into_owned())
                })
                .collect();
            let parent = stack.last().map(|(n, _)| n.as_str());
            if matches!(parent, Some("image" | "track")) && name != "attribute" && stack.len() == 2 {
                let (pn, pa) = stack.last().unwrap();
                let owner = match pa.get("subset") {
                    Some(subset) => format!("{pn} {subset}/{}", pa["id"]),
                    None => format!("{pn} {}", pa["id"]),
                };
                let mut attrs = a.clone();
                attrs.entry("occluded".into()).or_insert_with(|| "0".into());
                attrs.entry("z_order".into()).or_insert_with(|| "0".into());
                out.push(Shape { owner, name: name.clone(), attrs, custom: BTreeMap::new() });
            }
            if !empty {
                stack.push((name, a));
                text.clear();
            } else if name == "attribute" {
                out.last_mut().unwrap().custom.insert(a["name"].clone(), String::new());
            }
        }
        match event {
            Event::Text(t) => text.push_str(&t.unescape().unwrap()),
            Event::End(_) => {
                let (name, a) = stack.pop().unwrap();
                if name == "attribute" && stack.len() == 3 {
                    out.last_mut().unwrap().custom.insert(a["name"].clone(), text.clone());
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Numbers (also inside `points`) equal to 1e-9, the rest exactly.
fn same_value(a: &str, b: &str) -> bool {
    let numbers = |s: &str| -> Option<Vec<f64>> { s.split([';', ',']).map(|n| n.trim().parse().ok()).collect() };
    match (numbers(a), numbers(b)) {
        (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| (p - q).abs() <= 1e-9),
        _ => a == b,
    }
}

fn assert_same_shapes(expected: &[Shape], got: &[Shape]) {
    assert_eq!(expected.len(), got.len(), "shape counts: expected {expected:#?}\ngot {got:#?}");
    for (e, g) in expected.iter().zip(got) {
        assert_eq!((&e.owner, &e.name), (&g.owner, &g.name));
        assert_eq!(e.attrs.keys().collect::<Vec<_>>(), g.attrs.keys().collect::<Vec<_>>(), "{e:?} vs {g:?}");
        for (key, value) in &e.attrs {
            assert!(same_value(value, &g.attrs[key]), "{} {key}: {value} vs {}", e.owner, g.attrs[key]);
        }
        assert_eq!(e.custom, g.custom, "{} {}", e.owner, e.name);
    }
}

/// `cvat → annoqa → cvat`: every shape the reader keeps comes back with the same values, and
/// reading the written file gives the same records.
fn assert_round_trip(original: &[u8], keep: impl Fn(&Shape) -> bool) -> Vec<u8> {
    let converted = read(original);
    let written = cvat::write(&converted.records, converted.spec.as_ref()).unwrap();
    let bytes = written.files[0].bytes.clone();
    let expected: Vec<Shape> = shapes(original).into_iter().filter(|s| keep(s)).collect();
    assert_same_shapes(&expected, &shapes(&bytes));
    let again = read(&bytes);
    assert_records_close(&converted.records, &again.records);
    bytes
}

fn assert_records_close(a: &[Record], b: &[Record]) {
    // The only floats that pass through trigonometry are rotated boxes'; others are exact.
    let json = |r: &[Record]| serde_json::to_value(r).unwrap();
    let (a, b) = (json(a), json(b));
    assert!(json_close(&a, &b), "records differ:\n{a:#}\n{b:#}");
}

fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-9,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_close(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}

/// Supported image shapes: boxes, polygons, points and tags with a label.
fn supported_image_shape(s: &Shape) -> bool {
    matches!(s.name.as_str(), "box" | "polygon" | "points" | "tag") && !s.attrs["label"].is_empty()
}

#[test]
fn datumaro_task_export_for_images() {
    let Some(bytes) = corpus_file("datumaro/tests/assets/cvat_dataset/for_images/export_task/train.xml") else {
        return;
    };
    let c = read(&bytes);
    assert_eq!(c.records.len(), 2);
    let img0 = &c.records[0];
    assert_eq!(
        img0.item,
        Item {
            id: "0".into(),
            media: Media::Image { src: "img0.jpg".into(), width: 8, height: 8 },
            candidates: vec![]
        }
    );
    assert_eq!((img0.annotator.as_str(), img0.source), ("cvat", Source::Annotation));
    // <box xtl=0 ytl=2 xbr=4 ybr=4>: width 4 − 0, height 4 − 2.
    let b = region(img0, "shape-1");
    assert_eq!(b.control, "box");
    assert_eq!(
        b.value,
        RegionValue::BBox { x: 0.0, y: 2.0, width: 4.0, height: 2.0, rotation: 0.0, label: "label1".into() }
    );
    assert_eq!(
        b.attributes,
        attrs(&[("a1", "true"), ("a2", "v3"), ("a3", "0003"), ("a4", "2.4"), ("occluded", "true"), ("z_order", "1")])
    );
    // The polyline is reported; image 1's polygon has label "" and is reported too, so its
    // points are the image's first kept shape.
    assert_eq!(img0.regions.len(), 1);
    let img1 = &c.records[1];
    let ids: Vec<&str> = img1.regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["shape-1.1", "shape-1.2", "shape-1.3"]);
    let points: Vec<&RegionValue> = img1.regions.iter().map(|r| &r.value).collect();
    assert_eq!(points[2], &RegionValue::Keypoint { x: 5.0, y: 6.0, label: "label2".into() });
    assert_eq!(img1.regions[0].attributes, attrs(&[("instance", "shape-1"), ("z_order", "2")]));
    let r = reported(&c);
    assert!(r.contains(&("polyline".into(), 1, vec!["0".into()])), "{r:?}");
    assert!(r.contains(&("polygon".into(), 1, vec!["1".into()])), "{r:?}");
    assert!(r.contains(&("attribute definition".into(), 4, vec![])), "{r:?}");
    let spec = c.spec.as_ref().unwrap();
    let controls: Vec<(&str, Vec<&str>)> =
        spec.controls.iter().map(|c| (c.name.as_str(), c.labels.iter().map(|l| l.value.as_str()).collect())).collect();
    assert_eq!(controls, [("box", vec!["label1", "label2"]), ("points", vec!["label1", "label2"])]);
    assert_round_trip(&bytes, supported_image_shape);
}

#[test]
fn datumaro_project_export_keeps_subsets() {
    let Some(bytes) = corpus_file("datumaro/tests/assets/cvat_dataset/for_images/export_project/annotations.xml")
    else {
        return;
    };
    let c = read(&bytes);
    let ids: Vec<&str> = c.records.iter().map(|r| r.item.id.as_str()).collect();
    // Every subset numbers its images from 0: the subset keeps the ids apart.
    assert_eq!(ids, ["Test/0", "Test/1", "Train/0", "Train/1", "Validation/0", "Validation/1"]);
    assert_eq!(c.diagnostics.count("polyline"), 3);
    let polygon = region(&c.records[3], "shape-1");
    assert_eq!(
        polygon.value,
        RegionValue::Polygon { points: vec![[1.0, 2.0], [3.0, 4.0], [6.0, 5.0]], label: "label1".into() }
    );
    let written = assert_round_trip(&bytes, supported_image_shape);
    let text = String::from_utf8(written).unwrap();
    assert!(text.contains("<subsets>Test\nTrain\nValidation</subsets>"), "{text}");
}

#[test]
fn cvat_datumaro_images_report_skeletons() {
    let Some(bytes) = corpus_file("cvat-datumaro/tests/assets/cvat_dataset/for_images/train.xml") else { return };
    let c = read(&bytes);
    assert_eq!(
        reported(&c).iter().find(|r| r.0 == "skeleton"),
        Some(&("skeleton".into(), 2, vec!["0".into(), "1".into()]))
    );
    // Skeleton element labels (`parent` set) are not offered on the image controls.
    let spec = c.spec.as_ref().unwrap();
    let labels: Vec<&str> = spec.controls[0].labels.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(labels, ["label1", "label2"]);
    assert_eq!(spec.controls[0].labels.len(), 2);
    assert_round_trip(&bytes, supported_image_shape);
}

#[test]
fn datumaro_video_tracks() {
    let Some(bytes) = corpus_file("datumaro/tests/assets/cvat_dataset/for_video/annotations.xml") else { return };
    let c = read(&bytes);
    assert_eq!(c.records.len(), 1);
    let video = &c.records[0];
    assert_eq!(video.item.id, "5");
    // 25×20 from <original_size>; stop_frame 19 → 20 frames; no frame rate in the file.
    assert_eq!(
        video.item.media,
        Media::Video { src: "t.mp4".into(), width: 25, height: 20, frame_rate: 0.0, frame_count: 20 }
    );
    assert_eq!(video.regions.len(), 1);
    let track = region(video, "0");
    let key = |frame, x, y, width, height, outside| Keyframe { frame, x, y, width, height, rotation: 0.0, outside };
    // Absolute frames 10/13/16 (start_frame 10, step 3); 13 and 16 are outside.
    assert_eq!(
        track.value,
        RegionValue::VideoTrack {
            label: "II".into(),
            keyframes: vec![
                key(10, 3.0, 4.0, 7.0, 1.0, false),
                key(13, 7.0, 6.0, 7.0, 2.0, true),
                key(16, 8.0, 7.0, 6.0, 10.0, true),
            ],
        }
    );
    assert_eq!(
        track.attributes,
        attrs(&[
            ("cvat_frame_step", "3"),
            ("cvat_start_frame", "10"),
            ("occluded@10", "true"),
            ("occluded@13", "false"),
            ("occluded@16", "false"),
        ])
    );
    let r = reported(&c);
    assert!(r.contains(&("points track".into(), 1, vec!["5".into()])), "{r:?}");
    assert!(r.contains(&("polyline track".into(), 1, vec!["5".into()])), "{r:?}");
    assert!(r.contains(&("frame rate".into(), 1, vec!["5".into()])), "{r:?}");
    let written = assert_round_trip(&bytes, |s| s.owner == "track 0");
    let text = String::from_utf8(written).unwrap();
    for line in ["<start_frame>10</start_frame>", "<stop_frame>19</stop_frame>", "<frame_filter>step=3</frame_filter>"]
    {
        assert!(text.contains(line), "{line} in {text}");
    }
}

#[test]
fn cvat_datumaro_video_reports_the_skeleton_track() {
    let Some(bytes) = corpus_file("cvat-datumaro/tests/assets/cvat_dataset/for_video/annotations.xml") else { return };
    let c = read(&bytes);
    assert_eq!(reported(&c).iter().find(|r| r.0 == "skeleton track").map(|r| r.1), Some(1));
    assert_eq!(c.records[0].regions.len(), 1);
    assert_round_trip(&bytes, |s| s.owner == "track 0");
}

/// A task on frames 0, 2, 4, 6, 8 with CVAT's own interpolated shapes: keyframes at 0 and 4,
/// the interpolation at 2, and copies at 6 and 8 because the track never goes outside.
const INTERPOLATED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id>
      <size>5</size>
      <mode>interpolation</mode>
      <start_frame>0</start_frame>
      <stop_frame>8</stop_frame>
      <frame_filter>step=2</frame_filter>
      <labels><label><name>car</name></label></labels>
      <original_size><width>100</width><height>50</height></original_size>
    </task>
    <source>road.mp4</source>
  </meta>
  <track id="4" label="car" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0">
      <attribute name="colour">red</attribute>
    </box>
    <box frame="2" outside="0" occluded="0" keyframe="0" xtl="5" ytl="0" xbr="15" ybr="10" z_order="0">
      <attribute name="colour">red</attribute>
    </box>
    <box frame="4" outside="0" occluded="1" keyframe="1" xtl="10" ytl="0" xbr="20" ybr="10" z_order="0">
      <attribute name="colour">blue, "dark"
and wet</attribute>
    </box>
    <box frame="6" outside="0" occluded="1" keyframe="0" xtl="10" ytl="0" xbr="20" ybr="10" z_order="0">
      <attribute name="colour">blue, "dark"
and wet</attribute>
    </box>
    <box frame="8" outside="0" occluded="1" keyframe="0" xtl="10" ytl="0" xbr="20" ybr="10" z_order="0">
      <attribute name="colour">blue, "dark"
and wet</attribute>
    </box>
  </track>
</annotations>
"#;

#[test]
fn interpolated_shapes_are_dropped_and_made_again() {
    let c = read(INTERPOLATED.as_bytes());
    let track = region(&c.records[0], "4");
    let RegionValue::VideoTrack { keyframes, .. } = &track.value else { panic!() };
    let frames: Vec<(u32, f64)> = keyframes.iter().map(|k| (k.frame, k.x)).collect();
    // 0 and 4 are keyframes; 8 is the end of the task, where the open track runs to.
    assert_eq!(frames, [(0, 0.0), (4, 10.0), (8, 10.0)]);
    assert_eq!(
        track.attributes,
        attrs(&[
            ("colour@0", "red"),
            ("colour@4", "blue, \"dark\"\nand wet"),
            ("cvat_frame_step", "2"),
            ("cvat_open_end", "true"),
            ("occluded@0", "false"),
            ("occluded@4", "true"),
            ("source", "manual"),
        ])
    );
    // The written track has CVAT's five shapes again, interpolated ones included.
    let written = assert_round_trip(INTERPOLATED.as_bytes(), |_| true);
    let written = shapes(&written);
    let frames: Vec<(&str, &str)> =
        written.iter().map(|s| (s.attrs["frame"].as_str(), s.attrs["keyframe"].as_str())).collect();
    assert_eq!(frames, [("0", "1"), ("2", "0"), ("4", "1"), ("6", "0"), ("8", "0")]);
}

#[test]
fn a_track_that_ends_before_the_task_gets_an_outside_shape() {
    // An annoqa track keyframed at 0 and 2 ends there; CVAT would run it on, so the writer
    // closes it with an outside shape on the next frame, as CVAT does for single shapes.
    let key = |frame, x| Keyframe { frame, x, y: 0.0, width: 4.0, height: 4.0, rotation: 0.0, outside: false };
    let record = Record {
        item: Item {
            id: "clip".into(),
            media: Media::Video { src: "clip.mp4".into(), width: 64, height: 48, frame_rate: 25.0, frame_count: 6 },
            candidates: vec![],
        },
        annotator: "ann".into(),
        source: Source::Annotation,
        regions: vec![
            Region {
                id: "a7".into(),
                control: "track".into(),
                value: RegionValue::VideoTrack { label: "dog".into(), keyframes: vec![key(0, 0.0), key(2, 4.0)] },
                attributes: BTreeMap::new(),
            },
            Region {
                id: "b".into(),
                control: "boxes".into(),
                value: RegionValue::VideoBox {
                    frame: 5,
                    x: 1.0,
                    y: 1.0,
                    width: 2.0,
                    height: 2.0,
                    rotation: 0.0,
                    label: "cat".into(),
                },
                attributes: BTreeMap::new(),
            },
        ],
        score: None,
    };
    let written = write(&[record]);
    let rows: Vec<(String, String, String, String)> = shapes(&written)
        .into_iter()
        .map(|s| (s.owner, s.attrs["frame"].clone(), s.attrs["outside"].clone(), s.attrs["xtl"].clone()))
        .collect();
    let row = |o: &str, f: &str, out: &str, x: &str| (o.to_owned(), f.to_owned(), out.to_owned(), x.to_owned());
    assert_eq!(
        rows,
        [
            row("track 0", "0", "0", "0"),
            row("track 0", "1", "0", "2"),
            row("track 0", "2", "0", "4"),
            row("track 0", "3", "1", "4"),
            // The box on the last frame needs no closing shape.
            row("track 1", "5", "0", "1"),
        ]
    );
    let back = read(&written);
    let RegionValue::VideoTrack { keyframes, .. } = &back.records[0].regions[0].value else { panic!() };
    let frames: Vec<(u32, bool)> = keyframes.iter().map(|k| (k.frame, k.outside)).collect();
    assert_eq!(frames, [(0, false), (2, false), (3, true)]);
}

#[test]
fn rotated_boxes_turn_about_the_centre_in_cvat_and_the_corner_in_annoqa() {
    let xml = r#"<annotations><version>1.1</version>
      <image id="3" name="a.png" width="10" height="10">
        <box label="x" occluded="0" xtl="0" ytl="0" xbr="4" ybr="2" rotation="90" z_order="0"/>
        <box label="x" occluded="0" xtl="1.5" ytl="2.25" xbr="7.5" ybr="5" rotation="33.3" z_order="0"/>
      </image></annotations>"#;
    let c = read(xml.as_bytes());
    let RegionValue::BBox { x, y, width, height, rotation, .. } = region(&c.records[0], "shape-1").value else {
        panic!()
    };
    // A 4×2 box about its centre (2, 1) turned 90° clockwise: its top-left corner (offset
    // (−2, −1) from the centre) moves to offset (1, −2), i.e. (3, −1).
    assert!((x - 3.0).abs() < 1e-12 && (y + 1.0).abs() < 1e-12, "{x} {y}");
    assert_eq!((width, height, rotation), (4.0, 2.0, 90.0));
    // Checked against annoqa's own geometry: the turned box spans x 1–3, y −1–3.
    let bounds = box_bounds(&BoxGeometry { x, y, width, height, rotation });
    for (got, want) in [(bounds.x, 1.0), (bounds.y, -1.0), (bounds.width, 2.0), (bounds.height, 4.0)] {
        assert!((got - want).abs() < 1e-12, "{bounds:?}");
    }
    assert_round_trip(xml.as_bytes(), |_| true);
}

#[test]
fn writes_tags_keypoint_groups_and_new_ids() {
    let image = |id: &str| Item {
        id: id.into(),
        media: Media::Image { src: format!("{id}.jpg"), width: 20, height: 10 },
        candidates: vec![],
    };
    let region = |id: &str, control: &str, value: RegionValue, a: &[(&str, &str)]| Region {
        id: id.into(),
        control: control.into(),
        value,
        attributes: attrs(a),
    };
    let keypoint = |x, y| RegionValue::Keypoint { x, y, label: "hand".into() };
    let record =
        |item, regions| Record { item, annotator: "7".into(), source: Source::Annotation, regions, score: None };
    let records = vec![
        record(
            image("photos/a"),
            vec![
                region("k1", "kp", keypoint(1.0, 2.0), &[("instance", "p"), ("score", "0.5")]),
                region(
                    "t",
                    "weather",
                    RegionValue::Choice { labels: vec!["sunny".into(), "windy".into()] },
                    &[("sunny/level", "high")],
                ),
                region("k2", "kp", keypoint(3.0, 4.0), &[("instance", "p"), ("score", "0.5")]),
                region("s", "spans", RegionValue::TextSpan { start: 0, end: 1, label: "x".into() }, &[]),
            ],
        ),
        record(image("9"), vec![]),
    ];
    let written = cvat::write(&records, None).unwrap();
    assert_eq!(written.diagnostics.count("text_span"), 1);
    let got = shapes(&written.files[0].bytes);
    let summary: Vec<(String, String, String)> = got
        .iter()
        .map(|s| {
            (
                s.owner.clone(),
                s.name.clone(),
                s.attrs.get("points").cloned().unwrap_or_else(|| s.attrs["label"].clone()),
            )
        })
        .collect();
    let row = |o: &str, n: &str, v: &str| (o.to_owned(), n.to_owned(), v.to_owned());
    // `photos/a` is no number: it gets the first id after the numbered ones (9).
    assert_eq!(
        summary,
        [row("image 10", "points", "1,2;3,4"), row("image 10", "tag", "sunny"), row("image 10", "tag", "windy")]
    );
    assert_eq!(got[0].custom, attrs(&[("score", "0.5")]));
    assert_eq!(got[1].custom, attrs(&[("level", "high")]));
    let back = read(&written.files[0].bytes);
    assert_eq!(back.records[0].item.media, Media::Image { src: "photos/a.jpg".into(), width: 20, height: 10 });
    assert_eq!(
        back.records[0].regions.last().unwrap().value,
        RegionValue::Choice { labels: vec!["sunny".into(), "windy".into()] }
    );
    let text = String::from_utf8(written.files[0].bytes.clone()).unwrap();
    assert!(text.contains("<name>level</name>"), "{text}");
}

#[test]
fn a_second_annotator_of_an_item_is_reported() {
    let item =
        Item { id: "1".into(), media: Media::Image { src: "1.jpg".into(), width: 4, height: 4 }, candidates: vec![] };
    let record = |annotator: &str, source| Record {
        item: item.clone(),
        annotator: annotator.into(),
        source,
        regions: vec![],
        score: None,
    };
    let records =
        [record("model", Source::Prediction), record("a", Source::Annotation), record("b", Source::Annotation)];
    let written = cvat::write(&records, None).unwrap();
    assert_eq!(written.diagnostics.count("record"), 2);
    assert_eq!(read(&written.files[0].bytes).records.len(), 1);
}

#[test]
fn malformed_input_names_the_element() {
    let error = |xml: &str| {
        cvat::read(xml.as_bytes(), &ReadOptions { file_name: "in.xml", ..ReadOptions::default() }).unwrap_err()
    };
    let e = error(
        r#"<annotations><image id="0" name="a" width="4" height="4"/><image id="1" name="b" width="4" height="4">
           <tag label="x"/><box label="x" xtl="1" ytl="0" xbr="2" ybr="2"/><box label="x" xtl="wide" ytl="0" xbr="2" ybr="2"/></image></annotations>"#,
    );
    assert_eq!((e.file.as_str(), e.location.as_str()), ("in.xml", "annotations/image[2]/box[2]@xtl"));
    assert_eq!(e.message, "expected a finite number, got `wide`");
    let e = error(r#"<annotations><image id="0" name="a" width="4" height="4"><box label="x""#);
    assert_eq!(e.location, "annotations/image[1]");
    assert!(e.message.starts_with("malformed xml at line 1"), "{}", e.message);
    let e = error(r#"<annotations><image id="0" name="a" width="4" height="4"></box></annotations>"#);
    assert_eq!(e.location, "annotations/image[1]");
    let e = error(r#"<annotations><image id="0" name="a"/></annotations>"#);
    assert_eq!(e.location, "annotations/image[1]@width");
    assert_eq!(error("<tasks/>").message, "expected <annotations> as the root element, got <tasks>");
    assert_eq!(error("").message, "no xml element in the file");
    let e = error(
        r#"<annotations><track id="0" label="a"><box frame="-1" xtl="0" ytl="0" xbr="1" ybr="1"/></track></annotations>"#,
    );
    assert_eq!(e.location, "annotations/track[1]/box[1]@frame");
    assert!(cvat::read(b"\xff\xfe<a/>", &ReadOptions::default()).is_err());
}

#[test]
fn media_size_fills_images_without_one() {
    let xml = r#"<annotations><image id="0" name="a.png"/></annotations>"#;
    let opts = ReadOptions { file_name: "in.xml", media_size: Some((640, 480)), ..ReadOptions::default() };
    let c = cvat::read(xml.as_bytes(), &opts).unwrap();
    assert_eq!(c.records[0].item.media, Media::Image { src: "a.png".into(), width: 640, height: 480 });
}

#[test]
fn truncated_corpus_files_never_panic() {
    let Some(dir) = super::corpus_dir() else { return };
    for path in [
        "datumaro/tests/assets/cvat_dataset/for_images/export_task/train.xml",
        "datumaro/tests/assets/cvat_dataset/for_video/annotations.xml",
        "cvat-datumaro/tests/assets/cvat_dataset/for_video/annotations.xml",
    ] {
        let bytes = std::fs::read(dir.join(path)).unwrap();
        for end in (0..bytes.len()).step_by(7) {
            let _ = cvat::read(&bytes[..end], &ReadOptions { media_size: Some((8, 8)), ..ReadOptions::default() });
        }
    }
}

#[test]
fn a_huge_task_gets_keyframes_only() {
    // The frame range comes from the file: 4 billion frames of copies would be gigabytes.
    let xml = r#"<annotations><version>1.1</version><meta><task><mode>interpolation</mode>
      <start_frame>0</start_frame><stop_frame>4294967294</stop_frame>
      <original_size><width>9</width><height>9</height></original_size></task></meta>
      <track id="0" label="a"><box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/></track>
      </annotations>"#;
    let c = read(xml.as_bytes());
    assert_eq!(
        c.records[0].item.media,
        Media::Video { src: String::new(), width: 9, height: 9, frame_rate: 0.0, frame_count: u32::MAX }
    );
    let written = cvat::write(&c.records, c.spec.as_ref()).unwrap();
    assert_eq!(written.diagnostics.count("interpolated shapes"), 1);
    let frames: Vec<String> = shapes(&written.files[0].bytes).into_iter().map(|s| s.attrs["frame"].clone()).collect();
    assert_eq!(frames, ["0"]);
    let again = read(&written.files[0].bytes);
    assert_records_close(&c.records, &again.records);
}

#[test]
fn the_largest_image_id_still_leaves_room_for_new_ones() {
    let image = |id: &str| Record {
        item: Item {
            id: id.into(),
            media: Media::Image { src: format!("{id}.png"), width: 1, height: 1 },
            candidates: vec![],
        },
        annotator: "a".into(),
        source: Source::Annotation,
        regions: vec![],
        score: None,
    };
    let written = write(&[image("4294967295"), image("x"), image("18446744073709551616")]);
    let text = String::from_utf8(written).unwrap();
    assert!(text.contains(r#"<image id="4294967295" name="4294967295.png""#), "{text}");
    assert!(text.contains(r#"<image id="4294967296" name="x.png""#), "{text}");
    assert!(text.contains(r#"<image id="4294967297" name="18446744073709551616.png""#), "{text}");
}

#[test]
fn deep_nesting_is_refused_before_it_costs_memory_or_stack() {
    // Found by the fuzzer: each element's path holds its ancestors' (quadratic memory) and the
    // tree is dropped recursively (a stack overflow at a depth of about 100,000 elements).
    let depth = 5_000;
    let xml = format!("<annotations>{}{}</annotations>", "<a>".repeat(depth), "</a>".repeat(depth));
    let e = cvat::read(xml.as_bytes(), &ReadOptions { file_name: "in.xml", ..ReadOptions::default() }).unwrap_err();
    assert_eq!(e.message, "elements nested deeper than 100 at line 1");
    assert!(e.location.starts_with("annotations/a[1]/a[1]/"), "{}", e.location);
    let fine = format!("<annotations>{}{}</annotations>", "<a>".repeat(98), "</a>".repeat(98));
    assert!(cvat::read(fine.as_bytes(), &ReadOptions::default()).is_ok());
}

#[test]
fn reading_is_linear_in_elements_and_attributes() {
    // Found by the fuzzer: every attribute counted the lines before it and every element the
    // siblings before it, so 40,000 images took minutes. Now the line is counted for errors
    // only; the sibling numbers in paths are unchanged.
    let mut images = String::new();
    for i in 0..40_000 {
        images.push_str(&format!(
            "<image id=\"{i}\" name=\"{i}.png\" width=\"8\" height=\"8\">\
             <box label=\"a\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\" occluded=\"0\" z_order=\"0\"/></image>\n"
        ));
    }
    let bad = r#"<image id="x" name="x.png" width="8" height="8"><box label="a" xtl="?"/></image>"#;
    let started = std::time::Instant::now();
    let xml = format!("<annotations>\n{images}{bad}\n</annotations>");
    let e = cvat::read(xml.as_bytes(), &ReadOptions { file_name: "in.xml", ..ReadOptions::default() }).unwrap_err();
    assert_eq!(e.location, "annotations/image[40001]/box[1]@xtl");
    let xml = format!("<annotations>\n{images}</annotations>");
    assert_eq!(read(xml.as_bytes()).records.len(), 40_000);
    // Quadratic, this is hours; linear, well under a second in release and a few in debug.
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}

#[test]
fn a_video_up_to_the_last_frame_number_has_a_size_beyond_u32() {
    // Found by the fuzzer: a video of unknown length with a keyframe on frame 4294967295 (what
    // Label Studio's frame 4294967295, disabled, reads as) overflowed the task size.
    let key = |frame, outside| Keyframe { frame, x: 1.0, y: 1.0, width: 2.0, height: 2.0, rotation: 0.0, outside };
    let record = Record {
        item: Item {
            id: "v".into(),
            media: Media::Video { src: "v.mp4".into(), width: 8, height: 8, frame_rate: 0.0, frame_count: 0 },
            candidates: vec![],
        },
        annotator: "a".into(),
        source: Source::Annotation,
        regions: vec![Region {
            id: "0".into(),
            control: "track".into(),
            value: RegionValue::VideoTrack {
                label: "car".into(),
                keyframes: vec![key(u32::MAX - 1, false), key(u32::MAX, true)],
            },
            attributes: BTreeMap::new(),
        }],
        score: None,
    };
    let text = String::from_utf8(write(&[record])).unwrap();
    assert!(text.contains("<size>4294967296</size>"), "{text}");
    assert!(text.contains("<stop_frame>4294967295</stop_frame>"), "{text}");
}

#[test]
fn many_labels_are_declared_in_linear_time() {
    // Found while fuzzing: each region's label was looked up by a scan of the labels declared
    // so far (100,000 labels: minutes). Linear, a second or two in debug.
    let started = std::time::Instant::now();
    let n = 100_000;
    let regions = (0..n)
        .map(|i| Region {
            id: format!("{i}"),
            control: "box".into(),
            value: RegionValue::BBox { x: 1.0, y: 1.0, width: 1.0, height: 1.0, rotation: 0.0, label: format!("l{i}") },
            attributes: attrs(&[("colour", "red")]),
        })
        .collect();
    let record = Record {
        item: Item {
            id: "0".into(),
            media: Media::Image { src: "a.png".into(), width: 8, height: 8 },
            candidates: vec![],
        },
        annotator: "a".into(),
        source: Source::Annotation,
        regions,
        score: None,
    };
    let text = String::from_utf8(write(&[record])).unwrap();
    assert_eq!(text.matches("<label>").count(), n);
    assert!(text.contains("<name>l99999</name>"));
    assert_eq!(text.matches("<name>colour</name>").count(), n);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}
