//! Rotated boxes, text areas and rankings (the kinds Label Studio's RectangleLabels with
//! rotation, TextArea and Ranker bring): validation, limits and gold scoring.

use expect_test::{expect, Expect};
use serde_json::json;

use super::media::{gold, region};
use crate::check::limits::check_limits;
use crate::check::spec::check_spec;
use crate::reveal::GoldReveal;
use crate::*;

fn spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "image",
        "controls": [
            {"name": "boxes", "type": "b_box", "labels": [{"value": "car"}]},
            {"name": "notes", "type": "text_area", "prompt": "Describe the scene", "required": true,
             "normalization": {"lowercase": true, "strip_punctuation": true, "collapse_whitespace": true},
             "tolerance": {"max_wer": 0.25}},
            {"name": "rank", "type": "ranker", "buckets": ["good", "bad"]},
            {"name": "order", "type": "ranker"}
        ],
        "rules": [
            {"rule": "no_overlap", "control": "boxes", "max_iou": 0.1},
            {"rule": "min_size", "control": "boxes", "min_width": 5, "min_height": 5}
        ]
    }))
    .unwrap()
}

fn image() -> Item {
    Item { id: "img".into(), media: Media::Image { src: "a.png".into(), width: 200, height: 100 }, candidates: vec![] }
}

/// Side of a square whose 45° turn is a diamond of half-diagonal 10.
const DIAMOND_SIDE: f64 = 10.0 * std::f64::consts::SQRT_2;

fn turned(id: &str, x: f64, y: f64, width: f64, height: f64, rotation: f64) -> Region {
    Region {
        id: id.into(),
        control: "boxes".into(),
        value: RegionValue::BBox { x, y, width, height, rotation, label: "car".into() },
        attributes: Default::default(),
    }
}

fn notes(id: &str, lines: &[&str]) -> Region {
    region(id, "notes", json!({"type": "text_area", "text": lines}))
}

fn ranking(id: &str, control: &str, order: &[&str], buckets: serde_json::Value) -> Region {
    region(id, control, json!({"type": "ranking", "order": order, "buckets": buckets}))
}

fn check_findings(regions: &[Region], expect: Expect) {
    let lines: Vec<String> = validate(&spec(), &image(), regions)
        .iter()
        .map(|f| format!("{} [{}] {}", f.code, f.regions.join(","), f.message))
        .collect();
    expect.assert_eq(&lines.join("\n"));
}

