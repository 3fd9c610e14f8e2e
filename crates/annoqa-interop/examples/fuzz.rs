//! A time-boxed mutation fuzzer for the interop readers and writers, on stable Rust (no
//! cargo-fuzz), in the style of annoqa-media's: each target mutates valid seed files (truncate,
//! flip, splice, duplicate ranges, numbers swapped for extremes such as 1e308, -0 or `NaN`,
//! strings for odd ones, JSON values for others, deep nesting) with a seeded xorshift
//! generator and runs the reader under `catch_unwind`. After a successful read, every writer runs
//! on the records it got, with the reader's spec and without, then on a copy of the records made
//! odd on purpose (NaN and infinite coordinates, huge frames, empty labels, broken parents),
//! and each writer's output is read back.
//!
//! Targets: `ls` (a labeling config and an export), `ls-config`, `coco`, `cvat`, `yolo` (an
//! in-memory folder: data.yaml or classes.txt, label files, images whose "bytes" are their
//! size) and `annoqa-jsonl`. Inputs with several files are saved as `@@@ <name>` sections.
//!
//! A panic (its first input per panic location, shrunk), a hang or peak memory above the bound
//! saves the input to the crash directory, and the run fails. Each target runs in a child
//! process on a 2 MiB stack (a server thread's), so a stack overflow, which no `catch_unwind`
//! catches, is a finding too: the child writes each input to `<out>/current-<target>.bin`
//! before running it, and the parent keeps that file when the child dies.
//!
//! `cargo xtask fuzz [--seconds N]` runs every target in release; directly:
//! `cargo run --release -p annoqa-interop --example fuzz -- [--target NAME] [--seconds N]
//! [--seed S] [--out DIR]`; `--replay FILE --target NAME` runs one saved input and says what
//! happened.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use annoqa_core::model::{Keyframe, Media, RegionValue, TaskSpec};
use annoqa_interop::convert::{self, Input};
use annoqa_interop::{
    coco, cvat, ls, record, yolo, Converted, FileTree, InputError, OutputFormat, ReadOptions, Record,
};
use annoqa_interop::{Format, Written};
use serde_json::Value;

const TARGETS: [&str; 6] = ["ls", "ls-config", "coco", "cvat", "yolo", "annoqa-jsonl"];
/// Resident memory above this is a finding.
const MEMORY_BOUND: u64 = 768 << 20;
/// One input running longer than this is a finding (a hang); the watchdog saves it and exits.
const HANG_AFTER: Duration = Duration::from_secs(10);
/// The stack of a thread the server or a tokio blocking pool would run a reader on.
const STACK_SIZE: usize = 2 << 20;
/// Time spent making one finding's input smaller.
const SHRINK_FOR: Duration = Duration::from_secs(20);
/// Distinct findings per target before it stops.
const MAX_FINDINGS: usize = 20;
/// Corpus files larger than this are left out: they slow every mutant down.
const MAX_SEED_BYTES: u64 = 256 << 10;
/// Worker exit codes the parent understands; anything else is a crash.
const EXIT_FINDINGS: u8 = 1;
const EXIT_SEEDS: u8 = 2;
const EXIT_HANG: u8 = 3;
const EXIT_MEMORY: u8 = 4;

// ---------------------------------------------------------------------------------------------
// Randomness and inputs

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Named files of one input. A target with one file has one unnamed part, saved as its bytes;
/// several parts are saved as `@@@ <name>\n<bytes>` sections joined by newlines.
type Parts = Vec<(String, Vec<u8>)>;

const SECTION: &[u8] = b"@@@ ";

fn encode(parts: &Parts) -> Vec<u8> {
    if let [(name, bytes)] = parts.as_slice() {
        if name.is_empty() {
            return bytes.clone();
        }
    }
    let mut out = Vec::new();
    for (i, (name, bytes)) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(SECTION);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(bytes);
    }
    out
}

fn decode(bytes: &[u8]) -> Parts {
    if !bytes.starts_with(SECTION) {
        return vec![(String::new(), bytes.to_vec())];
    }
    let mut starts = vec![0];
    starts.extend(
        bytes
            .windows(SECTION.len() + 1)
            .enumerate()
            .filter_map(|(i, w)| (w[0] == b'\n' && &w[1..] == SECTION).then_some(i + 1)),
    );
    let mut parts = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(bytes.len(), |&next| next - 1);
        let section = &bytes[start + SECTION.len()..end.max(start + SECTION.len())];
        let (name, body) = match section.iter().position(|&b| b == b'\n') {
            Some(at) => (&section[..at], &section[at + 1..]),
            None => (section, &[][..]),
        };
        parts.push((String::from_utf8_lossy(name).into_owned(), body.to_vec()));
    }
    parts
}

fn part<'p>(parts: &'p Parts, name: &str) -> Option<&'p [u8]> {
    parts.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// Numbers that break arithmetic: overflow on scaling, negative zero, values past u32 and u64,
/// what serde_json reads as the nearest float or refuses, and words some parsers take for
/// numbers.
const EXTREME_NUMBERS: [&str; 27] = [
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e400",
    "-0",
    "-0.0",
    "0",
    "-1",
    "1e-320",
    "4294967295",
    "4294967296",
    "-4294967297",
    "2147483648",
    "18446744073709551615",
    "18446744073709551616",
    "9007199254740993",
    "0.5",
    "99999999999",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "\"NaN\"",
    "\"1e308\"",
    "null",
    "[]",
    "{}",
];

const ODD_STRINGS: [&str; 14] =
    ["", " ", "\\u0000", "\\ud800", "😀😀", "a/../../b", "../x", "$image", "%", "\\n\\r", "-1", "1e308", "#", "<&>"];

/// One to four byte- or token-level edits of one part of `seed`, or a structural edit of the
/// whole input (a part removed, copied under another name, or taken from another seed).
fn mutate(rng: &mut Rng, seed: &Parts, others: &[Parts]) -> Parts {
    let mut parts = seed.clone();
    if parts.is_empty() {
        return parts;
    }
    if parts.len() > 1 && rng.chance(12) {
        mutate_files(rng, &mut parts);
        return parts;
    }
    // A Label Studio export more often than its config: a broken config stops every read.
    let export = parts.iter().position(|(name, _)| name == "export").filter(|_| !rng.chance(4));
    let at = export.unwrap_or_else(|| rng.below(parts.len()));
    let donor = rng.pick(others).clone();
    let bytes = &mut parts[at].1;
    if rng.chance(3) {
        if let Some(mutated) = mutate_json_value(rng, bytes) {
            *bytes = mutated;
            return parts;
        }
    }
    for _ in 0..1 + rng.below(4) {
        mutate_bytes(rng, bytes, &donor);
    }
    parts
}

fn mutate_files(rng: &mut Rng, parts: &mut Parts) {
    let at = rng.below(parts.len());
    if rng.chance(2) {
        parts.remove(at);
    } else {
        let (name, bytes) = parts[at].clone();
        let suffix = rng.below(1000);
        let renamed = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}{suffix}.{ext}"),
            None => format!("{name}{suffix}/x.txt"),
        };
        parts.push((renamed, bytes));
    }
}

fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, donor: &Parts) {
    if bytes.is_empty() {
        bytes.extend_from_slice(rng.pick(&EXTREME_NUMBERS).as_bytes());
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(10) {
        0 => bytes.truncate(at),
        1 => bytes[at] ^= 1 << rng.below(8),
        2 => bytes[at] = rng.next() as u8,
        3 => {
            let extra: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, extra);
        }
        4 => duplicate_range(rng, bytes, at),
        5 | 6 => replace_number(rng, bytes, at),
        7 => replace_quoted(rng, bytes, at),
        8 => nest(rng, bytes, at),
        _ => splice_donor(rng, bytes, at, donor),
    }
}

/// Repeats a range elsewhere (sometimes many times): boxes, results, lines and elements twice.
fn duplicate_range(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize) {
    let len = rng.below(256.min(bytes.len() - at)) + 1;
    let range = bytes[at..at + len].to_vec();
    let copies = if rng.chance(8) { 1 + rng.below(200) } else { 1 };
    let to = rng.below(bytes.len() + 1);
    let repeated: Vec<u8> = range.iter().copied().cycle().take(range.len() * copies).collect();
    bytes.splice(to..to, repeated);
}

fn is_number_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')
}

/// The first number at or after `at` becomes an extreme one.
fn replace_number(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize) {
    let Some(offset) = bytes[at..].iter().position(u8::is_ascii_digit) else { return };
    let mut start = at + offset;
    while start > 0 && is_number_byte(bytes[start - 1]) {
        start -= 1;
    }
    let end = start + bytes[start..].iter().position(|&b| !is_number_byte(b)).unwrap_or(bytes.len() - start);
    bytes.splice(start..end, rng.pick(&EXTREME_NUMBERS).bytes());
}

/// The first double-quoted text at or after `at` (a JSON string, an XML attribute) becomes an
/// odd one, a number, or a long one.
fn replace_quoted(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize) {
    let Some(open) = bytes[at..].iter().position(|&b| b == b'"').map(|p| at + p + 1) else { return };
    let Some(close) = bytes[open..].iter().position(|&b| b == b'"').map(|p| open + p) else { return };
    let text: Vec<u8> = match rng.below(4) {
        0 => rng.pick(&EXTREME_NUMBERS).trim_matches('"').bytes().collect(),
        1 => "x".repeat(1 + rng.below(20_000)).into_bytes(),
        _ => rng.pick(&ODD_STRINGS).bytes().collect(),
    };
    bytes.splice(open..close, text);
}

/// Deep nesting at `at`, in the syntax of the file: JSON arrays and objects, XML elements, YAML
/// flow lists and indented mappings.
fn nest(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize) {
    let depth = *rng.pick(&[64usize, 200, 5_000, 100_000]);
    let (open, close): (&str, &str) = match rng.below(5) {
        0 => ("[", "]"),
        1 => ("{\"a\":", "}"),
        2 => ("<a>", "</a>"),
        3 => ("<a x=\"1\">", "</a>"),
        _ => {
            let lines: String = (0..depth.min(5_000)).map(|i| format!("\n{}k{i}:", " ".repeat(i))).collect();
            bytes.splice(at..at, lines.into_bytes());
            return;
        }
    };
    let mut nested = open.repeat(depth).into_bytes();
    nested.extend_from_slice(close.repeat(depth).as_bytes());
    bytes.splice(at..at, nested);
}

/// A range of another seed's file in place of a range of this one: a video result inside an
/// image task, a track inside an image, a pose line in a detect label file.
fn splice_donor(rng: &mut Rng, bytes: &mut Vec<u8>, at: usize, donor: &Parts) {
    let Some((_, other)) = donor.get(rng.below(donor.len())) else { return };
    if other.is_empty() {
        return;
    }
    let from = rng.below(other.len());
    let len = 1 + rng.below(512.min(other.len() - from));
    let replaced = rng.below(64.min(bytes.len() - at) + 1);
    bytes.splice(at..at + replaced, other[from..from + len].iter().copied());
}

/// When the part is JSON: one value in it replaced, removed, repeated or retyped.
fn mutate_json_value(rng: &mut Rng, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut root: Value = serde_json::from_slice(bytes).ok()?;
    let donor = random_node(rng, &mut root).clone();
    let node = random_node(rng, &mut root);
    match rng.below(7) {
        0 | 1 => {
            let number = rng.pick::<&str>(&EXTREME_NUMBERS);
            *node = serde_json::from_str(number).unwrap_or(Value::Null);
        }
        2 => *node = Value::String(rng.pick(&ODD_STRINGS).replace("\\u0000", "\0").replace("\\n\\r", "\n\r")),
        3 => *node = donor,
        4 => match node {
            Value::Array(items) if !items.is_empty() => {
                let most = if rng.chance(4) { 500 } else { 3 };
                let copies = 1 + rng.below(most);
                let item = items[rng.below(items.len())].clone();
                items.extend(std::iter::repeat_n(item, copies));
            }
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
            other => *other = Value::Array(vec![other.take()]),
        },
        5 => match node {
            Value::Array(items) if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            Value::Number(n) => *node = Value::String(n.to_string()),
            other => *other = Value::Bool(rng.chance(2)),
        },
        _ => match node {
            Value::Number(n) => {
                let value = n.as_f64().unwrap_or(0.0);
                let scaled = value * *rng.pick(&[-1.0, 1e6, 1e-6, 100.0, 1e300]);
                *node = serde_json::Number::from_f64(scaled).map_or(Value::Null, Value::Number);
            }
            other => *other = Value::Null,
        },
    }
    serde_json::to_vec(&root).ok()
}

