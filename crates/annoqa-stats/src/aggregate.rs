//! Consensus labels from several answers per item: weighted majority vote and Dawid & Skene's
//! (1979) EM estimator, in its full confusion-matrix, one-coin and gold-seeded forms.
//!
//! Answers are flat arrays sorted by task (compressed rows), and every EM quantity is a flat
//! `Vec<f64>`: posteriors `tasks × classes`, confusion matrices `workers × classes × classes`.
//! No hashing happens after [`Answers::new`], which is what makes 100,000 tasks take
//! milliseconds per iteration.

use serde::Serialize;

use crate::rng::Rng;
use crate::StatsError;

/// Every answer given: `(task, worker, label)` as dense indices. The same worker may answer the
/// same task more than once (Dawid & Skene's observer 1 examined each patient three times).
#[derive(Clone, Debug, PartialEq)]
pub struct Answers {
    tasks: usize,
    workers: usize,
    classes: usize,
    /// `offsets[t]..offsets[t + 1]` indexes task `t`'s answers in `worker` and `label`.
    offsets: Vec<usize>,
    worker: Vec<u32>,
    label: Vec<u32>,
}

impl Answers {
    pub fn new(
        tasks: usize,
        workers: usize,
        classes: usize,
        answers: impl IntoIterator<Item = (u32, u32, u32)>,
    ) -> Result<Answers, StatsError> {
        let mut triples: Vec<(u32, u32, u32)> = answers.into_iter().collect();
        for &(t, w, l) in &triples {
            if t as usize >= tasks || w as usize >= workers {
                return Err(StatsError::InvalidArgument(format!(
                    "answer ({t}, {w}, {l}) names an unknown task or worker"
                )));
            }
            if l as usize >= classes {
                return Err(StatsError::CategoryOutOfRange { category: l, categories: classes });
            }
        }
        if classes < 2 {
            return Err(StatsError::TooFewCategories { min: 2, got: classes });
        }
        // A stable sort keeps each task's answers in input order, so results never depend on
        // anything but the input.
        triples.sort_by_key(|a| a.0);
        let mut offsets = vec![0usize; tasks + 1];
        for &(t, _, _) in &triples {
            offsets[t as usize + 1] += 1;
        }
        for t in 0..tasks {
            offsets[t + 1] += offsets[t];
        }
        Ok(Answers {
            tasks,
            workers,
            classes,
            offsets,
            worker: triples.iter().map(|a| a.1).collect(),
            label: triples.iter().map(|a| a.2).collect(),
        })
    }

    pub fn tasks(&self) -> usize {
        self.tasks
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn len(&self) -> usize {
        self.label.len()
    }

    pub fn is_empty(&self) -> bool {
        self.label.is_empty()
    }

    fn range(&self, task: usize) -> std::ops::Range<usize> {
        self.offsets[task]..self.offsets[task + 1]
    }
}

/// What majority vote does when two labels have the same top weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TiePolicy {
    /// The tied label with the smallest index.
    FirstLabel,
    /// A tied label drawn with this seed (the same seed gives the same draws).
    Seeded(u64),
    /// No label: the task is reported as unresolved.
    Unresolved,
}

/// The consensus of one aggregation run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Consensus {
    pub classes: usize,
    /// The chosen label per task; `None` for a task without answers or an unresolved tie.
    pub labels: Vec<Option<u32>>,
    /// `tasks × classes`, each row summing to 1 (uniform for a task without answers).
    pub posteriors: Vec<f64>,
    /// `workers × classes × classes`: `[w][true][answered]`, each row summing to 1. Empty for
    /// majority vote.
    pub confusion: Vec<f64>,
    /// Estimated class prevalence.
    pub priors: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// Log-likelihood of the answers under the final estimates (0 for majority vote).
    pub log_likelihood: f64,
}

impl Consensus {
    pub fn posterior(&self, task: usize) -> &[f64] {
        &self.posteriors[task * self.classes..(task + 1) * self.classes]
    }

