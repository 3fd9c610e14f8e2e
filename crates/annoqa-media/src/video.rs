//! Video container metadata (MP4 with `mp4parse`, WebM/Matroska with `matroska-demuxer`) and
//! the frame ↔ timestamp mapping. The browser decodes and plays the video itself; annotations
//! count frames, so both sides must agree on which frame shows at which time.
//!
//! MP4: only the `moov` box is read (found by walking the top-level boxes with seeks, so a
//! multi-gigabyte `mdat` is skipped, not read). Frame times come from the sample tables:
//! decode times from `stts`, plus composition offsets from `ctts` (B-frames), minus the edit
//! list's `media_time` (what players subtract so the first frame shows at 0), sorted into
//! presentation order. WebM: frame times are the block timestamps, which means reading the
//! clusters (the whole file); the count of frames read is bounded by [`Limits::max_frames`].

use std::io::{Cursor, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use crate::error::{check_limit, MediaError};
use crate::Limits;

/// What [`crate::probe`] reports for a video.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VideoInfo {
    /// `mp4`, `webm` or `matroska`.
    pub container: String,
    /// Lower-case codec name: `h264`, `hevc`, `vp8`, `vp9`, `av1`, `mp4v`, … (`unknown` when
    /// the parser does not know it).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// Seconds.
    pub duration: f64,
    /// Frames per second: exact for constant frame rate, the mean otherwise.
    pub frame_rate: f64,
    pub frame_count: u64,
    pub variable_frame_rate: bool,
}

/// When each frame is shown.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FrameTimes {
    /// Frame `i` starts at `(start + i × delta) / timescale` seconds.
    Constant { timescale: u64, delta: u64, start: i64, count: u64 },
    /// Frame `i` starts at `ticks[i] / timescale` seconds; `ticks` is sorted.
    Variable { timescale: u64, ticks: Vec<i64> },
}

impl FrameTimes {
    /// Builds the mapping from presentation times, detecting a constant rate.
    pub fn from_ticks(timescale: u64, mut ticks: Vec<i64>) -> FrameTimes {
        ticks.sort_unstable();
        if let [first, second, ..] = ticks[..] {
            let step = |a: i64, b: i64| b.checked_sub(a);
            if let Some(delta) = step(first, second).filter(|&d| d > 0) {
                if ticks.windows(2).all(|w| step(w[0], w[1]) == Some(delta)) {
                    return FrameTimes::Constant {
                        timescale,
                        delta: delta as u64,
                        start: first,
                        count: ticks.len() as u64,
                    };
                }
            }
        }
        if let [only] = ticks[..] {
            return FrameTimes::Constant { timescale, delta: 1, start: only, count: 1 };
        }
        FrameTimes::Variable { timescale, ticks }
    }

    pub fn count(&self) -> u64 {
        match self {
            FrameTimes::Constant { count, .. } => *count,
            FrameTimes::Variable { ticks, .. } => ticks.len() as u64,
        }
    }

    pub fn is_constant(&self) -> bool {
        matches!(self, FrameTimes::Constant { .. })
    }

    /// Seconds at which `frame` starts to show.
    pub fn time_of(&self, frame: u64) -> Option<f64> {
        match self {
            FrameTimes::Constant { timescale, delta, start, count } => {
                (frame < *count).then(|| (*start as f64 + frame as f64 * *delta as f64) / *timescale as f64)
            }
            FrameTimes::Variable { timescale, ticks } => {
                let tick = ticks.get(usize::try_from(frame).ok()?)?;
                Some(*tick as f64 / *timescale as f64)
            }
        }
    }

