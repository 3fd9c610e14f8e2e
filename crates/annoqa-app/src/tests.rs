//! Native unit tests of the DOM-free parts: the annotator state machine, span segmentation,
//! selection trimming, routes and link filtering. Browser behaviour is in `tests/it`.

use annoqa_api::{
    self as api, ApiErrorCode, AssignedItem, GoldReveal, NextItem, Progress, Role, SubmitResponse, UserView,
};
use annoqa_core::{Finding, Gold, GoldMode, Item, Media, Region, RegionValue, Severity, TaskSpec};

use crate::api_client::{parse_retry_after, request_headers, ClientError, Verb};
use crate::components::{login_error_message, Auth, AuthAction};
use crate::labels::{color_style, is_plain_css_color, label_color};
use crate::markdown::safe_href;
use crate::route::{parse_hash, percent_decode, Route};
use crate::selection::{selection_from_utf16, TextSelection};
use crate::spans::{segments, SpanMark};
use crate::state::{
    hotkey_target, Action, AnnotatorState, GoldSource, GoldView, HotkeyTarget, LabelRef, Phase, SubmitFailure,
    SubmitIntent, Work,
};
use crate::submission::{hex, retry_after, Failure, PendingSubmission, Retry, MAX_ATTEMPTS};

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
            predictions: Vec::new(),
        }),
        progress: Progress { done: 0, total: 3 },
    }
}

fn loaded(text: &str) -> AnnotatorState {
    let mut state = AnnotatorState::default();
    state.apply(Action::Loaded { next: next_item(text, None), now_ms: 1_000.0, restored: None });
    state
}

/// A new submission of the current answer with idempotency key `key`.
fn pending(state: &AnnotatorState, key: &str) -> PendingSubmission {
    let session = state.session().unwrap();
    PendingSubmission::next(
        None,
        &session.item().id,
        &session.draft.to_regions(),
        || Some(key.into()),
        || session.submit_request(2_000.0),
    )
    .unwrap()
}

fn sel(start: usize, end: usize) -> TextSelection {
    TextSelection { start, end }
}

/// The regions as `id:control:value` lines, for compact comparisons.
fn regions(state: &AnnotatorState) -> Vec<String> {
    state
        .session()
        .unwrap()
        .draft
        .to_regions()
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
    state.apply(Action::SubmitStarted { local_gold: None, submission: pending(&state, "k1") });
    assert_eq!(state.submit_intent(&[]), SubmitIntent::Wait);
}

#[test]
fn editing_is_frozen_while_submitting_and_a_failure_keeps_the_answer() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    state.apply(Action::SubmitStarted { local_gold: None, submission: pending(&state, "k1") });
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::RemoveRegion("r1".into()));
    assert_eq!(regions(&state), ["r1:0-11:PERSON"]);
    state.apply(Action::SubmitFailed {
        failure: SubmitFailure {
            message: "could not reach the server".into(),
            findings: Vec::new(),
            already_submitted: false,
            unreachable: true,
        },
        submission: pending(&state, "k1"),
    });
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
    state.apply(Action::Loaded { next: next_item("Maria Costa", Some(gold.clone())), now_ms: 0.0, restored: None });
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    let session = state.session().unwrap();
    let local = GoldView::local(&spec(), session.item(), &gold, &session.draft.to_regions());
    assert_eq!(local.source, GoldSource::Local);
    state.apply(Action::SubmitStarted { local_gold: Some(local.clone()), submission: pending(&state, "k1") });
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
    assert_eq!(session.submit_request(3_499.6).lead_time_ms, 2_500);
    // A clock that went backwards gives zero, not a wrapped-around number.
    assert_eq!(session.submit_request(10.0).lead_time_ms, 0);
    // The submitter is the session's user: the request names nobody.
    let body = serde_json::to_value(session.submit_request(10.0)).unwrap();
    assert_eq!(body.get("annotator"), None, "{body}");
}

