//! Unit tests: WAV headers and peaks against an independent decode (hound's sample reader and a
//! plain min/max), the audiowaveform formats byte by byte, orientation and percent transforms,
//! pyramids against a full decode, and frame ↔ time mapping.

use std::io::Cursor;

use crate::imaging::{self, Orientation, PyramidOptions, Rect, Tile};
use crate::peaks::{peaks_of_wav, Bits, Peaks, PeaksBuilder, Zoom};
use crate::video::FrameTimes;
use crate::{probe, synthetic, Limits, MediaError, MediaInfo};

// ---------------------------------------------------------------------------------------------
// WAV fixtures made with hound

/// A deterministic pseudo-random sequence (xorshift), so tests need no rand crate.
fn noise(seed: u64, n: usize) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    U8,
    I16,
    I24,
    I32,
    F32,
}

/// Writes `frames` frames of noise (with full-scale extremes) through hound.
fn wav(kind: Kind, channels: u16, frames: usize, seed: u64) -> Vec<u8> {
    let (bits, format) = match kind {
        Kind::U8 => (8, hound::SampleFormat::Int),
        Kind::I16 => (16, hound::SampleFormat::Int),
        Kind::I24 => (24, hound::SampleFormat::Int),
        Kind::I32 => (32, hound::SampleFormat::Int),
        Kind::F32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec { channels, sample_rate: 8000, bits_per_sample: bits, sample_format: format };
    let mut out = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    for (i, r) in noise(seed, frames * usize::from(channels)).into_iter().enumerate() {
        let extreme = i % 997 == 3;
        match kind {
            Kind::U8 => writer.write_sample(if extreme { -128i8 } else { (r >> 56) as i8 }).unwrap(),
            Kind::I16 => writer.write_sample(if extreme { i16::MIN } else { (r >> 48) as i16 }).unwrap(),
            Kind::I24 => writer.write_sample(if extreme { -(1 << 23) } else { ((r >> 40) as i32) >> 8 }).unwrap(),
            Kind::I32 => writer.write_sample(if extreme { i32::MIN } else { (r >> 32) as i32 }).unwrap(),
            Kind::F32 => writer
                .write_sample(if extreme { -1.5f32 } else { ((r >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0 })
                .unwrap(),
        }
    }
    writer.finalize().unwrap();
    out.into_inner()
}

/// The reference: hound decodes the samples, each is mapped to 16 bits with integer or float
/// arithmetic written out here, and a plain loop takes min/max per pixel, emitting the final
/// partial pixel.
fn reference_peaks(bytes: &[u8], spp: usize) -> Vec<i16> {
    let mut reader = hound::WavReader::new(bytes).unwrap();
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    let samples: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, _) => reader
            .samples::<f32>()
            // audiowaveform's float → short: static_cast<short>(x * 32767) of the float product,
            // truncated toward zero (and clipped here, where C++ would be undefined).
            .map(|s| (s.unwrap() * 32767.0f32).trunc().clamp(-32768.0, 32767.0) as i16)
            .collect(),
        (_, 8) => reader.samples::<i8>().map(|s| i16::from(s.unwrap()) * 256).collect(),
        (_, bits) => reader.samples::<i32>().map(|s| (s.unwrap() >> (bits - 16)) as i16).collect(),
    };
    let mut out = Vec::new();
    for pixel in samples.chunks(spp * channels) {
        for c in 0..channels {
            let values = pixel.iter().skip(c).step_by(channels);
            out.push(*values.clone().min().unwrap());
            out.push(*values.max().unwrap());
        }
    }
    out
}

#[test]
fn peaks_match_an_independent_decode_for_every_sample_format() {
    for kind in [Kind::U8, Kind::I16, Kind::I24, Kind::I32, Kind::F32] {
        for channels in [1, 2, 3] {
            // 3 channels makes hound write WAVE_FORMAT_EXTENSIBLE.
            let bytes = wav(kind, channels, 10_000, 7 + u64::from(channels));
            for spp in [2, 256, 333] {
                let peaks = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(spp), &Limits::default()).unwrap();
                let expected = reference_peaks(&bytes, spp as usize);
                let first_difference = peaks.data.iter().zip(&expected).position(|(a, b)| a != b);
                assert_eq!(first_difference, None, "{kind:?} × {channels} at {spp}");
                assert_eq!(peaks.data.len(), expected.len());
                assert_eq!(peaks.len(), 10_000usize.div_ceil(spp as usize));
                assert_eq!(peaks.channels, channels);
            }
        }
    }
}

