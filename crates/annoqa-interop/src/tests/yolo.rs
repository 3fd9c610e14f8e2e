//! Tests of the yolo reader and writer: the corpus datasets (CVAT-datumaro's Ultralytics and
//! darknet sets, label-studio-converter's set with image sizes from SOURCES.md's "Media facts"
//! table), numbers checked against the files by hand, and `yolo → annoqa → yolo` round trips.

use std::collections::BTreeMap;

use annoqa_core::model::{Item, Media, Region, RegionValue};

use crate::diag::InputError;
use crate::record::{Converted, ReadOptions, Record, Source};
use crate::tree::{DirTree, FileTree};
use crate::yolo;

/// Files and images in memory. Images are only names with a size (the reader reads no pixels);
/// it stands for a folder whose images are not at hand (the converter's set, written output).
#[derive(Default)]
struct MemTree {
    files: BTreeMap<String, Vec<u8>>,
    images: BTreeMap<String, (u32, u32)>,
}

impl MemTree {
    fn paths(&self) -> impl Iterator<Item = &String> {
        self.files.keys().chain(self.images.keys())
    }
}

impl FileTree for MemTree {
    fn list(&self, dir: &str) -> Result<Vec<String>, InputError> {
        let mut names: Vec<String> = self
            .paths()
            .filter_map(|p| p.strip_prefix(dir))
            .map(|rest| match rest.split_once('/') {
                Some((folder, _)) => format!("{folder}/"),
                None => rest.to_owned(),
            })
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() && !dir.is_empty() {
            return Err(InputError::new(dir, "", "no such folder"));
        }
        Ok(names)
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, InputError> {
        self.files.get(path).cloned().ok_or_else(|| InputError::new(path, "", "no such file"))
    }
    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.images.contains_key(path)
    }
    fn image_size(&self, path: &str) -> Option<(u32, u32)> {
        self.images.get(path).copied()
    }
}

/// SOURCES.md, "Media facts": the converter set's images, which are not in the corpus.
fn converter_media() -> MemTree {
    let sizes = [(640, 329), (640, 427), (1280, 720), (640, 494), (640, 425), (1280, 720), (640, 427)];
    let images = sizes.iter().enumerate().map(|(i, &size)| (format!("img_{}.jpg", i + 1), size)).collect();
    MemTree { files: BTreeMap::new(), images }
}

fn dataset(folder: &str) -> Option<DirTree> {
    Some(DirTree::new(super::corpus_dir()?.join(folder)))
}

fn read_named(tree: &dyn FileTree, name: &str) -> Converted {
    yolo::read(tree, &ReadOptions { file_name: name, ..ReadOptions::default() }).unwrap()
}

fn only_record(converted: &Converted) -> &Record {
    let [record] = &converted.records[..] else { panic!("{} records", converted.records.len()) };
    record
}

fn assert_box(region: &Region, expected: [f64; 4], label: &str) {
    let RegionValue::BBox { x, y, width, height, rotation, label: l } = &region.value else { panic!("{region:?}") };
    let got = [*x, *y, *width, *height];
    assert!(got.iter().zip(expected).all(|(a, b)| (a - b).abs() <= 1e-9), "{got:?} vs {expected:?}");
    assert_eq!((*rotation, l.as_str()), (0.0, label));
}

fn assert_points(region: &Region, expected: &[[f64; 2]]) {
    let RegionValue::Polygon { points, .. } = &region.value else { panic!("{region:?}") };
    assert_eq!(points.len(), expected.len());
    for (a, b) in points.iter().zip(expected) {
        assert!((a[0] - b[0]).abs() <= 1e-9 && (a[1] - b[1]).abs() <= 1e-9, "{a:?} vs {b:?}");
    }
}

/// The two boxes of the datumaro detection sets on their 15 × 10 image, by hand:
/// `2 0.133333 0.300000 0.266667 0.200000`: w = 0.266667 × 15 = 4.000005, h = 2,
/// x = 0.133333 × 15 − w/2 = 1.999995 − 2.0000025, y = 3 − 1;
/// `4 0.266667 0.450000 0.133333 0.300000`: w = 1.999995, h = 3, x = 4.000005 − 0.9999975,
/// y = 4.5 − 1.5.
fn assert_datumaro_boxes(record: &Record) {
    assert_eq!(record.regions.len(), 2);
    assert_box(&record.regions[0], [1.999995 - 2.0000025, 2.0, 4.000005, 2.0], "label_2");
    assert_box(&record.regions[1], [4.000005 - 0.9999975, 3.0, 1.999995, 3.0], "label_4");
}

