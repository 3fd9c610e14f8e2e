//! `annoqa convert` on every real third-party file of the interop corpus, through the binary:
//! each converts to annoqa records and on to every output format, or fails with exit 2 and a
//! message naming the file; none crashes. The numbers each file holds are checked in
//! annoqa-interop's own tests; this is the contract seen from a script.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn annoqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_annoqa")).args(args).output().expect("the annoqa binary runs")
}

/// One corpus input: its path, its format and the Label Studio config beside it.
struct Input {
    path: PathBuf,
    from: &'static str,
    config: Option<PathBuf>,
}

/// Every Label Studio, COCO, CVAT file and YOLO dataset folder in the corpus.
fn corpus_inputs(corpus: &Path) -> Vec<Input> {
    let mut files = Vec::new();
    walk(corpus, &mut files);
    files.sort();
    let mut inputs = Vec::new();
    for path in files {
        let rel = path.strip_prefix(corpus).unwrap().to_string_lossy().replace('\\', "/");
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if rel.starts_with("ls-") && ext == "json" && !rel.ends_with("ranker/tasks.json") {
            inputs.push(Input { config: ls_config(&path), path, from: "ls" });
        } else if (rel.contains("coco") && ext == "json") || rel.starts_with("cocoapi/") {
            inputs.push(Input { path, from: "coco", config: None });
        } else if rel.contains("cvat_dataset") && ext == "xml" {
            inputs.push(Input { path, from: "cvat", config: None });
        }
    }
    for dataset in ["yolo", "yolov8_detection", "yolov8_segmentation", "yolov8_oriented_boxes", "yolov8_pose"] {
        let path = corpus.join("cvat-datumaro/tests/assets/yolo_dataset").join(dataset);
        inputs.push(Input { path, from: "yolo", config: None });
    }
    inputs
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The labeling config paired with a Label Studio file: `config.xml` one folder up (frontend
/// examples) or `label_config<suffix>.xml` beside `data<suffix>.json` (converter tests).
fn ls_config(json: &Path) -> Option<PathBuf> {
    let dir = json.parent()?;
    let up = dir.parent()?.join("config.xml");
    if dir.file_name()? == "annotations" && up.is_file() {
        return Some(up);
    }
    let stem = json.file_stem()?.to_str()?;
    let suffix = stem.strip_prefix("data").unwrap_or("");
    let beside = dir.join(format!("label_config{suffix}.xml"));
    beside.is_file().then_some(beside)
}

/// Exit 0, or exit 2 with an `error:` line naming the input; never a crash (101) or silence.
fn assert_clean_outcome(output: &Output, what: &str, input: &Path) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {}
        Some(2) => {
            let name = input.file_name().unwrap().to_string_lossy();
            assert!(
                stderr.contains("error:") && (stderr.contains(&*name) || stderr.contains("--")),
                "{what}: exit 2 without a message naming the input:\n{stderr}"
            );
        }
        code => panic!("{what}: exit {code:?}\n{stderr}"),
    }
}

#[test]
fn every_corpus_file_converts_to_every_format_or_fails_cleanly() {
    let Some(corpus) = crate::interop_corpus() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let inputs = corpus_inputs(&corpus);
    assert!(inputs.len() >= 45, "the corpus lists {} inputs", inputs.len());
    let mut converted = 0;
    for (n, input) in inputs.iter().enumerate() {
        let records = scratch.path().join(format!("{n}.jsonl"));
        let mut args = vec!["convert", input.path.to_str().unwrap(), "--from", input.from, "--to", "annoqa"];
        if let Some(config) = &input.config {
            args.extend(["--config", config.to_str().unwrap()]);
        }
        args.extend(["-o", records.to_str().unwrap()]);
        let output = annoqa(&args);
        let what = format!("{} --from {}", input.path.display(), input.from);
        assert_clean_outcome(&output, &what, &input.path);
        if !output.status.success() {
            continue;
        }
        converted += 1;
        for to in ["annoqa", "ls", "coco", "yolo", "cvat", "crowdkit"] {
            let out = scratch.path().join(format!("{n}-{to}"));
            let args =
                ["convert", records.to_str().unwrap(), "--from", "annoqa", "--to", to, "-o", out.to_str().unwrap()];
            assert_clean_outcome(&annoqa(&args), &format!("{what}, then --to {to}"), &records);
        }
    }
    // The negative files are few (SOURCES.md marks them); most real files must convert.
    assert!(converted * 10 >= inputs.len() * 8, "only {converted} of {} corpus inputs converted", inputs.len());
}

