//! annoqa's domain model and QA logic.
//!
//! **Invariant:** this crate does no I/O: no files, no network, no clock, no randomness, no DOM,
//! no SQL. Time and identity reach it as arguments, so the browser (Wasm), the server and the CLI
//! get identical answers from the same inputs.

pub mod api;
pub mod events;
pub mod geometry;
pub mod guidelines;
pub mod intervals;
pub mod matching;
pub mod model;
pub mod reveal;
pub mod rules;
pub mod score;
mod score_regions;
pub mod text;
pub mod tracking;
pub mod transcript;
pub mod validate;

pub use model::*;
pub use score::{score_gold, GoldReport, RegionVerdict, Verdict};
pub use validate::{validate, Finding, Severity};

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
