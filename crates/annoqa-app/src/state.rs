//! The annotator page's state machine: the item on screen, the regions drawn on it, the active
//! label and where the submit flow stands.
//!
//! Everything here is plain Rust with no DOM access, so the rules ("a hotkey labels a pending
//! selection", "an edit withdraws a warning confirmation") are unit-tested natively. Time
//! reaches it as an argument (`now_ms`), as in `annoqa-core`.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use annoqa_api::{AssignedItem, GoldReveal, NextItem, Progress, SubmitRequest, SubmitResponse};
use annoqa_core::{
    score_gold, ControlKind, Finding, Gold, GoldReport, Item, Media, Region, RegionValue, Severity, TaskSpec,
};
use yew::Reducible;

use crate::draft::{Draft, SharedDraft};
use crate::selection::TextSelection;
use crate::submission::PendingSubmission;

/// A label of a control, e.g. `PERSON` of `entities`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelRef {
    pub control: String,
    pub label: String,
}

/// What a key press means in this task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HotkeyTarget {
    /// A label of a control whose regions carry one label (spans, boxes, polygons, …).
    SpanLabel(LabelRef),
    /// A label of a `choice` control.
    Choice { control: String, label: String, multiple: bool },
}

/// The label or choice whose hotkey is `key`. Letters match regardless of case, so Caps Lock
/// does not silently disable the shortcuts.
pub fn hotkey_target(spec: &TaskSpec, key: &str) -> Option<HotkeyTarget> {
    for control in &spec.controls {
        for label in &control.labels {
            let Some(hotkey) = label.hotkey.as_deref() else {
                continue;
            };
            if !(hotkey == key || hotkey.eq_ignore_ascii_case(key)) {
                continue;
            }
            match control.kind {
                ControlKind::TextSpans { .. }
                | ControlKind::BBox
                | ControlKind::Polygon
                | ControlKind::Keypoint
                | ControlKind::AudioSegments { .. }
                | ControlKind::VideoBoxes
                | ControlKind::VideoTracks
                | ControlKind::VideoSegments => {
                    return Some(HotkeyTarget::SpanLabel(LabelRef {
                        control: control.name.clone(),
                        label: label.value.clone(),
                    }))
                }
                ControlKind::Choice { multiple } => {
                    return Some(HotkeyTarget::Choice {
                        control: control.name.clone(),
                        label: label.value.clone(),
                        multiple,
                    })
                }
                _ => {}
            }
        }
    }
    None
}

/// One draft revision's findings, with each region's worst severity for O(1) look-ups (the
/// canvas outlines thousands of regions per frame).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    pub findings: Vec<Finding>,
    worst: HashMap<String, Severity>,
}

impl Checked {
    pub fn new(findings: Vec<Finding>) -> Checked {
        let mut worst: HashMap<String, Severity> = HashMap::new();
        for finding in &findings {
            for region in &finding.regions {
                let entry = worst.entry(region.clone()).or_insert(finding.severity);
                if finding.severity == Severity::Error {
                    *entry = Severity::Error;
                }
            }
        }
        Checked { findings, worst }
    }

    /// The worst severity among the findings that name region `id`.
    pub fn severity(&self, id: &str) -> Option<Severity> {
        self.worst.get(id).copied()
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Where the submit flow of the current item stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Editing,
    /// The annotation has warnings; the next submit sends it anyway.
    ConfirmingWarnings,
    Submitting,
    /// Stored; the gold report is on screen until the annotator moves on.
    Reviewing,
}

/// Whose gold report is on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoldSource {
    /// Computed in the browser from the training gold, shown while the server answers.
    Local,
    /// The server's report: authoritative.
    Server,
}

/// A gold answer with the report that compares the annotation to it.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldView {
    pub report: GoldReport,
    pub answer: Vec<Region>,
    pub guideline: Option<String>,
    pub source: GoldSource,
}

impl GoldView {
    /// The instant report for a training item, from the same `score_gold` the server runs.
    pub fn local(spec: &TaskSpec, item: &Item, gold: &Gold, regions: &[Region]) -> GoldView {
        GoldView {
            report: score_gold(spec, item, gold, regions),
            answer: gold.answer.clone(),
            guideline: gold.guideline.clone(),
            source: GoldSource::Local,
        }
    }

