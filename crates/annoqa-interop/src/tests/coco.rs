//! Tests of the coco reader and writer: the corpus files (datumaro's instances and person
//! keypoints, COCO-Annotator's export, cocoapi's results), numbers checked against the files
//! by hand, and `coco → annoqa → coco` round trips.

use std::collections::BTreeMap;

use annoqa_core::model::{Item, Media, Region, RegionValue};
use serde_json::{json, Value};

use crate::coco;
use crate::record::{Converted, ReadOptions, Record, Source};

fn corpus_file(path: &str) -> Option<Vec<u8>> {
    let dir = super::corpus_dir()?;
    Some(std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn read(bytes: &[u8]) -> Converted {
    coco::read(bytes, &ReadOptions { file_name: "in.json", ..ReadOptions::default() }).unwrap()
}

fn region<'a>(record: &'a Record, id: &str) -> &'a Region {
    record.regions.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no region {id}"))
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn labels(converted: &Converted, control: &str) -> Vec<String> {
    let spec = converted.spec.as_ref().unwrap();
    spec.control(control).unwrap().labels.iter().map(|l| l.value.clone()).collect()
}

/// `coco → annoqa → coco → annoqa` gives the same records: every value the reader keeps, the
/// writer writes back exactly (ids, floats to the bit, attributes).
fn assert_records_round_trip(converted: &Converted) {
    let written = coco::write(&converted.records, converted.spec.as_ref()).unwrap();
    let again = read(&written.files[0].bytes);
    assert_eq!(again.records, converted.records);
    assert_eq!(again.spec, converted.spec);
}

/// `coco → annoqa → coco`: the written file equals the original by ids, with `area`
/// recomputed, RLE masks and the keys reported as dropped left out.
fn assert_file_round_trip(original: &[u8], converted: &Converted, renumbered: &[u64]) -> Value {
    let original: Value = serde_json::from_slice(original).unwrap();
    let written = coco::write(&converted.records, converted.spec.as_ref()).unwrap();
    let written: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    let by_id = |file: &Value, key: &str| -> BTreeMap<u64, Value> {
        file[key].as_array().unwrap().iter().map(|v| (v["id"].as_u64().unwrap(), v.clone())).collect()
    };
    let (images, images_back) = (by_id(&original, "images"), by_id(&written, "images"));
    assert_eq!(images.keys().collect::<Vec<_>>(), images_back.keys().collect::<Vec<_>>());
    for (id, image) in &images {
        for key in ["file_name", "width", "height"] {
            assert_eq!(image[key], images_back[id][key], "image {id} {key}");
        }
    }
    let (categories, categories_back) = (by_id(&original, "categories"), by_id(&written, "categories"));
    let names = |c: &BTreeMap<u64, Value>| -> Vec<(u64, String)> {
        c.iter().map(|(id, c)| (*id, c["name"].as_str().unwrap().to_owned())).collect()
    };
    let kept: Vec<(u64, String)> = names(&categories).into_iter().filter(|(id, _)| !renumbered.contains(id)).collect();
    let kept_back: Vec<(u64, String)> =
        names(&categories_back).into_iter().filter(|(_, name)| kept.iter().any(|(_, n)| n == name)).collect();
    assert_eq!(kept, kept_back);
    let (annotations, annotations_back) = (by_id(&original, "annotations"), by_id(&written, "annotations"));
    assert_eq!(annotations.keys().collect::<Vec<_>>(), annotations_back.keys().collect::<Vec<_>>());
    for (id, a) in &annotations {
        let b = &annotations_back[id];
        assert_eq!(a["image_id"], b["image_id"], "annotation {id}");
        assert_eq!(a["category_id"], b["category_id"], "annotation {id}");
        assert_close(&a["bbox"], &b["bbox"]);
        if a["segmentation"].is_array() {
            assert_close(&a["segmentation"], &b["segmentation"]);
        } else {
            assert_eq!(b["segmentation"], json!([]), "an RLE mask is dropped (reported)");
        }
        let crowd = |v: &Value| matches!(v, Value::Number(n) if n.as_u64() == Some(1));
        assert_eq!(crowd(&a["iscrowd"]), crowd(&b["iscrowd"]), "annotation {id}");
        if a.get("keypoints").is_some() {
            assert_close(&a["keypoints"], &b["keypoints"]);
            assert_eq!(a["num_keypoints"], b["num_keypoints"]);
        }
        assert_eq!(a.get("attributes"), b.get("attributes"), "annotation {id}");
    }
    written
}

fn assert_close(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
            a.iter().zip(b).for_each(|(a, b)| assert_close(a, b));
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
        }
        _ => panic!("{a} vs {b}"),
    }
}

