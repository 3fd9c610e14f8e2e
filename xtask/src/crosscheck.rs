//! `cargo xtask crosscheck`: annoqa's QA kernels against the reference Python packages
//! (shapely, jiwer, sed_eval, py-motmetrics), its statistics against krippendorff,
//! statsmodels, scikit-learn and irrCAC, on seeded random cases, to 1e-9, and `annoqa peaks`
//! against numpy min/max on WAV files of every sample format, exactly.
//!
//! The packages go into virtual environments under the tools directory, each pinned by a
//! requirements file in `xtask/crosscheck/`; an environment is rebuilt only when its file
//! changes. The two sets need different NumPy/SciPy (irrCAC needs an old SciPy).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::install::tools_dir;
use crate::shell::{step, Cmd};

/// The QA kernels' references (`qa_crosscheck.py`).
const QA_REQUIREMENTS: &str = "xtask/crosscheck/requirements.txt";
/// The statistics' references, for the cross-check and the benchmark side by side.
pub(crate) const STATS_REQUIREMENTS: &str = "xtask/crosscheck/stats-requirements.txt";

pub(crate) fn crosscheck(root: &Path) -> Result<()> {
    let python = python_env(root, QA_REQUIREMENTS, "crosscheck-venv")?;
    step("qa kernels vs shapely, jiwer, sed_eval, motmetrics", || {
        Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-crosscheck", "--"])
            .arg("--python")
            .arg(&python)
            .arg("--script")
            .arg(root.join("xtask/crosscheck/qa_crosscheck.py"))
            .args(["--seeds", "5", "--per-kind", "200"])
            .run()
    })?;
    let python = python_env(root, STATS_REQUIREMENTS, "stats-venv")?;
    step("statistics vs krippendorff, statsmodels, scikit-learn, irrCAC", || {
        let cases = Cmd::cargo()
            .args(["run", "--release", "--quiet", "-p", "annoqa-stats", "--example", "crosscheck_cases", "--"])
            .args(["200", "1"])
            .read_bytes()?;
        let file = crate::target_dir(root).join("crosscheck/stats-cases.json");
        write_file(&file, &cases)?;
        Cmd::new(&python)
            .arg(root.join("xtask/crosscheck/stats_crosscheck.py"))
            .args(["--compare", "1e-9"])
            .stdin_file(&file)
            .run()
    })?;
    step("waveform peaks vs numpy", || {
        Cmd::cargo().args(["build", "--quiet", "-p", "annoqa-cli"]).run()?;
        Cmd::new(&python)
            .arg(root.join("xtask/crosscheck/peaks_crosscheck.py"))
            .arg(crate::target_dir(root).join("debug/annoqa"))
            .arg(crate::target_dir(root).join("crosscheck/peaks"))
            .run()
    })
}

/// A virtual environment under the tools directory with exactly the packages of
/// `requirements` (relative to the repository root); returns its `python`.
pub(crate) fn python_env(root: &Path, requirements: &str, name: &str) -> Result<PathBuf> {
    let requirements = root.join(requirements);
    let venv = tools_dir()?.join(name);
    let python = venv.join("bin/python");
    step(&format!("python environment {name}"), || {
        let wanted = std::fs::read_to_string(&requirements)
            .with_context(|| format!("cannot read {}", requirements.display()))?;
        let stamp = venv.join("annoqa-requirements.txt");
        if python.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            println!("    ok: {} matches {}", venv.display(), requirements.display());
            return Ok(());
        }
        Cmd::new("python3").args(["-m", "venv", "--clear"]).arg(&venv).run()?;
        Cmd::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(&requirements).run()?;
        std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))
    })?;
    Ok(python)
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
