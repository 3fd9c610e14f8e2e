//! annoqa's HTTP protocol, shared by the server (axum), the app (Yew) and every other client so
//! they cannot drift: the wire types, the route table with the path builders, the session cookie,
//! the CSRF and idempotency headers, and the stable error codes.
//!
//! All bodies are JSON unless the route table says otherwise. A refused request answers an
//! [`ApiError`] whose [`ApiErrorCode`] fixes its status. `docs/api.md` documents every route
//! and code; tests hold it, the server's router and the path builders to [`Endpoint::ALL`].
//!
//! Depends on `annoqa-core` (the domain model) and serde only.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

mod error;
mod routes;
mod types;

#[cfg(test)]
mod tests;

pub use annoqa_core::reveal::GoldReveal;
pub use error::{ApiError, ApiErrorCode};
pub use routes::paths::{MY_FEEDBACK, MY_UNREAD_FEEDBACK, PROJECTS, SESSION, USERS};
pub use routes::{
    bad_gold_item_path, bad_gold_path, encode, export_path, feedback_ack_path, feedback_entry_path, feedback_path,
    flags_path, gold_exposure_path, inbox_path, items_path, media_path, media_upload_path, members_path, next_path,
    overlay_path, paths, project_path, pyramid_path, review_path, review_queue_path, reviews_path, revisions_path,
    scorecards_path, skip_path, submission_path, submit_path, taxonomy_path, tile_path, user_password_path, user_path,
    user_token_path, user_tokens_path, Access, Endpoint, Method, RawBytes, Route,
};
pub use routes::{review_queue_page_path, submission_item_path};
pub use types::*;

/// Name of the session cookie (HttpOnly, SameSite=Strict, Path=/).
pub const SESSION_COOKIE: &str = "annoqa_session";

/// Header every cookie-authenticated non-GET request must carry with the value
/// [`CSRF_HEADER_VALUE`]; a cross-site form cannot set it. Bearer-token requests need not.
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_HEADER_VALUE: &str = "annoqa";

/// Header naming one submit attempt (draft-ietf-httpapi-idempotency-key-header).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