    /// The posterior probability of the chosen label (the vote share, for majority vote).
    pub fn confidence(&self, task: usize) -> Option<f64> {
        self.labels[task].map(|l| self.posterior(task)[l as usize])
    }

    /// Worker `w`'s estimated probability of answering `answered` when the truth is `truth`.
    pub fn confusion(&self, worker: usize, truth: usize, answered: usize) -> f64 {
        let k = self.classes;
        self.confusion[(worker * k + truth) * k + answered]
    }
}

/// Weighted majority vote. `worker_weights` (one per worker, default 1) scale each answer; the
/// posterior of a task is its weighted vote shares.
pub fn majority_vote(
    answers: &Answers,
    worker_weights: Option<&[f64]>,
    ties: TiePolicy,
) -> Result<Consensus, StatsError> {
    if let Some(w) = worker_weights {
        if w.len() != answers.workers {
            return Err(StatsError::WrongLength { expected: answers.workers, got: w.len() });
        }
        if let Some(bad) = w.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
            return Err(StatsError::InvalidArgument(format!("worker weight {bad} is not a non-negative number")));
        }
    }
    let k = answers.classes;
    let posteriors = vote_shares(answers, worker_weights);
    let mut rng = match ties {
        TiePolicy::Seeded(seed) => Some(Rng::seed_from_u64(seed)),
        _ => None,
    };
    let mut labels = Vec::with_capacity(answers.tasks);
    for t in 0..answers.tasks {
        if answers.range(t).is_empty() {
            labels.push(None);
            continue;
        }
        let row = &posteriors[t * k..(t + 1) * k];
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Shares are sums of the same weights in different orders; treat near-equal as tied.
        let tied: Vec<u32> = (0..k as u32).filter(|&c| best - row[c as usize] <= 1e-12).collect();
        labels.push(match (tied.len(), ties, rng.as_mut()) {
            (1, _, _) => Some(tied[0]),
            (_, TiePolicy::FirstLabel, _) => Some(tied[0]),
            (_, TiePolicy::Seeded(_), Some(rng)) => Some(tied[rng.below(tied.len() as u64) as usize]),
            _ => None,
        });
    }
    let priors = class_priors(&posteriors, k, answers.tasks);
    Ok(Consensus {
        classes: k,
        labels,
        posteriors,
        confusion: Vec::new(),
        priors,
        iterations: 0,
        converged: true,
        log_likelihood: 0.0,
    })
}

/// Weighted vote shares per task; uniform where a task has no (weighted) answer.
fn vote_shares(answers: &Answers, worker_weights: Option<&[f64]>) -> Vec<f64> {
    let k = answers.classes;
    let mut shares = vec![0.0; answers.tasks * k];
    for t in 0..answers.tasks {
        let row = &mut shares[t * k..(t + 1) * k];
        for i in answers.range(t) {
            let weight = worker_weights.map_or(1.0, |w| w[answers.worker[i] as usize]);
            row[answers.label[i] as usize] += weight;
        }
        normalise_or_uniform(row);
    }
    shares
}

fn normalise_or_uniform(row: &mut [f64]) {
    let sum: f64 = row.iter().sum();
    if sum > 0.0 {
        row.iter_mut().for_each(|x| *x /= sum);
    } else {
        let uniform = 1.0 / row.len() as f64;
        row.iter_mut().for_each(|x| *x = uniform);
    }
}

fn class_priors(posteriors: &[f64], k: usize, tasks: usize) -> Vec<f64> {
    let mut priors = vec![0.0; k];
    for row in posteriors.chunks_exact(k) {
        for (p, x) in priors.iter_mut().zip(row) {
            *p += x;
        }
    }
    priors.iter_mut().for_each(|p| *p /= tasks.max(1) as f64);
    priors
}

/// The worker model Dawid–Skene fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerModel {
    /// A full `classes × classes` confusion matrix per worker (Dawid & Skene 1979).
    ConfusionMatrix,
    /// One accuracy per worker, errors spread evenly over the other classes ("one-coin").
    OneCoin,
}

