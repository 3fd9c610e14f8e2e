//! Property tests: invariants that must hold for any data, not just the published examples.

use proptest::prelude::*;

use crate::aggregate::{dawid_skene, Answers, DawidSkeneOptions, WorkerModel};
use crate::agreement::{cohen_kappa, fleiss_kappa, gwet_ac};
use crate::alpha::{krippendorff_alpha, Level};
use crate::intervals::{beta_posterior, clopper_pearson, wilson};
use crate::{ContingencyTable, Counts, Ratings, Weights};

/// Units × coders ratings over `k` categories, about a fifth missing.
fn ratings(k: u32) -> impl Strategy<Value = Vec<Vec<Option<u32>>>> {
    (2usize..6).prop_flat_map(move |coders| {
        prop::collection::vec(prop::collection::vec(prop::option::weighted(0.8, 0..k), coders), 2..40)
    })
}

fn uses_two_categories(values: &[u32]) -> bool {
    values.iter().any(|v| *v != values[0])
}

proptest! {
    #[test]
    fn identical_coders_agree_perfectly(values in prop::collection::vec(0u32..4, 2..60)) {
        prop_assume!(uses_two_categories(&values));
        let table = ContingencyTable::from_pairs(4, values.iter().map(|&v| (v, v))).unwrap();
        for weights in [Weights::Identity, Weights::Linear, Weights::Quadratic] {
            let w = weights.matrix_for(4).unwrap();
            prop_assert!((cohen_kappa(&table, &w).unwrap().value - 1.0).abs() < 1e-12);
        }
        let rows: Vec<Vec<Option<u32>>> = values.iter().map(|&v| vec![Some(v); 3]).collect();
        let counts = Ratings::from_rows(4, &rows).unwrap().counts();
        let identity = Weights::Identity.matrix_for(4).unwrap();
        prop_assert!((fleiss_kappa(&counts, &identity).unwrap().value - 1.0).abs() < 1e-12);
        prop_assert!((gwet_ac(&counts, &identity).unwrap().value - 1.0).abs() < 1e-12);
        for level in [Level::Nominal, Level::Ordinal, Level::Interval, Level::Ratio] {
            let alpha = krippendorff_alpha(&counts, level, &[1.0, 2.0, 3.0, 4.0]).unwrap();
            prop_assert!((alpha.value - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn nominal_coefficients_ignore_label_names(rows in ratings(4), permutation in Just([0u32, 1, 2, 3]).prop_shuffle()) {
        let original = Ratings::from_rows(4, &rows).unwrap().counts();
        let relabelled_rows: Vec<Vec<Option<u32>>> =
            rows.iter().map(|r| r.iter().map(|v| v.map(|c| permutation[c as usize])).collect()).collect();
        let relabelled = Ratings::from_rows(4, &relabelled_rows).unwrap().counts();
        let identity = Weights::Identity.matrix_for(4).unwrap();
        let a = krippendorff_alpha(&original, Level::Nominal, &[]);
        let b = krippendorff_alpha(&relabelled, Level::Nominal, &[]);
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert!((a.value - b.value).abs() < 1e-9),
            (a, b) => prop_assert_eq!(a.is_err(), b.is_err()),
        }
        let (a, b) = (fleiss_kappa(&original, &identity), fleiss_kappa(&relabelled, &identity));
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert!((a.value - b.value).abs() < 1e-9);
        }
    }

    #[test]
    fn alpha_never_exceeds_one(rows in ratings(5)) {
        let counts = Ratings::from_rows(5, &rows).unwrap().counts();
        for level in [Level::Nominal, Level::Ordinal, Level::Interval, Level::Ratio] {
            if let Ok(alpha) = krippendorff_alpha(&counts, level, &[1.0, 2.0, 3.0, 4.0, 5.0]) {
                prop_assert!(alpha.value <= 1.0 + 1e-12);
                prop_assert!(alpha.observed_disagreement >= 0.0);
            }
        }
    }

    #[test]
    fn intervals_contain_the_estimate(trials in 1u64..500, share in 0.0f64..=1.0, confidence in 0.5f64..0.999) {
        let successes = (share * trials as f64).round() as u64;
        for interval in [wilson(successes, trials, confidence).unwrap(), clopper_pearson(successes, trials, confidence).unwrap()] {
            prop_assert!(interval.low <= interval.estimate + 1e-12 && interval.estimate <= interval.high + 1e-12);
            prop_assert!(0.0 <= interval.low && interval.high <= 1.0);
        }
        let posterior = beta_posterior(successes, trials, 1.0, 1.0, confidence).unwrap();
        prop_assert!(posterior.interval.low <= posterior.interval.estimate && posterior.interval.estimate <= posterior.interval.high);
    }

    #[test]
    fn dawid_skene_posteriors_are_distributions(
        answers in prop::collection::vec((0u32..20, 0u32..6, 0u32..3), 1..120),
        one_coin in any::<bool>(),
    ) {
        let answers = Answers::new(20, 6, 3, answers).unwrap();
        let model = if one_coin { WorkerModel::OneCoin } else { WorkerModel::ConfusionMatrix };
        let ds = dawid_skene(&answers, &DawidSkeneOptions { model, ..Default::default() }).unwrap();
        for t in 0..20 {
            let row = ds.posterior(t);
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "task {} posterior {:?}", t, row);
            prop_assert!(row.iter().all(|p| (0.0..=1.0 + 1e-12).contains(p)));
        }
        for w in 0..6 {
            for truth in 0..3 {
                let total: f64 = (0..3).map(|a| ds.confusion(w, truth, a)).sum();
                prop_assert!((total - 1.0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn counts_from_a_table_keep_every_rating(cells in prop::collection::vec(0u32..5, 9)) {
        let rows: Vec<Vec<f64>> = cells.chunks(3).map(|r| r.iter().map(|&x| f64::from(x)).collect()).collect();
        let table = ContingencyTable::from_rows(&rows).unwrap();
        let counts = Counts::from_table(&table).unwrap();
        prop_assert_eq!(counts.units() as f64, table.total());
        prop_assert!(counts.iter().all(|r| r.iter().sum::<u32>() == 2));
    }
}

proptest! {
    /// Nominal α takes a shortcut past the coincidence matrix; it must agree with the matrix.
    #[test]
    fn nominal_shortcut_matches_the_coincidence_matrix(rows in ratings(5)) {
        use crate::alpha::{coincidences, difference_matrix};
        let counts = Ratings::from_rows(5, &rows).unwrap().counts();
        let c = coincidences(&counts);
        let d = difference_matrix(&c, Level::Nominal, &[]).unwrap();
        let observed: f64 = c.o.iter().zip(&d).map(|(o, d)| o * d).sum::<f64>() / c.total;
        let mut expected = 0.0;
        for a in 0..5 {
            for b in 0..5 {
                expected += c.marginals[a] * c.marginals[b] * d[a * 5 + b];
            }
        }
        let expected = expected / (c.total * (c.total - 1.0));
        match krippendorff_alpha(&counts, Level::Nominal, &[]) {
            Ok(alpha) => {
                prop_assert!((alpha.value - (1.0 - observed / expected)).abs() < 1e-9);
                prop_assert!((alpha.pairable_values - c.total).abs() < 1e-9);
            }
            Err(_) => prop_assert!(c.total < 2.0 || expected <= 0.0),
        }
    }

    /// Counting with partial histograms must count every rating exactly once.
    #[test]
    fn counts_keep_every_rating(rows in ratings(4)) {
        let ratings = Ratings::from_rows(4, &rows).unwrap();
        let counts = ratings.counts();
        prop_assert_eq!(counts.units(), rows.len());
        for (row, counted) in rows.iter().zip(counts.iter()) {
            for c in 0..4u32 {
                let by_hand = row.iter().filter(|v| **v == Some(c)).count() as u32;
                prop_assert_eq!(counted[c as usize], by_hand);
            }
        }
    }
}

proptest! {
    /// `Ratings::counts` has a packed path (fewer than 8 categories and 256 coders) and a
    /// general one; both must count exactly what a plain tally counts.
    #[test]
    fn counts_tally_every_rating(
        k in prop::sample::select(vec![1usize, 3, 7, 8, 12]),
        coders in prop::sample::select(vec![1usize, 4, 255, 256, 300]),
        seed in any::<u64>(),
    ) {
        let units = 6;
        let mut rng = crate::rng::Rng::seed_from_u64(seed);
        let mut ratings = Ratings::new(units, coders, k);
        for unit in 0..units {
            for coder in 0..coders {
                let value = (rng.next_f64() < 0.8).then(|| rng.below(k as u64) as u32);
                ratings.set(unit, coder, value).unwrap();
            }
        }
        let counts = ratings.counts();
        for unit in 0..units {
            let mut tally = vec![0u32; k];
            for coder in 0..coders {
                if let Some(value) = ratings.get(unit, coder) {
                    tally[value as usize] += 1;
                }
            }
            prop_assert_eq!(counts.unit(unit), &tally[..]);
        }
    }
}