#[test]
fn datumaro_instances_train_keeps_boxes_and_non_contiguous_category_ids() {
    let path = "datumaro/tests/assets/coco_dataset/coco_instances/annotations/instances_train.json";
    let Some(bytes) = corpus_file(path) else { return };
    let converted = read(&bytes);
    assert_eq!(labels(&converted, "bbox"), ["a", "b", "c"]);
    assert_eq!(labels(&converted, "segmentation"), ["a", "b", "c"]);
    let [record] = &converted.records[..] else { panic!("one image") };
    assert_eq!(record.item.id, "5");
    assert_eq!(record.item.media, Media::Image { src: "a.jpg".into(), width: 10, height: 5 });
    assert_eq!((record.annotator.as_str(), record.source), ("coco", Source::Annotation));
    // "bbox": [2.0, 2.0, 3.0, 1.0], "category_id": 2 (= b), "segmentation": [] (no polygon).
    assert_eq!(record.regions.len(), 1);
    let b = region(record, "1");
    assert_eq!(b.control, "bbox");
    assert_eq!(
        b.value,
        RegionValue::BBox { x: 2.0, y: 2.0, width: 3.0, height: 1.0, rotation: 0.0, label: "b".into() }
    );
    assert_eq!(b.attributes, attrs(&[("category_id", "2")]));
    // Only b (id 2) is used: a write numbers a 1 (right) and c 3 (the file says 4): reported.
    assert_eq!(converted.diagnostics.count("category id"), 1);
    assert!(converted.diagnostics.to_string().contains("`c` (id 4)"), "{}", converted.diagnostics);
    let written = assert_file_round_trip(&bytes, &converted, &[4]);
    assert_eq!(written["categories"][2], json!({"id": 3, "name": "c", "supercategory": ""}));
    // area recomputed as w × h = 3 × 1.
    assert_eq!(written["annotations"][0]["area"], json!(3));
    assert_records_round_trip(&converted);
}

#[test]
fn datumaro_instances_val_reads_polygon_attributes_and_reports_the_rle_mask() {
    let path = "datumaro/tests/assets/coco_dataset/coco_instances/annotations/instances_val.json";
    let Some(bytes) = corpus_file(path) else { return };
    let converted = read(&bytes);
    let [record] = &converted.records[..] else { panic!("one image") };
    assert_eq!(record.item.media, Media::Image { src: "b.jpg".into(), width: 5, height: 10 });
    let ids: Vec<&str> = record.regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1", "1-polygon-1", "2"]);
    // Annotation 1: bbox [0, 0, 1, 2], polygon 0,0 1,0 1,2 0,2, attributes {x: 1, y: "hello"}.
    let custom = [("category_id", "1"), ("x", "1"), ("y", "hello")];
    assert_eq!(region(record, "1").attributes, attrs(&custom));
    assert_eq!(
        region(record, "1-polygon-1").value,
        RegionValue::Polygon { points: vec![[0.0, 0.0], [1.0, 0.0], [1.0, 2.0], [0.0, 2.0]], label: "a".into() }
    );
    assert_eq!(region(record, "1-polygon-1").attributes["instance"], "1");
    // Annotation 2: an uncompressed RLE crowd mask; its stored bbox [0, 0, 1, 9] is kept as
    // given (one pixel short of the mask's [0, 0, 2, 10], SOURCES.md ambiguity 16).
    let crowd = region(record, "2");
    assert_eq!(
        crowd.value,
        RegionValue::BBox { x: 0.0, y: 0.0, width: 1.0, height: 9.0, rotation: 0.0, label: "b".into() }
    );
    assert_eq!(crowd.attributes, attrs(&[("category_id", "2"), ("iscrowd", "1")]));
    assert_eq!(converted.diagnostics.count("rle mask"), 1);
    assert_eq!(converted.diagnostics.count("category id"), 1, "c (4) is unused");
    let written = assert_file_round_trip(&bytes, &converted, &[4]);
    // Polygon area by the shoelace formula: 1 × 2.
    assert_eq!(written["annotations"][0]["area"], json!(2));
    assert_eq!(written["annotations"][0]["attributes"], json!({"x": 1, "y": "hello"}));
    assert_records_round_trip(&converted);
}

