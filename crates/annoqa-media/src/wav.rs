//! WAV (RIFF/WAVE) headers and sample decoding, fed incrementally.
//!
//! The chunk walk is our own, driven by byte chunks as they arrive (the browser feeds fetched
//! chunks, the CLI feeds file reads), so nothing waits for the whole file and nothing is
//! allocated from a size a header claims: unknown chunks are skipped by counting bytes, only the
//! `fmt ` chunk is buffered (at most [`MAX_FMT_BYTES`]). The `fmt ` chunk itself is parsed and
//! validated by `hound` (`WavReader::new` on the chunk we collected), so the rules for
//! `WAVEFORMATEX` / `WAVE_FORMAT_EXTENSIBLE` are hound's.
//!
//! Samples are mapped to the signed 16-bit range that audiowaveform works in (it reads through
//! libsndfile as `short`): 8-bit unsigned `(x - 128) << 8`; 24- and 32-bit integers keep their
//! top 16 bits (an arithmetic shift, so `-1` stays `-1`); 32-bit float `x × 32767` computed in
//! single precision and truncated toward zero, saturating at `-32768..=32767` (audiowaveform's
//! `static_cast<short>` of the float product in `SndFileAudioFileReader.cpp`). Every mapping is
//! monotonic, so min/max commute with it.

use serde::{Deserialize, Serialize};

use crate::error::MediaError;

const FORMAT: &str = "WAV";
/// A `fmt ` chunk is 16, 18 or 40 bytes; anything larger than this is not a real one.
pub const MAX_FMT_BYTES: u32 = 1024;
/// audiowaveform's own limit on channels; a header with more is almost certainly corrupt.
pub const MAX_CHANNELS: u16 = 64;

/// How samples are stored in the data chunk.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SampleEncoding {
    /// 8-bit unsigned, 128 is silence.
    U8,
    I16,
    /// 24-bit signed in 3 bytes.
    I24,
    /// 32-bit signed, or 24 valid bits left-justified in a 4-byte container.
    I32,
    F32,
}

impl SampleEncoding {
    pub fn bytes(self) -> usize {
        match self {
            SampleEncoding::U8 => 1,
            SampleEncoding::I16 => 2,
            SampleEncoding::I24 => 3,
            SampleEncoding::I32 | SampleEncoding::F32 => 4,
        }
    }
}

/// What the header of a WAV file says.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct WavFormat {
    pub sample_rate: u32,
    pub channels: u16,
    /// Valid bits per sample (24 for 24-in-32 files).
    pub bits_per_sample: u16,
    pub encoding: SampleEncoding,
    /// Bytes per frame (one sample of every channel).
    pub block_align: u16,
}

/// The header plus where the samples are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WavHeader {
    pub format: WavFormat,
    /// Offset of the first sample byte in the file.
    pub data_offset: u64,
    /// The data chunk's size as written, `None` when the writer left it open (0 or 0xFFFFFFFF,
    /// as streaming writers do): then the data runs to the end of the file.
    pub data_len: Option<u64>,
}

enum Stage {
    /// Waiting for the 12-byte `RIFF....WAVE` preamble.
    Riff,
    /// Waiting for an 8-byte chunk header.
    ChunkHeader,
    /// Skipping the rest of an uninteresting chunk (including its pad byte).
    Skip(u64),
    /// Collecting the `fmt ` chunk body of this many bytes (plus pad).
    Fmt { len: u32, padded: u32 },
    /// In the data chunk.
    Data,
}

/// Walks RIFF chunks from byte chunks of any size until the data chunk starts.
pub struct HeaderParser {
    stage: Stage,
    /// Partial preamble, chunk header or `fmt ` body; never more than `MAX_FMT_BYTES + 1`.
    pending: Vec<u8>,
    fmt: Option<(WavFormat, Vec<u8>)>,
    offset: u64,
    header: Option<WavHeader>,
}

impl Default for HeaderParser {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderParser {
    pub fn new() -> Self {
        HeaderParser { stage: Stage::Riff, pending: Vec::new(), fmt: None, offset: 0, header: None }
    }

    /// The header once the data chunk has been reached.
    pub fn header(&self) -> Option<&WavHeader> {
        self.header.as_ref()
    }

