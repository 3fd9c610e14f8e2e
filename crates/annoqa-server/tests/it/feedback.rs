//! Flags from annotators, reviewer feedback to annotators, the coordinator's inbox.

use annoqa_api::{self as api, FeedbackKind, FeedbackView, FlagReason, Role, SubmitResponse};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;
use crate::work::onboard;

both_backends! {
    async fn flags_and_reviewer_feedback_reach_the_inbox_and_the_annotator(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        admin.put(&api::taxonomy_path(DEMO), &serde_json::json!([{"code": "missed_entity", "title": "Missed entity"}])).await.expect(StatusCode::OK);
        let ana = s.annotator("ana").await;
        onboard(&ana).await;
        let item = ana.next(DEMO).await.unwrap();
        let flag = |body: serde_json::Value| {
            let ana = ana.clone();
            async move { ana.post(&api::flags_path(DEMO), &body).await }
        };
        let on_item: FeedbackView = flag(serde_json::json!({"item_id": item, "reason": "bad_media", "text": "text cut off"})).await.json();
        assert_eq!((on_item.kind, on_item.reason), (FeedbackKind::Flag, Some(FlagReason::BadMedia)));
        flag(serde_json::json!({"guideline": "person", "reason": "unclear", "text": "titles?"})).await.expect(StatusCode::CREATED);
        flag(serde_json::json!({"item_id": "s02", "reason": "wrong_gold", "text": "gold misses a name"})).await.expect(StatusCode::CREATED);
        // Refusals: nothing flagged, unknown section, an item never given to her, empty text, bad reason.
        flag(serde_json::json!({"reason": "unclear", "text": "?"})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        flag(serde_json::json!({"guideline": "nope", "reason": "unclear", "text": "?"})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        flag(serde_json::json!({"item_id": "s40", "reason": "unclear", "text": "?"})).await.expect(StatusCode::NOT_FOUND);
        flag(serde_json::json!({"item_id": item, "reason": "unclear", "text": " "})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        flag(serde_json::json!({"item_id": item, "reason": "boring", "text": "x"})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);

        let response: SubmitResponse = ana.submit(DEMO, &item, valid_answer(&item)).await.json();
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let note = reviewer
            .post(&api::feedback_path(DEMO), &serde_json::json!({"submission_id": response.submission_id, "error_codes": ["missed_entity"], "text": "mark the ORG"}))
            .await;
        note.expect(StatusCode::CREATED);
        let note: FeedbackView = note.json();
        assert_eq!(note.recipient.as_ref().map(|r| r.username.as_str()), Some("ana"));
        reviewer
            .post(&api::feedback_path(DEMO), &serde_json::json!({"submission_id": response.submission_id, "error_codes": ["made_up"], "text": "x"}))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);

        let mine: Vec<FeedbackView> = ana.get(api::MY_FEEDBACK).await.json();
        assert_eq!(mine.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), ["mark the ORG"]);
        assert_eq!(mine[0].error_codes, ["missed_entity"]);

        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let inbox: Vec<FeedbackView> = coordinator.get(&api::inbox_path(DEMO)).await.json();
        let texts: Vec<&str> = inbox.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts.len(), 4, "{texts:?}");
        for expected in ["text cut off", "titles?", "gold misses a name", "mark the ORG"] {
            assert!(texts.contains(&expected), "{expected} missing from {texts:?}");
        }
        assert!(inbox.iter().all(|f| !serde_json::to_string(f).unwrap().contains("argon2")));
    }
}
