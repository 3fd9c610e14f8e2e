//! Tests of the ls reader and writer: every Label Studio file of the interop corpus converts,
//! numbers derived by hand from the files, `ls → annoqa → ls` round trips, malformed input.

use std::collections::BTreeMap;
use std::path::Path;

use annoqa_core::model::{ControlKind, Item, Keyframe, Media, MediaKind, PairChoice, Region, RegionValue};
use serde_json::Value;

use crate::diag::Diagnostics;
use crate::ls::{self, ControlRole, LsConfig};
use crate::record::{Converted, ReadOptions, Record, Source, Written};

/// One corpus file: its labeling config (the one beside it), the pixel size to assume where
/// the file has none, how many records it holds and which kinds it must report.
struct Case {
    file: &'static str,
    config: Option<&'static str>,
    media_size: Option<(u32, u32)>,
    records: usize,
    reported: &'static [&'static str],
}

const FRONTEND: &str = "ls-frontend/examples";

const CASES: &[Case] = &[
    Case {
        file: "ls-frontend/examples/image_bbox/annotations/1.json",
        config: Some("image_bbox"),
        media_size: Some((640, 480)),
        records: 3,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/image_polygons/annotations/0.json",
        config: Some("image_polygons"),
        media_size: Some((640, 480)),
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/image_keypoints/annotations/0.json",
        config: Some("image_keypoints"),
        media_size: Some((640, 480)),
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/image_ellipses/annotations/1.json",
        config: Some("image_ellipses"),
        media_size: Some((640, 480)),
        records: 1,
        reported: &["ellipselabels"],
    },
    // Negative: its results name controls (`tag`, `img`) that its config does not have.
    Case {
        file: "ls-frontend/examples/image_ocr/annotations/1.json",
        config: Some("image_ocr"),
        media_size: Some((640, 480)),
        records: 3,
        reported: &["rectanglelabels"],
    },
    Case {
        file: "ls-frontend/examples/named_entity/annotations/1.json",
        config: Some("named_entity"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    // Negative: label, offsets and data field do not fit the task.
    Case {
        file: "ls-frontend/examples/rich_text_plain/annotations/1.json",
        config: Some("rich_text_plain"),
        media_size: None,
        records: 1,
        reported: &["labels"],
    },
    Case {
        file: "ls-frontend/examples/rich_text_html/annotations/1.json",
        config: Some("rich_text_html"),
        media_size: None,
        records: 1,
        reported: &["hypertextlabels"],
    },
    Case {
        file: "ls-frontend/examples/audio_regions/annotations/1.json",
        config: Some("audio_regions"),
        media_size: None,
        records: 1,
        reported: &["audio item"],
    },
    Case {
        file: "ls-frontend/examples/transcribe_audio/annotations/1.json",
        config: Some("transcribe_audio"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/audio_video_paragraphs/annotations/1.json",
        config: Some("audio_video_paragraphs"),
        media_size: None,
        records: 1,
        reported: &["paragraphlabels", "task data"],
    },
    Case {
        file: "ls-frontend/examples/video_bboxes/annotations/1.json",
        config: Some("video_bboxes"),
        media_size: Some((1280, 720)),
        records: 1,
        reported: &["videorectangle", "task data"],
    },
    Case {
        file: "ls-frontend/examples/pairwise/annotations/1.json",
        config: Some("pairwise"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/ranker/annotations/1.json",
        config: Some("ranker"),
        media_size: None,
        records: 1,
        reported: &["task data"],
    },
    Case {
        file: "ls-frontend/examples/ranker/tasks.json",
        config: Some("ranker"),
        media_size: None,
        records: 0,
        reported: &[],
    },
    Case {
        file: "ls-frontend/examples/ranker_buckets/annotations/1.json",
        config: Some("ranker_buckets"),
        media_size: None,
        records: 1,
        reported: &["task data"],
    },
    // Negative: its predictions name controls its config does not have.
    Case {
        file: "ls-frontend/examples/classification_mixed/annotations/1.json",
        config: Some("classification_mixed"),
        media_size: None,
        records: 3,
        reported: &["number", "datetime", "taxonomy", "rectanglelabels"],
    },
    Case {
        file: "ls-frontend/examples/timeseries/annotations/1.json",
        config: Some("timeseries"),
        media_size: None,
        records: 1,
        reported: &["timeserieslabels"],
    },
    Case {
        file: "ls-frontend/examples/dialogue_analysis/annotations/1.json",
        config: Some("dialogue_analysis"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-converter/tests/data/test_export_json_min/data.json",
        config: Some("ls-converter/tests/data/test_export_json_min/label_config.xml"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-converter/tests/data/test_export_yolo/data.json",
        config: Some("ls-converter/tests/data/test_export_yolo/label_config.xml"),
        media_size: None,
        records: 3,
        reported: &[],
    },
    // `Butterfly` against the config's `butterfly`.
    Case {
        file: "ls-converter/tests/data/test_export_yolo/data_obb.json",
        config: Some("ls-converter/tests/data/test_export_yolo/label_config_obb.xml"),
        media_size: None,
        records: 3,
        reported: &["rectanglelabels"],
    },
    Case {
        file: "ls-converter/tests/data/test_export_yolo/data_polygons.json",
        config: Some("ls-converter/tests/data/test_export_yolo/label_config_polygons.xml"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-converter/tests/data/test_export_csv/csv_test2.json",
        config: None,
        media_size: None,
        records: 1,
        reported: &["labeling config", "task data"],
    },
    Case {
        file: "ls-converter/tests/pathtrack/ls-video.json",
        config: None,
        media_size: Some((1280, 720)),
        records: 1,
        reported: &["labeling config"],
    },
    Case {
        file: "ls-sdk/tests/custom/converter/data/test_export_coco/data.json",
        config: Some("ls-sdk/tests/custom/converter/data/test_export_coco/label_config.xml"),
        media_size: None,
        records: 1,
        reported: &[],
    },
    Case {
        file: "ls-sdk/tests/custom/converter/data/test_export_doclang/data.json",
        config: None,
        media_size: Some((640, 480)),
        records: 2,
        reported: &["annotation"],
    },
    Case {
        file: "ls-sdk/tests/custom/converter/data/test_export_yolo/data_keypoints.json",
        config: Some("ls-sdk/tests/custom/converter/data/test_export_yolo/label_config_keypoints.xml"),
        media_size: None,
        records: 1,
        reported: &["relation"],
    },
    Case {
        file: "ls-ml-backend/label_studio_ml/examples/yolo/tests/opossum_snow_short_1.json",
        config: None,
        media_size: Some((1280, 720)),
        records: 1,
        reported: &["videorectangle", "task data"],
    },
    Case {
        file: "ls-ml-backend/label_studio_ml/examples/yolo/tests/test_keypoint_labels_1.json",
        config: None,
        media_size: Some((640, 480)),
        records: 1,
        reported: &["meta", "task data"],
    },
    Case {
        file: "ls-ml-backend/label_studio_ml/examples/yolo/tests/test_timeline_labels_1.json",
        config: None,
        media_size: None,
        records: 1,
        reported: &["video item"],
    },
    Case {
        file: "ls-evalme/evalme/tests/test_data/test_bbox.json",
        config: None,
        media_size: None,
        records: 20,
        reported: &["labeling config"],
    },
    Case {
        file: "ls-evalme/evalme/tests/test_data/test_old_format.json",
        config: None,
        media_size: None,
        records: 3,
        reported: &["task data"],
    },
    Case {
        file: "ls-examples/ModelMonitoring/ls_data.json",
        config: None,
        media_size: None,
        records: 4,
        reported: &["prediction"],
    },
    Case {
        file: "ls-examples/multi-turn-chat/labeled_results.json",
        config: None,
        media_size: None,
        records: 3,
        reported: &["task data"],
    },
];

/// A config named by its example folder, or a path.
fn config_path(config: &str) -> String {
    if config.ends_with(".xml") {
        config.to_owned()
    } else {
        format!("{FRONTEND}/{config}/config.xml")
    }
}

fn read_case(dir: &Path, case: &Case) -> (Converted, Option<String>) {
    let bytes = std::fs::read(dir.join(case.file)).expect("corpus file");
    let xml = case.config.map(|c| std::fs::read_to_string(dir.join(config_path(c))).expect("corpus config"));
    let opts =
        ReadOptions { file_name: case.file, config: xml.as_deref(), media_size: case.media_size, ..Default::default() };
    let converted = ls::read(&bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    (converted, xml)
}

/// Reads one corpus file with its config (frontend example folder or path).
fn read_corpus(config: Option<&str>, file: &str, media_size: Option<(u32, u32)>) -> Option<Converted> {
    let dir = super::corpus_dir()?;
    let xml = config.map(|c| std::fs::read_to_string(dir.join(config_path(c))).expect("corpus config"));
    let bytes = std::fs::read(dir.join(file)).expect("corpus file");
    let opts = ReadOptions { file_name: file, config: xml.as_deref(), media_size, ..Default::default() };
    Some(ls::read(&bytes, &opts).unwrap_or_else(|e| panic!("{e}")))
}

fn kinds(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics.entries().map(|u| u.kind.clone()).collect()
}

#[test]
fn every_corpus_file_converts_with_its_records_and_reports() {
    let Some(dir) = super::corpus_dir() else { return };
    for case in CASES {
        let (converted, _) = read_case(&dir, case);
        assert_eq!(converted.records.len(), case.records, "{}: records", case.file);
        for kind in case.reported {
            assert!(
                converted.diagnostics.count(kind) > 0,
                "{}: expected a `{kind}` report, got\n{}",
                case.file,
                converted.diagnostics
            );
        }
        let known = ["labeling config", "task data", "annotator", "audio item", "video item"];
        if case.reported.is_empty() {
            let unexpected: Vec<String> =
                kinds(&converted.diagnostics).into_iter().filter(|k| !known.contains(&k.as_str())).collect();
            assert!(unexpected.is_empty(), "{}: unexpected reports\n{}", case.file, converted.diagnostics);
        }
        assert!(converted.spec.is_some() || case.records == 0, "{}: no spec", case.file);
        // No annotator is ever an e-mail address (several exports carry them).
        assert!(converted.records.iter().all(|r| !r.annotator.contains('@')), "{}", case.file);
        // Every region answers a control of the spec, with a value that control takes.
        if let Some(spec) = &converted.spec {
            for region in converted.records.iter().flat_map(|r| &r.regions) {
                let control =
                    spec.control(&region.control).unwrap_or_else(|| panic!("{}: {}", case.file, region.control));
                assert!(control.kind.accepts(&region.value), "{}: {region:?}", case.file);
            }
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(close(got, want), "{what}: got {got}, want {want}");
}

fn region<'r>(record: &'r Record, id: &str) -> &'r Region {
    record.regions.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no region {id} in {:?}", record.regions))
}

#[test]
fn export_coco_percentages_become_pixels_of_the_results_original_size() {
    let Some(c) = read_corpus(
        Some("ls-sdk/tests/custom/converter/data/test_export_coco/label_config.xml"),
        "ls-sdk/tests/custom/converter/data/test_export_coco/data.json",
        None,
    ) else {
        return;
    };
    let record = &c.records[0];
    assert_eq!(record.item.id, "175210175");
    assert!(matches!(&record.item.media, Media::Image { src, width: 500, height: 320 } if src == "test_image1.jpg"));
    // No completed_by in this export: the annotation's id stands in.
    assert_eq!(record.annotator, "annotation-60205850");
    let RegionValue::BBox { x, y, width, height, rotation, label } = &region(record, "G1wj68-AlF").value else {
        panic!()
    };
    assert_close(*x, 31.941923774954628 * 500.0 / 100.0, "x");
    assert_close(*y, 4.113475177304964 * 320.0 / 100.0, "y");
    assert_close(*width, 6.352087114337568 * 500.0 / 100.0, "width");
    assert_close(*height, 9.929078014184398 * 320.0 / 100.0, "height");
    assert_eq!((*rotation, label.as_str()), (0.0, "rectangle_label"));
    let RegionValue::Polygon { points, label } = &region(record, "ceW2r_kjT_").value else { panic!() };
    assert_eq!(label, "polygon_label");
    let want = [
        [41.74228675136116, 3.546099290780142],
        [41.560798548094375, 12.198581560283687],
        [45.37205081669691, 12.4822695035461],
    ];
    assert_eq!(points.len(), 3);
    for (got, want) in points.iter().zip(want) {
        assert_close(got[0], want[0] * 5.0, "point x");
        assert_close(got[1], want[1] * 3.2, "point y");
    }
    let RegionValue::Keypoint { x, y, label } = &region(record, "MN4-3s5uh2").value else { panic!() };
    assert_close(*x, 22.595281306715066 * 5.0, "keypoint x");
    assert_close(*y, 31.773049645390074 * 3.2, "keypoint y");
    assert_eq!(label, "keypoint_label1");
    assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);
}

#[test]
fn rotated_boxes_keep_their_angle_in_0_to_360() {
    let Some(c) = read_corpus(
        Some("ls-converter/tests/data/test_export_yolo/label_config_obb.xml"),
        "ls-converter/tests/data/test_export_yolo/data_obb.json",
        None,
    ) else {
        return;
    };
    let RegionValue::BBox { x, y, width, height, rotation, label } = &region(&c.records[0], "veUGPaahTw").value else {
        panic!()
    };
    assert_close(*x, 10.537066764905694 * 5.97, "x");
    assert_close(*y, 79.55767690059092 * 7.68, "y");
    assert_close(*width, 19.045470024656687 * 5.97, "width");
    assert_close(*height, 8.132522043893882 * 7.68, "height");
    assert_close(*rotation, 328.33240366032834, "rotation");
    // The export's label differs in case from its config's: kept, and reported.
    assert_eq!(label, "Butterfly");
    let capitalised = c.records.iter().flat_map(|r| &r.regions).filter(|r| !r.value.has_label("butterfly")).count();
    assert_eq!(c.diagnostics.count("rectanglelabels"), capitalised);
    assert!(capitalised > 20);
    for region in c.records.iter().flat_map(|r| &r.regions) {
        let RegionValue::BBox { rotation, .. } = region.value else { panic!() };
        assert!((0.0..360.0).contains(&rotation));
    }
}

/// The corners of a box, rotated `rotation` degrees clockwise (y down) about `(x, y)`.
fn corners(x: f64, y: f64, w: f64, h: f64, rotation: f64) -> Vec<[f64; 2]> {
    let (sin, cos) = rotation.to_radians().sin_cos();
    let mut out: Vec<[f64; 2]> = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        .iter()
        .map(|&(dx, dy)| [x + dx * cos - dy * sin, y + dx * sin + dy * cos])
        .collect();
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    out
}

#[test]
fn negative_box_sizes_are_normalised_to_cover_the_same_pixels() {
    for (w, h, rotation) in [(-10.0, 20.0, 0.0), (10.0, -20.0, 33.0), (-10.0, -20.0, -120.0), (-5.0, 8.0, 270.0)] {
        let task = format!(
            r#"{{"id": 1, "data": {{"image": "a.png"}}, "annotations": [{{"completed_by": 1, "result": [{{"id": "r",
            "from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
            "value": {{"x": 50, "y": 50, "width": {w}, "height": {h}, "rotation": {rotation}, "rectanglelabels": ["a"]}}}}]}}]}}"#
        );
        let config = r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image">
            <Label value="a"/></RectangleLabels></View>"#;
        let opts = ReadOptions { file_name: "t.json", config: Some(config), ..Default::default() };
        let c = ls::read(task.as_bytes(), &opts).expect("reads");
        let RegionValue::BBox { x, y, width, height, rotation: r, .. } = c.records[0].regions[0].value else {
            panic!()
        };
        assert!(width > 0.0 && height > 0.0);
        let want = corners(100.0, 50.0, w * 2.0, h, rotation);
        for (got, want) in corners(x, y, width, height, r).iter().zip(&want) {
            assert_close(got[0], want[0], "corner x");
            assert_close(got[1], want[1], "corner y");
        }
        assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);
    }
}

