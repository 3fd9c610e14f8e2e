//! Media for annotators: probe images, WAV audio and video without decoding them, waveform
//! peaks in bounded memory, image pyramids, and frame ↔ timestamp mapping — safe on hostile
//! bytes (errors, never panics; no allocation sized by what a header claims).
//!
//! Entry points: [`probe`] / [`probe_reader`] / [`probe_path`] → [`MediaInfo`];
//! [`peaks::PeaksBuilder`] for waveforms; [`imaging::tile_pyramid`] and
//! [`imaging::thumbnail`] for large images; [`video::FrameTimes`] for frames.
//!
//! **Architecture Invariant:** nothing here panics on input bytes, and every allocation is
//! bounded by [`Limits`] or by bytes actually received. The fuzz runner
//! (`cargo xtask fuzz`, `examples/fuzz.rs`) and `tests/it/hostile.rs` hold it to that.
//!
//! Builds for `wasm32-unknown-unknown`: no threads, no clock, files only in [`probe_path`].

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

pub mod error;
pub mod imaging;
pub mod peaks;
pub mod synthetic;
pub mod video;
pub mod wav;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::error::MediaError;
pub use crate::imaging::{ImageFormat, ImageInfo};
pub use crate::peaks::{Bits, Channels, DatFile, DatVersion, Peaks, PeaksBuilder, Zoom};
pub use crate::video::{FrameTimes, VideoInfo};
pub use crate::wav::AudioInfo;

/// Decompression-bomb and allocation guards. Every probe and decode checks these before it
/// allocates; the defaults let a 20,000 × 20,000 image and a day of 120 fps video through.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    /// Width × height.
    pub max_pixels: u64,
    /// Bytes any one buffer may take: a decoded image, an MP4 `moov` box, waveform output.
    pub max_alloc: u64,
    /// Frames of one video (each costs 8 bytes in [`FrameTimes`]).
    pub max_frames: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_width: 65_535,
            max_height: 65_535,
            max_pixels: 400_000_000,
            max_alloc: 1 << 30,
            max_frames: 10_000_000,
        }
    }
}

/// What a media file is, from its header.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaInfo {
    Image(ImageInfo),
    Audio(AudioInfo),
    Video(VideoInfo),
}

impl MediaInfo {
    /// The item media the QA model stores for a file at `src`.
    pub fn to_core_media(&self, src: String) -> annoqa_core::Media {
        match self {
            MediaInfo::Image(i) => annoqa_core::Media::Image { src, width: i.width, height: i.height },
            MediaInfo::Audio(a) => annoqa_core::Media::Audio {
                src,
                duration: a.duration,
                sample_rate: Some(a.sample_rate),
                channels: Some(a.channels),
            },
            MediaInfo::Video(v) => annoqa_core::Media::Video {
                src,
                width: v.width,
                height: v.height,
                frame_rate: v.frame_rate,
                frame_count: u32::try_from(v.frame_count).unwrap_or(u32::MAX),
            },
        }
    }
}

/// The format the first bytes announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Image(ImageFormat),
    Wav,
    Mp4,
    Matroska,
}

/// Recognises a format from its magic bytes (the first 12 are enough).
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    let at = |range: std::ops::Range<usize>| head.get(range);
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Sniffed::Image(ImageFormat::Png))
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Sniffed::Image(ImageFormat::Jpeg))
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(Sniffed::Image(ImageFormat::Gif))
    } else if (head.starts_with(b"RIFF") || head.starts_with(b"RF64")) && at(8..12) == Some(b"WAVE") {
        Some(Sniffed::Wav)
    } else if head.starts_with(b"RIFF") && at(8..12) == Some(b"WEBP") {
        Some(Sniffed::Image(ImageFormat::Webp))
    } else if matches!(at(4..8), Some(b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip")) {
        Some(Sniffed::Mp4)
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Sniffed::Matroska)
    } else {
        None
    }
}

fn unknown(head: &[u8]) -> MediaError {
    let magic: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    MediaError::UnknownFormat {
        magic: if magic.is_empty() { "nothing: the file is empty".into() } else { magic.join(" ") },
    }
}

/// Probes media held in memory.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<MediaInfo, MediaError> {
    probe_reader(&mut Cursor::new(bytes), limits)
}

/// Probes media from a seekable reader, reading only headers (and, for WebM, the block
/// headers that give frame times).
pub fn probe_reader<R: Read + Seek>(reader: &mut R, limits: &Limits) -> Result<MediaInfo, MediaError> {
    let mut head = [0u8; 16];
    let read = read_up_to(reader, &mut head)?;
    let head = &head[..read];
    reader.seek(SeekFrom::Start(0))?;
    match sniff(head).ok_or_else(|| unknown(head))? {
        Sniffed::Image(format) => Ok(MediaInfo::Image(imaging::probe_image(BufReader::new(reader), format, limits)?)),
        Sniffed::Wav => probe_wav(reader).map(MediaInfo::Audio),
        Sniffed::Mp4 => Ok(MediaInfo::Video(video::probe_mp4(reader, limits)?.info)),
        Sniffed::Matroska => Ok(MediaInfo::Video(video::probe_matroska(BufReader::new(reader), limits)?.info)),
    }
}

/// Probes a file: the stable entry point the server calls on import. Errors name the file.
pub fn probe_path(path: &Path, limits: &Limits) -> Result<MediaInfo, MediaError> {
    let in_file = |error: MediaError| MediaError::File { path: path.to_path_buf(), error: Box::new(error) };
    let mut file = std::fs::File::open(path).map_err(|e| in_file(e.into()))?;
    probe_reader(&mut file, limits).map_err(in_file)
}

fn probe_wav<R: Read + Seek>(reader: &mut R) -> Result<AudioInfo, MediaError> {
    let file_len = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let mut parser = wav::HeaderParser::new();
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    while parser.header().is_none() {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Err(parser.unfinished_error());
        }
        let len = buffer.len();
        let used = parser.push(buffer)?;
        reader.consume(used.min(len));
        if used == 0 && parser.header().is_none() {
            return Err(parser.unfinished_error());
        }
    }
    let header = parser.header().copied().ok_or_else(|| parser.unfinished_error())?;
    wav::audio_info(&header, file_len)
}

fn read_up_to<R: Read>(reader: &mut R, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