/// `yolo → annoqa → yolo → annoqa`: the written folder (with the images it needs standing in)
/// reads back as the same records, to 1e-9 pixels. Returns the written files.
fn assert_round_trip(converted: &Converted, name: &str) -> MemTree {
    let written = yolo::write(&converted.records, converted.spec.as_ref()).unwrap();
    let mut tree = MemTree::default();
    for file in written.files {
        tree.files.insert(file.path, file.bytes);
    }
    for record in &converted.records {
        if let Media::Image { src, width, height } = &record.item.media {
            tree.images.insert(src.clone(), (*width, *height));
        }
    }
    let again = read_named(&tree, name);
    assert_eq!(again.records.len(), converted.records.len());
    for (a, b) in converted.records.iter().zip(&again.records) {
        assert_eq!(a.item, b.item);
        assert_eq!(a.regions.len(), b.regions.len(), "{}", a.item.id);
        for (ra, rb) in a.regions.iter().zip(&b.regions) {
            assert_eq!((&ra.id, &ra.control, &ra.attributes), (&rb.id, &rb.control, &rb.attributes));
            assert_close_values(&ra.value, &rb.value);
        }
    }
    assert_eq!(again.spec, converted.spec);
    tree
}

fn assert_close_values(a: &RegionValue, b: &RegionValue) {
    let (ja, jb) = (serde_json::to_value(a).unwrap(), serde_json::to_value(b).unwrap());
    assert_close_json(&ja, &jb, 1e-9);
}

fn assert_close_json(a: &serde_json::Value, b: &serde_json::Value, tolerance: f64) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= tolerance, "{x} vs {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).for_each(|(x, y)| assert_close_json(x, y, tolerance));
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
            x.iter().for_each(|(k, v)| assert_close_json(v, &y[k], tolerance));
        }
        _ => assert_eq!(a, b),
    }
}

/// The numbers of each line of two label files, equal to `tolerance` (normalised units).
fn assert_same_lines(original: &[u8], written: &[u8], tolerance: f64) {
    let numbers = |bytes: &[u8]| -> Vec<Vec<f64>> {
        std::str::from_utf8(bytes)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split_whitespace().map(|t| t.parse().unwrap()).collect())
            .collect()
    };
    let (a, b) = (numbers(original), numbers(written));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.len(), y.len(), "{x:?} vs {y:?}");
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() <= tolerance, "{x:?} vs {y:?}");
        }
    }
}

fn corpus_bytes(path: &str) -> Vec<u8> {
    std::fs::read(super::corpus_dir().unwrap().join(path)).unwrap()
}

const DATUMARO: &str = "cvat-datumaro/tests/assets/yolo_dataset";

#[test]
fn ultralytics_detection_reads_boxes_in_pixels_and_round_trips() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolov8_detection")) else { return };
    let converted = read_named(&tree, "yolov8_detection");
    let record = only_record(&converted);
    assert_eq!(record.item.id, "images/train/1");
    assert_eq!(record.item.media, Media::Image { src: "images/train/1.jpg".into(), width: 15, height: 10 });
    assert_eq!((record.annotator.as_str(), record.source), ("yolo", Source::Annotation));
    let spec = converted.spec.as_ref().unwrap();
    let names: Vec<&str> = spec.control("bbox").unwrap().labels.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(names, (0..10).map(|i| format!("label_{i}")).collect::<Vec<_>>());
    assert_datumaro_boxes(record);
    assert!(converted.diagnostics.is_empty(), "{}", converted.diagnostics);
    let written = assert_round_trip(&converted, "yolov8_detection");
    let original = corpus_bytes(&format!("{DATUMARO}/yolov8_detection/labels/train/1.txt"));
    assert_same_lines(&original, &written.files["labels/train/1.txt"], 1e-9);
    let yaml = String::from_utf8(written.files["data.yaml"].clone()).unwrap();
    assert!(yaml.contains("train: images/train\ntask: detect\nnames:\n  0: label_0\n"), "{yaml}");
}

