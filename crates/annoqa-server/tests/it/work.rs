//! The next-item queue, leases, skips, gold mixing, submissions and idempotency keys.

use annoqa_api::{self as api, ImportReport, NewProject, NextItem, Role, SubmitResponse};
use annoqa_core::{GoldMode, ItemSource, Region, RegionValue};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

async fn set_overlap(s: &Server, overlap: i64) {
    sqlx::query("UPDATE projects SET overlap = $1 WHERE id = $2")
        .bind(overlap)
        .bind(DEMO)
        .execute(s.store.pool())
        .await
        .unwrap();
}

const LEASE_MS: i64 = 30 * 60 * 1000;

/// Submits the demo's three training items, which come first.
pub async fn onboard(client: &Client<'_>) {
    for expected in ["s01", "s02", "s03"] {
        assert_eq!(client.next(DEMO).await.as_deref(), Some(expected));
        client.submit(DEMO, expected, valid_answer(expected)).await.expect(StatusCode::OK);
    }
}

/// Every GET an annotator can reach, plus what a flag (their write) answers.
async fn crawl(client: &Client<'_>, submission: Option<i64>) -> Vec<(String, String)> {
    let mut uris = vec![
        api::PROJECTS.to_string(),
        api::project_path(DEMO),
        api::next_path(DEMO),
        api::taxonomy_path(DEMO),
        api::SESSION.to_string(),
        api::MY_FEEDBACK.to_string(),
        api::user_path(client.id()),
        api::members_path(DEMO),
        api::inbox_path(DEMO),
        api::review_queue_path(DEMO),
        api::export_path(DEMO),
        "/static/demo/news-entities/project.json".to_string(),
        "/static/demo/news-entities/items.jsonl".to_string(),
    ];
    if let Some(id) = submission {
        uris.push(api::submission_path(DEMO, id));
    }
    let mut bodies = Vec::new();
    for uri in uris {
        bodies.push((uri.clone(), client.get(&uri).await.body));
    }
    let flag = client
        .post(&api::flags_path(DEMO), &serde_json::json!({"guideline": "sentiment", "reason": "unclear", "text": "?"}))
        .await;
    bodies.push(("flag".into(), flag.body));
    bodies
}