#[test]
fn datumaro_person_keypoints_names_empty_keypoint_lists_by_slot() {
    let path = "datumaro/tests/assets/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json";
    let Some(bytes) = corpus_file(path) else { return };
    let converted = read(&bytes);
    // "keypoints": [] in both categories, 3 triples per annotation: named 1, 2, 3.
    assert_eq!(labels(&converted, "keypoints"), ["1", "2", "3"]);
    let [record] = &converted.records[..] else { panic!("one image") };
    // Annotation 1: keypoints [1,2,2, 3,4,2, 2,3,2]; annotation 2: [2,4,2, 4,4,2, 4,2,2].
    let expected = [("1", [(1.0, 2.0), (3.0, 4.0), (2.0, 3.0)]), ("2", [(2.0, 4.0), (4.0, 4.0), (4.0, 2.0)])];
    for (parent, points) in expected {
        for (slot, (x, y)) in points.into_iter().enumerate() {
            let name = (slot + 1).to_string();
            let keypoint = region(record, &format!("{parent}-keypoint-{name}"));
            assert_eq!(keypoint.control, "keypoints");
            assert_eq!(keypoint.value, RegionValue::Keypoint { x, y, label: name });
            assert_eq!(keypoint.attributes, attrs(&[("parent", parent), ("visibility", "2")]));
        }
    }
    assert_eq!(converted.diagnostics.count("skeleton"), 2);
    assert_eq!(converted.diagnostics.count("rle mask"), 1);
    let written = assert_file_round_trip(&bytes, &converted, &[]);
    // The slots come back named: documented.
    assert_eq!(written["categories"][0]["keypoints"], json!(["1", "2", "3"]));
    assert_records_round_trip(&converted);
}

#[test]
fn coco_annotator_export_parses_string_iscrowd_and_keeps_both_polygons() {
    let path = "ls-sdk/tests/custom/converter/data/test_import_coco/coco_import_input.json";
    let Some(bytes) = corpus_file(path) else { return };
    let converted = read(&bytes);
    assert_eq!(labels(&converted, "bbox"), ["Class_1", "Class_2"]);
    let [first, second] = &converted.records[..] else { panic!("two images") };
    assert_eq!(first.item.media, Media::Image { src: "image1.jpg".into(), width: 4022, height: 6033 });
    assert_eq!(second.item.id, "1");
    // "iscrowd": "false" is not a crowd.
    assert!(converted.records.iter().flat_map(|r| &r.regions).all(|r| !r.attributes.contains_key("iscrowd")));
    let polygon_sizes = |record: &Record| -> Vec<(String, usize)> {
        record
            .regions
            .iter()
            .filter_map(|r| match &r.value {
                RegionValue::Polygon { points, .. } => Some((r.id.clone(), points.len())),
                _ => None,
            })
            .collect()
    };
    // 320 numbers = 160 points; annotation 1000: 268 and 244 numbers.
    assert_eq!(polygon_sizes(first), [("0-polygon-1".to_owned(), 160)]);
    assert_eq!(polygon_sizes(second), [("1000-polygon-1".to_owned(), 134), ("1000-polygon-2".to_owned(), 122)]);
    // The bbox of annotation 1000 is kept as given (it covers only the first polygon).
    let bbox = &region(second, "1000").value;
    assert_eq!(
        bbox,
        &RegionValue::BBox { x: 5040.0, y: 1686.0, width: 89.0, height: 89.0, rotation: 0.0, label: "Class_2".into() }
    );
    let RegionValue::Polygon { points, .. } = &region(first, "0-polygon-1").value else { panic!() };
    assert_eq!(points[..2], [[3699.0, 872.0], [3698.0, 873.0]]);
    // COCO-Annotator's own keys are reported, one per occurrence.
    for kind in
        ["annotation field `isbbox`", "annotation field `color`", "image field `path`", "category field `color`"]
    {
        assert_eq!(converted.diagnostics.count(kind), 2, "{kind}");
    }
    let written = assert_file_round_trip(&bytes, &converted, &[]);
    // Areas by the shoelace formula: 9981; 6052 + 6051 for both polygons of annotation 1000
    // (the file's 6052 counts only the first).
    assert_eq!(written["annotations"][0]["area"], json!(9981));
    assert_eq!(written["annotations"][1]["area"], json!(6052 + 6051));
    assert_records_round_trip(&converted);
}

