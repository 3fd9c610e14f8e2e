//! `cargo xtask crosscheck-ls`: a real Label Studio (1.23.2 from PyPI) as the judge of `annoqa
//! convert`. Not part of CI: it installs a large Python environment and Label Studio's first
//! start spends minutes on database migrations.
//!
//! The Rust side prepares: the venv (pinned by `xtask/crosscheck/ls-requirements.txt`, rebuilt
//! only when that file changes), the release `annoqa` binary and the corpus location. The work
//! is `xtask/crosscheck/ls_crosscheck.py`, run with the venv's Python because it drives Label
//! Studio's HTTP API and uses its SDK's `LabelInterface`: it starts Label Studio on loopback
//! with a fresh data dir and SQLite under `target/crosscheck/ls/`, converts seeded records and
//! corpus exports with annoqa, imports annoqa's Label Studio files, exports them with Label
//! Studio's own JSON, COCO and YOLO exporters, compares, prints a table (also written to
//! `target/crosscheck/ls/summary.md`) and fails on any mismatch.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::crosscheck::python_env;
use crate::shell::{step, Cmd};

const LS_REQUIREMENTS: &str = "xtask/crosscheck/ls-requirements.txt";
/// A port of its own, so a Label Studio someone runs on the default 8080 is left alone.
const PORT: &str = "18089";
const SEED: &str = "1";

pub(crate) fn crosscheck_ls(root: &Path) -> Result<()> {
    let corpus = corpus_dir(root)?;
    let python = python_env(root, LS_REQUIREMENTS, "label-studio-venv")?;
    step("annoqa (release)", || Cmd::cargo().args(["build", "--release", "-p", "annoqa-cli"]).run())?;
    let work = crate::target_dir(root).join("crosscheck/ls");
    step("label studio judges annoqa convert (ls, coco, yolo)", || {
        Cmd::new(&python)
            .arg(root.join("xtask/crosscheck/ls_crosscheck.py"))
            .arg("--annoqa")
            .arg(crate::target_dir(root).join("release/annoqa"))
            .arg("--work")
            .arg(&work)
            .arg("--corpus")
            .arg(&corpus)
            .args(["--seed", SEED, "--port", PORT])
            .run()
    })
}

/// The interop corpus: `$ANNOQA_INTEROP_CORPUS`, else `../shared/interop-corpus` beside the
/// repository, as the interop tests find it.
pub(crate) fn corpus_dir(root: &Path) -> Result<PathBuf> {
    let dir = match std::env::var_os("ANNOQA_INTEROP_CORPUS").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => root.join("../shared/interop-corpus"),
    };
    if !dir.join("SOURCES.md").is_file() {
        bail!("the interop corpus is not at {} (set ANNOQA_INTEROP_CORPUS to its folder)", dir.display());
    }
    Ok(dir)
}
