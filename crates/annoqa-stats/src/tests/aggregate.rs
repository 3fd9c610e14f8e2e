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
