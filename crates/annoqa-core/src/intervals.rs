//! Overlap detection without comparing all pairs: a 1-D sweep for time ranges and frame
//! ranges, and a 2-D sort-and-sweep for boxes.
//!
//! Validation runs on every edit in the browser, with thousands of regions; all-pairs checks
//! (n²/2 = 12.5 million pairs for 5,000 boxes) would not keep up.

use crate::geometry::{box_area, box_bounds, box_iou};
use crate::order::{nth_by, sort_indices, sort_unstable_by_key};
use crate::BoxGeometry;

/// An interval that overlaps an earlier one. `first` is the interval (of the same group) that
/// reaches furthest among those starting before `second`; indices are positions in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalOverlap {
    pub first: usize,
    pub second: usize,
}

/// Overlapping half-open intervals `[start, end)` within each group.
///
/// Same sweep as the built-in text-span check of [`crate::check`]: sorted by (group, start, end), an
/// interval overlaps an earlier one of its group exactly when it starts before the furthest end
/// seen so far, so one pass after the sort (O(n log n)) reports every offending interval once,
/// beside the interval that reaches furthest. Touching intervals (`end == start`) do not
/// overlap. Empty, reversed or non-finite intervals are skipped: they are reported by their own
/// rules. Use `()` as the group to compare all intervals with each other; for inclusive frame
/// ranges pass `[start, end + 1)`.
pub fn interval_overlaps<G: Ord>(intervals: &[(G, f64, f64)]) -> Vec<IntervalOverlap> {
    let mut order: Vec<usize> = (0..intervals.len())
        .filter(|&i| {
            let (_, start, end) = &intervals[i];
            start.is_finite() && end.is_finite() && start < end
        })
        .collect();
    sort_indices(&mut order, |i, j| {
        let (a, b) = (&intervals[i], &intervals[j]);
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)).then(i.cmp(&j))
    });
    let mut overlaps = Vec::new();
    let mut furthest: Option<usize> = None;
    for &i in &order {
        let current = &intervals[i];
        match furthest {
            Some(f) if intervals[f].0 == current.0 => {
                if current.1 < intervals[f].2 {
                    overlaps.push(IntervalOverlap { first: f, second: i });
                }
                if current.2 > intervals[f].2 {
                    furthest = Some(i);
                }
            }
            _ => furthest = Some(i),
        }
    }
    overlaps
}

/// Two boxes of the same group whose IoU is at least `min_iou` (and above 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxOverlap {
    pub first: usize,
    pub second: usize,
    pub iou: f64,
}

/// Pairs of boxes in the same group overlapping with IoU ≥ `min_iou` (and > 0), `first < second`,
/// sorted. Degenerate boxes (not finite, no area) are skipped: IoU 0 with everything. Use `()`
/// as the group for "any label". Rotated boxes are searched by their axis-aligned bounds
/// ([`box_bounds`]), which overlap whenever the boxes do; the IoU is the boxes' own.
///
/// Up to [`GRID_MIN_BOXES`] boxes: sort-and-sweep on the left edge. Beyond that a uniform grid
/// whose cell is the median box size: each box goes into the few cells it covers, pairs are
/// tested only within a cell, and a pair is reported only in the cell holding the top-left
/// corner of its intersection, so never twice. Boxes covering more than
/// [`GRID_MAX_CELLS_PER_BOX`] cells (or with coordinates too large for the grid) are few by
/// construction and are compared with every box. Cost about O(n log n + pairs) for scattered
/// boxes, where the sweep pays for every pair whose x-ranges overlap.
pub fn box_overlaps<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64) -> Vec<BoxOverlap> {
    box_overlap_search(boxes, min_iou).overlaps
}

/// What [`box_overlaps`] found and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxOverlapSearch {
    pub overlaps: Vec<BoxOverlap>,
    /// How many pairs of boxes the search looked at (all pairs would be n·(n−1)/2).
    pub pairs_examined: usize,
    /// False when the search stopped at its budget of examined pairs: `overlaps` is then a
    /// part of the answer.
    pub complete: bool,
}

/// [`box_overlaps`] with the number of pairs it examined, so tests can hold the search to
/// "about the overlapping pairs, never all pairs".
pub fn box_overlap_search<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64) -> BoxOverlapSearch {
    box_overlap_search_within(boxes, min_iou, usize::MAX)
}

