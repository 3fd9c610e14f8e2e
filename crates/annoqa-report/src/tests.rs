//! Unit tests: a small hand-made export and its JSON report as a snapshot, the derived spec, the
//! page's promises (self-contained, accessible), and the real Label Studio box export.

mod corpus;

use std::collections::HashMap;

use annoqa_core::model::{Gold, GoldMode, Item, Media, Region, TaskSpec};
use annoqa_core::validate;
use annoqa_interop::record::derive_spec;
use annoqa_interop::{Record, Source};
use expect_test::expect;
use serde_json::json;

use crate::{render_html, Report, ReportBuilder, ReportOptions};

fn image(id: &str) -> Item {
    Item {
        id: id.to_owned(),
        media: Media::Image { src: format!("{id}.png"), width: 100, height: 100 },
        candidates: vec![],
    }
}

fn choice(label: &str) -> serde_json::Value {
    json!({"id": "s", "control": "sentiment", "type": "choice", "labels": [label]})
}

fn bbox(id: &str, x: f64, y: f64, w: f64, h: f64, label: &str) -> serde_json::Value {
    json!({"id": id, "control": "objects", "type": "b_box", "x": x, "y": y, "width": w, "height": h, "label": label})
}

fn record(item: &str, annotator: &str, regions: Vec<serde_json::Value>) -> Record {
    let regions: Vec<Region> = serde_json::from_value(json!(regions)).unwrap();
    Record { item: image(item), annotator: annotator.to_owned(), source: Source::Annotation, regions, score: None }
}

fn spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "image",
        "controls": [
            {"name": "sentiment", "type": "choice", "labels": [{"value": "pos"}, {"value": "neg"}]},
            {"name": "objects", "type": "b_box", "tolerance": {"min_iou": 0.5},
             "labels": [{"value": "car"}, {"value": "person"}]}
        ],
        "rules": [{"rule": "min_size", "control": "objects", "min_width": 4, "min_height": 4}]
    }))
    .unwrap()
}

/// Three annotators, four images; a prediction and a repeated annotation that are left out.
fn export() -> Vec<Record> {
    let mut prediction = record("i1", "model-1", vec![choice("neg")]);
    prediction.source = Source::Prediction;
    vec![
        record("i1", "a", vec![choice("pos"), bbox("1", 10.0, 10.0, 20.0, 20.0, "car")]),
        record("i1", "b", vec![choice("pos"), bbox("1", 11.0, 10.0, 20.0, 20.0, "car")]),
        record("i1", "c", vec![choice("pos"), bbox("1", 10.0, 11.0, 20.0, 20.0, "car")]),
        prediction,
        record("i1", "a", vec![choice("neg")]),
        record(
            "i2",
            "a",
            vec![choice("neg"), bbox("1", 50.0, 50.0, 10.0, 10.0, "car"), bbox("2", 0.0, 0.0, 10.0, 30.0, "person")],
        ),
        record("i2", "b", vec![choice("neg"), bbox("1", 51.0, 50.0, 10.0, 10.0, "car")]),
        record(
            "i2",
            "c",
            vec![choice("pos"), bbox("1", 0.0, 0.0, 10.0, 30.0, "person"), bbox("2", 52.0, 52.0, 2.0, 2.0, "car")],
        ),
        record("i3", "a", vec![choice("pos")]),
        record("i3", "b", vec![choice("neg")]),
        record("i3", "c", vec![choice("neg")]),
        record("i4", "a", vec![choice("neg"), bbox("1", 60.0, 10.0, 10.0, 30.0, "person")]),
        record(
            "i4",
            "b",
            vec![choice("neg"), bbox("1", 60.0, 10.0, 10.0, 30.0, "person"), bbox("2", 90.0, 90.0, 20.0, 20.0, "car")],
        ),
    ]
}

fn gold() -> HashMap<String, Gold> {
    let answer = |regions: serde_json::Value| -> Vec<Region> { serde_json::from_value(regions).unwrap() };
    let gold = |regions| Gold {
        mode: GoldMode::Honeypot,
        answer: answer(regions),
        tolerance: Default::default(),
        explanation: String::new(),
        guideline: None,
    };
    HashMap::from([
        ("i1".to_owned(), gold(json!([choice("pos"), bbox("g", 10.0, 10.0, 20.0, 20.0, "car")]))),
        ("i3".to_owned(), gold(json!([choice("neg")]))),
    ])
}

