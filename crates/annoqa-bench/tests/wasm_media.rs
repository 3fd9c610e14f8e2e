//! Waveform peaks in headless Chromium (issue 5's budget: 1 hour of 44.1 kHz 16-bit mono WAV at
//! 256 samples per pixel in ≤ 150 ms, WAV parse included), side by side with a JavaScript
//! implementation of the same min/max algorithm on the same bytes in the same browser, plus
//! memory high-water marks. Run by `cargo xtask bench`; alone:
//! `cargo test --release -p annoqa-bench --target wasm32-unknown-unknown --test wasm_media -- --nocapture`
//! (add `RUSTFLAGS="-C target-feature=+simd128"` to measure the vectorised build). It reports
//! times; it asserts only that Rust and JavaScript agree, never how long they took.
#![cfg(target_arch = "wasm32")]

use annoqa_media::peaks::{peaks_of_wav, PeaksBuilder};
use annoqa_media::{synthetic, Limits, Zoom};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// The JavaScript side: the RIFF walk and the per-pixel min/max loop, written the fast way for
// JS (an Int16Array view over the data chunk; browsers are little-endian, like WAV).
#[wasm_bindgen(inline_js = r#"
export function js_peaks(bytes, samplesPerPixel) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12, dataStart = -1, dataLength = 0, channels = 0, bits = 0;
  while (at + 8 <= bytes.byteLength) {
    const id = String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
    const length = view.getUint32(at + 4, true);
    if (id === "fmt ") {
      channels = view.getUint16(at + 10, true);
      bits = view.getUint16(at + 22, true);
    } else if (id === "data") {
      dataStart = at + 8;
      dataLength = Math.min(length, bytes.byteLength - dataStart);
      break;
    }
    at += 8 + length + (length & 1);
  }
  if (dataStart < 0 || channels !== 1 || bits !== 16) throw new Error("expected 16-bit mono WAV");
  const count = dataLength >> 1;
  const samples = new Int16Array(bytes.buffer, bytes.byteOffset + dataStart, count);
  const pixels = Math.ceil(count / samplesPerPixel);
  const out = new Int16Array(pixels * 2);
  let i = 0;
  for (let p = 0; p < pixels; p++) {
    let lo = 32767, hi = -32768;
    const end = Math.min(i + samplesPerPixel, count);
    for (; i < end; i++) {
      const v = samples[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out[2 * p] = lo;
    out[2 * p + 1] = hi;
  }
  return out;
}

export function js_heap_bytes() {
  return (performance.memory && performance.memory.usedJSHeapSize) || 0;
}
"#)]
extern "C" {
    fn js_peaks(bytes: &js_sys::Uint8Array, samples_per_pixel: u32) -> js_sys::Int16Array;
    fn js_heap_bytes() -> f64;
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Median milliseconds of `runs` calls of `work`, after at least a second of warm-up calls
/// (V8 tiers Wasm and JS up in the background; see `tests/wasm.rs`).
fn median_ms(runs: usize, mut work: impl FnMut() -> usize) -> (f64, usize) {
    let mut size = 0;
    let warm_up_until = now() + 1000.0;
    while now() < warm_up_until {
        size += work();
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = now();
        size += work();
        times.push(now() - start);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], size)
}

fn wasm_memory_mb() -> f64 {
    let memory = wasm_bindgen::memory().dyn_into::<js_sys::WebAssembly::Memory>().expect("wasm memory");
    let buffer = memory.buffer().dyn_into::<js_sys::ArrayBuffer>().expect("memory buffer");
    f64::from(buffer.byte_length()) / 1e6
}

#[wasm_bindgen_test]
fn peaks_of_an_hour_in_the_browser() {
    let limits = Limits::default();
    let wav = synthetic::wav_i16_mono(3600, 44_100);
    let memory_with_input = wasm_memory_mb();
    let zoom = Zoom::SamplesPerPixel(256);
    let (ms, _) = median_ms(9, || peaks_of_wav(&wav, zoom, &limits).map_or(0, |p| p.len()));
    console_log!(
        "BENCH wasm peaks 1 h 44.1 kHz mono i16 @256 (parse included): {ms:.1} ms (median of 9 after 1 s warm-up)"
    );
    let (ms, _) = median_ms(9, || {
        let mut builder = PeaksBuilder::new(zoom, &limits);
        for chunk in wav.chunks(1 << 20) {
            if builder.push(chunk).is_err() {
                return 0;
            }
        }
        builder.finish().map_or(0, |p| p.len())
    });
    console_log!("BENCH wasm peaks, same bytes fed in 1 MiB chunks: {ms:.1} ms (median of 9 after 1 s warm-up)");
    let peaks = peaks_of_wav(&wav, zoom, &limits).expect("synthetic WAV is valid");
    console_log!(
        "BENCH wasm memory: {memory_with_input:.1} MB with the {:.1} MB WAV loaded, {:.1} MB after the runs (output {:.2} MB)",
        wav.len() as f64 / 1e6,
        wasm_memory_mb(),
        (peaks.data.len() * 2) as f64 / 1e6
    );

    let heap_before = js_heap_bytes();
    let js_bytes = js_sys::Uint8Array::from(&wav[..]);
    let heap_with_input = js_heap_bytes();
    let (ms, _) = median_ms(9, || js_peaks(&js_bytes, 256).length() as usize);
    let js = js_peaks(&js_bytes, 256).to_vec();
    console_log!("BENCH js peaks, same bytes, same algorithm: {ms:.1} ms (median of 9 after 1 s warm-up)");
    console_log!(
        "BENCH js heap (performance.memory.usedJSHeapSize): {:.1} MB before the copy, {:.1} MB with it, {:.1} MB after the runs",
        heap_before / 1e6,
        heap_with_input / 1e6,
        js_heap_bytes() / 1e6
    );
    assert_eq!(js, peaks.data, "Rust and JavaScript peaks agree");
}