    /// The frame showing at `seconds`: the last one that started at or before it. Times before
    /// the first frame, NaN, or an empty video give `None`; times after the last frame give
    /// the last frame.
    pub fn frame_at(&self, seconds: f64) -> Option<u64> {
        if !seconds.is_finite() {
            return None;
        }
        match self {
            FrameTimes::Constant { timescale, delta, start, count } => {
                // Half a microsecond of slack, so `frame_at(time_of(i))` is `i` despite rounding.
                let ticks = seconds * *timescale as f64 - *start as f64 + 5e-7 * *timescale as f64;
                if ticks < 0.0 || *count == 0 {
                    return None;
                }
                Some(((ticks / *delta as f64).floor() as u64).min(count - 1))
            }
            FrameTimes::Variable { timescale, ticks } => {
                let target = seconds * *timescale as f64 + 5e-7 * *timescale as f64;
                let after = ticks.partition_point(|&t| (t as f64) <= target);
                after.checked_sub(1).map(|i| i as u64)
            }
        }
    }
}

/// A video's metadata and frame times.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoProbe {
    pub info: VideoInfo,
    pub frames: FrameTimes,
}

// ---------------------------------------------------------------------------------------------
// MP4

const MP4: &str = "MP4";

/// Probes an MP4 from a seekable reader.
pub fn probe_mp4<R: Read + Seek>(reader: &mut R, limits: &Limits) -> Result<VideoProbe, MediaError> {
    let moov = read_moov(reader, limits)?;
    let context = mp4parse::read_mp4(&mut Cursor::new(&moov)).map_err(|e| match e {
        mp4parse::Error::UnexpectedEOF => MediaError::truncated(MP4, "the moov box ends early"),
        mp4parse::Error::OutOfMemory => {
            MediaError::TooLarge { what: "moov tables", value: moov.len() as u64, limit: limits.max_alloc }
        }
        mp4parse::Error::Unsupported(what) => MediaError::unsupported(MP4, what),
        other => MediaError::invalid(MP4, format!("{other}")),
    })?;
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == mp4parse::TrackType::Video)
        .ok_or_else(|| MediaError::unsupported(MP4, "no video track"))?;
    let timescale = track
        .timescale
        .map(|t| t.0)
        .filter(|&t| t > 0)
        .ok_or_else(|| MediaError::invalid(MP4, "video track without a timescale"))?;
    let entry = track.stsd.as_ref().and_then(|stsd| {
        stsd.descriptions.iter().find_map(|d| match d {
            mp4parse::SampleEntry::Video(v) => Some(v),
            _ => None,
        })
    });
    let (mut width, mut height) = entry.map_or((0, 0), |v| (u32::from(v.width), u32::from(v.height)));
    if let Some(tkhd) = &track.tkhd {
        // tkhd holds the presentation size as 16.16 fixed point: what players display.
        if tkhd.width >> 16 > 0 && tkhd.height >> 16 > 0 {
            (width, height) = (tkhd.width >> 16, tkhd.height >> 16);
        }
    }
    if width == 0 || height == 0 {
        return Err(MediaError::invalid(MP4, format!("the video is {width} × {height} pixels")));
    }
    let codec = entry.map_or("unknown".to_string(), |v| codec_name(v.codec_type));
    let stts = track.stts.as_ref().ok_or_else(|| MediaError::invalid(MP4, "video track without a stts table"))?;
    let count: u64 = stts.samples.iter().map(|s| u64::from(s.sample_count)).sum();
    check_limit("video frames", count, limits.max_frames)?;
    // Decode times, then composition offsets; the count was checked, so this allocation is
    // bounded by the limit, not by what a table claims.
    let mut ticks = Vec::with_capacity(count as usize);
    let mut dts: i64 = 0;
    for run in stts.samples.iter() {
        for _ in 0..run.sample_count {
            ticks.push(dts);
            dts = dts.saturating_add(i64::from(run.sample_delta));
        }
    }
    if let Some(ctts) = &track.ctts {
        let mut offsets = ctts.samples.iter().flat_map(|run| {
            let offset = match run.time_offset {
                mp4parse::TimeOffsetVersion::Version0(o) => i64::from(o),
                mp4parse::TimeOffsetVersion::Version1(o) => i64::from(o),
            };
            std::iter::repeat_n(offset, run.sample_count as usize)
        });
        for tick in &mut ticks {
            match offsets.next() {
                Some(offset) => *tick = tick.saturating_add(offset),
                None => break,
            }
        }
    }
    let media_time = track.media_time.map_or(0, |t| i64::try_from(t.0).unwrap_or(i64::MAX));
    for tick in &mut ticks {
        *tick = tick.saturating_sub(media_time);
    }
    let frames = FrameTimes::from_ticks(timescale, ticks);
    let duration = match track.duration {
        Some(d) if d.0 > 0 => d.0 as f64 / timescale as f64,
        _ => dts as f64 / timescale as f64,
    };
    Ok(VideoProbe { info: video_info("mp4", codec, width, height, duration, &frames), frames })
}

