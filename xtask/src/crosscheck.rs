//! `cargo xtask crosscheck`: annoqa's QA kernels against the reference Python packages
//! (shapely, jiwer, sed_eval, py-motmetrics) on seeded random cases, to 1e-9.
//!
//! The packages go into a virtual environment under the tools directory, pinned by
//! `xtask/crosscheck/requirements.txt`; it is rebuilt only when that file changes.

use std::path::Path;

use anyhow::{Context, Result};

use crate::install::tools_dir;
use crate::shell::{step, Cmd};

pub(crate) fn crosscheck(root: &Path) -> Result<()> {
    let requirements = root.join("xtask/crosscheck/requirements.txt");
    let venv = tools_dir()?.join("crosscheck-venv");
    let python = venv.join("bin/python");
    step("python environment", || {
        let wanted = std::fs::read_to_string(&requirements)
            .with_context(|| format!("cannot read {}", requirements.display()))?;
        let stamp = venv.join("annoqa-requirements.txt");
        if python.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            println!("    ok: {} matches {}", venv.display(), requirements.display());
            return Ok(());
        }
        Cmd::new("python3").args(["-m", "venv"]).arg(&venv).run()?;
        Cmd::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(&requirements).run()?;
        std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))
    })?;
    step("qa kernels vs shapely, jiwer, sed_eval, motmetrics", || {
        Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-crosscheck", "--"])
            .arg("--python")
            .arg(&python)
            .arg("--script")
            .arg(root.join("xtask/crosscheck/qa_crosscheck.py"))
            .args(["--seeds", "5", "--per-kind", "200"])
            .run()
    })
}
