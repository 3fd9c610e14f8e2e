//! The reviewer screen's DOM-free parts: keys, the queue's query, state transitions, the
//! overlay the reviewer sees and the scorecards computed from the API's data.

use std::rc::Rc;

use annoqa_api::{
    ChoiceAnswers, GoldOutcome, OverlayAnnotation, OverlayView, QualificationSettings, ReviewQueueEntry,
    ReviewQueuePage, Role, ScorecardRow, ScorecardsData, SubmissionStatus, UserView,
};
use annoqa_core::{Item, Media, Region, TaskSpec};

use super::keys::{review_command, ReviewCommand};
use super::overlay::shown_overlay;
use super::queue::QueueFilters;
use super::scorecards::{peer_kappa, scorecards};
use super::state::{ItemLoad, Mode, ReviewAction, ReviewState};

#[test]
fn a_verdict_takes_at_most_two_keys() {
    assert_eq!(review_command("a", false), Some(ReviewCommand::Accept));
    assert_eq!(review_command("X", false), Some(ReviewCommand::StartReject));
    assert_eq!(review_command("3", true), Some(ReviewCommand::Reject(2)));
    assert_eq!(review_command("Escape", true), Some(ReviewCommand::CancelReject));
    // While a reject waits for its code, nothing else happens.
    assert_eq!(review_command("j", true), None);
    assert_eq!(review_command("0", true), None);
    // Without a pending reject, digits switch annotators (five at most).
    assert_eq!(review_command("2", false), Some(ReviewCommand::Toggle(1)));
    assert_eq!(review_command("6", false), None);
    assert_eq!(review_command("J", false), Some(ReviewCommand::NextEntry));
    assert_eq!(review_command("ArrowUp", false), Some(ReviewCommand::PreviousGroup));
}

#[test]
fn filters_become_the_queue_query_with_values_encoded() {
    let filters = QueueFilters::default().with("annotator", "ana b".into()).with("gold", "plain".into());
    assert_eq!(filters.query(None, 50), "?limit=50&annotator=ana%20b&gold=plain");
    assert_eq!(QueueFilters::default().query(Some("k/1"), 20), "?limit=20&cursor=k%2F1");
    assert_eq!(filters.with("nonsense", "x".into()), filters);
}

fn entry(id: i64, annotator: &str) -> ReviewQueueEntry {
    ReviewQueueEntry {
        submission_id: id,
        item_id: format!("item-{id}"),
        annotator: annotator.into(),
        vendor: None,
        submitted_at_ms: 0,
        status: SubmissionStatus::Submitted,
        gold: false,
        labels: Vec::new(),
    }
}

fn page(entries: Vec<ReviewQueueEntry>, next: Option<&str>) -> ReviewQueuePage {
    ReviewQueuePage { entries, next_cursor: next.map(str::to_string), total: 3, reviewed: 0, facets: None }
}

#[test]
fn pages_append_a_verdict_moves_on_and_a_filter_change_drops_late_pages() {
    let mut state = ReviewState::default();
    state.apply(ReviewAction::PageLoaded {
        generation: 0,
        page: page(vec![entry(1, "ana"), entry(2, "ben")], Some("c")),
        append: false,
    });
    state.apply(ReviewAction::PageLoaded { generation: 0, page: page(vec![entry(3, "cai")], None), append: true });
    assert_eq!(state.entries.len(), 3);
    assert_eq!(state.next_cursor, None);
    state.apply(ReviewAction::Reviewed { submission: 1, status: SubmissionStatus::Accepted, text: "ok".into() });
    assert_eq!((state.at, state.reviewed), (1, 1), "the next entry opens and progress counts the verdict");
    assert_eq!(state.entries[0].status, SubmissionStatus::Accepted);
    state.apply(ReviewAction::SetMode(Mode::Rejecting));
    state.apply(ReviewAction::Step(1));
    assert_eq!((state.at, state.mode), (2, Mode::Browsing), "moving on cancels a pending reject");
    state.apply(ReviewAction::Step(5));
    assert_eq!(state.at, 2, "J at the end stays");

    state.apply(ReviewAction::SetFilters(QueueFilters::default().with("annotator", "ana".into())));
    assert!(state.entries.is_empty());
    state.apply(ReviewAction::PageLoaded { generation: 0, page: page(vec![entry(9, "zed")], None), append: false });
    assert!(state.entries.is_empty(), "a page asked for under the old filters is dropped");
}

#[test]
fn an_overlay_arriving_for_another_item_is_ignored() {
    let mut state = ReviewState::default();
    state.apply(ReviewAction::ItemLoading("b".into()));
    let view = Rc::new(OverlayView { item: image_item(), annotations: Vec::new() });
    state.apply(ReviewAction::ItemLoaded { item: "a".into(), view: view.clone() });
    assert_eq!(state.item, ItemLoad::Loading("b".into()));
    state.apply(ReviewAction::ItemLoaded { item: "b".into(), view });
    assert!(matches!(state.item, ItemLoad::Ready(_)));
}

fn image_item() -> Item {
    Item {
        id: "card".into(),
        media: Media::Image { src: "x.png".into(), width: 640, height: 360 },
        candidates: Vec::new(),
    }
}