fn report(spec: Option<TaskSpec>, gold: HashMap<String, Gold>, records: &[Record]) -> Report {
    let mut builder = ReportBuilder::new(spec, gold, ReportOptions::default());
    for r in records {
        builder.add(r);
    }
    builder.finish()
}

#[test]
fn small_export_report() {
    let report = report(Some(spec()), gold(), &export());
    let text = serde_json::to_string_pretty(&report).unwrap();
    expect![[r#"
        {
          "summary": {
            "records": 13,
            "annotations": 11,
            "items": 4,
            "annotators": 3,
            "predictions_skipped": 1,
            "repeats_skipped": 1,
            "spec": "given",
            "gold_items": 2
          },
          "annotators": [
            "a",
            "b",
            "c"
          ],
          "controls": [
            {
              "name": "sentiment",
              "kind": "choice",
              "labels": [
                "pos",
                "neg"
              ],
              "answers": 11,
              "shared_items": 4,
              "agreement": {
                "type": "choice",
                "multiple": false,
                "alpha": 0.33333333333333326,
                "fleiss_kappa": 0.31428571428571445,
                "percent": 0.6666666666666666,
                "mean_cohen_kappa": 0.13333333333333328,
                "pairs": [
                  {
                    "a": "a",
                    "b": "b",
                    "items": 4,
                    "percent": 0.75,
                    "cohen_kappa": 0.5
                  },
                  {
                    "a": "a",
                    "b": "c",
                    "items": 3,
                    "percent": 0.3333333333333333,
                    "cohen_kappa": -0.5000000000000001
                  },
                  {
                    "a": "b",
                    "b": "c",
                    "items": 3,
                    "percent": 0.6666666666666666,
                    "cohen_kappa": 0.39999999999999997
                  }
                ],
                "per_label": [
                  {
                    "label": "pos",
                    "count": 5,
                    "value": 0.31428571428571445
                  },
                  {
                    "label": "neg",
                    "count": 6,
                    "value": 0.31428571428571445
                  }
                ],
                "consensus": {
                  "method": "ds",
                  "iterations": 5,
                  "converged": true,
                  "gold_items": 2,
                  "label_counts": [
                    1,
                    3
                  ],
                  "confusion": [
                    [
                      3,
                      0
                    ],
                    [
                      2,
                      6
                    ]
                  ],
                  "items": [
                    {
                      "item": "i1",
                      "label": "pos",
                      "confidence": 1.0
                    },
                    {
                      "item": "i2",
                      "label": "neg",
                      "confidence": 0.9999999999681085
                    },
                    {
                      "item": "i3",
                      "label": "neg",
                      "confidence": 1.0
                    },
                    {
                      "item": "i4",
                      "label": "neg",
                      "confidence": 0.9999999999840542
                    }
                  ]
                }
              }
            },
            {
              "name": "objects",
              "kind": "b_box",
              "labels": [
                "car",
                "person"
              ],
              "answers": 11,
              "shared_items": 4,
              "agreement": {
                "type": "regions",
                "matching": "same label, IoU ≥ 0.5",
                "mean_f1": 0.6055555555555555,
                "mean_iou": 0.908338181686701,
                "pairs": [
                  {
                    "a": "a",
                    "b": "b",
                    "items": 4,
                    "regions_a": 4,
                    "regions_b": 4,
                    "matched": 3,
                    "f1": 0.75,
                    "mean_iou": 0.9076479076479077
                  },
                  {
                    "a": "a",
                    "b": "c",
                    "items": 3,
                    "regions_a": 3,
                    "regions_b": 3,
                    "matched": 2,
                    "f1": 0.6666666666666666,
                    "mean_iou": 0.9523809523809523
                  },
                  {
                    "a": "b",
                    "b": "c",
                    "items": 3,
                    "regions_a": 2,
                    "regions_b": 3,
                    "matched": 1,
                    "f1": 0.4,
                    "mean_iou": 0.8223234624145785
                  }
                ],
                "per_label": [
                  {
                    "label": "car",
                    "count": 7,
                    "value": 0.6153846153846154
                  },
                  {
                    "label": "person",
                    "count": 4,
                    "value": 0.6666666666666666
                  }
                ],
                "consensus": {
                  "threshold": 0.5,
                  "objects": 6,
                  "unanimous": 2,
                  "majority": 4,
                  "single": 2,
                  "by_support": [
                    2,
                    3,
                    1
                  ],
                  "mean_member_iou": 0.9551525428446069
                }
              }
            }
          ],
          "scorecards": [
            {
              "annotator": "a",
              "items": 4,
              "regions": 8,
              "gold": {
                "scored": 2,
                "passed": 1,
                "accuracy": 0.5,
                "low": 0.0945312057342308,
                "high": 0.9054687942657692,
                "confidence": 0.95,
                "mean_score": 0.5
              },
              "peer_agreement": 0.6428571428571428,
              "peer_agreement_by_control": [
                {
                  "control": "sentiment",
                  "value": 0.5714285714285714
                },
                {
                  "control": "objects",
                  "value": 0.7142857142857143
                }
              ],
              "consensus_accuracy": 0.75,
              "errors": 0,
              "warnings": 0,
              "findings_per_100": 0.0
            },
            {
              "annotator": "b",
              "items": 4,
              "regions": 8,
              "gold": {
                "scored": 2,
                "passed": 2,
                "accuracy": 1.0,
                "low": 0.3423802275066532,
                "high": 1.0,
                "confidence": 0.95,
                "mean_score": 1.0
              },
              "peer_agreement": 0.6648351648351649,
              "peer_agreement_by_control": [
                {
                  "control": "sentiment",
                  "value": 0.7142857142857143
                },
                {
                  "control": "objects",
                  "value": 0.6153846153846154
                }
              ],
              "consensus_accuracy": 1.0,
              "errors": 1,
              "warnings": 0,
              "findings_per_100": 25.0
            },
            {
              "annotator": "c",
              "items": 3,
              "regions": 6,
              "gold": {
                "scored": 2,
                "passed": 2,
                "accuracy": 1.0,
                "low": 0.3423802275066532,
                "high": 1.0,
                "confidence": 0.95,
                "mean_score": 1.0
              },
              "peer_agreement": 0.5227272727272727,
              "peer_agreement_by_control": [
                {
                  "control": "sentiment",
                  "value": 0.5
                },
                {
                  "control": "objects",
                  "value": 0.5454545454545454
                }
              ],
              "consensus_accuracy": 0.6666666666666666,
              "errors": 1,
              "warnings": 0,
              "findings_per_100": 33.333333333333336
            }
          ],
          "findings": {
            "errors": 2,
            "warnings": 0,
            "annotations_with_errors": 2,
            "by_rule": [
              {
                "code": "min_size",
                "severity": "error",
                "count": 1,
                "annotations": 1,
                "messages": [
                  "region `2` is 2×2 px, smaller than the minimum width 4 height 4"
                ]
              },
              {
                "code": "outside_media",
                "severity": "error",
                "count": 1,
                "annotations": 1,
                "messages": [
                  "car box `2` (90.0, 90.0, 20.0×20.0) reaches outside the 100×100 frame"
                ]
              }
            ]
          },
          "lowest_agreement": [
            {
              "item": "i2",
              "control": "sentiment",
              "annotators": 3,
              "value": 0.3333333333333333
            },
            {
              "item": "i3",
              "control": "sentiment",
              "annotators": 3,
              "value": 0.3333333333333333
            },
            {
              "item": "i2",
              "control": "objects",
              "annotators": 3,
              "value": 0.4
            },
            {
              "item": "i4",
              "control": "objects",
              "annotators": 2,
              "value": 0.6666666666666666
            },
            {
              "item": "i1",
              "control": "sentiment",
              "annotators": 3,
              "value": 1.0
            },
            {
              "item": "i4",
              "control": "sentiment",
              "annotators": 2,
              "value": 1.0
            },
            {
              "item": "i1",
              "control": "objects",
              "annotators": 3,
              "value": 1.0
            },
            {
              "item": "i3",
              "control": "objects",
              "annotators": 3,
              "value": 1.0
            }
          ]
        }"#]]
    .assert_eq(&text);
}

#[test]
fn derived_spec_validates_like_derive_spec_of_all_records() {
    let records = export();
    let derived = report(None, HashMap::new(), &records);
    // Validate every kept record under derive_spec of all annotations, independently.
    let annotations: Vec<Record> = records.iter().filter(|r| r.source == Source::Annotation).cloned().collect();
    let spec = derive_spec(&annotations);
    let mut seen = Vec::new();
    let (mut errors, mut warnings) = (0, 0);
    for r in &annotations {
        if seen.contains(&(&r.item.id, &r.annotator)) {
            continue;
        }
        seen.push((&r.item.id, &r.annotator));
        for f in validate(&spec, &r.item, &r.regions) {
            match f.severity {
                annoqa_core::Severity::Error => errors += 1,
                annoqa_core::Severity::Warning => warnings += 1,
            }
        }
    }
    assert_eq!((derived.findings.errors, derived.findings.warnings), (errors, warnings));
    assert_eq!(derived.summary.spec, crate::report::SpecOrigin::Derived);
    let labels: Vec<Vec<String>> = derived.controls.iter().map(|c| c.labels.clone()).collect();
    let want: Vec<Vec<String>> =
        spec.controls.iter().map(|c| c.labels.iter().map(|l| l.value.clone()).collect()).collect();
    assert_eq!(labels, want);
}

#[test]
fn page_is_self_contained_and_labelled() {
    let report = report(Some(spec()), gold(), &export());
    let page = render_html(&report);
    for banned in ["http://", "https://", "<script", "url(", "@import", "<link", "<img", "<iframe"] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
    // Plots: the heatmap of each control, the confusion matrix, the gold whiskers; each titled.
    assert_eq!(page.matches("<svg ").count(), 4);
    assert_eq!(page.matches("<svg ").count(), page.matches("aria-labelledby").count());
    assert!(page.contains("<title id=\"heat-0-t\">Cohen&#39;s κ between annotators, control sentiment</title>"));
    assert!(page.contains("<th scope=\"col\">Annotator A</th>"));
    // Names from the data are escaped.
    let mut odd = export();
    odd[0].annotator = "<b>&\"x\"".to_owned();
    let page = render_html(&self::report(Some(spec()), HashMap::new(), &odd));
    assert!(!page.contains("<b>&"));
    assert!(page.contains("&lt;b&gt;&amp;&quot;x&quot;"));
}

#[test]
fn an_empty_export_gives_an_empty_report() {
    let report = report(Some(spec()), HashMap::new(), &[]);
    assert_eq!(report.summary.annotations, 0);
    assert!(report.lowest_agreement.is_empty());
    let page = render_html(&report);
    assert!(page.contains("No item was done by two or more annotators."));
}

#[test]
fn cell_text_keeps_wcag_contrast_on_every_fill() {
    // The worst case over the scale stays at or above 4.5:1 (WCAG AA for normal text).
    let rgb = |c: &str| -> (f64, f64, f64) {
        let v: Vec<f64> =
            c.trim_start_matches("rgb(").trim_end_matches(')').split(',').map(|x| x.parse().unwrap()).collect();
        (v[0], v[1], v[2])
    };
    for step in 0..=100 {
        let (fill, ink) = crate::svg::fill(f64::from(step) / 100.0);
        let (a, b) = (crate::svg::luminance(rgb(&fill)), if ink == "#ffffff" { 1.0 } else { 0.0 });
        let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
        assert!(ratio >= 4.5, "{fill} with {ink}: {ratio:.2}");
    }
}

#[test]
fn threads_change_no_number() {
    // 200 images, so the items fall into many ranges; boxes jittered by a fixed pattern.
    let mut records = Vec::new();
    for t in 0..200u32 {
        for (a, who) in ["a", "b", "c"].iter().enumerate() {
            let shift = f64::from((t * 7 + a as u32 * 3) % 5);
            let label = if (t + a as u32) % 11 == 0 { "person" } else { "car" };
            records.push(record(
                &format!("img-{t}"),
                who,
                vec![
                    bbox("1", 10.0 + shift, 10.0, 20.0, 20.0, label),
                    bbox("2", 50.0, 40.0 + shift, 15.0, 30.0, "person"),
                ],
            ));
        }
    }
    let run = |threads| {
        let mut builder =
            ReportBuilder::new(Some(spec()), HashMap::new(), ReportOptions { threads, ..ReportOptions::default() });
        records.iter().for_each(|r| builder.add(r));
        builder.finish()
    };
    let one = run(1);
    assert_eq!(one.summary.items, 200);
    assert_eq!(one, run(2));
    assert_eq!(one, run(5));
}

#[test]
fn counts_are_grouped_by_thousands() {
    assert_eq!(crate::html::int(0), "0");
    assert_eq!(crate::html::int(999), "999");
    assert_eq!(crate::html::int(1000), "1,000");
    assert_eq!(crate::html::int(3_000_000), "3,000,000");
}
