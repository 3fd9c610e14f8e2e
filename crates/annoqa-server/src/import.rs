//! Reading and checking imported items: annoqa's own item JSON ([`ItemSource`]) and Label
//! Studio tasks (`{"id", "data": {...}}`), as a JSON array or JSON lines. Every item is checked
//! before any is stored; the first problem is reported with its line (or array index).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use annoqa_core::{check_gold, check_spec, has_errors, TaskSpec};
use annoqa_core::{validate, Item, ItemSource, Media, MediaKind, Project};
use annoqa_media::MediaInfo;
use serde_json::Value;

/// Project ids appear in paths and name the project's media folder: keep them plain.
pub(crate) fn check_project_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with(['-', '_']);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "project id `{id}` must be 1–64 characters of a–z, 0–9, `-` and `_`, starting with a letter or digit"
        ))
    }
}

/// Splits an import body into `(where, value)` entries: a JSON array (`item 1`, `item 2`, …)
/// or JSON lines (`line 1`, …; blank lines skipped).
pub(crate) fn entries(body: &[u8], json_lines: bool) -> Result<Vec<(String, Value)>, String> {
    if json_lines {
        let text = std::str::from_utf8(body).map_err(|e| format!("the body is not UTF-8: {e}"))?;
        let mut out = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            crate::json::check_shape(line.as_bytes()).map_err(|e| format!("line {}: {e}", index + 1))?;
            let value = serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", index + 1))?;
            out.push((format!("line {}", index + 1), value));
        }
        Ok(out)
    } else {
        crate::json::check_shape(body)?;
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Array(values) = value else { return Err("the body must be a JSON array of items".into()) };
        Ok(values.into_iter().enumerate().map(|(i, v)| (format!("item {}", i + 1), v)).collect())
    }
}

/// `relative` as a path under `root` if it is made only of plain names: no `..`, `.`, empty
/// segment, backslash, NUL, drive prefix or leading `/`. (Symlinks are the caller's business:
/// resolve and compare with the resolved root.)
pub(crate) fn contained_path(root: &Path, relative: &str) -> Option<PathBuf> {
    if relative.is_empty() || relative.contains(['\\', '\0']) || relative.starts_with('/') {
        return None;
    }
    let mut path = root.to_path_buf();
    for segment in relative.split('/') {
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) if !segment.contains(':') => path.push(name),
            _ => return None,
        }
    }
    Some(path)
}

/// Probes media files that live in a project's media root (annoqa-media reads their headers).
#[derive(Debug)]
pub(crate) struct MediaRoot {
    pub root: PathBuf,
}

impl MediaRoot {
    /// The probed metadata of `src` when it names a file in the root; `None` for URLs, absolute
    /// paths and files that are not there (served from elsewhere).
    pub(crate) fn probe(&self, src: &str) -> Option<Result<MediaInfo, String>> {
        let path = contained_path(&self.root, src)?;
        let root = self.root.canonicalize().ok()?;
        let resolved = path.canonicalize().ok()?;
        if !resolved.starts_with(&root) || !resolved.is_file() {
            return None;
        }
        let limits = annoqa_media::Limits::default();
        Some(annoqa_media::probe_path(&resolved, &limits).map_err(|e| format!("media `{src}` cannot be read: {e}")))
    }
}

/// One entry as an [`ItemSource`]: annoqa's form, or a Label Studio task whose `data` holds
/// the media under the key of the project's media kind (`text`, `image`, `audio`, `video`).
/// A Label Studio task's image, audio or video without its dimensions gets them by probing the
/// file in the media root.
pub(crate) fn item_source(
    at: &str,
    value: Value,
    media: MediaKind,
    root: Option<&MediaRoot>,
) -> Result<ItemSource, String> {
    let is_label_studio = value.get("data").is_some_and(Value::is_object) && value.get("media").is_none();
    if !is_label_studio {
        return serde_json::from_value(value).map_err(|e| format!("{at}: not a valid item: {e}"));
    }
    let id = match value.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(format!("{at}: `id` must be a string or a number")),
        None => return Err(format!("{at}: a Label Studio task needs an `id`")),
    };
    let data = value.get("data").and_then(Value::as_object).ok_or_else(|| format!("{at}: `data` must be an object"))?;
    let string = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{at}: `data.{key}` must be a string"))
    };
    let number = |key: &str| {
        data.get(key).and_then(Value::as_f64).ok_or_else(|| {
            format!(
                "{at}: `data.{key}` must be a number (or put the file in the project's media root to have it probed)"
            )
        })
    };
    let dimension = |key: &str| -> Result<u32, String> {
        let n = number(key)?;
        if n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n) {
            Ok(n as u32)
        } else {
            Err(format!("{at}: `data.{key}` must be a positive whole number"))
        }
    };
    let key = match media {
        MediaKind::Text => "text",
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    };
    let has_metadata = ["width", "duration"].iter().any(|k| data.contains_key(*k));
    if media != MediaKind::Text && !has_metadata {
        let src = string(key)?;
        if let Some(probed) = root.and_then(|r| r.probe(&src)) {
            let info = probed.map_err(|e| format!("{at}: {e}"))?;
            let core = info.to_core_media(src);
            if core.kind() != media {
                return Err(format!("{at}: `data.{key}` is a {:?} file", core.kind()));
            }
            return Ok(ItemSource { item: Item { id, media: core, candidates: Vec::new() }, gold: None });
        }
    }
    let media = match media {
        MediaKind::Text => Media::Text { text: string("text")? },
        MediaKind::Image => {
            Media::Image { src: string("image")?, width: dimension("width")?, height: dimension("height")? }
        }
        MediaKind::Audio => {
            Media::Audio { src: string("audio")?, duration: number("duration")?, sample_rate: None, channels: None }
        }
        MediaKind::Video => Media::Video {
            src: string("video")?,
            width: dimension("width")?,
            height: dimension("height")?,
            frame_rate: number("frame_rate")?,
            frame_count: dimension("frame_count")?,
        },
    };
    Ok(ItemSource { item: Item { id, media, candidates: Vec::new() }, gold: None })
}

