//! `cargo bench -p annoqa-bench --bench review`: the reviewer's overlay natively, on the inputs
//! `tests/wasm_overlay.rs` times in Chromium.

use annoqa_bench::{box_spec, five_annotators, photo};
use annoqa_stats::overlay::overlay;
use criterion::{criterion_group, criterion_main, Criterion};

fn review(c: &mut Criterion) {
    let (spec, item, submissions) = (box_spec(), photo(), five_annotators());
    c.bench_function("overlay 5 annotators × 5,000 boxes", |b| b.iter(|| overlay(&spec, &item, &submissions)));
}

criterion_group!(benches, review);
criterion_main!(benches);
