//! The media contract (issue 5): `annoqa probe FILE [--json]` and
//! `annoqa peaks IN.wav -o OUT.{dat,json} [--zoom N | --pixels-per-second P] [--bits 8|16]`,
//! on the demo media and on WAV files written here with hound. Exit 0 on success, 2 with a
//! message naming the file on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use expect_test::{expect, Expect};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn annoqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_annoqa")).args(args).output().expect("the annoqa binary runs")
}

/// stdout when the command succeeds, `exit N` and stderr when it fails, with `dir` shown as `…`.
fn check(args: &[&str], dir: &Path, expect: Expect) {
    let output = annoqa(args);
    let text = if output.status.success() {
        String::from_utf8(output.stdout).unwrap()
    } else {
        assert!(output.stdout.is_empty(), "a failing command printed to stdout");
        format!("exit {}\n{}", output.status.code().unwrap_or(-1), String::from_utf8(output.stderr).unwrap())
    };
    expect.assert_eq(&text.replace(&dir.display().to_string(), "…"));
}

#[test]
fn probe_describes_every_kind_of_demo_media() {
    let demo = repo("static/demo");
    let image = demo.join("test-card-boxes/media/test-card.png");
    check(
        &["probe", image.to_str().unwrap()],
        &demo,
        expect![[r#"
        kind: image
        format: png
        size: 640 × 360 pixels
        orientation: 1
    "#]],
    );
    let audio = demo.join("meeting-speech/media/meeting.wav");
    check(
        &["probe", audio.to_str().unwrap()],
        &demo,
        expect![[r#"
        kind: audio
        format: wav
        sample rate: 16000 Hz
        channels: 1
        bits per sample: 16 (i16)
        frames: 76318
        duration: 4.770 s
    "#]],
    );
    let video = demo.join("test-pattern-video/media/test-pattern.mp4");
    check(
        &["probe", video.to_str().unwrap(), "--json"],
        &demo,
        expect![[r#"
        {"kind":"video","container":"mp4","codec":"h264","width":320,"height":240,"duration":4.0,"frame_rate":25.0,"frame_count":100,"variable_frame_rate":false}
    "#]],
    );
}

#[test]
fn probe_json_is_one_object_per_file() {
    let webm = repo("crates/annoqa-media/tests/fixtures/clip.webm");
    let output = annoqa(&["probe", webm.to_str().unwrap(), "--json"]);
    assert!(output.status.success());
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (info["kind"].as_str(), info["codec"].as_str(), info["frame_count"].as_u64()),
        (Some("video"), Some("vp9"), Some(15))
    );
}

/// A stereo 16-bit WAV of `frames` frames, values chosen so every pixel differs.
fn write_wav(path: &Path, frames: i32) -> Vec<[i16; 2]> {
    let spec =
        hound::WavSpec { channels: 2, sample_rate: 1000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    let mut samples = Vec::new();
    for i in 0..frames {
        let frame = [((i * 7919) % 65536 - 32768) as i16, ((i * 104_729) % 60_000 - 30_000) as i16];
        writer.write_sample(frame[0]).unwrap();
        writer.write_sample(frame[1]).unwrap();
        samples.push(frame);
    }
    writer.finalize().unwrap();
    samples
}

/// min/max per pixel per channel, interleaved as audiowaveform writes them.
fn expected_peaks(samples: &[[i16; 2]], spp: usize) -> Vec<i16> {
    samples
        .chunks(spp)
        .flat_map(|pixel| {
            (0..2).flat_map(move |c| {
                let values = pixel.iter().map(move |f| f[c]);
                [values.clone().min().unwrap(), values.max().unwrap()]
            })
        })
        .collect()
}

fn header(dat: &[u8]) -> Vec<u32> {
    dat[..24].chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn peaks_split_channels_writes_dat_version_2_at_16_and_8_bits() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let samples = write_wav(&wav, 2500);
    let out = dir.path().join("out.dat");
    let status = annoqa(&["peaks", wav.to_str().unwrap(), "-o", out.to_str().unwrap(), "--split-channels"]);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let dat = std::fs::read(&out).unwrap();
    // Default zoom 256: 2500 frames → 9 full pixels and a final partial one.
    assert_eq!(header(&dat), [2, 0, 1000, 256, 10, 2]);
    let values: Vec<i16> = dat[24..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    assert_eq!(values, expected_peaks(&samples, 256));

    let status = annoqa(&[
        "peaks",
        wav.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--zoom",
        "100",
        "--bits",
        "8",
        "--split-channels",
    ]);
    assert!(status.status.success());
    let dat = std::fs::read(&out).unwrap();
    assert_eq!(header(&dat), [2, 1, 1000, 100, 25, 2]);
    let eight: Vec<i16> = expected_peaks(&samples, 100).iter().map(|v| v / 256).collect();
    assert_eq!(dat[24..].iter().map(|&b| i16::from(b as i8)).collect::<Vec<_>>(), eight);
}

#[test]
fn peaks_writes_json_with_pixels_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let samples = write_wav(&wav, 1000);
    let out = dir.path().join("out.json");
    let status = annoqa(&[
        "peaks",
        wav.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pixels-per-second",
        "20",
        "--split-channels",
    ]);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        (
            json["version"].as_u64(),
            json["channels"].as_u64(),
            json["sample_rate"].as_u64(),
            json["samples_per_pixel"].as_u64()
        ),
        (Some(2), Some(2), Some(1000), Some(50))
    );
    assert_eq!((json["bits"].as_u64(), json["length"].as_u64()), (Some(16), Some(20)));
    let data: Vec<i16> = json["data"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i16).collect();
    assert_eq!(data, expected_peaks(&samples, 50));
}

#[test]
fn peaks_mix_channels_down_to_a_version_1_dat_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let samples = write_wav(&wav, 700);
    let out = dir.path().join("out.dat");
    let status = annoqa(&["peaks", wav.to_str().unwrap(), "-o", out.to_str().unwrap(), "-z", "100"]);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let dat = std::fs::read(&out).unwrap();
    assert_eq!(header(&dat)[..5], [1, 0, 1000, 100, 7], "version 1 holds one channel, no channel field");
    // Each frame's mean, truncated toward zero, then min/max per pixel.
    let mixed: Vec<[i16; 2]> = samples.iter().map(|[l, r]| [((i32::from(*l) + i32::from(*r)) / 2) as i16; 2]).collect();
    let expected: Vec<i16> = expected_peaks(&mixed, 100).chunks_exact(4).flat_map(|p| [p[0], p[1]]).collect();
    let values: Vec<i16> = dat[20..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    assert_eq!(values, expected);
}

/// audiowaveform's own test files (../shared/interop-corpus, see its SOURCES.md): `annoqa peaks`
/// reproduces every reference `.dat` and `.json` from its WAV byte for byte, converts a `.dat`
/// to the `.json` audiowaveform made of it, and refuses the malformed ones as audiowaveform does.
#[test]
fn peaks_reproduce_audiowaveform_byte_for_byte() {
    let Some(corpus) = crate::interop_corpus() else { return };
    let data = corpus.join("audiowaveform/test/data");
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        ("test_file_stereo.wav", &["-z", "64", "-b", "8"], "test_file_stereo_8bit_64spp_wav.dat"),
        (
            "test_file_stereo.wav",
            &["-z", "64", "-b", "8", "--dat-version", "2"],
            "test_file_stereo_8bit_64spp_wav_v2.dat",
        ),
        ("test_file_stereo.wav", &["-z", "64", "-b", "16"], "test_file_stereo_16bit_64spp_wav.dat"),
        (
            "test_file_stereo.wav",
            &["-z", "64", "-b", "16", "--dat-version", "2"],
            "test_file_stereo_16bit_64spp_wav_v2.dat",
        ),
        ("test_file_stereo.wav", &["-z", "64", "-b", "8", "--split-channels"], "test_file_2channel_8bit_64spp_wav.dat"),
        ("test_file_mono_float32.wav", &["-z", "64", "-b", "8"], "test_file_mono_float32_8bit_64spp.dat"),
        ("test_file_stereo.wav", &["-z", "64", "-b", "8"], "test_file_stereo_8bit_64spp_wav.json"),
        ("07023003_8bit_64spp_2channel.dat", &[], "07023003_8bit_64spp_2channel.json"),
        ("test_file_stereo_8bit_64spp_wav_v2.dat", &[], "test_file_stereo_8bit_64spp_wav.json"),
    ];
    for (input, flags, reference) in cases {
        let out = dir.path().join(reference);
        let input_path = data.join(input);
        let mut args = vec!["peaks", input_path.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend_from_slice(flags);
        let run = annoqa(&args);
        assert!(run.status.success(), "{input} {flags:?}: {}", String::from_utf8_lossy(&run.stderr));
        let (ours, theirs) = (std::fs::read(&out).unwrap(), std::fs::read(data.join(reference)).unwrap());
        let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert!(
            ours == theirs,
            "{input} {flags:?} → {reference}: {} vs {} bytes, first difference at {first:?}",
            ours.len(),
            theirs.len()
        );
    }
    let refused = [
        ("not_enough_channels.dat", "0 channels (1 to 24)"),
        ("too_many_channels.dat", "25 channels (1 to 24)"),
        ("sample_rate_too_low.dat", "sample rate 0"),
        ("samples_per_pixel_too_low.dat", "0 samples per pixel (at least 2)"),
        ("version3.dat", "version 3 (only 1 and 2 exist)"),
    ];
    for (file, reason) in refused {
        let run =
            annoqa(&["peaks", data.join(file).to_str().unwrap(), "-o", dir.path().join("x.json").to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(file) && stderr.contains(reason), "{file}: {stderr}");
    }
    // Shorter than the header says: loaded, with a warning (as audiowaveform does).
    for (file, pixels) in [("size_mismatch.dat", 1800), ("zero_length.dat", 0)] {
        let out = dir.path().join("short.json");
        let run = annoqa(&["peaks", data.join(file).to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(run.status.success(), "{file}");
        assert!(String::from_utf8_lossy(&run.stderr).contains("warning:"), "{file}");
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(json["length"].as_u64(), Some(pixels), "{file}");
    }
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wav = d.join("in.wav");
    write_wav(&wav, 100);
    let bytes = std::fs::read(&wav).unwrap();
    std::fs::write(d.join("cut.wav"), &bytes[..200]).unwrap();
    std::fs::write(d.join("notes.txt"), "hello").unwrap();
    std::fs::write(d.join("empty.png"), "").unwrap();
    let p = |name: &str| d.join(name).display().to_string();
    check(
        &["peaks", &p("cut.wav"), "-o", &p("o.dat")],
        d,
        expect![[r#"
        exit 2
        error: …/cut.wav: truncated WAV: the data chunk claims 400 bytes but the file ends after 156
    "#]],
    );
    check(
        &["peaks", &p("notes.txt"), "-o", &p("o.json")],
        d,
        expect![[r#"
        exit 2
        error: …/notes.txt: invalid WAV: the file does not start with RIFF....WAVE
    "#]],
    );
    check(
        &["peaks", &p("in.wav"), "-o", &p("o.png")],
        d,
        expect![[r#"
        exit 2
        error: …/o.png: the output must end in .dat or .json
    "#]],
    );
    check(
        &["peaks", &p("in.wav"), "-o", &p("o.dat"), "--zoom", "1"],
        d,
        expect![[r#"
        exit 2
        error: …/in.wav: 1 samples per pixel is too fine: the minimum is 2 (at 1000 Hz)
    "#]],
    );
    check(
        &["peaks", &p("missing.wav"), "-o", &p("o.dat")],
        d,
        expect![[r#"
        exit 2
        error: …/missing.wav: cannot open the file: No such file or directory (os error 2)
    "#]],
    );
    check(
        &["probe", &p("notes.txt")],
        d,
        expect![[r#"
        exit 2
        error: …/notes.txt: unrecognised media format (starts with 68 65 6c 6c 6f); supported: PNG, JPEG, GIF, WebP, WAV, MP4, WebM
    "#]],
    );
    check(
        &["probe", &p("empty.png")],
        d,
        expect![[r#"
        exit 2
        error: …/empty.png: unrecognised media format (starts with nothing: the file is empty); supported: PNG, JPEG, GIF, WebP, WAV, MP4, WebM
    "#]],
    );
    let conflict = annoqa(&["peaks", &p("in.wav"), "-o", &p("o.dat"), "--zoom", "4", "--pixels-per-second", "5"]);
    assert_eq!(conflict.status.code(), Some(2));
    let bits = annoqa(&["peaks", &p("in.wav"), "-o", &p("o.dat"), "--bits", "12"]);
    assert_eq!(bits.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bits.stderr).contains("--bits must be 8 or 16, not 12"));
}
