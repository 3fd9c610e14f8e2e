//! The image workspace's DOM-free parts: the viewport (zoom, pan, media pixel ↔ CSS pixel),
//! the spatial index that culls and hit-tests regions, shape edits and the drawing tools.
//! Plain Rust, unit-tested natively in `tests.rs`.
