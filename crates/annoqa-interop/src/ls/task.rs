//! One Label Studio task → records: one per annotation and per prediction, the item's media
//! from the task's data and its results' sizes.

use std::borrow::Cow;
use std::collections::HashMap;

use annoqa_core::model::{Item, Media, MediaKind, Region, RegionValue};

use super::config::{other_reason, ControlRole, ControlTag, LsConfig, DEFAULT_FRAME_RATE};
use super::json::{id_cow, id_text, At, Obj, Path};
use super::read::{model_version, payload_config};
use super::results::{attribute_text, region_values, Cx, LsResult, MediaFacts, Target};
use super::text::CodePoints;
use super::value::{Json, Object};
use crate::diag::{Diagnostics, InputError};
use crate::hash::{FastMap, FastSet};
use crate::record::{ReadOptions, Record, Source};

/// Reads tasks with one labeling config (given, from a webhook payload, or none).
pub(super) struct TaskReader<'o> {
    opts: &'o ReadOptions<'o>,
    config: Option<LsConfig>,
    diagnostics: Diagnostics,
    noted_no_config: bool,
}

/// An annotation or prediction of a task, with where it is.
struct Submission<'v, 'p> {
    object: Obj<'v, 'p>,
    source: Source,
    /// 1-based among the task's annotations (or predictions), for annotators without an id.
    number: usize,
}

/// Where the item's media comes from.
struct MediaPlan {
    kind: MediaKind,
    data_key: Option<String>,
    literal: Option<String>,
    frame_rate: f64,
    /// A pairwise control's two objects: their kinds and data keys.
    candidates: Vec<(MediaKind, Option<String>)>,
}

/// A record before its item is known (the item needs facts from all of the task's results).
struct Pending {
    annotator: String,
    source: Source,
    score: Option<f64>,
    regions: Vec<Region>,
}