#[test]
fn cocoapi_results_become_predictions_labelled_by_category_id() {
    let Some(bytes) = corpus_file("cocoapi/results/instances_val2014_fakebbox100_results.json") else { return };
    let opts = ReadOptions { file_name: "results.json", media_size: Some((640, 480)), ..ReadOptions::default() };
    let converted = coco::read(&bytes, &opts).unwrap();
    assert_eq!(converted.records.len(), 99);
    assert_eq!(converted.records.iter().map(|r| r.regions.len()).sum::<usize>(), 734);
    assert_eq!(labels(&converted, "bbox").len(), 75);
    let first = &converted.records[0];
    assert_eq!(
        (first.item.id.as_str(), first.annotator.as_str(), first.source),
        ("42", "prediction", Source::Prediction)
    );
    assert_eq!(first.item.media, Media::Image { src: String::new(), width: 640, height: 480 });
    // {"image_id":42,"category_id":18,"bbox":[258.15,41.29,348.26,243.78],"score":0.236}
    let detection = region(first, "shape-1");
    let expected =
        RegionValue::BBox { x: 258.15, y: 41.29, width: 348.26, height: 243.78, rotation: 0.0, label: "18".into() };
    assert_eq!(detection.value, expected);
    assert_eq!(detection.attributes, attrs(&[("category_id", "18"), ("score", "0.236")]));
    // The last entry: image 1292, the 734th detection.
    let last = converted.records.iter().find(|r| r.item.id == "1292").unwrap();
    assert_eq!(region(last, "shape-734").attributes["score"], "0.097");
    assert_eq!(converted.diagnostics.count("category name"), 734);
    assert_eq!(converted.diagnostics.count("image size"), 0, "--media-size given");
    let without_size = read(&bytes);
    assert_eq!(without_size.diagnostics.count("image size"), 99);
    // Written as instances with their scores and category ids.
    let written = coco::write(&converted.records, converted.spec.as_ref()).unwrap();
    let file: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    let annotation = &file["annotations"][0];
    assert_eq!((annotation["category_id"].clone(), annotation["score"].clone()), (json!(18), json!(0.236)));
}

fn image_record(id: &str, regions: Vec<Region>) -> Record {
    Record {
        item: Item {
            id: id.into(),
            media: Media::Image { src: format!("{id}.jpg"), width: 100, height: 50 },
            candidates: vec![],
        },
        annotator: "ann".into(),
        source: Source::Annotation,
        regions,
        score: None,
    }
}

fn plain(id: &str, control: &str, value: RegionValue) -> Region {
    Region { id: id.into(), control: control.into(), value, attributes: BTreeMap::new() }
}

#[test]
fn a_rotated_box_is_written_as_its_bounds_and_corner_polygon_and_reported() {
    let value = RegionValue::BBox { x: 10.0, y: 10.0, width: 20.0, height: 10.0, rotation: 90.0, label: "car".into() };
    let records = vec![image_record("7", vec![plain("r1", "box", value)])];
    let written = coco::write(&records, None).unwrap();
    assert_eq!(written.diagnostics.count("rotated b_box"), 1);
    let file: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    let annotation = &file["annotations"][0];
    // Turned 90° clockwise about (10, 10): corners (10,10) (10,30) (0,30) (0,10).
    assert_eq!(annotation["bbox"], json!([0, 10, 10, 20]));
    assert_eq!(annotation["segmentation"], json!([[10, 10, 10, 30, 0, 30, 0, 10]]));
    assert_eq!(annotation["area"], json!(200));
    // "r1" is no number: the annotation is numbered; the image keeps its id 7.
    assert_eq!((annotation["id"].clone(), annotation["image_id"].clone()), (json!(1), json!(7)));
    assert_eq!(file["categories"], json!([{"id": 1, "name": "car", "supercategory": ""}]));
}

