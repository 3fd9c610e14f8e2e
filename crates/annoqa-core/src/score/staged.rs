//! The one matcher that pairs annotated regions with gold (or one annotator's regions with
//! another's) for every region kind, in stages:
//! 1. same label and within tolerance → matched,
//! 2. within tolerance but another label → wrong label,
//! 3. same label, overlapping but outside tolerance → low overlap / boundary off,
//! 4. what is left → missed (gold side) and extra (annotation side).
//!
//! Each stage is an optimal assignment (Hungarian, [`crate::matching`]) among what earlier
//! stages left. Candidates are the pairs with a positive similarity, found without comparing
//! all pairs where the kind allows: a 1-D sweep for spans and time ranges, a grid for boxes.

use crate::geometry::box_iou;
use crate::intervals::box_overlaps;
use crate::matching::{match_pairs, Objective};
use crate::order::{sort_by_key, sort_indices};
use crate::BoxGeometry;

/// Which stage paired two regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Matched,
    WrongLabel,
    Low,
}

/// A gold region (by index) paired with an annotated one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pairing {
    pub gold: usize,
    pub mine: usize,
    pub stage: Stage,
    pub similarity: f64,
}

/// The outcome of [`staged_match`]: pairs sorted by gold index, then the unpaired indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Staged {
    pub pairs: Vec<Pairing>,
    pub missed: Vec<usize>,
    pub extra: Vec<usize>,
}

impl Staged {
    /// How many pairs stage 1 made (same label, within tolerance).
    pub fn matched(&self) -> usize {
        self.pairs.iter().filter(|p| p.stage == Stage::Matched).count()
    }

    /// Mean similarity of the stage-1 pairs (0 without any).
    pub fn mean_matched_similarity(&self) -> f64 {
        let (count, sum) = self
            .pairs
            .iter()
            .filter(|p| p.stage == Stage::Matched)
            .fold((0usize, 0.0), |(n, s), p| (n + 1, s + p.similarity));
        if count == 0 {
            0.0
        } else {
            sum / count as f64
        }
    }
}

/// A candidate pair: (gold index, annotation index, similarity > 0).
pub type Candidate = (usize, usize, f64);

/// The staged matching described in the module documentation over `candidates`. `accept`
/// says whether a pair is within tolerance; `first_objective` is what stage 1 maximises (the
/// later stages maximise total similarity).
pub fn staged_match<L: PartialEq>(
    gold_labels: &[L],
    mine_labels: &[L],
    candidates: Vec<Candidate>,
    accept: impl Fn(usize, usize, f64) -> bool,
    first_objective: Objective,
) -> Staged {
    let (n, m) = (gold_labels.len(), mine_labels.len());
    let cells: Vec<Cell> = candidates
        .into_iter()
        .filter(|&(g, k, s)| g < n && k < m && s.is_finite() && s > 0.0)
        .map(|(g, k, s)| Cell {
            gold: g,
            mine: k,
            similarity: s,
            ok: accept(g, k, s),
            same: gold_labels[g] == mine_labels[k],
        })
        .collect();
    stages(n, m, &cells, first_objective)
}

/// A candidate pair as [`stages`] sees it: within tolerance (`ok`) and with the same label
/// (`same`), both judged once by [`staged_match`].
struct Cell {
    gold: usize,
    mine: usize,
    similarity: f64,
    ok: bool,
    same: bool,
}

