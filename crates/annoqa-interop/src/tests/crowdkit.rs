//! Tests of the crowdkit writer: rows per single-label answer, one table per choice control,
//! what is reported instead of written, and RFC 4180 quoting checked with an independent
//! parser on the corpus's hardest label (quotes, tabs, line breaks, Cyrillic).

use std::collections::BTreeMap;

use annoqa_core::model::{Item, Media, Region, RegionValue};

use crate::crowdkit;
use crate::record::{ReadOptions, Record, Source, Written};

fn record(task: &str, worker: &str, source: Source, answers: &[(&str, &[&str])]) -> Record {
    Record {
        item: Item { id: task.into(), media: Media::Text { text: "…".into() }, candidates: vec![] },
        annotator: worker.into(),
        source,
        regions: answers
            .iter()
            .enumerate()
            .map(|(i, (control, labels))| Region {
                id: format!("r{i}"),
                control: (*control).into(),
                value: RegionValue::Choice { labels: labels.iter().map(|l| (*l).to_owned()).collect() },
                attributes: BTreeMap::new(),
            })
            .collect(),
        score: None,
    }
}

/// A CSV file per RFC 4180 (CRLF records, quoted fields with doubled quotes), parsed without
/// the writer's code.
fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "a quote inside an unquoted field");
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "a bare CR");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => {
                assert_ne!(c, '\n', "a bare LF ends no record in RFC 4180");
                field.push(c);
            }
        }
    }
    assert!(!quoted && field.is_empty() && row.is_empty(), "the file ends inside a record");
    rows
}

fn table(written: &Written, path: &str) -> Vec<Vec<String>> {
    let file = written.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no file {path}"));
    parse_csv(&file.bytes)
}

fn rows(pairs: &[[&str; 3]]) -> Vec<Vec<String>> {
    pairs.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect()
}

#[test]
fn one_control_one_file_with_a_row_per_answer() {
    let records = [
        record("t1", "w1", Source::Annotation, &[("sentiment", &["pos"])]),
        record("t1", "w2", Source::Annotation, &[("sentiment", &["neg"])]),
        record("t2", "w1", Source::Annotation, &[("sentiment", &["pos"])]),
        record("t2", "model-v1", Source::Prediction, &[("sentiment", &["neg"])]),
    ];
    let written = crowdkit::write(&records, None).unwrap();
    assert_eq!(written.files.len(), 1);
    assert!(written.files[0].bytes.starts_with(b"task,worker,label\r\n"));
    assert_eq!(
        table(&written, ""),
        rows(&[["task", "worker", "label"], ["t1", "w1", "pos"], ["t1", "w2", "neg"], ["t2", "w1", "pos"]])
    );
    assert_eq!(written.diagnostics.count("prediction"), 1);
}

#[test]
fn several_controls_give_a_file_each_and_odd_answers_are_reported() {
    let records = [
        record("1", "a", Source::Annotation, &[("intent", &["ask"]), ("action", &["reply", "redirect"])]),
        record("1", "b", Source::Annotation, &[("intent", &["ask"]), ("intent", &["tell"]), ("action", &[])]),
        record("2", "a", Source::Annotation, &[("action", &["reply"])]),
    ];
    let written = crowdkit::write(&records, None).unwrap();
    let paths: Vec<&str> = written.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["intent.csv", "action.csv"]);
    assert_eq!(
        table(&written, "intent.csv"),
        rows(&[["task", "worker", "label"], ["1", "a", "ask"], ["1", "b", "ask"]])
    );
    assert_eq!(table(&written, "action.csv"), rows(&[["task", "worker", "label"], ["2", "a", "reply"]]));
    // Two labels at once, no label, and b's second answer to intent on task 1.
    assert_eq!(written.diagnostics.count("action"), 2);
    assert_eq!(written.diagnostics.count("intent"), 1);
}

#[test]
fn non_choice_regions_are_reported_and_no_choice_is_an_error() {
    let mut r = record("1", "a", Source::Annotation, &[("topic", &["x"])]);
    r.regions.push(Region {
        id: "s".into(),
        control: "spans".into(),
        value: RegionValue::TextSpan { start: 0, end: 1, label: "PER".into() },
        attributes: BTreeMap::new(),
    });
    let written = crowdkit::write(std::slice::from_ref(&r), None).unwrap();
    assert_eq!(written.diagnostics.count("spans region"), 1);
    r.regions.remove(0);
    let e = crowdkit::write(&[r], None).unwrap_err();
    assert_eq!(e.message, "no choice control: crowd-kit's csv holds choice answers only");
}

#[test]
fn control_names_become_safe_file_names() {
    let records = [record("1", "a", Source::Annotation, &[("../x", &["l"]), ("a b", &["l"])])];
    let written = crowdkit::write(&records, None).unwrap();
    let paths: Vec<&str> = written.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["%2E.%2Fx.csv", "a%20b.csv"]);
}

#[test]
fn the_corpus_label_with_quotes_tabs_line_breaks_and_cyrillic_is_quoted() {
    let Some(dir) = super::corpus_dir() else { return };
    let file = std::fs::read(dir.join("ls-converter/tests/data/test_export_csv/csv_test2.json")).unwrap();
    let tasks: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let label = tasks[0]["annotations"][0]["result"][0]["value"]["choices"][0].as_str().unwrap();
    assert_eq!(label, "Yes \" \"\" \n \t \t а б в \n");
    let records = [record("4, \"the\" task", "1", Source::Annotation, &[("uri_selection", &[label])])];
    let written = crowdkit::write(&records, None).unwrap();
    let text = String::from_utf8(written.files[0].bytes.clone()).unwrap();
    // Quotes doubled inside a quoted field; the tabs and line breaks kept as they are.
    assert_eq!(text, "task,worker,label\r\n\"4, \"\"the\"\" task\",1,\"Yes \"\" \"\"\"\" \n \t \t а б в \n\"\r\n");
    assert_eq!(table(&written, ""), rows(&[["task", "worker", "label"], ["4, \"the\" task", "1", label]]));
}

#[test]
fn multi_turn_chat_has_a_table_per_question() {
    let Some(dir) = super::corpus_dir() else { return };
    let bytes = std::fs::read(dir.join("ls-examples/multi-turn-chat/labeled_results.json")).unwrap();
    let converted =
        crate::ls::read(&bytes, &ReadOptions { file_name: "labeled_results.json", ..ReadOptions::default() }).unwrap();
    let written = crowdkit::write(&converted.records, converted.spec.as_ref()).unwrap();
    // 3 tasks × 12 choice questions over the turns, one annotation each.
    let tasks: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(written.files.len(), 12);
    let mut single = 0;
    let mut several = 0;
    for task in tasks {
        for annotation in task["annotations"].as_array().unwrap() {
            for result in annotation["result"].as_array().unwrap() {
                match result["value"]["choices"].as_array().unwrap().len() {
                    1 => single += 1,
                    _ => several += 1,
                }
            }
        }
    }
    let written_rows: usize = written.files.iter().map(|f| parse_csv(&f.bytes).len() - 1).sum();
    assert_eq!(written_rows, single);
    let reported: usize =
        written.diagnostics.entries().filter(|u| u.reason.contains("several labels")).map(|u| u.count).sum();
    assert_eq!(reported, several);
    assert!(several > 0, "the corpus file has multi-label answers");
    let intent = table(&written, "turn1_user_intent.csv");
    assert_eq!(intent[0], ["task", "worker", "label"]);
    assert_eq!(intent[1][2], tasks[0]["annotations"][0]["result"][0]["value"]["choices"][0].as_str().unwrap());
}
