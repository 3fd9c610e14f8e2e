//! Labeling configs → specs: which Label Studio control tag becomes which annoqa control, and
//! what the readers need to map results (object tags, data keys, frame rates, per-region
//! controls).

use annoqa_core::model::{
    Control, ControlKind, Label, Limits, MediaKind, RevealPolicy, SpanOverlap, TaskSpec, Tolerance,
};
use annoqa_core::number::parse_finite;

use super::xml::{self, Element};
use crate::diag::{Diagnostics, InputError};

/// Label Studio's video frame rate when the `<Video>` tag does not set `framerate`.
pub const DEFAULT_FRAME_RATE: f64 = 24.0;

/// A labeling config read for conversion: the spec, plus the tags it came from.
#[derive(Debug, Clone)]
pub struct LsConfig {
    pub spec: TaskSpec,
    /// Every control tag (anything with a `toName`, and the known ones without), in document
    /// order.
    pub controls: Vec<LsControl>,
    /// Every object tag (`<Image>`, `<Text>`, …), in document order.
    pub objects: Vec<LsObject>,
    /// Control tags with no annoqa counterpart (one entry per tag, task id empty). Readers
    /// report the results of such controls themselves; this list is for callers that take the
    /// spec alone.
    pub diagnostics: Diagnostics,
}

/// One control tag.
#[derive(Debug, Clone, PartialEq)]
pub struct LsControl {
    pub name: String,
    pub tag: ControlTag,
    /// The tag as written (`RectangleLabels`), for messages.
    pub tag_name: String,
    /// `toName`, split at commas (a `<Pairwise>` names two objects).
    pub to_name: Vec<String>,
    /// `perRegion="true"`: the control answers about one region, not the whole item.
    pub per_region: bool,
    pub role: ControlRole,
}

/// The control tags annoqa knows; [`ControlTag::Other`] for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlTag {
    RectangleLabels,
    PolygonLabels,
    KeyPointLabels,
    Rectangle,
    Polygon,
    KeyPoint,
    Labels,
    Choices,
    TextArea,
    VideoRectangle,
    TimelineLabels,
    Pairwise,
    Ranker,
    Number,
    Rating,
    DateTime,
    Taxonomy,
    /// EllipseLabels, BrushLabels, HyperTextLabels, ParagraphLabels, TimeSeriesLabels, …
    Other,
}

/// What a control's results become.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlRole {
    /// Regions of the spec control with the same name.
    Regions,
    /// A `<Labels>` naming the labels of these shape controls (`<Rectangle>`, `<Polygon>`,
    /// `<KeyPoint>`, `<VideoRectangle>`) on the same object.
    LabelsFor(Vec<String>),
    /// Per region: an attribute named by the control.
    Attribute,
    /// Per region, a `<TextArea>` on audio: the segment's transcript.
    Transcript,
    /// No annoqa counterpart, for this reason.
    Unsupported(String),
}

/// One object tag: what is shown, and where in a task's `data` it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct LsObject {
    pub name: String,
    /// The tag as written (`Image`, `HyperText`).
    pub tag_name: String,
    /// The annoqa media it is, when annoqa has one.
    pub media: Option<MediaKind>,
    /// `value="$image"` → `image`.
    pub data_key: Option<String>,
    /// A `value` without `$`: the text itself.
    pub literal: Option<String>,
    /// `<Video framerate>`, [`DEFAULT_FRAME_RATE`] when absent.
    pub frame_rate: f64,
}

impl LsConfig {
    pub fn control(&self, name: &str) -> Option<&LsControl> {
        self.controls.iter().find(|c| c.name == name)
    }

    pub fn object(&self, name: &str) -> Option<&LsObject> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The object a control points at (its first `toName`).
    pub fn object_of(&self, control: &LsControl) -> Option<&LsObject> {
        control.to_name.first().and_then(|name| self.object(name))
    }

    /// The object that is the item's media: the one the first region control of the spec's
    /// media kind points at, else the first object of that kind.
    pub fn media_object(&self) -> Option<&LsObject> {
        let media = Some(self.spec.media);
        self.controls
            .iter()
            .filter(|c| c.role == ControlRole::Regions)
            .filter_map(|c| self.object_of(c))
            .find(|o| o.media == media)
            .or_else(|| self.objects.iter().find(|o| o.media == media))
    }
}

