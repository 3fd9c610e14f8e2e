//! The QA specialist's review pass: the error taxonomy (default and edited), region-level error
//! codes on reviews, a fix stored as a revision with its diff, feedback anchored to a region and
//! acknowledged by its annotator, and an item's overlay of several annotators' submissions.

use annoqa_api::{
    self as api, ErrorCode, FeedbackAnchor, FeedbackView, NewProject, OverlayView, ReviewView, Role,
    SubmissionRevision, SubmissionStatus, SubmissionView, SubmitResponse, UnreadFeedback,
};
use annoqa_core::{Region, RegionValue};
use annoqa_server::{Backend, Store};
use axum::http::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use crate::work::onboard;

/// The eight codes every project starts with.
const DEFAULT_CODES: [&str; 8] = [
    "missing_region",
    "extra_region",
    "wrong_label",
    "loose_or_tight_geometry",
    "wrong_attribute",
    "boundary_or_timing_off",
    "track_drift_or_id_switch",
    "guideline_specific",
];

/// Onboards `client`, then submits items until one without gold is submitted (its answer is
/// the one sentiment region `c1`); that item and its submission id.
async fn plain_submission(client: &Client<'_>) -> (String, i64) {
    onboard(client).await;
    let gold: Vec<String> = demo_items().into_iter().filter(|i| i.gold.is_some()).map(|i| i.item.id).collect();
    while let Some(item) = client.next(DEMO).await {
        let response: SubmitResponse = client.submit(DEMO, &item, valid_answer(&item)).await.json();
        if !gold.contains(&item) {
            return (item, response.submission_id);
        }
    }
    panic!("the demo project has an item without gold");
}

/// A PLACE span over the first word of the demo item's text.
fn first_word_span(item: &str, id: &str) -> Region {
    let text = demo_items().into_iter().find(|i| i.item.id == item).unwrap().item;
    let annoqa_core::Media::Text { text } = text.media else { panic!("the demo items are text") };
    let end = text.chars().take_while(|c| c.is_alphanumeric()).count();
    Region {
        id: id.into(),
        control: "entities".into(),
        value: RegionValue::TextSpan { start: 0, end, label: "PLACE".into() },
        attributes: Default::default(),
    }
}

