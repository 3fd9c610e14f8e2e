//! The reviewer screen's state and its transitions, DOM-free: the queue and its pages, the entry
//! under review, the overlay's annotator switches and focused group, and the mode (browsing,
//! a reject waiting for its code, a fix, a note, the help).

use std::rc::Rc;

use annoqa_api::{OverlayView, ReviewQueueEntry, ReviewQueueFacets, ReviewQueuePage, SubmissionStatus};
use yew::Reducible;

use super::queue::QueueFilters;

#[derive(Clone, Debug, PartialEq)]
pub enum ItemLoad {
    None,
    Loading(String),
    Ready(Rc<OverlayView>),
    Failed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Browsing,
    /// `X` was pressed: a digit picks the code.
    Rejecting,
    /// Editing a correction in the workspace, from the submission or the consensus proposal.
    Fixing {
        from_consensus: bool,
    },
    Noting,
    Help,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewState {
    pub filters: QueueFilters,
    /// Bumped when the filters change, so a page asked for under the old ones is dropped.
    pub generation: u32,
    pub entries: Vec<ReviewQueueEntry>,
    pub next_cursor: Option<String>,
    pub total: u64,
    pub reviewed: u64,
    pub facets: Option<ReviewQueueFacets>,
    pub loading_page: bool,
    pub queue_error: Option<String>,
    pub at: usize,
    pub item: ItemLoad,
    /// By the overlay's annotations: shown or not.
    pub on: Vec<bool>,
    pub group: usize,
    pub mode: Mode,
    pub notice: Option<Notice>,
}

#[derive(Clone, Debug)]
pub enum ReviewAction {
    SetFilters(QueueFilters),
    PageAsked,
    PageLoaded {
        generation: u32,
        page: ReviewQueuePage,
        append: bool,
    },
    PageFailed {
        generation: u32,
        message: String,
    },
    Select(usize),
    Step(isize),
    ItemLoading(String),
    ItemLoaded {
        item: String,
        view: Rc<OverlayView>,
    },
    ItemFailed {
        item: String,
        message: String,
    },
    Toggle(usize),
    StepGroup {
        by: isize,
        groups: usize,
    },
    SetMode(Mode),
    /// The entry's submission got its review: its new status, and what to say.
    Reviewed {
        submission: i64,
        status: SubmissionStatus,
        text: String,
    },
    Notice(Notice),
}

impl Default for ReviewState {
    fn default() -> ReviewState {
        ReviewState {
            filters: QueueFilters::default(),
            generation: 0,
            entries: Vec::new(),
            next_cursor: None,
            total: 0,
            reviewed: 0,
            facets: None,
            loading_page: true,
            queue_error: None,
            at: 0,
            item: ItemLoad::None,
            on: Vec::new(),
            group: 0,
            mode: Mode::Browsing,
            notice: None,
        }
    }
}

impl ReviewState {
    pub fn entry(&self) -> Option<&ReviewQueueEntry> {
        self.entries.get(self.at)
    }

    /// Whether keys that judge or move apply (no dialog, no fix in progress).
    pub fn browsing(&self) -> bool {
        matches!(self.mode, Mode::Browsing | Mode::Rejecting)
    }

    fn select(&mut self, at: usize) {
        if at < self.entries.len() && at != self.at {
            self.at = at;
            self.group = 0;
            self.mode = Mode::Browsing;
        }
    }

    pub fn apply(&mut self, action: ReviewAction) {
        match action {
            ReviewAction::SetFilters(filters) => {
                *self = ReviewState { filters, generation: self.generation.wrapping_add(1), ..ReviewState::default() };
            }
            ReviewAction::PageAsked => self.loading_page = true,
            ReviewAction::PageLoaded { generation, page, append } if generation == self.generation => {
                if !append {
                    self.entries.clear();
                    self.at = 0;
                }
                self.entries.extend(page.entries);
                self.next_cursor = page.next_cursor;
                self.total = page.total;
                self.reviewed = page.reviewed;
                if page.facets.is_some() {
                    self.facets = page.facets;
                }
                self.loading_page = false;
                self.queue_error = None;
            }
            ReviewAction::PageFailed { generation, message } if generation == self.generation => {
                self.loading_page = false;
                self.queue_error = Some(message);
            }
            ReviewAction::PageLoaded { .. } | ReviewAction::PageFailed { .. } => {}
            ReviewAction::Select(at) => self.select(at),
            ReviewAction::Step(by) => {
                let at = self.at as isize + by;
                if at >= 0 {
                    self.select(at as usize);
                }
            }
            ReviewAction::ItemLoading(item) => self.item = ItemLoad::Loading(item),
            ReviewAction::ItemLoaded { item, view } => {
                if self.item == ItemLoad::Loading(item) {
                    self.on = vec![true; view.annotations.len()];
                    self.group = 0;
                    self.item = ItemLoad::Ready(view);
                }
            }
            ReviewAction::ItemFailed { item, message } => {
                if self.item == ItemLoad::Loading(item) {
                    self.item = ItemLoad::Failed(message);
                }
            }
            ReviewAction::Toggle(at) => {
                if let Some(flag) = self.on.get_mut(at) {
                    *flag = !*flag;
                    self.group = 0;
                }
            }
            ReviewAction::StepGroup { by, groups } => {
                if groups > 0 {
                    self.group = (self.group as isize + by).clamp(0, groups as isize - 1) as usize;
                }
            }
            ReviewAction::SetMode(mode) => self.mode = mode,
            ReviewAction::Reviewed { submission, status, text } => self.reviewed_entry(submission, status, text),
            ReviewAction::Notice(notice) => self.notice = Some(notice),
        }
    }

    /// A stored verdict: the entry shows its status, progress counts it, the next entry opens.
    fn reviewed_entry(&mut self, submission: i64, status: SubmissionStatus, text: String) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.submission_id == submission) {
            if entry.status == SubmissionStatus::Submitted {
                self.reviewed += 1;
            }
            entry.status = status;
        }
        self.mode = Mode::Browsing;
        self.notice = Some(Notice { error: false, text });
        let next = self.at + 1;
        self.select(next);
    }
}

impl Reducible for ReviewState {
    type Action = ReviewAction;

    fn reduce(self: Rc<Self>, action: ReviewAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}
