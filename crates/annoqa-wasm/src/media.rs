//! `peaks` and `peaksDat`: waveform peaks of a WAV file in BBC audiowaveform's formats, with the
//! options of `annoqa peaks` (crates/annoqa-cli/src/media.rs).

use annoqa_media::peaks::peaks_of_wav_with;
use annoqa_media::{Bits, Channels, Limits, MediaError, Peaks, Zoom};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsError, JsValue};

use crate::convert::{invalid, options_from_js};

/// `annoqa peaks`' options, by their long names.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct PeaksOptions {
    /// Samples per pixel (audiowaveform's `--zoom`), at least 2; 256 when neither this nor
    /// `pixels_per_second` is given.
    zoom: Option<u32>,
    /// Pixels per second instead of a zoom.
    pixels_per_second: Option<u32>,
    /// 8 or 16 (the default).
    bits: Option<u32>,
    /// One waveform per channel instead of the channels mixed down to one.
    split_channels: bool,
}

/// The bytes of a `Uint8Array` (a Node `Buffer` is one) or an `ArrayBuffer` (what
/// `fetch(…).arrayBuffer()` and `File.arrayBuffer()` give), copied into WebAssembly memory.
fn wav_bytes(wav: &JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(array) = wav.dyn_ref::<js_sys::Uint8Array>() {
        Ok(array.to_vec())
    } else if let Some(buffer) = wav.dyn_ref::<js_sys::ArrayBuffer>() {
        Ok(js_sys::Uint8Array::new(buffer).to_vec())
    } else {
        Err(invalid("wav", "expected the bytes of a WAV file as a Uint8Array or an ArrayBuffer"))
    }
}

/// The peaks and the bits per value asked for.
fn compute(wav: &JsValue, options: JsValue) -> Result<(Peaks, Bits), JsError> {
    let wav = wav_bytes(wav)?;
    let options: PeaksOptions = options_from_js("options", options)?;
    let zoom = match (options.zoom, options.pixels_per_second) {
        (Some(_), Some(_)) => return Err(invalid("options", "give zoom or pixels_per_second, not both")),
        (_, Some(pps)) => Zoom::PixelsPerSecond(pps),
        (Some(spp), None) => Zoom::SamplesPerPixel(spp),
        (None, None) => Zoom::default(),
    };
    let bits = match options.bits {
        Some(bits) => {
            Bits::from_number(bits).map_err(|_| invalid("options.bits", format!("must be 8 or 16, not {bits}")))?
        }
        None => Bits::default(),
    };
    let channels = if options.split_channels { Channels::Split } else { Channels::MixDown };
    let peaks = peaks_of_wav_with(&wav, zoom, channels, &Limits::default()).map_err(wav_error)?;
    Ok((peaks, bits))
}

fn wav_error(err: MediaError) -> JsError {
    invalid("wav", err)
}

pub(crate) fn peaks(wav: &JsValue, options: JsValue) -> Result<JsValue, JsError> {
    let (peaks, bits) = compute(wav, options)?;
    // audiowaveform's JSON, as annoqa-media writes it, read back as a plain object.
    js_sys::JSON::parse(&peaks.to_json(bits))
        .map_err(|_| JsError::new("cannot read back the peaks as JSON: this is a bug in annoqa"))
}

pub(crate) fn peaks_dat(wav: &JsValue, options: JsValue) -> Result<Vec<u8>, JsError> {
    let (peaks, bits) = compute(wav, options)?;
    Ok(peaks.to_dat(bits))
}
