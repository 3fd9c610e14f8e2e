//! Optimal one-to-one matching of annotated regions to gold regions.
//!
//! Gold scoring pairs every annotated box, polygon, keypoint or segment with at most one gold
//! region and vice versa. Greedy pairing (best pair first) can pair a region with the "wrong"
//! neighbour and leave a better total on the table, so scorers use the optimal assignment:
//! the Hungarian (Kuhn–Munkres) algorithm, O(n²·m) for an n × m matrix with n ≤ m.
//!
//! **Definition.** A pair `(row, col)` is *eligible* when its similarity is finite, at least the
//! threshold, and greater than zero (similarity 0 means "nothing in common", e.g. IoU 0, and is
//! never a match). [`match_pairs`] returns a set of eligible pairs, no row or column twice, that
//! maximises:
//! - [`Objective::MaxTotalSimilarity`]: the sum of similarities (gold scoring of boxes and
//!   polygons by IoU);
//! - [`Objective::MaxPairsThenSimilarity`]: the number of pairs, and among the largest sets the
//!   sum of similarities. This is what py-motmetrics' `linear_sum_assignment` with "expensive
//!   edges" does for CLEAR MOT and what sed_eval's optimal event matching (a maximum bipartite
//!   matching) does.
//!
//! Ties between equally good sets are broken deterministically but arbitrarily.
//!
//! Annotations are sparse: a box overlaps a handful of gold boxes, not all of them. The eligible
//! pairs are therefore split into connected components first and the Hungarian algorithm runs
//! on each component's small dense matrix, so 500 scattered boxes against 500 cost far less than
//! one 500 × 500 solve. The worst case (everything overlaps everything) is still O(n³).

use crate::order::{sort_by, sort_by_key, sort_unstable};

/// One pair of the optimal matching.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    pub row: usize,
    pub col: usize,
    pub similarity: f64,
}

/// What the matching maximises; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Objective {
    #[default]
    MaxTotalSimilarity,
    MaxPairsThenSimilarity,
}

/// The optimal matching of a dense `rows × cols` similarity matrix given as a function.
/// Every cell is evaluated once.
pub fn match_dense(
    rows: usize,
    cols: usize,
    mut similarity: impl FnMut(usize, usize) -> f64,
    threshold: f64,
    objective: Objective,
) -> Vec<Match> {
    let mut candidates = Vec::new();
    for row in 0..rows {
        for col in 0..cols {
            let s = similarity(row, col);
            if eligible(s, threshold) {
                candidates.push((row, col, s));
            }
        }
    }
    match_pairs(rows, cols, &candidates, threshold, objective)
}

/// The optimal matching over candidate pairs `(row, col, similarity)`; pairs not listed are not
/// eligible. Pairs with `row >= rows` or `col >= cols` are ignored; when a pair is listed twice
/// the higher similarity counts. The result is sorted by row.
pub fn match_pairs(
    rows: usize,
    cols: usize,
    candidates: &[(usize, usize, f64)],
    threshold: f64,
    objective: Objective,
) -> Vec<Match> {
    let mut edges: Vec<(usize, usize, f64)> =
        candidates.iter().copied().filter(|&(r, c, s)| r < rows && c < cols && eligible(s, threshold)).collect();
    sort_by(&mut edges, |a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.total_cmp(&a.2)));
    edges.dedup_by_key(|e| (e.0, e.1));

    // Connected components of the bipartite graph. Nodes are the rows and columns that have an
    // eligible pair (rows first, then columns), so memory follows the candidates, not `rows`
    // and `cols`.
    let mut row_ids: Vec<usize> = edges.iter().map(|e| e.0).collect();
    let mut col_ids: Vec<usize> = edges.iter().map(|e| e.1).collect();
    for ids in [&mut row_ids, &mut col_ids] {
        sort_unstable(ids);
        ids.dedup();
    }
    let node = |ids: &[usize], id: usize| ids.binary_search(&id).unwrap_or(0);
    let mut components = UnionFind::new(row_ids.len() + col_ids.len());
    for &(r, c, _) in &edges {
        components.union(node(&row_ids, r), row_ids.len() + node(&col_ids, c));
    }
    let mut by_component: Vec<(usize, usize, usize, f64)> =
        edges.iter().map(|&(r, c, s)| (components.find(node(&row_ids, r)), r, c, s)).collect();
    sort_by_key(&mut by_component, |e| (e.0, e.1, e.2));

    let mut matches = Vec::new();
    for group in by_component.chunk_by(|a, b| a.0 == b.0) {
        solve_component(group, objective, &mut matches);
    }
    sort_by_key(&mut matches, |m| (m.row, m.col));
    matches
}

fn eligible(similarity: f64, threshold: f64) -> bool {
    similarity.is_finite() && similarity > 0.0 && similarity >= threshold
}

