use annoqa_core::api::ApiError;
use annoqa_core::Finding;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error an HTTP client sees: a status and an [`ApiError`] body.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
    #[error("the annotation has errors")]
    Invalid(Vec<Finding>),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ServerError {
    pub fn status(status: StatusCode, message: impl Into<String>) -> ServerError {
        ServerError::Rejected { status, message: message.into() }
    }

    pub fn unauthorized(message: impl Into<String>) -> ServerError {
        ServerError::status(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ServerError {
        ServerError::status(StatusCode::FORBIDDEN, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> ServerError {
        ServerError::status(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl From<sqlx::Error> for ServerError {
    fn from(e: sqlx::Error) -> Self {
        ServerError::Internal(e.into())
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = match &self {
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::Conflict(_) => StatusCode::CONFLICT,
            ServerError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServerError::Rejected { status, .. } => *status,
            ServerError::Internal(e) => {
                tracing::error!("{e:#}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            // Internal details stay in the log.
            ServerError::Internal(_) => "internal server error".to_string(),
            other => other.to_string(),
        };
        let findings = match self {
            ServerError::Invalid(findings) => findings,
            _ => Vec::new(),
        };
        (status, Json(ApiError { error: message, findings })).into_response()
    }
}
