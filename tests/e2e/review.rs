//! The QA specialist's review pass, end to end: three annotators' submissions of one image item
//! go in through the API; a reviewer opens the queue in the review bundle, sees the overlay
//! with the disagreeing box marked (read from `window.annoqa.overlay()`), writes a note about
//! that box and rejects it with an error code by keys, fixes another annotator's box with a
//! real drag and stores the fix, and accepts the third; the rejected annotator finds the note
//! in their inbox; the coordinator's scorecards equal what the stored rows say.

use std::time::{Duration, Instant};

use annoqa_api as api;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use super::image::{api as page_api, bbox, drag, regions_until, to_client};
use super::inbox::{call, key, token};
use super::{
    add_member, add_user, assert_accessible, eventually, log_in, screenshot, start_browser, start_chromedriver,
    start_server, texts, wait_for, PASSWORD, WAIT,
};

const PROJECT: &str = "test-card-boxes";
const ARROW_DOWN: char = '\u{E015}';
const CONTROL: char = '\u{E009}';
const ENTER: char = '\u{E007}';

fn boxed(id: &str, label: &str, [x, y, width, height]: [f64; 4]) -> Value {
    json!({"id": id, "control": "overlays", "type": "b_box", "x": x, "y": y, "width": width, "height": height, "label": label})
}

/// What each annotator answers on `card-1`: all three box the timecode alike; `ana` and `ben`
/// box the checkerboard, `cai` labels that box `timecode` (a majority against him) and adds a
/// box nobody else drew (a disagreement).
fn answers() -> Vec<(&'static str, Vec<Value>, u64)> {
    vec![
        (
            "ana",
            vec![
                boxed("t", "timecode", [0.0, 0.0, 103.0, 38.0]),
                boxed("c", "checkerboard", [400.0, 224.0, 160.0, 82.0]),
            ],
            4000,
        ),
        (
            "ben",
            vec![
                boxed("t", "timecode", [1.0, 1.0, 101.0, 37.0]),
                boxed("c", "checkerboard", [398.0, 222.0, 162.0, 84.0]),
            ],
            6000,
        ),
        (
            "cai",
            vec![
                boxed("t", "timecode", [0.0, 1.0, 102.0, 37.0]),
                boxed("c", "timecode", [401.0, 225.0, 158.0, 80.0]),
                boxed("stray", "checkerboard", [200.0, 100.0, 60.0, 40.0]),
            ],
            9000,
        ),
    ]
}

/// Each annotator's answer stored through the API, as their own tool would send it.
fn seed(base: &str, database: &std::path::Path) {
    for (name, regions, lead) in answers() {
        let bearer = token(database, name);
        let next = call(base, "GET", &api::next_path(PROJECT), &bearer, None, "");
        assert_eq!(next.status, 200, "{}", next.body);
        let next: Value = serde_json::from_str(&next.body).unwrap();
        let item = next["item"]["item"]["id"].as_str().unwrap_or_else(|| panic!("no item in {next}")).to_string();
        let body = json!({ "lead_time_ms": lead, "regions": regions });
        let sent = call(
            base,
            "POST",
            &api::submit_path(PROJECT, &item),
            &bearer,
            Some(&format!("seed-{name}")),
            &body.to_string(),
        );
        assert_eq!(sent.status, 200, "{name}: {}", sent.body);
    }
}