#[test]
fn video_keyframes_are_0_based_and_disabled_ones_end_with_an_outside_keyframe() {
    let Some(c) =
        read_corpus(Some("video_bboxes"), "ls-frontend/examples/video_bboxes/annotations/1.json", Some((1280, 720)))
    else {
        return;
    };
    let record = &c.records[0];
    assert!(
        matches!(record.item.media, Media::Video { frame_count: 1009, width: 1280, height: 720, frame_rate, .. } if frame_rate == 24.0)
    );
    let RegionValue::VideoTrack { label, keyframes } = &region(record, "tJhYZLMC9G").value else { panic!() };
    assert_eq!(label, "Car");
    // LS frame 1 (enabled), frame 5 (disabled) → 0, 4, and outside from 5.
    let frames: Vec<(u32, bool)> = keyframes.iter().map(|k| (k.frame, k.outside)).collect();
    assert_eq!(frames, [(0, false), (4, false), (5, true)]);
    assert_close(keyframes[0].x, 38.266666666666666 * 12.8, "x");
    assert_close(keyframes[1].y, 49.898756660746 * 7.2, "y");
    // Airplane: height −15.97 % drawn upwards from y = 92.08 %: the box starts 15.97 % higher.
    let RegionValue::VideoTrack { keyframes, .. } = &region(record, "FstfiS1SLJ").value else { panic!() };
    assert_close(keyframes[0].y, (92.08333333333333 - 15.972222222222221) * 7.2, "normalised y");
    assert_close(keyframes[0].height, 15.972222222222221 * 7.2, "normalised height");
    let frames: Vec<(u32, bool)> = keyframes.iter().map(|k| (k.frame, k.outside)).collect();
    assert_eq!(frames, [(32, false), (56, false), (57, true), (75, false), (103, false)]);
    // Possum: rotation −31.86° is stored as 328.14°.
    let RegionValue::VideoTrack { keyframes, .. } = &region(record, "HdYVzM7SwV").value else { panic!() };
    assert_eq!(keyframes[0].frame, 5);
    assert_close(keyframes[0].rotation, 360.0 - 31.861138243953643, "rotation");
    // Two tracks end on an enabled keyframe, shown by Label Studio until the video ends.
    assert_eq!(c.diagnostics.count("videorectangle"), 2, "{}", c.diagnostics);
}

#[test]
fn a_server_export_track_ends_with_its_disabled_keyframe() {
    let Some(c) = read_corpus(None, "ls-converter/tests/pathtrack/ls-video.json", Some((1280, 720))) else { return };
    let record = &c.records[0];
    assert_eq!((record.item.id.as_str(), record.annotator.as_str()), ("28", "11"));
    let RegionValue::VideoTrack { keyframes, .. } = &record.regions[0].value else { panic!() };
    let frames: Vec<(u32, bool)> = keyframes.iter().map(|k| (k.frame, k.outside)).collect();
    assert_eq!(
        frames,
        [(768, false), (796, false), (822, false), (851, false), (869, false), (881, false), (882, true)]
    );
    assert_close(keyframes[0].width, 56.533333333332905 * 12.8, "width");
}

#[test]
fn ml_backend_predictions_keep_scores_and_report_time_disagreements() {
    let Some(c) = read_corpus(
        None,
        "ls-ml-backend/label_studio_ml/examples/yolo/tests/opossum_snow_short_1.json",
        Some((1280, 720)),
    ) else {
        return;
    };
    let record = &c.records[0];
    assert_eq!((record.source, record.annotator.as_str()), (Source::Prediction, "yolo"));
    assert_eq!(record.score, Some(0.5858717206865549));
    assert_eq!(record.regions.len(), 16);
    assert!(matches!(record.item.media, Media::Video { frame_count: 35, .. }));
    assert_eq!(record.regions[0].attributes.get("score").map(String::as_str), Some("0.9261998534202576"));
    // `time` counts 29.97 fps while frames count 24 (the config's default): 15 tracks disagree.
    let time_reports = c.diagnostics.entries().filter(|u| u.reason.contains("`time`")).map(|u| u.count).sum::<usize>();
    assert_eq!(time_reports, 15);
    // The single-keyframe disabled track: visible on frame 0, outside from frame 1.
    let single = record.regions.iter().find_map(|r| match &r.value {
        RegionValue::VideoTrack { keyframes, .. } if keyframes.len() == 2 => Some(keyframes.clone()),
        _ => None,
    });
    let single = single.expect("a one-keyframe track");
    assert_eq!((single[0].frame, single[0].outside, single[1].frame, single[1].outside), (0, false, 1, true));
}

#[test]
fn a_disabled_keyframe_on_the_last_frame_number_needs_no_frame_after_it() {
    // Found by the fuzzer: `frame + 1` overflowed on frame 4294967295 (a panic in debug builds).
    let frames = |sequence: &str| -> Vec<(u32, bool)> {
        let json = format!(
            r#"{{"id": 1, "data": {{"video": "v.mp4"}}, "annotations": [{{"result": [{{"id": "v", "from_name": "box",
            "to_name": "video", "type": "videorectangle", "value": {{"labels": ["car"], "sequence": {sequence}}}}}]}}]}}"#
        );
        let opts = ReadOptions { file_name: "export.json", media_size: Some((100, 100)), ..ReadOptions::default() };
        let c = ls::read(json.as_bytes(), &opts).unwrap();
        let RegionValue::VideoTrack { keyframes, .. } = &c.records[0].regions[0].value else { panic!() };
        keyframes.iter().map(|k| (k.frame, k.outside)).collect()
    };
    let k = |frame: u32| format!(r#"{{"frame": {frame}, "enabled": false, "x": 1, "y": 1, "width": 1, "height": 1}}"#);
    assert_eq!(frames(&format!("[{}]", k(u32::MAX))), [(u32::MAX - 1, false), (u32::MAX, true)]);
    assert_eq!(
        frames(&format!("[{}, {}]", k(u32::MAX - 1), k(u32::MAX))),
        [(u32::MAX - 2, false), (u32::MAX - 1, false), (u32::MAX, true)]
    );
}

