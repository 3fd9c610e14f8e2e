//! The same work as `benches/qa.rs`, timed in headless Chromium (run by `cargo xtask bench`
//! with `--release -- --nocapture`). It reports; it asserts only that the work was done, never
//! how long it took.
#![cfg(target_arch = "wasm32")]

use annoqa_bench::{box_spec, boxes, gold_and_annotation, photo};
use annoqa_core::{score_gold, validate};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Median milliseconds of `runs` calls of `work`, after at least a second of warm-up calls:
/// V8 runs new Wasm in its baseline tier first and swaps in optimised code in the background,
/// so a short warm-up measures the baseline compiler (runs then differ by half). Criterion
/// warms up the native side the same way.
fn median_ms(runs: usize, mut work: impl FnMut() -> usize) -> (f64, usize) {
    let performance = web_sys::window().and_then(|w| w.performance()).expect("performance.now is available");
    let mut size = 0;
    let warm_up_until = performance.now() + 1000.0;
    while performance.now() < warm_up_until {
        size += work();
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = performance.now();
        size += work();
        times.push(performance.now() - start);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], size)
}

#[wasm_bindgen_test]
fn qa_kernels_in_the_browser() {
    let (spec, item) = (box_spec(), photo());
    let regions = boxes(5_000, 1);
    let (ms, findings) = median_ms(30, || validate(&spec, &item, &regions).len());
    console_log!("BENCH wasm validate 5,000 boxes with rules: {ms:.3} ms (median of 30 after 1 s warm-up)");
    assert!(findings > 0, "the random boxes overlap somewhere");
    let (gold, annotation) = gold_and_annotation(500);
    let (ms, verdicts) = median_ms(30, || score_gold(&spec, &item, &gold, &annotation).verdicts.len());
    console_log!("BENCH wasm score 500 vs 500 boxes (Hungarian): {ms:.3} ms (median of 30 after 1 s warm-up)");
    assert!(verdicts > 500);
}
