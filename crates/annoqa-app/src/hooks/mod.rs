//! Custom hooks: the URL hash and document-wide events.

mod document_listener;
mod hash_route;

pub use document_listener::use_document_listener;
pub use hash_route::{navigate, use_hash_route};