/// [`box_overlap_search`] that stops after examining `budget` pairs. Many boxes piled on one
/// spot overlap pairwise (n² pairs), so validation of hostile input needs a bound.
pub fn box_overlap_search_within<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64, budget: usize) -> BoxOverlapSearch {
    let bounds: Vec<BoxGeometry> = boxes.iter().map(|(_, b)| box_bounds(b)).collect();
    let valid: Vec<usize> = (0..boxes.len())
        .filter(|&i| {
            let b = &bounds[i];
            box_area(&boxes[i].1) > 0.0 && (b.x + b.width).is_finite() && (b.y + b.height).is_finite()
        })
        .collect();
    let mut found = Found { overlaps: Vec::new(), pairs_examined: 0, budget };
    let searched = Searched { boxes, bounds: &bounds, min_iou };
    if valid.len() <= GRID_MIN_BOXES {
        sweep(&searched, &valid, &mut found)
    } else {
        grid(&searched, &valid, &mut found)
    }
    sort_unstable_by_key(&mut found.overlaps, |o| (o.first, o.second));
    let complete = found.pairs_examined <= budget;
    BoxOverlapSearch { overlaps: found.overlaps, pairs_examined: found.pairs_examined.min(budget), complete }
}

struct Found {
    overlaps: Vec<BoxOverlap>,
    pairs_examined: usize,
    budget: usize,
}

impl Found {
    /// Counts one examined pair; false once the budget is spent (the pair is not examined).
    fn examine(&mut self) -> bool {
        self.pairs_examined += 1;
        self.pairs_examined <= self.budget
    }
}

/// Below this many boxes the sweep is faster than building a grid.
pub const GRID_MIN_BOXES: usize = 64;
/// A box covering more grid cells than this is compared with every box instead.
pub const GRID_MAX_CELLS_PER_BOX: usize = 16;

/// The input of one search: the boxes with their groups, their axis-aligned bounds (same
/// indices), and the IoU a pair needs.
struct Searched<'a, G> {
    boxes: &'a [(G, BoxGeometry)],
    bounds: &'a [BoxGeometry],
    min_iou: f64,
}

impl<G: Eq> Searched<'_, G> {
    fn push_if_overlapping(&self, i: usize, j: usize, out: &mut Found) {
        let boxes = self.boxes;
        if boxes[i].0 != boxes[j].0 {
            return;
        }
        let iou = box_iou(&boxes[i].1, &boxes[j].1);
        if iou > 0.0 && iou >= self.min_iou {
            out.overlaps.push(BoxOverlap { first: i.min(j), second: i.max(j), iou });
        }
    }
}

fn sweep<G: Eq>(searched: &Searched<'_, G>, valid: &[usize], found: &mut Found) {
    let bounds = searched.bounds;
    let mut order = valid.to_vec();
    sort_indices(&mut order, |i, j| bounds[i].x.total_cmp(&bounds[j].x).then(i.cmp(&j)));
    for (a, &i) in order.iter().enumerate() {
        let bi = &bounds[i];
        for &j in &order[a + 1..] {
            let bj = &bounds[j];
            // Sorted by left edge: once a box starts at or past `i`'s right edge, all later do.
            if bj.x >= bi.x + bi.width {
                break;
            }
            if !found.examine() {
                return;
            }
            if bj.y < bi.y + bi.height && bi.y < bj.y + bj.height {
                searched.push_if_overlapping(i, j, found);
            }
        }
    }
}

/// A box in a grid cell: its index and its bounds' corners `[x0, y0, x1, y1]`.
#[derive(Clone, Copy)]
struct Member {
    index: usize,
    corners: [f64; 4],
}

