//! The same work as `benches/qa.rs`, timed in headless Chromium (run by `cargo xtask bench`
//! with `--release -- --nocapture`). It reports; it asserts only that the work was done, never
//! how long it took.
#![cfg(target_arch = "wasm32")]

use annoqa_bench::stats_inputs::{
    alpha_nominal, complete_ratings, crowd_answers, dawid_skene_accuracy, fleiss, sparse_ratings,
};
use annoqa_bench::{box_spec, boxes, gold_and_annotation, photo};
use annoqa_core::{score_gold, validate};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

#[path = "common/timing.rs"]
mod timing;

use timing::timed_runs;

wasm_bindgen_test_configure!(run_in_browser);

/// Median milliseconds of `runs` calls of `work`, after at least a second of warm-up calls:
/// V8 runs new Wasm in its baseline tier first and swaps in optimised code in the background,
/// so a short warm-up measures the baseline compiler (runs then differ by half). Criterion
/// warms up the native side the same way.
fn median_ms(runs: usize, work: impl FnMut() -> usize) -> (f64, usize) {
    let (times, size) = timed_runs(runs, work);
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

/// The statistics workloads of `examples/stats_vs_python.rs`, in Wasm, timed the way that example
/// times them natively (the fastest of as many runs, here after the warm-up): `cargo xtask
/// bench` collects the `BENCH-JSON` lines into the side-by-side table (Wasm vs native vs Python).
#[wasm_bindgen_test]
fn statistics_in_the_browser() {
    let sparse = sparse_ratings();
    let (ms, alpha) = best_value_ms(20, || alpha_nominal(&sparse));
    console_log!(r#"BENCH-JSON {{"work":"alpha","tool":"annoqa-wasm","seconds":{},"value":{alpha}}}"#, ms / 1e3);
    assert!(alpha.is_finite());
    let complete = complete_ratings();
    let (ms, kappa) = best_value_ms(20, || fleiss(&complete));
    console_log!(r#"BENCH-JSON {{"work":"fleiss","tool":"annoqa-wasm","seconds":{},"value":{kappa}}}"#, ms / 1e3);
    assert!(kappa.is_finite());
    let crowd = crowd_answers();
    let (ms, (accuracy, _)) = best_value_ms(20, || dawid_skene_accuracy(&crowd));
    console_log!(
        r#"BENCH-JSON {{"work":"dawid_skene","tool":"annoqa-wasm","seconds":{},"value":{accuracy}}}"#,
        ms / 1e3
    );
    assert!(accuracy > 0.5, "Dawid–Skene recovers most of the truth");
}

/// The fastest of `runs` timed calls of `work` after the warm-up, and its result: the machine
/// is shared, and the fastest run is the least disturbed one.
fn best_value_ms<T: Copy>(runs: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut last = None;
    let (times, _) = timed_runs(runs, || {
        last = Some(work());
        1
    });
    (times[0], last.expect("the work ran"))
}
