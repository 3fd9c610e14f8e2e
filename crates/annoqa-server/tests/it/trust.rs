//! Whom to trust: the scorecards' data (what the browser computes scorecards and peer agreement
//! from) equals what the stored rows say; bad-gold detection finds the one wrong gold item of a
//! seeded project and no correct one; "wrong gold" flags join the list; coordinators' decisions
//! move items between pending and retired; vendors see only their own people; roles.

use std::collections::{BTreeMap, BTreeSet};

use annoqa_api::{
    self as api, ApiErrorCode, BadGoldDecision, BadGoldEntry, PredictionOutcome, Role, ScorecardRow, ScorecardsData,
    SubmitRequest, SubmitResponse,
};
use axum::http::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::both_backends;
use crate::support::*;

const PROJECT: &str = "trust";
const GOLD_ITEMS: usize = 12;
const PLAIN_ITEMS: usize = 3;
/// The gold item whose answer is wrong: it says positive, the text is negative.
const WRONG: &str = "g05";

/// The annotators, their vendors, and whether they are reliable (pass at least 90 % of their
/// other gold).
const ANNOTATORS: [(&str, Option<&str>); 6] =
    [("r1", Some("acme")), ("r2", Some("acme")), ("r3", None), ("r4", None), ("n1", Some("globex")), ("n2", None)];

/// What `annotator` answers on `item`. Gold says `positive` everywhere. The reliable r1–r4
/// answer `negative` on the wrong item and fail one correct item each, never three the same way
/// (r1 and r2 fail g08 differently; r3 and r4 fail g09 alike, and so does the unreliable n1:
/// two reliable witnesses, one short). n1 and n2 fail correct items often.
fn answer_of(annotator: &str, item: &str) -> &'static str {
    match (annotator, item) {
        (_, item) if item.starts_with('p') => "neutral",
        ("r1" | "r2" | "r3" | "r4", WRONG) => "negative",
        ("r1", "g08") => "neutral",
        ("r2", "g08") | ("r3" | "r4" | "n1", "g09") => "negative",
        ("n1", "g01" | "g02" | "g03") | ("n2", "g01" | "g04" | "g06") => "neutral",
        _ => "positive",
    }
}

fn gold_ids() -> Vec<String> {
    (0..GOLD_ITEMS).map(|n| format!("g{n:02}")).collect()
}

/// The prediction outcome `annotator` (by index) reports on plain item `k`: n2 reports none,
/// the others keep, edit and delete the one prediction across the three items.
fn outcome_of(annotator: usize, k: usize) -> Option<PredictionOutcome> {
    if ANNOTATORS[annotator].0 == "n2" {
        return None;
    }
    let ids = vec!["p1".to_string()];
    Some(match (annotator + k) % 3 {
        0 => PredictionOutcome { kept: ids, ..Default::default() },
        1 => PredictionOutcome { edited: ids, ..Default::default() },
        _ => PredictionOutcome { deleted: ids, ..Default::default() },
    })
}

fn choice(label: &str) -> annoqa_core::Region {
    sentiment(label)
}

/// A text project with one choice control, 12 honeypots and 3 plain items with a prediction,
/// every annotator doing every item in project order.
async fn create_project(admin: &Client<'_>) {
    let spec = json!({
        "media": "text",
        "controls": [{"name": "sentiment", "type": "choice", "required": true,
                      "labels": [{"value": "positive"}, {"value": "neutral"}, {"value": "negative"}]}]
    });
    let project = json!({"id": PROJECT, "title": "Trust", "spec": spec, "assignment": {"overlap": ANNOTATORS.len()}});
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    let gold = gold_ids().into_iter().map(|id| {
        let answer = json!([{"id": "g", "control": "sentiment", "type": "choice", "labels": ["positive"]}]);
        json!({"id": id, "media": {"type": "text", "text": format!("Sentence {id}.")},
               "gold": {"mode": "honeypot", "answer": answer}})
    });
    let plain = (0..PLAIN_ITEMS).map(|k| {
        let prediction = json!([{"id": "p1", "control": "sentiment", "type": "choice", "labels": ["positive"]}]);
        json!({"id": format!("p{k}"), "media": {"type": "text", "text": "Plain."}, "predictions": prediction})
    });
    let items: Vec<serde_json::Value> = gold.chain(plain).collect();
    let body = serde_json::to_vec(&items).unwrap();
    admin
        .request("POST", &api::items_path(PROJECT), &[("content-type", "application/json")], Some(body))
        .await
        .expect(StatusCode::CREATED);
}

