//! The server's JSON API, with the routes and types of `annoqa_core::api`.

use annoqa_core::api::{self, ApiError, NextItem, ProjectSummary, ProjectView, SubmitRequest, SubmitResponse};
use annoqa_core::Finding;
use gloo::net::http::{Request, Response};
use serde::de::DeserializeOwned;

/// Why a request failed, in words for the annotator.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientError {
    /// HTTP status, or `None` when the server was not reached.
    pub status: Option<u16>,
    pub message: String,
    /// Validation errors the server refused a submission for.
    pub findings: Vec<Finding>,
}

impl ClientError {
    fn network(error: gloo::net::Error) -> ClientError {
        ClientError { status: None, message: format!("could not reach the server: {error}"), findings: Vec::new() }
    }

    fn unreadable(status: u16, error: gloo::net::Error) -> ClientError {
        ClientError {
            status: Some(status),
            message: format!("the server sent an unreadable answer: {error}"),
            findings: Vec::new(),
        }
    }
}

pub async fn projects() -> Result<Vec<ProjectSummary>, ClientError> {
    get_json(api::PROJECTS).await
}

pub async fn project(id: &str) -> Result<ProjectView, ClientError> {
    get_json(&api::project_path(id)).await
}

pub async fn next_item(project: &str, annotator: &str) -> Result<NextItem, ClientError> {
    get_json(&api::next_item_path(project, annotator)).await
}

pub async fn submit(project: &str, item: &str, request: &SubmitRequest) -> Result<SubmitResponse, ClientError> {
    let request = Request::post(&api::submit_path(project, item)).json(request).map_err(|error| ClientError {
        status: None,
        message: format!("could not encode the annotation: {error}"),
        findings: Vec::new(),
    })?;
    let response = request.send().await.map_err(ClientError::network)?;
    read_json(response).await
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    let response = Request::get(url).send().await.map_err(ClientError::network)?;
    read_json(response).await
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    if response.ok() {
        return response.json::<T>().await.map_err(|error| ClientError::unreadable(status, error));
    }
    let body = response.text().await.unwrap_or_default();
    Err(match serde_json::from_str::<ApiError>(&body) {
        Ok(error) => ClientError { status: Some(status), message: error.error, findings: error.findings },
        Err(_) => {
            let reason = response.status_text();
            let detail: String = body.trim().chars().take(200).collect();
            let message = if detail.is_empty() {
                format!("the server answered {status} {reason}")
            } else {
                format!("the server answered {status} {reason}: {detail}")
            };
            ClientError { status: Some(status), message, findings: Vec::new() }
        }
    })
}