#[test]
fn darknet_layout_resolves_data_prefixed_paths() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolo")) else { return };
    let converted = read_named(&tree, "yolo");
    let record = only_record(&converted);
    // train.txt lists `data/obj_train_data/1.jpg`; `data/` is darknet's name for the root.
    assert_eq!(record.item.id, "obj_train_data/1");
    assert_eq!(record.item.media, Media::Image { src: "obj_train_data/1.jpg".into(), width: 15, height: 10 });
    assert_datumaro_boxes(record);
    // Written in the Ultralytics layout: the label beside its image (the path has no images/).
    let written = assert_round_trip(&converted, "yolo");
    let original = corpus_bytes(&format!("{DATUMARO}/yolo/obj_train_data/1.txt"));
    assert_same_lines(&original, &written.files["obj_train_data/1.txt"], 1e-9);
}

#[test]
fn segmentation_polygons_scale_each_point() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolov8_segmentation")) else { return };
    let converted = read_named(&tree, "yolov8_segmentation");
    let record = only_record(&converted);
    // 0.1 × 15 = 1.5, 0.4 × 15 = 6, 0.1 × 10 = 1, 0.5 × 10 = 5, …
    assert_points(&record.regions[0], &[[1.5, 1.0], [6.0, 1.0], [6.0, 5.0]]);
    assert_points(&record.regions[1], &[[3.0, 1.5], [6.0, 1.5], [6.0, 7.5], [4.5, 7.5], [3.75, 3.0]]);
    assert_eq!(record.regions[1].value.first_label(), Some("label_4"));
    assert_eq!(record.regions[1].control, "segmentation");
    let written = assert_round_trip(&converted, "yolov8_segmentation");
    let original = corpus_bytes(&format!("{DATUMARO}/yolov8_segmentation/labels/train/1.txt"));
    assert_same_lines(&original, &written.files["labels/train/1.txt"], 1e-9);
    assert!(String::from_utf8_lossy(&written.files["data.yaml"]).contains("task: segment\n"));
}

#[test]
fn oriented_boxes_turn_about_their_first_corner() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolov8_oriented_boxes")) else { return };
    // The folder's name says oriented boxes (its data.yaml has no `task`).
    let converted = read_named(&tree, "yolov8_oriented_boxes");
    assert!(converted.diagnostics.is_empty(), "{}", converted.diagnostics);
    let record = only_record(&converted);
    // Box 1: corner 1 = (0.146731 × 15, 0.151795 × 10); |corner 2 − corner 1| ≈ 3, |corner 4 −
    // corner 1| ≈ 4, turned ≈ 30°. Box 2: corner 1 = (0.557735 × 15, 0.090192 × 10), 6 × 2,
    // ≈ 120°; its corner 4 is above the image (y = −0.009808 × 10).
    let expected =
        [([0.146731 * 15.0, 0.151795 * 10.0], 3.0, 4.0, 30.0), ([0.557735 * 15.0, 0.090192 * 10.0], 6.0, 2.0, 120.0)];
    for (region, ([ex, ey], ew, eh, er)) in record.regions.iter().zip(expected) {
        let RegionValue::BBox { x, y, width, height, rotation, .. } = region.value else { panic!("{region:?}") };
        assert!((x - ex).abs() <= 1e-9 && (y - ey).abs() <= 1e-9, "{x} {y}");
        assert!((width - ew).abs() < 1e-5 && (height - eh).abs() < 1e-5, "{width} {height}");
        assert!((rotation - er).abs() < 1e-4, "{rotation}");
    }
    let corner_4 = annoqa_core::geometry::box_corners(&match record.regions[1].value {
        RegionValue::BBox { x, y, width, height, rotation, .. } => {
            annoqa_core::BoxGeometry { x, y, width, height, rotation }
        }
        _ => unreachable!(),
    })[3];
    assert!((corner_4[1] - -0.09808).abs() < 1e-5, "{corner_4:?}");
    let written = assert_round_trip(&converted, "yolov8_oriented_boxes");
    // Corners 1 and 2 define the box and come back to 1e-9; corners 3 and 4 are fitted to a
    // rectangle, off by the file's 6-decimal rounding.
    let original = corpus_bytes(&format!("{DATUMARO}/yolov8_oriented_boxes/labels/train/1.txt"));
    assert_same_lines(&original, &written.files["labels/train/1.txt"], 2e-6);
    let head = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| l.split_whitespace().take(5).collect::<Vec<_>>().join(" "))
            .collect()
    };
    let numbers = |lines: Vec<String>| -> Vec<Vec<f64>> {
        lines.iter().map(|l| l.split(' ').map(|t| t.parse().unwrap()).collect()).collect()
    };
    for (a, b) in numbers(head(&original)).iter().zip(numbers(head(&written.files["labels/train/1.txt"]))) {
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= 1e-9), "{a:?} vs {b:?}");
    }
    assert!(String::from_utf8_lossy(&written.files["data.yaml"]).contains("task: obb\n"));
}

