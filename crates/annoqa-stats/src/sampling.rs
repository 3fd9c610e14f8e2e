//! How many items to inspect, and which: ISO 2859-1 / ANSI Z1.4 single sampling plans for
//! attributes, and seeded review samples (simple random, stratified, risk-weighted).

use serde::Serialize;

use crate::rng::Rng;
use crate::StatsError;

/// An inspection level of ISO 2859-1 Table 1: the general levels I–III (II is the default) and
/// the special levels S-1…S-4 for when only small samples are affordable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum InspectionLevel {
    S1,
    S2,
    S3,
    S4,
    I,
    II,
    III,
}

impl InspectionLevel {
    pub fn parse(text: &str) -> Option<InspectionLevel> {
        Some(match text.to_ascii_uppercase().as_str() {
            "S-1" | "S1" => InspectionLevel::S1,
            "S-2" | "S2" => InspectionLevel::S2,
            "S-3" | "S3" => InspectionLevel::S3,
            "S-4" | "S4" => InspectionLevel::S4,
            "I" | "1" => InspectionLevel::I,
            "II" | "2" => InspectionLevel::II,
            "III" | "3" => InspectionLevel::III,
            _ => return None,
        })
    }

    fn column(self) -> usize {
        self as usize
    }
}

/// The sample size code letters, in order of increasing sample size. `S` exists only in the
/// tightened table (Table 2-B), where the arrows below `R` point to it.
pub const CODE_LETTERS: [char; 17] =
    ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S'];

/// Sample size per code letter for normal and tightened inspection (Tables 2-A and 2-B; only
/// Table 2-B has the `S` row).
const SAMPLE_SIZES: [u64; 17] = [2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000, 3150];

/// Sample size per code letter for reduced inspection (Table 2-C): A, B and C all sample 2.
const REDUCED_SAMPLE_SIZES: [u64; 16] = [2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800];

/// The letter index of `S`, the tightened table's extra row.
const LETTER_S: usize = 16;

/// ISO 2859-1 Table 1 (= ANSI/ASQ Z1.4 Table I): upper lot-size bound of each row and the code
/// letter (index into [`CODE_LETTERS`]) for S-1, S-2, S-3, S-4, I, II, III.
const CODE_LETTER_TABLE: [(u64, [u8; 7]); 15] = {
    const A: u8 = 0;
    const B: u8 = 1;
    const C: u8 = 2;
    const D: u8 = 3;
    const E: u8 = 4;
    const F: u8 = 5;
    const G: u8 = 6;
    const H: u8 = 7;
    const J: u8 = 8;
    const K: u8 = 9;
    const L: u8 = 10;
    const M: u8 = 11;
    const N: u8 = 12;
    const P: u8 = 13;
    const Q: u8 = 14;
    const R: u8 = 15;
    [
        (8, [A, A, A, A, A, A, B]),
        (15, [A, A, A, A, A, B, C]),
        (25, [A, A, B, B, B, C, D]),
        (50, [A, B, B, C, C, D, E]),
        (90, [B, B, C, C, C, E, F]),
        (150, [B, B, C, D, D, F, G]),
        (280, [B, C, D, E, E, G, H]),
        (500, [B, C, D, E, F, H, J]),
        (1_200, [C, C, E, F, G, J, K]),
        (3_200, [C, D, E, G, H, K, L]),
        (10_000, [C, D, F, G, J, L, M]),
        (35_000, [C, D, F, H, K, M, N]),
        (150_000, [D, E, G, J, L, N, P]),
        (500_000, [D, E, G, J, M, P, Q]),
        (u64::MAX, [D, E, H, K, N, Q, R]),
    ]
};

/// The sample size code letter (index into [`CODE_LETTERS`]) for a lot.
pub fn code_letter(lot_size: u64, level: InspectionLevel) -> Result<usize, StatsError> {
    if lot_size < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "lot size {lot_size} is below the smallest lot in the table (2)"
        )));
    }
    // The last row's bound is u64::MAX, so a row is always found; the fallback keeps this
    // panic-free regardless.
    let row = CODE_LETTER_TABLE.iter().find(|(max, _)| lot_size <= *max).unwrap_or(&CODE_LETTER_TABLE[14]);
    Ok(usize::from(row.1[level.column()]))
}

