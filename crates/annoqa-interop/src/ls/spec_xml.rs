//! Specs → labeling configs: the XML annoqa writes for Label Studio, with the data keys
//! `$image`, `$text`, `$audio` and `$video` (plus `$candidate_a`/`$candidate_b` for pairwise
//! items and `$items` for rankers).

use std::collections::BTreeSet;
use std::fmt::Write;

use annoqa_core::model::{Control, ControlKind, Label, MediaKind, TaskSpec};
use quick_xml::escape::escape;

use super::config::{spec_from_config, LsConfig};
use crate::diag::Diagnostics;

/// The labeling config for `spec`. Controls Label Studio has no tag for on the spec's media
/// (spans on images, boxes on text, …) are left out with an XML comment saying so.
pub fn config_from_spec(spec: &TaskSpec) -> String {
    // Inserted one by one rather than collected: collecting sorts, and that sort was a copy of
    // its own in the npm module.
    let mut names = Names { used: BTreeSet::new() };
    for control in &spec.controls {
        names.used.insert(control.name.clone());
    }
    let (tag, base) = match spec.media {
        MediaKind::Text => ("Text", "text"),
        MediaKind::Image => ("Image", "image"),
        MediaKind::Audio => ("Audio", "audio"),
        MediaKind::Video => ("Video", "video"),
    };
    let main = names.fresh(base);
    let mut xml = String::from("<View>\n");
    let _ = writeln!(xml, "  <{tag} name=\"{}\" value=\"${base}\"/>", escape(main.as_str()));
    for control in &spec.controls {
        write_control(&mut xml, control, spec.media, &main, &mut names);
    }
    xml.push_str("</View>\n");
    xml
}

/// The [`LsConfig`] of [`config_from_spec`], with `spec` itself as its spec (tolerances, rules
/// and all): how a reader given `--spec` and the writer map controls.
pub(crate) fn ls_config_for_spec(spec: &TaskSpec) -> LsConfig {
    match spec_from_config(&config_from_spec(spec), "spec") {
        Ok(mut config) => {
            config.spec = spec.clone();
            config
        }
        // config_from_spec writes what spec_from_config reads; this is a fallback, not a path.
        Err(_) => LsConfig {
            spec: spec.clone(),
            controls: Vec::new(),
            objects: Vec::new(),
            diagnostics: Diagnostics::default(),
        },
    }
}

/// Tag names in use: controls keep theirs, objects and helper controls get fresh ones.
struct Names {
    used: BTreeSet<String>,
}

impl Names {
    fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 1;
        while self.used.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.used.insert(name.clone());
        name
    }
}

fn write_control(xml: &mut String, control: &Control, media: MediaKind, main: &str, names: &mut Names) {
    let name = escape(control.name.as_str()).into_owned();
    let required = if control.required { " required=\"true\"" } else { "" };
    let fits = |kind: MediaKind| media == kind;
    match &control.kind {
        ControlKind::Choice { multiple } => {
            let choice = if *multiple { "multiple" } else { "single" };
            let open = format!("<Choices name=\"{name}\" toName=\"{main}\" choice=\"{choice}\"{required}>");
            labelled(xml, &open, "Choices", "Choice", &control.labels);
        }
        ControlKind::TextSpans { .. } if fits(MediaKind::Text) => {
            labelled(
                xml,
                &format!("<Labels name=\"{name}\" toName=\"{main}\"{required}>"),
                "Labels",
                "Label",
                &control.labels,
            );
        }
        ControlKind::BBox | ControlKind::Polygon | ControlKind::Keypoint if fits(MediaKind::Image) => {
            let tag = match control.kind {
                ControlKind::BBox => "RectangleLabels",
                ControlKind::Polygon => "PolygonLabels",
                _ => "KeyPointLabels",
            };
            labelled(
                xml,
                &format!("<{tag} name=\"{name}\" toName=\"{main}\"{required}>"),
                tag,
                "Label",
                &control.labels,
            );
        }
        ControlKind::AudioSegments { transcript } if fits(MediaKind::Audio) => {
            labelled(
                xml,
                &format!("<Labels name=\"{name}\" toName=\"{main}\"{required}>"),
                "Labels",
                "Label",
                &control.labels,
            );
            if *transcript {
                let text_area = escape(names.fresh(&format!("{}_transcript", control.name))).into_owned();
                let _ = writeln!(
                    xml,
                    "  <TextArea name=\"{text_area}\" toName=\"{main}\" perRegion=\"true\" editable=\"true\" displayMode=\"region-list\"/>"
                );
            }
        }
        ControlKind::VideoTracks | ControlKind::VideoBoxes if fits(MediaKind::Video) => {
            let _ = writeln!(xml, "  <VideoRectangle name=\"{name}\" toName=\"{main}\"{required}/>");
            let labels = escape(names.fresh(&format!("{}_labels", control.name))).into_owned();
            labelled(xml, &format!("<Labels name=\"{labels}\" toName=\"{main}\">"), "Labels", "Label", &control.labels);
        }
        ControlKind::VideoSegments if fits(MediaKind::Video) => {
            let open = format!("<TimelineLabels name=\"{name}\" toName=\"{main}\"{required}>");
            labelled(xml, &open, "TimelineLabels", "Label", &control.labels);
        }
        ControlKind::Pairwise { .. } => pairwise_tags(xml, &name, required, media, names),
        ControlKind::TextArea => {
            let _ = writeln!(xml, "  <TextArea name=\"{name}\" toName=\"{main}\" editable=\"true\"{required}/>");
        }
        ControlKind::Ranker { buckets } => ranker_tags(xml, &name, required, buckets, names),
        other => {
            // `--` may not appear inside an XML comment.
            let _ = writeln!(
                xml,
                "  <!-- control {} ({}): Label Studio has no tag for it on {} items -->",
                control.name.replace("--", "- -"),
                other.name(),
                format!("{media:?}").to_lowercase()
            );
        }
    }
}

