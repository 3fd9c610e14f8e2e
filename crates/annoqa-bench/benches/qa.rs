//! `cargo bench -p annoqa-bench` (or `cargo xtask bench`): the QA engine's hot paths.

use annoqa_bench::{box_spec, boxes, gold_and_annotation, photo};
use annoqa_core::{score_gold, validate};
use criterion::{criterion_group, criterion_main, Criterion};

fn qa(c: &mut Criterion) {
    let (spec, item) = (box_spec(), photo());
    let regions = boxes(5_000, 1);
    c.bench_function("validate 5,000 boxes with rules", |b| b.iter(|| validate(&spec, &item, &regions)));
    let (gold, annotation) = gold_and_annotation(500);
    c.bench_function("score 500 vs 500 boxes (Hungarian)", |b| b.iter(|| score_gold(&spec, &item, &gold, &annotation)));
}

criterion_group!(benches, qa);
criterion_main!(benches);