/// The stages of [`staged_match`] once its labels and tolerance are judged. Not generic: one
/// copy serves every region kind (five copies were 20 KB of the npm module).
fn stages(n: usize, m: usize, cells: &[Cell], first_objective: Objective) -> Staged {
    let mut gold_used = vec![false; n];
    let mut mine_used = vec![false; m];
    let mut pairs = Vec::new();
    for stage in [Stage::Matched, Stage::WrongLabel, Stage::Low] {
        let eligible: Vec<Candidate> = cells
            .iter()
            .filter(|c| {
                !gold_used[c.gold]
                    && !mine_used[c.mine]
                    && match stage {
                        Stage::Matched => c.ok && c.same,
                        Stage::WrongLabel => c.ok && !c.same,
                        Stage::Low => !c.ok && c.same,
                    }
            })
            .map(|c| (c.gold, c.mine, c.similarity))
            .collect();
        let objective = if stage == Stage::Matched { first_objective } else { Objective::MaxTotalSimilarity };
        for found in match_pairs(n, m, &eligible, f64::MIN_POSITIVE, objective) {
            gold_used[found.row] = true;
            mine_used[found.col] = true;
            pairs.push(Pairing { gold: found.row, mine: found.col, stage, similarity: found.similarity });
        }
    }
    sort_by_key(&mut pairs, |p| p.gold);
    Staged {
        pairs,
        missed: (0..n).filter(|g| !gold_used[*g]).collect(),
        extra: (0..m).filter(|k| !mine_used[*k]).collect(),
    }
}

/// Every (gold, annotation) pair with a positive similarity, evaluating all n × m pairs: for
/// kinds whose similarity is not an overlap (keypoints, collar-matched audio) or is rare
/// (polygons, few per item).
pub fn dense_candidates(n: usize, m: usize, similarity: impl Fn(usize, usize) -> f64) -> Vec<Candidate> {
    let mut pairs = Vec::new();
    for g in 0..n {
        for k in 0..m {
            let s = similarity(g, k);
            if s.is_finite() && s > 0.0 {
                pairs.push((g, k, s));
            }
        }
    }
    pairs
}

/// Every (gold, annotation) pair of boxes that overlap, with its IoU, from the grid search of
/// [`box_overlaps`] over both lists at once. The `u32` is a group (a video frame): boxes of
/// different groups never pair. 500 boxes against 500 cost about the overlapping pairs, not
/// 250,000 IoUs.
pub fn box_candidates(gold: &[(u32, BoxGeometry)], mine: &[(u32, BoxGeometry)]) -> Vec<Candidate> {
    let all: Vec<(u32, BoxGeometry)> = gold.iter().chain(mine).copied().collect();
    let n = gold.len();
    box_overlaps(&all, f64::MIN_POSITIVE)
        .into_iter()
        .filter(|o| o.first < n && o.second >= n)
        .map(|o| {
            debug_assert!((box_iou(&all[o.first].1, &all[o.second].1) - o.iou).abs() < 1e-12);
            (o.first, o.second - n, o.iou)
        })
        .collect()
}

/// IoU of two half-open ranges (0 when either is empty or they are disjoint).
pub fn range_iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let inter = a.1.min(b.1) - a.0.max(b.0);
    let union = a.1.max(b.1) - a.0.min(b.0);
    if inter > 0.0 && union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Every (gold, annotation) pair of half-open ranges `[start, end)` that overlap, with their
/// IoU, from one sweep over both lists sorted by start: from each range it walks forward only
/// while the next ranges start before it ends, so every step finds an overlapping pair
/// (O(n log n + overlapping pairs)). Empty, reversed or non-finite ranges pair with nothing.
pub fn range_candidates(gold: &[(f64, f64)], mine: &[(f64, f64)]) -> Vec<Candidate> {
    let n = gold.len();
    let range = |i: usize| if i < n { gold[i] } else { mine[i - n] };
    let mut order: Vec<usize> = (0..n + mine.len())
        .filter(|&i| {
            let (s, e) = range(i);
            s.is_finite() && e.is_finite() && s < e
        })
        .collect();
    sort_indices(&mut order, |a, b| range(a).0.total_cmp(&range(b).0).then(a.cmp(&b)));
    let mut out = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let a = range(i);
        for &j in &order[k + 1..] {
            let b = range(j);
            if b.0 >= a.1 {
                break;
            }
            if (i < n) != (j < n) {
                let (g, m) = if i < n { (i, j - n) } else { (j, i - n) };
                out.push((g, m, range_iou(a, b)));
            }
        }
    }
    out
}
