//! Agreement coefficients against published worked examples.

use crate::agreement::*;
use crate::alpha::*;
use crate::{ContingencyTable, Counts, Ratings, Weights};

fn identity(k: usize) -> Vec<f64> {
    Weights::Identity.matrix_for(k).unwrap()
}

fn assert_close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!((got - want).abs() <= tolerance, "{what}: got {got}, want {want} ± {tolerance}");
}

/// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers
/// (A–D) × 12 units, values 1–5, with missing values. One row per observer, as printed there;
/// 0 marks a missing value. The same data ship with R's irrCAC as `cac.raw4raters`.
const KRIPPENDORFF_2011: [[u32; 12]; 4] = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
    [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
];

fn krippendorff_2011() -> Ratings {
    let rows: Vec<Vec<Option<u32>>> =
        (0..12).map(|unit| KRIPPENDORFF_2011.iter().map(|coder| coder[unit].checked_sub(1)).collect()).collect();
    Ratings::from_rows(5, &rows).unwrap()
}

#[test]
fn krippendorff_2011_alpha_at_every_level() {
    // Published: nominal .743, ordinal .815, interval .849, ratio .797.
    let counts = krippendorff_2011().counts();
    let values = [1.0, 2.0, 3.0, 4.0, 5.0];
    for (level, published) in
        [(Level::Nominal, 0.743), (Level::Ordinal, 0.815), (Level::Interval, 0.849), (Level::Ratio, 0.797)]
    {
        let alpha = krippendorff_alpha(&counts, level, &values).unwrap();
        assert_close(alpha.value, published, 0.0005, &format!("{level:?}"));
    }
    // Unit 12 has a single value and so no pair: 3 + 8 × 4 + 3 + 2 = 40 pairable values.
    let nominal = krippendorff_alpha(&counts, Level::Nominal, &values).unwrap();
    assert_close(nominal.pairable_values, 40.0, 1e-12, "n..");
}

#[test]
fn krippendorff_2011_other_coefficients_match_irrcac() {
    // R irrCAC 1.0 README (Gwet), `cac.raw4raters`, unweighted: percent agreement 0.8181818,
    // Gwet's AC1 0.77544 (pe 0.1903212), Fleiss' κ 0.76117 (pe 0.2387153),
    // Brennan–Prediger 0.77273, Krippendorff's α 0.74342.
    let counts = krippendorff_2011().counts();
    let w = identity(5);
    assert_close(percent_agreement(&counts, &w).unwrap().value, 0.8181818, 5e-8, "percent");
    let ac1 = gwet_ac(&counts, &w).unwrap();
    assert_close(ac1.value, 0.77544, 5e-6, "AC1");
    assert_close(ac1.chance, 0.1903212, 5e-8, "AC1 pe");
    let fleiss = fleiss_kappa(&counts, &w).unwrap();
    assert_close(fleiss.value, 0.76117, 5e-6, "Fleiss");
    assert_close(fleiss.chance, 0.2387153, 5e-8, "Fleiss pe");
    assert_close(brennan_prediger(&counts, &w).unwrap().value, 0.77273, 5e-6, "BP");
    assert_close(krippendorff_alpha(&counts, Level::Nominal, &[]).unwrap().value, 0.74342, 5e-6, "alpha");
}

/// Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (depression,
/// personality disorder, schizophrenia, neurosis, other), as counts per patient. Transcribed
/// from the raw form shipped as `diagnoses` in R's irr and statsmodels' test suite.
const FLEISS_1971: [[u32; 5]; 30] = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1],
    [3, 0, 0, 1, 2],
    [5, 1, 0, 0, 0],
    [0, 2, 0, 4, 0],
    [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6],
    [0, 1, 0, 5, 0],
    [0, 2, 0, 1, 3],
    [2, 0, 0, 4, 0],
    [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0],
    [4, 0, 0, 0, 2],
    [0, 2, 0, 4, 0],
    [1, 0, 5, 0, 0],
    [0, 0, 0, 0, 6],
];

