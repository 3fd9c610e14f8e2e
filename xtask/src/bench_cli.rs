//! The statistics as a user runs them: `annoqa agreement` and `annoqa aggregate` timed as whole
//! processes, from outside, against the Python a QA team would otherwise run (start-up, imports,
//! reading the CSV, reshaping, the statistic, writing the result), on the same seeded CSVs, in
//! the same run as the in-process comparison; with each side's peak memory and the CSV reader's
//! own speed.
//!
//! `cargo xtask bench` runs [`whole_process`] after its in-process comparison; `cargo xtask
//! bench-cli` runs the in-process comparison and this alone. The table is appended to
//! `target/bench/stats/side_by_side.md`, under the in-process one.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::crosscheck::{python_env, STATS_REQUIREMENTS};
use crate::shell::{step, Cmd};

/// Timed runs per command; the table shows their median. One untimed run before them brings
/// the files into the page cache and the program into memory for both sides alike.
const RUNS: usize = 5;

/// Krippendorff's α as a Python user computes it from a long CSV: pandas reads it, a pivot makes
/// the coders × units table the package wants.
const ALPHA_PY: &str = r#"
import sys
import pandas as pd
import krippendorff
frame = pd.read_csv(sys.argv[1])
table = frame.pivot(index="annotator", columns="item", values="label")
print(krippendorff.alpha(reliability_data=table.to_numpy(dtype=float), level_of_measurement="nominal"))
"#;

/// Fleiss' κ the same way, through statsmodels' units × categories counts.
const FLEISS_PY: &str = r#"
import sys
import pandas as pd
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
frame = pd.read_csv(sys.argv[1])
table = frame.pivot(index="item", columns="annotator", values="label")
counts, _ = aggregate_raters(table.to_numpy())
print(fleiss_kappa(counts, method="fleiss"))
"#;

/// crowd-kit's Dawid–Skene from its own CSV layout (`task,worker,label`), the labels written
/// out as `annoqa aggregate` writes them.
const DAWID_SKENE_PY: &str = r#"
import sys
import pandas as pd
from crowdkit.aggregation import DawidSkene
frame = pd.read_csv(sys.argv[1])
labels = DawidSkene(n_iter=100).fit_predict(frame)
labels.rename("label").to_csv(sys.stdout, index_label="task")
"#;

/// One comparison: the CLI's arguments and the Python program, on one input.
struct Work {
    /// A short name, for output files and the goals line.
    key: &'static str,
    title: &'static str,
    /// The key of the in-process row in `side_by_side.md` (its title's start).
    in_process_row: &'static str,
    input: PathBuf,
    annoqa_args: Vec<String>,
    python: &'static str,
    goal: f64,
    value: Value,
}

/// What the two sides' outputs are compared on.
#[derive(Clone, Copy)]
enum Value {
    /// The coefficient: annoqa's `--json` `value`, the number Python prints.
    Coefficient,
    /// The consensus labels' accuracy against the truth (`truth.csv`).
    Accuracy,
}

/// One side's measurement.
struct Timing {
    median_seconds: f64,
    peak_kib: Option<u64>,
    /// CPU seconds (every thread's, user and system): the median of [`RUNS`] runs under `perf
    /// stat` where it works, else the one `/usr/bin/time` run's (in hundredths of a second). On
    /// a shared machine other tenants stretch wall time, CPU time much less.
    cpu_seconds: Option<f64>,
    /// Where `cpu_seconds` comes from.
    cpu_source: &'static str,
    /// The output of the last run.
    output: PathBuf,
}

/// `cargo xtask bench-cli`: the in-process comparison (native and Python, as `cargo xtask
/// bench` runs them), then the whole-process one, in one run.
pub(crate) fn bench_cli(root: &Path) -> Result<()> {
    let stats_dir = crate::target_dir(root).join("bench/stats");
    step("statistics in process (native)", || {
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-bench", "--example", "stats_vs_python"]).run()?;
        Cmd::new(crate::target_dir(root).join("release/examples/stats_vs_python")).arg(&stats_dir).run()
    })?;
    let python = python_env(root, STATS_REQUIREMENTS, "stats-venv")?;
    step("statistics in process side by side with krippendorff, statsmodels, crowd-kit", || {
        Cmd::new(&python).arg(root.join("xtask/bench/stats_bench.py")).arg(&stats_dir).run()
    })?;
    whole_process(root, &python, &stats_dir)
}