#[test]
fn a_nine_number_line_without_evidence_is_a_reported_polygon() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolov8_oriented_boxes")) else { return };
    let converted = read_named(&tree, "some_dataset");
    assert_eq!(converted.diagnostics.count("ambiguous 9-number line"), 2);
    let record = only_record(&converted);
    assert!(record.regions.iter().all(|r| matches!(r.value, RegionValue::Polygon { .. })));
    assert_points(
        &record.regions[1],
        &[[8.366025, 0.90192], [5.366025, 6.09808], [3.633975, 5.09808], [6.633975, -0.09808]],
    );
}

#[test]
fn pose_lines_give_a_box_and_its_keypoints() {
    let Some(tree) = dataset(&format!("{DATUMARO}/yolov8_pose")) else { return };
    let converted = read_named(&tree, "yolov8_pose");
    let record = only_record(&converted);
    let spec = converted.spec.as_ref().unwrap();
    let keypoints: Vec<&str> = spec.control("keypoints").unwrap().labels.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(keypoints, ["1", "2", "3"]);
    assert_box(&record.regions[0], [1.999995 - 2.0000025, 2.0, 4.000005, 2.0], "skeleton_label");
    // 0.1 0.2 2 | 0.3 0.4 2 | 0.5 0.6 2 on 15 × 10.
    let expected = [(1.5, 2.0), (4.5, 4.0), (7.5, 6.0)];
    for (slot, (ex, ey)) in expected.into_iter().enumerate() {
        let region = &record.regions[slot + 1];
        assert_eq!(region.id, format!("shape-1-{}", slot + 1));
        let RegionValue::Keypoint { x, y, label } = &region.value else { panic!("{region:?}") };
        assert!((x - ex).abs() <= 1e-9 && (y - ey).abs() <= 1e-9);
        assert_eq!(label, &(slot + 1).to_string());
        assert_eq!(region.attributes["parent"], "shape-1");
        assert_eq!(region.attributes["visibility"], "2");
    }
    let written = assert_round_trip(&converted, "yolov8_pose");
    let original = corpus_bytes(&format!("{DATUMARO}/yolov8_pose/labels/train/1.txt"));
    assert_same_lines(&original, &written.files["labels/train/1.txt"], 1e-9);
    assert!(String::from_utf8_lossy(&written.files["data.yaml"]).contains("task: pose\nkpt_shape: [3, 3]\n"));
}

