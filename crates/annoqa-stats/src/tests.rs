//! Unit tests of the crate, one module per source module. Published worked examples name their
//! source and the value printed there.

mod aggregate;
mod agreement;
mod intervals;
mod overlay;
mod properties;
mod sampling;
mod structured;
mod trust;
