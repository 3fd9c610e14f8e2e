//! Probing real files, compared with what ffprobe reported for them when they were made
//! (`static/demo/MEDIA.md` has the commands).

use annoqa_media::video::{self, FrameTimes};
use annoqa_media::{probe_path, Limits, MediaError, MediaInfo};
use expect_test::expect;

use crate::{demo, fixture};

fn json(info: &MediaInfo) -> String {
    serde_json::to_string(info).unwrap()
}

#[test]
fn constant_rate_mp4_matches_ffprobe() {
    // ffprobe: h264 64x48, 25/1 fps, 25 frames, 1.000000 s, B-frames with an edit list.
    let info = probe_path(&fixture("cfr.mp4"), &Limits::default()).unwrap();
    expect![[r#"{"kind":"video","container":"mp4","codec":"h264","width":64,"height":48,"duration":1.0,"frame_rate":25.0,"frame_count":25,"variable_frame_rate":false}"#]].assert_eq(&json(&info));
    let mut file = std::fs::File::open(fixture("cfr.mp4")).unwrap();
    let probe = video::probe_mp4(&mut file, &Limits::default()).unwrap();
    // After the edit list, the first frame shows at 0, as in ffprobe's pts_time list.
    assert_eq!(probe.frames.time_of(0), Some(0.0));
    assert_eq!(probe.frames.frame_at(0.5), Some(12));
}

#[test]
fn variable_rate_mp4_keeps_every_frame_time() {
    // ffprobe pts_time: 0.0 … 0.9 every 0.1 s, then 1.00 … 1.45 every 0.05 s; 20 frames.
    let mut file = std::fs::File::open(fixture("vfr.mp4")).unwrap();
    let probe = video::probe_mp4(&mut file, &Limits::default()).unwrap();
    let FrameTimes::Variable { timescale: 1000, ticks } = &probe.frames else { panic!("{:?}", probe.frames) };
    let expected: Vec<i64> = (0..10).map(|i| i * 100).chain((0..10).map(|i| 1000 + i * 50)).collect();
    assert_eq!(ticks, &expected);
    assert_eq!(probe.frames.frame_at(1.27), Some(15));
    assert_eq!((probe.info.frame_count, probe.info.duration), (20, 1.5));
    assert!(probe.info.variable_frame_rate);
    assert!((probe.info.frame_rate - 40.0 / 3.0).abs() < 1e-9, "{}", probe.info.frame_rate);
}

#[test]
fn webm_matches_ffprobe() {
    // ffprobe: vp9 64x48, 30/1 fps, 15 frames with millisecond timestamps, 0.5 s.
    let info = probe_path(&fixture("clip.webm"), &Limits::default()).unwrap();
    let MediaInfo::Video(v) = &info else { panic!("{info:?}") };
    assert_eq!((v.container.as_str(), v.codec.as_str(), v.width, v.height, v.frame_count), ("webm", "vp9", 64, 48, 15));
    assert!((v.duration - 0.5).abs() < 1e-9, "{}", v.duration);
    // Millisecond timestamps (0, 33, 67, …) are not evenly spaced, so the rate is the mean.
    assert!((v.frame_rate - 30.0).abs() < 1e-9, "{}", v.frame_rate);
    let probe = video::probe_matroska(std::fs::File::open(fixture("clip.webm")).unwrap(), &Limits::default()).unwrap();
    assert_eq!(probe.frames.time_of(2), Some(0.067));
    assert_eq!(probe.frames.frame_at(0.066), Some(1));
}

#[test]
fn demo_media_probe() {
    let image = probe_path(&demo("test-card-boxes/media/test-card.png"), &Limits::default()).unwrap();
    expect![[r#"{"kind":"image","format":"png","width":640,"height":360,"orientation":1,"display_width":640,"display_height":360}"#]].assert_eq(&json(&image));
    let audio = probe_path(&demo("meeting-speech/media/meeting.wav"), &Limits::default()).unwrap();
    expect![[r#"{"kind":"audio","container":"wav","sample_rate":16000,"channels":1,"bits_per_sample":16,"encoding":"i16","frames":76318,"duration":4.769875}"#]].assert_eq(&json(&audio));
    let video = probe_path(&demo("test-pattern-video/media/test-pattern.mp4"), &Limits::default()).unwrap();
    expect![[r#"{"kind":"video","container":"mp4","codec":"h264","width":320,"height":240,"duration":4.0,"frame_rate":25.0,"frame_count":100,"variable_frame_rate":false}"#]].assert_eq(&json(&video));
}

#[test]
fn probe_path_names_the_file() {
    let error = probe_path(&fixture("missing.png"), &Limits::default()).unwrap_err();
    assert!(error.to_string().starts_with(&fixture("missing.png").display().to_string()), "{error}");
    let text = fixture("../it/main.rs");
    let error = probe_path(&text, &Limits::default()).unwrap_err();
    assert!(matches!(error.innermost(), MediaError::UnknownFormat { .. }), "{error}");
}