/// What one result is, decided from the config or, without one, from its `type`. Names are
/// borrowed from the config or the result: a region's control is copied once, into it.
enum Plan<'a> {
    Region { control: &'a str, target: Target },
    Attribute { name: &'a str },
    Transcript,
    Report(String),
}

impl<'o> TaskReader<'o> {
    pub(super) fn new(opts: &'o ReadOptions<'o>, config: Option<LsConfig>) -> Self {
        TaskReader { opts, config, diagnostics: Diagnostics::default(), noted_no_config: false }
    }

    pub(super) fn file(&self) -> &'o str {
        self.opts.file_name
    }

    pub(super) fn has_config(&self) -> bool {
        self.config.is_some()
    }

    pub(super) fn finish(self) -> (Option<LsConfig>, Diagnostics) {
        (self.config, self.diagnostics)
    }

    /// A reader of other tasks with the same config, for another thread.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn fork(&self) -> Self {
        TaskReader::new(self.opts, self.config.clone())
    }

    /// What was reported so far, handed over (from a fork, to merge in list order).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn take_diagnostics(&mut self) -> Diagnostics {
        std::mem::take(&mut self.diagnostics)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn merge_diagnostics(&mut self, other: Diagnostics) {
        self.diagnostics.merge(other);
    }

    /// A task object: `data`, `annotations` (or legacy `completions`), `predictions`.
    pub(super) fn task(
        &mut self,
        task: Obj<'_, '_>,
        index: usize,
        emit: &mut dyn FnMut(Record),
    ) -> Result<(), InputError> {
        let file = self.file();
        let id = task_id(&task)?.unwrap_or_else(|| format!("task-{}", index + 1));
        let data = task.field("data", |at| at.object().map(|o| o.map))?;
        let annotations_key = if task.has("annotations") { "annotations" } else { "completions" };
        let annotations_path = task.path.key(annotations_key);
        let annotations = list_of(task.get(annotations_key), &annotations_path, file)?;
        let annotation_paths: Vec<Path<'_>> = (0..annotations.len()).map(|i| annotations_path.index(i)).collect();
        let predictions_path = task.path.key("predictions");
        let predictions = list_of(task.get("predictions"), &predictions_path, file)?;
        let prediction_paths: Vec<Path<'_>> = (0..predictions.len()).map(|i| predictions_path.index(i)).collect();
        let mut submissions = Vec::new();
        for (i, (value, path)) in annotations.iter().zip(&annotation_paths).enumerate() {
            let object = At::new(value, path, file).object()?;
            submissions.push(Submission { object, source: Source::Annotation, number: i + 1 });
        }
        for (i, (value, path)) in predictions.iter().zip(&prediction_paths).enumerate() {
            if value.is_number() || value.is_string() {
                // An export "without predictions" lists their ids only (ambiguity 21).
                self.diagnostics.skip("prediction", "given as an id only, without its result", &id);
                continue;
            }
            let object = At::new(value, path, file).object()?;
            submissions.push(Submission { object, source: Source::Prediction, number: i + 1 });
        }
        if task.get("drafts").and_then(Json::as_array).is_some_and(|d| !d.is_empty()) {
            self.diagnostics.skip("draft", "unsubmitted drafts are not annotations", &id);
        }
        self.records(&id, data, &submissions, emit)
    }

    /// An ML backend's prediction without its task (`{model_version, score, result}`).
    pub(super) fn prediction_only(
        &mut self,
        prediction: Obj<'_, '_>,
        index: usize,
        emit: &mut dyn FnMut(Record),
    ) -> Result<(), InputError> {
        let id = prediction.get("task").and_then(id_text).unwrap_or_else(|| format!("task-{}", index + 1));
        let submission = Submission { object: prediction, source: Source::Prediction, number: 1 };
        self.records(&id, None, &[submission], emit)
    }

    /// A webhook payload: `{annotation, project: {label_config}, task: {id, data}}`.
    pub(super) fn webhook(&mut self, payload: Obj<'_, '_>, emit: &mut dyn FnMut(Record)) -> Result<(), InputError> {
        let file = self.file();
        if self.config.is_none() {
            if let Some(config) = payload.field("project", |at| payload_config(&at.object()?, file))?.flatten() {
                self.config = Some(config);
            }
        }
        let task_path = payload.path.key("task");
        let task = payload.get("task").map(|v| At::new(v, &task_path, file).object()).transpose()?;
        let annotation_path = payload.path.key("annotation");
        let annotation = payload.required("annotation", |at| Ok(at.value))?;
        let annotation = At::new(annotation, &annotation_path, file).object()?;
        let id = match &task {
            Some(task) => task_id(task)?,
            None => None,
        }
        .or_else(|| annotation.get("task").and_then(id_text))
        .unwrap_or_else(|| "task-1".to_owned());
        let data = match &task {
            Some(task) => task.field("data", |at| at.object().map(|o| o.map))?,
            None => None,
        };
        let submission = Submission { object: annotation, source: Source::Annotation, number: 1 };
        self.records(&id, data, &[submission], emit)
    }

    fn records(
        &mut self,
        id: &str,
        data: Option<&Object<'_>>,
        submissions: &[Submission<'_, '_>],
        emit: &mut dyn FnMut(Record),
    ) -> Result<(), InputError> {
        if self.config.is_none() && !self.noted_no_config {
            self.noted_no_config = true;
            self.diagnostics.skip(
                "labeling config",
                "none given (--config): controls, labels and media derived from the results' from_name and type",
                "",
            );
        }
        let plan = match &self.config {
            Some(config) => config_media_plan(config),
            None => inferred_media_plan(data, submissions),
        };
        let media_value = plan.data_key.as_deref().and_then(|key| data.and_then(|d| d.get(key)));
        let media_text = media_value.map(data_text).or_else(|| plan.literal.clone()).unwrap_or_default();
        let text = (plan.kind == MediaKind::Text).then(|| CodePoints::new(&media_text));
        let size = self.fallback_size(&plan, &media_text);
        let mut facts = MediaFacts::default();
        let mut pending = Vec::new();
        for submission in submissions {
            let mut cx = Cx {
                task: id,
                size: size.map(|(w, h)| (f64::from(w), f64::from(h))),
                frame_rate: plan.frame_rate,
                text: text.as_ref(),
                diagnostics: &mut self.diagnostics,
                facts: &mut facts,
            };
            if let Some(record) = submission_record(&mut cx, self.config.as_ref(), &plan, submission)? {
                pending.push(record);
            }
        }
        if media_value.is_none() && plan.literal.is_none() && !pending.is_empty() {
            let reason = match &plan.data_key {
                Some(key) => format!("`{key}` missing from the task's data: item media left empty"),
                None => {
                    "no data field for the item's media (no labeling config names one): item media left empty".into()
                }
            };
            self.diagnostics.skip("task data", &reason, id);
        }
        let dims = facts.size.or(size).unwrap_or((0, 0));
        let media = self.media(id, &plan, media_text, dims, &facts, &pending);
        let item = Item { id: id.to_owned(), media, candidates: candidates(&plan, data) };
        for p in pending {
            emit(Record {
                item: item.clone(),
                annotator: p.annotator,
                source: p.source,
                regions: p.regions,
                score: p.score,
            });
        }
        Ok(())
    }

    /// The pixel size for results without their own: `--media-size`, else the image's header
    /// found in `--media-dir` by the task's file name.
    fn fallback_size(&self, plan: &MediaPlan, src: &str) -> Option<(u32, u32)> {
        if let Some(size) = self.opts.media_size {
            return Some(size);
        }
        let tree = self.opts.media?;
        if plan.kind != MediaKind::Image {
            return None;
        }
        let name = src.rsplit(['/', '\\']).next().unwrap_or(src);
        let name = name.split(['?', '#']).next().unwrap_or(name);
        if name.is_empty() {
            return None;
        }
        tree.image_size(name)
    }

    /// The item's media: `src` (or text), the pixel size `(width, height)` (0 × 0 when
    /// unknown), and what the results said; a missing duration or frame count is reported when
    /// regions need it.
    fn media(
        &mut self,
        id: &str,
        plan: &MediaPlan,
        src: String,
        (width, height): (u32, u32),
        facts: &MediaFacts,
        pending: &[Pending],
    ) -> Media {
        let uses = |test: fn(&RegionValue) -> bool| pending.iter().any(|p| p.regions.iter().any(|r| test(&r.value)));
        match plan.kind {
            MediaKind::Text => Media::Text { text: src },
            MediaKind::Image => Media::Image { src, width, height },
            MediaKind::Audio => {
                if facts.duration.is_none() && uses(|v| matches!(v, RegionValue::AudioSegment { .. })) {
                    self.diagnostics.skip(
                        "audio item",
                        "duration unknown (no original_length in its results): left 0",
                        id,
                    );
                }
                Media::Audio { src, duration: facts.duration.unwrap_or(0.0), sample_rate: None, channels: None }
            }
            MediaKind::Video => {
                if facts.frame_count.is_none()
                    && uses(|v| matches!(v, RegionValue::VideoTrack { .. } | RegionValue::VideoSegment { .. }))
                {
                    self.diagnostics.skip(
                        "video item",
                        "frame count unknown (no framesCount in its results): left 0",
                        id,
                    );
                }
                Media::Video {
                    src,
                    width,
                    height,
                    frame_rate: facts.frame_rate.unwrap_or(plan.frame_rate),
                    frame_count: facts.frame_count.unwrap_or(0),
                }
            }
        }
    }
}