#[test]
fn active_label_survives_the_next_item_and_finished_has_no_session() {
    let mut state = loaded("a");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Loaded { next: next_item("b", None), now_ms: 0.0, restored: None });
    assert_eq!(state.active_label, Some(person()));
    assert!(state.session().unwrap().draft.borrow().is_empty());
    state.apply(Action::Loaded {
        next: NextItem { item: None, progress: Progress { done: 3, total: 3 } },
        now_ms: 0.0,
        restored: None,
    });
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
    assert_eq!(parse_hash("#/inbox"), Some(Route::Inbox));
    assert_eq!(parse_hash(&Route::Inbox.hash()), Some(Route::Inbox));
    assert_eq!(parse_hash("#/inbox/x"), Some(Route::Projects));
    assert_eq!(parse_hash("#g-person"), None);
    let odd = Route::Project("a b/ü".into());
    assert_eq!(odd.hash(), "#/p/a%20b%2F%C3%BC");
    assert_eq!(parse_hash(&odd.hash()), Some(odd));
    for page in [Route::Review("a b/ü".into()), Route::Quality("q".into()), Route::Note("a/b".into(), 7)] {
        assert_eq!(parse_hash(&page.hash()), Some(page.clone()));
        // The review bundle's pages are addressed under /review/ from either bundle.
        assert_eq!(page.href(), format!("/review/{}", page.hash()));
    }
    assert_eq!(parse_hash("#/review/"), Some(Route::Projects));
    assert_eq!(parse_hash("#/note/p/x"), Some(Route::Projects));
    assert_eq!(Route::Inbox.href(), "/#/inbox");
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

#[test]
fn resubmitting_the_same_answer_reuses_the_key_and_the_body_and_an_edit_makes_a_new_one() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 11)));
    let first = pending(&state, "k1");
    state.apply(Action::SubmitStarted { local_gold: None, submission: first.clone() });
    let failure =
        SubmitFailure { message: "offline".into(), findings: Vec::new(), already_submitted: false, unreachable: true };
    state.apply(Action::SubmitFailed { failure, submission: first.clone() });

    // Same answer, later: the same key and the same body (lead time included), no new key.
    let session = state.session().unwrap();
    let again = PendingSubmission::next(
        session.submission.as_ref(),
        &session.item().id,
        &session.draft.to_regions(),
        || panic!("a retry must not draw a new key"),
        || session.submit_request(99_000.0),
    )
    .unwrap();
    assert_eq!((again.key.as_str(), &again.request), ("k1", &first.request));

    // An edit: a new submission with a new key.
    state.apply(Action::Selected(sel(0, 5)));
    let session = state.session().unwrap();
    let edited = PendingSubmission::next(
        session.submission.as_ref(),
        &session.item().id,
        &session.draft.to_regions(),
        || Some("k2".into()),
        || session.submit_request(99_000.0),
    )
    .unwrap();
    assert_eq!(edited.key, "k2");
    assert_eq!(edited.request.regions.len(), 2);

    // Another item never reuses a key, even with the same (empty) answer.
    let other = PendingSubmission::next(
        Some(&first),
        "s02",
        &first.request.regions,
        || Some("k3".into()),
        || first.request.clone(),
    )
    .unwrap();
    assert_eq!(other.key, "k3");
    // Without a random source there is no new key, and nothing to send.
    assert_eq!(PendingSubmission::next(None, "s01", &[], || None, || first.request.clone()), None);
}

