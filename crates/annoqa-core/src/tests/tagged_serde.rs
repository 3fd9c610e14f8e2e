//! `Media`'s, `Control`'s and `Rule`'s hand-written `Deserialize` (`model/media_de.rs`,
//! `model/control_de.rs`, `rule/rule_de.rs`) against serde's derive, which they replaced, as
//! `region_serde.rs` holds `Region`'s: random JSON (valid objects of every kind, fields missing,
//! repeated, `null` or of the wrong type, fields of other kinds, unknown keys, the tag anywhere;
//! media also as arrays) must be accepted with equal values by both or refused by both; error
//! messages are compared on the usual mistakes.

use std::collections::BTreeMap;
use std::fmt::Debug;

use expect_test::{expect, Expect};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde::de::DeserializeOwned;

use super::region_serde::{any_value, array, entries, number, object, string};
use crate::rule::Rule;
use crate::*;

/// The types as they were declared with `#[derive(Deserialize)]`, under their own names (for the
/// derive's messages). `Control` and `Rule` flatten the real `ControlKind` and `Check`, whose
/// derived `Deserialize` is unchanged, so the references follow every change to the kinds and
/// checks and the hand-written code has to as well; `Media` is copied.
mod derived {
    use serde::Deserialize;

    use crate::finding::Severity;
    use crate::rule::Check;
    use crate::transcript::Normalization;
    use crate::{ChoiceCost, ControlKind, Label, Tolerance};

    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub(super) enum Media {
        Text {
            text: String,
        },
        Image {
            src: String,
            width: u32,
            height: u32,
        },
        Audio {
            src: String,
            duration: f64,
            #[serde(default)]
            sample_rate: Option<u32>,
            #[serde(default)]
            channels: Option<u16>,
        },
        Video {
            src: String,
            width: u32,
            height: u32,
            frame_rate: f64,
            frame_count: u32,
        },
    }

