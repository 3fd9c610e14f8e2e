//! Reading and checking imported items: annoqa's own item JSON ([`ItemSource`] with optional
//! `predictions`) and Label Studio tasks (`{"id", "data": {...}}`), as a JSON array or JSON
//! lines. The body is read as it arrives, one entry at a time, straight into typed items (never
//! a `serde_json::Value` of the whole body). Every item is checked before any is stored; the
//! first problem is reported with its line (or array index).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use annoqa_core::{check_gold, check_limits, check_spec, has_errors, ControlKind, Region, Severity, TaskSpec};
use annoqa_core::{validate, Item, ItemSource, Media, MediaKind, Project};
use annoqa_media::MediaInfo;
use serde::de::{Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::checks::short_id;
use crate::store::NewItem;

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

/// Most items one import may hold. Checked items wait in memory until they are stored in one
/// transaction, so their number is bounded as well as the body's bytes.
pub(crate) const MAX_IMPORT_ITEMS: usize = 100_000;

/// Why an import body was refused.
#[derive(Debug)]
pub(crate) enum ImportError {
    /// An entry is bad (or the body is not an array / JSON lines): the message names the entry.
    Invalid(String),
    /// More than [`MAX_IMPORT_ITEMS`] entries.
    TooManyItems,
    /// The body could not be read to its end: the client went away or sent too much.
    Read(std::io::Error),
}

impl From<String> for ImportError {
    fn from(message: String) -> ImportError {
        ImportError::Invalid(message)
    }
}

/// Reads an import body as it arrives — a JSON array element by element, or JSON lines line by
/// line — and turns each entry into an item ready to store: read ([`read_entry`]), probed
/// against the media root ([`probe_item`]) and checked with its predictions ([`ItemChecker`]).
/// Only the entry at hand is held as JSON text; the first problem ends the import, naming its
/// entry (`item 3`, `line 7`).
pub(crate) fn read_items(
    body: impl Read,
    json_lines: bool,
    project: &Project,
    existing: &[String],
    root: &MediaRoot,
) -> Result<Vec<NewItem>, ImportError> {
    let mut checker = ItemChecker::new(project, existing);
    let mut items = Vec::new();
    let mut accept = |at: &str, json: &str| -> Result<(), ImportError> {
        if items.len() == MAX_IMPORT_ITEMS {
            return Err(ImportError::TooManyItems);
        }
        let (source, predictions) = read_entry(at, json, project.spec.media, Some(root))?;
        let (source, media_info) = probe_item(at, source, root)?;
        checker.check(at, &source, &predictions)?;
        items.push(NewItem { source, predictions, media_info });
        Ok(())
    };
    let body = BufReader::with_capacity(64 * 1024, body);
    if json_lines {
        each_line(body, &mut accept)?;
    } else {
        each_element(body, &mut accept)?;
    }
    Ok(items)
}

/// Calls `accept` with each non-blank line (`line 1`, …; blank lines count but are skipped).
fn each_line(
    mut body: impl BufRead,
    accept: &mut impl FnMut(&str, &str) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if body.read_until(b'\n', &mut line).map_err(ImportError::Read)? == 0 {
            return Ok(());
        }
        number += 1;
        let at = format!("line {number}");
        let text = std::str::from_utf8(&line).map_err(|e| format!("{at}: not UTF-8: {e}"))?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            continue;
        }
        crate::json::check_shape(text.as_bytes()).map_err(|e| format!("{at}: {e}"))?;
        serde_json::from_str::<IgnoredAny>(text).map_err(|e| format!("{at}: not JSON: {e}"))?;
        accept(&at, text)?;
    }
}

