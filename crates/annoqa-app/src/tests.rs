//! Native unit tests of the DOM-free parts: the annotator state machine, span segmentation,
//! selection trimming, routes and link filtering. Browser behaviour is in `tests/it`.

use annoqa_core::api::{AssignedItem, GoldReveal, NextItem, Progress, SubmitResponse};
use annoqa_core::{Finding, Gold, GoldMode, Item, Media, Region, RegionValue, Severity, TaskSpec};

use crate::labels::{is_plain_css_color, label_color};
use crate::markdown::safe_href;
use crate::route::{parse_hash, percent_decode, Route};
use crate::selection::{selection_from_utf16, TextSelection};
use crate::spans::{segments, SpanMark};
use crate::state::{
    hotkey_target, Action, AnnotatorState, GoldSource, GoldView, HotkeyTarget, LabelRef, Phase, SubmitFailure,
    SubmitIntent, Work,
};

const SPEC: &str = r##"{
    "media": "text",
    "controls": [
        { "name": "entities", "type": "text_spans", "overlap": "all_forbidden", "labels": [
            { "value": "PERSON", "hotkey": "1", "color": "#f6bd60" },
            { "value": "ORG", "hotkey": "2", "color": "red; background: url(x)" },
            { "value": "PLACE", "hotkey": "3" } ] },
        { "name": "sentiment", "type": "choice", "required": true, "labels": [
            { "value": "positive", "hotkey": "q" }, { "value": "negative", "hotkey": "e" } ] },
        { "name": "topics", "type": "choice", "multiple": true, "labels": [
            { "value": "sport", "hotkey": "s" }, { "value": "politics", "hotkey": "p" } ] }
    ]
}"##;

fn spec() -> TaskSpec {
    serde_json::from_str(SPEC).unwrap()
}

fn person() -> LabelRef {
    LabelRef { control: "entities".into(), label: "PERSON".into() }
}

fn next_item(text: &str, gold: Option<Gold>) -> NextItem {
    NextItem {
        item: Some(AssignedItem {
            item: Item { id: "s01".into(), media: Media::Text { text: text.into() }, candidates: Vec::new() },
            training_gold: gold,
        }),
        progress: Progress { done: 0, total: 3 },
    }
}

fn loaded(text: &str) -> AnnotatorState {
    let mut state = AnnotatorState::default();
    state.apply(Action::Loaded { next: next_item(text, None), now_ms: 1_000.0 });
    state
}

fn sel(start: usize, end: usize) -> TextSelection {
    TextSelection { start, end }
}

/// The regions as `id:control:value` lines, for compact comparisons.
fn regions(state: &AnnotatorState) -> Vec<String> {
    state
        .session()
        .unwrap()
        .regions
        .iter()
        .map(|r| match &r.value {
            RegionValue::TextSpan { start, end, label } => {
                format!("{}:{start}-{end}:{label}", r.id)
            }
            RegionValue::Choice { labels } => {
                format!("{}:{}={}", r.id, r.control, labels.join("+"))
            }
            other => format!("{}:{other:?}", r.id),
        })
        .collect()
}

fn error() -> Finding {
    Finding {
        severity: Severity::Error,
        code: "required".into(),
        message: "answer required".into(),
        control: None,
        regions: Vec::new(),
        guideline: None,
    }
}

#[test]
fn selection_with_active_label_becomes_a_span_at_once() {
    let mut state = loaded("Maria Costa lives in Porto.");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    assert_eq!(regions(&state), ["r1:0-11:PERSON"]);
    assert_eq!(state.session().unwrap().selected_region.as_deref(), Some("r1"));
}

#[test]
fn selection_without_label_waits_for_a_hotkey() {
    let mut state = loaded("Maria Costa lives in Porto.");
    state.apply(Action::Selected(sel(21, 26)));
    assert_eq!(state.session().unwrap().pending, Some(sel(21, 26)));
    assert!(regions(&state).is_empty());
    state.apply(Action::ActivateLabel(LabelRef { control: "entities".into(), label: "PLACE".into() }));
    assert_eq!(regions(&state), ["r1:21-26:PLACE"]);
    assert_eq!(state.session().unwrap().pending, None);
}