/// A node reached by a random walk down from the root (as deep as serde_json nests, 128).
fn random_node<'v>(rng: &mut Rng, node: &'v mut Value) -> &'v mut Value {
    let len = match &*node {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => 0,
    };
    if len == 0 || rng.chance(4) {
        return node;
    }
    let index = rng.below(len);
    match node {
        Value::Array(items) => random_node(rng, &mut items[index]),
        Value::Object(map) => random_node(rng, map.values_mut().nth(index).expect("an index below the length")),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// An in-memory folder for YOLO

/// Files by path. A file with an image extension holds its size as text (`640 480`), which
/// `image_size` answers; anything else there is "not an image this build can read". Like a
/// file system, it holds no path longer than 4096 bytes or with a name longer than 255 (a
/// writer's output with such paths could not be saved either).
struct MemTree {
    files: BTreeMap<String, Vec<u8>>,
    /// Each folder's entries (`""` is the root), folders ending with `/`.
    dirs: BTreeMap<String, BTreeSet<String>>,
}

const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

impl MemTree {
    fn new(parts: &Parts) -> MemTree {
        let mut tree = MemTree { files: BTreeMap::new(), dirs: BTreeMap::new() };
        for (path, bytes) in parts {
            let fits = path.len() <= PATH_MAX && path.split('/').all(|name| name.len() <= NAME_MAX);
            if path.starts_with('#') || path.is_empty() || path.ends_with('/') || !fits {
                continue;
            }
            tree.files.insert(path.clone(), bytes.clone());
            let mut dir = 0;
            for (slash, _) in path.match_indices('/') {
                tree.dirs.entry(path[..dir].to_owned()).or_default().insert(path[dir..=slash].to_owned());
                dir = slash + 1;
            }
            tree.dirs.entry(path[..dir].to_owned()).or_default().insert(path[dir..].to_owned());
        }
        tree
    }
}

impl FileTree for MemTree {
    fn list(&self, dir: &str) -> Result<Vec<String>, InputError> {
        match self.dirs.get(dir) {
            Some(entries) => Ok(entries.iter().cloned().collect()),
            None if dir.is_empty() => Ok(Vec::new()),
            None => Err(InputError::new(dir, "", "no such folder")),
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, InputError> {
        self.files.get(path).cloned().ok_or_else(|| InputError::new(path, "", "no such file"))
    }

    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn image_size(&self, path: &str) -> Option<(u32, u32)> {
        let text = std::str::from_utf8(self.files.get(path)?).ok()?;
        let mut numbers = text.split(|c: char| c.is_whitespace() || c == 'x').filter(|s| !s.is_empty());
        Some((numbers.next()?.parse().ok()?, numbers.next()?.parse().ok()?))
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

/// What one run did, for `--replay` and for checking that seeds read.
#[derive(Default)]
struct Outcome {
    reads: Vec<Result<usize, String>>,
}

impl Outcome {
    fn read(&mut self, result: &Result<Converted, InputError>) {
        self.reads.push(result.as_ref().map(|c| c.records.len()).map_err(ToString::to_string));
    }
}

fn run_target(target: &str, bytes: &[u8]) -> Outcome {
    let parts = decode(bytes);
    let mut outcome = Outcome::default();
    match target {
        "ls" => run_ls(&parts, &mut outcome),
        "ls-config" => run_ls_config(bytes, &mut outcome),
        "yolo" => run_yolo(&parts, &mut outcome),
        _ => {
            let opts = ReadOptions { file_name: "input", ..ReadOptions::default() };
            let read = match target {
                "coco" => coco::read(bytes, &opts),
                "cvat" => cvat::read(bytes, &opts),
                _ => record::read_jsonl(bytes, &opts),
            };
            outcome.read(&read);
            if let Ok(converted) = read {
                exercise_writers(&converted);
            }
        }
    }
    outcome
}

/// With the config (pixels from the results' own sizes), then without (controls derived from the
/// results, pixels from `--media-size`).
fn run_ls(parts: &Parts, outcome: &mut Outcome) {
    // A bare export (no sections) replays as the export without a config.
    let export = part(parts, "export").or_else(|| part(parts, "")).unwrap_or_default();
    let config = part(parts, "config").and_then(|c| std::str::from_utf8(c).ok()).filter(|c| !c.is_empty());
    if let Some(config) = config {
        let opts = ReadOptions { file_name: "export.json", config: Some(config), ..ReadOptions::default() };
        let read = ls::read(export, &opts);
        outcome.read(&read);
        if let Ok(converted) = read {
            exercise_writers(&converted);
            if let Ok(parsed) = ls::spec_from_config(config, "config.xml") {
                let _ = ls::write_with_config(&converted.records, &parsed);
            }
        }
    }
    let opts = ReadOptions { file_name: "export.json", media_size: Some((1920, 1080)), ..ReadOptions::default() };
    let read = ls::read(export, &opts);
    outcome.read(&read);
    if let Ok(converted) = read {
        exercise_writers(&converted);
    }
}

/// A config to a spec, the spec back to a config, and that config read again.
fn run_ls_config(bytes: &[u8], outcome: &mut Outcome) {
    let Ok(xml) = std::str::from_utf8(bytes) else { return };
    match ls::spec_from_config(xml, "config.xml") {
        Ok(config) => {
            outcome.reads.push(Ok(config.spec.controls.len()));
            let written = ls::config_from_spec(&config.spec);
            let _ = ls::spec_from_config(&written, "written.xml");
            let _ = ls::write_with_config(&[], &config);
        }
        Err(e) => outcome.reads.push(Err(e.to_string())),
    }
}

fn run_yolo(parts: &Parts, outcome: &mut Outcome) {
    let tree = MemTree::new(parts);
    let name = part(parts, "#name").map(String::from_utf8_lossy).unwrap_or_default().trim().to_owned();
    let sized = [None, Some((640, 480))];
    for media_size in sized {
        let opts = ReadOptions { file_name: &name, media_size, ..ReadOptions::default() };
        let read = yolo::read(&tree, &opts);
        outcome.read(&read);
        if let Ok(converted) = read {
            exercise_writers(&converted);
        }
    }
}

const OUTPUTS: [OutputFormat; 6] = [
    OutputFormat::Annoqa,
    OutputFormat::LabelStudio,
    OutputFormat::Coco,
    OutputFormat::Yolo,
    OutputFormat::Cvat,
    OutputFormat::CrowdKit,
];

/// Every writer on the records with the reader's spec and without one, then on an odd copy of
/// them; each writer's output read back by its reader.
fn exercise_writers(converted: &Converted) {
    let spec = converted.spec.as_ref();
    for format in OUTPUTS {
        if let Ok(written) = convert::write(format, &converted.records, spec) {
            read_back(format, &written, spec);
        }
        let _ = convert::write(format, &converted.records, None);
    }
    // The odd copy depends on the records only (a fixed seed), so `--replay` repeats it and
    // shrinking an input keeps it.
    let mut rng = Rng(0x0dd_5eed);
    let odd = make_odd(&mut rng, &converted.records);
    for format in OUTPUTS {
        if let Ok(written) = convert::write(format, &odd, spec) {
            read_back(format, &written, spec);
        }
        let _ = convert::write(format, &odd, None);
    }
}

fn read_back(format: OutputFormat, written: &Written, spec: Option<&TaskSpec>) {
    let config = spec.map(ls::config_from_spec);
    let opts = ReadOptions {
        file_name: "written",
        config: config.as_deref(),
        media_size: Some((640, 480)),
        ..ReadOptions::default()
    };
    let input_format = match format {
        OutputFormat::Annoqa => Format::Annoqa,
        OutputFormat::LabelStudio => Format::LabelStudio,
        OutputFormat::Coco => Format::Coco,
        OutputFormat::Cvat => Format::Cvat,
        OutputFormat::Yolo => {
            let parts: Parts = written.files.iter().map(|f| (f.path.clone(), f.bytes.clone())).collect();
            let _ = convert::read(Format::Yolo, Input::Folder(&MemTree::new(&parts)), &opts);
            return;
        }
        OutputFormat::CrowdKit => return,
    };
    for file in &written.files {
        let _ = convert::read(input_format, Input::Bytes(&file.bytes), &opts);
    }
}

// ---------------------------------------------------------------------------------------------
// Odd records

const ODD_FLOATS: [f64; 10] =
    [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e308, -1e308, 5e-324, f64::MAX, -1.0, 4294967296.0];
const ODD_FRAMES: [u32; 4] = [u32::MAX, u32::MAX - 1, 0, 1 << 31];

/// A copy of `records` with some values no reader should produce but a writer must survive.
fn make_odd(rng: &mut Rng, records: &[Record]) -> Vec<Record> {
    let mut records = records.to_vec();
    if let Some(first) = records.first().cloned() {
        if rng.chance(4) {
            records.push(first);
        }
    }
    for record in &mut records {
        if rng.chance(3) {
            odd_media(rng, &mut record.item.media);
        }
        if rng.chance(6) {
            record.item.id = rng.pick(&["", "../x", "1e308", "a/b"]).to_string();
        }
        if rng.chance(6) {
            record.annotator = rng.pick(&["", "-1", "18446744073709551616", "a,b\"c"]).to_string();
        }
        if rng.chance(6) {
            record.score = Some(*rng.pick(&ODD_FLOATS));
        }
        let regions = record.regions.len();
        for region in &mut record.regions {
            if rng.chance(3) {
                odd_value(rng, &mut region.value);
            }
            if rng.chance(6) {
                let key = rng.pick(&["parent", "visibility", "score", "z_order", "occluded", "iscrowd", "instance"]);
                let value = rng.pick(&["", "NaN", "-1", "7", "99999999999999999999", "true", "shape-1"]);
                region.attributes.insert(key.to_string(), value.to_string());
            }
            if rng.chance(10) {
                region.id = String::new();
            }
        }
        if regions > 0 && rng.chance(6) {
            let copy = record.regions[rng.below(regions)].clone();
            record.regions.push(copy);
        }
    }
    records
}

fn odd_media(rng: &mut Rng, media: &mut Media) {
    match media {
        Media::Image { width, height, .. } => {
            *width = *rng.pick(&[0, 1, u32::MAX]);
            *height = *rng.pick(&[0, 1, u32::MAX]);
        }
        Media::Video { width, frame_rate, frame_count, .. } => {
            *width = *rng.pick(&[0, u32::MAX]);
            *frame_rate = *rng.pick(&ODD_FLOATS);
            *frame_count = *rng.pick(&ODD_FRAMES);
        }
        Media::Audio { duration, .. } => *duration = *rng.pick(&ODD_FLOATS),
        Media::Text { text } => *text = rng.pick(&["", "😀", "a\u{0}b"]).to_string(),
    }
}

fn odd_value(rng: &mut Rng, value: &mut RegionValue) {
    let (which, float) = (rng.below(3), *rng.pick(&ODD_FLOATS));
    match value {
        RegionValue::BBox { x, width, rotation, label, .. }
        | RegionValue::VideoBox { x, width, rotation, label, .. } => {
            *[x, width, rotation][which] = float;
            if rng.chance(3) {
                label.clear();
            }
        }
        RegionValue::Polygon { points, .. } => match points.first_mut() {
            Some(point) if rng.chance(2) => point[rng.below(2)] = *rng.pick(&ODD_FLOATS),
            _ => points.truncate(rng.below(3)),
        },
        RegionValue::Keypoint { x, y, .. } => *[x, y][which % 2] = float,
        RegionValue::AudioSegment { start, end, .. } => *[start, end][which % 2] = float,
        RegionValue::TextSpan { start, end, .. } => *[start, end][which % 2] = *rng.pick(&[usize::MAX, 0, 1 << 40]),
        RegionValue::VideoSegment { start_frame, end_frame, .. } => {
            *[start_frame, end_frame][which % 2] = *rng.pick(&ODD_FRAMES);
        }
        RegionValue::VideoTrack { keyframes, .. } => odd_keyframes(rng, keyframes),
        RegionValue::Choice { labels } => labels.push(String::new()),
        RegionValue::TextArea { text } => text.push("\r\n\0".to_owned()),
        RegionValue::Ranking { order, buckets } => {
            order.push(order.first().cloned().unwrap_or_default());
            buckets.insert(String::new(), vec!["x".to_owned(), "x".to_owned()]);
        }
        RegionValue::Pairwise { rationale, .. } => *rationale = Some(String::new()),
    }
}

fn odd_keyframes(rng: &mut Rng, keyframes: &mut Vec<Keyframe>) {
    match rng.below(4) {
        0 => keyframes.clear(),
        1 => keyframes.reverse(),
        _ => {
            let frame = *rng.pick(&ODD_FRAMES);
            let rotation = *rng.pick(&ODD_FLOATS);
            let x = *rng.pick(&ODD_FLOATS);
            let outside = rng.chance(2);
            keyframes.push(Keyframe { frame, x, y: 1.0, width: 2.0, height: 3.0, rotation, outside });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds

fn section(name: &str, text: &str) -> (String, Vec<u8>) {
    (name.to_owned(), text.as_bytes().to_vec())
}

fn single(text: &str) -> Parts {
    vec![(String::new(), text.as_bytes().to_vec())]
}

const LS_IMAGE_CONFIG: &str = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="car" background="red"/><Label value="person"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="road"/></PolygonLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="nose"/><Label value="eye"/></KeyPointLabels>
  <Choices name="weather" toName="image" required="true"><Choice value="sunny"/><Choice value="rain"/></Choices>
  <TextArea name="note" toName="image" perRegion="true"/>
  <Number name="count" toName="image" perRegion="true"/>
  <EllipseLabels name="ellipse" toName="image"><Label value="ball"/></EllipseLabels>
</View>"#;

const LS_IMAGE_EXPORT: &str = r#"[{"id": 1, "data": {"image": "/data/a.jpg"}, "annotations": [{"id": 10, "completed_by": 3, "result": [
 {"id": "b1", "from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 640, "original_height": 480, "image_rotation": 0,
  "value": {"x": 10, "y": 20.5, "width": 30, "height": -12, "rotation": 15, "rectanglelabels": ["car"]}},
 {"id": "b1", "from_name": "note", "to_name": "image", "type": "textarea", "value": {"text": ["dented"]}},
 {"id": "b1", "from_name": "count", "to_name": "image", "type": "number", "value": {"number": 2}},
 {"id": "p1", "from_name": "poly", "to_name": "image", "type": "polygonlabels", "original_width": 640, "original_height": 480,
  "value": {"points": [[1, 2], [50, 2], [50, 60]], "closed": true, "polygonlabels": ["road"]}},
 {"id": "k1", "from_name": "kp", "to_name": "image", "type": "keypointlabels", "original_width": 640, "original_height": 480, "parentID": "b1",
  "value": {"x": 12, "y": 22, "width": 0.5, "keypointlabels": ["nose"]}},
 {"id": "e1", "from_name": "ellipse", "to_name": "image", "type": "ellipselabels", "original_width": 640, "original_height": 480,
  "value": {"x": 5, "y": 5, "radiusX": 2, "radiusY": 3, "rotation": 0, "ellipselabels": ["ball"]}},
 {"id": "c1", "from_name": "weather", "to_name": "image", "type": "choices", "value": {"choices": ["sunny"]}}]}],
 "predictions": [{"model_version": "m1", "score": 0.9, "result": [{"id": "pb", "from_name": "box", "to_name": "image",
  "type": "rectanglelabels", "original_width": 640, "original_height": 480, "score": 0.8,
  "value": {"x": 11, "y": 21, "width": 29, "height": 11, "rotation": 0, "rectanglelabels": ["car"]}}]}]},
 {"id": 2, "data": {"image": "b.png"}, "annotations": [{"completed_by": 4, "was_cancelled": false, "result": []}]}]"#;

const LS_TEXT_CONFIG: &str = r#"<View><Text name="text" value="$text"/>
 <Labels name="ner" toName="text"><Label value="PER"/><Label value="LOC"/></Labels>
 <Choices name="sentiment" toName="text" choice="multiple"><Choice value="pos"/><Choice value="neg"/></Choices>
 <TextArea name="summary" toName="text"/></View>"#;

const LS_TEXT_EXPORT: &str = r#"[{"id": 7, "data": {"text": "Anna went to Paris 😀 today"}, "annotations": [{"completed_by": 1, "result": [
 {"id": "s1", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 4, "text": "Anna", "labels": ["PER"]}},
 {"id": "s2", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 13, "end": 18, "text": "Paris", "labels": ["LOC"]}},
 {"id": "c", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["pos", "neg"]}},
 {"id": "t", "from_name": "summary", "to_name": "text", "type": "textarea", "value": {"text": "a trip"}}]}]}]"#;