#[test]
fn keypoints_keep_their_parent_and_score() {
    let Some(c) = read_corpus(
        None,
        "ls-ml-backend/label_studio_ml/examples/yolo/tests/test_keypoint_labels_1.json",
        Some((640, 480)),
    ) else {
        return;
    };
    let record = &c.records[0];
    assert_eq!(record.score, Some(0.9618720582553318));
    let shoulder = record.regions.iter().find(|r| r.value.has_label("left_shoulder")).expect("left_shoulder");
    assert_eq!(shoulder.attributes.get("parent").map(String::as_str), Some("bbox-0"));
    // serde_json parses the last digit of some floats one unit off (without its
    // float_roundtrip feature): the score is the parsed number, written back as parsed.
    let score: f64 = shoulder.attributes.get("score").and_then(|s| s.parse().ok()).expect("a score");
    assert_close(score, 0.9874914884567261, "score");
    let RegionValue::Keypoint { x, y, .. } = shoulder.value else { panic!() };
    assert_close(x, 98.1597900390625 * 6.4, "x");
    assert_close(y, 15.064401626586914 * 4.8, "y");
    assert_eq!(region(record, "bbox-0").control, "keypoints_bbox");

    let Some(c) = read_corpus(
        Some("ls-sdk/tests/custom/converter/data/test_export_yolo/label_config_keypoints.xml"),
        "ls-sdk/tests/custom/converter/data/test_export_yolo/data_keypoints.json",
        None,
    ) else {
        return;
    };
    let nose = region(&c.records[0], "YuLAREYKpq");
    assert_eq!(nose.attributes.get("parent").map(String::as_str), Some("hplPm0Szvc"));
    assert_eq!(c.diagnostics.count("relation"), 5);
}

