//! Names to dense indices, and the spec derived from records as they stream past.

use std::collections::HashMap;

use annoqa_core::model::{ControlKind, TaskSpec};
use annoqa_interop::record::derive_spec;
use annoqa_interop::Record;

/// One item's agreement on a control: `(item, annotators, value)`.
pub(crate) type ItemValue = (u32, usize, f64);

/// Names in order of first appearance, with their dense indices.
#[derive(Default, Debug)]
pub(crate) struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }

    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        self.names
    }

    pub(crate) fn as_slice(&self) -> &[String] {
        &self.names
    }
}

/// Folds one record into a spec derived from the records before it, so that the result equals
/// `derive_spec` of all of them: controls in first-seen order with the kind of their first
/// region, labels in first-seen order, a choice `multiple` once any answer has two labels.
/// (derive_spec of the one record gives its controls; they are appended or merged.)
pub(crate) fn merge_derived(spec: &mut Option<TaskSpec>, record: &Record) {
    let piece = derive_spec(std::slice::from_ref(record));
    let Some(spec) = spec else {
        *spec = Some(piece);
        return;
    };
    for control in piece.controls {
        match spec.controls.iter_mut().find(|c| c.name == control.name) {
            None => spec.controls.push(control),
            Some(existing) => {
                if let (ControlKind::Choice { multiple: ours }, ControlKind::Choice { multiple: theirs }) =
                    (&mut existing.kind, &control.kind)
                {
                    *ours |= *theirs;
                }
                for label in control.labels {
                    if existing.label(&label.value).is_none() {
                        existing.labels.push(label);
                    }
                }
            }
        }
    }
}
