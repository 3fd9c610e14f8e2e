//! Intervals, posterior, SPRT, confusion matrices and sample sizes.

use crate::intervals::*;

fn assert_close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!((got - want).abs() <= tolerance, "{what}: got {got}, want {want} ± {tolerance}");
}

#[test]
fn wilson_and_clopper_pearson_match_newcombe_1998() {
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
    // seven methods", Statistics in Medicine 17, Table II, 95 % intervals: method 3 (Wilson score,
    // no continuity correction) and method 5 (Clopper–Pearson "exact").
    let cases = [
        (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
        (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
        (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
    ];
    for (x, n, w, cp) in cases {
        let wilson = wilson(x, n, 0.95).unwrap();
        assert_close(wilson.low, w.0, 5e-5, &format!("Wilson low {x}/{n}"));
        assert_close(wilson.high, w.1, 5e-5, &format!("Wilson high {x}/{n}"));
        let exact = clopper_pearson(x, n, 0.95).unwrap();
        assert_close(exact.low, cp.0, 5e-5, &format!("Clopper–Pearson low {x}/{n}"));
        assert_close(exact.high, cp.1, 5e-5, &format!("Clopper–Pearson high {x}/{n}"));
    }
    // With no successes the exact upper bound has the closed form 1 - (α/2)^(1/n).
    assert_close(clopper_pearson(0, 20, 0.95).unwrap().high, 1.0 - 0.025f64.powf(1.0 / 20.0), 1e-12, "closed form");
    assert!(wilson(3, 2, 0.95).is_err());
    assert!(clopper_pearson(1, 0, 0.95).is_err());
}

#[test]
fn beta_posterior_of_a_uniform_prior() {
    // No data: the uniform prior itself, whose 95 % equal-tailed interval is [0.025, 0.975].
    let prior = beta_posterior(0, 0, 1.0, 1.0, 0.95).unwrap();
    assert_close(prior.interval.low, 0.025, 1e-9, "low");
    assert_close(prior.interval.high, 0.975, 1e-9, "high");
    // 18 of 20 correct: Beta(19, 3), mean 19/22.
    let post = beta_posterior(18, 20, 1.0, 1.0, 0.95).unwrap();
    assert_eq!((post.a, post.b), (19.0, 3.0));
    assert_close(post.interval.estimate, 19.0 / 22.0, 1e-12, "mean");
    // P(p > x) for Beta(19, 3) = Σ_{j=19}^{21} C(21, j) x^j (1-x)^(21-j) (Beta–binomial identity).
    let x: f64 = 0.8;
    let by_hand: f64 = (19..=21).map(|j| binomial(21, j) * x.powi(j as i32) * (1.0 - x).powi(21 - j as i32)).sum();
    assert_close(post.probability_above(0.8).unwrap(), 1.0 - by_hand, 1e-9, "P(p > 0.8)");
}

fn binomial(n: u64, k: u64) -> f64 {
    (1..=k).map(|i| (n - k + i) as f64 / i as f64).product()
}

#[test]
fn sprt_follows_wald_boundaries() {
    let test = Sprt::new(0.8, 0.95, 0.05, 0.05).unwrap();
    let start = test.state(0, 0).unwrap();
    assert_close(start.upper, 19f64.ln(), 1e-12, "A = ln((1-β)/α)");
    assert_close(start.lower, -(19f64.ln()), 1e-12, "B = ln(β/(1-α))");
    assert_eq!(start.decision, SprtDecision::Continue);
    // Each correct answer adds ln(0.95/0.8) = 0.1719: 18 in a row cross ln 19 = 2.944.
    assert_eq!(test.fewest_items_to_pass(), 18);
    assert_eq!(test.state(17, 17).unwrap().decision, SprtDecision::Continue);
    assert_eq!(test.state(18, 18).unwrap().decision, SprtDecision::Pass);
    // Each error subtracts ln(0.2/0.05) - … = ln(4) - ln(0.95/0.8) net per wrong-vs-right pair;
    // three wrong out of four already fail.
    assert_eq!(test.state(1, 4).unwrap().decision, SprtDecision::Fail);
    assert!(Sprt::new(0.9, 0.8, 0.05, 0.05).is_err());
    assert!(Sprt::new(0.8, 0.9, 0.6, 0.5).is_err());
}

#[test]
fn confusion_matrix_scores() {
    let m = ConfusionMatrix::from_pairs(3, [(0, 0), (0, 0), (0, 1), (1, 1), (2, 1), (2, 2)]).unwrap();
    assert_eq!(m.get(0, 1), 1);
    assert_close(m.accuracy().unwrap(), 4.0 / 6.0, 1e-12, "accuracy");
    let scores = m.label_scores();
    assert_eq!(scores[0].precision, Some(1.0));
    assert_eq!(scores[0].recall, Some(2.0 / 3.0));
    assert_close(scores[0].f1.unwrap(), 0.8, 1e-12, "f1");
    assert_eq!(scores[1].precision, Some(1.0 / 3.0));
    assert_eq!(scores[1].support, 1);
    assert!(ConfusionMatrix::from_pairs(2, [(0, 2)]).is_err());
}

#[test]
fn sample_sizes_match_krejcie_and_morgan_1970() {
    // Krejcie & Morgan (1970), "Determining sample size for research activities", Table 1
    // (±5 %, 95 %, P = 0.5): N = 100 → 80, 1000 → 278, 10000 → 370, 1000000 → 384. Their
    // formula is the same; they round to the nearest unit where we round up, so for N = 500
    // (217.47) they print 217 and we ask for 218.
    assert_eq!(sample_size_for_proportion(0.05, 0.95, 0.5, Some(500)).unwrap(), 218);
    for (population, published) in [(100, 80), (1000, 278), (10_000, 370), (1_000_000, 384)] {
        assert_eq!(
            sample_size_for_proportion(0.05, 0.95, 0.5, Some(population)).unwrap(),
            published,
            "N = {population}"
        );
    }
    // Without the correction: 1.96² × 0.25 / 0.05² = 384.1 → 385.
    assert_eq!(sample_size_for_proportion(0.05, 0.95, 0.5, None).unwrap(), 385);
    assert!(sample_size_for_proportion(0.0, 0.95, 0.5, None).is_err());
}
