//! `cargo xtask fuzz [--seconds N]`: the mutation fuzzer of annoqa-media
//! (`crates/annoqa-media/examples/fuzz.rs`), built in release and run for N seconds (default
//! 60) per target: image probe, WAV probe, peaks, video probe. Stable Rust only, so no
//! cargo-fuzz: the runner mutates seed files with a fixed seed and catches panics itself. Any
//! crashing input lands in `<target dir>/fuzz-crashes/` and the command fails.

use std::path::Path;

use anyhow::Result;

use crate::shell::{step, Cmd};

/// Seconds per target when `--seconds` is not given.
pub(crate) const DEFAULT_SECONDS: u64 = 60;

pub(crate) fn fuzz(root: &Path, seconds: u64) -> Result<()> {
    let crashes = crate::target_dir(root).join("fuzz-crashes");
    step(&format!("fuzz annoqa-media, {seconds} s per target"), || {
        Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-media", "--example", "fuzz", "--"])
            .arg("--seconds")
            .arg(seconds.to_string())
            .arg("--out")
            .arg(&crashes)
            .run()
    })
}