/// Dense Hungarian on one component. Missing pairs get weight 0 and are dropped afterwards:
/// a zero-weight pair never changes the total, so dropping it keeps the set optimal.
fn solve_component(group: &[(usize, usize, usize, f64)], objective: Objective, out: &mut Vec<Match>) {
    let mut row_ids: Vec<usize> = group.iter().map(|e| e.1).collect();
    let mut col_ids: Vec<usize> = group.iter().map(|e| e.2).collect();
    sort_unstable(&mut row_ids);
    row_ids.dedup();
    sort_unstable(&mut col_ids);
    col_ids.dedup();
    if group.len() == 1 {
        let (_, row, col, similarity) = group[0];
        out.push(Match { row, col, similarity });
        return;
    }
    // Under MaxPairsThenSimilarity every pair is worth `bonus` more than its similarity, with
    // `bonus` larger than any achievable total: one more pair then always beats any gain in
    // similarity, and among equally many pairs the similarity decides.
    let bonus = match objective {
        Objective::MaxTotalSimilarity => 0.0,
        Objective::MaxPairsThenSimilarity => 1.0 + group.iter().map(|e| e.3).sum::<f64>(),
    };
    let transpose = row_ids.len() > col_ids.len();
    let (n, m) = if transpose { (col_ids.len(), row_ids.len()) } else { (row_ids.len(), col_ids.len()) };
    let mut weight = vec![0.0; n * m];
    let mut similarity = vec![f64::NAN; n * m];
    for &(_, r, c, s) in group {
        let (Ok(ri), Ok(ci)) = (row_ids.binary_search(&r), col_ids.binary_search(&c)) else {
            continue;
        };
        let (i, j) = if transpose { (ci, ri) } else { (ri, ci) };
        weight[i * m + j] = bonus + s;
        similarity[i * m + j] = s;
    }
    for (i, j) in hungarian_max(n, m, &weight) {
        let s = similarity[i * m + j];
        if s.is_nan() {
            continue;
        }
        let (ri, ci) = if transpose { (j, i) } else { (i, j) };
        out.push(Match { row: row_ids[ri], col: col_ids[ci], similarity: s });
    }
}

