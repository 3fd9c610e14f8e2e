//! Validation and gold scoring of image, audio, video and pairwise tasks: one spec covering
//! every control kind, snapshot tests of the findings and of the `GoldReport` feedback per
//! media kind, reveal policies, and property tests on hostile input.

use expect_test::{expect, Expect};
use proptest::prelude::*;
use serde_json::json;

use crate::reveal::GoldReveal;
use crate::*;

fn spec(media: &str) -> TaskSpec {
    serde_json::from_value(json!({
        "media": media,
        "controls": [
            {"name": "boxes", "type": "b_box", "guideline": "boxes",
             "labels": [{"value": "car", "min_iou": 0.7}, {"value": "person"}]},
            {"name": "shapes", "type": "polygon", "labels": [{"value": "roof"}]},
            {"name": "points", "type": "keypoint", "tolerance": {"keypoint_area": 10000.0},
             "labels": [{"value": "nose", "kappa": 0.1}]},
            {"name": "speech", "type": "audio_segments", "transcript": true,
             "normalization": {"fillers": ["uh", "um"]},
             "labels": [{"value": "speech"}, {"value": "music"}]},
            {"name": "frames", "type": "video_boxes", "labels": [{"value": "ball"}]},
            {"name": "tracks", "type": "video_tracks", "labels": [{"value": "player"}, {"value": "referee"}]},
            {"name": "events", "type": "video_segments", "labels": [{"value": "goal"}]},
            {"name": "better", "type": "pairwise", "allow_tie": false, "rationale_required": true, "labels": []},
            {"name": "notes", "type": "text_area"},
            {"name": "rank", "type": "ranker", "buckets": ["good", "bad"]}
        ],
        "rules": [
            {"rule": "required_attribute", "control": "boxes", "label": "car", "attribute": "occluded",
             "allowed": ["yes", "no"], "guideline": "attributes"},
            {"rule": "count", "control": "boxes", "label": "person", "max": 1, "severity": "warning"},
            {"rule": "min_size", "control": "boxes", "min_width": 4, "min_height": 4},
            {"rule": "no_overlap", "control": "boxes", "scope": "any", "max_iou": 0.5},
            {"rule": "no_duplicates", "control": "shapes"},
            {"rule": "segment_length", "control": "speech", "min": 0.3},
            {"rule": "no_overlap", "control": "speech"},
            {"rule": "transcript", "control": "speech", "required": true,
             "charset": "abcdefghijklmnopqrstuvwxyz ,.'", "max_length": 40},
            {"rule": "track_continuity", "control": "tracks", "max_gap_frames": 30},
            {"rule": "no_overlap", "control": "events"},
            {"rule": "conditional", "when_control": "boxes", "when_label": "person",
             "then_control": "points", "then": "required", "message": "mark the nose of every person"}
        ]
    }))
    .unwrap()
}

fn image() -> Item {
    Item { id: "img".into(), media: Media::Image { src: "a.png".into(), width: 200, height: 100 }, candidates: vec![] }
}

fn audio() -> Item {
    Item {
        id: "wav".into(),
        media: Media::Audio { src: "a.wav".into(), duration: 10.0, sample_rate: Some(16000), channels: Some(1) },
        candidates: vec![],
    }
}

fn video() -> Item {
    Item {
        id: "mp4".into(),
        media: Media::Video { src: "a.mp4".into(), width: 320, height: 240, frame_rate: 25.0, frame_count: 100 },
        candidates: vec![],
    }
}

fn pair() -> Item {
    Item {
        id: "ab".into(),
        media: Media::Text { text: "Which answer is better?".into() },
        candidates: vec![Media::Text { text: "A".into() }, Media::Text { text: "B".into() }],
    }
}

pub(super) fn region(id: &str, control: &str, value: serde_json::Value) -> Region {
    let mut v = value;
    v["id"] = json!(id);
    v["control"] = json!(control);
    serde_json::from_value(v).unwrap()
}

fn bbox(id: &str, x: f64, y: f64, width: f64, height: f64, label: &str) -> Region {
    Region {
        id: id.into(),
        control: "boxes".into(),
        value: RegionValue::BBox { x, y, width, height, rotation: 0.0, label: label.into() },
        attributes: Default::default(),
    }
}

fn seg(id: &str, start: f64, end: f64, label: &str, transcript: &str) -> Region {
    region(
        id,
        "speech",
        json!({"type": "audio_segment", "start": start, "end": end, "label": label, "transcript": transcript}),
    )
}