/// The standard AQL values (percent nonconforming) of Table 2-A, 0.010 to 10.
pub const AQLS: [f64; 16] =
    [0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0];

/// Normal inspection (Table 2-A): acceptance and rejection numbers along the diagonals after
/// the 0/1 plan.
const NORMAL_SERIES: [(u32, u32); 8] = [(1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (10, 11), (14, 15), (21, 22)];

/// Tightened inspection (Table 2-B): the diagonals after its 0/1 plan and the two arrows below it.
const TIGHTENED_SERIES: [(u32, u32); 7] = [(1, 2), (2, 3), (3, 4), (5, 6), (8, 9), (12, 13), (18, 19)];

/// Reduced inspection (ANSI/ASQ Z1.4-2008 and MIL-STD-105E Table II-C): the plans that take the
/// place of [`NORMAL_SERIES`], cell for cell. From 0/2 on, Re exceeds Ac by more than one.
const REDUCED_SERIES: [(u32, u32); 8] = [(0, 2), (1, 3), (1, 4), (2, 5), (3, 6), (5, 8), (7, 10), (10, 13)];

/// Reduced inspection (ISO 2859-1:1999 Table 2-C): the diagonals after its 0/1 plan and the
/// arrows between. Every plan has Re = Ac + 1.
const ISO_REDUCED_SERIES: [(u32, u32); 7] = [(1, 2), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (10, 11)];

/// The standard whose master tables a plan is read from. Normal and tightened inspection are the
/// same in both; they differ only in the reduced inspection table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Standard {
    /// ANSI/ASQ Z1.4-2008: reduced inspection from Table II-C (identical to MIL-STD-105E and
    /// ISO 2859-1:1989), whose plans may have Re > Ac + 1.
    AnsiZ14,
    /// ISO 2859-1:1999: reduced inspection from Table 2-C, whose plans all have Re = Ac + 1.
    Iso2859_1,
}

/// The kind of inspection the switching rules currently call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Inspection {
    Normal,
    Tightened,
    Reduced,
}

/// A single sampling plan: inspect `sample_size` items; accept the lot with at most
/// `accept` nonconforming items, reject it with `reject` or more.
///
/// Under ANSI/ASQ Z1.4-2008 reduced inspection (MIL-STD-105E Table II-C) `reject` may exceed
/// `accept + 1`: a count strictly between the two accepts the lot, but normal inspection is
/// reinstated from the next lot on ([`SamplingPlan::reinstates_normal`]). ISO 2859-1:1999's
/// reduced plans have no such gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SamplingPlan {
    /// The code letter from Table 1.
    pub code_letter: char,
    /// The code letter whose plan applies after following the table's arrows. Its sample size
    /// may differ from the code letter's.
    pub plan_letter: char,
    pub sample_size: u64,
    pub accept: u32,
    pub reject: u32,
    /// The sample is at least the lot: inspect every item (the standard's rule).
    pub inspect_all: bool,
}

impl SamplingPlan {
    /// Whether `nonconforming` items in the sample accept the lot but end reduced inspection
    /// (only possible in the gap `accept < nonconforming < reject` of a reduced plan).
    pub fn reinstates_normal(&self, nonconforming: u32) -> bool {
        self.accept < nonconforming && nonconforming < self.reject
    }
}

/// What one cell of a master table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Plan(u32, u32),
    /// Use the first plan below the arrow (a larger sample).
    Down,
    /// Use the first plan above the arrow (a smaller sample).
    Up,
}

/// How a master table answers "what is in row `letter`, AQL column `aql`".
type CellLookup = fn(usize, usize) -> Cell;

/// The diagonal a cell lies on: `letter + aql − 14` with letters A = 0 … S = 16 and AQLs
/// 0.010 = 0 … 10 = 15. Every master table is constant along these diagonals (apart from the
/// edge cases noted at each table), which is how the tables are printed: moving one AQL to the
/// right is worth one sample size step down.
fn diagonal(letter: usize, aql: usize) -> i64 {
    letter as i64 + aql as i64 - 14
}