const LS_VIDEO_CONFIG: &str = r#"<View><Video name="video" value="$video" framerate="25"/>
 <VideoRectangle name="box" toName="video"/>
 <Labels name="videoLabels" toName="video"><Label value="car"/><Label value="bike"/></Labels>
 <TimelineLabels name="events" toName="video"><Label value="crash"/></TimelineLabels></View>"#;

const LS_VIDEO_EXPORT: &str = r#"{"id": 3, "data": {"video": "v.mp4"}, "annotations": [{"completed_by": 1, "result": [
 {"id": "t1", "from_name": "box", "to_name": "video", "type": "videorectangle", "value": {"framesCount": 100, "duration": 4, "sequence": [
  {"frame": 1, "enabled": true, "x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "time": 0.04},
  {"frame": 10, "enabled": false, "x": 15, "y": 12, "width": 20, "height": -20, "rotation": 5, "time": 0.4},
  {"frame": 30, "enabled": false, "x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "time": 1.2}], "labels": ["car"]}},
 {"id": "e1", "from_name": "events", "to_name": "video", "type": "timelinelabels",
  "value": {"ranges": [{"start": 3, "end": 7}, {"start": 20, "end": 20}], "timelinelabels": ["crash"]}}]}]}"#;

const LS_AUDIO_CONFIG: &str = r#"<View><Audio name="audio" value="$audio"/>
 <Labels name="speaker" toName="audio"><Label value="A"/><Label value="B"/></Labels>
 <TextArea name="transcript" toName="audio" perRegion="true"/></View>"#;

const LS_AUDIO_EXPORT: &str = r#"[{"id": 4, "data": {"audio": "a.wav"}, "annotations": [{"completed_by": 2, "result": [
 {"id": "a1", "from_name": "speaker", "to_name": "audio", "type": "labels", "original_length": 12.5,
  "value": {"start": 0.5, "end": 3.25, "channel": 0, "labels": ["A"]}},
 {"id": "a1", "from_name": "transcript", "to_name": "audio", "type": "textarea", "value": {"text": ["hello there"]}}]}]}]"#;

