//! Unit tests of the core: serde round trips of every region kind, text offsets, validation and
//! gold scoring of text tasks.

mod engine;
mod interop_kinds;
mod layering;
mod media;
mod region_serde;
mod tagged_serde;

use expect_test::{expect, Expect};
use serde_json::json;

use crate::score::{OffsetUnit, Offsets};
use crate::text::{scalar_from_utf16, scalar_len, slice, utf16_from_scalar};
use crate::*;

fn spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "text",
        "controls": [
            {
                "name": "entities", "type": "text_spans", "overlap": "same_label_forbidden",
                "guideline": "entities", "tolerance": {"span_boundary_chars": 1},
                "labels": [
                    {"value": "PERSON", "hotkey": "1", "guideline": "person"},
                    {"value": "PLACE", "hotkey": "2"}
                ]
            },
            {
                "name": "sentiment", "type": "choice", "required": true, "prompt": "Tone",
                "labels": [{"value": "positive"}, {"value": "negative"}]
            }
        ]
    }))
    .unwrap()
}

fn text_item(text: &str) -> Item {
    Item { id: "i1".into(), media: Media::Text { text: text.into() }, candidates: Vec::new() }
}

fn span(id: &str, start: usize, end: usize, label: &str) -> Region {
    Region {
        id: id.into(),
        control: "entities".into(),
        value: RegionValue::TextSpan { start, end, label: label.into() },
        attributes: Default::default(),
    }
}

fn choice(id: &str, labels: &[&str]) -> Region {
    Region {
        id: id.into(),
        control: "sentiment".into(),
        value: RegionValue::Choice { labels: labels.iter().map(|l| l.to_string()).collect() },
        attributes: Default::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Serde: every region kind and every media kind survives a JSON round trip unchanged.

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "round trip changed the value; JSON was {json}");
    json
}