#[test]
fn fleiss_1971_kappa() {
    // Published: κ = .430 (R irr's kappam.fleiss prints 0.4302445 for the same data).
    let counts = Counts::from_rows(5, &FLEISS_1971).unwrap();
    let kappa = fleiss_kappa(&counts, &identity(5)).unwrap();
    assert_close(kappa.value, 0.4302445, 5e-8, "Fleiss 1971");
    // Column totals printed in statsmodels' test of the same data: 26, 26, 30, 55, 43.
    let totals: Vec<u32> = (0..5).map(|c| counts.iter().map(|r| r[c]).sum()).collect();
    assert_eq!(totals, [26, 26, 30, 55, 43]);
}

#[test]
fn fleiss_1971_first_15_patients_match_irrcac() {
    // R irrCAC 1.0 README, `distrib.6raters` (the first 15 patients of Fleiss 1971):
    // AC1 0.4448007, Fleiss' κ 0.4139265, Krippendorff's α 0.4204384, BP 0.4388889.
    let counts = Counts::from_rows(5, &FLEISS_1971[..15]).unwrap();
    let w = identity(5);
    assert_close(gwet_ac(&counts, &w).unwrap().value, 0.4448007, 5e-8, "AC1");
    assert_close(fleiss_kappa(&counts, &w).unwrap().value, 0.4139265, 5e-8, "Fleiss");
    assert_close(krippendorff_alpha(&counts, Level::Nominal, &[]).unwrap().value, 0.4204384, 5e-8, "alpha");
    assert_close(brennan_prediger(&counts, &w).unwrap().value, 0.4388889, 5e-8, "BP");
}

#[test]
fn fleiss_1971_per_category_kappa() {
    // Fleiss (1971), per-category κ_j: depression .245, personality disorder .245,
    // schizophrenia .520, neurosis .471, other .566.
    let counts = Counts::from_rows(5, &FLEISS_1971).unwrap();
    let per_label = per_category_kappa(&counts);
    for (got, want) in per_label.iter().zip([0.245, 0.245, 0.520, 0.471, 0.566]) {
        assert_close(got.unwrap().value, want, 0.0005, "per-category κ");
    }
}

/// Gwet's `cont3x3abstractors` (irrCAC 1.0 README): two abstractors, 100 pregnancy cases
/// classified Ectopic / AIU / NIU.
fn abstractors() -> ContingencyTable {
    ContingencyTable::from_rows(&[[13.0, 0.0, 0.0], [0.0, 20.0, 7.0], [0.0, 4.0, 56.0]]).unwrap()
}

#[test]
fn two_coder_coefficients_match_irrcac() {
    // irrCAC 1.0 README: Cohen's κ 0.7964094, Scott's π 0.7962397, Gwet's AC1 0.8493305,
    // Brennan–Prediger 0.835, Krippendorff's α 0.7972585, percent agreement 0.89.
    let table = abstractors();
    let w = identity(3);
    let counts = Counts::from_table(&table).unwrap();
    assert_close(cohen_kappa(&table, &w).unwrap().value, 0.7964094, 5e-8, "Cohen");
    assert_close(scott_pi(&table, &w).unwrap().value, 0.7962397, 5e-8, "Scott");
    assert_close(gwet_ac(&counts, &w).unwrap().value, 0.8493305, 5e-8, "AC1");
    assert_close(brennan_prediger(&counts, &w).unwrap().value, 0.835, 5e-12, "BP");
    assert_close(krippendorff_alpha(&counts, Level::Nominal, &[]).unwrap().value, 0.7972585, 5e-8, "alpha");
    assert_close(percent_agreement(&counts, &w).unwrap().value, 0.89, 5e-12, "percent");
    // With two coders and complete data, Fleiss' κ is Scott's π.
    assert_close(fleiss_kappa(&counts, &w).unwrap().value, 0.7962397, 5e-8, "Fleiss = Scott");
}