/// The whole-process comparison on the in-process step's data in `stats_dir` (its `alpha.csv`,
/// `crowd.csv` and `truth.csv`), with `python` from the statistics venv.
pub(crate) fn whole_process(root: &Path, python: &Path, stats_dir: &Path) -> Result<()> {
    let annoqa = step("annoqa release build", || {
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-cli"]).run()?;
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-stats", "--example", "csv_speed"]).run()?;
        Ok(crate::target_dir(root).join("release/annoqa"))
    })?;
    let dir = stats_dir.join("cli");
    let works = step("long-format CSVs", || write_inputs(stats_dir, &dir))?;
    let reader = step("CSV reader alone", || {
        let speed = crate::target_dir(root).join("release/examples/csv_speed");
        let inputs: Vec<&Path> = works.iter().map(|w| w.input.as_path()).collect();
        let output = Cmd::new(speed).args(&inputs).read_bytes()?;
        let text = String::from_utf8_lossy(&output).into_owned();
        print!("{text}");
        Ok(text)
    })?;
    let load_before = load_average();
    let mut rows = Vec::new();
    for work in &works {
        let row = step(&format!("{} as whole processes", work.title), || {
            let ours = time_process(&annoqa, &work.annoqa_args, &dir.join(format!("{}.annoqa.out", work.key)))?;
            let python_args = vec!["-c".to_string(), work.python.to_string(), work.input.display().to_string()];
            let theirs = time_process(python, &python_args, &dir.join(format!("{}.python.out", work.key)))?;
            let values = compare_values(work, &ours, &theirs, stats_dir)?;
            println!(
                "    annoqa {:.1} ms, Python {:.1} ms: {:.0}×; {values}",
                ours.median_seconds * 1e3,
                theirs.median_seconds * 1e3,
                theirs.median_seconds / ours.median_seconds
            );
            Ok((ours, theirs, values))
        })?;
        rows.push(row);
    }
    let load = format!("load average (1, 5, 15 min) before: {load_before}; after: {}", load_average());
    let table = table(&works, &rows, &reader, &load, stats_dir)?;
    print!("{table}");
    let path = stats_dir.join("side_by_side.md");
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let kept = before.split(TABLE_HEADING).next().unwrap_or_default().trim_end().to_string();
    std::fs::write(&path, format!("{kept}\n\n{table}")).with_context(|| format!("cannot write {}", path.display()))
}

