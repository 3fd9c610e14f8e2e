//! The image workspace in headless Chromium (software raster): frames of continuous pan and
//! zoom over 5,000 / 20,000 / 50,000 seeded boxes and 20-point polygons on a 10,000 × 10,000
//! image, at fit and at 4× zoom; the point hit test; a pointer-up's committed edit with
//! validation; and, in the same run, the same regions as one SVG element each (what CVAT does),
//! animated the same way. Run by `cargo xtask bench` (`--release -- --nocapture`); it reports,
//! asserting only that the work was done.
#![cfg(target_arch = "wasm32")]

use annoqa_app::components::image_bench::CanvasBench;
use annoqa_bench::{scene_item, scene_regions, scene_spec, SCENE_SIDE};
use annoqa_core::RegionValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const WIDTH: f64 = 1400.0;
const HEIGHT: f64 = 900.0;
/// Frames per measurement.
const FRAMES: usize = 30;

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The timestamp of the next animation frame.
async fn next_frame() -> f64 {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(&resolve);
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.ok().and_then(|v| v.as_f64()).unwrap_or_else(now)
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

/// The view's step for frame `i`: a slow circle of pans, with a zoom in and out around it.
fn motion(i: usize) -> (f64, f64, f64) {
    let angle = i as f64 / FRAMES as f64 * std::f64::consts::TAU;
    (angle.cos() * 12.0, angle.sin() * 12.0, if (i / 15) % 2 == 0 { 1.02 } else { 1.0 / 1.02 })
}

/// Frames drawn until every region tile of the view is ready, and their total milliseconds.
fn until_complete(bench: &mut CanvasBench) -> (usize, f64) {
    let start = now();
    let mut frames = 1;
    while !bench.frame() && frames < 10_000 {
        frames += 1;
    }
    (frames, now() - start)
}

/// p95 of the synchronous frame (draw and rasterise) and of the animation-frame interval,
/// over `FRAMES` frames of motion at `zoom` times the fit scale, once the view has been drawn
/// whole; and how many of those frames still had tiles to render.
async fn canvas_frames(bench: &mut CanvasBench, zoom: f64) -> (f64, f64, usize) {
    bench.view().refit();
    let fit = bench.view().scale;
    bench.view().zoom_to(fit * zoom, WIDTH / 2.0, HEIGHT / 2.0);
    until_complete(bench);
    let (mut draw, mut interval, mut pending) = (Vec::new(), Vec::new(), 0);
    let mut last = next_frame().await;
    for i in 0..FRAMES {
        let (dx, dy, factor) = motion(i);
        bench.view().pan_by(dx, dy);
        bench.view().zoom_at(factor, WIDTH / 2.0, HEIGHT / 2.0);
        let start = now();
        pending += usize::from(!bench.frame());
        draw.push(now() - start);
        let stamp = next_frame().await;
        interval.push(stamp - last);
        last = stamp;
    }
    (percentile(&mut draw, 0.95), percentile(&mut interval, 0.95), pending)
}

/// The same regions as one SVG element each in a `<g>` whose transform does the pan and zoom.
fn svg_scene(count: usize, seed: u64) -> Result<(web_sys::Element, web_sys::Element), JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let ns = Some("http://www.w3.org/2000/svg");
    let svg = document.create_element_ns(ns, "svg")?;
    svg.set_attribute("width", &WIDTH.to_string())?;
    svg.set_attribute("height", &HEIGHT.to_string())?;
    let group = document.create_element_ns(ns, "g")?;
    for region in scene_regions(count, seed) {
        let element = match &region.value {
            RegionValue::BBox { x, y, width, height, .. } => {
                let rect = document.create_element_ns(ns, "rect")?;
                for (name, value) in [("x", x), ("y", y), ("width", width), ("height", height)] {
                    rect.set_attribute(name, &value.to_string())?;
                }
                rect
            }
            RegionValue::Polygon { points, .. } => {
                let polygon = document.create_element_ns(ns, "polygon")?;
                let text: Vec<String> = points.iter().map(|p| format!("{},{}", p[0], p[1])).collect();
                polygon.set_attribute("points", &text.join(" "))?;
                polygon
            }
            _ => continue,
        };
        element.set_attribute("fill", "none")?;
        element.set_attribute("stroke", "#f6bd60")?;
        element.set_attribute("stroke-width", "2")?;
        element.set_attribute("vector-effect", "non-scaling-stroke")?;
        group.append_child(&element)?;
    }
    svg.append_child(&group)?;
    document.body().ok_or("no body")?.append_child(&svg)?;
    Ok((svg, group))
}

/// p95 animation-frame interval with the SVG transform moved each frame like the canvas view.
async fn svg_frames(group: &web_sys::Element, zoom: f64) -> f64 {
    let side = f64::from(SCENE_SIDE);
    let mut scale = (WIDTH / side).min(HEIGHT / side) * zoom;
    let (mut x, mut y) = (0.0, 0.0);
    let mut interval = Vec::new();
    let mut last = next_frame().await;
    for i in 0..FRAMES {
        let (dx, dy, factor) = motion(i);
        x += dx;
        y += dy;
        scale *= factor;
        let _ = group.set_attribute("transform", &format!("translate({x} {y}) scale({scale})"));
        let stamp = next_frame().await;
        interval.push(stamp - last);
        last = stamp;
    }
    percentile(&mut interval, 0.95)
}