#[test]
fn cohen_kappa_sas_example() {
    // The SAS PROC FREQ example reproduced in statsmodels' test suite (table10): simple κ
    // 0.4842, weighted κ with linear (Cicchetti–Allison) weights 0.4701.
    let table = ContingencyTable::from_rows(&[[0.0, 4.0, 1.0], [0.0, 8.0, 0.0], [0.0, 1.0, 5.0]]).unwrap();
    assert_close(cohen_kappa(&table, &identity(3)).unwrap().value, 0.4842, 5e-5, "simple");
    let linear = Weights::Linear.matrix_for(3).unwrap();
    assert_close(cohen_kappa(&table, &linear).unwrap().value, 0.4701, 5e-5, "linear");
}

#[test]
fn weighted_kappa_worked_examples_of_cohen_1968_and_fleiss_cohen_everitt_1969() {
    // Cohen (1968), Psychological Bulletin 70(4), worked example: proportions of 200 cases over
    // three diagnoses, [[.44, .07, .09], [.05, .20, .05], [.01, .03, .06]] (rows: judge 1).
    // Cohen reports κ = .492; with disagreement weights v = [[0, 1, 3], [1, 0, 6], [3, 6, 0]]
    // κw = .348, and with the asymmetric v = [[0, 1, 4], [1, 0, 6], [2, 2, 0]] κw = .353
    // (the example as re-run in the documentation of R psych's `cohen.kappa`).
    let cohen = ContingencyTable::from_rows(&[[88.0, 14.0, 18.0], [10.0, 40.0, 10.0], [2.0, 6.0, 12.0]]).unwrap();
    assert_close(cohen_kappa(&cohen, &identity(3)).unwrap().value, 0.492, 5e-4, "Cohen 1968 κ");
    let symmetric = from_disagreement_matrix(&[[0.0, 1.0, 3.0], [1.0, 0.0, 6.0], [3.0, 6.0, 0.0]]);
    assert_close(cohen_kappa(&cohen, &symmetric).unwrap().value, 0.348, 5e-4, "Cohen 1968 κw");
    let asymmetric = from_disagreement_matrix(&[[0.0, 1.0, 4.0], [1.0, 0.0, 6.0], [2.0, 2.0, 0.0]]);
    assert_close(cohen_kappa(&cohen, &asymmetric).unwrap().value, 0.353, 5e-4, "Cohen 1968 asymmetric κw");

    // Fleiss, Cohen & Everitt (1969), Psychological Bulletin 72(5): 200 patients, counts
    // [[106, 10, 4], [22, 28, 10], [2, 12, 6]], agreement weights 1 on the diagonal, 0 between
    // the first two classes, 4/9 and 6/9 towards the third. They report κ = .429, κw = .507.
    let fce = ContingencyTable::from_rows(&[[106.0, 10.0, 4.0], [22.0, 28.0, 10.0], [2.0, 12.0, 6.0]]).unwrap();
    assert_close(cohen_kappa(&fce, &identity(3)).unwrap().value, 0.429, 5e-4, "FCE 1969 κ");
    let (a, b) = (4.0 / 9.0, 6.0 / 9.0);
    let similarity = vec![1.0, 0.0, a, 0.0, 1.0, b, a, b, 1.0];
    assert_close(cohen_kappa(&fce, &similarity).unwrap().value, 0.507, 5e-4, "FCE 1969 κw");
}

/// Agreement weights `1 − v / max v` from a full disagreement matrix (κw is unchanged by the
/// rescaling, so Cohen's disagreement form and the agreement form give the same value).
fn from_disagreement_matrix<const K: usize>(v: &[[f64; K]; K]) -> Vec<f64> {
    let max = v.iter().flatten().copied().fold(0.0, f64::max);
    v.iter().flatten().map(|&d| 1.0 - d / max).collect()
}

/// R irr's `anxiety` data, raters 2 and 3 (20 subjects, ratings 1–6; the value 5 is never used,
/// so irr works with the 5 observed levels 1, 2, 3, 4, 6).
fn anxiety_raters_2_3() -> ContingencyTable {
    let rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4];
    let rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2];
    let level = |x: u32| if x == 6 { 4 } else { x - 1 };
    ContingencyTable::from_pairs(5, rater2.into_iter().zip(rater3).map(|(a, b)| (level(a), level(b)))).unwrap()
}