const LS_RANKER_CONFIG: &str = r#"<View><List name="items" value="$items" title="Items"/>
 <Ranker name="rank" toName="items"><Bucket name="best" title="Best"/><Bucket name="rest" title="Rest"/></Ranker></View>"#;

const LS_RANKER_EXPORT: &str = r#"[{"id": 5, "data": {"items": [{"id": "x", "title": "X"}, {"id": "y", "title": "Y"}, {"id": "z", "title": "Z"}]},
 "annotations": [{"completed_by": 1, "result": [{"id": "r", "from_name": "rank", "to_name": "items", "type": "ranker",
  "value": {"ranker": {"best": ["y"], "rest": ["x", "z"]}}}]}]},
 {"id": 6, "data": {"items": [{"id": "x", "title": "X"}, {"id": "y", "title": "Y"}]},
 "annotations": [{"completed_by": 1, "result": [{"id": "r", "from_name": "rank", "to_name": "items", "type": "ranker",
  "value": {"ranker": {"rank": ["y", "x"]}}}]}]}]"#;

const LS_PAIRWISE_CONFIG: &str =
    r#"<View><Text name="a" value="$a"/><Text name="b" value="$b"/><Pairwise name="pw" toName="a,b"/></View>"#;

const LS_PAIRWISE_EXPORT: &str = r#"[{"id": 8, "data": {"a": "first", "b": "second"}, "annotations": [{"completed_by": 1, "result": [
 {"id": "p", "from_name": "pw", "to_name": "pw", "type": "pairwise", "value": {"selected": "left"}}]}]}]"#;

/// An ML backend's bare prediction list, and a webhook payload carrying its own config.
const LS_PREDICTIONS: &str = r#"[{"model_version": "yolo", "score": 0.5, "result": [{"id": "q", "from_name": "box",
 "to_name": "image", "type": "rectanglelabels", "original_width": 100, "original_height": 50,
 "value": {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "rectanglelabels": ["car"]}}]}]"#;

const LS_WEBHOOK: &str = r#"{"action": "ANNOTATION_CREATED",
 "project": {"label_config": "<View><Image name=\"image\" value=\"$image\"/><KeyPointLabels name=\"kp\" toName=\"image\"><Label value=\"nose\"/></KeyPointLabels></View>"},
 "task": {"id": 9, "data": {"image": "c.jpg"}},
 "annotation": {"id": 90, "completed_by": {"id": 5}, "result": [{"id": "k", "from_name": "kp", "to_name": "image",
  "type": "keypointlabels", "original_width": 10, "original_height": 10, "value": {"x": 50, "y": 50, "keypointlabels": ["nose"]}}]}}"#;

fn ls_seeds() -> Vec<Parts> {
    let pairs = [
        (LS_IMAGE_CONFIG, LS_IMAGE_EXPORT),
        (LS_TEXT_CONFIG, LS_TEXT_EXPORT),
        (LS_VIDEO_CONFIG, LS_VIDEO_EXPORT),
        (LS_AUDIO_CONFIG, LS_AUDIO_EXPORT),
        (LS_RANKER_CONFIG, LS_RANKER_EXPORT),
        (LS_PAIRWISE_CONFIG, LS_PAIRWISE_EXPORT),
        (LS_IMAGE_CONFIG, LS_PREDICTIONS),
        ("", LS_WEBHOOK),
    ];
    pairs.iter().map(|(config, export)| vec![section("config", config), section("export", export)]).collect()
}

const COCO_INSTANCES: &str = r#"{"info": {"year": 2024}, "licenses": [],
 "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}, {"id": 2, "file_name": "b.jpg", "width": 100, "height": 50}],
 "categories": [{"id": 1, "name": "person", "supercategory": "", "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[1, 2], [1, 3]]},
  {"id": 3, "name": "car", "supercategory": "vehicle"}],
 "annotations": [
  {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "area": 1200, "iscrowd": 0,
   "segmentation": [[10, 20, 40, 20, 40, 60, 10, 60], [12, 22, 14, 22, 14, 24]], "keypoints": [15, 25, 2, 0, 0, 0, 20.5, 30, 1], "num_keypoints": 2},
  {"id": 2, "image_id": 1, "category_id": 3, "bbox": [100.5, 50.25, 20, 10], "area": 200, "iscrowd": 1,
   "segmentation": {"counts": [0, 5, 10], "size": [480, 640]}},
  {"id": 3, "image_id": 2, "category_id": 3, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0,
   "segmentation": {"counts": "abc", "size": [50, 100]}, "attributes": {"color": "red", "occluded": false, "rotation": 30}}]}"#;