#[test]
fn the_same_span_twice_is_kept_once() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::Selected(sel(0, 11)));
    state.apply(Action::Selected(sel(0, 5)));
    assert_eq!(regions(&state), ["r1:0-5:PERSON", "r2:0-11:PERSON"]);
    assert_eq!(state.session().unwrap().selected_region.as_deref(), Some("r1"));
}

#[test]
fn removing_spans_by_id_and_by_selection() {
    let mut state = loaded("Maria Costa lives in Porto.");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::Selected(sel(6, 11)));
    state.apply(Action::Selected(sel(21, 26)));
    state.apply(Action::RemoveRegion("r2".into()));
    assert_eq!(regions(&state), ["r1:0-5:PERSON", "r3:21-26:PERSON"]);
    state.apply(Action::SelectRegion(Some("r1".into())));
    state.apply(Action::RemoveSelectedRegion);
    assert_eq!(regions(&state), ["r3:21-26:PERSON"]);
    // Nothing selected now: Delete does nothing.
    state.apply(Action::RemoveSelectedRegion);
    assert_eq!(regions(&state), ["r3:21-26:PERSON"]);
    // Ids are never reused within an item.
    state.apply(Action::Selected(sel(6, 11)));
    assert_eq!(regions(&state), ["r3:21-26:PERSON", "r4:6-11:PERSON"]);
}

#[test]
fn single_choice_replaces_and_multiple_choice_toggles() {
    let mut state = loaded("text");
    let choose = |control: &str, label: &str, multiple| Action::ToggleChoice {
        control: control.into(),
        label: label.into(),
        multiple,
    };
    state.apply(choose("sentiment", "positive", false));
    state.apply(choose("sentiment", "negative", false));
    state.apply(choose("topics", "sport", true));
    state.apply(choose("topics", "politics", true));
    assert_eq!(regions(&state), ["r1:sentiment=negative", "r2:topics=sport+politics"]);
    state.apply(choose("topics", "sport", true));
    state.apply(choose("sentiment", "negative", false));
    assert_eq!(regions(&state), ["r2:topics=politics"]);
}

#[test]
fn escape_clears_pending_selection_active_label_and_confirmation() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::ConfirmWarnings);
    state.apply(Action::ClearSelection);
    assert_eq!(state.active_label, None);
    assert_eq!(state.session().unwrap().phase, Phase::Editing);
    state.apply(Action::Selected(sel(0, 5)));
    assert!(state.session().unwrap().pending.is_some());
    state.apply(Action::ClearSelection);
    assert_eq!(state.session().unwrap().pending, None);
}

#[test]
fn submit_intent_follows_findings_and_phase() {
    let mut state = loaded("Maria Costa");
    let warning = Finding { severity: Severity::Warning, ..error() };
    assert_eq!(state.submit_intent(&[]), SubmitIntent::Submit);
    assert_eq!(state.submit_intent(&[error()]), SubmitIntent::FixErrors);
    assert_eq!(state.submit_intent(std::slice::from_ref(&warning)), SubmitIntent::ConfirmWarnings);
    state.apply(Action::ConfirmWarnings);
    assert_eq!(state.submit_intent(std::slice::from_ref(&warning)), SubmitIntent::Submit);
    // An edit withdraws the confirmation: it was for the previous answer.
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 5)));
    assert_eq!(state.submit_intent(&[warning]), SubmitIntent::ConfirmWarnings);
    state.apply(Action::SubmitStarted { local_gold: None });
    assert_eq!(state.submit_intent(&[]), SubmitIntent::Wait);
}

#[test]
fn editing_is_frozen_while_submitting_and_a_failure_keeps_the_answer() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    state.apply(Action::SubmitStarted { local_gold: None });
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::RemoveRegion("r1".into()));
    assert_eq!(regions(&state), ["r1:0-11:PERSON"]);
    state.apply(Action::SubmitFailed(SubmitFailure {
        message: "could not reach the server".into(),
        findings: Vec::new(),
        already_submitted: false,
    }));
    let session = state.session().unwrap();
    assert_eq!(session.phase, Phase::Editing);
    assert!(session.failure.is_some());
    assert_eq!(regions(&state), ["r1:0-11:PERSON"]);
    // The next edit clears the banner.
    state.apply(Action::Selected(sel(0, 5)));
    assert!(state.session().unwrap().failure.is_none());
}

