//! The timing loop the Chromium benches share (`#[path]`-included: each test file is its own
//! crate). At least a second of warm-up calls first: V8 runs new Wasm in its baseline tier and
//! swaps in optimised code in the background, so a short warm-up measures the baseline
//! compiler.

/// Sorted milliseconds of `runs` calls of `work` after the warm-up, and the sizes' sum.
pub(crate) fn timed_runs(runs: usize, mut work: impl FnMut() -> usize) -> (Vec<f64>, usize) {
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
    (times, size)
}
