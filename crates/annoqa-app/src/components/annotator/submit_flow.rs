//! The submit flow: one submission with its idempotency key, sent and retried until the server
//! answers for good.

use std::cell::RefCell;
use std::rc::Rc;

use annoqa_api::ApiErrorCode;
use annoqa_core::TaskSpec;
use wasm_bindgen_futures::spawn_local;
use yew::{Callback, UseReducerDispatcher};

use crate::api_client::{self, ClientError};
use crate::state::{Action, AnnotatorState, GoldView, Session, SubmitFailure};
use crate::submission::{random_key, retry_after, Failure, PendingSubmission, Retry, MAX_ATTEMPTS};

pub(super) struct SendContext {
    pub(super) dispatcher: UseReducerDispatcher<AnnotatorState>,
    pub(super) session: Option<Session>,
    pub(super) spec: Option<Rc<TaskSpec>>,
    pub(super) project_id: String,
    pub(super) in_flight: Rc<RefCell<bool>>,
    pub(super) generation: Rc<RefCell<u32>>,
    pub(super) load_next: Callback<()>,
}

/// Sends the current annotation. A training item's report is computed and shown at once; the
/// server's report replaces it when it arrives. Attempts that fail in passing (no answer, the
/// first attempt still being stored) go again with the same idempotency key; on a real failure
/// the annotation stays as it was, and submitting it unchanged reuses the key.
pub(super) fn make_send(cx: SendContext) -> Callback<()> {
    Callback::from(move |()| {
        let (Some(session), Some(spec)) = (cx.session.clone(), cx.spec.clone()) else {
            return;
        };
        if *cx.in_flight.borrow() || !session.editable() {
            return;
        }
        let now_ms = js_sys::Date::now();
        let regions = session.draft.to_regions();
        let submission =
            PendingSubmission::next(session.submission.as_ref(), &session.item().id, &regions, random_key, || {
                session.submit_request(now_ms)
            });
        let Some(mut submission) = submission else {
            cx.dispatcher.dispatch(Action::ShowNotice(
                "This browser offers no secure random numbers (Web Crypto), so the answer cannot be sent safely."
                    .into(),
            ));
            return;
        };
        submission.begin_round();
        *cx.in_flight.borrow_mut() = true;
        let local_gold =
            session.assigned.training_gold.as_ref().map(|gold| GoldView::local(&spec, session.item(), gold, &regions));
        let has_local_gold = local_gold.is_some();
        cx.dispatcher.dispatch(Action::SubmitStarted { local_gold, submission: submission.clone() });

        let ticket = *cx.generation.borrow();
        let (dispatcher, in_flight, generation) = (cx.dispatcher.clone(), cx.in_flight.clone(), cx.generation.clone());
        let (project_id, load_next) = (cx.project_id.clone(), cx.load_next.clone());
        spawn_local(async move {
            let current = || *generation.borrow() == ticket;
            let result = loop {
                submission.record_attempt();
                let result = api_client::submit(&project_id, &submission).await;
                if !current() {
                    break None;
                }
                let error = match result {
                    Ok(response) => break Some(Ok(response)),
                    Err(error) => error,
                };
                let failure = Failure { status: error.status, code: error.code, retry_after_ms: error.retry_after_ms };
                match retry_after(&submission, failure) {
                    Retry::GiveUp => break Some(Err(error)),
                    Retry::After(ms) => {
                        let reason = retry_reason(&error, submission.round_attempts + 1);
                        dispatcher.dispatch(Action::SubmitRetrying { submission: submission.clone(), reason });
                        yew::platform::time::sleep(std::time::Duration::from_millis(u64::from(ms))).await;
                        if !current() {
                            break None;
                        }
                    }
                }
            };
            *in_flight.borrow_mut() = false;
            match result {
                // The page moved on to another item meanwhile.
                None => {}
                Some(Ok(response)) => {
                    let review = has_local_gold || response.gold.is_some();
                    dispatcher.dispatch(Action::SubmitSucceeded(response));
                    if !review {
                        dispatcher.dispatch(Action::ShowNotice(format!("Saved item {}.", submission.item_id)));
                        load_next.emit(());
                    }
                }
                Some(Err(error)) => dispatcher.dispatch(Action::SubmitFailed {
                    failure: SubmitFailure {
                        already_submitted: matches!(
                            error.code,
                            Some(ApiErrorCode::AlreadySubmitted | ApiErrorCode::NotAssigned | ApiErrorCode::LeaseLost)
                        ),
                        unreachable: error.code.is_none() && matches!(error.status, None | Some(502..=504)),
                        message: error.message,
                        findings: error.findings,
                    },
                    submission,
                }),
            }
        });
    })
}

/// What the annotator reads while a submission goes again.
fn retry_reason(error: &ClientError, next_attempt: u32) -> String {
    let why = match (error.code, error.status) {
        (Some(ApiErrorCode::InFlight), _) => "Still being stored; checking again",
        (_, None) => "No answer from the server; retrying",
        (_, Some(_)) => "The server is unavailable; retrying",
    };
    format!("{why} (attempt {next_attempt} of {MAX_ATTEMPTS})…")
}
