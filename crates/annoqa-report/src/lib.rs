//! The QA report of a multi-annotator export: per control and label, how well the annotators
//! agree; the consensus; each annotator's scorecard (gold accuracy with Wilson intervals,
//! agreement with peers, findings per 100 items); validation findings by rule; and the items
//! with the lowest agreement.
//!
//! Records stream in one at a time ([`ReportBuilder::add`]); the builder keeps only compact
//! per-item data (label indices, box geometry, span offsets), never the records, so memory is
//! bounded by the answers' numbers, not by the export's JSON. [`ReportBuilder::finish`] computes
//! the [`Report`]; [`render_html`] draws it as one self-contained HTML page (inline CSS, SVG
//! plots, no script, no external request), and the report serialises to JSON with serde.
//!
//! **Architecture Invariant:** this crate does no I/O and computes no statistic of its own: α, κ
//! and Dawid–Skene come from `annoqa-stats` (the functions `annoqa agreement` and `annoqa
//! aggregate` call), span, box and segment agreement from `annoqa_stats::structured` (the QA
//! engine's staged matcher), findings from `annoqa_core::validate` and gold from
//! `annoqa_core::score_gold`. What is left here is bookkeeping: names to dense indices, answers
//! grouped by item, sums over items.
//!
//! Code map:
//! - [`report`]: the report's data, the JSON contract.
//! - `builder`: [`ReportBuilder`], the streaming side: records in, compact data kept.
//! - `choice`: choices and pairwise preferences: α, κ, Cohen pairs, Dawid–Skene.
//! - `regions`: spans, boxes and segments: pairwise F1 per item, summed; box consensus.
//! - `html`, `svg`: the page and its plots.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
#![warn(unreachable_pub)]

mod builder;
mod choice;
mod html;
mod names;
mod regions;
pub mod report;
mod svg;

pub use builder::{ReportBuilder, ReportOptions};
pub use html::render_html;
pub use report::Report;

#[cfg(test)]
mod tests;