/// `<Open …>` with one `<item value=… background=… hotkey=…/>` per label, then `</Close>`.
/// KeyPointLabels' labels also get `model_index` (their order): Label Studio's COCO and YOLO
/// exporters need it to order an instance's keypoints (without it its COCO export fails).
fn labelled(xml: &mut String, open: &str, close: &str, item: &str, labels: &[Label]) {
    let _ = writeln!(xml, "  {open}");
    for (index, label) in labels.iter().enumerate() {
        let _ = write!(xml, "    <{item} value=\"{}\"", escape(label.value.as_str()));
        if close == "KeyPointLabels" {
            let _ = write!(xml, " model_index=\"{index}\"");
        }
        if let Some(color) = &label.color {
            let _ = write!(xml, " background=\"{}\"", escape(color.as_str()));
        }
        if let Some(hotkey) = &label.hotkey {
            let _ = write!(xml, " hotkey=\"{}\"", escape(hotkey.as_str()));
        }
        xml.push_str("/>\n");
    }
    let _ = writeln!(xml, "  </{close}>");
}

/// Two objects for the candidates (`$candidate_a`, `$candidate_b`) and the `<Pairwise>`.
fn pairwise_tags(xml: &mut String, name: &str, required: &str, media: MediaKind, names: &mut Names) {
    let tag = if media == MediaKind::Image { "Image" } else { "Text" };
    let a = names.fresh("candidate_a");
    let b = names.fresh("candidate_b");
    let _ = writeln!(xml, "  <{tag} name=\"{a}\" value=\"${a}\"/>");
    let _ = writeln!(xml, "  <{tag} name=\"{b}\" value=\"${b}\"/>");
    let _ = writeln!(xml, "  <Pairwise name=\"{name}\" toName=\"{a},{b}\"{required}/>");
}

/// A `<List>` of the ranked items (`$items`) and the `<Ranker>` with its `<Bucket>`s.
fn ranker_tags(xml: &mut String, name: &str, required: &str, buckets: &[String], names: &mut Names) {
    let list = names.fresh("items");
    let _ = writeln!(xml, "  <List name=\"{list}\" value=\"${list}\" title=\"Items\"/>");
    if buckets.is_empty() {
        let _ = writeln!(xml, "  <Ranker name=\"{name}\" toName=\"{list}\"{required}/>");
        return;
    }
    let _ = writeln!(xml, "  <Ranker name=\"{name}\" toName=\"{list}\"{required}>");
    for bucket in buckets {
        let bucket = escape(bucket.as_str());
        let _ = writeln!(xml, "    <Bucket name=\"{bucket}\" title=\"{bucket}\"/>");
    }
    xml.push_str("  </Ranker>\n");
}