#[test]
fn success_forgets_the_submission_and_retrying_shows_why() {
    let mut state = loaded("x");
    state.apply(Action::ToggleChoice { control: "sentiment".into(), label: "positive".into(), multiple: false });
    let mut submission = pending(&state, "k1");
    state.apply(Action::SubmitStarted { local_gold: None, submission: submission.clone() });
    submission.record_attempt();
    state.apply(Action::SubmitRetrying { submission: submission.clone(), reason: "Still being stored".into() });
    let session = state.session().unwrap();
    assert_eq!(session.retrying.as_deref(), Some("Still being stored"));
    assert_eq!(session.submission.as_ref().map(|s| s.attempts), Some(1));
    state.apply(Action::SubmitSucceeded(SubmitResponse {
        submission_id: 7,
        created_at_ms: 0,
        findings: Vec::new(),
        gold: None,
    }));
    let session = state.session().unwrap();
    assert_eq!((session.submission.as_ref(), session.retrying.as_ref()), (None, None));
}

fn attempted(times: u32) -> PendingSubmission {
    let mut submission = PendingSubmission::next(
        None,
        "s01",
        &[],
        || Some("k".into()),
        || api::SubmitRequest { lead_time_ms: 0, regions: Vec::new(), prediction_outcome: None },
    )
    .unwrap();
    submission.begin_round();
    for _ in 0..times {
        submission.record_attempt();
    }
    submission
}

fn failed(status: Option<u16>) -> Failure {
    Failure { status, code: None, retry_after_ms: None }
}

fn refused(code: ApiErrorCode) -> Failure {
    Failure { status: Some(code.status()), code: Some(code), retry_after_ms: None }
}

#[test]
fn lost_answers_are_retried_with_backoff_and_real_answers_are_not() {
    // No answer: 0.5 s, 1 s, 2 s, then the annotator decides.
    let backoffs: Vec<Retry> = (1..=MAX_ATTEMPTS).map(|n| retry_after(&attempted(n), failed(None))).collect();
    assert_eq!(backoffs, [Retry::After(500), Retry::After(1000), Retry::After(2000), Retry::GiveUp]);
    assert_eq!(retry_after(&attempted(1), failed(Some(503))), Retry::After(500));
    // An earlier attempt with the key is still being stored: ask again for its response.
    assert_eq!(retry_after(&attempted(2), refused(ApiErrorCode::InFlight)), Retry::After(1000));
    // Every other refusal is an answer, whatever its status.
    for &code in ApiErrorCode::ALL.iter().filter(|&&c| c != ApiErrorCode::InFlight) {
        assert_eq!(retry_after(&attempted(2), refused(code)), Retry::GiveUp, "{code:?}");
    }
    // The server's Retry-After, within bounds.
    let asked = |ms| retry_after(&attempted(1), Failure { status: Some(503), code: None, retry_after_ms: Some(ms) });
    assert_eq!((asked(3000), asked(100), asked(60_000)), (Retry::After(3000), Retry::After(500), Retry::After(10_000)));
}

#[test]
fn pressing_submit_again_starts_a_new_round_but_stays_a_retry() {
    let mut submission = attempted(MAX_ATTEMPTS);
    assert_eq!(retry_after(&submission, failed(None)), Retry::GiveUp);
    submission.begin_round();
    submission.record_attempt();
    assert_eq!(retry_after(&submission, refused(ApiErrorCode::InFlight)), Retry::After(500));
}

#[test]
fn keys_are_lower_case_hex() {
    assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    assert_eq!(hex(&[]), "");
}

#[test]
fn only_requests_that_change_data_carry_the_csrf_header() {
    let names = |headers: Vec<(&'static str, String)>| -> Vec<String> {
        headers.into_iter().map(|(name, value)| format!("{name}: {value}")).collect()
    };
    assert_eq!(names(request_headers(Verb::Get, false, None)), ["accept: application/json"]);
    assert_eq!(
        names(request_headers(Verb::Post, true, Some("abc"))),
        [
            "accept: application/json",
            "content-type: application/json",
            "x-requested-with: annoqa",
            "idempotency-key: abc"
        ]
    );
    assert_eq!(
        names(request_headers(Verb::Delete, false, None)),
        ["accept: application/json", "x-requested-with: annoqa"]
    );
}

