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

/// Runs `$f::<K>(…)` with the number of classes as a compile-time constant for 2–8 classes, so
/// the per-answer loops over classes unroll and lose their bounds checks; `K = 0` is the
/// general version for more classes.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! with_classes {
    ($k:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $k {
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            _ => $f::<0>($($arg),*),
        }
    };
}

/// In WebAssembly (the npm module) only the general version: the seven unrolled copies of the
/// five E-step passes were 48 KB of the module's code. The arithmetic, and so the result, is
/// the same for every `K`.
#[cfg(target_arch = "wasm32")]
macro_rules! with_classes {
    ($k:expr, $f:ident($($arg:expr),* $(,)?)) => {
        $f::<0>($($arg),*)
    };
}

/// Every answer given: `(task, worker, label)` as dense indices. The same worker may answer the
/// same task more than once (Dawid & Skene's observer 1 examined each patient three times).
#[derive(Clone, Debug, PartialEq)]
pub struct Answers {
    tasks: usize,
    workers: usize,
    classes: usize,
    /// `offsets[t]..offsets[t + 1]` indexes task `t`'s answers in `cell` (four bytes a task
    /// rather than eight: [`check_answers`] refuses more than `u32::MAX` answers).
    offsets: Vec<u32>,
    /// Each answer as `worker × classes + label`: the row of a worker model `[worker][answered]`
    /// that the answer reads and updates.
    cell: Vec<u32>,
}

impl Answers {
    pub fn new(
        tasks: usize,
        workers: usize,
        classes: usize,
        answers: impl IntoIterator<Item = (u32, u32, u32)>,
    ) -> Result<Answers, StatsError> {
        let triples: Vec<(u32, u32, u32)> = answers.into_iter().collect();
        Answers::from_triples(tasks, workers, classes, &triples)
    }

    /// [`Answers::new`] from answers already in memory, without copying them first.
    pub fn from_triples(
        tasks: usize,
        workers: usize,
        classes: usize,
        triples: &[(u32, u32, u32)],
    ) -> Result<Answers, StatsError> {
        check_answers(tasks, workers, classes, triples.len(), triples.iter().copied())?;
        let mut counts = vec![0u32; tasks + 1];
        for &(t, _, _) in triples {
            counts[t as usize + 1] += 1;
        }
        let cells = triples.iter().map(|&(t, w, l)| (t, w * classes as u32 + l));
        Ok(sorted_by_task(tasks, workers, classes, counts, cells))
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
        self.cell.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cell.is_empty()
    }

    fn range(&self, task: usize) -> std::ops::Range<usize> {
        self.offsets[task] as usize..self.offsets[task + 1] as usize
    }
}

/// Checks the `n` answers `(task, worker, label)` in order, as [`Answers::new`] documents: no
/// more answers than a `u32` counts; the first that names an unknown task or worker, or a label
/// not below `classes`, is the error; then there must be at least two classes and no more
/// cells than a `u32` indexes.
fn check_answers(
    tasks: usize,
    workers: usize,
    classes: usize,
    n: usize,
    answers: impl Iterator<Item = (u32, u32, u32)>,
) -> Result<(), StatsError> {
    if u32::try_from(n).is_err() {
        return Err(StatsError::InvalidArgument(format!(
            "{n} answers are more than this implementation indexes (2³² − 1)"
        )));
    }
    for (t, w, l) in answers {
        if t as usize >= tasks || w as usize >= workers {
            return Err(StatsError::InvalidArgument(format!("answer ({t}, {w}, {l}) names an unknown task or worker")));
        }
        if l as usize >= classes {
            return Err(StatsError::CategoryOutOfRange { category: l, categories: classes });
        }
    }
    if classes < 2 {
        return Err(StatsError::TooFewCategories { min: 2, got: classes });
    }
    // In u128: neither the product nor 2³² fits a 32-bit `usize` (wasm32).
    if workers as u128 * classes as u128 > u128::from(u32::MAX) + 1 {
        return Err(StatsError::InvalidArgument(format!(
            "{workers} workers × {classes} classes is more than this implementation indexes (2³²)"
        )));
    }
    Ok(())
}

/// Checked answers as `(task, cell)`, ordered by task; `counts[t + 1]` is task `t`'s count. A
/// counting sort (stable: each task's answers stay in input order, so results depend on
/// nothing but the input), linear where a comparison sort is n log n.
fn sorted_by_task(
    tasks: usize,
    workers: usize,
    classes: usize,
    mut offsets: Vec<u32>,
    cells: impl ExactSizeIterator<Item = (u32, u32)>,
) -> Answers {
    for t in 0..tasks {
        offsets[t + 1] += offsets[t];
    }
    let mut next_slot = offsets[..tasks].to_vec();
    let mut cell = vec![0u32; cells.len()];
    for (t, c) in cells {
        let slot = &mut next_slot[t as usize];
        cell[*slot as usize] = c;
        *slot += 1;
    }
    Answers { tasks, workers, classes, offsets, cell }
}

