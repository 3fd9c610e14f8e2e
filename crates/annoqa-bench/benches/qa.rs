//! `cargo bench -p annoqa-bench` (or `cargo xtask bench`): the QA engine's hot paths.

use annoqa_bench::{box_spec, boxes, gold_and_annotation, photo, scene_item, scene_regions, scene_spec};
use annoqa_core::{score_gold, validate, RegionValue, Validator};
use criterion::{criterion_group, criterion_main, Criterion};

fn qa(c: &mut Criterion) {
    let (spec, item) = (box_spec(), photo());
    let regions = boxes(5_000, 1);
    c.bench_function("validate 5,000 boxes with rules", |b| b.iter(|| validate(&spec, &item, &regions)));
    let (gold, annotation) = gold_and_annotation(500);
    c.bench_function("score 500 vs 500 boxes (Hungarian)", |b| b.iter(|| score_gold(&spec, &item, &gold, &annotation)));
    image_editor_edits(c);
}

/// The image editor's validation at 50,000 regions (half boxes, half 20-point polygons): from
/// scratch, as the server does, and by the page's `Validator` after one box moved.
fn image_editor_edits(c: &mut Criterion) {
    let (spec, item) = (scene_spec(), scene_item());
    let mut regions = scene_regions(50_000, 7);
    c.bench_function("validate 50,000 boxes and polygons from scratch", |b| {
        b.iter(|| validate(&spec, &item, &regions))
    });
    let mut validator = Validator::new();
    validator.validate(&spec, &item, &regions);
    let mut step = 5.0;
    c.bench_function("validate 50,000 boxes and polygons after one box moved (Validator)", |b| {
        b.iter(|| {
            if let RegionValue::BBox { x, .. } = &mut regions[0].value {
                *x += step;
            }
            step = -step;
            validator.validate(&spec, &item, &regions)
        })
    });
}

criterion_group!(benches, qa);
criterion_main!(benches);
