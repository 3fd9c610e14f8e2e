//! The `annoqa` binary's integration tests: the real binary (`CARGO_BIN_EXE_annoqa`) on fixture
//! files, one module per group of subcommands.

mod convert;
mod flood;
mod media;
mod qa;
mod report;
mod stats;
mod user;

use std::path::{Path, PathBuf};

/// `../shared/interop-corpus` beside the repository (or `$ANNOQA_INTEROP_CORPUS`); `None`, with
/// a note, where it is absent, as on a user's clone.
pub(crate) fn interop_corpus() -> Option<PathBuf> {
    let path = std::env::var_os("ANNOQA_INTEROP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"));
    if path.join("SOURCES.md").is_file() {
        Some(path)
    } else {
        println!("note: no interop corpus at {}: corpus checks are skipped", path.display());
        None
    }
}
