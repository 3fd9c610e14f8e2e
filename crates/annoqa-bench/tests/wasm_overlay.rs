//! The reviewer's overlay at scale in headless Chromium: 5 annotators × 5,000 boxes (issue 15's
//! goal: ≤ 100 ms). Run with `cargo test --release -p annoqa-bench --target
//! wasm32-unknown-unknown --test wasm_overlay -- --nocapture`. It reports the time; it asserts
//! only that the work was done and the groups look like the seeded data, never how long it took.
#![cfg(target_arch = "wasm32")]

use annoqa_bench::{box_spec, five_annotators, photo};
use annoqa_stats::overlay::{overlay, AgreementClass};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

#[path = "common/timing.rs"]
mod timing;

use timing::timed_runs;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn overlay_of_five_annotators_in_the_browser() {
    let (spec, item, submissions) = (box_spec(), photo(), five_annotators());
    let result = overlay(&spec, &item, &submissions).expect("five annotators are allowed");
    let agreeing = result.groups.iter().filter(|g| g.class == AgreementClass::AllAgree).count();
    let regions: usize = submissions.iter().map(|s| s.regions.len()).sum();
    let grouped: usize = result.groups.iter().map(|g| g.members.len()).sum();
    assert_eq!(grouped, regions, "every box is in one group");
    // 0.95⁵ · 0.98⁵ ≈ 70 % of the objects are drawn by all five with one label.
    assert!(agreeing > 3_000 && agreeing < 4_000, "{agreeing} groups agree");
    let (times, size) = timed_runs(15, || overlay(&spec, &item, &submissions).map_or(0, |o| o.groups.len()));
    assert!(size > 0, "the overlay found groups");
    console_log!(
        "BENCH wasm overlay 5 annotators × 5,000 boxes ({regions} boxes, {} groups): {:.1} ms (median of 15 after 1 s warm-up; fastest {:.1}, slowest {:.1})",
        result.groups.len(),
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
