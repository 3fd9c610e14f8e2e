//! `annoqa-crosscheck --python PY --script qa_crosscheck.py [--seeds N] [--per-kind K]`
//!
//! Generates seeded random cases for the QA kernels (box and polygon IoU, polygon validity,
//! WER/CER, event-based F1, MOTA/IDF1), computes annoqa's answers, asks the reference
//! implementations (shapely, jiwer, sed_eval, py-motmetrics, through the script) for theirs,
//! and compares them to 1e-9. Exits 1 on any unexplained disagreement. `cargo xtask crosscheck`
//! builds the Python environment and runs this.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

mod kernels;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context};

struct Args {
    python: PathBuf,
    script: PathBuf,
    seeds: u64,
    per_kind: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args { python: "python3".into(), script: PathBuf::new(), seeds: 5, per_kind: 200 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--python" => args.python = value()?.into(),
            "--script" => args.script = value()?.into(),
            "--seeds" => args.seeds = value()?.parse().context("--seeds takes a number")?,
            "--per-kind" => args.per_kind = value()?.parse().context("--per-kind takes a number")?,
            other => bail!("unknown argument `{other}`"),
        }
    }
    if args.script.as_os_str().is_empty() {
        bail!("--script PATH to qa_crosscheck.py is required");
    }
    Ok(args)
}

fn reference(args: &Args, cases: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let mut child = Command::new(&args.python)
        .arg(&args.script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", args.python.display()))?;
    child.stdin.take().context("no stdin")?.write_all(cases.to_string().as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("{} failed with {}", args.script.display(), output.status);
    }
    serde_json::from_slice(&output.stdout).context("the reference script printed invalid JSON")
}

fn run() -> anyhow::Result<bool> {
    let args = parse_args()?;
    let mut compared: BTreeMap<String, usize> = BTreeMap::new();
    let mut explained: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for seed in 1..=args.seeds {
        let cases = kernels::random_cases(seed, args.per_kind);
        let ours = kernels::evaluate(&cases);
        let theirs = reference(&args, &cases)?;
        let report = kernels::compare(&cases, &ours, &theirs, 1e-9);
        for (kind, n) in report.compared {
            *compared.entry(kind).or_default() += n;
        }
        for (what, n) in report.explained {
            *explained.entry(what).or_default() += n;
        }
        disagreements.extend(report.disagreements.into_iter().map(|d| format!("seed {seed}: {d}")));
        eprintln!("seed {seed}/{} done", args.seeds);
    }
    println!("values compared to 1e-9 ({} seeds × {} cases per kind):", args.seeds, args.per_kind);
    for (kind, n) in &compared {
        println!("  {kind:<12} {n:>8}");
    }
    for (what, n) in &explained {
        println!("  explained: {what}: {n}");
    }
    println!("disagreements: {}", disagreements.len());
    for d in disagreements.iter().take(20) {
        println!("  {d}");
    }
    Ok(disagreements.is_empty())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
