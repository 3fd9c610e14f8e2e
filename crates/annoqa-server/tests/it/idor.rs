//! The IDOR matrix: each role × each object type × someone else's object is denied — 404 for
//! objects the caller may not know exist, 403 for actions their role in a visible project does
//! not allow — with the owners' own access as the positive control.

use annoqa_api::{self as api, FeedbackView, NewProject, ReviewView, Role, SubmitResponse};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

const OTHER: &str = "other";

/// Creates project `other` (same spec as the demo) with the first three demo items.
pub async fn create_other_project(admin: &Client<'_>) {
    let folder = repo_root().join("static/demo/news-entities");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("project.json")).unwrap()).unwrap();
    let project = NewProject {
        id: OTHER.into(),
        title: "Other".into(),
        guidelines: std::fs::read_to_string(folder.join("guidelines.md")).unwrap(),
        spec: Some(serde_json::from_value(file["spec"].clone()).unwrap()),
        label_config: None,
        assignment: Default::default(),
    };
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    let items: Vec<_> = demo_items().into_iter().skip(3).take(3).collect();
    admin
        .request(
            "POST",
            &api::items_path(OTHER),
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(&items).unwrap()),
        )
        .await
        .expect(StatusCode::CREATED);
}

/// How many feedback entries to `client` are unread.
async fn unread(client: &Client<'_>) -> u32 {
    client.get(api::MY_UNREAD_FEEDBACK).await.json::<api::UnreadFeedback>().unread
}