#[test]
fn strict_turns_what_cannot_be_represented_into_exit_2_and_writes_nothing() {
    let Some(corpus) = crate::interop_corpus() else { return };
    // Ellipses have no annoqa region type: reported, and with --strict fatal.
    let dir = corpus.join("ls-frontend/examples/image_ellipses");
    let annotations = dir.join("annotations/1.json");
    let config = dir.join("config.xml");
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out.jsonl");
    let base = ["convert", annotations.to_str().unwrap(), "--from", "ls", "--to", "annoqa", "--config"];
    let mut args = base.to_vec();
    args.extend([config.to_str().unwrap(), "--media-size", "800x600", "-o", out.to_str().unwrap()]);
    let lenient = annoqa(&args);
    assert_eq!(lenient.status.code(), Some(0), "{}", String::from_utf8_lossy(&lenient.stderr));
    assert!(String::from_utf8_lossy(&lenient.stderr).contains("ellipse"));
    std::fs::remove_file(&out).unwrap();
    args.push("--strict");
    let strict = annoqa(&args);
    assert_eq!(strict.status.code(), Some(2));
    assert!(!out.exists(), "--strict wrote output although it failed");
}

#[test]
fn malformed_input_names_the_file_and_the_json_path() {
    let scratch = tempfile::tempdir().unwrap();
    let bad = scratch.path().join("export.json");
    std::fs::write(&bad, r#"[{"id": 1, "data": {"text": "hi"}, "annotations": [{"result": [{"value": 3}]}]}]"#)
        .unwrap();
    let output = annoqa(&["convert", bad.to_str().unwrap(), "--from", "ls", "--to", "annoqa"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("export.json") && stderr.contains("$[0].annotations[0].result[0]"), "{stderr}");
}

#[test]
fn bad_arguments_are_refused_before_anything_is_read() {
    for (args, needle) in [
        (vec!["convert", "x.json", "--from", "labelstudio", "--to", "annoqa"], "unknown input format"),
        (vec!["convert", "x.json", "--from", "ls", "--to", "voc"], "unknown output format"),
        (vec!["convert", "x.json", "--from", "ls", "--to", "coco", "--media-size", "10by20"], "WIDTHxHEIGHT"),
    ] {
        let output = annoqa(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains(needle), "{args:?}");
    }
}

/// A labeling config of one box control with the labels `car` and `bus`, written into `dir`.
fn box_config(dir: &Path) -> PathBuf {
    let config = dir.join("config.xml");
    std::fs::write(
        &config,
        r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="car"/><Label value="bus"/></RectangleLabels></View>"#,
    )
    .unwrap();
    config
}

/// A Label Studio export of 6,000 image tasks with one annotation of three boxes each (about
/// 4 MB, so several of the reader's batches), `tail` after the list: `box_of(task, b)` gives
/// box `b`'s region id, label and rotation.
fn box_export(tail: &str, box_of: impl Fn(usize, usize) -> (String, &'static str, u32)) -> String {
    let tasks: Vec<String> = (1..=6000)
        .map(|task| {
            let results: Vec<String> = (0..3)
                .map(|b| {
                    let (id, label, rotation) = box_of(task, b);
                    format!(
                        r#"{{"id": "{id}", "type": "rectanglelabels", "from_name": "box", "to_name": "image", "original_width": 640, "original_height": 480, "value": {{"x": {b}.5, "y": 10.25, "width": 5, "height": 4.125, "rotation": {rotation}, "rectanglelabels": ["{label}"]}}}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"id": {task}, "data": {{"image": "/data/{task}.jpg"}}, "annotations": [{{"completed_by": 1, "result": [{}]}}]}}"#,
                results.join(", ")
            )
        })
        .collect();
    format!("[{}]{tail}", tasks.join(",\n"))
}

/// A Label Studio export to COCO with a config streams: the file's start is written while the
/// export is read, its annotations' ids predicted. Whether the prediction holds (no id is a
/// number) or fails (a region id `2` late in the export keeps its number, so the annotations
/// before it are numbered around it), the file equals the one made at the end for standard
/// output; a malformed export leaves no file, finished or partial, behind.
#[test]
fn a_coco_file_written_while_reading_equals_the_one_made_at_the_end() {
    let scratch = tempfile::tempdir().unwrap();
    let config = box_config(scratch.path());
    let export = |last_id: &str, tail: &str| {
        box_export(tail, |task, b| {
            let id = if task == 6000 && b == 2 { last_id.to_owned() } else { format!("r{task}-{b}") };
            (id, ["car", "bus", "van"][(task + b) % 3], 0)
        })
    };
    for (name, last_id, tail) in [("plain", "r6000-2", ""), ("numbered", "2", ""), ("malformed", "r", "x")] {
        let input = scratch.path().join(format!("{name}.json"));
        std::fs::write(&input, export(last_id, tail)).unwrap();
        assert!(std::fs::metadata(&input).unwrap().len() > 3 << 20, "spans several batches");
        let out = scratch.path().join(format!("{name}.coco.json"));
        let args = ["convert", input.to_str().unwrap(), "--from", "ls", "--config", config.to_str().unwrap()];
        let mut to_file = args.to_vec();
        to_file.extend(["--to", "coco", "-o", out.to_str().unwrap()]);
        let written = annoqa(&to_file);
        let mut to_stdout = args.to_vec();
        to_stdout.extend(["--to", "coco"]);
        let printed = annoqa(&to_stdout);
        assert_eq!(written.stderr, printed.stderr, "{name}");
        let partial = scratch.path().join(format!(".{name}.coco.json.partial"));
        assert!(!partial.exists(), "{name}: the temporary file is left behind");
        if tail.is_empty() {
            assert_eq!(written.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&written.stderr));
            assert!(std::fs::read(&out).unwrap() == printed.stdout, "{name}: file and standard output differ");
        } else {
            assert_eq!(written.status.code(), Some(2), "{name}");
            assert!(!out.exists(), "{name}: a malformed export left a file");
        }
    }
}

/// Every file under `dir`, by its path inside it.
fn folder_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
        .into_iter()
        .map(|path| (path.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&path).unwrap()))
        .collect()
}

/// A Label Studio export to YOLO with a config streams: label files are written while the
/// export is read, into a temporary folder renamed to `-o DIR` at the end. Whether the dataset
/// stays a detect one or a turned box late in the export makes it an oriented-box one (what
/// was written is dropped and written again), the folder equals the one `--strict` makes at
/// the end. A malformed export leaves no folder, finished or partial; a folder that is not
/// empty is refused before the export is read, and left as it was.
#[test]
fn a_yolo_dataset_written_while_reading_equals_the_one_made_at_the_end() {
    let scratch = tempfile::tempdir().unwrap();
    let config = box_config(scratch.path());
    let export = |turned_at: usize, tail: &str| {
        box_export(tail, |task, b| {
            let rotation = if task == turned_at && b == 1 { 30 } else { 0 };
            (format!("r{task}-{b}"), ["car", "bus"][(task + b) % 2], rotation)
        })
    };
    for (name, turned_at, tail) in [("detect", 0, ""), ("turned", 5990, ""), ("malformed", 0, "x")] {
        let input = scratch.path().join(format!("{name}.json"));
        std::fs::write(&input, export(turned_at, tail)).unwrap();
        assert!(std::fs::metadata(&input).unwrap().len() > 3 << 20, "spans several batches");
        let args = ["convert", input.to_str().unwrap(), "--from", "ls", "--config", config.to_str().unwrap()];
        let (early_dir, strict_dir) =
            (scratch.path().join(format!("{name}-yolo")), scratch.path().join(format!("{name}-strict")));
        let mut early = args.to_vec();
        early.extend(["--to", "yolo", "-o", early_dir.to_str().unwrap()]);
        let written = annoqa(&early);
        let mut strict = args.to_vec();
        strict.extend(["--to", "yolo", "--strict", "-o", strict_dir.to_str().unwrap()]);
        let at_the_end = annoqa(&strict);
        assert_eq!(written.stderr, at_the_end.stderr, "{name}");
        assert!(
            !scratch.path().join(format!(".{name}-yolo.partial")).exists(),
            "{name}: the temporary folder is left behind"
        );
        if tail.is_empty() {
            assert_eq!(written.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&written.stderr));
            let files = folder_files(&early_dir);
            assert_eq!(files.len(), 6002, "{name}: data.yaml, classes.txt and a label file per image");
            assert!(files == folder_files(&strict_dir), "{name}: the folders differ");
            let task = if turned_at == 0 { "task: detect\n" } else { "task: obb\n" };
            assert!(String::from_utf8_lossy(&files["data.yaml"]).contains(task), "{name}");
        } else {
            assert_eq!(written.status.code(), Some(2), "{name}");
            assert!(!early_dir.exists(), "{name}: a malformed export left a folder");
        }
    }
    let full = scratch.path().join("detect-yolo");
    let input = scratch.path().join("detect.json");
    let refused = annoqa(&[
        "convert",
        input.to_str().unwrap(),
        "--from",
        "ls",
        "--config",
        config.to_str().unwrap(),
        "--to",
        "yolo",
        "-o",
        full.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("folder is not empty"), "{refused:?}");
    assert_eq!(folder_files(&full).len(), 6002, "the folder is left as it was");
    assert!(!scratch.path().join(".detect-yolo.partial").exists());
}