fn grid<G: Eq>(searched: &Searched<'_, G>, valid: &[usize], found: &mut Found) {
    let bounds = searched.bounds;
    let n = valid.len();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut sizes = Vec::with_capacity(n);
    for &i in valid {
        let b = &bounds[i];
        x0 = x0.min(b.x);
        y0 = y0.min(b.y);
        x1 = x1.max(b.x + b.width);
        y1 = y1.max(b.y + b.height);
        sizes.push(b.width.max(b.height));
    }
    let middle = n / 2;
    let median = nth_by(&mut sizes, middle, f64::total_cmp);
    let mut cell = *median;
    // At most about 4 cells per box, whatever the spread of the boxes.
    let area_cells = ((x1 - x0) / cell).ceil().max(1.0) * ((y1 - y0) / cell).ceil().max(1.0);
    // (A NaN cell count scales too, and then fails the finiteness check below.)
    if area_cells.partial_cmp(&(4.0 * n as f64)) != Some(std::cmp::Ordering::Less) {
        cell *= (area_cells / (4.0 * n as f64)).sqrt();
    }
    if !(cell.is_finite() && cell > 0.0) {
        return sweep(searched, valid, found);
    }
    let cols = (((x1 - x0) / cell).floor() as usize).saturating_add(1).min(4 * n + 1);
    let rows = (((y1 - y0) / cell).floor() as usize).saturating_add(1).min(4 * n + 1);
    // Coordinates are at least the origin, so truncation is floor (and `as` saturates).
    let col_of = |x: f64| (((x - x0) / cell) as usize).min(cols - 1);
    let row_of = |y: f64| (((y - y0) / cell) as usize).min(rows - 1);
    let span = |b: &BoxGeometry| (col_of(b.x), col_of(b.x + b.width), row_of(b.y), row_of(b.y + b.height));

    // Cells as compressed rows: count, prefix-sum, fill.
    let mut large = Vec::new();
    let mut counts = vec![0u32; cols * rows + 1];
    let mut gridded = Vec::with_capacity(n);
    for &i in valid {
        let (c0, c1, r0, r1) = span(&bounds[i]);
        if (c1 - c0 + 1) * (r1 - r0 + 1) > GRID_MAX_CELLS_PER_BOX {
            large.push(i);
            continue;
        }
        gridded.push(i);
        for r in r0..=r1 {
            for c in c0..=c1 {
                counts[r * cols + c + 1] += 1;
            }
        }
    }
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
    // Each cell's members with their bounds as corners, side by side, so the pair loop below
    // reads memory in order instead of jumping through `bounds`.
    let mut members = vec![Member { index: 0, corners: [0.0; 4] }; counts[cols * rows] as usize];
    let mut fill = counts.clone();
    for &i in &gridded {
        let b = &bounds[i];
        let member = Member { index: i, corners: [b.x, b.y, b.x + b.width, b.y + b.height] };
        let (c0, c1, r0, r1) = span(b);
        for r in r0..=r1 {
            for c in c0..=c1 {
                let slot = &mut fill[r * cols + c];
                members[*slot as usize] = member;
                *slot += 1;
            }
        }
    }

    for r in 0..rows {
        for c in 0..cols {
            let here = &members[counts[r * cols + c] as usize..counts[r * cols + c + 1] as usize];
            for (a, mi) in here.iter().enumerate() {
                let [ix0, iy0, ix1, iy1] = mi.corners;
                for mj in &here[a + 1..] {
                    if !found.examine() {
                        return;
                    }
                    let [jx0, jy0, jx1, jy1] = mj.corners;
                    let (left, top) = (ix0.max(jx0), iy0.max(jy0));
                    let overlapping = left < ix1.min(jx1) && top < iy1.min(jy1);
                    // Report a pair only in the cell holding its intersection's top-left corner.
                    if overlapping && col_of(left) == c && row_of(top) == r {
                        searched.push_if_overlapping(mi.index, mj.index, found);
                    }
                }
            }
        }
    }
    for (a, &i) in large.iter().enumerate() {
        for &j in gridded.iter().chain(&large[a + 1..]) {
            if !found.examine() {
                return;
            }
            searched.push_if_overlapping(i, j, found);
        }
    }
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pairs(overlaps: &[IntervalOverlap]) -> Vec<(usize, usize)> {
        overlaps.iter().map(|o| (o.first, o.second)).collect()
    }

    #[test]
    fn interval_sweep_reports_each_offender_once_beside_the_furthest() {
        // 0: [0, 10) reaches furthest; 1: [2, 3) and 2: [5, 12) overlap it; 3: [11, 13)
        // overlaps 2 (which by then reaches furthest, to 12); 4: [13, 14) only touches 3.
        let intervals = [((), 0.0, 10.0), ((), 2.0, 3.0), ((), 5.0, 12.0), ((), 11.0, 13.0), ((), 13.0, 14.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 1), (0, 2), (2, 3)]);
    }

    #[test]
    fn interval_groups_and_bad_intervals() {
        // Same times, different labels: only the two "speech" segments collide.
        let intervals = [("speech", 0.0, 2.0), ("music", 1.0, 3.0), ("speech", 1.5, 4.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 2)]);
        // Empty, reversed and NaN intervals are skipped.
        let intervals = [((), 0.0, 5.0), ((), 1.0, 1.0), ((), 3.0, 2.0), ((), f64::NAN, 4.0), ((), 4.0, 6.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 4)]);
    }

    fn bx(x: f64, y: f64, width: f64, height: f64) -> BoxGeometry {
        BoxGeometry::new(x, y, width, height)
    }

    #[test]
    fn box_sweep_worked_example() {
        // 0 and 1 overlap with IoU 25/175 ≈ 0.143; 0 and 2 overlap with IoU 81/100 = 0.81
        // (2 lies inside 0); 3 is far away; 4 overlaps 1 but is another label.
        let boxes = [
            ("car", bx(0.0, 0.0, 10.0, 10.0)),
            ("car", bx(5.0, 5.0, 10.0, 10.0)),
            ("car", bx(0.5, 0.5, 9.0, 9.0)),
            ("car", bx(100.0, 0.0, 10.0, 10.0)),
            ("bus", bx(6.0, 6.0, 10.0, 10.0)),
        ];
        let all: Vec<(usize, usize)> = box_overlaps(&boxes, 0.0).iter().map(|o| (o.first, o.second)).collect();
        assert_eq!(all, [(0, 1), (0, 2), (1, 2)]);
        let strong = box_overlaps(&boxes, 0.5);
        assert_eq!(strong, [BoxOverlap { first: 0, second: 2, iou: 0.81 }]);
    }

    fn brute_force<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                let iou = box_iou(&boxes[i].1, &boxes[j].1);
                if boxes[i].0 == boxes[j].0 && iou > 0.0 && iou >= min_iou {
                    out.push((i, j));
                }
            }
        }
        out
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![8 => (-5i32..30).prop_map(f64::from), 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)]
    }

    /// Mostly unrotated, often turned by any angle, now and then by a quarter or by NaN.
    fn rotation() -> impl Strategy<Value = f64> {
        prop_oneof![4 => Just(0.0), 1 => Just(90.0), 2 => -400.0..400.0f64, 1 => Just(f64::NAN)]
    }

    #[test]
    fn rotated_boxes_are_found_by_their_bounds() {
        // Two 10×10 squares turned 45° about their top-left corners at (0, 0) and (12, 0): the
        // diamonds |x| + |y − 7.07| ≤ 7.07 and |x − 12| + |y − 7.07| ≤ 7.07 overlap (their
        // centres are 12 < 14.14 apart), while the unturned squares [0, 10] and [12, 22] do not.
        let turned = |x: f64| BoxGeometry { rotation: 45.0, ..bx(x, 0.0, 10.0, 10.0) };
        let boxes = [((), turned(0.0)), ((), turned(12.0))];
        let found = box_overlaps(&boxes, 0.0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].iou, box_iou(&boxes[0].1, &boxes[1].1));
        assert!(box_overlaps(&[((), bx(0.0, 0.0, 10.0, 10.0)), ((), bx(12.0, 0.0, 10.0, 10.0))], 0.0).is_empty());
    }

    proptest! {
        #[test]
        fn box_sweep_finds_what_all_pairs_finds(
            boxes in proptest::collection::vec((0u8..2, value(), value(), value(), value(), rotation()), 0..200),
            min_iou in 0.0..1.0f64,
        ) {
            let boxes: Vec<(u8, BoxGeometry)> = boxes
                .into_iter()
                .map(|(g, x, y, w, h, rotation)| (g, BoxGeometry { rotation, ..bx(x, y, w, h) }))
                .collect();
            let got: Vec<(usize, usize)> = box_overlaps(&boxes, min_iou).iter().map(|o| (o.first, o.second)).collect();
            prop_assert_eq!(got, brute_force(&boxes, min_iou));
        }

        #[test]
        fn interval_sweep_flags_exactly_the_intervals_that_overlap_an_earlier_one(
            intervals in proptest::collection::vec((0u8..2, value(), value()), 0..30),
        ) {
            let got = interval_overlaps(&intervals);
            let valid = |i: usize| intervals[i].1.is_finite() && intervals[i].2.is_finite() && intervals[i].1 < intervals[i].2;
            // Every reported pair overlaps, and the flagged set is the set of intervals that
            // overlap some interval sorting before them.
            let key = |i: usize| (intervals[i].0, intervals[i].1, intervals[i].2, i);
            let before = |j: usize, i: usize| key(j).partial_cmp(&key(i)) == Some(std::cmp::Ordering::Less);
            for o in &got {
                let (a, b) = (&intervals[o.first], &intervals[o.second]);
                prop_assert!(a.0 == b.0 && a.1 < b.2 && b.1 < a.2);
            }
            let mut flagged: Vec<usize> = got.iter().map(|o| o.second).collect();
            flagged.sort_unstable();
            let expected: Vec<usize> = (0..intervals.len())
                .filter(|&i| valid(i))
                .filter(|&i| (0..intervals.len()).any(|j| {
                    valid(j) && before(j, i) && intervals[j].0 == intervals[i].0 && intervals[i].1 < intervals[j].2
                }))
                .collect();
            prop_assert_eq!(flagged, expected);
        }
    }
}
