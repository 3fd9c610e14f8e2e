//! Waveform peaks: min/max per pixel per channel, computed from WAV bytes as they arrive, and
//! written in BBC audiowaveform's formats (`doc/DataFormat.md` of bbc/audiowaveform).
//!
//! What matches audiowaveform, byte for byte on its own test files:
//! - values are in the signed 16-bit range (see [`crate::wav`] for the mapping of each sample
//!   format); 8-bit output is the 16-bit value divided by 256, truncated toward zero as C does;
//! - several channels are mixed down to one unless split ([`Channels`]): each frame's samples
//!   are summed and divided by the channel count, truncated toward zero
//!   (`WaveformGenerator.cpp`);
//! - a final partial pixel (fewer than `samples_per_pixel` frames left) is still emitted;
//! - `--pixels-per-second P` means `samples_per_pixel = sample_rate / P` (integer division), and
//!   `samples_per_pixel` must be at least 2;
//! - `.dat`: little-endian header `version, flags (bit 0: 8-bit), sample_rate,
//!   samples_per_pixel, length` and, in version 2, `channels`, then per pixel, per channel,
//!   `min, max`. audiowaveform writes version 1 for one channel and version 2 for several.
//!
//! **Memory bound:** a [`PeaksBuilder`] holds at most one partial frame (≤ 256 bytes), one
//! min/max pair per channel and the output itself (`4 × channels` bytes per pixel at 16 bits,
//! 2.5 MB for an hour of 44.1 kHz mono at 256 samples per pixel). Input bytes are never kept.
//! The output grows only with samples actually received, never with sizes a header claims, and
//! stops with [`MediaError::TooLarge`] past [`Limits::max_alloc`].

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::wav::{self, HeaderParser, SampleEncoding, WavFormat};
use crate::Limits;

const FORMAT: &str = "WAV";

/// How many audio frames one pixel covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zoom {
    /// audiowaveform's `--zoom`.
    SamplesPerPixel(u32),
    /// audiowaveform's `--pixels-per-second`.
    PixelsPerSecond(u32),
}

impl Default for Zoom {
    /// audiowaveform's default zoom.
    fn default() -> Self {
        Zoom::SamplesPerPixel(256)
    }
}

impl Zoom {
    /// Samples per pixel at `sample_rate`; at least 2, as audiowaveform requires.
    pub fn samples_per_pixel(self, sample_rate: u32) -> Result<u32, MediaError> {
        let spp = match self {
            Zoom::SamplesPerPixel(spp) => spp,
            Zoom::PixelsPerSecond(0) => {
                return Err(MediaError::BadRequest("pixels per second must be greater than zero".into()))
            }
            Zoom::PixelsPerSecond(pps) => sample_rate / pps,
        };
        if spp < 2 {
            return Err(MediaError::BadRequest(format!(
                "{spp} samples per pixel is too fine: the minimum is 2 (at {sample_rate} Hz)"
            )));
        }
        Ok(spp)
    }
}

/// What happens to the channels of a multi-channel file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Channels {
    /// One waveform of the channels' mean per frame (audiowaveform's default).
    #[default]
    MixDown,
    /// One waveform per channel (audiowaveform's `--split-channels`).
    Split,
}

/// The `.dat` header version to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatVersion {
    /// Version 1 (20-byte header, no channel count); one channel only.
    V1,
    /// Version 2 (24-byte header with the channel count).
    V2,
}

/// A `.dat` file as read: the peaks, how they were stored, and what was odd about the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatFile {
    pub peaks: Peaks,
    pub version: DatVersion,
    pub bits: Bits,
    /// Set when the file holds fewer pixels than its header says; the pixels present are loaded,
    /// as audiowaveform does (with a warning).
    pub warning: Option<String>,
}

/// At most this many channels in a `.dat` file (audiowaveform's `WaveformBuffer` limit).
pub const DAT_MAX_CHANNELS: u32 = 24;

/// Bits per value in the output files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Bits {
    Eight,
    #[default]
    Sixteen,
}