/// Reads a labeling config. `file_name` names it in errors. Malformed XML, unnamed or
/// duplicate tags and configs without any object tag are errors; tags annoqa has no control
/// for are listed in [`LsConfig::diagnostics`].
pub fn spec_from_config(xml: &str, file_name: &str) -> Result<LsConfig, InputError> {
    let root = xml::parse(xml, file_name)?;
    let mut found = Found::default();
    collect(&root, &mut found, file_name)?;
    check_names(&found, file_name)?;
    if found.objects.is_empty() {
        return Err(InputError::new(
            file_name,
            "",
            "the labeling config has no object tag (Image, Text, Audio, Video, List, …)",
        ));
    }
    let mut controls: Vec<LsControl> = Vec::new();
    for pending in &found.controls {
        let role = role_of(pending, &found);
        controls.push(LsControl {
            name: pending.name.clone(),
            tag: pending.tag,
            tag_name: pending.tag_name.clone(),
            to_name: pending.to_name.clone(),
            per_region: pending.per_region,
            role,
        });
    }
    let media = media_kind(&controls, &found.objects);
    drop_other_media(&mut controls, &found.objects, media);
    let spec_controls = spec_controls(&controls, &found);
    let mut diagnostics = Diagnostics::default();
    for control in &controls {
        if let ControlRole::Unsupported(reason) = &control.role {
            diagnostics.skip(&format!("{} tag", control.tag_name), reason, "");
        }
    }
    let spec = TaskSpec {
        media,
        controls: spec_controls,
        pass_threshold: 0.8,
        rules: Vec::new(),
        reveal: RevealPolicy::default(),
        limits: Limits::default(),
    };
    Ok(LsConfig { spec, controls, objects: found.objects, diagnostics })
}

/// A control tag as found, before its role is known.
struct PendingControl {
    name: String,
    tag: ControlTag,
    tag_name: String,
    to_name: Vec<String>,
    per_region: bool,
    required: bool,
    multiple: bool,
    labels: Vec<Label>,
    buckets: Vec<String>,
    location: String,
}

#[derive(Default)]
struct Found {
    controls: Vec<PendingControl>,
    objects: Vec<LsObject>,
}

fn control_tag(tag: &str) -> Option<ControlTag> {
    const KNOWN: [(&str, ControlTag); 17] = [
        ("rectanglelabels", ControlTag::RectangleLabels),
        ("polygonlabels", ControlTag::PolygonLabels),
        ("keypointlabels", ControlTag::KeyPointLabels),
        ("rectangle", ControlTag::Rectangle),
        ("polygon", ControlTag::Polygon),
        ("keypoint", ControlTag::KeyPoint),
        ("labels", ControlTag::Labels),
        ("choices", ControlTag::Choices),
        ("textarea", ControlTag::TextArea),
        ("videorectangle", ControlTag::VideoRectangle),
        ("timelinelabels", ControlTag::TimelineLabels),
        ("pairwise", ControlTag::Pairwise),
        ("ranker", ControlTag::Ranker),
        ("number", ControlTag::Number),
        ("rating", ControlTag::Rating),
        ("datetime", ControlTag::DateTime),
        ("taxonomy", ControlTag::Taxonomy),
    ];
    KNOWN.iter().find(|(name, _)| tag.eq_ignore_ascii_case(name)).map(|&(_, t)| t)
}

/// Object tags and the annoqa media they are (`None`: shown, but annoqa has no such media).
fn object_media(tag: &str) -> Option<Option<MediaKind>> {
    const KNOWN: [(&str, Option<MediaKind>); 12] = [
        ("image", Some(MediaKind::Image)),
        ("text", Some(MediaKind::Text)),
        ("hypertext", Some(MediaKind::Text)),
        ("list", Some(MediaKind::Text)),
        ("paragraphs", Some(MediaKind::Text)),
        ("audio", Some(MediaKind::Audio)),
        ("audioplus", Some(MediaKind::Audio)),
        ("video", Some(MediaKind::Video)),
        ("timeseries", None),
        ("table", None),
        ("pdf", None),
        ("chat", None),
    ];
    KNOWN.iter().find(|(name, _)| tag.eq_ignore_ascii_case(name)).map(|&(_, m)| m)
}

/// Walks the tree in document order, collecting objects and controls. Elements inside a
/// control (its labels, choices, buckets) are read by the control.
fn collect(element: &Element, found: &mut Found, file: &str) -> Result<(), InputError> {
    for child in &element.children {
        let known_control = control_tag(&child.tag);
        if known_control.is_some() || child.attr("toname").is_some() {
            found.controls.push(pending_control(child, known_control.unwrap_or(ControlTag::Other), file)?);
        } else if let Some(media) = object_media(&child.tag) {
            found.objects.push(object(child, media, file)?);
        } else if child.attr("name").is_some() && child.attr("value").is_some_and(|v| v.starts_with('$')) {
            // An object tag annoqa does not know (it reads a task field and has a name).
            found.objects.push(object(child, None, file)?);
        } else {
            collect(child, found, file)?;
        }
    }
    Ok(())
}

