//! annoqa-media's integration tests: real files made by ffmpeg, sox and espeak-ng (the fixtures
//! and the demo media), and hostile mutations of them. Native only (files, proptest).
#![cfg(not(target_arch = "wasm32"))]

mod hostile;
mod probe;

use std::path::PathBuf;

pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub(crate) fn demo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../static/demo").join(path)
}