/// A pairwise item's two candidates, from the data fields of the pairwise control's objects.
fn candidates(plan: &MediaPlan, data: Option<&Object<'_>>) -> Vec<Media> {
    plan.candidates
        .iter()
        .map(|(kind, key)| {
            let value = key.as_deref().and_then(|k| data.and_then(|d| d.get(k))).map(data_text).unwrap_or_default();
            match kind {
                MediaKind::Image => Media::Image { src: value, width: 0, height: 0 },
                _ => Media::Text { text: value },
            }
        })
        .collect()
}

fn task_id(task: &Obj<'_, '_>) -> Result<Option<String>, InputError> {
    task.field("id", |at| id_text(at.value).ok_or_else(|| at.error("expected a task id (a number or a string)")))
}

fn list_of<'v>(value: Option<&'v Json<'v>>, path: &Path<'_>, file: &str) -> Result<&'v [Json<'v>], InputError> {
    match value {
        None => Ok(&[]),
        Some(value) => At::new(value, path, file).array(),
    }
}

/// A data field as text: strings as they are, anything else (a list of items, a dialogue) as
/// compact JSON.
fn data_text(value: &Json<'_>) -> String {
    match value {
        Json::String(s) => s.as_ref().to_owned(),
        other => other.to_string(),
    }
}

