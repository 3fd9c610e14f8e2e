//! crowd-kit's long CSV (`task,worker,label`) from the records' choice regions.
//!
//! crowd-kit's classification aggregators (Majority Vote, Dawid-Skene, GLAD, …) read one label
//! per (task, worker). So each choice control becomes one table: a row per annotation record
//! that answers it with exactly one label. What does not fit is reported, never written:
//! predictions (a model is not a worker), answers with several labels or none, a worker's
//! second answer to the same task, and every region that is not a choice.

use std::collections::HashSet;

use annoqa_core::model::{ControlKind, RegionValue, TaskSpec};

use crate::diag::{Diagnostics, InputError};
use crate::record::{derive_spec, OutputFile, Record, Source, Written};

/// The header, exactly as crowd-kit's loaders name the columns.
pub const HEADER: &str = "task,worker,label";

/// One table per choice control of `spec` (derived from the records when `None`): one file with
/// an empty path when there is one control, `<control>.csv` files when there are several.
/// Lines end in CRLF and fields are quoted as RFC 4180 says.
pub fn write(records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    let derived;
    let spec = match spec {
        Some(spec) => spec,
        None => {
            derived = derive_spec(records);
            &derived
        }
    };
    let controls: Vec<&str> = spec
        .controls
        .iter()
        .filter(|c| matches!(c.kind, ControlKind::Choice { .. }))
        .map(|c| c.name.as_str())
        .collect();
    if controls.is_empty() {
        return Err(InputError::new("records", "", "no choice control: crowd-kit's csv holds choice answers only"));
    }
    let mut diagnostics = Diagnostics::default();
    report_unwritten(records, &controls, &mut diagnostics);
    let several = controls.len() > 1;
    let files = controls
        .iter()
        .map(|control| OutputFile {
            path: if several { format!("{}.csv", crate::cvat::safe_file_name(control)) } else { String::new() },
            bytes: table(records, control, &mut diagnostics).into_bytes(),
        })
        .collect();
    Ok(Written { files, diagnostics })
}

/// Predictions and the regions no table holds.
fn report_unwritten(records: &[Record], controls: &[&str], diagnostics: &mut Diagnostics) {
    for record in records {
        if record.source == Source::Prediction {
            diagnostics.skip("prediction", "a model's prediction is not a worker's answer", &record.item.id);
            continue;
        }
        for region in &record.regions {
            let is_choice = matches!(region.value, RegionValue::Choice { .. });
            if !is_choice || !controls.contains(&region.control.as_str()) {
                diagnostics.skip(
                    &format!("{} region", region.control),
                    "crowd-kit's long csv holds the answers of the spec's choice controls only",
                    &record.item.id,
                );
            }
        }
    }
}

/// `control`'s table: the header, then a row per single-label answer of each worker.
fn table(records: &[Record], control: &str, diagnostics: &mut Diagnostics) -> String {
    let mut out = String::from(HEADER);
    out.push_str("\r\n");
    let mut answered: HashSet<(&str, &str)> = HashSet::new();
    for record in records.iter().filter(|r| r.source == Source::Annotation) {
        let task = record.item.id.as_str();
        for region in record.regions.iter().filter(|r| r.control == control) {
            let RegionValue::Choice { labels } = &region.value else { continue };
            let label = match labels.as_slice() {
                [label] => label,
                [] => {
                    diagnostics.skip(control, "an answer without a label", task);
                    continue;
                }
                _ => {
                    diagnostics.skip(
                        control,
                        "an answer with several labels: crowd-kit's aggregators take one label per task and worker",
                        task,
                    );
                    continue;
                }
            };
            if !answered.insert((task, record.annotator.as_str())) {
                diagnostics.skip(control, "a worker's second answer to the same task", task);
                continue;
            }
            for (i, field) in [task, record.annotator.as_str(), label.as_str()].into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_field(&mut out, field);
            }
            out.push_str("\r\n");
        }
    }
    out
}

/// A field as RFC 4180 has it: in double quotes, with quotes doubled, when it holds a comma, a
/// quote or a line break; as it is otherwise.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}