/// Table 2-A, normal inspection, for AQLs up to 10 % nonconforming: `d < 0` is ↓, `d = 0` is
/// 0/1, `d = 1` is ↑, `d = 2` is ↓, `d = 3 … 10` run 1/2, 2/3, 3/4, 5/6, 7/8, 10/11, 14/15,
/// 21/22 and `d > 10` is ↑. This reproduces the cells transcribed from the published table (see
/// the tests).
fn normal_cell(letter: usize, aql: usize) -> Cell {
    match diagonal(letter, aql) {
        ..=-1 => Cell::Down,
        0 => Cell::Plan(0, 1),
        // The published table prints ↑ at row A, AQL 10, though no plan lies above it. We read
        // it as the nearest plan in that column, C's 1/2 (n = 5), rather than borrowing A's
        // 0/1 from the AQL 6.5 column, which would be far stricter than an AQL of 10 asks.
        1 if letter == 0 => Cell::Down,
        1 => Cell::Up,
        2 => Cell::Down,
        d @ 3..=10 => {
            let (ac, re) = NORMAL_SERIES[(d - 3) as usize];
            Cell::Plan(ac, re)
        }
        _ => Cell::Up,
    }
}

/// Table 2-B, tightened inspection: the 0/1 plans sit one diagonal later than in Table 2-A
/// (`d = 1`), followed by a two-cell ↓ (`d = 2, 3`), then 1/2, 2/3, 3/4, 5/6, 8/9, 12/13, 18/19
/// (`d = 4 … 10`) and ↑ beyond. Row A has no plan up to AQL 10: its `d = 1` cell is ↓ (to D's
/// 1/2). Row S (n = 3150) holds only 1/2, the plan the arrows below row R point to.
fn tightened_cell(letter: usize, aql: usize) -> Cell {
    if letter == LETTER_S {
        return Cell::Plan(1, 2);
    }
    match diagonal(letter, aql) {
        ..=0 => Cell::Down,
        1 if letter == 0 => Cell::Down,
        1 => Cell::Plan(0, 1),
        2 | 3 => Cell::Down,
        d @ 4..=10 => {
            let (ac, re) = TIGHTENED_SERIES[(d - 4) as usize];
            Cell::Plan(ac, re)
        }
        _ => Cell::Up,
    }
}

/// Table II-C, reduced inspection (ANSI/ASQ Z1.4-2008 = MIL-STD-105E): the arrows of Table 2-A
/// in the same cells, and in place of its plans 0/1, 0/2, 1/3, 1/4, 2/5, 3/6, 5/8, 7/10, 10/13
/// with the reduced sample sizes.
fn reduced_cell(letter: usize, aql: usize) -> Cell {
    match normal_cell(letter, aql) {
        Cell::Plan(0, 1) => Cell::Plan(0, 1),
        Cell::Plan(ac, re) => {
            let position = NORMAL_SERIES.iter().position(|&p| p == (ac, re)).unwrap_or(0);
            let (ac, re) = REDUCED_SERIES[position];
            Cell::Plan(ac, re)
        }
        arrow => arrow,
    }
}

/// Table 2-C, reduced inspection (ISO 2859-1:1999): `d < 0` is ↓, `d = 0` is 0/1, `d = 1, 2`
/// are ↑, `d = 3` is ↓, `d = 4 … 10` run 1/2, 2/3, 3/4, 5/6, 6/7, 8/9, 10/11 and `d > 10` is ↑.
fn iso_reduced_cell(letter: usize, aql: usize) -> Cell {
    match diagonal(letter, aql) {
        ..=-1 => Cell::Down,
        0 => Cell::Plan(0, 1),
        // The ↑ at d = 1, 2 leads to the 0/1 plan `d` rows up. At AQL 10, rows A (d = 1) and B
        // (d = 2), that row would lie above row A. As for row A in Table 2-A, we read these
        // cells as ↓, to the nearest plan in their column, D's 1/2 (n = 3), rather than borrow
        // a 0/1 plan from a stricter AQL column.
        d @ (1 | 2) if (letter as i64) < d => Cell::Down,
        1 | 2 => Cell::Up,
        3 => Cell::Down,
        d @ 4..=10 => {
            let (ac, re) = ISO_REDUCED_SERIES[(d - 4) as usize];
            Cell::Plan(ac, re)
        }
        _ => Cell::Up,
    }
}