#[test]
fn local_gold_report_is_replaced_by_the_servers() {
    let gold = Gold {
        mode: GoldMode::Training,
        answer: vec![Region {
            id: "g1".into(),
            control: "entities".into(),
            value: RegionValue::TextSpan { start: 0, end: 11, label: "PERSON".into() },
            attributes: Default::default(),
        }],
        tolerance: Default::default(),
        explanation: "Maria Costa is a person.".into(),
        guideline: None,
    };
    let mut state = AnnotatorState::default();
    state.apply(Action::Loaded { next: next_item("Maria Costa", Some(gold.clone())), now_ms: 0.0 });
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    let session = state.session().unwrap();
    let local = GoldView::local(&spec(), session.item(), &gold, &session.regions);
    assert_eq!(local.source, GoldSource::Local);
    state.apply(Action::SubmitStarted { local_gold: Some(local.clone()) });
    assert_eq!(state.session().unwrap().gold.as_ref().map(|g| g.source), Some(GoldSource::Local));

    let mut server_report = local.report.clone();
    server_report.score = 0.5;
    state.apply(Action::SubmitSucceeded(SubmitResponse {
        submission_id: 1,
        created_at_ms: 0,
        findings: Vec::new(),
        gold: Some(GoldReveal {
            mode: GoldMode::Training,
            answer: gold.answer.clone(),
            explanation: gold.explanation.clone(),
            guideline: None,
            report: server_report,
        }),
    }));
    let session = state.session().unwrap();
    assert_eq!(session.phase, Phase::Reviewing);
    let shown = session.gold.as_ref().unwrap();
    assert_eq!((shown.source, shown.report.score), (GoldSource::Server, 0.5));
    assert_eq!(state.submit_intent(&[]), SubmitIntent::Next);
}

#[test]
fn lead_time_counts_from_when_the_item_was_shown() {
    let state = loaded("x");
    let session = state.session().unwrap();
    assert_eq!(session.submit_request("demo", 3_499.6).lead_time_ms, 2_500);
    // A clock that went backwards gives zero, not a wrapped-around number.
    assert_eq!(session.submit_request("demo", 10.0).lead_time_ms, 0);
}

#[test]
fn active_label_survives_the_next_item_and_finished_has_no_session() {
    let mut state = loaded("a");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Loaded { next: next_item("b", None), now_ms: 0.0 });
    assert_eq!(state.active_label, Some(person()));
    assert!(state.session().unwrap().regions.is_empty());
    state
        .apply(Action::Loaded { next: NextItem { item: None, progress: Progress { done: 3, total: 3 } }, now_ms: 0.0 });
    assert_eq!(state.work, Work::Finished);
    assert_eq!(state.submit_intent(&[]), SubmitIntent::Wait);
}

#[test]
fn notices_hide_only_themselves() {
    let mut state = AnnotatorState::default();
    state.apply(Action::ShowNotice("saved s01".into()));
    let first = state.notice.clone().unwrap().id;
    state.apply(Action::ShowNotice("saved s02".into()));
    state.apply(Action::HideNotice(first));
    assert_eq!(state.notice.as_ref().map(|n| n.text.as_str()), Some("saved s02"));
}

#[test]
fn hotkeys_map_to_span_labels_and_choices() {
    let spec = spec();
    assert_eq!(hotkey_target(&spec, "1"), Some(HotkeyTarget::SpanLabel(person())));
    assert_eq!(
        hotkey_target(&spec, "Q"),
        Some(HotkeyTarget::Choice { control: "sentiment".into(), label: "positive".into(), multiple: false })
    );
    assert_eq!(
        hotkey_target(&spec, "p"),
        Some(HotkeyTarget::Choice { control: "topics".into(), label: "politics".into(), multiple: true })
    );
    assert_eq!(hotkey_target(&spec, "9"), None);
    assert_eq!(hotkey_target(&spec, "Enter"), None);
}

fn mark(region: &str, start: usize, end: usize) -> SpanMark {
    SpanMark { region: Some(region.into()), start, end, label: "L".into(), color: None, classes: Default::default() }
}