/// Options of [`dawid_skene`].
#[derive(Clone, Debug, PartialEq)]
pub struct DawidSkeneOptions {
    pub model: WorkerModel,
    /// Stop when the log-likelihood per answer changes by less than this.
    pub tolerance: f64,
    pub max_iterations: usize,
    /// Known labels (gold): `(task, label)`. Their posteriors stay fixed at the known label, so
    /// they anchor the workers' confusion matrices.
    pub gold: Vec<(u32, u32)>,
    /// A pseudo-count added to every cell of every confusion matrix before normalising (a
    /// symmetric Dirichlet prior, so the M-step gives MAP rather than maximum-likelihood
    /// estimates). 0, the default, is Dawid & Skene's original estimator; a small value keeps
    /// workers with few answers from getting error rates of exactly 0 or 1.
    pub smoothing: f64,
}

impl Default for DawidSkeneOptions {
    fn default() -> Self {
        DawidSkeneOptions {
            model: WorkerModel::ConfusionMatrix,
            tolerance: 1e-7,
            max_iterations: 100,
            gold: Vec::new(),
            smoothing: 0.0,
        }
    }
}

/// Dawid & Skene's EM estimator of true labels and worker error rates.
///
/// Initialisation is deterministic: the posteriors start at the (unweighted) vote shares, as in
/// Dawid & Skene's own proposal, with gold tasks fixed at their known label. Each iteration is
/// an M-step (class priors and confusion matrices from the posteriors, eqs. 2.3–2.4) followed by
/// an E-step (posteriors from priors and confusion matrices, eq. 2.5), until the log-likelihood
/// settles or `max_iterations` is reached.
pub fn dawid_skene(answers: &Answers, options: &DawidSkeneOptions) -> Result<Consensus, StatsError> {
    let k = answers.classes;
    let tasks = answers.tasks;
    if !(options.smoothing.is_finite() && options.smoothing >= 0.0) {
        return Err(StatsError::InvalidArgument(format!(
            "smoothing {} is not a non-negative number",
            options.smoothing
        )));
    }
    let mut gold = vec![u32::MAX; tasks];
    for &(t, l) in &options.gold {
        if t as usize >= tasks {
            return Err(StatsError::InvalidArgument(format!("gold names unknown task {t}")));
        }
        if l as usize >= k {
            return Err(StatsError::CategoryOutOfRange { category: l, categories: k });
        }
        gold[t as usize] = l;
    }
    let mut posteriors = vote_shares(answers, None);
    fix_gold(&mut posteriors, &gold, k);

    // Worker models are kept as `[worker][answered][truth]`, so the E-step reads one contiguous
    // run of `classes` values per answer.
    let mut by_answer = vec![0.0; answers.workers * k * k];
    let mut priors = vec![0.0; k];
    let mut previous = f64::NEG_INFINITY;
    let mut log_likelihood = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    let scale = answers.len().max(1) as f64;
    while iterations < options.max_iterations {
        iterations += 1;
        m_step(answers, options, &posteriors, &mut priors, &mut by_answer);
        log_likelihood = e_step(answers, &priors, &by_answer, &mut posteriors);
        fix_gold(&mut posteriors, &gold, k);
        if (log_likelihood - previous).abs() / scale < options.tolerance {
            converged = true;
            break;
        }
        previous = log_likelihood;
    }
    // Final estimates consistent with the returned posteriors.
    m_step(answers, options, &posteriors, &mut priors, &mut by_answer);
    let mut confusion = vec![0.0; by_answer.len()];
    for w in 0..answers.workers {
        for truth in 0..k {
            for answered in 0..k {
                confusion[(w * k + truth) * k + answered] = by_answer[(w * k + answered) * k + truth];
            }
        }
    }
    let labels = (0..tasks)
        .map(|t| {
            if answers.range(t).is_empty() && gold[t] == u32::MAX {
                return None;
            }
            let row = &posteriors[t * k..(t + 1) * k];
            let mut best = 0;
            for c in 1..k {
                if row[c] > row[best] {
                    best = c;
                }
            }
            Some(best as u32)
        })
        .collect();
    Ok(Consensus { classes: k, labels, posteriors, confusion, priors, iterations, converged, log_likelihood })
}