/// Calls `accept` with the text of each element of a JSON array (`item 1`, …), parsing the
/// array as it is read: serde's [`SeqAccess`] hands over one element at a time.
fn each_element(
    body: impl Read,
    accept: &mut impl FnMut(&str, &str) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut deserializer = serde_json::Deserializer::from_reader(body);
    let mut index = 0usize;
    let mut stopped = None;
    let read = deserializer.deserialize_seq(Elements { accept, index: &mut index, stopped: &mut stopped });
    if let Some(problem) = stopped {
        return Err(problem);
    }
    let not_json = |error: serde_json::Error, at: String| {
        if error.is_io() {
            ImportError::Read(error.into())
        } else {
            ImportError::Invalid(format!("{at}not JSON: {error}"))
        }
    };
    match read {
        Ok(()) => deserializer.end().map_err(|e| not_json(e, "after the array: ".into())),
        Err(e) if index == 0 && e.is_data() => {
            Err(ImportError::Invalid("the body must be a JSON array of items".into()))
        }
        Err(e) if index == 0 => Err(not_json(e, String::new())),
        Err(e) => Err(not_json(e, format!("item {index}: "))),
    }
}

/// The array visitor of [`each_element`]. A problem `accept` finds is kept in `stopped`, since
/// serde's error type can only carry text.
struct Elements<'a, F> {
    accept: &'a mut F,
    index: &'a mut usize,
    stopped: &'a mut Option<ImportError>,
}

impl<'de, F: FnMut(&str, &str) -> Result<(), ImportError>> Visitor<'de> for Elements<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            *self.index += 1;
            let Some(element) = seq.next_element::<Box<RawValue>>()? else { return Ok(()) };
            let at = format!("item {}", self.index);
            let checked = crate::json::check_shape(element.get().as_bytes())
                .map_err(|e| ImportError::Invalid(format!("{at}: {e}")))
                .and_then(|()| (self.accept)(&at, element.get()));
            if let Err(error) = checked {
                *self.stopped = Some(error);
                return Err(A::Error::custom("the import stopped at a bad item"));
            }
        }
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
        // The file's own error, not the wrapper naming its absolute path: this reaches clients.
        Some(
            annoqa_media::probe_path(&resolved, &limits)
                .map_err(|e| format!("media `{src}` cannot be read: {}", e.innermost())),
        )
    }
}

/// One entry (its JSON text) as an [`ItemSource`] with its predictions: annoqa's form (with
/// [`read_predictions`]), or a Label Studio task whose `data` holds the media under the key of
/// the project's media kind (`text`, `image`, `audio`, `video`). A Label Studio task's image,
/// audio or video without its dimensions gets them by probing the file in the media root; its
/// `predictions` are not read here (`?format=ls` reads them, see `import_formats`).
pub(crate) fn read_entry(
    at: &str,
    json: &str,
    media: MediaKind,
    root: Option<&MediaRoot>,
) -> Result<(ItemSource, Vec<Region>), String> {
    let is_label_studio = serde_json::from_str::<EntryForm>(json).is_ok_and(|form| form.is_label_studio);
    if !is_label_studio {
        let source: ItemSource = serde_json::from_str(json).map_err(|e| format!("{at}: not a valid item: {e}"))?;
        let predictions = read_predictions(at, &source.item.id, json)?;
        return Ok((source, predictions));
    }
    let task: LabelStudioTask =
        serde_json::from_str(json).map_err(|e| format!("{at}: not a valid Label Studio task: {e}"))?;
    Ok((label_studio_item(at, task, media, root)?, Vec::new()))
}

/// The `predictions` of an entry in annoqa's form (`item_id`'s): regions in the annotation
/// format, each read on its own so that a bad one is named by its index. Absent or `null`:
/// none.
pub(crate) fn read_predictions(at: &str, item_id: &str, json: &str) -> Result<Vec<Region>, String> {
    #[derive(Deserialize)]
    struct Field<'a> {
        #[serde(borrow, default)]
        predictions: Option<Vec<&'a RawValue>>,
    }
    let field: Field<'_> = serde_json::from_str(json).map_err(|e| format!("{at}: not a valid item: {e}"))?;
    let predictions = field.predictions.unwrap_or_default();
    let mut regions = Vec::with_capacity(predictions.len());
    for (index, raw) in predictions.iter().enumerate() {
        let region = serde_json::from_str(raw.get()).map_err(|e| {
            format!("{at}: item `{}`: predictions[{index}]: not a valid region: {e}", short_id(item_id))
        })?;
        regions.push(region);
    }
    Ok(regions)
}