fn required_name(element: &Element, file: &str) -> Result<String, InputError> {
    match element.attr("name") {
        Some(name) if !name.trim().is_empty() => Ok(name.to_owned()),
        _ => Err(InputError::new(file, element.location(), "tag has no `name`")),
    }
}

fn object(element: &Element, media: Option<MediaKind>, file: &str) -> Result<LsObject, InputError> {
    let name = required_name(element, file)?;
    let value = element.attr("value").unwrap_or_default();
    let (data_key, literal) = match value.strip_prefix('$') {
        Some(key) => (Some(key.to_owned()), None),
        None if value.is_empty() => (None, None),
        None => (None, Some(value.to_owned())),
    };
    let frame_rate = match element.attr("framerate") {
        None => DEFAULT_FRAME_RATE,
        Some(text) => match parse_finite(text.trim()) {
            Some(rate) if rate > 0.0 => rate,
            _ => {
                return Err(InputError::new(
                    file,
                    element.location(),
                    format!("framerate `{text}` is not a positive number"),
                ))
            }
        },
    };
    Ok(LsObject { name, tag_name: element.tag.clone(), media, data_key, literal, frame_rate })
}

fn pending_control(element: &Element, tag: ControlTag, file: &str) -> Result<PendingControl, InputError> {
    let name = required_name(element, file)?;
    let to_name = element
        .attr("toname")
        .map(|names| names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut labels = Vec::new();
    let mut buckets = Vec::new();
    collect_labels(element, &mut labels, &mut buckets, file)?;
    Ok(PendingControl {
        name,
        tag,
        tag_name: element.tag.clone(),
        to_name,
        per_region: element.flag("perregion"),
        required: element.flag("required"),
        multiple: element.attr("choice").is_some_and(|c| c.trim().eq_ignore_ascii_case("multiple")),
        labels,
        buckets,
        location: element.location(),
    })
}

/// A control's `<Label>`/`<Choice>` values (first of each value kept) and `<Bucket>` names,
/// at any depth.
fn collect_labels(
    element: &Element,
    labels: &mut Vec<Label>,
    buckets: &mut Vec<String>,
    file: &str,
) -> Result<(), InputError> {
    for child in &element.children {
        if child.is("label") || child.is("choice") {
            let Some(value) = child.attr("value") else {
                return Err(InputError::new(file, child.location(), "label has no `value`"));
            };
            if !labels.iter().any(|l| l.value == value) {
                labels.push(Label {
                    value: value.to_owned(),
                    hotkey: child.attr("hotkey").map(str::to_owned),
                    color: child.attr("background").map(str::to_owned),
                    guideline: None,
                    min_iou: None,
                    kappa: None,
                });
            }
        } else if child.is("bucket") {
            buckets.push(required_name(child, file)?);
        }
        collect_labels(child, labels, buckets, file)?;
    }
    Ok(())
}

/// Names must be unique across controls and objects (results and `toName` refer to them).
fn check_names(found: &Found, file: &str) -> Result<(), InputError> {
    let mut seen = std::collections::BTreeSet::new();
    for control in &found.controls {
        if !seen.insert(control.name.as_str()) {
            return Err(InputError::new(file, &control.location, format!("name `{}` is used twice", control.name)));
        }
    }
    for object in &found.objects {
        if !seen.insert(object.name.as_str()) {
            return Err(InputError::new(
                file,
                format!("<{} name=\"{}\">", object.tag_name, object.name),
                format!("name `{}` is used twice", object.name),
            ));
        }
    }
    Ok(())
}

fn target<'a>(control: &PendingControl, found: &'a Found) -> Option<&'a LsObject> {
    control.to_name.first().and_then(|name| found.objects.iter().find(|o| &o.name == name))
}

fn shares_object(a: &PendingControl, b: &PendingControl) -> bool {
    !a.to_name.is_empty() && a.to_name.first() == b.to_name.first()
}