#[test]
fn timeline_ranges_are_0_based_inclusive_with_the_webhooks_config() {
    let Some(c) =
        read_corpus(None, "ls-ml-backend/label_studio_ml/examples/yolo/tests/test_timeline_labels_1.json", None)
    else {
        return;
    };
    let spec = c.spec.as_ref().expect("spec from project.label_config");
    assert_eq!(spec.media, MediaKind::Video);
    let record = &c.records[0];
    assert_eq!(record.item.id, "427616");
    assert!(
        matches!(&record.item.media, Media::Video { src, frame_rate, .. } if src == "tests/opossum_snow_short.mp4" && *frame_rate == 25.0)
    );
    let segments: Vec<(u32, u32, &str)> = record
        .regions
        .iter()
        .map(|r| match &r.value {
            RegionValue::VideoSegment { start_frame, end_frame, label } => (*start_frame, *end_frame, label.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(segments, [(0, 9, "Car"), (4, 14, "croquet_ball")]);
}

#[test]
fn text_spans_are_code_points_checked_against_the_data() {
    let Some(c) = read_corpus(Some("named_entity"), "ls-frontend/examples/named_entity/annotations/1.json", None)
    else {
        return;
    };
    let RegionValue::TextSpan { start, end, label } = &c.records[0].regions[0].value else { panic!() };
    assert_eq!((*start, *end, label.as_str()), (343, 354, "Date"));
    let Media::Text { text } = &c.records[0].item.media else { panic!() };
    assert_eq!(text.chars().skip(343).take(11).collect::<String>(), "February 22");
    assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);

    let Some(c) = read_corpus(Some("rich_text_plain"), "ls-frontend/examples/rich_text_plain/annotations/1.json", None)
    else {
        return;
    };
    let reasons: Vec<&str> = c.diagnostics.entries().map(|u| u.reason.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("span text differs")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("label `Date`")), "{reasons:?}");

    // A span counted in UTF-16 units over an emoji (exports before Label Studio's fix).
    let task = r#"{"id": 1, "data": {"text": "😀 ab"}, "annotations": [{"completed_by": 1, "result": [{"id": "s",
        "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 3, "end": 5, "text": "ab", "labels": ["X"]}}]}]}"#;
    let config =
        r#"<View><Labels name="ner" toName="text"><Label value="X"/></Labels><Text name="text" value="$text"/></View>"#;
    let opts = ReadOptions { file_name: "t.json", config: Some(config), ..Default::default() };
    let c = ls::read(task.as_bytes(), &opts).expect("reads");
    assert!(c.diagnostics.entries().any(|u| u.reason.contains("UTF-16")), "{}", c.diagnostics);
}

#[test]
fn audio_choices_text_areas_pairwise_and_rankers() {
    let Some(c) = read_corpus(Some("audio_regions"), "ls-frontend/examples/audio_regions/annotations/1.json", None)
    else {
        return;
    };
    let record = &c.records[0];
    assert!(matches!(&region(record, "hIj6zg57SY").value, RegionValue::Choice { labels } if labels == &["Lo-Fi"]));
    let RegionValue::AudioSegment { start, end, label, transcript } = &region(record, "SsGrpVgy_C").value else {
        panic!()
    };
    assert_eq!((*start, *end, label.as_str(), transcript), (12.778410892095105, 28.50568583621215, "Beat", &None));

    let Some(c) =
        read_corpus(Some("transcribe_audio"), "ls-frontend/examples/transcribe_audio/annotations/1.json", None)
    else {
        return;
    };
    assert!(matches!(&c.records[0].regions[0].value, RegionValue::TextArea { text } if text == &["Mario"]));

    let Some(c) = read_corpus(Some("pairwise"), "ls-frontend/examples/pairwise/annotations/1.json", None) else {
        return;
    };
    let record = &c.records[0];
    assert!(matches!(record.regions[0].value, RegionValue::Pairwise { choice: PairChoice::B, .. }));
    assert_eq!(record.item.candidates.len(), 2);
    assert!(matches!(&record.item.candidates[0], Media::Text { text } if text.starts_with("In a little while")));

    let Some(c) = read_corpus(Some("ranker"), "ls-frontend/examples/ranker/annotations/1.json", None) else { return };
    let RegionValue::Ranking { order, buckets } = &c.records[0].regions[0].value else { panic!() };
    assert_eq!(
        (order.as_slice(), buckets.len()),
        (&["1234", "123", "12345", "123456", "1234567"].map(String::from)[..], 0)
    );

    let Some(c) = read_corpus(Some("ranker_buckets"), "ls-frontend/examples/ranker_buckets/annotations/1.json", None)
    else {
        return;
    };
    let RegionValue::Ranking { order, buckets } = &c.records[0].regions[0].value else { panic!() };
    assert!(order.is_empty());
    assert_eq!(buckets.get("best"), Some(&vec!["mdn".to_owned()]));
    assert_eq!(buckets.get("ads"), Some(&vec!["blog".to_owned()]));
    assert_eq!(c.records[0].regions[0].id, "region-1");
}

#[test]
fn legacy_completions_nested_results_and_prediction_ids() {
    let Some(c) = read_corpus(None, "ls-evalme/evalme/tests/test_data/test_old_format.json", None) else { return };
    let labels: Vec<Vec<String>> = c
        .records
        .iter()
        .map(|r| match &r.regions[0].value {
            RegionValue::Choice { labels } => labels.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(labels, [vec!["Neutral"], vec!["Evil"], vec!["Evil", "Neutral"]]);
    let spec = c.spec.expect("derived spec");
    assert!(matches!(spec.controls[0].kind, ControlKind::Choice { multiple: true }));

    let Some(c) = read_corpus(None, "ls-examples/ModelMonitoring/ls_data.json", None) else { return };
    assert_eq!(c.diagnostics.count("prediction"), 4);
    assert!(matches!(&c.records[0].item.media, Media::Text { text } if text.starts_with("Explain Einstein")));

    let Some(c) =
        read_corpus(None, "ls-sdk/tests/custom/converter/data/test_export_doclang/data.json", Some((640, 480)))
    else {
        return;
    };
    assert_eq!(c.diagnostics.count("annotation"), 1);
    assert!(c.records.iter().all(|r| r.item.id != "3"));
}

#[test]
fn multi_annotator_export_keeps_user_ids_never_emails() {
    let Some(c) = read_corpus(None, "ls-evalme/evalme/tests/test_data/test_bbox.json", None) else { return };
    let annotators: std::collections::BTreeSet<&str> =
        c.records.iter().filter(|r| r.source == Source::Annotation).map(|r| r.annotator.as_str()).collect();
    assert!(annotators.iter().all(|a| a.parse::<u64>().is_ok()), "{annotators:?}");
    assert_eq!(c.records.iter().filter(|r| r.source == Source::Prediction).count(), 5);
    let RegionValue::BBox { x, .. } = &c.records[0].regions[0].value else { panic!() };
    assert_close(*x, 36.25 * 3.2, "x");
}

/// (task id, `annotations` or `predictions`, index among them, result id, from_name).
type ResultKey = (String, String, usize, String, String);

/// Every result of a Label Studio file, by (task, annotations|predictions, index, result id,
/// from_name): the values to compare after a round trip.
fn results_by_key(root: &Value) -> BTreeMap<ResultKey, (String, Value)> {
    let mut tasks: Vec<Value> = Vec::new();
    match root {
        Value::Array(list) => {
            for (i, entry) in list.iter().enumerate() {
                if entry.get("result").is_some() && entry.get("data").is_none() && entry.get("annotations").is_none() {
                    tasks.push(serde_json::json!({"id": format!("task-{}", i + 1), "predictions": [entry]}));
                } else {
                    let mut task = entry.clone();
                    if task.get("id").is_none() {
                        task["id"] = Value::String(format!("task-{}", i + 1));
                    }
                    tasks.push(task);
                }
            }
        }
        Value::Object(object) if object.contains_key("annotation") => {
            let id = root["task"]["id"].clone();
            tasks.push(serde_json::json!({"id": id, "annotations": [root["annotation"]]}));
        }
        other => {
            let mut task = other.clone();
            if task.get("id").is_none() {
                task["id"] = Value::String("task-1".into());
            }
            tasks.push(task);
        }
    }
    let mut out = BTreeMap::new();
    for task in &tasks {
        let id = match &task["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for key in ["annotations", "completions", "predictions"] {
            let entries = task.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
            let kept = entries.iter().filter(|e| e.is_object() && e.get("was_cancelled") != Some(&Value::Bool(true)));
            let source = if key == "predictions" { "predictions" } else { "annotations" };
            for (n, entry) in kept.enumerate() {
                let results = entry.get("result").and_then(Value::as_array).cloned().unwrap_or_default();
                let flat = results.iter().flat_map(|r| match r {
                    Value::Array(nested) => nested.clone(),
                    other => vec![other.clone()],
                });
                for (i, result) in flat.enumerate() {
                    // Results without an id are numbered as the reader numbers their regions.
                    let rid = result["id"].as_str().map_or_else(|| format!("region-{}", i + 1), str::to_owned);
                    let Some(from) = result["from_name"].as_str() else { continue };
                    let kind = result["type"].as_str().unwrap_or_default().to_owned();
                    out.insert(
                        (id.clone(), source.to_owned(), n, rid, from.to_owned()),
                        (kind, result["value"].clone()),
                    );
                }
            }
        }
    }
    out
}

fn num(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or_else(|| panic!("{key} in {value}"))
}

/// Compares one original result value with its written counterpart, field by field, with the
/// documented normalisations: sizes made positive, rotation modulo 360, text areas as lists,
/// flat rankings under the control's name, a track's last keyframe disabled.
fn assert_same_result(kind: &str, original: &Value, written: &Value, what: &str) {
    let same_angle = |a: f64, b: f64| close((a - b).rem_euclid(360.0).min((b - a).rem_euclid(360.0)), 0.0);
    let labels = |v: &Value| v.get(kind).or_else(|| v.get("labels")).cloned();
    match kind {
        "rectanglelabels" | "rectangle" | "polygonlabels" | "keypointlabels" | "labels" => {
            let negative =
                ["width", "height"].iter().any(|k| original.get(*k).and_then(Value::as_f64).is_some_and(|v| v < 0.0));
            for key in ["x", "y", "start", "end"] {
                // A box drawn with a negative size is written from its other corner.
                if original.get(key).is_some_and(Value::is_number) && !negative {
                    assert!(close(num(original, key), num(written, key)), "{what}: {key}: {original} vs {written}");
                }
            }
            if kind.starts_with("rectangle") {
                for key in ["width", "height"] {
                    assert!(close(num(original, key).abs(), num(written, key)), "{what}: {key}");
                }
                let rotation = original.get("rotation").and_then(Value::as_f64).unwrap_or(0.0);
                assert!(same_angle(rotation, num(written, "rotation")), "{what}: rotation");
            }
            if let Some(points) = original["points"].as_array() {
                let written_points = written["points"].as_array().cloned().unwrap_or_default();
                assert_eq!(points.len(), written_points.len(), "{what}: points");
                for (p, q) in points.iter().zip(&written_points) {
                    for i in 0..2 {
                        assert!(
                            close(p[i].as_f64().unwrap_or(f64::NAN), q[i].as_f64().unwrap_or(f64::NAN)),
                            "{what}: point"
                        );
                    }
                }
            }
            // The writer writes the data's slice; a stored text that differs was reported.
            if kind == "labels"
                && original.get("text").is_some_and(Value::is_string)
                && !what.contains("rich_text_plain")
            {
                assert_eq!(original["text"], written["text"], "{what}: text");
            }
            assert_eq!(labels(original), labels(written), "{what}: labels");
        }
        "videorectangle" => assert_same_sequence(original, written, what),
        "timelinelabels" => {
            assert_eq!(original["ranges"], written["ranges"], "{what}: ranges");
            assert_eq!(original["timelinelabels"], written["timelinelabels"], "{what}: labels");
        }
        "choices" | "pairwise" => assert_eq!(original, written, "{what}"),
        "number" | "rating" | "datetime" | "taxonomy" => assert_eq!(original[kind], written[kind], "{what}"),
        "textarea" => {
            let as_list = |v: &Value| match &v["text"] {
                Value::String(s) => serde_json::json!([s]),
                other => other.clone(),
            };
            assert_eq!(as_list(original), as_list(written), "{what}");
        }
        "ranker" => {
            if original["ranker"].is_array() {
                let order = written["ranker"].as_object().and_then(|o| o.values().next().cloned());
                assert_eq!(Some(original["ranker"].clone()), order, "{what}");
            } else {
                assert_eq!(original["ranker"], written["ranker"], "{what}");
            }
        }
        other => panic!("{what}: unexpected result type {other} in a round trip"),
    }
}

/// A video track's keyframes, compared as [`assert_same_result`] compares boxes.
fn assert_same_sequence(original: &Value, written: &Value, what: &str) {
    let same_angle = |a: f64, b: f64| close((a - b).rem_euclid(360.0).min((b - a).rem_euclid(360.0)), 0.0);
    let (a, b) = (
        original["sequence"].as_array().cloned().unwrap_or_default(),
        written["sequence"].as_array().cloned().unwrap_or_default(),
    );
    assert_eq!(a.len(), b.len(), "{what}: keyframes");
    for (i, (k, l)) in a.iter().zip(&b).enumerate() {
        assert_eq!(k["frame"], l["frame"], "{what}: frame");
        for key in ["x", "y"] {
            if num(k, "width") >= 0.0 && num(k, "height") >= 0.0 {
                assert!(close(num(k, key), num(l, key)), "{what}: keyframe {i} {key}");
            }
        }
        for key in ["width", "height"] {
            assert!(close(num(k, key).abs(), num(l, key)), "{what}: keyframe {i} {key}");
        }
        assert!(same_angle(k["rotation"].as_f64().unwrap_or(0.0), num(l, "rotation")), "{what}: rotation");
        let enabled = k.get("enabled").and_then(Value::as_bool).unwrap_or(true);
        // annoqa's track ends at its last keyframe, so that one is written disabled.
        let want = enabled && i + 1 < a.len();
        assert_eq!(l["enabled"].as_bool(), Some(want), "{what}: keyframe {i} enabled");
    }
    assert_eq!(original["labels"], written["labels"], "{what}: labels");
}

/// Records equal up to floats (1e-9) and the keyframe a disabled last keyframe adds.
fn assert_same_records(a: &[Record], b: &[Record], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: records");
    for (x, y) in a.iter().zip(b) {
        assert!(same_item(&x.item, &y.item), "{what}: items\n{:?}\n{:?}", x.item, y.item);
        assert_eq!(x.source, y.source, "{what}: source");
        if x.annotator.parse::<u64>().is_ok() || x.source == Source::Prediction {
            assert_eq!(x.annotator, y.annotator, "{what}: annotator");
        }
        assert_eq!(x.score, y.score, "{what}: score");
        assert_eq!(x.regions.len(), y.regions.len(), "{what}: regions");
        for (r, s) in x.regions.iter().zip(&y.regions) {
            assert_eq!((&r.id, &r.control, &r.attributes), (&s.id, &s.control, &s.attributes), "{what}");
            assert!(same_value(&r.value, &s.value), "{what}: {:?} vs {:?}", r.value, s.value);
        }
    }
}

/// Items equal up to floats (a frame rate read back as frames / duration).
fn same_item(a: &Item, b: &Item) -> bool {
    same_json(&serde_json::to_value(a).unwrap_or(Value::Null), &serde_json::to_value(b).unwrap_or(Value::Null))
}

fn same_json(a: &Value, b: &Value) -> bool {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    collect_numbers(a, &mut x);
    collect_numbers(b, &mut y);
    let (mut a, mut b) = (a.clone(), b.clone());
    zero_numbers(&mut a);
    zero_numbers(&mut b);
    a == b && x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| close(*p, *q))
}

fn same_value(a: &RegionValue, b: &RegionValue) -> bool {
    let numbers = |v: &RegionValue| -> Vec<f64> {
        match serde_json::to_value(v) {
            Ok(json) => {
                let mut out = Vec::new();
                collect_numbers(&json, &mut out);
                out
            }
            Err(_) => Vec::new(),
        }
    };
    match (a, b) {
        (RegionValue::VideoTrack { label: l, keyframes: k }, RegionValue::VideoTrack { label: m, keyframes: n }) => {
            // A track read from an enabled last keyframe is written disabled, which reads back
            // with an `outside` keyframe after it.
            let n: &[Keyframe] =
                if n.len() == k.len() + 1 && n.last().is_some_and(|x| x.outside) { &n[..k.len()] } else { n };
            l == m
                && k.len() == n.len()
                && k.iter().zip(n).all(|(p, q)| {
                    p.frame == q.frame && p.outside == q.outside && {
                        [p.x - q.x, p.y - q.y, p.width - q.width, p.height - q.height, p.rotation - q.rotation]
                            .iter()
                            .all(|d| d.abs() <= 1e-9)
                    }
                })
        }
        _ => {
            let (x, y) = (numbers(a), numbers(b));
            let strip = |v: &RegionValue| {
                let mut json = serde_json::to_value(v).unwrap_or(Value::Null);
                zero_numbers(&mut json);
                json
            };
            x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| close(*p, *q)) && strip(a) == strip(b)
        }
    }
}

fn collect_numbers(value: &Value, out: &mut Vec<f64>) {
    match value {
        Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(list) => list.iter().for_each(|v| collect_numbers(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_numbers(v, out)),
        _ => {}
    }
}

fn zero_numbers(value: &mut Value) {
    match value {
        Value::Number(_) => *value = Value::from(0),
        Value::Array(list) => list.iter_mut().for_each(zero_numbers),
        Value::Object(map) => map.values_mut().for_each(zero_numbers),
        _ => {}
    }
}

fn round_trip(dir: &Path, case: &Case, written: &[u8], config: Option<&str>, how: &str) {
    let (first, _) = read_case(dir, case);
    let what = format!("{} ({how})", case.file);
    let opts = ReadOptions { file_name: "written.json", config, media_size: case.media_size, ..Default::default() };
    let mut second =
        ls::read(written, &opts).unwrap_or_else(|e| panic!("{what}: {e}\n{}", String::from_utf8_lossy(written)));
    // annoqa's own config has no `framerate`: a video whose results give no frame count and
    // duration reads back at Label Studio's default rate (docs/interop.md says so).
    for (x, y) in first.records.iter().zip(&mut second.records) {
        if let (Media::Video { frame_rate, frame_count: 0, .. }, Media::Video { frame_rate: back, .. }) =
            (&x.item.media, &mut y.item.media)
        {
            if config.is_some_and(|c| !c.contains("framerate")) && *back == ls::DEFAULT_FRAME_RATE {
                *back = *frame_rate;
            }
        }
    }
    assert_same_records(&first.records, &second.records, &what);
    let original: Value = serde_json::from_slice(&std::fs::read(dir.join(case.file)).expect("corpus")).expect("json");
    let written_json: Value = serde_json::from_slice(written).expect("written json");
    let before = results_by_key(&original);
    let after = results_by_key(&written_json);
    // Which (task, annotations|predictions, n, result id) became a region: those results are
    // compared, every one of them.
    let mut converted = std::collections::HashSet::new();
    let mut seen: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for record in &first.records {
        let source = if record.source == Source::Prediction { "predictions" } else { "annotations" };
        let n = seen.entry((record.item.id.clone(), source)).or_insert(0);
        for region in &record.regions {
            let base = region.id.split('#').next().unwrap_or(&region.id);
            converted.insert((record.item.id.clone(), source.to_owned(), *n, base.to_owned()));
        }
        *n += 1;
    }
    let mut compared = 0;
    for (key, (kind, value)) in &before {
        if !converted.contains(&(key.0.clone(), key.1.clone(), key.2, key.3.clone())) {
            continue;
        }
        let Some((written_kind, written_value)) = after.get(key) else {
            panic!("{what}: result {key:?} not written");
        };
        // A `<Labels>` result of a labelled shape is written as the shape's labelled type.
        let kind = if kind == "labels" && written_kind != "labels" { written_kind } else { kind };
        assert_same_result(kind, value, written_value, &format!("{what} {key:?}"));
        compared += 1;
    }
    let regions = first.records.iter().flat_map(|r| &r.regions).filter(|r| !r.id.contains('#')).count();
    assert!(compared >= regions, "{what}: compared {compared} results for {regions} regions");
}

#[test]
fn every_corpus_file_round_trips_through_annoqa() {
    let Some(dir) = super::corpus_dir() else { return };
    for case in CASES {
        let (converted, xml) = read_case(&dir, case);
        // With the original config: its names and per-region controls are kept.
        if let Some(xml) = &xml {
            let config = ls::spec_from_config(xml, "config.xml").expect("config");
            let written = ls::write_with_config(&converted.records, &config).expect("writes");
            round_trip(&dir, case, &written.files[0].bytes, Some(xml), "original config");
        }
        // With the spec only: annoqa's own config.
        let spec = converted.spec.clone();
        let written = ls::write(&converted.records, spec.as_ref()).expect("writes");
        let own = spec.as_ref().map(ls::config_from_spec);
        round_trip(&dir, case, &written.files[0].bytes, own.as_deref(), "annoqa's config");
    }
}

#[test]
fn streaming_gives_the_records_read_gives() {
    let Some(dir) = super::corpus_dir() else { return };
    for case in CASES {
        let (converted, xml) = read_case(&dir, case);
        let file = std::fs::File::open(dir.join(case.file)).expect("corpus");
        let opts = ReadOptions {
            file_name: case.file,
            config: xml.as_deref(),
            media_size: case.media_size,
            ..Default::default()
        };
        let mut streamed = Vec::new();
        let (spec, diagnostics) = ls::for_each_record(file, &opts, &mut |r| streamed.push(r)).expect("streams");
        assert_eq!(streamed, converted.records, "{}", case.file);
        assert_eq!((spec, diagnostics), (converted.spec, converted.diagnostics), "{}", case.file);
    }
}

fn error_of(json: &str, config: Option<&str>) -> String {
    let opts = ReadOptions { file_name: "export.json", config, ..Default::default() };
    match ls::read(json.as_bytes(), &opts) {
        Ok(c) => panic!("read {} records from malformed input", c.records.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_json_names_the_path() {
    let bad_x = r#"[{"id": 1, "data": {"image": "a.png"}, "annotations": [{"result": [
        {"id": "a", "from_name": "c", "to_name": "image", "type": "choices", "value": {"choices": ["x"]}},
        {"id": "b", "from_name": "c", "to_name": "image", "type": "choices", "value": {"choices": ["x"]}},
        {"id": "r", "from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 10,
         "original_height": 10, "value": {"x": "left", "y": 1, "width": 1, "height": 1}}]}]}]"#;
    assert_eq!(
        error_of(bad_x, None),
        "export.json: $[0].annotations[0].result[2].value.x: expected a number, found a string"
    );
    let bad_value =
        r#"[{"id": 1, "annotations": [{"result": [{"id": "r", "from_name": "c", "type": "choices", "value": 3}]}]}]"#;
    assert_eq!(
        error_of(bad_value, None),
        "export.json: $[0].annotations[0].result[0].value: expected an object, found a number"
    );
    let no_type = r#"{"id": 1, "annotations": [{"result": [{"id": "r", "value": {}}]}]}"#;
    assert_eq!(error_of(no_type, None), "export.json: $.annotations[0].result[0]: missing field `type`");
    let frame = r#"[{"id": 1, "annotations": [{"result": [{"id": "v", "from_name": "box", "type": "videorectangle",
        "value": {"sequence": [{"frame": 0, "x": 1, "y": 1, "width": 1, "height": 1}]}}]}]}]"#;
    assert_eq!(
        error_of(frame, None),
        "export.json: $[0].annotations[0].result[0].value.sequence[0].frame: Label Studio frames start at 1"
    );
    let syntax = "[{\"id\": 1, \"data\": {}},\n {\"id\": 2, \"data\": ";
    assert_eq!(error_of(syntax, None), "export.json: $[1] (line 2 column 19): EOF while parsing a value");
    let top = "42";
    assert!(
        error_of(top, None).contains("expected a list of tasks, one task, or a webhook payload"),
        "{}",
        error_of(top, None)
    );
    let trailing = "[] x";
    assert!(error_of(trailing, None).starts_with("export.json: line 1 column 4: trailing characters"));
}

