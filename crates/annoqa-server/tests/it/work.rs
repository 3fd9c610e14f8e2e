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
            spec: Some(serde_json::from_value(spec).unwrap()),
            label_config: None,
            assignment: api::AssignmentPolicy { overlap: 1, lease_ms: 60_000, gold_onboarding: 2, gold_rate: 0.25, ..Default::default() },
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
        let (mut kinds, mut order) = (String::new(), Vec::new());
        while let Some(item) = ana.next("mix").await {
            let gold = items.iter().find(|i| i.item.id == item).unwrap().gold.is_some();
            kinds.push(if gold { 'G' } else { 'p' });
            ana.submit("mix", &item, valid_answer(&item)).await.expect(StatusCode::OK);
            order.push(item);
        }
        // Two onboarding gold items in project order (the training items come first), then one
        // in each four, at a place in the four drawn for this annotator; when gold runs out,
        // plain items only.
        assert_eq!(order[..2], ["s01", "s02"]);
        assert_eq!(kinds.len(), 15);
        assert_eq!(&kinds[..2], "GG");
        for four in kinds.as_bytes()[2..14].chunks(4) {
            assert_eq!(four.iter().filter(|k| **k == b'G').count(), 1, "{kinds}");
        }
        assert_eq!(&kinds[14..], "p");
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

    async fn submitting_an_item_never_assigned_is_refused_the_same_whether_it_exists_or_not(s) {
        let ana = s.annotator("ana").await;
        let existing = ana.submit(DEMO, "s05", valid_answer("s05")).await;
        existing.refused(api::ApiErrorCode::NotAssigned);
        let missing = ana.submit(DEMO, "s99", valid_answer("s05")).await;
        missing.refused(api::ApiErrorCode::NotAssigned);
        assert_eq!(existing.body.replace("s05", "s99"), missing.body);
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

/// A project `id` with the demo's text spec changed by `edit` (as JSON) and `items`.
async fn text_project(admin: &Client<'_>, id: &str, edit: impl FnOnce(&mut serde_json::Value), items: &[ItemSource]) {
    let demo = std::fs::read_to_string(repo_root().join("static/demo/news-entities/project.json")).unwrap();
    let mut spec = serde_json::from_str::<serde_json::Value>(&demo).unwrap()["spec"].clone();
    edit(&mut spec);
    let project = NewProject {
        id: id.into(),
        title: id.into(),
        guidelines: std::fs::read_to_string(repo_root().join("static/demo/news-entities/guidelines.md")).unwrap(),
        spec: Some(serde_json::from_value(spec).unwrap()),
        label_config: None,
        assignment: api::AssignmentPolicy::default(),
    };
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    import(admin, id, items).await;
}

async fn import(admin: &Client<'_>, project: &str, items: &[ItemSource]) {
    let body = serde_json::to_vec(items).unwrap();
    let answer =
        admin.request("POST", &api::items_path(project), &[("content-type", "application/json")], Some(body)).await;
    answer.expect(StatusCode::CREATED);
}

const IMAGES: &str = "images";

/// An image project with the rules a pile of identical boxes trips for every pair (no overlap,
/// no duplicates) and a polygon control, room for ten annotators on its one item `img-1`.
async fn image_project(admin: &Client<'_>) {
    let spec = serde_json::json!({
        "media": "image",
        "controls": [
            {"name": "boxes", "type": "b_box", "labels": [{"value": "car"}]},
            {"name": "shapes", "type": "polygon", "labels": [{"value": "lake"}]}
        ],
        "rules": [
            {"rule": "no_overlap", "control": "boxes", "scope": "any"},
            {"rule": "no_duplicates", "control": "boxes"}
        ]
    });
    let project = NewProject {
        id: IMAGES.into(),
        title: "Images".into(),
        guidelines: String::new(),
        spec: Some(serde_json::from_value(spec).unwrap()),
        label_config: None,
        assignment: api::AssignmentPolicy { overlap: 10, ..Default::default() },
    };
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    let image = serde_json::json!({"id": "img-1", "media": {"type": "image", "src": "/static/x.png", "width": 4000, "height": 4000}});
    import(admin, IMAGES, &[serde_json::from_value(image).unwrap()]).await;
}

fn identical_boxes(n: usize) -> Vec<Region> {
    (0..n)
        .map(|i| Region {
            id: format!("b{i}"),
            control: "boxes".into(),
            value: RegionValue::BBox {
                x: 10.0,
                y: 10.0,
                width: 50.0,
                height: 50.0,
                rotation: 0.0,
                label: "car".into(),
            },
            attributes: Default::default(),
        })
        .collect()
}

/// A polygon of `n` points (the default limit is 10,000) whose edges all span the frame's
/// width, so the simplicity check's sweep keeps every edge in play: quadratic work, about a
/// second for 3,000 points in a debug build.
fn zigzag(n: usize) -> Vec<Region> {
    let points = (0..n).map(|i| [if i % 2 == 0 { 1.0 } else { 3999.0 }, 1.0 + i as f64 * 0.3]).collect();
    let value = RegionValue::Polygon { points, label: "lake".into() };
    vec![Region { id: "zigzag".into(), control: "shapes".into(), value, attributes: Default::default() }]
}

/// Submits `regions` as `client` through `app` (a router of its own), from a task of its own.
fn spawn_submit(
    app: &axum::Router,
    client: &Client<'_>,
    item: &str,
    regions: Vec<Region>,
) -> tokio::task::JoinHandle<(StatusCode, axum::http::HeaderMap, String)> {
    use tower::ServiceExt;
    let Auth::Cookie { token, .. } = client.auth.clone() else { panic!("cookie") };
    let body = serde_json::to_vec(&serde_json::json!({"lead_time_ms": 1, "regions": regions})).unwrap();
    let request = axum::http::Request::post(api::submit_path(IMAGES, item))
        .header("content-type", "application/json")
        .header("idempotency-key", format!("k-{}", annoqa_server::new_id()))
        .header("cookie", format!("{}={token}", api::SESSION_COOKIE))
        .header(api::CSRF_HEADER, api::CSRF_HEADER_VALUE)
        .body(axum::body::Body::from(body))
        .unwrap();
    let app = app.clone();
    tokio::spawn(async move {
        let response = app.oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&bytes).into_owned())
    })
}