/// The one spec check of annoqa-core as one message naming each problem's field: the same
/// words `annoqa validate` prints for the same spec.
pub(crate) fn check_project_spec(spec: &TaskSpec, guidelines: &str) -> Result<(), String> {
    let problems: Vec<String> = check_spec(spec, Some(guidelines)).iter().map(ToString::to_string).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("invalid spec: {}", problems.join("; ")))
    }
}

/// Checks items for a project: ids unique (also against `existing`), media of the project's
/// kind, gold answers valid and their guideline links resolving. Returns the items or the first
/// problem, prefixed with where it is.
pub(crate) fn check_items(
    project: &Project,
    existing: &[String],
    items: Vec<(String, ItemSource)>,
) -> Result<Vec<ItemSource>, String> {
    let mut ids: HashSet<String> = existing.iter().cloned().collect();
    let mut out = Vec::with_capacity(items.len());
    for (at, source) in items {
        let id = &source.item.id;
        if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
            return Err(format!("{at}: item id must be 1–200 characters without control characters"));
        }
        if !ids.insert(id.clone()) {
            return Err(format!("{at}: item id `{id}` is used twice"));
        }
        if source.item.media.kind() != project.spec.media {
            return Err(format!("{at}: item media is not {:?}", project.spec.media));
        }
        check_media_src(&source.item.media).map_err(|e| format!("{at}: {e}"))?;
        if let Some(gold) = &source.gold {
            let findings = validate(&project.spec, &source.item, &gold.answer);
            if has_errors(&findings) {
                let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
                return Err(format!("{at}: the gold answer itself is invalid: {}", messages.join("; ")));
            }
            let problems: Vec<String> =
                check_gold(&project.spec, Some(&project.guidelines), gold).iter().map(ToString::to_string).collect();
            if !problems.is_empty() {
                return Err(format!("{at}: {}", problems.join("; ")));
            }
        }
        out.push(source);
    }
    Ok(out)
}

/// Media URLs reach the browser as `src` attributes: only plain relative paths, `/…` paths on
/// this server, or http(s) URLs — never `javascript:` or `data:` URLs.
fn check_media_src(media: &Media) -> Result<(), String> {
    let src = match media {
        Media::Text { .. } => return Ok(()),
        Media::Image { src, .. } | Media::Audio { src, .. } | Media::Video { src, .. } => src,
    };
    let lower = src.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains('/'));
    match scheme {
        None | Some("http" | "https") if !src.chars().any(char::is_control) => Ok(()),
        _ => Err(format!("media src `{src}` must be a relative path or an http(s) URL")),
    }
}

/// Probes each item's media file when it lies in the media root, and checks the item's metadata
/// against the file: a mismatch (say, width 640 for a 320-pixel image) would make every
/// geometry check wrong. Returns the items with their metadata as JSON for storage.
pub(crate) fn probe_items(
    items: Vec<(String, ItemSource)>,
    root: &MediaRoot,
) -> Result<Vec<(String, ItemSource, Option<String>)>, String> {
    let mut out = Vec::with_capacity(items.len());
    for (at, source) in items {
        let src = match &source.item.media {
            Media::Text { .. } => None,
            Media::Image { src, .. } | Media::Audio { src, .. } | Media::Video { src, .. } => Some(src.clone()),
        };
        let info = match src.and_then(|src| root.probe(&src).map(|p| (src, p))) {
            None => None,
            Some((src, probed)) => {
                let info = probed.map_err(|e| format!("{at}: {e}"))?;
                check_against(&source.item.media, &info.to_core_media(src)).map_err(|e| format!("{at}: {e}"))?;
                Some(serde_json::to_string(&info).map_err(|e| format!("{at}: {e}"))?)
            }
        };
        out.push((at, source, info));
    }
    Ok(out)
}

pub(crate) fn check_against(declared: &Media, probed: &Media) -> Result<(), String> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * a.abs().max(b.abs()).max(1.0);
    match (declared, probed) {
        (Media::Image { width, height, .. }, Media::Image { width: w, height: h, .. }) if (width, height) != (w, h) => {
            Err(format!("the item says {width}×{height} but the image is {w}×{h}"))
        }
        (Media::Audio { duration, .. }, Media::Audio { duration: d, .. }) if !close(*duration, *d) => {
            Err(format!("the item says {duration} s but the audio lasts {d} s"))
        }
        (Media::Video { width, height, frame_count, .. }, Media::Video { width: w, height: h, frame_count: n, .. })
            if (width, height, frame_count) != (w, h, n) =>
        {
            Err(format!("the item says {width}×{height}, {frame_count} frames but the video is {w}×{h}, {n} frames"))
        }
        (a, b) if a.kind() != b.kind() => Err(format!("the item is {:?} but the file is {:?}", a.kind(), b.kind())),
        _ => Ok(()),
    }
}