#[wasm_bindgen_test]
async fn image_workspace_frames_hit_tests_and_edits_in_the_browser() {
    for count in [5_000, 20_000, 50_000] {
        let regions = scene_regions(count, 7);
        let first_id = regions[0].id.clone();
        let mut bench = CanvasBench::new(scene_spec(), scene_item(), regions, WIDTH, HEIGHT).expect("a browser page");
        let (frames, ms) = until_complete(&mut bench);
        console_log!(
            "BENCH canvas {count} regions: first whole view at fit in {frames} frames, {ms:.0} ms ({} regions in view)",
            bench.visible()
        );
        for (name, zoom) in [("fit", 1.0), ("4x", 4.0)] {
            let (draw, interval, pending) = canvas_frames(&mut bench, zoom).await;
            let svg = {
                let (svg, group) = svg_scene(count, 7).expect("an SVG scene");
                let _ = next_frame().await;
                let ms = svg_frames(&group, zoom).await;
                svg.remove();
                ms
            };
            console_log!(
                "BENCH canvas {count} regions at {name}: draw+raster p95 {draw:.2} ms, frame interval p95 \
                 {interval:.2} ms ({pending} of {FRAMES} frames with tiles still to draw); SVG (one element \
                 each) frame interval p95 {svg:.2} ms; SVG/canvas {:.1}x ({FRAMES} frames of pan and zoom)",
                svg / interval.max(0.001)
            );
            assert!(bench.visible() > 0, "regions were in view");
        }
        // Hit tests at seeded points, timed together.
        let points: Vec<(f64, f64)> = (0..10_000u32)
            .map(|i| {
                let t = f64::from(i);
                ((t * 7919.0) % f64::from(SCENE_SIDE), (t * 104_729.0) % f64::from(SCENE_SIDE))
            })
            .collect();
        let start = now();
        let hits = bench.hit_test(&points);
        let us = (now() - start) * 1000.0 / points.len() as f64;
        console_log!("BENCH hit test over {count} regions: {us:.2} µs per point ({hits} hits of 10,000)");
        // Pointer-up to committed edit: the draft, validation (the page's validator, which
        // re-checks what changed), the index; then the frame that shows it (the touched tiles
        // drawn again). Beside it, validation of the whole draft from scratch, as the server does.
        bench.view().refit();
        until_complete(&mut bench);
        let (mut times, mut redraws, mut validations) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..11 {
            let start = now();
            bench.commit_move(&first_id, if i % 2 == 0 { 5.0 } else { -5.0 });
            times.push(now() - start);
            let start = now();
            until_complete(&mut bench);
            redraws.push(now() - start);
            let start = now();
            bench.validate();
            validations.push(now() - start);
        }
        let (median, redraw) = (percentile(&mut times, 0.5), percentile(&mut redraws, 0.5));
        let validation = percentile(&mut validations, 0.5);
        console_log!(
            "BENCH pointer-up to committed edit (validation included) at {count} regions: {median:.1} ms median of 11 \
             (validation from scratch, as the server does: {validation:.1} ms); the view drawn again after it: \
             {redraw:.1} ms"
        );
    }
}

/// The JS heap (Chromium's `performance.memory`) and the Wasm memory, in bytes.
fn heap() -> (f64, f64) {
    let performance = web_sys::window().and_then(|w| w.performance()).map(JsValue::from).unwrap_or(JsValue::NULL);
    let memory = js_sys::Reflect::get(&performance, &"memory".into()).unwrap_or(JsValue::NULL);
    let js = js_sys::Reflect::get(&memory, &"usedJSHeapSize".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let wasm = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
    let wasm = js_sys::Reflect::get(&wasm, &"byteLength".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    (js, wasm)
}

/// 100 items one after another, each 5,000 regions drawn whole at fit and then panned, then
/// dropped as the editor drops an item: what the heap holds after the 100th against after the
/// 10th. (The editor's scene, draft, index and tile cache; not Yew's components.)
#[wasm_bindgen_test]
async fn heap_after_a_hundred_task_switches() {
    let mut after_ten = (0.0, 0.0);
    for i in 0..100u64 {
        let mut bench = CanvasBench::new(scene_spec(), scene_item(), scene_regions(5_000, i + 1), WIDTH, HEIGHT)
            .expect("a browser page");
        until_complete(&mut bench);
        for k in 0..5 {
            let (dx, dy, factor) = motion(k);
            bench.view().pan_by(dx * 10.0, dy * 10.0);
            bench.view().zoom_at(factor, WIDTH / 2.0, HEIGHT / 2.0);
            until_complete(&mut bench);
        }
        drop(bench);
        let _ = next_frame().await;
        if i == 9 {
            after_ten = heap();
        }
    }
    let _ = next_frame().await;
    let end = heap();
    let mb = |b: f64| b / 1_048_576.0;
    console_log!(
        "BENCH heap over 100 task switches (5,000 regions each): JS {:.1} MB after 10, {:.1} MB after 100 \
         (+{:.1} MB); Wasm memory {:.1} MB after 10, {:.1} MB after 100 (+{:.1} MB)",
        mb(after_ten.0),
        mb(end.0),
        mb(end.0 - after_ten.0),
        mb(after_ten.1),
        mb(end.1),
        mb(end.1 - after_ten.1)
    );
    assert!(end.1 > 0.0, "the Wasm memory was read");
}