#[test]
fn weighted_cohen_kappa_matches_r_irr() {
    // R irr kappa2(anxiety[, 2:3], …) as recorded in statsmodels' test suite:
    // unweighted -0.006289308, "equal" (linear) 0.1459075, "squared" (quadratic) 0.2520325,
    // and the custom disagreement scores 0, 0, 1, 1, 2 → 0.2391304.
    let table = anxiety_raters_2_3();
    let cases = [
        (Weights::Identity, -0.006289308),
        (Weights::Linear, 0.1459075),
        (Weights::Quadratic, 0.2520325),
        (custom_from_disagreement(&[0.0, 0.0, 1.0, 1.0, 2.0]), 0.2391304),
    ];
    for (weights, want) in cases {
        let w = weights.matrix_for(5).unwrap();
        assert_close(cohen_kappa(&table, &w).unwrap().value, want, 5e-8, &format!("{weights:?}"));
    }
}

/// Agreement weights from irr's Toeplitz disagreement scores d(|i - j|).
fn custom_from_disagreement(scores: &[f64]) -> Weights {
    let k = scores.len();
    let max = scores.iter().copied().fold(0.0, f64::max);
    let mut m = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..k {
            m[a * k + b] = 1.0 - scores[a.abs_diff(b)] / max;
        }
    }
    Weights::Custom(m)
}

#[test]
fn pairwise_cohen_on_krippendorff_data() {
    let ratings = krippendorff_2011();
    let matrix = pairwise(&ratings, &identity(5), cohen_kappa).unwrap();
    assert_eq!(matrix.pairs.len(), 6);
    // Observers A and B disagree only on unit 6 of the 9 units they share.
    let (a, b, kappa, shared) = matrix.pairs[0];
    assert_eq!((a, b, shared), (0, 1, 9));
    let by_hand =
        ContingencyTable::from_pairs(5, [(0, 0), (1, 1), (2, 2), (2, 2), (1, 1), (0, 1), (3, 3), (0, 0), (1, 1)])
            .unwrap();
    assert_eq!(kappa, Some(cohen_kappa(&by_hand, &identity(5)).unwrap()));
}

#[test]
fn degenerate_data_is_an_error_not_nan() {
    let counts = Counts::from_rows(2, &[[3, 0], [3, 0]]).unwrap();
    assert!(fleiss_kappa(&counts, &identity(2)).is_err());
    assert!(krippendorff_alpha(&counts, Level::Nominal, &[]).is_err());
    let lonely = Counts::from_rows(2, &[[1, 0], [0, 1]]).unwrap();
    assert_eq!(fleiss_kappa(&lonely, &identity(2)), Err(crate::StatsError::NoPairableUnits));
}

#[test]
fn alpha_bootstrap_is_seeded_and_brackets_alpha() {
    let counts = krippendorff_2011().counts();
    let boot = krippendorff_alpha_bootstrap(&counts, Level::Nominal, &[], 2_000, 0.95, 11).unwrap();
    assert_close(boot.alpha.value, 0.743, 0.0005, "alpha");
    assert!(boot.low < boot.alpha.value && boot.alpha.value < boot.high, "{boot:?}");
    assert!(boot.high <= 1.0 && boot.low >= -1.0);
    assert_eq!(boot, krippendorff_alpha_bootstrap(&counts, Level::Nominal, &[], 2_000, 0.95, 11).unwrap());
    assert_ne!(
        boot.samples,
        krippendorff_alpha_bootstrap(&counts, Level::Nominal, &[], 2_000, 0.95, 12).unwrap().samples
    );
    // With 37 pairs and D_o = 0.2, α* scatters widely; most resamples still clear 0.5.
    assert!(boot.probability_below(0.5) < 0.2);
    assert_eq!(boot.probability_below(-1.0), 0.0);
    assert!(krippendorff_alpha_bootstrap(&counts, Level::Nominal, &[], 0, 0.95, 1).is_err());
}

