//! What the whole app holds after many task switches: the real server, the built app, real
//! Chromium, an annotator skipping from one pre-annotated image item to the next. A benchmark,
//! not a test: `cargo xtask bench` runs it (`--ignored`), and its figures go to BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::Value;

use super::{add_member, log_in, press, start_browser_with, start_chromedriver, start_server_with, wait_for};
use super::{ENTER, PASSWORD, SHIFT, WAIT};

const PROJECT: &str = "heap-bench";
/// Items switched through; the heap is read after `WARM_UP` of them and after all.
const ITEMS: usize = 110;
const WARM_UP: usize = 10;
/// Predicted boxes on each item: each item's draft, scene, index and region list are this big.
const BOXES_PER_ITEM: usize = 1_000;
const IMAGE: (u32, u32) = (2000, 1400);

/// A seeded project folder of `ITEMS` image items, each with `BOXES_PER_ITEM` predicted boxes,
/// on the demo's small parking-lot picture.
fn write_project(static_dir: &Path, demo_media: &Path) {
    let folder = static_dir.join("demo").join(PROJECT);
    std::fs::create_dir_all(folder.join("media")).unwrap();
    std::fs::copy(demo_media.join("lot-small.png"), folder.join("media/lot-small.png")).unwrap();
    let project = serde_json::json!({
        "id": PROJECT,
        "title": "Heap benchmark: pre-annotated items",
        "spec": {
            "media": "image",
            "controls": [{
                "name": "vehicles", "type": "b_box",
                "labels": [{"value": "car", "hotkey": "1"}, {"value": "van", "hotkey": "2"}]
            }],
            "rules": [
                {"rule": "min_size", "control": "vehicles", "min_width": 4, "min_height": 4},
                {"rule": "no_duplicates", "control": "vehicles"}
            ]
        }
    });
    std::fs::write(folder.join("project.json"), project.to_string()).unwrap();
    std::fs::write(folder.join("guidelines.md"), "# Vehicles\n\nOne box per vehicle.\n").unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut items = String::new();
    for i in 0..ITEMS {
        let boxes: Vec<Value> = (0..BOXES_PER_ITEM)
            .map(|b| {
                let (w, h) = (8.0 + 60.0 * next(), 8.0 + 60.0 * next());
                let x = (f64::from(IMAGE.0) - w) * next();
                let y = (f64::from(IMAGE.1) - h) * next();
                let label = if b % 5 == 0 { "van" } else { "car" };
                serde_json::json!({"id": format!("p{b}"), "control": "vehicles", "type": "b_box",
                    "x": x, "y": y, "width": w, "height": h, "label": label})
            })
            .collect();
        let item = serde_json::json!({
            "id": format!("heap-{i:03}"),
            "media": {"type": "image", "src": "lot-small.png", "width": IMAGE.0, "height": IMAGE.1},
            "predictions": boxes,
        });
        writeln!(items, "{item}").unwrap();
    }
    std::fs::write(folder.join("items.jsonl"), items).unwrap();
}

async fn item_id(client: &Client) -> Option<String> {
    let item = client.execute("return window.annoqa ? window.annoqa.item() : null", vec![]).await.unwrap();
    item["id"].as_str().map(str::to_string)
}

/// JS heap and Wasm memory in bytes, after two full garbage collections.
async fn heap(client: &Client) -> (f64, f64) {
    let script = "gc(); gc(); return {js: performance.memory.usedJSHeapSize, wasm: window.annoqa.memory().wasmBytes};";
    let sizes = client.execute(script, vec![]).await.unwrap();
    (sizes["js"].as_f64().unwrap(), sizes["wasm"].as_f64().unwrap())
}

/// Waits until the item on screen is not `previous` and its image editor is drawn.
async fn next_item(client: &Client, previous: Option<&str>) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let id = item_id(client).await;
        let view = client.execute("return window.annoqa ? window.annoqa.view() : null", vec![]).await.unwrap();
        if let (Some(id), false) = (id, view.is_null()) {
            if Some(id.as_str()) != previous {
                return id;
            }
        }
        assert!(Instant::now() < deadline, "the item after {previous:?} never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: `cargo xtask bench` runs it"]
async fn heap_after_a_hundred_task_switches() {
    let dir = tempfile::tempdir().unwrap();
    let static_dir = dir.path().join("static");
    let demo_media = super::env_path("ANNOQA_STATIC").join("demo/parking-lot/media");
    write_project(&static_dir, &demo_media);
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server_with(&database, &static_dir);
    add_member(&database, "hana", PASSWORD, PROJECT);
    let (_driver, webdriver) = start_chromedriver();
    let flags = ["--js-flags=--expose-gc", "--enable-precise-memory-info"];
    let client = start_browser_with(&webdriver, &dir.path().join("chromium-profile"), &flags).await;
    client.goto(&format!("{url}#/")).await.unwrap();
    log_in(&client, "hana", PASSWORD).await;
    client.goto(&format!("{url}#/p/{PROJECT}")).await.unwrap();
    let mut id = next_item(&client, None).await;
    let mut warm = (0.0, 0.0);
    let started = Instant::now();
    for switch in 1..=ITEMS - 1 {
        press(&client, &format!("{SHIFT}s")).await;
        wait_for(&client, "#skip-reason").await.send_keys(&format!("heap bench{ENTER}")).await.unwrap();
        id = next_item(&client, Some(&id)).await;
        if switch == WARM_UP {
            warm = heap(&client).await;
        }
    }
    let per_switch = started.elapsed().as_secs_f64() * 1000.0 / (ITEMS - 1) as f64;
    let end = heap(&client).await;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "BENCH whole app, {} task switches (skip, next pre-annotated item of {BOXES_PER_ITEM} boxes): JS heap \
         {:.1} → {:.1} MiB ({:+.1}), Wasm memory {:.1} → {:.1} MiB ({:+.1}), together {:+.1} MiB from switch \
         {WARM_UP} to {}; {per_switch:.0} ms per switch",
        ITEMS - 1,
        mib(warm.0),
        mib(end.0),
        mib(end.0 - warm.0),
        mib(warm.1),
        mib(end.1),
        mib(end.1 - warm.1),
        mib(end.0 + end.1 - warm.0 - warm.1),
        ITEMS - 1,
    );
    client.close().await.unwrap();
}
