//! `cargo xtask fuzz [--seconds N]`: the mutation fuzzers, built in release and run for N
//! seconds (default 60) per target. Stable Rust only, so no cargo-fuzz: each runner mutates seed
//! files with a fixed seed and catches panics itself. First annoqa-media's
//! (`crates/annoqa-media/examples/fuzz.rs`: image probe, WAV probe, peaks, video probe), then
//! annoqa-interop's (`crates/annoqa-interop/examples/fuzz.rs`: Label Studio export and config,
//! COCO, CVAT, YOLO folders and annoqa JSON Lines, each read followed by every writer). The
//! second is built with overflow checks on, in its own target folder (`<target dir>/fuzz-build`,
//! so the plain release build is not invalidated): an overflow that a release build would wrap
//! silently is a finding. Any crashing input lands in `<target dir>/fuzz-crashes/` and the
//! command fails.

use std::path::Path;

use anyhow::Result;

use crate::shell::{step, Cmd};

/// Seconds per target when `--seconds` is not given.
pub(crate) const DEFAULT_SECONDS: u64 = 60;

pub(crate) fn fuzz(root: &Path, seconds: u64) -> Result<()> {
    let target = crate::target_dir(root);
    let crashes = target.join("fuzz-crashes");
    let media = step(&format!("fuzz annoqa-media, {seconds} s per target"), || {
        Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-media", "--example", "fuzz", "--"])
            .arg("--seconds")
            .arg(seconds.to_string())
            .arg("--out")
            .arg(&crashes)
            .run()
    });
    // Run even when the first failed: the two fuzz different code.
    let interop = step(&format!("fuzz annoqa-interop, {seconds} s per target"), || {
        Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-interop", "--example", "fuzz", "--"])
            .arg("--seconds")
            .arg(seconds.to_string())
            .arg("--out")
            .arg(&crashes)
            .env("CARGO_TARGET_DIR", target.join("fuzz-build"))
            .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true")
            // A build of its own: quicker to make on two cores, hardly slower to run.
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .run()
    });
    media.and(interop)
}