#[test]
fn retry_after_is_read_in_seconds() {
    assert_eq!(parse_retry_after(" 30 "), Some(30_000));
    assert_eq!(parse_retry_after("999999"), Some(3_600_000));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    assert_eq!(parse_retry_after("-1"), None);
}

fn client_error(code: Option<ApiErrorCode>, retry_after_ms: Option<u32>) -> ClientError {
    let status = code.map(ApiErrorCode::status);
    ClientError { status, code, message: "connection refused".into(), findings: Vec::new(), retry_after_ms }
}

#[test]
fn login_errors_say_what_to_do() {
    let wrong = client_error(Some(ApiErrorCode::InvalidCredentials), None);
    assert_eq!(login_error_message(&wrong), "Wrong username or password.");
    assert_eq!(
        login_error_message(&client_error(Some(ApiErrorCode::RateLimited), None)),
        "Too many failed attempts. Wait a minute, then try again."
    );
    assert_eq!(
        login_error_message(&client_error(Some(ApiErrorCode::RateLimited), Some(30_000))),
        "Too many failed attempts. Wait 30 seconds, then try again."
    );
    assert_eq!(login_error_message(&client_error(None, None)), "Could not log in: connection refused.");
}

fn user(id: i64) -> UserView {
    UserView { id, username: format!("user{id}"), role: Role::Annotator, vendor: None }
}

#[test]
fn a_401_while_logged_in_keeps_the_user_and_asks_for_a_login() {
    let auth = Auth::Checking.apply(AuthAction::Checked(Ok(None)));
    assert_eq!(auth, Auth::LoggedOut);
    // A late 401 while logged out changes nothing.
    assert_eq!(auth.apply(AuthAction::SessionEnded), Auth::LoggedOut);
    let auth = auth.apply(AuthAction::LoggedIn(user(1)));
    let auth = auth.apply(AuthAction::SessionEnded);
    assert_eq!(auth, Auth::Expired(user(1)));
    assert_eq!(auth.apply(AuthAction::LoggedIn(user(1))), Auth::LoggedIn(user(1)));
    assert_eq!(auth.apply(AuthAction::LoggedOut), Auth::LoggedOut);
    assert_eq!(Auth::Checking.apply(AuthAction::Checked(Err("down".into()))), Auth::CheckFailed("down".into()));
}

#[test]
fn label_colours_become_a_style_property_value() {
    assert_eq!(color_style(Some("#f6bd60")), "--label-color: #f6bd60");
    assert_eq!(color_style(None), "");
}

// The draft: undo/redo, slots and the change log.

fn keypoint(id: &str, x: f64) -> Region {
    Region {
        id: id.into(),
        control: "points".into(),
        value: RegionValue::Keypoint { x, y: 1.0, label: "nose".into() },
        attributes: Default::default(),
    }
}

fn xs(draft: &crate::draft::Draft) -> Vec<(String, f64)> {
    draft
        .regions()
        .iter()
        .map(|r| match r.value {
            RegionValue::Keypoint { x, .. } => (r.id.clone(), x),
            _ => unreachable!("only keypoints here"),
        })
        .collect()
}

#[test]
fn draft_undo_and_redo_walk_every_step_back_and_forth() {
    use crate::draft::Draft;
    let mut draft = Draft::new(Vec::new(), false);
    let a = draft.add(keypoint("", 1.0));
    let b = draft.add(keypoint("", 2.0));
    let c = draft.add(keypoint("", 3.0));
    assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("r1", "r2", "r3"));
    assert!(draft.set_value(&b, keypoint("", 20.0).value));
    assert!(!draft.set_value(&b, keypoint("", 20.0).value), "an unchanged value is no step");
    assert!(draft.remove(&[&a, &c]));
    assert_eq!(xs(&draft), [("r2".to_string(), 20.0)]);
    let states = [
        vec![("r1", 1.0), ("r2", 20.0), ("r3", 3.0)],
        vec![("r1", 1.0), ("r2", 2.0), ("r3", 3.0)],
        vec![("r1", 1.0), ("r2", 2.0)],
        vec![("r1", 1.0)],
        vec![],
    ];
    for expected in &states {
        assert!(draft.undo());
        let expected: Vec<(String, f64)> = expected.iter().map(|(id, x)| (id.to_string(), *x)).collect();
        assert_eq!(xs(&draft), expected);
    }
    assert!(!draft.undo());
    for _ in 0..5 {
        assert!(draft.redo());
    }
    assert_eq!(xs(&draft), [("r2".to_string(), 20.0)]);
    assert!(!draft.redo());
    // A new edit after an undo drops the redo branch.
    draft.undo();
    draft.add(keypoint("", 9.0));
    assert!(!draft.can_redo());
}

