//! What a refused request answers: [`ApiError`], whose [`ApiErrorCode`] a client branches on.

use annoqa_core::Finding;
use serde::{Deserialize, Serialize};

/// The body of every non-2xx answer under `/api/`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ApiError {
    /// What went wrong, for programs. Stable: clients branch on this, never on `error`.
    pub code: ApiErrorCode,
    /// What went wrong, in words for people. May change from release to release.
    pub error: String,
    /// Validation errors that made the server refuse a submission or a fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal, $status:literal;)*) => {
        /// Why the server refused a request. Each code has one HTTP status
        /// ([`ApiErrorCode::status`]); `docs/api.md` says what each means and which endpoints
        /// answer it.
        #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ApiErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $text)] $name,)*
        }

        impl ApiErrorCode {
            /// Every code, in the order `docs/api.md` lists them.
            pub const ALL: &'static [ApiErrorCode] = &[$(ApiErrorCode::$name),*];

            /// The code as it is sent: `already_submitted`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ApiErrorCode::$name => $text,)*
                }
            }

            /// The HTTP status every answer with this code has.
            pub fn status(self) -> u16 {
                match self {
                    $(ApiErrorCode::$name => $status,)*
                }
            }
        }
    };
}

error_codes! {
    /// Malformed request: broken JSON, JSON nested too deep, a bad query string, path parameter
    /// or `Idempotency-Key`, an import entry that cannot be read.
    BadRequest = "bad_request", 400;
    /// No valid session cookie or API token.
    Unauthorized = "unauthorized", 401;
    /// Login with a wrong username or password (the answer does not say which).
    InvalidCredentials = "invalid_credentials", 401;
    /// A cookie-authenticated request that changes data lacks [`crate::CSRF_HEADER`].
    MissingCsrfHeader = "missing_csrf_header", 403;
    /// The caller's role may not do this.
    Forbidden = "forbidden", 403;
    /// No such object, or one the caller may not know exists; also an unknown API path.
    NotFound = "not_found", 404;
    /// The path exists, but not with this method.
    MethodNotAllowed = "method_not_allowed", 405;
    /// A project id or a username that is taken.
    AlreadyExists = "already_exists", 409;
    /// A skip of an item that is not leased to the caller.
    NotLeased = "not_leased", 409;
    /// A submission for an item the caller was not given.
    NotAssigned = "not_assigned", 409;
    /// The caller already submitted this item (or submitted it so long ago that the idempotency
    /// key was forgotten).
    AlreadySubmitted = "already_submitted", 409;
    /// The caller's lease on the item expired and the item went to someone else.
    LeaseLost = "lease_lost", 409;
    /// A request with this `Idempotency-Key` is still being processed: send the same request with
    /// the same key again later, and the first one's response is replayed.
    InFlight = "in_flight", 409;
    /// The submission has a review already; only one review per submission is stored.
    AlreadyReviewed = "already_reviewed", 409;
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge = "payload_too_large", 413;
    /// The annotation is larger than the project's limits allow (`spec.limits`; the message
    /// names the limit). Checked before anything reads the annotation.
    LimitExceeded = "limit_exceeded", 413;
    /// A media upload would take the project's uploads beyond its quota (`annoqa serve
    /// --media-quota-mib`).
    MediaQuotaExceeded = "media_quota_exceeded", 413;
    /// The request's `Content-Type` is not one the endpoint accepts, or an upload is not a
    /// recognised media file.
    UnsupportedMediaType = "unsupported_media_type", 415;
    /// Well-formed JSON with a wrong shape or a value out of range (the message names the field).
    InvalidRequest = "invalid_request", 422;
    /// The `Idempotency-Key` was used before with another request body.
    PayloadMismatch = "payload_mismatch", 422;
    /// A password someone chose is too short or too long, only spaces, the username, or one of
    /// the most common passwords (the message says which).
    WeakPassword = "weak_password", 422;
    /// The annotation (a submission or a reviewer's fix) has errors; `findings` lists them.
    InvalidAnnotation = "invalid_annotation", 422;
    /// A project's task spec is not valid (the message names the rule and field).
    InvalidSpec = "invalid_spec", 422;
    /// An upload of a recognised format that its probe refuses: a decompression bomb, a header
    /// claiming more data than the file has. The file is not kept.
    InvalidMedia = "invalid_media", 422;
    /// Too many login attempts for the username (from any address) or from the client's
    /// address (for any username) within a minute: wait `Retry-After` seconds.
    RateLimited = "rate_limited", 429;
    /// The server failed; the details are in its log, not in the answer.
    Internal = "internal", 500;
    /// The server is checking as many annotations (or passwords) as it can at once: send the
    /// same request again after `Retry-After` seconds.
    Busy = "busy", 503;
}

impl ApiErrorCode {
    /// The code sent as `s`, if there is one.
    pub fn parse(s: &str) -> Option<ApiErrorCode> {
        ApiErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}
