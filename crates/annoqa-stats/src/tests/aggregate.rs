//! Majority vote and Dawid–Skene, with Dawid & Skene's (1979) anaesthetist example.

use crate::aggregate::*;

/// Dawid & Skene (1979), Table 1: 45 patients, 5 anaesthetists, 4 classes (1–4). Observer 1
/// assessed every patient three times: per patient, observer 1's three answers then observers
/// 2–5. Transcribed from the `generate_sample_data()` listing that accompanies public
/// reimplementations of the paper.
const ANAESTHETISTS: [[u32; 7]; 45] = [
    [1, 1, 1, 1, 1, 1, 1],
    [3, 3, 3, 4, 3, 3, 4],
    [1, 1, 2, 2, 1, 2, 2],
    [2, 2, 2, 3, 1, 2, 1],
    [2, 2, 2, 3, 2, 2, 2],
    [2, 2, 2, 3, 3, 2, 2],
    [1, 2, 2, 2, 1, 1, 1],
    [3, 3, 3, 3, 4, 3, 3],
    [2, 2, 2, 2, 2, 2, 3],
    [2, 3, 2, 2, 2, 2, 3],
    [4, 4, 4, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 4, 3],
    [1, 1, 1, 1, 1, 1, 1],
    [2, 2, 2, 3, 2, 1, 2],
    [1, 2, 1, 1, 1, 1, 1],
    [1, 1, 1, 2, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [2, 2, 2, 2, 2, 2, 1],
    [2, 2, 2, 1, 3, 2, 2],
    [2, 2, 2, 2, 2, 2, 2],
    [2, 2, 2, 2, 2, 2, 1],
    [2, 2, 2, 3, 2, 2, 2],
    [2, 2, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [2, 3, 2, 2, 2, 2, 2],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 2, 1, 1, 2, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [3, 3, 3, 3, 2, 3, 3],
    [1, 1, 1, 1, 1, 1, 1],
    [2, 2, 2, 2, 2, 2, 2],
    [2, 2, 2, 3, 2, 3, 2],
    [4, 3, 3, 4, 3, 4, 3],
    [2, 2, 1, 2, 2, 3, 2],
    [2, 3, 2, 3, 2, 3, 3],
    [3, 3, 3, 3, 4, 3, 2],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 2, 1, 2, 1, 1, 1],
    [2, 3, 2, 2, 2, 2, 2],
    [1, 2, 1, 1, 1, 1, 1],
    [2, 2, 2, 2, 2, 2, 2],
];

fn anaesthetists() -> Answers {
    let mut answers = Vec::new();
    for (patient, row) in ANAESTHETISTS.iter().enumerate() {
        let observers = [0, 0, 0, 1, 2, 3, 4];
        for (&observer, &class) in observers.iter().zip(row) {
            answers.push((patient as u32, observer, class - 1));
        }
    }
    Answers::new(45, 5, 4, answers).unwrap()
}

fn classes(consensus: &Consensus) -> String {
    consensus.labels.iter().map(|l| l.map_or("-".to_string(), |l| (l + 1).to_string())).collect::<Vec<_>>().join("")
}

#[test]
fn dawid_skene_1979_anaesthetists() {
    // Dawid & Skene (1979), Table 4: the estimated class of every patient (the class with the
    // largest final probability), the class prevalences .40 / .42 / .11 / .07 (Table 3), and the
    // three patients not assigned with certainty: 7 (class 1, .98), 35 (class 2, .95) and
    // 38 (class 3, .98). Values as transcribed in a public reimplementation's test suite.
    let ds = dawid_skene(&anaesthetists(), &DawidSkeneOptions::default()).unwrap();
    assert!(ds.converged, "EM did not converge in {} iterations", ds.iterations);
    assert_eq!(classes(&ds), "142222132243121111222222112111131224233111212");
    for (got, want) in ds.priors.iter().zip([0.40, 0.42, 0.11, 0.07]) {
        assert!((got - want).abs() < 0.01, "prior {got} vs {want}");
    }
    for (patient, class, probability) in [(7, 1, 0.98), (35, 2, 0.95), (38, 3, 0.98)] {
        let got = ds.posterior(patient - 1)[class - 1];
        assert!((got - probability).abs() < 0.01, "patient {patient}: {got} vs {probability}");
    }
    // Table 2, observer 1 (true class → answered 1, 2, 3, 4).
    let observer_1 = [[0.89, 0.11, 0.0, 0.0], [0.07, 0.88, 0.05, 0.0], [0.0, 0.34, 0.66, 0.0], [0.0, 0.0, 0.56, 0.44]];
    for (truth, row) in observer_1.iter().enumerate() {
        for (answered, want) in row.iter().enumerate() {
            let got = ds.confusion(0, truth, answered);
            assert!((got - want).abs() < 0.01, "observer 1 [{truth}][{answered}] {got} vs {want}");
        }
    }
}

#[test]
fn majority_vote_tie_policies() {
    // Task 0: 2 votes for class 1, 1 for class 0. Task 1: one vote each for 0 and 2. Task 2: none.
    let answers = Answers::new(3, 3, 3, [(0, 0, 1), (0, 1, 1), (0, 2, 0), (1, 0, 2), (1, 1, 0)]).unwrap();
    let first = majority_vote(&answers, None, TiePolicy::FirstLabel).unwrap();
    assert_eq!(first.labels, [Some(1), Some(0), None]);
    assert_eq!(first.confidence(0), Some(2.0 / 3.0));
    assert_eq!(first.confidence(1), Some(0.5));
    let unresolved = majority_vote(&answers, None, TiePolicy::Unresolved).unwrap();
    assert_eq!(unresolved.labels, [Some(1), None, None]);
    // Seeded ties: reproducible, and both tied labels occur over seeds.
    let draws: Vec<Option<u32>> =
        (0..32).map(|seed| majority_vote(&answers, None, TiePolicy::Seeded(seed)).unwrap().labels[1]).collect();
    assert_eq!(
        draws,
        (0..32)
            .map(|seed| majority_vote(&answers, None, TiePolicy::Seeded(seed)).unwrap().labels[1])
            .collect::<Vec<_>>()
    );
    assert!(draws.contains(&Some(0)) && draws.contains(&Some(2)) && !draws.contains(&Some(1)));
    // Weights: worker 2 outweighs workers 0 and 1 together.
    let weighted = majority_vote(&answers, Some(&[1.0, 1.0, 3.0]), TiePolicy::FirstLabel).unwrap();
    assert_eq!(weighted.labels[0], Some(0));
    assert_eq!(weighted.confidence(0), Some(0.6));
    assert!(majority_vote(&answers, Some(&[1.0, -1.0, 1.0]), TiePolicy::FirstLabel).is_err());
}

#[test]
fn gold_fixes_known_labels_and_anchors_workers() {
    // Patient 35 is class 2 with probability .95; tell the model it is class 3.
    let options = DawidSkeneOptions { gold: vec![(34, 2)], ..DawidSkeneOptions::default() };
    let ds = dawid_skene(&anaesthetists(), &options).unwrap();
    assert_eq!(ds.posterior(34), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(ds.labels[34], Some(2));
    let free = dawid_skene(&anaesthetists(), &DawidSkeneOptions::default()).unwrap();
    // Observer 4 answered 3 for patient 35: with the gold label, that now counts as correct.
    assert!(ds.confusion(3, 2, 2) > free.confusion(3, 2, 2));
    assert!(dawid_skene(&anaesthetists(), &DawidSkeneOptions { gold: vec![(99, 0)], ..options }).is_err());
}

#[test]
fn one_coin_model_has_one_accuracy_per_worker() {
    let options = DawidSkeneOptions { model: WorkerModel::OneCoin, ..DawidSkeneOptions::default() };
    let ds = dawid_skene(&anaesthetists(), &options).unwrap();
    assert!(ds.converged);
    for w in 0..5 {
        let skill = ds.confusion(w, 0, 0);
        let error = ds.confusion(w, 0, 1);
        for truth in 0..4 {
            for answered in 0..4 {
                let want = if truth == answered { skill } else { error };
                assert!((ds.confusion(w, truth, answered) - want).abs() < 1e-12);
            }
        }
        assert!((skill + 3.0 * error - 1.0).abs() < 1e-12);
    }
    // The unanimous patients keep their class.
    for (p, row) in ANAESTHETISTS.iter().enumerate() {
        if row.iter().all(|&c| c == row[0]) {
            assert_eq!(ds.labels[p], Some(row[0] - 1), "patient {}", p + 1);
        }
    }
}

/// Seeded synthetic crowd: `tasks` tasks with `per_task` answers from `workers` workers whose
/// accuracies spread from 0.35 to 0.95; errors are uniform over the other classes.
pub(crate) fn synthetic_crowd(
    tasks: usize,
    per_task: usize,
    workers: usize,
    classes: usize,
    seed: u64,
) -> (Answers, Vec<u32>) {
    let mut rng = crate::rng::Rng::seed_from_u64(seed);
    let accuracy: Vec<f64> = (0..workers).map(|w| 0.35 + 0.6 * w as f64 / (workers - 1) as f64).collect();
    let truth: Vec<u32> = (0..tasks).map(|_| rng.below(classes as u64) as u32).collect();
    let mut answers = Vec::with_capacity(tasks * per_task);
    for (t, &true_class) in truth.iter().enumerate() {
        for _ in 0..per_task {
            let w = rng.below(workers as u64) as usize;
            let label = if rng.next_f64() < accuracy[w] {
                true_class
            } else {
                (true_class + 1 + rng.below(classes as u64 - 1) as u32) % classes as u32
            };
            answers.push((t as u32, w as u32, label));
        }
    }
    (Answers::new(tasks, workers, classes, answers).unwrap(), truth)
}

fn accuracy(consensus: &Consensus, truth: &[u32]) -> f64 {
    consensus.labels.iter().zip(truth).filter(|(l, t)| **l == Some(**t)).count() as f64 / truth.len() as f64
}

#[test]
fn dawid_skene_beats_majority_vote_on_a_mixed_crowd() {
    let (answers, truth) = synthetic_crowd(5_000, 5, 50, 5, 7);
    let mv = majority_vote(&answers, None, TiePolicy::FirstLabel).unwrap();
    let ds = dawid_skene(&answers, &DawidSkeneOptions::default()).unwrap();
    let one_coin =
        dawid_skene(&answers, &DawidSkeneOptions { model: WorkerModel::OneCoin, ..Default::default() }).unwrap();
    let (mv, ds, one_coin) = (accuracy(&mv, &truth), accuracy(&ds, &truth), accuracy(&one_coin, &truth));
    assert!(ds > mv + 0.02, "Dawid–Skene {ds} vs majority vote {mv}");
    assert!(one_coin > mv + 0.02, "one-coin {one_coin} vs majority vote {mv}");
}

#[test]
fn dawid_skene_gives_the_same_bits_on_any_number_of_threads() {
    // 30,000 tasks × 4 answers is large enough to be cut into task ranges, so this checks that
    // the ranges' sums are added in one fixed order, however many threads ran them; and with
    // gold, one-coin and a cap, that every option goes through the same path.
    let (answers, _) = synthetic_crowd(30_000, 4, 60, 4, 11);
    for options in [
        DawidSkeneOptions::default(),
        DawidSkeneOptions { model: WorkerModel::OneCoin, ..Default::default() },
        DawidSkeneOptions { gold: vec![(0, 1), (17, 2), (29_999, 0)], max_iterations: 3, ..Default::default() },
    ] {
        let serial = dawid_skene(&answers, &options).unwrap();
        for threads in [2, 3, 8, 64] {
            let parallel = dawid_skene(&answers, &DawidSkeneOptions { threads, ..options.clone() }).unwrap();
            assert_eq!(parallel, serial, "{threads} threads, {options:?}");
        }
    }
}

#[test]
fn dawid_skene_is_deterministic_and_respects_the_iteration_cap() {
    let (answers, _) = synthetic_crowd(500, 3, 20, 3, 1);
    let a = dawid_skene(&answers, &DawidSkeneOptions::default()).unwrap();
    let b = dawid_skene(&answers, &DawidSkeneOptions::default()).unwrap();
    assert_eq!(a, b);
    let capped = dawid_skene(&answers, &DawidSkeneOptions { max_iterations: 2, ..Default::default() }).unwrap();
    assert_eq!((capped.iterations, capped.converged), (2, false));
}

#[test]
fn smoothing_keeps_error_rates_off_zero() {
    // Unsmoothed, observer 2 never misreads class 3 (Table 2: 1.00); a pseudo-count of 0.5 per
    // cell pulls every rate off 0 and 1, while patients all observers agree on keep their class.
    // Without the default floor, Dawid & Skene's exact 1.00 comes back; the floor of
    // 1e-10 only nudges them.
    let exact = DawidSkeneOptions { floor: 0.0, ..Default::default() };
    let free = dawid_skene(&anaesthetists(), &exact).unwrap();
    assert_eq!(free.confusion(1, 2, 2), 1.0);
    let floored = dawid_skene(&anaesthetists(), &DawidSkeneOptions::default()).unwrap();
    assert!(floored.confusion(1, 2, 2) < 1.0 && floored.confusion(1, 2, 2) > 1.0 - 1e-8);
    assert_eq!(classes(&floored), classes(&free));
    assert!(dawid_skene(&anaesthetists(), &DawidSkeneOptions { floor: f64::NAN, ..Default::default() }).is_err());
    let options = DawidSkeneOptions { smoothing: 0.5, ..Default::default() };
    let smoothed = dawid_skene(&anaesthetists(), &options).unwrap();
    assert!(smoothed.confusion.iter().all(|&p| p > 0.0 && p < 1.0));
    for (p, row) in ANAESTHETISTS.iter().enumerate() {
        if row.iter().all(|&c| c == row[0]) {
            assert_eq!(smoothed.labels[p], Some(row[0] - 1), "patient {}", p + 1);
        }
    }
    let bad = DawidSkeneOptions { smoothing: -1.0, ..Default::default() };
    assert!(dawid_skene(&anaesthetists(), &bad).is_err());
}
