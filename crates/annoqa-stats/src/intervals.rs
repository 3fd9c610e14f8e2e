//! Annotator and batch statistics: confidence intervals and a Beta posterior for an accuracy
//! measured on gold items, Wald's sequential probability ratio test for qualification,
//! confusion matrices and the sample size needed to estimate an error rate.

use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF, Normal};

use crate::StatsError;

/// A two-sided interval for a proportion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// The point estimate `successes / trials` (the posterior mean for [`beta_posterior`]).
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub confidence: f64,
}

fn check(successes: u64, trials: u64, confidence: f64) -> Result<(), StatsError> {
    if trials == 0 {
        return Err(StatsError::InvalidArgument("need at least one trial".into()));
    }
    if successes > trials {
        return Err(StatsError::InvalidArgument(format!("{successes} successes out of {trials} trials")));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::InvalidArgument(format!("confidence {confidence} is not in (0, 1)")));
    }
    Ok(())
}

/// The standard normal quantile `z` with `P(|Z| ≤ z) = confidence`.
fn two_sided_z(confidence: f64) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("the standard normal is valid");
    normal.inverse_cdf(0.5 + confidence / 2.0)
}

/// Wilson's (1927) score interval: good coverage even for small samples and accuracies near
/// 0 or 1, where the textbook normal interval fails.
pub fn wilson(successes: u64, trials: u64, confidence: f64) -> Result<Interval, StatsError> {
    check(successes, trials, confidence)?;
    let n = trials as f64;
    let p = successes as f64 / n;
    let z = two_sided_z(confidence);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Ok(Interval { estimate: p, low: (centre - half).max(0.0), high: (centre + half).min(1.0), confidence })
}

/// The Clopper–Pearson (1934) "exact" interval from Beta quantiles: never shorter than it has
/// to be, so its coverage is at least `confidence`.
pub fn clopper_pearson(successes: u64, trials: u64, confidence: f64) -> Result<Interval, StatsError> {
    check(successes, trials, confidence)?;
    let (x, n) = (successes as f64, trials as f64);
    let tail = (1.0 - confidence) / 2.0;
    let low = if successes == 0 { 0.0 } else { beta_quantile(x, n - x + 1.0, tail)? };
    let high = if successes == trials { 1.0 } else { beta_quantile(x + 1.0, n - x, 1.0 - tail)? };
    Ok(Interval { estimate: x / n, low, high, confidence })
}

fn beta_quantile(a: f64, b: f64, p: f64) -> Result<f64, StatsError> {
    let beta = Beta::new(a, b).map_err(|e| StatsError::InvalidArgument(format!("beta({a}, {b}): {e}")))?;
    Ok(beta.inverse_cdf(p))
}

/// The posterior of an accuracy after `successes` out of `trials`, from a `Beta(prior_a,
/// prior_b)` prior (`1, 1` is uniform; `0.5, 0.5` is Jeffreys').
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BetaPosterior {
    pub a: f64,
    pub b: f64,
    /// Posterior mean and equal-tailed credible interval.
    pub interval: Interval,
}

impl BetaPosterior {
    /// `P(accuracy > threshold)`: how sure we are that the annotator clears a bar.
    pub fn probability_above(&self, threshold: f64) -> Result<f64, StatsError> {
        let beta = Beta::new(self.a, self.b)
            .map_err(|e| StatsError::InvalidArgument(format!("beta({}, {}): {e}", self.a, self.b)))?;
        Ok(1.0 - beta.cdf(threshold))
    }
}

pub fn beta_posterior(
    successes: u64,
    trials: u64,
    prior_a: f64,
    prior_b: f64,
    confidence: f64,
) -> Result<BetaPosterior, StatsError> {
    if successes > trials {
        return Err(StatsError::InvalidArgument(format!("{successes} successes out of {trials} trials")));
    }
    if !(prior_a > 0.0 && prior_b > 0.0) {
        return Err(StatsError::InvalidArgument(format!("prior Beta({prior_a}, {prior_b}) needs positive parameters")));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::InvalidArgument(format!("confidence {confidence} is not in (0, 1)")));
    }
    let a = prior_a + successes as f64;
    let b = prior_b + (trials - successes) as f64;
    let tail = (1.0 - confidence) / 2.0;
    let interval = Interval {
        estimate: a / (a + b),
        low: beta_quantile(a, b, tail)?,
        high: beta_quantile(a, b, 1.0 - tail)?,
        confidence,
    };
    Ok(BetaPosterior { a, b, interval })
}

/// What the sequential test says after the gold items seen so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SprtDecision {
    /// Accuracy is consistent with `p1` (good enough): qualify.
    Pass,
    /// Accuracy is consistent with `p0` (not good enough): do not qualify.
    Fail,
    /// Not enough evidence yet: show another gold item.
    Continue,
}

/// Wald's sequential probability ratio test of accuracy `p0` (fail) against `p1` (pass),
/// `p0 < p1`, with error rates `alpha` (passing someone whose accuracy is `p0`) and `beta`
/// (failing someone whose accuracy is `p1`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Sprt {
    pub p0: f64,
    pub p1: f64,
    pub alpha: f64,
    pub beta: f64,
}

/// The state of an [`Sprt`] after some trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SprtState {
    pub decision: SprtDecision,
    /// `ln(L1 / L0)` of the answers so far.
    pub log_likelihood_ratio: f64,
    /// Wald's boundaries: pass at or above `ln((1 - β) / α)`, fail at or below `ln(β / (1 - α))`.
    pub upper: f64,
    pub lower: f64,
}

