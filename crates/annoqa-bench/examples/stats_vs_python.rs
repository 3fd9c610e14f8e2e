//! The statistics half of `cargo xtask bench`: writes the seeded workloads of
//! `annoqa_bench::stats_inputs` as CSV into a folder, so the Python references time exactly the
//! same data, and times annoqa on them in this process. Prints one JSON line per workload to
//! stdout (`{"work", "tool", "seconds", "value"}`) and writes the same lines to
//! `DIR/annoqa.jsonl`.
//!
//! `cargo run --release -p annoqa-bench --example stats_vs_python -- DIR [--append]`
//!
//! `--append` adds the lines to `DIR/annoqa.jsonl` instead of replacing it: `cargo xtask bench`
//! times natively before and after the Chromium step, so a slow spell of this shared machine
//! cannot decide the native figure alone.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use annoqa_bench::stats_inputs::{
    alpha_nominal, complete_ratings, crowd_answers, dawid_skene_accuracy, dawid_skene_accuracy_on, fleiss,
    sparse_ratings, CrowdAnswers,
};
use annoqa_stats::Ratings;
use anyhow::{Context, Result};

fn main() -> Result<()> {
    let usage = "usage: stats_vs_python DIR [--append]";
    let dir = std::env::args().nth(1).context(usage)?;
    let append = match std::env::args().nth(2).as_deref() {
        None => false,
        Some("--append") => true,
        Some(other) => anyhow::bail!("unknown argument {other:?}; {usage}"),
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let sparse = sparse_ratings();
    let complete = complete_ratings();
    let crowd = crowd_answers();
    write_ratings(&dir.join("alpha.csv"), &sparse)?;
    write_ratings(&dir.join("fleiss.csv"), &complete)?;
    write_crowd(dir, &crowd)?;

    let mut lines = String::new();
    let (seconds, alpha) = best_of(20, || alpha_nominal(&sparse));
    writeln!(lines, r#"{{"work":"alpha","tool":"annoqa","seconds":{seconds},"value":{alpha}}}"#)?;
    let (seconds, kappa) = best_of(20, || fleiss(&complete));
    writeln!(lines, r#"{{"work":"fleiss","tool":"annoqa","seconds":{seconds},"value":{kappa}}}"#)?;
    let (seconds, (accuracy, iterations)) = best_of(20, || dawid_skene_accuracy(&crowd));
    // The browser's Wasm runs one thread: the like-for-like native figure for its ratio.
    let (one_thread, _) = best_of(20, || dawid_skene_accuracy_on(&crowd, 1));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    writeln!(
        lines,
        r#"{{"work":"dawid_skene","tool":"annoqa","seconds":{seconds},"threads":{threads},"seconds_one_thread":{one_thread},"value":{accuracy},"iterations":{iterations}}}"#
    )?;
    print!("{lines}");
    let out = dir.join("annoqa.jsonl");
    if append {
        // A second sitting of the same timings: the Python script keeps each work's fastest.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&out)
            .with_context(|| format!("cannot open {}", out.display()))?;
        return file.write_all(lines.as_bytes()).with_context(|| format!("cannot write {}", out.display()));
    }
    std::fs::write(&out, lines).with_context(|| format!("cannot write {}", out.display()))
}

/// The fastest of `runs` runs, in seconds, and the work's result: the machine is shared and the
/// fastest run is the least disturbed one. The Python side is timed the same way.
fn best_of<T>(runs: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = std::hint::black_box(work());
        best = best.min(start.elapsed().as_secs_f64());
        result = Some(value);
    }
    (best, result.expect("runs > 0"))
}

/// One row per unit, one column per coder, an empty cell for a missing rating.
fn write_ratings(path: &Path, ratings: &Ratings) -> Result<()> {
    let mut out = BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
    for unit in 0..ratings.units() {
        for coder in 0..ratings.coders() {
            if coder > 0 {
                out.write_all(b",")?;
            }
            if let Some(value) = ratings.get(unit, coder) {
                write!(out, "{value}")?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush().with_context(|| format!("cannot write {}", path.display()))
}

/// crowd-kit's layout (`task,worker,label`) and the truth as `task,label`.
fn write_crowd(dir: &Path, crowd: &CrowdAnswers) -> Result<()> {
    let path = dir.join("crowd.csv");
    let mut out = BufWriter::new(File::create(&path).with_context(|| format!("cannot create {}", path.display()))?);
    writeln!(out, "task,worker,label")?;
    for (task, worker, label) in &crowd.answers {
        writeln!(out, "{task},{worker},{label}")?;
    }
    out.flush()?;
    let path = dir.join("truth.csv");
    let mut out = BufWriter::new(File::create(&path).with_context(|| format!("cannot create {}", path.display()))?);
    writeln!(out, "task,label")?;
    for (task, label) in crowd.truth.iter().enumerate() {
        writeln!(out, "{task},{label}")?;
    }
    out.flush().with_context(|| format!("cannot write {}", path.display()))
}