fn track(id: &str, label: &str, keyframes: &[(u32, f64)]) -> Region {
    let keyframes: Vec<_> =
        keyframes.iter().map(|(f, x)| json!({"frame": f, "x": x, "y": 10.0, "width": 20.0, "height": 20.0})).collect();
    region(id, "tracks", json!({"type": "video_track", "label": label, "keyframes": keyframes}))
}

fn check_findings(s: &TaskSpec, item: &Item, regions: &[Region], expect: Expect) {
    let lines: Vec<String> = validate(s, item, regions)
        .iter()
        .map(|f| format!("{:?} {} [{}] {}", f.severity, f.code, f.regions.join(","), f.message))
        .collect();
    expect.assert_eq(&lines.join("\n"));
}

/// Honeypot gold with default tolerances.
pub(super) fn gold(answer: Vec<Region>) -> Gold {
    Gold {
        mode: GoldMode::Honeypot,
        answer,
        tolerance: Default::default(),
        explanation: String::new(),
        guideline: None,
    }
}

fn check_report(s: &TaskSpec, item: &Item, gold: &Gold, regions: &[Region], expect: Expect) {
    let report = score_gold(s, item, gold, regions);
    let mut lines = vec![format!("passed={} score={:.3}", report.passed, report.score)];
    for c in &report.controls {
        let metrics: Vec<String> = c.metrics.iter().map(|(k, v)| format!("{k}={v:.3}")).collect();
        lines.push(format!("{}: {:.3} {}", c.control, c.score, metrics.join(" ")));
    }
    for v in &report.verdicts {
        let verdict = serde_json::to_value(&v.verdict).unwrap();
        lines.push(format!(
            "{} {}~{} {verdict}",
            v.control,
            v.region.as_deref().unwrap_or("-"),
            v.gold_region.as_deref().unwrap_or("-")
        ));
    }
    for f in &report.feedback {
        lines.push(format!("> {}", f.message));
    }
    expect.assert_eq(&lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Validation.

#[test]
fn image_regions_are_checked_against_the_frame_rules_and_attributes() {
    let mut car = bbox("c1", 10.0, 10.0, 50.0, 30.0, "car");
    car.attributes.insert("occluded".into(), "maybe".into());
    check_findings(
        &spec("image"),
        &image(),
        &[
            car,
            bbox("c2", 180.0, 10.0, 40.0, 30.0, "car"),
            bbox("p1", 12.0, 12.0, 50.0, 30.0, "person"),
            bbox("p2", 100.0, 50.0, 2.0, 20.0, "person"),
            bbox("n", f64::NAN, 0.0, 1.0, 1.0, "person"),
            region(
                "s1",
                "shapes",
                json!({"type": "polygon", "label": "roof", "points": [[0,0],[10,10],[10,0],[0,10]]}),
            ),
            region("s2", "shapes", json!({"type": "polygon", "label": "roof", "points": [[20,20],[40,20],[30,40]]})),
            region("s3", "shapes", json!({"type": "polygon", "label": "roof", "points": [[20,20],[40,20],[30,40]]})),
            region("k1", "points", json!({"type": "keypoint", "x": 250.0, "y": 5.0, "label": "nose"})),
        ],
        expect![[r#"
            Error outside_media [c2] car box `c2` (180.0, 10.0, 40.0×30.0) reaches outside the 200×100 frame
            Error not_finite [n] person box `n` has a coordinate that is not a number
            Error invalid_polygon [s1] roof polygon `s1`: polygon crosses itself near (5.0, 5.0)
            Error outside_media [k1] nose keypoint `k1` (250.0, 5.0) lies outside the 200×100 frame
            Error attribute_value [c1] car region `c1`: `occluded` is `maybe`, not one of yes, no
            Error required_attribute [c2] car region `c2` needs the attribute `occluded`
            Warning count_max [p1,p2,n] at most 1 person regions allowed, found 3
            Error min_size [p2] region `p2` is 2×20 px, smaller than the minimum width 4 height 4
            Error min_size [n] region `n` is 1×1 px, smaller than the minimum width 4 height 4
            Error overlap [c1,p1] regions `c1` and `p1` overlap (IoU 0.81)
            Error duplicate [s2,s3] regions `s2` and `s3` are duplicates (IoU 1.00)"#]],
    );
}

#[test]
fn conditional_rules_use_their_own_message() {
    check_findings(
        &spec("image"),
        &image(),
        &[bbox("p1", 10.0, 10.0, 20.0, 20.0, "person")],
        expect![[r#"Error conditional_required [] mark the nose of every person"#]],
    );
}

#[test]
fn audio_segments_stay_inside_the_recording_and_transcripts_follow_the_rules() {
    check_findings(
        &spec("audio"),
        &audio(),
        &[
            seg("a", 0.0, 1.0, "speech", "hello there"),
            seg("b", 0.8, 2.0, "speech", "Hello!"),
            seg("c", 3.0, 3.1, "speech", ""),
            seg("d", 9.0, 11.0, "music", "la la la la la la la la la la la la la la la"),
            seg("e", 5.0, 4.0, "music", "x"),
        ],
        expect![[r#"
            Error outside_media [d] music segment `d` 9.000–11.000 s lies outside the 10.000 s recording
            Error empty_segment [e] music segment `e` ends (4.000 s) before it starts (5.000 s)
            Error segment_too_short [c] segment `c` lasts 0.100s, less than 0.3s
            Error overlap [a,b] regions `a` and `b` overlap (overlap 0.10)
            Error transcript_charset [b] transcript of `b` has characters outside the allowed set: H!
            Error transcript_required [c] segment `c` needs a transcript
            Error transcript_too_long [d] transcript of `d` has 44 characters, more than 40"#]],
    );
}

#[test]
fn video_regions_respect_frames_keyframe_order_and_continuity() {
    check_findings(
        &spec("video"),
        &video(),
        &[
            region(
                "f1",
                "frames",
                json!({"type": "video_box", "frame": 120, "x": 1, "y": 1, "width": 5, "height": 5, "label": "ball"}),
            ),
            track("t1", "player", &[(0, 10.0), (50, 20.0), (40, 30.0)]),
            track("t2", "player", &[(0, 10.0), (45, 20.0)]),
            region(
                "g1",
                "events",
                json!({"type": "video_segment", "start_frame": 10, "end_frame": 20, "label": "goal"}),
            ),
            region(
                "g2",
                "events",
                json!({"type": "video_segment", "start_frame": 20, "end_frame": 30, "label": "goal"}),
            ),
            region(
                "g3",
                "events",
                json!({"type": "video_segment", "start_frame": 90, "end_frame": 100, "label": "goal"}),
            ),
        ],
        expect![[r#"
            Error outside_frames [f1] ball box `f1` is on frame 120; the video has frames 0–99
            Error keyframes_unordered [t1] player track `t1` has keyframes out of order or repeated
            Error outside_frames [g3] goal segment `g3` ends on frame 100; the video has frames 0–99
            Error track_gap [t1] player track `t1` has no keyframe between frames 0 and 50 (50 frames, at most 30)
            Error track_gap [t2] player track `t2` has no keyframe between frames 0 and 45 (45 frames, at most 30)
            Error overlap [g1,g2] regions `g1` and `g2` overlap (overlap 0.05)"#]],
    );
}

#[test]
fn pairwise_needs_one_choice_no_tie_and_a_rationale() {
    let choice = |id: &str, c: &str, why: Option<&str>| {
        region(id, "better", json!({"type": "pairwise", "choice": c, "rationale": why}))
    };
    check_findings(
        &spec("text"),
        &pair(),
        &[choice("p", "Tie", Some(" "))],
        expect![[r#"
            Error tie_not_allowed [p] pick A or B: a tie is not allowed here
            Error rationale_required [p] say why you prefer this answer"#]],
    );
    check_findings(&spec("text"), &pair(), &[choice("p", "B", Some("shorter and correct"))], expect![[""]]);
}

// ---------------------------------------------------------------------------------------------
// Gold reports, one snapshot per media kind.

#[test]
fn image_report_explains_boxes_polygons_and_keypoints() {
    let g = gold(vec![
        bbox("g1", 10.0, 10.0, 50.0, 30.0, "car"),
        bbox("g2", 100.0, 10.0, 40.0, 40.0, "person"),
        bbox("g3", 150.0, 60.0, 20.0, 20.0, "person"),
        region("g4", "shapes", json!({"type": "polygon", "label": "roof", "points": [[0,50],[40,50],[20,90]]})),
        region("g5", "points", json!({"type": "keypoint", "x": 50.0, "y": 50.0, "label": "nose"})),
    ]);
    check_report(
        &spec("image"),
        &image(),
        &g,
        &[
            bbox("a", 12.0, 10.0, 50.0, 30.0, "car"),  // IoU 1440/1560 = 0.92 ≥ 0.7: matched
            bbox("b", 100.0, 10.0, 40.0, 40.0, "car"), // right place, wrong label
            bbox("c", 160.0, 60.0, 20.0, 20.0, "person"), // IoU 0.33 < 0.5
            bbox("d", 0.0, 0.0, 5.0, 5.0, "person"),   // nothing there
            region("e", "shapes", json!({"type": "polygon", "label": "roof", "points": [[0,50],[40,50],[20,88]]})),
            region("f", "points", json!({"type": "keypoint", "x": 80.0, "y": 50.0, "label": "nose"})), // 30 px off
        ],
        expect![[r#"
            passed=false score=0.429
            boxes: 0.286 mean_iou=0.923
            shapes: 1.000 mean_iou=0.950
            points: 0.000 mean_oks=0.000
            boxes a~g1 {"verdict":"matched"}
            boxes b~g2 {"expected":"person","got":"car","verdict":"wrong_label"}
            boxes c~g3 {"directions":["shifted"],"overlap":0.3333333333333333,"verdict":"low_overlap"}
            boxes d~- {"verdict":"extra"}
            shapes e~g4 {"verdict":"matched"}
            points f~g5 {"directions":["shifted"],"overlap":0.011108996538242316,"verdict":"low_overlap"}
            > box `b` is person, not car
            > person box `c` overlaps gold with IoU 0.33; 0.50 is needed
            > person box `d` is not in gold
            > nose keypoint `f` is 30.0 px from gold (OKS 0.01; 0.50 is needed)"#]],
    );
}

#[test]
fn audio_report_uses_collars_and_transcript_error_rates() {
    let g = gold(vec![
        seg("g1", 1.0, 2.0, "speech", "the cat sat"),
        seg("g2", 3.0, 5.0, "speech", "on the mat"),
        seg("g3", 6.0, 7.0, "music", ""),
        seg("g4", 8.0, 9.0, "speech", "goodbye"),
    ]);
    check_report(
        &spec("audio"),
        &audio(),
        &g,
        &[
            seg("a", 1.1, 2.05, "speech", "uh the cat sat."), // collar ok, fillers and punctuation ignored
            seg("b", 3.15, 5.2, "speech", "on a hat"),        // times ok, WER 2/3
            seg("c", 6.5, 7.0, "music", ""),                  // onset 500 ms off
            seg("d", 8.0, 9.0, "music", "goodbye"),           // wrong label
        ],
        expect![[r#"
            passed=false score=0.250
            speech: 0.250 cer=0.190 event_f1=0.500 wer=0.333
            speech a~g1 {"offsets":{"end":50,"start":100,"unit":"ms"},"verdict":"matched"}
            speech b~g2 {"cer":0.4,"verdict":"transcript_off","wer":0.6666666666666666}
            speech c~g3 {"directions":["starts_too_late"],"offsets":{"end":0,"start":500,"unit":"ms"},"overlap":0.5,"verdict":"boundary_off"}
            speech d~g4 {"expected":"speech","got":"music","verdict":"wrong_label"}
            > music segment `c`: onset off by +500 ms, offset by +0 ms (collar 200 ms)
            > segment `d` is speech, not music
            > transcript of `b`: WER 67% (at most 10%); gold reads “on the mat”"#]],
    );
}

#[test]
fn video_report_scores_frame_boxes_tracks_and_segments() {
    let vbox = |id: &str, frame: u32, x: f64| {
        region(
            id,
            "frames",
            json!({"type": "video_box", "frame": frame, "x": x, "y": 0, "width": 10, "height": 10, "label": "ball"}),
        )
    };
    let vseg = |id: &str, s: u32, e: u32| {
        region(id, "events", json!({"type": "video_segment", "start_frame": s, "end_frame": e, "label": "goal"}))
    };
    let g = gold(vec![
        vbox("gb1", 5, 0.0),
        vbox("gb2", 6, 50.0),
        track("gt1", "player", &[(0, 0.0), (9, 90.0)]),
        track("gt2", "player", &[(0, 200.0), (9, 200.0)]),
        vseg("gs1", 10, 29),
    ]);
    check_report(
        &spec("video"),
        &video(),
        &g,
        &[
            vbox("b1", 5, 1.0),  // same frame, IoU 0.82
            vbox("b2", 7, 50.0), // right place, wrong frame
            track("t1", "player", &[(0, 0.0), (4, 40.0)]),
            track("t2", "player", &[(5, 50.0), (9, 90.0)]), // takes over the object half way
            track("t3", "referee", &[(0, 200.0), (9, 200.0)]),
            vseg("s1", 12, 29),
        ],
        expect![[r#"
            passed=false score=0.667
            frames: 0.500 mean_iou=0.818
            tracks: 0.500 false_positives=0.000 id_switches=1.000 idf1=0.750 misses=0.000 mota=0.950 motp=1.000
            events: 1.000 
            frames b1~gb1 {"verdict":"matched"}
            frames -~gb2 {"verdict":"missed"}
            frames b2~- {"verdict":"extra"}
            tracks t1~gt1 {"verdict":"matched"}
            tracks t3~gt2 {"expected":"player","got":"referee","verdict":"wrong_label"}
            tracks t2~- {"verdict":"extra"}
            events s1~gs1 {"offsets":{"end":0,"start":2,"unit":"frames"},"verdict":"matched"}
            > missed ball box at (50, 0, 10×10) on frame 6
            > ball box `b2` is not in gold
            > track `t3` is player, not referee
            > player track `t2` follows no gold object
            > at frame 5 the player object `gt1` switches from track `t1` to `t2`"#]],
    );
}

#[test]
fn pairwise_report_says_which_answer_gold_prefers() {
    let choice = |id: &str, c: &str| region(id, "better", json!({"type": "pairwise", "choice": c, "rationale": "x"}));
    check_report(
        &spec("text"),
        &pair(),
        &gold(vec![choice("g", "A")]),
        &[choice("p", "B")],
        expect![[r#"
            passed=false score=0.000
            better: 0.000 
            better p~g {"expected":"A","got":"B","verdict":"wrong_label"}
            > you preferred B; gold prefers A"#]],
    );
}

#[test]
fn choice_costs_soften_near_misses() {
    let s: TaskSpec = serde_json::from_value(json!({
        "media": "text",
        "controls": [{"name": "tone", "type": "choice", "labels": [{"value": "pos"}, {"value": "neu"}, {"value": "neg"}],
                      "costs": [{"expected": "pos", "got": "neu", "cost": 0.25}]}]
    }))
    .unwrap();
    let answer = |l: &str| region("c", "tone", json!({"type": "choice", "labels": [l]}));
    let item = Item { id: "t".into(), media: Media::Text { text: "ok".into() }, candidates: vec![] };
    let g = gold(vec![answer("pos")]);
    assert_eq!(score_gold(&s, &item, &g, &[answer("neu")]).score, 0.75);
    assert_eq!(score_gold(&s, &item, &g, &[answer("neg")]).score, 0.0);
}

#[test]
fn reveal_policies_withhold_what_they_promise() {
    let mut g = gold(vec![bbox("g1", 10.0, 10.0, 50.0, 30.0, "car"), bbox("g2", 100.0, 10.0, 40.0, 40.0, "person")]);
    g.explanation = "The car is the red one.".into();
    let mine = [bbox("a", 100.0, 10.0, 40.0, 40.0, "car")];
    let report = score_gold(&spec("image"), &image(), &g, &mine);

    let full = GoldReveal::new(&g, report.clone(), RevealPolicy::FullDiff);
    assert_eq!(full.answer.len(), 2);
    assert!(full.report.feedback.iter().any(|f| f.message.contains("is person, not car")));

    let hints = GoldReveal::new(&g, report.clone(), RevealPolicy::Hints);
    let json = serde_json::to_string(&hints).unwrap();
    assert!(hints.answer.is_empty() && hints.explanation.is_empty());
    assert!(!json.contains("red one") && !json.contains("\"g1\"") && !json.contains("person"), "{json}");
    let messages: Vec<&str> = hints.report.feedback.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages, ["check the label of box `a`", "a car box is missing"]);

    let score_only = GoldReveal::new(&g, report, RevealPolicy::ScoreOnly);
    assert!(score_only.report.verdicts.is_empty() && score_only.report.feedback.is_empty());
    assert_eq!(score_only.report.score, 0.0);
}

// ---------------------------------------------------------------------------------------------
// Properties.

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        -1e3..1e3f64,
        -1e300..1e300f64
    ]
}

fn any_region() -> impl Strategy<Value = Region> {
    let label =
        prop_oneof![Just("car"), Just("person"), Just("roof"), Just("nose"), Just("speech"), Just("ball"), Just("x")];
    (0usize..12, any_f64(), any_f64(), any_f64(), any_f64(), 0u32..200, 0u32..200, label, proptest::collection::vec((any_f64(), any_f64()), 0..6), any_f64())
        .prop_map(|(kind, a0, b0, c0, d0, f1, f2, label, points, rotation)| {
            // JSON has no NaN or infinity: build with finite stand-ins, then patch the real values.
            let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
            let (a, b, c, d) = (fin(a0), fin(b0), fin(c0), fin(d0));
            let (control, value) = match kind {
                0 => ("boxes", json!({"type": "b_box", "x": a, "y": b, "width": c, "height": d, "label": label})),
                1 => ("shapes", json!({"type": "polygon", "label": label, "points": points.iter().map(|(x, y)| [fin(*x), fin(*y)]).collect::<Vec<_>>()})),
                2 => ("points", json!({"type": "keypoint", "x": a, "y": b, "label": label})),
                3 => ("speech", json!({"type": "audio_segment", "start": a, "end": b, "label": label, "transcript": "uh hi"})),
                4 => ("frames", json!({"type": "video_box", "frame": f1, "x": a, "y": b, "width": c, "height": d, "label": label})),
                5 => ("tracks", json!({"type": "video_track", "label": label, "keyframes": [
                        {"frame": f1, "x": a, "y": b, "width": c, "height": d},
                        {"frame": f2, "x": b, "y": a, "width": d, "height": c}]})),
                6 => ("events", json!({"type": "video_segment", "start_frame": f1, "end_frame": f2, "label": label})),
                7 => ("better", json!({"type": "pairwise", "choice": "Tie"})),
                8 => ("boxes", json!({"type": "keypoint", "x": a, "y": b, "label": label})),
                9 => ("notes", json!({"type": "text_area", "text": [label, "", label]})),
                10 => ("rank", json!({"type": "ranking", "order": [label, "x", label], "buckets": {label: ["x"], "good": [label]}})),
                _ => ("nowhere", json!({"type": "choice", "labels": [label]})),
            };
            // serde_json writes non-finite floats as null; put them back after parsing.
            let mut r = region(&format!("r{kind}"), control, value);
            patch_non_finite(&mut r.value, [a0, b0, c0, d0], &points);
            if let RegionValue::BBox { rotation: r0, .. } | RegionValue::VideoBox { rotation: r0, .. } = &mut r.value {
                *r0 = rotation;
            }
            if let RegionValue::VideoTrack { keyframes, .. } = &mut r.value {
                keyframes.iter_mut().for_each(|k| k.rotation = rotation);
            }
            r
        })
}

fn patch_non_finite(value: &mut RegionValue, [a, b, c, d]: [f64; 4], raw_points: &[(f64, f64)]) {
    match value {
        RegionValue::Polygon { points, .. } => *points = raw_points.iter().map(|(x, y)| [*x, *y]).collect(),
        RegionValue::VideoTrack { keyframes, .. } => {
            for k in keyframes.iter_mut() {
                (k.x, k.y, k.width, k.height) = (a, b, c, d);
            }
        }
        RegionValue::BBox { x, y, width, height, .. } | RegionValue::VideoBox { x, y, width, height, .. } => {
            (*x, *y, *width, *height) = (a, b, c, d);
        }
        RegionValue::Keypoint { x, y, .. } => (*x, *y) = (a, b),
        RegionValue::AudioSegment { start, end, .. } => (*start, *end) = (a, b),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn validation_and_scoring_never_panic_on_hostile_regions(
        regions in proptest::collection::vec(any_region(), 0..12),
        gold_regions in proptest::collection::vec(any_region(), 0..8),
        media in 0usize..4,
    ) {
        let item = [image(), audio(), video(), pair()][media].clone();
        let s = spec(["image", "audio", "video", "text"][media]);
        let _ = validate(&s, &item, &regions);
        let report = score_gold(&s, &item, &gold(gold_regions), &regions);
        prop_assert!((0.0..=1.0).contains(&report.score), "score {}", report.score);
    }

    #[test]
    fn a_valid_annotation_equal_to_gold_scores_one(
        boxes in proptest::collection::vec((0.0..150.0f64, 0.0..60.0f64, 1.0..50.0f64, 1.0..40.0f64, prop_oneof![Just(0.0), -400.0..400.0f64]), 0..6),
        segments in proptest::collection::vec((0.0..9.0f64, 0.05..1.0f64), 0..5),
    ) {
        let mut answer = Vec::new();
        for (i, (x, y, w, h, turn)) in boxes.iter().enumerate() {
            let mut b = bbox(&format!("b{i}"), *x, *y, *w, *h, "person");
            if let RegionValue::BBox { rotation, .. } = &mut b.value {
                *rotation = *turn;
            }
            answer.push(b);
        }
        for (i, (s, len)) in segments.iter().enumerate() {
            answer.push(seg(&format!("s{i}"), *s, s + len, "speech", "hello world"));
        }
        answer.push(region("f", "frames", json!({"type": "video_box", "frame": 3, "x": 1, "y": 1, "width": 5, "height": 5, "label": "ball"})));
        answer.push(track("t", "player", &[(0, 1.0), (20, 40.0)]));
        answer.push(region("v", "events", json!({"type": "video_segment", "start_frame": 1, "end_frame": 9, "label": "goal"})));
        for item in [image(), audio(), video()] {
            let s = spec("image");
            let report = score_gold(&s, &item, &gold(answer.clone()), &answer);
            prop_assert_eq!(report.score, 1.0, "{:?}", report.feedback);
        }
    }
}

/// One edit of an answer: where, what, and how.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, Region),
    Remove(usize),
    Replace(usize, Region),
    /// The region moved by some pixels (or seconds), its id kept.
    Nudge(usize, f64),
    /// Another item (or spec) from now on.
    SwitchMedia(usize),
}

fn any_edit() -> impl Strategy<Value = Edit> {
    // Ids from a small pool, so that edits collide with kept ids and repeat them.
    let region = || {
        (any_region(), 0usize..6).prop_map(|(mut r, id)| {
            r.id = format!("{}-{id}", r.id);
            r
        })
    };
    prop_oneof![
        3 => (any::<usize>(), region()).prop_map(|(at, r)| Edit::Insert(at, r)),
        2 => any::<usize>().prop_map(Edit::Remove),
        3 => (any::<usize>(), region()).prop_map(|(at, r)| Edit::Replace(at, r)),
        3 => (any::<usize>(), any_f64()).prop_map(|(at, by)| Edit::Nudge(at, by)),
        1 => (0usize..4).prop_map(Edit::SwitchMedia),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The browser validates with a `Validator` that keeps per-region findings between edits;
    /// the server validates from scratch. Both must say the same after every edit.
    #[test]
    fn a_validator_that_keeps_findings_between_edits_says_what_validate_says(
        start in proptest::collection::vec(any_region(), 0..10),
        edits in proptest::collection::vec(any_edit(), 1..25),
    ) {
        let mut regions = start;
        let mut media = 0;
        let mut validator = Validator::new();
        let s = |m: usize| spec(["image", "audio", "video", "text"][m]);
        let item = |m: usize| [image(), audio(), video(), pair()][m].clone();
        prop_assert_eq!(validator.validate(&s(media), &item(media), &regions), validate(&s(media), &item(media), &regions));
        for edit in edits {
            match edit {
                Edit::Insert(at, r) => regions.insert(at % (regions.len() + 1), r),
                Edit::Remove(at) if !regions.is_empty() => {
                    let at = at % regions.len();
                    regions.remove(at);
                }
                Edit::Replace(at, r) if !regions.is_empty() => {
                    let at = at % regions.len();
                    regions[at] = r;
                }
                Edit::Nudge(at, by) if !regions.is_empty() => {
                    let at = at % regions.len();
                    match &mut regions[at].value {
                        RegionValue::BBox { x, .. } | RegionValue::Keypoint { x, .. } => *x += by,
                        RegionValue::Polygon { points, .. } => points.iter_mut().for_each(|p| p[0] += by),
                        RegionValue::AudioSegment { end, .. } => *end += by,
                        _ => {}
                    }
                }
                Edit::SwitchMedia(m) => media = m,
                _ => {}
            }
            let kept = validator.validate(&s(media), &item(media), &regions);
            prop_assert_eq!(kept, validate(&s(media), &item(media), &regions), "after {:?}", regions);
        }
    }
}
