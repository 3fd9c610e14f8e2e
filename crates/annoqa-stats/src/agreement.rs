//! Chance-corrected agreement coefficients: percent agreement, Cohen's κ, Scott's π, Fleiss' κ,
//! Gwet's AC1/AC2 and Brennan–Prediger, weighted or not, plus pairwise and per-label views.
//! Krippendorff's α lives in [`crate::alpha`].
//!
//! Every coefficient has the form `(pa - pe) / (1 - pe)`: observed agreement `pa` corrected for
//! the agreement `pe` expected by chance. They differ only in `pe`. The multi-coder versions
//! follow Gwet (2014, *Handbook of Inter-Rater Reliability*, 4th ed.) so that they accept
//! missing ratings: `pa` averages over the units with two or more ratings, the category
//! propensities `π_k` over all units with at least one rating. With complete data they reduce
//! to the textbook formulas (Fleiss 1971 and so on).

use serde::Serialize;

use crate::{ContingencyTable, Counts, Ratings, StatsError};

/// A chance-corrected coefficient with the two agreements it was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Coefficient {
    pub value: f64,
    /// Observed (weighted) agreement `pa`.
    pub observed: f64,
    /// Agreement expected by chance `pe`; 0 for percent agreement.
    pub chance: f64,
}

fn corrected(observed: f64, chance: f64) -> Result<Coefficient, StatsError> {
    if (1.0 - chance).abs() < 1e-12 {
        return Err(StatsError::Undefined("chance agreement is 1, as when every rating is the same category"));
    }
    Ok(Coefficient { value: (observed - chance) / (1.0 - chance), observed, chance })
}

fn check_weights(weights: &[f64], categories: usize) -> Result<(), StatsError> {
    if weights.len() != categories * categories {
        return Err(StatsError::WrongLength { expected: categories * categories, got: weights.len() });
    }
    Ok(())
}

/// Row and column proportions of a two-coder table, and the weighted observed agreement.
fn table_margins(table: &ContingencyTable, weights: &[f64]) -> Result<(Vec<f64>, Vec<f64>, f64), StatsError> {
    let k = table.categories();
    check_weights(weights, k)?;
    let n = table.total();
    if n <= 0.0 {
        return Err(StatsError::NoPairableUnits);
    }
    let mut rows = vec![0.0; k];
    let mut cols = vec![0.0; k];
    let mut observed = 0.0;
    for a in 0..k {
        for b in 0..k {
            let p = table.get(a, b) / n;
            rows[a] += p;
            cols[b] += p;
            observed += weights[a * k + b] * p;
        }
    }
    Ok((rows, cols, observed))
}

/// Cohen's κ (1960), weighted κ (Cohen 1968) when `weights` is not the identity: chance
/// agreement from each coder's own marginal distribution.
pub fn cohen_kappa(table: &ContingencyTable, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let k = table.categories();
    let (rows, cols, observed) = table_margins(table, weights)?;
    let mut chance = 0.0;
    for a in 0..k {
        for b in 0..k {
            chance += weights[a * k + b] * rows[a] * cols[b];
        }
    }
    corrected(observed, chance)
}

/// Scott's π (1955): chance agreement from the coders' pooled marginal distribution.
pub fn scott_pi(table: &ContingencyTable, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let k = table.categories();
    let (rows, cols, observed) = table_margins(table, weights)?;
    let pooled: Vec<f64> = rows.iter().zip(&cols).map(|(r, c)| (r + c) / 2.0).collect();
    let mut chance = 0.0;
    for a in 0..k {
        for b in 0..k {
            chance += weights[a * k + b] * pooled[a] * pooled[b];
        }
    }
    corrected(observed, chance)
}

/// Observed agreement and category propensities of multi-coder data, after Gwet (2014).
struct Propensities {
    observed: f64,
    /// `π_k`: the mean over rated units of the share of the unit's ratings in category `k`.
    pi: Vec<f64>,
}

fn propensities(counts: &Counts, weights: &[f64]) -> Result<Propensities, StatsError> {
    let k = counts.categories();
    check_weights(weights, k)?;
    let mut pi = vec![0.0; k];
    let mut rated = 0usize;
    let mut pairable = 0usize;
    let mut observed = 0.0;
    let mut weighted = vec![0.0; k];
    // Unweighted data, the common case, needs no k × k product per unit.
    let identity = (0..k).all(|a| (0..k).all(|b| weights[a * k + b] == f64::from(u8::from(a == b))));
    for row in counts.iter() {
        let r: u32 = row.iter().sum();
        if r == 0 {
            continue;
        }
        rated += 1;
        let r = f64::from(r);
        // One division per unit, not per category: divisions are the slow part of this loop.
        let share = 1.0 / r;
        for (p, &n) in pi.iter_mut().zip(row) {
            *p += f64::from(n) * share;
        }
        if r >= 2.0 {
            pairable += 1;
            let agreeing: f64 = if identity {
                row.iter().map(|&n| f64::from(n) * (f64::from(n) - 1.0)).sum()
            } else {
                // r*_ik = Σ_l w_kl r_il: the ratings that (partly) agree with category k.
                for (a, slot) in weighted.iter_mut().enumerate() {
                    *slot = (0..k).map(|b| weights[a * k + b] * f64::from(row[b])).sum();
                }
                row.iter().zip(&weighted).map(|(&n, &w)| f64::from(n) * (w - 1.0)).sum()
            };
            observed += agreeing / (r * (r - 1.0));
        }
    }
    if pairable == 0 {
        return Err(StatsError::NoPairableUnits);
    }
    pi.iter_mut().for_each(|p| *p /= rated as f64);
    Ok(Propensities { observed: observed / pairable as f64, pi })
}

