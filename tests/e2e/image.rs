//! The image workspace, driven as an annotator would: real pointer drags and clicks at positions
//! from `window.annoqa.toClient`, real keys; every check reads `window.annoqa.regions()` or the
//! stored row, never canvas pixels.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::Client;
use serde_json::Value;

use super::{
    add_member, assert_accessible, eventually, log_in, press, screenshot, start_browser, start_chromedriver,
    start_server, submissions_once_settled, wait_for, Running, ENTER, PASSWORD, WAIT,
};

const PROJECT: &str = "test-card-boxes";
const CTRL: &str = "\u{E009}";
const SHIFT: &str = "\u{E008}";
const ALT: &str = "\u{E00A}";
const RIGHT: &str = "\u{E014}";
const LEFT: &str = "\u{E012}";
const INSERT: &str = "\u{E016}";

pub(super) async fn api(client: &Client, call: &str) -> Value {
    client.execute(&format!("return window.annoqa ? window.annoqa.{call} : null"), vec![]).await.unwrap()
}

/// Image pixel `(x, y)` in viewport CSS px.
pub(super) async fn to_client(client: &Client, x: f64, y: f64) -> (f64, f64) {
    let p = api(client, &format!("toClient({x}, {y})")).await;
    (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap())
}

/// The image pixel under viewport CSS px `(x, y)`.
pub(super) async fn from_client(client: &Client, x: f64, y: f64) -> (f64, f64) {
    let p = api(client, &format!("fromClient({x}, {y})")).await;
    (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap())
}

async fn regions(client: &Client) -> Vec<Value> {
    api(client, "regions()").await.as_array().cloned().unwrap_or_default()
}

