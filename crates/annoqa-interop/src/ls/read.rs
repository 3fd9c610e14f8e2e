//! Label Studio JSON → records, one task at a time: the top level is read by a serde visitor
//! that hands each task (or prediction, or webhook payload) over as it is parsed.

use std::fmt;
use std::io::Read;

use annoqa_core::model::TaskSpec;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::config::{spec_from_config, LsConfig};
use super::json::{id_text, At, Obj, Path};
use super::spec_xml::ls_config_for_spec;
use super::task::TaskReader;
use crate::diag::{Diagnostics, InputError};
use crate::record::{Converted, ReadOptions, Record, SpecBuilder};

/// Reads a Label Studio export (a task list, one task, a webhook payload or an ML backend's
/// prediction list) into records. See docs/interop.md for the mapping.
pub fn read(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let mut records = Vec::new();
    let (spec, diagnostics) = for_each_record(bytes, opts, &mut |record| records.push(record))?;
    Ok(Converted { records, spec, diagnostics })
}

/// [`read`] for large files: holds one task at a time and hands each record to `sink`.
/// Returns the spec (the config's, or one derived from the results) and what was reported.
pub fn for_each_record(
    reader: impl Read,
    opts: &ReadOptions<'_>,
    sink: &mut dyn FnMut(Record),
) -> Result<(Option<TaskSpec>, Diagnostics), InputError> {
    let config = match (opts.config, opts.spec) {
        (Some(xml), _) => Some(spec_from_config(xml, opts.file_name)?),
        (None, Some(spec)) => Some(ls_config_for_spec(spec)),
        (None, None) => None,
    };
    let mut state = ReadState { tasks: TaskReader::new(opts, config), derived: SpecBuilder::default(), seen: 0 };
    let mut deserializer = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let mut top = TopLevel { state: &mut state, sink, failure: None, index: None };
    let parsed = (&mut top).deserialize(&mut deserializer);
    let index = top.index;
    if let Some(failure) = top.failure {
        return Err(failure);
    }
    parsed.and_then(|()| deserializer.end()).map_err(|e| syntax_error(opts.file_name, index, &e))?;
    Ok(state.finish(opts))
}

struct ReadState<'o> {
    tasks: TaskReader<'o>,
    /// Without a config, the spec is derived from the records as they pass.
    derived: SpecBuilder,
    seen: usize,
}

impl ReadState<'_> {
    fn finish(self, opts: &ReadOptions<'_>) -> (Option<TaskSpec>, Diagnostics) {
        let (config, diagnostics) = self.tasks.finish();
        let spec = match (opts.spec, config) {
            (Some(spec), _) => Some(spec.clone()),
            (None, Some(config)) => Some(config.spec),
            (None, None) if self.seen > 0 => Some(self.derived.finish()),
            (None, None) => None,
        };
        (spec, diagnostics)
    }

    /// One top-level value: a task, a prediction or a webhook payload.
    fn entry(
        &mut self,
        value: &Value,
        path: &Path<'_>,
        index: usize,
        sink: &mut dyn FnMut(Record),
    ) -> Result<(), InputError> {
        let file = self.tasks.file();
        let object = At::new(value, path, file).object()?;
        let derive = self.tasks.has_config();
        let derived = &mut self.derived;
        let seen = &mut self.seen;
        let mut emit = |record: Record| {
            *seen += 1;
            if !derive {
                derived.add(&record);
            }
            sink(record);
        };
        if object.has("annotation") && (object.has("project") || object.has("task")) {
            self.tasks.webhook(object, &mut emit)
        } else if object.has("result") && !is_task(&object) {
            self.tasks.prediction_only(object, index, &mut emit)
        } else if is_task(&object) || object.has("id") {
            self.tasks.task(object, index, &mut emit)
        } else {
            Err(object.error(
                "expected a task (with data, annotations or predictions), a prediction (with result) or a webhook \
                 payload (with annotation and project)",
            ))
        }
    }
}

fn is_task(object: &Obj<'_, '_>) -> bool {
    ["data", "annotations", "completions", "predictions", "drafts"].iter().any(|key| object.map.contains_key(*key))
}

/// The serde visitor over the top level: a list (each element handed over as parsed) or one
/// object.
struct TopLevel<'s, 'o> {
    state: &'s mut ReadState<'o>,
    sink: &'s mut dyn FnMut(Record),
    /// The reader's own error, carried past serde (which only knows its own errors).
    failure: Option<InputError>,
    /// The list element being parsed, for syntax errors.
    index: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for &mut TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of Label Studio tasks, one task, or a webhook payload")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.index = Some(index);
            let Some(value) = seq.next_element::<Value>()? else { break };
            let path = Path::ROOT.index(index);
            if let Err(e) = self.state.entry(&value, &path, index, self.sink) {
                self.failure = Some(e);
                return Err(de::Error::custom("stopped"));
            }
            index += 1;
        }
        self.index = None;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut object = Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        let value = Value::Object(object);
        if let Err(e) = self.state.entry(&value, &Path::ROOT, 0, self.sink) {
            self.failure = Some(e);
            return Err(de::Error::custom("stopped"));
        }
        Ok(())
    }
}

/// serde_json's message without its ` at line L column C` tail, which goes into the location.
fn syntax_error(file: &str, index: Option<usize>, e: &serde_json::Error) -> InputError {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&tail).unwrap_or(&full);
    let at = format!("line {} column {}", e.line(), e.column());
    let location = match index {
        Some(i) => format!("$[{i}] ({at})"),
        None => at,
    };
    let message = if message.starts_with("invalid type") {
        format!("{message}: expected a list of tasks, one task, or a webhook payload")
    } else {
        message.to_owned()
    };
    InputError::new(file, location, message)
}

/// The model version of a prediction, or `prediction`.
pub(super) fn model_version(object: &Obj<'_, '_>) -> String {
    object.get("model_version").and_then(id_text).filter(|v| !v.is_empty()).unwrap_or_else(|| "prediction".to_owned())
}

/// A labeling config from a webhook payload's `project.label_config`.
pub(super) fn payload_config(project: &Obj<'_, '_>, file: &str) -> Result<Option<LsConfig>, InputError> {
    match project.opt_str("label_config")? {
        Some(xml) => spec_from_config(xml, &format!("{file}: project.label_config")).map(Some),
        None => Ok(None),
    }
}
