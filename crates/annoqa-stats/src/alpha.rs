//! Krippendorff's α for nominal, ordinal, interval and ratio data, any number of coders per
//! unit and missing values, computed through the coincidence matrix (Krippendorff 2011,
//! "Computing Krippendorff's Alpha-Reliability"), and its bootstrap distribution (Hayes &
//! Krippendorff 2007; Krippendorff, "Algorithm for bootstrapping a distribution of α", 2006,
//! revised 2011).

use serde::Serialize;

use crate::rng::Rng;
use crate::{Counts, StatsError};

/// The level of measurement, which fixes the difference function δ².
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Nominal,
    /// Categories in index order; δ² depends on how many values lie between two categories.
    Ordinal,
    /// Categories carry numeric values; δ² = (x_c - x_k)².
    Interval,
    /// Non-negative numeric values; δ² = ((x_c - x_k) / (x_c + x_k))².
    Ratio,
}

/// The coincidence matrix: `o[c][k]` counts the pairs of values (c, k) within units, each unit
/// weighted by `1 / (m_u - 1)`, so every pairable value contributes exactly once.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coincidences {
    pub categories: usize,
    pub o: Vec<f64>,
    /// `n_c`: the row sums of `o`.
    pub marginals: Vec<f64>,
    /// `n..`: the number of pairable values.
    pub total: f64,
    /// `Σ_u m_u (m_u - 1) / 2`: the number of pairs of values, the bootstrap's sample size.
    pub pairs: f64,
}

pub fn coincidences(counts: &Counts) -> Coincidences {
    let k = counts.categories();
    let mut o = vec![0.0; k * k];
    let mut pairs = 0.0;
    // Only the categories a unit actually uses contribute, usually far fewer than k.
    let mut present: Vec<(usize, f64)> = Vec::with_capacity(k);
    for row in counts.iter() {
        present.clear();
        let mut m = 0u32;
        for (c, &n) in row.iter().enumerate() {
            if n > 0 {
                present.push((c, f64::from(n)));
                m += n;
            }
        }
        if m < 2 {
            continue;
        }
        let m = f64::from(m);
        pairs += m * (m - 1.0) / 2.0;
        let weight = 1.0 / (m - 1.0);
        for &(c, nc) in &present {
            for &(kk, nk) in &present {
                // A value pairs with every other value of its unit, never with itself.
                let partners = if c == kk { nk - 1.0 } else { nk };
                o[c * k + kk] += nc * partners * weight;
            }
        }
    }
    let marginals: Vec<f64> = o.chunks_exact(k.max(1)).map(|r| r.iter().sum()).collect();
    let total = marginals.iter().sum();
    Coincidences { categories: k, o, marginals, total, pairs }
}

/// δ²(c, k) for every pair of categories, row-major.
pub fn difference_matrix(c: &Coincidences, level: Level, values: &[f64]) -> Result<Vec<f64>, StatsError> {
    let k = c.categories;
    if matches!(level, Level::Interval | Level::Ratio) && values.len() != k {
        return Err(StatsError::WrongLength { expected: k, got: values.len() });
    }
    if level == Level::Ratio {
        if let Some(v) = values.iter().find(|v| **v < 0.0) {
            return Err(StatsError::InvalidArgument(format!("ratio data cannot hold the negative value {v}")));
        }
    }
    let mut d = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..k {
            d[a * k + b] = match level {
                Level::Nominal => f64::from(u8::from(a != b)),
                Level::Ordinal => {
                    let (lo, hi) = (a.min(b), a.max(b));
                    let between: f64 = c.marginals[lo..=hi].iter().sum();
                    (between - (c.marginals[lo] + c.marginals[hi]) / 2.0).powi(2)
                }
                Level::Interval => (values[a] - values[b]).powi(2),
                Level::Ratio => {
                    let sum = values[a] + values[b];
                    if sum == 0.0 {
                        0.0
                    } else {
                        ((values[a] - values[b]) / sum).powi(2)
                    }
                }
            };
        }
    }
    Ok(d)
}

/// Krippendorff's α with the disagreements it compares.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Alpha {
    pub value: f64,
    /// `D_o`: mean δ² over the observed pairs of values.
    pub observed_disagreement: f64,
    /// `D_e`: mean δ² over all pairs of pairable values, regardless of unit.
    pub expected_disagreement: f64,
    /// `n..`.
    pub pairable_values: f64,
}

/// α = 1 - D_o / D_e. `values` gives each category's number for interval and ratio data and is
/// ignored otherwise (ordinal data uses the category order).
pub fn krippendorff_alpha(counts: &Counts, level: Level, values: &[f64]) -> Result<Alpha, StatsError> {
    if level == Level::Nominal {
        return nominal_alpha(counts);
    }
    let c = coincidences(counts);
    let d = difference_matrix(&c, level, values)?;
    alpha_from(&c, &d)
}