/// Polls `regions()` until `check` holds.
pub(super) async fn regions_until(client: &Client, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = regions(client).await;
        if check(&seen) {
            return seen;
        }
        assert!(Instant::now() < deadline, "{what}: regions() is {seen:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A real drag from one viewport point to another, in whole CSS pixels as a mouse gives them;
/// returns the image pixels the two ends fell on.
pub(super) async fn drag(client: &Client, from: (f64, f64), to: (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let (from, to) = ((from.0.round(), from.1.round()), (to.0.round(), to.1.round()));
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo { duration: None, x: from.0, y: from.1 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(50)),
            x: (from.0 + to.0) / 2.0,
            y: (from.1 + to.1) / 2.0,
        })
        .then(PointerAction::MoveTo { duration: Some(Duration::from_millis(50)), x: to.0, y: to.1 })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    client.perform_actions(mouse).await.unwrap();
    (from_client(client, from.0, from.1).await, from_client(client, to.0, to.1).await)
}

/// Real clicks at viewport points; returns the image pixels clicked.
async fn click_at(client: &Client, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut mouse = MouseActions::new("mouse".into());
    let mut clicked = Vec::new();
    for &(x, y) in points {
        let (x, y) = (x.round(), y.round());
        mouse = mouse
            .then(PointerAction::MoveTo { duration: None, x, y })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
            .pause(Duration::from_millis(350));
        clicked.push((x, y));
    }
    client.perform_actions(mouse).await.unwrap();
    let mut out = Vec::new();
    for (x, y) in clicked {
        out.push(from_client(client, x, y).await);
    }
    out
}

/// What each test runs against: the server on a fresh SQLite file with `user` an annotator of
/// `project`, a browser, and the database to read stored rows from.
struct Session {
    url: String,
    client: Client,
    pool: sqlx::SqlitePool,
    /// The server, ChromeDriver and the temporary directory, kept until the test ends (and
    /// dropped in that order: the processes stop before their directory goes).
    _running: (Running, Running, tempfile::TempDir),
}

async fn session(user: &str, project: &str) -> Session {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (server, url) = start_server(&database);
    add_member(&database, user, PASSWORD, project);
    let (driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    Session { url, client, pool, _running: (server, driver, dir) }
}

pub(super) fn bbox(region: &Value) -> (f64, f64, f64, f64) {
    let f = |k: &str| region[k].as_f64().unwrap_or_else(|| panic!("{k} of {region}"));
    (f("x"), f("y"), f("width"), f("height"))
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1.0
}

fn of_type<'a>(regions: &'a [Value], kind: &str) -> Vec<&'a Value> {
    regions.iter().filter(|r| r["type"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotator_draws_edits_undoes_and_submits_an_image_item() {
    let Session { url, client, pool, _running } = session("ina", PROJECT).await;

    client.goto(&format!("{url}#/")).await.unwrap();
    log_in(&client, "ina", PASSWORD).await;
    wait_for(&client, &format!("a[href='#/p/{PROJECT}']")).await;
    assert_accessible(&client, "project list").await;
    client.goto(&format!("{url}#/p/{PROJECT}")).await.unwrap();
    wait_for(&client, ".canvas-frame canvas.layer-edit").await;
    let deadline = Instant::now() + WAIT;
    while api(&client, "view()").await.is_null() {
        assert!(Instant::now() < deadline, "window.annoqa.view() never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(api(&client, "item()").await["id"], "card-1");

    // A box by a real drag at the fit zoom: the checkerboard.
    press(&client, "r").await;
    press(&client, "2").await;
    let (a, b) = (to_client(&client, 400.0, 224.0).await, to_client(&client, 560.0, 306.0).await);
    let (from, to) = drag(&client, a, b).await;
    let drawn = regions_until(&client, "a box is drawn", |r| r.len() == 1).await;
    let (x, y, w, h) = bbox(&drawn[0]);
    assert_eq!(drawn[0]["label"], "checkerboard");
    assert!(
        near(x, from.0) && near(y, from.1) && near(x + w, to.0) && near(y + h, to.1),
        "{:?} vs {from:?}–{to:?}",
        (x, y, w, h)
    );
    let checkerboard = (x, y, w, h);

    // Zoom in about the image's top-left corner (pointer there, `+` twice), then the timecode
    // box: the corner stays where it was on screen, so the box is still in view.
    let corner = to_client(&client, 1.0, 1.0).await;
    client
        .perform_actions(MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None,
            x: corner.0.round(),
            y: corner.1.round(),
        }))
        .await
        .unwrap();
    let fit = api(&client, "view()").await["zoom"].as_f64().unwrap();
    press(&client, "++").await;
    // The view is published with the frame that shows it.
    let deadline = Instant::now() + WAIT;
    let zoomed = loop {
        let zoom = api(&client, "view()").await["zoom"].as_f64().unwrap();
        if zoom > fit * 1.5 || Instant::now() > deadline {
            break zoom;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(zoomed > fit * 1.5, "zoom went from {fit} to {zoomed}");
    let (a, b) = (to_client(&client, 0.6, 0.6).await, to_client(&client, 103.0, 38.0).await);
    let (from, to) = drag(&client, a, b).await;
    let drawn = regions_until(&client, "a second box", |r| r.len() == 2).await;
    let (x, y, w, h) = bbox(&drawn[1]);
    assert!(
        near(x, from.0) && near(y, from.1) && near(x + w, to.0) && near(y + h, to.1),
        "{:?} vs {from:?}–{to:?}",
        (x, y, w, h)
    );
    // It was drawn with the active label; `1` relabels the selected region.
    assert_eq!(drawn[1]["label"], "checkerboard");
    press(&client, "1").await;
    regions_until(&client, "relabelled by key", |r| r.len() == 2 && r[1]["label"] == "timecode").await;

    // Arrows move the selected box by one image pixel; undo and redo walk it back and forth.
    press(&client, RIGHT).await;
    regions_until(&client, "moved right", |r| near(bbox(&r[1]).0, x + 1.0) && bbox(&r[1]).0 > x + 0.5).await;
    press(&client, &format!("{CTRL}z")).await;
    regions_until(&client, "undone", |r| bbox(&r[1]).0 == x).await;
    press(&client, &format!("{CTRL}{SHIFT}z")).await;
    regions_until(&client, "redone", |r| bbox(&r[1]).0 > x + 0.5).await;
    press(&client, LEFT).await;
    regions_until(&client, "back", |r| (bbox(&r[1]).0 - x).abs() < 1e-9).await;
    let timecode = (x, y, w, h);

    // Back to fit; a polygon by clicks, closed with Enter; a keypoint by a click.
    press(&client, "\u{E011}").await; // Home
    let deadline = Instant::now() + WAIT;
    loop {
        let view = api(&client, "view()").await;
        if view["zoom"] == view["fitZoom"] {
            break;
        }
        assert!(Instant::now() < deadline, "Home never fitted the image: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    press(&client, "p").await;
    let mut corners = Vec::new();
    for (px, py) in [(104.0, 30.0), (639.0, 180.0), (638.0, 195.0), (104.0, 46.0)] {
        corners.push(to_client(&client, px, py).await);
    }
    let clicked = click_at(&client, &corners).await;
    press(&client, ENTER).await;
    let drawn = regions_until(&client, "a polygon", |r| !of_type(r, "polygon").is_empty()).await;
    let polygon = of_type(&drawn, "polygon")[0].clone();
    let points = polygon["points"].as_array().unwrap();
    assert_eq!(points.len(), 4, "{polygon}");
    for (point, clicked) in points.iter().zip(&clicked) {
        assert!(near(point[0].as_f64().unwrap(), clicked.0) && near(point[1].as_f64().unwrap(), clicked.1));
    }
    assert_eq!(polygon["label"], "gradient band", "the polygon tool takes its control's label");
    press(&client, "k").await;
    let spot = to_client(&client, 160.0, 270.0).await;
    click_at(&client, &[spot]).await;
    regions_until(&client, "a keypoint", |r| of_type(r, "keypoint").len() == 1).await;
    screenshot(&client, "image-workspace").await;

    // A rule fires (min_size: a 5-pixel box) and clears with undo.
    press(&client, "r").await;
    press(&client, "1").await;
    let (a, b) = (to_client(&client, 300.0, 300.0).await, to_client(&client, 305.0, 305.0).await);
    drag(&client, a, b).await;
    regions_until(&client, "a tiny box", |r| of_type(r, "b_box").len() == 3).await;
    let deadline = Instant::now() + WAIT;
    while !api(&client, "findings()").await.to_string().contains("min_size") {
        assert!(Instant::now() < deadline, "min_size never fired: {}", api(&client, "findings()").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The finding's "show" selects its region and zooms to it.
    let tiny = regions(&client).await.last().unwrap()["id"].as_str().unwrap().to_string();
    wait_for(&client, ".finding[data-code=min_size] .finding-show").await.click().await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let view = api(&client, "view()").await;
        let selected = eventually(&client, ".region-row.selected .chip", "a selected row", |_| true).await;
        let zoom = view["zoom"].as_f64().unwrap();
        if zoom > view["fitZoom"].as_f64().unwrap() * 2.0 && !selected.is_empty() {
            let row = client
                .execute("return document.querySelector('.region-row.selected').dataset.region", vec![])
                .await
                .unwrap();
            assert_eq!(row, serde_json::json!(tiny));
            break;
        }
        assert!(Instant::now() < deadline, "show did not zoom to the region: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    press(&client, &format!("{CTRL}z")).await;
    regions_until(&client, "the tiny box is undone", |r| of_type(r, "b_box").len() == 2).await;
    assert!(!api(&client, "findings()").await.to_string().contains("min_size"));

    assert_accessible(&client, "image workspace").await;
    // Submit: the gold overlay and the verdicts in the region list.
    press(&client, ENTER).await;
    let report = wait_for(&client, "#gold-report").await;
    let verdicts = eventually(&client, ".region-row .region-verdict", "verdicts with IoU", |t| t.len() == 4).await;
    assert!(verdicts.iter().filter(|t| t.contains("IoU")).count() >= 3, "{verdicts:?}");
    assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("true"), "{verdicts:?}");

    screenshot(&client, "image-gold").await;
    assert_accessible(&client, "image workspace with gold feedback").await;
    // The stored row holds what was drawn, to within an image pixel at both zoom levels.
    assert_eq!(submissions_once_settled(&pool, 1).await, 1);
    let stored: String = sqlx::query_scalar("SELECT regions FROM submissions").fetch_one(&pool).await.unwrap();
    let stored: Vec<Value> = serde_json::from_str(&stored).unwrap();
    let boxes = of_type(&stored, "b_box");
    assert_eq!(boxes.len(), 2);
    for (expected, row) in [checkerboard, timecode].iter().zip(&boxes) {
        let got = bbox(row);
        assert!(
            near(got.0, expected.0) && near(got.1, expected.1) && near(got.2, expected.2) && near(got.3, expected.3)
        );
    }

    // The draft kept in local storage is dropped once stored.
    let kept = client
        .execute("return Object.keys(localStorage).filter(k => k.startsWith('annoqa.draft'))", vec![])
        .await
        .unwrap();
    assert_eq!(kept, serde_json::json!([]));
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyboard_only_annotator_completes_an_image_item_and_a_reload_keeps_the_draft() {
    let Session { url, client, pool, _running } = session("kai", PROJECT).await;

    client.goto(&format!("{url}#/p/{PROJECT}")).await.unwrap();
    log_in(&client, "kai", PASSWORD).await;
    wait_for(&client, ".canvas-frame canvas.layer-edit").await;
    // A tool button pressed with Space, as a keyboard user does after Tab: it picks the tool.
    wait_for(&client, "button.tool[data-tool=rectangle]").await.send_keys(" ").await.unwrap();
    let deadline = Instant::now() + WAIT;
    while api(&client, "view()").await["tool"] != "Rectangle" {
        assert!(Instant::now() < deadline, "Space on the Rectangle button did not pick it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Insert puts a box in the middle of the view; Alt+arrows size it, arrows move it.
    press(&client, "1").await;
    press(&client, INSERT).await;
    let first = regions_until(&client, "a box by Insert", |r| r.len() == 1).await;
    let (x, y, w, h) = bbox(&first[0]);
    press(&client, &format!("{ALT}{RIGHT}")).await;
    regions_until(&client, "wider by Alt+Right", |r| (bbox(&r[0]).2 - (w + 1.0)).abs() < 1e-9).await;
    press(&client, &format!("{SHIFT}{LEFT}")).await;
    regions_until(&client, "moved 10 px left", |r| (bbox(&r[0]).0 - (x - 10.0)).abs() < 1e-9).await;
    assert_eq!(bbox(&regions(&client).await[0]).1, y);
    assert_eq!(bbox(&regions(&client).await[0]).3, h);
    // `]` turns the selected box a degree about its centre, `[` turns it back.
    let centre = |r: &Value| {
        let (x, y, w, h) = bbox(r);
        let t = r["rotation"].as_f64().unwrap_or(0.0).to_radians();
        (x + (w * t.cos() - h * t.sin()) / 2.0, y + (w * t.sin() + h * t.cos()) / 2.0)
    };
    let before = centre(&regions(&client).await[0]);
    press(&client, "]").await;
    let turned =
        regions_until(&client, "rotated by ]", |r| r[0]["rotation"].as_f64().is_some_and(|d| (d - 1.0).abs() < 1e-9))
            .await;
    press(&client, "[").await;
    let back = regions_until(&client, "turned back by [", |r| r[0].get("rotation").is_none()).await;
    for (what, c) in [("turned", centre(&turned[0])), ("back", centre(&back[0]))] {
        assert!((c.0 - before.0).abs() < 1e-6 && (c.1 - before.1).abs() < 1e-6, "{what}: {c:?} vs {before:?}");
    }
    let (x, y) = (bbox(&back[0]).0, bbox(&back[0]).1);
    assert!((x - (bbox(&first[0]).0 - 10.0)).abs() < 1e-6 && (y - bbox(&first[0]).1).abs() < 1e-6);

    // A reload keeps the unsent draft.
    client.refresh().await.unwrap();
    wait_for(&client, "#draft-restored").await;
    let restored = regions_until(&client, "the draft survives a reload", |r| r.len() == 1).await;
    assert!((bbox(&restored[0]).0 - x).abs() < 1e-9);

    // Enter submits (warnings need a second Enter); the gold report comes up.
    press(&client, ENTER).await;
    let deadline = Instant::now() + WAIT;
    while client.find(fantoccini::Locator::Css("#gold-report")).await.is_err() {
        assert!(Instant::now() < deadline, "no gold report after Enter");
        press(&client, ENTER).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(submissions_once_settled(&pool, 1).await, 1);
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_start_the_draft_and_a_large_image_arrives_as_tiles() {
    let Session { url, client, pool, _running } = session("pia", "parking-lot").await;

    client.goto(&format!("{url}#/p/parking-lot")).await.unwrap();
    log_in(&client, "pia", PASSWORD).await;
    // The small lot's predictions are the starting draft, each marked in the region list.
    let items = std::fs::read_to_string(super::env_path("ANNOQA_STATIC").join("demo/parking-lot/items.jsonl")).unwrap();
    let first: Value = serde_json::from_str(items.lines().next().unwrap()).unwrap();
    let predicted = first["predictions"].as_array().unwrap().len();
    let drafted = regions_until(&client, "the predictions are the draft", |r| r.len() == predicted).await;
    eventually(&client, ".region-row .region-origin", "rows say predicted", |t| t.len() == predicted).await;

    // Delete the first by the list (select it, Delete), nudge the second, submit.
    wait_for(&client, ".region-row").await.click().await.unwrap();
    press(&client, "\u{E017}").await; // Delete
    regions_until(&client, "one deleted", |r| r.len() == predicted - 1).await;
    wait_for(&client, ".region-row").await.click().await.unwrap();
    press(&client, RIGHT).await;
    let deleted = drafted[0]["id"].as_str().unwrap().to_string();
    let edited = drafted[1]["id"].as_str().unwrap().to_string();
    regions_until(&client, "one moved", |r| r[0]["id"] == edited.as_str() && r[0] != drafted[1]).await;
    // In the region list, arrows move the selection.
    wait_for(&client, "#region-list").await.send_keys("\u{E015}").await.unwrap(); // ArrowDown
    let third = drafted[2]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + WAIT;
    loop {
        let selected = client
            .execute("const r = document.querySelector('.region-row.selected'); return r && r.dataset.region", vec![])
            .await
            .unwrap();
        if selected == serde_json::json!(third) {
            break;
        }
        assert!(Instant::now() < deadline, "ArrowDown in the list selects {third}, not {selected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    press(&client, ENTER).await;
    wait_for(&client, "#gold-report").await;
    assert_eq!(submissions_once_settled(&pool, 1).await, 1);
    let outcome: String =
        sqlx::query_scalar("SELECT prediction_outcome FROM submissions").fetch_one(&pool).await.unwrap();
    let outcome: Value = serde_json::from_str(&outcome).unwrap();
    assert_eq!(outcome["deleted"], serde_json::json!([deleted]));
    assert_eq!(outcome["edited"], serde_json::json!([edited]));
    assert_eq!(outcome["kept"].as_array().unwrap().len(), predicted - 2);

    // The large lot (8000 × 6000) is drawn from tiles: tile requests, never the file itself.
    press(&client, ENTER).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let item = api(&client, "item()").await;
        let names =
            client.execute("return performance.getEntriesByType('resource').map(e => e.name)", vec![]).await.unwrap();
        let names: Vec<String> = serde_json::from_value(names).unwrap();
        let tiles = names.iter().filter(|n| n.contains("/tiles/")).count();
        if item["id"] == "lot-large" && tiles > 0 {
            assert!(
                !names.iter().any(|n| n.ends_with("/media/lot-large.png")),
                "the whole image was fetched: {names:#?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no tiles of the large lot: item {item}, resources {names:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let predicted = regions(&client).await.len();
    assert!(predicted > 200, "the large lot's predictions are the draft: {predicted}");
    screenshot(&client, "image-large-lot").await;
    client.close().await.unwrap();
}