fn role_of(control: &PendingControl, found: &Found) -> ControlRole {
    let media = target(control, found).and_then(|o| o.media);
    let object_tag = target(control, found).map(|o| o.tag_name.to_ascii_lowercase());
    let on = |kind: MediaKind, what: &str| {
        if media == Some(kind) {
            ControlRole::Regions
        } else {
            ControlRole::Unsupported(format!("{what} only on {kind:?} objects in annoqa").to_lowercase())
        }
    };
    match control.tag {
        ControlTag::RectangleLabels | ControlTag::Rectangle => on(MediaKind::Image, "boxes"),
        ControlTag::PolygonLabels | ControlTag::Polygon => on(MediaKind::Image, "polygons"),
        ControlTag::KeyPointLabels | ControlTag::KeyPoint => on(MediaKind::Image, "keypoints"),
        ControlTag::VideoRectangle => on(MediaKind::Video, "video boxes"),
        ControlTag::TimelineLabels => on(MediaKind::Video, "timeline labels"),
        ControlTag::Labels => labels_role(control, found, media, object_tag.as_deref()),
        ControlTag::Choices if control.per_region => ControlRole::Attribute,
        ControlTag::TextArea if control.per_region => {
            let on_audio_segments = media == Some(MediaKind::Audio)
                && found.controls.iter().any(|c| c.tag == ControlTag::Labels && shares_object(c, control));
            if on_audio_segments {
                ControlRole::Transcript
            } else {
                ControlRole::Attribute
            }
        }
        ControlTag::Choices | ControlTag::TextArea | ControlTag::Pairwise | ControlTag::Ranker => ControlRole::Regions,
        ControlTag::Number | ControlTag::Rating | ControlTag::DateTime | ControlTag::Taxonomy if control.per_region => {
            ControlRole::Attribute
        }
        ControlTag::Number | ControlTag::Rating | ControlTag::DateTime | ControlTag::Taxonomy => {
            ControlRole::Unsupported(
                "a whole-item answer of this kind has no annoqa control (per region it is an attribute)".into(),
            )
        }
        ControlTag::Other => ControlRole::Unsupported(other_reason(&control.tag_name).into()),
    }
}

fn labels_role(
    control: &PendingControl,
    found: &Found,
    media: Option<MediaKind>,
    object_tag: Option<&str>,
) -> ControlRole {
    match media {
        Some(MediaKind::Text) if object_tag == Some("text") => ControlRole::Regions,
        Some(MediaKind::Audio) => ControlRole::Regions,
        Some(MediaKind::Image | MediaKind::Video) => {
            let shapes: Vec<String> = found
                .controls
                .iter()
                .filter(|c| {
                    matches!(
                        c.tag,
                        ControlTag::Rectangle | ControlTag::Polygon | ControlTag::KeyPoint | ControlTag::VideoRectangle
                    ) && shares_object(c, control)
                })
                .map(|c| c.name.clone())
                .collect();
            if shapes.is_empty() {
                ControlRole::Unsupported(
                    "labels on an image or video without a Rectangle, Polygon, KeyPoint or VideoRectangle".into(),
                )
            } else {
                ControlRole::LabelsFor(shapes)
            }
        }
        Some(MediaKind::Text) => ControlRole::Unsupported(format!(
            "spans on a {} object have no annoqa region type (only plain Text)",
            object_tag.unwrap_or("non-text")
        )),
        None => ControlRole::Unsupported("labels on an object annoqa has no media type for".into()),
    }
}

pub(super) fn other_reason(tag: &str) -> &'static str {
    match tag.to_ascii_lowercase().as_str() {
        "ellipselabels" | "ellipse" => "ellipses have no annoqa region type",
        "brushlabels" | "brush" | "magicwand" | "bitmasklabels" | "bitmask" => "masks have no annoqa region type",
        "hypertextlabels" => "spans on HTML have no annoqa region type",
        "paragraphlabels" => "paragraph spans have no annoqa region type",
        "timeserieslabels" => "time series have no annoqa media type",
        "polylinelabels" | "polyline" => "polylines have no annoqa region type",
        "relations" | "relation" => "relations between regions have no annoqa counterpart",
        _ => "this control tag has no annoqa counterpart",
    }
}

/// The spec's media kind: the object of the first region control that has one, else the first
/// object's.
fn media_kind(controls: &[LsControl], objects: &[LsObject]) -> MediaKind {
    let object_of = |c: &LsControl| c.to_name.first().and_then(|n| objects.iter().find(|o| &o.name == n));
    let media_bound = |c: &&LsControl| {
        !matches!(c.tag, ControlTag::Choices | ControlTag::TextArea | ControlTag::Pairwise | ControlTag::Ranker)
    };
    let regions = || controls.iter().filter(|c| c.role == ControlRole::Regions);
    regions()
        .filter(media_bound)
        .chain(regions())
        .find_map(|c| object_of(c).and_then(|o| o.media))
        .or_else(|| objects.iter().find_map(|o| o.media))
        .unwrap_or(MediaKind::Text)
}

