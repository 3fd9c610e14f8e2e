//! The reviewer screen's requests: queue pages, an item's overlay, verdicts and notes. Each
//! runs in the background and reports to the page's reducer.

use std::rc::Rc;

use annoqa_api::{
    ErrorCode, FeedbackAnchor, RegionError, ReviewQueueEntry, ReviewRequest, ReviewVerdict, ReviewerFeedbackRequest,
    SubmissionStatus,
};
use annoqa_core::Region;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerDispatcher;

use super::queue::{QueueFilters, PAGE_SIZE};
use super::state::{Notice, ReviewAction, ReviewState};
use crate::api_client;

type Dispatch = UseReducerDispatcher<ReviewState>;

/// The first page under `filters`, or the page after `cursor`.
pub(super) fn load_page(
    project: String,
    filters: QueueFilters,
    generation: u32,
    cursor: Option<String>,
    dispatch: Dispatch,
) {
    dispatch.dispatch(ReviewAction::PageAsked);
    spawn_local(async move {
        let append = cursor.is_some();
        let query = filters.query(cursor.as_deref(), PAGE_SIZE);
        match api_client::review_queue_page(&project, &query).await {
            Ok(page) => dispatch.dispatch(ReviewAction::PageLoaded { generation, page, append }),
            Err(e) => dispatch.dispatch(ReviewAction::PageFailed { generation, message: e.message }),
        }
    });
}

/// The overlay data of `item`.
pub(super) fn load_item(project: String, item: String, dispatch: Dispatch) {
    dispatch.dispatch(ReviewAction::ItemLoading(item.clone()));
    spawn_local(async move {
        match api_client::item_overlay(&project, &item).await {
            Ok(view) => dispatch.dispatch(ReviewAction::ItemLoaded { item, view: Rc::new(view) }),
            Err(e) => dispatch.dispatch(ReviewAction::ItemFailed { item, message: e.message }),
        }
    });
}

/// A verdict on the entry's submission: `accept`, `reject` with `errors`, or `fix` with the
/// corrected regions.
pub(super) struct Verdict {
    pub verdict: ReviewVerdict,
    pub errors: Vec<RegionError>,
    pub regions: Option<Vec<Region>>,
}

impl Verdict {
    pub(super) fn accept() -> Verdict {
        Verdict { verdict: ReviewVerdict::Accept, errors: Vec::new(), regions: None }
    }

    /// Reject with `code`, on `region` of the submission when the focused group has one.
    pub(super) fn reject(code: &ErrorCode, region: Option<String>) -> Verdict {
        let error = RegionError { region, code: code.code.clone(), comment: None };
        Verdict { verdict: ReviewVerdict::Reject, errors: vec![error], regions: None }
    }

    pub(super) fn fix(regions: Vec<Region>) -> Verdict {
        Verdict { verdict: ReviewVerdict::Fix, errors: Vec::new(), regions: Some(regions) }
    }
}

fn done_words(verdict: ReviewVerdict, entry: &ReviewQueueEntry) -> String {
    let what = match verdict {
        ReviewVerdict::Accept => "Accepted",
        ReviewVerdict::Reject => "Rejected",
        ReviewVerdict::Fix => "Fixed and accepted",
    };
    format!("{what} {}'s submission of item {}.", entry.annotator, entry.item_id)
}

/// Stores `verdict` on `entry`'s submission; the page moves to the next entry when it is stored.
pub(super) fn send_verdict(project: String, entry: ReviewQueueEntry, verdict: Verdict, dispatch: Dispatch) {
    spawn_local(async move {
        let request = ReviewRequest {
            verdict: verdict.verdict,
            regions: verdict.regions,
            error_codes: Vec::new(),
            errors: verdict.errors,
            comment: String::new(),
        };
        match api_client::review(&project, entry.submission_id, &request).await {
            Ok(stored) => {
                let status = match stored.verdict {
                    ReviewVerdict::Accept => SubmissionStatus::Accepted,
                    ReviewVerdict::Reject => SubmissionStatus::Rejected,
                    ReviewVerdict::Fix => SubmissionStatus::Fixed,
                };
                let text = done_words(stored.verdict, &entry);
                dispatch.dispatch(ReviewAction::Reviewed { submission: entry.submission_id, status, text });
            }
            Err(e) => dispatch.dispatch(ReviewAction::Notice(Notice {
                error: true,
                text: format!("The verdict was not stored: {}", e.message),
            })),
        }
    });
}

/// A note to the entry's annotator, anchored to `region` of the submission when given.
pub(super) struct Note {
    pub text: String,
    pub code: Option<String>,
    pub region: Option<String>,
    pub guideline: Option<String>,
}

pub(super) fn send_note(project: String, entry: ReviewQueueEntry, note: Note, dispatch: Dispatch) {
    spawn_local(async move {
        let request = ReviewerFeedbackRequest {
            submission_id: entry.submission_id,
            error_codes: note.code.into_iter().collect(),
            text: note.text,
            anchor: note.region.map(|region| FeedbackAnchor::Region { region }),
            guideline: note.guideline,
        };
        let notice = match api_client::send_feedback(&project, &request).await {
            Ok(_) => Notice { error: false, text: format!("Note sent to {}.", entry.annotator) },
            Err(e) => Notice { error: true, text: format!("The note was not sent: {}", e.message) },
        };
        if !notice.error {
            dispatch.dispatch(ReviewAction::SetMode(super::state::Mode::Browsing));
        }
        dispatch.dispatch(ReviewAction::Notice(notice));
    });
}