#[test]
fn converter_set_takes_image_sizes_from_the_media_folder() {
    let Some(tree) = dataset("ls-converter/tests/data/test_import_yolo_data") else { return };
    let media = converter_media();
    let opts = ReadOptions { file_name: "test_import_yolo_data", media: Some(&media), ..ReadOptions::default() };
    let converted = yolo::read(&tree, &opts).unwrap();
    assert!(converted.diagnostics.is_empty(), "{}", converted.diagnostics);
    let ids: Vec<&str> = converted.records.iter().map(|r| r.item.id.as_str()).collect();
    assert_eq!(ids, (1..=7).map(|i| format!("images/img_{i}")).collect::<Vec<_>>());
    let counts: Vec<usize> = converted.records.iter().map(|r| r.regions.len()).collect();
    assert_eq!(counts, [4, 4, 4, 4, 3, 4, 2]);
    let spec = converted.spec.as_ref().unwrap();
    let names: Vec<&str> = spec.control("bbox").unwrap().labels.iter().map(|l| l.value.as_str()).collect();
    // classes.txt has CRLF line ends: no `\r` in the names.
    assert_eq!(names, ["closed_door", "opened_door", "bus", "number"]);
    let first = &converted.records[0];
    assert_eq!(first.item.media, Media::Image { src: "images/img_1.jpg".into(), width: 640, height: 329 });
    // `2 0.49765625 0.46200607902735563 0.9640625 0.8693009118541033` on 640 × 329:
    // w = 617, h = 286, cx = 318.5, cy = 152, so x = 10, y = 9.
    assert_box(&first.regions[0], [10.0, 9.0, 617.0, 286.0], "bus");
    let written = assert_round_trip(&converted, "test_import_yolo_data");
    for i in 1..=7 {
        let original = corpus_bytes(&format!("ls-converter/tests/data/test_import_yolo_data/labels/img_{i}.txt"));
        assert_same_lines(&original, &written.files[&format!("labels/img_{i}.txt")], 1e-9);
    }
}

#[test]
fn label_files_without_images_need_a_size() {
    let Some(tree) = dataset("ls-converter/tests/data/test_import_yolo_data") else { return };
    let converted = read_named(&tree, "set");
    assert!(converted.records.is_empty());
    assert_eq!(converted.diagnostics.count("image size"), 7);
    let opts = ReadOptions { file_name: "set", media_size: Some((640, 427)), ..ReadOptions::default() };
    let converted = yolo::read(&tree, &opts).unwrap();
    assert_eq!(converted.records.len(), 7);
    assert_eq!(converted.diagnostics.count("image"), 7);
    assert_eq!(converted.records[6].item.media, Media::Image { src: "images/img_7".into(), width: 640, height: 427 });
}

fn mem_dataset(files: &[(&str, &str)]) -> MemTree {
    let mut tree = MemTree::default();
    for (path, text) in files {
        tree.files.insert((*path).to_owned(), text.as_bytes().to_vec());
    }
    tree.images.insert("images/a.jpg".into(), (100, 50));
    tree
}

#[test]
fn label_files_tolerate_crlf_blank_lines_and_comments_and_report_unknown_classes() {
    let yaml = "names: [car, 'bus: big']  # flow list\n";
    let labels = "# a comment\r\n\r\n0 0.5 0.5 0.2 0.2\r\n7 0.5 0.5 0.1 0.1\r\n1 0.5 0.5 1 1\r\n";
    let tree = mem_dataset(&[("data.yaml", yaml), ("labels/a.txt", labels)]);
    let converted = read_named(&tree, "d");
    assert_eq!(converted.diagnostics.count("class index"), 1);
    let record = only_record(&converted);
    assert_box(&record.regions[0], [40.0, 20.0, 20.0, 10.0], "car");
    assert_box(&record.regions[1], [0.0, 0.0, 100.0, 50.0], "bus: big");
    // The second object is `shape-2`: the skipped line is no object.
    assert_eq!(record.regions[1].id, "shape-2");
    let written = assert_round_trip(&converted, "d");
    assert_eq!(String::from_utf8_lossy(&written.files["classes.txt"]), "car\nbus: big\n");
}

fn read_error(files: &[(&str, &str)]) -> String {
    yolo::read(&mem_dataset(files), &ReadOptions { file_name: "d", ..ReadOptions::default() }).unwrap_err().to_string()
}