/// Nominal α needs only the diagonal of the coincidence matrix and its marginals, both of which
/// come from per-unit sums, so it skips building the full matrix: on large data this is the
/// difference between a few and one millisecond per 100,000 units.
fn nominal_alpha(counts: &Counts) -> Result<Alpha, StatsError> {
    let k = counts.categories();
    let mut marginals = vec![0.0; k];
    // Σ_c o_cc: the pairs of values that agree, each unit weighted by 1 / (m_u - 1).
    let mut agreeing = 0.0;
    for row in counts.iter() {
        let (mut m, mut squares) = (0u64, 0u64);
        for &n in row {
            m += u64::from(n);
            squares += u64::from(n) * u64::from(n);
        }
        if m < 2 {
            continue;
        }
        agreeing += (squares - m) as f64 / (m - 1) as f64;
        for (total, &n) in marginals.iter_mut().zip(row) {
            *total += f64::from(n);
        }
    }
    let n: f64 = marginals.iter().sum();
    if n < 2.0 {
        return Err(StatsError::NoPairableUnits);
    }
    let observed = (n - agreeing) / n;
    let expected = (n * n - marginals.iter().map(|x| x * x).sum::<f64>()) / (n * (n - 1.0));
    if expected <= 0.0 {
        return Err(StatsError::Undefined("expected disagreement is 0, as when every value is the same"));
    }
    Ok(Alpha {
        value: 1.0 - observed / expected,
        observed_disagreement: observed,
        expected_disagreement: expected,
        pairable_values: n,
    })
}

fn alpha_from(c: &Coincidences, d: &[f64]) -> Result<Alpha, StatsError> {
    let k = c.categories;
    let n = c.total;
    if n < 2.0 {
        return Err(StatsError::NoPairableUnits);
    }
    let observed: f64 = c.o.iter().zip(d).map(|(o, d)| o * d).sum::<f64>() / n;
    let mut expected = 0.0;
    for a in 0..k {
        for b in 0..k {
            expected += c.marginals[a] * c.marginals[b] * d[a * k + b];
        }
    }
    let expected = expected / (n * (n - 1.0));
    if expected <= 0.0 {
        return Err(StatsError::Undefined("expected disagreement is 0, as when every value is the same"));
    }
    Ok(Alpha {
        value: 1.0 - observed / expected,
        observed_disagreement: observed,
        expected_disagreement: expected,
        pairable_values: n,
    })
}

/// α with its bootstrapped distribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlphaBootstrap {
    pub alpha: Alpha,
    pub confidence: f64,
    pub low: f64,
    pub high: f64,
    /// The bootstrapped α values, sorted ascending.
    #[serde(skip)]
    pub samples: Vec<f64>,
}

impl AlphaBootstrap {
    /// The share of bootstrapped α below `min`: Hayes & Krippendorff's q, the probability of
    /// failing to reach the smallest acceptable α.
    pub fn probability_below(&self, min: f64) -> f64 {
        let below = self.samples.partition_point(|a| *a < min);
        below as f64 / self.samples.len() as f64
    }
}

/// Above this many δ² draws in total, a resample's sum of δ² is drawn from its normal
/// approximation instead of draw by draw. The sum of that many i.i.d. draws is normal to far
/// better precision than the bootstrap's own Monte Carlo error, and it keeps α on 100,000 units
/// interactive.
const EXACT_DRAW_LIMIT: f64 = 5e7;

/// The bootstrap of Hayes & Krippendorff (2007) as specified in Krippendorff's algorithm note:
/// keep `D_e` fixed; each resample draws M = Σ_u m_u (m_u - 1) / 2 pairs of values with
/// replacement from the coincidence matrix (cell (c, k) with probability o_ck / n..), and
/// α* = 1 - mean δ² / D_e, floored at -1. The interval is the percentile interval.
pub fn krippendorff_alpha_bootstrap(
    counts: &Counts,
    level: Level,
    values: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Result<AlphaBootstrap, StatsError> {
    if resamples == 0 {
        return Err(StatsError::InvalidArgument("resamples must be at least 1".into()));
    }
    if !(0.0..1.0).contains(&confidence) || confidence == 0.0 {
        return Err(StatsError::InvalidArgument(format!("confidence {confidence} is not in (0, 1)")));
    }
    let c = coincidences(counts);
    let d = difference_matrix(&c, level, values)?;
    let alpha = alpha_from(&c, &d)?;
    // The categorical distribution over cells with o_ck > 0, as a cumulative table.
    let mut cumulative = Vec::new();
    let mut deltas = Vec::new();
    let mut acc = 0.0;
    for (o, delta) in c.o.iter().zip(&d) {
        if *o > 0.0 {
            acc += o / c.total;
            cumulative.push(acc);
            deltas.push(*delta);
        }
    }
    let mean: f64 = c.o.iter().zip(&d).map(|(o, d)| o / c.total * d).sum();
    let variance: f64 = c.o.iter().zip(&d).map(|(o, d)| o / c.total * (d - mean).powi(2)).sum();
    let draws = c.pairs.round().max(1.0);
    let exact = draws * resamples as f64 <= EXACT_DRAW_LIMIT;
    let mut rng = Rng::seed_from_u64(seed);
    let mut samples = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mean_delta = if exact {
            let mut sum = 0.0;
            for _ in 0..draws as u64 {
                let r = rng.next_f64() * acc;
                let cell = cumulative.partition_point(|p| *p <= r).min(deltas.len() - 1);
                sum += deltas[cell];
            }
            sum / draws
        } else {
            (mean + (variance / draws).sqrt() * standard_normal(&mut rng)).max(0.0)
        };
        samples.push((1.0 - mean_delta / alpha.expected_disagreement).max(-1.0));
    }
    samples.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Ok(AlphaBootstrap {
        alpha,
        confidence,
        low: percentile(&samples, tail),
        high: percentile(&samples, 1.0 - tail),
        samples,
    })
}

/// The `p`-quantile of sorted `samples` by the nearest-rank rule.
fn percentile(samples: &[f64], p: f64) -> f64 {
    let rank = (p * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// One standard normal draw (Box–Muller).
pub(crate) fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - rng.next_f64(); // in (0, 1], so the log is finite
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
