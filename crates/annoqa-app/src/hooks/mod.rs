//! Custom hooks: browser state (URL hash, local storage) and document-wide events.

mod document_listener;
mod hash_route;
mod local_storage;

pub use document_listener::use_document_listener;
pub use hash_route::{navigate, use_hash_route};
pub use local_storage::use_local_storage;