const COCO_RESULTS: &str = r#"[{"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5},
 {"image_id": 2, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4, 4]], "score": 0.25},
 {"image_id": 2, "category_id": 1, "keypoints": [1, 1, 2, 3, 3, 2, 0, 0, 0], "score": 1}]"#;

const CVAT_IMAGES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><id>1</id><name>t</name><size>2</size><mode>annotation</mode>
    <labels>
      <label><name>car</name><attributes><attribute><name>color</name><mutable>False</mutable><input_type>select</input_type><default_value>red</default_value><values>red
blue</values></attribute></attributes></label>
      <label><name>nose</name></label><label><name>day</name></label>
    </labels></task></meta>
  <image id="0" name="a.jpg" width="640" height="480">
    <box label="car" occluded="1" source="manual" xtl="10.5" ytl="20" xbr="50" ybr="60.25" z_order="2" rotation="30"><attribute name="color">blue</attribute></box>
    <polygon label="car" occluded="0" points="1,2;30,2;30,40" z_order="0" group_id="1"/>
    <points label="nose" occluded="0" points="5,6;7,8"/>
    <tag label="day" source="manual"/>
    <polyline label="car" occluded="0" points="1,1;2,2"/>
    <ellipse label="car" occluded="0" cx="5" cy="5" rx="2" ry="3"/>
  </image>
  <image id="1" name="sub/b.jpg" width="10" height="10"></image>
</annotations>"#;

const CVAT_VIDEO: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
 <meta><task><id>2</id><name>v</name><size>50</size><mode>interpolation</mode><start_frame>0</start_frame><stop_frame>49</stop_frame>
  <frame_filter>step=1</frame_filter><labels><label><name>car</name></label><label><name>bike</name></label></labels>
  <original_size><width>1280</width><height>720</height></original_size></task><source>v.mp4</source></meta>
 <track id="0" label="car" source="manual">
  <box frame="0" keyframe="1" outside="0" occluded="0" xtl="1" ytl="2" xbr="30" ybr="40" z_order="0"><attribute name="speed">3</attribute></box>
  <box frame="10" keyframe="1" outside="0" occluded="1" xtl="5" ytl="6" xbr="35" ybr="46" z_order="0" rotation="10"/>
  <box frame="20" keyframe="1" outside="1" occluded="0" xtl="5" ytl="6" xbr="35" ybr="46" z_order="0"/>
 </track>
 <track id="1" label="bike"><box frame="5" keyframe="1" outside="0" occluded="0" xtl="100" ytl="100" xbr="200" ybr="150" z_order="0"/></track>
 <track id="2" label="car"><polygon frame="3" keyframe="1" outside="0" occluded="0" points="1,1;5,1;5,5" z_order="0"/></track>
</annotations>"#;

/// Ultralytics detect, segment, oriented boxes and pose; darknet; label-studio-converter's.
fn yolo_seeds() -> Vec<Parts> {
    let ultralytics = |name: &str, yaml: &str, line: &str| {
        vec![
            section("#name", name),
            section("data.yaml", yaml),
            section("images/train/a.jpg", "640 480"),
            section("labels/train/a.txt", line),
            section("images/val/b.png", "32 16"),
            section("labels/val/b.txt", &format!("{line}\n{line}\n")),
            section("labels/val/orphan.txt", line),
        ]
    };
    vec![
        ultralytics(
            "detect",
            "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: person\n  1: car\n",
            "0 0.5 0.5 0.25 0.4\n1 0.1 0.2 0.05 0.05",
        ),
        ultralytics(
            "seg",
            "task: segment\ntrain: images/train\nval: images/val\nnames: [road, 'car']\n",
            "1 0.1 0.1 0.5 0.1 0.5 0.6 0.1 0.6",
        ),
        ultralytics(
            "dataset-obb",
            "task: obb\ntrain: [images/train, images/val]\nnames: {0: plane, 1: ship}\n",
            "0 0.1 0.1 0.4 0.1 0.4 0.3 0.1 0.3",
        ),
        ultralytics(
            "pose",
            "kpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\ntrain: images/train\nval: images/val\nnames:\n  0: person\n",
            "0 0.5 0.5 0.2 0.4 0.45 0.4 2 0.55 0.4 1 0 0 0",
        ),
        vec![
            section("#name", "darknet"),
            section("obj.names", "cat\ndog\n"),
            section("obj.data", "classes = 2\nnames = data/obj.names\ntrain = data/train.txt\n"),
            section("train.txt", "data/obj_train_data/1.jpg\ndata/obj_train_data/2.jpg\n"),
            section("obj_train_data/1.jpg", "100 100"),
            section("obj_train_data/1.txt", "0 0.5 0.5 0.5 0.5\n1 0.25 0.25 0.1 0.1\n"),
        ],
        vec![
            section("#name", "converter"),
            section("classes.txt", "a\r\nb\r\n"),
            section("images/x.jpg", "20 10"),
            section("labels/x.txt", "1 0.5 0.5 1 1\n"),
            section("labels/y.txt", "0 0.5 0.5 0.1 0.1\n"),
        ],
    ]
}

fn builtin_seeds(target: &str) -> Vec<Parts> {
    match target {
        "ls" => ls_seeds(),
        "ls-config" => {
            let configs = [LS_IMAGE_CONFIG, LS_TEXT_CONFIG, LS_VIDEO_CONFIG, LS_AUDIO_CONFIG, LS_RANKER_CONFIG];
            configs.iter().chain([&LS_PAIRWISE_CONFIG]).map(|c| single(c)).collect()
        }
        "coco" => vec![single(COCO_INSTANCES), single(COCO_RESULTS)],
        "cvat" => vec![single(CVAT_IMAGES), single(CVAT_VIDEO)],
        "yolo" => yolo_seeds(),
        _ => jsonl_seeds(),
    }
}

/// The records every other target's seeds read into, as annoqa JSON Lines.
fn jsonl_seeds() -> Vec<Parts> {
    let mut seeds = Vec::new();
    for target in ["ls", "coco", "cvat", "yolo"] {
        for parts in builtin_seeds(target) {
            for records in seed_records(target, &parts) {
                if let Ok(written) = record::write_jsonl(&records) {
                    seeds.extend(written.files.into_iter().map(|f| vec![(String::new(), f.bytes)]));
                }
            }
        }
    }
    seeds
}

fn seed_records(target: &str, parts: &Parts) -> Vec<Vec<Record>> {
    let opts = ReadOptions { file_name: "seed", media_size: Some((640, 480)), ..ReadOptions::default() };
    let bytes = encode(parts);
    let read = match target {
        "ls" => {
            let config = part(parts, "config").and_then(|c| std::str::from_utf8(c).ok()).filter(|c| !c.is_empty());
            ls::read(part(parts, "export").unwrap_or_default(), &ReadOptions { config, ..opts })
        }
        "coco" => coco::read(&bytes, &opts),
        "cvat" => cvat::read(&bytes, &opts),
        _ => yolo::read(&MemTree::new(parts), &opts),
    };
    read.map(|c| vec![c.records]).unwrap_or_default()
}

