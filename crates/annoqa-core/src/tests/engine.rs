//! The engine's shared contracts: one staged matcher for every region kind (checked against a
//! brute-force optimal assignment), one verdict semantics, reveal policies that leak nothing
//! of gold, the one spec check, and overlap searches that never examine all pairs.

use proptest::prelude::*;
use serde_json::json;

use super::media::{gold, region};
use crate::check::near::near_pairs_examined;
use crate::reveal::GoldReveal;
use crate::rule::OverlapScope;
use crate::*;

fn text_item(text: &str) -> Item {
    Item { id: "t".into(), media: Media::Text { text: text.into() }, candidates: vec![] }
}

// ---------------------------------------------------------------------------------------------
// One matcher.

/// Spans, boxes and video segments in one spec; the text item carries the spans, the other
/// kinds need no media to be scored.
fn matcher_spec(min_overlap: f64) -> TaskSpec {
    serde_json::from_value(json!({
        "media": "text",
        "controls": [
            {"name": "spans", "type": "text_spans", "overlap": "allowed",
             "tolerance": {"span_min_overlap": min_overlap, "span_boundary_chars": 1},
             "labels": [{"value": "A"}, {"value": "B"}]},
            {"name": "boxes", "type": "b_box", "labels": [{"value": "A"}, {"value": "B"}]},
            {"name": "events", "type": "video_segments", "labels": [{"value": "A"}, {"value": "B"}]}
        ]
    }))
    .unwrap()
}

#[test]
fn spans_pair_optimally_where_greedy_pairing_finds_one() {
    // Greedy takes [1,11)–[0,10) (IoU 0.82) first and leaves [0,3) with nothing; the optimal
    // assignment pairs [1,11)–[3,13) (0.67) and [0,3)–[0,10) (0.3).
    let span = |id: &str, start: usize, end: usize| {
        region(id, "spans", json!({"type": "text_span", "start": start, "end": end, "label": "A"}))
    };
    let mut spec = matcher_spec(0.3);
    spec.controls[0].tolerance.span_boundary_chars = Some(0);
    let g = gold(vec![span("g1", 0, 10), span("g2", 3, 13)]);
    let report = score_gold(&spec, &text_item("abcdefghijklmnopqrst"), &g, &[span("a1", 1, 11), span("a2", 0, 3)]);
    let matched = report.verdicts.iter().filter(|v| v.verdict.is_correct()).count();
    assert_eq!((matched, report.score), (2, 1.0), "{:?}", report.verdicts);
}

#[test]
fn every_kind_calls_the_same_mistake_by_the_same_name() {
    // A region of another label that overlaps gold but is outside tolerance is not "wrong
    // label" (that needs a pair within tolerance): it is a miss and an extra, for spans as for
    // boxes and segments.
    let spec = matcher_spec(0.9);
    let g = gold(vec![
        region("gs", "spans", json!({"type": "text_span", "start": 2, "end": 12, "label": "A"})),
        region("gb", "boxes", json!({"type": "b_box", "x": 0, "y": 0, "width": 10, "height": 10, "label": "A"})),
        region("ge", "events", json!({"type": "video_segment", "start_frame": 0, "end_frame": 9, "label": "A"})),
    ]);
    let mine = [
        region("ms", "spans", json!({"type": "text_span", "start": 0, "end": 8, "label": "B"})),
        region("mb", "boxes", json!({"type": "b_box", "x": 6, "y": 0, "width": 10, "height": 10, "label": "B"})),
        region("me", "events", json!({"type": "video_segment", "start_frame": 6, "end_frame": 15, "label": "B"})),
    ];
    let report = score_gold(&spec, &text_item("abcdefghijklmnopqrst"), &g, &mine);
    let by_control = |control: &str| -> Vec<String> {
        let mut kinds: Vec<String> = report
            .verdicts
            .iter()
            .filter(|v| v.control == control)
            .map(|v| serde_json::to_value(&v.verdict).unwrap()["verdict"].as_str().unwrap().to_string())
            .collect();
        kinds.sort();
        kinds
    };
    for control in ["spans", "boxes", "events"] {
        assert_eq!(by_control(control), ["extra", "missed"], "{control}");
    }
}

