use annoqa_api::{ApiError, ApiErrorCode};
use annoqa_core::Finding;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error an HTTP client sees: an [`ApiError`] body whose code fixes the status.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A refusal the client can act on.
    #[error("{message}")]
    Refused { code: ApiErrorCode, message: String },
    /// The annotation has errors (`invalid_annotation`, with the findings).
    #[error("the annotation has errors")]
    Invalid(Vec<Finding>),
    /// The server failed (`internal`); the details go to the log only.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ServerError {
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> ServerError {
        ServerError::Refused { code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> ServerError {
        ServerError::new(ApiErrorCode::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ServerError {
        ServerError::new(ApiErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ServerError {
        ServerError::new(ApiErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> ServerError {
        ServerError::new(ApiErrorCode::NotFound, message)
    }

    /// Well-formed but invalid: a value out of range, a field that must not be there.
    pub fn invalid_request(message: impl Into<String>) -> ServerError {
        ServerError::new(ApiErrorCode::InvalidRequest, message)
    }

    pub fn code(&self) -> ApiErrorCode {
        match self {
            ServerError::Refused { code, .. } => *code,
            ServerError::Invalid(_) => ApiErrorCode::InvalidAnnotation,
            ServerError::Internal(_) => ApiErrorCode::Internal,
        }
    }
}

impl From<sqlx::Error> for ServerError {
    fn from(e: sqlx::Error) -> Self {
        ServerError::Internal(e.into())
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let code = self.code();
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let error = match &self {
            ServerError::Internal(e) => {
                tracing::error!("{e:#}");
                // Internal details stay in the log.
                "internal server error".to_string()
            }
            other => other.to_string(),
        };
        let findings = match self {
            ServerError::Invalid(findings) => findings,
            _ => Vec::new(),
        };
        let mut response = (status, Json(ApiError { code, error, findings })).into_response();
        if code == ApiErrorCode::Busy {
            // `busy` is answered at once, not after a wait: tell the client when to come back.
            let retry_after = axum::http::HeaderValue::from(crate::cpu::RETRY_AFTER_SECONDS);
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after);
        }
        response
    }
}