both_backends! {
    async fn every_role_is_denied_every_object_of_someone_else(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        create_other_project(&admin).await;
        // Demo project: two annotators of different vendors, an acme reviewer, an acme coordinator.
        let ann = s.user("ann", Role::Annotator, Some("acme"), &[DEMO]).await;
        let owner = s.user("owner", Role::Annotator, Some("globex"), &[DEMO, OTHER]).await;
        let reviewer = s.user("rev", Role::Reviewer, Some("acme"), &[DEMO]).await;
        let coordinator = s.user("coord", Role::Coordinator, Some("acme"), &[DEMO]).await;
        // Members of the other project only.
        let outsider_reviewer = s.user("rev-b", Role::Reviewer, None, &[OTHER]).await;
        let outsider_coordinator = s.user("coord-b", Role::Coordinator, None, &[OTHER]).await;

        // The owner's objects: a submission, its review, a flag and reviewer feedback to them.
        admin.put(&api::taxonomy_path(DEMO), &serde_json::json!([{"code": "missed_entity", "title": "Missed entity"}])).await.expect(StatusCode::OK);
        let item = owner.next(DEMO).await.unwrap();
        let submission: SubmitResponse = owner.submit(DEMO, &item, valid_answer(&item)).await.json();
        let sid = submission.submission_id;
        let review: ReviewView = admin
            .post(&api::reviews_path(DEMO, sid), &serde_json::json!({"verdict": "accept", "error_codes": ["missed_entity"]}))
            .await
            .json();
        let flag: FeedbackView = owner
            .post(&api::flags_path(DEMO), &serde_json::json!({"item_id": item, "reason": "unclear", "text": "which label?"}))
            .await
            .json();
        let note: FeedbackView = admin
            .post(&api::feedback_path(DEMO), &serde_json::json!({"submission_id": sid, "error_codes": ["missed_entity"], "text": "check names"}))
            .await
            .json();
        let other_item = owner.next(OTHER).await.unwrap();

        let get = |uri: String| ("GET", uri, None::<serde_json::Value>);
        let post = |uri: String, body: serde_json::Value| ("POST", uri, Some(body));
        let objects = vec![
            ("project", get(api::project_path(OTHER))),
            ("project items", get(api::next_path(OTHER))),
            ("item", post(api::submit_path(OTHER, &other_item), serde_json::json!({"lead_time_ms": 1, "regions": []}))),
            ("item skip", post(api::skip_path(OTHER, &other_item), serde_json::json!({"reason": "x"}))),
            ("submission", get(api::submission_path(DEMO, sid))),
            ("submission revisions", get(api::revisions_path(DEMO, sid))),
            ("submission item", get(api::submission_item_path(DEMO, sid))),
            ("submission review", post(api::reviews_path(DEMO, sid), serde_json::json!({"verdict": "reject"}))),
            ("review", get(api::review_path(DEMO, review.id))),
            ("flag", get(api::feedback_entry_path(DEMO, flag.id))),
            ("feedback", get(api::feedback_entry_path(DEMO, note.id))),
            ("feedback acknowledgement", post(api::feedback_ack_path(note.id), serde_json::json!({}))),
            ("flag acknowledgement", post(api::feedback_ack_path(flag.id), serde_json::json!({}))),
            ("item overlay", get(api::overlay_path(OTHER, &other_item))),
            ("feedback on submission", post(api::feedback_path(DEMO), serde_json::json!({"submission_id": sid, "error_codes": [], "text": "x"}))),
            ("export", get(api::export_path(OTHER))),
            ("inbox", get(api::inbox_path(OTHER))),
            ("scorecards", get(api::scorecards_path(OTHER))),
            ("bad gold", get(api::bad_gold_path(OTHER))),
            ("bad gold decision", post(api::bad_gold_item_path(OTHER, &other_item), serde_json::json!({"decision": "retire"}))),
            ("members", get(api::members_path(OTHER))),
            ("user", get(api::user_path(owner.id()))),
            ("user token", post(api::user_tokens_path(owner.id()), serde_json::json!({}))),
        ];
        // Every object above belongs to a project the caller is not in, or to another vendor's
        // annotator, or to another user: 404. Role-gated actions inside the caller's own project
        // are 403, checked below.
        let callers = [("annotator", &ann), ("reviewer", &reviewer), ("coordinator", &coordinator), ("outsider reviewer", &outsider_reviewer), ("outsider coordinator", &outsider_coordinator)];
        let mut wrong = Vec::new();
        for (who, client) in &callers {
            for (what, (method, uri, body)) in &objects {
                // The outsiders are members of OTHER: its project-level objects are theirs to see.
                if who.starts_with("outsider") && uri.contains("/projects/other") {
                    continue;
                }
                let answer = match body {
                    Some(b) => client.send_json(method, uri, b).await,
                    None => client.get(uri).await,
                };
                if answer.status != StatusCode::NOT_FOUND {
                    wrong.push(format!("{who} → {what} ({method} {uri}): {} {}", answer.status, answer.body));
                }
                for secret in ["check names", "which label?", "missed_entity"] {
                    if answer.body.contains(secret) {
                        wrong.push(format!("{who} → {what}: body shows `{secret}`"));
                    }
                }
            }
        }
        // Outsiders see nothing of the demo project.
        for client in [&outsider_reviewer, &outsider_coordinator] {
            for uri in [api::project_path(DEMO), api::review_queue_path(DEMO), api::review_queue_page_path(DEMO), api::inbox_path(DEMO), api::export_path(DEMO), api::taxonomy_path(DEMO), api::scorecards_path(DEMO), api::bad_gold_path(DEMO)] {
                let answer = client.get(&uri).await;
                if answer.status != StatusCode::NOT_FOUND {
                    wrong.push(format!("outsider → {uri}: {}", answer.status));
                }
            }
        }
        // Inside their own project, roles gate actions: 403.
        let gated = [
            (&ann, "GET", api::export_path(DEMO)),
            (&ann, "GET", api::inbox_path(DEMO)),
            (&ann, "GET", api::members_path(DEMO)),
            (&ann, "GET", api::review_queue_path(DEMO)),
            (&ann, "GET", api::review_queue_page_path(DEMO)),
            (&ann, "GET", api::overlay_path(DEMO, &item)),
            (&ann, "PUT", api::taxonomy_path(DEMO)),
            (&ann, "POST", api::items_path(DEMO)),
            (&ann, "GET", api::scorecards_path(DEMO)),
            (&ann, "GET", api::bad_gold_path(DEMO)),
            (&ann, "POST", api::bad_gold_item_path(DEMO, &item)),
            (&reviewer, "GET", api::bad_gold_path(DEMO)),
            (&reviewer, "POST", api::bad_gold_item_path(DEMO, &item)),
            (&reviewer, "GET", api::export_path(DEMO)),
            (&reviewer, "GET", api::inbox_path(DEMO)),
            (&reviewer, "GET", api::next_path(DEMO)),
            (&reviewer, "POST", api::flags_path(DEMO)),
            (&coordinator, "GET", api::next_path(DEMO)),
            (&coordinator, "GET", api::USERS.to_string()),
            (&coordinator, "POST", api::PROJECTS.to_string()),
        ];
        for (client, method, uri) in gated {
            let answer = if method == "GET" { client.get(&uri).await } else { client.send_json(method, &uri, &serde_json::json!([])).await };
            if answer.status != StatusCode::FORBIDDEN {
                wrong.push(format!("{} {method} {uri}: {} {}", client.user.as_ref().unwrap().username, answer.status, answer.body));
            }
        }
        // The acme coordinator's export and inbox leave globex out; the acme reviewer's queue too.
        let export = coordinator.get(&api::export_path(DEMO)).await;
        export.expect(StatusCode::OK);
        assert!(!export.body.contains("owner"), "another vendor's work in the export: {}", export.body);
        let inbox = coordinator.get(&api::inbox_path(DEMO)).await;
        inbox.expect(StatusCode::OK);
        assert_eq!(inbox.body, "[]", "another vendor's feedback in the inbox");
        assert_eq!(reviewer.get(&api::review_queue_path(DEMO)).await.body, "[]");
        let page: api::ReviewQueuePage = reviewer.get(&format!("{}?status=all", api::review_queue_page_path(DEMO))).await.json();
        assert!(page.entries.is_empty() && page.total == 0, "another vendor's work in the paged queue: {page:?}");
        let facets = page.facets.unwrap_or_default();
        assert!(!facets.annotators.iter().chain(&facets.vendors).any(|f| f == "owner" || f == "globex"), "{facets:?}");
        let scorecards: api::ScorecardsData = coordinator.get(&api::scorecards_path(DEMO)).await.json();
        assert!(scorecards.annotators.is_empty(), "another vendor's annotator in the scorecards: {scorecards:?}");
        assert!(scorecards.choices.iter().all(|c| c.annotators.is_empty()), "another vendor's answers: {scorecards:?}");
        let overlay: api::OverlayView = reviewer.get(&api::overlay_path(DEMO, &item)).await.json();
        assert!(overlay.annotations.is_empty(), "another vendor's work in the overlay: {overlay:?}");
        // Nobody but its recipient has read the note.
        assert_eq!((unread(&ann).await, unread(&owner).await), (0, 1));
        // Project lists show only memberships.
        let listed: Vec<api::ProjectSummary> = outsider_reviewer.get(api::PROJECTS).await.json();
        assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [OTHER]);
        assert!(wrong.is_empty(), "{} access checks failed:\n{}", wrong.len(), wrong.join("\n"));

        // Positive control: the owner and the admin do see these objects.
        owner.get(&api::submission_path(DEMO, sid)).await.expect(StatusCode::OK);
        owner.get(&api::review_path(DEMO, review.id)).await.expect(StatusCode::OK);
        owner.get(&api::feedback_entry_path(DEMO, flag.id)).await.expect(StatusCode::OK);
        owner.get(&api::feedback_entry_path(DEMO, note.id)).await.expect(StatusCode::OK);
        owner.get(&api::user_path(owner.id())).await.expect(StatusCode::OK);
        owner.get(&api::revisions_path(DEMO, sid)).await.expect(StatusCode::OK);
        let answered: annoqa_core::Item = owner.get(&api::submission_item_path(DEMO, sid)).await.json();
        assert_eq!(answered.id, item, "the owner reads the item their submission answers");
        let mine: Vec<FeedbackView> = owner.get(api::MY_FEEDBACK).await.json();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].acknowledged_at_ms, None, "the denied acknowledgements changed nothing");
        owner.post(&api::feedback_ack_path(note.id), &serde_json::json!({})).await.expect(StatusCode::OK);
        assert_eq!(unread(&owner).await, 0);
        assert!(ann.get(api::MY_FEEDBACK).await.json::<Vec<FeedbackView>>().is_empty());
        for uri in [api::submission_path(DEMO, sid), api::revisions_path(DEMO, sid), api::review_path(DEMO, review.id), api::feedback_entry_path(DEMO, flag.id), api::export_path(OTHER), api::overlay_path(OTHER, &other_item), api::user_path(owner.id())] {
            admin.get(&uri).await.expect(StatusCode::OK);
        }
        // A vendor-less coordinator of the project sees the globex work.
        let lead = s.user("lead", Role::Coordinator, None, &[DEMO]).await;
        lead.get(&api::submission_path(DEMO, sid)).await.expect(StatusCode::OK);
        let overlay: api::OverlayView = lead.get(&api::overlay_path(DEMO, &item)).await.json();
        assert_eq!(overlay.annotations.iter().map(|a| a.submission_id).collect::<Vec<_>>(), [sid]);
        assert!(lead.get(&api::export_path(DEMO)).await.body.contains("owner"));
        let page: api::ReviewQueuePage = lead.get(&format!("{}?status=all", api::review_queue_page_path(DEMO))).await.json();
        assert_eq!(page.entries.iter().map(|e| e.submission_id).collect::<Vec<_>>(), [sid]);
        let scorecards: api::ScorecardsData = lead.get(&api::scorecards_path(DEMO)).await.json();
        assert_eq!(scorecards.annotators.iter().map(|r| r.annotator.as_str()).collect::<Vec<_>>(), ["owner"]);
        admin.get(&api::bad_gold_path(OTHER)).await.expect(StatusCode::OK);
    }
}
