//! The long-format CSV reader's speed: each file read into memory, then parsed and interned ten
//! times by `annoqa_stats::csv::read_long_csv` (one thread, as `annoqa agreement` and
//! `aggregate` read files) and ten times by `read_long_csv_in_halves` (two); the fastest run of
//! each, in MB/s (10⁶ bytes), as a Markdown table row per file. `cargo xtask
//! bench-cli` runs it on its seeded CSVs.
//!
//! `cargo run --release -p annoqa-stats --example csv_speed -- FILE...`

use std::time::Instant;

use annoqa_stats::csv::{read_long_csv, read_long_csv_in_halves, CsvError, LongCsv};

/// Runs per reader; the table shows the fastest.
const RUNS: usize = 10;

/// The fastest of [`RUNS`] reads, in seconds, and the rows read.
fn best(read: impl Fn() -> Result<LongCsv, CsvError>) -> Result<(f64, usize), CsvError> {
    let mut best = f64::INFINITY;
    let mut rows = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let csv = read()?;
        best = best.min(start.elapsed().as_secs_f64());
        rows = std::hint::black_box(csv).rows.len();
    }
    Ok((best, rows))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        return Err("usage: csv_speed FILE...".into());
    }
    println!("| file | size | rows | one thread, best of {RUNS} | speed | two threads, best of {RUNS} | speed |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        let (one, rows) = best(|| read_long_csv(bytes.as_slice())).map_err(|e| e.in_file(file))?;
        let len = bytes.len() as u64;
        let slice_from = |offset: u64| Ok(bytes.get(offset as usize..).unwrap_or_default());
        let (two, _) = best(|| read_long_csv_in_halves(len, slice_from)).map_err(|e| e.in_file(file))?;
        let name = std::path::Path::new(file).file_name().map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        let megabytes = bytes.len() as f64 / 1e6;
        println!(
            "| {name} | {megabytes:.1} MB | {rows} | {:.1} ms | {:.0} MB/s | {:.1} ms | {:.0} MB/s |",
            one * 1e3,
            megabytes / one,
            two * 1e3,
            megabytes / two
        );
    }
    Ok(())
}