#[test]
fn malformed_lines_and_files_are_named_by_file_and_line() {
    let yaml = ("data.yaml", "names: [car]\n");
    assert_eq!(
        read_error(&[yaml, ("labels/a.txt", "0 0.5 0.5 0.2 0.2\n0 0.1 0.2 0.3 0.4 0.5\n")]),
        "d/labels/a.txt: line 2: 5 numbers after the class: expected 4 (box), 8 (oriented box), an even count of 6 \
         or more (polygon)"
    );
    assert_eq!(
        read_error(&[yaml, ("labels/a.txt", "x 0.5 0.5 0.2 0.2\n")]),
        "d/labels/a.txt: line 1: class `x` is not a whole number"
    );
    assert_eq!(
        read_error(&[yaml, ("labels/a.txt", "0 0.5 nan 0.2 0.2\n")]),
        "d/labels/a.txt: line 1: `nan` is not a number"
    );
    assert_eq!(
        read_error(&[("data.yaml", "names: [car\n")]),
        "d/data.yaml: line 1: unclosed flow collection: expected `]`"
    );
    assert_eq!(read_error(&[("data.yaml", "names:\n  0: a\n  2: b\n")]), "d/data.yaml: names: class 1 has no name");
    assert_eq!(read_error(&[("classes.txt", "a\n\nb\n")]), "d/classes.txt: line 2: empty class name");
    assert_eq!(
        read_error(&[("notes.md", "")]),
        "d: not a YOLO dataset: no data.yaml, obj.data, obj.names or classes.txt at its root"
    );
}

#[test]
fn data_yaml_subset_reads_maps_lists_flow_and_block_scalars() {
    let text = "# Ultralytics style\npath: ../datasets/x  # ignored\ntrain: [images/a, 'images/b']\nval:\n- images/v\n\
                download: |\n  import os\n  # not a comment here\nkpt_shape: [17, 3]\nnames:\n  0: person\n  1: \"a \\\"b\\\"\"\n\
                flip: {0: 1, 1: 0}\n";
    let doc = yolo::yaml_for_tests(text).unwrap();
    assert_eq!(doc, "{path: ../datasets/x, train: [images/a, images/b], val: [images/v], download: import os\n# not a comment here, kpt_shape: [17, 3], names: {0: person, 1: a \"b\"}, flip: {0: 1, 1: 0}}");
    assert_eq!(
        yolo::yaml_for_tests("a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")
            .unwrap_err(),
        "line 1: nested too deeply"
    );
    assert_eq!(yolo::yaml_for_tests("a: 1\n   b: 2\n").unwrap_err(), "line 2: unexpected indentation");
}

fn image_record(id: &str, regions: Vec<Region>) -> Record {
    Record {
        item: Item {
            id: id.into(),
            media: Media::Image { src: format!("images/{id}.png"), width: 200, height: 100 },
            candidates: vec![],
        },
        annotator: "a".into(),
        source: Source::Annotation,
        regions,
        score: None,
    }
}

fn region(id: &str, value: RegionValue, attributes: &[(&str, &str)]) -> Region {
    let attributes = attributes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Region { id: id.into(), control: "c".into(), value, attributes }
}

#[test]
fn one_task_per_dataset_and_the_rest_reported() {
    let turned = RegionValue::BBox { x: 20.0, y: 10.0, width: 40.0, height: 20.0, rotation: 90.0, label: "car".into() };
    let polygon = RegionValue::Polygon { points: vec![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], label: "car".into() };
    let choice = RegionValue::Choice { labels: vec!["car".into()] };
    let records = vec![image_record(
        "x",
        vec![region("r1", turned, &[("iscrowd", "1")]), region("p", polygon, &[]), region("c", choice, &[])],
    )];
    let written = yolo::write(&records, None).unwrap();
    let d = &written.diagnostics;
    assert_eq!((d.count("polygon"), d.count("choice"), d.count("attribute `iscrowd`")), (1, 1, 1), "{d}");
    let files: BTreeMap<&str, String> =
        written.files.iter().map(|f| (f.path.as_str(), String::from_utf8(f.bytes.clone()).unwrap())).collect();
    // Turned 90° about (20, 10): corners (20,10) (20,50) (0,50) (0,10), over 200 × 100.
    assert_eq!(files["labels/x.txt"], "0 0.1 0.1 0.1 0.5 0 0.5 0 0.1\n");
    assert!(files["data.yaml"].contains("train: images\ntask: obb\n"), "{}", files["data.yaml"]);
}

