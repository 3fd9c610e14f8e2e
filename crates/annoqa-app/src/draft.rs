//! The annotation being drawn: regions by id, a revision number and undo/redo.
//!
//! Every media editor changes the answer only through [`Draft`]'s operations, so undo, the
//! revision that memoised validation keys on, and the change log that keeps a spatial index in
//! step all come for free. An edit costs O(1) plus, for a removal or an undone addition, one
//! pass over the later positions; nothing copies the whole draft.
//!
//! Each region has a *slot*: a number that never changes while the region exists and is given
//! back to it by undo, so an index keyed by slot (the image workspace's spatial grid) survives
//! removals without being rebuilt.

use std::cell::{Ref, RefCell, RefMut};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use annoqa_api::PredictionOutcome;
use annoqa_core::{Region, RegionValue};

/// How many edits undo can go back. The issue asks for at least 100.
pub const UNDO_DEPTH: usize = 200;

/// How many revisions the change log covers; a reader further behind rebuilds.
const CHANGE_LOG: usize = 256;

/// One reversible step. A step may hold several changes (deleting a selection of regions).
#[derive(Clone, Debug, PartialEq)]
enum Change {
    Insert { position: usize, slot: u32, region: Region },
    Remove { position: usize, slot: u32, region: Region },
    Replace { slot: u32, before: RegionValue, after: RegionValue },
}

impl Change {
    fn inverse(self) -> Change {
        match self {
            Change::Insert { position, slot, region } => Change::Remove { position, slot, region },
            Change::Remove { position, slot, region } => Change::Insert { position, slot, region },
            Change::Replace { slot, before, after } => Change::Replace { slot, before: after, after: before },
        }
    }

    fn slot(&self) -> u32 {
        match self {
            Change::Insert { slot, .. } | Change::Remove { slot, .. } | Change::Replace { slot, .. } => *slot,
        }
    }
}

/// The regions of one item's answer, in the order they were added.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    regions: Vec<Region>,
    /// The slot of the region at each position.
    slots: Vec<u32>,
    /// The position of the region in each slot, `None` once removed.
    positions: Vec<Option<usize>>,
    by_id: HashMap<String, u32>,
    /// Predicted regions by id, as they arrived; removed predictions stay, to report them.
    predictions: Vec<(String, RegionValue)>,
    /// Index into `predictions` by id.
    predicted: HashMap<String, usize>,
    /// Every id a region of this draft has had, so a new id never takes one that undo could
    /// bring back or that a prediction outcome names.
    used: HashSet<String>,
    revision: u64,
    undo: VecDeque<Vec<Change>>,
    redo: Vec<Vec<Change>>,
    /// `(revision, slot)` of recent changes, oldest first.
    log: VecDeque<(u64, u32)>,
    next_id: u32,
}

impl PartialEq for Draft {
    /// Two drafts are the same answer when they hold the same regions in the same order; the
    /// history does not count.
    fn eq(&self, other: &Draft) -> bool {
        self.regions == other.regions
    }
}

impl Draft {
    /// A draft holding `regions` (a restored draft or an item's predictions, marked by
    /// `predicted`) with no history. Regions without an id, or with a repeated one, get a
    /// fresh id.
    pub fn new(regions: Vec<Region>, predicted: bool) -> Draft {
        let mut draft = Draft::default();
        for mut region in regions {
            if region.id.is_empty() || draft.by_id.contains_key(&region.id) {
                region.id = draft.fresh_id();
            }
            if predicted {
                draft.predicted.insert(region.id.clone(), draft.predictions.len());
                draft.predictions.push((region.id.clone(), region.value.clone()));
            }
            let slot = draft.positions.len() as u32;
            draft.used.insert(region.id.clone());
            draft.by_id.insert(region.id.clone(), slot);
            draft.positions.push(Some(draft.regions.len()));
            draft.slots.push(slot);
            draft.regions.push(region);
        }
        draft
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Bumped by every change, undo and redo included.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn get(&self, id: &str) -> Option<&Region> {
        self.position_of(id).map(|p| &self.regions[p])
    }

    pub fn slot_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied().filter(|&slot| self.positions[slot as usize].is_some())
    }

