//! `Region`'s hand-written `Deserialize` (`model/region_de.rs`) against serde's derive, which it
//! replaced: random JSON objects (valid regions of every type, fields missing, repeated, `null`
//! or of the wrong type, fields of other types, unknown keys, `type` anywhere in the object)
//! must be accepted with equal values by both or refused by both; error messages are compared
//! on the usual mistakes.

use std::collections::BTreeMap;

use expect_test::{expect, Expect};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde::Deserialize;

use crate::*;

/// `Region` as it was declared with `#[derive(Deserialize)]` (named `Region` for the derive's
/// messages). Its `value` is the real `RegionValue`, whose derived `Deserialize` is unchanged,
/// so the reference follows every change to the region types and the hand-written code has to
/// as well.
mod derived {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use crate::RegionValue;

    #[derive(Deserialize)]
    pub(super) struct Region {
        id: String,
        control: String,
        #[serde(flatten)]
        value: RegionValue,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
    }

    impl From<Region> for crate::Region {
        fn from(r: Region) -> crate::Region {
            crate::Region { id: r.id, control: r.control, value: r.value, attributes: r.attributes }
        }
    }
}

/// Both readings of `json`: the value's debug form or the error message.
fn both(json: &str) -> (Result<Region, String>, Result<Region, String>) {
    let new = serde_json::from_str::<Region>(json).map_err(|e| e.to_string());
    let old = serde_json::from_str::<derived::Region>(json).map(Region::from).map_err(|e| e.to_string());
    (new, old)
}

/// Asserts that the derive gave the same answer, with the same message, and compares it with
/// `expect`.
fn check(json: &str, expect: Expect) {
    let (new, old) = both(json);
    assert_eq!(new, old, "the derive read {json} differently");
    expect.assert_eq(&new.map_or_else(|e| e, |region| format!("{:?}", region.value)));
}