/// Maximum-weight assignment of every row of an `n × m` matrix (`n ≤ m`, row-major, finite
/// weights) to distinct columns. The shortest augmenting path formulation with potentials
/// (Kuhn–Munkres as in Jonker–Volgenant / e-maxx), minimising the negated weights.
fn hungarian_max(n: usize, m: usize, weight: &[f64]) -> Vec<(usize, usize)> {
    if n == 0 || n > m || weight.len() != n * m {
        return Vec::new();
    }
    let cost = |i: usize, j: usize| -weight[(i - 1) * m + (j - 1)];
    // 1-based: index 0 of `col_owner` is the virtual column the augmenting path starts from.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut col_owner = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        col_owner[0] = i;
        let mut j0 = 0;
        let mut min_v = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = col_owner[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let reduced = cost(i0, j) - u[i0] - v[j];
                if reduced < min_v[j] {
                    min_v[j] = reduced;
                    way[j] = j0;
                }
                if min_v[j] < delta {
                    delta = min_v[j];
                    j1 = j;
                }
            }
            // With n ≤ m and finite weights a free column always exists; stopping here keeps a
            // corrupted input (which cannot be built through the public API) from looping.
            if j1 == 0 {
                return Vec::new();
            }
            for j in 0..=m {
                if used[j] {
                    u[col_owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_v[j] -= delta;
                }
            }
            j0 = j1;
            if col_owner[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            col_owner[j0] = col_owner[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    (1..=m).filter(|&j| col_owner[j] != 0).map(|j| (col_owner[j] - 1, j - 1)).collect()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pairs(matches: &[Match]) -> Vec<(usize, usize)> {
        matches.iter().map(|m| (m.row, m.col)).collect()
    }

    #[test]
    fn greedy_would_lose_total_similarity() {
        // Greedy takes (0,0) = 0.9 first and is left with (1,1) = 0.1: total 1.0.
        // The optimum pairs crosswise: 0.8 + 0.7 = 1.5.
        let sim = [[0.9, 0.8], [0.7, 0.1]];
        let m = match_dense(2, 2, |r, c| sim[r][c], 0.0, Objective::MaxTotalSimilarity);
        assert_eq!(pairs(&m), [(0, 1), (1, 0)]);
    }

    #[test]
    fn pairs_below_threshold_stay_unmatched() {
        // With threshold 0.5 only (0,0) is eligible; (1,1) = 0.4 is left out even though
        // nothing else competes for it.
        let sim = [[0.9, 0.0], [0.0, 0.4]];
        let m = match_dense(2, 2, |r, c| sim[r][c], 0.5, Objective::MaxTotalSimilarity);
        assert_eq!(pairs(&m), [(0, 0)]);
    }

    #[test]
    fn more_pairs_can_beat_more_similarity() {
        // Max total: {(0,0)} = 1.0 beats the two-pair set {(0,1), (1,0)} = 0.4 + 0.55 = 0.95.
        // Max pairs: two pairs beat one, whatever the similarities.
        let sim = [[1.0, 0.4], [0.55, 0.0]];
        let total = match_dense(2, 2, |r, c| sim[r][c], 0.0, Objective::MaxTotalSimilarity);
        assert_eq!(pairs(&total), [(0, 0)]);
        let most = match_dense(2, 2, |r, c| sim[r][c], 0.0, Objective::MaxPairsThenSimilarity);
        assert_eq!(pairs(&most), [(0, 1), (1, 0)]);
    }

    #[test]
    fn rectangular_and_sparse_inputs() {
        // Three rows, one column: the best row wins.
        let m = match_dense(3, 1, |r, _| [0.2, 0.7, 0.5][r], 0.0, Objective::MaxTotalSimilarity);
        assert_eq!(pairs(&m), [(1, 0)]);
        // Out-of-range, NaN, infinite and duplicate candidates are ignored or merged.
        let candidates = [(0, 0, 0.3), (0, 0, 0.6), (5, 0, 1.0), (1, 1, f64::NAN), (1, 1, f64::INFINITY)];
        let m = match_pairs(2, 2, &candidates, 0.0, Objective::MaxTotalSimilarity);
        assert_eq!(m, [Match { row: 0, col: 0, similarity: 0.6 }]);
        assert!(match_pairs(0, 0, &[], 0.5, Objective::MaxTotalSimilarity).is_empty());
        // Memory follows the candidates, not the declared size.
        let m = match_pairs(usize::MAX, usize::MAX, &[(5, 7, 0.9)], 0.5, Objective::MaxTotalSimilarity);
        assert_eq!(m, [Match { row: 5, col: 7, similarity: 0.9 }]);
    }

    /// Best (pair count, total) over every one-to-one set of eligible pairs.
    fn brute_force(sim: &[Vec<f64>], cols: usize, threshold: f64) -> Vec<(usize, f64)> {
        fn go(
            sim: &[Vec<f64>],
            row: usize,
            used: &mut Vec<bool>,
            threshold: f64,
            count: usize,
            total: f64,
            out: &mut Vec<(usize, f64)>,
        ) {
            if row == sim.len() {
                out.push((count, total));
                return;
            }
            go(sim, row + 1, used, threshold, count, total, out);
            for c in 0..used.len() {
                let s = sim[row][c];
                if !used[c] && eligible(s, threshold) {
                    used[c] = true;
                    go(sim, row + 1, used, threshold, count + 1, total + s, out);
                    used[c] = false;
                }
            }
        }
        let mut out = Vec::new();
        go(sim, 0, &mut vec![false; cols], threshold, 0, 0.0, &mut out);
        out
    }

    fn cell() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => 0.0..1.0f64,
            1 => Just(0.0),
            1 => Just(0.5),
            1 => Just(f64::NAN),
            1 => Just(-0.3),
        ]
    }

    fn matrix() -> impl Strategy<Value = (usize, Vec<Vec<f64>>)> {
        (0..=6usize, 0..=6usize)
            .prop_flat_map(|(r, c)| (Just(c), proptest::collection::vec(proptest::collection::vec(cell(), c), r)))
    }

    proptest! {
        #[test]
        fn hungarian_is_optimal_against_brute_force((cols, sim) in matrix(), threshold in 0.0..0.6f64) {
            let rows = sim.len();
            let all = brute_force(&sim, cols, threshold);
            for objective in [Objective::MaxTotalSimilarity, Objective::MaxPairsThenSimilarity] {
                let got = match_dense(rows, cols, |r, c| sim[r][c], threshold, objective);
                // A valid one-to-one set of eligible pairs with the similarities reported.
                let mut seen_rows = vec![false; rows];
                let mut seen_cols = vec![false; cols];
                for m in &got {
                    prop_assert!(!seen_rows[m.row] && !seen_cols[m.col]);
                    seen_rows[m.row] = true;
                    seen_cols[m.col] = true;
                    prop_assert!(eligible(sim[m.row][m.col], threshold));
                    prop_assert_eq!(m.similarity.to_bits(), sim[m.row][m.col].to_bits());
                }
                let total: f64 = got.iter().map(|m| m.similarity).sum();
                match objective {
                    Objective::MaxTotalSimilarity => {
                        let best = all.iter().map(|a| a.1).fold(0.0, f64::max);
                        prop_assert!((total - best).abs() < 1e-9, "total {} vs brute force {}", total, best);
                    }
                    Objective::MaxPairsThenSimilarity => {
                        let most = all.iter().map(|a| a.0).max().unwrap_or(0);
                        let best = all.iter().filter(|a| a.0 == most).map(|a| a.1).fold(0.0, f64::max);
                        prop_assert_eq!(got.len(), most);
                        prop_assert!((total - best).abs() < 1e-9, "total {} vs brute force {}", total, best);
                    }
                }
            }
        }
    }
}
