//! The statistics workloads of the performance goals, seeded so the native run, the
//! Chromium run and the Python references all see the same numbers:
//! Dawid–Skene on 100,000 tasks × 5 answers from 200 workers, 5 classes; Krippendorff's α
//! nominal on 10 coders × 100,000 units with 30 % missing, 5 labels; Fleiss' κ on
//! 100,000 units × 5 raters.

use annoqa_stats::rng::Rng;
use annoqa_stats::Ratings;

pub const CLASSES: u32 = 5;

/// Crowd answers with a known truth: each worker is right with a probability drawn from
/// 0.30–0.95 and otherwise picks one of the wrong classes uniformly.
#[derive(Debug)]
pub struct CrowdAnswers {
    pub tasks: usize,
    pub workers: usize,
    /// `(task, worker, label)`, five per task.
    pub answers: Vec<(u32, u32, u32)>,
    pub truth: Vec<u32>,
}

pub fn crowd_answers() -> CrowdAnswers {
    let mut rng = Rng::seed_from_u64(2024);
    let (tasks, per_task, workers) = (100_000usize, 5usize, 200usize);
    let accuracy: Vec<f64> = (0..workers).map(|_| 0.3 + 0.65 * rng.next_f64()).collect();
    let truth: Vec<u32> = (0..tasks).map(|_| rng.below(u64::from(CLASSES)) as u32).collect();
    let mut answers = Vec::with_capacity(tasks * per_task);
    for (task, &right) in truth.iter().enumerate() {
        for _ in 0..per_task {
            let worker = rng.below(workers as u64) as usize;
            let label = if rng.next_f64() < accuracy[worker] {
                right
            } else {
                (right + 1 + rng.below(u64::from(CLASSES) - 1) as u32) % CLASSES
            };
            answers.push((task as u32, worker as u32, label));
        }
    }
    CrowdAnswers { tasks, workers, answers, truth }
}

/// 100,000 units × 10 coders, each rating missing with probability 0.3; a present rating is the
/// unit's value with probability 0.7, else uniform.
pub fn sparse_ratings() -> Ratings {
    noisy_ratings(100_000, 10, 0.3, 7)
}

/// 100,000 units × 5 raters, every rating present.
pub fn complete_ratings() -> Ratings {
    noisy_ratings(100_000, 5, 0.0, 11)
}

fn noisy_ratings(units: usize, coders: usize, missing: f64, seed: u64) -> Ratings {
    let mut rng = Rng::seed_from_u64(seed);
    let mut ratings = Ratings::new(units, coders, CLASSES as usize);
    for unit in 0..units {
        let value = rng.below(u64::from(CLASSES)) as u32;
        for coder in 0..coders {
            if missing > 0.0 && rng.next_f64() < missing {
                continue;
            }
            let rating = if rng.next_f64() < 0.7 { value } else { rng.below(u64::from(CLASSES)) as u32 };
            // Indices are in range by construction; a failure here is a bug in this generator.
            ratings.set(unit, coder, Some(rating)).expect("unit, coder and label are in range");
        }
    }
    ratings
}

/// Krippendorff's α, nominal, from the ratings (counting included, as the Python package does).
pub fn alpha_nominal(ratings: &Ratings) -> f64 {
    annoqa_stats::alpha::krippendorff_alpha(&ratings.counts(), annoqa_stats::alpha::Level::Nominal, &[])
        .map_or(f64::NAN, |alpha| alpha.value)
}

/// Fleiss' κ from the ratings (counting included, as statsmodels' `aggregate_raters` +
/// `fleiss_kappa` does).
pub fn fleiss(ratings: &Ratings) -> f64 {
    let identity = annoqa_stats::Weights::Identity.matrix_for(CLASSES as usize).unwrap_or_default();
    annoqa_stats::agreement::fleiss_kappa(&ratings.counts(), &identity).map_or(f64::NAN, |kappa| kappa.value)
}

/// Dawid–Skene with the default options on every core the machine offers, as the CLI runs it
/// (Wasm has one), indexing of the answers included; returns the accuracy against the truth and
/// the number of EM iterations.
pub fn dawid_skene_accuracy(crowd: &CrowdAnswers) -> (f64, usize) {
    dawid_skene_accuracy_on(crowd, std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`dawid_skene_accuracy`] on `threads` threads; the result is the same bits for any count.
pub fn dawid_skene_accuracy_on(crowd: &CrowdAnswers, threads: usize) -> (f64, usize) {
    use annoqa_stats::aggregate::{dawid_skene, Answers, DawidSkeneOptions};
    let Ok(answers) = Answers::from_triples(crowd.tasks, crowd.workers, CLASSES as usize, &crowd.answers) else {
        return (f64::NAN, 0);
    };
    let Ok(consensus) = dawid_skene(&answers, &DawidSkeneOptions { threads, ..DawidSkeneOptions::default() }) else {
        return (f64::NAN, 0);
    };
    let right = consensus.labels.iter().zip(&crowd.truth).filter(|(label, truth)| **label == Some(**truth)).count();
    (right as f64 / crowd.tasks as f64, consensus.iterations)
}
