//! `cargo bench -p annoqa-bench --bench media`: annoqa-media's budgets (issue 5) natively.
//! - peaks of 1 hour of 44.1 kHz 16-bit mono WAV at 256 samples per pixel, WAV parse included,
//!   whole and fed in 1 MiB chunks as a download arrives (the Wasm side is
//!   `tests/wasm_media.rs`);
//! - probe of a 10,000 × 10,000 PNG (header only; budget < 5 ms).

use std::hint::black_box;

use annoqa_media::peaks::{peaks_of_wav, PeaksBuilder};
use annoqa_media::{probe, synthetic, Limits, Zoom};
use criterion::{criterion_group, criterion_main, Criterion};

fn media(c: &mut Criterion) {
    let limits = Limits::default();
    let wav = synthetic::wav_i16_mono(3600, 44_100);
    let mut group = c.benchmark_group("media");
    group.sample_size(10);
    group.bench_function("peaks 1 h 44.1 kHz mono i16 @256", |b| {
        b.iter(|| peaks_of_wav(black_box(&wav), Zoom::SamplesPerPixel(256), &limits).map(|p| p.len()))
    });
    group.bench_function("peaks 1 h 44.1 kHz mono i16 @256, 1 MiB chunks", |b| {
        b.iter(|| {
            let mut builder = PeaksBuilder::new(Zoom::SamplesPerPixel(256), &limits);
            for chunk in black_box(&wav).chunks(1 << 20) {
                builder.push(chunk)?;
            }
            builder.finish().map(|p| p.len())
        })
    });
    let peaks = peaks_of_wav(&wav, Zoom::SamplesPerPixel(256), &limits).expect("synthetic WAV is valid");
    group.bench_function("levels ×2 down to 1,000 pixels from @256", |b| {
        b.iter(|| peaks.levels(2, 1000).map(|l| l.len()))
    });
    group.finish();
    drop(wav);

    let png = synthetic::png_rgb(10_000, 10_000).expect("synthetic PNG encodes");
    c.bench_function("probe 10,000 × 10,000 PNG", |b| b.iter(|| probe(black_box(&png), &limits)));
}

criterion_group!(benches, media);
criterion_main!(benches);