/// Polls `window.annoqa.overlay()` until `check` holds.
async fn overlay_until(client: &Client, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = page_api(client, "overlay()").await;
        if check(&seen) {
            return seen;
        }
        assert!(Instant::now() < deadline, "{what}: overlay() is {seen:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves through the queue by keys (`J`/`K`, as many as the queue list says) until `annotator`'s
/// submission is under review.
async fn reviewing(client: &Client, annotator: &str) {
    let heading = format!("{annotator}'s submission");
    let deadline = Instant::now() + WAIT;
    // The entry under review has loaded once its item's heading shows.
    while texts(client, ".review-item-head h2").await.is_empty() {
        assert!(Instant::now() < deadline, "no submission under review");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let script = "const all = Array.from(document.querySelectorAll('.queue-entry')); \
                  return [all.findIndex(e => e.classList.contains('current')), \
                          all.findIndex(e => e.querySelector('.queue-meta').innerText.startsWith(arguments[0] + ' '))];";
    let at: Vec<i64> = serde_json::from_value(client.execute(script, vec![json!(annotator)]).await.unwrap()).unwrap();
    assert!(at[1] >= 0, "{annotator} is not in the queue");
    let step = if at[1] > at[0] { 'j' } else { 'k' };
    for _ in 0..(at[1] - at[0]).abs() {
        key(client, step).await;
    }
    loop {
        let seen = texts(client, ".review-item-head h2").await;
        if seen.iter().any(|t| t.contains(&heading)) {
            return;
        }
        assert!(Instant::now() < deadline, "reviewing {annotator}: the heading shows {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ctrl_enter(client: &Client) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: CONTROL })
        .then(KeyAction::Down { value: ENTER })
        .then(KeyAction::Up { value: ENTER })
        .then(KeyAction::Up { value: CONTROL });
    client.perform_actions(keys).await.unwrap();
}

/// The stored review of `annotator`'s submission: verdict, its region errors as JSON text.
async fn stored_review(pool: &sqlx::SqlitePool, annotator: &str) -> Option<(String, String)> {
    sqlx::query_as(
        "SELECT r.verdict, r.region_errors FROM reviews r JOIN submissions s ON s.id = r.submission_id \
         JOIN users u ON u.id = s.user_id WHERE u.username = ?",
    )
    .bind(annotator)
    .fetch_optional(pool)
    .await
    .unwrap()
}

async fn review_until(pool: &sqlx::SqlitePool, annotator: &str) -> (String, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = stored_review(pool, annotator).await {
            return found;
        }
        assert!(Instant::now() < deadline, "no review of {annotator}'s submission was stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_judges_three_annotators_by_keys_and_the_results_reach_annotator_and_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server(&database);
    for name in ["ana", "ben", "cai"] {
        add_member(&database, name, PASSWORD, PROJECT);
    }
    add_user(&database, "rita", PASSWORD, "reviewer", PROJECT);
    add_user(&database, "cora", PASSWORD, "coordinator", PROJECT);
    let base = url.trim_end_matches('/');
    seed(base, &database);
    // cai thinks card-1's gold is wrong and says so: the coordinator will decide.
    let flag = json!({"item_id": "card-1", "reason": "wrong_gold", "text": "the gold misses the stray checkerboard"});
    let flagged = call(base, "POST", &api::flags_path(PROJECT), &token(&database, "cai"), None, &flag.to_string());
    assert_eq!(flagged.status, 201, "{}", flagged.body);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();

    let (_driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;
    client.goto(&format!("{url}#/")).await.unwrap();
    log_in(&client, "rita", PASSWORD).await;
    // The annotator's bundle links the review screen, which the review bundle serves.
    wait_for(&client, &format!("a[data-review='{PROJECT}']")).await.click().await.unwrap();
    wait_for(&client, ".queue-entry").await;
    assert!(client.current_url().await.unwrap().path().starts_with("/review/"), "the review bundle opened");

    // cai's submission: his stray box is a disagreement, his relabelled box a majority.
    reviewing(&client, "cai").await;
    let overlay = overlay_until(&client, "three annotators matched", |o| {
        o["annotators"].as_array().is_some_and(|a| a.len() == 3)
    })
    .await;
    let matches = overlay["matches"].as_array().unwrap();
    let class_of = |region: &str| {
        matches
            .iter()
            .find(|m| m["members"].as_array().unwrap().iter().any(|r| r["annotator"] == "cai" && r["region"] == region))
            .map(|m| m["class"].as_str().unwrap().to_string())
    };
    assert_eq!(class_of("t").as_deref(), Some("all_agree"), "{overlay:#}");
    assert_eq!(class_of("c").as_deref(), Some("majority"), "{overlay:#}");
    assert_eq!(class_of("stray").as_deref(), Some("disagree"), "{overlay:#}");
    wait_for(&client, ".group[data-class='agree-none']").await;
    // The region list names whose each region is and how it agrees.
    let rows =
        eventually(&client, "#region-list .region-row", "the overlay's region rows", |rows| rows.len() == 7).await;
    assert!(rows.iter().any(|r| r.starts_with("cai") && r.contains("disagree")), "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.contains("all agree")).count(), 3, "{rows:?}");
    screenshot(&client, "review-overlay").await;
    assert_accessible(&client, "reviewer screen").await;

    // Focus the stray box's group with the arrow keys, write cai a note about it, then reject
    // it with `extra_region` (the taxonomy's second code): X, 2.
    let stray_group = matches
        .iter()
        .position(|m| {
            m["members"][0]["region"] == "stray"
                || m["members"].as_array().unwrap().iter().any(|r| r["region"] == "stray")
        })
        .unwrap();
    for _ in 0..stray_group {
        key(&client, ARROW_DOWN).await;
    }
    wait_for(&client, &format!(".group.focused[data-group='{stray_group}']")).await;
    key(&client, 'm').await;
    let note = wait_for(&client, "#note-text").await;
    note.send_keys("Nothing is at this spot: box only the overlays.").await.unwrap();
    ctrl_enter(&client).await;
    wait_for(&client, "#review-notice[role='status']").await;
    let (text, anchor): (String, String) =
        sqlx::query_as("SELECT body, anchor FROM feedback WHERE kind = 'review'").fetch_one(&pool).await.unwrap();
    assert_eq!(
        text, "Nothing is at this spot: box only the overlays.",
        "the M that opened the dialog is not in the note"
    );
    assert!(anchor.contains("stray"), "the note is anchored to the stray box: {anchor}");
    key(&client, 'x').await;
    wait_for(&client, ".reject-codes").await;
    key(&client, '2').await;
    let (verdict, errors) = review_until(&pool, "cai").await;
    assert_eq!(verdict, "reject");
    let errors: Value = serde_json::from_str(&errors).unwrap();
    assert_eq!(errors, json!([{"region": "stray", "code": "extra_region"}]), "the code sits on the stray box");

    // ben's checkerboard box, fixed with a real drag of its middle 10 px to the right.
    reviewing(&client, "ben").await;
    key(&client, 'f').await;
    regions_until(&client, "the fix starts from ben's regions", |r| r.len() == 2).await;
    let centre = to_client(&client, 398.0 + 81.0, 222.0 + 42.0).await;
    drag(&client, centre, (centre.0 + 10.0, centre.1)).await;
    let fixed =
        regions_until(&client, "the box moved", |r| r.iter().any(|b| b["id"] == "c" && bbox(b).0 > 400.0)).await;
    let moved = fixed.iter().find(|b| b["id"] == "c").map(bbox).unwrap();
    ctrl_enter(&client).await;
    let (verdict, _) = review_until(&pool, "ben").await;
    assert_eq!(verdict, "fix");
    let stored: String = sqlx::query_scalar("SELECT r.regions FROM reviews r JOIN submissions s ON s.id = r.submission_id JOIN users u ON u.id = s.user_id WHERE u.username = 'ben'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let stored: Vec<Value> = serde_json::from_str(&stored).unwrap();
    let stored_box = stored.iter().find(|b| b["id"] == "c").map(bbox).unwrap();
    assert_eq!(stored_box, moved, "the fix stores the box as the reviewer left it");

    // ana's, accepted with one key.
    reviewing(&client, "ana").await;
    key(&client, 'a').await;
    assert_eq!(review_until(&pool, "ana").await.0, "accept");
    wait_for(&client, "#review-progress").await;

    // cai reads the note, with its region.
    client.goto(&format!("{url}#/")).await.unwrap();
    wait_for(&client, "#logout").await.click().await.unwrap();
    log_in(&client, "cai", PASSWORD).await;
    wait_for(&client, "#inbox-link").await.click().await.unwrap();
    let entry = wait_for(&client, ".feedback-entry.unread").await.text().await.unwrap();
    for expected in ["rita", "region stray", "box only the overlays"] {
        assert!(entry.contains(expected), "the inbox shows {expected:?}: {entry}");
    }
    // S on the focused note opens it on the item, with its region selected.
    key(&client, 'j').await;
    key(&client, 's').await;
    let shown = regions_until(&client, "cai's regions on the item", |r| r.len() == 3).await;
    assert!(shown.iter().any(|r| r["id"] == "stray"), "{shown:#?}");
    let selected = wait_for(&client, ".note-page .region-row.selected").await;
    assert_eq!(selected.attr("data-region").await.unwrap().as_deref(), Some("stray"), "the note's region is selected");
    screenshot(&client, "note-on-item").await;
    // `?` lists the page's keys; A acknowledges.
    key(&client, '?').await;
    let help = wait_for(&client, "#shortcuts-help").await.text().await.unwrap();
    assert!(help.contains("Acknowledge the note") && help.contains("Back to your feedback"), "{help}");
    key(&client, '\u{e00c}').await;
    eventually(&client, "#shortcuts-help", "the help closes", |seen| seen.is_empty()).await;
    wait_for(&client, "#note-ack").await;
    key(&client, 'a').await;
    wait_for(&client, ".note-page .feedback-read").await;
    assert_accessible(&client, "note on its item").await;

    // The coordinator's scorecards say what the stored rows say.
    wait_for(&client, "#logout").await.click().await.unwrap();
    log_in(&client, "cora", PASSWORD).await;
    wait_for(&client, "#logout").await;
    client.goto(&format!("{url}#/")).await.unwrap();
    wait_for(&client, &format!("a[data-quality='{PROJECT}']")).await.click().await.unwrap();
    wait_for(&client, "#scorecards tbody tr").await;
    screenshot(&client, "quality").await;
    assert_accessible(&client, "quality page").await;
    for (name, _, _) in answers() {
        let row = format!("#scorecards tr[data-annotator='{name}']");
        let (lead, verdict): (i64, Option<String>) = sqlx::query_as(
            "SELECT s.lead_time_ms, r.verdict FROM submissions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN reviews r ON r.submission_id = s.id WHERE u.username = ?",
        )
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
        // Gold flagged as wrong and not decided on counts for nobody.
        let (passed, counted): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN s.gold_passed THEN 1 ELSE 0 END), 0), COUNT(*) FROM submissions s \
             JOIN users u ON u.id = s.user_id WHERE u.username = ? AND s.gold_passed IS NOT NULL \
             AND s.item_id NOT IN (SELECT item_id FROM feedback WHERE kind = 'flag' AND reason = 'wrong_gold')",
        )
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
        let acceptance = if verdict.as_deref() == Some("accept") { "100 %" } else { "0 %" };
        let expect = [
            ("gold", format!("{passed}/{counted}")),
            ("acceptance", acceptance.to_string()),
            ("lead", format!("{:.1} s", lead as f64 / 1000.0)),
        ];
        for (field, value) in expect {
            let shown = client
                .find(Locator::Css(&format!("{row} td[data-field='{field}']")))
                .await
                .unwrap_or_else(|e| panic!("{name}'s {field}: {e}"))
                .text()
                .await
                .unwrap();
            assert!(shown.starts_with(&value), "{name}'s {field}: shown {shown:?}, stored rows say {value:?}");
        }
    }

    // The flagged gold is pending: it counts for nobody (gold 0/0, 1 pending) until the
    // coordinator decides; retired, it stays out.
    let pending =
        client.find(Locator::Css("#scorecards tr[data-annotator='ana'] td[data-field='gold']")).await.unwrap();
    assert!(pending.text().await.unwrap().starts_with("0/0"), "pending gold is left out");
    let entry = wait_for(&client, "#bad-gold li[data-item='card-1']").await.text().await.unwrap();
    assert!(entry.contains("Flagged by cai") && entry.contains("pending"), "{entry}");
    // By keys: `?` lists them; J focuses the first gold item, R retires its gold.
    key(&client, '?').await;
    let help = wait_for(&client, "#shortcuts-help").await.text().await.unwrap();
    assert!(help.contains("retire it") && help.contains("keep it"), "{help}");
    assert_accessible(&client, "quality keys").await;
    screenshot(&client, "quality-keys").await;
    key(&client, '\u{e00c}').await;
    eventually(&client, "#shortcuts-help", "the help closes", |seen| seen.is_empty()).await;
    key(&client, 'j').await;
    key(&client, 'r').await;
    wait_for(&client, "#bad-gold li[data-item='card-1'] .decided").await;
    let decision: String = sqlx::query_scalar("SELECT decision FROM gold_decisions WHERE item_id = 'card-1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(decision, "retire");
    client.close().await.unwrap();
}

fn span(id: &str, label: &str, start: usize, end: usize) -> Value {
    json!({"id": id, "control": "entities", "type": "text_span", "start": start, "end": end, "label": label})
}

fn tone(label: &str) -> Value {
    json!({"id": "tone", "control": "sentiment", "type": "choice", "labels": [label]})
}

/// A text item is reviewable the same way: each annotator's spans on their own row, classed by
/// agreement, and a fix started from the consensus proposal (majority over matched spans and
/// over the choice) is stored as the reviewer's revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_fixes_a_text_item_from_the_consensus_proposal() {
    const TEXT_PROJECT: &str = "news-entities";
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server(&database);
    let answers = [
        ("ana", vec![span("m", "PERSON", 0, 11), span("p", "PLACE", 47, 52), tone("positive")]),
        ("ben", vec![span("m", "PERSON", 0, 11), span("p", "ORG", 47, 52), tone("positive")]),
        ("cai", vec![span("m", "PERSON", 0, 11), tone("neutral")]),
    ];
    for (name, _) in &answers {
        add_member(&database, name, PASSWORD, TEXT_PROJECT);
    }
    add_user(&database, "rita", PASSWORD, "reviewer", TEXT_PROJECT);
    let base = url.trim_end_matches('/');
    for (name, regions) in &answers {
        let bearer = token(&database, name);
        let next = call(base, "GET", &api::next_path(TEXT_PROJECT), &bearer, None, "");
        let next: Value = serde_json::from_str(&next.body).unwrap();
        let item = next["item"]["item"]["id"].as_str().unwrap().to_string();
        assert_eq!(item, "s01", "every annotator starts with the training item");
        let body = json!({ "lead_time_ms": 3000, "regions": regions });
        let sent = call(base, "POST", &api::submit_path(TEXT_PROJECT, &item), &bearer, Some(name), &body.to_string());
        assert_eq!(sent.status, 200, "{name}: {}", sent.body);
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();

    let (_driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;
    client.goto(&format!("{url}review/#/review/{TEXT_PROJECT}")).await.unwrap();
    log_in(&client, "rita", PASSWORD).await;
    reviewing(&client, "cai").await;
    let overlay =
        overlay_until(&client, "three annotators", |o| o["annotators"].as_array().is_some_and(|a| a.len() == 3)).await;
    let class_of = |control: &str, label: &str| {
        overlay["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["control"] == control && m["label"] == label)
            .map(|m| m["class"].as_str().unwrap().to_string())
    };
    assert_eq!(class_of("entities", "PERSON").as_deref(), Some("all_agree"), "{overlay:#}");
    assert_eq!(class_of("sentiment", "positive").as_deref(), Some("majority"), "{overlay:#}");
    let rows = texts(&client, ".text-overlay-row").await;
    assert_eq!(rows.len(), 3, "one row per annotator: {rows:?}");
    wait_for(&client, ".text-overlay-text mark.agree-all").await;
    screenshot(&client, "review-text").await;
    assert_accessible(&client, "reviewer screen on a text item").await;

    // C: the fix starts from the proposal; Ctrl+Enter stores it.
    key(&client, 'c').await;
    wait_for(&client, "#item-text").await;
    ctrl_enter(&client).await;
    let (verdict, _) = review_until(&pool, "cai").await;
    assert_eq!(verdict, "fix");
    let stored: String = sqlx::query_scalar(
        "SELECT r.regions FROM reviews r JOIN submissions s ON s.id = r.submission_id JOIN users u ON u.id = s.user_id \
         WHERE u.username = 'cai'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let stored: Vec<Value> = serde_json::from_str(&stored).unwrap();
    let summary: Vec<(String, Value)> = stored
        .iter()
        .map(|r| {
            (r["control"].as_str().unwrap().to_string(), r.get("label").cloned().unwrap_or_else(|| r["labels"].clone()))
        })
        .collect();
    assert_eq!(
        summary,
        vec![("entities".to_string(), json!("PERSON")), ("sentiment".to_string(), json!(["positive"]))],
        "the majority's spans and choice, not the disputed place: {stored:#?}"
    );
    client.close().await.unwrap();
}