    /// Consumes header bytes from `bytes`; returns how many were used. Once the data chunk is
    /// reached it stops, and the rest of `bytes` are samples.
    pub fn push(&mut self, bytes: &[u8]) -> Result<usize, MediaError> {
        let mut used = 0;
        while used < bytes.len() {
            let rest = &bytes[used..];
            match self.stage {
                Stage::Data => break,
                Stage::Riff => {
                    let Some(preamble) = self.fill(rest, 12, &mut used) else {
                        // Say "not a WAV" as soon as the first bytes show it, not "too short".
                        let magic = &self.pending[..self.pending.len().min(4)];
                        if !b"RIFF".starts_with(magic) && !b"RF64".starts_with(magic) {
                            return Err(MediaError::invalid(FORMAT, "the file does not start with RIFF....WAVE"));
                        }
                        continue;
                    };
                    if &preamble[0..4] == b"RF64" {
                        return Err(MediaError::unsupported(FORMAT, "RF64 (WAV over 4 GB) is not supported"));
                    }
                    if &preamble[0..4] != b"RIFF" || &preamble[8..12] != b"WAVE" {
                        return Err(MediaError::invalid(FORMAT, "the file does not start with RIFF....WAVE"));
                    }
                    self.stage = Stage::ChunkHeader;
                }
                Stage::ChunkHeader => {
                    let Some(head) = self.fill(rest, 8, &mut used) else { continue };
                    let id = [head[0], head[1], head[2], head[3]];
                    let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
                    let chunk_start = self.offset + used as u64;
                    match &id {
                        b"fmt " => {
                            if self.fmt.is_some() {
                                return Err(MediaError::invalid(FORMAT, "two fmt chunks"));
                            }
                            if len > MAX_FMT_BYTES {
                                return Err(MediaError::invalid(
                                    FORMAT,
                                    format!("fmt chunk of {len} bytes (a real one has at most 40)"),
                                ));
                            }
                            self.stage = Stage::Fmt { len, padded: len + (len & 1) };
                        }
                        b"data" => {
                            let Some((format, _)) = &self.fmt else {
                                return Err(MediaError::invalid(FORMAT, "data chunk before the fmt chunk"));
                            };
                            let data_len = (len != 0 && len != u32::MAX).then_some(u64::from(len));
                            self.header = Some(WavHeader { format: *format, data_offset: chunk_start, data_len });
                            self.stage = Stage::Data;
                        }
                        _ => self.stage = Stage::Skip(u64::from(len) + u64::from(len & 1)),
                    }
                }
                Stage::Skip(left) => {
                    let take = left.min(rest.len() as u64);
                    used += take as usize;
                    self.stage = if take == left { Stage::ChunkHeader } else { Stage::Skip(left - take) };
                }
                Stage::Fmt { len, padded } => {
                    let Some(body) = self.fill(rest, padded as usize, &mut used) else { continue };
                    let body = body[..len as usize].to_vec();
                    let format = parse_fmt(&body)?;
                    self.fmt = Some((format, body));
                    self.stage = Stage::ChunkHeader;
                }
            }
        }
        self.offset += used as u64;
        Ok(used)
    }

    /// Collects `want` bytes across calls into `pending`; returns them once complete.
    fn fill(&mut self, rest: &[u8], want: usize, used: &mut usize) -> Option<Vec<u8>> {
        let take = (want - self.pending.len()).min(rest.len());
        self.pending.extend_from_slice(&rest[..take]);
        *used += take;
        if self.pending.len() == want {
            Some(std::mem::take(&mut self.pending))
        } else {
            None
        }
    }