fn fix_gold(posteriors: &mut [f64], gold: &[u32], k: usize) {
    for (t, &l) in gold.iter().enumerate() {
        if l != u32::MAX {
            let row = &mut posteriors[t * k..(t + 1) * k];
            row.iter_mut().for_each(|x| *x = 0.0);
            row[l as usize] = 1.0;
        }
    }
}

/// Maximum-likelihood priors and worker models (`[worker][answered][truth]`) given the
/// posteriors.
fn m_step(
    answers: &Answers,
    options: &DawidSkeneOptions,
    posteriors: &[f64],
    priors: &mut [f64],
    by_answer: &mut [f64],
) {
    let k = answers.classes;
    priors.copy_from_slice(&class_priors(posteriors, k, answers.tasks));
    by_answer.iter_mut().for_each(|x| *x = 0.0);
    for t in 0..answers.tasks {
        let row = &posteriors[t * k..(t + 1) * k];
        for i in answers.range(t) {
            let base = (answers.worker[i] as usize * k + answers.label[i] as usize) * k;
            for (slot, &p) in by_answer[base..base + k].iter_mut().zip(row) {
                *slot += p;
            }
        }
    }
    let smoothing = options.smoothing;
    if smoothing > 0.0 {
        by_answer.iter_mut().for_each(|x| *x += smoothing);
    }
    for matrix in by_answer.chunks_exact_mut(k * k) {
        match options.model {
            WorkerModel::ConfusionMatrix => {
                // Normalise each true class over the answers given for it.
                for truth in 0..k {
                    let total: f64 = (0..k).map(|answered| matrix[answered * k + truth]).sum();
                    for answered in 0..k {
                        matrix[answered * k + truth] =
                            if total > 0.0 { matrix[answered * k + truth] / total } else { 1.0 / k as f64 };
                    }
                }
            }
            WorkerModel::OneCoin => {
                let total: f64 = matrix.iter().sum();
                let correct: f64 = (0..k).map(|c| matrix[c * k + c]).sum();
                let skill = if total > 0.0 { correct / total } else { 1.0 / k as f64 };
                let error = (1.0 - skill) / (k - 1) as f64;
                for answered in 0..k {
                    for truth in 0..k {
                        matrix[answered * k + truth] = if truth == answered { skill } else { error };
                    }
                }
            }
        }
    }
}

/// Posteriors given priors and worker models; returns the log-likelihood of the answers.
///
/// Works with probabilities rather than logs: one multiply per class and answer and a single
/// logarithm per task is several times faster than log-space sums with an `exp` per class.
/// Rows are renormalised every few answers so tasks with very many answers cannot underflow.
fn e_step(answers: &Answers, priors: &[f64], by_answer: &[f64], posteriors: &mut [f64]) -> f64 {
    const RENORMALISE_EVERY: usize = 16;
    let k = answers.classes;
    let mut log_likelihood = 0.0;
    for t in 0..answers.tasks {
        let row = &mut posteriors[t * k..(t + 1) * k];
        row.copy_from_slice(priors);
        let mut log_scale = 0.0;
        for (n, i) in answers.range(t).enumerate() {
            let base = (answers.worker[i] as usize * k + answers.label[i] as usize) * k;
            for (x, &p) in row.iter_mut().zip(&by_answer[base..base + k]) {
                *x *= p;
            }
            if n % RENORMALISE_EVERY == RENORMALISE_EVERY - 1 {
                let sum: f64 = row.iter().sum();
                if sum > 0.0 {
                    row.iter_mut().for_each(|x| *x /= sum);
                    log_scale += sum.ln();
                }
            }
        }
        let sum: f64 = row.iter().sum();
        if sum > 0.0 && sum.is_finite() {
            row.iter_mut().for_each(|x| *x /= sum);
            log_likelihood += log_scale + sum.ln();
        } else {
            // No class can explain these answers (possible only with zero priors); fall back
            // to ignorance rather than NaN.
            row.iter_mut().for_each(|x| *x = 1.0 / k as f64);
        }
    }
    log_likelihood
}
