//! Hostile bytes: valid seed files, mutated (truncated, bytes flipped, sizes replaced by huge
//! values, bytes inserted), must give an answer or an error — never a panic — and must not
//! allocate from sizes the bytes claim. The same mutations run for minutes in `cargo xtask
//! fuzz` (`examples/fuzz.rs`); this is the quick pass in the normal suite.

use std::io::Cursor;

use annoqa_media::imaging::{self, PyramidOptions};
use annoqa_media::peaks::peaks_of_wav;
use annoqa_media::{probe, Limits, Zoom};
use proptest::prelude::*;

use crate::fixture;

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = ["cfr.mp4", "vfr.mp4", "clip.webm", "photo.jpg"]
        .iter()
        .map(|name| std::fs::read(fixture(name)).unwrap())
        .collect();
    let mut wav = Cursor::new(Vec::new());
    let spec =
        hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::new(&mut wav, spec).unwrap();
    for i in 0..2000 {
        writer.write_sample((i * 4099) % (1 << 23)).unwrap();
    }
    writer.finalize().unwrap();
    seeds.push(wav.into_inner());
    let mut png = Cursor::new(Vec::new());
    image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    seeds.push(png.into_inner());
    seeds
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    HugeSize(usize, u32),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Mutation::Flip(at, bits)),
        (any::<usize>(), prop::sample::select(vec![u32::MAX, 0x7FFF_FFFF, 0x8000_0000, 0, 1, 0xFFFF_FFF0]))
            .prop_map(|(at, value)| Mutation::HugeSize(at, value)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::Truncate(at) => bytes.truncate(at % bytes.len()),
        Mutation::Flip(at, bits) => {
            let at = at % bytes.len();
            bytes[at] ^= bits;
        }
        Mutation::HugeSize(at, value) => {
            let at = at % bytes.len();
            let end = (at + 4).min(bytes.len());
            // Sizes are big-endian in MP4 and little-endian in RIFF: both appear.
            let encoded = if at % 2 == 0 { value.to_be_bytes() } else { value.to_le_bytes() };
            bytes[at..end].copy_from_slice(&encoded[..end - at]);
        }
        Mutation::Insert(at, extra) => {
            let at = at % bytes.len();
            bytes.splice(at..at, extra.iter().copied());
        }
    }
}

/// Peak resident memory of this process, from Linux's `/proc/self/status`.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs every entry point on `bytes`; panics propagate to proptest as failures.
fn exercise(bytes: &[u8], limits: &Limits) {
    let _ = probe(bytes, limits);
    if let Ok(peaks) = peaks_of_wav(bytes, Zoom::SamplesPerPixel(64), limits) {
        // Output is bounded by the samples actually present, whatever the header says.
        assert!(peaks.data.len() * 2 <= bytes.len() / 16 + 64 * usize::from(peaks.channels));
    }
    if bytes.len() < 4096 {
        let mut sink = |_| Ok(());
        let _ = imaging::tile_pyramid(bytes, PyramidOptions { tile_size: 16, first_level: 0 }, limits, &mut sink);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_media_never_panics(seed in 0..6usize, mutations in prop::collection::vec(mutation(), 1..4)) {
        let seeds = seeds();
        let mut bytes = seeds[seed % seeds.len()].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        // Small limits, so a guard that fails shows up as a huge allocation attempt.
        let limits = Limits { max_alloc: 32 << 20, max_pixels: 4_000_000, max_frames: 100_000, ..Limits::default() };
        exercise(&bytes, &limits);
    }
}

#[test]
fn memory_stays_bounded_across_hostile_headers() {
    // Headers that claim gigabytes, against the default limits: nothing may allocate them.
    let limits = Limits::default();
    for seed in seeds() {
        for at in (0..seed.len().min(512)).step_by(2) {
            for value in [u32::MAX, 0x7FFF_FFFF] {
                let mut bytes = seed.clone();
                apply(&mut bytes, &Mutation::HugeSize(at, value));
                exercise(&bytes, &limits);
            }
        }
    }
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 512 << 20, "peak resident memory {} MB", peak >> 20);
    }
}
