//! The media subcommands: `probe` (any supported media, text or JSON) and `peaks` (a WAV file's
//! waveform in BBC audiowaveform's `.dat` or JSON format). Everything is computed by
//! `annoqa-media`; this module reads files, picks formats and prints.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use annoqa_media::{Bits, Limits, MediaInfo, PeaksBuilder, Zoom};

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// An image (PNG, JPEG, GIF, WebP), WAV audio or video (MP4, WebM).
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PeaksArgs {
    /// The WAV file.
    pub input: PathBuf,
    /// Output file; `.dat` (binary) or `.json` picks the format (audiowaveform version 2).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Samples per pixel (audiowaveform's `--zoom`), at least 2.
    #[arg(long, conflicts_with = "pixels_per_second")]
    pub zoom: Option<u32>,
    /// Pixels per second instead of a zoom: samples per pixel = sample rate / this.
    #[arg(long)]
    pub pixels_per_second: Option<u32>,
    /// Bits per value in the output: 8 or 16.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(8..=16))]
    pub bits: u32,
}

pub fn run_probe(args: &ProbeArgs) -> anyhow::Result<()> {
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

pub fn run_peaks(args: &PeaksArgs) -> anyhow::Result<()> {
    let format = match args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("dat") => OutputFormat::Dat,
        Some("json") => OutputFormat::Json,
        _ => bail!("{}: the output must end in .dat or .json", args.output.display()),
    };
    let bits = match args.bits {
        8 => Bits::Eight,
        16 => Bits::Sixteen,
        other => bail!("--bits must be 8 or 16, not {other}"),
    };
    let zoom = match (args.zoom, args.pixels_per_second) {
        (_, Some(pps)) => Zoom::PixelsPerSecond(pps),
        (Some(spp), None) => Zoom::SamplesPerPixel(spp),
        (None, None) => Zoom::default(),
    };
    let peaks = read_peaks(&args.input, zoom).with_context(|| args.input.display().to_string())?;
    let bytes = match format {
        OutputFormat::Dat => peaks.to_dat(bits),
        OutputFormat::Json => peaks.to_json(bits).into_bytes(),
    };
    let mut out = File::create(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    out.write_all(&bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

/// Streams the file through the builder in 1 MiB reads: memory stays bounded whatever its size.
fn read_peaks(path: &Path, zoom: Zoom) -> anyhow::Result<annoqa_media::Peaks> {
    let mut file = File::open(path).context("cannot open the file")?;
    let mut builder = PeaksBuilder::new(zoom, &Limits::default());
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