fn video_info(
    container: &str,
    codec: String,
    width: u32,
    height: u32,
    duration: f64,
    frames: &FrameTimes,
) -> VideoInfo {
    let frame_count = frames.count();
    let frame_rate = match frames {
        FrameTimes::Constant { timescale, delta, count, .. } if *count > 1 => *timescale as f64 / *delta as f64,
        _ if duration > 0.0 => frame_count as f64 / duration,
        _ => 0.0,
    };
    VideoInfo {
        container: container.into(),
        codec,
        width,
        height,
        duration,
        frame_rate,
        frame_count,
        variable_frame_rate: !frames.is_constant(),
    }
}

fn codec_name(codec: mp4parse::CodecType) -> String {
    match codec {
        mp4parse::CodecType::Unknown => "unknown".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Walks the top-level boxes and returns the `moov` box (header included), seeking past
/// everything else.
fn read_moov<R: Read + Seek>(reader: &mut R, limits: &Limits) -> Result<Vec<u8>, MediaError> {
    let file_len = reader.seek(SeekFrom::End(0))?;
    let mut at = reader.seek(SeekFrom::Start(0))?;
    while at < file_len {
        let mut head = [0u8; 16];
        let header_len = if file_len - at >= 16 { 16 } else { (file_len - at) as usize };
        reader.read_exact(&mut head[..header_len])?;
        if header_len < 8 {
            break;
        }
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        let size = match size32 {
            0 => file_len - at,
            1 if header_len == 16 => {
                u64::from_be_bytes([head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15]])
            }
            1 => return Err(MediaError::truncated(MP4, "a box header ends early")),
            n => u64::from(n),
        };
        if size < 8 {
            return Err(MediaError::invalid(MP4, format!("box `{}` of {size} bytes", String::from_utf8_lossy(&kind))));
        }
        if &kind == b"moov" {
            check_limit("moov box bytes", size, limits.max_alloc)?;
            if size > file_len - at {
                return Err(MediaError::truncated(
                    MP4,
                    format!("the moov box claims {size} bytes, {} remain", file_len - at),
                ));
            }
            reader.seek(SeekFrom::Start(at))?;
            let mut moov = vec![0; size as usize];
            reader.read_exact(&mut moov)?;
            return Ok(moov);
        }
        at = at.saturating_add(size);
        reader.seek(SeekFrom::Start(at.min(file_len)))?;
    }
    Err(MediaError::invalid(MP4, "no moov box (the file has no movie header)"))
}

// ---------------------------------------------------------------------------------------------
// WebM / Matroska

const WEBM: &str = "WebM";

/// Probes a WebM or Matroska file from a seekable reader.
pub fn probe_matroska<R: Read + Seek>(mut reader: R, limits: &Limits) -> Result<VideoProbe, MediaError> {
    use matroska_demuxer::{Frame, MatroskaFile, TrackType};
    let demux_error = |e: matroska_demuxer::DemuxError| match e {
        matroska_demuxer::DemuxError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(WEBM, "the file ends inside an element")
        }
        matroska_demuxer::DemuxError::IoError(io) if io.to_string() == NO_PROGRESS => {
            MediaError::invalid(WEBM, "corrupt element sizes make the parser go round in circles")
        }
        other => MediaError::invalid(WEBM, other.to_string()),
    };
    let file_len = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    // matroska-demuxer can loop forever on sizes that seek backwards (found by `cargo xtask
    // fuzz`); a well-formed file needs far fewer reads and seeks than this budget.
    let reader = Budgeted { inner: reader, operations_left: 64 * file_len + 100_000 };
    let mut file = MatroskaFile::open(reader).map_err(demux_error)?;
    let container = if file.ebml_header().doc_type() == "webm" { "webm" } else { "matroska" };
    let track = file
        .tracks()
        .iter()
        .find(|t| t.track_type() == TrackType::Video)
        .ok_or_else(|| MediaError::unsupported(WEBM, "no video track"))?;
    let video = track.video().ok_or_else(|| MediaError::invalid(WEBM, "video track without video settings"))?;
    let width = u32::try_from(video.pixel_width().get()).unwrap_or(u32::MAX);
    let height = u32::try_from(video.pixel_height().get()).unwrap_or(u32::MAX);
    check_limit("video width", u64::from(width), u64::from(limits.max_width))?;
    check_limit("video height", u64::from(height), u64::from(limits.max_height))?;
    let codec = matroska_codec(track.codec_id());
    let number = track.track_number().get();
    let scale = file.info().timestamp_scale().get();
    let duration = file.info().duration().map_or(0.0, |d| d * scale as f64 / 1e9);
    let mut ticks = Vec::new();
    let mut frame = Frame::default();
    while file.next_frame(&mut frame).map_err(demux_error)? {
        if frame.track == number {
            check_limit("video frames", ticks.len() as u64 + 1, limits.max_frames)?;
            ticks.push(i64::try_from(frame.timestamp).unwrap_or(i64::MAX));
        }
    }
    // Timestamps are in units of `scale` nanoseconds.
    let timescale = (1_000_000_000 / scale).max(1);
    let frames = FrameTimes::from_ticks(timescale, ticks);
    let duration = if duration > 0.0 { duration } else { frames_end(&frames) };
    Ok(VideoProbe { info: video_info(container, codec, width, height, duration, &frames), frames })
}