/// The long-format inputs: α's units × coders table of the in-process step as one row per
/// (unit, coder), an empty label where the rating is missing (1,000,000 rows); a complete
/// 100,000 × 10 table for Fleiss' κ; and the in-process step's crowd answers as they are.
fn write_inputs(stats_dir: &Path, dir: &Path) -> Result<Vec<Work>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let alpha = dir.join("alpha_long.csv");
    let wide = stats_dir.join("alpha.csv");
    let table = std::fs::read_to_string(&wide)
        .with_context(|| format!("cannot read {}: run the in-process step first", wide.display()))?;
    let mut out = BufWriter::new(File::create(&alpha).with_context(|| format!("cannot create {}", alpha.display()))?);
    writeln!(out, "item,annotator,label")?;
    for (unit, line) in table.lines().enumerate() {
        for (coder, label) in line.split(',').enumerate() {
            writeln!(out, "{unit},{coder},{label}")?;
        }
    }
    out.flush()?;
    let fleiss = dir.join("fleiss_long.csv");
    write_complete_ratings(&fleiss, 100_000, 10)?;
    let crowd = stats_dir.join("crowd.csv");
    let path = |p: &Path| p.display().to_string();
    Ok(vec![
        Work {
            key: "alpha",
            title: "Krippendorff's α nominal, 1,000,000 rows (100,000 units × 10 coders, 30 % missing)",
            in_process_row: "Krippendorff",
            annoqa_args: vec![
                "agreement".into(),
                path(&alpha),
                "--metric".into(),
                "krippendorff".into(),
                "--json".into(),
            ],
            input: alpha,
            python: ALPHA_PY,
            goal: 20.0,
            value: Value::Coefficient,
        },
        Work {
            key: "fleiss",
            title: "Fleiss' κ, 1,000,000 rows (100,000 units × 10 coders, complete)",
            in_process_row: "Fleiss",
            annoqa_args: vec!["agreement".into(), path(&fleiss), "--metric".into(), "fleiss".into(), "--json".into()],
            input: fleiss,
            python: FLEISS_PY,
            goal: 20.0,
            value: Value::Coefficient,
        },
        Work {
            key: "dawid_skene",
            title: "Dawid–Skene, 500,000 answers (100,000 tasks × 5, 200 workers, 5 classes)",
            in_process_row: "Dawid",
            annoqa_args: vec!["aggregate".into(), path(&crowd), "--method".into(), "ds".into()],
            input: crowd,
            python: DAWID_SKENE_PY,
            goal: 50.0,
            value: Value::Accuracy,
        },
    ])
}

/// `units` × `coders` ratings in 5 categories, every one present: the unit's value with
/// probability 0.7, else uniform. Seeded (SplitMix64), so every run writes the same file.
fn write_complete_ratings(path: &Path, units: usize, coders: usize) -> Result<()> {
    let mut state: u64 = 0x5eed_f1e1_55ca_7a11;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut out = BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
    writeln!(out, "item,annotator,label")?;
    for unit in 0..units {
        let value = next() % 5;
        for coder in 0..coders {
            // The top 53 bits as a uniform number in [0, 1).
            let uniform = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let keep = uniform < 0.7;
            let label = if keep { value } else { next() % 5 };
            writeln!(out, "{unit},{coder},{label}")?;
        }
    }
    out.flush().with_context(|| format!("cannot write {}", path.display()))
}

/// The machine's load average, as `/proc/loadavg` gives it.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.len() == 3 {
        fields.join(", ")
    } else {
        "unknown".to_string()
    }
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `program args` once untimed, then [`RUNS`] times timed, [`RUNS`] times under `perf
/// stat` for the CPU time, and once more under `/usr/bin/time` for the peak resident set size;
/// stdout to `output`, stderr beside it (so that no side draws progress on a terminal).
fn time_process(program: &Path, args: &[String], output: &Path) -> Result<Timing> {
    let run = |program: &Path, args: &[String]| -> Result<f64> {
        let stdout = File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
        let errors = output.with_extension("err");
        let stderr = File::create(&errors).with_context(|| format!("cannot create {}", errors.display()))?;
        let start = Instant::now();
        let status = Cmd::new(program)
            .args(args)
            .to_command()
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()
            .with_context(|| format!("could not start {}", program.display()))?;
        let seconds = start.elapsed().as_secs_f64();
        if !status.success() {
            let said = std::fs::read_to_string(&errors).unwrap_or_default();
            bail!("{} {} failed ({status}): {said}", program.display(), args.first().map_or("", String::as_str));
        }
        Ok(seconds)
    };
    run(program, args)?;
    let seconds = (0..RUNS).map(|_| run(program, args)).collect::<Result<Vec<f64>>>()?;
    let perf_cpu = (0..RUNS).map(|_| perf_cpu_seconds(program, args, output, &run)).collect::<Option<Vec<f64>>>();
    let time = Path::new("/usr/bin/time");
    let (peak_kib, time_cpu) = if time.is_file() {
        let report = output.with_extension("rss");
        let format = "%M %U %S".to_string();
        let mut timed = vec!["-f".to_string(), format, "-o".to_string(), report.display().to_string()];
        timed.push(program.display().to_string());
        timed.extend(args.iter().cloned());
        run(time, &timed)?;
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let numbers: Vec<f64> = text.split_whitespace().filter_map(|n| n.parse().ok()).collect();
        match numbers[..] {
            [kib, user, system] => (Some(kib as u64), Some(user + system)),
            _ => (None, None),
        }
    } else {
        (None, None)
    };
    let (cpu_seconds, cpu_source) = match perf_cpu {
        Some(runs) => (Some(median(runs)), "perf stat task-clock, median"),
        None => (time_cpu, "/usr/bin/time user + system, one run"),
    };
    Ok(Timing { median_seconds: median(seconds), peak_kib, cpu_seconds, cpu_source, output: output.to_path_buf() })
}

