//! The review queue (sampling strategies) and verdicts: accept, reject (requeue), fix.

use std::collections::HashMap;

use annoqa_api::{self as api, ReviewTask, ReviewView, Role, SubmissionStatus, SubmissionView, SubmitResponse};
use annoqa_core::{Gold, GoldMode};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;
use crate::work::onboard;

/// Whether `needle` is `value` or any value inside it.
fn contains(value: &serde_json::Value, needle: &serde_json::Value) -> bool {
    value == needle
        || match value {
            serde_json::Value::Array(items) => items.iter().any(|v| contains(v, needle)),
            serde_json::Value::Object(fields) => fields.values().any(|v| contains(v, needle)),
            _ => false,
        }
}

/// How many reviews of one submission race each other.
const RACERS: usize = 16;

async fn taxonomy(s: &Server) {
    let admin = s.user("root", Role::Admin, None, &[]).await;
    admin
        .put(
            &api::taxonomy_path(DEMO),
            &serde_json::json!([
                {"code": "missed_entity", "title": "Missed entity", "guideline": "entities"},
                {"code": "wrong_sentiment", "title": "Wrong sentiment", "description": "Tone misread", "guideline": "sentiment"}
            ]),
        )
        .await
        .expect(StatusCode::OK);
}

both_backends! {
    async fn the_review_queue_samples_pending_submissions_by_each_strategy(s) {
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        onboard(&ana).await;
        onboard(&bob).await;
        for client in [&ana, &bob] {
            for _ in 0..4 {
                let item = client.next(DEMO).await.unwrap();
                client.submit(DEMO, &item, valid_answer(&item)).await.expect(StatusCode::OK);
            }
        }
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let queue = |strategy: &str, size: usize, seed: u64| {
            let reviewer = reviewer.clone();
            let uri = format!("{}?strategy={strategy}&size={size}&seed={seed}", api::review_queue_path(DEMO));
            async move { reviewer.get(&uri).await.json::<Vec<ReviewTask>>() }
        };
        let random = queue("random", 5, 7).await;
        assert_eq!(random.len(), 5);
        let ids: std::collections::HashSet<i64> = random.iter().map(|t| t.submission.id).collect();
        assert_eq!(ids.len(), 5, "no submission twice");
        assert_eq!(queue("random", 5, 7).await, random, "the seed makes the queue reproducible");
        assert_eq!(queue("random", 100, 1).await.len(), 14, "at most every pending submission");
        let stratified = queue("stratified", 2, 3).await;
        let annotators: std::collections::HashSet<String> = stratified.iter().map(|t| t.submission.annotator.username.clone()).collect();
        assert_eq!(annotators.len(), 2, "one from each annotator");
        assert_eq!(queue("risk", 4, 1).await.len(), 4);
        reviewer.get(&format!("{}?strategy=psychic", api::review_queue_path(DEMO))).await.refused(api::ApiErrorCode::BadRequest);
    }

    async fn the_review_queue_carries_submissions_of_gold_items_but_never_their_gold(s) {
        let gold: HashMap<String, Gold> =
            demo_items().into_iter().filter_map(|source| Some((source.item.id, source.gold?))).collect();
        // Ana answers every item with a sentiment its gold (if any) does not have, so nothing of
        // gold is in her answers: whatever of gold is in the queue came from the gold itself.
        let ana = s.annotator("ana").await;
        while let Some(item) = ana.next(DEMO).await {
            let label = ["positive", "neutral", "negative"]
                .into_iter()
                .find(|label| gold.get(&item).is_none_or(|g| !serde_json::to_string(&g.answer).unwrap().contains(label)))
                .unwrap();
            ana.submit(DEMO, &item, vec![sentiment(label)]).await.expect(StatusCode::OK);
        }
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let queue: Vec<ReviewTask> =
            reviewer.get(&format!("{}?size=500", api::review_queue_path(DEMO))).await.json();
        let modes: Vec<GoldMode> = queue.iter().filter_map(|t| gold.get(&t.item.id)).map(|g| g.mode).collect();
        assert!(
            modes.contains(&GoldMode::Training) && modes.contains(&GoldMode::Honeypot),
            "the queue has gold items of both kinds: {modes:?}"
        );
        for task in &queue {
            let Some(gold) = gold.get(&task.item.id) else { continue };
            let json = serde_json::to_value(task).unwrap();
            let mut leaked: Vec<serde_json::Value> =
                gold.answer.iter().map(|r| serde_json::to_value(r).unwrap()).filter(|r| contains(&json, r)).collect();
            // The explanation, even as part of some other text.
            let explanation = serde_json::to_string(&gold.explanation).unwrap();
            if !gold.explanation.is_empty() && json.to_string().contains(explanation.trim_matches('"')) {
                leaked.push(serde_json::json!(gold.explanation));
            }
            assert!(leaked.is_empty(), "the queue shows gold of {}: {leaked:?}", task.item.id);
        }
    }

    async fn verdicts_accept_reject_and_fix_with_the_fix_stored_beside_the_original(s) {
        taxonomy(&s).await;
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        onboard(&ana).await;
        onboard(&bob).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let item = ana.next(DEMO).await.unwrap();
            let response: SubmitResponse = ana.submit(DEMO, &item, valid_answer(&item)).await.json();
            ids.push((item, response.submission_id));
        }
        let review = |sid: i64, body: serde_json::Value| {
            let reviewer = reviewer.clone();
            async move { reviewer.post(&api::reviews_path(DEMO, sid), &body).await }
        };
        // Accept.
        let accepted: ReviewView = review(ids[0].1, serde_json::json!({"verdict": "accept"})).await.json();
        assert_eq!(accepted.verdict, api::ReviewVerdict::Accept);
        review(ids[0].1, serde_json::json!({"verdict": "reject"})).await.refused(api::ApiErrorCode::AlreadyReviewed);
        // Unknown error codes and fixes without regions are refused.
        review(ids[1].1, serde_json::json!({"verdict": "reject", "error_codes": ["nope"]})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        review(ids[1].1, serde_json::json!({"verdict": "fix"})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        review(ids[1].1, serde_json::json!({"verdict": "accept", "regions": []})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        // Reject: the item goes back to the pool for another annotator.
        review(ids[1].1, serde_json::json!({"verdict": "reject", "error_codes": ["wrong_sentiment"], "comment": "tone"})).await.expect(StatusCode::CREATED);
        let status: SubmissionView = ana.get(&api::submission_path(DEMO, ids[1].1)).await.json();
        assert_eq!(status.status, SubmissionStatus::Rejected);
        // Bob walks the queue: the rejected item is his to do, ana's accepted plain item is not
        // (overlap 1). Gold items go to everyone, so ids[2] (a honeypot) says nothing here.
        let mut bobs = Vec::new();
        while let Some(item) = bob.next(DEMO).await {
            bobs.push(item.clone());
            bob.submit(DEMO, &item, valid_answer(&item)).await.expect(StatusCode::OK);
        }
        assert!(bobs.contains(&ids[1].0), "the rejected item was requeued: {bobs:?}");
        assert!(!bobs.contains(&ids[0].0), "the accepted item is not: {bobs:?}");
        // Fix: validated like a submission, stored beside the original.
        let invalid = vec![annoqa_core::Region {
            id: "r".into(),
            control: "entities".into(),
            value: annoqa_core::RegionValue::TextSpan { start: 0, end: 100_000, label: "ORG".into() },
            attributes: Default::default(),
        }];
        review(ids[2].1, serde_json::json!({"verdict": "fix", "regions": invalid})).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let fixed_regions = vec![sentiment("negative")];
        let fixed: ReviewView = review(ids[2].1, serde_json::json!({"verdict": "fix", "regions": fixed_regions, "error_codes": ["wrong_sentiment"]})).await.json();
        assert_eq!(fixed.regions.as_ref(), Some(&fixed_regions));
        let original: SubmissionView = ana.get(&api::submission_path(DEMO, ids[2].1)).await.json();
        assert_eq!(original.status, SubmissionStatus::Fixed);
        assert_eq!(original.regions, valid_answer(&ids[2].0), "the original is kept as it was");
        // Reviewers cannot be annotators of the same project, and cannot review themselves.
        ana.post(&api::reviews_path(DEMO, ids[2].1), &serde_json::json!({"verdict": "accept"})).await.expect(StatusCode::FORBIDDEN);
    }

    async fn of_many_racing_reviews_of_one_submission_exactly_one_is_stored(s) {
        let ana = s.annotator("ana").await;
        onboard(&ana).await;
        let item = ana.next(DEMO).await.unwrap();
        let submission: SubmitResponse = ana.submit(DEMO, &item, valid_answer(&item)).await.json();
        let id = submission.submission_id;
        let reviewers = [
            s.user("rev1", Role::Reviewer, None, &[DEMO]).await,
            s.user("rev2", Role::Coordinator, None, &[DEMO]).await,
        ];
        // Accepts and rejects all at once, from two users, each request in its own task.
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let verdict = if n % 2 == 0 { "accept" } else { "reject" };
                let body = serde_json::json!({ "verdict": verdict });
                (verdict, reviewers[n % 2].spawn_json("POST", api::reviews_path(DEMO, id), &body))
            })
            .collect();
        let mut won = Vec::new();
        for (verdict, racer) in racers {
            let answer = racer.await.unwrap();
            match answer.status {
                StatusCode::CREATED => won.push(verdict),
                _ => {
                    answer.refused(api::ApiErrorCode::AlreadyReviewed);
                }
            }
        }
        assert_eq!(won.len(), 1, "exactly one of {RACERS} racing reviews succeeds; these did: {won:?}");
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews WHERE submission_id = $1")
            .bind(id)
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(stored, 1, "one review row");
        let status: SubmissionView = ana.get(&api::submission_path(DEMO, id)).await.json();
        let expected = if won[0] == "accept" { SubmissionStatus::Accepted } else { SubmissionStatus::Rejected };
        assert_eq!(status.status, expected, "the submission shows the winning verdict");
    }

    async fn the_taxonomy_checks_codes_and_guideline_anchors(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let put = |body: serde_json::Value| {
            let coordinator = coordinator.clone();
            async move { coordinator.put(&api::taxonomy_path(DEMO), &body).await }
        };
        let answer = put(serde_json::json!([{"code": "x", "title": "X", "guideline": "no-such-section"}])).await;
        answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.error().contains("no-such-section"));
        put(serde_json::json!([{"code": "x", "title": "X"}, {"code": "x", "title": "Y"}])).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        put(serde_json::json!([{"code": "Bad Code", "title": "X"}])).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        put(serde_json::json!([{"code": "missed", "title": "Missed", "guideline": "person"}])).await.expect(StatusCode::OK);
        let ana = s.annotator("ana").await;
        let codes: Vec<api::ErrorCode> = ana.get(&api::taxonomy_path(DEMO)).await.json();
        assert_eq!(codes.len(), 1);
        assert_eq!(codes[0].guideline.as_deref(), Some("person"));
    }
}
