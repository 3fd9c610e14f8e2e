//! Unit tests of the crate, one module per source module. Published worked examples name their
//! source and the value printed there.

mod agreement;
mod aggregate;