/// The CPU seconds of one run of `program args` under `perf stat -e task-clock` (every
/// thread's time on a CPU, to the microsecond); `None` where perf is missing or not allowed.
fn perf_cpu_seconds(
    program: &Path,
    args: &[String],
    output: &Path,
    run: &dyn Fn(&Path, &[String]) -> Result<f64>,
) -> Option<f64> {
    let report = output.with_extension("perf");
    let mut perf_args = vec!["stat".to_string(), "-x,".to_string(), "-e".to_string(), "task-clock".to_string()];
    perf_args.extend(["-o".to_string(), report.display().to_string(), "--".to_string()]);
    perf_args.push(program.display().to_string());
    perf_args.extend(args.iter().cloned());
    run(Path::new("perf"), &perf_args).ok()?;
    // A CSV line `msec,unit,task-clock,…` after `#` comments.
    let text = std::fs::read_to_string(&report).ok()?;
    let line = text.lines().find(|line| line.contains("task-clock"))?;
    let msec: f64 = line.split(',').next()?.trim().parse().ok()?;
    Some(msec / 1e3)
}

/// Both sides' values, checked to agree: the coefficients to 1e-9, the consensus labels' accuracy
/// against the truth, with how many tasks the two label differently.
fn compare_values(work: &Work, ours: &Timing, theirs: &Timing, stats_dir: &Path) -> Result<String> {
    match work.value {
        Value::Coefficient => {
            let text = std::fs::read_to_string(&ours.output)?;
            let ours_value = json_number(&text, "value").with_context(|| format!("no value in annoqa's {text:?}"))?;
            let text = std::fs::read_to_string(&theirs.output)?;
            let theirs_value: f64 = text.trim().parse().with_context(|| format!("no number in Python's {text:?}"))?;
            let same = if (ours_value - theirs_value).abs() < 1e-9 { "equal to 1e-9" } else { "DIFFERENT" };
            Ok(format!("Python {theirs_value:.5}, annoqa {ours_value:.5} ({same})"))
        }
        Value::Accuracy => {
            let truth = read_labels(&stats_dir.join("truth.csv"))?;
            let ours_labels = read_labels(&ours.output)?;
            let theirs_labels = read_labels(&theirs.output)?;
            let accuracy = |labels: &[Option<String>]| {
                let right = labels.iter().zip(&truth).filter(|(l, t)| l.is_some() && l == t).count();
                right as f64 / truth.len().max(1) as f64
            };
            let differ = ours_labels.iter().zip(&theirs_labels).filter(|(a, b)| a != b).count();
            Ok(format!(
                "accuracy: crowd-kit {:.5}, annoqa {:.5}; {differ} tasks labelled differently",
                accuracy(&theirs_labels),
                accuracy(&ours_labels)
            ))
        }
    }
}

/// The number after `"key":` in a one-line JSON object.
fn json_number(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(&format!("\"{key}\":"))? + key.len() + 3..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// A `task,label[,…]` CSV whose tasks are the numbers 0, 1, …, as the seeded data has them:
/// the label of each task, `None` where it has none.
fn read_labels(path: &Path) -> Result<Vec<Option<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let mut fields = line.split(',');
        let task: usize = fields
            .next()
            .and_then(|t| t.trim().parse().ok())
            .with_context(|| format!("{}:{}: not a task number", path.display(), n + 1))?;
        if task >= labels.len() {
            labels.resize(task + 1, None);
        }
        labels[task] = fields.next().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string);
    }
    Ok(labels)
}

