//! Built-in geometry and time checks of media regions: every coordinate finite, every region
//! inside its media, polygons simple, segments ordered and inside the duration, keyframes
//! ordered and inside the video. One function per region kind, each returning its problems
//! (or the media the kind needs, when the item has another).

use super::{error, FindingExt};
use crate::finding::Finding;
use crate::geometry::{box_in_media, box_is_rotated, point_in_media, polygon_in_media, polygon_problem};
use crate::{BoxGeometry, Control, ControlKind, Item, Keyframe, Media, Region, RegionValue};

/// A problem as (finding code, message).
type Problems = Vec<(&'static str, String)>;

/// The region needs another kind of media; the words say which regions ("boxes").
struct WrongMedia(&'static str);

pub(super) fn check_media_regions(control: &Control, item: &Item, answers: &[&Region], findings: &mut Vec<Finding>) {
    for region in answers {
        let id = region.id.as_str();
        let media = &item.media;
        let problems = match &region.value {
            RegionValue::BBox { x, y, width, height, rotation, label } => {
                let b = BoxGeometry { x: *x, y: *y, width: *width, height: *height, rotation: *rotation };
                box_problems(id, label, &b, None, media)
            }
            RegionValue::VideoBox { x, y, width, height, rotation, label, frame } => {
                let b = BoxGeometry { x: *x, y: *y, width: *width, height: *height, rotation: *rotation };
                box_problems(id, label, &b, Some(*frame), media)
            }
            RegionValue::Polygon { points, label } => polygon_problems(id, label, points, media),
            RegionValue::Keypoint { x, y, label } => keypoint_problems(id, label, *x, *y, media),
            RegionValue::AudioSegment { start, end, label, transcript } => {
                let transcribed = matches!(control.kind, ControlKind::AudioSegments { transcript: true });
                audio_problems(id, label, (*start, *end), media).map(|mut problems| {
                    if !transcribed && transcript.is_some() {
                        problems.push(("unexpected_transcript", format!("`{}` takes no transcripts", control.name)));
                    }
                    problems
                })
            }
            RegionValue::VideoTrack { keyframes, label } => track_problems(id, label, keyframes, media),
            RegionValue::VideoSegment { start_frame, end_frame, label } => {
                video_segment_problems(id, label, (*start_frame, *end_frame), media)
            }
            RegionValue::Choice { .. }
            | RegionValue::TextSpan { .. }
            | RegionValue::Pairwise { .. }
            | RegionValue::TextArea { .. }
            | RegionValue::Ranking { .. } => Ok(Vec::new()),
        };
        match problems {
            Ok(problems) => findings
                .extend(problems.into_iter().map(|(code, message)| error(code, Some(control), message).on(&[region]))),
            Err(WrongMedia(what)) => findings.push(
                error("wrong_media", Some(control), format!("{what} need {} items", media_word(control))).on(&[region]),
            ),
        }
    }
}

fn media_word(control: &Control) -> &'static str {
    match control.kind {
        ControlKind::AudioSegments { .. } => "audio",
        ControlKind::VideoBoxes | ControlKind::VideoTracks | ControlKind::VideoSegments => "video",
        _ => "image or video",
    }
}

/// Frame size in pixels of an image or video item.
fn frame_size(media: &Media) -> Option<(f64, f64)> {
    match media {
        Media::Image { width, height, .. } | Media::Video { width, height, .. } => {
            Some((f64::from(*width), f64::from(*height)))
        }
        _ => None,
    }
}

fn describe(b: &BoxGeometry) -> String {
    let turned = if box_is_rotated(b) { format!(", turned {:.1}°", b.rotation) } else { String::new() };
    format!("({:.1}, {:.1}, {:.1}×{:.1}{turned})", b.x, b.y, b.width, b.height)
}

fn last_frame(frame_count: u32) -> u32 {
    frame_count.saturating_sub(1)
}

fn box_problems(
    id: &str,
    label: &str,
    b: &BoxGeometry,
    frame: Option<u32>,
    media: &Media,
) -> Result<Problems, WrongMedia> {
    let (w, h) = frame_size(media).ok_or(WrongMedia("boxes"))?;
    let mut out = Vec::new();
    if ![b.x, b.y, b.width, b.height, b.rotation].iter().all(|v| v.is_finite()) {
        out.push(("not_finite", format!("{label} box `{id}` has a coordinate that is not a number")));
    } else if b.width <= 0.0 || b.height <= 0.0 {
        out.push(("empty_box", format!("{label} box `{id}` has no area {}", describe(b))));
    } else if !box_in_media(b, w, h) {
        out.push(("outside_media", format!("{label} box `{id}` {} reaches outside the {w}×{h} frame", describe(b))));
    }
    if let (Some(frame), Media::Video { frame_count, .. }) = (frame, media) {
        if frame >= *frame_count {
            out.push((
                "outside_frames",
                format!("{label} box `{id}` is on frame {frame}; the video has frames 0–{}", last_frame(*frame_count)),
            ));
        }
    }
    Ok(out)
}

fn polygon_problems(id: &str, label: &str, points: &[[f64; 2]], media: &Media) -> Result<Problems, WrongMedia> {
    let (w, h) = frame_size(media).ok_or(WrongMedia("polygons"))?;
    Ok(if let Some(p) = polygon_problem(points) {
        vec![("invalid_polygon", format!("{label} polygon `{id}`: {p}"))]
    } else if !polygon_in_media(points, w, h) {
        vec![("outside_media", format!("{label} polygon `{id}` reaches outside the {w}×{h} frame"))]
    } else {
        Vec::new()
    })
}

fn keypoint_problems(id: &str, label: &str, x: f64, y: f64, media: &Media) -> Result<Problems, WrongMedia> {
    let (w, h) = frame_size(media).ok_or(WrongMedia("keypoints"))?;
    Ok(if !x.is_finite() || !y.is_finite() {
        vec![("not_finite", format!("{label} keypoint `{id}` has a coordinate that is not a number"))]
    } else if !point_in_media(x, y, w, h) {
        vec![("outside_media", format!("{label} keypoint `{id}` ({x:.1}, {y:.1}) lies outside the {w}×{h} frame"))]
    } else {
        Vec::new()
    })
}

fn audio_problems(id: &str, label: &str, (start, end): (f64, f64), media: &Media) -> Result<Problems, WrongMedia> {
    let Media::Audio { duration, .. } = media else { return Err(WrongMedia("audio segments")) };
    Ok(if !start.is_finite() || !end.is_finite() {
        vec![("not_finite", format!("{label} segment `{id}` has a time that is not a number"))]
    } else if start >= end {
        vec![("empty_segment", format!("{label} segment `{id}` ends ({end:.3} s) before it starts ({start:.3} s)"))]
    } else if start < 0.0 || end > *duration {
        vec![(
            "outside_media",
            format!("{label} segment `{id}` {start:.3}–{end:.3} s lies outside the {duration:.3} s recording"),
        )]
    } else {
        Vec::new()
    })
}

fn track_problems(id: &str, label: &str, keyframes: &[Keyframe], media: &Media) -> Result<Problems, WrongMedia> {
    let Media::Video { width, height, frame_count, .. } = media else { return Err(WrongMedia("tracks")) };
    let mut out = Vec::new();
    if keyframes.is_empty() {
        out.push(("empty_track", format!("{label} track `{id}` has no keyframes")));
    }
    if keyframes.windows(2).any(|k| k[0].frame >= k[1].frame) {
        out.push(("keyframes_unordered", format!("{label} track `{id}` has keyframes out of order or repeated")));
    }
    // The first bad keyframe is reported; the rest of the track likely shares its problem.
    for k in keyframes {
        let b = k.geometry();
        if k.frame >= *frame_count {
            out.push((
                "outside_frames",
                format!(
                    "{label} track `{id}` has a keyframe on frame {}; the video has frames 0–{}",
                    k.frame,
                    last_frame(*frame_count)
                ),
            ));
            break;
        }
        let visible_box_ok = b.width > 0.0 && b.height > 0.0 && box_in_media(&b, f64::from(*width), f64::from(*height));
        if !k.outside && !visible_box_ok {
            out.push((
                "outside_media",
                format!(
                    "{label} track `{id}` at frame {}: box {} is empty or outside the frame",
                    k.frame,
                    describe(&b)
                ),
            ));
            break;
        }
    }
    Ok(out)
}

fn video_segment_problems(
    id: &str,
    label: &str,
    (start, end): (u32, u32),
    media: &Media,
) -> Result<Problems, WrongMedia> {
    let Media::Video { frame_count, .. } = media else { return Err(WrongMedia("video segments")) };
    Ok(if start > end {
        vec![("empty_segment", format!("{label} segment `{id}` ends (frame {end}) before it starts (frame {start})"))]
    } else if end >= *frame_count {
        vec![(
            "outside_frames",
            format!("{label} segment `{id}` ends on frame {end}; the video has frames 0–{}", last_frame(*frame_count)),
        )]
    } else {
        Vec::new()
    })
}