both_backends! {
    async fn the_taxonomy_starts_with_the_defaults_and_a_refused_edit_changes_nothing(s) {
        let ana = s.annotator("ana").await;
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let codes: Vec<ErrorCode> = ana.get(&api::taxonomy_path(DEMO)).await.json();
        assert_eq!(codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), DEFAULT_CODES);
        assert!(codes.iter().all(|c| !c.title.is_empty() && c.guideline.is_none()));
        let put = |body: serde_json::Value| {
            let coordinator = coordinator.clone();
            async move { coordinator.put(&api::taxonomy_path(DEMO), &body).await }
        };
        let refused = [
            (json!([]), "at least one"),
            (json!([{"code": "a-b", "title": "A"}]), "snake_case"),
            (json!([{"code": "_a", "title": "A"}]), "snake_case"),
            (json!([{"code": "wrong_label", "title": "  "}]), "title"),
            (json!([{"code": "x", "title": "X"}, {"code": "x", "title": "Y"}]), "twice"),
            (json!([{"code": "x", "title": "X", "guideline": "nowhere"}]), "nowhere"),
        ];
        for (body, message) in &refused {
            let answer = put(body.clone()).await;
            answer.refused(api::ApiErrorCode::InvalidRequest);
            assert!(answer.error().contains(message), "{body}: {}", answer.error());
        }
        assert_eq!(s.count("error_codes").await, 0, "nothing stored by a refused edit");
        let edited = json!([
            {"code": "missed_person", "title": "Missed person", "guideline": "person"},
            {"code": "wrong_label", "title": "Wrong label"}
        ]);
        put(edited).await.expect(StatusCode::OK);
        // A refused edit after a stored one leaves the stored one.
        put(json!([{"code": "only", "title": "Only", "guideline": "nowhere"}])).await.refused(api::ApiErrorCode::InvalidRequest);
        let codes: Vec<ErrorCode> = ana.get(&api::taxonomy_path(DEMO)).await.json();
        assert_eq!(codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["missed_person", "wrong_label"]);
        assert_eq!(codes[0].guideline.as_deref(), Some("person"));
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        reviewer.put(&api::taxonomy_path(DEMO), &json!([{"code": "x", "title": "X"}])).await.refused(api::ApiErrorCode::Forbidden);
    }

    async fn region_errors_are_checked_stored_and_a_fix_is_a_revision_with_its_diff(s) {
        let ana = s.annotator("ana").await;
        let (item, sid) = plain_submission(&ana).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let review = |body: serde_json::Value| {
            let reviewer = reviewer.clone();
            async move { reviewer.post(&api::reviews_path(DEMO, sid), &body).await }
        };
        let fixed = vec![sentiment("negative"), first_word_span(&item, "e1")];
        let refused = [
            (json!({"verdict": "reject", "errors": [{"region": "c1", "code": "made_up"}]}), "made_up"),
            (json!({"verdict": "reject", "errors": [{"region": "e1", "code": "wrong_label"}]}), "no region `e1`"),
            (json!({"verdict": "reject", "errors": [{"region": "c1", "code": "wrong_label"}, {"region": "c1", "code": "wrong_label"}]}), "twice"),
            (json!({"verdict": "reject", "errors": [{"code": "wrong_label", "comment": "x".repeat(5001)}]}), "comment"),
            (json!({"verdict": "fix", "regions": fixed, "errors": [{"region": "e2", "code": "missing_region"}]}), "no region `e2`"),
        ];
        for (body, message) in &refused {
            let answer = review(body.clone()).await;
            answer.refused(api::ApiErrorCode::InvalidRequest);
            assert!(answer.error().contains(message), "{}", answer.error());
        }
        assert_eq!((s.count("reviews").await, s.count("submission_revisions").await), (0, 0), "nothing stored");
        let status: SubmissionView = ana.get(&api::submission_path(DEMO, sid)).await.json();
        assert_eq!(status.status, SubmissionStatus::Submitted);

        // A fix: `e1` is a region only the fix has, which a `missing_region` may name.
        let errors = json!([
            {"region": "c1", "code": "wrong_label", "comment": "the rain is bad news"},
            {"region": "e1", "code": "missing_region"},
            {"code": "guideline_specific"}
        ]);
        let answer = review(json!({"verdict": "fix", "regions": fixed, "errors": errors})).await;
        answer.expect(StatusCode::CREATED);
        let stored: ReviewView = answer.json();
        assert_eq!(serde_json::to_value(&stored.errors).unwrap(), errors);
        let again: ReviewView = ana.get(&api::review_path(DEMO, stored.id)).await.json();
        assert_eq!(again, stored, "the annotator reads the review as it was answered");

        let revisions: Vec<SubmissionRevision> = ana.get(&api::revisions_path(DEMO, sid)).await.json();
        assert_eq!(revisions.iter().map(|r| r.revision).collect::<Vec<_>>(), [1, 2]);
        assert_eq!((revisions[0].author.id, &revisions[0].regions), (ana.id(), &valid_answer(&item)));
        assert!(revisions[0].diff.is_empty() && revisions[0].review_id.is_none());
        assert_eq!((revisions[1].author.id, &revisions[1].regions), (reviewer.id(), &fixed));
        assert_eq!(revisions[1].review_id, Some(stored.id));
        let diff = &revisions[1].diff;
        assert_eq!(diff.added, ["e1"]);
        assert!(diff.removed.is_empty(), "{diff:?}");
        assert_eq!(diff.changed, ["c1"]);
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        assert_eq!(coordinator.get(&api::revisions_path(DEMO, sid)).await.json::<Vec<SubmissionRevision>>(), revisions);
        // Another annotator of the project does not see them.
        let bob = s.annotator("bob").await;
        bob.get(&api::revisions_path(DEMO, sid)).await.refused(api::ApiErrorCode::NotFound);
    }

    async fn anchored_feedback_reaches_the_annotator_unread_until_acknowledged(s) {
        let ana = s.annotator("ana").await;
        let (_, sid) = plain_submission(&ana).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let note = |anchor: serde_json::Value, guideline: serde_json::Value, text: &str| {
            let reviewer = reviewer.clone();
            let body = json!({"submission_id": sid, "error_codes": ["wrong_label"], "text": text, "anchor": anchor, "guideline": guideline});
            async move { reviewer.post(&api::feedback_path(DEMO), &body).await }
        };
        let refused = [
            (json!({"kind": "region", "region": "zz"}), json!(null), "no region `zz`"),
            (json!({"kind": "time", "start_s": 1.0, "end_s": 2.0}), json!(null), "audio or video"),
            (json!({"kind": "frames", "first": 1, "last": 2}), json!(null), "video"),
            (json!({"kind": "region", "region": "c1"}), json!("nowhere"), "nowhere"),
        ];
        for (anchor, guideline, message) in &refused {
            let answer = note(anchor.clone(), guideline.clone(), "x").await;
            answer.refused(api::ApiErrorCode::InvalidRequest);
            assert!(answer.error().contains(message), "{}", answer.error());
        }
        // A misspelt anchor is refused, never stored as a note about the whole submission.
        note(json!({"kind": "region", "regoin": "c1"}), json!(null), "x").await.refused(api::ApiErrorCode::InvalidRequest);
        assert_eq!(s.count("feedback").await, 0, "nothing stored");
        let unread = || {
            let ana = ana.clone();
            async move { ana.get(api::MY_UNREAD_FEEDBACK).await.json::<UnreadFeedback>().unread }
        };
        assert_eq!(unread().await, 0);

        let anchored: FeedbackView = note(json!({"kind": "region", "region": "c1"}), json!("sentiment"), "rain is negative").await.json();
        note(json!(null), json!(null), "otherwise fine").await.expect(StatusCode::CREATED);
        assert_eq!(unread().await, 2);
        let mine: Vec<FeedbackView> = ana.get(api::MY_FEEDBACK).await.json();
        let shown = mine.iter().find(|f| f.id == anchored.id).unwrap();
        assert_eq!(shown.anchor, Some(FeedbackAnchor::Region { region: "c1".into() }));
        assert_eq!((shown.guideline.as_deref(), shown.acknowledged_at_ms), (Some("sentiment"), None));

        s.advance(5_000);
        let acked: FeedbackView = ana.post(&api::feedback_ack_path(anchored.id), &json!({})).await.json();
        assert_eq!(acked.acknowledged_at_ms, Some(T0 + 5_000));
        assert_eq!(unread().await, 1);
        // Again: the same answer, the first time kept.
        s.advance(5_000);
        let twice: FeedbackView = ana.post(&api::feedback_ack_path(anchored.id), &json!({})).await.json();
        assert_eq!(twice, acked);
        assert_eq!(unread().await, 1);
        // Nobody else acknowledges it, not even its author; an unknown id is the same 404.
        reviewer.post(&api::feedback_ack_path(anchored.id), &json!({})).await.refused(api::ApiErrorCode::NotFound);
        ana.post(&api::feedback_ack_path(anchored.id + 1), &json!({})).await.refused(api::ApiErrorCode::NotFound);
        ana.without_csrf().post(&api::feedback_ack_path(anchored.id), &json!({})).await.refused(api::ApiErrorCode::MissingCsrfHeader);
        let entry: FeedbackView = reviewer.get(&api::feedback_entry_path(DEMO, anchored.id)).await.json();
        assert_eq!(entry.acknowledged_at_ms, Some(T0 + 5_000), "the author sees that it was read");
    }

    async fn the_overlay_shows_the_latest_five_annotators_of_the_callers_vendor(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let project = NewProject {
            id: "crowd".into(),
            title: "Crowd".into(),
            guidelines: String::new(),
            spec: Some(serde_json::from_value(json!({
                "media": "text",
                "controls": [{"name": "sentiment", "prompt": "Tone", "type": "choice", "labels": [{"value": "positive"}, {"value": "neutral"}, {"value": "negative"}]}]
            })).unwrap()),
            label_config: None,
            assignment: api::AssignmentPolicy { overlap: 6, ..Default::default() },
        };
        admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
        let items = json!([{"id": "t1", "media": {"type": "text", "text": "Rain again."}}]);
        admin.request("POST", &api::items_path("crowd"), &[("content-type", "application/json")], Some(serde_json::to_vec(&items).unwrap())).await.expect(StatusCode::CREATED);
        // Six annotators one after the other: four of acme, then two of globex.
        let mut names = Vec::new();
        for n in 0..6 {
            let vendor = if n < 4 { "acme" } else { "globex" };
            let name = format!("a{n}");
            let annotator = s.user(&name, Role::Annotator, Some(vendor), &["crowd"]).await;
            assert_eq!(annotator.next("crowd").await.as_deref(), Some("t1"));
            annotator.submit("crowd", "t1", vec![sentiment(["positive", "neutral"][n % 2])]).await.expect(StatusCode::OK);
            names.push(name);
            s.advance(1_000);
        }
        let names_in = |overlay: &OverlayView| overlay.annotations.iter().map(|a| a.annotator.username.clone()).collect::<Vec<_>>();
        let lead = s.user("lead", Role::Coordinator, None, &["crowd"]).await;
        let everyone: OverlayView = lead.get(&api::overlay_path("crowd", "t1")).await.json();
        assert_eq!(names_in(&everyone), ["a5", "a4", "a3", "a2", "a1"], "the latest five, latest first");
        assert_eq!(everyone.item.id, "t1");
        let latest = &everyone.annotations[0];
        assert_eq!((latest.status, latest.submitted_at_ms, &latest.regions), (SubmissionStatus::Submitted, T0 + 5_000, &vec![sentiment("neutral")]));
        let stored: SubmissionView = lead.get(&api::submission_path("crowd", latest.submission_id)).await.json();
        assert_eq!(stored.annotator.username, "a5");
        assert_eq!(names_in(&admin.get(&api::overlay_path("crowd", "t1")).await.json()), names_in(&everyone));
        // A vendor's reviewer: only that vendor's annotators.
        let acme = s.user("rev-acme", Role::Reviewer, Some("acme"), &["crowd"]).await;
        let scoped: OverlayView = acme.get(&api::overlay_path("crowd", "t1")).await.json();
        assert_eq!(names_in(&scoped), ["a3", "a2", "a1", "a0"]);
        // Refusals: an annotator's role, an unknown item.
        let a0 = s.login("a0", PASSWORD).await;
        a0.get(&api::overlay_path("crowd", "t1")).await.refused(api::ApiErrorCode::Forbidden);
        lead.get(&api::overlay_path("crowd", "t9")).await.refused(api::ApiErrorCode::NotFound);
    }
}