/// Answers gathered one at a time as a reader meets them: a worker column and a label column,
/// five bytes an answer, with no rows between (a file of a million answers would otherwise
/// hold twelve bytes each, and then the index made from them). While the answers come grouped
/// by task in task order (as most files list them, a reader numbering tasks by first
/// appearance meets them so) they are where [`Answers`] keeps them already, and
/// [`AnswerColumns::finish`] packs each worker and label into its cell in place.
#[derive(Clone, Debug)]
pub struct AnswerColumns {
    workers: Vec<u32>,
    labels: LabelColumn,
    /// Each answer's task, once an answer came after a later task's; empty while grouped.
    tasks: Vec<u32>,
    /// While grouped: task `t`'s answers start at `starts[t]`, for each task up to the last
    /// (wrapping past `u32::MAX` answers, which [`AnswerColumns::finish`] refuses).
    starts: Vec<u32>,
    grouped: bool,
}

/// Labels in a byte each while every label is below 256 (most label sets are a few classes).
#[derive(Clone, Debug)]
enum LabelColumn {
    Small(Vec<u8>),
    Wide(Vec<u32>),
}

impl Default for LabelColumn {
    fn default() -> Self {
        LabelColumn::Small(Vec::new())
    }
}

impl LabelColumn {
    fn push(&mut self, label: u32) {
        match self {
            LabelColumn::Small(small) => match u8::try_from(label) {
                Ok(byte) => small.push(byte),
                Err(_) => {
                    let mut wide: Vec<u32> = small.iter().map(|&b| u32::from(b)).collect();
                    wide.push(label);
                    *self = LabelColumn::Wide(wide);
                }
            },
            LabelColumn::Wide(wide) => wide.push(label),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            LabelColumn::Small(small) => u32::from(small[i]),
            LabelColumn::Wide(wide) => wide[i],
        }
    }
}

impl Default for AnswerColumns {
    fn default() -> Self {
        let (workers, labels, tasks, starts) = Default::default();
        AnswerColumns { workers, labels, tasks, starts, grouped: true }
    }
}

impl AnswerColumns {
    /// Adds an answer. Only this crate's readers add answers: a grouped task's index sizes
    /// `starts`, and theirs are dense, numbered by first appearance.
    pub(crate) fn push(&mut self, task: u32, worker: u32, label: u32) {
        if self.grouped {
            let t = task as usize;
            if t >= self.starts.len() {
                self.starts.resize(t + 1, self.workers.len() as u32);
            } else if t + 1 < self.starts.len() {
                self.ungroup();
            }
        }
        if !self.grouped {
            self.tasks.push(task);
        }
        self.workers.push(worker);
        self.labels.push(label);
    }

    /// From here each answer keeps its task: an earlier task's answer came after a later one.
    #[cold]
    #[inline(never)]
    fn ungroup(&mut self) {
        let mut tasks = Vec::with_capacity(self.workers.capacity());
        tasks.extend(self.grouped_tasks());
        self.tasks = tasks;
        self.starts = Vec::new();
        self.grouped = false;
    }

