//! Every request the app makes goes through here, with the routes and types of `annoqa_api`.
//!
//! The rules live in one place: requests carry same-origin cookies (the session), every request
//! that changes data carries the CSRF header ([`api::CSRF_HEADER`]), submissions carry their
//! [`api::IDEMPOTENCY_KEY`], and a 401 from any call but the login itself reports that the
//! session ended to the handler the root component installed ([`set_session_ended_handler`]).
//! What a refusal means is read from its [`ApiErrorCode`], never from its message.

use std::cell::RefCell;

use annoqa_api::{
    self as api, ApiError, ApiErrorCode, FeedbackView, FlagRequest, LoginRequest, NextItem, ProjectSummary,
    ProjectView, SessionView, SkipRequest, SubmitResponse, UserView,
};
use annoqa_core::Finding;
use gloo::net::http::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use web_sys::RequestCredentials;
use yew::Callback;

use crate::submission::PendingSubmission;

/// Why a request failed: for the program, `code` (and `status` when the server gave no code), for
/// the user, `message`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientError {
    /// HTTP status, or `None` when the server was not reached.
    pub status: Option<u16>,
    /// The server's reason, when it answered with an [`ApiError`]; `None` when it was not
    /// reached or something in between answered (a proxy's 502).
    pub code: Option<ApiErrorCode>,
    pub message: String,
    /// Validation errors the server refused a submission for.
    pub findings: Vec<Finding>,
    /// The server's `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u32>,
}

impl ClientError {
    fn new(status: Option<u16>, message: String) -> ClientError {
        ClientError { status, code: None, message, findings: Vec::new(), retry_after_ms: None }
    }

    fn network(error: gloo::net::Error) -> ClientError {
        ClientError::new(None, format!("could not reach the server: {error}"))
    }

    fn unreadable(status: u16, error: gloo::net::Error) -> ClientError {
        ClientError::new(Some(status), format!("the server sent an unreadable answer: {error}"))
    }

    fn encoding(error: serde_json::Error) -> ClientError {
        ClientError::new(None, format!("could not encode the request: {error}"))
    }
}

/// The HTTP methods the app uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// The headers of a request: JSON in and out, the CSRF header on everything but `GET` (the
/// server refuses a cookie-authenticated change without it), and the idempotency key when
/// there is one.
pub fn request_headers(verb: Verb, json_body: bool, idempotency_key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("accept", "application/json".to_string())];
    if json_body {
        headers.push(("content-type", "application/json".to_string()));
    }
    if verb != Verb::Get {
        headers.push((api::CSRF_HEADER, api::CSRF_HEADER_VALUE.to_string()));
    }
    if let Some(key) = idempotency_key {
        headers.push((api::IDEMPOTENCY_KEY, key.to_string()));
    }
    headers
}

thread_local! {
    static SESSION_ENDED: RefCell<Option<Callback<()>>> = const { RefCell::new(None) };
}

/// Installs what happens when a request answers 401: the session expired or was ended
/// elsewhere, so the app asks for a login. `None` removes the handler.
pub fn set_session_ended_handler(handler: Option<Callback<()>>) {
    SESSION_ENDED.with(|slot| *slot.borrow_mut() = handler);
}

fn session_ended() {
    // Cloned out first: the handler re-renders, which may install a new handler.
    let handler = SESSION_ENDED.with(|slot| slot.borrow().clone());
    if let Some(handler) = handler {
        handler.emit(());
    }
}

/// One request to the server.
struct Call<'a> {
    verb: Verb,
    path: &'a str,
    /// JSON text.
    body: Option<String>,
    idempotency_key: Option<&'a str>,
    /// Whether a 401 means "the session ended" (every call but login and the session check,
    /// where 401 is an expected answer).
    report_401: bool,
}

impl<'a> Call<'a> {
    fn new(verb: Verb, path: &'a str) -> Call<'a> {
        Call { verb, path, body: None, idempotency_key: None, report_401: true }
    }

    fn json(mut self, body: &impl Serialize) -> Result<Call<'a>, ClientError> {
        self.body = Some(serde_json::to_string(body).map_err(ClientError::encoding)?);
        Ok(self)
    }