#[test]
fn draft_keeps_slots_across_removal_and_undo_and_logs_changed_slots() {
    use crate::draft::{Draft, UNDO_DEPTH};
    let mut draft = Draft::new((0..5).map(|i| keypoint(&format!("k{i}"), f64::from(i))).collect(), false);
    let before = draft.revision();
    assert_eq!(draft.slot_of("k3"), Some(3));
    draft.remove(&["k1"]);
    assert_eq!(draft.slot_of("k3"), Some(3), "a removal does not renumber slots");
    assert_eq!(draft.position_of("k3"), Some(2));
    assert_eq!(draft.at_slot(1), None);
    draft.set_value("k4", keypoint("", 40.0).value);
    assert_eq!(draft.changed_since(before), Some(vec![1, 4]));
    draft.undo();
    draft.undo();
    assert_eq!(draft.at_slot(1).map(|r| r.id.as_str()), Some("k1"));
    assert_eq!(draft.position_of("k1"), Some(1));
    assert_eq!(draft.changed_since(draft.revision()), Some(vec![]));
    // Far behind the log: the reader must rebuild.
    for i in 0..300 {
        draft.set_value("k0", keypoint("", f64::from(i) + 0.5).value);
    }
    assert_eq!(draft.changed_since(before), None);
    // Undo reaches back UNDO_DEPTH steps, no further.
    let mut undone = 0;
    while draft.undo() {
        undone += 1;
    }
    assert_eq!(undone, UNDO_DEPTH);
}

#[test]
fn draft_reports_predictions_kept_edited_and_deleted() {
    use crate::draft::Draft;
    use annoqa_api::PredictionOutcome;
    let mut draft = Draft::new(vec![keypoint("p1", 1.0), keypoint("p2", 2.0), keypoint("p3", 3.0)], true);
    draft.set_value("p2", keypoint("", 2.5).value);
    draft.remove(&["p3"]);
    let mine = draft.add(keypoint("", 7.0));
    assert!(!draft.is_predicted(&mine));
    assert_eq!(
        draft.prediction_outcome(),
        PredictionOutcome { kept: vec!["p1".into()], edited: vec!["p2".into()], deleted: vec!["p3".into()] }
    );
}

#[test]
fn undo_and_redo_reach_the_page_state_and_withdraw_a_warning_confirmation() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::ConfirmWarnings);
    state.apply(Action::Undo);
    assert!(regions(&state).is_empty());
    assert_eq!(state.session().unwrap().phase, Phase::Editing);
    assert_eq!(state.session().unwrap().selected_region, None, "the selected span is gone");
    state.apply(Action::Redo);
    assert_eq!(regions(&state), ["r1:0-5:PERSON"]);
}

#[test]
fn showing_a_finding_region_selects_it_and_asks_for_focus_each_time() {
    let mut state = loaded("Maria Costa");
    state.apply(Action::ActivateLabel(person()));
    state.apply(Action::Selected(sel(0, 5)));
    state.apply(Action::SelectRegion(None));
    state.apply(Action::ShowRegion("r1".into()));
    let first = state.session().unwrap().focus.clone();
    assert_eq!(state.session().unwrap().selected_region.as_deref(), Some("r1"));
    state.apply(Action::ShowRegion("r1".into()));
    let second = state.session().unwrap().focus.clone();
    assert_ne!(first, second, "asking twice asks again");
    state.apply(Action::ShowRegion("nope".into()));
    assert_eq!(state.session().unwrap().focus, second, "an unknown region is ignored");
}

