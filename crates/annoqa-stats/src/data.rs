//! The shapes reliability data comes in: coder-by-unit ratings, unit-by-category counts and
//! two-coder contingency tables, plus agreement weights.

use serde::Serialize;

use crate::StatsError;

/// The cell value of a missing rating in [`Ratings`].
const MISSING: u32 = u32::MAX;

// [`crate::csv::LongTable`] hands its cells over as they are: a pair without a label must be a
// missing rating.
const _: () = assert!(MISSING == crate::csv::NO_LABEL);

/// Reliability data in Krippendorff's canonical form: for every unit, the category each coder
/// assigned, or nothing. Stored unit-major in one flat vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratings {
    units: usize,
    coders: usize,
    categories: usize,
    cells: Vec<u32>,
}

impl Ratings {
    /// `units` × `coders` ratings, all missing.
    pub fn new(units: usize, coders: usize, categories: usize) -> Ratings {
        Ratings { units, coders, categories, cells: vec![MISSING; units * coders] }
    }

    /// `units` × `coders` cells, unit-major, each a category below `categories` or
    /// [`MISSING`]: the table [`crate::csv::LongTable`] fills as it reads a file, which checks
    /// its categories once per label rather than here once per cell.
    pub(crate) fn from_cells(units: usize, coders: usize, categories: usize, cells: Vec<u32>) -> Ratings {
        debug_assert_eq!(cells.len(), units * coders);
        debug_assert!(cells.iter().all(|&c| c == MISSING || (c as usize) < categories));
        Ratings { units, coders, categories, cells }
    }

    /// One row per unit, one entry per coder.
    pub fn from_rows<R: AsRef<[Option<u32>]>>(categories: usize, rows: &[R]) -> Result<Ratings, StatsError> {
        let coders = rows.first().map_or(0, |r| r.as_ref().len());
        let mut ratings = Ratings::new(rows.len(), coders, categories);
        for (unit, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != coders {
                return Err(StatsError::WrongLength { expected: coders, got: row.len() });
            }
            for (coder, &value) in row.iter().enumerate() {
                ratings.set(unit, coder, value)?;
            }
        }
        Ok(ratings)
    }

    pub fn units(&self) -> usize {
        self.units
    }

    pub fn coders(&self) -> usize {
        self.coders
    }

    pub fn categories(&self) -> usize {
        self.categories
    }

    pub fn set(&mut self, unit: usize, coder: usize, category: Option<u32>) -> Result<(), StatsError> {
        let value = match category {
            Some(c) if c as usize >= self.categories => {
                return Err(StatsError::CategoryOutOfRange { category: c, categories: self.categories })
            }
            Some(c) => c,
            None => MISSING,
        };
        self.cells[unit * self.coders + coder] = value;
        Ok(())
    }

    pub fn get(&self, unit: usize, coder: usize) -> Option<u32> {
        let value = self.cells[unit * self.coders + coder];
        (value != MISSING).then_some(value)
    }

    /// How many coders chose each category, per unit. Coder identity is dropped, which is all
    /// Fleiss' κ, Gwet's AC, Brennan–Prediger and Krippendorff's α need.
    pub fn counts(&self) -> Counts {
        /// Independent partial histograms per unit. Neighbouring coders mostly agree, so with a
        /// single histogram each increment waits for the previous one to the same slot.
        const LANES: usize = 4;
        let k = self.categories;
        let mut cells = vec![0u32; self.units * k];
        if k > 0 && k < 8 && self.coders > 0 && self.coders < 256 {
            // The common case (a few labels, fewer than 256 coders): each unit's histogram,
            // missing slot included, fits in the bytes of one u64 held in a register, so
            // counting is one shift and add per rating with no memory traffic.
            for (row, ratings) in cells.chunks_exact_mut(k).zip(self.cells.chunks_exact(self.coders)) {
                let mut packed = 0u64;
                for &value in ratings {
                    packed += 1u64 << (8 * (value as usize).min(k));
                }
                for (c, slot) in row.iter_mut().enumerate() {
                    *slot = ((packed >> (8 * c)) & 0xff) as u32;
                }
            }
        } else if k > 0 && self.coders > 0 {
            // Missing ratings are counted in a spare slot past the last category instead of
            // being skipped: with ratings missing at random, a branch would mispredict often.
            let width = k + 1;
            let mut scratch = vec![0u32; LANES * width];
            for (row, ratings) in cells.chunks_exact_mut(k).zip(self.cells.chunks_exact(self.coders)) {
                scratch.iter_mut().for_each(|n| *n = 0);
                for (i, &value) in ratings.iter().enumerate() {
                    scratch[(i % LANES) * width + (value as usize).min(k)] += 1;
                }
                for (c, slot) in row.iter_mut().enumerate() {
                    *slot = (0..LANES).map(|lane| scratch[lane * width + c]).sum();
                }
            }
        }
        Counts { categories: k, cells }
    }

