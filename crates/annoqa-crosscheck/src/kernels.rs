//! The Rust half of `cargo xtask crosscheck`: random cases for the QA kernels, annoqa's answers
//! to them, and the comparison with the reference implementations' answers printed by
//! `qa_crosscheck.py` (same JSON shapes; see that script's docstring).
//!
//! Randomness is seeded (`annoqa_stats::rng`), so a failing seed can be replayed.

use annoqa_core::events::{event_based_scores, Event, EventMatching, EventTolerance};
use annoqa_core::geometry::{box_iou, polygon_area, polygon_intersection_area, polygon_iou, polygon_problem};
use annoqa_core::tracking::{score_tracks, TrackedBox};
use annoqa_core::transcript::{char_errors, word_errors, EditCounts, Normalization};
use annoqa_core::BoxGeometry;
use serde_json::{json, Value};

/// The project's seeded generator (`annoqa_stats::rng`) with the few draws the cases need.
pub(crate) struct Rng(annoqa_stats::rng::Rng);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(annoqa_stats::rng::Rng::seed_from_u64(seed))
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0.below(n.max(1) as u64) as usize
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.next_f64()
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `per_kind` random cases of every kind, as `{"cases": [...]}`.
pub(crate) fn random_cases(seed: u64, per_kind: usize) -> Value {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    for i in 0..per_kind {
        cases.push(json!({"kind": "box_iou", "a": random_box(&mut rng), "b": random_box(&mut rng)}));
        let (a, b) = match i % 4 {
            // Float stars: generic position.
            0 => (star(&mut rng, false), star(&mut rng, false)),
            // Grid stars: shared vertices and collinear edges.
            1 => (star(&mut rng, true), star(&mut rng, true)),
            // A polygon against a copy with one vertex moved, or against itself.
            2 => {
                let a = star(&mut rng, true);
                let mut b = a.clone();
                let k = rng.below(b.len());
                b[k][0] += rng.below(3) as f64 - 1.0;
                (a, b)
            }
            // Arbitrary point lists: validity has to agree with GEOS.
            _ => (scribble(&mut rng), scribble(&mut rng)),
        };
        cases.push(json!({"kind": "polygon_iou", "a": a, "b": b}));
        let normalization = random_normalization(&mut rng);
        let (r, h) = (sentence(&mut rng), sentence(&mut rng));
        cases.push(json!({"kind": "wer", "reference": r, "hypothesis": h, "normalization": normalization}));
        let (r, h) = (sentence(&mut rng), sentence(&mut rng));
        cases.push(json!({"kind": "cer", "reference": r, "hypothesis": h, "normalization": normalization}));
        let reference = random_events(&mut rng);
        let estimated = jitter_events(&mut rng, &reference);
        // sed_eval refuses to evaluate neither onsets nor offsets.
        let evaluate_onset = rng.below(5) != 0;
        let evaluate_offset = !evaluate_onset || rng.below(2) == 0;
        cases.push(json!({
            "kind": "events",
            "reference": reference,
            "estimated": estimated,
            "t_collar": rng.pick(&[0.1, 0.2, 0.25]),
            "percentage_of_length": rng.pick(&[0.0, 0.5, 1.0]),
            "evaluate_onset": evaluate_onset,
            "evaluate_offset": evaluate_offset,
            "matching": rng.pick(&["optimal", "greedy"]),
        }));
        let (gold, predicted) = random_tracks(&mut rng);
        cases.push(json!({"kind": "mot", "gold": gold, "predicted": predicted, "min_iou": 0.5}));
    }
    json!({ "cases": cases })
}

fn random_box(rng: &mut Rng) -> [f64; 4] {
    match rng.below(6) {
        0 => [rng.below(20) as f64, rng.below(20) as f64, rng.below(12) as f64, rng.below(12) as f64],
        1 => [rng.range(0.0, 10.0), rng.range(0.0, 10.0), rng.range(-2.0, 10.0), rng.range(0.0, 10.0)],
        _ => [rng.range(0.0, 100.0), rng.range(0.0, 100.0), rng.range(1.0, 60.0), rng.range(1.0, 60.0)],
    }
}

