//! The real Label Studio export `ls-evalme/evalme/tests/test_data/test_bbox.json` (5 tasks, 3
//! annotators, rectangles, one prediction per task): the report's box agreement against an
//! independent computation straight from the JSON (percent → pixels by hand, IoU by hand, the
//! best one-to-one matching by exhaustive search).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use annoqa_interop::ReadOptions;
use serde_json::Value;

use crate::report::Agreement;
use crate::{render_html, ReportBuilder, ReportOptions};

/// `../shared/interop-corpus` beside the workspace (or `$ANNOQA_INTEROP_CORPUS`); `None`, with a
/// note on stderr, where it is absent.
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ANNOQA_INTEROP_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"),
    };
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        eprintln!("note: interop corpus not found at {}: corpus checks skipped", dir.display());
        None
    }
}

/// An axis-aligned box in pixels with its label.
#[derive(Clone, Debug)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    label: String,
}

fn iou(a: &Rect, b: &Rect) -> f64 {
    let ix = ((a.x + a.w).min(b.x + b.w) - a.x.max(b.x)).max(0.0);
    let iy = ((a.y + a.h).min(b.y + b.h) - a.y.max(b.y)).max(0.0);
    let inter = ix * iy;
    let union = a.w * a.h + b.w * b.h - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// The one-to-one pairing of same-label boxes with IoU ≥ `min` that has the largest total IoU,
/// by trying every assignment: (pairs, total IoU).
fn best_matching(a: &[Rect], b: &[Rect], min: f64) -> (usize, f64) {
    fn search(a: &[Rect], b: &[Rect], min: f64, used: &mut Vec<bool>) -> (usize, f64) {
        let Some((first, rest)) = a.split_first() else { return (0, 0.0) };
        let mut best = search(rest, b, min, used);
        for j in 0..b.len() {
            let overlap = iou(first, &b[j]);
            if used[j] || first.label != b[j].label || overlap < min {
                continue;
            }
            used[j] = true;
            let (n, total) = search(rest, b, min, used);
            used[j] = false;
            if total + overlap > best.1 {
                best = (n + 1, total + overlap);
            }
        }
        best
    }
    search(a, b, min, &mut vec![false; b.len()])
}

/// Per task, per annotator (`completed_by` id), the rectangles in pixels.
fn boxes_by_hand(export: &Value) -> Vec<BTreeMap<String, Vec<Rect>>> {
    let mut tasks = Vec::new();
    for task in export.as_array().unwrap() {
        let mut by_annotator: BTreeMap<String, Vec<Rect>> = BTreeMap::new();
        for annotation in task["annotations"].as_array().unwrap() {
            assert_eq!(annotation["was_cancelled"], Value::Bool(false));
            let who = annotation["completed_by"]["id"].to_string();
            let rects = by_annotator.entry(who).or_default();
            for result in annotation["result"].as_array().unwrap() {
                assert_eq!(result["type"], "rectanglelabels");
                let v = &result["value"];
                assert_eq!(v["rotation"].as_f64().unwrap(), 0.0);
                let (width, height) =
                    (result["original_width"].as_f64().unwrap(), result["original_height"].as_f64().unwrap());
                let px = |key: &str, size: f64| v[key].as_f64().unwrap() / 100.0 * size;
                rects.push(Rect {
                    x: px("x", width),
                    y: px("y", height),
                    w: px("width", width),
                    h: px("height", height),
                    label: v["rectanglelabels"][0].as_str().unwrap().to_owned(),
                });
            }
        }
        tasks.push(by_annotator);
    }
    tasks
}

#[test]
fn label_studio_box_export_agreement_matches_a_computation_by_hand() {
    let Some(dir) = corpus_dir() else { return };
    let path = dir.join("ls-evalme/evalme/tests/test_data/test_bbox.json");
    let bytes = std::fs::read(&path).unwrap();
    let mut builder = ReportBuilder::new(None, HashMap::new(), ReportOptions::default());
    let opts = ReadOptions { file_name: "test_bbox.json", ..ReadOptions::default() };
    annoqa_interop::ls::for_each_record(bytes.as_slice(), &opts, &mut |record| builder.add(&record)).unwrap();
    let report = builder.finish();
    assert_eq!((report.summary.items, report.summary.annotators), (5, 3));
    assert_eq!(report.summary.predictions_skipped, 5);
    let [control] = report.controls.as_slice() else { panic!("one control: {:?}", report.controls) };
    let Agreement::Regions(agreement) = &control.agreement else { panic!("box agreement: {control:?}") };

    // The same numbers from the JSON alone.
    let export: Value = serde_json::from_slice(&bytes).unwrap();
    let tasks = boxes_by_hand(&export);
    let mut sums: BTreeMap<(String, String), (usize, usize, usize, f64)> = BTreeMap::new();
    for task in &tasks {
        let names: Vec<&String> = task.keys().collect();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let (n, total) = best_matching(&task[*a], &task[*b], 0.5);
                let (ka, kb) = if report.annotators.iter().position(|x| x == *a)
                    < report.annotators.iter().position(|x| x == *b)
                {
                    ((*a).clone(), (*b).clone())
                } else {
                    ((*b).clone(), (*a).clone())
                };
                let entry = sums.entry((ka.clone(), kb)).or_default();
                let (ra, rb) =
                    if &ka == *a { (task[*a].len(), task[*b].len()) } else { (task[*b].len(), task[*a].len()) };
                *entry = (entry.0 + ra, entry.1 + rb, entry.2 + n, entry.3 + total);
            }
        }
    }
    assert_eq!(agreement.pairs.len(), sums.len());
    for pair in &agreement.pairs {
        let (ra, rb, matched, total) = sums[&(pair.a.clone(), pair.b.clone())];
        assert_eq!((pair.items, pair.regions_a, pair.regions_b, pair.matched), (5, ra, rb, matched), "{pair:?}");
        let f1 = 2.0 * matched as f64 / (ra + rb) as f64;
        assert!((pair.f1.unwrap() - f1).abs() < 1e-12, "{pair:?}: F1 {f1}");
        assert!(
            (pair.mean_iou.unwrap() - total / matched as f64).abs() < 1e-9,
            "{pair:?}: IoU {}",
            total / matched as f64
        );
    }
    let mean_f1 = agreement.pairs.iter().map(|p| p.f1.unwrap()).sum::<f64>() / agreement.pairs.len() as f64;
    assert!((agreement.mean_f1.unwrap() - mean_f1).abs() < 1e-12);
    // Every box is counted once per label, and the labels are the file's.
    let mut labels: Vec<&str> = agreement.per_label.iter().map(|l| l.label.as_str()).collect();
    labels.sort_unstable();
    assert_eq!(labels, ["Car", "Obstacle", "Road"]);
    let boxes: usize = tasks.iter().flat_map(|t| t.values()).map(Vec::len).sum();
    assert_eq!(agreement.per_label.iter().map(|l| l.count).sum::<usize>(), boxes);
    let page = render_html(&report);
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"));
    // The export holds e-mail addresses; the report names annotators by id only.
    assert!(!page.contains('@'));
}