#[test]
fn the_writer_groups_keypoints_with_their_box_and_fills_missing_slots() {
    let mut nose = plain("k1", "kp", RegionValue::Keypoint { x: 5.0, y: 6.0, label: "nose".into() });
    nose.attributes = attrs(&[("parent", "b1"), ("visibility", "1")]);
    let mut tail = plain("k2", "kp", RegionValue::Keypoint { x: 1.5, y: 2.5, label: "tail".into() });
    tail.attributes = attrs(&[("parent", "b1")]);
    let b = plain(
        "b1",
        "box",
        RegionValue::BBox { x: 1.0, y: 2.0, width: 3.0, height: 4.0, rotation: 0.0, label: "cat".into() },
    );
    let mut spec =
        coco::image_spec(&["cat".to_owned()], Some(&["tail".to_owned(), "ear".to_owned(), "nose".to_owned()]));
    spec.controls.retain(|c| c.name != "segmentation");
    let records = vec![image_record("a", vec![nose, b, tail])];
    let written = coco::write(&records, Some(&spec)).unwrap();
    assert!(written.diagnostics.is_empty(), "{}", written.diagnostics);
    let file: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    assert_eq!(file["images"], json!([{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}]));
    let annotation = &file["annotations"][0];
    assert_eq!(file["annotations"].as_array().unwrap().len(), 1);
    assert_eq!(annotation["keypoints"], json!([1.5, 2.5, 2, 0, 0, 0, 5, 6, 1]));
    assert_eq!(annotation["num_keypoints"], json!(2));
    assert_eq!(annotation["area"], json!(12));
    assert_eq!(file["categories"][0]["keypoints"], json!(["tail", "ear", "nose"]));
}

#[test]
fn the_writer_reports_what_coco_cannot_hold() {
    let text = Record {
        item: Item { id: "t".into(), media: Media::Text { text: "hi".into() }, candidates: vec![] },
        annotator: "a".into(),
        source: Source::Annotation,
        regions: vec![],
        score: None,
    };
    let choice = plain("c", "kind", RegionValue::Choice { labels: vec!["x".into()] });
    let b = plain(
        "5",
        "box",
        RegionValue::BBox { x: 0.0, y: 0.0, width: 1.0, height: 1.0, rotation: 0.0, label: "car".into() },
    );
    let records = vec![text, image_record("1", vec![choice, b.clone()]), image_record("1", vec![b])];
    let written = coco::write(&records, None).unwrap();
    assert_eq!(written.diagnostics.count("text item"), 1);
    assert_eq!(written.diagnostics.count("choice"), 1);
    assert_eq!(written.diagnostics.count("annotator"), 1);
    let file: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    // Both annotators' box 5 are written; the second takes a new id.
    let ids: Vec<u64> = file["annotations"].as_array().unwrap().iter().map(|a| a["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [5, 1]);
}

fn read_err(text: &str) -> String {
    coco::read(text.as_bytes(), &ReadOptions { file_name: "x.json", ..ReadOptions::default() }).unwrap_err().to_string()
}

const HEAD: &str = r#""images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
    "categories": [{"id": 3, "name": "a"}]"#;

#[test]
fn malformed_input_is_named_by_json_path() {
    let bad_bbox =
        format!(r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3]}}]}}"#);
    assert_eq!(read_err(&bad_bbox), "x.json: $.annotations[0].bbox: expected a list of 4 numbers");
    let no_image = format!(r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 2, "category_id": 3}}]}}"#);
    assert_eq!(read_err(&no_image), "x.json: $.annotations[0].image_id: no image has id 2");
    let odd = format!(
        r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 1, "category_id": 3, "segmentation": [[1, 2, 3]]}}]}}"#
    );
    assert_eq!(read_err(&odd), "x.json: $.annotations[0].segmentation[0]: 3 numbers: expected pairs of x, y");
    let kp =
        format!(r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 1, "category_id": 3, "keypoints": [1, 2]}}]}}"#);
    assert_eq!(read_err(&kp), "x.json: $.annotations[0].keypoints: 2 numbers: expected triples of x, y, v");
    assert_eq!(read_err("{\"images\": [}"), "x.json: line 1 column 13: expected value at line 1 column 13");
    assert_eq!(
        read_err("3"),
        "x.json: $: expected a COCO object (images, annotations, categories) or a COCO results list"
    );
    let twice = r#"{"images": [], "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "a"}]}"#;
    assert_eq!(
        read_err(twice),
        "x.json: $.categories[1]: duplicate category name `a` (ids 1 and 2): labels must differ"
    );
}

#[test]
fn iscrowd_takes_numbers_booleans_and_their_strings_and_reports_the_rest() {
    let values = [("1", true), ("\"1\"", true), ("true", true), ("\"true\"", true), ("0", false), ("\"false\"", false)];
    for (value, crowd) in values {
        let text = format!(
            r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0,0,1,1], "iscrowd": {value}}}]}}"#
        );
        let converted = read(text.as_bytes());
        assert_eq!(converted.records[0].regions[0].attributes.contains_key("iscrowd"), crowd, "{value}");
        assert!(converted.diagnostics.is_empty(), "{value}: {}", converted.diagnostics);
    }
    let text = format!(
        r#"{{{HEAD}, "annotations": [{{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0,0,1,1], "iscrowd": "yes"}}]}}"#
    );
    assert_eq!(read(text.as_bytes()).diagnostics.count("iscrowd"), 1);
}