/// Corpus files for `target`, when `../shared/interop-corpus` (or `$ANNOQA_INTEROP_CORPUS`)
/// exists; none otherwise.
fn corpus_seeds(target: &str) -> Vec<Parts> {
    let Some(corpus) = corpus_dir() else { return Vec::new() };
    let mut files = Vec::new();
    walk(&corpus, &mut files);
    files.sort();
    let rel = |path: &Path| path.strip_prefix(&corpus).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let read = |path: &Path| std::fs::read(path).ok();
    let mut seeds = Vec::new();
    for path in &files {
        let name = rel(path);
        let seed = match target {
            "ls" if name.starts_with("ls-") && name.ends_with(".json") => read(path).map(|export| {
                let config = ls_config_beside(path).and_then(|c| read(&c)).unwrap_or_default();
                vec![("config".to_owned(), config), ("export".to_owned(), export)]
            }),
            "ls-config" if name.starts_with("ls-") && name.ends_with(".xml") => {
                read(path).map(|b| vec![(String::new(), b)])
            }
            "coco" if name.contains("coco") && name.ends_with(".json") => read(path).map(|b| vec![(String::new(), b)]),
            "cvat" if name.contains("cvat") && name.ends_with(".xml") => read(path).map(|b| vec![(String::new(), b)]),
            "yolo" if is_yolo_root(path) => Some(yolo_folder(path)),
            _ => None,
        };
        seeds.extend(seed);
    }
    seeds
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ANNOQA_INTEROP_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"),
    };
    dir.join("SOURCES.md").is_file().then_some(dir)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if entry.metadata().is_ok_and(|m| m.len() <= MAX_SEED_BYTES) {
            files.push(path);
        }
    }
}

/// The labeling config of a Label Studio export: `../config.xml` of `annotations/N.json` (the
/// frontend's examples), or `label_config<suffix>.xml` beside `data<suffix>.json`.
fn ls_config_beside(export: &Path) -> Option<PathBuf> {
    let dir = export.parent()?;
    if dir.file_name()? == "annotations" {
        return Some(dir.parent()?.join("config.xml")).filter(|p| p.is_file());
    }
    let stem = export.file_stem()?.to_string_lossy();
    let suffix = stem.strip_prefix("data").unwrap_or("");
    Some(dir.join(format!("label_config{suffix}.xml"))).filter(|p| p.is_file())
}

/// The file that makes its folder a YOLO dataset (checked on the file so each folder counts once).
fn is_yolo_root(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let in_yolo = path.to_string_lossy().contains("yolo");
    in_yolo && matches!(name.as_str(), "data.yaml" | "obj.names" | "classes.txt")
}

/// Every file of the folder holding `root_file`, images replaced by their size.
fn yolo_folder(root_file: &Path) -> Parts {
    let dir = root_file.parent().unwrap_or(root_file);
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut parts = vec![section("#name", &folder)];
    for path in files {
        let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let is_image = [".jpg", ".jpeg", ".png", ".bmp"].iter().any(|e| name.to_ascii_lowercase().ends_with(e));
        let bytes = if is_image {
            let (width, height) = image_size(&path).unwrap_or((640, 480));
            format!("{width} {height}").into_bytes()
        } else {
            std::fs::read(&path).unwrap_or_default()
        };
        parts.push((name, bytes));
    }
    parts
}

#[cfg(feature = "fs")]
fn image_size(path: &Path) -> Option<(u32, u32)> {
    let dir = path.parent()?;
    annoqa_interop::DirTree::new(dir).image_size(&path.file_name()?.to_string_lossy())
}

#[cfg(not(feature = "fs"))]
fn image_size(_: &Path) -> Option<(u32, u32)> {
    None
}

// ---------------------------------------------------------------------------------------------
// Running: the worker (one target, in a child process) and the parent

/// The location of the last panic, set by the hook, so one bug is one finding.
static PANIC_AT: Mutex<Option<String>> = Mutex::new(None);

fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let at = info.location().map_or_else(|| "unknown".to_owned(), |l| format!("{}:{}", l.file(), l.line()));
        if let Ok(mut last) = PANIC_AT.lock() {
            *last = Some(format!("{at}: {}", panic_message(info)));
        }
    }));
}

fn panic_message(info: &panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// `Some(location: message)` when `target` panics on `bytes`.
fn panics(target: &str, bytes: &[u8]) -> Option<String> {
    if let Ok(mut last) = PANIC_AT.lock() {
        *last = None;
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_target(target, bytes)));
    outcome.is_err().then(|| PANIC_AT.lock().ok().and_then(|l| l.clone()).unwrap_or_default())
}

/// The place of a panic without its message (which may quote the input).
fn site(panic: &str) -> String {
    panic.splitn(3, ':').take(2).collect::<Vec<_>>().join(":")
}

fn save(out: &Path, target: &str, kind: &str, bytes: &[u8]) -> PathBuf {
    let path = out.join(format!("{target}-{kind}-{:016x}.bin", fnv(bytes)));
    if let Err(e) = std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, bytes)) {
        eprintln!("cannot save {}: {e}", path.display());
    }
    path
}

fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The input being run, and since when, for the watchdog thread.
type Current = Arc<Mutex<Option<(Vec<u8>, Instant)>>>;

fn start_watchdog(current: Current, target: String, out: PathBuf) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        let hung = match current.lock() {
            Ok(guard) => guard.as_ref().filter(|(_, since)| since.elapsed() > HANG_AFTER).cloned(),
            Err(_) => None,
        };
        if let Some((input, _)) = hung {
            let saved = save(&out, &target, "hang", &input);
            eprintln!("  {target}: hang over {} s: saved {}", HANG_AFTER.as_secs(), saved.display());
            std::process::exit(i32::from(EXIT_HANG));
        }
    });
}

struct Worker {
    target: String,
    out: PathBuf,
    current: Current,
    /// The input on disk before it runs, for the parent when this process dies.
    current_file: PathBuf,
    sites: BTreeSet<String>,
}

impl Worker {
    /// Runs one input; `false` when the target should stop (memory bound, too many findings).
    fn run(&mut self, input: &[u8]) -> bool {
        let _ = std::fs::write(&self.current_file, input);
        if let Ok(mut guard) = self.current.lock() {
            *guard = Some((input.to_vec(), Instant::now()));
        }
        let panic = panics(&self.target, input);
        if let Some(panic) = panic {
            let place = site(&panic);
            if self.sites.insert(place.clone()) {
                let small = self.shrink(input, &place);
                let saved = save(&self.out, &self.target, "panic", &small);
                eprintln!("  {}: panic at {panic}\n    saved {}", self.target, saved.display());
            }
        }
        if let Ok(mut guard) = self.current.lock() {
            *guard = None;
        }
        if peak_rss() > MEMORY_BOUND {
            let saved = save(&self.out, &self.target, "memory", input);
            eprintln!("  {}: peak memory {} MB: saved {}", self.target, peak_rss() >> 20, saved.display());
            std::process::exit(i32::from(EXIT_MEMORY));
        }
        self.sites.len() < MAX_FINDINGS
    }