    /// The contingency table of coders `a` (rows) and `b` (columns) over the units both rated.
    pub fn pair_table(&self, a: usize, b: usize) -> ContingencyTable {
        let mut table = ContingencyTable::new(self.categories);
        for unit in 0..self.units {
            if let (Some(x), Some(y)) = (self.get(unit, a), self.get(unit, b)) {
                table.add(x, y, 1.0);
            }
        }
        table
    }
}

/// For every unit, how many ratings fell in each category ("Fleiss form"). Units may have
/// different numbers of ratings, including zero or one.
#[derive(Clone, Debug, PartialEq)]
pub struct Counts {
    categories: usize,
    cells: Vec<u32>,
}

impl Counts {
    pub fn new(categories: usize) -> Counts {
        Counts { categories, cells: Vec::new() }
    }

    /// Counts made elsewhere in the crate: `cells` holds one row of `categories` counts per
    /// unit ([`crate::csv::LongTable::into_counts`]).
    pub(crate) fn from_cells(categories: usize, cells: Vec<u32>) -> Counts {
        debug_assert!(categories == 0 || cells.len() % categories == 0);
        Counts { categories, cells }
    }

    pub fn from_rows<R: AsRef<[u32]>>(categories: usize, rows: &[R]) -> Result<Counts, StatsError> {
        let mut counts = Counts::new(categories);
        for row in rows {
            counts.push_unit(row.as_ref())?;
        }
        Ok(counts)
    }

    /// Treats every cell of a two-coder table as that many units with two ratings each.
    pub fn from_table(table: &ContingencyTable) -> Result<Counts, StatsError> {
        let k = table.categories();
        let mut counts = Counts::new(k);
        let mut row = vec![0u32; k];
        for a in 0..k {
            for b in 0..k {
                let n = table.get(a, b);
                if n.fract() != 0.0 || n < 0.0 {
                    return Err(StatsError::InvalidArgument(format!(
                        "cell ({a}, {b}) holds {n}, not a whole number of units"
                    )));
                }
                row.iter_mut().for_each(|x| *x = 0);
                row[a] += 1;
                row[b] += 1;
                for _ in 0..n as u64 {
                    counts.push_unit(&row)?;
                }
            }
        }
        Ok(counts)
    }

    pub fn push_unit(&mut self, row: &[u32]) -> Result<(), StatsError> {
        if row.len() != self.categories {
            return Err(StatsError::WrongLength { expected: self.categories, got: row.len() });
        }
        self.cells.extend_from_slice(row);
        Ok(())
    }

    pub fn categories(&self) -> usize {
        self.categories
    }

    pub fn units(&self) -> usize {
        self.cells.len().checked_div(self.categories).unwrap_or(0)
    }

    pub fn unit(&self, unit: usize) -> &[u32] {
        &self.cells[unit * self.categories..(unit + 1) * self.categories]
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.cells.chunks_exact(self.categories.max(1))
    }

    /// The same units seen as "category `c`" versus "anything else", for per-label agreement.
    pub fn one_vs_rest(&self, category: usize) -> Counts {
        let mut binary = Counts::new(2);
        for row in self.iter() {
            let total: u32 = row.iter().sum();
            binary.cells.extend_from_slice(&[row[category], total - row[category]]);
        }
        binary
    }
}