#[test]
fn a_draft_starts_from_the_predictions_and_the_submission_says_what_became_of_them() {
    let spans = |ids: &[(&str, usize)]| -> Vec<Region> {
        ids.iter()
            .map(|&(id, start)| Region {
                id: id.into(),
                control: "entities".into(),
                value: RegionValue::TextSpan { start, end: start + 2, label: "PERSON".into() },
                attributes: Default::default(),
            })
            .collect()
    };
    let mut next = next_item("Maria Costa opened", None);
    if let Some(assigned) = next.item.as_mut() {
        assigned.predictions = spans(&[("p1", 0), ("p2", 6)]);
    }
    let mut state = AnnotatorState::default();
    state.apply(Action::Loaded { next: next.clone(), now_ms: 0.0, restored: None });
    assert_eq!(regions(&state), ["p1:0-2:PERSON", "p2:6-8:PERSON"]);
    state.apply(Action::RemoveRegion("p2".into()));
    let request = state.session().unwrap().submit_request(1.0);
    let outcome = request.prediction_outcome.expect("an item with predictions reports their outcome");
    assert_eq!((outcome.kept, outcome.deleted), (vec!["p1".to_string()], vec!["p2".to_string()]));

    // A draft restored from this browser still reports against the predictions as they came.
    let mut state = AnnotatorState::default();
    state.apply(Action::Loaded { next, now_ms: 0.0, restored: Some(spans(&[("p1", 1)])) });
    let outcome = state.session().unwrap().submit_request(1.0).prediction_outcome.unwrap();
    assert_eq!((outcome.edited, outcome.deleted), (vec!["p1".to_string()], vec!["p2".to_string()]));

    // Without predictions, no outcome.
    assert_eq!(loaded("x").session().unwrap().submit_request(1.0).prediction_outcome, None);
}

#[test]
fn a_new_region_never_takes_the_id_of_a_removed_region_or_a_prediction() {
    use crate::draft::Draft;
    let mut draft = Draft::new(vec![keypoint("r1", 1.0), keypoint("r2", 2.0)], true);
    draft.remove(&["r1"]);
    let fresh = draft.add(keypoint("", 3.0));
    assert!(fresh != "r1" && fresh != "r2", "{fresh}");
    let again = draft.add(keypoint("r1", 4.0));
    assert_ne!(again, "r1", "an id that undo could bring back is not reused");
    draft.undo();
    draft.undo();
    draft.undo();
    let ids: Vec<&str> = draft.regions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2"]);
    assert_eq!(draft.prediction_outcome().kept, ["r1", "r2"]);
}

#[test]
fn a_read_only_session_selects_but_never_edits() {
    let item = Item {
        id: "i1".into(),
        media: Media::Image { src: "a.png".into(), width: 100, height: 100 },
        candidates: Vec::new(),
    };
    let mut state = AnnotatorState::showing(crate::state::Session::read_only(item, vec![keypoint("k1", 5.0)]));
    for action in [
        Action::AddRegion(keypoint("", 9.0)),
        Action::RemoveRegion("k1".into()),
        Action::SetRegionValue { id: "k1".into(), value: keypoint("", 7.0).value },
        Action::Undo,
    ] {
        state.apply(action);
    }
    let session = state.session().unwrap();
    assert_eq!(session.draft.to_regions(), vec![keypoint("k1", 5.0)]);
    assert!(!session.editable());
    state.apply(Action::SelectRegion(Some("k1".into())));
    assert_eq!(state.session().unwrap().selected_region.as_deref(), Some("k1"));
}
