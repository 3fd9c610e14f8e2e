//! The request rules and idempotency keys, with the browser's own Web Crypto.

use annoqa_api::{SubmitRequest, CSRF_HEADER, CSRF_HEADER_VALUE, IDEMPOTENCY_KEY};
use annoqa_app::api_client::{request_headers, Verb};
use annoqa_app::submission::{random_key, PendingSubmission};
use annoqa_core::{Region, RegionValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn is_key(key: &str) -> bool {
    key.len() == 32 && key.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[wasm_bindgen_test]
fn keys_are_128_random_bits_in_hex() {
    let keys: Vec<String> = (0..64).map(|_| random_key().expect("Web Crypto in the browser")).collect();
    for key in &keys {
        assert!(is_key(key), "{key:?}");
    }
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "64 keys, all different");
    // Every hex digit shows up across 64 × 32 digits; a constant or badly encoded source would not.
    let digits: std::collections::BTreeSet<char> = keys.iter().flat_map(|k| k.chars()).collect();
    assert_eq!(digits.len(), 16);
}

fn regions(label: &str) -> Vec<Region> {
    vec![Region {
        id: "r1".into(),
        control: "sentiment".into(),
        value: RegionValue::Choice { labels: vec![label.into()] },
        attributes: Default::default(),
    }]
}

fn request(regions: &[Region], lead_time_ms: u64) -> SubmitRequest {
    SubmitRequest { lead_time_ms, regions: regions.to_vec(), prediction_outcome: None }
}

#[wasm_bindgen_test]
fn a_retry_sends_the_same_key_and_body_and_a_new_answer_gets_a_new_key() {
    let answer = regions("positive");
    let first = PendingSubmission::next(None, "s01", &answer, random_key, || request(&answer, 1200)).unwrap();
    assert!(is_key(&first.key));
    let retry = PendingSubmission::next(
        Some(&first),
        "s01",
        &answer,
        || panic!("no new key on a retry"),
        || request(&answer, 9999),
    )
    .unwrap();
    assert_eq!((retry.key.as_str(), retry.request.lead_time_ms), (first.key.as_str(), 1200));

    let changed = regions("negative");
    let second =
        PendingSubmission::next(Some(&first), "s01", &changed, random_key, || request(&changed, 1500)).unwrap();
    assert!(is_key(&second.key) && second.key != first.key);
    assert_eq!(second.request.regions, changed);
}

#[wasm_bindgen_test]
fn changes_carry_the_csrf_header_and_reads_do_not() {
    let has =
        |headers: &[(&str, String)], name: &str, value: &str| headers.iter().any(|(n, v)| *n == name && v == value);
    let get = request_headers(Verb::Get, false, None);
    assert!(!get.iter().any(|(n, _)| *n == CSRF_HEADER), "{get:?}");
    for verb in [Verb::Post, Verb::Delete] {
        let headers = request_headers(verb, true, None);
        assert!(has(&headers, CSRF_HEADER, CSRF_HEADER_VALUE), "{verb:?}: {headers:?}");
        assert!(!headers.iter().any(|(n, _)| *n == IDEMPOTENCY_KEY));
    }
    let submit = request_headers(Verb::Post, true, Some("0123abcd"));
    assert!(has(&submit, IDEMPOTENCY_KEY, "0123abcd"), "{submit:?}");
    // Header names are valid for the browser's Headers object.
    let headers = web_sys::Headers::new().unwrap();
    for (name, value) in &submit {
        headers.set(name, value).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    assert_eq!(headers.get(CSRF_HEADER).unwrap().as_deref(), Some(CSRF_HEADER_VALUE));
}