fn config_media_plan(config: &LsConfig) -> MediaPlan {
    let object = config.media_object();
    let candidates = config
        .controls
        .iter()
        .find(|c| c.tag == ControlTag::Pairwise && c.role == ControlRole::Regions)
        .map(|c| {
            c.to_name
                .iter()
                .filter_map(|name| config.object(name))
                .map(|o| (o.media.unwrap_or(MediaKind::Text), o.data_key.clone()))
                .collect()
        })
        .unwrap_or_default();
    MediaPlan {
        kind: config.spec.media,
        data_key: object.and_then(|o| o.data_key.clone()),
        literal: object.and_then(|o| o.literal.clone()),
        frame_rate: object.map_or(DEFAULT_FRAME_RATE, |o| o.frame_rate),
        candidates,
    }
}

/// Without a config: the media kind from the first result type that implies one, the data key
/// from the results' `source` (`$image`), else the kind's usual key, else the only data field.
fn inferred_media_plan(data: Option<&Object<'_>>, submissions: &[Submission<'_, '_>]) -> MediaPlan {
    let results = || {
        submissions.iter().filter_map(|s| s.object.get("result")).filter_map(Json::as_array).flat_map(|list| {
            list.iter().flat_map(|r| match r {
                Json::Array(nested) => nested.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
        })
    };
    let kind = results()
        .find_map(|r| {
            let value = r.get("value");
            match r.get("type").and_then(Json::as_str)? {
                "rectanglelabels" | "rectangle" | "polygonlabels" | "polygon" | "keypointlabels" | "keypoint" => {
                    Some(MediaKind::Image)
                }
                "videorectangle" | "timelinelabels" => Some(MediaKind::Video),
                "labels" if value.is_some_and(|v| v.get("text").is_some()) => Some(MediaKind::Text),
                "labels" => Some(MediaKind::Audio),
                _ => None,
            }
        })
        .unwrap_or(MediaKind::Text);
    let usual = match kind {
        MediaKind::Text => "text",
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    };
    let from_source = results()
        .filter_map(|r| r.get("source").and_then(Json::as_str)?.strip_prefix('$').map(str::to_owned))
        .find(|key| data.is_some_and(|d| d.contains_key(key)));
    let data_key = from_source
        .or_else(|| data.filter(|d| d.contains_key(usual)).map(|_| usual.to_owned()))
        .or_else(|| data.filter(|d| d.len() == 1).and_then(|d| d.distinct().first().map(|(key, _)| (*key).to_owned())));
    MediaPlan { kind, data_key, literal: None, frame_rate: DEFAULT_FRAME_RATE, candidates: Vec::new() }
}

fn annotator_of(submission: &Submission<'_, '_>) -> String {
    let object = &submission.object;
    if submission.source == Source::Prediction {
        return model_version(object);
    }
    let user = match object.get("completed_by") {
        Some(Json::Object(user)) => user.get("id").and_then(id_text),
        Some(other) => id_text(other),
        None => None,
    };
    // A user id; never an e-mail address (real exports carry them).
    match user.filter(|u| !u.is_empty() && !u.contains('@')) {
        Some(user) => user,
        None => match object.get("id").and_then(id_text) {
            Some(id) => format!("annotation-{id}"),
            None => format!("annotation-{}", submission.number),
        },
    }
}

fn submission_record(
    cx: &mut Cx<'_>,
    config: Option<&LsConfig>,
    plan: &MediaPlan,
    submission: &Submission<'_, '_>,
) -> Result<Option<Pending>, InputError> {
    let object = &submission.object;
    if object.opt_bool("was_cancelled")? == Some(true) {
        cx.report("annotation", "cancelled (was_cancelled: true): skipped");
        return Ok(None);
    }
    let score = match submission.source {
        Source::Prediction => object.opt_number("score")?,
        Source::Annotation => None,
    };
    let file = object.file;
    let results_path = object.path.key("result");
    let results = list_of(object.get("result"), &results_path, file)?;
    // Legacy `completions` nest the result list once more: `[[…]]` (ambiguity 21).
    let outer: Vec<Path<'_>> = (0..results.len()).map(|i| results_path.index(i)).collect();
    let mut flat: Vec<(&Json<'_>, Path<'_>)> = Vec::new();
    for (value, path) in results.iter().zip(&outer) {
        match value {
            Json::Array(nested) => flat.extend(nested.iter().enumerate().map(|(j, v)| (v, path.index(j)))),
            other => flat.push((other, *path)),
        }
    }
    let mut parsed = Vec::with_capacity(flat.len());
    let value_paths: Vec<Path<'_>> = flat.iter().map(|(_, path)| path.key("value")).collect();
    for ((value, path), value_path) in flat.iter().zip(&value_paths) {
        parsed.push(parse_result(At::new(value, path, file), value_path)?);
    }
    let plans = plan_results(config, plan.kind, &parsed);
    let mut set = RegionSet::with_capacity(parsed.len());
    for (result, plan) in parsed.iter().zip(plans) {
        apply(cx, config, &mut set, result, plan)?;
    }
    let regions = set.finish(cx);
    Ok(Some(Pending { annotator: annotator_of(submission), source: submission.source, score, regions }))
}

/// A result's object, `type` and `value` (absent for relations), its `id` and `from_name`.
struct Parsed<'v, 'p> {
    result: Option<LsResult<'v, 'p>>,
    object: Obj<'v, 'p>,
    kind: &'v str,
    id: Option<Cow<'v, str>>,
    from_name: Option<&'v str>,
}

fn parse_result<'v, 'p>(at: At<'v, 'p>, value_path: &'p Path<'p>) -> Result<Parsed<'v, 'p>, InputError> {
    let object = at.object()?;
    let kind = object.required("type", |t| t.string())?;
    let id = object.field("id", |v| id_cow(v.value).ok_or_else(|| v.error("expected a string id")))?;
    let from_name = object.opt_str("from_name")?;
    let original = match (object.get("original_width"), object.get("original_height")) {
        (Some(_), Some(_)) => Some((object.number("original_width")?, object.number("original_height")?)),
        _ => None,
    };
    let result = match object.get("value") {
        Some(value) => {
            let value = At::new(value, value_path, at.file).object()?;
            Some(LsResult { object, kind, value, original })
        }
        None if kind == "relation" => None,
        None => return Err(object.error("missing field `value`")),
    };
    Ok(Parsed { result, object, kind, id, from_name })
}

/// Decides what each result of one annotation is. Without a config, a result that shares its
/// `id` with a region is a per-region answer (Label Studio's convention).
fn plan_results<'a>(config: Option<&'a LsConfig>, media: MediaKind, parsed: &[Parsed<'a, '_>]) -> Vec<Plan<'a>> {
    match config {
        Some(config) => parsed.iter().map(|p| plan_with_config(config, p)).collect(),
        None => {
            let plans: Vec<Plan<'a>> = parsed.iter().map(|p| plan_by_type(p, media)).collect();
            let mut region_targets: HashMap<&str, Target> = HashMap::new();
            for (p, plan) in parsed.iter().zip(&plans) {
                if let (Some(id), Plan::Region { target, .. }) = (p.id.as_deref(), plan) {
                    if !matches!(target, Target::Choice | Target::TextArea | Target::Pairwise | Target::Ranking) {
                        region_targets.entry(id).or_insert(*target);
                    }
                }
            }
            parsed.iter().zip(plans).map(|(p, plan)| per_region_by_id(p, plan, &region_targets)).collect()
        }
    }
}