    pub fn position_of(&self, id: &str) -> Option<usize> {
        self.slot_of(id).and_then(|slot| self.positions[slot as usize])
    }

    /// The region in `slot`, if it exists now.
    pub fn at_slot(&self, slot: u32) -> Option<&Region> {
        self.positions.get(slot as usize).copied().flatten().map(|p| &self.regions[p])
    }

    /// One past the highest slot ever used: the size an index keyed by slot needs.
    pub fn slot_count(&self) -> usize {
        self.positions.len()
    }

    /// The slot of the region at each position, in drawing order.
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Whether a region is a prediction that arrived with the item.
    pub fn is_predicted(&self, id: &str) -> bool {
        self.predicted.contains_key(id)
    }

    /// Whether a predicted region still has the value it arrived with.
    pub fn is_unchanged_prediction(&self, id: &str) -> bool {
        let original = self.predicted.get(id).map(|&i| &self.predictions[i].1);
        original.is_some_and(|value| self.get(id).is_some_and(|r| r.value == *value))
    }

    /// The slots changed after `revision`, or `None` when the log does not reach back that far
    /// (the caller rebuilds whatever it keeps per slot).
    pub fn changed_since(&self, revision: u64) -> Option<Vec<u32>> {
        if revision == self.revision {
            return Some(Vec::new());
        }
        let covered = self.log.front().is_some_and(|&(first, _)| first <= revision + 1);
        if revision > self.revision || !covered {
            return None;
        }
        let mut slots: Vec<u32> = self.log.iter().filter(|&&(r, _)| r > revision).map(|&(_, s)| s).collect();
        slots.sort_unstable();
        slots.dedup();
        Some(slots)
    }

    /// A new id no region of this draft has had (`r1`, `r2`, …).
    pub fn fresh_id(&mut self) -> String {
        loop {
            self.next_id += 1;
            let id = format!("r{}", self.next_id);
            if !self.used.contains(&id) {
                return id;
            }
        }
    }

    /// Adds a region at the end; an empty id, or one this draft has used, is replaced by a fresh
    /// one. Returns its id.
    pub fn add(&mut self, mut region: Region) -> String {
        if region.id.is_empty() || self.used.contains(&region.id) {
            region.id = self.fresh_id();
        }
        let id = region.id.clone();
        self.used.insert(id.clone());
        let slot = self.positions.len() as u32;
        self.positions.push(None);
        let position = self.regions.len();
        self.commit(vec![Change::Insert { position, slot, region }]);
        id
    }

    /// Replaces a region's value (geometry, label). False when there is no such region or the
    /// value is unchanged, in which case nothing is recorded.
    pub fn set_value(&mut self, id: &str, value: RegionValue) -> bool {
        let Some(position) = self.position_of(id) else {
            return false;
        };
        if self.regions[position].value == value {
            return false;
        }
        let slot = self.slots[position];
        let before = self.regions[position].value.clone();
        self.commit(vec![Change::Replace { slot, before, after: value }]);
        true
    }

    /// Removes regions by id as one undo step; unknown ids are ignored. False when none existed.
    pub fn remove(&mut self, ids: &[&str]) -> bool {
        let mut positions: Vec<usize> = ids.iter().filter_map(|id| self.position_of(id)).collect();
        positions.sort_unstable();
        positions.dedup();
        if positions.is_empty() {
            return false;
        }
        // From the back, so each recorded position is right when the step is replayed in order
        // and its inverse (insertions) is replayed in reverse.
        let changes = positions
            .iter()
            .rev()
            .map(|&position| Change::Remove {
                position,
                slot: self.slots[position],
                region: self.regions[position].clone(),
            })
            .collect();
        self.commit(changes);
        true
    }

    pub fn undo(&mut self) -> bool {
        let Some(step) = self.undo.pop_back() else {
            return false;
        };
        let inverse: Vec<Change> = step.iter().rev().cloned().map(Change::inverse).collect();
        self.apply_all(&inverse);
        self.redo.push(step);
        true
    }