#[test]
fn unknown_results_are_reported_per_kind_with_task_ids() {
    let json = r#"[
        {"id": 7, "data": {"image": "a.png"}, "annotations": [{"completed_by": 3, "result": [
            {"id": "e", "from_name": "ell", "to_name": "image", "type": "ellipselabels", "value": {"x": 1, "y": 1, "radiusX": 1, "radiusY": 1, "ellipselabels": ["a"]}},
            {"id": "m", "from_name": "brush", "to_name": "image", "type": "brushlabels", "value": {"format": "rle", "rle": [1, 2], "brushlabels": ["a"]}},
            {"id": "p", "from_name": "poly", "to_name": "image", "type": "polygonlabels", "original_width": 10, "original_height": 10, "value": {"points": [[1, 1], [2, 2]], "closed": false, "polygonlabels": ["a"]}},
            {"id": "q", "from_name": "ghost", "to_name": "image", "type": "choices", "value": {"choices": ["a"]}}
        ]}]},
        {"id": 8, "data": {"image": "b.png"}, "annotations": [{"completed_by": 3, "was_cancelled": true, "result": []}]}
    ]"#;
    let config = r#"<View><Image name="image" value="$image"/>
        <EllipseLabels name="ell" toName="image"><Label value="a"/></EllipseLabels>
        <BrushLabels name="brush" toName="image"><Label value="a"/></BrushLabels>
        <PolygonLabels name="poly" toName="image"><Label value="a"/></PolygonLabels></View>"#;
    let c = ls::read(json.as_bytes(), &ReadOptions { file_name: "x.json", config: Some(config), ..Default::default() })
        .expect("reads");
    assert_eq!(c.records.len(), 1);
    assert!(c.records[0].regions.is_empty());
    let shown = c.diagnostics.to_string();
    for line in [
        "skipped 1 ellipselabels (ellipses have no annoqa region type) in task 7",
        "skipped 1 brushlabels (masks have no annoqa region type) in task 7",
        "skipped 1 polygonlabels (an open polygon (closed: false) is a polyline: annoqa has no polyline region) in task 7",
        "skipped 1 choices (control `ghost` is not in the labeling config) in task 7",
        "skipped 1 annotation (cancelled (was_cancelled: true): skipped) in task 8",
    ] {
        assert!(shown.contains(line), "missing `{line}` in\n{shown}");
    }
}

#[test]
fn per_region_controls_become_attributes_and_transcripts() {
    let config = r#"<View>
        <Audio name="audio" value="$audio"/>
        <Labels name="speaker" toName="audio"><Label value="A"/></Labels>
        <TextArea name="words" toName="audio" perRegion="true"/>
        <Number name="loudness" toName="audio" perRegion="true"/>
        <Choices name="quality" toName="audio" perRegion="true" choice="multiple"><Choice value="clean"/><Choice value="noisy"/></Choices>
    </View>"#;
    let json = r#"{"id": 1, "data": {"audio": "a.wav"}, "annotations": [{"completed_by": 2, "result": [
        {"id": "s", "from_name": "speaker", "to_name": "audio", "type": "labels", "original_length": 12.5, "value": {"start": 1.5, "end": 2.25, "labels": ["A"]}},
        {"id": "s", "from_name": "words", "to_name": "audio", "type": "textarea", "value": {"start": 1.5, "end": 2.25, "text": ["hello", "there"]}},
        {"id": "s", "from_name": "loudness", "to_name": "audio", "type": "number", "value": {"start": 1.5, "end": 2.25, "number": 0.1}},
        {"id": "s", "from_name": "quality", "to_name": "audio", "type": "choices", "value": {"start": 1.5, "end": 2.25, "choices": ["clean", "noisy"]}}
    ]}]}"#;
    let c = ls::read(json.as_bytes(), &ReadOptions { file_name: "a.json", config: Some(config), ..Default::default() })
        .expect("reads");
    assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);
    let spec = c.spec.as_ref().expect("spec");
    assert!(matches!(spec.controls[0].kind, ControlKind::AudioSegments { transcript: true }));
    let record = &c.records[0];
    assert!(matches!(record.item.media, Media::Audio { duration, .. } if duration == 12.5));
    let segment = &record.regions[0];
    assert!(matches!(&segment.value, RegionValue::AudioSegment { transcript: Some(t), .. } if t == "hello\nthere"));
    assert_eq!(segment.attributes.get("loudness").map(String::as_str), Some("0.1"));
    assert_eq!(segment.attributes.get("quality").map(String::as_str), Some("clean\nnoisy"));
    // Written back with the same config, each answer keeps its control's type.
    let ls_config = ls::spec_from_config(config, "c.xml").expect("config");
    let written = ls::write_with_config(&c.records, &ls_config).expect("writes");
    let json: Value = serde_json::from_slice(&written.files[0].bytes).expect("json");
    let results = json[0]["annotations"][0]["result"].as_array().cloned().unwrap_or_default();
    let types: Vec<(&str, &str)> =
        results.iter().map(|r| (r["from_name"].as_str().unwrap_or(""), r["type"].as_str().unwrap_or(""))).collect();
    assert_eq!(types, [("speaker", "labels"), ("words", "textarea"), ("loudness", "number"), ("quality", "choices")]);
    assert_eq!(results[2]["value"]["number"], serde_json::json!(0.1));
    assert_eq!(results[3]["value"]["start"], serde_json::json!(1.5));
    assert!(written.diagnostics.is_empty(), "{}", written.diagnostics);
    let again = ls::read(
        &written.files[0].bytes,
        &ReadOptions { file_name: "w.json", config: Some(config), ..Default::default() },
    )
    .expect("reads back");
    assert_eq!(again.records[0].regions, record.regions);
}

#[test]
fn shapes_with_a_separate_labels_control() {
    let config = r#"<View><Image name="image" value="$image"/>
        <Labels name="label" toName="image"><Label value="Text" background="green"/><Label value="Handwriting"/></Labels>
        <Rectangle name="bbox" toName="image"/><Polygon name="poly" toName="image"/>
        <TextArea name="transcription" toName="image" perRegion="true"/></View>"#;
    let parsed = ls::spec_from_config(config, "ocr.xml").expect("config");
    let names: Vec<(&str, &str, usize)> =
        parsed.spec.controls.iter().map(|c| (c.name.as_str(), c.kind.name(), c.labels.len())).collect();
    assert_eq!(names, [("bbox", "b_box", 2), ("poly", "polygon", 2)]);
    assert_eq!(
        parsed.control("label").map(|c| &c.role),
        Some(&ControlRole::LabelsFor(vec!["bbox".into(), "poly".into()]))
    );
    let json = r#"[{"id": 5, "data": {"image": "scan.png"}, "annotations": [{"completed_by": 1, "result": [
        {"id": "r1", "from_name": "bbox", "to_name": "image", "type": "rectangle", "original_width": 100, "original_height": 50,
         "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0}},
        {"id": "r1", "from_name": "label", "to_name": "image", "type": "labels", "original_width": 100, "original_height": 50,
         "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "labels": ["Text"]}},
        {"id": "r1", "from_name": "transcription", "to_name": "image", "type": "textarea", "original_width": 100, "original_height": 50,
         "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "text": ["Hello"]}},
        {"id": "p1", "from_name": "label", "to_name": "image", "type": "labels", "original_width": 100, "original_height": 50,
         "value": {"points": [[0, 0], [10, 0], [10, 10]], "labels": ["Handwriting"]}}
    ]}]}]"#;
    let c =
        ls::read(json.as_bytes(), &ReadOptions { file_name: "ocr.json", config: Some(config), ..Default::default() })
            .expect("reads");
    assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);
    let regions = &c.records[0].regions;
    assert_eq!(regions.len(), 2);
    assert!(
        matches!(&regions[0].value, RegionValue::BBox { x, width, label, .. } if *x == 10.0 && *width == 20.0 && label == "Text")
    );
    assert_eq!(regions[0].attributes.get("transcription").map(String::as_str), Some("Hello"));
    assert!(matches!(&regions[1].value, RegionValue::Polygon { label, .. } if label == "Handwriting"));
    assert_eq!(regions[1].control, "poly");
    let written = ls::write_with_config(&c.records, &parsed).expect("writes");
    let again = ls::read(
        &written.files[0].bytes,
        &ReadOptions { file_name: "w.json", config: Some(config), ..Default::default() },
    )
    .expect("reads back");
    assert_same_records(&c.records, &again.records, "ocr");
}