/// End of the last frame when the header has no duration: its start plus one mean frame.
fn frames_end(frames: &FrameTimes) -> f64 {
    match frames {
        FrameTimes::Constant { timescale, delta, start, count } => {
            (*start as f64 + *count as f64 * *delta as f64) / *timescale as f64
        }
        FrameTimes::Variable { timescale, ticks } => match (ticks.first(), ticks.last()) {
            (Some(first), Some(last)) if ticks.len() > 1 => {
                let mean = (*last as f64 - *first as f64) / (ticks.len() - 1) as f64;
                (*last as f64 + mean) / *timescale as f64
            }
            _ => 0.0,
        },
    }
}

fn matroska_codec(codec_id: &str) -> String {
    match codec_id {
        "V_VP8" => "vp8".into(),
        "V_VP9" => "vp9".into(),
        "V_AV1" => "av1".into(),
        "V_MPEG4/ISO/AVC" => "h264".into(),
        "V_MPEGH/ISO/HEVC" => "hevc".into(),
        other => other.trim_start_matches("V_").to_lowercase(),
    }
}

const NO_PROGRESS: &str = "the parser made no progress";

/// A reader that fails after a fixed number of reads and seeks, so a parser that loops on
/// corrupt input ends with an error instead of hanging.
struct Budgeted<R> {
    inner: R,
    operations_left: u64,
}

impl<R> Budgeted<R> {
    fn spend(&mut self) -> std::io::Result<()> {
        match self.operations_left.checked_sub(1) {
            Some(left) => {
                self.operations_left = left;
                Ok(())
            }
            None => Err(std::io::Error::other(NO_PROGRESS)),
        }
    }
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.spend()?;
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Budgeted<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.spend()?;
        self.inner.seek(to)
    }
}
