//! Label Studio JSON → records, one task at a time: the top level is read by a serde visitor
//! that hands each task (or prediction, or webhook payload) over as it is parsed.

use std::fmt;
use std::io::Read;

use annoqa_core::model::TaskSpec;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::config::{spec_from_config, LsConfig};
use super::json::{id_text, At, Obj, Path};
use super::spec_xml::ls_config_for_spec;
use super::split::{Batch, Element, Position, Shape, SplitError, Splitter};
use super::task::TaskReader;
use super::value::Json;
use crate::diag::{Diagnostics, InputError};
use crate::record::{Converted, ReadOptions, Record, RecordFold, SpecBuilder};

/// Reads a Label Studio export (a task list, one task, a webhook payload or an ML backend's
/// prediction list) into records. See docs/interop.md for the mapping.
pub fn read(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let mut records = Vec::new();
    let (spec, diagnostics) = for_each_record(bytes, opts, &mut |record| records.push(record))?;
    Ok(Converted { records, spec, diagnostics })
}

/// [`read`] for large files: holds a few tasks at a time and hands each record to `sink`.
/// Returns the spec (the config's, or one derived from the results) and what was reported.
///
/// A list is cut into its tasks' bytes ([`split`](super::split)), each parsed from a slice;
/// natively, with the config known, worker threads parse and convert whole batches
/// ([`pool`](super::pool)). One task, a webhook payload or what is not JSON is read whole and
/// parsed by serde's visitor.
pub fn for_each_record(
    reader: impl Read + Send,
    opts: &ReadOptions<'_>,
    sink: &mut dyn FnMut(Record),
) -> Result<(Option<TaskSpec>, Diagnostics), InputError> {
    for_each_part(reader, opts, &Batches, &mut |records| records.into_iter().for_each(&mut *sink))
}

/// The records of a batch, as they come.
struct Batches;

impl RecordFold for Batches {
    type Part = Vec<Record>;
    fn part(&self) -> Vec<Record> {
        Vec::new()
    }
    fn add(&self, part: &mut Vec<Record>, record: Record) {
        part.push(record);
    }
}

/// [`for_each_record`] with the records gathered by `fold` where they are made: on the
/// converting threads when there are several (a part per batch of tasks), else a part per
/// record. Parts reach `sink` in list order.
pub fn for_each_part<F: RecordFold>(
    reader: impl Read + Send,
    opts: &ReadOptions<'_>,
    fold: &F,
    sink: &mut dyn FnMut(F::Part),
) -> Result<(Option<TaskSpec>, Diagnostics), InputError> {
    let config = match (opts.config, opts.spec) {
        (Some(xml), _) => Some(spec_from_config(xml, opts.file_name)?),
        (None, Some(spec)) => Some(ls_config_for_spec(spec)),
        (None, None) => None,
    };
    let mut state = ReadState { tasks: TaskReader::new(opts, config), derived: SpecBuilder::default(), seen: 0 };
    let file = opts.file_name;
    let (splitter, shape) = Splitter::open(reader).map_err(|e| split_error(file, e))?;
    match shape {
        Shape::List => read_list(splitter, &mut state, fold, sink)?,
        Shape::Other(read) => {
            read_whole(read, splitter.into_reader(), &mut state, &mut |record| one_part(fold, sink, record))?;
        }
    }
    Ok(state.finish(opts))
}

/// Bytes of tasks parsed together: large enough that handing a batch to the converting
/// thread costs nothing, small enough that few tasks are in memory at once.
pub(super) const BATCH_BYTES: usize = 1 << 20;

/// The tasks of a list. With the config known from the start, threads parse and convert
/// whole batches each (JSON values never cross threads, so neither do their many small
/// allocations) and this thread hands their records on in list order. Without one, a
/// webhook payload in the list may bring the config and records derive the spec, both in
/// list order: that stays on one thread.
/// A part of one record, for records converted on this thread.
fn one_part<F: RecordFold>(fold: &F, sink: &mut dyn FnMut(F::Part), record: Record) {
    let mut part = fold.part();
    fold.add(&mut part, record);
    sink(part);
}

#[cfg(not(target_arch = "wasm32"))]
fn read_list<R: Read + Send, F: RecordFold>(
    splitter: Splitter<R>,
    state: &mut ReadState<'_>,
    fold: &F,
    sink: &mut dyn FnMut(F::Part),
) -> Result<(), InputError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS);
    if !state.tasks.has_config() || workers < 2 {
        return read_list_here(splitter, state, &mut |record| one_part(fold, sink, record));
    }
    super::pool::convert_batches(splitter, state, workers, fold, sink)
}

#[cfg(target_arch = "wasm32")]
fn read_list<R: Read + Send, F: RecordFold>(
    splitter: Splitter<R>,
    state: &mut ReadState<'_>,
    fold: &F,
    sink: &mut dyn FnMut(F::Part),
) -> Result<(), InputError> {
    read_list_here(splitter, state, &mut |record| one_part(fold, sink, record))
}

/// Converting threads at most: past a few, the one thread reading the file is the limit.
#[cfg(not(target_arch = "wasm32"))]
const MAX_WORKERS: usize = 4;

