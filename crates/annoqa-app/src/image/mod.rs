//! The image workspace's DOM-free parts: the viewport (zoom, pan, media pixel ↔ CSS pixel),
//! the spatial index that culls and hit-tests regions, shape edits and the drawing tools.
//! Plain Rust, unit-tested natively in `tests.rs`.
//!
//! Units: *image px* are the media's own pixels (origin top left, y down); *CSS px* are the
//! canvas's. [`viewport::Viewport`] maps between them; everything else is image px unless a
//! name says otherwise. Dependencies inside: `spatial` ← `viewport` ← `shape` ← `hit`, `tool`;
//! `tiles` uses `viewport`.

pub mod hit;
pub mod shape;
pub mod spatial;
pub mod tiles;
pub mod tool;
pub mod viewport;

pub use hit::hit_test;
pub use shape::{Handle, Shape};
pub use spatial::{Rect, SpatialIndex};
pub use tiles::{level_for, tile_rect, visible_tiles, TileKey};
pub use tool::{Drawing, Gesture, Grab, Outcome, Tool};
pub use viewport::Viewport;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