    /// Removes chunks of each part while the target still panics at the same place: a small
    /// input makes a readable regression test. Each try restarts the watchdog's clock.
    fn shrink(&self, input: &[u8], place: &str) -> Vec<u8> {
        let deadline = Instant::now() + SHRINK_FOR;
        let mut parts = decode(input);
        for at in 0..parts.len() {
            let mut chunk = parts[at].1.len() / 2;
            while chunk > 0 && Instant::now() < deadline {
                let mut start = 0;
                while start + chunk <= parts[at].1.len() && Instant::now() < deadline {
                    let mut candidate = parts.clone();
                    candidate[at].1.drain(start..start + chunk);
                    let bytes = encode(&candidate);
                    if let Ok(mut guard) = self.current.lock() {
                        *guard = Some((bytes.clone(), Instant::now()));
                    }
                    if panics(&self.target, &bytes).is_some_and(|p| site(&p) == place) {
                        parts = candidate;
                    } else {
                        start += chunk;
                    }
                }
                chunk /= 2;
            }
        }
        encode(&parts)
    }
}

/// The child: mutants of `target`'s seeds for `seconds`; exit 0 when nothing was found.
fn worker(target: &str, seconds: u64, seed: u64, out: &Path) -> u8 {
    let mut seeds = builtin_seeds(target);
    for (n, parts) in seeds.iter().enumerate() {
        if let Some(bad) = run_target(target, &encode(parts)).reads.iter().find_map(|r| r.as_ref().err()) {
            eprintln!("error: built-in seed {n} of {target} does not read: {bad}");
            return EXIT_SEEDS;
        }
    }
    seeds.extend(corpus_seeds(target));
    let current: Current = Arc::default();
    start_watchdog(current.clone(), target.to_owned(), out.to_owned());
    let _ = std::fs::create_dir_all(out);
    let current_file = out.join(format!("current-{target}.bin"));
    let mut worker =
        Worker { target: target.to_owned(), out: out.to_owned(), current, current_file, sites: BTreeSet::new() };
    let (start, budget) = (Instant::now(), Duration::from_secs(seconds));
    let mut rng = Rng(seed | 1);
    let mut runs = 0u64;
    let encoded: Vec<Vec<u8>> = seeds.iter().map(encode).collect();
    let mut going = encoded.iter().all(|s| worker.run(s));
    while going && start.elapsed() < budget {
        let parent = rng.pick(&seeds);
        let input = encode(&mutate(&mut rng, parent, &seeds));
        runs += 1;
        going = worker.run(&input);
    }
    let _ = std::fs::remove_file(&worker.current_file);
    println!(
        "fuzz {target}: {runs} inputs from {} seeds in {:.1} s, {} findings, peak memory {} MB",
        seeds.len(),
        start.elapsed().as_secs_f64(),
        worker.sites.len(),
        peak_rss() >> 20
    );
    if worker.sites.is_empty() {
        0
    } else {
        EXIT_FINDINGS
    }
}

/// The parent: one child per target, restarted with another seed after a hang, a crash or the
/// memory bound until the target's time is up. Returns whether anything was found.
fn supervise(target: &str, seconds: u64, seed: u64, out: &Path) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut found = false;
    for restart in 0u64.. {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        if restart > 0 && left == 0 {
            break;
        }
        let status = std::process::Command::new(&exe)
            .args(["--worker", "--target", target, "--seconds", &left.max(1).to_string()])
            .arg("--seed")
            .arg(seed.wrapping_add(restart.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_string())
            .arg("--out")
            .arg(out)
            .status()
            .map_err(|e| format!("cannot start the {target} worker: {e}"))?;
        match status.code().and_then(|c| u8::try_from(c).ok()) {
            Some(0) => return Ok(found),
            Some(EXIT_FINDINGS) => return Ok(true),
            Some(EXIT_SEEDS) => return Err(format!("the {target} worker refused its seeds")),
            Some(EXIT_HANG | EXIT_MEMORY) => found = true,
            _ => {
                found = true;
                let current = out.join(format!("current-{target}.bin"));
                let bytes = std::fs::read(&current).unwrap_or_default();
                let saved = save(out, target, "crash", &bytes);
                let _ = std::fs::remove_file(&current);
                eprintln!("  {target}: the worker died ({status}): its last input saved {}", saved.display());
            }
        }
    }
    Ok(found)
}

/// Runs `work` on a thread with a server thread's stack, so deep recursion overflows here as it
/// would there; its exit code.
fn on_server_stack(work: impl FnOnce() -> u8 + Send + 'static) -> u8 {
    let spawned = std::thread::Builder::new().stack_size(STACK_SIZE).spawn(work);
    spawned.ok().and_then(|handle| handle.join().ok()).unwrap_or(2)
}

/// `--replay`: one saved input, with what each read returned.
fn replay(target: &str, path: &Path) -> u8 {
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("error: cannot read {}", path.display());
        return 2;
    };
    if let Some(panic) = panics(target, &bytes) {
        println!("{target}: panic at {panic}");
        return 1;
    }
    for read in run_target(target, &bytes).reads {
        match read {
            Ok(records) => println!("{target}: read {records} records (or controls); writers ran"),
            Err(e) => println!("{target}: refused: {e}"),
        }
    }
    0
}

struct Args {
    targets: Vec<String>,
    seconds: u64,
    seed: u64,
    out: PathBuf,
    replay: Option<PathBuf>,
    worker: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        targets: Vec::new(),
        seconds: 60,
        seed: 0x5eed,
        out: "target/fuzz-crashes".into(),
        replay: None,
        worker: false,
    };
    while let Some(arg) = args.next() {
        if arg == "--worker" {
            parsed.worker = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--target", Some(v)) if TARGETS.contains(&v.as_str()) => parsed.targets.push(v),
            ("--seconds", Some(v)) if v.parse::<u64>().is_ok() => parsed.seconds = v.parse().unwrap_or(60),
            ("--seed", Some(v)) if v.parse::<u64>().is_ok() => parsed.seed = v.parse().unwrap_or(1),
            ("--out", Some(v)) => parsed.out = PathBuf::from(v),
            ("--replay", Some(v)) => parsed.replay = Some(PathBuf::from(v)),
            (arg, _) => {
                return Err(format!(
                    "bad argument `{arg}`; usage: fuzz [--target {}] [--seconds N] [--seed S] [--out DIR] \
                     [--replay FILE]",
                    TARGETS.join("|")
                ))
            }
        }
    }
    if parsed.targets.is_empty() {
        parsed.targets = TARGETS.iter().map(|t| t.to_string()).collect();
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    install_panic_hook();
    if let Some(path) = &args.replay {
        let [target] = args.targets.as_slice() else {
            eprintln!("error: --replay needs one --target");
            return ExitCode::from(2);
        };
        let (target, path) = (target.clone(), path.clone());
        return ExitCode::from(on_server_stack(move || replay(&target, &path)));
    }
    if args.worker {
        let (target, seconds, seed, out) = (args.targets[0].clone(), args.seconds, args.seed, args.out.clone());
        return ExitCode::from(on_server_stack(move || worker(&target, seconds, seed, &out)));
    }
    let mut found = false;
    for target in &args.targets {
        match supervise(target, args.seconds, args.seed, &args.out) {
            Ok(f) => found |= f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if found {
        eprintln!("error: findings saved under {}", args.out.display());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