#[test]
fn chunked_input_gives_the_same_peaks_as_whole_input() {
    let bytes = wav(Kind::I24, 2, 5_000, 3);
    let whole = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(100), &Limits::default()).unwrap();
    for chunk in [1, 5, 7, 4096] {
        let mut builder = PeaksBuilder::new(Zoom::SamplesPerPixel(100), &Limits::default());
        for piece in bytes.chunks(chunk) {
            builder.push(piece).unwrap();
        }
        assert_eq!(builder.finish().unwrap(), whole, "chunks of {chunk}");
    }
}

#[test]
fn the_first_screen_is_ready_before_the_file_ends() {
    let bytes = wav(Kind::I16, 1, 8_000, 5);
    let mut builder = PeaksBuilder::new(Zoom::SamplesPerPixel(100), &Limits::default());
    builder.push(&bytes[..bytes.len() / 2]).unwrap();
    let early = builder.peaks_so_far().unwrap().clone();
    assert!(early.len() >= 39, "{} pixels after half the file", early.len());
    let done = builder.finish();
    assert!(matches!(done, Err(MediaError::Truncated { .. })), "{done:?}");
    let full = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(100), &Limits::default()).unwrap();
    assert_eq!(early.data[..], full.data[..early.data.len()]);
}

#[test]
fn coarser_levels_equal_direct_computation() {
    let bytes = wav(Kind::I16, 2, 12_345, 11);
    let fine = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(10), &Limits::default()).unwrap();
    for factor in [1, 2, 3, 7, 64] {
        let direct = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(10 * factor), &Limits::default()).unwrap();
        assert_eq!(fine.coarser(factor).unwrap(), direct, "factor {factor}");
    }
    let levels = fine.levels(4, 20).unwrap();
    assert_eq!(levels.iter().map(Peaks::len).collect::<Vec<_>>(), [1235, 309, 78, 20]);
    assert_eq!(levels[3].samples_per_pixel, 640);
}

#[test]
fn pixels_per_second_divides_the_sample_rate() {
    let bytes = wav(Kind::I16, 1, 8_000, 1);
    let peaks = peaks_of_wav(&bytes, Zoom::PixelsPerSecond(100), &Limits::default()).unwrap();
    assert_eq!((peaks.samples_per_pixel, peaks.len()), (80, 100));
    let too_fine = peaks_of_wav(&bytes, Zoom::PixelsPerSecond(5000), &Limits::default()).unwrap_err();
    assert_eq!(too_fine.to_string(), "1 samples per pixel is too fine: the minimum is 2 (at 8000 Hz)");
}

#[test]
fn dat_and_json_follow_the_audiowaveform_layout() {
    let peaks = Peaks {
        sample_rate: 48000,
        samples_per_pixel: 512,
        channels: 2,
        data: vec![-32768, 32767, -255, 256, -1, 0, 100, -100],
    };
    let dat = peaks.to_dat(Bits::Sixteen);
    let header: Vec<u32> = dat[..24].chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    assert_eq!(header, [2, 0, 48000, 512, 2, 2]);
    assert_eq!(&dat[24..28], &[0x00, 0x80, 0xFF, 0x7F]);
    assert_eq!(dat.len(), 24 + 8 * 2);
    let dat8 = peaks.to_dat(Bits::Eight);
    assert_eq!(u32::from_le_bytes([dat8[4], dat8[5], dat8[6], dat8[7]]), 1, "flag bit 0 marks 8-bit");
    // value / 256 truncated toward zero: -32768 → -128, 32767 → 127, -255 → 0, 256 → 1.
    assert_eq!(dat8[24..].iter().map(|&b| b as i8).collect::<Vec<_>>(), [-128, 127, 0, 1, 0, 0, 0, 0]);
    assert_eq!(
        peaks.to_json(Bits::Eight),
        "{\"version\":2,\"channels\":2,\"sample_rate\":48000,\"samples_per_pixel\":512,\"bits\":8,\"length\":2,\"data\":[-128,127,0,1,0,0,0,0]}\n"
    );
    assert_eq!(Peaks::from_dat(&dat).unwrap(), peaks);
    let json: serde_json::Value = serde_json::from_str(&peaks.to_json(Bits::Sixteen)).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), 8);
}