/// The best value of one stage over every matching of `edges` (gold, annotation, similarity):
/// (pairs, total similarity) when counting pairs first, else (0, total similarity).
fn brute_force_best(edges: &[(usize, usize, f64)], count_first: bool) -> (usize, f64) {
    fn walk(
        edges: &[(usize, usize, f64)],
        at: usize,
        used_g: &mut Vec<usize>,
        used_m: &mut Vec<usize>,
        acc: (usize, f64),
        best: &mut (usize, f64),
        count_first: bool,
    ) {
        let better = |a: (usize, f64), b: (usize, f64)| {
            if count_first {
                a.0 > b.0 || (a.0 == b.0 && a.1 > b.1 + 1e-12)
            } else {
                a.1 > b.1 + 1e-12
            }
        };
        if better(acc, *best) {
            *best = acc;
        }
        for k in at..edges.len() {
            let (g, m, s) = edges[k];
            if used_g.contains(&g) || used_m.contains(&m) {
                continue;
            }
            used_g.push(g);
            used_m.push(m);
            walk(edges, k + 1, used_g, used_m, (acc.0 + 1, acc.1 + s), best, count_first);
            used_g.pop();
            used_m.pop();
        }
    }
    let mut best = (0, 0.0);
    walk(edges, 0, &mut Vec::new(), &mut Vec::new(), (0, 0.0), &mut best, count_first);
    best
}

/// One side of a random case: (start, length, label) per region, mapped to each kind.
type Raw = Vec<(u8, u8, bool)>;

fn raw_regions() -> impl Strategy<Value = Raw> {
    prop::collection::vec((0u8..14, 1u8..8, any::<bool>()), 0..5)
}

fn to_regions(control: &str, raw: &Raw, prefix: &str) -> Vec<Region> {
    raw.iter()
        .enumerate()
        .map(|(i, &(start, len, b))| {
            let label = if b { "B" } else { "A" };
            let (s, e) = (u32::from(start), u32::from(start) + u32::from(len));
            let value = match control {
                "spans" => json!({"type": "text_span", "start": s, "end": e, "label": label}),
                // Boxes: the same 1-D extent on x, a fixed row on y, so overlaps are plentiful.
                "boxes" => {
                    json!({"type": "b_box", "x": s, "y": (i % 2) * 3, "width": len, "height": 6, "label": label})
                }
                _ => json!({"type": "video_segment", "start_frame": s, "end_frame": e - 1, "label": label}),
            };
            region(&format!("{prefix}{i}"), control, value)
        })
        .collect()
}

/// The similarity and tolerance test of one kind, computed here from first principles.
fn similarity(control: &str, g: &Region, m: &Region) -> f64 {
    let range = |r: &Region| -> (f64, f64) {
        match &r.value {
            RegionValue::TextSpan { start, end, .. } => (*start as f64, *end as f64),
            RegionValue::VideoSegment { start_frame, end_frame, .. } => {
                (f64::from(*start_frame), f64::from(*end_frame) + 1.0)
            }
            RegionValue::BBox { x, width, .. } => (*x, x + width),
            _ => unreachable!(),
        }
    };
    let overlap = |a: (f64, f64), b: (f64, f64)| (a.1.min(b.1) - a.0.max(b.0)).max(0.0);
    let (a, b) = (range(g), range(m));
    if control == "boxes" {
        let (RegionValue::BBox { y: gy, height: gh, .. }, RegionValue::BBox { y: my, height: mh, .. }) =
            (&g.value, &m.value)
        else {
            unreachable!()
        };
        let inter = overlap(a, b) * overlap((*gy, gy + gh), (*my, my + mh));
        let union = (a.1 - a.0) * gh + (b.1 - b.0) * mh - inter;
        return if union > 0.0 { inter / union } else { 0.0 };
    }
    let inter = overlap(a, b);
    inter / ((a.1 - a.0) + (b.1 - b.0) - inter)
}

fn within(control: &str, g: &Region, m: &Region, s: f64, min_overlap: f64) -> bool {
    match (&g.value, &m.value) {
        (RegionValue::TextSpan { start: gs, end: ge, .. }, RegionValue::TextSpan { start: ms, end: me, .. }) => {
            s >= min_overlap || (gs.abs_diff(*ms) <= 1 && ge.abs_diff(*me) <= 1)
        }
        _ if control == "boxes" => s >= 0.5,
        _ => s >= 0.5,
    }
}