#[test]
fn pose_output_fills_missing_keypoints_with_zeros() {
    let b = RegionValue::BBox { x: 20.0, y: 10.0, width: 40.0, height: 20.0, rotation: 0.0, label: "cat".into() };
    let nose = RegionValue::Keypoint { x: 30.0, y: 20.0, label: "nose".into() };
    let tail = RegionValue::Keypoint { x: 50.0, y: 25.0, label: "tail".into() };
    let stray = RegionValue::Keypoint { x: 1.0, y: 1.0, label: "nose".into() };
    let mut spec = crate::coco::image_spec(&["cat".into()], Some(&["nose".into(), "ear".into(), "tail".into()]));
    spec.controls.remove(1);
    let records = vec![image_record(
        "x",
        vec![
            region("b", b, &[]),
            region("k1", nose, &[("parent", "b"), ("visibility", "1")]),
            region("k2", tail, &[("parent", "b")]),
            region("k3", stray, &[]),
        ],
    )];
    let written = yolo::write(&records, Some(&spec)).unwrap();
    assert_eq!(written.diagnostics.count("keypoint"), 1, "{}", written.diagnostics);
    let label = written.files.iter().find(|f| f.path == "labels/x.txt").unwrap();
    assert_eq!(String::from_utf8_lossy(&label.bytes), "0 0.2 0.2 0.2 0.2 0.15 0.2 1 0 0 0 0.25 0.25 2\n");
    let yaml = written.files.iter().find(|f| f.path == "data.yaml").unwrap();
    assert!(String::from_utf8_lossy(&yaml.bytes).contains("kpt_shape: [3, 3]\n"));
}

#[test]
fn mutated_dataset_files_never_panic_the_reader_or_the_writer() {
    let Some(dir) = super::corpus_dir() else { return };
    let pose = format!("{DATUMARO}/yolov8_pose");
    let yaml = std::fs::read(dir.join(&pose).join("data.yaml")).unwrap();
    let labels = std::fs::read(dir.join(&pose).join("labels/train/1.txt")).unwrap();
    let obb = std::fs::read(dir.join(format!("{DATUMARO}/yolov8_oriented_boxes/labels/train/1.txt"))).unwrap();
    let mut mutator = super::coco::Mutator(0x2545_f491_4f6c_dd1d);
    let mut read_ok = 0;
    for round in 0..1500 {
        let mut tree = MemTree::default();
        let (yaml, labels) = match round % 3 {
            0 => (mutator.mutate(&yaml), labels.clone()),
            1 => (yaml.clone(), mutator.mutate(&labels)),
            _ => (b"task: obb\nnames: [a, b, c, d, e]\n".to_vec(), mutator.mutate(&obb)),
        };
        tree.files.insert("data.yaml".into(), yaml);
        tree.files.insert("labels/train/1.txt".into(), labels);
        tree.images.insert("images/train/1.jpg".into(), (15, 10));
        if let Ok(converted) = yolo::read(&tree, &ReadOptions { file_name: "d", ..ReadOptions::default() }) {
            read_ok += 1;
            yolo::write(&converted.records, converted.spec.as_ref()).unwrap();
        }
    }
    assert!(read_ok > 300, "{read_ok}");
}

#[test]
fn coco_keypoints_become_pose_lines_and_come_back() {
    let Some(dir) = super::corpus_dir() else { return };
    let path = "datumaro/tests/assets/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json";
    let coco = crate::coco::read(&std::fs::read(dir.join(path)).unwrap(), &ReadOptions::default()).unwrap();
    let written = yolo::write(&coco.records, coco.spec.as_ref()).unwrap();
    // The polygon of annotation 1 has no place in a pose dataset.
    assert_eq!(written.diagnostics.count("polygon"), 1, "{}", written.diagnostics);
    let mut tree = MemTree::default();
    for file in written.files {
        tree.files.insert(file.path, file.bytes);
    }
    // `file_name` b.jpg, 5 × 10: the label file sits beside it, data.yaml says `train: .`.
    tree.images.insert("b.jpg".into(), (5, 10));
    let back = read_named(&tree, "pose");
    let record = only_record(&back);
    assert_eq!(record.item.id, "b");
    let keypoints = |record: &Record| -> Vec<(f64, f64, String, String)> {
        record
            .regions
            .iter()
            .filter_map(|r| match &r.value {
                RegionValue::Keypoint { x, y, label } => {
                    Some((*x, *y, label.clone(), r.attributes["visibility"].clone()))
                }
                _ => None,
            })
            .collect()
    };
    let (original, again) = (keypoints(&coco.records[0]), keypoints(record));
    assert_eq!(original.len(), 6);
    for (a, b) in original.iter().zip(&again) {
        assert!((a.0 - b.0).abs() <= 1e-9 && (a.1 - b.1).abs() <= 1e-9, "{a:?} vs {b:?}");
        assert_eq!((&a.2, &a.3), (&b.2, &b.3));
    }
    assert_box(&record.regions[0], [0.0, 0.0, 1.0, 2.0], "a");
}