/// An item has one media kind: region controls bound to an object of another kind cannot be
/// represented (choices, text areas, pairwise and rankers are not bound to their object's kind).
fn drop_other_media(controls: &mut [LsControl], objects: &[LsObject], media: MediaKind) {
    for control in controls.iter_mut() {
        let bound = !matches!(
            control.tag,
            ControlTag::Choices | ControlTag::TextArea | ControlTag::Pairwise | ControlTag::Ranker
        );
        let object_media =
            control.to_name.first().and_then(|n| objects.iter().find(|o| &o.name == n)).and_then(|o| o.media);
        let regions = matches!(control.role, ControlRole::Regions | ControlRole::LabelsFor(_));
        if bound && regions && object_media.is_some_and(|m| m != media) {
            control.role = ControlRole::Unsupported(format!(
                "on a second object of another media kind ({}; the item is {})",
                kind_name(object_media),
                kind_name(Some(media))
            ));
        }
    }
}

fn kind_name(media: Option<MediaKind>) -> &'static str {
    match media {
        Some(MediaKind::Text) => "text",
        Some(MediaKind::Image) => "image",
        Some(MediaKind::Audio) => "audio",
        Some(MediaKind::Video) => "video",
        None => "no media",
    }
}

/// The annoqa controls: one per region control, labels from its own `<Label>`s or, for shapes
/// and video boxes, from the `<Labels>` on the same object.
fn spec_controls(controls: &[LsControl], found: &Found) -> Vec<Control> {
    let mut spec = Vec::new();
    for (control, pending) in controls.iter().zip(&found.controls) {
        if control.role != ControlRole::Regions {
            continue;
        }
        let kind = match control.tag {
            ControlTag::RectangleLabels | ControlTag::Rectangle => ControlKind::BBox,
            ControlTag::PolygonLabels | ControlTag::Polygon => ControlKind::Polygon,
            ControlTag::KeyPointLabels | ControlTag::KeyPoint => ControlKind::Keypoint,
            ControlTag::VideoRectangle => ControlKind::VideoTracks,
            ControlTag::TimelineLabels => ControlKind::VideoSegments,
            ControlTag::Labels if pending_media(pending, found) == Some(MediaKind::Audio) => {
                let transcript = controls
                    .iter()
                    .any(|c| c.role == ControlRole::Transcript && c.to_name.first() == control.to_name.first());
                ControlKind::AudioSegments { transcript }
            }
            // LS lets spans overlap freely; a converted spec describes the data, it does not
            // add a rule Label Studio did not have.
            ControlTag::Labels => ControlKind::TextSpans { overlap: SpanOverlap::Allowed },
            ControlTag::Choices => ControlKind::Choice { multiple: pending.multiple },
            ControlTag::TextArea => ControlKind::TextArea,
            ControlTag::Pairwise => ControlKind::Pairwise { allow_tie: false, rationale_required: false },
            ControlTag::Ranker => ControlKind::Ranker { buckets: pending.buckets.clone() },
            ControlTag::Number
            | ControlTag::Rating
            | ControlTag::DateTime
            | ControlTag::Taxonomy
            | ControlTag::Other => continue,
        };
        let mut labels = pending.labels.clone();
        if matches!(
            control.tag,
            ControlTag::Rectangle | ControlTag::Polygon | ControlTag::KeyPoint | ControlTag::VideoRectangle
        ) {
            for (other, other_pending) in controls.iter().zip(&found.controls) {
                if matches!(&other.role, ControlRole::LabelsFor(shapes) if shapes.contains(&control.name)) {
                    for label in &other_pending.labels {
                        if !labels.iter().any(|l| l.value == label.value) {
                            labels.push(label.clone());
                        }
                    }
                }
            }
        }
        if matches!(kind, ControlKind::TextArea | ControlKind::Ranker { .. }) {
            labels.clear();
        }
        spec.push(Control {
            name: control.name.clone(),
            prompt: String::new(),
            kind,
            labels,
            required: pending.required,
            guideline: None,
            tolerance: Tolerance::default(),
            normalization: None,
            costs: Vec::new(),
        });
    }
    spec
}

fn pending_media(control: &PendingControl, found: &Found) -> Option<MediaKind> {
    target(control, found).and_then(|o| o.media)
}