both_backends! {
    async fn expired_sessions_and_old_idempotency_keys_are_purged_without_losing_a_submission(s) {
        let ana = s.user("ana", Role::Annotator, None, &[DEMO]).await;
        let item = ana.next(DEMO).await.unwrap();
        ana.submit_with_key(DEMO, &item, valid_answer(&item), "k-1").await.expect(StatusCode::OK);
        let (sessions, keys) = (s.count("sessions").await, s.count("idempotency_keys").await);
        assert_eq!((sessions, keys), (1, 1));
        // Nothing is old yet.
        let now = T0;
        let retention = annoqa_server::IDEMPOTENCY_KEY_RETENTION_MS;
        assert_eq!(s.store.purge_expired(now, now - retention, now - 60_000).await.unwrap(), (0, 0));
        // Past the session's 12 hours: the session goes, the key (24 hours) stays.
        let now = T0 + 13 * 3_600_000;
        assert_eq!(s.store.purge_expired(now, now - retention, now - 60_000).await.unwrap(), (1, 0));
        let now = T0 + 25 * 3_600_000;
        assert_eq!(s.store.purge_expired(now, now - retention, now - 60_000).await.unwrap(), (0, 1));
        assert_eq!((s.count("sessions").await, s.count("idempotency_keys").await), (0, 0));
        // A retry with the purged key is refused as a second submission, never stored twice.
        s.advance(25 * 3_600_000);
        let ana = s.login("ana", PASSWORD).await;
        ana.submit_with_key(DEMO, &item, valid_answer(&item), "k-1").await.refused(api::ApiErrorCode::AlreadySubmitted);
        assert_eq!(s.count("submissions").await, 1);
    }

    async fn overlap_limits_annotators_per_item_and_nobody_gets_an_item_twice(s) {
        set_overlap(&s, 2).await;
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        let cara = s.annotator("cara").await;
        // Gold items (the three training items first in the demo) go to everyone.
        for client in [&ana, &bob, &cara] {
            onboard(client).await;
        }
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s04"));
        // Asking again returns the same live lease.
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s04"));
        assert_eq!(bob.next(DEMO).await.as_deref(), Some("s04"));
        assert_eq!(cara.next(DEMO).await.as_deref(), Some("s05"), "s04 has its two annotators");
        ana.submit(DEMO, "s04", valid_answer("s04")).await.expect(StatusCode::OK);
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s05"));
        let mut seen: Vec<String> = ["s01", "s02", "s03", "s04", "s05"].map(String::from).to_vec();
        ana.submit(DEMO, "s05", valid_answer("s05")).await.expect(StatusCode::OK);
        while let Some(item) = ana.next(DEMO).await {
            assert!(!seen.contains(&item), "{item} came twice");
            ana.submit(DEMO, &item, valid_answer(&item)).await.expect(StatusCode::OK);
            seen.push(item);
        }
        assert_eq!(seen.len(), 40);
        let next: NextItem = ana.get(&api::next_path(DEMO)).await.json();
        assert_eq!((next.progress.done, next.progress.total), (40, 40));
    }

    async fn expired_leases_return_the_item_to_the_pool(s) {
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        onboard(&ana).await;
        onboard(&bob).await;
        let answer = ana.get(&api::next_path(DEMO)).await;
        let expires: i64 = answer.headers.get("lease-expires-at-ms").unwrap().to_str().unwrap().parse().unwrap();
        assert_eq!(expires, T0 + LEASE_MS);
        assert_eq!(bob.next(DEMO).await.as_deref(), Some("s05"), "s04 is leased to ana");
        bob.submit(DEMO, "s05", valid_answer("s05")).await.expect(StatusCode::OK);
        s.advance(LEASE_MS + 1);
        assert_eq!(bob.next(DEMO).await.as_deref(), Some("s04"), "ana's lease expired");
        // Ana's late submit loses: bob holds the only place on s04 now.
        let late = ana.submit(DEMO, "s04", valid_answer("s04")).await;
        late.refused(api::ApiErrorCode::LeaseLost);
        // And she is not given s04 again.
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s06"));
    }

    async fn a_late_submit_still_counts_when_nobody_took_the_place(s) {
        let ana = s.annotator("ana").await;
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s01"));
        s.advance(LEASE_MS * 2);
        ana.submit(DEMO, "s01", valid_answer("s01")).await.expect(StatusCode::OK);
    }

    async fn skipping_gives_the_item_to_someone_else_with_the_reason_stored(s) {
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        onboard(&ana).await;
        onboard(&bob).await;
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s04"));
        ana.post(&api::skip_path(DEMO, "s04"), &serde_json::json!({"reason": ""})).await.refused(api::ApiErrorCode::InvalidRequest);
        ana.post(&api::skip_path(DEMO, "s04"), &serde_json::json!({"reason": "text is garbled"})).await.expect(StatusCode::NO_CONTENT);
        ana.post(&api::skip_path(DEMO, "s04"), &serde_json::json!({"reason": "again"})).await.refused(api::ApiErrorCode::NotLeased);
        let reason: String = sqlx::query_scalar("SELECT skip_reason FROM assignments WHERE item_id = 's04'")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(reason, "text is garbled");
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s05"));
        assert_eq!(bob.next(DEMO).await.as_deref(), Some("s04"), "the skipped item went back to the pool");
        ana.submit(DEMO, "s04", valid_answer("s04")).await.refused(api::ApiErrorCode::NotAssigned);
    }

    async fn gold_is_mixed_in_onboarding_first_then_at_the_rate(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let spec = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(repo_root().join("static/demo/news-entities/project.json")).unwrap()).unwrap()["spec"].clone();
        let project = NewProject {
            id: "mix".into(),
            title: "Mixing".into(),
            guidelines: std::fs::read_to_string(repo_root().join("static/demo/news-entities/guidelines.md")).unwrap(),
            spec: serde_json::from_value(spec).unwrap(),
            assignment: api::AssignmentPolicy { overlap: 1, lease_ms: 60_000, gold_onboarding: 2, gold_rate: 0.25 },
        };
        admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
        // 5 gold items among 15, gold ones last in project order so order alone cannot explain the mix.
        let mut items: Vec<ItemSource> = demo_items().into_iter().filter(|i| i.gold.is_none()).take(10).collect();
        items.extend(demo_items().into_iter().filter(|i| i.gold.is_some()).take(5));
        let body: Vec<u8> = serde_json::to_vec(&items).unwrap();
        let report: ImportReport = admin
            .request("POST", &api::items_path("mix"), &[("content-type", "application/json")], Some(body))
            .await
            .json();
        assert_eq!(report.imported, 15);
        let ana = s.user("ana", Role::Annotator, None, &["mix"]).await;
        let mut kinds = String::new();
        while let Some(item) = ana.next("mix").await {
            let gold = items.iter().find(|i| i.item.id == item).unwrap().gold.is_some();
            kinds.push(if gold { 'G' } else { 'p' });
            ana.submit("mix", &item, valid_answer(&item)).await.expect(StatusCode::OK);
        }
        // Two onboarding gold items, then one in four; when gold runs out, plain items only.
        assert_eq!(kinds, "GGpppGpppGpppGp");
        assert_eq!(kinds.matches('G').count(), 5);
    }

    async fn idempotency_key_replays_the_first_response_and_refuses_a_changed_body(s) {
        let ana = s.annotator("ana").await;
        let item = ana.next(DEMO).await.unwrap();
        let first = ana.submit_with_key(DEMO, &item, valid_answer(&item), "key-1").await;
        first.expect(StatusCode::OK);
        s.advance(5_000);
        let again = ana.submit_with_key(DEMO, &item, valid_answer(&item), "key-1").await;
        again.expect(StatusCode::OK);
        assert_eq!(again.body, first.body, "the original response, byte for byte");
        let changed = ana.submit_with_key(DEMO, &item, vec![sentiment("negative")], "key-1").await;
        changed.refused(api::ApiErrorCode::PayloadMismatch);
        // A new key for the same item is a second submission: refused, the first kept.
        ana.submit_with_key(DEMO, &item, valid_answer(&item), "key-2").await.refused(api::ApiErrorCode::AlreadySubmitted);
        assert_eq!(s.count("submissions").await, 1);
        // Keys are per user: bob's "key-1" is his own.
        let bob = s.annotator("bob").await;
        let bobs = bob.next(DEMO).await.unwrap();
        bob.submit_with_key(DEMO, &bobs, valid_answer(&bobs), "key-1").await.expect(StatusCode::OK);
    }

    async fn a_submit_without_idempotency_key_is_a_bad_request(s) {
        let ana = s.annotator("ana").await;
        let item = ana.next(DEMO).await.unwrap();
        let body = serde_json::to_vec(&serde_json::json!({"lead_time_ms": 1, "regions": valid_answer(&item)})).unwrap();
        let answer = ana.request("POST", &api::submit_path(DEMO, &item), &[("content-type", "application/json")], Some(body)).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("Idempotency-Key"));
        assert_eq!(s.count("submissions").await, 0);
    }

    async fn a_key_still_in_flight_gets_409_then_the_first_response(s) {
        let ana = s.annotator("ana").await;
        let item = ana.next(DEMO).await.unwrap();
        // Hold the assignment row: the first submit's transaction waits behind this one (on
        // SQLite for the only writer connection, on PostgreSQL for the row lock).
        let mut blocker = s.store.pool().begin().await.unwrap();
        sqlx::query("UPDATE assignments SET seq = seq WHERE item_id = $1").bind(&item).execute(&mut *blocker).await.unwrap();
        let first = {
            let app = s.app.clone();
            let Auth::Cookie { token, .. } = ana.auth.clone() else { panic!("cookie") };
            let body = serde_json::to_vec(&serde_json::json!({"lead_time_ms": 1200, "regions": valid_answer(&item)})).unwrap();
            let request = axum::http::Request::post(api::submit_path(DEMO, &item))
                .header("content-type", "application/json")
                .header("idempotency-key", "slow")
                .header("cookie", format!("annoqa_session={token}"))
                .header("x-requested-with", "annoqa")
                .body(axum::body::Body::from(body))
                .unwrap();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let response = app.oneshot(request).await.unwrap();
                let status = response.status();
                let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                (status, String::from_utf8(bytes.to_vec()).unwrap())
            })
        };
        // Wait until the first request holds the key (it is then waiting behind the blocker).
        for _ in 0..500 {
            if s.state.is_in_flight(ana.id(), "slow") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(s.state.is_in_flight(ana.id(), "slow"));
        let answer = ana.submit_with_key(DEMO, &item, valid_answer(&item), "slow").await;
        answer.refused(api::ApiErrorCode::InFlight);
        blocker.commit().await.unwrap();
        let (status, body) = first.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        let replay = ana.submit_with_key(DEMO, &item, valid_answer(&item), "slow").await;
        assert_eq!((replay.status, replay.body), (StatusCode::OK, body));
        assert_eq!(s.count("submissions").await, 1);
    }

    async fn invalid_annotation_is_refused_with_findings_and_nothing_is_stored(s) {
        let ana = s.annotator("ana").await;
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s01"));
        let span = Region {
            id: "r1".into(),
            control: "entities".into(),
            value: RegionValue::TextSpan { start: 0, end: 12, label: "PERSON".into() },
            attributes: Default::default(),
        };
        // s01 starts with "Maria Costa " — the span ends in white space, and sentiment is missing.
        let answer = ana.submit_with_key(DEMO, "s01", vec![span], "k").await;
        answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let error: api::ApiError = answer.json();
        let codes: Vec<&str> = error.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["span_whitespace_edge", "required"]);
        assert_eq!(s.count("submissions").await, 0);
        assert_eq!(s.count("idempotency_keys").await, 0, "a refused request leaves its key unused");
        // The same key with a corrected body goes through.
        ana.submit_with_key(DEMO, "s01", valid_answer("s01"), "k").await.expect(StatusCode::OK);
    }

    async fn submitting_an_item_never_assigned_is_refused(s) {
        let ana = s.annotator("ana").await;
        let answer = ana.submit(DEMO, "s05", valid_answer("s05")).await;
        answer.refused(api::ApiErrorCode::NotAssigned);
        ana.submit(DEMO, "nope", valid_answer("s05")).await.expect(StatusCode::NOT_FOUND);
        assert_eq!(s.count("submissions").await, 0);
    }

    async fn honeypot_gold_appears_in_no_annotator_response_before_their_submission_is_stored(s) {
        set_overlap(&s, 2).await;
        let items = demo_items();
        let honeypots: Vec<&ItemSource> =
            items.iter().filter(|i| i.gold.as_ref().is_some_and(|g| g.mode == GoldMode::Honeypot)).collect();
        assert!(honeypots.len() >= 5, "the demo should have honeypots to test");
        let secrets = |submitted: &[String]| -> Vec<(String, String)> {
            honeypots
                .iter()
                .filter(|h| !submitted.contains(&h.item.id))
                .map(|h| (h.item.id.clone(), h.gold.as_ref().unwrap().explanation.clone()))
                .collect()
        };
        let crawler = s.annotator("crawler").await;
        let other = s.annotator("someone-else").await;
        let mut submitted: Vec<String> = Vec::new();
        let mut last_submission = None;
        loop {
            let bodies = crawl(&crawler, last_submission).await;
            for (uri, body) in &bodies {
                assert!(!body.contains("honeypot"), "{uri} names a honeypot: {body}");
                for (item, explanation) in secrets(&submitted) {
                    assert!(!body.contains(&explanation), "gold of {item} leaked by {uri} before submission: {body}");
                }
            }
            let next: NextItem = serde_json::from_str(&bodies[2].1).unwrap();
            let Some(assigned) = next.item else { break };
            let source = items.iter().find(|i| i.item.id == assigned.item.id).unwrap();
            if let Some(gold) = &assigned.training_gold {
                assert_eq!(Some(gold), source.gold.as_ref(), "training gold ships as stored");
            }
            // Answer with the gold answer where there is one, so every reveal must score 1.
            let answer = crawler.submit(DEMO, &assigned.item.id, valid_answer(&assigned.item.id)).await;
            answer.expect(StatusCode::OK);
            let response: SubmitResponse = answer.json();
            match (&source.gold, &response.gold) {
                (Some(gold), Some(reveal)) => {
                    assert_eq!(reveal.answer, gold.answer);
                    assert_eq!(reveal.report.score, 1.0, "gold answer scored below 1: {:?}", reveal.report);
                    assert!(reveal.report.passed);
                }
                (None, None) => {}
                (expected, got) => panic!("item {}: gold {expected:?} but reveal {got:?}", assigned.item.id),
            }
            submitted.push(assigned.item.id.clone());
            last_submission = Some(response.submission_id);
            // Another annotator still cannot see the gold this one has just been shown.
            for (uri, body) in crawl(&other, None).await {
                for (_, explanation) in secrets(&[]) {
                    assert!(!body.contains(&explanation), "{uri} showed someone else's reveal: {body}");
                }
            }
        }
        assert_eq!(submitted.len(), 40);
        let stored: (Option<f64>, Option<i64>) = sqlx::query_as(
            "SELECT s.gold_score, CAST(CASE WHEN s.gold_passed THEN 1 ELSE 0 END AS BIGINT)
             FROM submissions s JOIN users u ON u.id = s.user_id
             WHERE u.username = 'crawler' AND s.item_id = $1",
        )
        .bind(&honeypots[0].item.id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
        assert_eq!(stored, (Some(1.0), Some(1)), "the authoritative score is stored with the submission");
    }
}