fn per_region_by_id<'a>(p: &Parsed<'a, '_>, plan: Plan<'a>, regions: &HashMap<&str, Target>) -> Plan<'a> {
    let Some(target) = p.id.as_deref().and_then(|id| regions.get(id)) else { return plan };
    let per_region_kind = matches!(p.kind, "choices" | "textarea" | "number" | "rating" | "datetime" | "taxonomy");
    match (per_region_kind, p.from_name) {
        (true, Some(_)) if p.kind == "textarea" && *target == Target::AudioSegment => Plan::Transcript,
        (true, Some(name)) => Plan::Attribute { name },
        _ => plan,
    }
}

fn plan_by_type<'a>(p: &Parsed<'a, '_>, media: MediaKind) -> Plan<'a> {
    let Some(name) = p.from_name else {
        return Plan::Report(other_reason(p.kind).to_owned());
    };
    let target = match p.kind {
        "rectanglelabels" | "rectangle" => Target::BBox,
        "polygonlabels" | "polygon" => Target::Polygon,
        "keypointlabels" | "keypoint" => Target::Keypoint,
        "labels" if media == MediaKind::Text => Target::TextSpan,
        "labels" if media == MediaKind::Audio => Target::AudioSegment,
        "videorectangle" => Target::VideoTrack,
        "timelinelabels" => Target::VideoSegments,
        "choices" => Target::Choice,
        "textarea" => Target::TextArea,
        "pairwise" => Target::Pairwise,
        "ranker" => Target::Ranking,
        "number" | "rating" | "datetime" | "taxonomy" => {
            return Plan::Report("a whole-item answer of this kind has no annoqa control".to_owned())
        }
        other => return Plan::Report(other_reason(other).to_owned()),
    };
    Plan::Region { control: name, target }
}

