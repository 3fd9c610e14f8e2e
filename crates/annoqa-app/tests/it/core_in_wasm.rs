//! `annoqa-core` compiled to Wasm gives the browser the same answers as the server.

use annoqa_core::text::{scalar_from_utf16, scalar_len, utf16_from_scalar};
use annoqa_core::{validate, Item, Media, Region, RegionValue, TaskSpec};
use wasm_bindgen_test::wasm_bindgen_test;

const SAMPLES: &[&str] = &[
    "plain ASCII",
    "Zoë Lindqvist",
    // Outside the BMP: two UTF-16 units each, including a ZWJ sequence with a skin tone.
    "Fans 😀 cheered 👩🏽‍🔬 and 🇵🇹",
    // e + COMBINING ACUTE ACCENT: two scalars.
    "Jose\u{301} Álvarez",
    // Right-to-left scripts inside English.
    "Talks in القاهرة and תל אביב resumed",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters",
    "",
];

#[wasm_bindgen_test]
fn utf16_offsets_agree_with_javascript_string_length() {
    for sample in SAMPLES {
        let chars: Vec<char> = sample.chars().collect();
        for i in 0..=chars.len() {
            let prefix: String = chars[..i].iter().collect();
            let js_length = js_sys::JsString::from(prefix.as_str()).length() as usize;
            assert_eq!(utf16_from_scalar(sample, i), Some(js_length), "{sample:?} at scalar {i}");
            assert_eq!(scalar_from_utf16(sample, js_length), Some(i), "{sample:?} at UTF-16 {js_length}");
        }
        let whole = js_sys::JsString::from(*sample).length() as usize;
        assert_eq!(utf16_from_scalar(sample, scalar_len(sample)), Some(whole));
        assert_eq!(utf16_from_scalar(sample, scalar_len(sample) + 1), None);
    }
}

#[wasm_bindgen_test]
fn validate_runs_in_wasm_and_finds_a_whitespace_edge() {
    let spec: TaskSpec = serde_json::from_str(
        r#"{ "media": "text", "controls": [
            { "name": "entities", "type": "text_spans", "labels": [ { "value": "PERSON" } ] } ] }"#,
    )
    .unwrap();
    let text = "Dr. Lena Hartmann warned";
    let item = Item { id: "s02".into(), media: Media::Text { text: text.into() }, candidates: Vec::new() };
    let span = |id: &str, start, end| Region {
        id: id.into(),
        control: "entities".into(),
        value: RegionValue::TextSpan { start, end, label: "PERSON".into() },
        attributes: Default::default(),
    };
    // "Lena Hartmann " with the trailing space a double-click selects.
    let findings = validate(&spec, &item, &[span("r1", 4, 18)]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "span_whitespace_edge");
    assert_eq!(findings[0].regions, ["r1"]);
    assert!(validate(&spec, &item, &[span("r1", 4, 17)]).is_empty());
}