    /// Each answer's task while grouped, in order.
    fn grouped_tasks(&self) -> impl Iterator<Item = u32> + '_ {
        let n = self.workers.len();
        let ends = self.starts.iter().skip(1).map(|&end| end as usize).chain(std::iter::once(n));
        (0u32..)
            .zip(self.starts.iter().zip(ends))
            .flat_map(|(t, (&start, end))| std::iter::repeat_n(t, end - start as usize))
    }

    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether every answer so far came grouped by task, in task order.
    pub fn is_grouped(&self) -> bool {
        self.grouped
    }

    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// The answers over `tasks` tasks, `workers` workers and `classes` classes, with the
    /// checks and errors of [`Answers::new`]. Grouped answers become cells where they lie:
    /// nothing the size of the answers is allocated.
    pub fn finish(self, tasks: usize, workers: usize, classes: usize) -> Result<Answers, StatsError> {
        let with_labels = |(i, t): (usize, u32)| (t, self.workers[i], self.labels.get(i));
        let n = self.len();
        if self.grouped {
            check_answers(tasks, workers, classes, n, self.grouped_tasks().enumerate().map(with_labels))?;
        } else {
            check_answers(tasks, workers, classes, n, self.tasks.iter().copied().enumerate().map(with_labels))?;
        }
        let AnswerColumns { workers: mut cell, labels, tasks: task_of, mut starts, grouped } = self;
        if grouped {
            starts.resize(tasks + 1, n as u32);
            for (i, c) in cell.iter_mut().enumerate() {
                *c = *c * classes as u32 + labels.get(i);
            }
            return Ok(Answers { tasks, workers, classes, offsets: starts, cell });
        }
        let mut counts = vec![0u32; tasks + 1];
        for &t in &task_of {
            counts[t as usize + 1] += 1;
        }
        let cells = task_of.iter().zip(&cell).enumerate().map(|(i, (&t, &w))| (t, w * classes as u32 + labels.get(i)));
        Ok(sorted_by_task(tasks, workers, classes, counts, cells))
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
        for &cell in &answers.cell[answers.range(t)] {
            let (worker, label) = (cell as usize / k, cell as usize % k);
            row[label] += worker_weights.map_or(1.0, |w| w[worker]);
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

/// The default [`DawidSkeneOptions::floor`], crowd-kit's `_EPS`.
pub const DEFAULT_FLOOR: f64 = 1e-10;

/// Options of [`dawid_skene`].
#[derive(Clone, Debug, PartialEq)]
pub struct DawidSkeneOptions {
    pub model: WorkerModel,
    /// Stop when the evidence lower bound per answer rises by less than this between two
    /// iterations (crowd-kit's rule and default, 1e-5).
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
    /// The smallest expected count a confusion-matrix cell may hold before normalising: a floor
    /// rather than a pseudo-count, so it changes nothing but cells that would be (almost) 0.
    /// A worker then never rules a class out completely on one answer. crowd-kit clips at
    /// 1e-10 the same way; 0 keeps Dawid & Skene's exact zeros.
    pub floor: f64,
    /// Threads the E-step may use (1, the default, uses none). Large inputs are cut into a fixed
    /// number of task ranges whatever this says, and their sums are added in range order, so
    /// the result is bit for bit the same for any thread count (and in Wasm, which has none).
    pub threads: usize,
}

impl Default for DawidSkeneOptions {
    fn default() -> Self {
        DawidSkeneOptions {
            model: WorkerModel::ConfusionMatrix,
            tolerance: 1e-5,
            max_iterations: 100,
            gold: Vec::new(),
            smoothing: 0.0,
            floor: DEFAULT_FLOOR,
            threads: 1,
        }
    }
}

/// Dawid & Skene's EM estimator of true labels and worker error rates.
///
/// Initialisation is deterministic: the posteriors start at the (unweighted) vote shares, as in
/// Dawid & Skene's own proposal and crowd-kit's `DawidSkene`, with gold tasks fixed at their
/// known label. Each iteration is an M-step (class priors and confusion matrices from the
/// posteriors, eqs. 2.3–2.4) followed by an E-step (posteriors from priors and confusion
/// matrices, eq. 2.5). The defaults follow crowd-kit 1.x: confusion counts floored at 1e-10
/// before normalising, and a stop when the evidence lower bound per answer rises by less than
/// 1e-5 (or after `max_iterations` E-steps); the returned posteriors are those whose bound
/// settled, with the parameters fitted to them.
pub fn dawid_skene(answers: &Answers, options: &DawidSkeneOptions) -> Result<Consensus, StatsError> {
    let k = answers.classes;
    let tasks = answers.tasks;
    if !(options.smoothing.is_finite() && options.smoothing >= 0.0) {
        return Err(StatsError::InvalidArgument(format!(
            "smoothing {} is not a non-negative number",
            options.smoothing
        )));
    }
    if !(options.floor.is_finite() && options.floor >= 0.0) {
        return Err(StatsError::InvalidArgument(format!("floor {} is not a non-negative number", options.floor)));
    }
    // Each task's gold label, `u32::MAX` for none; empty when no task has one (see `gold_of`).
    let mut gold = if options.gold.is_empty() { Vec::new() } else { vec![u32::MAX; tasks] };
    for &(t, l) in &options.gold {
        if t as usize >= tasks {
            return Err(StatsError::InvalidArgument(format!("gold names unknown task {t}")));
        }
        if l as usize >= k {
            return Err(StatsError::CategoryOutOfRange { category: l, categories: k });
        }
        gold[t as usize] = l;
    }
    let cells = &answers.cell;
    let gold_tasks: Vec<(usize, usize)> =
        gold.iter().enumerate().filter(|(_, &l)| l != u32::MAX).map(|(t, &l)| (t, l as usize)).collect();

    // Worker models are kept as `[worker][answered][truth]`, so the E-step reads one contiguous
    // run of `classes` values per answer. `counts` are the expected counts `Σ_answers q` of the
    // current posteriors and `prior_sums` their column sums `Σ_t q`: what the M-step fits.
    let mut counts = vec![0.0; answers.workers * k * k];
    let mut prior_sums = vec![0.0; k];
    let mut next_counts = vec![0.0; counts.len()];
    let mut next_prior_sums = vec![0.0; k];
    let mut by_answer = vec![0.0; counts.len()];
    let mut partials = Partials::new(answers);
    // The start: posteriors at the unweighted vote shares (gold fixed) and their expected
    // counts, computed the way every E-step computes its own.
    let mut posteriors = vec![0.0; tasks * k];
    e_step(
        answers,
        cells,
        (&[], &[]),
        &gold,
        &mut posteriors,
        (&mut counts, &mut prior_sums),
        &mut partials,
        options.threads,
        Pass::VoteShares,
    );
    // Whether `posteriors` holds the posteriors of record (those of E-step `iterations`); full
    // steps store them only when they will be needed (see `Pass::Full`).
    let mut stored = true;
    // The model the posteriors of record came from, to recompute them when they were not
    // stored, and the model fitted to them.
    let (mut previous_priors, mut previous_by_answer) = (vec![0.0; k], vec![0.0; by_answer.len()]);
    let mut priors = vec![0.0; k];
    let mut logs = ModelLogs { priors: vec![0.0; k], by_answer: vec![0.0; by_answer.len()], finite: false };
    let mut previous_logs = logs.clone();
    let mut previous_step: Option<EStep> = None;
    let mut previous_bound: Option<f64> = None;
    let log_likelihood;
    let mut converged = false;
    let mut iterations = 0;
    let scale = answers.len().max(1) as f64;
    loop {
        // The posteriors of record are those of E-step number `iterations` (0: the vote
        // shares), from the model now in `previous_*`.
        std::mem::swap(&mut priors, &mut previous_priors);
        std::mem::swap(&mut by_answer, &mut previous_by_answer);
        m_step(k, tasks, options, (&counts, &prior_sums), &mut priors, &mut by_answer);
        std::mem::swap(&mut logs, &mut previous_logs);
        logs.take(&priors, &by_answer);
        let mut recover = |posteriors: &mut Vec<f64>, partials: &mut Partials| {
            e_step(
                answers,
                cells,
                (&previous_priors, &previous_by_answer),
                &gold,
                posteriors,
                (&mut next_counts, &mut next_prior_sums),
                partials,
                options.threads,
                Pass::PosteriorsOnly,
            );
        };
        // crowd-kit's rule: stop when the evidence lower bound of the current posteriors and
        // the parameters fitted to them rises by less than the tolerance per answer. The bound
        // of the vote shares is not compared, as crowd-kit never computes it. The bound needs
        // nothing of the next E-step, so a settled run stops before it.
        if let Some(previous_step) = &previous_step {
            let current = Fit { counts: &counts, priors: &priors, tasks };
            let neg_entropy = if previous_logs.finite && !previous_step.fell_back {
                current.neg_entropy_from(&previous_logs, previous_step, answers, cells, &gold_tasks)
            } else {
                if !stored {
                    recover(&mut posteriors, &mut partials);
                    stored = true;
                }
                neg_entropy(&posteriors)
            };
            let bound = (current.expected_log_joint(&logs) - neg_entropy) / scale;
            if previous_bound.is_some_and(|previous| bound - previous < options.tolerance) {
                converged = true;
            }
            previous_bound = Some(bound);
        }
        if converged || iterations >= options.max_iterations {
            if !stored {
                recover(&mut posteriors, &mut partials);
            }
            let evidence = e_step(
                answers,
                cells,
                (&priors, &by_answer),
                &gold,
                &mut posteriors,
                (&mut next_counts, &mut next_prior_sums),
                &mut partials,
                options.threads,
                Pass::EvidenceOnly,
            );
            log_likelihood = evidence.log_likelihood;
            break;
        }
        // A model with a zero probability makes the next bound take the posteriors' entropy
        // directly: store them for it.
        let store = !logs.finite;
        let step = e_step(
            answers,
            cells,
            (&priors, &by_answer),
            &gold,
            &mut posteriors,
            (&mut next_counts, &mut next_prior_sums),
            &mut partials,
            options.threads,
            Pass::Full { store },
        );
        stored = store;
        previous_step = Some(step);
        std::mem::swap(&mut counts, &mut next_counts);
        std::mem::swap(&mut prior_sums, &mut next_prior_sums);
        iterations += 1;
    }
    // `priors` and `by_answer` are the model fitted to the returned posteriors.
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
            if answers.range(t).is_empty() && gold_of(&gold, t).is_none() {
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

/// The logarithms of a fitted model, for the evidence lower bound.
#[derive(Clone)]
struct ModelLogs {
    priors: Vec<f64>,
    /// `[worker][answered][truth]`, as the model.
    by_answer: Vec<f64>,
    /// No probability of the model is 0.
    finite: bool,
}

impl ModelLogs {
    fn take(&mut self, priors: &[f64], by_answer: &[f64]) {
        let mut finite = true;
        for (log, &value) in self.priors.iter_mut().zip(priors).chain(self.by_answer.iter_mut().zip(by_answer)) {
            *log = value.ln();
            finite &= log.is_finite();
        }
        self.finite = finite;
    }
}

/// `weight × log` with `0 × ln 0 = 0`: an outcome that has no weight adds nothing.
fn weighted_log(weight: f64, log: f64) -> f64 {
    if weight == 0.0 {
        0.0
    } else {
        weight * log
    }
}

/// What an M-step fitted to posteriors `q`: the expected counts `Σ_answers q` per worker-model
/// cell (before floor and normalisation) and the priors (`Σ_t q / tasks`).
///
/// The evidence lower bound of `q` is `Σ_t Σ_c q_tc (ln π_c + Σ_{i ∈ t} ln e_i(c)) − Σ_t Σ_c q_tc
/// ln q_tc`. Its first part regroups by worker-model cell into `Σ_c tasks·π_c ln π_c +
/// Σ_cell Σ_c counts·ln e`: a few thousand products instead of one per answer and class.
struct Fit<'a> {
    counts: &'a [f64],
    priors: &'a [f64],
    tasks: usize,
}

impl Fit<'_> {
    /// `Σ_t Σ_c q_tc ln joint_tc` under the model with logarithms `logs`.
    fn expected_log_joint(&self, logs: &ModelLogs) -> f64 {
        let tasks = self.tasks as f64;
        let from_priors: f64 = self.priors.iter().zip(&logs.priors).map(|(&p, &l)| weighted_log(tasks * p, l)).sum();
        let from_answers: f64 = self.counts.iter().zip(&logs.by_answer).map(|(&c, &l)| weighted_log(c, l)).sum();
        from_priors + from_answers
    }

    /// `Σ_t Σ_c q_tc ln q_tc` when `q` is what the previous E-step computed with the model
    /// `previous` (gold tasks then fixed): `ln q_tc = ln joint_tc − ln Z_t` for the other tasks,
    /// and a gold task's certain posterior adds 0. Needs every logarithm of `previous` finite.
    fn neg_entropy_from(
        &self,
        previous: &ModelLogs,
        step: &EStep,
        answers: &Answers,
        cells: &[u32],
        gold_tasks: &[(usize, usize)],
    ) -> f64 {
        let k = self.priors.len();
        let mut gold_log_joint = 0.0;
        for &(t, label) in gold_tasks {
            gold_log_joint += previous.priors[label];
            gold_log_joint +=
                cells[answers.range(t)].iter().map(|&cell| previous.by_answer[cell as usize * k + label]).sum::<f64>();
        }
        self.expected_log_joint(previous) - gold_log_joint - step.free_log_evidence
    }
}

/// `Σ_t Σ_c q_tc ln q_tc`, one logarithm per class and task: the bound's second part when the
/// posteriors did not come from a step with a finite model.
fn neg_entropy(posteriors: &[f64]) -> f64 {
    posteriors.iter().filter(|&&q| q > 0.0).map(|&q| q * q.ln()).sum()
}

/// Maximum-likelihood priors and worker models (`[worker][answered][truth]`) given the
/// posteriors.
fn m_step(
    k: usize,
    tasks: usize,
    options: &DawidSkeneOptions,
    (counts, prior_sums): (&[f64], &[f64]),
    priors: &mut [f64],
    by_answer: &mut [f64],
) {
    for (prior, &sum) in priors.iter_mut().zip(prior_sums) {
        *prior = sum / tasks.max(1) as f64;
    }
    by_answer.copy_from_slice(counts);
    let (smoothing, floor) = (options.smoothing, options.floor);
    if smoothing > 0.0 || floor > 0.0 {
        by_answer.iter_mut().for_each(|x| *x = (*x + smoothing).max(floor));
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

/// What an E-step measures besides the new posteriors.
struct EStep {
    /// Log-likelihood of the answers under the parameters the step used: `Σ_t ln Z_t`.
    log_likelihood: f64,
    /// `Σ ln Z_t` over the tasks without gold.
    free_log_evidence: f64,
    /// Some task's answers had probability 0 under every class and got uniform posteriors,
    /// which are not `joint / Z`.
    fell_back: bool,
}

/// Per-range sums of an E-step: each task range adds its expected counts into its own copy of
/// the worker models, and the copies are added in range order afterwards.
struct Partials {
    /// Task range boundaries: range `r` is `bounds[r]..bounds[r + 1]`.
    bounds: Vec<usize>,
    /// `ranges × workers × classes × classes` expected counts.
    counts: Vec<f64>,
    /// `ranges × classes` sums of posteriors.
    prior_sums: Vec<f64>,
    /// A `classes`-long row per range, for more than 8 classes (see [`e_step_range`]).
    scratch: Vec<f64>,
}

/// Answers per task range below which cutting the tasks up costs more than it saves.
const ANSWERS_PER_RANGE: usize = 1 << 15;
/// Most task ranges: enough to keep 8 threads busy.
const MAX_RANGES: usize = 8;

impl Partials {
    /// The ranges depend on the answers alone (never on the thread count), so sums are always
    /// added in the same order. More ranges only when each has many answers and the worker
    /// models it must add up afterwards are small beside them.
    fn new(answers: &Answers) -> Partials {
        let k = answers.classes;
        let model = answers.workers * k * k;
        let mut ranges = 1;
        while ranges * 2 <= MAX_RANGES
            && answers.len() / (ranges * 2) >= ANSWERS_PER_RANGE
            && model * ranges * 2 * 8 <= answers.len()
        {
            ranges *= 2;
        }
        // Boundaries at equal answer counts, on task boundaries.
        let mut bounds = vec![0];
        for r in 1..ranges {
            let target = answers.len() * r / ranges;
            let task = answers.offsets.partition_point(|&o| (o as usize) < target).min(answers.tasks);
            bounds.push(task.max(bounds[r - 1]));
        }
        bounds.push(answers.tasks);
        Partials {
            bounds,
            counts: vec![0.0; ranges * model],
            prior_sums: vec![0.0; ranges * k],
            scratch: vec![0.0; ranges * k],
        }
    }
}

/// Posteriors (`next`) given priors and worker models, the next M-step's expected counts, and
/// the log evidence `ln Z_t` of each task's answers. Task ranges run on up to `threads`
/// threads, each into its own partial sums, which are then added in range order.
#[allow(clippy::too_many_arguments)]
fn e_step(
    answers: &Answers,
    cells: &[u32],
    model: (&[f64], &[f64]),
    gold: &[u32],
    next: &mut [f64],
    (next_counts, next_prior_sums): (&mut [f64], &mut [f64]),
    partials: &mut Partials,
    threads: usize,
    pass: Pass,
) -> EStep {
    let k = answers.classes;
    let model_len = next_counts.len().max(1);
    let mut jobs = Vec::with_capacity(partials.bounds.len() - 1);
    let mut next_rest = next;
    let pieces = partials
        .counts
        .chunks_exact_mut(model_len)
        .zip(partials.prior_sums.chunks_exact_mut(k))
        .zip(partials.scratch.chunks_exact_mut(k));
    for (((counts, prior_sums), scratch), bounds) in pieces.zip(partials.bounds.windows(2)) {
        let tasks = bounds[0]..bounds[1];
        let (here, rest) = std::mem::take(&mut next_rest).split_at_mut(tasks.len() * k);
        next_rest = rest;
        jobs.push(RangeJob { tasks, next: here, counts, prior_sums, scratch, result: None });
    }
    run_jobs(&mut jobs, threads, |job: &mut RangeJob<'_>| {
        let counts = (&mut *job.counts, &mut *job.prior_sums);
        job.result = Some(match pass {
            Pass::Full { store: true } => with_classes!(
                k,
                full_and_store(answers, cells, model, gold, job.tasks.clone(), job.next, counts, job.scratch)
            ),
            Pass::Full { store: false } => {
                with_classes!(k, full(answers, cells, model, gold, job.tasks.clone(), job.next, counts, job.scratch))
            }
            Pass::EvidenceOnly => with_classes!(
                k,
                evidence_only(answers, cells, model, gold, job.tasks.clone(), job.next, counts, job.scratch)
            ),
            Pass::PosteriorsOnly => with_classes!(
                k,
                posteriors_only(answers, cells, model, gold, job.tasks.clone(), job.next, counts, job.scratch)
            ),
            Pass::VoteShares => with_classes!(
                k,
                vote_shares_pass(answers, cells, model, gold, job.tasks.clone(), job.next, counts, job.scratch)
            ),
        });
    });
    // Passes without expected counts have nothing to add up but the evidence.
    if matches!(pass, Pass::EvidenceOnly | Pass::PosteriorsOnly) {
        let all = jobs.iter().filter_map(|job| job.result.as_ref()).map(|step| step.all.ln()).sum();
        return EStep { log_likelihood: all, free_log_evidence: f64::NAN, fell_back: false };
    }
    next_counts.iter_mut().for_each(|x| *x = 0.0);
    next_prior_sums.iter_mut().for_each(|x| *x = 0.0);
    let (mut all, mut free, mut fell_back) = (0.0, 0.0, false);
    for job in &jobs {
        for (sum, &x) in next_counts.iter_mut().zip(job.counts.iter()) {
            *sum += x;
        }
        for (sum, &x) in next_prior_sums.iter_mut().zip(job.prior_sums.iter()) {
            *sum += x;
        }
        if let Some(step) = &job.result {
            all += step.all.ln();
            free += step.free.ln();
            fell_back |= step.fell_back;
        }
    }
    EStep { log_likelihood: all, free_log_evidence: free, fell_back }
}

/// What an E-step computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// Expected counts and evidence, and the posteriors themselves only when `store`: they are
    /// needed just once a run has settled, or when the model has a zero probability (the
    /// bound then needs their entropy), and writing them every step costs a sixth of its time.
    Full { store: bool },
    /// Only the log evidence `Σ_t ln Z_t`: the log-likelihood of the final estimates, once the
    /// posteriors have settled and a full step would be thrown away.
    EvidenceOnly,
    /// Only the posteriors, to recover those of a step that did not store them.
    PosteriorsOnly,
    /// The starting point instead of posteriors from a model: each task's unweighted vote
    /// shares (Dawid & Skene's and crowd-kit's initialisation), stored, with their expected
    /// counts.
    VoteShares,
}

/// What [`e_step_range`] does, as bits of a const parameter so each mode compiles to its own
/// loop: its posteriors from the model, or the vote shares ([`VOTES`]); whether it stores them
/// ([`STORE`]), adds their expected counts ([`SCATTER`]) and sums the evidence ([`EVIDENCE`]).
const STORE: u8 = 1;
const SCATTER: u8 = 2;
const EVIDENCE: u8 = 4;
const VOTES: u8 = 8;

/// `e_step_range::<K, MODE>` as a function of `K` alone, for [`with_classes!`].
macro_rules! range_pass {
    ($name:ident, $mode:expr) => {
        #[allow(clippy::too_many_arguments)]
        fn $name<const K: usize>(
            answers: &Answers,
            cells: &[u32],
            model: (&[f64], &[f64]),
            gold: &[u32],
            tasks: std::ops::Range<usize>,
            next: &mut [f64],
            counts: (&mut [f64], &mut [f64]),
            scratch: &mut [f64],
        ) -> RangeStep {
            e_step_range::<K, { $mode }>(answers, cells, model, gold, tasks, next, counts, scratch)
        }
    };
}

range_pass!(full_and_store, SCATTER | EVIDENCE | STORE);
range_pass!(full, SCATTER | EVIDENCE);
range_pass!(evidence_only, EVIDENCE);
range_pass!(posteriors_only, STORE);
range_pass!(vote_shares_pass, VOTES | SCATTER | STORE);

/// One task range of an E-step and what it returned.
struct RangeJob<'a> {
    tasks: std::ops::Range<usize>,
    next: &'a mut [f64],
    counts: &'a mut [f64],
    prior_sums: &'a mut [f64],
    scratch: &'a mut [f64],
    result: Option<RangeStep>,
}

/// Runs `run` on every job, on up to `threads` threads (the calling one included), each taking
/// a contiguous run of jobs.
fn run_jobs<J: Send>(jobs: &mut [J], threads: usize, run: impl Fn(&mut J) + Sync) {
    // wasm32-unknown-unknown has no threads: spawning one panics.
    let threads = if cfg!(target_arch = "wasm32") { 1 } else { threads.clamp(1, jobs.len().max(1)) };
    if threads > 1 {
        // Contiguous runs of ranges per thread: neighbouring ranges share cache lines at their
        // edges, and dealing them round-robin made both threads slower than one.
        let mut lanes: Vec<Vec<&mut J>> = (0..threads).map(|_| Vec::new()).collect();
        let len = jobs.len();
        for (i, job) in jobs.iter_mut().enumerate() {
            lanes[i * threads / len].push(job);
        }
        let run = &run;
        std::thread::scope(|scope| {
            let mut lanes = lanes.into_iter();
            let own = lanes.next();
            for lane in lanes {
                scope.spawn(move || lane.into_iter().for_each(run));
            }
            own.into_iter().flatten().for_each(run);
        });
        return;
    }
    jobs.iter_mut().for_each(run);
}

/// What one task range of an E-step measured.
struct RangeStep {
    all: LogSum,
    free: LogSum,
    fell_back: bool,
}

/// The E-step over `tasks`, writing their posteriors to `next` (which starts at the range's
/// first task) and adding their expected counts into `next_counts` and `next_prior_sums`.
///
/// Works with probabilities rather than logs: one multiply per class and answer and a
/// logarithm per many tasks is several times faster than log-space sums with an `exp` per
/// class. Rows are renormalised every few answers so tasks with very many answers cannot
/// underflow.
#[allow(clippy::too_many_arguments)]
fn e_step_range<const K: usize, const MODE: u8>(
    answers: &Answers,
    cells: &[u32],
    (priors, by_answer): (&[f64], &[f64]),
    gold: &[u32],
    tasks: std::ops::Range<usize>,
    next: &mut [f64],
    (next_counts, next_prior_sums): (&mut [f64], &mut [f64]),
    scratch: &mut [f64],
) -> RangeStep {
    const RENORMALISE_EVERY: usize = 16;
    let k = if K == 0 { answers.classes } else { K };
    // With `K` known the running row lives in a local array, which the compiler keeps in
    // registers; through a heap slice every answer would store and reload it.
    let mut local_row = [0.0; K];
    let row: &mut [f64] = if K == 0 { &mut scratch[..k] } else { &mut local_row };
    if MODE & SCATTER != 0 {
        next_counts.iter_mut().for_each(|x| *x = 0.0);
        next_prior_sums.iter_mut().for_each(|x| *x = 0.0);
    }
    let (mut all, mut free) = (LogSum::default(), LogSum::default());
    let mut fell_back = false;
    let first = tasks.start;
    for t in tasks {
        let task_cells = &cells[answers.range(t)];
        if MODE & VOTES != 0 {
            row.iter_mut().for_each(|x| *x = 0.0);
            for &cell in task_cells {
                row[cell as usize % k] += 1.0;
            }
            normalise_or_uniform(row);
            accumulate::<MODE>(t, task_cells, row, gold, next, (&mut *next_counts, &mut *next_prior_sums), first);
            continue;
        }
        row.copy_from_slice(&priors[..k]);
        for (n, &cell) in task_cells.iter().enumerate() {
            let base = cell as usize * k;
            for (x, &p) in row.iter_mut().zip(&by_answer[base..base + k]) {
                *x *= p;
            }
            if n % RENORMALISE_EVERY == RENORMALISE_EVERY - 1 {
                let sum: f64 = row.iter().sum();
                if sum > 0.0 {
                    row.iter_mut().for_each(|x| *x /= sum);
                    all.add_ln(sum.ln());
                    if gold_of(gold, t).is_none() {
                        free.add_ln(sum.ln());
                    }
                }
            }
        }
        let sum: f64 = row.iter().sum();
        if MODE & (STORE | SCATTER) == 0 {
            if sum > 0.0 && sum.is_finite() {
                all.add(sum);
            }
            continue;
        }
        if sum > 0.0 && sum.is_finite() {
            // One division and k multiplications instead of k divisions.
            let inverse = 1.0 / sum;
            row.iter_mut().for_each(|x| *x *= inverse);
            if MODE & EVIDENCE != 0 {
                all.add(sum);
                if gold_of(gold, t).is_none() {
                    free.add(sum);
                }
            }
        } else {
            // No class can explain these answers (possible only with zero priors); fall back
            // to ignorance rather than NaN.
            row.iter_mut().for_each(|x| *x = 1.0 / k as f64);
            fell_back = true;
        }
        accumulate::<MODE>(t, task_cells, row, gold, next, (&mut *next_counts, &mut *next_prior_sums), first);
    }
    RangeStep { all, free, fell_back }
}

/// Task `t`'s gold label in `gold` (one entry a task, `u32::MAX` for none, or none at all when
/// no task has gold: a run without gold holds no table of four bytes a task).
#[inline(always)]
fn gold_of(gold: &[u32], t: usize) -> Option<u32> {
    gold.get(t).copied().filter(|&label| label != u32::MAX)
}

/// Fixes task `t`'s posterior `row` at its gold label if it has one, stores it in `next` (whose
/// first row is task `first`'s) under [`STORE`], and under [`SCATTER`] adds it to the next
/// M-step's expected counts, while the row and the task's answers are at hand.
#[inline(always)]
fn accumulate<const MODE: u8>(
    t: usize,
    task_cells: &[u32],
    row: &mut [f64],
    gold: &[u32],
    next: &mut [f64],
    (next_counts, next_prior_sums): (&mut [f64], &mut [f64]),
    first: usize,
) {
    let k = row.len();
    if let Some(label) = gold_of(gold, t) {
        row.iter_mut().for_each(|x| *x = 0.0);
        row[label as usize] = 1.0;
    }
    if MODE & STORE != 0 {
        let at = (t - first) * k;
        next[at..at + k].copy_from_slice(row);
    }
    if MODE & SCATTER == 0 {
        return;
    }
    for (sum, &p) in next_prior_sums.iter_mut().zip(row.iter()) {
        *sum += p;
    }
    for &cell in task_cells {
        let base = cell as usize * k;
        for (slot, &p) in next_counts[base..base + k].iter_mut().zip(row.iter()) {
            *slot += p;
        }
    }
}

/// A sum of logarithms taken as a product, with one logarithm per many factors instead of one
/// per factor: the product is folded into the sum before it could leave f64's range.
#[derive(Default)]
struct LogSum {
    /// Logarithms already taken.
    folded: f64,
    /// The factors since; 0 stands for 1 (nothing pending).
    product: f64,
}

impl LogSum {
    fn add(&mut self, factor: f64) {
        // Factors are probabilities in (0, 1]; a tiny one is folded at once so the product
        // cannot underflow.
        if factor < 1e-100 {
            self.folded += factor.ln();
            return;
        }
        self.product = if self.product == 0.0 { factor } else { self.product * factor };
        if self.product < 1e-200 || self.product > 1e200 {
            self.folded += self.product.ln();
            self.product = 0.0;
        }
    }

    fn add_ln(&mut self, log: f64) {
        self.folded += log;
    }

    fn ln(&self) -> f64 {
        if self.product == 0.0 {
            self.folded
        } else {
            self.folded + self.product.ln()
        }
    }
}
