//! Validation of an answer that changes a little at a time, as in the browser: an edit changes
//! one region, and only that region's own checks (its labels, its geometry: for a polygon the
//! simplicity sweep) need to run again.

use std::collections::HashMap;

use super::{own_findings, repeated_ids, validate_with, OwnFindings};
use crate::{Finding, Item, Region, TaskSpec};

/// Remembers, per region, what is wrong with it by itself ([`OwnFindings`]), and reuses that
/// for every region equal (id, control and value) to one it validated last time under the same
/// spec and item. [`Validator::validate`] returns exactly what [`super::validate`] returns for
/// the same input; only the time differs.
#[derive(Debug, Default)]
pub struct Validator {
    /// The spec and item the kept findings were made under.
    context: Option<(TaskSpec, Item)>,
    /// The regions of the last call in their order, each with its own findings.
    kept: Vec<(Region, OwnFindings)>,
    /// [`repeated_ids`] of the last call's regions.
    repeated: Vec<usize>,
}

impl Validator {
    pub fn new() -> Validator {
        Validator::default()
    }

    /// Everything inconsistent about `regions` as an answer to `item` under `spec`.
    pub fn validate(&mut self, spec: &TaskSpec, item: &Item, regions: &[Region]) -> Vec<Finding> {
        let same_context = self.context.as_ref().is_some_and(|(s, i)| s == spec && i == item);
        if !same_context {
            self.context = Some((spec.clone(), item.clone()));
            self.kept.clear();
        }
        let ids_kept = if same_context && regions.len() == self.kept.len() {
            self.update_in_place(spec, item, regions)
        } else {
            self.kept = self.reuse(spec, item, regions);
            false
        };
        if !ids_kept {
            self.repeated = repeated_ids(regions);
        }
        let own: Vec<&OwnFindings> = self.kept.iter().map(|(_, own)| own).collect();
        validate_with(spec, item, regions, &self.repeated, &own)
    }

    /// As many regions as last time: each compared with the one at its position, and made
    /// anew where it differs. The common case: an edit changed a region's value or label.
    /// True when every id stayed where it was (so the repeated ones are the same).
    fn update_in_place(&mut self, spec: &TaskSpec, item: &Item, regions: &[Region]) -> bool {
        let mut ids_kept = true;
        for (kept, region) in self.kept.iter_mut().zip(regions) {
            if kept.0 != *region {
                ids_kept &= kept.0.id == region.id;
                *kept = (region.clone(), own_findings(spec, item, region));
            }
        }
        ids_kept
    }

    /// The kept entry of each of `regions`, reused where the region is unchanged, made anew
    /// where not. An edit keeps the order of the other regions, so the last call's regions are
    /// walked alongside; a region that is not next there is looked up by id.
    fn reuse(&mut self, spec: &TaskSpec, item: &Item, regions: &[Region]) -> Vec<(Region, OwnFindings)> {
        let mut old: Vec<Option<(Region, OwnFindings)>> =
            std::mem::take(&mut self.kept).into_iter().map(Some).collect();
        let mut by_id: Option<HashMap<String, usize>> = None;
        let mut next = 0;
        let mut out = Vec::with_capacity(regions.len());
        for region in regions {
            let at_next = old.get(next).and_then(Option::as_ref).is_some_and(|(r, _)| r.id == region.id);
            let candidate = if at_next {
                Some(next)
            } else {
                let index = by_id.get_or_insert_with(|| first_position_by_id(&old));
                index.get(&region.id).copied()
            };
            let reused = candidate.and_then(|at| {
                next = at + 1;
                let same = old[at].as_ref().is_some_and(|(r, _)| r == region);
                if same {
                    old[at].take()
                } else {
                    None
                }
            });
            out.push(reused.unwrap_or_else(|| (region.clone(), own_findings(spec, item, region))));
        }
        out
    }
}

/// Where each id first occurs among the kept regions.
fn first_position_by_id(old: &[Option<(Region, OwnFindings)>]) -> HashMap<String, usize> {
    let mut index = HashMap::with_capacity(old.len());
    for (at, entry) in old.iter().enumerate() {
        if let Some((region, _)) = entry {
            index.entry(region.id.clone()).or_insert(at);
        }
    }
    index
}