/// A star-shaped polygon (simple when its spokes stay in order), centre within [0, 10]².
fn star(rng: &mut Rng, grid: bool) -> Vec<[f64; 2]> {
    let k = 4 + rng.below(8);
    let (cx, cy) = (rng.range(0.0, 10.0), rng.range(0.0, 10.0));
    let mut points: Vec<[f64; 2]> = (0..k)
        .map(|i| {
            let angle = (i as f64 + rng.range(0.0, 0.9)) / k as f64 * std::f64::consts::TAU;
            let r = rng.range(1.0, 8.0);
            [cx + r * angle.cos(), cy + r * angle.sin()]
        })
        .collect();
    if grid {
        for p in &mut points {
            *p = [p[0].round(), p[1].round()];
        }
    }
    if rng.below(2) == 0 {
        points.reverse();
    }
    points
}

fn scribble(rng: &mut Rng) -> Vec<[f64; 2]> {
    (0..rng.below(7)).map(|_| [rng.below(5) as f64, rng.below(5) as f64]).collect()
}

const WORDS: &[&str] = &[
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "The",
    "CAT",
    "uh",
    "um",
    "don't",
    "well-known",
    "café",
    "naïve",
    "東京",
    "«oui»",
    "hello,",
    "world!",
    "¿qué?",
    "$5",
    "a",
    "b",
];

fn sentence(rng: &mut Rng) -> String {
    let n = rng.below(9);
    let words: Vec<&str> = (0..n).map(|_| *rng.pick(WORDS)).collect();
    let sep = *rng.pick(&[" ", " ", "  "]);
    words.join(sep)
}

fn random_normalization(rng: &mut Rng) -> Value {
    // jiwer's word split needs collapsed white space (see transcript.rs); the other steps vary.
    json!({
        "lowercase": rng.below(2) == 0,
        "strip_punctuation": rng.below(2) == 0,
        "collapse_whitespace": true,
        "fillers": if rng.below(2) == 0 { vec!["uh", "Um"] } else { vec![] },
    })
}

/// Events on a 0.05 s grid, so collar boundaries are hit exactly now and then.
fn random_events(rng: &mut Rng) -> Vec<(f64, f64, &'static str)> {
    (0..rng.below(8))
        .map(|_| {
            let onset = rng.below(200) as f64 * 0.05;
            let length = (1 + rng.below(40)) as f64 * 0.05;
            (onset, onset + length, *rng.pick(&["dog", "cat", "car"]))
        })
        .collect()
}