/// The heading of the table this step writes into `side_by_side.md`.
const TABLE_HEADING: &str = "## Whole process";

/// The whole-process table, with the in-process speed-ups of the same run beside it (read
/// from the in-process table above it in `side_by_side.md`).
fn table(
    works: &[Work],
    rows: &[(Timing, Timing, String)],
    reader: &str,
    load: &str,
    stats_dir: &Path,
) -> Result<String> {
    let in_process = std::fs::read_to_string(stats_dir.join("side_by_side.md")).unwrap_or_default();
    let mut out = String::new();
    writeln!(out, "{TABLE_HEADING}: `annoqa` and Python as processes, median of {RUNS} runs\n")?;
    let cpu_source = rows.first().map_or("", |(ours, _, _)| ours.cpu_source);
    writeln!(out, "Machine {load}. CPU time: {cpu_source}.\n")?;
    writeln!(
        out,
        "| work | Python (pandas read_csv …) | annoqa | speed-up (goal) | CPU time: Python / annoqa | \
         in-process speed-up | peak RSS: Python / annoqa (annoqa ÷ file size) | values |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")?;
    let mut missed = Vec::new();
    for (work, (ours, theirs, values)) in works.iter().zip(rows) {
        let speedup = theirs.median_seconds / ours.median_seconds;
        if speedup < work.goal {
            missed.push(format!("{}: {speedup:.0}× < {}×", work.key, work.goal));
        }
        let file_kib = std::fs::metadata(&work.input).map_or(0, |m| m.len()) / 1024;
        let memory = match (theirs.peak_kib, ours.peak_kib) {
            (Some(p), Some(a)) => {
                let ratio = a as f64 / file_kib.max(1) as f64;
                if ratio > 3.0 {
                    missed.push(format!("{}: annoqa's peak is {ratio:.1}× the file", work.key));
                }
                format!("{:.0} MiB / {:.1} MiB ({ratio:.1}×)", p as f64 / 1024.0, a as f64 / 1024.0)
            }
            _ => "not measured (no /usr/bin/time)".to_string(),
        };
        let cpu = match (theirs.cpu_seconds, ours.cpu_seconds) {
            (Some(p), Some(a)) => format!("{:.3} s / {:.3} s ({:.0}×)", p, a, p / a.max(1e-3)),
            _ => "not measured".to_string(),
        };
        writeln!(
            out,
            "| {} | {:.0} ms | {:.1} ms | {speedup:.0}× (≥ {}×) | {cpu} | {} | {memory} | {values} |",
            work.title,
            theirs.median_seconds * 1e3,
            ours.median_seconds * 1e3,
            work.goal,
            in_process_speedup(&in_process, work.in_process_row),
        )?;
    }
    writeln!(
        out,
        "\ngoals: {}\n",
        if missed.is_empty() { "all met".to_string() } else { format!("MISSED: {}", missed.join("; ")) }
    )?;
    writeln!(
        out,
        "The CSV reader alone (`annoqa_stats::csv::read_long_csv` on one thread, as the CLI reads files, and \
         `read_long_csv_in_halves` on two; best of 10, file in memory):\n"
    )?;
    for line in reader.lines().filter(|l| l.starts_with('|')) {
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

/// The speed-up cell of the in-process table's row that starts with `row`, without its goal.
fn in_process_speedup(table: &str, row: &str) -> String {
    table
        .lines()
        .take_while(|line| !line.starts_with(TABLE_HEADING))
        .find(|line| line.starts_with(&format!("| {row}")))
        .and_then(|line| line.split('|').nth(4))
        .map(|cell| cell.split(" (").next().unwrap_or(cell).trim().to_string())
        .unwrap_or_else(|| "–".to_string())
}
