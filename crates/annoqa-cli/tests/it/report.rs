//! `annoqa report` end to end: the real binary on a multi-annotator choice export, whose α and
//! Dawid–Skene labels must equal `annoqa agreement` and `annoqa aggregate` on the same answers
//! as long CSV, and on the real Label Studio box export of the interop corpus.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn annoqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_annoqa")).args(args).output().expect("the annoqa binary runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A deterministic multi-annotator export: 40 texts, 4 annotators of different accuracy, 3
/// labels, some answers missing. Returns the records (JSON Lines) and the same answers as the
/// long CSV `annoqa agreement` and `annoqa aggregate` read, rows in record order.
fn choice_export() -> (String, String) {
    let labels = ["positive", "negative", "neutral"];
    // A small linear congruential generator: the same export on every run.
    let mut state: u64 = 12345;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let (mut jsonl, mut csv) = (String::new(), String::from("item,annotator,label\n"));
    for t in 0..40 {
        let truth = next() % 3;
        for (a, accuracy) in [("ann-a", 90), ("ann-b", 75), ("ann-c", 60), ("ann-d", 85)] {
            if next() % 100 < 12 {
                continue; // this annotator did not do the item
            }
            let label = if next() % 100 < accuracy { truth } else { (truth + 1 + next() % 2) % 3 };
            let record = json!({
                "item": {"id": format!("doc-{t}"), "media": {"type": "text", "text": format!("text {t}")}},
                "annotator": a,
                "source": "annotation",
                "regions": [{"id": "c", "control": "sentiment", "type": "choice", "labels": [labels[label]]}],
            });
            writeln!(jsonl, "{record}").unwrap();
            writeln!(csv, "doc-{t},{a},{}", labels[label]).unwrap();
        }
    }
    (jsonl, csv)
}

#[test]
fn report_numbers_equal_agreement_and_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let (jsonl, csv) = choice_export();
    let records = dir.path().join("export.jsonl");
    let long = dir.path().join("answers.csv");
    let html = dir.path().join("report.html");
    std::fs::write(&records, jsonl).unwrap();
    std::fs::write(&long, csv).unwrap();
    let path = |p: &Path| p.display().to_string();

    let report = stdout_json(&annoqa(&["report", &path(&records), "--html", &path(&html), "--json"]));
    let agreement = stdout_json(&annoqa(&["agreement", &path(&long), "--metric", "krippendorff", "--json"]));
    let aggregate = stdout_json(&annoqa(&["aggregate", &path(&long), "--method", "ds", "--json"]));

    let control = &report["controls"][0];
    assert_eq!(control["name"], "sentiment");
    let alpha = control["agreement"]["alpha"].as_f64().unwrap();
    let want = agreement["value"].as_f64().unwrap();
    assert!((alpha - want).abs() < 1e-12, "report α {alpha}, agreement α {want}");
    assert!(alpha > 0.2 && alpha < 0.9, "a plausible α for annotators of 60–90% accuracy: {alpha}");

    let consensus = &control["agreement"]["consensus"];
    let ours: BTreeMap<&str, &str> = consensus["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["item"].as_str().unwrap(), i["label"].as_str().unwrap()))
        .collect();
    let theirs: BTreeMap<&str, &str> = aggregate["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["item"].as_str().unwrap(), r["label"].as_str().unwrap()))
        .collect();
    assert_eq!(ours.len(), 40);
    assert_eq!(ours, theirs);
    assert_eq!(consensus["iterations"], aggregate["iterations"]);
    for (ours, theirs) in consensus["items"].as_array().unwrap().iter().zip(aggregate["results"].as_array().unwrap()) {
        let (a, b) = (ours["confidence"].as_f64().unwrap(), theirs["confidence"].as_f64().unwrap());
        assert!((a - b).abs() < 1e-12, "{ours} vs {theirs}");
    }

    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for banned in ["http://", "https://", "<script"] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
}

/// `../shared/interop-corpus` beside the repository (or `$ANNOQA_INTEROP_CORPUS`).
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("ANNOQA_INTEROP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"));
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        println!("note: no interop corpus at {}: corpus checks are skipped", dir.display());
        None
    }
}

#[test]
fn report_on_a_label_studio_box_export() {
    let Some(corpus) = corpus() else { return };
    let input = corpus.join("ls-evalme/evalme/tests/test_data/test_bbox.json");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("boxes.html");
    let output = annoqa(&["report", &input.display().to_string(), "--html", &html.display().to_string()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let summary = text.replace(&html.display().to_string(), "boxes.html");
    expect_test::expect![[r#"
        wrote boxes.html: 15 annotations of 5 items by 3 annotators
          label (b_box): mean F1 0.5157
          findings: 0 errors, 0 warnings
    "#]]
    .assert_eq(&summary);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"));
    // The export names annotators by e-mail too; the report only by id.
    assert!(!page.contains('@'));
}

#[test]
fn report_refuses_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html").display().to_string();
    let unknown = dir.path().join("answers.csv");
    std::fs::write(&unknown, "item,annotator,label\n").unwrap();
    let output = annoqa(&["report", &unknown.display().to_string(), "--html", &html]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("give --from"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "\n{\"item\": 3}\n").unwrap();
    let output = annoqa(&["report", &bad.display().to_string(), "--html", &html]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.jsonl: line 2: "), "{stderr}");
    assert!(!Path::new(&html).exists(), "no page is written for unreadable input");
}