fn label_studio_item(
    at: &str,
    task: LabelStudioTask,
    media: MediaKind,
    root: Option<&MediaRoot>,
) -> Result<ItemSource, String> {
    let id = match task.id {
        Scalar::String(s) => s,
        Scalar::Number(n) => n.to_string(),
        Scalar::Missing => return Err(format!("{at}: a Label Studio task needs an `id`")),
        Scalar::Object | Scalar::Other => return Err(format!("{at}: `id` must be a string or a number")),
    };
    let data = task.data;
    let string = |key: &str| match data.get(key) {
        Some(Scalar::String(s)) => Ok(s.clone()),
        _ => Err(format!("{at}: `data.{key}` must be a string")),
    };
    let number = |key: &str| match data.get(key) {
        Some(Scalar::Number(n)) => n.as_f64().ok_or_else(|| format!("{at}: `data.{key}` is out of range")),
        _ => Err(format!(
            "{at}: `data.{key}` must be a number (or put the file in the project's media root to have it probed)"
        )),
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
/// kind, gold answers valid and their guideline links resolving, predictions valid. Returns the
/// first problem, prefixed with where it is (the `String` beside each item).
pub(crate) fn check_items(project: &Project, existing: &[String], items: &[(String, NewItem)]) -> Result<(), String> {
    let mut checker = ItemChecker::new(project, existing);
    for (at, item) in items {
        checker.check(at, &item.source, &item.predictions)?;
    }
    Ok(())
}

/// [`check_items`] one item at a time, for imports read as they arrive: it remembers the ids
/// seen so far.
pub(crate) struct ItemChecker<'a> {
    project: &'a Project,
    ids: HashSet<String>,
    /// The spec predictions are checked against ([`prediction_spec`]).
    prediction_spec: TaskSpec,
}

impl<'a> ItemChecker<'a> {
    pub(crate) fn new(project: &'a Project, existing: &[String]) -> ItemChecker<'a> {
        ItemChecker {
            project,
            ids: existing.iter().cloned().collect(),
            prediction_spec: prediction_spec(&project.spec),
        }
    }

    /// The first problem of `source` and its `predictions`, prefixed with `at`.
    pub(crate) fn check(&mut self, at: &str, source: &ItemSource, predictions: &[Region]) -> Result<(), String> {
        let project = self.project;
        let id = &source.item.id;
        if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
            return Err(format!("{at}: item id must be 1–200 characters without control characters"));
        }
        if !self.ids.insert(id.clone()) {
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
        self.check_predictions(at, &source.item, predictions)
    }

    /// Predictions are checked like an annotation (ids present and unique, the spec's limits,
    /// then validation) against [`prediction_spec`]: the first error refuses the item, naming
    /// the prediction by its index in the list.
    fn check_predictions(&self, at: &str, item: &Item, predictions: &[Region]) -> Result<(), String> {
        if predictions.is_empty() {
            return Ok(());
        }
        // `line 3: item `card-3``; an `at` that is `item `card-3`` already stays as it is.
        let named = format!("item `{}`", short_id(&item.id));
        let at = if at == named { named } else { format!("{at}: {named}") };
        let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(predictions.len());
        for (index, prediction) in predictions.iter().enumerate() {
            if prediction.id.is_empty() {
                return Err(format!(
                    "{at}: predictions[{index}]: a prediction needs an `id` (a submission reports by id which \
                     predictions it kept, edited or deleted)"
                ));
            }
            if let Some(first) = index_of.insert(&prediction.id, index) {
                return Err(format!(
                    "{at}: predictions[{index}]: id `{}` is used twice (also by predictions[{first}])",
                    short_id(&prediction.id)
                ));
            }
        }
        check_limits(&self.prediction_spec, predictions).map_err(|e| format!("{at}: predictions: {e}"))?;
        let findings = validate(&self.prediction_spec, item, predictions);
        let mut errors = findings.iter().filter(|f| f.severity == Severity::Error);
        let Some(first) = errors.next() else { return Ok(()) };
        let place = first
            .regions
            .first()
            .and_then(|id| index_of.get(id.as_str()))
            .map_or_else(|| "predictions".to_string(), |index| format!("predictions[{index}]"));
        let more = match errors.count() {
            0 => String::new(),
            n => format!(" (and {n} more errors in its predictions)"),
        };
        Err(format!("{at}: {place}: {}{more}", first.message))
    }
}

/// The spec predictions are checked against: the project's without what only a finished answer
/// must meet — required controls, required rationales, the project's rules (counts, sizes,
/// overlaps, …). Predictions are where the annotator starts; the workspace shows those findings
/// and they are met by the time the answer is submitted. Everything else is checked: a
/// prediction with a coordinate outside the media, an unknown control or label, a span off the
/// text is refused.
fn prediction_spec(spec: &TaskSpec) -> TaskSpec {
    let mut spec = spec.clone();
    spec.rules.clear();
    for control in &mut spec.controls {
        control.required = false;
        if let ControlKind::Pairwise { rationale_required, .. } = &mut control.kind {
            *rationale_required = false;
        }
    }
    spec
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

/// Probes the item's media file when it lies in the media root, and checks the item's metadata
/// against the file: a mismatch (say, width 640 for a 320-pixel image) would make every
/// geometry check wrong. Returns the item with its metadata as JSON for storage.
pub(crate) fn probe_item(
    at: &str,
    source: ItemSource,
    root: &MediaRoot,
) -> Result<(ItemSource, Option<String>), String> {
    let src = match &source.item.media {
        Media::Text { .. } => return Ok((source, None)),
        Media::Image { src, .. } | Media::Audio { src, .. } | Media::Video { src, .. } => src.clone(),
    };
    let Some(probed) = root.probe(&src) else { return Ok((source, None)) };
    let info = probed.map_err(|e| format!("{at}: {e}"))?;
    check_against(&source.item.media, &info.to_core_media(src)).map_err(|e| format!("{at}: {e}"))?;
    let info = serde_json::to_string(&info).map_err(|e| format!("{at}: {e}"))?;
    Ok((source, Some(info)))
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

/// Whether an entry is a Label Studio task (a `data` object and no `media`), read without
/// building the entry.
struct EntryForm {
    is_label_studio: bool,
}

impl<'de> Deserialize<'de> for EntryForm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EntryForm, D::Error> {
        struct Form;
        impl<'de> Visitor<'de> for Form {
            type Value = EntryForm;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryForm, A::Error> {
                let (mut data_is_object, mut has_media) = (false, false);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "data" => data_is_object = matches!(map.next_value::<Scalar>()?, Scalar::Object),
                        "media" => {
                            map.next_value::<IgnoredAny>()?;
                            has_media = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(EntryForm { is_label_studio: data_is_object && !has_media })
            }
        }
        deserializer.deserialize_map(Form)
    }
}

/// A Label Studio task as far as annoqa reads it; `annotations`, `predictions` and other keys
/// are skipped unread.
#[derive(Deserialize)]
struct LabelStudioTask {
    #[serde(default)]
    id: Scalar,
    #[serde(default)]
    data: HashMap<String, Scalar>,
}

/// One JSON value where a string or a number belongs; anything else is only told apart.
#[derive(Default)]
enum Scalar {
    #[default]
    Missing,
    String(String),
    Number(serde_json::Number),
    Object,
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        struct Value;
        impl<'de> Visitor<'de> for Value {
            type Value = Scalar;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::String(s.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Scalar, E> {
                Ok(Scalar::String(s))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.into()))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(serde_json::Number::from_f64(n).map_or(Scalar::Other, Scalar::Number))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Object)
            }
        }
        deserializer.deserialize_any(Value)
    }
}