/// The single sampling plan for a lot, following the master table's arrows: an arrow means "use
/// the first plan in the arrow's direction", sample size and acceptance numbers both, so the
/// plan's letter (and n) may differ from the lot's code letter.
///
/// Tables: normal ISO 2859-1 Table 2-A; tightened Table 2-B; reduced ANSI/ASQ Z1.4-2008 Table
/// II-C (identical to MIL-STD-105E and ISO 2859-1:1989 Table II-C), whose plans keep the gap
/// between Ac and Re (see [`SamplingPlan`]). [`single_sampling_plan_in`] chooses the standard.
pub fn single_sampling_plan(
    lot_size: u64,
    aql: f64,
    level: InspectionLevel,
    inspection: Inspection,
) -> Result<SamplingPlan, StatsError> {
    single_sampling_plan_in(Standard::AnsiZ14, lot_size, aql, level, inspection)
}

/// [`single_sampling_plan`] from the master tables of `standard`: the plan differs only under
/// reduced inspection, where ISO 2859-1:1999 Table 2-C replaces Z1.4's Table II-C.
pub fn single_sampling_plan_in(
    standard: Standard,
    lot_size: u64,
    aql: f64,
    level: InspectionLevel,
    inspection: Inspection,
) -> Result<SamplingPlan, StatsError> {
    let aql_index = AQLS.iter().position(|a| (a - aql).abs() < 1e-9).ok_or_else(|| {
        StatsError::InvalidArgument(format!(
            "AQL {aql} is not one of the standard values for percent nonconforming: {}",
            AQLS.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let letter = code_letter(lot_size, level)?;
    let (cell, rows): (CellLookup, &[u64]) = match (inspection, standard) {
        (Inspection::Normal, _) => (normal_cell, &SAMPLE_SIZES[..LETTER_S]),
        (Inspection::Tightened, _) => (tightened_cell, &SAMPLE_SIZES),
        (Inspection::Reduced, Standard::AnsiZ14) => (reduced_cell, &REDUCED_SAMPLE_SIZES),
        (Inspection::Reduced, Standard::Iso2859_1) => (iso_reduced_cell, &REDUCED_SAMPLE_SIZES),
    };
    // An arrow means the first plan in its direction: the arrows passed on the way do not
    // redirect it. Reading it so also guarantees the walk ends, whatever a table's edge cells say.
    let mut row = letter;
    let mut direction = None;
    let (accept, reject) = loop {
        let here = cell(row, aql_index);
        if let Cell::Plan(ac, re) = here {
            break (ac, re);
        }
        // Row R is the last of Tables 2-A and 2-C: where the diagonals would put ↓ in it (AQL
        // 0.015 in 2-A and II-C, 0.025 in ISO Table 2-C) the printed tables point ↑ instead, to
        // the 0/1 plan above, as in a cell-by-cell transcription of ISO 2859-1's tables.
        let here = if here == Cell::Down && row + 1 == rows.len() { Cell::Up } else { here };
        match *direction.get_or_insert(here) {
            Cell::Down if row + 1 < rows.len() => row += 1,
            Cell::Up if row > 0 => row -= 1,
            // An arrow past the top of the table, which no table prints (row A's ↑ cells are
            // read as ↓ above); kept as an error rather than a panic.
            _ => {
                return Err(StatsError::InvalidArgument(format!(
                    "the {} inspection table has no plan for code letter {} at AQL {aql}; choose another AQL or inspection level",
                    match inspection {
                        Inspection::Normal => "normal",
                        Inspection::Tightened => "tightened",
                        Inspection::Reduced => "reduced",
                    },
                    CODE_LETTERS[letter]
                )))
            }
        }
    };
    let sample_size = rows[row];
    Ok(SamplingPlan {
        code_letter: CODE_LETTERS[letter],
        plan_letter: CODE_LETTERS[row],
        sample_size: sample_size.min(lot_size),
        accept,
        reject,
        inspect_all: sample_size >= lot_size,
    })
}

/// `k` distinct indices out of `0..n`, uniformly, in the order drawn (partial Fisher–Yates).
pub fn random_sample(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let k = k.min(n);
    let mut rng = Rng::seed_from_u64(seed);
    let mut pool: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + rng.below((n - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

/// A sample of `k` items split over strata (annotator, label, vendor…) in proportion to their
/// sizes, largest remainders first; every non-empty stratum gets at least one item while `k`
/// allows. `strata[i]` is item `i`'s stratum. Returns sorted item indices.
pub fn stratified_sample(strata: &[u32], k: usize, seed: u64) -> Vec<usize> {
    let n = strata.len();
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    let groups = strata.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    for (i, &s) in strata.iter().enumerate() {
        members[s as usize].push(i);
    }
    let non_empty: Vec<usize> = (0..groups).filter(|&g| !members[g].is_empty()).collect();
    let mut quota = vec![0usize; groups];
    if k >= non_empty.len() {
        // One each first, then the rest by proportional allocation of what remains.
        for &g in &non_empty {
            quota[g] = 1;
        }
        let rest = k - non_empty.len();
        let capacity: Vec<usize> = (0..groups).map(|g| members[g].len() - quota[g]).collect();
        allocate(&mut quota, &capacity, rest);
    } else {
        // Fewer items than strata: the largest strata get one each (ties by stratum index).
        let mut by_size = non_empty.clone();
        by_size.sort_by_key(|&g| std::cmp::Reverse(members[g].len()));
        for &g in by_size.iter().take(k) {
            quota[g] = 1;
        }
    }
    let mut sample = Vec::with_capacity(k);
    for (g, items) in members.iter().enumerate() {
        for pick in random_sample(items.len(), quota[g], seed ^ (g as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) {
            sample.push(items[pick]);
        }
    }
    sample.sort_unstable();
    sample
}

/// Adds `extra` to `quota` in proportion to `capacity` (Hamilton's largest-remainder method),
/// never giving a group more than its capacity.
fn allocate(quota: &mut [usize], capacity: &[usize], extra: usize) {
    let total: usize = capacity.iter().sum();
    let extra = extra.min(total);
    if extra == 0 {
        return;
    }
    let mut added = vec![0usize; capacity.len()];
    let mut remainders = Vec::with_capacity(capacity.len());
    for (g, &c) in capacity.iter().enumerate() {
        let exact = extra as f64 * c as f64 / total as f64;
        added[g] = (exact.floor() as usize).min(c);
        remainders.push((exact - added[g] as f64, g));
    }
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut left = extra - added.iter().sum::<usize>();
    // Terminates: `extra` never exceeds the total capacity.
    while left > 0 {
        for &(_, g) in &remainders {
            if left > 0 && added[g] < capacity[g] {
                added[g] += 1;
                left -= 1;
            }
        }
    }
    for (q, a) in quota.iter_mut().zip(added) {
        *q += a;
    }
}

/// `k` distinct items drawn with probability proportional to `risk` (for example low agreement
/// or a new annotator), by Efraimidis & Spirakis' (2006) keys `u^(1/w)`. Items with zero risk
/// are drawn only after every item with positive risk. Returns item indices, highest key first.
pub fn risk_weighted_sample(risk: &[f64], k: usize, seed: u64) -> Result<Vec<usize>, StatsError> {
    if let Some(bad) = risk.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
        return Err(StatsError::InvalidArgument(format!("risk {bad} is not a non-negative number")));
    }
    let mut rng = Rng::seed_from_u64(seed);
    // Keys compared in log space: ln(u) / w, larger is better; zero weights sort last.
    let mut keyed: Vec<(f64, usize)> = risk
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let u = 1.0 - rng.next_f64(); // (0, 1]
            let key = if w > 0.0 { u.ln() / w } else { f64::NEG_INFINITY };
            (key, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(keyed.into_iter().take(k.min(risk.len())).map(|(_, i)| i).collect())
}