fn plan_with_config<'a>(config: &'a LsConfig, p: &Parsed<'a, '_>) -> Plan<'a> {
    let Some(name) = p.from_name else {
        return Plan::Report(other_reason(p.kind).to_owned());
    };
    let Some(control) = config.control(name) else {
        return Plan::Report(format!("control `{name}` is not in the labeling config"));
    };
    match &control.role {
        ControlRole::Regions => {
            let media = config.object_of(control).and_then(|o| o.media);
            match region_target(control.tag, media, p.kind) {
                Some(target) => Plan::Region { control: name, target },
                None => Plan::Report(format!("result type does not fit control `{name}` ({})", control.tag_name)),
            }
        }
        ControlRole::LabelsFor(shapes) => labelled_shape(config, shapes, p),
        ControlRole::Attribute => Plan::Attribute { name },
        ControlRole::Transcript => Plan::Transcript,
        ControlRole::Unsupported(reason) => Plan::Report(reason.clone()),
    }
}

/// The target of a region control's result, when its type fits the tag.
fn region_target(tag: ControlTag, media: Option<MediaKind>, kind: &str) -> Option<Target> {
    let (target, types): (Target, &[&str]) = match tag {
        ControlTag::RectangleLabels | ControlTag::Rectangle => {
            (Target::BBox, &["rectanglelabels", "rectangle", "labels"])
        }
        ControlTag::PolygonLabels | ControlTag::Polygon => (Target::Polygon, &["polygonlabels", "polygon", "labels"]),
        ControlTag::KeyPointLabels | ControlTag::KeyPoint => {
            (Target::Keypoint, &["keypointlabels", "keypoint", "labels"])
        }
        ControlTag::Labels if media == Some(MediaKind::Audio) => (Target::AudioSegment, &["labels"]),
        ControlTag::Labels => (Target::TextSpan, &["labels"]),
        ControlTag::VideoRectangle => (Target::VideoTrack, &["videorectangle"]),
        ControlTag::TimelineLabels => (Target::VideoSegments, &["timelinelabels"]),
        ControlTag::Choices => (Target::Choice, &["choices"]),
        ControlTag::TextArea => (Target::TextArea, &["textarea"]),
        ControlTag::Pairwise => (Target::Pairwise, &["pairwise"]),
        ControlTag::Ranker => (Target::Ranking, &["ranker"]),
        _ => return None,
    };
    types.contains(&kind).then_some(target)
}