both_backends! {
    async fn a_submit_without_a_lease_reveals_nothing_of_the_item_not_even_whether_it_exists(s) {
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        onboard(&ana).await;
        assert_eq!(ana.next(DEMO).await.as_deref(), Some("s04"));
        // Overlapping spans (the demo forbids them) and a span past the end: validation would
        // quote both spans' text and say how long the text is.
        let probe = |start: usize| Region {
            id: format!("r{start}"),
            control: "entities".into(),
            value: RegionValue::TextSpan { start, end: start + 20, label: "ORG".into() },
            attributes: Default::default(),
        };
        let regions = vec![probe(0), probe(5), probe(10_000)];
        let mut bodies = Vec::new();
        for item in ["s04", "s06", "no-such-item"] {
            let answer = bob.submit(DEMO, item, regions.clone()).await;
            answer.refused(api::ApiErrorCode::NotAssigned);
            let error: api::ApiError = answer.json();
            assert!(error.findings.is_empty(), "{item}: {}", answer.body);
            bodies.push(answer.body.replace(item, "ITEM"));
        }
        // Leased to someone else, free, or missing: the same answer.
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
        for source in demo_items().iter().filter(|i| ["s04", "s06"].contains(&i.item.id.as_str())) {
            let annoqa_core::Media::Text { text } = &source.item.media else { panic!("text") };
            let chars: Vec<char> = text.chars().collect();
            for window in chars.windows(10) {
                let quote: String = window.iter().collect();
                assert!(!bodies[0].contains(&quote), "quotes {}: {}", source.item.id, bodies[0]);
            }
        }
        assert_eq!(s.count("submissions").await, 3, "only ana's onboarding");
        assert_eq!(s.count("idempotency_keys").await, 3);
    }

    async fn an_annotation_over_the_project_limits_is_refused_before_validation(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let items: Vec<ItemSource> = demo_items().into_iter().filter(|i| i.gold.is_none()).take(2).collect();
        text_project(&admin, "limited", |spec| spec["limits"] = serde_json::json!({"regions": 3}), &items).await;
        let ana = s.user("ana", Role::Annotator, None, &["limited"]).await;
        let bob = s.user("bob", Role::Annotator, None, &["limited"]).await;
        let item = ana.next("limited").await.unwrap();
        let four = vec![sentiment("neutral"), sentiment("neutral"), sentiment("neutral"), sentiment("neutral")];
        // Bob has no lease: that comes first.
        bob.submit("limited", &item, four.clone()).await.refused(api::ApiErrorCode::NotAssigned);
        let answer = ana.submit_with_key("limited", &item, four, "k").await;
        answer.refused(api::ApiErrorCode::LimitExceeded);
        assert!(answer.error().contains("limits.regions"), "{}", answer.body);
        assert!(answer.json::<api::ApiError>().findings.is_empty(), "not validated: {}", answer.body);
        assert_eq!(s.count("submissions").await, 0);
        ana.submit_with_key("limited", &item, vec![sentiment("neutral")], "k").await.expect(StatusCode::OK);
    }

    async fn thousands_of_identical_boxes_get_a_bounded_answer(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        image_project(&admin).await;
        let ana = s.user("ana", Role::Annotator, None, &[IMAGES]).await;
        assert_eq!(ana.next(IMAGES).await.as_deref(), Some("img-1"));
        // 5,000 boxes on one spot: every pair overlaps and duplicates (12.5 million pairs).
        let answer = ana.submit(IMAGES, "img-1", identical_boxes(5_000)).await;
        answer.refused(api::ApiErrorCode::InvalidAnnotation);
        let error: api::ApiError = answer.json();
        let limit = 64 * 1024;
        assert!(answer.body.len() <= limit + 1024, "{} bytes for {} findings", answer.body.len(), error.findings.len());
        let last = error.findings.last().unwrap();
        assert_eq!(last.code, "findings_capped", "the cap is reported: {last:?}");
        assert!(error.findings.iter().any(|f| f.code == "overlap"), "{}", answer.body);
        eprintln!("5,000 identical boxes: {} bytes, {} findings", answer.body.len(), error.findings.len());
        assert_eq!(s.count("submissions").await, 0);
    }

    async fn a_heavy_validation_does_not_hold_up_other_users(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        image_project(&admin).await;
        let ana = s.user("ana", Role::Annotator, None, &[IMAGES]).await;
        let bob = s.user("bob", Role::Annotator, None, &[IMAGES]).await;
        let cara = s.user("cara", Role::Annotator, None, &[DEMO]).await;
        for client in [&ana, &bob] {
            assert_eq!(client.next(IMAGES).await.as_deref(), Some("img-1"));
        }
        // As many heavy submissions as the runtime has worker threads (two).
        let heavy = [spawn_submit(&s.app, &ana, "img-1", zigzag(3_000)), spawn_submit(&s.app, &bob, "img-1", zigzag(3_000))];
        while s.state.cpu_jobs_running() == 0 {
            assert!(heavy.iter().all(|h| !h.is_finished()), "a heavy request ended before it was seen running");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Another user's light request, from a task of its own, completes while they run.
        let light = cara.spawn_json("GET", api::PROJECTS.to_string(), &());
        let light = light.await.unwrap();
        light.expect(StatusCode::OK);
        assert!(heavy.iter().all(|h| !h.is_finished()), "the light request waited for the heavy ones");
        for handle in heavy {
            let (status, _, body) = handle.await.unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(body.contains("invalid_polygon"), "{body}");
        }
    }

    async fn a_full_cpu_pool_answers_busy_with_retry_after(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        image_project(&admin).await;
        let ana = s.user("ana", Role::Annotator, None, &[IMAGES]).await;
        let bob = s.user("bob", Role::Annotator, None, &[IMAGES]).await;
        for client in [&ana, &bob] {
            assert_eq!(client.next(IMAGES).await.as_deref(), Some("img-1"));
        }
        // The same database behind a server with one validation thread and no queue.
        let mut settings = annoqa_server::Settings::new(s.dir.path().join("no-dist"), repo_root().join("static"), s.dir.path().join("media"));
        settings.cpu = annoqa_server::CpuLimits { workers: 1, queue: 0 };
        let clock = s.clock.clone();
        let small = annoqa_server::AppState::new(s.store.clone(), settings, std::sync::Arc::new(move || clock.load(std::sync::atomic::Ordering::SeqCst))).unwrap();
        let app = annoqa_server::router(small.clone());
        let first = spawn_submit(&app, &ana, "img-1", zigzag(3_000));
        while small.cpu_jobs_running() == 0 {
            assert!(!first.is_finished(), "the first job ended before it was seen running");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let (status, headers, body) = spawn_submit(&app, &bob, "img-1", zigzag(3_000)).await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(serde_json::from_str::<api::ApiError>(&body).unwrap().code, api::ApiErrorCode::Busy);
        assert_eq!(headers.get("retry-after").unwrap(), "1");
        let (status, _, body) = first.await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // Bob's retry, with the pool free again, is checked; nothing was stored for either.
        let (status, _, body) = spawn_submit(&app, &bob, "img-1", identical_boxes(1)).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(s.count("submissions").await, 1);
    }
}
