//! `<meta>`: the labels (with their attribute definitions) and the task or tasks with their
//! frame ranges.

use super::fields::Fields;
use super::xml::Element;
use crate::diag::InputError;

#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) labels: Vec<LabelDef>,
    pub(super) tasks: Vec<TaskMeta>,
    /// `<mode>interpolation</mode>` in the (first) task.
    pub(super) interpolation: bool,
}

#[derive(Debug)]
pub(super) struct LabelDef {
    pub(super) name: String,
    /// `<type>`: `any`, `rectangle`, `polygon`, `points`, `skeleton`, `tag`, …; `None` when absent.
    pub(super) kind: Option<String>,
    /// Set on a skeleton's element labels.
    pub(super) parent: Option<String>,
    pub(super) color: Option<String>,
    pub(super) attributes: Vec<String>,
}

/// One task's frames: CVAT frame numbers are absolute video frames,
/// `frame = start_frame + index × step` (SOURCES.md ambiguity 13).
#[derive(Debug, Clone)]
pub(super) struct TaskMeta {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) start_frame: u32,
    pub(super) stop_frame: Option<u32>,
    pub(super) step: u32,
    /// `<size>`: frames in the task.
    pub(super) size: Option<u32>,
    pub(super) original_size: Option<(u32, u32)>,
    /// The video's file name.
    pub(super) source: Option<String>,
}

impl TaskMeta {
    /// The last frame of the task that lies on its frame grid, when the meta tells it.
    pub(super) fn last_frame(&self) -> Option<u32> {
        let stop = match (self.stop_frame, self.size) {
            (Some(stop), _) => stop,
            (None, Some(size)) if size > 0 => {
                self.start_frame.checked_add(size.checked_sub(1)?.checked_mul(self.step)?)?
            }
            _ => return None,
        };
        let span = stop.checked_sub(self.start_frame)?;
        Some(self.start_frame + span - span % self.step)
    }
}

/// Reads `annotations/meta` (a task, a job or a project with its tasks); an absent meta is empty.
pub(super) fn read_meta(root: &Element, fields: Fields<'_>) -> Result<Meta, InputError> {
    let Some(meta) = root.child("meta") else { return Ok(Meta::default()) };
    // The video's name sits in `meta/source` in older exports and in `meta/task/source` in newer.
    let meta_source = meta.child_text("source").filter(|s| !s.is_empty());
    let mut out = Meta::default();
    if let Some(project) = meta.child("project") {
        out.labels = read_labels(project, fields)?;
        if let Some(tasks) = project.child("tasks") {
            for task in tasks.children_named("task") {
                out.tasks.push(read_task(task, meta_source, fields)?);
            }
        }
        out.interpolation = first_mode(project.child("tasks").and_then(|t| t.child("task")));
    } else if let Some(task) = meta.child("task").or_else(|| meta.child("job")) {
        out.labels = read_labels(task, fields)?;
        out.tasks.push(read_task(task, meta_source, fields)?);
        out.interpolation = first_mode(Some(task));
    }
    Ok(out)
}

fn first_mode(task: Option<&Element>) -> bool {
    task.and_then(|t| t.child_text("mode")) == Some("interpolation")
}

fn read_labels(owner: &Element, fields: Fields<'_>) -> Result<Vec<LabelDef>, InputError> {
    let Some(labels) = owner.child("labels") else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for label in labels.children_named("label") {
        let name = label.child("name").ok_or_else(|| fields.error(label, None, "label without <name>"))?;
        let attributes = match label.child("attributes") {
            Some(a) => a
                .children_named("attribute")
                .map(|attr| {
                    attr.child_text("name")
                        .map(str::to_owned)
                        .ok_or_else(|| fields.error(attr, None, "attribute without <name>"))
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let nonempty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        out.push(LabelDef {
            // A label's name is kept as written, untrimmed: shapes name it exactly.
            name: name.text.clone(),
            kind: nonempty(label.child_text("type")),
            parent: nonempty(label.child_text("parent")),
            color: nonempty(label.child_text("color")),
            attributes,
        });
    }
    Ok(out)
}

fn read_task(task: &Element, meta_source: Option<&str>, fields: Fields<'_>) -> Result<TaskMeta, InputError> {
    let step = match task.child("frame_filter") {
        None => 1,
        Some(filter) => parse_step(filter.text.trim()).ok_or_else(|| {
            fields.error(filter, None, format!("expected `step=N` (N ≥ 1) or nothing, got `{}`", filter.text.trim()))
        })?,
    };
    let original_size = match task.child("original_size") {
        Some(size) => match (fields.meta_u32(size, "width")?, fields.meta_u32(size, "height")?) {
            (Some(w), Some(h)) => Some((w, h)),
            _ => None,
        },
        None => None,
    };
    let text = |name: &str| task.child_text(name).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(TaskMeta {
        id: text("id"),
        name: text("name"),
        start_frame: fields.meta_u32(task, "start_frame")?.unwrap_or(0),
        stop_frame: fields.meta_u32(task, "stop_frame")?,
        step,
        size: fields.meta_u32(task, "size")?,
        original_size,
        source: text("source").or_else(|| meta_source.map(str::to_owned)),
    })
}

/// `step=3` → 3; an empty filter → 1.
fn parse_step(filter: &str) -> Option<u32> {
    if filter.is_empty() {
        return Some(1);
    }
    let n: u32 = filter.strip_prefix("step=")?.trim().parse().ok()?;
    (n >= 1).then_some(n)
}
