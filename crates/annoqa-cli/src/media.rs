//! The media subcommands: `probe` (any supported media, text or JSON) and `peaks` (a WAV file's
//! waveform in BBC audiowaveform's `.dat` or JSON format, or a `.dat` converted, following
//! audiowaveform's conventions). Everything is computed by `annoqa-media`; this module reads
//! files, picks formats and prints.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use annoqa_media::{Bits, Channels, DatVersion, Limits, MediaInfo, Peaks, PeaksBuilder, Zoom};

#[derive(Args, Debug)]
pub(crate) struct ProbeArgs {
    /// An image (PNG, JPEG, GIF, WebP), WAV audio or video (MP4, WebM).
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct PeaksArgs {
    /// A WAV file, or an audiowaveform `.dat` file to convert (and zoom out).
    pub input: PathBuf,
    /// Output file; `.dat` (binary) or `.json` picks the format.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Samples per pixel (audiowaveform's `--zoom`), at least 2; for a `.dat` input, a multiple
    /// of its own.
    #[arg(short = 'z', long, conflicts_with = "pixels_per_second")]
    pub zoom: Option<u32>,
    /// Pixels per second instead of a zoom: samples per pixel = sample rate / this.
    #[arg(long)]
    pub pixels_per_second: Option<u32>,
    /// Bits per value in the output: 8 or 16 (default 16, or the `.dat` input's own).
    #[arg(short = 'b', long, value_parser = clap::value_parser!(u32).range(8..=16))]
    pub bits: Option<u32>,
    /// One waveform per channel; without it, channels are mixed down to one, as audiowaveform does.
    #[arg(long)]
    pub split_channels: bool,
    /// `.dat` header version: audiowaveform writes 1 for one channel and 2 for several; 2 forces
    /// the version 2 header for one channel too.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub dat_version: Option<u32>,
}

pub(crate) fn run_probe(args: &ProbeArgs) -> anyhow::Result<()> {
    let info = annoqa_media::probe_path(&args.file, &Limits::default())?;
    let text = if args.json { serde_json::to_string(&info)? } else { describe(&info) };
    println!("{text}");
    Ok(())
}

/// One line per fact, `name: value`, for people.
fn describe(info: &MediaInfo) -> String {
    match info {
        MediaInfo::Image(i) => {
            let mut text = format!("kind: image\nformat: {}\nsize: {} × {} pixels", wire_name(&i.format), i.width, i.height);
            text.push_str(&format!("\norientation: {}", i.orientation));
            if i.orientation != 1 {
                text.push_str(&format!("\ndisplayed: {} × {} pixels", i.display_width, i.display_height));
            }
            text
        }
        MediaInfo::Audio(a) => format!(
            "kind: audio\nformat: {}\nsample rate: {} Hz\nchannels: {}\nbits per sample: {} ({})\nframes: {}\nduration: {:.3} s",
            a.container,
            a.sample_rate,
            a.channels,
            a.bits_per_sample,
            wire_name(&a.encoding),
            a.frames,
            a.duration
        ),
        MediaInfo::Video(v) => format!(
            "kind: video\nformat: {}\ncodec: {}\nsize: {} × {} pixels\nduration: {:.3} s\nframe rate: {:.3} fps ({})\nframes: {}",
            v.container,
            v.codec,
            v.width,
            v.height,
            v.duration,
            v.frame_rate,
            if v.variable_frame_rate { "variable" } else { "constant" },
            v.frame_count
        ),
    }
}

/// The name an enum has in the JSON output, so text and JSON agree.
fn wire_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

enum OutputFormat {
    Dat,
    Json,
}

pub(crate) fn run_peaks(args: &PeaksArgs) -> anyhow::Result<()> {
    let format = match extension(&args.output).as_deref() {
        Some("dat") => OutputFormat::Dat,
        Some("json") => OutputFormat::Json,
        _ => bail!("{}: the output must end in .dat or .json", args.output.display()),
    };
    let bits = args.bits.map(|b| Bits::from_number(b).map_err(|_| anyhow::anyhow!("--bits must be 8 or 16, not {b}")));
    let bits = bits.transpose()?;
    let zoom = match (args.zoom, args.pixels_per_second) {
        (_, Some(pps)) => Some(Zoom::PixelsPerSecond(pps)),
        (Some(spp), None) => Some(Zoom::SamplesPerPixel(spp)),
        (None, None) => None,
    };
    let (peaks, bits) = if extension(&args.input).as_deref() == Some("dat") {
        let (peaks, own_bits) = read_dat(&args.input, zoom).with_context(|| args.input.display().to_string())?;
        (peaks, bits.unwrap_or(own_bits))
    } else {
        let channels = if args.split_channels { Channels::Split } else { Channels::MixDown };
        let peaks = read_peaks(&args.input, zoom.unwrap_or_default(), channels)
            .with_context(|| args.input.display().to_string())?;
        (peaks, bits.unwrap_or_default())
    };
    let bytes = match (format, args.dat_version) {
        (OutputFormat::Dat, Some(2)) => peaks.to_dat_version(bits, DatVersion::V2),
        (OutputFormat::Dat, Some(_)) if peaks.channels > 1 => {
            bail!("a .dat version 1 holds one channel; this waveform has {}", peaks.channels)
        }
        (OutputFormat::Dat, _) => peaks.to_dat(bits),
        (OutputFormat::Json, _) => peaks.to_json(bits).into_bytes(),
    };
    let mut out = File::create(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    out.write_all(&bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// A `.dat` file is at most this large (an hour of 24-channel 16-bit peaks at 64 samples per
/// pixel of 48 kHz is 500 MiB; anything bigger is not a waveform we should load whole).
const MAX_DAT_BYTES: u64 = 1 << 30;

/// A `.dat` file read with audiowaveform's rules (a short file loads with a warning on stderr),
/// zoomed out when asked; returns the peaks and the file's own bits.
fn read_dat(path: &Path, zoom: Option<Zoom>) -> anyhow::Result<(Peaks, Bits)> {
    let size = std::fs::metadata(path).context("cannot open the file")?.len();
    if size > MAX_DAT_BYTES {
        bail!("the file is {size} bytes; a .dat file is at most {MAX_DAT_BYTES}");
    }
    let bytes = std::fs::read(path).context("cannot read the file")?;
    let dat = Peaks::read_dat(&bytes)?;
    if let Some(warning) = &dat.warning {
        eprintln!("warning: {}: {warning}", path.display());
    }
    let Some(zoom) = zoom else { return Ok((dat.peaks, dat.bits)) };
    let own = dat.peaks.samples_per_pixel;
    let wanted = zoom.samples_per_pixel(dat.peaks.sample_rate)?;
    if wanted % own != 0 {
        bail!("{wanted} samples per pixel is not a multiple of the file's {own}");
    }
    Ok((dat.peaks.coarser(wanted / own)?, dat.bits))
}

/// Streams the file through the builder in 1 MiB reads: memory stays bounded whatever its size.
fn read_peaks(path: &Path, zoom: Zoom, channels: Channels) -> anyhow::Result<Peaks> {
    let mut file = File::open(path).context("cannot open the file")?;
    let mut builder = PeaksBuilder::with_channels(zoom, channels, &Limits::default());
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer).context("cannot read the file")?;
        if read == 0 {
            break;
        }
        builder.push(&buffer[..read])?;
    }
    Ok(builder.finish()?)
}