#[test]
fn the_usual_mistakes_have_the_derives_messages() {
    check(r#"{"id": "r", "control": "c", "x": 1}"#, expect!["missing field `type` at line 1 column 35"]);
    check(
        r#"{"id": "r", "control": "c", "type": "circle"}"#,
        expect!["unknown variant `circle`, expected one of `choice`, `text_span`, `b_box`, `polygon`, `keypoint`, `audio_segment`, `video_box`, `video_track`, `video_segment`, `pairwise`, `text_area`, `ranking` at line 1 column 45"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": "keypoint", "x": 1, "y": 2}"#,
        expect!["missing field `label` at line 1 column 63"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": "keypoint", "x": "1", "y": 2, "label": "nose"}"#,
        expect![[r#"invalid type: string "1", expected f64 at line 1 column 82"#]],
    );
    check(
        r#"{"id": "r", "control": "c", "type": "text_span", "start": 1.5, "end": 2, "label": "P"}"#,
        expect!["invalid type: floating point `1.5`, expected usize at line 1 column 86"],
    );
    check(r#"{"control": "c", "type": "choice", "labels": []}"#, expect!["missing field `id` at line 1 column 48"]);
    check(r#"{"id": 7, "control": "c"}"#, expect!["invalid type: integer `7`, expected a string at line 1 column 8"]);
    check(r#"["r", "c"]"#, expect!["invalid type: sequence, expected struct Region at line 1 column 0"]);
    check(
        r#"{"id": "r", "control": "c", "type": "choice", "labels": [], "labels": ["a"]}"#,
        expect!["duplicate field `labels` at line 1 column 76"],
    );
    check(
        r#"{"id": "r", "type": "choice", "control": "c", "labels": [], "type": "choice"}"#,
        expect!["duplicate field `type` at line 1 column 77"],
    );
    check(
        r#"{"id": "r", "control": "c", "id": "s", "type": "choice", "labels": []}"#,
        expect!["duplicate field `id` at line 1 column 32"],
    );
}

#[test]
fn defaults_optional_fields_and_nulls_read_as_the_derive_read_them() {
    let bbox = r#""type": "b_box", "x": 1, "y": 2, "width": 3, "height": 4, "label": "car""#;
    check(
        &format!(r#"{{"id": "r", "control": "c", {bbox}}}"#),
        expect![[r#"BBox { x: 1.0, y: 2.0, width: 3.0, height: 4.0, rotation: 0.0, label: "car" }"#]],
    );
    check(
        &format!(r#"{{"id": "r", "control": "c", {bbox}, "rotation": null}}"#),
        expect!["invalid type: null, expected f64 at line 1 column 119"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": "audio_segment", "start": 1, "end": 2.5, "label": "s", "transcript": null}"#,
        expect![[r#"AudioSegment { start: 1.0, end: 2.5, label: "s", transcript: None }"#]],
    );
    check(r#"{"id": "r", "control": "c", "type": "ranking"}"#, expect!["Ranking { order: [], buckets: {} }"]);
    check(
        r#"{"id": "r", "control": "c", "type": "ranking", "order": null}"#,
        expect!["invalid type: null, expected a sequence at line 1 column 61"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": "choice", "labels": [], "attributes": null}"#,
        expect!["invalid type: null, expected a map at line 1 column 78"],
    );
}

/// What the derive allowed and callers may rely on: keys it did not know, keys of other region
/// types whatever their value (even repeated), and serde's variant index as `type`.
#[test]
fn unknown_keys_and_other_types_fields_are_ignored_and_type_may_be_an_index() {
    check(
        r#"{"label": 5, "x": [], "x": {}, "id": "r", "note": {"a": [1]}, "control": "c", "labels": ["a"], "type": "choice"}"#,
        expect![[r#"Choice { labels: ["a"] }"#]],
    );
    check(
        r#"{"id": "r", "control": "c", "type": 3, "points": [[0, 1]], "label": "roof"}"#,
        expect![[r#"Polygon { points: [[0.0, 1.0]], label: "roof" }"#]],
    );
    check(
        r#"{"id": "r", "control": "c", "type": 12}"#,
        expect!["invalid value: integer `12`, expected variant index 0 <= i < 12 at line 1 column 39"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": 1.0}"#,
        expect!["invalid type: floating point `1.0`, expected variant identifier at line 1 column 40"],
    );
    check(
        r#"{"id": "r", "control": "c", "type": null}"#,
        expect!["invalid type: null, expected variant identifier at line 1 column 41"],
    );
    // The derive buffered ignored values, so nesting past serde_json's limit failed there too.
    let deep =
        format!(r#"{{"id": "r", "control": "c", "type": "ranking", "z": {}{}}}"#, "[".repeat(130), "]".repeat(130));
    check(&deep, expect!["recursion limit exceeded at line 1 column 179"]);
}

/// The one known difference: a value nested in a field is read through `serde_json::Value`,
/// which keeps the last of a repeated key, where the derive refused it.
#[test]
fn a_key_repeated_inside_a_keyframe_keeps_its_last_value() {
    let json = r#"{"id": "r", "control": "c", "type": "video_track", "label": "car",
        "keyframes": [{"frame": 1, "frame": 2, "x": 0, "y": 0, "width": 1, "height": 1}]}"#;
    let (new, old) = both(json);
    assert!(old.unwrap_err().starts_with("duplicate field `frame`"));
    let RegionValue::VideoTrack { keyframes, .. } = new.unwrap().value else { panic!("not a track") };
    assert_eq!(keyframes[0].frame, 2);
}

/// A region inside a flattened struct reaches `Deserialize` through serde's buffered `Content`
/// rather than serde_json: it reads the same there.
#[test]
fn a_region_inside_a_flattened_struct_reads_the_same() {
    #[derive(Deserialize)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        regions: Vec<Region>,
    }
    let json = r#"{"regions": [{"type": "text_span", "start": 0, "id": "r", "end": 3, "label": "P", "control": "c",
        "attributes": {"a": "b"}}], "other": 1}"#;
    let outer: Outer = serde_json::from_str(json).unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let direct: Region = serde_json::from_value(value["regions"][0].clone()).unwrap();
    assert_eq!(outer.inner.regions, vec![direct.clone()]);
    assert_eq!(direct.value, RegionValue::TextSpan { start: 0, end: 3, label: "P".into() });
    let bad = r#"{"regions": [{"id": "r", "control": "c", "type": "nope"}]}"#;
    let error = serde_json::from_str::<Outer>(bad).err().unwrap().to_string();
    assert!(error.starts_with("unknown variant `nope`, expected one of `choice`"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Random objects.

/// Every region type with its fields, as `RegionValue` declares them.
const TYPES: &[(&str, &[&str])] = &[
    ("choice", &["labels"]),
    ("text_span", &["start", "end", "label"]),
    ("b_box", &["x", "y", "width", "height", "rotation", "label"]),
    ("polygon", &["points", "label"]),
    ("keypoint", &["x", "y", "label"]),
    ("audio_segment", &["start", "end", "label", "transcript"]),
    ("video_box", &["frame", "x", "y", "width", "height", "rotation", "label"]),
    ("video_track", &["label", "keyframes"]),
    ("video_segment", &["start_frame", "end_frame", "label"]),
    ("pairwise", &["choice", "rationale"]),
    ("text_area", &["text"]),
    ("ranking", &["order", "buckets"]),
];

/// Keys no region type has, some close to ones it has.
const UNKNOWN_KEYS: &[&str] = &["note", "Type", "ID", "labelz", "kind", ""];

pub(super) fn string() -> BoxedStrategy<String> {
    prop_oneof![Just("\"\"".to_string()), "[a-zA-Z_é]{1,6}".prop_map(|s| format!("\"{s}\""))].boxed()
}

pub(super) fn number() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (0u32..2000).prop_map(|n| n.to_string()),
        2 => (-1000.0..1000.0f64).prop_map(|f| format!("{f:?}")),
        1 => Just("-1".to_string()),
        1 => Just("-0".to_string()),
        1 => Just("1e3".to_string()),
        1 => Just("4294967296".to_string()),
        1 => Just("18446744073709551616".to_string()),
    ]
    .boxed()
}

pub(super) fn array(item: BoxedStrategy<String>, len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    proptest::collection::vec(item, len).prop_map(|items| format!("[{}]", items.join(","))).boxed()
}

/// An object with distinct keys drawn from `keys`, values from `value`.
pub(super) fn object(keys: &'static [&'static str], value: BoxedStrategy<String>) -> BoxedStrategy<String> {
    proptest::sample::subsequence(keys, 0..=keys.len())
        .prop_flat_map(move |keys| {
            let entries: Vec<_> =
                keys.into_iter().map(|k| value.clone().prop_map(move |v| format!("\"{k}\":{v}"))).collect();
            entries.prop_shuffle()
        })
        .prop_map(|entries| format!("{{{}}}", entries.join(",")))
        .boxed()
}

fn keyframe() -> BoxedStrategy<String> {
    let required =
        ["frame", "x", "y", "width", "height"].map(|k| (0u32..100).prop_map(move |n| format!("\"{k}\":{n}")));
    let optional = (
        proptest::option::of(number().prop_map(|n| format!("\"rotation\":{n}"))),
        proptest::option::of(any::<bool>().prop_map(|b| format!("\"outside\":{b}"))),
    );
    (required, optional)
        .prop_flat_map(|(required, (rotation, outside))| {
            Just(required.into_iter().chain(rotation).chain(outside).collect::<Vec<_>>()).prop_shuffle()
        })
        .prop_map(|entries| format!("{{{}}}", entries.join(",")))
        .boxed()
}

/// Any JSON value, nested a little; now and then nested beyond serde_json's recursion limit.
pub(super) fn any_value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        number(),
        string(),
        Just("\"A\"".to_string()),
        Just("\"choice\"".to_string()),
    ];
    let deep = prop_oneof![Just(120), Just(140)].prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)));
    let nested = leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![array(inner.clone().boxed(), 0..3), object(&["frame", "x", "a", "A"], inner.boxed())]
    });
    prop_oneof![20 => nested, 1 => deep].boxed()
}

/// A value right for `field` in at least one region type, mostly in `kind`.
fn good_value(kind: &str, field: &str) -> BoxedStrategy<String> {
    match field {
        "start" | "end" if kind == "text_span" => {
            prop_oneof![4 => (0u32..2000).prop_map(|n| n.to_string()), 1 => number()].boxed()
        }
        "labels" | "text" | "order" => array(string(), 0..3),
        "start" | "end" | "x" | "y" | "width" | "height" | "rotation" => number(),
        "label" => string(),
        "points" => array(array(number(), 2..3), 0..4),
        "transcript" | "rationale" => prop_oneof![string(), Just("null".to_string())].boxed(),
        "frame" | "start_frame" | "end_frame" => (0u32..500).prop_map(|n| n.to_string()).boxed(),
        "keyframes" => array(keyframe(), 0..3),
        "choice" => {
            prop_oneof![Just("\"A\""), Just("\"B\""), Just("\"Tie\""), Just("\"C\"")].prop_map(String::from).boxed()
        }
        "buckets" => object(&["good", "bad", "x"], array(string(), 0..3)),
        _ => any_value(),
    }
}

/// `key`'s entries: mostly one good value, else none, a wrong one, `null` or two.
pub(super) fn entries(key: &'static str, good: BoxedStrategy<String>) -> BoxedStrategy<Vec<(String, String)>> {
    let one = move |v: String| vec![(key.to_string(), v)];
    prop_oneof![
        24 => good.clone().prop_map(one),
        1 => Just(Vec::new()),
        1 => any_value().prop_map(one),
        1 => Just(one("null".to_string())),
        1 => (good.clone(), good).prop_map(move |(a, b)| vec![(key.to_string(), a), (key.to_string(), b)]),
    ]
    .boxed()
}

/// `type`: mostly the name of type `index`, else its number, an unknown name or any value
/// (through [`entries`], also absent or repeated).
fn type_entries(index: usize) -> BoxedStrategy<Vec<(String, String)>> {
    let name = format!("\"{}\"", TYPES[index].0);
    let good = prop_oneof![
        8 => Just(name),
        1 => Just(index.to_string()),
        1 => prop_oneof![Just("\"circle\""), Just("\"Choice\""), Just("\"b_box \"")].prop_map(String::from),
    ];
    entries("type", good.boxed())
}

/// Keys of other types and unknown keys, with good or any values.
fn extra_entries() -> BoxedStrategy<Vec<(String, String)>> {
    let all_fields: Vec<&'static str> = TYPES.iter().flat_map(|(_, fields)| fields.iter().copied()).collect();
    let key = prop_oneof![3 => proptest::sample::select(all_fields), 1 => proptest::sample::select(UNKNOWN_KEYS)];
    let entry = key.prop_flat_map(|key| {
        prop_oneof![good_value("", key), any_value()].prop_map(move |value| (key.to_string(), value))
    });
    proptest::collection::vec(entry, 0..3).boxed()
}

/// A region object as JSON text, its entries in random order.
fn region_json() -> impl Strategy<Value = String> {
    (0..TYPES.len()).prop_flat_map(|index| {
        let fields: Vec<_> =
            TYPES[index].1.iter().map(|&field| entries(field, good_value(TYPES[index].0, field))).collect();
        let attributes = prop_oneof![
            2 => Just(Vec::new()),
            2 => entries("attributes", object(&["occluded", "truncated"], string())),
        ];
        (
            entries("id", string()),
            entries("control", string()),
            type_entries(index),
            attributes,
            fields,
            extra_entries(),
        )
            .prop_flat_map(|(id, control, kind, attributes, fields, extra)| {
                let all: Vec<_> =
                    [id, control, kind, attributes].into_iter().chain(fields).chain([extra]).flatten().collect();
                Just(all).prop_shuffle()
            })
            .prop_map(|entries| {
                let entries: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                format!("{{{}}}", entries.join(", "))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_hand_written_deserialize_agrees_with_the_derive(json in region_json()) {
        match both(&json) {
            (Ok(new), Ok(old)) => prop_assert_eq!(new, old, "{}", json),
            (Err(_), Err(_)) => {}
            (new, old) => prop_assert!(false, "{json}\nhand-written: {new:?}\nderive: {old:?}"),
        }
    }
}

/// The random objects are not all refused: every type is read, and every kind of mistake is
/// made, so the property above compares more than two error paths.
#[test]
fn random_objects_cover_every_type_and_mistake() {
    let mut runner = TestRunner::deterministic();
    let strategy = region_json();
    let mut read = BTreeMap::<&str, usize>::new();
    let mut refused = BTreeMap::<String, usize>::new();
    for _ in 0..3000 {
        let json = strategy.new_tree(&mut runner).unwrap().current();
        match both(&json).0 {
            Ok(region) => *read.entry(region.value.type_name()).or_default() += 1,
            Err(e) => {
                let kind = e.split(" at line").next().and_then(|e| e.split(['`', ':']).next()).unwrap_or_default();
                *refused.entry(kind.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(read.len(), TYPES.len(), "types read: {read:?}");
    assert!(read.values().all(|&n| n >= 20), "types read: {read:?}");
    for mistake in
        ["missing field ", "duplicate field ", "invalid type", "unknown variant ", "recursion limit exceeded"]
    {
        assert!(refused.contains_key(mistake), "no {mistake:?} in {refused:?}");
    }
}

/// Whatever the hand-written code reads, serialising gives it back: the JSON format is the
/// derive's.
#[test]
fn read_regions_serialise_and_read_back_unchanged() {
    let mut runner = TestRunner::deterministic();
    let strategy = region_json();
    for _ in 0..2000 {
        let json = strategy.new_tree(&mut runner).unwrap().current();
        if let Ok(region) = serde_json::from_str::<Region>(&json) {
            let written = serde_json::to_string(&region).unwrap();
            let back: Region = serde_json::from_str(&written).unwrap();
            assert_eq!(back, region, "{written}");
            let reference: derived::Region = serde_json::from_str(&written).unwrap();
            assert_eq!(Region::from(reference), region);
        }
    }
}