#[test]
fn alpha_bootstrap_on_large_data_uses_the_normal_shortcut() {
    // 20,000 units × 6 coders: 300,000 pairs per resample, past the exact-draw budget.
    let mut rng = crate::rng::Rng::seed_from_u64(5);
    let mut counts = Counts::new(4);
    for _ in 0..20_000 {
        let truth = rng.below(4) as usize;
        let mut row = [0u32; 4];
        for _ in 0..6 {
            let value = if rng.next_f64() < 0.8 { truth } else { rng.below(4) as usize };
            row[value] += 1;
        }
        counts.push_unit(&row).unwrap();
    }
    let boot = krippendorff_alpha_bootstrap(&counts, Level::Nominal, &[], 500, 0.95, 3).unwrap();
    assert!(boot.low < boot.alpha.value && boot.alpha.value < boot.high);
    assert!(boot.high - boot.low < 0.02, "interval {:.4}–{:.4} is too wide for 20,000 units", boot.low, boot.high);
}

#[test]
fn quadratic_weights_match_irrcac() {
    // R irrCAC 1.0 vignette "Weighted Chance-corrected Agreement Coefficients" (Gwet), quadratic
    // weights throughout. Weighted α with quadratic weights is α at the interval level.
    let q5 = Weights::Quadratic.matrix_for(5).unwrap();
    let q3 = Weights::Quadratic.matrix_for(3).unwrap();

    // cont3x3abstractors: Cohen 0.8921569, Scott 0.8921093, AC2 0.9402369, BP 0.9175,
    // percent 0.9725, α 0.8926487.
    let table = abstractors();
    let counts = Counts::from_table(&table).unwrap();
    assert_close(cohen_kappa(&table, &q3).unwrap().value, 0.8921569, 5e-8, "Cohen");
    assert_close(scott_pi(&table, &q3).unwrap().value, 0.8921093, 5e-8, "Scott");
    assert_close(gwet_ac(&counts, &q3).unwrap().value, 0.9402369, 5e-8, "AC2");
    assert_close(brennan_prediger(&counts, &q3).unwrap().value, 0.9175, 5e-12, "BP");
    assert_close(percent_agreement(&counts, &q3).unwrap().value, 0.9725, 5e-12, "percent");
    let alpha = krippendorff_alpha(&counts, Level::Interval, &[1.0, 2.0, 3.0]).unwrap();
    assert_close(alpha.value, 0.8926487, 5e-8, "alpha");

    // cac.raw4raters (Krippendorff 2011): percent 0.9753788, AC2 0.914 (pe 0.7137044),
    // Fleiss 0.86494 (pe 0.8177083), BP 0.90152, α 0.84911.
    let counts = krippendorff_2011().counts();
    assert_close(percent_agreement(&counts, &q5).unwrap().value, 0.9753788, 5e-8, "percent");
    let ac2 = gwet_ac(&counts, &q5).unwrap();
    assert_close(ac2.value, 0.914, 5e-4, "AC2");
    assert_close(ac2.chance, 0.7137044, 5e-8, "AC2 pe");
    let fleiss = fleiss_kappa(&counts, &q5).unwrap();
    assert_close(fleiss.value, 0.86494, 5e-6, "Fleiss");
    assert_close(fleiss.chance, 0.8177083, 5e-8, "Fleiss pe");
    assert_close(brennan_prediger(&counts, &q5).unwrap().value, 0.90152, 5e-6, "BP");
    let values = [1.0, 2.0, 3.0, 4.0, 5.0];
    assert_close(krippendorff_alpha(&counts, Level::Interval, &values).unwrap().value, 0.84911, 5e-6, "alpha");

    // distrib.6raters (Fleiss 1971, first 15 patients, categories scored 1–5): AC2 0.4837438,
    // Fleiss 0.2511909, BP 0.4177778, α 0.259511.
    let counts = Counts::from_rows(5, &FLEISS_1971[..15]).unwrap();
    assert_close(gwet_ac(&counts, &q5).unwrap().value, 0.4837438, 5e-8, "AC2");
    assert_close(fleiss_kappa(&counts, &q5).unwrap().value, 0.2511909, 5e-8, "Fleiss");
    assert_close(brennan_prediger(&counts, &q5).unwrap().value, 0.4177778, 5e-8, "BP");
    assert_close(krippendorff_alpha(&counts, Level::Interval, &values).unwrap().value, 0.259511, 5e-7, "alpha");
}