fn jitter_events(rng: &mut Rng, reference: &[(f64, f64, &'static str)]) -> Vec<(f64, f64, &'static str)> {
    let mut out: Vec<(f64, f64, &'static str)> = Vec::new();
    for &(on, off, label) in reference {
        if rng.below(5) == 0 {
            continue;
        }
        let d_on = (rng.below(11) as f64 - 5.0) * 0.05;
        let d_off = (rng.below(21) as f64 - 10.0) * 0.05;
        let label = if rng.below(6) == 0 { *rng.pick(&["dog", "cat", "car"]) } else { label };
        let onset = on + d_on;
        out.push((onset, (off + d_off).max(onset + 0.05), label));
    }
    out.extend(random_events(rng).into_iter().take(2));
    // Shuffle: greedy matching depends on the order.
    for i in (1..out.len()).rev() {
        let j = rng.below(i + 1);
        out.swap(i, j);
    }
    out
}

type TrackRow = (usize, u32, f64, f64, f64, f64);

/// A few gold tracks moving across 12 frames; predictions follow them with noise, drop frames,
/// swap identities now and then, and add clutter.
fn random_tracks(rng: &mut Rng) -> (Vec<TrackRow>, Vec<TrackRow>) {
    let (mut gold, mut predicted) = (Vec::new(), Vec::new());
    let tracks = 1 + rng.below(4);
    for t in 0..tracks {
        let (mut x, mut y) = (rng.range(0.0, 60.0), rng.range(0.0, 60.0));
        let (vx, vy) = (rng.range(-3.0, 3.0), rng.range(-3.0, 3.0));
        let (first, last) = (rng.below(4) as u32, 8 + rng.below(5) as u32);
        let mut id = 10 + t;
        for frame in first..last {
            x += vx;
            y += vy;
            gold.push((t, frame, x, y, 10.0, 10.0));
            if rng.below(8) == 0 {
                continue;
            }
            if rng.below(12) == 0 {
                id = 20 + rng.below(6);
            }
            predicted.push((id, frame, x + rng.range(-3.0, 3.0), y + rng.range(-3.0, 3.0), 10.0, 10.0));
        }
    }
    for _ in 0..rng.below(4) {
        let frame = rng.below(12) as u32;
        predicted.push((30 + rng.below(3), frame, rng.range(0.0, 60.0), rng.range(0.0, 60.0), 10.0, 10.0));
    }
    (gold, predicted)
}

/// annoqa's answers to `cases`, in the script's output shapes.
pub(crate) fn evaluate(cases: &Value) -> Value {
    let results: Vec<Value> =
        cases["cases"].as_array().map(Vec::as_slice).unwrap_or(&[]).iter().map(evaluate_case).collect();
    json!({ "results": results })
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn points(v: &Value) -> Vec<[f64; 2]> {
    v.as_array().map(Vec::as_slice).unwrap_or(&[]).iter().map(|p| [f(&p[0]), f(&p[1])]).collect()
}

fn bbox(v: &Value) -> BoxGeometry {
    BoxGeometry::new(f(&v[0]), f(&v[1]), f(&v[2]), f(&v[3]))
}

fn edit_json(c: EditCounts) -> Value {
    json!({
        "rate": c.error_rate(),
        "hits": c.hits,
        "substitutions": c.substitutions,
        "deletions": c.deletions,
        "insertions": c.insertions,
    })
}

fn evaluate_case(case: &Value) -> Value {
    match case["kind"].as_str().unwrap_or("") {
        "box_iou" => json!({ "iou": box_iou(&bbox(&case["a"]), &bbox(&case["b"])) }),
        "polygon_iou" => {
            let (a, b) = (points(&case["a"]), points(&case["b"]));
            let (valid_a, valid_b) = (polygon_problem(&a).is_none(), polygon_problem(&b).is_none());
            let both = valid_a && valid_b;
            json!({
                "valid_a": valid_a,
                "valid_b": valid_b,
                "area_a": polygon_area(&a),
                "area_b": polygon_area(&b),
                "intersection": both.then(|| polygon_intersection_area(&a, &b)),
                "iou": both.then(|| polygon_iou(&a, &b)),
            })
        }
        kind @ ("wer" | "cer") => {
            let n: Normalization = serde_json::from_value(case["normalization"].clone()).unwrap_or_default();
            let (r, h) = (case["reference"].as_str().unwrap_or(""), case["hypothesis"].as_str().unwrap_or(""));
            edit_json(if kind == "wer" { word_errors(r, h, &n) } else { char_errors(r, h, &n) })
        }
        "events" => {
            let events = |v: &Value| -> Vec<(f64, f64, String)> {
                v.as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .map(|e| (f(&e[0]), f(&e[1]), e[2].as_str().unwrap_or("").to_string()))
                    .collect()
            };
            let (reference, estimated) = (events(&case["reference"]), events(&case["estimated"]));
            fn as_events(v: &[(f64, f64, String)]) -> Vec<Event<'_>> {
                v.iter().map(|(onset, offset, label)| Event { onset: *onset, offset: *offset, label }).collect()
            }
            let tolerance = EventTolerance {
                t_collar: f(&case["t_collar"]),
                percentage_of_length: f(&case["percentage_of_length"]),
                evaluate_onset: case["evaluate_onset"].as_bool().unwrap_or(true),
                evaluate_offset: case["evaluate_offset"].as_bool().unwrap_or(true),
                matching: if case["matching"] == "greedy" { EventMatching::Greedy } else { EventMatching::Optimal },
            };
            let score = event_based_scores(&as_events(&reference), &as_events(&estimated), &tolerance);
            let per_class: serde_json::Map<String, Value> = score
                .per_class
                .iter()
                .map(|(label, c)| {
                    let v = json!({"nref": c.reference, "nsys": c.estimated, "ntp": c.true_positives, "f1": c.f1()});
                    (label.to_string(), v)
                })
                .collect();
            json!({
                "nref": score.overall.reference,
                "nsys": score.overall.estimated,
                "ntp": score.overall.true_positives,
                "f1": score.overall.f1(),
                "precision": score.overall.precision(),
                "recall": score.overall.recall(),
                "per_class": per_class,
            })
        }
        "mot" => {
            let rows = |v: &Value| -> Vec<TrackedBox> {
                v.as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .map(|r| TrackedBox {
                        track: r[0].as_u64().unwrap_or(0) as usize,
                        frame: r[1].as_u64().unwrap_or(0) as u32,
                        bbox: BoxGeometry::new(f(&r[2]), f(&r[3]), f(&r[4]), f(&r[5])),
                    })
                    .collect()
            };
            let s = score_tracks(&rows(&case["gold"]), &rows(&case["predicted"]), f(&case["min_iou"]));
            json!({
                "num_objects": s.objects,
                "num_predictions": s.predictions,
                "num_matches": s.matches,
                "num_switches": s.switches,
                "num_misses": s.misses,
                "num_false_positives": s.false_positives,
                "mota": s.mota,
                "motp_iou": s.motp,
                "idtp": s.idtp,
                "idf1": s.idf1,
            })
        }
        other => json!({ "error": format!("unknown kind `{other}`") }),
    }
}

/// The outcome of [`compare`].
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Values compared, per kind.
    pub compared: std::collections::BTreeMap<String, usize>,
    /// Disagreements beyond the tolerance: "case N (kind) field: ours X, reference Y".
    pub disagreements: Vec<String>,
    /// Known, documented differences that are not errors (e.g. the split of equally cheap
    /// alignments into S/D/I), counted per kind and field.
    pub explained: std::collections::BTreeMap<String, usize>,
}

/// Compare field by field. A reference value of `null` (undefined there, e.g. sed_eval's NaN
/// precision without estimates) is not compared; neither are intersection/IoU of polygons the
/// reference does not consider valid.
pub(crate) fn compare(cases: &Value, ours: &Value, theirs: &Value, tolerance: f64) -> Comparison {
    let mut out = Comparison::default();
    let empty = Vec::new();
    let cases = cases["cases"].as_array().unwrap_or(&empty);
    for (i, case) in cases.iter().enumerate() {
        let kind = case["kind"].as_str().unwrap_or("").to_string();
        let (o, t) = (&ours["results"][i], &theirs["results"][i]);
        if let Some(e) = t.get("error") {
            out.disagreements.push(format!("case {i} ({kind}): reference failed: {e}"));
            continue;
        }
        let mut fields: Vec<(String, &Value, &Value)> = Vec::new();
        for (key, tv) in t.as_object().into_iter().flatten() {
            if key == "per_class" {
                for (label, tc) in tv.as_object().into_iter().flatten() {
                    for (k, tcv) in tc.as_object().into_iter().flatten() {
                        fields.push((format!("per_class.{label}.{k}"), &o[key][label][k], tcv));
                    }
                }
            } else {
                fields.push((key.clone(), &o[key], tv));
            }
        }
        for (key, ov, tv) in fields {
            if tv.is_null() {
                continue;
            }
            // Only areas of polygons valid on both sides are comparable (GEOS computes an
            // area for invalid rings too, with its own conventions).
            let valid = |side: &str| t[format!("valid_{side}")] == true;
            if kind == "polygon_iou" && (key == "area_a" && !valid("a") || key == "area_b" && !valid("b")) {
                continue;
            }
            *out.compared.entry(kind.clone()).or_default() += 1;
            if close(ov, tv, tolerance) {
                continue;
            }
            let tie_break = matches!(kind.as_str(), "wer" | "cer")
                && ["hits", "substitutions", "deletions", "insertions"].contains(&key.as_str())
                && close(&o["rate"], &t["rate"], tolerance);
            if tie_break {
                *out.explained.entry(format!("{kind}.{key} (equal-cost alignment)")).or_default() += 1;
            } else {
                out.disagreements.push(format!("case {i} ({kind}) {key}: ours {ov}, reference {tv}; case {case}"));
            }
        }
    }
    out
}

/// Numbers within `tolerance` (relative above 1), anything else equal. serde_json's default
/// float parser can be one ulp off the correctly rounded value (its `float_roundtrip` feature
/// fixes that), so even "exact" floats are compared with a tolerance.
fn close(ours: &Value, theirs: &Value, tolerance: f64) -> bool {
    match (ours.as_f64(), theirs.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= tolerance * (1.0 + b.abs()),
        _ => ours == theirs,
    }
}
