//! A time-boxed mutation fuzzer for the byte parsers, on stable Rust (no cargo-fuzz): each
//! target mutates valid seed files (truncate, flip, huge sizes, splice, duplicate ranges) with
//! a seeded xorshift generator and runs the parser under `catch_unwind`. A panic, or peak
//! memory above the bound, saves the input to the crash directory; the run then fails.
//!
//! `cargo xtask fuzz [--seconds N]` runs every target in release; directly:
//! `cargo run --release -p annoqa-media --example fuzz -- [--target NAME] [--seconds N]
//! [--seed S] [--out DIR]`.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use annoqa_media::imaging::{self, PyramidOptions};
use annoqa_media::peaks::{PeaksBuilder, Zoom};
use annoqa_media::{probe, video, Limits};

const TARGETS: [&str; 4] = ["image-probe", "wav-probe", "peaks", "video-probe"];
/// Resident memory above this is a finding: the limits below allow 64 MB per buffer.
const MEMORY_BOUND: u64 = 768 << 20;
/// One input running longer than this is a finding (a hang); the watchdog saves it and exits.
const HANG_AFTER: Duration = Duration::from_secs(10);

/// The input being run, and since when, for the watchdog thread.
type Current = std::sync::Arc<std::sync::Mutex<Option<(String, Vec<u8>, Instant)>>>;

fn start_watchdog(current: Current, out: PathBuf) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        let hung = match current.lock() {
            Ok(guard) => guard.as_ref().filter(|(_, _, since)| since.elapsed() > HANG_AFTER).cloned(),
            Err(_) => None,
        };
        if let Some((target, input, _)) = hung {
            eprintln!(
                "  hang over {} s: saved {}",
                HANG_AFTER.as_secs(),
                save(&out, &target, "hang", &input).display()
            );
            eprintln!("error: {target} hangs");
            std::process::exit(1);
        }
    });
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn limits() -> Limits {
    Limits { max_alloc: 64 << 20, max_pixels: 16_000_000, max_frames: 1_000_000, ..Limits::default() }
}

fn run_target(target: &str, bytes: &[u8]) {
    let limits = limits();
    match target {
        "image-probe" => {
            let _ = probe(bytes, &limits);
            let mut sink = |_| Ok(());
            let _ = imaging::tile_pyramid(bytes, PyramidOptions { tile_size: 16, first_level: 0 }, &limits, &mut sink);
            let _ = imaging::tile_pyramid(bytes, PyramidOptions { tile_size: 16, first_level: 2 }, &limits, &mut sink);
        }
        "wav-probe" => {
            let _ = probe(bytes, &limits);
        }
        "peaks" => {
            // Fed in uneven chunks, as fetched bytes arrive.
            let mut builder = PeaksBuilder::new(Zoom::SamplesPerPixel(64), &limits);
            let mut ok = true;
            for chunk in bytes.chunks(977) {
                if builder.push(chunk).is_err() {
                    ok = false;
                    break;
                }
            }
            if ok {
                if let Ok(peaks) = builder.finish() {
                    let _ = peaks.coarser(3).map(|p| p.to_dat(annoqa_media::Bits::Eight));
                    let _ = annoqa_media::Peaks::from_dat(&peaks.to_dat(annoqa_media::Bits::Sixteen));
                }
            }
        }
        "video-probe" => {
            let _ = probe(bytes, &limits);
            let _ = video::probe_mp4(&mut Cursor::new(bytes), &limits);
            let _ = video::probe_matroska(Cursor::new(bytes), &limits);
            let _ = annoqa_media::Peaks::from_dat(bytes);
        }
        _ => {}
    }
}

