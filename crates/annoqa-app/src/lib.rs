//! annoqa's browser front end: a Yew single-page app.
//!
//! The annotator page shows an item, lets the annotator mark spans and answer choices, checks
//! the answer live with `annoqa_core::validate`, submits it to the server and shows gold
//! feedback computed with `annoqa_core::score_gold`, the same functions the server runs.
//!
//! Code map: [`components`] (views, [`components::App`] is the root: session check, login,
//! logout), [`state`] (the annotator page's state machine, DOM-free), [`submission`]
//! (idempotency keys and retries), [`selection`] (DOM selection to text offsets), [`spans`]
//! (text with overlapping spans marked), [`markdown`] (guidelines, never as raw HTML),
//! [`api_client`] (every request to the server: cookies, CSRF header, 401 → login), [`hooks`],
//! [`route`].

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

pub mod api_client;
pub mod components;
pub mod dom;
pub mod draft;
pub mod hooks;
pub mod image;
pub mod labels;
pub mod markdown;
pub mod review;
pub mod route;
pub mod selection;
pub mod spans;
pub mod state;
pub mod stored_draft;
pub mod submission;
pub mod test_api;

pub use components::App;

// Native only: browser behaviour is tested in `tests/it` under wasm-bindgen-test.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