/// A small deterministic generator for the mutation tests (xorshift64).
pub(super) struct Mutator(pub(super) u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    /// `bytes` with a few bytes replaced, inserted or removed, biased to the characters that
    /// change a file's structure.
    pub(super) fn mutate(&mut self, bytes: &[u8]) -> Vec<u8> {
        const INTERESTING: &[u8] = b"0123456789-.,:[]{}\"' \n\r#e";
        let mut out = bytes.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(out.len() + 1);
            let byte = INTERESTING[self.below(INTERESTING.len())];
            match self.below(3) {
                0 if at < out.len() => out[at] = byte,
                1 => out.insert(at, byte),
                _ if at < out.len() => {
                    out.remove(at);
                }
                _ => out.push(byte),
            }
        }
        out
    }
}

#[test]
fn mutated_corpus_files_never_panic_the_reader_or_the_writer() {
    let files = [
        "datumaro/tests/assets/coco_dataset/coco_instances/annotations/instances_val.json",
        "datumaro/tests/assets/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json",
        "ls-sdk/tests/custom/converter/data/test_import_coco/coco_import_input.json",
    ];
    let mut mutator = Mutator(0x9e37_79b9_7f4a_7c15);
    let mut read_ok = 0;
    for path in files {
        let Some(bytes) = corpus_file(path) else { return };
        for _ in 0..400 {
            let mutated = mutator.mutate(&bytes);
            if let Ok(converted) = coco::read(&mutated, &ReadOptions::default()) {
                read_ok += 1;
                coco::write(&converted.records, converted.spec.as_ref()).unwrap();
            }
        }
    }
    // Some mutations only touch numbers or spaces: those must still read.
    assert!(read_ok > 100, "{read_ok}");
}

#[test]
fn many_categories_and_keypoints_take_linear_time() {
    // Found by the fuzzer: labels, categories and keypoint parents were looked up by scanning
    // lists, so the time grew with regions × labels (a 10 MB file with 20,000 categories and
    // 100,000 boxes took 29 s to write back); keypoint names from an annotation's slots were
    // merged the same way. Quadratic, this test takes minutes; linear, seconds in debug.
    let started = std::time::Instant::now();
    let n = 40_000;
    let categories: Vec<Value> = (0..n).map(|i| json!({"id": i + 1, "name": format!("class {i}")})).collect();
    let annotations: Vec<Value> = (0..n)
        .map(|i| json!({"id": i + 1, "image_id": 1, "category_id": n - i, "bbox": [1, 2, 3, 4], "iscrowd": 0}))
        .collect();
    let image = json!([{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}]);
    let file = json!({"images": image, "categories": categories, "annotations": annotations});
    let converted = read(&serde_json::to_vec(&file).unwrap());
    assert_eq!(labels(&converted, "bbox").len(), n as usize);
    let mut records = converted.records;
    // A keypoint under each box, 17 names.
    for k in 0..n {
        let parent = format!("{}", k + 1);
        let value = RegionValue::Keypoint { x: 1.0, y: 1.0, label: format!("{}", k % 17 + 1) };
        let region = Region {
            id: format!("k{k}"),
            control: "keypoints".into(),
            value,
            attributes: attrs(&[("parent", &parent)]),
        };
        records[0].regions.push(region);
    }
    let written = coco::write(&records, converted.spec.as_ref()).unwrap();
    let back: Value = serde_json::from_slice(&written.files[0].bytes).unwrap();
    assert_eq!(back["categories"].as_array().unwrap().len(), n as usize);
    let first = back["annotations"].as_array().unwrap().iter().find(|a| a["id"] == 1).unwrap();
    assert_eq!(first["category_id"], n);
    assert_eq!(first["num_keypoints"], 1);

    // One annotation with 30,000 unlabelled keypoint slots: 30,000 keypoint names.
    let pose = json!({"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "keypoints": vec![0; 90_000]});
    let file = json!({"images": image, "categories": [{"id": 1, "name": "person"}], "annotations": [pose]});
    assert_eq!(labels(&read(&serde_json::to_vec(&file).unwrap()), "keypoints").len(), 30_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}