impl Sprt {
    pub fn new(p0: f64, p1: f64, alpha: f64, beta: f64) -> Result<Sprt, StatsError> {
        if !(0.0 < p0 && p0 < p1 && p1 < 1.0) {
            return Err(StatsError::InvalidArgument(format!("need 0 < p0 < p1 < 1, got p0 = {p0}, p1 = {p1}")));
        }
        if !(0.0 < alpha && alpha < 1.0 && 0.0 < beta && beta < 1.0 && alpha + beta < 1.0) {
            return Err(StatsError::InvalidArgument(format!(
                "error rates α = {alpha}, β = {beta} must be in (0, 1) with α + β < 1"
            )));
        }
        Ok(Sprt { p0, p1, alpha, beta })
    }

    pub fn state(&self, successes: u64, trials: u64) -> Result<SprtState, StatsError> {
        if successes > trials {
            return Err(StatsError::InvalidArgument(format!("{successes} successes out of {trials} trials")));
        }
        let failures = (trials - successes) as f64;
        let llr = successes as f64 * (self.p1 / self.p0).ln() + failures * ((1.0 - self.p1) / (1.0 - self.p0)).ln();
        let upper = ((1.0 - self.beta) / self.alpha).ln();
        let lower = (self.beta / (1.0 - self.alpha)).ln();
        // A tiny slack absorbs rounding when the ratio lands exactly on a boundary.
        let decision = if llr >= upper - 1e-12 {
            SprtDecision::Pass
        } else if llr <= lower + 1e-12 {
            SprtDecision::Fail
        } else {
            SprtDecision::Continue
        };
        Ok(SprtState { decision, log_likelihood_ratio: llr, upper, lower })
    }

    /// The fewest gold items after which an annotator who answers every one correctly passes.
    pub fn fewest_items_to_pass(&self) -> u64 {
        let upper = ((1.0 - self.beta) / self.alpha).ln();
        (upper / (self.p1 / self.p0).ln() - 1e-12).ceil().max(1.0) as u64
    }
}

/// A confusion matrix of true labels (rows) against given labels (columns).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    pub classes: usize,
    pub counts: Vec<u64>,
}

/// Per-label precision, recall and F1 (`None` where undefined).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LabelScores {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// How many items truly carry the label.
    pub support: u64,
}

impl ConfusionMatrix {
    pub fn from_pairs(
        classes: usize,
        pairs: impl IntoIterator<Item = (u32, u32)>,
    ) -> Result<ConfusionMatrix, StatsError> {
        let mut counts = vec![0u64; classes * classes];
        for (truth, given) in pairs {
            for c in [truth, given] {
                if c as usize >= classes {
                    return Err(StatsError::CategoryOutOfRange { category: c, categories: classes });
                }
            }
            counts[truth as usize * classes + given as usize] += 1;
        }
        Ok(ConfusionMatrix { classes, counts })
    }

    pub fn get(&self, truth: usize, given: usize) -> u64 {
        self.counts[truth * self.classes + given]
    }

    pub fn accuracy(&self) -> Option<f64> {
        let total: u64 = self.counts.iter().sum();
        let correct: u64 = (0..self.classes).map(|c| self.get(c, c)).sum();
        (total > 0).then(|| correct as f64 / total as f64)
    }

    pub fn label_scores(&self) -> Vec<LabelScores> {
        (0..self.classes)
            .map(|c| {
                let tp = self.get(c, c) as f64;
                let support: u64 = (0..self.classes).map(|g| self.get(c, g)).sum();
                let predicted: u64 = (0..self.classes).map(|t| self.get(t, c)).sum();
                let precision = (predicted > 0).then(|| tp / predicted as f64);
                let recall = (support > 0).then(|| tp / support as f64);
                let f1 = match (precision, recall) {
                    (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
                    (Some(_), Some(_)) => Some(0.0),
                    _ => None,
                };
                LabelScores { precision, recall, f1, support }
            })
            .collect()
    }
}

/// How many items to review to estimate an error rate within `±margin` at `confidence`,
/// assuming the rate is near `expected` (0.5 is the conservative choice). With a finite
/// `population` the finite-population correction `n = n₀ / (1 + (n₀ - 1) / N)` applies.
pub fn sample_size_for_proportion(
    margin: f64,
    confidence: f64,
    expected: f64,
    population: Option<u64>,
) -> Result<u64, StatsError> {
    if !(margin > 0.0 && margin < 1.0) {
        return Err(StatsError::InvalidArgument(format!("margin {margin} is not in (0, 1)")));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::InvalidArgument(format!("confidence {confidence} is not in (0, 1)")));
    }
    if !(0.0..=1.0).contains(&expected) {
        return Err(StatsError::InvalidArgument(format!("expected rate {expected} is not in [0, 1]")));
    }
    let z = two_sided_z(confidence);
    let n0 = z * z * expected * (1.0 - expected) / (margin * margin);
    let n = match population {
        Some(0) => return Err(StatsError::InvalidArgument("population must be at least 1".into())),
        Some(big_n) => n0 / (1.0 + (n0 - 1.0) / big_n as f64),
        None => n0,
    };
    // Rounding noise must not push an exact integer (e.g. 384.0000000001) up by one.
    let n = (n - 1e-9).ceil().max(1.0) as u64;
    Ok(population.map_or(n, |big_n| n.min(big_n)))
}