    pub fn from_server(reveal: GoldReveal) -> GoldView {
        GoldView {
            report: reveal.report,
            answer: reveal.answer,
            guideline: reveal.guideline,
            source: GoldSource::Server,
        }
    }
}

/// Why a submission did not go through.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmitFailure {
    pub message: String,
    /// The server's validation errors, when it refused the annotation.
    pub findings: Vec<Finding>,
    /// The server will not take an answer for this item from this annotator any more (already
    /// submitted, lease lost): the way on is the next item.
    pub already_submitted: bool,
    /// The server was not reached: trying again sends the same submission with the same key.
    pub unreachable: bool,
}

/// One item on screen and everything drawn on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub assigned: Rc<AssignedItem>,
    /// `Date.now()` when the item was shown, for the lead time.
    pub shown_at_ms: f64,
    /// The answer so far, with its undo history.
    pub draft: SharedDraft,
    /// The draft was restored from this browser's storage (work not yet confirmed stored).
    pub restored: bool,
    /// A request to bring a region into view (a finding's "show"), with a number that changes
    /// with every request so the same region can be asked for twice.
    pub focus: Option<(String, u32)>,
    /// Shown for someone else's eyes: nothing may change it.
    pub read_only: bool,
    /// A text selection waiting for a label.
    pub pending: Option<TextSelection>,
    /// The span the annotator clicked; Delete removes it.
    pub selected_region: Option<String>,
    pub phase: Phase,
    pub gold: Option<GoldView>,
    pub failure: Option<SubmitFailure>,
    /// The last submission sent and not answered for good; submitting the same answer again
    /// reuses it, idempotency key and all.
    pub submission: Option<PendingSubmission>,
    /// Why the submission is being sent again, while it is.
    pub retrying: Option<String>,
}

impl Session {
    /// A session on `assigned`, starting from `restored` (this browser's unsent draft of the
    /// item) when there is one.
    pub fn new(assigned: AssignedItem, now_ms: f64, restored: Option<Vec<Region>>) -> Session {
        let was_restored = restored.is_some();
        // The draft starts from the item's predictions, marked as predicted, unless this
        // browser kept unsent work on it.
        let draft = match restored {
            Some(regions) => Draft::restored(regions, &assigned.predictions),
            None => Draft::new(assigned.predictions.clone(), true),
        };
        Session {
            assigned: Rc::new(assigned),
            shown_at_ms: now_ms,
            draft: SharedDraft::new(draft),
            restored: was_restored,
            focus: None,
            read_only: false,
            pending: None,
            selected_region: None,
            phase: Phase::Editing,
            gold: None,
            failure: None,
            submission: None,
            retrying: None,
        }
    }

    pub fn item(&self) -> &Item {
        &self.assigned.item
    }

    /// The item's text, or `None` for media the text annotator cannot show.
    pub fn text(&self) -> Option<&str> {
        match &self.assigned.item.media {
            Media::Text { text } => Some(text),
            _ => None,
        }
    }

    /// Whether the annotation may still change (not sent, not stored).
    pub fn editable(&self) -> bool {
        !self.read_only && matches!(self.phase, Phase::Editing | Phase::ConfirmingWarnings)
    }

    /// A session that only shows `regions` on `item` (a reviewer's overlay, a coordinator's
    /// preview): selecting and showing regions work, nothing edits.
    pub fn read_only(item: Item, regions: Vec<Region>) -> Session {
        let assigned = AssignedItem { item, training_gold: None, predictions: Vec::new() };
        let mut session = Session::new(assigned, 0.0, Some(regions));
        session.restored = false;
        session.read_only = true;
        session
    }