struct Seeded<'a> {
    coordinator: Client<'a>,
    reviewer: Client<'a>,
    annotators: Vec<Client<'a>>,
    /// `(annotator, item)` → submission id.
    submissions: BTreeMap<(String, String), i64>,
}

/// The project with every annotator's answer to every item (the clock a second further for
/// each, lead times all different), a reviewer and a coordinator.
async fn seed(s: &Server) -> Seeded<'_> {
    let admin = s.user("root", Role::Admin, None, &[]).await;
    create_project(&admin).await;
    let coordinator = s.user("coord", Role::Coordinator, None, &[PROJECT]).await;
    let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
    let mut annotators = Vec::new();
    let mut submissions = BTreeMap::new();
    for (a, (name, vendor)) in ANNOTATORS.iter().enumerate() {
        let client = s.user(name, Role::Annotator, *vendor, &[PROJECT]).await;
        let mut n = 0;
        while let Some(item) = client.next(PROJECT).await {
            let outcome = item.strip_prefix('p').and_then(|k| outcome_of(a, k.parse().unwrap()));
            let lead_time_ms = 1000 * (a as u64 + 1) + 37 * n;
            let request = SubmitRequest {
                lead_time_ms,
                regions: vec![choice(answer_of(name, &item))],
                prediction_outcome: outcome,
            };
            let response: SubmitResponse = submit(&client, &item, &request).await.json();
            submissions.insert((name.to_string(), item), response.submission_id);
            s.advance(1000);
            n += 1;
        }
        assert_eq!(n as usize, GOLD_ITEMS + PLAIN_ITEMS, "{name} did every item");
        annotators.push(client);
    }
    Seeded { coordinator, reviewer, annotators, submissions }
}

async fn submit(client: &Client<'_>, item: &str, request: &SubmitRequest) -> Answer {
    let key = format!("k-{}", annoqa_server::new_id());
    let headers = [("content-type", "application/json"), ("idempotency-key", key.as_str())];
    client.request("POST", &api::submit_path(PROJECT, item), &headers, Some(serde_json::to_vec(request).unwrap())).await
}

async fn scorecards(client: &Client<'_>) -> ScorecardsData {
    client.get(&api::scorecards_path(PROJECT)).await.expect(StatusCode::OK).json()
}

async fn bad_gold(client: &Client<'_>) -> Vec<BadGoldEntry> {
    client.get(&api::bad_gold_path(PROJECT)).await.expect(StatusCode::OK).json()
}

async fn decide(client: &Client<'_>, item: &str, decision: &str) -> Answer {
    client.post(&api::bad_gold_item_path(PROJECT, item), &json!({"decision": decision})).await
}

fn ids(entries: &[BadGoldEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.item_id.as_str()).collect()
}

/// Flags: a wrong-gold flag on a gold item (listed), an unclear one on a gold item and a
/// wrong-gold one on a plain item (neither listed).
async fn flag(seeded: &Seeded<'_>) {
    let [.., n1, n2] = &seeded.annotators[..] else { unreachable!() };
    for (client, item, reason) in [(n2, "g02", "wrong_gold"), (n2, "g03", "unclear"), (n1, "p0", "wrong_gold")] {
        let body = json!({"item_id": item, "reason": reason, "text": format!("{item} looks off")});
        client.post(&api::flags_path(PROJECT), &body).await.expect(StatusCode::CREATED);
    }
}

