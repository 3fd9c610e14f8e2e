//! `annoqa validate` and `annoqa score` on the worked examples of docs/formats.md (one per
//! media kind), so the documentation's outputs are the tested outputs.

use std::path::{Path, PathBuf};
use std::process::Command;

use expect_test::{expect, Expect};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `annoqa` in the repository root and returns exit code and stdout (stderr on exit 2).
fn run(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_annoqa")).args(args).current_dir(repo()).output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    let text = if code == 2 { output.stderr } else { output.stdout };
    (code, String::from_utf8(text).unwrap())
}

fn check(args: &[&str], code: i32, expect: Expect) {
    let (got, text) = run(args);
    assert_eq!(got, code, "exit code of annoqa {args:?}; output:\n{text}");
    expect.assert_eq(&text);
}

#[test]
fn validate_text_reports_findings_with_guideline_links() {
    check(
        &["validate", "--spec", "static/demo/news-entities", "docs/examples/text/annotations.jsonl"],
        1,
        expect![[r#"
            docs/examples/text/annotations.jsonl:2 item news-1 (ben):
              error[span_whitespace_edge] [a]: PERSON span “Ana Lima” has white space at its start (guideline #entities)
              error[required]: answer required: Overall tone of the sentence (guideline #sentiment)
            2 annotations: 1 without errors; 2 errors, 0 warnings
        "#]],
    );
}

#[test]
fn score_text_explains_every_span() {
    check(
        &[
            "score",
            "--spec",
            "static/demo/news-entities/project.json",
            "--gold",
            "docs/examples/text/gold.jsonl",
            "docs/examples/text/annotations.jsonl",
        ],
        1,
        expect![[r#"
            docs/examples/text/annotations.jsonl:1 item news-1 (ana): FAIL 66.7%
              entities: 33.3%
              sentiment: 100.0%
              - Titles are not part of names. (guideline #person)
              - PERSON “Dr. Ana Lima”: boundary off by 4 (start -4, end +0); gold is “Ana Lima” (guideline #person)
              - “Porto” is PLACE, not ORG (guideline #place)
              - PLACE “Lisbon.”: accepted, boundary off by 1 within tolerance (gold “Lisbon”) (guideline #place)
            docs/examples/text/annotations.jsonl:2 item news-1 (ben): FAIL 25.0%
              entities: 50.0%
              sentiment: 0.0%
              - Titles are not part of names. (guideline #person)
              - PERSON “ Ana Lima”: accepted, boundary off by 1 within tolerance (gold “Ana Lima”) (guideline #person)
              - missed PLACE “Porto” (23–28) (guideline #place)
              - missed PLACE “Lisbon” (32–38) (guideline #place)
              - Overall tone of the sentence: no answer; gold is neutral (guideline #sentiment)
            2 gold annotations scored: 0 passed, 2 failed, mean score 45.8%; 0 without gold skipped
        "#]],
    );
}

#[test]
fn image_audio_video_and_pairwise_examples() {
    for kind in ["image", "audio", "video", "pairwise"] {
        let spec = format!("docs/examples/{kind}/spec.json");
        let gold = format!("docs/examples/{kind}/gold.jsonl");
        let annotations = format!("docs/examples/{kind}/annotations.jsonl");
        let (_, validated) = run(&["validate", "--spec", &spec, &annotations]);
        let (_, scored) = run(&["score", "--spec", &spec, "--gold", &gold, &annotations]);
        let documented = std::fs::read_to_string(repo().join("docs/formats.md")).unwrap();
        for output in [validated, scored] {
            assert!(
                documented.contains(output.trim_end()),
                "docs/formats.md does not show the current output for {kind}:\n{output}"
            );
        }
    }
}

#[test]
fn json_output_is_one_object_with_counts() {
    let (code, text) = run(&[
        "score",
        "--json",
        "--spec",
        "docs/examples/image/spec.json",
        "--gold",
        "docs/examples/image/gold.jsonl",
        "docs/examples/image/annotations.jsonl",
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((report["scored"].as_u64(), report["passed"].as_u64()), (Some(2), Some(1)));
    assert_eq!(report["results"][1]["report"]["score"], 1.0);
    let (code, text) = run(&[
        "validate",
        "--json",
        "--spec",
        "docs/examples/video/spec.json",
        "docs/examples/video/annotations.jsonl",
    ]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((report["annotations"].as_u64(), report["errors"].as_u64()), (Some(1), Some(0)));
}

#[test]
fn bad_input_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"item\": {\"id\": \"x\", \"media\": {\"type\": \"text\", \"text\": \"hi\"}}, \"regions\": []}\n\n{\"regions\": [}\n").unwrap();
    let (code, text) = run(&["validate", "--spec", "static/demo/news-entities", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(text.starts_with("error: ") && text.contains("bad.jsonl:3: "), "{text}");

    let no_item = dir.path().join("no_item.jsonl");
    std::fs::write(&no_item, "{\"item_id\": \"x\", \"regions\": []}\n").unwrap();
    let (code, text) = run(&["validate", "--spec", "static/demo/news-entities", no_item.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(text.contains("no_item.jsonl:1: no `item`"), "{text}");

    let spec = dir.path().join("spec.json");
    std::fs::write(
        &spec,
        r#"{"media": "text", "controls": [], "rules": [{"rule": "count", "control": "ghost", "max": 1}]}"#,
    )
    .unwrap();
    let (code, text) = run(&["validate", "--spec", spec.to_str().unwrap(), no_item.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(text.contains("rules[0].control: count rule names control `ghost`, which does not exist"), "{text}");

    let (code, text) =
        run(&["score", "--spec", "static/demo/news-entities", "--gold", "nope.jsonl", no_item.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(text.contains("cannot read nope.jsonl"), "{text}");
}

#[test]
fn overlapping_spans_pair_optimally() {
    let args = [
        "score",
        "--spec",
        "docs/examples/spans/spec.json",
        "--gold",
        "docs/examples/spans/gold.jsonl",
        "docs/examples/spans/annotations.jsonl",
    ];
    let (code, scored) = run(&args);
    assert_eq!(code, 0, "{scored}");
    let documented = std::fs::read_to_string(repo().join("docs/formats.md")).unwrap();
    assert!(documented.contains(scored.trim_end()), "docs/formats.md does not show:\n{scored}");
    let mut json_args = args.to_vec();
    json_args.insert(1, "--json");
    let (_, text) = run(&json_args);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let result = &report["results"][0]["report"];
    let matched = result["verdicts"].as_array().unwrap().iter().filter(|v| v["verdict"] == "matched").count();
    assert_eq!((matched, result["score"].as_f64()), (2, Some(1.0)));
}

/// The message `annoqa validate` prints for a spec with an invalid transcript pattern; the
/// server's import and demo loader print the same (annoqa-server's tests).
#[test]
fn a_spec_with_an_invalid_pattern_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(
        &spec,
        r#"{"media": "audio", "controls": [{"name": "speech", "type": "audio_segments", "transcript": true,
            "labels": [{"value": "speech"}]}],
            "rules": [{"rule": "transcript", "control": "speech", "pattern": "[a-z"}]}"#,
    )
    .unwrap();
    let annotations = dir.path().join("a.jsonl");
    std::fs::write(&annotations, "").unwrap();
    let (code, text) = run(&["validate", "--spec", spec.to_str().unwrap(), annotations.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        text.contains("invalid spec: rules[0].pattern: transcript rule: `[a-z` is not a valid regular expression"),
        "{text}"
    );
}
