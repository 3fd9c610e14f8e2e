//! annoqa's domain model and QA logic.
//!
//! **Invariant:** this crate does no I/O: no files, no network, no clock, no randomness, no DOM,
//! no SQL. Time and identity reach it as arguments, so the browser (Wasm), the server and the CLI
//! get identical answers from the same inputs.

#![warn(unreachable_pub)]

pub mod check;
pub mod de;
pub mod events;
pub mod finding;
pub mod geometry;
pub mod guidelines;
pub mod intervals;
pub mod matching;
pub mod model;
pub mod number;
mod order;
pub mod reveal;
pub mod rule;
pub mod score;
pub mod text;
pub mod tracking;
pub mod transcript;

pub use check::limits::{check_limits, LimitExceeded};
pub use check::spec::{check_gold, check_spec, SpecProblem};
pub use check::{validate, Validator};
pub use finding::{has_errors, Finding, Severity};
pub use model::*;
pub use score::{score_gold, GoldReport, RegionVerdict, Verdict};

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
