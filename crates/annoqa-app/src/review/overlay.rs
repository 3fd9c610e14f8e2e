//! What the reviewer's overlay shows: the annotators switched on, their regions together under
//! ids that say whose they are, each region's agreement class, and the same as JSON for
//! `window.annoqa.overlay()`. DOM-free, so it is tested natively.
//!
//! The matching itself is annoqa-stats' `overlay` (the core matcher), run over the annotators
//! shown: switching one off re-classes the rest, as a reviewer comparing two annotators expects.

use std::collections::HashMap;
use std::rc::Rc;

use annoqa_api::OverlayView;
use annoqa_core::{Region, TaskSpec};
use annoqa_stats::overlay::{overlay, AgreementClass, Overlay, Submission};
use serde::Serialize;

use crate::components::Agreement;

/// The overlay of the annotators shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownOverlay {
    /// Indices into the view's annotations, in order.
    pub shown: Vec<usize>,
    pub overlay: Overlay,
    /// Every shown annotator's regions, each id prefixed with `annotator/` (ids repeat across
    /// annotators).
    pub regions: Vec<Region>,
    pub agreement: Rc<HashMap<String, Agreement>>,
}

/// The id a region of `annotator` has in the combined view.
pub fn combined_id(annotator: &str, region: &str) -> String {
    format!("{annotator}/{region}")
}

fn agreement_of(class: AgreementClass) -> Agreement {
    match class {
        AgreementClass::AllAgree => Agreement::AllAgree,
        AgreementClass::Majority => Agreement::Majority,
        AgreementClass::Disagree => Agreement::Disagree,
    }
}

/// The words a reviewer reads for a class.
pub fn class_words(class: AgreementClass) -> &'static str {
    match class {
        AgreementClass::AllAgree => "all agree",
        AgreementClass::Majority => "majority",
        AgreementClass::Disagree => "disagree",
    }
}

/// The overlay of the annotations of `view` whose flag in `on` is set (missing flags count as
/// on). Fails as annoqa-stats does (more than five annotators).
pub fn shown_overlay(spec: &TaskSpec, view: &OverlayView, on: &[bool]) -> Result<ShownOverlay, String> {
    let shown: Vec<usize> = (0..view.annotations.len()).filter(|&i| on.get(i).copied().unwrap_or(true)).collect();
    let submissions: Vec<Submission> = shown
        .iter()
        .map(|&i| {
            let a = &view.annotations[i];
            Submission { annotator: a.annotator.username.clone(), regions: a.regions.clone() }
        })
        .collect();
    let result = overlay(spec, &view.item, &submissions).map_err(|e| e.to_string())?;
    let mut agreement = HashMap::new();
    for group in &result.groups {
        for member in &group.members {
            let annotator = &submissions[member.annotator].annotator;
            agreement.insert(combined_id(annotator, &member.id), agreement_of(group.class));
        }
    }
    let regions = submissions
        .iter()
        .flat_map(|s| s.regions.iter().map(|r| Region { id: combined_id(&s.annotator, &r.id), ..r.clone() }))
        .collect();
    Ok(ShownOverlay { shown, overlay: result, regions, agreement: Rc::new(agreement) })
}

impl ShownOverlay {
    /// The region of annotator `name` in group `group`, by its own id.
    pub fn member_of(&self, group: usize, name: &str) -> Option<&str> {
        let at = self.overlay.annotators.iter().position(|a| a == name)?;
        let group = self.overlay.groups.get(group)?;
        group.members.iter().find(|m| m.annotator == at).map(|m| m.id.as_str())
    }

    /// The consensus proposal's regions, to start a fix from.
    pub fn proposal(&self) -> Vec<Region> {
        self.overlay.proposal.iter().map(|p| p.region.clone()).collect()
    }

    /// `window.annoqa.overlay()`: the annotators shown, each one's regions (own ids), and the
    /// cross-annotator matches with their class.
    pub fn test_json(&self, view: &OverlayView) -> serde_json::Value {
        #[derive(Serialize)]
        struct Match<'a> {
            control: &'a str,
            class: AgreementClass,
            label: Option<&'a str>,
            members: Vec<Member<'a>>,
        }
        #[derive(Serialize)]
        struct Member<'a> {
            annotator: &'a str,
            region: &'a str,
        }
        let annotators: Vec<_> = self
            .shown
            .iter()
            .map(|&i| {
                let a = &view.annotations[i];
                serde_json::json!({ "annotator": a.annotator.username, "submission": a.submission_id, "regions": a.regions })
            })
            .collect();
        let matches: Vec<Match<'_>> = self
            .overlay
            .groups
            .iter()
            .map(|g| Match {
                control: &g.control,
                class: g.class,
                label: g.label.as_deref(),
                members: g
                    .members
                    .iter()
                    .map(|m| Member { annotator: &self.overlay.annotators[m.annotator], region: &m.id })
                    .collect(),
            })
            .collect();
        serde_json::json!({
            "annotators": annotators,
            "matches": matches,
            "agreement": self.overlay.agreement,
            "proposal": self.proposal(),
        })
    }
}