fn wav_with_fmt(channels: u16, rate: u32, bits: u16, data_claim: u32, data: &[u8]) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0");
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_claim.to_le_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn bad_wav_headers_get_clear_errors() {
    let limits = Limits::default();
    let error = |bytes: &[u8]| probe(bytes, &limits).unwrap_err().to_string();
    assert_eq!(error(&wav_with_fmt(0, 8000, 16, 4, &[0; 4])), "invalid WAV: fmt chunk: file contains zero channels");
    assert_eq!(error(&wav_with_fmt(1, 0, 16, 4, &[0; 4])), "invalid WAV: zero sample rate");
    assert_eq!(
        error(&wav_with_fmt(1, 8000, 16, 0x7FFF_FFF0, &[0; 64])),
        "truncated WAV: the data chunk claims 2147483632 bytes but the file has 64 after its header"
    );
    assert_eq!(
        error(&wav_with_fmt(1, 8000, 16, 4, &[])[..30]),
        "truncated WAV: the file ends before the end of the fmt chunk"
    );
    assert_eq!(error(b"RIFF\0\0\0\0WAVEdata\x04\0\0\0abcd"), "invalid WAV: data chunk before the fmt chunk");
    assert_eq!(
        error(b"RIFF\0\0\0\0WAVEfmt \xff\xff\xff\x7f"),
        "invalid WAV: fmt chunk of 2147483647 bytes (a real one has at most 40)"
    );
    assert_eq!(error(b"RF64\xff\xff\xff\xffWAVE"), "unsupported WAV: RF64 (WAV over 4 GB) is not supported");
    let peaks = peaks_of_wav(&wav_with_fmt(1, 8000, 16, 0x7FFF_FFF0, &[1; 64]), Zoom::default(), &limits);
    assert_eq!(
        peaks.unwrap_err().to_string(),
        "truncated WAV: the data chunk claims 2147483632 bytes but the file ends after 64"
    );
}

#[test]
fn open_ended_data_chunks_run_to_the_end() {
    // Streaming writers leave the size at 0xFFFFFFFF; the data then runs to the end of the file.
    let samples: Vec<u8> = [100i16, -200, 300].iter().flat_map(|s| s.to_le_bytes()).collect();
    let bytes = wav_with_fmt(1, 8000, 16, u32::MAX, &samples);
    let peaks = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(2), &Limits::default()).unwrap();
    assert_eq!(peaks.data, [-200, 100, 300, 300]);
    let MediaInfo::Audio(info) = probe(&bytes, &Limits::default()).unwrap() else { panic!("audio") };
    assert_eq!(info.frames, 3);
}

#[test]
fn waveform_output_is_capped_by_the_allocation_limit() {
    let bytes = wav(Kind::I16, 1, 10_000, 2);
    let limits = Limits { max_alloc: 1000, ..Limits::default() };
    let error = peaks_of_wav(&bytes, Zoom::SamplesPerPixel(2), &limits).unwrap_err();
    assert!(matches!(error, MediaError::TooLarge { what: "waveform bytes", .. }), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Images

/// An RGB PNG whose pixel (x, y) is `(x, y, x ^ y)` (mod 256), written by the png crate, with
/// optional extra chunks before the image data.
fn png(width: u32, height: u32, chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    for (kind, data) in chunks {
        writer.write_chunk(png::chunk::ChunkType(*kind), data).unwrap();
    }
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            pixels.extend_from_slice(&[x as u8, y as u8, (x ^ y) as u8]);
        }
    }
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// A big-endian TIFF/EXIF block with one Orientation tag.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&value.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    tiff
}

#[test]
fn png_probe_reads_size_and_exif_orientation() {
    let plain = probe(&png(300, 200, &[]), &Limits::default()).unwrap();
    let MediaInfo::Image(info) = plain else { panic!("image") };
    assert_eq!(
        (info.width, info.height, info.orientation, info.display_width, info.display_height),
        (300, 200, 1, 300, 200)
    );
    let rotated = probe(&png(300, 200, &[(*b"eXIf", exif_orientation(6))]), &Limits::default()).unwrap();
    let MediaInfo::Image(info) = rotated else { panic!("image") };
    assert_eq!((info.orientation, info.display_width, info.display_height), (6, 200, 300));
}

#[test]
fn jpeg_probe_reads_exif_orientation() {
    let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photo.jpg")).unwrap();
    // Insert an APP1 Exif segment right after SOI.
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&exif_orientation(8));
    let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
    with_exif.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    with_exif.extend_from_slice(&payload);
    with_exif.extend_from_slice(&jpeg[2..]);
    let MediaInfo::Image(info) = probe(&with_exif, &Limits::default()).unwrap() else { panic!("image") };
    assert_eq!((info.width, info.height, info.orientation, info.display_width), (96, 64, 8, 64));
}