fn spec() -> TaskSpec {
    serde_json::from_value(serde_json::json!({
        "media": "image",
        "controls": [{"name": "overlays", "type": "b_box", "labels": [{"value": "timecode"}, {"value": "checkerboard"}]}]
    }))
    .unwrap()
}

fn boxed(id: &str, label: &str, x: f64) -> Region {
    serde_json::from_value(serde_json::json!({
        "id": id, "control": "overlays", "type": "b_box", "x": x, "y": 10.0, "width": 50.0, "height": 30.0, "label": label
    }))
    .unwrap()
}

fn annotation(name: &str, id: i64, regions: Vec<Region>) -> OverlayAnnotation {
    OverlayAnnotation {
        annotator: UserView { id, username: name.into(), role: Role::Annotator, vendor: None },
        submission_id: id,
        status: SubmissionStatus::Submitted,
        regions,
        submitted_at_ms: 0,
    }
}

#[test]
fn the_overlay_prefixes_ids_by_annotator_and_switching_one_off_reclasses_the_rest() {
    let view = OverlayView {
        item: image_item(),
        annotations: vec![
            annotation("ana", 1, vec![boxed("b", "timecode", 10.0)]),
            annotation("ben", 2, vec![boxed("b", "timecode", 11.0)]),
            annotation("cai", 3, vec![boxed("b", "checkerboard", 10.0), boxed("s", "timecode", 300.0)]),
        ],
    };
    let all = shown_overlay(&spec(), &view, &[]).unwrap();
    assert_eq!(all.regions.len(), 4);
    assert!(all.regions.iter().any(|r| r.id == "cai/s"));
    use crate::components::Agreement;
    assert_eq!(all.agreement.get("ana/b"), Some(&Agreement::Majority));
    assert_eq!(all.agreement.get("cai/s"), Some(&Agreement::Disagree));
    let stray = all.overlay.groups.iter().position(|g| g.members.iter().any(|m| m.id == "s")).unwrap();
    assert_eq!(all.member_of(stray, "cai"), Some("s"));
    assert_eq!(all.member_of(stray, "ana"), None);
    let json = all.test_json(&view);
    assert_eq!(json["annotators"].as_array().unwrap().len(), 3);
    assert!(json["matches"].as_array().unwrap().iter().any(|m| m["class"] == "disagree"));

    // cai switched off: ana and ben agree.
    let two = shown_overlay(&spec(), &view, &[true, true, false]).unwrap();
    assert_eq!(two.shown, vec![0, 1]);
    assert_eq!(two.agreement.get("ana/b"), Some(&Agreement::AllAgree));
    assert!(!two.regions.iter().any(|r| r.id.starts_with("cai/")));
}

fn row(name: &str, gold: &[(&str, bool)], accepted: u64, rejected: u64, leads: &[u64]) -> ScorecardRow {
    ScorecardRow {
        annotator: name.into(),
        vendor: None,
        gold: gold.iter().map(|(item, passed)| GoldOutcome { item: item.to_string(), passed: *passed }).collect(),
        accepted,
        fixed: 0,
        rejected,
        error_codes: vec!["wrong_label".into(), "wrong_label".into(), "extra_region".into()],
        lead_times_ms: leads.to_vec(),
        pre_kept: 3,
        pre_edited: 1,
        pre_deleted: 0,
        submissions: leads.len() as u64,
    }
}

#[test]
fn scorecards_leave_pending_and_retired_gold_out_and_pool_kappa_over_peers() {
    let choices = ChoiceAnswers {
        control: "tone".into(),
        items: vec!["i1".into(), "i2".into(), "i3".into(), "i4".into()],
        annotators: vec!["ana".into(), "ben".into()],
        // ana and ben agree on three items of four.
        answers: vec![[0, 0, 0], [0, 1, 0], [1, 0, 1], [1, 1, 1], [2, 0, 0], [2, 1, 0], [3, 0, 1], [3, 1, 0]],
        labels: vec!["pos".into(), "neg".into()],
    };
    // Observed 3/4; ana answers pos 2, neg 2 and ben pos 3, neg 1, so chance is 1/2.
    let kappa = peer_kappa(&choices, "ana").unwrap();
    assert!((kappa - 0.5).abs() < 1e-12, "κ = (0.75 − 0.5) / (1 − 0.5): {kappa}");
    assert_eq!(peer_kappa(&choices, "nobody"), None);

    let data = ScorecardsData {
        annotators: vec![row("ana", &[("g1", true), ("g2", false), ("g3", false)], 3, 1, &[1000, 3000, 2000])],
        pending_gold: vec!["g2".into()],
        retired_gold: vec!["g3".into()],
        qualification: QualificationSettings { p0: 0.8, p1: 0.95, alpha: 0.05, beta: 0.05, confidence: 0.95 },
        choices: vec![choices],
    };
    let card = scorecards(&data).remove(0).unwrap();
    assert_eq!((card.gold.passed, card.gold.counted, card.gold.pending), (1, 1, 1), "g3 retired, g2 pending");
    assert_eq!(card.review_acceptance, Some(0.75));
    assert_eq!(card.median_lead_time_ms, Some(2000.0));
    assert_eq!(card.error_codes[0].code, "wrong_label");
    assert_eq!(card.peer_agreement.len(), 1);
}
