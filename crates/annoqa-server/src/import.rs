//! Reading and checking imported items: annoqa's own item JSON ([`ItemSource`]) and Label
//! Studio tasks (`{"id", "data": {...}}`), as a JSON array or JSON lines. Every item is checked
//! before any is stored; the first problem is reported with its line (or array index).

use std::collections::HashSet;

use annoqa_core::guidelines::sections;
use annoqa_core::validate::has_errors;
use annoqa_core::{validate, Item, ItemSource, Media, MediaKind, Project};
use serde_json::Value;

/// Project ids appear in paths and name the project's media folder: keep them plain.
pub fn check_project_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with(['-', '_']);
    if ok {
        Ok(())
    } else {
        Err(format!("project id `{id}` must be 1–64 characters of a–z, 0–9, `-` and `_`, starting with a letter or digit"))
    }
}

/// Splits an import body into `(where, value)` entries: a JSON array (`item 1`, `item 2`, …)
/// or JSON lines (`line 1`, …; blank lines skipped).
pub fn entries(body: &[u8], json_lines: bool) -> Result<Vec<(String, Value)>, String> {
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

/// One entry as an [`ItemSource`]: annoqa's form, or a Label Studio task whose `data` holds
/// the media under the key of the project's media kind (`text`, `image`, `audio`, `video`).
pub fn item_source(at: &str, value: Value, media: MediaKind) -> Result<ItemSource, String> {
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
        data.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("{at}: `data.{key}` must be a string"))
    };
    let number = |key: &str| {
        data.get(key).and_then(Value::as_f64).ok_or_else(|| format!("{at}: `data.{key}` must be a number (annoqa needs it)"))
    };
    let dimension = |key: &str| -> Result<u32, String> {
        let n = number(key)?;
        if n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n) {
            Ok(n as u32)
        } else {
            Err(format!("{at}: `data.{key}` must be a positive whole number"))
        }
    };
    let media = match media {
        MediaKind::Text => Media::Text { text: string("text")? },
        MediaKind::Image => Media::Image { src: string("image")?, width: dimension("width")?, height: dimension("height")? },
        MediaKind::Audio => Media::Audio { src: string("audio")?, duration: number("duration")?, sample_rate: None, channels: None },
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

/// Checks items for a project: ids unique (also against `existing`), media of the project's
/// kind, gold answers valid and their guideline links resolving. Returns the items or the first
/// problem, prefixed with where it is.
pub fn check_items(project: &Project, existing: &[String], items: Vec<(String, ItemSource)>) -> Result<Vec<ItemSource>, String> {
    let anchors: HashSet<String> = sections(&project.guidelines).into_iter().map(|s| s.anchor).collect();
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
            if let Some(anchor) = gold.guideline.as_ref().filter(|a| !anchors.contains(*a)) {
                return Err(format!("{at}: gold links to guideline section `{anchor}`, which does not exist"));
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