    pub fn redo(&mut self) -> bool {
        let Some(step) = self.redo.pop() else {
            return false;
        };
        self.apply_all(&step);
        self.push_undo(step);
        true
    }

    /// A draft restored from this browser that started from `predictions`: the outcome is still
    /// reported against the predictions as they arrived.
    pub fn restored(regions: Vec<Region>, predictions: &[Region]) -> Draft {
        let mut draft = Draft::new(regions, false);
        draft.predictions = predictions.iter().map(|p| (p.id.clone(), p.value.clone())).collect();
        draft.predicted = predictions.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        draft.used.extend(predictions.iter().map(|p| p.id.clone()));
        draft
    }

    /// Whether the item came with predictions.
    pub fn has_predictions(&self) -> bool {
        !self.predictions.is_empty()
    }

    /// What became of the predictions: kept as they arrived, edited, or deleted.
    pub fn prediction_outcome(&self) -> PredictionOutcome {
        let mut outcome = PredictionOutcome::default();
        for (id, original) in &self.predictions {
            match self.get(id) {
                None => outcome.deleted.push(id.clone()),
                Some(region) if region.value == *original => outcome.kept.push(id.clone()),
                Some(_) => outcome.edited.push(id.clone()),
            }
        }
        outcome
    }

    fn commit(&mut self, step: Vec<Change>) {
        self.apply_all(&step);
        self.redo.clear();
        self.push_undo(step);
    }

    fn push_undo(&mut self, step: Vec<Change>) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.pop_front();
        }
        self.undo.push_back(step);
    }

    fn apply_all(&mut self, step: &[Change]) {
        self.revision += 1;
        for change in step {
            self.apply(change);
            if self.log.len() == CHANGE_LOG {
                self.log.pop_front();
            }
            self.log.push_back((self.revision, change.slot()));
        }
    }

    fn apply(&mut self, change: &Change) {
        match change {
            Change::Insert { position, slot, region } => {
                let position = (*position).min(self.regions.len());
                self.by_id.insert(region.id.clone(), *slot);
                self.regions.insert(position, region.clone());
                self.slots.insert(position, *slot);
                self.renumber_from(position);
            }
            // The slot's current position is where the recorded one was: steps replay in order.
            Change::Remove { slot, region, .. } => {
                let Some(position) = self.positions[*slot as usize] else {
                    return;
                };
                self.regions.remove(position);
                self.slots.remove(position);
                self.positions[*slot as usize] = None;
                if self.by_id.get(&region.id) == Some(slot) {
                    self.by_id.remove(&region.id);
                }
                self.renumber_from(position);
            }
            Change::Replace { slot, after, .. } => {
                if let Some(position) = self.positions[*slot as usize] {
                    self.regions[position].value = after.clone();
                }
            }
        }
    }

    fn renumber_from(&mut self, position: usize) {
        for (p, &slot) in self.slots.iter().enumerate().skip(position) {
            self.positions[slot as usize] = Some(p);
        }
    }
}

/// The draft as the page state holds it: shared, so the page's reducer (which clones its state
/// on every action) copies a pointer, not the regions. Only reducer actions borrow it mutably.
#[derive(Clone, Debug, Default)]
pub struct SharedDraft(Rc<RefCell<Draft>>);

impl SharedDraft {
    pub fn new(draft: Draft) -> SharedDraft {
        SharedDraft(Rc::new(RefCell::new(draft)))
    }

    pub fn borrow(&self) -> Ref<'_, Draft> {
        self.0.borrow()
    }

    pub fn borrow_mut(&self) -> RefMut<'_, Draft> {
        self.0.borrow_mut()
    }

    /// The revision, for memoising what is computed from the regions.
    pub fn revision(&self) -> u64 {
        self.0.borrow().revision()
    }

    /// A copy of the regions, for what leaves the page (a submission, local storage).
    pub fn to_regions(&self) -> Vec<Region> {
        self.0.borrow().regions().to_vec()
    }
}

impl PartialEq for SharedDraft {
    fn eq(&self, other: &SharedDraft) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || *self.0.borrow() == *other.0.borrow()
    }
}