fn seeds(target: &str, fixtures: &Path) -> Vec<Vec<u8>> {
    let read = |name: &str| std::fs::read(fixtures.join(name)).ok();
    match target {
        "image-probe" => {
            let mut seeds: Vec<Vec<u8>> = ["photo.jpg"].iter().filter_map(|n| read(n)).collect();
            for format in [image::ImageFormat::Png, image::ImageFormat::Gif, image::ImageFormat::WebP] {
                let mut out = Cursor::new(Vec::new());
                let picture =
                    image::RgbaImage::from_fn(37, 23, |x, y| image::Rgba([x as u8 * 7, y as u8 * 11, 3, 255]));
                if picture.write_to(&mut out, format).is_ok() {
                    seeds.push(out.into_inner());
                }
            }
            seeds
        }
        "wav-probe" | "peaks" => {
            let mut seeds = Vec::new();
            for (bits, format, channels) in [
                (8, hound::SampleFormat::Int, 1),
                (16, hound::SampleFormat::Int, 2),
                (24, hound::SampleFormat::Int, 3),
                (32, hound::SampleFormat::Float, 1),
            ] {
                let mut out = Cursor::new(Vec::new());
                let spec = hound::WavSpec { channels, sample_rate: 8000, bits_per_sample: bits, sample_format: format };
                let Ok(mut writer) = hound::WavWriter::new(&mut out, spec) else { continue };
                for i in 0..600i32 {
                    let _ = match format {
                        hound::SampleFormat::Float => writer.write_sample((i as f32 / 300.0) - 1.0),
                        hound::SampleFormat::Int => writer.write_sample((i * 37) % (1 << (bits - 1))),
                    };
                }
                if writer.finalize().is_ok() {
                    seeds.push(out.into_inner());
                }
            }
            seeds
        }
        _ => ["cfr.mp4", "vfr.mp4", "clip.webm"].iter().filter_map(|n| read(n)).collect(),
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes.truncate(at),
            1 => bytes[at] ^= 1 << rng.below(8),
            2 => bytes[at] = rng.next() as u8,
            3 => {
                let values = [u32::MAX, 0x7FFF_FFFF, 0x8000_0000, 0, 1, 0xFFFF_FFF0, 0x0100_0000];
                let value = values[rng.below(values.len())];
                let encoded = if rng.below(2) == 0 { value.to_be_bytes() } else { value.to_le_bytes() };
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&encoded[..end - at]);
            }
            4 => {
                let extra: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, extra);
            }
            _ => {
                // Duplicate a range elsewhere: repeats boxes, chunks and elements.
                let len = rng.below(64.min(bytes.len() - at)) + 1;
                let range: Vec<u8> = bytes[at..(at + len).min(bytes.len())].to_vec();
                let to = rng.below(bytes.len());
                bytes.splice(to..to, range);
            }
        }
    }
    bytes
}

fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn save(out: &Path, target: &str, kind: &str, bytes: &[u8]) -> PathBuf {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let path = out.join(format!("{target}-{kind}-{hash:016x}.bin"));
    if let Err(e) = std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, bytes)) {
        eprintln!("cannot save {}: {e}", path.display());
    }
    path
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut targets, mut seconds, mut seed, mut out) =
        (Vec::new(), 60u64, 0x5eed_u64, PathBuf::from("target/fuzz-crashes"));
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--target", Some(v)) if TARGETS.contains(&v.as_str()) => targets.push(v),
            ("--seconds", Some(v)) if v.parse::<u64>().is_ok() => seconds = v.parse().unwrap_or(60),
            ("--seed", Some(v)) if v.parse::<u64>().is_ok() => seed = v.parse().unwrap_or(1),
            ("--out", Some(v)) => out = PathBuf::from(v),
            (arg, _) => {
                eprintln!(
                    "error: bad argument `{arg}`; usage: fuzz [--target {}] [--seconds N] [--seed S] [--out DIR]",
                    TARGETS.join("|")
                );
                return ExitCode::from(2);
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| t.to_string()).collect();
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Panics are findings, reported once each below, not as a backtrace per input.
    panic::set_hook(Box::new(|info| eprintln!("  panic: {info}")));
    let current: Current = Default::default();
    start_watchdog(current.clone(), out.clone());
    let set_current = |target: &str, input: Option<&[u8]>| {
        if let Ok(mut guard) = current.lock() {
            *guard = input.map(|bytes| (target.to_string(), bytes.to_vec(), Instant::now()));
        }
    };
    let mut findings = 0;
    for target in &targets {
        let seeds = seeds(target, &fixtures);
        if seeds.is_empty() {
            eprintln!("error: no seeds for {target} in {}", fixtures.display());
            return ExitCode::from(2);
        }
        let mut rng = Rng(seed | 1);
        let (start, budget) = (Instant::now(), Duration::from_secs(seconds));
        let mut runs = 0u64;
        let mut target_findings = 0;
        // Every seed once as is, then mutants.
        for s in &seeds {
            if panic::catch_unwind(AssertUnwindSafe(|| run_target(target, s))).is_err() {
                target_findings += 1;
                eprintln!("  unmutated seed crashed: {}", save(&out, target, "panic", s).display());
            }
        }
        while start.elapsed() < budget {
            let parent = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, parent);
            runs += 1;
            set_current(target, Some(&input));
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_target(target, &input)));
            set_current(target, None);
            if outcome.is_err() {
                target_findings += 1;
                eprintln!("  saved {}", save(&out, target, "panic", &input).display());
            }
            if peak_rss() > MEMORY_BOUND {
                target_findings += 1;
                eprintln!(
                    "  peak memory {} MB: saved {}",
                    peak_rss() >> 20,
                    save(&out, target, "memory", &input).display()
                );
                break;
            }
            if target_findings >= 20 {
                break;
            }
        }
        println!(
            "fuzz {target}: {runs} inputs in {:.1} s, {target_findings} findings, peak memory {} MB",
            start.elapsed().as_secs_f64(),
            peak_rss() >> 20
        );
        findings += target_findings;
    }
    if findings > 0 {
        eprintln!("error: {findings} findings saved under {}", out.display());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
