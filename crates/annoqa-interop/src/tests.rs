//! Unit tests, one module per format; real third-party files come from the interop corpus.

mod coco;
mod crowdkit;
mod cvat;
mod ls;
mod yolo;

use std::path::PathBuf;

/// `../shared/interop-corpus` beside the workspace (or `$ANNOQA_INTEROP_CORPUS`); `None`, with a
/// note on stderr, where it is absent, as on a user's clone.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ANNOQA_INTEROP_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"),
    };
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        eprintln!("note: interop corpus not found at {}: corpus checks skipped", dir.display());
        None
    }
}