/// A `<Labels>` result on an image or video: the shape control it labels, told by the value's
/// geometry (`sequence`, `points`, `width`/`height`, or a point).
fn labelled_shape<'a>(config: &'a LsConfig, shapes: &[String], p: &Parsed<'_, '_>) -> Plan<'a> {
    let Some(result) = &p.result else { return Plan::Report("a labels result without a value".into()) };
    let value = &result.value;
    let (tag, target) = if value.has("sequence") {
        (ControlTag::VideoRectangle, Target::VideoTrack)
    } else if value.has("points") {
        (ControlTag::Polygon, Target::Polygon)
    } else if value.has("width") && value.has("height") {
        (ControlTag::Rectangle, Target::BBox)
    } else {
        (ControlTag::KeyPoint, Target::Keypoint)
    };
    match shapes.iter().filter_map(|s| config.control(s)).find(|c| c.tag == tag) {
        Some(shape) => Plan::Region { control: &shape.name, target },
        None => Plan::Report("labels on a shape the labeling config has no control for".into()),
    }
}

fn apply<'a>(
    cx: &mut Cx<'_>,
    config: Option<&LsConfig>,
    set: &mut RegionSet<'a>,
    p: &Parsed<'a, '_>,
    plan: Plan<'a>,
) -> Result<(), InputError> {
    let Some(result) = &p.result else {
        cx.report(p.kind, "relations between regions have no annoqa counterpart");
        return Ok(());
    };
    match plan {
        Plan::Report(reason) => cx.report(p.kind, &reason),
        Plan::Attribute { name } => {
            set.extras.push(Extra { id: p.id.clone(), kind: p.kind, name, text: attribute_text(result)? })
        }
        Plan::Transcript => set.extras.push(Extra {
            id: p.id.clone(),
            kind: p.kind,
            name: "",
            text: result.value.required("text", |at| at.strings())?.join("\n"),
        }),
        Plan::Region { control, target } => {
            if let Some((w, h)) = result.original {
                let whole = |n: f64| (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32);
                if let (None, Some(w), Some(h)) = (cx.facts.size, whole(w), whole(h)) {
                    cx.facts.size = Some((w, h));
                }
            }
            if let Some(length) = result.object.opt_number("original_length")? {
                cx.facts.duration.get_or_insert(length);
            }
            let values = region_values(cx, result, target, control)?;
            if let Some(spec_control) = config.and_then(|c| c.spec.control(control)) {
                for label in values.iter().flat_map(RegionValue::labels) {
                    if !label.is_empty() && !spec_control.labels.is_empty() && spec_control.label(label).is_none() {
                        let reason = format!(
                            "label `{label}` is not among control `{control}`'s labels in the labeling config: kept as given"
                        );
                        cx.report(p.kind, &reason);
                    }
                }
            }
            let attributes = result_attributes(cx, &p.object)?;
            for (i, value) in values.into_iter().enumerate() {
                // Several ranges of one timeline result: `id`, `id#2`, … (the writer joins them).
                let id = match (&p.id, i) {
                    (Some(id), 0) => Some(id.clone()),
                    (Some(id), n) => Some(Cow::Owned(format!("{id}#{}", n + 1))),
                    (None, _) => None,
                };
                set.add(id, control, value, attributes.clone());
            }
        }
    }
    Ok(())
}

/// A result's own fields that become attributes: a prediction's `score`, a keypoint's
/// `parentID`. `meta` (region notes) is reported.
fn result_attributes(
    cx: &mut Cx<'_>,
    object: &Obj<'_, '_>,
) -> Result<std::collections::BTreeMap<String, String>, InputError> {
    let mut attributes = std::collections::BTreeMap::new();
    if let Some(score) = object.opt_number("score")? {
        attributes.insert("score".to_owned(), format!("{score}"));
    }
    if let Some(parent) =
        object.field("parentID", |at| id_text(at.value).ok_or_else(|| at.error("expected a region id")))?
    {
        attributes.insert("parent".to_owned(), parent);
    }
    if object.get("meta").is_some_and(|m| m.as_object().is_some_and(|m| !m.is_empty())) {
        cx.report("meta", "region notes (meta) have no annoqa field");
    }
    Ok(attributes)
}