/// The share of agreeing pairs of ratings within units (weighted), averaged over the units
/// with two or more ratings. Not chance-corrected: `chance` is 0.
pub fn percent_agreement(counts: &Counts, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let p = propensities(counts, weights)?;
    Ok(Coefficient { value: p.observed, observed: p.observed, chance: 0.0 })
}

/// Fleiss' κ (1971), generalised to weights and missing ratings as in Gwet (2014):
/// `pe = Σ_kl w_kl π_k π_l`.
pub fn fleiss_kappa(counts: &Counts, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let k = counts.categories();
    let p = propensities(counts, weights)?;
    let mut chance = 0.0;
    for a in 0..k {
        for b in 0..k {
            chance += weights[a * k + b] * p.pi[a] * p.pi[b];
        }
    }
    corrected(p.observed, chance)
}

/// Gwet's AC1 (identity weights) or AC2 (any other weights) (Gwet 2008, 2014):
/// `pe = T_w / (q (q - 1)) Σ_k π_k (1 - π_k)` where `T_w` is the sum of all weights.
pub fn gwet_ac(counts: &Counts, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let q = counts.categories();
    if q < 2 {
        return Err(StatsError::TooFewCategories { min: 2, got: q });
    }
    let p = propensities(counts, weights)?;
    let total_weight: f64 = weights.iter().sum();
    let spread: f64 = p.pi.iter().map(|pk| pk * (1.0 - pk)).sum();
    let chance = total_weight / (q * (q - 1)) as f64 * spread;
    corrected(p.observed, chance)
}

/// Brennan & Prediger's (1981) coefficient: chance agreement as if categories were chosen
/// uniformly, `pe = T_w / q²`.
pub fn brennan_prediger(counts: &Counts, weights: &[f64]) -> Result<Coefficient, StatsError> {
    let q = counts.categories();
    let p = propensities(counts, weights)?;
    let total_weight: f64 = weights.iter().sum();
    corrected(p.observed, total_weight / (q * q) as f64)
}

/// Fleiss' κ of each category against all others (Fleiss 1971, eq. 9; the same as Fleiss' κ
/// on the "this label / any other label" counts). `None` where the category is never or always
/// used, so its κ is undefined.
pub fn per_category_kappa(counts: &Counts) -> Vec<Option<Coefficient>> {
    let identity = [1.0, 0.0, 0.0, 1.0];
    (0..counts.categories()).map(|c| fleiss_kappa(&counts.one_vs_rest(c), &identity).ok()).collect()
}

/// A coefficient for every pair of coders, over the units both rated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairwiseMatrix {
    pub coders: usize,
    /// `(a, b, coefficient, units rated by both)` for every `a < b`; the coefficient is `None`
    /// when the pair shares no unit or the coefficient is undefined for it.
    pub pairs: Vec<(usize, usize, Option<Coefficient>, usize)>,
}

impl PairwiseMatrix {
    /// The mean of the defined pairwise values (Light's κ, for Cohen's κ).
    pub fn mean(&self) -> Option<f64> {
        let values: Vec<f64> = self.pairs.iter().filter_map(|p| p.2.map(|c| c.value)).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Applies a two-coder coefficient ([`cohen_kappa`], [`scott_pi`]) to every pair of coders.
pub fn pairwise(
    ratings: &Ratings,
    weights: &[f64],
    coefficient: fn(&ContingencyTable, &[f64]) -> Result<Coefficient, StatsError>,
) -> Result<PairwiseMatrix, StatsError> {
    if ratings.coders() < 2 {
        return Err(StatsError::TooFewCoders(ratings.coders()));
    }
    check_weights(weights, ratings.categories())?;
    let mut pairs = Vec::new();
    for a in 0..ratings.coders() {
        for b in a + 1..ratings.coders() {
            let table = ratings.pair_table(a, b);
            let shared = table.total() as usize;
            pairs.push((a, b, coefficient(&table, weights).ok(), shared));
        }
    }
    Ok(PairwiseMatrix { coders: ratings.coders(), pairs })
}