/// Each stage of the matcher reaches the brute-force optimum among what the earlier stages
/// left: stage 1 same label within tolerance, stage 2 another label within tolerance, stage 3
/// same label outside tolerance; every candidate with a positive similarity is considered.
fn check_stages(control: &str, gold_raw: &Raw, mine_raw: &Raw, min_overlap: f64) -> Result<(), TestCaseError> {
    let spec = matcher_spec(min_overlap);
    let (g, m) = (to_regions(control, gold_raw, "g"), to_regions(control, mine_raw, "m"));
    let report = score_gold(&spec, &text_item("abcdefghijklmnopqrstuvwxyz"), &gold(g.clone()), &m);
    let index = |id: &str, side: &[Region]| side.iter().position(|r| r.id == id).unwrap();
    let label = |r: &Region| r.value.first_label().unwrap().to_string();
    let mut taken: Vec<(usize, usize, &'static str)> = Vec::new();
    for v in report.verdicts.iter().filter(|v| v.control == control) {
        let stage = match v.verdict {
            Verdict::Matched { .. } => "matched",
            Verdict::WrongLabel { .. } => "wrong",
            Verdict::BoundaryOff { .. } | Verdict::LowOverlap { .. } => "low",
            _ => continue,
        };
        taken.push((index(v.gold_region.as_deref().unwrap(), &g), index(v.region.as_deref().unwrap(), &m), stage));
    }
    let count_first = control == "spans";
    let mut used_g = Vec::new();
    let mut used_m = Vec::new();
    for (stage, same_label, in_tolerance) in [("matched", true, true), ("wrong", false, true), ("low", true, false)] {
        let mut edges = Vec::new();
        for (gi, gr) in g.iter().enumerate() {
            for (mi, mr) in m.iter().enumerate() {
                let s = similarity(control, gr, mr);
                if s > 0.0
                    && !used_g.contains(&gi)
                    && !used_m.contains(&mi)
                    && (label(gr) == label(mr)) == same_label
                    && within(control, gr, mr, s, min_overlap) == in_tolerance
                {
                    edges.push((gi, mi, s));
                }
            }
        }
        let best = brute_force_best(&edges, count_first && stage == "matched");
        let mine: Vec<&(usize, usize, &str)> = taken.iter().filter(|t| t.2 == stage).collect();
        let got = (mine.len(), mine.iter().map(|&&(gi, mi, _)| similarity(control, &g[gi], &m[mi])).sum::<f64>());
        if count_first && stage == "matched" {
            prop_assert_eq!(got.0, best.0, "{} stage {}: pairs", control, stage);
        }
        prop_assert!(
            (got.1 - best.1).abs() < 1e-9,
            "{} stage {}: total {} vs optimum {}",
            control,
            stage,
            got.1,
            best.1
        );
        for &&(gi, mi, _) in &mine {
            used_g.push(gi);
            used_m.push(mi);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_matcher_is_optimal_at_every_stage(gold_raw in raw_regions(), mine_raw in raw_regions(), t in 1u8..10) {
        let min_overlap = f64::from(t) / 10.0;
        for control in ["spans", "boxes", "events"] {
            check_stages(control, &gold_raw, &mine_raw, min_overlap)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reveal policies.

fn reveal_spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "image",
        "controls": [
            {"name": "spans", "type": "text_spans", "tolerance": {"span_boundary_chars": 1},
             "labels": [{"value": "PERSON"}, {"value": "PLACE"}]},
            {"name": "boxes", "type": "b_box", "labels": [{"value": "car"}, {"value": "person"}]},
            {"name": "shapes", "type": "polygon", "labels": [{"value": "roof"}, {"value": "wall"}]},
            {"name": "points", "type": "keypoint", "tolerance": {"keypoint_area": 40000.0},
             "labels": [{"value": "nose"}, {"value": "eye"}]},
            {"name": "speech", "type": "audio_segments", "transcript": true,
             "labels": [{"value": "speech"}, {"value": "music"}]},
            {"name": "frames", "type": "video_boxes", "labels": [{"value": "ball"}, {"value": "boot"}]},
            {"name": "tracks", "type": "video_tracks", "labels": [{"value": "player"}, {"value": "referee"}]},
            {"name": "events", "type": "video_segments", "labels": [{"value": "goal"}, {"value": "foul"}]},
            {"name": "better", "type": "pairwise", "labels": []},
            {"name": "tone", "type": "choice", "labels": [{"value": "positive"}, {"value": "negative"}]}
        ]
    }))
    .unwrap()
}

/// One kind's case: the item, gold, an annotation with a near match, a far one, a wrong label,
/// a miss and an extra where the kind has them, and gold's labels the annotation never used.
struct RevealCase {
    kind: &'static str,
    item: Item,
    gold: Vec<Region>,
    mine: Vec<Region>,
    secret_labels: &'static [&'static str],
}

fn reveal_cases() -> Vec<RevealCase> {
    let r = region;
    let text = "Dr. Ana Lima flew from Porto to Lisbon on a Monday in spring.";
    let text_item = Item { id: "t".into(), media: Media::Text { text: text.into() }, candidates: vec![] };
    let image = Item {
        id: "i".into(),
        media: Media::Image { src: "i.png".into(), width: 900, height: 700 },
        candidates: vec![],
    };
    let audio = Item {
        id: "a".into(),
        media: Media::Audio { src: "a.wav".into(), duration: 60.0, sample_rate: None, channels: None },
        candidates: vec![],
    };
    let video = Item {
        id: "v".into(),
        media: Media::Video { src: "v.mp4".into(), width: 900, height: 700, frame_rate: 25.0, frame_count: 900 },
        candidates: vec![],
    };
    let pair = Item {
        id: "p".into(),
        media: Media::Text { text: "Which is better?".into() },
        candidates: vec![Media::Text { text: "x".into() }, Media::Text { text: "y".into() }],
    };
    let span = |id: &str, s: usize, e: usize, l: &str| {
        r(id, "spans", json!({"type": "text_span", "start": s, "end": e, "label": l}))
    };
    let bx = |id: &str, x: f64, y: f64, w: f64, h: f64, l: &str| {
        r(id, "boxes", json!({"type": "b_box", "x": x, "y": y, "width": w, "height": h, "label": l}))
    };
    let poly = |id: &str, x: f64, y: f64, s: f64, l: &str| {
        r(
            id,
            "shapes",
            json!({"type": "polygon", "points": [[x, y], [x + s, y], [x + s, y + s], [x, y + s]], "label": l}),
        )
    };
    let kp =
        |id: &str, x: f64, y: f64, l: &str| r(id, "points", json!({"type": "keypoint", "x": x, "y": y, "label": l}));
    let seg = |id: &str, s: f64, e: f64, l: &str, t: &str| {
        r(id, "speech", json!({"type": "audio_segment", "start": s, "end": e, "label": l, "transcript": t}))
    };
    let vb = |id: &str, f: u32, x: f64, l: &str| {
        r(
            id,
            "frames",
            json!({"type": "video_box", "frame": f, "x": x, "y": 113, "width": 97, "height": 89, "label": l}),
        )
    };
    let track = |id: &str, l: &str, keys: &[(u32, f64)]| {
        let keyframes: Vec<_> =
            keys.iter().map(|(f, x)| json!({"frame": f, "x": x, "y": 127, "width": 83, "height": 79})).collect();
        r(id, "tracks", json!({"type": "video_track", "label": l, "keyframes": keyframes}))
    };
    let vs = |id: &str, s: u32, e: u32, l: &str| {
        r(id, "events", json!({"type": "video_segment", "start_frame": s, "end_frame": e, "label": l}))
    };
    let pw = |id: &str, c: &str| r(id, "better", json!({"type": "pairwise", "choice": c}));
    let choice = |id: &str, l: &str| r(id, "tone", json!({"type": "choice", "labels": [l]}));
    vec![
        RevealCase {
            kind: "text",
            item: text_item,
            // “Ana Lima”, “Porto”, “Lisbon”, “Monday”
            gold: vec![
                span("g1", 4, 12, "PERSON"),
                span("g2", 23, 28, "PLACE"),
                span("g3", 32, 38, "PLACE"),
                span("g4", 44, 50, "PLACE"),
            ],
            mine: vec![
                span("a", 0, 17, "PERSON"),
                span("b", 23, 28, "PERSON"),
                span("c", 32, 39, "PLACE"),
                span("d", 54, 60, "PLACE"),
            ],
            secret_labels: &[],
        },
        RevealCase {
            kind: "box",
            item: image.clone(),
            gold: vec![
                bx("g1", 137.0, 211.0, 173.0, 131.0, "car"),
                bx("g2", 503.0, 307.0, 149.0, 97.0, "person"),
                bx("g3", 601.0, 19.0, 53.0, 41.0, "car"),
            ],
            mine: vec![
                bx("a", 141.0, 211.0, 173.0, 131.0, "car"),
                bx("b", 503.0, 307.0, 149.0, 97.0, "car"),
                bx("c", 20.0, 600.0, 30.0, 30.0, "car"),
            ],
            secret_labels: &["person"],
        },
        RevealCase {
            kind: "polygon",
            item: image.clone(),
            gold: vec![
                poly("g1", 137.0, 211.0, 173.0, "roof"),
                poly("g2", 503.0, 307.0, 149.0, "wall"),
                poly("g3", 601.0, 19.0, 53.0, "roof"),
            ],
            mine: vec![poly("a", 223.0, 211.0, 173.0, "roof"), poly("b", 503.0, 307.0, 149.0, "roof")],
            secret_labels: &["wall"],
        },
        RevealCase {
            kind: "keypoint",
            item: image.clone(),
            gold: vec![kp("g1", 137.0, 211.0, "nose"), kp("g2", 503.0, 307.0, "eye"), kp("g3", 601.0, 419.0, "nose")],
            mine: vec![kp("a", 137.0, 254.0, "nose"), kp("b", 503.0, 307.0, "nose"), kp("c", 20.0, 20.0, "nose")],
            secret_labels: &["eye"],
        },
        RevealCase {
            kind: "audio",
            item: audio,
            gold: vec![
                seg("g1", 3.137, 7.211, "speech", "the quick brown fox"),
                seg("g2", 11.503, 17.307, "music", ""),
                seg("g3", 23.601, 29.419, "speech", "jumps over the lazy dog"),
                seg("g4", 41.113, 47.229, "speech", "and runs away"),
            ],
            mine: vec![
                seg("a", 3.154, 7.252, "speech", "the quick brown fox"),
                seg("b", 11.503, 17.307, "speech", "la la"),
                seg("c", 24.901, 29.419, "speech", "jumps over the lazy dog"),
                seg("d", 41.113, 47.229, "speech", "something else entirely"),
            ],
            secret_labels: &["music"],
        },
        RevealCase {
            kind: "video box",
            item: video.clone(),
            gold: vec![vb("g1", 37, 137.0, "ball"), vb("g2", 53, 503.0, "boot"), vb("g3", 71, 601.0, "ball")],
            mine: vec![vb("a", 37, 149.0, "ball"), vb("b", 53, 503.0, "ball"), vb("c", 71, 20.0, "ball")],
            secret_labels: &["boot"],
        },
        RevealCase {
            kind: "track",
            item: video.clone(),
            gold: vec![
                track("g1", "player", &[(37, 137.0), (131, 311.0)]),
                track("g2", "referee", &[(37, 503.0), (131, 503.0)]),
                track("g3", "player", &[(211, 601.0), (307, 601.0)]),
            ],
            mine: vec![
                track("a", "player", &[(37, 137.0), (83, 224.0)]),
                track("e", "player", &[(84, 226.0), (131, 311.0)]),
                track("b", "player", &[(37, 503.0), (131, 503.0)]),
            ],
            secret_labels: &["referee"],
        },
        RevealCase {
            kind: "segment",
            item: video,
            gold: vec![
                vs("g1", 137, 211, "goal"),
                vs("g2", 307, 401, "foul"),
                vs("g3", 503, 601, "goal"),
                vs("g4", 701, 797, "goal"),
            ],
            mine: vec![vs("a", 139, 211, "goal"), vs("b", 307, 401, "goal"), vs("c", 557, 619, "goal")],
            secret_labels: &["foul"],
        },
        RevealCase {
            kind: "pairwise",
            item: pair,
            gold: vec![pw("g1", "A"), choice("g2", "positive")],
            mine: vec![pw("a", "B"), choice("b", "negative")],
            secret_labels: &["positive", "\"A\""],
        },
    ]
}

/// Every number written anywhere in `json`, inside strings too.
fn numbers_in(json: &str) -> Vec<f64> {
    let re = regex_lite::Regex::new(r"\d+(?:\.\d+)?").unwrap();
    re.find_iter(json).filter_map(|m| m.as_str().parse().ok()).collect()
}

/// Numbers that would give gold away: its coordinates, times (in seconds and milliseconds),
/// frames, the annotation's offsets from it, and every magnitude the full verdicts carry.
fn gold_numbers(case: &RevealCase, full: &GoldReport) -> Vec<f64> {
    let mut secret = Vec::new();
    for g in &case.gold {
        let value = serde_json::to_value(&g.value).unwrap();
        secret.extend(numbers_in(&value.to_string()));
        if let RegionValue::AudioSegment { start, end, .. } = g.value {
            secret.extend([start * 1000.0, end * 1000.0]);
        }
    }
    for v in &full.verdicts {
        let json = serde_json::to_value(&v.verdict).unwrap();
        for key in ["offsets", "overlap", "wer", "cer"] {
            if let Some(x) = json.get(key) {
                secret.extend(numbers_in(&x.to_string()));
            }
        }
    }
    for c in &full.controls {
        secret.extend(c.metrics.values().copied());
    }
    // Scores stay visible under every policy; a secret equal to one proves nothing. Values below
    // 2 (fractions, 0 and 1) are too common to be evidence.
    let allowed: Vec<f64> =
        [full.score, full.pass_threshold].into_iter().chain(full.controls.iter().map(|c| c.score)).collect();
    secret.retain(|s| s.abs() >= 2.0 && !allowed.iter().any(|a| (a - s).abs() < 1e-9));
    secret
}

#[test]
fn hints_and_score_only_leak_no_gold_coordinate_time_frame_or_magnitude() {
    let spec = reveal_spec();
    for case in reveal_cases() {
        let g = gold(case.gold.clone());
        let full = score_gold(&spec, &case.item, &g, &case.mine);
        let shown_full = serde_json::to_string(&GoldReveal::new(&g, full.clone(), RevealPolicy::FullDiff)).unwrap();
        let secret = gold_numbers(&case, &full);
        assert!(!secret.is_empty() || !case.secret_labels.is_empty(), "{}: nothing to hide", case.kind);
        assert!(case.secret_labels.iter().all(|l| shown_full.contains(l)), "{}: {shown_full}", case.kind);
        // The full diff shows them, so the test is looking at the right numbers.
        let full_numbers = numbers_in(&shown_full);
        let shown_in_full = secret.iter().filter(|s| full_numbers.iter().any(|n| (n - *s).abs() < 1e-6)).count();
        assert!(shown_in_full * 2 >= secret.len(), "{}: {shown_full}", case.kind);
        for policy in [RevealPolicy::Hints, RevealPolicy::ScoreOnly] {
            let shown = serde_json::to_string(&GoldReveal::new(&g, full.clone(), policy)).unwrap();
            for n in numbers_in(&shown) {
                assert!(
                    !secret.iter().any(|s| (n - s).abs() < 1e-6),
                    "{} under {policy:?} shows {n}, a number of gold:\n{shown}",
                    case.kind
                );
            }
            for gr in &case.gold {
                assert!(
                    !shown.contains(&format!("\"{}\"", gr.id)),
                    "{} under {policy:?} names gold region {}",
                    case.kind,
                    gr.id
                );
            }
            for label in case.secret_labels {
                assert!(!shown.contains(label), "{} under {policy:?} shows gold's {label}:\n{shown}", case.kind);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The one spec check.

fn problems(spec: serde_json::Value, guidelines: Option<&str>) -> String {
    let spec: TaskSpec = serde_json::from_value(spec).unwrap();
    check_spec(&spec, guidelines).iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_spec_check_names_the_rule_and_field_of_every_problem() {
    let spec = json!({
        "media": "audio",
        "pass_threshold": 1.5,
        "controls": [
            {"name": "speech", "type": "audio_segments", "transcript": true, "guideline": "speech",
             "tolerance": {"collar_ms": -5.0, "min_iou": 0.0},
             "labels": [{"value": "speech", "hotkey": "1"}, {"value": "music", "hotkey": "?"}]},
            {"name": "tone", "type": "choice",
             "labels": [{"value": "calm", "hotkey": "Q"}, {"value": "angry", "hotkey": "q"}],
             "costs": [{"expected": "calm", "got": "sad", "cost": 2.0}]}
        ],
        "rules": [
            {"rule": "transcript", "control": "speech", "pattern": "[a-z"},
            {"rule": "count", "control": "speech", "label": "noise", "min": 3, "max": 1},
            {"rule": "token_boundaries", "control": "speech"},
            {"rule": "conditional", "when_control": "tone", "when_label": "bored",
             "then_control": "nothing", "then": "required", "guideline": "missing"}
        ]
    });
    expect_test::expect![[r#"
        pass_threshold: 1.5 is not between 0 and 1
        controls[0].guideline: guideline section `speech` does not exist
        controls[0].tolerance.min_iou: 0 is not above 0 and at most 1
        controls[0].tolerance.collar_ms: -5 is not a non-negative number
        controls[0].labels[1].hotkey: hotkey `?` is one of the workspace's own keys
        controls[1].labels[1].hotkey: hotkey `q` is bound to both `calm` and `angry`
        controls[1].costs[0].got: `sad` is not a label of `tone`
        controls[1].costs[0].cost: 2 is not between 0 and 1
        rules[0].pattern: transcript rule: `[a-z` is not a valid regular expression (non-empty character class has no closing bracket)
        rules[1].label: count rule names label `noise`, which `speech` does not have
        rules[1].min: count rule: min 3 is above max 1
        rules[2].control: a token_boundaries rule applies to text_spans controls, not to `speech` (audio_segments)
        rules[3].then_control: conditional rule names control `nothing`, which does not exist
        rules[3].when_label: conditional rule names label `bored`, which `tone` does not have
        rules[3].guideline: guideline section `missing` does not exist"#]]
    .assert_eq(&problems(spec, Some("# Guidelines\n")));
}

#[test]
fn a_clean_spec_passes_and_anchors_are_skipped_without_guidelines() {
    let spec = json!({
        "media": "text",
        "controls": [{"name": "entities", "type": "text_spans", "guideline": "entities",
                      "labels": [{"value": "PERSON", "hotkey": "1"}]}],
        "rules": [{"rule": "token_boundaries", "control": "entities"}]
    });
    assert_eq!(problems(spec.clone(), None), "");
    assert_eq!(problems(spec.clone(), Some("## Entities\n")), "");
    assert_eq!(
        problems(spec, Some("## People\n")),
        "controls[0].guideline: guideline section `entities` does not exist"
    );
}

// ---------------------------------------------------------------------------------------------
// Overlap searches never examine all pairs.

#[test]
fn a_hundred_thousand_boxes_are_checked_by_examining_about_as_many_pairs() {
    // A grid of disjoint boxes: all pairs would be 5·10⁹; the grid search looks at each box's
    // few neighbours.
    let regions: Vec<Region> = (0..100_000)
        .map(|i| {
            let (x, y) = (f64::from(i % 400) * 0.5, f64::from(i / 400) * 0.4);
            region(
                &format!("b{i}"),
                "boxes",
                json!({"type": "b_box", "x": x, "y": y, "width": 0.4, "height": 0.3, "label": "car"}),
            )
        })
        .collect();
    let refs: Vec<&Region> = regions.iter().collect();
    let examined = near_pairs_examined(&refs, OverlapScope::Any);
    assert!(examined <= 4 * regions.len(), "{examined} pairs examined for {} boxes", regions.len());
    let spec: TaskSpec = serde_json::from_value(json!({
        "media": "image",
        "controls": [{"name": "boxes", "type": "b_box", "labels": [{"value": "car"}]}],
        "rules": [{"rule": "no_overlap", "control": "boxes", "scope": "any"}]
    }))
    .unwrap();
    let item = Item {
        id: "i".into(),
        media: Media::Image { src: "i.png".into(), width: 200, height: 100 },
        candidates: vec![],
    };
    assert!(validate(&spec, &item, &regions).is_empty(), "grid boxes do not overlap");
}

#[test]
fn overlapping_boxes_cost_their_overlapping_pairs() {
    // 2,000 boxes in 1,000 overlapping pairs, scattered: about 1,000 pairs examined, not 2·10⁶.
    let regions: Vec<Region> = (0..2_000)
        .map(|i| {
            let k = f64::from(i / 2);
            let (x, y) = ((k % 40.0) * 10.0 + f64::from(i % 2), (k / 40.0).floor() * 10.0);
            region(
                &format!("b{i}"),
                "boxes",
                json!({"type": "b_box", "x": x, "y": y, "width": 5, "height": 5, "label": "car"}),
            )
        })
        .collect();
    let refs: Vec<&Region> = regions.iter().collect();
    let examined = near_pairs_examined(&refs, OverlapScope::SameLabel);
    assert!((1_000..=8_000).contains(&examined), "{examined} pairs examined");
}

// ---------------------------------------------------------------------------------------------
// Hostile annotations: findings stay linear in the input.

fn stacked_spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "image",
        "controls": [
            {"name": "boxes", "type": "b_box", "labels": [{"value": "car"}]},
            {"name": "speech", "type": "audio_segments", "labels": [{"value": "speech"}]}
        ],
        "rules": [
            {"rule": "no_overlap", "control": "boxes"},
            {"rule": "no_duplicates", "control": "boxes"},
            {"rule": "no_overlap", "control": "speech"}
        ]
    }))
    .unwrap()
}

#[test]
fn thousands_of_stacked_regions_give_bounded_findings() {
    // 5,000 identical boxes, then 5,000 identical segments: 12.5 million overlapping pairs each.
    let boxes: Vec<Region> = (0..5_000)
        .map(|i| {
            region(
                &format!("b{i}"),
                "boxes",
                json!({"type": "b_box", "x": 10, "y": 10, "width": 20, "height": 20, "label": "car"}),
            )
        })
        .collect();
    let image = Item {
        id: "i".into(),
        media: Media::Image { src: "i.png".into(), width: 100, height: 100 },
        candidates: vec![],
    };
    let segments: Vec<Region> = (0..5_000)
        .map(|i| {
            region(
                &format!("s{i}"),
                "speech",
                json!({"type": "audio_segment", "start": 1.0, "end": 2.0, "label": "speech"}),
            )
        })
        .collect();
    let audio = Item {
        id: "a".into(),
        media: Media::Audio { src: "a.wav".into(), duration: 9.0, sample_rate: None, channels: None },
        candidates: vec![],
    };
    for (item, regions, rules) in [(&image, &boxes, 2), (&audio, &segments, 1)] {
        let findings = validate(&stacked_spec(), item, regions);
        let size = serde_json::to_string(&findings).unwrap().len();
        assert!(findings.len() <= check::MAX_FINDINGS + 1, "{} findings", findings.len());
        assert!(size < 1_000_000, "{size} bytes of findings");
        assert!(findings.iter().all(|f| f.regions.len() <= 6), "each finding names a bounded number of regions");
        // Each rule lists up to its cap and counts the rest; each search says it stopped.
        let codes = |code: &str| findings.iter().filter(|f| f.code == code).count();
        assert_eq!((codes("findings_capped"), codes("search_stopped")), (rules, rules), "{findings:?}");
        let first = findings.iter().find(|f| f.code == "overlap").unwrap();
        assert!(first.message.contains(" overlaps at least ") && first.message.contains(" more"), "{}", first.message);
        assert!(has_errors(&findings));
    }
    // Regions of the wrong media are each reported by the built-in checks: the validation's
    // own cap bounds them.
    let findings = validate(&stacked_spec(), &image, &segments);
    assert_eq!(findings.len(), check::MAX_FINDINGS + 1);
    let last = &findings.last().unwrap().message;
    assert!(last.starts_with("3,") && last.ends_with(" more findings are not listed"), "{last}");
}

#[test]
fn a_region_overlapping_several_is_reported_once_and_each_partner_beside_it() {
    // One wide box over three small ones, and a lone overlapping pair.
    let bx = |id: &str, x: u32, w: u32| {
        region(id, "boxes", json!({"type": "b_box", "x": x, "y": 0, "width": w, "height": 10, "label": "car"}))
    };
    let regions = [bx("wide", 0, 30), bx("a", 1, 5), bx("b", 11, 5), bx("c", 21, 5), bx("p", 50, 10), bx("q", 55, 10)];
    let item = Item {
        id: "i".into(),
        media: Media::Image { src: "i.png".into(), width: 100, height: 100 },
        candidates: vec![],
    };
    let mut spec = stacked_spec();
    spec.rules.truncate(1);
    let messages: Vec<String> = validate(&spec, &item, &regions)
        .into_iter()
        .map(|f| format!("[{}] {}", f.regions.join(","), f.message))
        .collect();
    expect_test::expect![[r#"
        [wide,a,b,c] region `wide` overlaps 3 other regions: `a` (IoU 0.17), `b` (IoU 0.17), `c` (IoU 0.17)
        [a,wide] regions `a` and `wide` overlap (IoU 0.17)
        [b,wide] regions `b` and `wide` overlap (IoU 0.17)
        [c,wide] regions `c` and `wide` overlap (IoU 0.17)
        [p,q] regions `p` and `q` overlap (IoU 0.33)"#]]
    .assert_eq(&messages.join("\n"));
}

#[test]
fn size_limits_name_the_limit_and_the_region() {
    let mut spec = stacked_spec();
    spec.limits = Limits { regions: 3, polygon_points: 4, track_keyframes: 2, transcript_chars: 5 };
    let seg = |id: &str, t: &str| {
        region(
            id,
            "speech",
            json!({"type": "audio_segment", "start": 1.0, "end": 2.0, "label": "speech", "transcript": t}),
        )
    };
    assert_eq!(check_limits(&spec, &[seg("a", "héllo")]), Ok(()), "five characters, six bytes");
    let err = check_limits(&spec, &[seg("a", "ok"), seg("long", "héllo!")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "6 characters in one transcript, rationale or text area (region `long`); this project allows at most 5 (limits.transcript_chars)"
    );
    let err = check_limits(&spec, &[seg("a", ""), seg("b", ""), seg("c", ""), seg("d", "")]).unwrap_err();
    assert_eq!((err.limit, err.found, err.region), ("regions", 4, None));
    let serialized = serde_json::to_value(stacked_spec()).unwrap();
    assert!(serialized.get("limits").is_none(), "default limits are not written out");
}

#[test]
fn an_image_spec_may_not_bind_the_image_workspace_keys_but_a_text_spec_may() {
    let labels = serde_json::json!([
        {"value": "car", "hotkey": "R"}, {"value": "bus", "hotkey": "+"}, {"value": "van", "hotkey": "Home"},
        {"value": "cab", "hotkey": "1"}
    ]);
    let image = serde_json::json!({
        "media": "image",
        "controls": [{"name": "boxes", "type": "b_box", "labels": labels}]
    });
    expect_test::expect![[r#"
        controls[0].labels[0].hotkey: hotkey `R` is one of the workspace's own keys
        controls[0].labels[1].hotkey: hotkey `+` is one of the workspace's own keys
        controls[0].labels[2].hotkey: hotkey `Home` is one of the workspace's own keys"#]]
    .assert_eq(&problems(image, None));
    let text = serde_json::json!({
        "media": "text",
        "controls": [{"name": "spans", "type": "text_spans", "labels": labels}]
    });
    assert_eq!(problems(text, None), "");
}
