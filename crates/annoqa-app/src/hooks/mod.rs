//! Custom hooks: the URL hash, document-wide events and the draft kept in local storage.

mod document_listener;
mod hash_route;
mod kept_draft;

pub use document_listener::use_document_listener;
pub use hash_route::{navigate, use_hash_route};
pub use kept_draft::use_kept_draft;
