//! The reviewer's overlay: worked examples per region kind with values worked out by hand, the
//! agreement with gold scoring's matcher, and the grouping invariants as properties.

use annoqa_core::{score_gold, Gold, GoldMode, Item, Media, Region, RegionValue, TaskSpec, Verdict};
use proptest::prelude::*;
use serde_json::json;

use crate::overlay::*;

fn spec(controls: serde_json::Value) -> TaskSpec {
    serde_json::from_value(json!({"media": "image", "controls": controls})).unwrap()
}

fn image() -> Item {
    Item { id: "i".into(), media: Media::Image { src: "i.png".into(), width: 100, height: 100 }, candidates: vec![] }
}

fn region(id: &str, control: &str, value: RegionValue) -> Region {
    Region { id: id.into(), control: control.into(), value, attributes: Default::default() }
}

fn bbox(id: &str, x: f64, y: f64, w: f64, h: f64, label: &str) -> Region {
    region(id, "objects", RegionValue::BBox { x, y, width: w, height: h, rotation: 0.0, label: label.into() })
}

fn submission(annotator: &str, regions: Vec<Region>) -> Submission {
    Submission { annotator: annotator.into(), regions }
}

fn box_spec() -> TaskSpec {
    spec(json!([{"name": "objects", "type": "b_box", "labels": [{"value": "car"}, {"value": "person"}]}]))
}