impl Bits {
    pub fn from_number(bits: u32) -> Result<Bits, MediaError> {
        match bits {
            8 => Ok(Bits::Eight),
            16 => Ok(Bits::Sixteen),
            other => Err(MediaError::BadRequest(format!("bits must be 8 or 16, not {other}"))),
        }
    }

    pub fn number(self) -> u32 {
        match self {
            Bits::Eight => 8,
            Bits::Sixteen => 16,
        }
    }

    fn scale(self, value: i16) -> i16 {
        match self {
            // C's `/` truncates toward zero, and so does Rust's: -255 / 256 == 0.
            Bits::Eight => value / 256,
            Bits::Sixteen => value,
        }
    }
}

/// Min/max pairs per pixel and channel, in the 16-bit range.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Peaks {
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    pub channels: u16,
    /// Interleaved as audiowaveform's data: pixel 0 channel 0 min, max, pixel 0 channel 1 min,
    /// max, …
    pub data: Vec<i16>,
}

impl Peaks {
    /// Number of pixels (min/max pairs per channel).
    pub fn len(&self) -> usize {
        self.data.len() / (2 * usize::from(self.channels.max(1)))
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(min, max)` of `pixel` in `channel`.
    pub fn min_max(&self, pixel: usize, channel: u16) -> Option<(i16, i16)> {
        let at = (pixel * usize::from(self.channels) + usize::from(channel)) * 2;
        if channel >= self.channels {
            return None;
        }
        Some((*self.data.get(at)?, *self.data.get(at + 1)?))
    }

    /// The same waveform at `factor` times fewer pixels: each coarse pixel is the min/max of
    /// `factor` fine ones. Pixel boundaries line up, so this equals computing the coarse level
    /// from the samples directly (including the final partial pixel).
    pub fn coarser(&self, factor: u32) -> Result<Peaks, MediaError> {
        if factor == 0 {
            return Err(MediaError::BadRequest("a zoom factor must be at least 1".into()));
        }
        let samples_per_pixel = self.samples_per_pixel.checked_mul(factor).ok_or_else(|| {
            MediaError::BadRequest(format!("{} × {factor} samples per pixel overflows", self.samples_per_pixel))
        })?;
        let stride = 2 * usize::from(self.channels);
        let group = stride * factor as usize;
        let mut data = Vec::with_capacity(self.data.len() / factor as usize + stride);
        for pixels in self.data.chunks(group) {
            for channel in 0..usize::from(self.channels) {
                let (mut lo, mut hi) = (i16::MAX, i16::MIN);
                for pixel in pixels.chunks_exact(stride) {
                    lo = lo.min(pixel[2 * channel]);
                    hi = hi.max(pixel[2 * channel + 1]);
                }
                data.push(lo);
                data.push(hi);
            }
        }
        Ok(Peaks { sample_rate: self.sample_rate, samples_per_pixel, channels: self.channels, data })
    }

    /// Levels for zooming: this one, then each `factor` times coarser, until a level has at most
    /// `min_pixels` pixels (or cannot get coarser).
    pub fn levels(&self, factor: u32, min_pixels: usize) -> Result<Vec<Peaks>, MediaError> {
        if factor < 2 {
            return Err(MediaError::BadRequest("levels need a factor of at least 2".into()));
        }
        let mut levels = vec![self.clone()];
        while let Some(last) = levels.last() {
            if last.len() <= min_pixels.max(1) || last.samples_per_pixel.checked_mul(factor).is_none() {
                break;
            }
            let next = last.coarser(factor)?;
            levels.push(next);
        }
        Ok(levels)
    }

    /// audiowaveform's binary `.dat` in the version it writes: 1 for one channel, 2 for several.
    pub fn to_dat(&self, bits: Bits) -> Vec<u8> {
        let version = if self.channels == 1 { DatVersion::V1 } else { DatVersion::V2 };
        self.to_dat_version(bits, version)
    }

    /// audiowaveform's binary `.dat` in a chosen version; version 1 cannot say how many
    /// channels there are, so several channels are always written as version 2.
    pub fn to_dat_version(&self, bits: Bits, version: DatVersion) -> Vec<u8> {
        let flags: u32 = if bits == Bits::Eight { 1 } else { 0 };
        let per_value = if bits == Bits::Eight { 1 } else { 2 };
        let v1 = version == DatVersion::V1 && self.channels == 1;
        let mut out = Vec::with_capacity(24 + self.data.len() * per_value);
        let header = [if v1 { 1 } else { 2 }, flags, self.sample_rate, self.samples_per_pixel, self.len() as u32];
        for field in header {
            out.extend_from_slice(&field.to_le_bytes());
        }
        if !v1 {
            out.extend_from_slice(&u32::from(self.channels).to_le_bytes());
        }
        for &value in &self.data {
            match bits {
                Bits::Eight => out.push(bits.scale(value) as i8 as u8),
                Bits::Sixteen => out.extend_from_slice(&value.to_le_bytes()),
            }
        }
        out
    }

    /// audiowaveform's JSON, version 2.
    pub fn to_json(&self, bits: Bits) -> String {
        let mut out = format!(
            "{{\"version\":2,\"channels\":{},\"sample_rate\":{},\"samples_per_pixel\":{},\"bits\":{},\"length\":{},\"data\":[",
            self.channels,
            self.sample_rate,
            self.samples_per_pixel,
            bits.number(),
            self.len()
        );
        for (i, &value) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&bits.scale(value).to_string());
        }
        out.push_str("]}\n");
        out
    }

    /// Reads a version 1 or 2 `.dat` file (8-bit values are scaled back by 256, as
    /// audiowaveform does when it reads one). See [`Peaks::read_dat`].
    pub fn from_dat(bytes: &[u8]) -> Result<Peaks, MediaError> {
        Peaks::read_dat(bytes).map(|dat| dat.peaks)
    }

    /// Reads a `.dat` file with audiowaveform's rules: version 1 or 2, 1–24 channels, a sample
    /// rate of at least 1 and at least 2 samples per pixel, or an error naming what is wrong; a
    /// file shorter than its header's length loads the whole pixels it holds, with a warning.
    pub fn read_dat(bytes: &[u8]) -> Result<DatFile, MediaError> {
        const DAT: &str = "waveform .dat";
        let field = |i: usize| {
            bytes
                .get(i * 4..i * 4 + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| MediaError::truncated(DAT, "the header is incomplete"))
        };
        let (version, channels, header) = match field(0)? {
            1 => (DatVersion::V1, 1, 20),
            2 => (DatVersion::V2, field(5)?, 24),
            other => return Err(MediaError::unsupported(DAT, format!("version {other} (only 1 and 2 exist)"))),
        };
        if !(1..=DAT_MAX_CHANNELS).contains(&channels) {
            return Err(MediaError::invalid(DAT, format!("{channels} channels (1 to {DAT_MAX_CHANNELS})")));
        }
        let channels = channels as u16;
        let bits = if field(1)? & 1 == 1 { Bits::Eight } else { Bits::Sixteen };
        let (sample_rate, samples_per_pixel, length) = (field(2)?, field(3)?, u64::from(field(4)?));
        // Read as audiowaveform's signed fields.
        if (sample_rate as i32) < 1 {
            return Err(MediaError::invalid(DAT, format!("sample rate {}", sample_rate as i32)));
        }
        if (samples_per_pixel as i32) < 2 {
            return Err(MediaError::invalid(
                DAT,
                format!("{} samples per pixel (at least 2)", samples_per_pixel as i32),
            ));
        }
        let per_value: u64 = if bits == Bits::Eight { 1 } else { 2 };
        let pixel_bytes = u64::from(channels) * 2 * per_value;
        let body = &bytes[header.min(bytes.len())..];
        let present = body.len() as u64 / pixel_bytes;
        let warning = (present < length)
            .then(|| format!("the header says {length} pixels but the file holds {present}: loading {present}"));
        let used = &body[..(present.min(length) * pixel_bytes) as usize];
        let data = match bits {
            Bits::Eight => used.iter().map(|&b| i16::from(b as i8) * 256).collect(),
            Bits::Sixteen => used.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect(),
        };
        Ok(DatFile { peaks: Peaks { sample_rate, samples_per_pixel, channels, data }, version, bits, warning })
    }
}

/// Builds [`Peaks`] from WAV bytes fed in chunks of any size, in bounded memory.
pub struct PeaksBuilder {
    zoom: Zoom,
    channels: Channels,
    max_values: u64,
    header: HeaderParser,
    run: Option<Run>,
}

struct Run {
    format: WavFormat,
    samples_per_pixel: u32,
    /// Data bytes still expected, when the header says how many.
    remaining: Option<u64>,
    received: u64,
    /// A frame split across two chunks.
    carry: Vec<u8>,
    /// Frames in the current pixel so far.
    count: u32,
    /// Channels are mixed down to one waveform.
    mix: bool,
    mins: Vec<i16>,
    maxs: Vec<i16>,
    peaks: Peaks,
}

impl PeaksBuilder {
    /// A builder that keeps every channel (as `--split-channels`).
    pub fn new(zoom: Zoom, limits: &Limits) -> Self {
        PeaksBuilder::with_channels(zoom, Channels::Split, limits)
    }

    pub fn with_channels(zoom: Zoom, channels: Channels, limits: &Limits) -> Self {
        PeaksBuilder { zoom, channels, max_values: limits.max_alloc / 2, header: HeaderParser::new(), run: None }
    }

    /// The format, once the header has been read.
    pub fn format(&self) -> Option<&WavFormat> {
        self.run.as_ref().map(|run| &run.format)
    }

    /// The pixels finished so far: enough to draw the first screen before the file is done.
    pub fn peaks_so_far(&self) -> Option<&Peaks> {
        self.run.as_ref().map(|run| &run.peaks)
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), MediaError> {
        if self.run.is_none() {
            let used = self.header.push(bytes)?;
            bytes = &bytes[used..];
            let Some(header) = self.header.header() else { return Ok(()) };
            let format = header.format;
            let samples_per_pixel = self.zoom.samples_per_pixel(format.sample_rate)?;
            let mix = self.channels == Channels::MixDown && format.channels > 1;
            let channels = if mix { 1 } else { format.channels };
            self.run = Some(Run {
                format,
                samples_per_pixel,
                remaining: header.data_len,
                received: 0,
                carry: Vec::with_capacity(usize::from(format.block_align)),
                count: 0,
                mix,
                mins: vec![i16::MAX; usize::from(channels)],
                maxs: vec![i16::MIN; usize::from(channels)],
                peaks: Peaks { sample_rate: format.sample_rate, samples_per_pixel, channels, data: Vec::new() },
            });
        }
        let max_values = self.max_values;
        let Some(run) = self.run.as_mut() else { return Ok(()) };
        // Chunks after the data chunk (LIST, id3) are not samples.
        if let Some(remaining) = run.remaining.as_mut() {
            let take = (*remaining).min(bytes.len() as u64) as usize;
            bytes = &bytes[..take];
            *remaining -= take as u64;
        }
        run.received += bytes.len() as u64;
        let block = usize::from(run.format.block_align);
        if !run.carry.is_empty() {
            let take = (block - run.carry.len()).min(bytes.len());
            run.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if run.carry.len() == block {
                let frame = std::mem::take(&mut run.carry);
                run.frames(&frame);
                run.carry = frame;
                run.carry.clear();
            }
        }
        let whole = bytes.len() / block * block;
        run.frames(&bytes[..whole]);
        run.carry.extend_from_slice(&bytes[whole..]);
        if run.peaks.data.len() as u64 > max_values {
            return Err(MediaError::TooLarge {
                what: "waveform bytes",
                value: run.peaks.data.len() as u64 * 2,
                limit: max_values * 2,
            });
        }
        Ok(())
    }

    /// Ends the stream: the final partial pixel is emitted, as audiowaveform does.
    pub fn finish(self) -> Result<Peaks, MediaError> {
        let Some(mut run) = self.run else { return Err(self.header.unfinished_error()) };
        if let Some(remaining) = run.remaining.filter(|&r| r > 0) {
            return Err(MediaError::truncated(
                FORMAT,
                format!(
                    "the data chunk claims {} bytes but the file ends after {}",
                    run.received + remaining,
                    run.received
                ),
            ));
        }
        if run.count > 0 {
            run.emit();
        }
        Ok(run.peaks)
    }
}

/// Parse and peaks of a whole WAV file in memory, every channel kept.
pub fn peaks_of_wav(bytes: &[u8], zoom: Zoom, limits: &Limits) -> Result<Peaks, MediaError> {
    peaks_of_wav_with(bytes, zoom, Channels::Split, limits)
}

/// [`peaks_of_wav`] with a choice of what happens to several channels.
pub fn peaks_of_wav_with(bytes: &[u8], zoom: Zoom, channels: Channels, limits: &Limits) -> Result<Peaks, MediaError> {
    let mut builder = PeaksBuilder::with_channels(zoom, channels, limits);
    builder.push(bytes)?;
    builder.finish()
}

impl Run {
    /// Folds whole frames into pixels.
    fn frames(&mut self, mut bytes: &[u8]) {
        let block = usize::from(self.format.block_align);
        while !bytes.is_empty() {
            let take = ((self.samples_per_pixel - self.count) as usize).min(bytes.len() / block);
            let (now, later) = bytes.split_at(take * block);
            self.fold(now);
            self.count += take as u32;
            if self.count == self.samples_per_pixel {
                self.emit();
            }
            bytes = later;
        }
    }

    fn emit(&mut self) {
        for (lo, hi) in self.mins.iter_mut().zip(self.maxs.iter_mut()) {
            self.peaks.data.push(*lo);
            self.peaks.data.push(*hi);
            *lo = i16::MAX;
            *hi = i16::MIN;
        }
        self.count = 0;
    }

    fn fold(&mut self, bytes: &[u8]) {
        if self.mix {
            let (channels, lo, hi) = (usize::from(self.format.channels), &mut self.mins[0], &mut self.maxs[0]);
            match self.format.encoding {
                SampleEncoding::U8 => fold_mixed(bytes, wav::u8_to_i16, channels, lo, hi),
                SampleEncoding::I16 => fold_mixed(bytes, wav::i16_to_i16, channels, lo, hi),
                SampleEncoding::I24 => fold_mixed(bytes, wav::i24_to_i16, channels, lo, hi),
                SampleEncoding::I32 => fold_mixed(bytes, wav::i32_to_i16, channels, lo, hi),
                SampleEncoding::F32 => fold_mixed(bytes, wav::f32_to_i16, channels, lo, hi),
            }
            return;
        }
        let (mins, maxs) = (&mut self.mins[..], &mut self.maxs[..]);
        match (self.format.encoding, mins, maxs) {
            (SampleEncoding::U8, [lo], [hi]) => fold_mono(bytes, wav::u8_to_i16, lo, hi),
            (SampleEncoding::I16, [lo], [hi]) => fold_i16_mono(bytes, lo, hi),
            (SampleEncoding::I24, [lo], [hi]) => fold_mono(bytes, wav::i24_to_i16, lo, hi),
            (SampleEncoding::I32, [lo], [hi]) => fold_mono(bytes, wav::i32_to_i16, lo, hi),
            (SampleEncoding::F32, [lo], [hi]) => fold_mono(bytes, wav::f32_to_i16, lo, hi),
            (SampleEncoding::U8, lo, hi) => fold_interleaved(bytes, wav::u8_to_i16, lo, hi),
            (SampleEncoding::I16, lo, hi) => fold_interleaved(bytes, wav::i16_to_i16, lo, hi),
            (SampleEncoding::I24, lo, hi) => fold_interleaved(bytes, wav::i24_to_i16, lo, hi),
            (SampleEncoding::I32, lo, hi) => fold_interleaved(bytes, wav::i32_to_i16, lo, hi),
            (SampleEncoding::F32, lo, hi) => fold_interleaved(bytes, wav::f32_to_i16, lo, hi),
        }
    }
}

/// Lanes of independent min/max accumulators: with no dependency between neighbouring samples,
/// LLVM turns the inner loop into vector min/max (SSE2 natively, `simd128` in Wasm when enabled).
const LANES: usize = 16;

/// The hot path (16-bit mono, the usual speech file): fixed-size blocks as arrays, so there are
/// no bounds checks in the loop and LLVM emits `i16x8` loads and min/max.
fn fold_i16_mono(bytes: &[u8], lo: &mut i16, hi: &mut i16) {
    let mut lows = [*lo; LANES];
    let mut highs = [*hi; LANES];
    let mut blocks = bytes.chunks_exact(2 * LANES);
    for block in &mut blocks {
        let Ok(block) = <&[u8; 2 * LANES]>::try_from(block) else { continue };
        for lane in 0..LANES {
            let value = i16::from_le_bytes([block[2 * lane], block[2 * lane + 1]]);
            lows[lane] = lows[lane].min(value);
            highs[lane] = highs[lane].max(value);
        }
    }
    let mut low = lows.into_iter().fold(i16::MAX, i16::min);
    let mut high = highs.into_iter().fold(i16::MIN, i16::max);
    for pair in blocks.remainder().chunks_exact(2) {
        let value = i16::from_le_bytes([pair[0], pair[1]]);
        low = low.min(value);
        high = high.max(value);
    }
    *lo = low;
    *hi = high;
}

#[inline(always)]
fn fold_mono<const B: usize>(bytes: &[u8], decode: fn([u8; B]) -> i16, lo: &mut i16, hi: &mut i16) {
    let mut lows = [*lo; LANES];
    let mut highs = [*hi; LANES];
    let mut blocks = bytes.chunks_exact(B * LANES);
    for block in &mut blocks {
        for lane in 0..LANES {
            let mut sample = [0; B];
            sample.copy_from_slice(&block[lane * B..lane * B + B]);
            let value = decode(sample);
            lows[lane] = lows[lane].min(value);
            highs[lane] = highs[lane].max(value);
        }
    }
    let mut low = lows.into_iter().fold(i16::MAX, i16::min);
    let mut high = highs.into_iter().fold(i16::MIN, i16::max);
    for chunk in blocks.remainder().chunks_exact(B) {
        let mut sample = [0; B];
        sample.copy_from_slice(chunk);
        let value = decode(sample);
        low = low.min(value);
        high = high.max(value);
    }
    *lo = low;
    *hi = high;
}

#[inline(always)]
fn fold_interleaved<const B: usize>(bytes: &[u8], decode: fn([u8; B]) -> i16, lo: &mut [i16], hi: &mut [i16]) {
    let channels = lo.len();
    for frame in bytes.chunks_exact(B * channels) {
        for (channel, chunk) in frame.chunks_exact(B).enumerate() {
            let mut sample = [0; B];
            sample.copy_from_slice(chunk);
            let value = decode(sample);
            lo[channel] = lo[channel].min(value);
            hi[channel] = hi[channel].max(value);
        }
    }
}

/// Several channels mixed down to one: each frame's 16-bit samples summed and divided by the
/// channel count, truncated toward zero as audiowaveform's integer division does.
#[inline(always)]
fn fold_mixed<const B: usize>(bytes: &[u8], decode: fn([u8; B]) -> i16, channels: usize, lo: &mut i16, hi: &mut i16) {
    let divisor = channels as i32;
    for frame in bytes.chunks_exact(B * channels) {
        let mut sum = 0i32;
        for chunk in frame.chunks_exact(B) {
            let mut sample = [0; B];
            sample.copy_from_slice(chunk);
            sum += i32::from(decode(sample));
        }
        // |sum| ≤ 64 × 32768 fits an i32, and the mean of i16 values is an i16.
        let value = (sum / divisor) as i16;
        *lo = (*lo).min(value);
        *hi = (*hi).max(value);
    }
}