    async fn send(self) -> Result<Response, ClientError> {
        // Same-origin is fetch's default; it is spelled out because the session cookie is
        // what authenticates every call.
        let mut builder =
            RequestBuilder::new(self.path).method(self.verb.method()).credentials(RequestCredentials::SameOrigin);
        for (name, value) in request_headers(self.verb, self.body.is_some(), self.idempotency_key) {
            builder = builder.header(name, &value);
        }
        let request = match self.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|error| ClientError::new(None, format!("could not build the request: {error}")))?;
        let response = request.send().await.map_err(ClientError::network)?;
        if response.status() == 401 && self.report_401 {
            session_ended();
        }
        Ok(response)
    }

    async fn json_answer<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        read_json(self.send().await?).await
    }

    async fn empty_answer(self) -> Result<(), ClientError> {
        let response = self.send().await?;
        if response.ok() {
            Ok(())
        } else {
            Err(read_error(response).await)
        }
    }
}

/// The logged-in user, or `None` when nobody is.
pub async fn current_session() -> Result<Option<UserView>, ClientError> {
    let response = Call { report_401: false, ..Call::new(Verb::Get, api::SESSION) }.send().await?;
    if response.status() == 401 {
        return Ok(None);
    }
    read_json::<SessionView>(response).await.map(|session| Some(session.user))
}

/// Logs in. `request` is consumed: the password is dropped with it once the body is encoded.
pub async fn login(request: LoginRequest) -> Result<UserView, ClientError> {
    let call = Call { report_401: false, ..Call::new(Verb::Post, api::SESSION) }.json(&request)?;
    drop(request);
    call.json_answer::<SessionView>().await.map(|session| session.user)
}

/// Ends the session; a session that already ended counts as logged out.
pub async fn logout() -> Result<(), ClientError> {
    match (Call { report_401: false, ..Call::new(Verb::Delete, api::SESSION) }).empty_answer().await {
        Err(error) if error.code == Some(ApiErrorCode::Unauthorized) => Ok(()),
        other => other,
    }
}

pub async fn projects() -> Result<Vec<ProjectSummary>, ClientError> {
    Call::new(Verb::Get, api::PROJECTS).json_answer().await
}

pub async fn project(id: &str) -> Result<ProjectView, ClientError> {
    Call::new(Verb::Get, &api::project_path(id)).json_answer().await
}

/// The logged-in annotator's next item of `project`.
/// The tile pyramid of an image in the project's media.
pub async fn pyramid(project: &str, file: &str) -> Result<annoqa_api::PyramidView, ClientError> {
    Call::new(Verb::Get, &api::pyramid_path(project, file)).json_answer().await
}

pub async fn next_item(project: &str) -> Result<NextItem, ClientError> {
    Call::new(Verb::Get, &api::next_path(project)).json_answer().await
}

/// Sends one attempt of `submission`, with its idempotency key.
pub async fn submit(project: &str, submission: &PendingSubmission) -> Result<SubmitResponse, ClientError> {
    let path = api::submit_path(project, &submission.item_id);
    let call = Call { idempotency_key: Some(&submission.key), ..Call::new(Verb::Post, &path) };
    call.json(&submission.request)?.json_answer().await
}

/// Gives a leased item back with a reason.
pub async fn skip(project: &str, item: &str, reason: &str) -> Result<(), ClientError> {
    let path = api::skip_path(project, item);
    Call::new(Verb::Post, &path).json(&SkipRequest { reason: reason.to_string() })?.empty_answer().await
}

/// Feedback reviewers sent the logged-in user, newest first.
pub async fn my_feedback() -> Result<Vec<FeedbackView>, ClientError> {
    Call::new(Verb::Get, api::MY_FEEDBACK).json_answer().await
}

/// How many of those the user has not acknowledged.
pub async fn unread_feedback() -> Result<u32, ClientError> {
    Call::new(Verb::Get, api::MY_UNREAD_FEEDBACK).json_answer::<annoqa_api::UnreadFeedback>().await.map(|u| u.unread)
}

/// The user acknowledges feedback entry `id`; the answer is the entry as stored.
pub async fn acknowledge_feedback(id: i64) -> Result<FeedbackView, ClientError> {
    Call::new(Verb::Post, &api::feedback_ack_path(id)).json_answer().await
}

/// Flags an item or a guideline section.
pub async fn flag(project: &str, request: &FlagRequest) -> Result<FeedbackView, ClientError> {
    let path = api::flags_path(project);
    Call::new(Verb::Post, &path).json(request)?.json_answer().await
}

/// An item with the latest submissions of up to five annotators (reviewers, coordinators).
pub async fn item_overlay(project: &str, item: &str) -> Result<api::OverlayView, ClientError> {
    Call::new(Verb::Get, &api::overlay_path(project, item)).json_answer().await
}

/// The project's error taxonomy.
pub async fn taxonomy(project: &str) -> Result<Vec<api::ErrorCode>, ClientError> {
    Call::new(Verb::Get, &api::taxonomy_path(project)).json_answer().await
}