#[test]
fn corpus_configs_become_specs() {
    let Some(dir) = super::corpus_dir() else { return };
    let spec_of = |name: &str| -> LsConfig {
        let xml = std::fs::read_to_string(dir.join(config_path(name))).expect("config");
        ls::spec_from_config(&xml, name).unwrap_or_else(|e| panic!("{e}"))
    };
    let video = spec_of("video_bboxes");
    assert_eq!(video.spec.media, MediaKind::Video);
    let labels: Vec<&str> = video.spec.controls[0].labels.iter().map(|l| l.value.as_str()).collect();
    assert_eq!((video.spec.controls[0].kind.name(), labels), ("video_tracks", vec!["Car", "Airplane", "Possum"]));
    assert_eq!(video.spec.controls[0].labels[0].color.as_deref(), Some("#944BFF"));

    let audio = spec_of("audio_regions");
    let kinds: Vec<(&str, &str)> = audio.spec.controls.iter().map(|c| (c.name.as_str(), c.kind.name())).collect();
    assert_eq!(kinds, [("label", "audio_segments"), ("choice", "choice")]);
    assert!(matches!(audio.spec.controls[1].kind, ControlKind::Choice { multiple: true }));
    assert_eq!(audio.control("fragment").map(|c| &c.role), Some(&ControlRole::Attribute));
    assert!(matches!(audio.control("overall").map(|c| &c.role), Some(ControlRole::Unsupported(_))));
    assert_eq!(audio.diagnostics.count("Number tag"), 1);

    let ranker = spec_of("ranker_buckets");
    assert!(matches!(&ranker.spec.controls[0].kind, ControlKind::Ranker { buckets } if buckets == &["best", "ads"]));

    let mixed = spec_of("classification_mixed");
    let kinds: Vec<(&str, &str)> = mixed.spec.controls.iter().map(|c| (c.name.as_str(), c.kind.name())).collect();
    assert_eq!(kinds, [("label", "text_spans"), ("txt", "text_area"), ("choices", "choice")]);
    assert_eq!(mixed.control("txt2").map(|c| &c.role), Some(&ControlRole::Attribute));
    assert_eq!(mixed.objects[0].literal.as_deref(), Some("Just some random text to label"));

    let paragraphs = spec_of("audio_video_paragraphs");
    assert_eq!(paragraphs.spec.media, MediaKind::Audio);
    assert_eq!(paragraphs.media_object().map(|o| o.name.as_str()), Some("audio"));

    let keypoints = spec_of("ls-sdk/tests/custom/converter/data/test_export_yolo/label_config_keypoints.xml");
    assert_eq!(keypoints.spec.controls[0].labels.len(), 17);
}

#[test]
fn config_errors_name_the_element() {
    let err = |xml: &str| ls::spec_from_config(xml, "c.xml").map(|_| ()).unwrap_err().to_string();
    let unclosed = err("<View>\n  <Image name=\"img\" value=\"$image\">\n</View>");
    assert!(unclosed.starts_with("c.xml: line 3: malformed XML: "), "{unclosed}");
    assert_eq!(
        err("<View>\n<Image name=\"a\" value=\"$a\"/>\n<Choices name=\"a\" toName=\"a\"><Choice value=\"x\"/></Choices></View>"),
        "c.xml: <Image name=\"a\">: name `a` is used twice"
    );
    assert_eq!(
        err("<View><Text name=\"t\" value=\"$t\"/>\n<Labels toName=\"t\"/></View>"),
        "c.xml: <Labels> (line 2): tag has no `name`"
    );
    assert_eq!(
        err("<View><Text name=\"t\" value=\"$t\"/><Labels name=\"l\" toName=\"t\">\n  <Label background=\"red\"/></Labels></View>"),
        "c.xml: <Label> (line 2): label has no `value`"
    );
    assert_eq!(
        err("<View><Header value=\"x\"/></View>"),
        "c.xml: the labeling config has no object tag (Image, Text, Audio, Video, List, …)"
    );
    assert_eq!(
        err("<View><Video name=\"v\" value=\"$v\" framerate=\"fast\"/></View>"),
        "c.xml: <Video name=\"v\"> (line 1): framerate `fast` is not a positive number"
    );
}

#[test]
fn written_configs_read_back_as_the_same_spec() {
    let Some(dir) = super::corpus_dir() else { return };
    for case in CASES {
        let (converted, _) = read_case(&dir, case);
        let Some(spec) = converted.spec else { continue };
        let xml = ls::config_from_spec(&spec);
        let back = ls::spec_from_config(&xml, "written.xml").unwrap_or_else(|e| panic!("{}: {e}\n{xml}", case.file));
        assert_eq!(back.spec.media, spec.media, "{}", case.file);
        assert_eq!(back.spec.controls, spec.controls, "{}:\n{xml}", case.file);
    }
}