    /// The labels chosen for a choice control.
    pub fn chosen(&self, control: &str) -> Vec<String> {
        self.draft
            .borrow()
            .regions()
            .iter()
            .filter(|r| r.control == control)
            .flat_map(|r| match &r.value {
                RegionValue::Choice { labels } => labels.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    pub fn submit_request(&self, now_ms: f64) -> SubmitRequest {
        let elapsed = (now_ms - self.shown_at_ms).max(0.0);
        SubmitRequest {
            // `as` saturates, and `elapsed` is finite and non-negative here.
            lead_time_ms: elapsed.round() as u64,
            regions: self.draft.to_regions(),
            prediction_outcome: {
                let draft = self.draft.borrow();
                draft.has_predictions().then(|| draft.prediction_outcome())
            },
        }
    }

    /// Any change to the answer withdraws a warning confirmation: the annotator confirmed the
    /// warnings of the previous version, not of this one.
    fn edited(&mut self) {
        self.phase = Phase::Editing;
        self.failure = None;
    }

    fn add_span(&mut self, selection: TextSelection, label: &LabelRef) {
        self.pending = None;
        let existing = self
            .draft
            .borrow()
            .regions()
            .iter()
            .find(|r| {
                r.control == label.control
                    && matches!(&r.value, RegionValue::TextSpan { start, end, label: l }
                    if *start == selection.start && *end == selection.end && *l == label.label)
            })
            .map(|r| r.id.clone());
        if let Some(existing) = existing {
            // The same span twice is never meant; select the one that is there.
            self.selected_region = Some(existing);
            return;
        }
        let id = self.draft.borrow_mut().add(Region {
            id: String::new(),
            control: label.control.clone(),
            value: RegionValue::TextSpan { start: selection.start, end: selection.end, label: label.label.clone() },
            attributes: BTreeMap::new(),
        });
        self.selected_region = Some(id);
        self.edited();
    }

    fn toggle_choice(&mut self, control: &str, label: &str, multiple: bool) {
        let existing = self
            .draft
            .borrow()
            .regions()
            .iter()
            .find(|r| r.control == control && matches!(r.value, RegionValue::Choice { .. }))
            .cloned();
        let mut draft = self.draft.borrow_mut();
        match existing {
            None => {
                draft.add(Region {
                    id: String::new(),
                    control: control.to_string(),
                    value: RegionValue::Choice { labels: vec![label.to_string()] },
                    attributes: BTreeMap::new(),
                });
            }
            Some(Region { id, value: RegionValue::Choice { mut labels }, .. }) => {
                if let Some(at) = labels.iter().position(|l| l == label) {
                    labels.remove(at);
                } else if multiple {
                    labels.push(label.to_string());
                } else {
                    labels = vec![label.to_string()];
                }
                if labels.is_empty() {
                    draft.remove(&[&id]);
                } else {
                    draft.set_value(&id, RegionValue::Choice { labels });
                }
            }
            Some(_) => return,
        }
        drop(draft);
        self.edited();
    }

    fn remove_region(&mut self, id: &str) {
        if self.selected_region.as_deref() == Some(id) {
            self.selected_region = None;
        }
        if self.draft.borrow_mut().remove(&[id]) {
            self.edited();
        }
    }

    /// A label key or button with a media region selected gives that region the label, when
    /// the label belongs to the region's control.
    fn relabel_selected(&mut self, label: &LabelRef) {
        let Some(id) = self.selected_region.clone() else {
            return;
        };
        let Some(mut value) =
            self.draft.borrow().get(&id).filter(|r| r.control == label.control).map(|r| r.value.clone())
        else {
            return;
        };
        let Some(current) = region_label_mut(&mut value) else {
            return;
        };
        *current = label.label.clone();
        if self.draft.borrow_mut().set_value(&id, value) {
            self.edited();
        }
    }

    /// Undoes (or with `redo`, redoes) one step.
    fn undo(&mut self, redo: bool) {
        let changed = {
            let mut draft = self.draft.borrow_mut();
            if redo {
                draft.redo()
            } else {
                draft.undo()
            }
        };
        if changed {
            self.pending = None;
            let selected_gone = self.selected_region.as_deref().is_some_and(|id| self.draft.borrow().get(id).is_none());
            if selected_gone {
                self.selected_region = None;
            }
            self.edited();
        }
    }
}

/// The label of a media region (box, polygon, keypoint, segment), to change it in place.
pub fn region_label_mut(value: &mut RegionValue) -> Option<&mut String> {
    match value {
        RegionValue::BBox { label, .. }
        | RegionValue::Polygon { label, .. }
        | RegionValue::Keypoint { label, .. }
        | RegionValue::AudioSegment { label, .. }
        | RegionValue::VideoBox { label, .. }
        | RegionValue::VideoSegment { label, .. } => Some(label),
        _ => None,
    }
}

/// What the page shows in place of the task.
#[derive(Clone, Debug, PartialEq)]
pub enum Work {
    Loading,
    LoadFailed(String),
    /// Every item is done.
    Finished,
    Annotating(Box<Session>),
}

/// A short message that disappears by itself ("saved").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: u32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AnnotatorState {
    pub work: Work,
    pub progress: Option<Progress>,
    /// The label new selections get at once. It survives moving to the next item.
    pub active_label: Option<LabelRef>,
    pub notice: Option<Notice>,
    notices: u32,
}

impl Default for AnnotatorState {
    fn default() -> Self {
        AnnotatorState { work: Work::Loading, progress: None, active_label: None, notice: None, notices: 0 }
    }
}

/// What Enter (or the submit button) does now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitIntent {
    Submit,
    /// Warnings: ask for a confirmation first.
    ConfirmWarnings,
    /// Errors block submitting.
    FixErrors,
    /// The gold report is on screen: move on.
    Next,
    /// Nothing to do (loading, sending, finished).
    Wait,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Loading,
    LoadFailed(String),
    Loaded {
        next: NextItem,
        now_ms: f64,
        /// This browser's unsent draft of the item, if it kept one.
        restored: Option<Vec<Region>>,
    },
    /// A region drawn in an editor; it becomes the selected one.
    AddRegion(Region),
    /// A region's new geometry or label.
    SetRegionValue {
        id: String,
        value: RegionValue,
    },
    /// Ctrl+Z.
    Undo,
    /// Ctrl+Shift+Z (or Ctrl+Y).
    Redo,
    /// A label button was clicked: it becomes the active label (and labels a pending selection).
    ActivateLabel(LabelRef),
    /// A text selection was made in the item text.
    Selected(TextSelection),
    ToggleChoice {
        control: String,
        label: String,
        multiple: bool,
    },
    SelectRegion(Option<String>),
    /// Select a region and bring it into view (a finding's "show").
    ShowRegion(String),
    RemoveRegion(String),
    RemoveSelectedRegion,
    /// Escape: drop the pending selection, the active label and the span selection.
    ClearSelection,
    ConfirmWarnings,
    SubmitStarted {
        local_gold: Option<GoldView>,
        submission: PendingSubmission,
    },
    /// An attempt failed in a way that sending the same submission again can fix.
    SubmitRetrying {
        submission: PendingSubmission,
        reason: String,
    },
    SubmitSucceeded(SubmitResponse),
    SubmitFailed {
        failure: SubmitFailure,
        submission: PendingSubmission,
    },
    DismissFailure,
    ShowNotice(String),
    /// Hide the notice with this id (a later notice stays).
    HideNotice(u32),
}

impl AnnotatorState {
    /// A page state that shows `session` (e.g. [`Session::read_only`]).
    pub fn showing(session: Session) -> AnnotatorState {
        AnnotatorState { work: Work::Annotating(Box::new(session)), ..AnnotatorState::default() }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.work {
            Work::Annotating(session) => Some(session),
            _ => None,
        }
    }