/// A square table of how often coder A chose row category `a` while coder B chose column
/// category `b`. Cells are `f64` so tables published as proportions can be used directly.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContingencyTable {
    categories: usize,
    cells: Vec<f64>,
}

impl ContingencyTable {
    pub fn new(categories: usize) -> ContingencyTable {
        ContingencyTable { categories, cells: vec![0.0; categories * categories] }
    }

    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<ContingencyTable, StatsError> {
        let k = rows.len();
        let mut table = ContingencyTable::new(k);
        for (a, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != k {
                return Err(StatsError::WrongLength { expected: k, got: row.len() });
            }
            table.cells[a * k..(a + 1) * k].copy_from_slice(row);
        }
        Ok(table)
    }

    /// The table of paired labels `(a, b)`.
    pub fn from_pairs(
        categories: usize,
        pairs: impl IntoIterator<Item = (u32, u32)>,
    ) -> Result<ContingencyTable, StatsError> {
        let mut table = ContingencyTable::new(categories);
        for (a, b) in pairs {
            for c in [a, b] {
                if c as usize >= categories {
                    return Err(StatsError::CategoryOutOfRange { category: c, categories });
                }
            }
            table.add(a, b, 1.0);
        }
        Ok(table)
    }

    pub fn categories(&self) -> usize {
        self.categories
    }

    pub fn get(&self, a: usize, b: usize) -> f64 {
        self.cells[a * self.categories + b]
    }

    pub fn add(&mut self, a: u32, b: u32, n: f64) {
        self.cells[a as usize * self.categories + b as usize] += n;
    }

    pub fn total(&self) -> f64 {
        self.cells.iter().sum()
    }
}

/// Agreement weights: how much credit a pair of categories earns (1 on the diagonal).
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// Only identical categories agree: the unweighted coefficients.
    Identity,
    /// `1 - |x_a - x_b| / (max - min)`.
    Linear,
    /// `1 - (x_a - x_b)² / (max - min)²`.
    Quadratic,
    /// A full `k × k` matrix, row-major, with agreement weights in `[0, 1]`.
    Custom(Vec<f64>),
}

impl Weights {
    /// The `k × k` weight matrix for categories whose numeric values are `scores` (for most
    /// uses the positions `0, 1, …, k-1`).
    pub fn matrix(&self, scores: &[f64]) -> Result<Vec<f64>, StatsError> {
        let k = scores.len();
        let range = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - scores.iter().copied().fold(f64::INFINITY, f64::min);
        let scaled = |a: usize, b: usize| {
            if range > 0.0 {
                (scores[a] - scores[b]).abs() / range
            } else {
                0.0
            }
        };
        let mut w = vec![0.0; k * k];
        match self {
            Weights::Custom(m) => {
                if m.len() != k * k {
                    return Err(StatsError::WrongLength { expected: k * k, got: m.len() });
                }
                if let Some(bad) = m.iter().find(|x| !(0.0..=1.0).contains(*x)) {
                    return Err(StatsError::InvalidArgument(format!("weight {bad} is outside [0, 1]")));
                }
                w.copy_from_slice(m);
            }
            _ => {
                for a in 0..k {
                    for b in 0..k {
                        w[a * k + b] = match self {
                            Weights::Identity => f64::from(u8::from(a == b)),
                            Weights::Linear => 1.0 - scaled(a, b),
                            Weights::Quadratic => 1.0 - scaled(a, b).powi(2),
                            Weights::Custom(_) => unreachable!("handled above"),
                        };
                    }
                }
            }
        }
        Ok(w)
    }

    /// The matrix for categories at positions `0, 1, …, k-1`.
    pub fn matrix_for(&self, categories: usize) -> Result<Vec<f64>, StatsError> {
        let scores: Vec<f64> = (0..categories).map(|c| c as f64).collect();
        self.matrix(&scores)
    }
}