both_backends! {
    async fn concurrent_submits_and_replays_are_each_stored_exactly_once(s) {
        use tower::ServiceExt;
        let mut clients = Vec::new();
        for n in 0..12 {
            let client = s.annotator(&format!("a{n}")).await;
            let Auth::Cookie { token, .. } = client.auth.clone() else { panic!("cookie") };
            clients.push(token);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (n, token) in clients.into_iter().enumerate() {
            let app = s.app.clone();
            tasks.spawn(async move {
                let call = |method: &str, uri: String, key: Option<String>, body: Option<Vec<u8>>| {
                    let mut request = axum::http::Request::builder()
                        .method(method)
                        .uri(uri)
                        .header("cookie", format!("annoqa_session={token}"))
                        .header("x-requested-with", "annoqa");
                    if let Some(key) = key {
                        request = request.header("idempotency-key", key).header("content-type", "application/json");
                    }
                    let request = request.body(body.map(axum::body::Body::from).unwrap_or_else(axum::body::Body::empty)).unwrap();
                    let app = app.clone();
                    async move {
                        let response = app.oneshot(request).await.unwrap();
                        let status = response.status();
                        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                        (status, String::from_utf8(bytes.to_vec()).unwrap())
                    }
                };
                let mut stored = Vec::new();
                for round in 0..6 {
                    let (status, body) = call("GET", api::next_path(DEMO), None, None).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    let next: NextItem = serde_json::from_str(&body).unwrap();
                    let Some(item) = next.item else { break };
                    let id = item.item.id;
                    let payload = serde_json::to_vec(&serde_json::json!({"lead_time_ms": 1, "regions": valid_answer(&id)})).unwrap();
                    let key = format!("a{n}-{round}");
                    // The same request three times at once: one stores, the others replay or
                    // see it in flight; never a second row.
                    let (first, second, third) = tokio::join!(
                        call("POST", api::submit_path(DEMO, &id), Some(key.clone()), Some(payload.clone())),
                        call("POST", api::submit_path(DEMO, &id), Some(key.clone()), Some(payload.clone())),
                        call("POST", api::submit_path(DEMO, &id), Some(key.clone()), Some(payload.clone())),
                    );
                    let oks: Vec<&String> = [&first, &second, &third].iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b).collect();
                    for (status, body) in [&first, &second, &third] {
                        assert!(*status == StatusCode::OK || *status == StatusCode::CONFLICT, "{status}: {body}");
                    }
                    assert!(!oks.is_empty(), "one of three went through: {first:?} {second:?} {third:?}");
                    assert!(oks.windows(2).all(|w| w[0] == w[1]), "replays are the original response");
                    stored.push(id);
                }
                stored.len()
            });
        }
        let mut expected = 0;
        while let Some(done) = tasks.join_next().await {
            expected += done.unwrap();
        }
        assert_eq!(s.count("submissions").await, i64::try_from(expected).unwrap());
        let duplicates: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT item_id, user_id FROM submissions GROUP BY item_id, user_id HAVING COUNT(*) > 1) d",
        )
        .fetch_one(s.store.pool())
        .await
        .unwrap();
        assert_eq!(duplicates, 0);
        assert_eq!(s.count("idempotency_keys").await, i64::try_from(expected).unwrap());
        // Twelve annotators leasing at once never put two on a plain item (overlap 1).
        let crowded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT a.item_id FROM assignments a
                                   JOIN items i ON i.project_id = a.project_id AND i.id = a.item_id
                                   WHERE i.gold IS NULL GROUP BY a.item_id HAVING COUNT(*) > 1) c",
        )
        .fetch_one(s.store.pool())
        .await
        .unwrap();
        assert_eq!(crowded, 0, "overlap exceeded");
    }
}
