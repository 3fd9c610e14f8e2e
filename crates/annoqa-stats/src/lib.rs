//! Agreement, label aggregation and QA statistics for annotation projects.
//!
//! The crate answers the questions a QA lead asks of a batch: do the annotators agree
//! ([`agreement`], [`alpha`]), what is the consensus label of each item ([`aggregate`]), how sure
//! are we of an annotator's accuracy ([`intervals`]), and how many items must be reviewed
//! ([`sampling`]).
//!
//! **Architecture Invariant:** this crate does no I/O: no files, no clock, no global randomness,
//! and no threads unless the caller asks for them (Dawid–Skene's `threads`). Randomness comes
//! from a seed passed by the caller ([`rng::Rng`]), and work split over threads is split the same
//! way without them, so the browser (Wasm), the server and the CLI compute identical numbers
//! from identical inputs.
//!
//! **Architecture Invariant:** the only crate of ours this one depends on is `annoqa-core`, for
//! the QA engine's geometry and matchers, so region agreement and gold scoring judge overlap
//! the same way.
//!
//! **Architecture Invariant:** labels are dense indices (`u32`, `0..categories`) and annotators and
//! items are dense indices too. Names become indices before any statistic runs
//! ([`csv`] interns them while reading a file); it keeps the hot loops on flat arrays.
//!
//! Code map:
//! - [`data`]: the shapes of reliability data ([`Ratings`], [`Counts`], [`ContingencyTable`]) and
//!   agreement [`Weights`].
//! - [`agreement`]: percent agreement, Cohen's κ, Scott's π, Fleiss' κ, Gwet's AC1/AC2,
//!   Brennan–Prediger; pairwise and per-label views.
//! - [`alpha`]: Krippendorff's α at every level of measurement, and its bootstrap.
//! - [`aggregate`]: majority vote and Dawid–Skene (full, one-coin, gold-seeded).
//! - [`boxes`]: box consensus, IoU clustering then coordinate averaging.
//! - [`csv`]: long-format CSV (`item,annotator,label`) from any `Read` into dense indices,
//!   interning names as it goes; the caller opens the file.
//! - [`structured`]: agreement on spans, boxes and time segments through `annoqa-core`'s
//!   matchers (pairwise F1, mean IoU of matched boxes).
//! - [`intervals`]: Wilson, Clopper–Pearson, Beta posterior, SPRT, confusion matrices, sample size.
//! - [`overlay`]: the reviewer's overlay of up to five annotators' regions on one item, matched
//!   by core's matcher, with agreement classes and a consensus proposal; [`trust`]: annotator
//!   scorecards and bad-gold detection.
//! - [`sampling`]: ISO 2859-1 single sampling plans and seeded review samples.
//! - [`rng`]: the seeded generator behind every random choice.
//!
//! Every published worked example the crate reproduces is a unit test in `src/tests/` that names
//! its source and the printed value.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

pub mod aggregate;
pub mod agreement;
pub mod alpha;
pub mod boxes;
pub mod csv;
pub mod data;
pub mod intervals;
pub mod overlay;
pub mod rng;
pub mod sampling;
pub mod structured;
pub mod trust;

mod error;

pub use data::{ContingencyTable, Counts, Ratings, Weights};
pub use error::StatsError;

#[cfg(test)]
mod tests;