/// The tasks of a list, parsed and converted in turn on this thread.
fn read_list_here<R: Read>(
    mut splitter: Splitter<R>,
    state: &mut ReadState<'_>,
    sink: &mut dyn FnMut(Record),
) -> Result<(), InputError> {
    let file = state.tasks.file();
    while let Some(batch) = splitter.next_batch(BATCH_BYTES).map_err(|e| split_error(file, e))? {
        for element in &batch.elements {
            let value = parse_element(&batch, element, file)?;
            state.entry(&value, &Path::ROOT.index(element.index), element.index, sink)?;
        }
        splitter.reuse(batch.bytes);
    }
    Ok(())
}

/// One task of a batch parsed; a syntax error is placed in the file.
pub(super) fn parse_element<'b>(batch: &'b Batch, element: &Element, file: &str) -> Result<Json<'b>, InputError> {
    let bytes = &batch.bytes[element.start..element.end];
    // Natively a faster parser reads what it is sure of; serde_json the rest, and names faults.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(json) = super::parse::parse(bytes) {
        return Ok(json);
    }
    serde_json::from_slice::<Json<'b>>(bytes).map_err(|e| {
        // The error's place within the task, moved to its place in the file.
        let line = element.at.line + e.line() - 1;
        let column = if e.line() == 1 { element.at.column + e.column() } else { e.column() };
        syntax_error(file, Some(element.index), &serde_message(&e), Position { line, column })
    })
}

/// One task or webhook payload (or what is not JSON): read whole and parsed from the slice
/// (serde_json's reader would be a second parser in the WebAssembly module, for no gain).
fn read_whole(
    mut read: Vec<u8>,
    mut rest: impl Read,
    state: &mut ReadState<'_>,
    sink: &mut dyn FnMut(Record),
) -> Result<(), InputError> {
    let file = state.tasks.file();
    rest.read_to_end(&mut read).map_err(|e| InputError::new(file, "", format!("cannot read: {e}")))?;
    let mut deserializer = serde_json::Deserializer::from_slice(&read);
    let mut top = TopLevel { state, sink, failure: None };
    let parsed = (&mut top).deserialize(&mut deserializer);
    if let Some(failure) = top.failure {
        return Err(failure);
    }
    parsed
        .and_then(|()| deserializer.end())
        .map_err(|e| syntax_error(file, None, &serde_message(&e), Position { line: e.line(), column: e.column() }))
}

pub(super) struct ReadState<'o> {
    pub(super) tasks: TaskReader<'o>,
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
        value: &Json<'_>,
        path: &Path<'_>,
        index: usize,
        sink: &mut dyn FnMut(Record),
    ) -> Result<(), InputError> {
        let derive = !self.tasks.has_config();
        let derived = &mut self.derived;
        let seen = &mut self.seen;
        let mut emit = |record: Record| {
            *seen += 1;
            if derive {
                derived.add(&record);
            }
            sink(record);
        };
        entry(&mut self.tasks, value, path, index, &mut emit)
    }

    /// Records converted on another thread and gathered there (the config is known: nothing
    /// is derived from them).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn passed_on(&mut self, records: usize) {
        self.seen += records;
    }
}

/// One top-level value (a task, a prediction or a webhook payload) to records.
pub(super) fn entry(
    tasks: &mut TaskReader<'_>,
    value: &Json<'_>,
    path: &Path<'_>,
    index: usize,
    emit: &mut dyn FnMut(Record),
) -> Result<(), InputError> {
    let object = At::new(value, path, tasks.file()).object()?;
    if object.has("annotation") && (object.has("project") || object.has("task")) {
        tasks.webhook(object, emit)
    } else if object.has("result") && !is_task(&object) {
        tasks.prediction_only(object, index, emit)
    } else if is_task(&object) || object.has("id") {
        tasks.task(object, index, emit)
    } else {
        Err(object.error(
            "expected a task (with data, annotations or predictions), a prediction (with result) or a webhook \
             payload (with annotation and project)",
        ))
    }
}

fn is_task(object: &Obj<'_, '_>) -> bool {
    ["data", "annotations", "completions", "predictions", "drafts"].iter().any(|key| object.map.contains_key(key))
}

/// The serde visitor over a top level that is not a list: one object.
struct TopLevel<'s, 'o> {
    state: &'s mut ReadState<'o>,
    sink: &'s mut dyn FnMut(Record),
    /// The reader's own error, carried past serde (which only knows its own errors).
    failure: Option<InputError>,
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

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = super::value::JsonVisitor.visit_map(map)?;
        if let Err(e) = self.state.entry(&value, &Path::ROOT, 0, self.sink) {
            self.failure = Some(e);
            return Err(de::Error::custom("stopped"));
        }
        Ok(())
    }
}

/// serde_json's message without its ` at line L column C` tail, which goes into the location.
fn serde_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&tail).unwrap_or(&full).to_owned()
}

pub(super) fn split_error(file: &str, e: SplitError) -> InputError {
    match e {
        SplitError::Io(e) => InputError::new(file, "", format!("cannot read: {e}")),
        SplitError::Syntax { message, at, index } => syntax_error(file, index, message, at),
    }
}

/// A syntax error at `at`, in the list element `index` when there is one.
fn syntax_error(file: &str, index: Option<usize>, message: &str, at: Position) -> InputError {
    let place = format!("line {} column {}", at.line, at.column);
    let location = match index {
        Some(i) => format!("$[{i}] ({place})"),
        None => place,
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