#[test]
fn image_bombs_and_empty_images_are_refused() {
    let limits = Limits::default();
    // 60,000 × 60,000 is within the edge limits but 3.6 gigapixels.
    assert_eq!(
        probe(&synthetic::png_header_only(60_000, 60_000), &limits).unwrap_err().to_string(),
        "image pixels 3600000000 exceeds the limit of 400000000"
    );
    let narrow = Limits { max_width: 100, ..Limits::default() };
    assert_eq!(probe(&png(300, 2, &[]), &narrow).unwrap_err().to_string(), "image width 300 exceeds the limit of 100");
    let zero = probe(&synthetic::png_header_only(0, 0), &limits).unwrap_err();
    assert!(matches!(zero, MediaError::Invalid { format: "PNG", .. }), "{zero}");
    let small_alloc = Limits { max_alloc: 10_000, ..Limits::default() };
    let mut sink = |_: Tile| Ok(());
    let decoded = imaging::tile_pyramid(&png(300, 200, &[]), PyramidOptions::default(), &small_alloc, &mut sink);
    assert!(decoded.is_ok(), "row-by-row PNG needs no full buffer: {decoded:?}");
    let gif = {
        let mut out = Cursor::new(Vec::new());
        image::RgbaImage::new(300, 200).write_to(&mut out, image::ImageFormat::Gif).unwrap();
        out.into_inner()
    };
    let refused = imaging::tile_pyramid(&gif, PyramidOptions::default(), &small_alloc, &mut sink).unwrap_err();
    assert!(refused.to_string().contains("limit"), "{refused}");
}

#[test]
fn orientation_maps_points_both_ways_for_all_eight_values() {
    let (w, h) = (40.0, 30.0);
    for value in 1..=8 {
        let o = Orientation::from_exif(value);
        let (dw, dh) = o.display_size(40, 30);
        for &(x, y) in &[(0.0, 0.0), (40.0, 30.0), (12.5, 7.0), (40.0, 0.0)] {
            let (u, v) = o.pixel_to_display(x, y, w, h);
            assert!((0.0..=f64::from(dw)).contains(&u) && (0.0..=f64::from(dh)).contains(&v), "{value}: ({u}, {v})");
            assert_eq!(o.display_to_pixel(u, v, w, h), (x, y), "{value}");
        }
    }
    // 6: turned 90° clockwise, so the stored top-left corner is shown at the top right.
    assert_eq!(Orientation::from_exif(6).pixel_to_display(0.0, 0.0, w, h), (30.0, 0.0));
    assert_eq!(Orientation::from_exif(8).pixel_to_display(0.0, 0.0, w, h), (0.0, 40.0));
    let rect = Rect { x: 2.0, y: 3.0, width: 10.0, height: 5.0 };
    let shown = Orientation::from_exif(6).rect_to_display(rect, w, h);
    assert_eq!(shown, Rect { x: 22.0, y: 2.0, width: 5.0, height: 10.0 });
    assert_eq!(Orientation::from_exif(6).rect_to_pixel(shown, w, h), rect);
    assert_eq!(Orientation::from_exif(0), Orientation::UPRIGHT);
}

#[test]
fn percent_rectangles_round_trip() {
    // Label Studio: x, y, width, height in percent of original_width / original_height.
    let pixels = Rect { x: 64.0, y: 36.0, width: 320.0, height: 90.0 };
    let percent = pixels.to_percent(640, 360);
    assert_eq!(percent, Rect { x: 10.0, y: 10.0, width: 50.0, height: 25.0 });
    assert_eq!(percent.from_percent(640, 360), pixels);
}

fn collect_pyramid(bytes: &[u8], options: PyramidOptions) -> (imaging::PyramidInfo, Vec<Tile>) {
    let mut tiles = Vec::new();
    let mut sink = |tile: Tile| {
        tiles.push(tile);
        Ok(())
    };
    let info = imaging::tile_pyramid(bytes, options, &Limits::default(), &mut sink).unwrap();
    (info, tiles)
}

/// Reassembles one level from its tiles.
fn level_image(tiles: &[Tile], level: u32, width: u32, height: u32, tile: u32) -> Vec<u8> {
    let mut out = vec![0; (width * height * 4) as usize];
    for t in tiles.iter().filter(|t| t.level == level) {
        for row in 0..t.height {
            let y = t.row * tile + row;
            let x = t.column * tile;
            let at = ((y * width + x) * 4) as usize;
            let from = (row * t.width * 4) as usize;
            out[at..at + (t.width * 4) as usize].copy_from_slice(&t.rgba[from..from + (t.width * 4) as usize]);
        }
    }
    out
}