#[test]
fn config_from_spec_writes_label_studio_tags() {
    let spec: annoqa_core::model::TaskSpec = serde_json::from_value(serde_json::json!({
        "media": "image",
        "controls": [
            {"name": "objects", "type": "b_box", "labels": [{"value": "car", "color": "#f00", "hotkey": "1"}, {"value": "a \"b\" & c"}]},
            {"name": "image", "type": "choice", "multiple": true, "labels": [{"value": "day"}, {"value": "night"}]},
            {"name": "notes", "type": "text_area", "labels": []},
            {"name": "spans", "type": "text_spans", "labels": [{"value": "x"}]}
        ]
    }))
    .expect("spec");
    expect_test::expect![[r##"
        <View>
          <Image name="image_2" value="$image"/>
          <RectangleLabels name="objects" toName="image_2">
            <Label value="car" background="#f00" hotkey="1"/>
            <Label value="a &quot;b&quot; &amp; c"/>
          </RectangleLabels>
          <Choices name="image" toName="image_2" choice="multiple">
            <Choice value="day"/>
            <Choice value="night"/>
          </Choices>
          <TextArea name="notes" toName="image_2" editable="true"/>
          <!-- control spans (text_spans): Label Studio has no tag for it on image items -->
        </View>
    "##]]
    .assert_eq(&ls::config_from_spec(&spec));
}

#[test]
fn written_tasks_have_label_studio_shapes() {
    let Some(c) = read_corpus(
        Some("ls-converter/tests/data/test_export_yolo/label_config.xml"),
        "ls-converter/tests/data/test_export_yolo/data.json",
        None,
    ) else {
        return;
    };
    let written = ls::write(&c.records, c.spec.as_ref()).expect("writes");
    assert!(written.diagnostics.is_empty(), "{}", written.diagnostics);
    let json: Value = serde_json::from_slice(&written.files[0].bytes).expect("json");
    let tasks = json.as_array().expect("a task list");
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["id"], serde_json::json!(1));
    assert_eq!(tasks[0]["data"]["image"], serde_json::json!("/image1"));
    assert_eq!(tasks[0]["annotations"].as_array().map(Vec::len), Some(2));
    assert_eq!(tasks[0]["annotations"][0]["completed_by"], serde_json::json!(2));
    let result = &tasks[0]["annotations"][0]["result"][0];
    for (key, want) in [
        ("from_name", serde_json::json!("label")),
        ("to_name", serde_json::json!("image")),
        ("type", serde_json::json!("rectanglelabels")),
        ("origin", serde_json::json!("manual")),
        ("original_width", serde_json::json!(2800)),
        ("original_height", serde_json::json!(2800)),
        ("image_rotation", serde_json::json!(0)),
    ] {
        assert_eq!(result[key], want, "{key}");
    }
    assert_close(num(&result["value"], "x"), 37.15846994535519, "x %");
}

/// Image sizes by file name, as `--media-dir` would give them.
struct Sizes(Vec<(&'static str, (u32, u32))>);

impl crate::tree::FileTree for Sizes {
    fn list(&self, _dir: &str) -> Result<Vec<String>, crate::diag::InputError> {
        Ok(self.0.iter().map(|(name, _)| (*name).to_owned()).collect())
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, crate::diag::InputError> {
        Err(crate::diag::InputError::new(path, "", "no bytes in this test tree"))
    }
    fn is_file(&self, path: &str) -> bool {
        self.0.iter().any(|(name, _)| *name == path)
    }
    fn image_size(&self, path: &str) -> Option<(u32, u32)> {
        self.0.iter().find(|(name, _)| *name == path).map(|(_, size)| *size)
    }
}

#[test]
fn image_sizes_come_from_the_media_folder_by_file_name() {
    let Some(dir) = super::corpus_dir() else { return };
    let file = "ls-frontend/examples/image_polygons/annotations/0.json";
    let bytes = std::fs::read(dir.join(file)).expect("corpus");
    let xml = std::fs::read_to_string(dir.join(config_path("image_polygons"))).expect("config");
    // The task's image is …/spacexmoon-800x501.jpg; the folder holds it under its base name.
    let tree = Sizes(vec![("spacexmoon-800x501.jpg", (800, 501))]);
    let opts = ReadOptions { file_name: file, config: Some(&xml), media: Some(&tree), ..Default::default() };
    let c = ls::read(&bytes, &opts).expect("reads");
    assert!(c.diagnostics.is_empty(), "{}", c.diagnostics);
    assert!(matches!(c.records[0].item.media, Media::Image { width: 800, height: 501, .. }));
    let RegionValue::Polygon { points, .. } = &c.records[0].regions[0].value else { panic!() };
    assert_close(points[0][0], 27.2 * 8.0, "x");
    assert_close(points[0][1], 41.24629080118694 * 5.01, "y");
    // Without the file, nothing is guessed.
    let empty = Sizes(Vec::new());
    let opts = ReadOptions { file_name: file, config: Some(&xml), media: Some(&empty), ..Default::default() };
    let c = ls::read(&bytes, &opts).expect("reads");
    assert!(c.records[0].regions.is_empty());
    assert_eq!(c.diagnostics.count("polygonlabels"), 1);
}

#[test]
fn repeated_result_ids_stay_unique_region_ids() {
    let config = r#"<View><Text name="text" value="$text"/>
        <Choices name="a" toName="text"><Choice value="y"/></Choices>
        <Choices name="b" toName="text"><Choice value="y"/></Choices></View>"#;
    let choice = |control: &str| {
        format!(
            r#"{{"id": "x", "from_name": "{control}", "to_name": "text", "type": "choices", "value": {{"choices": ["y"]}}}}"#
        )
    };
    let results: Vec<String> = ["a", "b", "b", "a", "b"].iter().map(|c| choice(c)).collect();
    let json = format!(
        r#"{{"id": 1, "data": {{"text": "t"}}, "annotations": [{{"completed_by": 1, "result": [{}]}}]}}"#,
        results.join(",")
    );
    let c = ls::read(json.as_bytes(), &ReadOptions { file_name: "x.json", config: Some(config), ..Default::default() })
        .expect("reads");
    let ids: Vec<(&str, &str)> = c.records[0].regions.iter().map(|r| (r.id.as_str(), r.control.as_str())).collect();
    // The same id and control is one region (a shape and its labels); another control's is a
    // new region with a suffix.
    assert_eq!(ids, [("x", "a"), ("x#2", "b")]);
}

#[test]
fn keypoint_labels_in_a_written_config_carry_their_model_index() {
    let spec: annoqa_core::model::TaskSpec = serde_json::from_value(serde_json::json!({
        "media": "image",
        "controls": [{"name": "pose", "type": "keypoint", "labels": [{"value": "nose"}, {"value": "tail"}]}]
    }))
    .unwrap();
    let xml = ls::config_from_spec(&spec);
    assert!(xml.contains(r#"<Label value="nose" model_index="0"/>"#), "{xml}");
    assert!(xml.contains(r#"<Label value="tail" model_index="1"/>"#), "{xml}");
    // And it reads back as the same labels.
    let config = ls::spec_from_config(&xml, "written.xml").unwrap();
    let labels: Vec<&str> = config.spec.controls[0].labels.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(labels, ["nose", "tail"]);
}

/// Syntax errors of a list are found by the splitter or by a task's own parser: either way
/// they name the line and column that serde_json names for the whole file.
#[test]
fn syntax_errors_in_a_list_are_placed_as_in_the_whole_file() {
    let task = r#"{"id": 1, "data": {"text": "a \"quoted\" ]} [{ text"}}"#;
    let cases = [
        "[".to_owned(),
        "  \n\n [".to_owned(),
        format!("[{task}"),
        format!("[{task} {task}]"),
        format!("[{task},]"),
        format!("[{task}]\n x"),
        format!("[\n  {task},\n  {{\"id\": 2, \"data\": }}\n]"),
        format!("[{task},\n\n   {{\"id\": 2,\n \"data\" {{}}}}]"),
        format!("[{task}, {{\"id\": 3, \"data\": {{\"text\": \"unterminated"),
        format!("[{task}, {{\"id\": 4]"),
    ];
    let config = r#"<View><Text name="text" value="$text"/></View>"#;
    // Without a config tasks are converted on this thread; with one, on several.
    for (case, config) in cases.iter().flat_map(|c| [(c, None), (c, Some(config))]) {
        let ours = error_of(case, config);
        let whole = serde_json::from_str::<Value>(case).expect_err("malformed");
        let place = format!("line {} column {}", whole.line(), whole.column());
        let message = whole.to_string();
        let message = message.strip_suffix(&format!(" at {place}")).unwrap_or(&message).to_owned();
        assert!(ours.contains(&place) && ours.ends_with(&message), "{case:?}: ours {ours:?}, serde {whole}");
    }
}

/// Reads in bites of `size` bytes, so every byte can fall on a block boundary.
struct Bites<'b> {
    bytes: &'b [u8],
    size: usize,
}

impl std::io::Read for Bites<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.size.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// A list is cut into its tasks without parsing them: brackets, quotes and backslashes inside
/// strings, a cut between any two bytes, and tasks larger than a read block must not move a
/// task's boundary. Each task read alone (through serde's reader as one object) is the oracle.
#[test]
fn a_list_read_in_any_bites_gives_each_tasks_own_records() {
    let config = r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="a]"/><Choice value="b{"/></Choices></View>"#;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let text = match i {
            // A text of 1.5 MiB in one task: larger than the splitter's read block.
            3 => "x\\\\y\\\"".repeat(300_000),
            // Brackets in a string with no backslash, across many 64-byte blocks.
            4 => "]}[{ ".repeat(100),
            _ => format!("t{i} \\\"[{{\\\\\\\" }}]"),
        };
        let choice = if i % 2 == 0 { "a]" } else { "b{" };
        tasks.push(format!(
            r#"{{"id": {i}, "data": {{"text": "{text}"}}, "annotations": [{{"completed_by": {i}, "result": [{{"id": "r{i}", "from_name": "c", "to_name": "text", "type": "choices", "value": {{"choices": ["{choice}"]}}}}]}}]}}"#
        ));
    }
    let list = format!(" [\n{}\n]\n", tasks.join(" ,\n"));
    let opts = ReadOptions { file_name: "export.json", config: Some(config), ..Default::default() };
    let alone: Vec<Record> =
        tasks.iter().flat_map(|t| ls::read(t.as_bytes(), &opts).unwrap_or_else(|e| panic!("{e}")).records).collect();
    assert_eq!(alone.len(), 6);
    for size in [1, 2, 3, 7, 1 << 20, usize::MAX] {
        let mut records = Vec::new();
        ls::for_each_record(Bites { bytes: list.as_bytes(), size }, &opts, &mut |r| records.push(r))
            .unwrap_or_else(|e| panic!("bites of {size}: {e}"));
        assert_eq!(records, alone, "bites of {size}");
    }
}

/// Batches converted on several threads are handed on in list order: every record in order,
/// reports of all batches added up, and the first error in the list is the one reported even
/// when a later batch fails first.
#[test]
fn threads_keep_list_order_counts_and_the_first_error() {
    let config = r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="a"/></Choices></View>"#;
    let filler = "f".repeat(2_000);
    let task = |i: usize, choice_type: &str| {
        format!(
            r#"{{"id": {i}, "data": {{"text": "{filler}"}}, "annotations": [{{"completed_by": 1, "result": [{{"id": "r", "from_name": "c", "to_name": "text", "type": "{choice_type}", "value": {{"choices": ["a"], "x": 1}}}}]}}]}}"#
        )
    };
    // About 8 MB: several batches of 1 MB each.
    let count = 4_000;
    let tasks: Vec<String> =
        (0..count).map(|i| task(i, if i % 10 == 0 { "ellipselabels" } else { "choices" })).collect();
    let opts = ReadOptions { file_name: "export.json", config: Some(config), ..Default::default() };
    let converted = ls::read(format!("[{}]", tasks.join(",")).as_bytes(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = converted.records.iter().map(|r| r.item.id.clone()).collect();
    assert_eq!(ids, (0..count).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(converted.diagnostics.count("ellipselabels"), count / 10);
    let mut broken = tasks.clone();
    broken[1_500] =
        r#"{"id": 1500, "annotations": [{"result": [{"id": "r", "from_name": "c", "value": {}}]}]}"#.to_owned();
    broken[3_900] = "{\"id\": 3900, ".to_owned();
    let error = ls::read(format!("[{}]", broken.join(",")).as_bytes(), &opts).expect_err("malformed");
    assert_eq!(error.to_string(), "export.json: $[1500].annotations[0].result[0]: missing field `type`");
}

/// The reader's borrowed JSON value answers as `serde_json::Value` does: the last of a repeated
/// key, escapes in keys and strings, every kind of number, and JSON printed back.
#[test]
fn borrowed_json_reads_as_serde_json_value() {
    let texts = [
        r#"{"a": 1, "b": [1, -2, 3.5, 1e3, -0, 18446744073709551615, 18446744073709551616], "a": "again"}"#,
        r#"{"k\u00e9y": "caf\u00e9 \"quoted\" \\ \n", "plain": "ünïcödé 🎉", "a": {"z": 1, "y": [true, false, null]}}"#,
        r#"{"b": {"x": 1, "x": 2}, "a": -9223372036854775808, "n": 0.1, "big": 1.7976931348623157e308}"#,
        r#"{"": "empty key", "a": [], "b": {}, "n": 12345678901234567890123}"#,
    ];
    let keys = ["a", "b", "n", "big", "plain", "kéy", "", "missing"];
    for text in texts {
        let (printed, fields) = ls::json_for_tests(text, &keys).unwrap_or_else(|e| panic!("{text}: {e}"));
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(printed, value.to_string(), "{text}");
        for (key, field) in keys.iter().zip(fields) {
            let theirs = value.get(key);
            let expected = ls::JsonField {
                json: theirs.cloned(),
                float: theirs.and_then(Value::as_f64),
                whole: theirs.and_then(Value::as_u64),
            };
            assert_eq!(field, expected, "{text}: {key}");
        }
    }
}

/// An export of `tasks` image tasks × 3 annotators with four boxes each (labels `car` and
/// `bus`; where `van`, the second annotator of every third task also has `van`, which no
/// config has), every 500th naming the image of task 3
/// again, every 700th an image of the same file name as the task before's, with `more(task, annotator)` added to each annotation's results.
fn box_export(tasks: usize, van: bool, more: &dyn Fn(usize, usize) -> Vec<Value>) -> Vec<u8> {
    let mut list = Vec::new();
    for task in 0..tasks {
        let mut annotations = Vec::new();
        for annotator in 0..3 {
            let mut results = Vec::new();
            for b in 0..4 {
                let van = van && annotator == 1 && task % 3 == 0 && b == 2;
                let label = if van { "van" } else { ["car", "bus"][(task + annotator + b) % 2] };
                let (x, w) = (f64::from(((task * 7 + b * 13) % 80) as u32) + 0.25, 5.5 + f64::from(b as u32));
                results.push(serde_json::json!({"id": format!("r{task}-{annotator}-{b}"), "type": "rectanglelabels",
                    "from_name": "box", "to_name": "image", "original_width": 640, "original_height": 480,
                    "value": {"x": x, "y": 10.5, "width": w, "height": 4.0 + f64::from(task as u32 % 7) / 3.0,
                              "rotation": 0, "rectanglelabels": [label]}}));
            }
            results.extend(more(task, annotator));
            annotations.push(
                serde_json::json!({"id": task * 3 + annotator, "completed_by": annotator + 1, "result": results}),
            );
        }
        // Every 700th task's image has the file name of the task before's, in another folder.
        let (folder, image) = match task {
            _ if task % 700 == 699 => ("y", task - 1),
            _ if task % 500 == 499 => ("x", 3),
            _ => ("x", task),
        };
        list.push(serde_json::json!({"id": task + 1, "data": {"image": format!("https://x.org/{folder}/{image}.jpg")},
            "annotations": annotations}));
    }
    let export = serde_json::to_vec(&Value::Array(list)).unwrap();
    assert!(export.len() > 3 << 20, "spans several 1 MiB batches: {} bytes", export.len());
    export
}

const BOX_CONFIG: &str = r#"<View><Image name="image" value="$image"/>
    <RectangleLabels name="box" toName="image"><Label value="car"/><Label value="bus"/></RectangleLabels>
    <PolygonLabels name="poly" toName="image"><Label value="car"/></PolygonLabels>
    <KeyPointLabels name="kp" toName="image"><Label value="nose"/></KeyPointLabels></View>"#;

/// Writes `export` as `format` through parts made on the reader's threads (`for_each_part`, as
/// `annoqa convert` does) and asserts the files and what is reported equal writing the records
/// read one by one. With `early`, files are also taken while the input is read
/// (`write_early_files` after each part, as `annoqa convert -o DIR` writes them) into a
/// folder in memory, which must end up the same. Returns what was written.
fn assert_parts_equal_records_written(format: crate::format::OutputFormat, export: &[u8], early: bool) -> Written {
    use crate::convert::{self, StreamWriter};
    use crate::record::{FilePiece, RecordFold};

    let opts = ReadOptions { file_name: "export.json", config: Some(BOX_CONFIG), ..Default::default() };
    let spec = ls::spec_from_config(BOX_CONFIG, "config.xml").unwrap().spec;
    let converted = ls::read(export, &opts).unwrap();
    let whole = convert::write(format, &converted.records, Some(&spec)).unwrap();
    let whole_folder: BTreeMap<String, Vec<u8>> =
        whole.files.iter().map(|f| (f.path.clone(), f.bytes.clone())).collect();

    for take_early in [false, true].into_iter().filter(|&take| !take || early) {
        let mut writer = StreamWriter::new(format, Some(spec.clone()));
        let parts = writer.parts();
        let made = std::sync::atomic::AtomicUsize::new(0);
        struct Counting<'a>(convert::Parts, &'a std::sync::atomic::AtomicUsize);
        impl RecordFold for Counting<'_> {
            type Part = convert::Part;
            fn part(&self) -> convert::Part {
                self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.0.part()
            }
            fn add(&self, part: &mut convert::Part, record: Record) {
                self.0.add(part, record);
            }
        }
        // A file is made once, and appended to only once made.
        let mut folder: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let put = |folder: &mut BTreeMap<String, Vec<u8>>, piece: FilePiece| {
            let made = folder.contains_key(&piece.file.path);
            assert_eq!(piece.append, made, "{}: appended to nothing, or made twice", piece.file.path);
            folder.entry(piece.file.path).or_default().extend(piece.file.bytes);
        };
        let mut pieces = Vec::new();
        let (_, read_diagnostics) = ls::for_each_part(export, &opts, &Counting(parts, &made), &mut |part| {
            writer.append(part);
            if take_early {
                pieces.clear();
                writer.write_early_files(&mut pieces);
                pieces.drain(..).for_each(|piece| put(&mut folder, piece));
            }
        })
        .unwrap();
        assert_eq!(read_diagnostics, converted.diagnostics);
        assert_eq!(writer.records(), converted.records.len());
        if take_early {
            let finished = writer.finish_unwritten().unwrap();
            assert_eq!(finished.diagnostics, whole.diagnostics);
            if finished.restarts() {
                folder.clear();
            }
            finished.into_pieces().into_iter().for_each(|piece| put(&mut folder, piece));
            assert_eq!(folder, whole_folder);
        } else {
            let streamed = writer.finish().unwrap();
            assert_eq!(streamed.files, whole.files);
            assert_eq!(streamed.diagnostics, whole.diagnostics);
        }
        if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
            assert!(made.load(std::sync::atomic::Ordering::Relaxed) > 1, "parts made per batch");
        }
    }
    whole
}

/// A polygon and a keypoint on the first box of every annotation, and a box turned by 30°.
fn polygon_keypoint_and_turned_box(task: usize, annotator: usize) -> Vec<Value> {
    vec![
        serde_json::json!({"id": format!("p{task}-{annotator}"), "type": "polygonlabels", "from_name": "poly",
            "to_name": "image", "original_width": 640, "original_height": 480,
            "value": {"points": [[1.5, 2.0], [30.0, 2.5], [15.25, 40.0]], "polygonlabels": ["car"]}}),
        serde_json::json!({"id": format!("k{task}-{annotator}"), "type": "keypointlabels", "from_name": "kp",
            "to_name": "image", "original_width": 640, "original_height": 480,
            "parentID": format!("r{task}-{annotator}-0"),
            "value": {"x": 3.0, "y": 4.5, "keypointlabels": ["nose"]}}),
        serde_json::json!({"id": format!("t{task}-{annotator}"), "type": "rectanglelabels", "from_name": "box",
            "to_name": "image", "original_width": 640, "original_height": 480,
            "value": {"x": 20.0, "y": 30.5, "width": 10.0, "height": 5.0, "rotation": 30, "rectanglelabels": ["bus"]}}),
    ]
}

/// `convert --to coco` of an export with a config goes through parts made on the reader's
/// threads; the file and what is reported equal writing the records read one by one. The
/// export spans several batches, with images repeated across them, a label outside the
/// config, a rotated box, polygons and keypoints.
#[test]
fn coco_parts_made_on_reading_threads_equal_the_records_written_in_order() {
    let export = box_export(2500, true, &polygon_keypoint_and_turned_box);
    let whole = assert_parts_equal_records_written(crate::format::OutputFormat::Coco, &export, false);
    assert!(whole.diagnostics.count("annotator") > 0 && whole.diagnostics.count("rotated b_box") > 0);
}

/// `convert --to yolo` with a config makes each record of plain boxes into its lines on the
/// reader's threads and keeps other records whole; the dataset equals writing the records one
/// by one whatever the task turns out to be: detect (plain records only, and with records of
/// a label outside the config), oriented boxes when one box late in the export is turned, and
/// pose when keypoints come with polygons and turned boxes.
#[test]
fn yolo_parts_made_on_reading_threads_equal_the_records_written_in_order() {
    use crate::format::OutputFormat::Yolo;
    let data_yaml = |written: &Written| {
        let yaml = written.files.iter().find(|f| f.path == "data.yaml").unwrap();
        String::from_utf8(yaml.bytes.clone()).unwrap()
    };
    let plain = assert_parts_equal_records_written(Yolo, &box_export(2500, false, &|_, _| Vec::new()), true);
    assert!(data_yaml(&plain).contains("task: detect\n"));
    assert!(plain.diagnostics.count("annotator") > 0 && plain.diagnostics.count("file name") > 0);
    assert_eq!(plain.diagnostics.count("label"), 0);

    let van = assert_parts_equal_records_written(Yolo, &box_export(2500, true, &|_, _| Vec::new()), true);
    assert!(data_yaml(&van).contains("task: detect\n") && data_yaml(&van).contains("  2: van\n"));
    assert_eq!(van.diagnostics.count("label"), 1);

    let turned_late = |task: usize, annotator: usize| match (task, annotator) {
        (2490, 2) => polygon_keypoint_and_turned_box(task, annotator).split_off(2),
        _ => Vec::new(),
    };
    let obb = assert_parts_equal_records_written(Yolo, &box_export(2500, false, &turned_late), true);
    assert!(data_yaml(&obb).contains("task: obb\n"));

    let pose =
        assert_parts_equal_records_written(Yolo, &box_export(2500, true, &polygon_keypoint_and_turned_box), true);
    assert!(data_yaml(&pose).contains("task: pose\n"));
}

/// The native parser gives serde_json's value wherever it gives one (floats to the bit, `-0`,
/// integers beyond `i64`, escapes, surrogate pairs) and leaves every text serde_json refuses to
/// serde_json: fixed cases, random numbers, and random damage to a task.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_native_parser_reads_as_serde_json_or_leaves_it_to_serde_json() {
    let check = |text: &[u8], must_read: bool| {
        let (native, serde) = ls::parsers_for_tests(text);
        let shown = String::from_utf8_lossy(text);
        if let Some(native) = &native {
            assert_eq!(Ok(native), serde.as_ref(), "{shown}");
        }
        assert!(!must_read || native.is_some(), "native parser left {shown} to serde_json: {serde:?}");
    };
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let fixed = [
        "0",
        "-0",
        "-0.0",
        "0.1",
        "1e308",
        "1e309",
        "-1e-400",
        "1E+2",
        "1e-2",
        "5e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "12.345678901234567",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1844674407370955161.5",
        "01",
        "1.",
        ".5",
        "-",
        "-a",
        "1e",
        "1e+",
        "+1",
        "[1,]",
        "[1 2]",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{1:2}"#,
        r#""\u00e9\u00E9""#,
        r#""\ud83d\ude00""#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83dx""#,
        r#""\ud83d\u0041""#,
        r#""a\x""#,
        r#""\/\b\f\n\r\t\"\\""#,
        "\"\u{1}\"",
        "\"\u{7f}\"",
        "nul",
        "truex",
        " true ",
        "[true,false,null]",
        r#" { "a" : [ 1 , -2.5e-3 ] , "a" : {} , "" : [] } "#,
        "\"unterminated",
        "[1",
        "{\"a\":",
    ];
    for text in fixed {
        check(text.as_bytes(), false);
    }
    for depth in [99, 100, 101, 127, 128, 129] {
        check(deep(depth).as_bytes(), false);
    }
    check(b"\"\xff\"", false);
    check(b"\"caf\xc3\xa9\"", true);
    // Random numbers: digits around a point and an exponent, each read as serde_json does.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _ in 0..200_000 {
        let mut text = String::new();
        if next(2) == 0 {
            text.push('-');
        }
        let whole = 1 + next(12) as usize;
        let first = if whole == 1 { next(10) } else { 1 + next(9) };
        text.push(char::from(b'0' + first as u8));
        (1..whole).for_each(|_| text.push(char::from(b'0' + next(10) as u8)));
        let fraction = if next(3) == 0 { 0 } else { 1 + next(20) as usize };
        if fraction > 0 {
            text.push('.');
            (0..fraction).for_each(|_| text.push(char::from(b'0' + next(10) as u8)));
        }
        if next(4) == 0 {
            text.push_str(["e", "E", "e-", "e+"][next(4) as usize]);
            text.push_str(&next(330).to_string());
        }
        // Up to 19 digits a significand fits; the exponents of 10^±308 are all read.
        let short = whole + fraction <= 19 && !text.contains('e') && !text.contains('E');
        check(text.as_bytes(), short);
    }
    // Random damage to a task: a byte replaced, removed or doubled.
    let task = br#"{"id":1,"data":{"image":"https://x.org/a b.jpg"},"annotations":[{"id":1,"completed_by":1,"result":[{"id":"t1a1b0","type":"rectanglelabels","from_name":"label","to_name":"image","original_width":1280,"original_height":720,"image_rotation":0,"value":{"x":3.4530541170914586,"y":-71.90266167003176e-2,"width":28.488095457662833,"height":12,"rotation":0,"rectanglelabels":["car\u00e9\n"]}}],"was_cancelled":false,"lead_time":null}],"predictions":[],"meta":{}}"#;
    check(task, true);
    let alphabet = b"{}[]\",:\\0123456789.eE+-tfnu \n\xc3\xa9";
    for _ in 0..100_000 {
        let mut text = task.to_vec();
        for _ in 0..1 + next(3) {
            let at = next(text.len() as u64) as usize;
            match next(3) {
                0 => text[at] = alphabet[next(alphabet.len() as u64) as usize],
                1 => {
                    text.remove(at);
                }
                _ => text.insert(at, text[at]),
            }
        }
        check(&text, false);
    }
}