both_backends! {
    async fn the_one_wrong_gold_item_is_found_and_decisions_move_it_between_pending_and_retired(s) {
        let seeded = seed(&s).await;
        flag(&seeded).await;
        let coordinator = &seeded.coordinator;
        let entries = bad_gold(coordinator).await;
        assert_eq!(ids(&entries), ["g02", WRONG], "the wrong item and the flagged one, no other: {entries:#?}");
        let detected: Vec<&str> = entries.iter().filter(|e| e.detected.is_some()).map(|e| e.item_id.as_str()).collect();
        assert_eq!(detected, [WRONG], "no correct gold item is found bad");
        let evidence = entries[1].detected.as_ref().unwrap();
        assert_eq!(evidence.answer, r#"{"sentiment":["negative"]}"#);
        let witnesses: BTreeSet<(&str, &str, u64, u64)> = evidence
            .witnesses
            .iter()
            .map(|w| (w.annotator.as_str(), w.answer.as_str(), w.other_passed, w.other_items))
            .collect();
        let negative = r#"{"sentiment":["negative"]}"#;
        let expected: BTreeSet<_> = ["r1", "r2", "r3", "r4"].into_iter().map(|r| (r, negative, 10, 11)).collect();
        assert_eq!(witnesses, expected, "each failed one other item of eleven");
        assert!(evidence.other_failures.is_empty(), "every reliable failure answered the same");
        assert_eq!((evidence.attempts, evidence.passed), (6, 2), "n1 and n2 agreed with the wrong gold");
        assert!(entries[0].detected.is_none());
        let flags: Vec<(&str, &str)> = entries[0].flags.iter().map(|f| (f.annotator.as_str(), f.text.as_str())).collect();
        assert_eq!(flags, [("n2", "g02 looks off")]);
        assert!(entries.iter().all(|e| e.decision.is_none()));
        let data = scorecards(coordinator).await;
        assert_eq!((data.pending_gold.as_slice(), data.retired_gold.len()), (["g02".to_string(), WRONG.to_string()].as_slice(), 0));

        // Keep the flagged item: it counts again.
        let kept: BadGoldEntry = decide(coordinator, "g02", "keep").await.expect(StatusCode::OK).json();
        assert_eq!((kept.decision, kept.decided_by.as_deref(), kept.decided_at_ms), (Some(BadGoldDecision::Keep), Some("coord"), Some(s.clock.load(std::sync::atomic::Ordering::SeqCst))));
        assert_eq!(kept.flags.len(), 1, "the evidence stays with the decision");
        let data = scorecards(coordinator).await;
        assert_eq!((data.pending_gold, data.retired_gold), (vec![WRONG.to_string()], vec![]));
        // Retire the wrong one, and a gold item nobody suspected (any gold may be retired).
        let retired: BadGoldEntry = decide(coordinator, WRONG, "retire").await.expect(StatusCode::OK).json();
        assert_eq!(retired.decision, Some(BadGoldDecision::Retire));
        assert!(retired.detected.is_some(), "still suspect, now decided");
        let plain_gold: BadGoldEntry = decide(coordinator, "g07", "retire").await.expect(StatusCode::OK).json();
        assert_eq!((plain_gold.detected, plain_gold.flags.len(), plain_gold.decision), (None, 0, Some(BadGoldDecision::Retire)));
        let data = scorecards(coordinator).await;
        assert_eq!((data.pending_gold.len(), data.retired_gold), (0, vec![WRONG.to_string(), "g07".to_string()]));
        // Deciding again replaces the decision.
        decide(coordinator, WRONG, "keep").await.expect(StatusCode::OK);
        let data = scorecards(coordinator).await;
        assert_eq!((data.pending_gold.len(), data.retired_gold), (0, vec!["g07".to_string()]));
        assert_eq!(s.count("gold_decisions").await, 3);
        let entries = bad_gold(coordinator).await;
        assert_eq!(ids(&entries), ["g02", WRONG, "g07"], "all decided: by item id");

        // Only gold items, and only the two decisions.
        decide(coordinator, "p0", "retire").await.refused(ApiErrorCode::NotFound);
        decide(coordinator, "nope", "retire").await.refused(ApiErrorCode::NotFound);
        decide(coordinator, "g01", "maybe").await.refused(ApiErrorCode::InvalidRequest);
        coordinator.post(&api::bad_gold_item_path(PROJECT, "g01"), &json!({"decision": "keep", "why": "x"})).await.refused(ApiErrorCode::InvalidRequest);
        assert_eq!(s.count("gold_decisions").await, 3);
    }

    async fn scorecard_data_equals_the_stored_rows(s) {
        let seeded = seed(&s).await;
        let reviewer = &seeded.reviewer;
        let sid = |who: &str, item: &str| seeded.submissions[&(who.to_string(), item.to_string())];
        // Read before the reviews: the server keeps this response, and must not serve it again
        // once the reviews below change what it was computed from.
        let before = scorecards(reviewer).await;
        assert!(before.annotators.iter().all(|r| r.accepted + r.fixed + r.rejected == 0));
        assert_eq!(scorecards(reviewer).await, before, "nothing changed: the same answer");
        // r1: an accept, a fix with a region-level error, a rejection with codes twice; n1: an accept.
        let reviews = [
            (sid("r1", "p0"), json!({"verdict": "accept"})),
            (sid("r1", "p1"), json!({"verdict": "fix", "regions": [choice("positive")], "error_codes": ["guideline_specific"],
                                    "errors": [{"region": "c1", "code": "wrong_label", "comment": "positive"}]})),
            (sid("r1", "p2"), json!({"verdict": "reject", "error_codes": ["wrong_label", "guideline_specific"],
                                    "errors": [{"code": "wrong_label"}]})),
            (sid("n1", "g01"), json!({"verdict": "accept", "error_codes": ["wrong_label"]})),
        ];
        for (submission, body) in &reviews {
            reviewer.post(&api::reviews_path(PROJECT, *submission), body).await.expect(StatusCode::CREATED);
            s.advance(1000);
        }
        let data = scorecards(reviewer).await;
        let names: Vec<&str> = data.annotators.iter().map(|r| r.annotator.as_str()).collect();
        assert_eq!(names, ["n1", "n2", "r1", "r2", "r3", "r4"], "every annotator, by name");
        for row in &data.annotators {
            let mut row = row.clone();
            row.lead_times_ms.sort_unstable();
            assert_eq!(row, stored_row(&s, &row.annotator).await, "{}'s row is what the database holds", row.annotator);
        }
        let r1 = &data.annotators[2];
        assert_eq!((r1.accepted, r1.fixed, r1.rejected), (1, 1, 1));
        assert_eq!(r1.error_codes, ["guideline_specific", "wrong_label", "wrong_label", "guideline_specific", "wrong_label"]);
        assert_eq!((r1.pre_kept, r1.pre_edited, r1.pre_deleted), (1, 1, 1));
        assert_eq!(r1.vendor.as_deref(), Some("acme"));
        let n2 = &data.annotators[1];
        assert_eq!((n2.pre_kept, n2.pre_edited, n2.pre_deleted, n2.submissions), (0, 0, 0, 15), "n2 reported no outcome");
        assert_eq!(data.annotators[0].error_codes, ["wrong_label"]);
        let n1_failed: Vec<&str> = data.annotators[0].gold.iter().filter(|g| !g.passed).map(|g| g.item.as_str()).collect();
        assert_eq!(n1_failed, ["g01", "g02", "g03", "g09"], "gold outcomes in submission order");
        let q = data.qualification;
        assert_eq!((q.p0, q.p1, q.alpha, q.beta, q.confidence), (0.8, 0.95, 0.05, 0.05, 0.95));
        assert_eq!((data.pending_gold, data.retired_gold), (vec![WRONG.to_string()], vec![]));

        // Every answer to the choice control, as indices into the lists beside them.
        assert_eq!(data.choices.len(), 1);
        let choices = &data.choices[0];
        assert_eq!((choices.control.as_str(), choices.labels.as_slice()), ("sentiment", ["positive", "neutral", "negative"].map(String::from).as_slice()));
        let answered: BTreeSet<(String, String, String)> = choices
            .answers
            .iter()
            .map(|[i, a, l]| (choices.items[*i as usize].clone(), choices.annotators[*a as usize].clone(), choices.labels[*l as usize].clone()))
            .collect();
        let expected: BTreeSet<(String, String, String)> = seeded
            .submissions
            .keys()
            .map(|(who, item)| (item.clone(), who.clone(), answer_of(who, item).to_string()))
            .collect();
        assert_eq!(choices.answers.len(), expected.len(), "one answer per submission");
        assert_eq!(answered, expected);

        // A newcomer's first submission shows at once, though the response was kept.
        let newcomer = s.user("n3", Role::Annotator, None, &[PROJECT]).await;
        let item = newcomer.next(PROJECT).await.expect("an item for the newcomer");
        let request = SubmitRequest { lead_time_ms: 4321, regions: vec![choice("neutral")], prediction_outcome: None };
        let _: SubmitResponse = submit(&newcomer, &item, &request).await.json();
        let data = scorecards(reviewer).await;
        let n3 = data.annotators.iter().find(|r| r.annotator == "n3").expect("n3's row");
        assert_eq!((n3.submissions, n3.lead_times_ms.as_slice()), (1, [4321].as_slice()));
        assert_eq!(data.choices[0].answers.len(), expected.len() + 1);
    }

    async fn vendors_see_only_their_people_and_roles_gate_both_lists(s) {
        let seeded = seed(&s).await;
        flag(&seeded).await;
        let acme_reviewer = s.user("rev-acme", Role::Reviewer, Some("acme"), &[PROJECT]).await;
        let acme_coordinator = s.user("coord-acme", Role::Coordinator, Some("acme"), &[PROJECT]).await;
        let data = scorecards(&acme_reviewer).await;
        let names: Vec<&str> = data.annotators.iter().map(|r| r.annotator.as_str()).collect();
        assert_eq!(names, ["r1", "r2"]);
        assert_eq!(data.choices[0].annotators, ["r1", "r2"], "choices are scoped too");
        assert_eq!(data.choices[0].answers.len(), 2 * (GOLD_ITEMS + PLAIN_ITEMS));
        // Which gold counts does not depend on who asks: the flag came from another vendor.
        assert_eq!(data.pending_gold, ["g02", WRONG]);
        let everyone = scorecards(&seeded.reviewer).await;
        assert_eq!(everyone.annotators.len(), ANNOTATORS.len());
        assert_eq!(everyone.annotators[2..4], data.annotators[..], "r1 and r2 alike for both callers");
        let entries = bad_gold(&acme_coordinator).await;
        assert_eq!(ids(&entries), ["g02", WRONG], "the same items for every coordinator");
        assert!(entries[0].flags.is_empty(), "n2 is not acme's: their flag is not shown");
        let witnesses: Vec<&str> = entries[1].detected.as_ref().unwrap().witnesses.iter().map(|w| w.annotator.as_str()).collect();
        assert_eq!(witnesses.iter().copied().collect::<BTreeSet<_>>(), BTreeSet::from(["r1", "r2"]));
        for body in [&entries[0], &entries[1]] {
            let text = serde_json::to_string(body).unwrap();
            for other in ["r3", "r4", "n1", "n2"] {
                assert!(!text.contains(&format!("\"{other}\"")), "{other} named to acme: {text}");
            }
        }

        // Roles: scorecards for reviewers and coordinators, bad gold for coordinators.
        let annotator = &seeded.annotators[0];
        annotator.get(&api::scorecards_path(PROJECT)).await.refused(ApiErrorCode::Forbidden);
        annotator.get(&api::bad_gold_path(PROJECT)).await.refused(ApiErrorCode::Forbidden);
        decide(annotator, WRONG, "retire").await.refused(ApiErrorCode::Forbidden);
        seeded.reviewer.get(&api::bad_gold_path(PROJECT)).await.refused(ApiErrorCode::Forbidden);
        decide(&seeded.reviewer, WRONG, "retire").await.refused(ApiErrorCode::Forbidden);
        scorecards(&seeded.coordinator).await;
        let admin = s.login("root", PASSWORD).await;
        assert_eq!(scorecards(&admin).await.annotators.len(), ANNOTATORS.len());
        assert_eq!(ids(&bad_gold(&admin).await), ["g02", WRONG]);
        let outsider = s.user("outsider", Role::Coordinator, None, &[DEMO]).await;
        outsider.get(&api::scorecards_path(PROJECT)).await.refused(ApiErrorCode::NotFound);
        outsider.get(&api::bad_gold_path(PROJECT)).await.refused(ApiErrorCode::NotFound);
        decide(&outsider, WRONG, "retire").await.refused(ApiErrorCode::NotFound);
        s.anonymous().get(&api::scorecards_path(PROJECT)).await.refused(ApiErrorCode::Unauthorized);
        assert_eq!(s.count("gold_decisions").await, 0, "no refused decision was stored");
    }
}

/// An annotator's scorecard row read straight from the tables, the way the endpoint promises
/// to count: gold in submission order, codes in review order, lead times sorted (the endpoint
/// promises no order).
async fn stored_row(s: &Server, username: &str) -> ScorecardRow {
    let rows = sqlx::query(
        "SELECT s.item_id, s.lead_time_ms, s.status, s.prediction_outcome, u.vendor,
                CAST(CASE WHEN s.gold_passed THEN 1 WHEN NOT s.gold_passed THEN 0 END AS BIGINT) AS passed
         FROM submissions s JOIN users u ON u.id = s.user_id
         WHERE s.project_id = $1 AND u.username = $2 ORDER BY s.created_at_ms, s.id",
    )
    .bind(PROJECT)
    .bind(username)
    .fetch_all(s.store.pool())
    .await
    .unwrap();
    let statuses: Vec<String> = rows.iter().map(|r| r.get::<String, _>("status")).collect();
    let outcomes: Vec<PredictionOutcome> = rows
        .iter()
        .filter_map(|r| r.get::<Option<String>, _>("prediction_outcome"))
        .map(|o| serde_json::from_str(&o).unwrap())
        .collect();
    let count = |status: &str| statuses.iter().filter(|s| *s == status).count() as u64;
    let pre = |list: fn(&PredictionOutcome) -> &Vec<String>| outcomes.iter().map(|o| list(o).len() as u64).sum();
    ScorecardRow {
        annotator: username.to_string(),
        vendor: rows[0].get("vendor"),
        gold: rows
            .iter()
            .filter_map(|r| {
                Some(api::GoldOutcome { item: r.get("item_id"), passed: r.get::<Option<i64>, _>("passed")? != 0 })
            })
            .collect(),
        accepted: count("accepted"),
        fixed: count("fixed"),
        rejected: count("rejected"),
        error_codes: stored_codes(s, username).await,
        lead_times_ms: {
            let mut times: Vec<u64> = rows.iter().map(|r| r.get::<i64, _>("lead_time_ms") as u64).collect();
            times.sort_unstable();
            times
        },
        pre_kept: pre(|o| &o.kept),
        pre_edited: pre(|o| &o.edited),
        pre_deleted: pre(|o| &o.deleted),
        submissions: rows.len() as u64,
    }
}

async fn stored_codes(s: &Server, username: &str) -> Vec<String> {
    let reviews = sqlx::query(
        "SELECT r.error_codes, r.region_errors FROM reviews r
         JOIN submissions s ON s.id = r.submission_id JOIN users u ON u.id = s.user_id
         WHERE r.project_id = $1 AND u.username = $2 ORDER BY r.created_at_ms, r.id",
    )
    .bind(PROJECT)
    .bind(username)
    .fetch_all(s.store.pool())
    .await
    .unwrap();
    let mut codes = Vec::new();
    for review in reviews {
        codes.extend(serde_json::from_str::<Vec<String>>(&review.get::<String, _>("error_codes")).unwrap());
        let errors: Vec<api::RegionError> = serde_json::from_str(&review.get::<String, _>("region_errors")).unwrap();
        codes.extend(errors.into_iter().map(|e| e.code));
    }
    codes
}