    /// The error for a stream that ended before the data chunk.
    pub fn unfinished_error(&self) -> MediaError {
        let what = match self.stage {
            Stage::Riff => "the RIFF header",
            Stage::ChunkHeader | Stage::Skip(_) => {
                if self.fmt.is_some() {
                    "the data chunk"
                } else {
                    "the fmt chunk"
                }
            }
            Stage::Fmt { .. } => "the end of the fmt chunk",
            Stage::Data => "nothing",
        };
        MediaError::truncated(FORMAT, format!("the file ends before {what}"))
    }
}

/// Parses a `fmt ` chunk body with hound, then checks what hound lets through but the sample
/// decoder cannot take (zero sample rate, too many channels, 64-bit floats).
fn parse_fmt(body: &[u8]) -> Result<WavFormat, MediaError> {
    // hound reads a whole stream; give it a RIFF header, our fmt chunk and an empty data chunk.
    let mut stream = Vec::with_capacity(body.len() + 28);
    stream.extend_from_slice(b"RIFF");
    stream.extend_from_slice(&(body.len() as u32 + 20).to_le_bytes());
    stream.extend_from_slice(b"WAVEfmt ");
    stream.extend_from_slice(&(body.len() as u32).to_le_bytes());
    stream.extend_from_slice(body);
    stream.extend_from_slice(b"data\0\0\0\0");
    let spec = hound::WavReader::new(&stream[..])
        .map_err(|e| match e {
            hound::Error::Unsupported => MediaError::unsupported(FORMAT, "compressed or unknown sample format"),
            hound::Error::FormatError(reason) => MediaError::invalid(FORMAT, format!("fmt chunk: {reason}")),
            other => MediaError::invalid(FORMAT, format!("fmt chunk: {other}")),
        })?
        .spec();
    let channels = spec.channels;
    let block_align = match body.get(12..14) {
        Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
        _ => return Err(MediaError::invalid(FORMAT, "fmt chunk shorter than 16 bytes")),
    };
    if channels == 0 {
        return Err(MediaError::invalid(FORMAT, "zero channels"));
    }
    if channels > MAX_CHANNELS {
        return Err(MediaError::unsupported(FORMAT, format!("{channels} channels (at most {MAX_CHANNELS})")));
    }
    if spec.sample_rate == 0 {
        return Err(MediaError::invalid(FORMAT, "zero sample rate"));
    }
    if block_align % channels != 0 {
        return Err(MediaError::invalid(
            FORMAT,
            format!("block align {block_align} is not a multiple of {channels} channels"),
        ));
    }
    let container = block_align / channels;
    let encoding = match (spec.sample_format, container) {
        (hound::SampleFormat::Int, 1) => SampleEncoding::U8,
        (hound::SampleFormat::Int, 2) => SampleEncoding::I16,
        (hound::SampleFormat::Int, 3) => SampleEncoding::I24,
        (hound::SampleFormat::Int, 4) => SampleEncoding::I32,
        (hound::SampleFormat::Float, 4) if spec.bits_per_sample == 32 => SampleEncoding::F32,
        (format, bytes) => {
            let kind = if format == hound::SampleFormat::Float { "float" } else { "integer" };
            return Err(MediaError::unsupported(
                FORMAT,
                format!("{kind} samples of {} bits in {bytes} bytes", spec.bits_per_sample),
            ));
        }
    };
    Ok(WavFormat {
        sample_rate: spec.sample_rate,
        channels,
        bits_per_sample: spec.bits_per_sample,
        encoding,
        block_align,
    })
}

/// Reads a whole WAV header from the start of `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<WavHeader, MediaError> {
    let mut parser = HeaderParser::new();
    parser.push(bytes)?;
    parser.header().copied().ok_or_else(|| parser.unfinished_error())
}

/// What [`crate::probe`] reports for a WAV file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AudioInfo {
    /// Always `wav` for now.
    pub container: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
    pub encoding: SampleEncoding,
    /// Samples per channel.
    pub frames: u64,
    /// Seconds.
    pub duration: f64,
}

/// Probes a WAV header given the file's total length, which decides whether the data chunk is
/// all there.
pub(crate) fn audio_info(header: &WavHeader, file_len: u64) -> Result<AudioInfo, MediaError> {
    let available = file_len.saturating_sub(header.data_offset);
    let data_len = match header.data_len {
        Some(claimed) if claimed > available => {
            return Err(MediaError::truncated(
                FORMAT,
                format!("the data chunk claims {claimed} bytes but the file has {available} after its header"),
            ))
        }
        Some(claimed) => claimed,
        None => available,
    };
    let format = header.format;
    let frames = data_len / u64::from(format.block_align);
    Ok(AudioInfo {
        container: "wav".into(),
        sample_rate: format.sample_rate,
        channels: format.channels,
        bits_per_sample: format.bits_per_sample,
        encoding: format.encoding,
        frames,
        duration: frames as f64 / f64::from(format.sample_rate),
    })
}

// ---------------------------------------------------------------------------------------------
// Sample decoding to the 16-bit range

#[inline(always)]
pub(crate) fn u8_to_i16(b: [u8; 1]) -> i16 {
    (i16::from(b[0]) - 128) << 8
}

#[inline(always)]
pub(crate) fn i16_to_i16(b: [u8; 2]) -> i16 {
    i16::from_le_bytes(b)
}

#[inline(always)]
pub(crate) fn i24_to_i16(b: [u8; 3]) -> i16 {
    i16::from_le_bytes([b[1], b[2]])
}

#[inline(always)]
pub(crate) fn i32_to_i16(b: [u8; 4]) -> i16 {
    i16::from_le_bytes([b[2], b[3]])
}

#[inline(always)]
pub(crate) fn f32_to_i16(b: [u8; 4]) -> i16 {
    // As audiowaveform converts float samples (`static_cast<short>(sample * 32767)`, a float
    // product truncated toward zero), so our peaks match its output bit for bit. `as` truncates
    // the same way, saturates and maps NaN to 0, so hostile floats cannot panic or wrap.
    (f32::from_le_bytes(b) * 32767.0) as i16
}