/// Segments as `start-end[covering regions]`.
fn check_segments(len: usize, spans: &[SpanMark], expected: &str) {
    let got: Vec<String> = segments(len, spans)
        .iter()
        .map(|s| {
            let covering: Vec<&str> = s.covering.iter().map(|&i| spans[i].region.as_deref().unwrap()).collect();
            format!("{}-{}[{}]", s.start, s.end, covering.join(","))
        })
        .collect();
    assert_eq!(got.join(" "), expected);
}

#[test]
fn segments_cover_the_text_and_nest_overlaps() {
    check_segments(10, &[], "0-10[]");
    check_segments(10, &[mark("a", 0, 10)], "0-10[a]");
    check_segments(10, &[mark("a", 2, 5)], "0-2[] 2-5[a] 5-10[]");
    // Overlapping: cut at every boundary; the earlier, longer span is outside.
    check_segments(10, &[mark("b", 4, 8), mark("a", 2, 6)], "0-2[] 2-4[a] 4-6[a,b] 6-8[b] 8-10[]");
    // Nested and identical spans.
    check_segments(
        6,
        &[mark("in", 2, 3), mark("out", 0, 6), mark("same", 0, 6)],
        "0-2[out,same] 2-3[out,same,in] 3-6[out,same]",
    );
    // Invalid spans are not drawn rather than breaking the text.
    check_segments(5, &[mark("empty", 2, 2), mark("reversed", 4, 1), mark("past", 3, 9)], "0-5[]");
}

#[test]
fn utf16_selection_to_trimmed_scalar_span() {
    // "😀" is two UTF-16 units and one scalar.
    let text = "a 😀 b";
    assert_eq!(selection_from_utf16(text, 2, 4), Some(sel(2, 3)));
    // Selecting only half the surrogate pair still takes the whole emoji.
    assert_eq!(selection_from_utf16(text, 2, 3), Some(sel(2, 3)));
    assert_eq!(selection_from_utf16(text, 3, 4), Some(sel(2, 3)));
    // Double-click selects the trailing space; it is trimmed.
    assert_eq!(selection_from_utf16("Maria Costa opened", 6, 12), Some(sel(6, 11)));
    assert_eq!(selection_from_utf16("  \u{200B} ", 0, 4), None);
    assert_eq!(selection_from_utf16("abc", 2, 2), None);
    assert_eq!(selection_from_utf16("abc", 0, 9), None);
    // Reversed ranges are normalised.
    assert_eq!(selection_from_utf16("abc", 3, 1), Some(sel(1, 3)));
}

#[test]
fn routes_round_trip_through_the_hash() {
    assert_eq!(parse_hash(""), Some(Route::Projects));
    assert_eq!(parse_hash("#/"), Some(Route::Projects));
    assert_eq!(parse_hash("#/p/news-entities"), Some(Route::Project("news-entities".into())));
    assert_eq!(parse_hash("#/nowhere"), Some(Route::Projects));
    assert_eq!(parse_hash("#g-person"), None);
    let odd = Route::Project("a b/ü".into());
    assert_eq!(odd.hash(), "#/p/a%20b%2F%C3%BC");
    assert_eq!(parse_hash(&odd.hash()), Some(odd));
    assert_eq!(percent_decode("%zz%"), "%zz%");
    assert_eq!(percent_decode("%FF"), "%FF");
}

#[test]
fn only_safe_link_targets_survive() {
    for ok in ["https://example.org", "HTTP://x", "mailto:a@b.c", "#person", " https://x "] {
        assert!(safe_href(ok).is_some(), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:x",
        "data:text/html,x",
        "vbscript:x",
        "/local",
        "evil.html",
        "java\tscript:x",
    ] {
        assert_eq!(safe_href(bad), None, "{bad}");
    }
}

#[test]
fn label_colours_come_from_the_spec_only_when_plain() {
    let spec = spec();
    assert_eq!(label_color(&spec, "entities", "PERSON").as_deref(), Some("#f6bd60"));
    // An injected style falls back to the palette.
    let org = label_color(&spec, "entities", "ORG").unwrap();
    assert!(is_plain_css_color(&org) && !org.contains(';'), "{org}");
    assert!(label_color(&spec, "entities", "PLACE").is_some());
    assert_eq!(label_color(&spec, "entities", "NOPE"), None);
    assert!(is_plain_css_color("rgb(1 2 3 / 50%)"));
    assert!(!is_plain_css_color("url(javascript:x)"));
}
