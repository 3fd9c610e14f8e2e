//! Times the scale targets natively:
//! `cargo run --release -p annoqa-stats --example scale`.
//!
//! Dawid–Skene on 100,000 tasks × 5 answers from 200 workers, 5 classes; Krippendorff's α
//! nominal on 10 coders × 100,000 units with 30 % missing, 5 labels; Fleiss' κ on 100,000 × 5.
//! The data are seeded, so every run sees the same input. With a path argument the Dawid–Skene
//! answers are also written there as `item,annotator,label` CSV (and the truth beside it as
//! `PATH.truth.csv`), so other tools can be timed on exactly the same data.

use std::time::Instant;

use annoqa_stats::aggregate::{dawid_skene, majority_vote, Answers, DawidSkeneOptions, TiePolicy};
use annoqa_stats::agreement::fleiss_kappa;
use annoqa_stats::alpha::{krippendorff_alpha, Level};
use annoqa_stats::rng::Rng;
use annoqa_stats::{Ratings, Weights};

fn main() {
    let mut rng = Rng::seed_from_u64(2024);
    let (tasks, per_task, workers, classes) = (100_000usize, 5usize, 200usize, 5u32);
    let accuracy: Vec<f64> = (0..workers).map(|_| 0.3 + 0.65 * rng.next_f64()).collect();
    let truth: Vec<u32> = (0..tasks).map(|_| rng.below(u64::from(classes)) as u32).collect();
    let mut triples = Vec::with_capacity(tasks * per_task);
    for (t, &c) in truth.iter().enumerate() {
        for _ in 0..per_task {
            let w = rng.below(workers as u64) as usize;
            let label = if rng.next_f64() < accuracy[w] {
                c
            } else {
                (c + 1 + rng.below(u64::from(classes) - 1) as u32) % classes
            };
            triples.push((t as u32, w as u32, label));
        }
    }
    if let Some(path) = std::env::args().nth(1) {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(out, "item,annotator,label").unwrap();
        for (t, w, l) in &triples {
            writeln!(out, "t{t},w{w},{l}").unwrap();
        }
        let mut truth_out = std::io::BufWriter::new(std::fs::File::create(format!("{path}.truth.csv")).unwrap());
        writeln!(truth_out, "item,label").unwrap();
        for (t, c) in truth.iter().enumerate() {
            writeln!(truth_out, "t{t},{c}").unwrap();
        }
    }
    let start = Instant::now();
    let answers = Answers::new(tasks, workers, classes as usize, triples).unwrap();
    let indexed = start.elapsed();
    let start = Instant::now();
    let ds = dawid_skene(&answers, &DawidSkeneOptions::default()).unwrap();
    let elapsed = start.elapsed();
    let mv = majority_vote(&answers, None, TiePolicy::FirstLabel).unwrap();
    let acc = |labels: &[Option<u32>]| {
        labels.iter().zip(&truth).filter(|(l, t)| **l == Some(**t)).count() as f64 / tasks as f64
    };
    println!(
        "dawid-skene: {tasks} tasks × {per_task} answers, {workers} workers, {classes} classes: {:.1} ms ({} iterations, converged {}; indexing {:.1} ms); accuracy {:.4} (majority vote {:.4})",
        elapsed.as_secs_f64() * 1e3,
        ds.iterations,
        ds.converged,
        indexed.as_secs_f64() * 1e3,
        acc(&ds.labels),
        acc(&mv.labels)
    );

    let (units, coders) = (100_000usize, 10usize);
    let mut ratings = Ratings::new(units, coders, 5);
    for u in 0..units {
        let true_value = rng.below(5) as u32;
        for c in 0..coders {
            if rng.next_f64() < 0.3 {
                continue;
            }
            let value = if rng.next_f64() < 0.7 { true_value } else { rng.below(5) as u32 };
            ratings.set(u, c, Some(value)).unwrap();
        }
    }
    let start = Instant::now();
    let alpha = krippendorff_alpha(&ratings.counts(), Level::Nominal, &[]).unwrap();
    println!(
        "krippendorff alpha nominal: {units} units × {coders} coders, 30 % missing: {:.1} ms (α = {:.4})",
        start.elapsed().as_secs_f64() * 1e3,
        alpha.value
    );

    let mut complete = Ratings::new(units, 5, 5);
    for u in 0..units {
        let true_value = rng.below(5) as u32;
        for c in 0..5 {
            let value = if rng.next_f64() < 0.7 { true_value } else { rng.below(5) as u32 };
            complete.set(u, c, Some(value)).unwrap();
        }
    }
    let start = Instant::now();
    let kappa = fleiss_kappa(&complete.counts(), &Weights::Identity.matrix_for(5).unwrap()).unwrap();
    println!(
        "fleiss kappa: {units} units × 5 raters: {:.1} ms (κ = {:.4})",
        start.elapsed().as_secs_f64() * 1e3,
        kappa.value
    );
}