fn check_report(gold_regions: Vec<Region>, regions: &[Region], expect: Expect) {
    let report = score_gold(&spec(), &image(), &gold(gold_regions), regions);
    let mut lines = vec![format!("score={:.3}", report.score)];
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
    lines.extend(report.feedback.iter().map(|f| format!("> {}", f.message)));
    expect.assert_eq(&lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Rotated boxes.

#[test]
fn rotated_boxes_are_checked_by_their_corners_and_overlap_by_their_polygons() {
    let n = notes("n", &["a car"]);
    check_findings(
        &[
            n.clone(),
            // Inside: the diamond (60, 20)–(70, 30)–(60, 40)–(50, 30).
            turned("inside", 60.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 45.0),
            // Its unturned box (5, 20, 14.1 × 14.1) lies inside, its left corner at x = −5 not.
            turned("corner_out", 5.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 45.0),
            // A quarter turn about (195, 50) sweeps the 30 × 10 box to x 185–195: inside, though
            // the unturned box would reach x = 225.
            turned("quarter", 195.0, 50.0, 30.0, 10.0, 90.0),
            // 4 px wide: too narrow for min_size, whatever its 45° bounds (17 × 17).
            turned("narrow", 150.0, 5.0, 4.0, 20.0, 45.0),
        ],
        expect![[r#"
            outside_media [corner_out] car box `corner_out` (5.0, 20.0, 14.1×14.1, turned 45.0°) reaches outside the 200×100 frame
            min_size [narrow] region `narrow` is 4×20 px, smaller than the minimum width 5 height 5"#]],
    );
    // Two diamonds whose centres are 10 px apart overlap with IoU 50 / 350 (see the geometry
    // tests); their unturned squares would have IoU 58.6 / 341.4 = 0.17.
    check_findings(
        &[
            n.clone(),
            turned("d1", 50.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 45.0),
            turned("d2", 60.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 405.0),
        ],
        expect![[r#"overlap [d1,d2] regions `d1` and `d2` overlap (IoU 0.14)"#]],
    );
    // A rotation that is not a number is reported as such (JSON cannot carry it; a client can).
    check_findings(
        &[n, turned("nan", 50.0, 20.0, 10.0, 10.0, f64::NAN)],
        expect![[r#"not_finite [nan] car box `nan` has a coordinate that is not a number"#]],
    );
}

#[test]
fn rotated_boxes_match_gold_by_polygon_iou() {
    let diamond = || turned("g", 50.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 45.0);
    // The same diamond written as −315°: IoU 1.
    check_report(
        vec![diamond()],
        &[turned("same", 50.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, -315.0)],
        expect![[r#"
            score=1.000
            boxes: 1.000 mean_iou=1.000
            boxes same~g {"verdict":"matched"}"#]],
    );
    // The unturned square at the same corner covers the diamond's right half below y = 34.1:
    // 100 − 5.86² / 2 = 82.8 of 200, IoU 82.8 / 317.2 = 0.26.
    check_report(
        vec![diamond()],
        &[turned("flat", 50.0, 20.0, DIAMOND_SIDE, DIAMOND_SIDE, 0.0)],
        expect![[r#"
            score=0.000
            boxes: 0.000 mean_iou=0.000
            boxes flat~g {"directions":["shifted"],"overlap":0.2612038749637414,"verdict":"low_overlap"}
            > car box `flat` overlaps gold with IoU 0.26; 0.50 is needed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// Text areas and rankings: validation and limits.

#[test]
fn text_areas_are_required_and_answered_once() {
    check_findings(&[notes("n", &["  ", ""])], expect![[r#"required [] answer required: Describe the scene"#]]);
    check_findings(
        &[notes("n1", &["a car"]), notes("n2", &["a bus"])],
        expect![[r#"choice_repeated [n1,n2] `notes` is answered more than once"#]],
    );
    check_findings(
        &[notes("n", &["x"]), region("r", "notes", json!({"type": "ranking", "order": ["a"]}))],
        expect![[r#"wrong_region_type [r] `notes` takes text_area answers, not this kind of region"#]],
    );
}

#[test]
fn rankings_use_known_buckets_and_rank_each_id_once() {
    let n = notes("n", &["x"]);
    check_findings(
        &[
            n.clone(),
            ranking("r", "rank", &["a", "b", "a", "c", "c"], json!({"good": ["a", "b"], "meh": ["d"], "bad": ["b"]})),
        ],
        expect![[r#"
            unknown_bucket [r] `meh` is not a bucket of `rank` (allowed: good, bad)
            ranked_twice [r] `a` is ranked more than once in `r` (and 1 more repeated id)
            ranked_twice [r] `b` is ranked more than once in `r`"#]],
    );
    // A ranker without listed buckets takes any; an id may be both ranked and in a bucket.
    check_findings(&[n.clone(), ranking("o", "order", &["a", "b"], json!({"anything": ["a"]}))], expect![[r#""#]]);
    check_findings(
        &[n, ranking("o1", "order", &["a"], json!({})), ranking("o2", "order", &["b"], json!({}))],
        expect![[r#"choice_repeated [o1,o2] `order` is answered more than once"#]],
    );
}

#[test]
fn limits_count_text_area_characters_and_ranked_ids() {
    let mut s = spec();
    s.limits.transcript_chars = 9;
    s.limits.regions = 5;
    // "abcd\nefgh" is 9 characters with the newline; one more line is too long.
    assert_eq!(check_limits(&s, &[notes("n", &["abcd", "efgh"])]), Ok(()));
    let err = check_limits(&s, &[notes("n", &["abcd", "efgh", ""])]).unwrap_err();
    expect![[r#"10 characters in one transcript, rationale or text area (region `n`); this project allows at most 9 (limits.transcript_chars)"#]]
        .assert_eq(&err.to_string());
    // Three ranked ids plus one bucket holding two: 6 entries.
    let err = check_limits(&s, &[ranking("r", "order", &["a", "b", "c"], json!({"x": ["a", "b"]}))]).unwrap_err();
    expect![[r#"6 ids and buckets in one ranking (region `r`); this project allows at most 5 (limits.regions)"#]]
        .assert_eq(&err.to_string());
}

// ---------------------------------------------------------------------------------------------
// Text areas and rankings: gold scoring.

#[test]
fn text_areas_pass_within_the_word_error_rate() {
    let g = || vec![notes("g", &["The red car,", "parked."])];
    // Normalised, both read "the red car parked".
    check_report(
        g(),
        &[notes("n", &["the red car   parked"])],
        expect![[r#"
            score=1.000
            notes: 1.000 wer=0.000
            notes n~g {"verdict":"matched"}"#]],
    );
    // One word of four wrong: WER 0.25, at the tolerance.
    check_report(
        g(),
        &[notes("n", &["the blue car parked"])],
        expect![[r#"
            score=1.000
            notes: 1.000 wer=0.250
            notes n~g {"verdict":"matched"}"#]],
    );
    check_report(
        g(),
        &[notes("n", &["a blue bus", "parked"])],
        expect![[r#"
            score=0.000
            notes: 0.000 wer=0.750
            notes n~g {"verdict":"transcript_off","wer":0.75}
            > Describe the scene: WER 75% (at most 25%); gold reads “the red car parked”"#]],
    );
    check_report(
        g(),
        &[],
        expect![[r#"
            score=0.000
            notes: 0.000 
            notes -~g {"verdict":"missed"}
            > Describe the scene: no answer"#]],
    );
    // Without gold text the control is not scored.
    check_report(vec![], &[notes("n", &["anything"])], expect![[r#"score=1.000"#]]);
}

#[test]
fn rankings_score_by_kendall_distance_and_bucket_jaccard() {
    let n = || notes("n", &["x"]);
    let gn = || notes("gn", &["x"]);
    let check = |gold_ranking: Region, mine: Region, expect: Expect| {
        check_report(vec![gn(), gold_ranking], &[n(), mine], expect)
    };
    // One neighbour pair swapped: 1 of 6 pairs discordant, 5/6.
    check(
        ranking("g", "order", &["a", "b", "c", "d"], json!({})),
        ranking("r", "order", &["b", "a", "c", "d"], json!({})),
        expect![[r#"
            score=0.917
            notes: 1.000 wer=0.000
            order: 0.833 kendall_distance=0.167
            notes n~gn {"verdict":"matched"}
            order r~g {"agreement":0.8333333333333334,"verdict":"ranking_off"}
            > order: your ranking agrees 83% with gold's"#]],
    );
    // Ids gold does not rank do not count.
    check(
        ranking("g", "order", &["a", "b", "c"], json!({})),
        ranking("r", "order", &["a", "x", "b", "c"], json!({})),
        expect![[r#"
            score=1.000
            notes: 1.000 wer=0.000
            order: 1.000 kendall_distance=0.000
            notes n~gn {"verdict":"matched"}
            order r~g {"verdict":"matched"}"#]],
    );
    // Buckets: good {a} vs {a, b} = 1/2, bad {b, c} vs {c} = 1/2; with the order (reversed,
    // 0) the score is the mean of the two parts.
    check(
        ranking("g", "rank", &["a", "b"], json!({"good": ["a", "b"], "bad": ["c"]})),
        ranking("r", "rank", &["b", "a"], json!({"good": ["a"], "bad": ["b", "c"]})),
        expect![[r#"
            score=0.625
            notes: 1.000 wer=0.000
            rank: 0.250 bucket_jaccard=0.500 kendall_distance=1.000
            notes n~gn {"verdict":"matched"}
            rank r~g {"agreement":0.25,"verdict":"ranking_off"}
            > rank: your ranking agrees 25% with gold's"#]],
    );
    check_report(
        vec![gn(), ranking("g", "rank", &["a"], json!({}))],
        &[n()],
        expect![[r#"
            score=0.500
            notes: 1.000 wer=0.000
            rank: 0.000 
            notes n~gn {"verdict":"matched"}
            rank -~g {"verdict":"missed"}
            > rank: no ranking"#]],
    );
}

#[test]
fn hints_withhold_the_agreement_and_the_gold_text() {
    let g = gold(vec![notes("g", &["the red car"]), ranking("gr", "order", &["a", "b"], json!({}))]);
    let mine = [notes("n", &["a blue bus"]), ranking("r", "order", &["b", "a"], json!({}))];
    let report = score_gold(&spec(), &image(), &g, &mine);
    let hints = GoldReveal::new(&g, report, RevealPolicy::Hints);
    let json = serde_json::to_string(&hints.report).unwrap();
    assert!(!json.contains("red") && !json.contains("agreement") && !json.contains("\"wer\""), "{json}");
    let messages: Vec<&str> = hints.report.feedback.iter().map(|f| f.message.as_str()).collect();
    expect![[r#"["Describe the scene: your text differs from gold: read the item again", "order: your ranking differs from gold's"]"#]]
        .assert_eq(&format!("{messages:?}"));
}

#[test]
fn spec_check_wants_named_distinct_buckets() {
    let mut s = spec();
    s.controls[2].kind = ControlKind::Ranker { buckets: vec!["good".into(), " ".into(), "good".into()] };
    let problems: Vec<String> = check_spec(&s, None).iter().map(|p| p.to_string()).collect();
    expect![[r#"
        controls[2].buckets[1]: a bucket needs a name
        controls[2].buckets[2]: bucket `good` appears twice in `rank`"#]]
    .assert_eq(&problems.join("\n"));
    assert!(check_spec(&spec(), None).is_empty());
}