#[test]
fn every_region_kind_round_trips() {
    let regions = [
        RegionValue::Choice { labels: vec!["positive".into()] },
        RegionValue::TextSpan { start: 3, end: 9, label: "PERSON".into() },
        RegionValue::BBox { x: 1.5, y: 2.0, width: 30.0, height: 40.25, rotation: 0.0, label: "car".into() },
        RegionValue::Polygon { points: vec![[0.0, 0.0], [10.0, 0.0], [5.0, 8.5]], label: "roof".into() },
        RegionValue::Keypoint { x: 4.0, y: 5.0, label: "nose".into() },
        RegionValue::AudioSegment { start: 0.25, end: 1.5, label: "speech".into(), transcript: Some("hello".into()) },
        RegionValue::VideoBox {
            frame: 12,
            x: 1.0,
            y: 2.0,
            width: 3.0,
            height: 4.0,
            rotation: 0.0,
            label: "ball".into(),
        },
        RegionValue::VideoTrack {
            label: "player".into(),
            keyframes: vec![
                Keyframe { frame: 0, x: 0.0, y: 0.0, width: 10.0, height: 10.0, rotation: 0.0, outside: false },
                Keyframe { frame: 10, x: 20.0, y: 0.0, width: 10.0, height: 10.0, rotation: 0.0, outside: true },
            ],
        },
        RegionValue::VideoSegment { start_frame: 5, end_frame: 50, label: "goal".into() },
        RegionValue::Pairwise { choice: PairChoice::Tie, rationale: Some("both fine".into()) },
        RegionValue::BBox { x: 1.5, y: 2.0, width: 30.0, height: 40.25, rotation: -12.5, label: "car".into() },
        RegionValue::TextArea { text: vec!["first line".into(), "".into(), "third".into()] },
        RegionValue::Ranking {
            order: vec!["b".into(), "a".into()],
            buckets: [("best".to_string(), vec!["b".to_string()])].into_iter().collect(),
        },
    ];
    let mut kinds = Vec::new();
    for value in regions {
        let mut attributes = std::collections::BTreeMap::new();
        attributes.insert("occluded".to_string(), "yes".to_string());
        let region = Region { id: "r".into(), control: "c".into(), value, attributes };
        let json = round_trip(&region);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        kinds.push(parsed["type"].as_str().unwrap().to_string());
    }
    expect![[r#"choice text_span b_box polygon keypoint audio_segment video_box video_track video_segment pairwise b_box text_area ranking"#]]
        .assert_eq(&kinds.join(" "));
}

/// The JSON shapes docs/formats.md promises for rotation, text areas and rankings: optional
/// fields absent when they hold their default, and read back when absent.
#[test]
fn rotation_text_areas_and_rankings_have_their_documented_json() {
    let parse = |v: serde_json::Value| -> RegionValue { serde_json::from_value(v).unwrap() };
    let write = |v: &RegionValue| serde_json::to_string(v).unwrap();
    let plain = parse(json!({"type": "b_box", "x": 1, "y": 2, "width": 3, "height": 4, "label": "car"}));
    assert!(matches!(plain, RegionValue::BBox { rotation, .. } if rotation == 0.0));
    expect![[r#"{"type":"b_box","x":1.0,"y":2.0,"width":3.0,"height":4.0,"label":"car"}"#]].assert_eq(&write(&plain));
    let turned = parse(
        json!({"type": "video_box", "frame": 3, "x": 1, "y": 2, "width": 3, "height": 4, "rotation": 30, "label": "car"}),
    );
    expect![[
        r#"{"type":"video_box","frame":3,"x":1.0,"y":2.0,"width":3.0,"height":4.0,"rotation":30.0,"label":"car"}"#
    ]]
    .assert_eq(&write(&turned));
    let track = parse(json!({"type": "video_track", "label": "car", "keyframes": [
        {"frame": 0, "x": 0, "y": 0, "width": 5, "height": 5},
        {"frame": 4, "x": 0, "y": 0, "width": 5, "height": 5, "rotation": 90}]}));
    expect![[r#"{"type":"video_track","label":"car","keyframes":[{"frame":0,"x":0.0,"y":0.0,"width":5.0,"height":5.0},{"frame":4,"x":0.0,"y":0.0,"width":5.0,"height":5.0,"rotation":90.0}]}"#]]
        .assert_eq(&write(&track));
    let notes = parse(json!({"type": "text_area", "text": ["a", "b"]}));
    expect![[r#"{"type":"text_area","text":["a","b"]}"#]].assert_eq(&write(&notes));
    let flat = parse(json!({"type": "ranking", "order": ["x", "y"]}));
    expect![[r#"{"type":"ranking","order":["x","y"]}"#]].assert_eq(&write(&flat));
    let bucketed = parse(json!({"type": "ranking", "buckets": {"best": ["x"], "rest": []}}));
    expect![[r#"{"type":"ranking","buckets":{"best":["x"],"rest":[]}}"#]].assert_eq(&write(&bucketed));
    // Controls that take no labels may leave them out.
    let ranker: Control = serde_json::from_value(json!({"name": "r", "type": "ranker"})).unwrap();
    assert_eq!((&ranker.kind, ranker.labels.len()), (&ControlKind::Ranker { buckets: Vec::new() }, 0));
    expect![[r#"{"name":"r","prompt":"","type":"ranker","labels":[],"required":false,"tolerance":{}}"#]]
        .assert_eq(&serde_json::to_string(&ranker).unwrap());
}

#[test]
fn every_media_kind_and_gold_round_trips() {
    let media = [
        Media::Text { text: "Zoë in Lisbon".into() },
        Media::Image { src: "img.png".into(), width: 640, height: 480 },
        Media::Audio { src: "a.wav".into(), duration: 3.5, sample_rate: Some(16000), channels: Some(1) },
        Media::Video { src: "v.mp4".into(), width: 320, height: 240, frame_rate: 25.0, frame_count: 250 },
    ];
    for m in media {
        let source = ItemSource {
            item: Item { id: "x".into(), media: m, candidates: vec![Media::Text { text: "A".into() }] },
            gold: Some(Gold {
                mode: GoldMode::Honeypot,
                answer: vec![choice("g1", &["positive"])],
                tolerance: [("entities".to_string(), Tolerance { span_min_overlap: Some(0.5), ..Default::default() })]
                    .into_iter()
                    .collect(),
                explanation: "because".into(),
                guideline: Some("sentiment".into()),
            }),
        };
        round_trip(&source);
    }
    round_trip(&spec());
    round_trip(&Annotation {
        item_id: "i".into(),
        annotator: "ana".into(),
        created_at_ms: 1_700_000_000_000,
        lead_time_ms: 5300,
        regions: vec![span("r1", 0, 3, "PERSON")],
    });
}

#[test]
fn every_control_kind_parses_from_the_documented_json() {
    let kinds = [
        json!({"type": "choice", "multiple": true}),
        json!({"type": "text_spans", "overlap": "all_forbidden"}),
        json!({"type": "b_box"}),
        json!({"type": "polygon"}),
        json!({"type": "keypoint"}),
        json!({"type": "audio_segments", "transcript": true}),
        json!({"type": "video_boxes"}),
        json!({"type": "video_tracks"}),
        json!({"type": "video_segments"}),
        json!({"type": "pairwise", "allow_tie": true}),
        json!({"type": "text_area"}),
        json!({"type": "ranker"}),
        json!({"type": "ranker", "buckets": ["best", "worst"]}),
    ];
    for mut kind in kinds {
        kind["name"] = json!("c");
        kind["labels"] = json!([]);
        let control: Control = serde_json::from_value(kind.clone()).unwrap();
        assert_eq!(kind["type"], control.kind.name());
        round_trip(&control);
    }
}

#[test]
fn track_boxes_interpolate_between_keyframes_and_vanish_when_outside() {
    let k = |frame, x, outside| Keyframe { frame, x, y: 0.0, width: 10.0, height: 10.0, rotation: 0.0, outside };
    let keyframes = [k(10, 0.0, false), k(20, 100.0, false), k(30, 100.0, true), k(40, 50.0, false)];
    let xs: Vec<String> = [5, 10, 15, 20, 25, 35, 40, 41]
        .iter()
        .map(|&f| track_box_at(&keyframes, f).map_or("-".to_string(), |b| b.x.to_string()))
        .collect();
    expect![[r#"- 0 50 100 100 - 50 -"#]].assert_eq(&xs.join(" "));
}

#[test]
fn track_rotation_interpolates_with_the_box() {
    let k = |frame, rotation| Keyframe { frame, x: 0.0, y: 0.0, width: 10.0, height: 10.0, rotation, outside: false };
    // Linear in the values as given: 350 → 370 is the short way through 0.
    let keyframes = [k(0, 0.0), k(10, 90.0), k(20, 350.0), k(30, 370.0)];
    let rotations: Vec<String> = [0, 5, 10, 15, 25, 30]
        .iter()
        .map(|&f| track_box_at(&keyframes, f).map_or("-".to_string(), |b| b.rotation.to_string()))
        .collect();
    expect![[r#"0 45 90 220 360 370"#]].assert_eq(&rotations.join(" "));
}

// ---------------------------------------------------------------------------------------------
// Text offsets: Unicode scalar values in the model, UTF-16 in the browser.

#[test]
fn offsets_convert_between_scalars_and_utf16() {
    // "🎉" is one scalar, two UTF-16 units; "e\u{301}" is two scalars, two units;
    // Hebrew is stored in logical order like any other text.
    let text = "a🎉 Zoe\u{301} שלום!";
    assert_eq!(scalar_len(text), 13);
    assert_eq!(text.encode_utf16().count(), 14);
    for scalar in 0..=scalar_len(text) {
        let unit = utf16_from_scalar(text, scalar).unwrap();
        assert_eq!(scalar_from_utf16(text, unit), Some(scalar), "scalar {scalar} via unit {unit}");
    }
    assert_eq!(utf16_from_scalar(text, 2), Some(3), "after the emoji");
    // A browser offset inside the surrogate pair snaps to the emoji's start.
    assert_eq!(scalar_from_utf16(text, 2), Some(1));
    assert_eq!(utf16_from_scalar(text, 14), None);
    assert_eq!(scalar_from_utf16(text, 15), None);
    assert_eq!(slice(text, 3, 7), Some("Zoe\u{301}"), "the combining mark belongs to the span");
    assert_eq!(slice(text, 8, 12), Some("שלום"));
    assert_eq!(slice(text, 5, 4), None);
    assert_eq!(slice(text, 0, 99), None);
}

#[test]
fn guideline_sections_have_stable_anchors() {
    let md = "# Overview\n\n## Person names {#person}\n\ntext\n\n## Edge cases\n\n### Edge cases\n\n\
              ## Rules {#rules}\n\n## Rules\n\n## Person\n\n## Rules {#rules-2}\n\n## Rules\n";
    let anchors: Vec<String> = guidelines::sections(md).into_iter().map(|s| s.anchor).collect();
    expect![[r#"overview person edge-cases edge-cases-1 rules rules-1 person-1 rules-2 rules-3"#]]
        .assert_eq(&anchors.join(" "));
}

/// What the server sends the browser for its guidelines: headings carry the anchors `sections`
/// names, raw HTML stays an `html` event (the app shows it as text), and starts and ends pair.
#[test]
fn a_guideline_document_carries_the_sections_anchors_and_raw_html_as_such() {
    use guidelines::{guideline_document, MarkdownEvent, MarkdownTag};
    let md = "# Overview\n\n## Rules {#rules}\n\n<script>x()</script>\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n\
              ## Rules\n\nSee [rules](#rules) and `code`.\n";
    let document = guideline_document(md);
    let heading_anchors: Vec<&str> = document
        .events
        .iter()
        .filter_map(|e| match e {
            MarkdownEvent::Start(MarkdownTag::Heading { anchor, .. }) => Some(anchor.as_str()),
            _ => None,
        })
        .collect();
    let section_anchors: Vec<&str> = document.sections.iter().map(|s| s.anchor.as_str()).collect();
    assert_eq!(heading_anchors, ["overview", "rules", "rules-1"]);
    assert_eq!(heading_anchors, section_anchors);
    assert!(document.events.contains(&MarkdownEvent::Html("<script>x()</script>\n".into())), "{:?}", document.events);
    let starts = document.events.iter().filter(|e| matches!(e, MarkdownEvent::Start(_))).count();
    let ends = document.events.iter().filter(|e| matches!(e, MarkdownEvent::End)).count();
    assert_eq!(starts, ends);
    let json = serde_json::to_string(&document.events).unwrap();
    assert!(json.contains(r#"{"start":{"table":{"alignments":["left","right"]}}}"#), "{json}");
    assert!(json.contains(r##"{"start":{"link":{"href":"#rules","title":""}}}"##), "{json}");
    assert_eq!(serde_json::from_str::<Vec<MarkdownEvent>>(&json).unwrap(), document.events);
}

#[test]
fn spec_check_finds_dangling_anchors_and_duplicates() {
    let mut spec = spec();
    spec.controls[0].labels.push(Label {
        min_iou: None,
        kappa: None,
        value: "PERSON".into(),
        hotkey: Some("2".into()),
        color: None,
        guideline: None,
    });
    let problems: Vec<String> = check_spec(&spec, Some("## Entities\n")).iter().map(|p| p.to_string()).collect();
    expect![[r#"
        controls[0].labels[2].value: label `PERSON` appears twice in `entities`
        controls[0].labels[2].hotkey: hotkey `2` is bound to both `PLACE` and `PERSON`
        controls[0].labels[0].guideline: guideline section `person` does not exist"#]]
    .assert_eq(&problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Validation.

fn check_validate(text: &str, regions: &[Region], expect: Expect) {
    let findings = validate(&spec(), &text_item(text), regions);
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{:?} {} [{}] {}{}",
                f.severity,
                f.code,
                f.regions.join(","),
                f.message,
                f.guideline.as_ref().map(|g| format!(" #{g}")).unwrap_or_default()
            )
        })
        .collect();
    expect.assert_eq(&lines.join("\n"));
}

#[test]
fn a_clean_annotation_has_no_findings() {
    check_validate(
        "Ana moved to Lisbon.",
        &[span("r1", 0, 3, "PERSON"), span("r2", 13, 19, "PLACE"), choice("r3", &["positive"])],
        expect![[""]],
    );
}

#[test]
fn required_choice_and_unknown_labels_are_reported() {
    check_validate(
        "Ana moved.",
        &[span("r1", 0, 3, "ANIMAL"), choice("r2", &[])],
        expect![[r#"
            Error unknown_label [r1] `ANIMAL` is not a label of `entities` (allowed: PERSON, PLACE) #entities
            Error required [] answer required: Tone"#]],
    );
}

#[test]
fn single_choice_takes_one_label_and_regions_need_known_controls() {
    check_validate(
        "Ana moved.",
        &[
            choice("r1", &["positive", "negative"]),
            Region { control: "mood".into(), ..choice("r2", &["positive"]) },
            Region { value: RegionValue::Keypoint { x: 0.0, y: 0.0, label: "PERSON".into() }, ..span("r3", 0, 1, "x") },
            choice("r1", &[]),
        ],
        expect![[r#"
            Error unknown_control [r2] region `r2` answers `mood`, which is not a control of this task
            Error wrong_region_type [r3] `entities` takes text_spans answers, not this kind of region #entities
            Error duplicate_region_id [r1] region id `r1` is used twice
            Error choice_repeated [r1,r1] `sentiment` is answered more than once"#]],
    );
}

#[test]
fn spans_must_lie_inside_the_text_and_not_start_or_end_with_space() {
    check_validate(
        "Ana moved to Lisbon.",
        &[
            span("r1", 0, 4, "PERSON"),
            span("r2", 12, 19, "PLACE"),
            span("r3", 15, 99, "PLACE"),
            span("r4", 5, 5, "PLACE"),
            span("r5", 3, 4, "PLACE"),
            span("r6", 7, 3, "PLACE"),
            choice("r7", &["positive"]),
        ],
        expect![[r#"
            Error span_whitespace_edge [r1] PERSON span “Ana” has white space at its end #entities
            Error span_whitespace_edge [r2] PLACE span “Lisbon” has white space at its start #entities
            Error span_out_of_bounds [r3] span 15–99 lies outside the text (0–20) #entities
            Error span_empty [r4] span at 5 is empty #entities
            Error span_empty [r5] span 3–4 covers only white space #entities
            Error span_out_of_bounds [r6] span 7–3 lies outside the text (0–20) #entities"#]],
    );
}

#[test]
fn overlap_rule_forbids_same_label_overlaps_only() {
    check_validate(
        "New York City Hall",
        &[
            span("r1", 0, 8, "PLACE"),
            span("r2", 4, 13, "PLACE"),
            span("r3", 0, 18, "PERSON"),
            span("r4", 9, 18, "PLACE"),
            choice("c", &["positive"]),
        ],
        expect![[r#"
            Error span_overlap [r1,r2] PLACE spans “New York” and “York City” overlap #entities
            Error span_overlap [r2,r4] PLACE spans “York City” and “City Hall” overlap #entities"#]],
    );
}

#[test]
fn overlap_rule_all_forbidden_reports_every_overlapping_span() {
    let mut spec = spec();
    spec.controls[0].kind = ControlKind::TextSpans { overlap: SpanOverlap::AllForbidden };
    let item = text_item("New York City Hall");
    let regions =
        [span("a", 0, 18, "PERSON"), span("b", 0, 3, "PLACE"), span("c", 4, 8, "PLACE"), span("d", 9, 13, "PERSON")];
    let findings = validate(&spec, &item, &regions);
    let pairs: Vec<String> = findings.iter().map(|f| f.regions.join("+")).collect();
    expect!["b+a a+c a+d "].assert_eq(&pairs.join(" "));
}

#[test]
fn validation_never_panics_on_hostile_offsets_and_labels() {
    let text = "e\u{301}🎉";
    let mut regions = Vec::new();
    for start in [0, 1, 2, 3, 4, usize::MAX] {
        for end in [0, 1, 2, 3, 4, usize::MAX] {
            regions.push(span(&format!("{start}-{end}"), start, end, "PLACE"));
        }
    }
    regions.push(choice("c", &["positive"]));
    let findings = validate(&spec(), &text_item(text), &regions);
    assert!(findings.iter().any(|f| f.code == "span_out_of_bounds"));
    assert!(findings.iter().any(|f| f.code == "span_overlap"));
}

// ---------------------------------------------------------------------------------------------
// Gold scoring.

fn gold(answer: Vec<Region>) -> Gold {
    Gold {
        mode: GoldMode::Training,
        answer,
        tolerance: Default::default(),
        explanation: String::new(),
        guideline: None,
    }
}

fn check_score(text: &str, gold: &Gold, regions: &[Region], expect: Expect) {
    let report = score_gold(&spec(), &text_item(text), gold, regions);
    let mut lines = vec![format!("passed={} score={:.3}", report.passed, report.score)];
    if let Some(e) = &report.explanation {
        lines.push(format!(
            "explanation: {}{}",
            e.text,
            e.guideline.as_ref().map(|g| format!(" #{g}")).unwrap_or_default()
        ));
    }
    for v in &report.verdicts {
        lines.push(format!(
            "{} {}~{} {:?}",
            v.control,
            v.region.as_deref().unwrap_or("-"),
            v.gold_region.as_deref().unwrap_or("-"),
            v.verdict
        ));
    }
    for f in &report.feedback {
        lines.push(format!("> {}{}", f.message, f.guideline.as_ref().map(|g| format!(" #{g}")).unwrap_or_default()));
    }
    expect.assert_eq(&lines.join("\n"));
}

const SENTENCE: &str = "Dr. Ana Lima flew from Porto to Lisbon.";

fn sentence_gold() -> Gold {
    gold(vec![
        span("g1", 4, 12, "PERSON"),
        span("g2", 23, 28, "PLACE"),
        span("g3", 32, 38, "PLACE"),
        choice("g4", &["positive"]),
    ])
}

#[test]
fn annotation_equal_to_gold_scores_one() {
    let g = sentence_gold();
    let report = score_gold(&spec(), &text_item(SENTENCE), &g, &g.answer);
    assert_eq!(report.score, 1.0);
    assert!(report.passed);
    assert!(report.verdicts.iter().all(|v| v.verdict.is_correct()));
    assert!(report.feedback.is_empty());
}

#[test]
fn span_feedback_names_matched_missed_extra_wrong_label_and_boundaries() {
    check_score(
        SENTENCE,
        &sentence_gold(),
        &[
            span("a", 0, 12, "PERSON"),  // starts 4 early: outside the 1-char tolerance
            span("b", 23, 28, "PERSON"), // right place, wrong label
            span("c", 13, 17, "PLACE"),  // not in gold
            choice("d", &["negative"]),
        ],
        expect![[r#"
            passed=false score=0.000
            entities a~g1 BoundaryOff { offsets: Some(Offsets { start: -4, end: 0, unit: Chars }), overlap: Some(0.6666666666666666), directions: [StartsTooEarly] }
            entities b~g2 WrongLabel { expected: Some("PLACE"), got: "PERSON" }
            entities -~g3 Missed
            entities c~- Extra
            sentiment d~g4 WrongLabel { expected: Some("positive"), got: "negative" }
            > PERSON “Dr. Ana Lima”: boundary off by 4 (start -4, end +0); gold is “Ana Lima” #person
            > “Porto” is PLACE, not PERSON #entities
            > missed PLACE “Lisbon” (32–38) #entities
            > “flew” is not marked PLACE in gold #entities
            > Tone: you chose negative; gold is positive"#]],
    );
}

#[test]
fn boundary_within_tolerance_matches_and_says_so() {
    check_score(
        SENTENCE,
        &sentence_gold(),
        &[
            span("a", 4, 12, "PERSON"),
            span("b", 23, 28, "PLACE"),
            span("c", 32, 39, "PLACE"),
            choice("d", &["positive"]),
        ],
        expect![[r#"
            passed=true score=1.000
            entities a~g1 Matched { offsets: Some(Offsets { start: 0, end: 0, unit: Chars }) }
            entities b~g2 Matched { offsets: Some(Offsets { start: 0, end: 0, unit: Chars }) }
            entities c~g3 Matched { offsets: Some(Offsets { start: 0, end: 1, unit: Chars }) }
            sentiment d~g4 Matched { offsets: None }
            > PLACE “Lisbon.”: accepted, boundary off by 1 within tolerance (gold “Lisbon”) #entities"#]],
    );
}

#[test]
fn gold_tolerance_override_tightens_the_control_default() {
    let mut g = sentence_gold();
    g.tolerance.insert("entities".into(), Tolerance { span_boundary_chars: Some(0), ..Default::default() });
    let report = score_gold(
        &spec(),
        &text_item(SENTENCE),
        &g,
        &[
            span("a", 4, 12, "PERSON"),
            span("b", 23, 28, "PLACE"),
            span("c", 32, 39, "PLACE"),
            choice("d", &["positive"]),
        ],
    );
    // Spans: 2 matched, 1 boundary miss → F1 = 4 / (4 + 2); sentiment 1 → mean 5/6.
    assert!((report.score - 5.0 / 6.0).abs() < 1e-12, "score {}", report.score);
    assert!(matches!(
        report.verdicts[2].verdict,
        Verdict::BoundaryOff { offsets: Some(Offsets { start: 0, end: 1, unit: OffsetUnit::Chars }), .. }
    ));
}

#[test]
fn overlap_tolerance_accepts_spans_with_enough_iou() {
    let mut g = sentence_gold();
    g.tolerance.insert(
        "entities".into(),
        Tolerance { span_min_overlap: Some(0.6), span_boundary_chars: Some(0), ..Default::default() },
    );
    let report = score_gold(&spec(), &text_item(SENTENCE), &g, &[span("a", 0, 12, "PERSON")]);
    assert!(matches!(
        report.verdicts[0].verdict,
        Verdict::Matched { offsets: Some(Offsets { start: -4, end: 0, unit: OffsetUnit::Chars }) }
    ));
    assert!(matches!(report.verdicts[3].verdict, Verdict::Missed), "no sentiment answer");
}

#[test]
fn matching_prefers_the_correct_pair_over_a_wrong_label() {
    // The ORG-labelled span overlaps gold more, but the PERSON one is a match within tolerance.
    let g = gold(vec![span("g1", 4, 12, "PERSON")]);
    check_score(
        SENTENCE,
        &g,
        &[span("x", 4, 12, "PLACE"), span("y", 4, 11, "PERSON")],
        expect![[r#"
            passed=false score=0.667
            entities y~g1 Matched { offsets: Some(Offsets { start: 0, end: -1, unit: Chars }) }
            entities x~- Extra
            > PERSON “Ana Lim”: accepted, boundary off by 1 within tolerance (gold “Ana Lima”) #person
            > “Ana Lima” is not marked PLACE in gold #entities"#]],
    );
}

#[test]
fn explanation_is_its_own_field_with_its_guideline() {
    let mut g = gold(vec![choice("g", &["positive"])]);
    g.explanation = "The launch is good news.".into();
    g.guideline = Some("sentiment".into());
    check_score(
        "x",
        &g,
        &[],
        expect![[r#"
            passed=false score=0.000
            explanation: The launch is good news. #sentiment
            sentiment -~g Missed
            > Tone: no answer; gold is positive"#]],
    );
}

#[test]
fn token_snapping_widens_to_whole_words_and_keeps_combining_marks() {
    let text = "Zoe\u{308} Lindqvist-Berg, 42";
    let snap = |s, e| {
        let (s, e) = text::snap_to_tokens(text, s, e);
        slice(text, s, e).unwrap().to_string()
    };
    assert_eq!(snap(0, 3), "Zoe\u{308}", "the combining mark belongs to the word");
    assert_eq!(snap(6, 9), "Lindqvist");
    assert_eq!(snap(5, 14), "Lindqvist", "already whole");
    assert_eq!(snap(21, 22), "42");
    assert_eq!(text::snap_to_tokens(text, 9, 3), (9, 3), "reversed ranges are left alone");

    let mut s = spec();
    s.rules = serde_json::from_value(json!([{"rule": "token_boundaries", "control": "entities"}])).unwrap();
    let findings = validate(&s, &text_item(text), &[span("r1", 6, 9, "PERSON"), choice("c", &["positive"])]);
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    expect![[r#"PERSON span “ind” cuts a word at its both ends; the whole word is “Lindqvist”"#]]
        .assert_eq(&messages.join("\n"));
}