/// A per-region answer waiting for its region.
struct Extra<'a> {
    id: Option<Cow<'a, str>>,
    kind: &'a str,
    /// The attribute name; empty for an audio transcript.
    name: &'a str,
    text: String,
}

/// The regions of one annotation, by Label Studio id. Ids and control names are borrowed from
/// the task's JSON where they can be: a region's own id and control are its only copies.
struct RegionSet<'a> {
    regions: Vec<Region>,
    /// The first region of each Label Studio id: where per-region answers go.
    by_ls_id: FastMap<Cow<'a, str>, usize>,
    /// Each (id, control)'s region: a second result for it is the same region.
    by_id_and_control: FastMap<(Cow<'a, str>, &'a str), usize>,
    used: FastSet<Cow<'a, str>>,
    /// The last `#n` given to a repeated id.
    suffixes: FastMap<Cow<'a, str>, usize>,
    extras: Vec<Extra<'a>>,
}

impl<'a> RegionSet<'a> {
    /// A set for about `results` results.
    fn with_capacity(results: usize) -> Self {
        RegionSet {
            regions: Vec::with_capacity(results),
            by_ls_id: FastMap::with_capacity_and_hasher(results, Default::default()),
            by_id_and_control: FastMap::with_capacity_and_hasher(results, Default::default()),
            used: FastSet::with_capacity_and_hasher(results, Default::default()),
            suffixes: FastMap::default(),
            extras: Vec::new(),
        }
    }

    fn add(
        &mut self,
        ls_id: Option<Cow<'a, str>>,
        control: &'a str,
        value: RegionValue,
        attributes: std::collections::BTreeMap<String, String>,
    ) {
        let merge_key = ls_id.clone().map(|id| (id, control));
        if let Some(&at) = merge_key.as_ref().and_then(|key| self.by_id_and_control.get(key)) {
            if let Some(existing) = self.regions.get_mut(at) {
                // The shape and the `<Labels>` of one region are two results with one id.
                if existing.value.first_label() == Some("") {
                    existing.value = value;
                }
                existing.attributes.extend(attributes);
                return;
            }
        }
        let base = ls_id.clone().unwrap_or_else(|| Cow::Owned(format!("region-{}", self.regions.len() + 1)));
        let mut id = base.clone();
        while !self.used.insert(id.clone()) {
            // Continue from the last suffix given to this base, so repeats stay linear.
            let n = self.suffixes.entry(base.clone()).or_insert(1);
            *n += 1;
            id = Cow::Owned(format!("{base}#{n}"));
        }
        if let Some(ls_id) = ls_id {
            self.by_ls_id.entry(ls_id).or_insert(self.regions.len());
        }
        if let Some(key) = merge_key {
            self.by_id_and_control.insert(key, self.regions.len());
        }
        self.regions.push(Region { id: id.into_owned(), control: control.to_owned(), value, attributes });
    }

    /// Attaches per-region answers to their regions; those without one are reported.
    fn finish(mut self, cx: &mut Cx<'_>) -> Vec<Region> {
        for extra in std::mem::take(&mut self.extras) {
            let region =
                extra.id.as_ref().and_then(|id| self.by_ls_id.get(id)).and_then(|&at| self.regions.get_mut(at));
            let Some(region) = region else {
                cx.report(extra.kind, "a per-region answer whose region is not in the annotation");
                continue;
            };
            match (&mut region.value, extra.name.is_empty()) {
                (RegionValue::AudioSegment { transcript, .. }, true) => *transcript = Some(extra.text),
                (_, true) => {
                    region.attributes.insert("transcript".to_owned(), extra.text);
                }
                (_, false) => {
                    region.attributes.insert(extra.name.to_owned(), extra.text);
                }
            }
        }
        self.regions
    }
}