#[test]
fn many_classes_boxes_keypoints_and_same_named_images_take_linear_time() {
    // Found by the fuzzer: classes, keypoint slots and keypoint parents were looked up by
    // scanning lists (each box scanned its record's every region for its keypoints), and the
    // n-th image of one file name tried n suffixes. Quadratic, this test takes minutes; linear,
    // a few seconds in debug.
    let started = std::time::Instant::now();
    let n = 30_000;
    let mut regions = Vec::new();
    for i in 0..n {
        let value =
            RegionValue::BBox { x: 1.0, y: 1.0, width: 2.0, height: 2.0, rotation: 0.0, label: format!("c{i}") };
        regions.push(region(&format!("b{i}"), value, &[]));
        let keypoint = RegionValue::Keypoint { x: 1.5, y: 1.5, label: format!("k{}", i % 17) };
        let mut keypoint = region(&format!("k{i}"), keypoint, &[("parent", &format!("b{i}"))]);
        keypoint.control = "kp".into();
        regions.push(keypoint);
    }
    let mut records = vec![image_record("big", regions)];
    // 5,000 images of one name in different folders: `-2`, `-3`, … in turn.
    for i in 0..5_000 {
        let mut record = image_record(&format!("d{i}/same"), Vec::new());
        record.item.media = Media::Image { src: "https://example.com/same.png".into(), width: 4, height: 4 };
        records.push(record);
    }
    let written = yolo::write(&records, None).unwrap();
    let file = |path: &str| written.files.iter().find(|f| f.path == path).map(|f| f.bytes.clone());
    let lines = String::from_utf8(file("labels/big.txt").unwrap()).unwrap();
    assert_eq!(lines.lines().count(), n);
    let last = lines.lines().last().unwrap();
    // Class 29999, its box, then 17 keypoint slots of which slot 11 (k11: 29999 % 17) is labelled.
    assert!(last.starts_with("29999 0.01 0.02 0.01 0.02 "), "{}", &last[..40]);
    let fields: Vec<&str> = last.split(' ').collect();
    assert_eq!((fields.len(), &fields[5 + 33..5 + 36]), (5 + 17 * 3, &["0.0075", "0.015", "2"][..]), "{last}");
    assert!(file("labels/same-5000.txt").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
}

/// Label line numbers are Rust's `Display` text (the shortest that reads back, never an
/// exponent), however they are made: fractions of image sizes, random bit patterns, values
/// on the far side of an image, coarse binary fractions (where ties between two shortest
/// texts can happen) and the edges of the fast path.
#[test]
fn label_line_numbers_are_the_shortest_text_that_reads_back() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let check = |value: f64| {
        let expected = if value == 0.0 { "0".to_owned() } else { value.to_string() };
        assert_eq!(yolo::number_for_tests(value), expected, "{value:e}");
    };
    for edge in [1e-5, 1e-5 - 1e-21, 1e13, 1e13 - 0.001, 0.5, 1.0, -0.0, 0.1, 1.0 / 3.0, f64::MIN_POSITIVE, 5e-324] {
        check(edge);
        check(-edge);
    }
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX] {
        check(value);
    }
    for _ in 0..300_000 {
        let r = next();
        let pixels = (r % 4_000_000) as f64 / 1000.0 - 100.0;
        check(pixels / [640.0, 1920.0, 1080.0, 720.0, 768.0, 800.0][(r >> 40) as usize % 6]);
        check(f64::from_bits(next()));
        check((next() >> 11) as f64 / (1u64 << 53) as f64);
        // Odd multiples of 2⁻ᵏ for k around the fast path's bound.
        let k = 10 + (r >> 50) % 30;
        check(((next() % (1 << 20)) | 1) as f64 / (1u64 << k) as f64);
        check(f64::from_bits(next() % 0x4330_0000_0000_0000));
    }
}