/// The groups as (annotator, index) lists with their class, for short assertions.
fn shape(overlay: &Overlay) -> Vec<(Vec<(usize, usize)>, AgreementClass)> {
    overlay.groups.iter().map(|g| (g.members.iter().map(|m| (m.annotator, m.index)).collect(), g.class)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn boxes_group_classify_and_propose() {
    // Object 1: all three draw a car; IoU of (0,0) with (1,0) and with (0,1) is 90/110.
    // Object 2: a person for annotator 0, a car for annotator 1 (IoU 1): one group, no label
    // has a majority. Annotator 2 adds a car nobody else drew.
    let submissions = [
        submission("ann", vec![bbox("a1", 0.0, 0.0, 10.0, 10.0, "car"), bbox("a2", 50.0, 0.0, 10.0, 10.0, "person")]),
        submission("bo", vec![bbox("b1", 1.0, 0.0, 10.0, 10.0, "car"), bbox("b2", 50.0, 0.0, 10.0, 10.0, "car")]),
        submission("cy", vec![bbox("c1", 0.0, 1.0, 10.0, 10.0, "car"), bbox("c2", 80.0, 80.0, 10.0, 10.0, "car")]),
    ];
    let overlay = overlay(&box_spec(), &image(), &submissions).unwrap();
    assert_eq!(overlay.annotators, ["ann", "bo", "cy"]);
    assert_eq!(
        shape(&overlay),
        [
            (vec![(0, 0), (1, 0), (2, 0)], AgreementClass::AllAgree),
            (vec![(0, 1), (1, 1)], AgreementClass::Disagree),
            (vec![(2, 1)], AgreementClass::Disagree),
        ]
    );
    assert_eq!(overlay.groups[0].label.as_deref(), Some("car"));
    assert_eq!(overlay.groups[1].label, None, "one person, one car: a tie");
    assert_eq!(overlay.groups[0].members[1].id, "b1");
    // Each pair matched one car of its 2 + 2 boxes: F1 = 2·1 / 4 for every pair.
    assert_eq!(
        overlay.pairs.iter().map(|p| (p.a, p.b, p.matched)).collect::<Vec<_>>(),
        [(0, 1, 1), (0, 2, 1), (1, 2, 1)]
    );
    assert!(overlay.pairs.iter().all(|p| close(p.f1, 0.5)));
    assert!(close(overlay.agreement.unwrap(), 0.5));
    // Only object 1 has a majority: the mean box of the three, (1/3, 1/3, 10, 10).
    assert_eq!(overlay.proposal.len(), 1);
    let proposed = &overlay.proposal[0];
    assert_eq!((proposed.group, proposed.support, proposed.region.id.as_str()), (0, 3, "consensus-1"));
    let RegionValue::BBox { x, y, width, height, ref label, .. } = proposed.region.value else { panic!("a box") };
    assert!(close(x, 1.0 / 3.0) && close(y, 1.0 / 3.0) && close(width, 10.0) && close(height, 10.0));
    assert_eq!(label, "car");
}

#[test]
fn spans_take_a_majority_and_median_boundaries() {
    let text_spec: TaskSpec = serde_json::from_value(json!({"media": "text", "controls": [
        {"name": "ner", "type": "text_spans", "labels": [{"value": "PER"}, {"value": "LOC"}],
         "tolerance": {"span_min_overlap": 0.5}}]}))
    .unwrap();
    let item =
        Item { id: "t".into(), media: Media::Text { text: "Alice met Bob in Paris".into() }, candidates: vec![] };
    let span = |id: &str, start, end, label: &str| {
        region(id, "ner", RegionValue::TextSpan { start, end, label: label.into() })
    };
    let submissions = [
        submission("a", vec![span("p", 0, 5, "PER"), span("l", 17, 22, "LOC")]),
        submission("b", vec![span("p", 0, 5, "PER"), span("l", 16, 22, "LOC")]),
        submission("c", vec![span("p", 0, 6, "PER")]),
    ];
    let overlay = overlay(&text_spec, &item, &submissions).unwrap();
    assert_eq!(
        shape(&overlay),
        [(vec![(0, 0), (1, 0), (2, 0)], AgreementClass::AllAgree), (vec![(0, 1), (1, 1)], AgreementClass::Majority)]
    );
    // F1: a–b 2·2/4 = 1, a–c and b–c 2·1/3; the mean is (1 + 4/3) / 3 = 7/9.
    assert!(close(overlay.agreement.unwrap(), 7.0 / 9.0));
    let proposed: Vec<(usize, &RegionValue)> = overlay.proposal.iter().map(|p| (p.support, &p.region.value)).collect();
    // Lower medians: ends 5, 5, 6 → 5; starts 17, 16 → 16.
    assert_eq!(
        proposed,
        [
            (3, &RegionValue::TextSpan { start: 0, end: 5, label: "PER".into() }),
            (2, &RegionValue::TextSpan { start: 16, end: 22, label: "LOC".into() }),
        ]
    );
}

fn choice(id: &str, labels: &[&str]) -> Region {
    region(id, "sentiment", RegionValue::Choice { labels: labels.iter().map(|l| l.to_string()).collect() })
}

fn choice_spec() -> TaskSpec {
    spec(
        json!([{"name": "sentiment", "type": "choice", "labels": [{"value": "pos"}, {"value": "neg"}, {"value": "neu"}]}]),
    )
}

#[test]
fn choices_vote_and_a_tie_proposes_nothing() {
    let answers = |labels: &[&str]| -> Vec<Submission> {
        labels.iter().enumerate().map(|(i, l)| submission(&format!("w{i}"), vec![choice("c", &[l])])).collect()
    };
    let three_of_five = overlay(&choice_spec(), &image(), &answers(&["pos", "pos", "neg", "pos", "neu"])).unwrap();
    assert_eq!(shape(&three_of_five), [(vec![(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)], AgreementClass::Majority)]);
    assert_eq!(three_of_five.proposal[0].support, 3);
    assert_eq!(three_of_five.proposal[0].region.value, RegionValue::Choice { labels: vec!["pos".into()] });
    // Pairs agree 3 times out of 10 (pos–pos three times): mean F1 = 0.3.
    assert!(close(three_of_five.agreement.unwrap(), 0.3));

    let tie = overlay(&choice_spec(), &image(), &answers(&["pos", "neg", "pos", "neg"])).unwrap();
    assert_eq!(tie.groups[0].class, AgreementClass::Disagree);
    assert!(tie.proposal.is_empty(), "two against two: no proposal");

    // Multiple choice: the same labels in another order are the same answer.
    let same = [
        submission("a", vec![choice("c", &["neg", "pos"])]),
        submission("b", vec![choice("c", &["pos", "neg", "pos"])]),
    ];
    let overlay = overlay(&choice_spec(), &image(), &same).unwrap();
    assert_eq!(overlay.groups[0].class, AgreementClass::AllAgree);
    assert_eq!(overlay.groups[0].label.as_deref(), Some("neg, pos"));
}

#[test]
fn media_kinds_match_with_their_own_tolerance() {
    let spec = spec(json!([
        {"name": "speech", "type": "audio_segments", "labels": [{"value": "s"}]},
        {"name": "scenes", "type": "video_segments", "labels": [{"value": "v"}]},
        {"name": "joints", "type": "keypoint", "labels": [{"value": "k"}]},
        {"name": "outline", "type": "polygon", "labels": [{"value": "p"}]}
    ]));
    let square = |x: f64| vec![[x, 0.0], [x + 10.0, 0.0], [x + 10.0, 10.0], [x, 10.0]];
    let regions = |audio: (f64, f64), frames: (u32, u32), point: (f64, f64), shift: f64| {
        vec![
            region(
                "a",
                "speech",
                RegionValue::AudioSegment { start: audio.0, end: audio.1, label: "s".into(), transcript: None },
            ),
            region(
                "v",
                "scenes",
                RegionValue::VideoSegment { start_frame: frames.0, end_frame: frames.1, label: "v".into() },
            ),
            region("k", "joints", RegionValue::Keypoint { x: point.0, y: point.1, label: "k".into() }),
            region("p", "outline", RegionValue::Polygon { points: square(shift), label: "p".into() }),
        ]
    };
    // Onsets 0.1 s apart (collar 0.2 s); frames 10–20 and 11–20 (temporal IoU 10/11); points
    // 1 px apart on a 100 × 100 image (OKS = e^(−1/200)); squares 1 px apart (IoU 90/110).
    let near = [
        submission("x", regions((1.0, 2.0), (10, 20), (50.0, 50.0), 0.0)),
        submission("y", regions((1.1, 2.05), (11, 20), (51.0, 50.0), 1.0)),
    ];
    let overlay = overlay(&spec, &image(), &near).unwrap();
    assert_eq!(overlay.groups.len(), 4);
    assert!(overlay.groups.iter().all(|g| g.members.len() == 2 && g.class == AgreementClass::AllAgree));
    assert!(close(overlay.agreement.unwrap(), 1.0));
    let values: Vec<&RegionValue> = overlay.proposal.iter().map(|p| &p.region.value).collect();
    assert_eq!(values[0], &RegionValue::AudioSegment { start: 1.0, end: 2.0, label: "s".into(), transcript: None });
    assert_eq!(values[1], &RegionValue::VideoSegment { start_frame: 10, end_frame: 20, label: "v".into() });
    assert_eq!(values[2], &RegionValue::Keypoint { x: 50.0, y: 50.0, label: "k".into() });
    assert_eq!(values[3], &RegionValue::Polygon { points: square(0.0), label: "p".into() });
    // Half a second off, frames 10–20 against 16–30, 40 px, 8 px: nothing pairs.
    let far = [
        submission("x", regions((1.0, 2.0), (10, 20), (50.0, 50.0), 0.0)),
        submission("y", regions((1.5, 2.0), (16, 30), (90.0, 50.0), 8.0)),
    ];
    let overlay = crate::overlay::overlay(&spec, &image(), &far).unwrap();
    assert_eq!(overlay.groups.len(), 8);
    assert!(overlay.groups.iter().all(|g| g.class == AgreementClass::Disagree));
    assert_eq!(overlay.agreement, Some(0.0));
}

#[test]
fn hostile_input_is_ignored_or_refused_never_a_panic() {
    let spec = spec(json!([
        {"name": "objects", "type": "b_box", "labels": [{"value": "car"}]},
        {"name": "notes", "type": "text_area"}
    ]));
    let odd = vec![
        bbox("nan", f64::NAN, 0.0, 10.0, 10.0, "car"),
        region("wrong-kind", "objects", RegionValue::Keypoint { x: 1.0, y: 1.0, label: "car".into() }),
        region("no-control", "elsewhere", RegionValue::Keypoint { x: 1.0, y: 1.0, label: "car".into() }),
        region("free-text", "notes", RegionValue::TextArea { text: vec!["hi".into()] }),
        bbox("ok", 0.0, 0.0, 10.0, 10.0, "car"),
        bbox("ok", 30.0, 0.0, 10.0, 10.0, "car"),
    ];
    let alone = overlay(&spec, &image(), &[submission("a", odd.clone())]).unwrap();
    let ignored: Vec<usize> = alone.ignored.iter().map(|r| r.index).collect();
    assert_eq!(ignored, [1, 2, 3]);
    // One annotator: every group trivially agrees, there is no pair, the NaN box proposes nothing.
    assert_eq!(alone.agreement, None);
    assert!(alone.groups.iter().all(|g| g.class == AgreementClass::AllAgree && g.members.len() == 1));
    assert_eq!(alone.proposal.iter().map(|p| p.group).collect::<Vec<_>>(), [1, 2]);
    // The duplicate id of one annotator stays two regions, told apart by index.
    let two = overlay(&spec, &image(), &[submission("a", odd.clone()), submission("b", odd)]).unwrap();
    assert_eq!(
        shape(&two),
        [
            (vec![(0, 0)], AgreementClass::Disagree),
            (vec![(0, 4), (1, 4)], AgreementClass::AllAgree),
            (vec![(0, 5), (1, 5)], AgreementClass::AllAgree),
            (vec![(1, 0)], AgreementClass::Disagree),
        ]
    );

    let empty = overlay(&spec, &image(), &[]).unwrap();
    assert!(empty.groups.is_empty() && empty.pairs.is_empty() && empty.agreement.is_none());
    let six: Vec<Submission> = (0..6).map(|i| submission(&format!("w{i}"), vec![])).collect();
    assert!(overlay(&spec, &image(), &six).is_err(), "more than five are refused, not cut");
    let nobody_drew = overlay(&spec, &image(), &six[..2]).unwrap();
    assert_eq!(nobody_drew.agreement, Some(1.0), "two empty answers agree");
}

#[test]
fn the_overlay_travels_as_json() {
    let submissions = [submission("a", vec![bbox("1", 0.0, 0.0, 10.0, 10.0, "car")]), submission("b", vec![])];
    let overlay = overlay(&box_spec(), &image(), &submissions).unwrap();
    let text = serde_json::to_string(&overlay).unwrap();
    assert!(text.contains(r#""class":"disagree""#));
    assert_eq!(serde_json::from_str::<Overlay>(&text).unwrap(), overlay);
}

/// Up to six boxes per annotator on a coarse grid, so they overlap often, in two labels.
fn annotators() -> impl Strategy<Value = Vec<Vec<(u8, u8, u8, bool)>>> {
    prop::collection::vec(prop::collection::vec((0u8..6, 0u8..6, 2u8..5, any::<bool>()), 0..6), 0..=5)
}

fn boxes_of(cells: &[(u8, u8, u8, bool)]) -> Vec<Region> {
    cells
        .iter()
        .enumerate()
        .map(|(i, &(x, y, size, car))| {
            let side = f64::from(size) * 3.0;
            bbox(
                &format!("r{i}"),
                f64::from(x) * 4.0,
                f64::from(y) * 4.0,
                side,
                side,
                if car { "car" } else { "person" },
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn every_region_is_in_one_group_and_no_group_holds_an_annotator_twice(cells in annotators()) {
        let submissions: Vec<Submission> =
            cells.iter().enumerate().map(|(i, c)| submission(&format!("w{i}"), boxes_of(c))).collect();
        let overlay = overlay(&box_spec(), &image(), &submissions).unwrap();
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for group in &overlay.groups {
            let who: Vec<usize> = group.members.iter().map(|m| m.annotator).collect();
            prop_assert!(who.windows(2).all(|w| w[0] < w[1]), "one region per annotator, by annotator: {:?}", who);
            seen.extend(group.members.iter().map(|m| (m.annotator, m.index)));
        }
        seen.extend(overlay.ignored.iter().map(|m| (m.annotator, m.index)));
        seen.sort_unstable();
        let all: Vec<(usize, usize)> =
            cells.iter().enumerate().flat_map(|(a, c)| (0..c.len()).map(move |i| (a, i))).collect();
        prop_assert_eq!(seen, all);
    }

    #[test]
    fn identical_answers_all_agree(cells in prop::collection::vec((0u8..6, 0u8..6, 2u8..5, any::<bool>()), 1..8), copies in 2usize..=5) {
        let submissions: Vec<Submission> = (0..copies).map(|i| submission(&format!("w{i}"), boxes_of(&cells))).collect();
        let overlay = overlay(&box_spec(), &image(), &submissions).unwrap();
        prop_assert!(overlay.groups.iter().all(|g| g.class == AgreementClass::AllAgree && g.members.len() == copies));
        prop_assert_eq!(overlay.agreement, Some(1.0));
        prop_assert_eq!(overlay.proposal.len(), overlay.groups.len());
    }

    /// The overlay pairs two annotators exactly as gold scoring pairs an annotation with gold.
    #[test]
    fn pairs_are_gold_scorings_matches(cells in prop::collection::vec(prop::collection::vec((0u8..6, 0u8..6, 2u8..5, any::<bool>()), 0..6), 2)) {
        let (first, second) = (boxes_of(&cells[0]), boxes_of(&cells[1]));
        let gold = Gold { mode: GoldMode::Honeypot, answer: first.clone(), tolerance: Default::default(), explanation: String::new(), guideline: None };
        let report = score_gold(&box_spec(), &image(), &gold, &second);
        let mut scored: Vec<(String, String)> = report
            .verdicts
            .iter()
            .filter(|v| matches!(v.verdict, Verdict::Matched { .. }))
            .map(|v| (v.gold_region.clone().unwrap(), v.region.clone().unwrap()))
            .collect();
        scored.sort();
        let overlay = overlay(&box_spec(), &image(), &[submission("g", first), submission("m", second)]).unwrap();
        let mut paired: Vec<(String, String)> = overlay
            .groups
            .iter()
            .filter(|g| g.members.len() == 2 && g.class == AgreementClass::AllAgree)
            .map(|g| (g.members[0].id.clone(), g.members[1].id.clone()))
            .collect();
        paired.sort();
        prop_assert_eq!(overlay.pairs[0].matched, scored.len());
        prop_assert_eq!(paired, scored);
    }
}

#[test]
fn tracks_pair_by_identity_and_get_no_proposal() {
    let spec =
        spec(json!([{"name": "tracks", "type": "video_tracks", "labels": [{"value": "car"}, {"value": "bus"}]}]));
    let item = Item {
        id: "v".into(),
        media: Media::Video { src: "v.mp4".into(), width: 100, height: 100, frame_rate: 25.0, frame_count: 10 },
        candidates: vec![],
    };
    let keyframe =
        |frame, x| annoqa_core::Keyframe { frame, x, y: 0.0, width: 10.0, height: 10.0, rotation: 0.0, outside: false };
    let track = |label: &str, x0: f64| {
        region(
            "t",
            "tracks",
            RegionValue::VideoTrack { label: label.into(), keyframes: vec![keyframe(0, x0), keyframe(9, x0 + 9.0)] },
        )
    };
    // The same object followed by all three, 1 px apart (IoU 90/110 on every frame); the
    // third calls it a bus.
    let submissions = [
        submission("a", vec![track("car", 0.0)]),
        submission("b", vec![track("car", 1.0)]),
        submission("c", vec![track("bus", 0.0)]),
    ];
    let overlay = overlay(&spec, &item, &submissions).unwrap();
    assert_eq!(shape(&overlay), [(vec![(0, 0), (1, 0), (2, 0)], AgreementClass::Majority)]);
    assert_eq!(overlay.groups[0].label.as_deref(), Some("car"));
    assert!(overlay.proposal.is_empty());
    // a–b match; a–c and b–c pair with another label: F1 = (1 + 0 + 0) / 3.
    assert!(close(overlay.agreement.unwrap(), 1.0 / 3.0));
}
