//! The long-format CSV reader's speed: each file read into memory, then parsed and interned by
//! `annoqa_stats::csv::read_long_csv` ten times; the fastest run, in MB/s (10⁶ bytes), as a
//! Markdown table row per file. `cargo xtask bench` runs it on its seeded CSVs.
//!
//! `cargo run --release -p annoqa-stats --example csv_speed -- FILE...`

use std::time::Instant;

use annoqa_stats::csv::read_long_csv;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        return Err("usage: csv_speed FILE...".into());
    }
    println!("| file | size | rows | best of 10 | speed |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        let mut best = f64::INFINITY;
        let mut rows = 0;
        for _ in 0..10 {
            let start = Instant::now();
            let csv = read_long_csv(bytes.as_slice()).map_err(|e| e.in_file(file))?;
            best = best.min(start.elapsed().as_secs_f64());
            rows = std::hint::black_box(csv).rows.len();
        }
        let name = std::path::Path::new(file).file_name().map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        let megabytes = bytes.len() as f64 / 1e6;
        println!("| {name} | {megabytes:.1} MB | {rows} | {:.1} ms | {:.0} MB/s |", best * 1e3, megabytes / best);
    }
    Ok(())
}