/// A database from before the review pass (eight migrations) with an accepted and a fixed
/// submission and a reviewer's note upgrades without losing a row: the fix becomes revision 2 of
/// its submission, the old reviews have no region errors, and the old note counts as unread.
async fn reviews_and_feedback_from_before_upgrade(backend: Backend) {
    let (url, pool, pg, _dir) = crate::storage::old_database(backend, 8).await;
    let item = serde_json::to_string(&demo_items().into_iter().next().unwrap().item).unwrap();
    let fixed = serde_json::to_string(&vec![sentiment("negative")]).unwrap();
    let statements = [
        "INSERT INTO users (id, username, password_hash, role, created_at_ms) VALUES (1, 'ana', 'x', 'annotator', 0), (2, 'rev', 'x', 'reviewer', 0)",
        "INSERT INTO projects (id, title, guidelines, spec, overlap, lease_ms, gold_onboarding, gold_rate, created_at_ms)
         VALUES ('p', 'P', '', '{}', 1, 60000, 0, 0.0, 0)",
        "INSERT INTO items (project_id, id, position, item, is_gold) VALUES ('p', 'a', 0, $1, FALSE), ('p', 'b', 1, $1, FALSE)",
        "INSERT INTO submissions (id, project_id, item_id, user_id, regions, lead_time_ms, created_at_ms, status)
         VALUES (10, 'p', 'a', 1, '[]', 0, 0, 'accepted'), (20, 'p', 'b', 1, '[]', 0, 0, 'fixed')",
        "INSERT INTO reviews (id, project_id, submission_id, reviewer_id, verdict, regions, error_codes, comment, created_at_ms)
         VALUES (1, 'p', 10, 2, 'accept', NULL, '[]', '', 5), (2, 'p', 20, 2, 'fix', $2, '[]', '', 7)",
        "INSERT INTO feedback (id, project_id, kind, author_id, recipient_id, submission_id, error_codes, body, created_at_ms)
         VALUES (3, 'p', 'review', 2, 1, 20, '[]', 'see the fix', 8)",
    ];
    for statement in statements {
        // Each statement binds what it names ($1 the item, $2 the fix); PostgreSQL refuses more.
        let query = sqlx::query(statement);
        let query = if statement.contains("$2") {
            query.bind(&item).bind(&fixed)
        } else if statement.contains("$1") {
            query.bind(&item)
        } else {
            query
        };
        query.execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = Store::connect(&url).await.unwrap();
    let revisions = store.revisions("p", 20).await.unwrap();
    assert_eq!(revisions.len(), 1);
    let revision = &revisions[0];
    assert_eq!((revision.revision, revision.author.id, revision.review_id, revision.created_at_ms), (2, 2, Some(2), 7));
    assert_eq!(revision.regions, vec![sentiment("negative")]);
    assert!(store.revisions("p", 10).await.unwrap().is_empty(), "an accepted submission has only its own revision");
    assert!(store.review("p", 1).await.unwrap().unwrap().errors.is_empty());
    assert_eq!(store.unread_feedback(1).await.unwrap(), 1);
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_reviews_and_feedback_from_before() {
    reviews_and_feedback_from_before_upgrade(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_reviews_and_feedback_from_before() {
    reviews_and_feedback_from_before_upgrade(Backend::Postgres).await;
}