    fn editable_session(&mut self) -> Option<&mut Session> {
        match &mut self.work {
            Work::Annotating(session) if session.editable() => Some(session),
            _ => None,
        }
    }

    pub fn submit_intent(&self, findings: &[Finding]) -> SubmitIntent {
        let Some(session) = self.session() else {
            return SubmitIntent::Wait;
        };
        match session.phase {
            Phase::Submitting => SubmitIntent::Wait,
            Phase::Reviewing => SubmitIntent::Next,
            _ if findings.iter().any(|f| f.severity == Severity::Error) => SubmitIntent::FixErrors,
            Phase::ConfirmingWarnings => SubmitIntent::Submit,
            Phase::Editing if findings.is_empty() => SubmitIntent::Submit,
            Phase::Editing => SubmitIntent::ConfirmWarnings,
        }
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Loading => self.work = Work::Loading,
            Action::LoadFailed(message) => self.work = Work::LoadFailed(message),
            Action::Loaded { next, now_ms, restored } => {
                self.progress = Some(next.progress);
                self.work = match next.item {
                    Some(assigned) => Work::Annotating(Box::new(Session::new(assigned, now_ms, restored))),
                    None => Work::Finished,
                };
            }
            Action::ActivateLabel(label) => {
                if let Some(session) = self.editable_session() {
                    if let Some(selection) = session.pending.take() {
                        session.add_span(selection, &label);
                    } else {
                        session.relabel_selected(&label);
                    }
                }
                self.active_label = Some(label);
            }
            Action::Selected(selection) => {
                let active = self.active_label.clone();
                let Some(session) = self.editable_session() else {
                    return;
                };
                match active {
                    Some(label) => session.add_span(selection, &label),
                    None => {
                        session.pending = Some(selection);
                        session.selected_region = None;
                    }
                }
            }
            Action::ToggleChoice { control, label, multiple } => {
                if let Some(session) = self.editable_session() {
                    session.toggle_choice(&control, &label, multiple);
                }
            }
            Action::AddRegion(region) => {
                if let Some(session) = self.editable_session() {
                    let id = session.draft.borrow_mut().add(region);
                    session.selected_region = Some(id);
                    session.edited();
                }
            }
            Action::SetRegionValue { id, value } => {
                if let Some(session) = self.editable_session() {
                    if session.draft.borrow_mut().set_value(&id, value) {
                        session.edited();
                    }
                }
            }
            Action::Undo => {
                if let Some(session) = self.editable_session() {
                    session.undo(false);
                }
            }
            Action::Redo => {
                if let Some(session) = self.editable_session() {
                    session.undo(true);
                }
            }
            // Selecting is not editing: it works on a stored or read-only answer too.
            Action::SelectRegion(id) => {
                if let Work::Annotating(session) = &mut self.work {
                    session.selected_region = id.filter(|id| session.draft.borrow().get(id).is_some());
                    session.pending = None;
                }
            }
            Action::ShowRegion(id) => {
                if let Work::Annotating(session) = &mut self.work {
                    if session.draft.borrow().get(&id).is_some() {
                        let nonce = session.focus.as_ref().map_or(0, |(_, n)| n.wrapping_add(1));
                        session.selected_region = Some(id.clone());
                        session.focus = Some((id, nonce));
                    }
                }
            }
            Action::RemoveRegion(id) => {
                if let Some(session) = self.editable_session() {
                    session.remove_region(&id);
                }
            }
            Action::RemoveSelectedRegion => {
                if let Some(session) = self.editable_session() {
                    if let Some(id) = session.selected_region.clone() {
                        session.remove_region(&id);
                    }
                }
            }
            Action::ClearSelection => {
                self.active_label = None;
                if let Some(session) = self.editable_session() {
                    session.pending = None;
                    session.selected_region = None;
                    session.phase = Phase::Editing;
                }
            }
            Action::ConfirmWarnings => {
                if let Some(session) = self.editable_session() {
                    session.phase = Phase::ConfirmingWarnings;
                }
            }
            Action::SubmitStarted { local_gold, submission } => {
                if let Some(session) = self.editable_session() {
                    session.phase = Phase::Submitting;
                    session.pending = None;
                    session.selected_region = None;
                    session.failure = None;
                    session.retrying = None;
                    session.gold = local_gold;
                    session.submission = Some(submission);
                }
            }
            Action::SubmitRetrying { submission, reason } => {
                if let Work::Annotating(session) = &mut self.work {
                    if session.phase == Phase::Submitting {
                        session.submission = Some(submission);
                        session.retrying = Some(reason);
                    }
                }
            }
            Action::SubmitSucceeded(response) => {
                if let Work::Annotating(session) = &mut self.work {
                    if session.phase != Phase::Submitting {
                        return;
                    }
                    if let Some(reveal) = response.gold {
                        session.gold = Some(GoldView::from_server(reveal));
                    }
                    session.submission = None;
                    session.retrying = None;
                    // Without any gold there is nothing to review; the page loads the next item.
                    session.phase = Phase::Reviewing;
                }
            }
            Action::SubmitFailed { failure, submission } => {
                if let Work::Annotating(session) = &mut self.work {
                    // Back to editing with every region intact, so nothing is lost; the
                    // submission stays, so sending the same answer again reuses its key.
                    session.phase = Phase::Editing;
                    session.gold = None;
                    session.failure = Some(failure);
                    session.retrying = None;
                    session.submission = Some(submission);
                }
            }
            Action::DismissFailure => {
                if let Work::Annotating(session) = &mut self.work {
                    session.failure = None;
                }
            }
            Action::ShowNotice(text) => {
                self.notices += 1;
                self.notice = Some(Notice { id: self.notices, text });
            }
            Action::HideNotice(id) => {
                if self.notice.as_ref().is_some_and(|n| n.id == id) {
                    self.notice = None;
                }
            }
        }
    }
}

impl Reducible for AnnotatorState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}
