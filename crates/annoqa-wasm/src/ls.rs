//! `fromLabelStudio` and `toLabelStudio`: annoqa-interop's Label Studio conversion (its `ls`
//! module; docs/interop.md, "Label Studio"), for a front end that checks its own annotations.

use annoqa_core::TaskSpec;
use annoqa_interop::ls;
use annoqa_interop::{Diagnostics, ReadOptions, Record};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsError, JsValue};

use crate::convert::{from_js, invalid, options_from_js, to_js};

/// The name Label Studio input goes by in messages (`task: $.annotations[0].result[1]: …`).
const TASK: &str = "task";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct FromOptions {
    /// The size of every image or video frame, for results without `original_width/height`.
    media_size: Option<MediaSize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaSize {
    width: u32,
    height: u32,
}

/// What `fromLabelStudio` returns.
#[derive(Serialize)]
struct FromLabelStudio<'a> {
    /// The config's spec; without a config, the spec derived from the results.
    spec: Option<&'a TaskSpec>,
    records: &'a [Record],
    diagnostics: Vec<Diagnostic>,
}

/// What could not be represented, by kind and reason (annoqa-interop's `Unsupported`).
#[derive(Serialize)]
struct Diagnostic {
    kind: String,
    reason: String,
    count: usize,
    tasks: Vec<String>,
}

fn diagnostics(list: &Diagnostics) -> Vec<Diagnostic> {
    list.entries()
        .map(|u| Diagnostic {
            kind: u.kind.clone(),
            reason: u.reason.clone(),
            count: u.count,
            tasks: u.tasks.iter().cloned().collect(),
        })
        .collect()
}

pub(crate) fn from_label_studio(config: Option<String>, task: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    let options: FromOptions = options_from_js("options", options)?;
    let json = js_sys::JSON::stringify(&task)
        .ok()
        .and_then(|json| json.as_string())
        .ok_or_else(|| invalid(TASK, "expected a task, a list of tasks or a webhook payload, as JSON"))?;
    // The reader names every error after `file_name`; read the config on its own first so that
    // its errors name the config (`config: <Labels> (line 2): …`).
    if let Some(xml) = &config {
        ls::spec_from_config(xml, "config").map_err(|err| JsError::new(&err.to_string()))?;
    }
    let read_options = ReadOptions {
        file_name: TASK,
        config: config.as_deref(),
        media_size: options.media_size.map(|size| (size.width, size.height)),
        ..ReadOptions::default()
    };
    let converted = ls::read(json.as_bytes(), &read_options).map_err(|err| JsError::new(&err.to_string()))?;
    to_js(&FromLabelStudio {
        spec: converted.spec.as_ref(),
        records: &converted.records,
        diagnostics: diagnostics(&converted.diagnostics),
    })
}

/// What `toLabelStudio` returns besides the tasks, which go in as the writer's JSON text.
#[derive(Serialize)]
struct ToLabelStudio {
    /// The labeling config the tasks fit.
    config: String,
    diagnostics: Vec<Diagnostic>,
}

/// `spec` is an annoqa spec, a Label Studio labeling config (XML text: its names, data keys and
/// per-region controls are kept) or `null` (the spec is derived from the records).
pub(crate) fn to_label_studio(spec: JsValue, records: JsValue) -> Result<JsValue, JsError> {
    let records: Vec<Record> = from_js("records", records)?;
    let (written, config) = if let Some(xml) = spec.as_string() {
        let config = ls::spec_from_config(&xml, "config").map_err(|err| JsError::new(&err.to_string()))?;
        (ls::write_with_config(&records, &config), xml)
    } else if spec.is_null() || spec.is_undefined() {
        let derived = annoqa_interop::record::derive_spec(&records);
        (ls::write(&records, Some(&derived)), ls::config_from_spec(&derived))
    } else {
        let spec: TaskSpec = from_js("spec", spec)?;
        (ls::write(&records, Some(&spec)), ls::config_from_spec(&spec))
    };
    // A writer's own errors name no file or location.
    let written = written.map_err(|err| invalid("records", err.message))?;
    let Some(file) = written.files.first() else {
        return Err(JsError::new("annoqa-interop wrote no Label Studio file: this is a bug in annoqa"));
    };
    let rest = ToLabelStudio { config, diagnostics: diagnostics(&written.diagnostics) };
    with_tasks(&file.bytes, &rest)
}

/// `{tasks, config, diagnostics}` as one object, the tasks spliced in as the writer's JSON
/// text: reading them into a `serde_json::Value` to write them again cost the module a second
/// JSON reader and writer of `Value` (the text and the object it gives are the same).
fn with_tasks(tasks: &[u8], rest: &ToLabelStudio) -> Result<JsValue, JsError> {
    let tasks = std::str::from_utf8(tasks).map_err(|_| {
        JsError::new("annoqa-interop wrote Label Studio tasks that are not UTF-8: this is a bug in annoqa")
    })?;
    let rest = serde_json::to_string(rest)
        .map_err(|err| JsError::new(&format!("cannot convert the result to JavaScript: {err}")))?;
    // `rest` is an object, `{"config":…}`: the tasks go in as its first field.
    let json = format!("{{\"tasks\":{tasks},{}", &rest[1..]);
    js_sys::JSON::parse(&json)
        .map_err(|_| JsError::new("cannot read back the Label Studio tasks: this is a bug in annoqa"))
}