#[test]
fn pyramid_tiles_cover_every_level_and_level_zero_is_the_image() {
    let bytes = png(300, 170, &[]);
    let (info, tiles) = collect_pyramid(&bytes, PyramidOptions { tile_size: 64, first_level: 0 });
    assert_eq!(info.levels, [(300, 170), (150, 85), (75, 43), (38, 22)]);
    for (level, &(w, h)) in info.levels.iter().enumerate() {
        let area: u32 = tiles.iter().filter(|t| t.level == level as u32).map(|t| t.width * t.height).sum();
        assert_eq!(area, w * h, "level {level}");
    }
    let full = image::load_from_memory(&bytes).unwrap().into_rgba8().into_raw();
    assert_eq!(level_image(&tiles, 0, 300, 170, 64), full);
    // Level 1 pixel (10, 20) averages stored pixels x 20–21, y 40–41 per channel.
    let level1 = level_image(&tiles, 1, 150, 85, 64);
    let at = ((20 * 150 + 10) * 4) as usize;
    assert_eq!(&level1[at..at + 4], &[21, 41, ((20 ^ 40) + (21 ^ 40) + (20 ^ 41) + (21 ^ 41) + 2) / 4, 255]);
}

#[test]
fn thumbnails_fit_the_requested_size() {
    let thumb = imaging::thumbnail(&png(1000, 600, &[]), 200, &Limits::default()).unwrap();
    assert_eq!((thumb.width, thumb.height, thumb.level), (125, 75, 3));
    let encoded = imaging::encode_png(&thumb).unwrap();
    let MediaInfo::Image(info) = probe(&encoded, &Limits::default()).unwrap() else { panic!("image") };
    assert_eq!((info.width, info.height), (125, 75));
}

#[test]
fn jpeg_pyramids_start_from_a_dct_scaled_decode() {
    let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photo.jpg")).unwrap();
    let (info, tiles) = collect_pyramid(&jpeg, PyramidOptions { tile_size: 16, first_level: 2 });
    assert_eq!(info.levels, [(96, 64), (48, 32), (24, 16), (12, 8)]);
    assert!(tiles.iter().all(|t| t.level >= 2));
    assert_eq!(tiles.iter().filter(|t| t.level == 2).map(|t| t.width * t.height).sum::<u32>(), 24 * 16);
    // The DCT-scaled level resembles the full decode halved twice (mean absolute difference).
    let full = image::load_from_memory(&jpeg)
        .unwrap()
        .resize_exact(24, 16, image::imageops::FilterType::Triangle)
        .into_rgba8();
    let scaled = level_image(&tiles, 2, 24, 16, 16);
    let diff: u32 = full.as_raw().iter().zip(&scaled).map(|(a, b)| u32::from(a.abs_diff(*b))).sum();
    assert!(diff / (24 * 16 * 4) < 20, "mean difference {}", diff / (24 * 16 * 4));
}

// ---------------------------------------------------------------------------------------------
// Frame times

#[test]
fn constant_frame_rate_maps_frames_and_times_both_ways() {
    let times = FrameTimes::from_ticks(12800, (0..25).map(|i| i * 512).rev().collect());
    assert_eq!(times, FrameTimes::Constant { timescale: 12800, delta: 512, start: 0, count: 25 });
    for frame in 0..25 {
        let t = times.time_of(frame).unwrap();
        assert!((t - frame as f64 * 0.04).abs() < 1e-12);
        assert_eq!(times.frame_at(t), Some(frame));
        assert_eq!(times.frame_at(t + 0.039), Some(frame));
    }
    assert_eq!(times.frame_at(-0.01), None);
    assert_eq!(times.frame_at(99.0), Some(24));
    assert_eq!(times.frame_at(f64::NAN), None);
    assert_eq!(times.time_of(25), None);
}

#[test]
fn variable_frame_rate_uses_each_frames_time() {
    // 10 fps for a second, then 20 fps: as the vfr.mp4 fixture.
    let ticks: Vec<i64> = (0..10).map(|i| i * 100).chain((0..10).map(|i| 1000 + i * 50)).collect();
    let times = FrameTimes::from_ticks(1000, ticks);
    assert!(!times.is_constant());
    assert_eq!(times.time_of(12), Some(1.1));
    assert_eq!(times.frame_at(1.1), Some(12));
    assert_eq!(times.frame_at(1.149), Some(12));
    assert_eq!(times.frame_at(0.95), Some(9));
    for frame in 0..20 {
        assert_eq!(times.frame_at(times.time_of(frame).unwrap()), Some(frame));
    }
}