    impl From<Media> for crate::Media {
        fn from(m: Media) -> crate::Media {
            match m {
                Media::Text { text } => crate::Media::Text { text },
                Media::Image { src, width, height } => crate::Media::Image { src, width, height },
                Media::Audio { src, duration, sample_rate, channels } => {
                    crate::Media::Audio { src, duration, sample_rate, channels }
                }
                Media::Video { src, width, height, frame_rate, frame_count } => {
                    crate::Media::Video { src, width, height, frame_rate, frame_count }
                }
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Control {
        name: String,
        #[serde(default)]
        prompt: String,
        #[serde(flatten)]
        kind: ControlKind,
        #[serde(default)]
        labels: Vec<Label>,
        #[serde(default)]
        required: bool,
        #[serde(default)]
        guideline: Option<String>,
        #[serde(default)]
        tolerance: Tolerance,
        #[serde(default)]
        normalization: Option<Normalization>,
        #[serde(default)]
        costs: Vec<ChoiceCost>,
    }

    impl From<Control> for crate::Control {
        fn from(c: Control) -> crate::Control {
            crate::Control {
                name: c.name,
                prompt: c.prompt,
                kind: c.kind,
                labels: c.labels,
                required: c.required,
                guideline: c.guideline,
                tolerance: c.tolerance,
                normalization: c.normalization,
                costs: c.costs,
            }
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Rule {
        #[serde(flatten)]
        check: Check,
        #[serde(default = "error")]
        severity: Severity,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        guideline: Option<String>,
    }

    fn error() -> Severity {
        Severity::Error
    }

    impl From<Rule> for crate::rule::Rule {
        fn from(r: Rule) -> crate::rule::Rule {
            crate::rule::Rule { check: r.check, severity: r.severity, message: r.message, guideline: r.guideline }
        }
    }
}

/// Both readings of `json`, the hand-written one and the derive's: the value or the error
/// message.
fn both<New: DeserializeOwned, Old: DeserializeOwned + Into<New>>(json: &str) -> [Result<New, String>; 2] {
    let new = serde_json::from_str::<New>(json).map_err(|e| e.to_string());
    let old = serde_json::from_str::<Old>(json).map(Old::into).map_err(|e| e.to_string());
    [new, old]
}

/// Asserts that the derive gave the same answer, with the same message, and compares it with
/// `expect`.
fn check<New: DeserializeOwned + Debug + PartialEq, Old: DeserializeOwned + Into<New>>(json: &str, expect: Expect) {
    let [new, old] = both::<New, Old>(json);
    assert_eq!(new, old, "the derive read {json} differently");
    expect.assert_eq(&new.map_or_else(|e| e, |value| format!("{value:?}")));
}

fn media(json: &str, expect: Expect) {
    check::<Media, derived::Media>(json, expect);
}

fn control(json: &str, expect: Expect) {
    check::<Control, derived::Control>(json, expect);
}

fn rule(json: &str, expect: Expect) {
    check::<Rule, derived::Rule>(json, expect);
}

#[test]
fn media_reads_as_the_derive_read_it() {
    media(
        r#"{"src": "a.wav", "type": "audio", "duration": 1.5, "sample_rate": null, "note": [1]}"#,
        expect![[r#"Audio { src: "a.wav", duration: 1.5, sample_rate: None, channels: None }"#]],
    );
    media(r#"{"type": "text", "text": "a", "width": "wide", "src": 1, "src": 2}"#, expect![[r#"Text { text: "a" }"#]]);
    media(
        r#"{"type": "image", "src": "a.png", "width": "wide", "height": 1}"#,
        expect![[r#"invalid type: string "wide", expected u32"#]],
    );
    media(r#"{"type": "text"}"#, expect!["missing field `text`"]);
    media(r#"{"text": "a"}"#, expect!["missing field `type` at line 1 column 13"]);
    media(
        r#"{"type": "txt", "text": "a"}"#,
        expect!["unknown variant `txt`, expected one of `text`, `image`, `audio`, `video` at line 1 column 14"],
    );
    media(
        r#"{"type": 1, "text": "a"}"#,
        expect!["invalid type: integer `1`, expected variant identifier at line 1 column 10"],
    );
    media(r#"{"type": "text", "text": "a", "type": "text"}"#, expect!["duplicate field `type` at line 1 column 36"]);
    media(r#"{"type": "text", "text": "a", "text": "b"}"#, expect!["duplicate field `text`"]);
    media(
        r#""text""#,
        expect![[r#"invalid type: string "text", expected internally tagged enum Media at line 1 column 6"#]],
    );
}

/// serde reads an internally tagged enum from an array too: the tag, then the fields in order.
#[test]
fn media_reads_from_an_array_as_the_derive_read_it() {
    media(r#"["image", "a.png", 1, 2]"#, expect![[r#"Image { src: "a.png", width: 1, height: 2 }"#]]);
    media(
        r#"["audio", "a.wav", 2]"#,
        expect![[r#"Audio { src: "a.wav", duration: 2.0, sample_rate: None, channels: None }"#]],
    );
    media(
        r#"["image", "a.png", 1]"#,
        expect!["invalid length 2, expected struct variant Media::Image with 3 elements"],
    );
    media(r#"["text", "a", "b"]"#, expect!["invalid length 2, expected 1 element in sequence"]);
    media(r#"["image", 1, 2, 3]"#, expect!["invalid type: integer `1`, expected a string"]);
    media(
        r#"["picture"]"#,
        expect!["unknown variant `picture`, expected one of `text`, `image`, `audio`, `video` at line 1 column 10"],
    );
    media("[]", expect!["missing field `type` at line 1 column 2"]);
}

#[test]
fn controls_read_as_the_derive_read_them() {
    control(
        r#"{"type": "choice", "name": "x", "multiple": true, "labels": [{"value": "a"}], "buckets": 5}"#,
        expect![[
            r#"Control { name: "x", prompt: "", kind: Choice { multiple: true }, labels: [Label { value: "a", hotkey: None, color: None, guideline: None, min_iou: None, kappa: None }], required: false, guideline: None, tolerance: Tolerance { span_min_overlap: None, span_boundary_chars: None, min_iou: None, min_oks: None, keypoint_area: None, collar_ms: None, offset_length_ratio: None, max_wer: None, min_temporal_iou: None }, normalization: None, costs: [] }"#
        ]],
    );
    control(
        r#"{"name": "x", "type": "b_box", "multiple": "yes", "multiple": 1, "note": {}}"#,
        expect![[
            r#"Control { name: "x", prompt: "", kind: BBox, labels: [], required: false, guideline: None, tolerance: Tolerance { span_min_overlap: None, span_boundary_chars: None, min_iou: None, min_oks: None, keypoint_area: None, collar_ms: None, offset_length_ratio: None, max_wer: None, min_temporal_iou: None }, normalization: None, costs: [] }"#
        ]],
    );
    control(
        r#"{"name": "x", "type": "boxes"}"#,
        expect!["unknown variant `boxes`, expected one of `choice`, `text_spans`, `b_box`, `polygon`, `keypoint`, `audio_segments`, `video_boxes`, `video_tracks`, `video_segments`, `pairwise`, `text_area`, `ranker` at line 1 column 30"],
    );
    control(r#"{"type": "choice"}"#, expect!["missing field `name` at line 1 column 18"]);
    control(r#"{"type": "nope"}"#, expect!["missing field `name` at line 1 column 16"]);
    control(r#"{"name": "x"}"#, expect!["missing field `type` at line 1 column 13"]);
    control(
        r#"{"name": "x", "type": "choice", "multiple": "yes"}"#,
        expect![[r#"invalid type: string "yes", expected a boolean at line 1 column 50"#]],
    );
    control(
        r#"{"name": "x", "type": "choice", "multiple": true, "multiple": false}"#,
        expect!["duplicate field `multiple` at line 1 column 68"],
    );
    control(r#"{"name": "x", "name": "y", "type": "choice"}"#, expect!["duplicate field `name` at line 1 column 20"]);
    control(
        r#"{"name": "x", "type": "choice", "labels": [{"valu": "b"}]}"#,
        expect!["missing field `value` at line 1 column 56"],
    );
    control(
        r#"{"name": "x", "type": 9, "allow_tie": true}"#,
        expect![[
            r#"Control { name: "x", prompt: "", kind: Pairwise { allow_tie: true, rationale_required: false }, labels: [], required: false, guideline: None, tolerance: Tolerance { span_min_overlap: None, span_boundary_chars: None, min_iou: None, min_oks: None, keypoint_area: None, collar_ms: None, offset_length_ratio: None, max_wer: None, min_temporal_iou: None }, normalization: None, costs: [] }"#
        ]],
    );
    control("[]", expect!["invalid type: sequence, expected struct Control at line 1 column 0"]);
}

#[test]
fn rules_read_as_the_derive_read_them() {
    rule(
        r#"{"control": "c", "rule": "count", "max": 2, "severity": "warning"}"#,
        expect![[
            r#"Rule { check: Count { control: "c", label: None, min: None, max: Some(2) }, severity: Warning, message: None, guideline: None }"#
        ]],
    );
    rule(
        r#"{"rule": "no_duplicates", "control": "c", "message": null}"#,
        expect![[
            r#"Rule { check: NoDuplicates { control: "c", min_iou: 0.95 }, severity: Error, message: None, guideline: None }"#
        ]],
    );
    rule(
        r#"{"rule": "count", "control": "c", "bogus": 1}"#,
        expect!["unknown field `bogus`, expected one of `control`, `label`, `min`, `max` at line 1 column 45"],
    );
    rule(
        r#"{"rule": "token_boundaries", "control": "c", "label": "x"}"#,
        expect!["unknown field `label`, expected `control` at line 1 column 58"],
    );
    rule(
        r#"{"rule": "counts", "control": "c"}"#,
        expect!["unknown variant `counts`, expected one of `count`, `required_attribute`, `conditional`, `min_size`, `no_duplicates`, `no_overlap`, `token_boundaries`, `segment_length`, `transcript`, `track_continuity` at line 1 column 34"],
    );
    rule(r#"{"control": "c"}"#, expect!["missing field `rule` at line 1 column 16"]);
    rule(r#"{"rule": "count"}"#, expect!["missing field `control` at line 1 column 17"]);
    rule(
        r#"{"rule": "count", "control": "c", "severity": "fatal"}"#,
        expect!["unknown variant `fatal`, expected `error` or `warning` at line 1 column 53"],
    );
    rule(
        r#"{"rule": "segment_length", "control": "c", "min": 0.5}"#,
        expect![[
            r#"Rule { check: SegmentLength { control: "c", label: None, min: Some(0.5), max: None }, severity: Error, message: None, guideline: None }"#
        ]],
    );
    rule(
        r#"{"rule": "count", "control": "c", "min": 0.5}"#,
        expect!["invalid type: floating point `0.5`, expected usize at line 1 column 45"],
    );
    rule(
        r#"{"rule": "conditional", "when_control": "a", "when_label": "b", "then_control": "c", "then": "maybe"}"#,
        expect!["unknown variant `maybe`, expected one of `required`, `forbidden`, `empty` at line 1 column 101"],
    );
    rule(
        r#"{"rule": "count", "control": "c", "message": "m", "message": "n"}"#,
        expect!["duplicate field `message` at line 1 column 59"],
    );
    rule(
        r#"{"rule": "count", "rule": "count", "control": "c"}"#,
        expect!["duplicate field `rule` at line 1 column 50"],
    );
    rule(
        r#"{"rule": 9, "control": "c", "max_gap_frames": 3}"#,
        expect![[
            r#"Rule { check: TrackContinuity { control: "c", max_gap_frames: 3 }, severity: Error, message: None, guideline: None }"#
        ]],
    );
    rule(r#""count""#, expect![[r#"invalid type: string "count", expected struct Rule at line 1 column 7"#]]);
}

/// A spec reaches the three through serde_json directly, an item source's media through serde's
/// buffered `Content` (`ItemSource` flattens `Item`): both read the same.
#[test]
fn inside_a_flattened_struct_they_read_the_same() {
    let json = r#"{"id": "i", "gold": null, "media": {"type": "image", "src": "a.png", "width": 2, "height": 3}}"#;
    let source: ItemSource = serde_json::from_str(json).unwrap();
    assert_eq!(source.item.media, Media::Image { src: "a.png".into(), width: 2, height: 3 });
    let array = r#"{"id": "i", "media": ["audio", "a.wav", 1, 44100]}"#;
    let source: ItemSource = serde_json::from_str(array).unwrap();
    assert_eq!(
        source.item.media,
        Media::Audio { src: "a.wav".into(), duration: 1.0, sample_rate: Some(44100), channels: None }
    );
    let index = r#"{"id": "i", "media": {"type": 0, "text": "t"}}"#;
    let source: ItemSource = serde_json::from_str(index).unwrap();
    assert_eq!(source.item.media, Media::Text { text: "t".into() });
    let bad = r#"{"id": "i", "media": {"type": "image", "src": "a.png", "width": -1, "height": 3}}"#;
    let error = serde_json::from_str::<ItemSource>(bad).err().unwrap().to_string();
    assert!(error.starts_with("invalid value: integer `-1`, expected u32"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Random objects.

/// A type's variants and their fields, as the type declares them.
type Variants = &'static [(&'static str, &'static [&'static str])];

const MEDIA: Variants = &[
    ("text", &["text"]),
    ("image", &["src", "width", "height"]),
    ("audio", &["src", "duration", "sample_rate", "channels"]),
    ("video", &["src", "width", "height", "frame_rate", "frame_count"]),
];

const CONTROL_KINDS: Variants = &[
    ("choice", &["multiple"]),
    ("text_spans", &["overlap"]),
    ("b_box", &[]),
    ("polygon", &[]),
    ("keypoint", &[]),
    ("audio_segments", &["transcript"]),
    ("video_boxes", &[]),
    ("video_tracks", &[]),
    ("video_segments", &[]),
    ("pairwise", &["allow_tie", "rationale_required"]),
    ("text_area", &[]),
    ("ranker", &["buckets"]),
];

const CONTROL_OWN: &[&str] =
    &["name", "prompt", "labels", "required", "guideline", "tolerance", "normalization", "costs"];

const CHECKS: Variants = &[
    ("count", &["control", "label", "min", "max"]),
    ("required_attribute", &["control", "label", "attribute", "allowed"]),
    ("conditional", &["when_control", "when_label", "then_control", "then"]),
    ("min_size", &["control", "label", "min_width", "min_height", "min_area"]),
    ("no_duplicates", &["control", "min_iou"]),
    ("no_overlap", &["control", "scope", "max_iou"]),
    ("token_boundaries", &["control"]),
    ("segment_length", &["control", "label", "min", "max"]),
    ("transcript", &["control", "required", "charset", "pattern", "max_length"]),
    ("track_continuity", &["control", "max_gap_frames"]),
];

const RULE_OWN: &[&str] = &["severity", "message", "guideline"];

/// Keys no type has, some close to ones they have.
const UNKNOWN_KEYS: &[&str] = &["note", "Type", "Name", "labelz", "kind", ""];

fn one_of(values: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(values).prop_map(String::from).boxed()
}

fn boolean() -> BoxedStrategy<String> {
    prop_oneof![8 => any::<bool>().prop_map(|b| b.to_string()), 1 => number()].boxed()
}

/// Mostly a valid value, now and then an object with keys from `keys` and any values.
fn mostly(good: BoxedStrategy<String>, keys: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![6 => good, 1 => object(keys, any_value())].boxed()
}

fn count() -> BoxedStrategy<String> {
    prop_oneof![4 => (0u32..5000).prop_map(|n| n.to_string()), 1 => number()].boxed()
}

fn optional(good: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![4 => good, 1 => Just("null".to_string())].boxed()
}

/// A value right for `field` in at least one variant or type.
fn good_value(field: &str) -> BoxedStrategy<String> {
    match field {
        // Media.
        "text" | "src" => string(),
        "width" | "height" | "frame_count" | "sample_rate" | "channels" => count(),
        "duration" | "frame_rate" => number(),
        // Controls.
        "name" | "prompt" => string(),
        "labels" => {
            let label = (string(), proptest::option::of(number())).prop_map(|(value, min_iou)| match min_iou {
                Some(iou) => format!(r#"{{"min_iou": {iou}, "value": {value}}}"#),
                None => format!(r#"{{"value": {value}}}"#),
            });
            array(mostly(label.boxed(), &["value", "hotkey", "min_iou"]), 0..3)
        }
        "required" | "multiple" | "transcript" | "allow_tie" | "rationale_required" => boolean(),
        "guideline" | "message" | "label" | "charset" | "pattern" => optional(string()),
        "tolerance" => {
            mostly(object(&["min_iou", "collar_ms", "span_boundary_chars"], count()), &["min_iou", "max_werr"])
        }
        "normalization" => {
            optional(mostly(object(&["lowercase", "strip_punctuation"], boolean()), &["lowercase", "fillers"]))
        }
        "costs" => {
            let cost = (string(), string(), number())
                .prop_map(|(e, g, c)| format!(r#"{{"expected": {e}, "got": {g}, "cost": {c}}}"#));
            array(mostly(cost.boxed(), &["expected", "got", "cost"]), 0..2)
        }
        "overlap" => one_of(&["\"allowed\"", "\"same_label_forbidden\"", "\"all_forbidden\"", "\"some\""]),
        "buckets" => array(string(), 0..3),
        // Rules.
        "severity" => one_of(&["\"error\"", "\"warning\"", "\"fatal\""]),
        "control" | "attribute" | "when_control" | "when_label" | "then_control" => string(),
        "min" | "max" | "max_length" | "max_gap_frames" => optional(count()),
        "min_width" | "min_height" | "min_area" | "min_iou" | "max_iou" => optional(number()),
        "allowed" => array(string(), 0..3),
        "then" => one_of(&["\"required\"", "\"forbidden\"", "\"empty\"", "\"maybe\""]),
        "scope" => one_of(&["\"same_label\"", "\"any\"", "\"none\""]),
        _ => any_value(),
    }
}

/// The tag's entries for variant `index` of `variants`: mostly its name, else its number, an
/// unknown name or any value (through [`entries`], also absent or repeated).
fn tag_entries(key: &'static str, variants: Variants, index: usize) -> BoxedStrategy<Vec<(String, String)>> {
    let name = format!("\"{}\"", variants[index].0);
    let good = prop_oneof![
        8 => Just(name),
        1 => Just(index.to_string()),
        1 => one_of(&["\"circle\"", "\"Choice\"", "\"text \""]),
    ];
    entries(key, good.boxed())
}

/// Keys of other variants and unknown keys, with good or any values.
fn extra_entries(variants: Variants) -> BoxedStrategy<Vec<(String, String)>> {
    let all_fields: Vec<&'static str> = variants.iter().flat_map(|(_, fields)| fields.iter().copied()).collect();
    let key = if all_fields.is_empty() {
        proptest::sample::select(UNKNOWN_KEYS).boxed()
    } else {
        prop_oneof![3 => proptest::sample::select(all_fields), 1 => proptest::sample::select(UNKNOWN_KEYS)].boxed()
    };
    let entry = key
        .prop_flat_map(|key| prop_oneof![good_value(key), any_value()].prop_map(move |value| (key.to_string(), value)));
    proptest::collection::vec(entry, 0..3).boxed()
}

/// An object of a tagged type as JSON text, its entries in random order: the tag, the type's
/// own fields (`own`), the variant's fields and extra keys.
fn tagged_json(tag: &'static str, variants: Variants, own: &'static [&'static str]) -> BoxedStrategy<String> {
    (0..variants.len())
        .prop_flat_map(move |index| {
            let fields: Vec<_> =
                own.iter().chain(variants[index].1).map(|&field| entries(field, good_value(field))).collect();
            (tag_entries(tag, variants, index), fields, extra_entries(variants)).prop_flat_map(
                |(tag, fields, extra)| {
                    let all: Vec<_> = [tag].into_iter().chain(fields).chain([extra]).flatten().collect();
                    Just(all).prop_shuffle()
                },
            )
        })
        .prop_map(|entries| {
            let entries: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            format!("{{{}}}", entries.join(", "))
        })
        .boxed()
}

/// A media object, or now and then an array: a tag, then values for the kind's fields in order,
/// one too few or one too many.
fn media_json() -> BoxedStrategy<String> {
    let array = (0..MEDIA.len(), 0..3usize).prop_flat_map(|(index, length)| {
        let fields = MEDIA[index].1;
        let values: Vec<_> = fields.iter().map(|field| good_value(field)).chain([any_value()]).collect();
        let keep = (fields.len() + length).saturating_sub(1);
        let tag = prop_oneof![4 => Just(format!("\"{}\"", MEDIA[index].0)), 1 => any_value()];
        (tag, values).prop_map(move |(tag, values)| {
            let elements: Vec<String> = [tag].into_iter().chain(values.into_iter().take(keep)).collect();
            format!("[{}]", elements.join(", "))
        })
    });
    prop_oneof![4 => tagged_json("type", MEDIA, &[]), 1 => array].boxed()
}

/// Asserts that both readings agree: equal values, or both refused.
fn agree<New: DeserializeOwned + Debug + PartialEq, Old: DeserializeOwned + Into<New>>(
    json: &str,
) -> Result<(), TestCaseError> {
    match both::<New, Old>(json) {
        [Ok(new), Ok(old)] => prop_assert_eq!(new, old, "{}", json),
        [Err(_), Err(_)] => {}
        [new, old] => prop_assert!(false, "{json}\nhand-written: {new:?}\nderive: {old:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn media_agrees_with_the_derive(json in media_json()) {
        agree::<Media, derived::Media>(&json)?;
    }

    #[test]
    fn controls_agree_with_the_derive(json in tagged_json("type", CONTROL_KINDS, CONTROL_OWN)) {
        agree::<Control, derived::Control>(&json)?;
    }

    #[test]
    fn rules_agree_with_the_derive(json in tagged_json("rule", CHECKS, RULE_OWN)) {
        agree::<Rule, derived::Rule>(&json)?;
    }
}

/// The random objects are not all refused: every variant is read, and every kind of mistake is
/// made, so the properties above compare more than error paths.
#[test]
fn random_objects_cover_every_variant_and_mistake() {
    fn cover<T: DeserializeOwned>(
        strategy: BoxedStrategy<String>,
        variant: impl Fn(&T) -> String,
        variants: usize,
        mistakes: &[&str],
    ) {
        let mut runner = TestRunner::deterministic();
        let mut read = BTreeMap::<String, usize>::new();
        let mut refused = BTreeMap::<String, usize>::new();
        for _ in 0..2000 {
            let json = strategy.new_tree(&mut runner).unwrap().current();
            match serde_json::from_str::<T>(&json) {
                Ok(value) => *read.entry(variant(&value)).or_default() += 1,
                Err(e) => {
                    let e = e.to_string();
                    let kind = e.split(" at line").next().and_then(|e| e.split(['`', ':']).next()).unwrap_or_default();
                    *refused.entry(kind.to_string()).or_default() += 1;
                }
            }
        }
        assert_eq!(read.len(), variants, "variants read: {read:?}");
        assert!(read.values().all(|&n| n >= 10), "variants read: {read:?}");
        for mistake in mistakes {
            assert!(refused.keys().any(|k| k.starts_with(mistake)), "no {mistake:?} in {refused:?}");
        }
    }
    let common = ["missing field ", "duplicate field ", "invalid type", "unknown variant "];
    let media_mistakes = [&common[..], &["invalid length "]].concat();
    cover::<Media>(media_json(), |m| format!("{:?}", m.kind()), MEDIA.len(), &media_mistakes);
    cover::<Control>(
        tagged_json("type", CONTROL_KINDS, CONTROL_OWN),
        |c| c.kind.name().to_string(),
        CONTROL_KINDS.len(),
        &common,
    );
    let rule_mistakes = [&common[..], &["unknown field "]].concat();
    cover::<Rule>(tagged_json("rule", CHECKS, RULE_OWN), |r| r.check.name().to_string(), CHECKS.len(), &rule_mistakes);
}

// ---------------------------------------------------------------------------------------------
// Unit-only enums (`de::unit_variant`).

/// An enum with the derive's `Deserialize`, and the same enum through `unit_enum!`.
mod unit {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum Derived {
        Same,
        OtherOne,
        #[serde(rename = "x-3")]
        Third,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub(super) enum Written {
        Same,
        OtherOne,
        Third,
    }

    crate::unit_enum!(Written { Same = "same", OtherOne = "other_one", Third = "x-3" });

    impl From<Derived> for Written {
        fn from(d: Derived) -> Written {
            match d {
                Derived::Same => Written::Same,
                Derived::OtherOne => Written::OtherOne,
                Derived::Third => Written::Third,
            }
        }
    }
}

/// Renamed as `Derived` for the derive's messages.
type Derived = unit::Derived;

#[test]
fn unit_enums_read_as_the_derive_read_them() {
    let cases = [
        r#""same""#,
        r#""x-3""#,
        r#""other""#,
        r#"{"other_one": null}"#,
        r#"{"other_one": 1}"#,
        r#"{"other_one": null, "same": null}"#,
        r#"{}"#,
        r#"{"nope": null}"#,
        "1",
        "null",
        "[\"same\"]",
        "true",
    ];
    for json in cases {
        let [new, old] = both::<unit::Written, Derived>(json);
        // The derive names its enum `Derived`; `unit_enum!` names it `Written`.
        assert_eq!(new.map_err(|e| e.replace("Written", "Derived")), old, "{json}");
    }
    let [new, _] = both::<unit::Written, Derived>(r#""other""#);
    expect!["unknown variant `other`, expected one of `same`, `other_one`, `x-3` at line 1 column 7"]
        .assert_eq(&new.unwrap_err());
    let [new, _] = both::<unit::Written, Derived>("1");
    expect!["expected value at line 1 column 1"].assert_eq(&new.unwrap_err());
}

/// Each enum read through `unit_enum!` reads every value it writes back to itself.
#[test]
fn unit_enums_read_what_they_write() {
    fn round_trip<T: serde::Serialize + DeserializeOwned + PartialEq + Debug>(values: &[T]) {
        for value in values {
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
        }
    }
    round_trip(&[RevealPolicy::ScoreOnly, RevealPolicy::Hints, RevealPolicy::FullDiff]);
    round_trip(&[MediaKind::Text, MediaKind::Image, MediaKind::Audio, MediaKind::Video]);
    round_trip(&[SpanOverlap::Allowed, SpanOverlap::SameLabelForbidden, SpanOverlap::AllForbidden]);
    round_trip(&[GoldMode::Training, GoldMode::Honeypot]);
    round_trip(&[PairChoice::A, PairChoice::B, PairChoice::Tie]);
    round_trip(&[Severity::Error, Severity::Warning]);
    use crate::rule::{OverlapScope, Requirement};
    round_trip(&[Requirement::Required, Requirement::Forbidden, Requirement::Empty]);
    round_trip(&[OverlapScope::SameLabel, OverlapScope::Any]);
}