/// Replaces the project's error taxonomy (coordinators).
pub async fn set_taxonomy(project: &str, codes: &[api::ErrorCode]) -> Result<Vec<api::ErrorCode>, ClientError> {
    Call::new(Verb::Put, &api::taxonomy_path(project)).json(&codes)?.json_answer().await
}

/// Stores the one review of a submission.
pub async fn review(
    project: &str,
    submission: i64,
    request: &api::ReviewRequest,
) -> Result<api::ReviewView, ClientError> {
    Call::new(Verb::Post, &api::reviews_path(project, submission)).json(request)?.json_answer().await
}

/// A reviewer's note to the annotator of a submission.
pub async fn send_feedback(project: &str, request: &api::ReviewerFeedbackRequest) -> Result<FeedbackView, ClientError> {
    Call::new(Verb::Post, &api::feedback_path(project)).json(request)?.json_answer().await
}

/// What annotator scorecards are computed from (reviewers, coordinators).
pub async fn scorecards(project: &str) -> Result<api::ScorecardsData, ClientError> {
    Call::new(Verb::Get, &api::scorecards_path(project)).json_answer().await
}

/// Gold items found or flagged as bad, with the evidence (coordinators).
pub async fn bad_gold(project: &str) -> Result<Vec<api::BadGoldEntry>, ClientError> {
    Call::new(Verb::Get, &api::bad_gold_path(project)).json_answer().await
}

/// A coordinator's decision on a gold item under suspicion.
pub async fn decide_bad_gold(
    project: &str,
    item: &str,
    decision: api::BadGoldDecision,
) -> Result<api::BadGoldEntry, ClientError> {
    let request = api::BadGoldRequest { decision };
    Call::new(Verb::Post, &api::bad_gold_item_path(project, item)).json(&request)?.json_answer().await
}

/// A page of the review queue; `query` from `review::queue::QueueFilters::query`.
pub async fn review_queue_page(project: &str, query: &str) -> Result<api::ReviewQueuePage, ClientError> {
    let path = format!("{}{query}", api::review_queue_page_path(project));
    Call::new(Verb::Get, &path).json_answer().await
}

/// The item a submission answers (its annotator, reviewers, coordinators), never its gold.
pub async fn submission_item(project: &str, id: i64) -> Result<annoqa_core::Item, ClientError> {
    Call::new(Verb::Get, &api::submission_item_path(project, id)).json_answer().await
}

/// A submission's revisions, the annotator's first, then each fix.
pub async fn revisions(project: &str, id: i64) -> Result<Vec<api::SubmissionRevision>, ClientError> {
    Call::new(Verb::Get, &api::revisions_path(project, id)).json_answer().await
}

/// One feedback entry: to its author, its recipient and the project's coordinators.
pub async fn feedback_entry(project: &str, id: i64) -> Result<FeedbackView, ClientError> {
    Call::new(Verb::Get, &api::feedback_entry_path(project, id)).json_answer().await
}

/// One submission, to its annotator and the project's reviewers and coordinators.
pub async fn submission(project: &str, id: i64) -> Result<api::SubmissionView, ClientError> {
    Call::new(Verb::Get, &api::submission_path(project, id)).json_answer().await
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    if response.ok() {
        return response.json::<T>().await.map_err(|error| ClientError::unreadable(status, error));
    }
    Err(read_error(response).await)
}

async fn read_error(response: Response) -> ClientError {
    let status = response.status();
    let retry_after_ms = response.headers().get("retry-after").and_then(|v| parse_retry_after(&v));
    let body = response.text().await.unwrap_or_default();
    let mut error = match serde_json::from_str::<ApiError>(&body) {
        Ok(error) => ClientError {
            status: Some(status),
            code: Some(error.code),
            message: error.error,
            findings: error.findings,
            retry_after_ms: None,
        },
        Err(_) => {
            let reason = response.status_text();
            let detail: String = body.trim().chars().take(200).collect();
            let message = if detail.is_empty() {
                format!("the server answered {status} {reason}")
            } else {
                format!("the server answered {status} {reason}: {detail}")
            };
            ClientError::new(Some(status), message)
        }
    };
    error.retry_after_ms = retry_after_ms;
    error
}

/// `Retry-After` in delay-seconds form, in milliseconds (at most an hour). The HTTP-date form
/// would need the clock; it is treated as absent.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    let seconds: u32 = value.trim().parse().ok()?;
    Some(seconds.min(3600) * 1000)
}
