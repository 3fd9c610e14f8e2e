//! What a conversion could not represent, and malformed input.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Things a reader or writer met and could not represent, grouped by kind and reason.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Diagnostics {
    /// By kind, then reason: a repeat is found by `&str` without allocating a key.
    entries: BTreeMap<String, BTreeMap<String, Unsupported>>,
}

/// One kind of unrepresentable input (e.g. `ellipselabels`) with one reason, how often it
/// occurred and in which tasks (items).
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    pub kind: String,
    pub reason: String,
    pub count: usize,
    pub tasks: BTreeSet<String>,
}

/// Task ids listed per kind on stderr; the count says how many there were in all.
const TASKS_SHOWN: usize = 10;

impl Diagnostics {
    /// Records one occurrence of `kind` in task `task` (an item id; empty when unknown).
    pub fn skip(&mut self, kind: &str, reason: &str, task: &str) {
        if !self.entries.contains_key(kind) {
            self.entries.insert(kind.to_owned(), BTreeMap::new());
        }
        let Some(reasons) = self.entries.get_mut(kind) else { return };
        if !reasons.contains_key(reason) {
            let new =
                Unsupported { kind: kind.to_owned(), reason: reason.to_owned(), count: 0, tasks: BTreeSet::new() };
            reasons.insert(reason.to_owned(), new);
        }
        let Some(entry) = reasons.get_mut(reason) else { return };
        entry.count += 1;
        if !task.is_empty() && !entry.tasks.contains(task) {
            entry.tasks.insert(task.to_owned());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every kind and reason, sorted by kind.
    pub fn entries(&self) -> impl Iterator<Item = &Unsupported> {
        self.entries.values().flat_map(BTreeMap::values)
    }

    /// Occurrences of `kind`, over all reasons.
    pub fn count(&self, kind: &str) -> usize {
        self.entries.get(kind).map_or(0, |reasons| reasons.values().map(|u| u.count).sum())
    }

    /// Adds another list's entries to this one.
    pub fn merge(&mut self, other: Diagnostics) {
        for (kind, reasons) in other.entries {
            let ours = self.entries.entry(kind).or_default();
            for (reason, theirs) in reasons {
                match ours.get_mut(&reason) {
                    Some(entry) => {
                        entry.count += theirs.count;
                        entry.tasks.extend(theirs.tasks);
                    }
                    None => {
                        ours.insert(reason, theirs);
                    }
                }
            }
        }
    }
}

/// One line per kind: `skipped 3 ellipselabels (not representable: ellipses have no annoqa
/// region type) in tasks 1, 7, 9`.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for u in self.entries() {
            write!(f, "skipped {} {} ({})", u.count, u.kind, u.reason)?;
            if !u.tasks.is_empty() {
                let shown: Vec<&str> = u.tasks.iter().take(TASKS_SHOWN).map(String::as_str).collect();
                write!(f, " in task{} {}", if u.tasks.len() == 1 { "" } else { "s" }, shown.join(", "))?;
                if u.tasks.len() > TASKS_SHOWN {
                    write!(f, " and {} more", u.tasks.len() - TASKS_SHOWN)?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Input that is not what its format says: `data.json: $[3].annotations[0].result[1].value.x:
/// expected a number`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file, as the user named it.
    pub file: String,
    /// A JSON path (`$[3].annotations[0]`), `line 12`, or an XML element path; empty when the
    /// whole file is at fault.
    pub location: String,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, location: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { file: file.into(), location: location.into(), message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.location, self.message)
        }
    }
}

impl std::error::Error for InputError {}
