//! The converter step of `cargo xtask bench`: `annoqa convert --from ls --to coco|yolo` against
//! label-studio-sdk's converter (`Converter.convert_to_coco` / `convert_to_yolo`, pinned in a
//! venv of its own) on one seeded Label Studio export of 100,000 image tasks × 3 annotators ×
//! 10 boxes, whole processes: annoqa's median of three runs, one run of the SDK's (minutes
//! long), peak RSS of each, and a check that the outputs agree; then `annoqa report` on the
//! same file when the binary has it. The work is `xtask/crosscheck/ls_bench.py`; the table goes
//! to `target/bench/convert/runs/results.md`.

use std::path::Path;

use anyhow::Result;

use crate::crosscheck::python_env;
use crate::shell::{step, Cmd};

const SDK_REQUIREMENTS: &str = "xtask/crosscheck/ls-sdk-requirements.txt";
const TASKS: &str = "100000";
const ANNOTATORS: &str = "3";
const BOXES: &str = "10";
const SEED: &str = "7";
const RUNS: &str = "3";
/// label-studio-sdk takes minutes per run: one run each (its spread is a few percent).
const SDK_RUNS: &str = "1";

pub(crate) fn bench_convert(root: &Path) -> Result<()> {
    let python = python_env(root, SDK_REQUIREMENTS, "label-studio-sdk-venv")?;
    let script = root.join("xtask/crosscheck/ls_bench.py");
    let out = crate::target_dir(root).join("bench/convert");
    // The file is about 900 MiB; its name says what is in it, so it is generated once.
    let data = out.join(format!("data-{TASKS}x{ANNOTATORS}x{BOXES}-seed{SEED}"));
    step("convert benchmark: label studio export", || {
        if data.join("export.json").is_file() && data.join("label_config.xml").is_file() {
            println!("    ok: {} exists", data.display());
            return Ok(());
        }
        Cmd::new(&python)
            .arg(&script)
            .arg("generate")
            .arg(&data)
            .args(["--tasks", TASKS, "--annotators", ANNOTATORS, "--boxes", BOXES, "--seed", SEED])
            .run()
    })?;
    step("convert benchmark: annoqa vs label-studio-sdk", || {
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-cli"]).run()?;
        Cmd::new(&python)
            .arg(&script)
            .arg("run")
            .arg("--annoqa")
            .arg(crate::target_dir(root).join("release/annoqa"))
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(out.join("runs"))
            .args(["--runs", RUNS, "--sdk-runs", SDK_RUNS])
            .run()
    })
}
